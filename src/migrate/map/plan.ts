// The migration's one internal result: per VCS cluster (site) a Pacemaker configuration in the
// shared model of src/cluster/pacemaker-model/, the Tandem resources (one per RVG, across sites),
// the booth plan, what became what, and every warning. Every emitter reads only this.
import type { PacemakerConfig } from '../../cluster/pacemaker-model/model.js';
import type { MigrationWarning } from '../warnings.js';

export interface TandemNode {
  name: string;
  id: number;
  address: string;
  /** no fact gave the address; a documentation-range placeholder was written */
  placeholder?: boolean;
  /**
   * The hosts this Tandem node runs on. One host with its own disks; or every system of a site
   * whose disks are shared (VCS failed the disk group over between them): the node moves with
   * the disks, under the site's name.
   */
  hosts: string[];
  /** the VCS cluster it belongs to; undefined when only the VVR reports name it */
  site?: string;
  sharedStorage: boolean;
  /** a VVR bunker (an SRL-only copy near the Primary); in Tandem a full copy */
  bunker?: boolean;
}

export interface TandemVolume {
  index: number;
  /** the VxVM data volume it replaces */
  vxvmVolume: string;
  disk: string;
  meta: string;
  export: string;
  sizeBytes?: number;
  /** size of its metadata when it lives on a block device (shared storage) */
  metaBytes?: number;
}

/** What VVR did on the link from the Primary to one Secondary, and what Tandem does. */
export interface Connection {
  to: string;
  protocol: 'A' | 'C';
  rlink?: string;
  /** RLINK/repstatus facts, as VVR printed them */
  synchronous?: string;
  srlprot?: string;
  latencyprot?: string;
  transport?: string;
  bandwidth?: string;
  bandwidthBytesPerSec?: number;
  compression?: boolean;
  bunker?: boolean;
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
  /** the node that is VVR Primary today (id 0) */
  primary: string;
  connections: Connection[];
  /**
   * [connection.<a>.<b>] sections: every pair of nodes whose protocol differs from `protocol`
   * (the Primary's links as VVR had them; between two Secondaries, C only if both links are C)
   */
  pairs: { nodes: [string, string]; protocol: 'A' | 'C' }[];
  volumes: TandemVolume[];
  /** the promotable clone that runs it (the same id at every site) */
  cloneId: string;
  /**
   * Peers that start from their own VVR Secondary copy (a local block copy of their data
   * volumes) instead of a full sync over the link: the resource resyncs with csums-alg = sha256,
   * so every block is verified and only blocks that differ are sent. Only volumes copied as
   * blocks: a file copy into a new file system on the Primary has another layout than the old one.
   */
  seed?: { peers: string[]; volumes: number[] };
  /** facts that explain a value, written as INI comments */
  notes: string[];
}

/** A VCS Mount that moves onto a Tandem volume: the cut-over copies its data. */
export interface MountMove {
  site: string;
  mount: string;
  resource: string;
  volume: number;
  directory: string;
  vxvmDevice: string;
  oldFsType: string;
  newFsType: string;
  /** file copy for a file system that cannot exist on the target (vxfs), else a block copy */
  copy: 'files' | 'blocks';
}

export interface BoothSite {
  cluster: string;
  address: string;
  placeholder?: boolean;
}

export interface BoothPlan {
  sites: BoothSite[];
  arbitrator?: string;
  tickets: { name: string; group: string; policy: string }[];
}

export interface Mapping {
  vcs: string;
  vcsKind: string;
  target: string;
  note?: string;
}

/** One VCS cluster and the Pacemaker cluster that replaces it. */
export interface SitePlan {
  cluster: string;
  mainCf: string;
  nodes: string[];
  pcmk: PacemakerConfig;
  /** VCS group → the Pacemaker id constraints name (group, clone or replica clone) */
  groupTargets: Record<string, string>;
  /** application group Pacemaker id → replica clone it is promoted with */
  promotedWith: Record<string, string>;
  /** VCS group → the system hastatus shows it ONLINE on */
  onlineOn: Record<string, string>;
}

export interface MigrationPlan {
  sites: SitePlan[];
  tandem: TandemResource[];
  mounts: MountMove[];
  booth?: BoothPlan;
  /** the rate the initial sync can use, and where it came from */
  linkRate?: { bytesPerSec: number; source: string };
  inputs: string[];
  mappings: Mapping[];
  warnings: MigrationWarning[];
}

/** Where a site's Pacemaker files go: the output directory itself when there is one cluster. */
export function siteDir(plan: MigrationPlan, site: SitePlan): string {
  return plan.sites.length === 1 ? '' : `${site.cluster}/`;
}
