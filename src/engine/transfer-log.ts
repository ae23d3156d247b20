// Writes sent to one peer and not yet confirmed on its disk (DRBD's transfer log). A write leaves
// the log on the peer's WriteAck or NegAck; if the link breaks first, every write still in the
// log is reported back as unconfirmed, so its blocks are resynced to that peer. The log is
// bounded in bytes and in entries: the write pipeline waits for room (back-pressure), it never
// overfills the log.
import { assert } from '../lib/assert.js';
import type { WriteOutcome } from './exposed-generation.js';

/** Bytes of unconfirmed writes to one peer before new writes wait (DRBD's max-buffers, roughly). */
export const TRANSFER_LOG_BYTES = 64 * 1024 * 1024;
export const TRANSFER_LOG_ENTRIES = 4096;

/**
 * RecvAck: `received`; WriteAck: `settled(true)`; NegAck or link lost: `settled(false)`. Each at
 * most once, `received` never after `settled`; called as methods of the object given to add().
 */
export interface WriteCallbacks {
  received?(): void;
  settled(stored: boolean): void;
  /** a diskless Primary's write: its answer, still to come or given (exposed-generation.ts) */
  outcome?(): WriteOutcome | null;
  /** the client has had its success already */
  acknowledged?(): boolean;
}

export interface LoggedWrite {
  volume: number;
  offset: number;
  length: number;
  /** set for a diskless Primary's write (failAll) */
  outcome?: WriteOutcome | null;
  /** failAll: the peer had said it received the write (RecvAck), so a protocol B answer may have counted it */
  received?: boolean;
  /** false: not acknowledged yet as the peer is lost (undefined: not known) */
  acknowledged?: boolean;
}

interface Entry extends LoggedWrite {
  callbacks: WriteCallbacks;
  /** `received` may still be called */
  open: boolean;
}

export class TransferLog {
  private readonly writes = new Map<number, Entry>();
  /** the seq of the last write added since the link came up (0: none) */
  newestSeq = 0;
  private readonly flushes = new Map<number, (flushed: boolean) => void>();
  private roomWaiters: Array<() => void> = [];
  private nextFlushId = 1;
  private bytes = 0;

  get size(): number {
    return this.writes.size;
  }

  get sizeBytes(): number {
    return this.bytes;
  }

  /** A write of `length` bytes fits (an empty log always takes one, however large). */
  hasRoom(length: number): boolean {
    if (this.writes.size === 0) return true;
    return this.writes.size < TRANSFER_LOG_ENTRIES && this.bytes + length <= TRANSFER_LOG_BYTES;
  }

  /** Resolves when an entry leaves the log (check hasRoom again). */
  waitForRoom(): Promise<void> {
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  add(seq: number, write: LoggedWrite, callbacks: WriteCallbacks): void {
    assert(!this.writes.has(seq), 'sequence numbers are unique per resource');
    assert(this.hasRoom(write.length), 'the transfer log has room for what is added (the sender waited)');
    // fields spelled out, not spread: one entry per replicated write, on the hot path
    this.writes.set(seq, { volume: write.volume, offset: write.offset, length: write.length, callbacks, open: true });
    this.newestSeq = seq;
    this.bytes += write.length;
  }

  /** The unconfirmed writes of `volume`, each with whether the peer said it received it (RecvAck). */
  unconfirmedOf(volume: number): LoggedWrite[] {
    const out: LoggedWrite[] = [];
    for (const entry of this.writes.values()) if (entry.volume === volume) out.push(logged(entry));
    return out;
  }

  /** Some write of `volume` is unconfirmed (bounded: the log holds TRANSFER_LOG_ENTRIES at most). */
  hasUnconfirmed(volume: number): boolean {
    for (const entry of this.writes.values()) if (entry.volume === volume) return true;
    return false;
  }

  /** A flush sent to the peer: resolved true on its FlushAck, false when the link is lost first. */
  addFlush(): { id: number; done: Promise<boolean> } {
    const id = this.nextFlushId++;
    return { id, done: new Promise((resolve) => this.flushes.set(id, resolve)) };
  }

  onFlushAck(id: number): void {
    this.flushes.get(id)?.(true);
    this.flushes.delete(id);
  }

  onRecvAck(seq: number): void {
    const entry = this.writes.get(seq);
    if (entry) received(entry);
  }

  /** WriteAck (stored) or NegAck (not stored). A late ack after a reset finds nothing. */
  onWriteAck(seq: number, stored: boolean): void {
    const entry = this.writes.get(seq);
    if (!entry) return;
    this.remove(seq, entry);
    settle(entry, stored);
  }

  /** The link is gone: every unconfirmed write is returned (to be resynced), nothing waits any more. */
  failAll(): LoggedWrite[] {
    const lost = [...this.writes.values()];
    const logs = lost.map(logged); // before settle(), which ends `received`
    this.writes.clear();
    this.newestSeq = 0;
    this.bytes = 0;
    for (const entry of lost) settle(entry, false);
    for (const done of this.flushes.values()) done(false);
    this.flushes.clear();
    this.wakeRoomWaiters();
    return lost.map((entry, i) => ({ ...logs[i], outcome: entry.callbacks.outcome?.() ?? null }));
  }

  private remove(seq: number, entry: Entry): void {
    this.writes.delete(seq);
    this.bytes -= entry.length;
    this.wakeRoomWaiters();
  }

  private wakeRoomWaiters(): void {
    if (this.roomWaiters.length === 0) return;
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const w of waiters) w();
  }
}

/**
 * Writes a peer never confirmed that may have been answered already, to the peer's protocol: on
 * A any (the answer does not wait for the peer), on B those it said it received (its RecvAck
 * counts toward the answer), on C none (the answer waits until it stored them); and of those
 * only writes not known to be still unacknowledged (`acknowledged`): on A or B the answer waits
 * for the peers on C all the same. Any other is answered, if ever, after the peer was lost, and
 * that answer ends the claim of the new generation itself (WritePipeline's beforeAcknowledging).
 * Counted as answered, the new generation claims nothing: a Primary cut off whose writes all
 * failed met the node promoted meanwhile as a split brain (sim seed 840395993: protocol B,
 * isolated, no write answered; seed 1618674572: its last link, on A, was lost with writes that
 * waited for peers on C, and the claim its earlier generations made was dropped).
 */
export function mayHaveBeenAnswered(protocol: 'A' | 'B' | 'C', unconfirmed: readonly LoggedWrite[]): boolean {
  const answerable = unconfirmed.filter((w) => w.acknowledged !== false);
  if (protocol === 'A') return answerable.length > 0;
  return protocol === 'B' && answerable.some((w) => w.received === true);
}

/** An entry as callers see it: `received` if the peer's RecvAck came (no more may come). */
function logged(entry: Entry): LoggedWrite {
  return { volume: entry.volume, offset: entry.offset, length: entry.length, received: !entry.open, acknowledged: entry.callbacks.acknowledged?.() };
}

function received(entry: Entry): void {
  if (!entry.open) return;
  entry.open = false;
  entry.callbacks.received?.();
}

/** Settled: no `received` after this (whether it arrived is the caller's to judge from `stored`). */
function settle(entry: Entry, stored: boolean): void {
  entry.open = false;
  entry.callbacks.settled(stored);
}
