// THE promotion score: one pure function from replication state to the number Pacemaker uses to
// pick the Promoted node (crm_attribute --promotion). The first rule that matches decides; `null`
// means "remove the score" (this node must not be promoted). The score depends only on states and
// settings, never on timing, so it is steady: it changes only when a disk, peer or quorum state
// changes.
//
//   rule                   when (checked in this order)                                score (default ladder)
//   local-disk-unusable    a local volume is Diskless, Attaching, Failed or DUnknown   none
//   held-for-operator      held StandAlone after going away as Primary (auto_resync)   none
//   no-quorum              quorum is configured and this partition lost it             none
//   local-inconsistent     a local volume is Inconsistent (resync target, new disk)    none
//   local-outdated         a local volume is Outdated (fenced, or known stale)         none
//   older-generation       a connected peer has newer data (we are its sync target)    none
//   consistent-only        local data is Consistent but not known UpToDate             ladder[0] = 0: none
//   primary                this node is Primary with UpToDate data                     ladder[3] + 64 = 10064
//   uptodate-peers-known   UpToDate, and every diskful peer is connected               ladder[3] = 10000 + tie-break
//   takeover-withheld      UpToDate, a diskful peer is unreachable, auto_takeover off  none
//   uptodate-peer-unknown  UpToDate, but some diskful peer is unreachable              ladder[2] = 1000 + tie-break
//
// The ladder is the agent's adjust_master_score (ocf:linbit:drbd's four values "0 10 1000 10000":
// only Consistent, only a remote UpToDate disk, UpToDate with a peer unknown, as good as it gets);
// 0 or less removes the score, as there. Tandem never promotes a node without local data, so the
// second value has no rule here.
//
// Tie-break: equally good nodes would publish the same score and Pacemaker would pick one at
// random. Each candidate adds a tie-break below TIE_BREAK_RANGE: 32 + (31 - position) for the
// nodes of the agent's promotion_preference list (first = most preferred), else 31 - node id (the
// lowest id wins). It never reorders rules (the ladder's steps must be at least TIE_BREAK_RANGE
// apart), and the Primary sits above every tie-break, so a preferred node that comes back never
// takes the Promoted role from a running Primary (no automatic failback).
//
// As in DRBD's agent, a node that cannot see every peer gets a lower score: if its peer was
// Primary meanwhile it may be stale, and resource-level fencing (tandem-fence-<res>) stops such a
// node from being promoted at all. Consistent-only data is never promoted automatically (unless
// the ladder's first value says so).
//
// auto_takeover=false (the agent parameter; VVR's AutoTakeover=0) withholds that lower score: a
// node that cannot see every diskful peer is never promoted by Pacemaker, because the peer it
// cannot see may be a Primary that is only cut off. The operator authorises a takeover by setting
// auto_takeover=true on the resource (a reload, no restart) or promotes by hand.
import type { DiskState, ResourceStatus, Role } from '../engine/states.js';

/** ocf:linbit:drbd's adjust_master_score, in its order. */
export interface Ladder { consistentOnly: number; remoteOnly: number; peerUnknown: number; best: number }
export const DEFAULT_LADDER: Ladder = { consistentOnly: 0, remoteOnly: 10, peerUnknown: 1000, best: 10000 };
/** Tie-breaks are 0 ≤ t < TIE_BREAK_RANGE: 32 slots for preferred nodes, 32 for node ids. */
export const TIE_BREAK_RANGE = 64;
export const SCORE_BEST = DEFAULT_LADDER.best;
export const SCORE_PEER_UNKNOWN = DEFAULT_LADDER.peerUnknown;
export const SCORE_PRIMARY = DEFAULT_LADDER.best + TIE_BREAK_RANGE;

export type Generation = 'newer' | 'same' | 'older' | 'unknown';

export interface PeerInput {
  name: string;
  connected: boolean;
  /** one per volume; DUnknown while disconnected */
  diskStates: DiskState[];
}

export interface PromotionInputs {
  role: Role;
  /** one per local volume */
  localDisks: DiskState[];
  /** false only when quorum is configured and lost */
  quorum: boolean;
  /** diskful peers */
  peers: PeerInput[];
  /** our data generation compared with connected peers' */
  generation: Generation;
  /** false: never promote automatically while a diskful peer is unreachable (agent parameter auto_takeover) */
  autoTakeover: boolean;
  /** the daemon holds the resource StandAlone for an operator (status.held, agent parameter auto_resync) */
  held: boolean;
  /** this node: its name and node id (the tie-break) */
  self: { name: string; id: number };
  /** agent parameter promotion_preference: node names, most preferred first */
  preference: string[];
  /** agent parameter adjust_master_score */
  ladder: Ladder;
}

export type RuleId =
  | 'local-disk-unusable' | 'held-for-operator' | 'no-quorum' | 'local-inconsistent' | 'local-outdated' | 'older-generation'
  | 'consistent-only' | 'primary' | 'uptodate-peers-known' | 'takeover-withheld' | 'uptodate-peer-unknown';

export interface PromotionDecision {
  /** null: remove the promotion score */
  score: number | null;
  rule: RuleId;
  because: string;
  /** what was added to the rule's score to order equally good nodes (0 for none and the Primary) */
  tieBreak: number;
}

/** Which step of the ladder a rule earns: none, or one of the four values. */
type Step = null | keyof Ladder | 'primary';

interface Rule {
  id: RuleId;
  matches(i: PromotionInputs): boolean;
  step: Step;
  because(i: PromotionInputs): string;
}

const UNUSABLE: DiskState[] = ['Diskless', 'Attaching', 'Failed', 'DUnknown'];
const has = (i: PromotionInputs, s: DiskState): boolean => i.localDisks.includes(s);
const allUpToDate = (i: PromotionInputs): boolean => i.localDisks.every((d) => d === 'UpToDate');
const unseen = (i: PromotionInputs): string => i.peers.filter((p) => !p.connected).map((p) => p.name).join(', ');

export const RULES: readonly Rule[] = [
  {
    id: 'local-disk-unusable', step: null,
    matches: (i) => i.localDisks.length === 0 || i.localDisks.some((d) => UNUSABLE.includes(d)),
    because: (i) => `local data is not usable (disks: ${i.localDisks.join(', ') || 'none'})`,
  },
  {
    id: 'held-for-operator', step: null, matches: (i) => i.held,
    because: () => 'held StandAlone: this node went away as Primary and auto_resync is off; its data may hold writes the others never got',
  },
  { id: 'no-quorum', step: null, matches: (i) => !i.quorum, because: () => 'this partition has no quorum' },
  { id: 'local-inconsistent', step: null, matches: (i) => has(i, 'Inconsistent'), because: () => 'a local volume is Inconsistent' },
  { id: 'local-outdated', step: null, matches: (i) => has(i, 'Outdated'), because: () => 'a local volume is Outdated' },
  { id: 'older-generation', step: null, matches: (i) => i.generation === 'older', because: () => 'a connected peer has newer data' },
  {
    id: 'consistent-only', step: 'consistentOnly', matches: (i) => !allUpToDate(i),
    because: () => 'local data is Consistent but not known to be UpToDate; promote by hand if you know it is the newest',
  },
  { id: 'primary', step: 'primary', matches: (i) => i.role === 'Primary', because: () => 'this node is Primary with UpToDate data' },
  {
    id: 'uptodate-peers-known', step: 'best', matches: (i) => i.peers.every((p) => p.connected),
    because: (i) => (i.peers.length === 0 ? 'UpToDate, and the resource has no other diskful node' : 'UpToDate, and every diskful peer is connected'),
  },
  {
    id: 'takeover-withheld', step: null, matches: (i) => !i.autoTakeover,
    because: (i) => `UpToDate, but ${unseen(i)} cannot be seen and auto_takeover=false: a takeover needs an operator `
      + '(set auto_takeover=true on the resource, or promote by hand)',
  },
  {
    id: 'uptodate-peer-unknown', step: 'peerUnknown', matches: () => true,
    because: (i) => `UpToDate, but ${unseen(i)} cannot be seen`,
  },
];

export function promotionScore(inputs: PromotionInputs): PromotionDecision {
  const rule = RULES.find((r) => r.matches(inputs));
  if (!rule) throw new Error('promotion rules are not exhaustive'); // the last rule always matches
  const base = stepScore(rule.step, inputs.ladder);
  if (base === null) return { score: null, rule: rule.id, because: rule.because(inputs), tieBreak: 0 };
  const tie = rule.step === 'primary' ? 0 : tieBreak(inputs.self, inputs.preference);
  return { score: base + tie, rule: rule.id, because: rule.because(inputs), tieBreak: tie };
}

/** A rule's score before the tie-break (null: none). */
export function stepScore(step: Step, ladder: Ladder): number | null {
  if (step === null) return null;
  const score = step === 'primary' ? ladder.best + TIE_BREAK_RANGE : ladder[step];
  return score > 0 ? score : null;
}

/** 32 + (31 - position) in the preference list, else 31 - node id: always below TIE_BREAK_RANGE. */
export function tieBreak(self: { name: string; id: number }, preference: string[]): number {
  const position = preference.indexOf(self.name);
  return position >= 0 && position < 32 ? 32 + (31 - position) : 31 - self.id;
}

/** What the function needs besides the daemon's status: the agent's settings and who this node is. */
export interface ScoreSettings {
  autoTakeover: boolean;
  self: { name: string; id: number };
  preference?: string[];
  ladder?: Ladder;
}

/** The function's inputs as the daemon reports them, plus the agent's settings. */
export function inputsFromStatus(status: ResourceStatus, settings: ScoreSettings): PromotionInputs {
  const peers = status.connections
    .filter((c) => !c.volumes.every((v) => v.peerDiskState === 'Diskless'))
    .map((c) => ({
      name: c.peer,
      connected: c.connectionState === 'Connected',
      diskStates: c.volumes.map((v) => (c.connectionState === 'Connected' ? v.peerDiskState : 'DUnknown' as DiskState)),
    }));
  const repl = status.connections.filter((c) => c.connectionState === 'Connected').flatMap((c) => c.volumes.map((v) => v.replicationState));
  let generation: Generation = 'unknown';
  if (repl.some((r) => r === 'SyncTarget' || r === 'PausedSyncT' || r === 'Behind')) generation = 'older';
  else if (repl.some((r) => r === 'SyncSource' || r === 'PausedSyncS' || r === 'Ahead')) generation = 'newer';
  else if (repl.length > 0) generation = 'same';
  return {
    role: status.role, localDisks: status.volumes.map((v) => v.diskState), quorum: status.quorum, peers, generation,
    autoTakeover: settings.autoTakeover, held: status.held !== null && status.held !== undefined,
    self: settings.self, preference: settings.preference ?? [], ladder: settings.ladder ?? DEFAULT_LADDER,
  };
}
