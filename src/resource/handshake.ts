// What a volume does with a peer's State: on a new connection (replication Off) or a paused sync,
// run the generation handshake and start the right sync; while Established, follow the Primary's
// new data generations. Anything this version cannot resolve safely refuses the connection.
import type { Peer, PeerVolume } from './peer.js';
import { decideSync, sameGeneration, type SyncDecision } from './sync-decision.js';
import type { VolumeState } from './peer-messages.js';
import type { Volume } from './volume.js';

export function handshakeVolume(peer: Peer, index: number, pv: PeerVolume): void {
  const volume = peer.resource.volumes.find((v) => v.index === index);
  const view = pv.view!;
  if (!volume) return;
  if (pv.replicationState === 'Established' || pv.replicationState === 'SyncSource') {
    followPeer(peer, volume, view, pv);
    return;
  }
  if (pv.replicationState === 'SyncTarget') return; // the source drives it to the end
  if (!volume.meta || view.diskState === 'Diskless') {
    pv.replicationState = 'Established'; // a diskless side has nothing to sync
    if (!volume.meta && view.sizeBytes > 0) volume.sizeBytes = view.sizeBytes;
    return;
  }
  if (volume.meta.sizeBytes !== view.sizeBytes && view.sizeBytes > 0) {
    peer.refuse(`volume ${index} size differs: local ${volume.meta.sizeBytes} bytes, peer ${view.sizeBytes} bytes`);
    return;
  }
  act(peer, volume, pv, adjustForDiskStates(resolveByDiscard(decide(peer, volume, view), peer, view), volume, view));
}

/** A split brain where exactly one side volunteered to discard its data becomes a bitmap resync. */
function resolveByDiscard(d: SyncDecision, peer: Peer, view: VolumeState): SyncDecision {
  if (d.kind !== 'split-brain') return d;
  const local = peer.resource.discardMyData;
  if (local && !view.discardMyData) return { kind: 'target', full: false, rule: `${d.rule}; local data discarded (connect --discard-my-data)` };
  if (view.discardMyData && !local) return { kind: 'source', full: false, rule: `${d.rule}; the peer discards its data (connect --discard-my-data)` };
  return d;
}

function decide(peer: Peer, volume: Volume, view: VolumeState): SyncDecision {
  const meta = volume.meta!;
  return decideSync(
    { current: meta.current(), bitmapForPeer: meta.bitmapGeneration(peer.node.id), history: meta.history(), crashedPrimary: meta.flags.crashedPrimary },
    { current: view.current, bitmapForPeer: view.bitmapForReceiver, history: view.history, crashedPrimary: view.crashedPrimary },
    peer.resource.local.id < peer.node.id,
  );
}

/** Disk states can override generations: Inconsistent data never serves as a source. */
function adjustForDiskStates(d: SyncDecision, volume: Volume, view: VolumeState): SyncDecision {
  const local = volume.diskState;
  const remote = view.diskState;
  if (local === 'Inconsistent' && remote === 'Inconsistent') return { kind: 'no-sync', rule: 'both Inconsistent: waiting for a primary --force' };
  if (local === 'UpToDate' && (remote === 'Inconsistent' || remote === 'Outdated') && d.kind !== 'source') {
    return { kind: 'source', full: remote === 'Inconsistent' && d.kind !== 'no-sync', rule: `peer is ${remote}` };
  }
  if ((local === 'Inconsistent' || local === 'Outdated') && remote === 'UpToDate' && d.kind !== 'target') {
    return { kind: 'target', full: local === 'Inconsistent' && d.kind !== 'no-sync', rule: `local disk is ${local}` };
  }
  return d;
}

function act(peer: Peer, volume: Volume, pv: PeerVolume, d: SyncDecision): void {
  const r = peer.resource;
  r.log.info('handshake', { peer: peer.node.name, volume: volume.index, decision: d.kind, rule: d.rule });
  switch (d.kind) {
    case 'no-sync':
      pv.replicationState = 'Established';
      forgetStaleBits(peer, volume, pv.view!);
      r.reconcile(peer, volume, pv.view?.reconcile ?? []);
      return;
    case 'source':
      if (r.role !== 'Primary' && [...r.peers.values()].some((p) => p.connected && p.peerRole === 'Primary' && !p.isDisklessFor(volume.index))) {
        pv.replicationState = 'PausedSyncS'; // the Primary is the one to resync it (unless it has no disk)
        return;
      }
      if (d.full) volume.meta!.markAllOutOfSync(peer.node.id);
      for (const range of pv.view?.reconcile ?? []) volume.meta!.markOutOfSync(peer.node.id, range.offset, range.length);
      peer.startResync(volume);
      return;
    case 'target':
      if (r.role === 'Primary') { peer.refuse(`this node is Primary and would have to become SyncTarget of ${peer.node.name} (${d.rule})`); return; }
      pv.replicationState = 'SyncTarget';
      volume.meta!.setFlags({ consistent: false, wasUpToDate: false });
      volume.diskState = 'Inconsistent';
      r.emit('disk', { volume: volume.index, diskState: volume.diskState });
      return;
    case 'split-brain':
      r.emit('split-brain', { peer: peer.node.name, volume: volume.index, autoRecoverable: d.autoRecoverable, localOutOfSyncBytes: volume.meta!.outOfSyncBytes(peer.node.id), peerOutOfSyncBytes: pv.view?.outOfSyncBytes ?? 0 });
      peer.refuse(`split brain detected on volume ${volume.index} (${d.rule}); on the node whose writes are to be discarded run `
        + `'tandem secondary ${r.name}' and 'tandem connect ${r.name} --discard-my-data', then 'tandem connect ${r.name}' on the other`);
      return;
    case 'unrelated':
      peer.refuse(`unrelated data on volume ${volume.index}: the two nodes share no data generation`);
      return;
  }
}

/**
 * Both UpToDate in the same generation: whatever bits this node still keeps for the peer are stale
 * (another node resynced it meanwhile, say), and its bitmap generation is retired.
 */
function forgetStaleBits(peer: Peer, volume: Volume, view: VolumeState): void {
  const meta = volume.meta!;
  if (volume.diskState !== 'UpToDate' || view.diskState !== 'UpToDate' || !sameGeneration(meta.current(), view.current)) return;
  if (meta.outOfSyncBytes(peer.node.id) === 0 && meta.bitmapGeneration(peer.node.id) === 0n) return;
  meta.markInSync(peer.node.id, 0, meta.sizeBytes);
  meta.setBitmapGeneration(peer.node.id, 0n);
  peer.resource.log.info('stale out-of-sync bits dropped: same generation, both UpToDate', { peer: peer.node.name, volume: volume.index });
}

/** While Established: adopt a Primary's new data generation; start syncing a peer that fell behind. */
function followPeer(peer: Peer, volume: Volume, view: VolumeState, pv: PeerVolume): void {
  const meta = volume.meta;
  if (!meta) return;
  if (peer.peerRole === 'Primary' && view.current !== meta.current() && volume.diskState === 'UpToDate') {
    if (view.diskState !== 'Diskless') meta.adoptCurrent(view.current, view.history);
    else if (followDisklessPrimary(meta, view)) for (const p of peer.resource.peers.values()) p.sendState();
  }
  if (pv.replicationState === 'Established' && volume.diskState === 'UpToDate' && peer.resource.role === 'Primary' && view.diskState !== 'Diskless') {
    // a peer that lost its data, or one that came back from Diskless with blocks it missed
    if (view.diskState === 'Inconsistent') meta.markAllOutOfSync(peer.node.id);
    if (meta.outOfSyncBytes(peer.node.id) > 0) peer.startResync(volume);
  }
  peer.resource.reconcile(peer, volume, view.reconcile);
}

/**
 * A diskless Primary's generation is followed only by the nodes it writes to: those whose current
 * generation is the one it replaced. A node that missed writes keeps its older generation (the
 * others hold its bitmap) and a diskless node's "no generation" (0) is never taken.
 */
function followDisklessPrimary(meta: NonNullable<Volume['meta']>, view: VolumeState): boolean {
  if (view.current === 0n || view.history.length === 0 || !sameGeneration(view.history[0], meta.current())) return false;
  meta.followCurrent(view.current);
  return true;
}

/** After a local change (promotion): look again at every volume of every connected peer. */
export function reevaluatePeers(peers: Iterable<Peer>): void {
  for (const peer of peers) {
    if (!peer.connected) continue;
    for (const [index, pv] of peer.volumes) {
      const volume = peer.resource.volumes.find((v) => v.index === index);
      if (volume && pv.view && (pv.replicationState === 'Established' || pv.replicationState === 'SyncSource')) followPeer(peer, volume, pv.view, pv);
    }
  }
}
