// Applying what a Primary (or a SyncSource) sends. Messages are applied strictly in the order
// they arrive on the data stream, which is the Primary's write order across all volumes; acks go
// back on the control stream. A message that waits (an AL transaction on block metadata) holds
// back the ones behind it.
import { TandemError } from '../lib/errors.js';
import type { PeerMessage } from './peer-messages.js';
import type { Peer } from './peer.js';
import type { Volume } from './volume.js';

type Applied = Extract<PeerMessage, { type: 'Write' | 'WriteZeroes' | 'OutOfSync' | 'Flush' | 'ResyncData' | 'ResyncDone' | 'ReadRequest' }>;

const queues = new WeakMap<Peer, SerialQueue>();

export function applyPeerMessage(peer: Peer, msg: PeerMessage): void {
  let queue = queues.get(peer);
  if (!queue) queues.set(peer, (queue = new SerialQueue()));
  queue.run(() => apply(peer, msg as Applied), (err) => {
    peer.resource.log.error('failed to apply a peer message', { peer: peer.node.name, type: msg.type, error: String(err) });
    if (msg.type === 'Write' || msg.type === 'WriteZeroes') peer.link?.sendControl({ type: 'NegAck', seq: msg.seq });
  });
}

function apply(peer: Peer, msg: Applied): void | Promise<void> {
  if (msg.type === 'Flush') return flushAll(peer, msg.id);
  const volume = peer.resource.volumes.find((v) => v.index === msg.volume);
  if (!volume) return protocolError(peer, `message for unknown volume ${msg.volume}`);
  switch (msg.type) {
    case 'Write': return applyWrite(peer, volume, msg.seq, msg.offset, msg.data, msg.fua, msg.missing);
    case 'WriteZeroes': return applyWrite(peer, volume, msg.seq, msg.offset, Buffer.alloc(msg.length), false, msg.missing);
    case 'OutOfSync':
      if (!volume.meta || msg.offset + msg.length > volume.meta.sizeBytes) return protocolError(peer, 'out-of-sync range beyond the end of the volume');
      return markMissing(peer, volume, msg.missing, msg.offset, msg.length, false);
    case 'ResyncData': return applyResyncData(peer, volume, msg);
    case 'ResyncDone': return finishResync(peer, volume, msg.current, msg.history);
    case 'ReadRequest': return serveRead(peer, volume, msg);
  }
}

function applyWrite(peer: Peer, volume: Volume, seq: number, offset: number, data: Buffer, fua: boolean, missing: number): void | Promise<void> {
  if (peer.resource.role === 'Primary') return protocolError(peer, 'received a replicated write while Primary');
  if (!volume.backing || !volume.meta) { peer.link?.sendControl({ type: 'NegAck', seq }); return; }
  if (peer.resource.config.protocol === 'B') peer.link?.sendControl({ type: 'RecvAck', seq });
  if (offset + data.length > volume.meta.sizeBytes) return protocolError(peer, `write beyond the end of volume ${volume.index}`);
  const al = volume.meta.beginWrite(offset, data.length);
  const finish = (): void => {
    try {
      volume.backing!.write(offset, data);
      if (fua) volume.backing!.flush();
      if (missing !== 0) markMissing(peer, volume, missing, offset, data.length, true);
    } finally {
      volume.meta!.endWrite(offset, data.length);
    }
    peer.link?.sendControl({ type: 'WriteAck', seq });
  };
  if (al) return al.then(finish);
  finish();
}

/**
 * A diskless Primary has no bitmap: the diskful peers that get its writes keep the blocks out of
 * sync for the ones that do not (`missing`), with the generation those last shared as their bitmap
 * id, and resync them. (A diskful Primary keeps these bits itself and resyncs its peers.)
 */
function markMissing(from: Peer, volume: Volume, missing: number, offset: number, length: number, duringWrite: boolean): void {
  const meta = volume.meta;
  if (!meta || from.peerRole !== 'Primary' || !from.isDisklessFor(volume.index)) return;
  for (const other of from.resource.peers.values()) {
    if (other === from || !other.diskful || (missing & (1 << other.node.id)) === 0) continue;
    // the generation before the Primary's newest (it starts one when it loses a diskful peer)
    if (meta.bitmapGeneration(other.node.id) === 0n) meta.setBitmapGeneration(other.node.id, meta.history()[0] ?? meta.current());
    meta.markOutOfSync(other.node.id, offset, length, duringWrite);
    const pv = other.volumes.get(volume.index);
    pv?.resync?.noteDirtied(offset, length);
    pv?.resync?.pump(); // a source that had nothing left to send would not look again
    if (other.connected && volume.diskState === 'UpToDate' && pv?.replicationState === 'Established') other.startResync(volume);
  }
}

function flushAll(peer: Peer, id: number): void {
  for (const v of peer.resource.volumes) v.backing?.flush();
  peer.link?.sendControl({ type: 'FlushAck', id });
}

function applyResyncData(peer: Peer, volume: Volume, msg: Extract<PeerMessage, { type: 'ResyncData' }>): void {
  const pv = peer.volumes.get(volume.index)!;
  if (!volume.backing || !volume.meta || peer.resource.role === 'Primary') return protocolError(peer, 'resync data sent to a node that cannot be SyncTarget');
  if (msg.offset + msg.data.length > volume.meta.sizeBytes) return protocolError(peer, 'resync data beyond the end of the volume');
  if (syncingFromAnother(peer, volume)) {
    // two sources at once (several Secondaries of a diskless Primary): their blocks could cross.
    // This one comes back later, when the first is done and the generations tell what is left.
    peer.closeLink(`volume ${volume.index} is already resyncing from node ${volume.syncSource}`);
    return;
  }
  volume.syncSource = peer.node.id;
  if (pv.replicationState !== 'SyncTarget') becomeSyncTarget(peer, volume);
  volume.backing.write(msg.offset, msg.data);
  peer.link?.sendControl({ type: 'ResyncAck', volume: volume.index, id: msg.id, offset: msg.offset, length: msg.data.length });
}

function syncingFromAnother(peer: Peer, volume: Volume): boolean {
  if (volume.syncSource === null || volume.syncSource === peer.node.id) return false;
  const other = peer.resource.peers.get(volume.syncSource);
  return other !== undefined && other.connected && other.volumes.get(volume.index)?.replicationState === 'SyncTarget';
}

export function becomeSyncTarget(peer: Peer, volume: Volume): void {
  peer.volumes.get(volume.index)!.replicationState = 'SyncTarget';
  volume.meta!.setFlags({ consistent: false, wasUpToDate: false });
  if (volume.diskState !== 'Inconsistent') {
    volume.diskState = 'Inconsistent';
    peer.resource.emit('disk', { volume: volume.index, diskState: volume.diskState });
  }
}

function finishResync(peer: Peer, volume: Volume, current: bigint, history: bigint[]): void {
  const pv = peer.volumes.get(volume.index)!;
  if (!volume.meta) return;
  volume.backing!.flush(); // resynced data is durable before the disk claims UpToDate
  volume.meta.adoptCurrent(current, history);
  // the writes it may have had alone as a crashed Primary are gone now: it holds the source's data
  volume.meta.setFlags({ consistent: true, wasUpToDate: true, crashedPrimary: false });
  volume.diskState = 'UpToDate';
  pv.replicationState = 'Established';
  volume.syncSource = null;
  peer.resource.reconcileRanges.delete(volume.index);
  peer.resource.emit('disk', { volume: volume.index, diskState: 'UpToDate' });
  peer.resource.log.info('resync finished as SyncTarget', { peer: peer.node.name, volume: volume.index });
  for (const other of peer.resource.peers.values()) other.sendState();
}

function serveRead(peer: Peer, volume: Volume, msg: Extract<PeerMessage, { type: 'ReadRequest' }>): void {
  const ok = volume.backing && volume.diskState === 'UpToDate' && msg.offset + msg.length <= volume.sizeBytes;
  const data = ok ? volume.backing!.read(msg.offset, msg.length) : Buffer.alloc(0);
  peer.link?.sendData({ type: 'ReadReply', volume: volume.index, id: msg.id, error: ok ? 0 : 5, data });
}

function protocolError(peer: Peer, message: string): void {
  peer.resource.log.error('peer protocol error', { peer: peer.node.name, message });
  peer.closeLink(new TandemError('TANDEM_E_PROTOCOL', message).message); // reconnects with backoff
}

/** Runs tasks one after another; synchronous tasks run at once when nothing is waiting. */
class SerialQueue {
  private tail: Promise<void> | null = null;

  run(task: () => void | Promise<void>, onError: (err: unknown) => void): void {
    if (this.tail === null) {
      try {
        const result = task();
        if (result) this.track(result, onError);
      } catch (err) {
        onError(err);
      }
      return;
    }
    this.track(this.tail.then(task), onError);
  }

  private track(p: Promise<void>, onError: (err: unknown) => void): void {
    const tail = p.catch(onError).then(() => {
      if (this.tail === tail) this.tail = null;
    });
    this.tail = tail;
  }
}
