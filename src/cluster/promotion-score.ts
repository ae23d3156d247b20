// THE promotion score: one pure function from replication state to the number Pacemaker uses to
// pick the Promoted node (crm_attribute --promotion). The first rule that matches decides; `null`
// means "remove the score" (this node must not be promoted). The score depends only on states,
// never on timing, so it is steady: it changes only when a disk, peer or quorum state changes.
//
//   rule                   when (checked in this order)                                score
//   local-disk-unusable    a local volume is Diskless, Attaching, Failed or DUnknown   none
//   held-for-operator      held StandAlone after going away as Primary (auto_resync)   none
//   no-quorum              quorum is configured and this partition lost it             none
//   local-inconsistent     a local volume is Inconsistent (resync target, new disk)    none
//   local-outdated         a local volume is Outdated (fenced, or known stale)         none
//   older-generation       a connected peer has newer data (we are its sync target)    none
//   consistent-only        local data is Consistent but not known UpToDate             none
//   primary                this node is Primary with UpToDate data                     10000
//   uptodate-peers-known   UpToDate, and every diskful peer is connected               10000
//   takeover-withheld      UpToDate, a diskful peer is unreachable, auto_takeover off  none
//   uptodate-peer-unknown  UpToDate, but some diskful peer is unreachable              1000
//
// As in DRBD's agent, a node that cannot see every peer gets a lower score: if its peer was
// Primary meanwhile it may be stale, and resource-level fencing (tandem-fence-<res>) stops such a
// node from being promoted at all. Consistent-only data is never promoted automatically.
//
// auto_takeover=false (the agent parameter; VVR's AutoTakeover=0) withholds that lower score: a
// node that cannot see every diskful peer is never promoted by Pacemaker, because the peer it
// cannot see may be a Primary that is only cut off. The operator authorises a takeover by setting
// auto_takeover=true on the resource (a reload, no restart) or promotes by hand.
import type { DiskState, ResourceStatus, Role } from '../engine/states.js';

export const SCORE_BEST = 10000;
export const SCORE_PEER_UNKNOWN = 1000;

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
}

export type RuleId =
  | 'local-disk-unusable' | 'held-for-operator' | 'no-quorum' | 'local-inconsistent' | 'local-outdated' | 'older-generation'
  | 'consistent-only' | 'primary' | 'uptodate-peers-known' | 'takeover-withheld' | 'uptodate-peer-unknown';

export interface PromotionDecision {
  /** null: remove the promotion score */
  score: number | null;
  rule: RuleId;
  because: string;
}

interface Rule {
  id: RuleId;
  matches(i: PromotionInputs): boolean;
  score: number | null;
  because(i: PromotionInputs): string;
}

const UNUSABLE: DiskState[] = ['Diskless', 'Attaching', 'Failed', 'DUnknown'];
const has = (i: PromotionInputs, s: DiskState): boolean => i.localDisks.includes(s);
const allUpToDate = (i: PromotionInputs): boolean => i.localDisks.every((d) => d === 'UpToDate');
const unseen = (i: PromotionInputs): string => i.peers.filter((p) => !p.connected).map((p) => p.name).join(', ');

export const RULES: readonly Rule[] = [
  {
    id: 'local-disk-unusable', score: null,
    matches: (i) => i.localDisks.length === 0 || i.localDisks.some((d) => UNUSABLE.includes(d)),
    because: (i) => `local data is not usable (disks: ${i.localDisks.join(', ') || 'none'})`,
  },
  {
    id: 'held-for-operator', score: null, matches: (i) => i.held,
    because: () => 'held StandAlone: this node went away as Primary and auto_resync is off; its data may hold writes the others never got',
  },
  { id: 'no-quorum', score: null, matches: (i) => !i.quorum, because: () => 'this partition has no quorum' },
  { id: 'local-inconsistent', score: null, matches: (i) => has(i, 'Inconsistent'), because: () => 'a local volume is Inconsistent' },
  { id: 'local-outdated', score: null, matches: (i) => has(i, 'Outdated'), because: () => 'a local volume is Outdated' },
  { id: 'older-generation', score: null, matches: (i) => i.generation === 'older', because: () => 'a connected peer has newer data' },
  {
    id: 'consistent-only', score: null, matches: (i) => !allUpToDate(i),
    because: () => 'local data is Consistent but not known to be UpToDate; promote by hand if you know it is the newest',
  },
  { id: 'primary', score: SCORE_BEST, matches: (i) => i.role === 'Primary', because: () => 'this node is Primary with UpToDate data' },
  {
    id: 'uptodate-peers-known', score: SCORE_BEST, matches: (i) => i.peers.every((p) => p.connected),
    because: (i) => (i.peers.length === 0 ? 'UpToDate, and the resource has no other diskful node' : 'UpToDate, and every diskful peer is connected'),
  },
  {
    id: 'takeover-withheld', score: null, matches: (i) => !i.autoTakeover,
    because: (i) => `UpToDate, but ${unseen(i)} cannot be seen and auto_takeover=false: a takeover needs an operator `
      + '(set auto_takeover=true on the resource, or promote by hand)',
  },
  {
    id: 'uptodate-peer-unknown', score: SCORE_PEER_UNKNOWN, matches: () => true,
    because: (i) => `UpToDate, but ${unseen(i)} cannot be seen`,
  },
];

export function promotionScore(inputs: PromotionInputs): PromotionDecision {
  const rule = RULES.find((r) => r.matches(inputs));
  if (!rule) throw new Error('promotion rules are not exhaustive'); // the last rule always matches
  return { score: rule.score, rule: rule.id, because: rule.because(inputs) };
}

/** The function's inputs as the daemon reports them, plus the agent's auto_takeover setting. */
export function inputsFromStatus(status: ResourceStatus, autoTakeover = true): PromotionInputs {
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
  return { role: status.role, localDisks: status.volumes.map((v) => v.diskState), quorum: status.quorum, peers, generation, autoTakeover, held: status.held !== null && status.held !== undefined };
}
