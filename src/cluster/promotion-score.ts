// THE promotion score: one pure function from replication state to the number Pacemaker uses to
// pick the Promoted node (crm_attribute --promotion). The first rule that matches decides; `null`
// means "remove the score" (this node must not be promoted). The score depends only on states,
// never on timing, so it is steady: it changes only when a disk, peer or quorum state changes.
//
//   rule                   when (checked in this order)                                score
//   local-disk-unusable    a local volume is Diskless, Attaching, Failed or DUnknown   none
//   no-quorum              quorum is configured and this partition lost it             none
//   local-inconsistent     a local volume is Inconsistent (resync target, new disk)    none
//   local-outdated         a local volume is Outdated (fenced, or known stale)         none
//   older-generation       a connected peer has newer data (we are its sync target)    none
//   consistent-only        local data is Consistent but not known UpToDate             none
//   primary                this node is Primary with UpToDate data                     10000
//   uptodate-peers-known   UpToDate, and every diskful peer is connected               10000
//   uptodate-peer-unknown  UpToDate, but some diskful peer is unreachable              1000
//
// As in DRBD's agent, a node that cannot see every peer gets a lower score: if its peer was
// Primary meanwhile it may be stale, and resource-level fencing (tandem-fence-<res>) stops such a
// node from being promoted at all. Consistent-only data is never promoted automatically.
import type { DiskState, ResourceStatus, Role } from '../resource/states.js';

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
}

export type RuleId =
  | 'local-disk-unusable' | 'no-quorum' | 'local-inconsistent' | 'local-outdated' | 'older-generation'
  | 'consistent-only' | 'primary' | 'uptodate-peers-known' | 'uptodate-peer-unknown';

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

export const RULES: readonly Rule[] = [
  {
    id: 'local-disk-unusable', score: null,
    matches: (i) => i.localDisks.length === 0 || i.localDisks.some((d) => UNUSABLE.includes(d)),
    because: (i) => `local data is not usable (disks: ${i.localDisks.join(', ') || 'none'})`,
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
    id: 'uptodate-peer-unknown', score: SCORE_PEER_UNKNOWN, matches: () => true,
    because: (i) => `UpToDate, but ${i.peers.filter((p) => !p.connected).map((p) => p.name).join(', ')} cannot be seen`,
  },
];

export function promotionScore(inputs: PromotionInputs): PromotionDecision {
  const rule = RULES.find((r) => r.matches(inputs));
  if (!rule) throw new Error('promotion rules are not exhaustive'); // the last rule always matches
  return { score: rule.score, rule: rule.id, because: rule.because(inputs) };
}

/** The function's inputs as the daemon reports them. */
export function inputsFromStatus(status: ResourceStatus): PromotionInputs {
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
  return { role: status.role, localDisks: status.volumes.map((v) => v.diskState), quorum: status.quorum, peers, generation };
}
