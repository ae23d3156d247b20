// What a peer sends on its data stream, applied in the order it arrived, with bounded memory.
//
// Writes, write-zeroes, resync data and checksums, and read requests run concurrently, each holding the range
// lock of its blocks (taken in arrival order, so overlapping ones apply in the Primary's order).
// Everything else (State, Flush, ResyncDone, OutOfSync) is a barrier: it waits until every
// message before it has completed, and the ones after it wait for it. A Flush therefore covers
// every write that arrived before it, and a State is seen after the writes it follows.
//
// Bound: bytes of messages received and not yet completed. Above APPLY_QUEUE_BYTES the link's
// data stream is paused (the peer's sender then waits on TCP, and on its own byte bound); below
// half of it, delivery resumes.
import type { WireMessage } from '../wire/messages.js';
import type { PeerLinkPort } from './platform.js';
import type { LockedRange, RangeLock } from './range-lock.js';

export const APPLY_QUEUE_BYTES = 32 * 1024 * 1024;

/** The lock a concurrent message needs, or null for a barrier. */
export type LockOf = (msg: WireMessage) => { lock: RangeLock; offset: number; length: number } | null;

interface Entry {
  msg: WireMessage;
  bytes: number;
  /** the range lock it runs under; null: a barrier */
  need: ReturnType<LockOf>;
}

export class ApplyQueue {
  private readonly pending: Entry[] = [];
  private running = 0;
  private barrierRunning = false;
  private bytes = 0;
  private paused = false;
  private abandoned = false;

  constructor(
    private readonly link: PeerLinkPort,
    private readonly apply: (msg: WireMessage, late: boolean) => void | Promise<void>,
    private readonly lockOf: LockOf,
    private readonly onError: (err: unknown, msg: WireMessage) => void,
  ) {}

  get queuedBytes(): number {
    return this.bytes;
  }

  push(msg: WireMessage): void {
    if (this.abandoned) return;
    const bytes = sizeOf(msg);
    this.pending.push({ msg, bytes, need: this.lockOf(msg) });
    this.bytes += bytes;
    if (!this.paused && this.bytes > APPLY_QUEUE_BYTES) {
      this.paused = true;
      this.link.pauseData();
    }
    this.pump();
  }

  /**
   * The link is gone. Writes that arrived are still applied, in their order: the Primary may have
   * answered its client for the ones already issued (protocol B's RecvAck, C's WriteAck) and a
   * diskless Primary has no other copy; one not issued yet is still newer data than ours. Everything else that has not started is dropped (the
   * sender resyncs what it did not see acknowledged).
   */
  abandon(): void {
    this.abandoned = true;
    const writes = this.pending.filter((e) => e.msg.type === 'Write' || e.msg.type === 'WriteZeroes');
    for (const e of this.pending) if (!writes.includes(e)) this.bytes -= e.bytes;
    this.pending.length = 0;
    this.pending.push(...writes);
    this.pump();
  }

  private pump(): void {
    while (this.pending.length > 0 && !this.barrierRunning) {
      const next = this.pending[0];
      if (next.need === null && this.running > 0) return; // a barrier waits for everything before it
      this.pending.shift();
      this.start(next);
    }
  }

  private start(entry: Entry): void {
    this.running++;
    const need = entry.need;
    if (need === null) {
      this.barrierRunning = true;
      this.run(entry, null);
      return;
    }
    const locked = need.lock.acquire(need.offset, need.length);
    if (locked instanceof Promise) void locked.then((range) => this.run(entry, range));
    else this.run(entry, locked);
  }

  private run(entry: Entry, range: LockedRange | null): void {
    let result: void | Promise<void>;
    try {
      result = this.apply(entry.msg, this.abandoned);
    } catch (err) {
      this.onError(err, entry.msg);
      result = undefined;
    }
    if (result instanceof Promise) {
      result.then(() => this.done(entry, range), (err) => {
        try {
          this.onError(err, entry.msg);
        } finally {
          this.done(entry, range);
        }
      });
    } else {
      this.done(entry, range);
    }
  }

  private done(entry: Entry, range: LockedRange | null): void {
    if (range) entry.need!.lock.release(range);
    this.running--;
    if (entry.need === null) this.barrierRunning = false;
    this.bytes -= entry.bytes;
    if (this.paused && this.bytes < APPLY_QUEUE_BYTES / 2 && !this.abandoned) {
      this.paused = false;
      this.link.resumeData();
    }
    this.pump();
  }
}

/** Payload bytes a message holds in memory while it waits (small messages count a little). */
function sizeOf(msg: WireMessage): number {
  if (msg.type === 'Write' || msg.type === 'ResyncData') return msg.data.length + 64;
  if (msg.type === 'ResyncChecksum') return msg.length + 64; // the block it reads to compare
  return 64;
}
