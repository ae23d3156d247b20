// The one model of a Pacemaker configuration Tandem writes. `tandem pacemaker config` and
// `tandem migrate vcs` both build a PacemakerConfig and hand it to the same three renderers
// (cib.ts, pcs.ts, crm.ts), so a resource comes out the same whichever command wrote it.

export type NvPairs = [string, string][];

export type Role = 'Promoted' | 'Unpromoted' | 'Started';

export interface AgentRef {
  class: 'ocf' | 'systemd' | 'stonith' | 'lsb';
  provider?: string;
  type: string;
}

export type OnFail = 'ignore' | 'block' | 'stop' | 'restart' | 'standby' | 'fence' | 'demote';

export interface Op {
  name: 'start' | 'stop' | 'monitor' | 'promote' | 'demote' | 'notify' | 'reload-agent';
  intervalSec: number;
  timeoutSec: number;
  role?: 'Promoted' | 'Unpromoted';
  onFail?: OnFail;
}

export interface Primitive {
  id: string;
  agent: AgentRef;
  params: NvPairs;
  meta: NvPairs;
  ops: Op[];
  /** where it came from, written as a comment in the scripts */
  comment?: string;
}

export interface Group {
  id: string;
  /** primitive ids, in start order */
  members: string[];
  meta: NvPairs;
  comment?: string;
}

export interface Clone {
  id: string;
  /** a primitive or group id */
  child: string;
  promotable: boolean;
  meta: NvPairs;
  comment?: string;
}

export interface Location {
  kind: 'location';
  id: string;
  rsc: string;
  node: string;
  score: string;
}

export interface Expression {
  attribute: string;
  operation: 'defined' | 'not_defined' | 'eq' | 'ne' | 'lt' | 'gt' | 'lte' | 'gte';
  value?: string;
}

/** `rsc_location` with one rule: score where the expressions hold (joined by booleanOp). */
export interface LocationRule {
  kind: 'location-rule';
  id: string;
  rsc: string;
  score: string;
  role?: 'Promoted' | 'Unpromoted';
  booleanOp: 'and' | 'or';
  expressions: Expression[];
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

export type Constraint = Location | LocationRule | Colocation | Order | Ticket;

export interface PacemakerConfig {
  /** cluster properties (crm_config) */
  properties: NvPairs;
  rscDefaults: NvPairs;
  primitives: Primitive[];
  groups: Group[];
  clones: Clone[];
  constraints: Constraint[];
}

export function emptyConfig(): PacemakerConfig {
  return { properties: [], rscDefaults: [], primitives: [], groups: [], clones: [], constraints: [] };
}

/** `class:provider:type` (stonith and systemd have no provider). */
export function agentSpec(a: AgentRef): string {
  return `${a.class}:${a.provider ? `${a.provider}:` : ''}${a.type}`;
}

/** A top-level entry of the resources section: a group or a lone primitive, maybe in a clone. */
export type TopLevel = ({ group: Group; primitive?: undefined } | { primitive: Primitive; group?: undefined }) & { clone?: Clone };

/**
 * The resources section in the order the configuration defines them: a grouped primitive is
 * written with its group, a cloned primitive or group with its clone, each once, where its first
 * primitive appears. Every renderer walks this, so all three outputs list things in one order.
 */
export function topLevel(cfg: PacemakerConfig): TopLevel[] {
  const groupOf = new Map(cfg.groups.flatMap((g) => g.members.map((m) => [m, g] as const)));
  const cloneOf = new Map(cfg.clones.map((c) => [c.child, c]));
  const seen = new Set<string>();
  const out: TopLevel[] = [];
  const byId = new Map(cfg.primitives.map((p) => [p.id, p]));
  for (const g of cfg.groups) {
    for (const m of g.members) if (!byId.has(m)) throw new Error(`group ${g.id} names primitive ${m}, which is not defined`);
  }
  for (const p of cfg.primitives) {
    const group = groupOf.get(p.id);
    const key = group ? group.id : p.id;
    if (seen.has(key)) continue;
    seen.add(key);
    const clone = cloneOf.get(key);
    out.push({ ...(group ? { group } : { primitive: p }), ...(clone ? { clone } : {}) });
  }
  for (const c of cfg.clones) {
    if (!seen.has(c.child)) throw new Error(`clone ${c.id} names ${c.child}, which is neither a primitive nor a group`);
  }
  return out;
}

export function primitiveById(cfg: PacemakerConfig, id: string): Primitive {
  const p = cfg.primitives.find((x) => x.id === id);
  if (!p) throw new Error(`no primitive ${id}`);
  return p;
}
