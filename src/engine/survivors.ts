// The survivors of a lost Primary reconcile among themselves (DRBD 9's reconciliation resync).
//
// A Primary that vanishes leaves its last writes on some Secondaries only: each got a prefix of
// its write stream (one FIFO link each), and they may stay Established with each other in one
// generation while differing there. DRBD 9 has each Secondary set the writes it got but never saw
// peer-acknowledged out of sync toward every other peer (cleanup_unacked_peer_requests), and the
// survivors exchange how far into the lost Primary's stream they got (P_PEER_DAGTAG): the one
// further along resyncs the union of both sides' bits to the other.
//
// Here, what may differ: every write a survivor holds that another may lack was not yet stored by
// every peer when the Primary died, so it still pinned the Primary's activity log (a write pins
// its AL extents until every peer settled it, protocol A included: write-pipeline.ts). Those
// writes are the most recent ones each survivor applied, over at most al-extents extents, so they
// lie in the survivor's own AL (an LRU of as many extents). Each survivor therefore marks its AL
// extents out of sync toward every other diskful peer when it loses its Primary (bounded: one
// range per AL extent, kept in Resource.reconcileRanges), plus any write of the lost link applied
// after that (ApplyQueue.abandon applies the writes that had arrived).
//
// Who is the source: no one may lose an acknowledged write. A survivor on protocol B or C to the
// lost Primary holds every write the Primary acknowledged (the answer waited for its ack; a B
// survivor applies what had arrived); one on protocol A may lack some. So a B/C survivor leads an
// A survivor. Between two B/C survivors the one further into the Primary's write stream leads
// (each State tells the seq of the last write received from it, as DRBD's P_PEER_DAGTAG does),
// then the lower node id: the result is the leader's prefix of the stream, a state the Primary's
// disk went through. Further, not merely either: a Primary that lost one link long before the
// other (a silent partition) is not gone, and it answers the writes the later one stored once it
// has dealt with the earlier loss (fenced that peer): the shorter prefix would overwrite them
// (seed 609923646). Between two A survivors neither is known to hold more, and this protocol carries no
// stream position to tell (DRBD's dagtag): they do not reconcile by themselves; their bits for
// each other stay (honest: the blocks may differ), and whichever is promoted resyncs them
// (Resource.reconcileAfterPrimaryLoss), as before. One leader per group: a survivor that sees a
// better one connected leaves the reconciling to it, so no node takes data from two sources that
// may differ (a follower resynced from a non-leader would keep its writes after the leader
// overwrote them on the non-leader, with no bits between them).
import { connectionProtocol } from '../config/connections.js';
import type { Peer, PeerVolume } from './peer.js';
import type { Resource } from './resource.js';
import { sameGeneration } from './sync-decision.js';
import type { Volume } from './volume.js';

/**
 * Our Primary's link broke while we are Secondary: keep our AL extents as ranges to reconcile,
 * mark them out of sync toward every other diskful peer (they may differ from us there), and tell
 * the connected ones (our State says survivedPrimaryLoss and lists the ranges).
 */
export function survivedPrimaryLoss(r: Resource, lost: Peer): void {
  r.reconcileFrom = lost.node.id;
  r.reconcileSeq = lost.lastWriteSeq;
  let kept = false;
  for (const v of r.volumes) {
    // only a disk in sync with that Primary when it vanished holds what it acknowledged: one
    // back from its own crash, still waiting for its resync, survived nothing (sim seed 20359)
    if (!v.meta || v.diskState !== 'UpToDate') continue;
    kept = true;
    const ranges = v.meta.activeExtents();
    r.reconcileRanges.set(v.index, ranges);
    for (const other of r.peers.values()) {
      if (other === lost || !other.diskful) continue;
      for (const range of ranges) v.meta.markOutOfSync(other.node.id, range.offset, range.length);
    }
  }
  // a node with no disk attached keeps no ranges: its State says nothing new, and an extra
  // message would only shift when the others' messages arrive
  if (!kept) return;
  for (const other of r.peers.values()) if (other !== lost) other.sendState();
}

/**
 * A write of the lost Primary's link applied after the loss (it had arrived): its blocks may
 * differ from the other survivors' too. Its extent is normally among the ranges already.
 */
export function lateWriteOfLostPrimary(from: Peer, volume: Volume, offset: number, length: number): void {
  const r = from.resource;
  const ranges = r.reconcileRanges.get(volume.index);
  if (!volume.meta || !ranges || r.reconcileFrom !== from.node.id) return;
  for (const other of r.peers.values()) if (other !== from && other.diskful) volume.meta.markOutOfSync(other.node.id, offset, length);
  if (ranges.some((x) => x.offset <= offset && offset + length <= x.offset + x.length)) return;
  ranges.push({ offset, length });
  for (const other of r.peers.values()) if (other !== from) other.sendState(); // a leader merges the ranges our State lists
}

/** Does node a lead node b in reconciling the writes of lost Primary `lost` (see the header)? */
function leads(r: Resource, volume: Volume, lost: number, a: number, b: number): boolean {
  const sa = holdsAcknowledged(r, lost, a);
  const sb = holdsAcknowledged(r, lost, b);
  if (sa !== sb) return sa;
  const pa = streamPosition(r, volume, a);
  const pb = streamPosition(r, volume, b);
  // 0: not told yet (its State saying it lost the Primary may be on its way), or no write received
  if (pa !== pb && pa > 0 && pb > 0) return pa > pb;
  return a < b;
}

/** How far into the lost Primary's write stream node `id` got (ours, or as its last State said). */
function streamPosition(r: Resource, volume: Volume, id: number): number {
  if (id === r.local.id) return r.reconcileSeq;
  return r.peers.get(id)?.volumes.get(volume.index)?.view?.reconcileSeq ?? 0;
}

/** A survivor on protocol B or C to the lost Primary holds every write it acknowledged. */
function holdsAcknowledged(r: Resource, lost: number, node: number): boolean {
  const name = (id: number): string | undefined => r.config.nodes.find((n) => n.id === id)?.name;
  const a = name(lost);
  const b = name(node);
  return a !== undefined && b !== undefined && connectionProtocol(r.config, a, b) !== 'A';
}

/** A peer that also lost its Primary and still has ranges to reconcile, in our generation, UpToDate. */
function unreconciledSurvivor(peer: Peer, volume: Volume): boolean {
  return fellowSecondary(peer, volume) && peer.volumes.get(volume.index)!.view!.flags.survivedPrimaryLoss;
}

/** A connected Secondary UpToDate in our generation: a survivor of our Primary, or about to say it is one. */
function fellowSecondary(peer: Peer, volume: Volume): boolean {
  const view = peer.volumes.get(volume.index)?.view;
  return peer.connected && peer.peerRole !== 'Primary' && view !== null && view !== undefined
    && view.diskState === 'UpToDate' && volume.meta !== null && sameGeneration(volume.meta.current(), view.current);
}

/**
 * While Established with a peer (or at a handshake that found no sync needed): if both of us lost
 * our Primary and we lead, resync the union of both sides' ranges to it. True if a resync started.
 */
export function reconcileSurvivor(peer: Peer, volume: Volume, pv: PeerVolume): boolean {
  const r = peer.resource;
  const lost = r.reconcileFrom;
  const meta = volume.meta;
  const own = r.reconcileRanges.get(volume.index);
  if (!meta || !own || lost === null || r.role === 'Primary' || volume.diskState !== 'UpToDate') return false;
  if (pv.replicationState !== 'Established' || pv.resync || pv.syncEnding || pv.reconciled || !unreconciledSurvivor(peer, volume)) return false;
  if ([...r.peers.values()].some((p) => p.connected && p.peerRole === 'Primary')) return false; // a Primary reconciles (mergeAndResync)
  if ([...r.peers.values()].some((p) => p.connected && p.diskful && !p.volumes.get(volume.index)?.view)) return false; // heard every survivor first
  if (!holdsAcknowledged(r, lost, r.local.id) && !holdsAcknowledged(r, lost, peer.node.id)) return false; // A and A: see the header
  if (!leads(r, volume, lost, r.local.id, peer.node.id)) return false;
  // the better one leads, also one whose State saying it lost the Primary too may still be on its
  // way (both noticed at once): two leaders could hand a third node data that differs
  for (const other of r.peers.values()) {
    if (other !== peer && fellowSecondary(other, volume) && leads(r, volume, lost, other.node.id, r.local.id)) return false;
  }
  for (const range of own) meta.markOutOfSync(peer.node.id, range.offset, range.length);
  for (const range of pv.view?.reconcile ?? []) meta.markOutOfSync(peer.node.id, range.offset, range.length);
  pv.reconciled = true; // once per link: the peer keeps its flag (it still holds every acknowledged write), with no ranges left
  if (meta.outOfSyncBytes(peer.node.id) === 0) return false;
  const lostName = r.config.nodes.find((n) => n.id === lost)?.name ?? String(lost);
  r.log.info('reconciling with a survivor of the lost Primary', { peer: peer.node.name, volume: volume.index, lostPrimary: lostName, outOfSyncBytes: meta.outOfSyncBytes(peer.node.id) });
  r.emit('reconcile', { peer: peer.node.name, volume: volume.index, lostPrimary: lostName });
  peer.startResync(volume);
  return true;
}

/** Look at every fellow survivor again (a State arrived that may name a better leader, or the last one we waited for). */
export function reconcileSurvivors(peers: Iterable<Peer>, except: Peer): void {
  for (const peer of peers) {
    if (peer === except || !peer.connected) continue;
    for (const [index, pv] of peer.volumes) {
      const volume = peer.resource.volume(index);
      if (volume) reconcileSurvivor(peer, volume, pv);
    }
  }
}
