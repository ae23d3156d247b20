// Reads a Primary without a usable local disk sends to an UpToDate peer, and their answers. A read
// fails (EIO) when its peer's link is lost or it takes longer than its timeout.
import type { MessageOf } from '../wire/messages.js';
import { MAX_DATA_BYTES } from '../wire/version.js';
import { ioError } from './io-error.js';
import type { Peer } from './peer.js';
import type { Clock, TimerHandle } from './platform.js';

interface PendingRead {
  peer: Peer;
  length: number;
  timer: TimerHandle;
  resolve: (data: Buffer) => void;
  reject: (err: Error) => void;
}

export class PeerReads {
  private readonly pending = new Map<number, PendingRead>();
  private nextId = 1;

  constructor(private readonly clock: Clock) {}

  /** A read of any size: one ReadRequest per frame's worth of data, answered in parallel. */
  async read(peer: Peer, volume: number, offset: number, length: number, timeoutMs: number): Promise<Buffer> {
    if (length <= MAX_DATA_BYTES) return this.readOne(peer, volume, offset, length, timeoutMs);
    const parts: Array<Promise<Buffer>> = [];
    for (let done = 0; done < length; done += MAX_DATA_BYTES) parts.push(this.readOne(peer, volume, offset + done, Math.min(MAX_DATA_BYTES, length - done), timeoutMs));
    return Buffer.concat(await Promise.all(parts));
  }

  private async readOne(peer: Peer, volume: number, offset: number, length: number, timeoutMs: number): Promise<Buffer> {
    while (peer.link && !peer.canSend) await peer.whenCanSend();
    if (!peer.link) throw ioError('EIO', `read of volume ${volume} through ${peer.node.name} failed: not connected`);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = this.clock.setTimer(timeoutMs, () => this.fail(id, 'timed out'));
      this.pending.set(id, { peer, length, timer, resolve, reject });
      peer.sendData({ type: 'ReadRequest', volume, requestId: id, offset, length });
    });
  }

  onReply(peer: Peer, msg: MessageOf<'ReadReply'>): void {
    const read = this.pending.get(msg.requestId);
    if (!read || read.peer !== peer) return;
    if (msg.errno !== 0) return this.fail(msg.requestId, `the peer answered errno ${msg.errno}`);
    if (msg.data.length !== read.length) return this.fail(msg.requestId, `the peer answered ${msg.data.length} bytes for ${read.length}`);
    this.pending.delete(msg.requestId);
    read.timer.cancel();
    read.resolve(msg.data);
  }

  /** Every read waiting on this peer fails (its link is gone). */
  failPeer(peer: Peer): void {
    for (const [id, read] of this.pending) if (read.peer === peer) this.fail(id, 'the link was lost');
  }

  private fail(id: number, why: string): void {
    const read = this.pending.get(id);
    if (!read) return;
    this.pending.delete(id);
    read.timer.cancel();
    read.reject(ioError('EIO', `read through ${read.peer.node.name} failed: ${why}`));
  }
}
