// The activity log: the hot set of 4 MiB extents that may have writes in flight (invariant M1,
// docs/ARCHITECTURE.md §3). An LRU of AL-extents slots; an extent is recorded and persisted before
// activate() reports it durable, and an idle extent is evicted only after the caller's beforeEvict
// hook has set and persisted its bitmap bits, and the writes on it are durable on the data disk
// (flushData; invariant M2).
//
// Two on-media journals (layout.ts): PmemSlotTable (one 8-byte store, carrying its own check,
// + persist per change, done inline) and BlockRing (4 KiB CRC-checked transactions; all
// activations of one tick share one transaction and one fdatasync). Each load() also says what
// it found damaged and whether the hot set could still be rebuilt in full.
import { TandemError } from '../lib/errors.js';
import { assert } from '../lib/assert.js';
import { crc32c } from './crc32c.js';
import {
  AL_RING_BLOCKS, AL_TX_CONTEXT_OFFSET, AL_TX_MAGIC, AL_TX_UPDATES_MAX, BLOCK, CONTEXT_PER_TRANSACTION, FREE_EXTENT,
} from './layout.js';
import type { MetaStore } from './store.js';

export type SlotUpdate = { slot: number; extent: number };

/** Damage found in the AL on media. */
export interface AlDamage {
  /** What is damaged, for logs and md check. */
  message: string;
  /** Extents that were hot may be missing from the loaded table (it cannot be rebuilt in full). */
  incomplete: boolean;
}

export interface AlLoad {
  /** The slot table as of the last durable update, for the current epoch (FREE_EXTENT = free). */
  table: Uint32Array;
  damage: AlDamage[];
}

/** Where the slot table lives on media. */
export interface AlJournal {
  load(): AlLoad;
  /** Make these slot changes durable. `table` is the full in-memory table after them. */
  record(updates: readonly SlotUpdate[], table: Uint32Array): void;
  /** Forget everything: the AL is re-initialised by the caller bumping the epoch. */
  setEpoch(epoch: number): void;
  /**
   * After a re-initialisation caused by damage (and only once the new epoch is in the
   * superblock): overwrite the damaged areas, so that they are neither reported nor in the way
   * of a later rebuild. Persisted on return.
   */
  scrub(): void;
  /** True when changes are cheap enough to make inline (no batching). */
  readonly inline: boolean;
}

/** Offsets in a PMEM slot entry: u32 extent, u16 epoch tag, u16 check. */
const SLOT_TAG = 4;
const SLOT_CHECK = 6;

/** The check of a PMEM slot entry (check field zero), seeded with the slot number. */
export function slotCheck(entry: Uint8Array, slot: number): number {
  return crc32c(entry, slot) & 0xffff;
}

export class PmemSlotTable implements AlJournal {
  readonly inline = true;
  /** one slot entry, reused: the store copies it at once */
  private readonly entry = new Uint8Array(8);
  private readonly entryView = new DataView(this.entry.buffer);

  constructor(private readonly store: MetaStore, private readonly offset: number, private readonly slots: number, private epoch: number) {}

  /** Every slot free with a valid check (a zeroed slot is damage, not "free"); persisted. */
  format(): void {
    for (let slot = 0; slot < this.slots; slot++) this.store.write(this.offset + slot * 8, this.encode(slot, FREE_EXTENT, 0));
    this.store.persist(this.offset, this.slots * 8);
  }

  load(): AlLoad {
    const bytes = this.store.read(this.offset, this.slots * 8);
    const v = new DataView(bytes.buffer);
    const table = new Uint32Array(this.slots).fill(FREE_EXTENT);
    const damaged: number[] = [];
    const tag = this.epoch & 0xffff;
    for (let i = 0; i < this.slots; i++) {
      const entry = bytes.slice(i * 8, i * 8 + 8);
      const stored = v.getUint16(i * 8 + SLOT_CHECK, true);
      new DataView(entry.buffer).setUint16(SLOT_CHECK, 0, true);
      if (slotCheck(entry, i) !== stored) damaged.push(i);
      else if (v.getUint16(i * 8 + SLOT_TAG, true) === tag) table[i] = v.getUint32(i * 8, true);
    }
    const damage = damaged.length === 0 ? [] : [{
      message: `${damaged.length} PMEM slots fail their check (slot ${damaged.slice(0, 8).join(', ')}${damaged.length > 8 ? ', …' : ''}): what they held is unknown`,
      incomplete: true,
    }];
    return { table, damage };
  }

  record(updates: readonly SlotUpdate[]): void {
    for (const { slot, extent } of updates) {
      this.store.write(this.offset + slot * 8, this.encode(slot, extent, this.epoch));
      this.store.persist(this.offset + slot * 8, 8);
    }
  }

  setEpoch(epoch: number): void {
    this.epoch = epoch;
  }

  /** Every slot failing its check becomes a free slot. */
  scrub(): void {
    const bytes = this.store.read(this.offset, this.slots * 8);
    for (let slot = 0; slot < this.slots; slot++) {
      const entry = bytes.slice(slot * 8, slot * 8 + 8);
      const stored = entry[SLOT_CHECK] | (entry[SLOT_CHECK + 1] << 8);
      entry.fill(0, SLOT_CHECK);
      if (slotCheck(entry, slot) !== stored) this.store.write(this.offset + slot * 8, this.encode(slot, FREE_EXTENT, 0));
    }
    this.store.persist(this.offset, this.slots * 8);
  }

  /** The entry in the reused buffer: extent, tag and check go to media in one 8-byte store. */
  private encode(slot: number, extent: number, epoch: number): Uint8Array {
    this.entryView.setUint32(0, extent, true);
    this.entryView.setUint16(SLOT_TAG, epoch & 0xffff, true);
    this.entryView.setUint16(SLOT_CHECK, 0, true);
    this.entryView.setUint16(SLOT_CHECK, slotCheck(this.entry, slot), true);
    return this.entry;
  }
}

export interface RingTransaction {
  number: number;
  epoch: number;
  updates: SlotUpdate[];
  contextStart: number;
  context: number[];
}

export class BlockRing implements AlJournal {
  readonly inline = false;
  private nextNumber = 0;
  private contextCursor = 0;

  constructor(private readonly store: MetaStore, private readonly offset: number, private readonly slots: number, private epoch: number) {}

  load(): AlLoad {
    const table = new Uint32Array(this.slots).fill(FREE_EXTENT);
    const txs = this.transactions();
    this.nextNumber = txs.all.length > 0 ? Math.max(...txs.all.map((t) => t.number)) + 1 : 0;
    for (const tx of txs.current) {
      for (const u of tx.updates) if (u.slot < this.slots) table[u.slot] = u.extent;
      tx.context.forEach((extent, i) => { if (tx.contextStart + i < this.slots) table[tx.contextStart + i] = extent; });
    }
    const last = txs.current.at(-1);
    this.contextCursor = last ? (last.contextStart + last.context.length) % this.slots : 0;
    return { table, damage: this.damage(txs.all, txs.badBlocks) };
  }

  /**
   * Whether the table was rebuilt in full. Walking back from the newest transaction through
   * consecutive numbers, the current epoch's context windows must cover every slot before a
   * number is missing (or an older epoch, or the first transaction, is reached). The block after
   * the newest may be torn by a crash (that transaction was never reported durable); a bad block
   * anywhere else is damage, harmless only when the walk did not need it. A damaged newest
   * transaction cannot be told from a torn one: the ring's design accepts that (as DRBD's does).
   */
  private damage(all: RingTransaction[], badBlocks: number[]): AlDamage[] {
    const byNumber = new Map(all.map((t) => [t.number, t]));
    const newest = all.length > 0 ? Math.max(...all.map((t) => t.number)) : -1;
    const tornCandidate = (newest + 1) % AL_RING_BLOCKS;
    const covered = new Uint8Array(this.slots);
    let uncovered = this.slots;
    const cover = (slot: number) => { if (slot < this.slots && covered[slot] === 0) { covered[slot] = 1; uncovered--; } };
    let missing: number | undefined;
    for (let m = newest; m >= 0 && uncovered > 0; m--) {
      const tx = byNumber.get(m);
      if (!tx || m <= newest - AL_RING_BLOCKS) { missing = m; break; }
      if (tx.epoch !== this.epoch) break; // the current epoch began after it: nothing older counts
      tx.updates.forEach((u) => cover(u.slot));
      tx.context.forEach((_, i) => cover(tx.contextStart + i));
    }
    const damage: AlDamage[] = [];
    if (missing !== undefined) {
      damage.push({
        message: `transaction #${missing} (ring block ${missing % AL_RING_BLOCKS}) is missing or damaged and the newer ones do not rebuild the hot set (${uncovered} of ${this.slots} slots unknown)`,
        incomplete: true,
      });
    }
    const needless = badBlocks.filter((b) => b !== tornCandidate && (missing === undefined || b !== missing % AL_RING_BLOCKS));
    if (needless.length > 0) {
      damage.push({ message: `ring blocks ${needless.join(', ')} fail their CRC (not needed to rebuild the hot set)`, incomplete: false });
    }
    return damage;
  }

  /** Valid transactions in the ring (all epochs), and those of the current epoch oldest first. */
  transactions(): { all: RingTransaction[]; current: RingTransaction[]; torn: number; badBlocks: number[] } {
    const all: RingTransaction[] = [];
    const badBlocks: number[] = [];
    for (let b = 0; b < AL_RING_BLOCKS; b++) {
      const tx = decodeTransaction(this.store.read(this.offset + b * BLOCK, BLOCK));
      if (tx === 'empty') continue;
      // a valid transaction in the wrong block was misdirected: as bad as a failed CRC
      if (tx === 'bad' || tx.number % AL_RING_BLOCKS !== b) badBlocks.push(b); else all.push(tx);
    }
    const current = all.filter((t) => t.epoch === this.epoch).sort((a, b) => a.number - b.number);
    return { all, current, torn: badBlocks.length, badBlocks };
  }

  record(updates: readonly SlotUpdate[], table: Uint32Array): void {
    const transactions = Math.max(1, Math.ceil(updates.length / AL_TX_UPDATES_MAX));
    for (let n = 0; n < transactions; n++) this.write(updates.slice(n * AL_TX_UPDATES_MAX, (n + 1) * AL_TX_UPDATES_MAX), table);
    // One persist over the ring (one fdatasync) covers every block of the batch, wrapped or not.
    this.store.persist(this.offset, AL_RING_BLOCKS * BLOCK);
  }

  /** Write (not persist) the next transaction: these updates and the next context window of `table`. */
  private write(updates: SlotUpdate[], table: Uint32Array): void {
    const window = Math.min(CONTEXT_PER_TRANSACTION, this.slots - this.contextCursor);
    const context = Array.from({ length: window }, (_, k) => table[this.contextCursor + k]);
    const tx: RingTransaction = { number: this.nextNumber++, epoch: this.epoch, updates, contextStart: this.contextCursor, context };
    this.contextCursor = (this.contextCursor + context.length) % this.slots;
    this.store.write(this.offset + (tx.number % AL_RING_BLOCKS) * BLOCK, encodeTransaction(tx));
  }

  setEpoch(epoch: number): void {
    this.epoch = epoch;
    this.contextCursor = 0;
  }

  /**
   * A full turn of the ring with the new epoch's (empty) table: every block, damaged or not, is
   * rewritten, and the newest transactions alone rebuild the table.
   */
  scrub(): void {
    this.load();
    const table = new Uint32Array(this.slots).fill(FREE_EXTENT);
    for (let n = 0; n < AL_RING_BLOCKS; n++) this.write([], table);
    this.store.persist(this.offset, AL_RING_BLOCKS * BLOCK);
  }
}

export function encodeTransaction(tx: RingTransaction): Uint8Array {
  assert(tx.updates.length <= AL_TX_UPDATES_MAX && tx.context.length <= CONTEXT_PER_TRANSACTION, 'AL transaction fits one block');
  const bytes = new Uint8Array(BLOCK);
  const v = new DataView(bytes.buffer);
  v.setUint32(0, AL_TX_MAGIC, true);
  v.setBigUint64(8, BigInt(tx.number), true);
  v.setUint32(16, tx.epoch >>> 0, true);
  v.setUint16(20, tx.updates.length, true);
  v.setUint16(22, tx.contextStart, true);
  v.setUint16(24, tx.context.length, true);
  tx.updates.forEach((u, i) => { v.setUint32(32 + i * 8, u.slot, true); v.setUint32(36 + i * 8, u.extent, true); });
  tx.context.forEach((e, i) => v.setUint32(AL_TX_CONTEXT_OFFSET + i * 4, e, true));
  v.setUint32(4, crc32c(bytes), true);
  return bytes;
}

export function decodeTransaction(bytes: Uint8Array): RingTransaction | 'empty' | 'bad' {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (v.getUint32(0, true) !== AL_TX_MAGIC) return bytes.every((b) => b === 0) ? 'empty' : 'bad';
  const stored = v.getUint32(4, true);
  const copy = bytes.slice();
  new DataView(copy.buffer).setUint32(4, 0, true);
  if (crc32c(copy) !== stored) return 'bad';
  const nUpdates = v.getUint16(20, true);
  const nContext = v.getUint16(24, true);
  if (nUpdates > AL_TX_UPDATES_MAX || nContext > CONTEXT_PER_TRANSACTION) return 'bad';
  return {
    number: Number(v.getBigUint64(8, true)),
    epoch: v.getUint32(16, true),
    updates: Array.from({ length: nUpdates }, (_, i) => ({ slot: v.getUint32(32 + i * 8, true), extent: v.getUint32(36 + i * 8, true) })),
    contextStart: v.getUint16(22, true),
    context: Array.from({ length: nContext }, (_, i) => v.getUint32(AL_TX_CONTEXT_OFFSET + i * 4, true)),
  };
}

/** Callers waiting for a free slot when every slot is pinned by writes in flight. */
const MAX_WAITERS = 65536;

interface Waiter { extent: number; resolve: () => void; reject: (err: unknown) => void }

export interface ActivityLogHooks {
  /** Set and persist the bitmap bits of extents about to leave the AL. */
  beforeEvict(extents: readonly number[]): void;
  /**
   * Flush the data disk's volatile cache. Given, an extent leaves the AL only once every write
   * completed on it is durable there (DRBD's preflush of an AL transaction): a power loss may drop
   * writes the disk acknowledged from its cache, and only the AL says where after the crash.
   */
  flushData?(): Promise<void>;
  /** Run after this tick: the block journal writes one transaction for all of its activations. */
  defer(fn: () => void): void;
}

export class ActivityLog {
  private readonly table: Uint32Array;
  /** extent → slot, in LRU order (oldest first: Map keeps insertion order). */
  private readonly lru = new Map<number, number>();
  private readonly pins = new Map<number, number>();
  private readonly freeSlots: number[] = [];
  private readonly waiters: Waiter[] = [];
  private batch: { updates: SlotUpdate[]; evicted: number[]; extents: Set<number>; done: Promise<void> } | undefined;
  private failure: unknown;
  /**
   * The evictable extents → slot, in the order they became so (idle, writes durable): an AL miss
   * takes the first in O(1). Scanning the LRU instead cost a full pass per miss and per completed
   * write while writes waited for a flush (the random-write case: every write misses).
   */
  private readonly ready = new Map<number, number>();
  /** Idle extents whose last write is not yet known durable → its sequence number (ascending). */
  private readonly undurable = new Map<number, number>();
  private writeSeq = 0;
  private flushing: Promise<void> | undefined;

  constructor(private readonly journal: AlJournal, table: Uint32Array, private readonly hooks: ActivityLogHooks) {
    this.table = table;
    for (let slot = this.table.length - 1; slot >= 0; slot--) {
      if (this.table[slot] === FREE_EXTENT) this.freeSlots.push(slot);
      else this.lru.set(this.table[slot], slot);
    }
    // what the last run left hot is idle now, and durable: recovery resynced or kept it
    for (const [extent, slot] of this.lru) this.ready.set(extent, slot);
  }

  /** Extents in the AL, least recently used first. */
  hot(): number[] {
    return [...this.lru.keys()];
  }

  pinned(extent: number): number {
    return this.pins.get(extent) ?? 0;
  }

  /**
   * `true` when the extent is durable in the AL now; a Promise when it will be. Pins the extent
   * whenever it returns (even when the Promise later rejects), so each return is matched by exactly
   * one complete(); a throw pins nothing.
   */
  activate(extent: number): true | Promise<void> {
    if (this.failure) throw this.failure;
    const result = this.acquire(extent);
    this.pin(extent);
    return result;
  }

  /** activate() without the pin: the caller's pin is already counted (a served waiter). */
  private acquire(extent: number): true | Promise<void> {
    const slot = this.lru.get(extent);
    if (slot !== undefined) {
      this.ready.delete(extent);
      this.undurable.delete(extent);
      this.lru.delete(extent);
      this.lru.set(extent, slot);
      if (this.batch?.extents.has(extent)) return this.batch.done;
      return true;
    }
    const target = this.takeSlot();
    if (target === undefined) {
      const waiting = this.wait(extent);
      this.flushIfThatFreesASlot();
      return waiting;
    }
    return this.place(extent, target.slot, target.evicted);
  }

  /** A write on the extent completed everywhere it was going: the extent may become idle. */
  complete(extent: number): void {
    const n = this.pins.get(extent);
    assert(n !== undefined && n > 0, 'complete() matches an activate()');
    const seq = ++this.writeSeq;
    if (n > 1) {
      this.pins.set(extent, n - 1);
      return;
    }
    this.pins.delete(extent);
    // an activation that waited for a slot and failed (the AL failed) never entered the AL
    if (!this.lru.has(extent)) return;
    // Without a volatile data-disk cache a completed write is durable: the extent may go at once.
    if (this.hooks.flushData) this.undurable.set(extent, seq);
    else this.ready.set(extent, this.lru.get(extent)!);
    this.serveWaiters();
  }

  private pin(extent: number): void {
    this.pins.set(extent, (this.pins.get(extent) ?? 0) + 1);
  }

  /** A free slot, or the slot of the least recently used idle extent (which is evicted). */
  private takeSlot(): { slot: number; evicted?: number } | undefined {
    const free = this.freeSlots.pop();
    if (free !== undefined) return { slot: free };
    for (const [extent, slot] of this.ready) {
      assert(!this.pins.has(extent) && !this.batch?.extents.has(extent) && !this.undurable.has(extent), 'a ready extent is idle and durable');
      this.ready.delete(extent);
      this.lru.delete(extent);
      return { slot, evicted: extent };
    }
    return undefined;
  }

  private place(extent: number, slot: number, evicted: number | undefined): true | Promise<void> {
    const result = this.record(extent, slot, evicted);
    // Waiters pin their extent before it has a slot. One whose extent comes in by another write
    // is answered now: left queued, behind a waiter that needs a slot only its pin holds, both
    // would wait for ever (seed 20263).
    if (this.waiters.some((w) => w.extent === extent)) this.answerWaitersFor(extent, result);
    return result;
  }

  private answerWaitersFor(extent: number, result: true | Promise<void>): void {
    let kept = 0;
    for (const w of this.waiters) {
      if (w.extent !== extent) this.waiters[kept++] = w;
      else if (result === true) w.resolve();
      else result.then(w.resolve, w.reject);
    }
    this.waiters.length = kept;
  }

  private record(extent: number, slot: number, evicted: number | undefined): true | Promise<void> {
    this.table[slot] = extent;
    this.lru.set(extent, slot);
    const update = { slot, extent };
    if (this.journal.inline) {
      // most writes of a scattered workload come here: no closure (guard's) per activation
      try {
        if (evicted !== undefined) this.hooks.beforeEvict([evicted]);
        this.journal.record([update], this.table);
      } catch (err) {
        throw this.failedWith(err);
      }
      return true;
    }
    const batch = this.batch ?? this.openBatch();
    batch.updates.push(update);
    batch.extents.add(extent);
    if (evicted !== undefined) batch.evicted.push(evicted);
    return batch.done;
  }

  private openBatch(): NonNullable<ActivityLog['batch']> {
    let settle!: { resolve: () => void; reject: (e: unknown) => void };
    const done = new Promise<void>((resolve, reject) => { settle = { resolve, reject }; });
    const batch = { updates: [] as SlotUpdate[], evicted: [] as number[], extents: new Set<number>(), done };
    this.batch = batch;
    this.hooks.defer(() => {
      this.batch = undefined;
      try {
        this.guard(() => {
          if (batch.evicted.length > 0) this.hooks.beforeEvict(batch.evicted);
          this.journal.record(batch.updates, this.table);
        });
        settle.resolve();
      } catch (err) {
        settle.reject(err);
      }
    });
    return batch;
  }

  /** A failed metadata write leaves media and memory out of step: refuse all further use. */
  private guard(action: () => void): void {
    try {
      action();
    } catch (err) {
      throw this.failedWith(err);
    }
  }

  /** Records a failed metadata write as the AL's failure, and returns it (to throw). */
  private failedWith(err: unknown): unknown {
    this.failure = err instanceof TandemError ? err : new TandemError('TANDEM_E_IO', `activity-log update failed: ${(err as Error).message}`, {
      hint: 'the metadata device failed; detach the volume and check the device', cause: err,
    });
    return this.failure;
  }

  private wait(extent: number): Promise<void> {
    if (this.waiters.length >= MAX_WAITERS) {
      throw new TandemError('TANDEM_E_STATE', `more than ${MAX_WAITERS} writes wait for an activity-log slot`, {
        hint: 'every AL slot is pinned by writes in flight; raise al-extents or lower the I/O depth',
      });
    }
    return new Promise((resolve, reject) => this.waiters.push({ extent, resolve, reject }));
  }

  private serveWaiters(): void {
    while (this.waiters.length > 0) {
      const w = this.waiters[0];
      if (!this.lru.has(w.extent) && !this.hasIdle()) {
        this.flushIfThatFreesASlot();
        return;
      }
      this.waiters.shift(); // before acquire: placing its extent answers the other waiters for it
      let result: true | Promise<void>;
      try {
        if (this.failure) throw this.failure;
        result = this.acquire(w.extent);
      } catch (err) {
        w.reject(err);
        continue;
      }
      if (result === true) w.resolve(); else result.then(w.resolve, w.reject);
    }
  }

  private hasIdle(): boolean {
    return this.freeSlots.length > 0 || this.ready.size > 0;
  }

  /** Every slot is taken and some idle extent waits only for the data disk: flush it (one at a time). */
  private flushIfThatFreesASlot(): void {
    const flushData = this.hooks.flushData;
    if (!flushData || this.flushing || this.failure) return;
    if (this.undurable.size === 0) return;
    const upTo = this.writeSeq;
    this.flushing = flushData().then(
      () => this.becameDurable(upTo),
      (err: unknown) => this.failAll(new TandemError('TANDEM_E_IO', `data disk flush before an activity-log eviction failed: ${(err as Error).message}`, {
        hint: 'the data disk failed; detach the volume and check the device', cause: err,
      })),
    ).finally(() => {
      this.flushing = undefined;
      this.serveWaiters();
    });
  }

  /** Every write completed up to `seq` is on stable media: the extents idle since are evictable. */
  private becameDurable(seq: number): void {
    for (const [extent, last] of this.undurable) {
      if (last > seq) break;
      this.undurable.delete(extent);
      this.ready.set(extent, this.lru.get(extent)!);
    }
  }

  /** The AL cannot go on safely: every waiting and later activation fails with `err`. */
  private failAll(err: TandemError): void {
    this.failure = err;
    for (const w of this.waiters.splice(0)) w.reject(err);
  }
}
