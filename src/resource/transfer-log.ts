// Writes sent to one peer and not yet confirmed on its disk (DRBD's transfer log). A write leaves
// the log on the peer's WriteAck; if the link breaks first, its blocks are set out of sync for
// that peer, so the next resync carries them. The log is bounded: the write path waits for room.
import { assert } from '../lib/assert.js';
import type { PeerMessage } from './peer-messages.js';
import type { Peer } from './peer.js';

/** More writes than this in flight to one peer make new writes wait (bounded queue). */
export const MAX_IN_FLIGHT_WRITES = 4096;

/** Called when the peer confirms receipt (RecvAck) and when the write is settled for that peer:
 * on its disk (WriteAck), or set out of sync (NegAck, link lost). Each is called at most once. */
export interface WriteCallbacks {
  received?: () => void;
  settled: () => void;
}

interface InFlight extends WriteCallbacks {
  volume: number;
  offset: number;
  length: number;
}

export class TransferLog {
  private readonly writes = new Map<number, InFlight>();
  private readonly flushes = new Map<number, () => void>();
  private readonly roomWaiters: Array<() => void> = [];
  private nextFlushId = 1;

  constructor(private readonly peer: Peer) {}

  get size(): number {
    return this.writes.size;
  }

  hasRoom(): boolean {
    return this.writes.size < MAX_IN_FLIGHT_WRITES;
  }

  waitForRoom(): Promise<void> {
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  /** Record a write sent to the peer. */
  add(seq: number, volume: number, offset: number, length: number, callbacks: WriteCallbacks): void {
    assert(!this.writes.has(seq), 'sequence numbers are unique per resource');
    this.writes.set(seq, { volume, offset, length, ...callbacks });
  }

  /** Send a flush and resolve once the peer has made everything before it durable. */
  flush(): Promise<void> | null {
    const link = this.peer.link;
    if (!link) return null;
    const id = this.nextFlushId++;
    link.sendData({ type: 'Flush', id });
    return new Promise((resolve) => this.flushes.set(id, resolve));
  }

  onAck(msg: Extract<PeerMessage, { type: 'RecvAck' | 'WriteAck' | 'NegAck' | 'FlushAck' }>): void {
    if (msg.type === 'FlushAck') {
      this.flushes.get(msg.id)?.();
      this.flushes.delete(msg.id);
      return;
    }
    const entry = this.writes.get(msg.seq);
    if (!entry) return; // late ack after the link was reset: nothing waits for it
    if (msg.type === 'RecvAck') {
      this.received(entry);
      return;
    }
    if (msg.type === 'NegAck') this.markOutOfSync(entry);
    this.writes.delete(msg.seq);
    this.settle(entry);
    this.wakeRoomWaiters();
  }

  /** The link is gone: everything unconfirmed must be resynced later; nobody waits any more. */
  failAll(): void {
    for (const entry of this.writes.values()) {
      this.markOutOfSync(entry);
      this.settle(entry);
    }
    this.writes.clear();
    for (const done of this.flushes.values()) done();
    this.flushes.clear();
    this.wakeRoomWaiters();
  }

  private received(entry: InFlight): void {
    const fn = entry.received;
    entry.received = undefined;
    fn?.();
  }

  /** A settled write counts as received too (a WriteAck implies the data arrived). */
  private settle(entry: InFlight): void {
    this.received(entry);
    entry.settled();
  }

  private markOutOfSync(entry: InFlight): void {
    const volume = this.peer.resource.volumes.find((v) => v.index === entry.volume);
    if (volume && !volume.meta) { // diskless: the peers that got the write keep the bits
      this.peer.resource.unconfirmedByPeer(this.peer, entry.volume, entry.offset, entry.length);
      return;
    }
    // the write still pins its AL extents: it is settled for this peer only after this
    volume?.meta?.markOutOfSync(this.peer.node.id, entry.offset, entry.length, true);
  }

  private wakeRoomWaiters(): void {
    while (this.roomWaiters.length > 0 && this.hasRoom()) this.roomWaiters.shift()!();
  }
}
