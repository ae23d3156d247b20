// Applying what a Primary (or a SyncSource) sends. Messages are applied strictly in the order
// they arrive on the data stream, which is the Primary's write order across all volumes; acks go
// back on the control stream. A message that waits (an AL transaction on block metadata) holds
// back the ones behind it.
import { TandemError } from '../lib/errors.js';
import type { PeerMessage } from './peer-messages.js';
import type { Peer } from './peer.js';
import type { Volume } from './volume.js';

type Applied = Extract<PeerMessage, { type: 'Write' | 'WriteZeroes' | 'Flush' | 'ResyncData' | 'ResyncDone' | 'ReadRequest' }>;

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
    case 'Write': return applyWrite(peer, volume, msg.seq, msg.offset, msg.data, msg.fua);
    case 'WriteZeroes': return applyWrite(peer, volume, msg.seq, msg.offset, Buffer.alloc(msg.length), false);
    case 'ResyncData': return applyResyncData(peer, volume, msg);
    case 'ResyncDone': return finishResync(peer, volume, msg.current, msg.history);
    case 'ReadRequest': return serveRead(peer, volume, msg);
  }
}

function applyWrite(peer: Peer, volume: Volume, seq: number, offset: number, data: Buffer, fua: boolean): void | Promise<void> {
  if (peer.resource.role === 'Primary') return protocolError(peer, 'received a replicated write while Primary');
  if (!volume.backing || !volume.meta) { peer.link?.sendControl({ type: 'NegAck', seq }); return; }
  if (peer.resource.config.protocol === 'B') peer.link?.sendControl({ type: 'RecvAck', seq });
  if (offset + data.length > volume.meta.sizeBytes) return protocolError(peer, `write beyond the end of volume ${volume.index}`);
  const al = volume.meta.beginWrite(offset, data.length);
  const finish = (): void => {
    try {
      volume.backing!.write(offset, data);
      if (fua) volume.backing!.flush();
    } finally {
      volume.meta!.endWrite(offset, data.length);
    }
    peer.link?.sendControl({ type: 'WriteAck', seq });
  };
  if (al) return al.then(finish);
  finish();
}

function flushAll(peer: Peer, id: number): void {
  for (const v of peer.resource.volumes) v.backing?.flush();
  peer.link?.sendControl({ type: 'FlushAck', id });
}

function applyResyncData(peer: Peer, volume: Volume, msg: Extract<PeerMessage, { type: 'ResyncData' }>): void {
  const pv = peer.volumes.get(volume.index)!;
  if (!volume.backing || !volume.meta || peer.resource.role === 'Primary') return protocolError(peer, 'resync data sent to a node that cannot be SyncTarget');
  if (msg.offset + msg.data.length > volume.meta.sizeBytes) return protocolError(peer, 'resync data beyond the end of the volume');
  if (pv.replicationState !== 'SyncTarget') becomeSyncTarget(peer, volume);
  volume.backing.write(msg.offset, msg.data);
  peer.link?.sendControl({ type: 'ResyncAck', volume: volume.index, id: msg.id, offset: msg.offset, length: msg.data.length });
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
  volume.meta.setFlags({ consistent: true, wasUpToDate: true });
  volume.diskState = 'UpToDate';
  pv.replicationState = 'Established';
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
