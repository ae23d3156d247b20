// The migration's one internal result: a Pacemaker configuration, the Tandem resources, what
// became what, and every warning. Every emitter (INI, pcs, crm, CIB, report) reads only this.
import type { MigrationWarning } from '../warnings.js';

export type NvPairs = [string, string][];

export interface Op {
  name: 'monitor' | 'start' | 'stop' | 'promote' | 'demote';
  interval: string;
  timeout: string;
  role?: 'Promoted' | 'Unpromoted';
}

export interface Primitive {
  id: string;
  class: 'ocf' | 'systemd' | 'stonith';
  provider?: string;
  type: string;
  params: NvPairs;
  meta: NvPairs;
  ops: Op[];
  /** the VCS object it came from, for the report and script comments */
  source: string;
}

export interface PGroup {
  id: string;
  members: string[];
  meta: NvPairs;
  source: string;
}

export interface PClone {
  id: string;
  /** a primitive or group id */
  child: string;
  promotable: boolean;
  meta: NvPairs;
  source: string;
}

export type Role = 'Promoted' | 'Unpromoted' | 'Started';

export interface Location {
  kind: 'location';
  id: string;
  rsc: string;
  node: string;
  score: string;
}

export interface Colocation {
  kind: 'colocation';
  id: string;
  rsc: string;
  withRsc: string;
  score: string;
  withRole?: Role;
}

export interface Order {
  kind: 'order';
  id: string;
  first: string;
  firstAction: 'start' | 'promote';
  then: string;
  thenAction: 'start';
  orderKind: 'Mandatory' | 'Optional';
}

export interface Ticket {
  kind: 'ticket';
  id: string;
  ticket: string;
  rsc: string;
  role?: Role;
  lossPolicy: 'stop' | 'demote' | 'fence' | 'freeze';
}

export type Constraint = Location | Colocation | Order | Ticket;

export interface PcmkConfig {
  clusterName: string;
  nodes: string[];
  properties: NvPairs;
  rscDefaults: NvPairs;
  primitives: Primitive[];
  groups: PGroup[];
  clones: PClone[];
  constraints: Constraint[];
}

export interface TandemNode {
  name: string;
  id: number;
  address: string;
  /** no fact gave the address; a documentation-range placeholder was written */
  placeholder?: boolean;
}

export interface TandemVolume {
  index: number;
  /** the VxVM data volume it replaces */
  vxvmVolume: string;
  disk: string;
  meta: string;
  export: string;
  sizeBytes?: number;
}

export interface TandemResource {
  name: string;
  /** VCS RVG resource and VxVM objects it replaces */
  rvgResource: string;
  rvg: string;
  diskGroup: string;
  protocol: 'A' | 'C';
  secret: string;
  fencing: 'resource-only';
  quorum: 'off' | 'majority';
  resyncRate?: string;
  nodes: TandemNode[];
  volumes: TandemVolume[];
  /** the promotable clone that runs it */
  cloneId: string;
  /** facts that explain a value, written as INI comments */
  notes: string[];
}

export interface BoothPlan {
  sites: { cluster: string; address: string }[];
  tickets: { name: string; group: string; policy: string }[];
}

export interface Mapping {
  vcs: string;
  vcsKind: string;
  target: string;
  note?: string;
}

export interface MigrationPlan {
  cluster: string;
  inputs: string[];
  pcmk: PcmkConfig;
  tandem: TandemResource[];
  booth?: BoothPlan;
  mappings: Mapping[];
  warnings: MigrationWarning[];
  /** VCS group → Pacemaker id it became (for the cut-over plan) */
  groupTargets: Record<string, string>;
  /** application group Pacemaker id → replica clone it is promoted with */
  promotedWith: Record<string, string>;
  /** VCS group → the system hastatus shows it ONLINE on (the current VVR Primary for app groups) */
  onlineOn: Record<string, string>;
}
