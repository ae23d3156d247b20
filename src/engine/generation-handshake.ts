// What a volume does with a peer's State: on a new connection (replication Off), a paused sync,
// or a peer whose disk came back, run the generation handshake and start the right sync; while
// Established, follow the Primary's new data generations. Anything this version cannot resolve
// safely refuses the connection, and says what was compared.
//
// Bits: each side keeps, per peer, the blocks that may differ between the two. At the handshake
// each reports its bits for the other in State (`reconcile`); the side that becomes SyncSource
// resyncs the union, and the target clears its own bits for the source block by block as the
// data arrives (secondary.ts), so neither side reports them again: one resync per reconnect.
import type { MessageOf } from '../wire/messages.js';
import { hasDisk, type Peer, type PeerVolume } from './peer.js';
import { adoptUnwrittenSince, isServer } from './exposed-generation.js';
import { mayHoldAcknowledgedWrites, waitForSynchronousCopy } from './mixed-protocols.js';
import type { Resource } from './resource.js';
import { holdsAcknowledgedWrites, intactCrashedPrimary } from './restart.js';
import { changedOnlyUnacknowledged, decideSync, inconsistentSideTakes, keptItsWrites, neitherHoldsData, sameGeneration, UUID_JUST_CREATED, type SyncDecision } from './sync-decision.js';
import type { DiskState, Role } from './states.js';
import { reconcileSurvivor, reconcileSurvivors } from './survivors.js';
import type { Volume } from './volume.js';

export type VolumeView = MessageOf<'State'>['volumes'][number];

export function onPeerState(peer: Peer, role: Role, views: VolumeView[]): void {
  const r = peer.resource;
  const becamePrimary = role === 'Primary' && peer.peerRole !== 'Primary';
  for (const view of views) {
    if (!peer.volumes.has(view.volume)) { peer.refuse(`the peer has volume ${view.volume}, this node does not`); return; }
  }
  peer.peerRole = role;
  const before = [...peer.volumes.values()].map((pv) => pv.replicationState);
  const awaitedBefore = awaitingPeers(r, peer);
  let diskReturned = false;
  let pausedByPeer = false;
  for (const view of views) {
    const pv = peer.volumes.get(view.volume)!;
    const previous = pv.view;
    const known = pv.peerDiskState; // a NegAck may have booked the disk's loss before this State (Peer.onNegAck)
    pv.view = view;
    pv.resyncEndUnapplied = view.diskState === 'UpToDate' && (pv.resyncEndUnapplied || resyncEnded(previous, view));
    if (view.resyncPauses > pv.pausesSeen) { pv.pausesSeen = view.resyncPauses; pausedByPeer = true; } // echoed in our next State
    // a SyncTarget says Inconsistent until its State after our ResyncDone; any other disk state is
    // that State or a later one (UpToDate, or Consistent: it became another node's SyncTarget at
    // once, and that source went away before sending anything: sim seed 1075860107)
    if (view.diskState !== 'Inconsistent') pv.syncEnding = false;
    pv.peerDiskState = reportedDiskState(pv, view.diskState as DiskState);
    const volume = r.volume(view.volume);
    if (volume && diskWentAway(previous, view) && hasDisk(known)) {
      // a resync to a disk that is gone never hears back for what it has in flight: it ends here
      // (those blocks keep their bits), or it would hold the next one off when the disk returns
      peer.stopResync(view.volume);
      r.peerDiskLost(peer, volume);
    }
    if (diskCameBack(previous, view, pv)) { // a peer that attached again: a new handshake, on both sides
      pv.replicationState = 'Off';
      diskReturned = true;
    }
    handshakeVolume(peer, view.volume, pv);
    if (peer.connectionState === 'StandAlone') return;
  }
  if (role === 'Primary' && r.role === 'Primary') {
    peer.refuse('both nodes are Primary and their data did not diverge: demote one of them before they connect');
    return;
  }
  if (r.role === 'Primary') for (const view of views) serverJoined(peer, r.volume(view.volume));
  // --discard-my-data is for one handshake of each volume: a later split brain must not discard data again
  for (const [index, pv] of peer.volumes) if (pv.replicationState === 'SyncTarget') r.discardMyData.delete(index);
  // the peer decided from our last State; if its State changed our side, it needs our new one
  // (and a new Primary must learn what this node may hold differently since the old one vanished)
  const changed = [...peer.volumes.values()].some((pv, i) => pv.replicationState !== before[i]);
  // (and a peer whose disk came back waits for our State to run its side, even if ours is unchanged)
  // (and a peer that paused us learns we read it, so it can tell our older resync blocks from newer ones)
  if (changed || diskReturned || pausedByPeer || (becamePrimary && r.reconcileRanges.size > 0)) peer.sendState();
  // a survivor of a lost Primary leads the reconciling only once it has heard every survivor it
  // reaches: this State may have been the last one it waited for (survivors.ts)
  if (r.reconcileRanges.size > 0 && r.role !== 'Primary') reconcileSurvivors(r.peers.values(), peer);
  for (const other of r.peers.values()) {
    if (other === peer || !other.connected) continue;
    for (const [index, opv] of other.volumes) if ((opv.replicationState === 'Off' || opv.replicationState === 'PausedSyncT') && opv.view) handshakeVolume(other, index, opv);
  }
  // peers told we wait to hear a holder of what our crash lost learn it when that wait ends
  for (const other of awaitedBefore) if (other.connected && !r.volumes.some((v) => awaitsCrashHolder(other, v))) other.sendState();
  r.fencing.reconcile();
  r.emit('replication', { peer: peer.node.name, role, volumes: [...peer.volumes.entries()].map(([v, pv]) => ({ volume: v, replicationState: pv.replicationState, peerDiskState: pv.peerDiskState })) });
}

/** Without a usable disk, as Primary: a peer that is a server now gets our writes still unanswered that missed it. */
function serverJoined(peer: Peer, volume: Volume | undefined): void {
  if (!volume || volume.usable || volume.unansweredDiskless.size === 0 || !isServer(peer, volume)) return;
  for (const write of volume.unansweredDiskless) write.joinedBy(peer);
}

/**
 * What the peer says of its disk, except that a SyncTarget of ours is Inconsistent until it has
 * taken everything we sent (its own State may still say what it was before the handshake).
 */
function reportedDiskState(pv: PeerVolume, reported: DiskState): DiskState {
  if (pv.replicationState === 'SyncSource' && reported === 'UpToDate') return 'Inconsistent';
  return reported;
}

function diskCameBack(previous: VolumeView | null, view: VolumeView, pv: PeerVolume): boolean {
  if (!previous || pv.replicationState === 'Off') return false;
  return !hasDisk(previous.diskState as DiskState) && hasDisk(view.diskState as DiskState);
}

function diskWentAway(previous: VolumeView | null, view: VolumeView): boolean {
  return previous !== null && hasDisk(previous.diskState as DiskState) && !hasDisk(view.diskState as DiskState);
}

export function handshakeVolume(peer: Peer, index: number, pv: PeerVolume): void {
  const paused = pv.replicationState === 'PausedSyncT';
  decideVolume(peer, index, pv);
  // the flag in our State (resyncPaused) tells that source to hold, or to go on
  if (paused !== (pv.replicationState === 'PausedSyncT') && peer.connected) peer.sendState();
}

/**
 * A Primary takes no resync data into the disk it serves (takesResyncFrom refuses it), and with an
 * UpToDate disk it is the one to resync the others (one re-attached after a failure is a target).
 * A resync this Secondary started toward a node whose promotion crossed the decision (a survivor reconciling a fellow survivor just as that one was promoted:
 * seed 20559) stops here: kept running, it went on past that Primary's demotion and overwrote a
 * write the next Primary had sent there. Our bits for it stay, and our State lists them: the
 * Primary merges them into its own resync of us (mergeAndResync).
 */
function stopResyncToPrimary(peer: Peer, volume: Volume): void {
  peer.stopResync(volume.index);
  peer.resource.log.info('resync stopped: the peer is Primary now and resyncs this node itself', { peer: peer.node.name, volume: volume.index, outOfSyncBytes: volume.meta?.outOfSyncBytes(peer.node.id) ?? 0 });
  peer.sendState();
}

/**
 * One source at a time (DRBD pauses the others): a target that takes resync data from another
 * node says so in its State, and this node, its source too, stops sending and keeps its bits. The
 * target's next State without the flag (its resync ended, or that source went away) starts a new
 * handshake here.
 */
function pauseForTarget(peer: Peer, volume: Volume, pv: PeerVolume): void {
  pv.resync?.stop();
  pv.resync = null;
  pv.replicationState = 'PausedSyncS';
  pv.resyncWasPaused = true;
  peer.resource.log.info('resync paused: the peer takes resync data from another node first', { peer: peer.node.name, volume: volume.index, outOfSyncBytes: volume.meta?.outOfSyncBytes(peer.node.id) ?? 0 });
}

function decideVolume(peer: Peer, index: number, pv: PeerVolume): void {
  const volume = peer.resource.volume(index);
  const view = pv.view!;
  if (!volume) return;
  // Established too: an empty resync of ours ended while the peer took another source's data, and
  // it paused us at our ResyncDone. Its disk is not ours: a Primary keeps bits for the writes that
  // miss it instead of sending them (its other source's older block could land after one).
  if ((pv.replicationState === 'SyncSource' || pv.replicationState === 'Established') && view.flags.resyncPaused && volume.meta) {
    pauseForTarget(peer, volume, pv);
    return;
  }
  if (pv.replicationState === 'SyncSource' && pv.resync && peer.peerRole === 'Primary' && view.diskState === 'UpToDate' && peer.resource.role !== 'Primary') stopResyncToPrimary(peer, volume);
  if (pv.replicationState === 'Established' || pv.replicationState === 'SyncSource') {
    followPeer(peer, volume, view, pv);
    return;
  }
  if (pv.replicationState === 'SyncTarget') {
    // the source drives it to the end, unless it became another node's SyncTarget: it paused its
    // resync to us then (Peer.pauseAsSourceWhileTarget), and a source we paused for it waits on us
    if (hasDisk(view.diskState as DiskState) && view.diskState !== 'Inconsistent') return;
    // the source lost its disk mid-resync: the rest comes from another node (paused ones decide again)
    peer.resource.sourceLostBeforeData(peer, volume);
    if (volume.syncSource === peer.node.id) volume.syncSource = null;
    pv.replicationState = 'Off';
  }
  if (!volume.meta || !hasDisk(view.diskState as DiskState)) {
    pv.replicationState = 'Established'; // a diskless side has nothing to sync
    if (!volume.diskful && view.sizeBytes > 0) volume.sizeBytes = view.sizeBytes;
    if (!volume.meta && peer.resource.role === 'Primary' && view.diskState === 'UpToDate' && adoptUnwrittenSince(volume, peer, view.current)) {
      peer.resource.log.info('generations replaced without a write dropped: the peer holds all of the data', { peer: peer.node.name, volume: index });
      for (const p of peer.resource.peers.values()) p.sendState(); // it follows our generation as any server does
    }
    if (volume.meta && peer.resource.role === 'Primary') followPeer(peer, volume, view, pv);
    if (volume.meta && missedDisklessWrites(peer, volume, view)) outdateBehind(peer, volume);
    return;
  }
  if (volume.meta.sizeBytes !== view.sizeBytes && view.sizeBytes > 0) {
    peer.refuse(`volume ${index} size differs: local ${volume.meta.sizeBytes} bytes, peer ${view.sizeBytes} bytes`);
    return;
  }
  const owed = waitForSynchronousCopy(peer, volume, view); // protocols mixed per connection
  const compared = decide(peer, volume, view);
  if (!owed && neitherHoldsData(compared, { diskState: volume.diskState, primary: peer.resource.role === 'Primary' }, { diskState: view.diskState, primary: peer.peerRole === 'Primary' })) {
    act(peer, volume, pv, { kind: 'wait', rule: `${compared.rule}; both disks are Inconsistent: waiting for either to hold data` });
    return;
  }
  const decided = resolveByInconsistentSide(compared, peer, volume, view);
  const resolved = resolveByPeerItWroteThrough(resolveByLostQuorum(resolveByUnacknowledged(resolveByDiscard(decided, peer, view), peer, volume, view), volume, view), peer, volume, view);
  if (resolved.kind === 'split-brain' && !owed && (view.flags.awaitsHolder || awaitsCrashHolder(peer, volume))) {
    act(peer, volume, pv, { kind: 'wait', rule: `${resolved.rule}; ${view.flags.awaitsHolder ? 'the peer waits' : 'waiting'} to hear a peer that may hold writes its crash lost first` });
    return;
  }
  act(peer, volume, pv, owed ? { kind: 'wait', rule: owed } : adjustForDiskStates(resolved, volume, view));
}

/** The peer's lineage and claim as the sync rules read them: on the wire, 0n means no claim. */
function peerLineage(view: VolumeView): { current: bigint; history: bigint[]; unacknowledgedSince: bigint | null } {
  return { current: view.current, history: view.history, unacknowledgedSince: view.unacknowledgedSince === 0n ? null : view.unacknowledgedSince };
}

/**
 * A split brain where one side acknowledged nothing since the two last shared data
 * (changedOnlyUnacknowledged): a Primary cut off from a peer started its new generation at its
 * next write, and those writes failed (demoted, or crashed, before any peer stored them); the
 * other side promoted meanwhile. That side becomes the bitmap SyncTarget, as with the lost-quorum
 * flag: its changes were never acknowledged. Both sides so: whichever keeps its data loses nothing
 * acknowledged; the lower node id keeps its own. Never for a side that is Primary now.
 */
function resolveByUnacknowledged(d: SyncDecision, peer: Peer, volume: Volume, view: VolumeView): SyncDecision {
  if (d.kind !== 'split-brain') return d;
  const meta = volume.meta!;
  const r = peer.resource;
  // a Primary serves its disk and cannot become a SyncTarget: with it, the operator decides (seed 20902)
  const local = r.role !== 'Primary' && changedOnlyUnacknowledged({ current: meta.current(), history: meta.history(), unacknowledgedSince: meta.unacknowledgedSince() }, view.bitmapForReceiver);
  const remote = peer.peerRole !== 'Primary' && changedOnlyUnacknowledged(peerLineage(view), meta.bitmapGeneration(peer.node.id));
  if (!local && !remote) return d;
  const keepLocal = local && remote ? r.local.id < peer.node.id : remote;
  const why = local && remote ? 'neither side acknowledged a write since they diverged' : local ? 'this node acknowledged no write since they diverged' : 'the peer acknowledged no write since they diverged';
  return keepLocal ? { kind: 'source', full: false, rule: `${d.rule}; ${why}` } : { kind: 'target', full: false, rule: `${d.rule}; ${why}` };
}

/**
 * A split brain where exactly one side lost quorum as Primary (DRBD's PRIMARY_LOST_QUORUM): what
 * it wrote after that was never acknowledged, and what it wrote before reached the peers it still
 * had; the other side's data wins, and the bits both keep for each other cover every difference.
 * Only against a side that descends from the generation the lost-quorum side left (the one its
 * current replaced): a node that never held it was none of the peers it still had, and lacks
 * what it acknowledged before (sim seed 30881: n1, promoted while n0 was down, wrote, lost
 * quorum; n0, back, was made its source and the acknowledged writes were resynced away).
 */
function resolveByLostQuorum(d: SyncDecision, volume: Volume, view: VolumeView): SyncDecision {
  if (d.kind !== 'split-brain') return d;
  const meta = volume.meta!;
  const ownClaim = meta.unacknowledgedSince();
  const local = meta.flags.primaryLostQuorum && descendsFrom(view.current, view.history, lastAcknowledged(meta.current(), meta.history(), ownClaim));
  const remote = view.flags.primaryLostQuorum && descendsFrom(meta.current(), meta.history(), lastAcknowledged(view.current, view.history, peerLineage(view).unacknowledgedSince));
  if (local && !view.flags.primaryLostQuorum) return { kind: 'target', full: false, rule: `${d.rule}; this node lost quorum as Primary, so nothing it wrote since was acknowledged` };
  if (remote && !meta.flags.primaryLostQuorum) return { kind: 'source', full: false, rule: `${d.rule}; the peer lost quorum as Primary, so nothing it wrote since was acknowledged` };
  return d;
}

/**
 * A split brain with a side that crashed as Primary, is not Primary now, and kept no bitmap id for
 * the other: it never noticed losing that peer, so on B or C every write it acknowledged waited
 * for that peer's copy (a write a peer missed is answered only in a newer generation that records
 * the peer as absent: write-pipeline.ts), and the peer's disk, which never lost its cache, holds
 * them all. What the crashed side changed that the peer lacks was never acknowledged: it becomes
 * the SyncTarget, in full (its writes in flight at the crash need no bits to be undone). Only if it
 * descends from the generation the peer last shared with it. Sim seed 8441029: the Primary n0 lost
 * n3 and started a generation, answered writes n1 (C) had stored, was cut off unnoticed and lost
 * power; n1, promoted from the older generation, met it as a split brain.
 */
function resolveByPeerItWroteThrough(d: SyncDecision, peer: Peer, volume: Volume, view: VolumeView): SyncDecision {
  if (d.kind !== 'split-brain' || peer.protocol === 'A') return d;
  const meta = volume.meta!;
  const local = peer.resource.role !== 'Primary' && meta.flags.crashedPrimary && meta.bitmapGeneration(peer.node.id) === 0n
    && !view.flags.diskCrashed && descendsFrom(meta.current(), meta.history(), view.bitmapForReceiver);
  const remote = peer.peerRole !== 'Primary' && view.flags.crashedPrimary && view.bitmapForReceiver === 0n
    && !meta.crashed && descendsFrom(view.current, view.history, meta.bitmapGeneration(peer.node.id));
  if (local === remote) return d;
  const why = local ? 'this node crashed as Primary while it wrote through the peer' : 'the peer crashed as Primary while it wrote through this node';
  return { kind: local ? 'target' : 'source', full: true, rule: `${d.rule}; ${why}, which holds every write it acknowledged` };
}

/**
 * The newest generation of a lost-quorum side's lineage that may hold writes it acknowledged:
 * the one before its claim of "nothing acknowledged since" (unacknowledgedSince), or without a
 * claim the one its current replaced (it loses quorum as it starts one: seed 20314 started three
 * after its last acknowledgement, one per lost peer, and claimed the later ones).
 */
function lastAcknowledged(current: bigint, history: readonly bigint[], claim: bigint | null): bigint | undefined {
  const lineage = [current, ...history];
  if (claim === null) return history[0];
  const at = lineage.findIndex((g) => sameGeneration(g, claim));
  return at < 0 ? history[0] : lineage[at + 1];
}

/** `ancestor` is this lineage's current generation or in its history. */
function descendsFrom(current: bigint, history: readonly bigint[], ancestor: bigint | undefined): boolean {
  if (ancestor === undefined || ancestor === 0n) return false;
  return sameGeneration(current, ancestor) || history.some((h) => sameGeneration(h, ancestor));
}

/** A split brain with exactly one Inconsistent side, not Primary: a resync to it (inconsistentSideTakes). */
function resolveByInconsistentSide(d: SyncDecision, peer: Peer, volume: Volume, view: VolumeView): SyncDecision {
  return inconsistentSideTakes(d, { diskState: volume.diskState, primary: peer.resource.role === 'Primary' }, { diskState: view.diskState, primary: peer.peerRole === 'Primary' });
}

/** A split brain where exactly one side volunteered to discard its data becomes a bitmap resync. */
function resolveByDiscard(d: SyncDecision, peer: Peer, view: VolumeView): SyncDecision {
  if (d.kind !== 'split-brain') return d;
  const local = peer.resource.discardMyData.has(view.volume);
  if (local && !view.flags.discardMyData) return { kind: 'target', full: false, byOperator: true, rule: `${d.rule}; local data discarded (connect --discard-my-data)` };
  if (view.flags.discardMyData && !local) return { kind: 'source', full: false, byOperator: true, rule: `${d.rule}; the peer discards its data (connect --discard-my-data)` };
  return d;
}

function decide(peer: Peer, volume: Volume, view: VolumeView): SyncDecision {
  const meta = volume.meta!;
  const r = peer.resource;
  const localKept = keptItsWrites({ diskState: volume.diskState, crashed: meta.crashed, readErrorsOnly: meta.flags.readErrorsOnly });
  const peerKept = keptItsWrites({ diskState: view.diskState, crashed: view.flags.diskCrashed, readErrorsOnly: view.flags.readErrorsOnly });
  return decideSync(
    { current: meta.current(), bitmapForPeer: meta.bitmapGeneration(peer.node.id), history: meta.history(), crashedPrimary: meta.flags.crashedPrimary, survivedPrimaryLoss: holdsAcknowledgedWrites(r, volume, peer), crashedPrimaryIntact: intactCrashedPrimary(volume), keptItsWrites: localKept },
    { current: view.current, bitmapForPeer: view.bitmapForReceiver, history: view.history, crashedPrimary: view.flags.crashedPrimary, survivedPrimaryLoss: view.flags.survivedPrimaryLoss, crashedPrimaryIntact: view.flags.crashedPrimaryIntact, keptItsWrites: peerKept },
    r.local.id < peer.node.id,
    peer.protocol,
  );
}

/** What the handshake does: a sync decision, or wait (no sync, link kept) until either side's data changes. */
type Decision = SyncDecision | { kind: 'wait'; rule: string; peerNewer?: boolean };

/**
 * Disk states can override generations: Inconsistent data never serves as a source. But an
 * Inconsistent disk whose generation is newer than the peer's (a SyncTarget whose source went
 * away) is not resynced from that older data either (DRBD: "I shall become SyncSource, but I am
 * inconsistent"): it waits for a node that holds its generation, or for the administrator.
 */
function adjustForDiskStates(d: SyncDecision, volume: Volume, view: VolumeView): Decision {
  const local = volume.diskState;
  const remote = view.diskState;
  if (d.kind === 'split-brain' || d.kind === 'unrelated') return d;
  if ((d.kind === 'source' || d.kind === 'target') && d.overOutdated) return d; // the Outdated side holds the generation (sync-decision.ts)
  // The operator kept one side of a split brain: the two generations are siblings, not one newer
  // than the other, and no node holds more of the kept side's than the kept node as far as the
  // operator is concerned. Waiting for "a node that holds it" waited for ever (sim seeds
  // 1545933801, 1950655883: the kept node had been outdated by 'tandem outdate' before).
  if ((d.kind === 'source' || d.kind === 'target') && d.byOperator) return d;
  if (local === 'Inconsistent' && remote === 'Inconsistent') return { kind: 'no-sync', rule: 'both Inconsistent: waiting for a primary --force' };
  const newer = !sameGeneration(volume.meta!.current(), view.current) && view.current !== UUID_JUST_CREATED && volume.meta!.current() !== UUID_JUST_CREATED;
  if ((local === 'Inconsistent' || local === 'Outdated') && d.kind === 'source' && newer) {
    return { kind: 'wait', rule: `local disk is ${local} and its generation is newer than the peer's (${d.rule}): waiting for a node that holds it` };
  }
  if (remote === 'Outdated' && d.kind === 'target' && newer) {
    return { kind: 'wait', rule: `the peer's disk is Outdated and its generation is newer (${d.rule}): waiting for a node that holds it` };
  }
  if (remote === 'Inconsistent' && d.kind === 'target' && newer) {
    return { kind: 'wait', rule: `the peer's disk is Inconsistent and its generation is newer (${d.rule}): waiting for a node that holds it`, peerNewer: true };
  }
  if ((local === 'UpToDate' || local === 'Consistent') && (remote === 'Inconsistent' || remote === 'Outdated') && d.kind !== 'source') {
    return { kind: 'source', full: remote === 'Inconsistent' && d.kind !== 'no-sync', rule: `peer is ${remote}` };
  }
  if ((local === 'Inconsistent' || local === 'Outdated') && (remote === 'UpToDate' || remote === 'Consistent') && d.kind !== 'target') {
    return { kind: 'target', full: local === 'Inconsistent' && d.kind !== 'no-sync', rule: `local disk is ${local}` };
  }
  return d;
}

function act(peer: Peer, volume: Volume, pv: PeerVolume, d: Decision): void {
  const r = peer.resource;
  const meta = volume.meta!;
  const view = pv.view!;
  r.log.info('handshake', { peer: peer.node.name, volume: volume.index, decision: d.kind, rule: d.rule });
  switch (d.kind) {
    case 'wait':
      pv.replicationState = 'Off'; // decided again when either side's State changes
      if (d.peerNewer) outdateBehind(peer, volume); // not for other waits: an Inconsistent peer is not newer by itself
      return;
    case 'no-sync':
      pv.replicationState = 'Established';
      if (volume.diskState === 'Consistent' && pv.view!.diskState === 'UpToDate' && sameGeneration(meta.current(), pv.view!.current)) {
        if (r.role !== 'Primary' && meta.outOfSyncBytes(peer.node.id) > 0) {
          // Back from a crash, its activity log marked blocks its lost disk cache may have held:
          // the generation is the peer's, the data there may not be. It stays Consistent (not a
          // promotion candidate) until a Primary resyncs those blocks (mergeAndResync).
          r.log.info('disk stays Consistent: blocks marked out of sync since the crash wait for a resync', { peer: peer.node.name, volume: volume.index, outOfSyncBytes: meta.outOfSyncBytes(peer.node.id) });
        } else {
          r.confirmUpToDate(volume, `same data generation as ${peer.node.name}, which is UpToDate`, pv.view!.current);
        }
      }
      forgetStaleBits(peer, volume, pv.view!);
      if (r.role === 'Primary') mergeAndResync(peer, volume, pv.view!.reconcile);
      else if (volume.diskState === 'Consistent') leadConsistentPeers(peer.resource, volume);
      else if (!reconcileSurvivor(peer, volume, pv)) resyncCrashMarked(peer, volume, pv.view!, pv); // both survived our Primary's loss: the leader resyncs
      return;
    case 'source':
      if (r.role !== 'Primary' && [...r.peers.values()].some((p) => p !== peer && p.connected && p.peerRole === 'Primary' && p.volumes.get(volume.index)?.peerDiskState === 'UpToDate')) {
        pv.replicationState = 'PausedSyncS'; // the Primary is the one to resync it (unless its disk cannot)
        return;
      }
      if (r.role !== 'Primary' && [...r.peers.values()].some((p) => p !== peer && p.connected && !p.volumes.get(volume.index)?.view)) {
        // a Secondary decides to be a source only once it has heard every connected peer: a Primary
        // among them resyncs the peer itself, and this node may turn out to be behind it
        pv.replicationState = 'Off';
        return;
      }
      if (volume.diskState === 'Consistent') {
        const holder = mayHoldWhatTheCrashLost(peer, volume);
        if (holder) {
          pv.replicationState = 'Off'; // decided again once that peer is heard (onPeerState)
          r.log.info('disk stays Consistent: a peer of its generation, not heard since the crash or disk failure (or UpToDate where this disk marked blocks since), may hold writes this disk lost', { peer: peer.node.name, volume: volume.index, waitingFor: holder.node.name });
          return;
        }
        r.confirmUpToDate(volume, `the handshake with ${peer.node.name} makes this node the SyncSource (${d.rule})`);
      } else if (volume.diskState === 'Outdated' && d.overOutdated) {
        // detached after its Primary was lost, before it noticed: it holds every write of the
        // generation, which the crashed Primary's cache may have lost
        r.confirmUpToDate(volume, `the handshake with ${peer.node.name}, a crashed Primary of this generation, makes this node the SyncSource (${d.rule})`, view.current);
      } else if (volume.diskState === 'Outdated' && d.byOperator) {
        // the operator resolved a split brain keeping this node's data: it is the resource's data
        // now, as after primary --force (an Outdated source would leave no UpToDate node at all)
        r.confirmUpToDate(volume, `the operator kept this node's data: ${peer.node.name} discards its own (${d.rule})`);
      }
      // The peer takes resync data from another node first: its bits are marked here only when this
      // resync really starts (the handshake after that one ends, or if it is cut short). Marked
      // now, a Primary, which never drops its bits as stale, would resync in full a peer that the
      // other source just made identical (a switchover during a full sync).
      if (view.flags.resyncPaused) { pauseForTarget(peer, volume, pv); return; }
      if (d.full) meta.markAllOutOfSync(peer.node.id);
      for (const range of pv.view?.reconcile ?? []) meta.markOutOfSync(peer.node.id, range.offset, range.length);
      // a source this node paused while another resynced it, and now behind it: no longer paused
      // (our State says so), or the resync never starts and both sides wait for ever
      if (pv.replicationState === 'PausedSyncT') pv.replicationState = 'Off';
      peer.startResync(volume);
      return;
    case 'target':
      // a Primary may take resync data only into a disk it does not serve from (re-attached after a failure)
      if (r.role === 'Primary' && volume.usable) { peer.refuse(`this node is Primary and would have to become SyncTarget of ${peer.node.name} (${d.rule})`); return; }
      if (r.syncingFromAnother(volume, peer)) { peer.pauseAsSource(volume.index); return; } // one source at a time (our State tells it)
      if (replicatesFromPrimary(peer, volume)) { peer.pauseAsSource(volume.index); return; }
      if (d.full) meta.markAllOutOfSync(peer.node.id); // reported in our State: the source sends every block
      r.becomeSyncTarget(peer, volume);
      return;
    case 'split-brain':
      r.emit('split-brain', { peer: peer.node.name, volume: volume.index, autoRecoverable: d.autoRecoverable, localOutOfSyncBytes: meta.outOfSyncBytes(peer.node.id), peerOutOfSyncBytes: pv.view!.outOfSyncBits * 4096, rule: d.rule });
      peer.refuse(`split brain detected on volume ${volume.index} (${d.rule}); keep one node's data: run 'tandem split-brain resolve ${r.name} --keep <node>' on each node `
        + `(or, on the node whose writes are discarded, 'tandem secondary ${r.name}' and 'tandem connect ${r.name} --discard-my-data')`);
      return;
    case 'unrelated':
      peer.refuse(`no common data generation on volume ${volume.index}: ${describeGenerations(meta, pv.view!, peer)}. `
        + 'These nodes never shared data, or their metadata was re-created; check which node holds the data to keep before any full sync (tandem md show)');
      return;
  }
}

/**
 * Every diskful node of the volume is Consistent in one generation, none is Primary, none crashed
 * as one, and all are connected: the cluster restarted as a whole (power loss) with no Primary
 * running. No node's data is better than another's, and each may have lost its disk cache in its
 * activity-log extents. Without a rule nobody could ever be promoted (Pacemaker promotes only an
 * UpToDate node). The lowest node id becomes UpToDate and resyncs to each peer the blocks either
 * side marked, so they end identical; the others wait for that resync.
 */
function leadConsistentPeers(r: Resource, volume: Volume): void {
  const meta = volume.meta;
  if (!meta || r.role === 'Primary' || volume.diskState !== 'Consistent' || meta.flags.crashedPrimary) return;
  const peers: Peer[] = [];
  for (const p of r.peers.values()) {
    if (!p.node.volumes.find((v) => v.index === volume.index)?.disk) continue; // a diskless client
    const pv = p.volumes.get(volume.index);
    const view = pv?.view;
    if (!p.connected || !view || pv.replicationState !== 'Established' || p.peerRole === 'Primary' || p.node.id < r.local.id) return;
    if (view.diskState !== 'Consistent' || view.flags.crashedPrimary || !sameGeneration(view.current, meta.current())) return;
    peers.push(p);
  }
  if (peers.length === 0) return;
  r.confirmUpToDate(volume, 'every diskful node is Consistent in one generation and none is Primary: the lowest node id is the source');
  for (const p of peers) mergeAndResync(p, volume, p.volumes.get(volume.index)!.view!.reconcile);
}

/**
 * A Secondary that replicates from an UpToDate Primary takes a newer generation from that Primary
 * (its State, or its resync if this node is behind it), never from another Secondary: the other
 * Secondary may only have heard of the Primary's new generation first (a slow link to the Primary),
 * and a resync from it would throw away a disk that is in sync. The mirror of the source side's
 * rule ('the Primary is the one to resync it'); the paused link decides again on the next State.
 */
export function replicatesFromPrimary(peer: Peer, volume: Volume): boolean {
  for (const p of peer.resource.peers.values()) {
    if (p === peer || !p.connected || p.peerRole !== 'Primary') continue;
    const pv = p.volumes.get(volume.index);
    if (pv?.peerDiskState === 'UpToDate' && (pv.replicationState === 'Established' || pv.replicationState === 'SyncTarget')) return true;
  }
  return false;
}

/**
 * Back from a crash, this disk's cache may have lost writes it had acknowledged or received; a
 * disk that failed (DISK_FAILED) may lack writes it could not store, which the Primary then
 * acknowledged through other peers of this generation. Being the source of a peer in an older
 * generation shows only that this data is newer than that peer's, and being the source of a
 * crashed peer in ours (the crashed-Primary rule) that the peer's copy is no better: a diskful
 * peer that shared our generation (no bitmap id kept for it), with a B or C connection (to us, or
 * to whichever node was Primary), may hold writes this disk lost, and it has not been heard since. It decides first (the handshake with it makes
 * this node UpToDate or its target); until then this node is no source, or the target would take
 * the lost blocks for current, and neither is it a promotion candidate (seeds 20279, 200: a
 * crashed Primary confirmed UpToDate by an older peer, promoted without the writes its Secondary
 * held). A peer connected with its disk detached is not heard: the writes are on that disk.
 */
function mayHoldWhatTheCrashLost(target: Peer, volume: Volume): Peer | undefined {
  const meta = volume.meta!;
  if (!meta.crashed && !meta.flags.diskFailed) return undefined;
  // a crashed Primary whose process alone went down lost nothing it wrote, and it acknowledged
  // nothing it had not written (restart.ts); a Secondary back so waits as before (kept
  // conservative: since its RecvAck follows the write's issue it too holds all it acknowledged)
  if (volume.intactRestart !== null && meta.flags.crashedPrimary && !meta.flags.diskFailed) return undefined;
  return [...target.resource.peers.values()].find((p) => p !== target && p.diskful && meta.bitmapGeneration(p.node.id) === 0n
    && ((mayHoldAcknowledgedWrites(p) && !heardWithDisk(p, volume)) || leftUsConsistent(p, volume)));
}

/**
 * Consistent after a crash, this node waits to hear a peer that may hold writes its crash lost
 * (mayHoldWhatTheCrashLost) before `target` may take its data: a split brain with `target` is not
 * final before then either. That peer decides first (it may make this node its SyncTarget, and
 * its generation is then ours), and both sides wait meanwhile instead of refusing (its State tells
 * `target` so: awaitsHolder). Sim seed 8441029: a crashed Primary met the nodes it had lost, or
 * wrote to on A, before the one on C it had written through, and reported split brains with them.
 */
export function awaitsCrashHolder(target: Peer, volume: Volume): boolean {
  return !!volume.meta && volume.diskState === 'Consistent' && target.resource.role !== 'Primary' && mayHoldWhatTheCrashLost(target, volume) !== undefined;
}

/** The connected peers other than `from` whose last State from us may have said awaitsHolder. */
function awaitingPeers(r: Resource, from: Peer): Peer[] {
  if (!r.volumes.some((v) => v.diskState === 'Consistent')) return []; // the common case, cheaply
  return [...r.peers.values()].filter((p) => p !== from && p.connected && r.volumes.some((v) => awaitsCrashHolder(p, v)));
}

/** The peer's State came since it connected, from an attached disk: a detached peer's data says nothing (seed 20873). */
function heardWithDisk(peer: Peer, volume: Volume): boolean {
  const view = peer.connected ? peer.volumes.get(volume.index)?.view : undefined;
  return !!view && hasDisk(view.diskState as DiskState);
}

/**
 * Heard, but it decided nothing for us: UpToDate in our generation, while we keep bits for it
 * since the crash (the handshake's no-sync left this disk Consistent). It holds the data there
 * that this disk may have lost, and it resyncs those blocks to us (resyncCrashMarked), so this
 * disk is no source before that either (sim seed 20955: a survivor that lost power after its
 * Primary, confirmed by being the source of an older peer, handed it the blocks its cache had
 * lost, and the bits between it and the UpToDate survivors were then dropped as stale). Not for a
 * crashed Primary (the crashed-Primary rule decides between it and such a peer, never no-sync),
 * nor for a disk back from a process crash (it lost nothing: restart.ts).
 */
function leftUsConsistent(p: Peer, volume: Volume): boolean {
  const meta = volume.meta!;
  const view = p.volumes.get(volume.index)?.view;
  return !meta.flags.crashedPrimary && volume.intactRestart === null && p.connected && view !== null && view !== undefined && view.diskState === 'UpToDate'
    && sameGeneration(view.current, meta.current()) && meta.outOfSyncBytes(p.node.id) > 0;
}

/**
 * A peer back from a crash, Consistent in our generation, reports blocks it marked since (its
 * activity log, its bits for us): it stays Consistent, and no source (leftUsConsistent), until
 * someone resyncs them. A Primary does (mergeAndResync); without one, an UpToDate Secondary of
 * that generation does, or the blocks would wait for a promotion, and an older peer that only this
 * node can resync with them (a peer's newer data may be its only copy) would wait with them (sim
 * seed 20929: a target left waiting for a source that deferred).
 */
function resyncCrashMarked(peer: Peer, volume: Volume, view: VolumeView, pv: PeerVolume): void {
  const r = peer.resource;
  const meta = volume.meta;
  if (!meta || r.role === 'Primary' || volume.diskState !== 'UpToDate' || view.diskState !== 'Consistent') return;
  if (view.flags.crashedPrimary || view.flags.survivedPrimaryLoss) return; // its own rules weigh it (sync-decision.ts, survivors.ts)
  if (!sameGeneration(meta.current(), view.current) || view.reconcile.length === 0) return;
  if (pv.replicationState !== 'Established' || pv.resync || pv.syncEnding) return;
  if ([...r.peers.values()].some((p) => p.connected && p.peerRole === 'Primary')) return; // the Primary resyncs it
  r.log.info('resyncing the blocks a Consistent peer marked since its crash (no Primary to do it)', { peer: peer.node.name, volume: volume.index });
  mergeAndResync(peer, volume, view.reconcile);
}

/**
 * A fellow Secondary, UpToDate in a generation that descends from ours, while no Primary reaches
 * us: it followed a Primary we lost, whose writes since are there only (sim seed 30489: promoted,
 * this node resynced its older blocks over them). With a Primary connected we follow that one:
 * the fellow's State may just have overtaken the Primary's. Not when the fellow claims nothing was
 * acknowledged since our generation (its Primary lost quorum, say): we lack nothing anyone was
 * promised, and outdating ourselves would take a majority's candidates away for a minority's
 * unanswered writes (seed 30438: three of five nodes outdated themselves).
 */
function behindFellow(peer: Peer, volume: Volume, view: VolumeView, pv: PeerVolume): boolean {
  const r = peer.resource;
  if (r.role === 'Primary' || peer.peerRole === 'Primary' || pv.replicationState !== 'Established' || pv.resync || pv.syncEnding) return false;
  if (!holdsNewerData(volume, view)) return false;
  return ![...r.peers.values()].some((p) => p.connected && p.peerRole === 'Primary');
}

/**
 * Both UpToDate, and the peer's generation descends from ours and may hold an acknowledged write
 * we lack: our data is behind it. A promotion is refused then (resource.ts), even before the
 * behind-fellow check above outdates this node a ping timeout later (sim seed 30555).
 */
export function holdsNewerData(volume: Volume, view: VolumeView): boolean {
  const meta = volume.meta;
  if (!meta || volume.diskState !== 'UpToDate' || view.diskState !== 'UpToDate') return false;
  if (sameGeneration(view.current, meta.current()) || !view.history.some((g) => sameGeneration(g, meta.current()))) return false;
  return !changedOnlyUnacknowledged(peerLineage(view), meta.current());
}

/**
 * Acted on a ping timeout later, if it still holds: the fellow may have followed a Primary just
 * promoted, whose State to us is still on its way on another link (sim seed 20390: a node
 * outdated itself and dropped its link one State before it learned of the new Primary).
 */
function checkBehindLater(peer: Peer, volume: Volume, pv: PeerVolume): void {
  if (pv.behindCheck) return;
  const r = peer.resource;
  pv.behindCheck = r.platform.clock.setTimer(r.config.pingTimeoutMs, () => r.guard(() => {
    pv.behindCheck = null;
    if (peer.connected && pv.view && volume.meta && behindFellow(peer, volume, pv.view, pv)) catchUpWithFellow(peer, volume);
  }));
}

/**
 * Behind a fellow: Outdated (no promotion candidate), and the link to it starts again, so the
 * handshake of a new connection makes this node its SyncTarget (DRBD resyncs after a Primary's
 * loss too). Deciding again on this link instead crossed decisions both sides had made on older
 * States (the reverted s11-stable: each ended SyncSource of the other).
 */
function catchUpWithFellow(peer: Peer, volume: Volume): void {
  outdateBehind(peer, volume);
  peer.reconnectToDecideAgain(volume.index, `behind ${peer.node.name}'s newer generation, with no Primary`);
}

/**
 * A peer holds a newer generation (it is Inconsistent only because its resync was cut short):
 * this node's data is known to be behind, so it is Outdated, and no longer a candidate for
 * promotion without --force, until a node with the newer data resyncs it.
 */
function outdateBehind(peer: Peer, volume: Volume): void {
  const r = peer.resource;
  if (r.role === 'Primary' || (volume.diskState !== 'UpToDate' && volume.diskState !== 'Consistent')) return;
  volume.meta!.setFlags({ consistent: true, wasUpToDate: false });
  volume.diskState = 'Outdated';
  r.log.warn('disk outdated: a peer holds a newer data generation', { peer: peer.node.name, volume: volume.index });
  r.emit('disk', { volume: volume.index, diskState: 'Outdated', reason: `${peer.node.name} holds a newer data generation` });
  for (const p of r.peers.values()) if (p !== peer) p.sendState();
}

function describeGenerations(meta: NonNullable<Volume['meta']>, view: VolumeView, peer: Peer): string {
  const hex = (g: bigint): string => g.toString(16);
  return `local current ${hex(meta.current())}, history [${meta.history().map(hex).join(' ')}], bitmap for ${peer.node.name} ${hex(meta.bitmapGeneration(peer.node.id))}; `
    + `${peer.node.name} current ${hex(view.current)}, history [${view.history.map(hex).join(' ')}], bitmap for us ${hex(view.bitmapForReceiver)}`;
}

/**
 * Both UpToDate in the same generation: whatever bits this node still keeps for the peer are stale
 * (another node resynced it meanwhile, say), and its bitmap generation is retired. The peer's
 * State lists its own bits for us among `reconcile` too: those are its to drop, so only a
 * survivor's ranges of a lost Primary (survivedPrimaryLoss, on either side) keep ours.
 */
function forgetStaleBits(peer: Peer, volume: Volume, view: VolumeView): void {
  const meta = volume.meta!;
  if (volume.diskState !== 'UpToDate' || view.diskState !== 'UpToDate' || !sameGeneration(meta.current(), view.current)) return;
  // ranges to reconcile are not stale, ours (marked when we lost our Primary, survivors.ts) or the peer's
  if (peer.resource.role === 'Primary' || view.flags.survivedPrimaryLoss || peer.resource.reconcileRanges.has(volume.index)) return;
  if (meta.outOfSyncBytes(peer.node.id) === 0 && meta.bitmapGeneration(peer.node.id) === 0n) return;
  const lackedElsewhere = bitsItsDataMayLack(peer, volume, view);
  const before = meta.outOfSyncBytes(peer.node.id);
  const retired = meta.bitmapGeneration(peer.node.id) !== 0n;
  let from = 0;
  for (const range of lackedElsewhere) {
    if (range.offset > from) meta.markInSync(peer.node.id, from, range.offset - from);
    from = Math.max(from, range.offset + range.length);
  }
  if (from < meta.sizeBytes) meta.markInSync(peer.node.id, from, meta.sizeBytes - from);
  if (!retired && meta.outOfSyncBytes(peer.node.id) === before) return; // all of it kept, as before
  meta.setBitmapGeneration(peer.node.id, 0n); // what is kept lies in our generation, which the peer shares
  peer.resource.log.info('stale out-of-sync bits dropped: same generation, both UpToDate', { peer: peer.node.name, volume: volume.index, keptBytes: meta.outOfSyncBytes(peer.node.id) });
}

/**
 * Where our bits for the peer may be right after all. Once, when we see its resync end: where we
 * keep bits for the node that resynced it (its data is that node's). Otherwise, or that node not
 * a diskful peer of ours (us, say: our bits for it were set since), where we keep bits for any
 * other diskful peer. Knowing the source matters with three or more Secondaries: after an initial
 * sync each keeps bits for the other two, and by the fallback each of those bits protected the
 * other for ever (test/recovery/initial-sync-four-nodes: never reported in sync, and the next
 * Primary would have resynced the whole disk to them).
 */
function bitsItsDataMayLack(peer: Peer, volume: Volume, view: VolumeView): Array<{ offset: number; length: number }> {
  const pv = peer.volumes.get(volume.index)!;
  const source = view.resyncedFrom - 1;
  const sourcePeer = [...peer.resource.peers.values()].find((p) => p.node.id === source);
  if (!pv.resyncEndUnapplied || !sourcePeer?.diskful) return bitsForOthers(peer, volume);
  pv.resyncEndUnapplied = false;
  return volume.meta!.outOfSyncRanges(source, 4096);
}

/**
 * This State reports the end of the peer's resync: UpToDate now, naming its source, after a State
 * on this link that said otherwise. Only then: bits marked for the peer since (a write of the
 * Primary it missed, say) are not stale by its source, and a reconnect's first
 * State says nothing of when its resync ended.
 */
function resyncEnded(previous: VolumeView | null, view: VolumeView): boolean {
  return previous !== null && view.resyncedFrom !== 0 && (previous.diskState !== 'UpToDate' || previous.resyncedFrom !== view.resyncedFrom);
}

/**
 * Our bits for the other diskful peers, in order. "Another node resynced it" holds only where that
 * node had the blocks: where we know another peer lacks them too, it may have been the peer's
 * source and passed on its older data (seed 1832255145: the old Primary knew both Secondaries
 * missed its last writes, and one resynced the other). Those bits are kept (merged neighbours: a
 * superset, the safe direction).
 */
function bitsForOthers(peer: Peer, volume: Volume): Array<{ offset: number; length: number }> {
  const meta = volume.meta!;
  const out: Array<{ offset: number; length: number }> = [];
  for (const other of peer.resource.peers.values()) {
    if (other !== peer && other.diskful) out.push(...meta.outOfSyncRanges(other.node.id, 4096));
  }
  return out.sort((x, y) => x.offset - y.offset);
}

/** As Primary (or a source without one): the peer's reported ranges join our bits for it, then resync. */
function mergeAndResync(peer: Peer, volume: Volume, ranges: Array<{ offset: number; length: number }>): void {
  const meta = volume.meta;
  if (!meta || volume.diskState !== 'UpToDate') return;
  for (const range of ranges) meta.markOutOfSync(peer.node.id, range.offset, range.length);
  if (meta.outOfSyncBytes(peer.node.id) > 0) peer.startResync(volume);
}

/**
 * While Established: follow the Primary's new data generations; as Primary, resync what a peer
 * reports it may lack. A peer that lost its data (invalidate) or attached again reconnects or
 * re-runs the handshake; a stale State of a SyncTarget that has not yet seen our ResyncDone says
 * Inconsistent and must not start the resync again.
 */
function followPeer(peer: Peer, volume: Volume, view: VolumeView, pv: PeerVolume): void {
  const meta = volume.meta;
  if (!meta) return;
  const r = peer.resource;
  if (missedDisklessWrites(peer, volume, view)) outdateBehind(peer, volume);
  if (behindFellow(peer, volume, view, pv)) checkBehindLater(peer, volume, pv);
  if (peer.peerRole === 'Primary' && volume.diskState === 'UpToDate' && followsPrimary(meta, view)) {
    meta.followCurrent(view.current, `following ${peer.node.name}, the Primary${view.diskState === 'Diskless' ? ' (diskless)' : ''}`);
    if (view.diskState === 'Diskless') for (const p of r.peers.values()) p.sendState();
  }
  if (peer.peerRole === 'Primary' && pv.replicationState === 'Established') endReconciledSurvival(peer, volume);
  if (peer.peerRole === 'Primary' && pv.replicationState === 'Established') endCrashedPrimary(peer, volume, view);
  // a peer that became UpToDate while Established (its resync from another node ended, or it was
  // confirmed after a crash) in our generation: bits we kept for it are stale, as at a handshake
  if (pv.replicationState === 'Established' && !pv.resync && !pv.syncEnding) {
    forgetStaleBits(peer, volume, view);
    // as at a handshake: Consistent, the peer UpToDate in our generation, nothing marked between us
    if (volume.diskState === 'Consistent' && view.diskState === 'UpToDate' && sameGeneration(meta.current(), view.current) && meta.outOfSyncBytes(peer.node.id) === 0) {
      r.confirmUpToDate(volume, `same data generation as ${peer.node.name}, which became UpToDate`, view.current);
    }
  }
  if (r.role !== 'Primary' && reconcileSurvivor(peer, volume, pv)) return; // fellow survivors of a lost Primary
  resyncCrashMarked(peer, volume, view, pv);
  if (r.role !== 'Primary' || !hasDisk(view.diskState as DiskState) || pv.replicationState !== 'Established' || pv.resync || pv.syncEnding) return;
  const olderConsistent = view.diskState === 'Consistent' && !sameGeneration(meta.current(), view.current);
  if (volume.diskState === 'UpToDate' && (view.diskState === 'Inconsistent' || view.diskState === 'Outdated' || olderConsistent)) {
    // behind while Established (the first sync after primary --force, say; or a SyncTarget of
    // another node, Consistent again as that source went away before sending anything, whose
    // generation is older than ours: sim seed 1075860107): decide as on a new connection
    pv.replicationState = 'Off';
    handshakeVolume(peer, volume.index, pv);
    return;
  }
  const idle = !pv.resync;
  mergeAndResync(peer, volume, view.reconcile);
  if (idle && pv.resync && view.flags.survivedPrimaryLoss && !pv.reconciled) lateSurvivorReconciled(peer, volume, pv);
}

/**
 * A Secondary that noticed the loss of its old Primary only now (its link to it was half open)
 * reports the ranges it may hold differently; we, the new Primary, may have resynced it already,
 * without them. This resync is a new one on the link, once: those blocks may differ (survivors.ts).
 */
function lateSurvivorReconciled(peer: Peer, volume: Volume, pv: PeerVolume): void {
  pv.reconciled = true;
  peer.resource.log.info('reconciling the ranges a survivor of the old Primary reported', { peer: peer.node.name, volume: volume.index });
  peer.resource.emit('reconcile', { peer: peer.node.name, volume: volume.index });
}

/**
 * A survivor whose ranges a fellow survivor reconciled keeps its flag only to weigh as one against
 * the crashed Primary (survivors.ts); a new Primary we replicate from carries the data from here on
 * (its promotion started a new generation if the old one was away). The flag would otherwise keep
 * every bit for or from us from ever being dropped as stale.
 */
function endReconciledSurvival(primary: Peer, volume: Volume): void {
  const r = primary.resource;
  if (r.reconcileRanges.get(volume.index)?.length !== 0) return;
  // bits we hold for the Primary (another survivor led us, and a block differs from its copy) go
  // in our State first: it resyncs them, and that ends the flag (finishResyncAsTarget). A diskless
  // Primary has no bitmap slot here: asking for one failed every State it sent (TANDEM_E_META_SPACE)
  if ((primary.bitmapOf(volume)?.outOfSyncBytes(primary.node.id) ?? 0) > 0) return;
  r.reconcileRanges.delete(volume.index);
  for (const p of r.peers.values()) p.sendState();
}

/**
 * The crashed-Primary flag weighs this node as the last writer of its generation (rule 1 of the
 * handshake). Established with a Primary in that generation, UpToDate, it no longer is: that
 * Primary was promoted while we were Established with it (or it would have started a new
 * generation), so it holds what our crash left, and it writes the generation now. Kept, the flag
 * would outweigh that Primary's own after both crashed ("both crashed, lower node id wins") and
 * hand its acknowledged writes to our older copy. DRBD clears the flag as soon as this node and one
 * peer are both UpToDate; here that would be too early: equal generations drop a peer's bits as
 * stale (forgetStaleBits), so a third node we have not yet resynced would never get the writes our
 * crash may have left only with us. A resync as target or a promotion clears it too.
 */
function endCrashedPrimary(primary: Peer, volume: Volume, view: VolumeView): void {
  const meta = volume.meta;
  if (!meta?.flags.crashedPrimary || volume.diskState !== 'UpToDate' || !sameGeneration(meta.current(), view.current)) return;
  meta.setFlags({ crashedPrimary: false });
  primary.resource.log.info('crashed-Primary flag cleared: a Primary writes this generation now', { peer: primary.node.name, volume: volume.index });
  for (const p of primary.resource.peers.values()) p.sendState(); // our State carries the flag
}

/**
 * A diskless Primary in a newer generation says its writes there miss us (bitmapForReceiver, see
 * disklessBitmapFor in peer.ts): we are behind, and only its diskful peers can resync us. Newer
 * means descended from ours: a Primary whose lineage left ours (a split brain: a takeover forced
 * on it, whose disk failed since) says the same of us, but we hold writes it never had, maybe the
 * only copy of acknowledged ones. Outdated for it, this node was refused as the data to keep once
 * the operator chose it (sim seed 483220267).
 */
function missedDisklessWrites(peer: Peer, volume: Volume, view: VolumeView): boolean {
  const meta = volume.meta;
  return peer.peerRole === 'Primary' && !hasDisk(view.diskState as DiskState) && view.bitmapForReceiver !== 0n
    && meta !== null && !sameGeneration(view.current, meta.current()) && view.history.some((g) => sameGeneration(g, meta.current()));
}

/**
 * A Primary's new generation is followed only by the nodes it writes to: those whose current
 * generation is the one it replaced. A node that missed writes keeps its older generation (the
 * others hold its bitmap and resync it), and a diskless node's "no generation" (0) is never taken.
 */
function followsPrimary(meta: NonNullable<Volume['meta']>, view: VolumeView): boolean {
  if (view.current === 0n || sameGeneration(view.current, meta.current())) return false;
  return view.history.length > 0 && sameGeneration(view.history[0], meta.current());
}

/** This node's disk just became UpToDate: bits it kept for peers already UpToDate in its generation are stale. */
export function dropStaleBits(peers: Iterable<Peer>, volume: Volume): void {
  for (const peer of peers) {
    const pv = peer.volumes.get(volume.index);
    if (peer.connected && pv?.view && pv.replicationState === 'Established' && !pv.resync && !pv.syncEnding) forgetStaleBits(peer, volume, pv.view);
  }
}

/** After a local change (promotion, a lost peer): look again at every volume of every connected peer. */
export function reevaluatePeers(peers: Iterable<Peer>): void {
  for (const peer of peers) {
    if (!peer.connected) continue;
    for (const [index, pv] of peer.volumes) {
      if (!pv.view) continue;
      if (pv.replicationState === 'PausedSyncS') pv.replicationState = 'Off';
      // a paused target decides again too: the source it waited for may be gone
      if (pv.replicationState === 'Off' || pv.replicationState === 'PausedSyncT' || pv.replicationState === 'Established' || pv.replicationState === 'SyncSource') handshakeVolume(peer, index, pv);
    }
  }
}
