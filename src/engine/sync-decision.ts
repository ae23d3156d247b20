// The generation-identifier handshake (DRBD's uuid comparison): given what each side knows about
// data generations, decide who syncs to whom and how. Pure: no I/O, every rule unit-tested.
//
// A generation id is a random 64-bit value created when a Primary starts a new data generation
// (promotion, or losing a peer while Primary). Bit 0 marks "created while Primary" and is ignored
// in comparisons. JUST_CREATED is the value after `tandem md create`.

export const UUID_JUST_CREATED = 4n;
/** Bit 0 of a generation id: created while Primary (DRBD's UUID_PRIMARY). */
export const GENERATION_PRIMARY = 1n;
const PRIMARY_BIT = GENERATION_PRIMARY;

export interface GenerationView {
  /** current generation id */
  current: bigint;
  /** bitmap generation this side keeps for the other side (0 = no bitmap) */
  bitmapForPeer: bigint;
  /** older generation ids, newest first */
  history: bigint[];
  /** was Primary when it went down uncleanly (may hold writes the other never got) */
  crashedPrimary: boolean;
  /** stayed up when its Primary vanished, or was a Secondary whose process alone restarted (same
   *  boot: restart.ts), and has not been resynced since (it holds every write it acknowledged; its
   *  disk cache was never lost) */
  survivedPrimaryLoss?: boolean;
  /** UpToDate or Outdated on a disk that never lost its cache since it was attached (or back from
   *  a failure on reads alone: keptItsWrites below): it holds every write it stored. In the
   *  crashed Primary's generation, with no bitmap id kept for it there, on B or C, that is every
   *  write the Primary acknowledged (a write a peer missed is answered only once a newer
   *  generation records that peer: write-pipeline.ts) */
  keptItsWrites?: boolean;
  /** with crashedPrimary: only the crashed Primary's process died (same boot), its disk holds
   *  every write it made, and DRBD's rule (it is the source) is sound. A claim of its own: this
   *  node survived no Primary, and a survivor's claim means more to a receiver (survivors.ts) */
  crashedPrimaryIntact?: boolean;
}

export type SyncDecision =
  | { kind: 'no-sync'; rule: string }
  // local side sends / receives; `overOutdated`: the direction stands even if a side is Outdated
  // (that side holds every write of the generation: keptItsWrites); `byOperator`: an operator's
  // split-brain resolution (connect --discard-my-data) chose it, and it stands even if the kept
  // side is Outdated: its data is the resource's from then on
  | { kind: 'source'; full: boolean; rule: string; overOutdated?: true; byOperator?: true }
  | { kind: 'target'; full: boolean; rule: string; overOutdated?: true; byOperator?: true }
  | { kind: 'split-brain'; autoRecoverable: boolean; rule: string }
  | { kind: 'unrelated'; rule: string };

const strip = (u: bigint): bigint => u & ~PRIMARY_BIT;

/** The same data generation (the "created while Primary" bit aside). */
export const sameGeneration = (a: bigint, b: bigint): boolean => strip(a) === strip(b);

/**
 * Decide the sync direction. `localIsLowerNodeId` breaks the tie when both sides crashed as
 * Primary with equal generations (DRBD's RESOLVE_CONFLICTS). `protocol` matters for a crashed
 * Primary (see equalGenerations).
 */
export function decideSync(local: GenerationView, peer: GenerationView, localIsLowerNodeId: boolean, protocol: 'A' | 'B' | 'C' = 'C'): SyncDecision {
  const self = strip(local.current);
  const other = strip(peer.current);

  if (self === other) return equalGenerations(local, peer, localIsLowerNodeId, protocol);

  // A bitmap kept against the other side's current generation (also an interrupted initial sync).
  if (strip(peer.bitmapForPeer) === self && self !== 0n) return { kind: 'target', full: false, rule: 'peer bitmap generation is local current' };
  if (strip(local.bitmapForPeer) === other && other !== 0n) return { kind: 'source', full: false, rule: 'local bitmap generation is peer current' };

  if (self === UUID_JUST_CREATED) return { kind: 'target', full: true, rule: 'local just created' };
  if (other === UUID_JUST_CREATED) return { kind: 'source', full: true, rule: 'peer just created' };

  const inPeerHistory = peer.history.some((h) => strip(h) === self);
  const inLocalHistory = local.history.some((h) => strip(h) === other);
  if (inPeerHistory && !inLocalHistory) return { kind: 'target', full: true, rule: 'local current in peer history' };
  if (inLocalHistory && !inPeerHistory) return { kind: 'source', full: true, rule: 'peer current in local history' };

  const lb = strip(local.bitmapForPeer);
  if (lb !== 0n && lb === strip(peer.bitmapForPeer)) {
    return { kind: 'split-brain', autoRecoverable: true, rule: 'both changed data from the same generation' };
  }
  // One side kept its bits against a volume just created (its initial sync of the other had not
  // finished) and both have moved on since, each without the other: a split brain (a takeover
  // forced on the half-synced node), not data that was never shared (sim seed 20926)
  if (lb === UUID_JUST_CREATED || strip(peer.bitmapForPeer) === UUID_JUST_CREATED) {
    return { kind: 'split-brain', autoRecoverable: false, rule: 'both changed data since the initial sync between them' };
  }
  const shared = local.history.some((h) => h !== 0n && peer.history.some((p) => strip(p) === strip(h)));
  if (shared) return { kind: 'split-brain', autoRecoverable: false, rule: 'shared history, ambiguous ancestry' };
  return { kind: 'unrelated', rule: 'no common generation' };
}

/** A side of the handshake as the split-brain rules after decideSync see it. */
export interface HandshakeSide {
  diskState: string;
  /** Primary now */
  primary: boolean;
}

/**
 * A split brain where exactly one side is Inconsistent: that side becomes the SyncTarget, before
 * any split-brain policy (DRBD's "Becoming sync target due to disk states"). Its disk holds no
 * data to keep: an interrupted SyncTarget still in the generation it had diverged into (sim seed
 * 81634270: a former Primary's unacknowledged generation, whose resync from the Primary that took
 * over was cut short). With bitmaps kept since the same generation, the bits both keep cover
 * every difference; otherwise the whole volume. Not against an Outdated side (it may lack writes),
 * nor for a side that is Primary now (it serves its disk); unrelated data stays refused.
 */
export function inconsistentSideTakes(d: SyncDecision, local: HandshakeSide, peer: HandshakeSide): SyncDecision {
  if (d.kind !== 'split-brain') return d;
  const holdsData = (s: string): boolean => s === 'UpToDate' || s === 'Consistent';
  const localTakes = local.diskState === 'Inconsistent' && holdsData(peer.diskState) && !local.primary;
  const peerTakes = peer.diskState === 'Inconsistent' && holdsData(local.diskState) && !peer.primary;
  if (!localTakes && !peerTakes) return d;
  const rule = `${d.rule}; ${localTakes ? 'local disk' : 'the peer\'s disk'} is Inconsistent`;
  return { kind: localTakes ? 'target' : 'source', full: !d.autoRecoverable, rule };
}

/**
 * A split brain between two Inconsistent disks, neither Primary: neither holds data to keep (each
 * is a SyncTarget, or was cut off as one, its old changes already given up by the handshake that
 * made it one), so there is no split brain to refuse. Both wait: once either holds data again, the
 * next handshake resyncs the other (inconsistentSideTakes). Sim seed 81634270: a crashed former
 * Primary and a node that had followed the new one, both being resynced by that new Primary, met.
 */
export function neitherHoldsData(d: SyncDecision, local: HandshakeSide, peer: HandshakeSide): boolean {
  return d.kind === 'split-brain' && local.diskState === 'Inconsistent' && peer.diskState === 'Inconsistent' && !local.primary && !peer.primary;
}

/**
 * One side of a split brain acknowledged none of its changes since the two last shared data: it
 * claims (`unacknowledgedSince`, persisted in its metadata) that it started every generation after
 * `since` as Primary and answered no write since, and the other side last shared data with it in
 * `since` or a later generation of its lineage (`sharedAt`: the other side's bitmap id for it, to
 * which the other's bits refer). Its changes since are writes that failed or were never answered
 * (demoted, crashed, or cut off before a peer stored them): discarding them loses nothing
 * acknowledged, and the bits both sides keep for each other cover every difference.
 */
export function changedOnlyUnacknowledged(side: { current: bigint; history: bigint[]; unacknowledgedSince: bigint | null }, sharedAt: bigint): boolean {
  if (side.unacknowledgedSince === null || strip(sharedAt) === 0n) return false;
  const lineage = [side.current, ...side.history].map(strip);
  const since = lineage.indexOf(strip(side.unacknowledgedSince));
  const shared = lineage.indexOf(strip(sharedAt));
  return since > 0 && shared > 0 && shared <= since;
}

/**
 * Equal generations. A Primary that crashed may hold writes its peer never got, and DRBD makes it
 * the SyncSource of its AL extents. That is right under protocol A (acknowledged writes may exist
 * only there). Under B and C every acknowledged write reached the peer, while the crashed
 * Primary's own disk cache may have lost some of them: when the peer stayed up (it saw its Primary
 * vanish and still holds all it acknowledged), the peer is the source. So it is when the peer
 * shared the whole generation and its disk never lost its cache (keptItsWrites), even if it is
 * Outdated because it was detached before it noticed the loss (seed 20873). When both went down,
 * the crashed Primary is, as in DRBD. A crashed Primary whose process alone died (same boot:
 * crashedPrimaryIntact) lost nothing and is the source, as in DRBD, whatever the peer holds:
 * with several peers that claim, each then takes the same data from it.
 */
function equalGenerations(local: GenerationView, peer: GenerationView, localIsLowerNodeId: boolean, protocol: 'A' | 'B' | 'C'): SyncDecision {
  if (strip(local.current) === UUID_JUST_CREATED) return { kind: 'no-sync', rule: 'both just created' };
  if (local.crashedPrimary && !peer.crashedPrimary) {
    if (local.crashedPrimaryIntact) return { kind: 'source', full: false, rule: 'equal generations, local crashed as Primary, only its process (its disk holds every write it made)' };
    if (protocol !== 'A' && peer.survivedPrimaryLoss) return { kind: 'target', full: false, rule: `equal generations, local crashed as Primary, the peer stayed up or only its process restarted (protocol ${protocol}: it holds every acknowledged write)` };
    if (protocol !== 'A' && holdsTheGeneration(peer, local)) return { kind: 'target', full: false, overOutdated: true, rule: `equal generations, local crashed as Primary, the peer's disk kept all it stored of this generation (protocol ${protocol}: every acknowledged write)` };
    return { kind: 'source', full: false, rule: 'equal generations, local crashed as Primary' };
  }
  if (peer.crashedPrimary && !local.crashedPrimary) {
    if (peer.crashedPrimaryIntact) return { kind: 'target', full: false, rule: 'equal generations, the peer crashed as Primary, only its process (its disk holds every write it made)' };
    if (protocol !== 'A' && local.survivedPrimaryLoss) return { kind: 'source', full: false, rule: `equal generations, the peer crashed as Primary, this node stayed up or only its process restarted (protocol ${protocol}: it holds every acknowledged write)` };
    if (protocol !== 'A' && holdsTheGeneration(local, peer)) return { kind: 'source', full: false, overOutdated: true, rule: `equal generations, the peer crashed as Primary, this disk kept all it stored of this generation (protocol ${protocol}: every acknowledged write)` };
    return { kind: 'target', full: false, rule: 'equal generations, peer crashed as Primary' };
  }
  if (local.crashedPrimary && peer.crashedPrimary) {
    return localIsLowerNodeId
      ? { kind: 'source', full: false, rule: 'both crashed as Primary, lower node id wins' }
      : { kind: 'target', full: false, rule: 'both crashed as Primary, lower node id wins' };
  }
  return { kind: 'no-sync', rule: 'equal generations' };
}

/**
 * Does this disk hold every write it stored (GenerationView.keptItsWrites)? UpToDate or Outdated,
 * and its cache never lost since it was attached (no crash before the attach). A disk back from a
 * detach after read errors alone holds them too (readErrorsOnly: it held them when its reads
 * failed, and a read changes nothing on the disk), though it is Consistent until a handshake says
 * it is current. DRBD keeps no such record: it notes a read error only while detaching (to ask for
 * a full sync if the bitmap cannot be written), and its handshake weighs a failed disk as any
 * other. Not a disk that failed on a write or a flush: a failed write leaves its range undefined,
 * a failed flush may have lost writes not yet durable.
 */
export function keptItsWrites(disk: { diskState: string; crashed: boolean; readErrorsOnly: boolean }): boolean {
  if (disk.crashed) return false;
  return disk.diskState === 'UpToDate' || disk.diskState === 'Outdated' || (disk.diskState === 'Consistent' && disk.readErrorsOnly);
}

/** `holder` got every write of the crashed Primary's current generation and kept them (keptItsWrites). */
function holdsTheGeneration(holder: GenerationView, crashed: GenerationView): boolean {
  return holder.keptItsWrites === true && strip(crashed.bitmapForPeer) === 0n;
}
