// The out-of-sync bitmap: one bit per 4 KiB per peer slot, slots interleaved in 32-bit words,
// with a CRC32C per 8 KiB page (layout.ts). Two kinds of change:
//  - durable (set, clear): written with the changed pages' checksums, persisted before return;
//  - held (hold): bits inside extents the AL covers, kept in memory only — a crash is covered by
//    the AL replay (invariant M1) — and written, with their pages' checksums patched in place, by
//    writeBack when the extent leaves the AL (invariant M2). This is what keeps the write path
//    down to the AL update: a Primary that records a missed block per write touches no media.
// A page on media changes only together with its checksum, so a page whose checksum fails is
// damage or a crash between the two writes; either way it is read as every bit set (repair).
// Reads (test, count, countRange, runs) include held bits; per-slot counts are kept in memory.
import { assert } from '../lib/assert.js';
import { Crc32cPatcher, crc32c } from './crc32c.js';
import { AL_EXTENT_BYTES, BITMAP_CRC_BYTES, BITMAP_PAGE, BYTES_PER_BIT, type Geometry } from './layout.js';
import type { MetaStore } from './store.js';

/** Logical words per slot handled per read chunk (bounds memory for whole-volume reads). */
const CHUNK_WORDS = 16 * 1024;
/** Pages per read-modify-write chunk of a durable change. */
const CHUNK_PAGES = 16;
const BITS_PER_EXTENT = AL_EXTENT_BYTES / BYTES_PER_BIT;
const WORDS_PER_EXTENT = BITS_PER_EXTENT / 32;
/** Above this many changed bits in a page, recomputing its checksum is cheaper than patching it. */
const PATCH_BITS_MAX = 512;
/** Spare held-extent entries kept for reuse. */
const SPARE_MAX = 64;

/** Computed once per process: the columns are the same for every bitmap. */
let patcher: Crc32cPatcher | undefined;

interface HeldExtent {
  /** the extent's interleaved words with the held bits */
  words: Uint32Array;
  /** the same words as on media: what the page checksums cover */
  onMedia: Uint32Array;
}

/** A bitmap page whose checksum failed: which bits of every slot it holds (part of them, when the page splits a word group). */
export interface DamagedPage {
  page: number;
  /** Bitmap bytes [offset, offset + length) relative to the bitmap's start. */
  offset: number;
  length: number;
  /** Logical bits [firstBit, endBit) of which the page holds at least one slot's word. */
  firstBit: number;
  endBit: number;
}

export class Bitmap {
  private readonly counts: number[];
  /** Checksum of each page as on media (trusted after a page is verified or repaired). */
  private readonly crcs: Uint32Array;
  /** Extents with held bits → their words as meant to be, and as on media (kept in step by durable changes). */
  private readonly held = new Map<number, HeldExtent>();
  /** Entries of extents written back, reused (one per AL slot at most): no allocation per write. */
  private readonly spare: HeldExtent[] = [];
  /** one checksum entry, reused: the store copies it at once */
  private readonly crcEntry = new Uint8Array(BITMAP_CRC_BYTES);
  /** Pages whose checksum failed when the bitmap was opened (cleared by repair). */
  damaged: DamagedPage[];
  private readonly volumeBits: number;

  /** Write the checksums of an all-zero bitmap (formatting has zeroed the pages). Not persisted. */
  static format(store: MetaStore, g: Geometry): void {
    const table = new Uint8Array(g.bmCrcLength);
    const v = new DataView(table.buffer);
    const zeros = new Uint8Array(BITMAP_PAGE);
    for (let p = 0; p < g.bmPages; p++) v.setUint32(p * BITMAP_CRC_BYTES, crc32c(zeros.subarray(0, pageLength(g, p)), p), true);
    store.write(g.bmCrcOffset, table);
  }

  constructor(private readonly store: MetaStore, private readonly g: Geometry) {
    this.volumeBits = Math.ceil(g.volumeSize / BYTES_PER_BIT);
    this.crcs = new Uint32Array(g.bmPages);
    const table = new DataView(store.read(g.bmCrcOffset, g.bmPages * BITMAP_CRC_BYTES).buffer);
    for (let p = 0; p < g.bmPages; p++) this.crcs[p] = table.getUint32(p * BITMAP_CRC_BYTES, true);
    this.counts = new Array<number>(g.maxPeers).fill(0);
    this.damaged = this.verifyAndCount();
  }

  /** Bit range [first, end) covering the byte range [offset, offset + length) of the volume. */
  bitsOf(offset: number, length: number): [number, number] {
    assert(offset >= 0 && length >= 0 && offset + length <= this.g.volumeSize, 'bitmap byte range inside the volume');
    return [Math.floor(offset / BYTES_PER_BIT), Math.ceil((offset + length) / BYTES_PER_BIT)];
  }

  /** Set bits [first, end) in every slot listed; persisted, with the pages' checksums, on return. */
  set(slots: readonly number[], first: number, end: number): void {
    this.modify(slots, first, end, (word, mask) => (word | mask) >>> 0);
  }

  /** Clear bits [first, end) in every slot listed (held ones too); persisted on return. */
  clear(slots: readonly number[], first: number, end: number): void {
    this.modify(slots, first, end, (word, mask) => (word & ~mask) >>> 0);
  }

  /**
   * Set bits [first, end) in memory only. The caller keeps every extent of the range in the AL
   * until writeBack(extent): until then a crash is covered by the AL replay.
   */
  hold(slots: readonly number[], first: number, end: number): void {
    this.checkRange(slots, first, end);
    if (first === end || slots.length === 0) return;
    for (let e = Math.floor(first / BITS_PER_EXTENT); e <= Math.floor((end - 1) / BITS_PER_EXTENT); e++) {
      const { words } = this.heldWords(e);
      const w0 = e * WORDS_PER_EXTENT;
      for (let w = Math.max(first >>> 5, w0); w <= Math.min((end - 1) >>> 5, w0 + WORDS_PER_EXTENT - 1); w++) {
        const mask = maskOf(w, first, end);
        for (const s of slots) {
          const i = (w - w0) * this.g.maxPeers + s;
          const next = (words[i] | mask) >>> 0;
          this.counts[s] += popcount(next) - popcount(words[i]);
          words[i] = next;
        }
      }
    }
  }

  /** Extents holding bits not yet on media. */
  heldExtents(): number[] {
    return [...this.held.keys()];
  }

  /**
   * Write the held bits of these extents with their pages' checksums and persist them all at
   * once; the extents may then leave the AL. A page's checksum is patched per changed word (a
   * write for a missed block changes one bit), or recomputed when so many bits changed that
   * patching would cost more (a whole extent marked for a peer).
   */
  writeBack(extents: readonly number[]): void {
    // every AL eviction calls this, and with every peer connected nothing is held: allocate nothing then
    if (this.held.size === 0) return;
    const changes: Array<{ at: number; words: Uint32Array; onMedia: Uint32Array }> = [];
    const changedBits = new Map<number, number>(); // page → bits changed in it, over all extents
    for (const e of extents) {
      const entry = this.held.get(e);
      if (!entry) continue;
      this.held.delete(e);
      const { words, onMedia } = entry;
      const at = this.extentOffset(e);
      let changed = false;
      for (let i = 0; i < words.length; i++) {
        if (onMedia[i] === words[i]) continue;
        const p = Math.floor((at - this.g.bmOffset + i * 4) / BITMAP_PAGE);
        changedBits.set(p, (changedBits.get(p) ?? 0) + popcount(onMedia[i] ^ words[i]));
        changed = true;
      }
      if (changed) changes.push({ at, words, onMedia });
      else this.recycle(entry);
    }
    if (changes.length === 0) return;
    const ranges: Array<[number, number]> = [];
    for (const { at, words, onMedia } of changes) {
      for (let i = 0; i < words.length; i++) {
        const offset = at - this.g.bmOffset + i * 4;
        const p = Math.floor(offset / BITMAP_PAGE);
        if (onMedia[i] === words[i] || changedBits.get(p)! > PATCH_BITS_MAX) continue;
        this.crcs[p] = patcherFor().patch(this.crcs[p], pageLength(this.g, p), offset - p * BITMAP_PAGE, onMedia[i], words[i]);
      }
      this.store.write(at, new Uint8Array(words.buffer, words.byteOffset, words.byteLength));
      ranges.push([at, words.byteLength]);
    }
    for (const { words, onMedia } of changes) this.recycle({ words, onMedia });
    for (const [p, bits] of changedBits) {
      if (bits > PATCH_BITS_MAX) this.crcs[p] = crc32c(this.store.read(this.g.bmOffset + p * BITMAP_PAGE, pageLength(this.g, p)), p);
      ranges.push(this.writeCrc(p));
    }
    this.store.persistRanges(ranges);
  }

  /**
   * Read every damaged page as "all bits set for every slot" (bits beyond the volume's end stay
   * clear) and write it with a valid checksum; persisted on return.
   */
  repair(): DamagedPage[] {
    const repaired = this.damaged;
    const ranges: Array<[number, number]> = [];
    for (const d of repaired) {
      const bytes = new Uint8Array(d.length);
      const words = littleEndianWords(bytes);
      const firstWord = d.offset / 4;
      for (let i = 0; i < words.length; i++) words[i] = maskOf(Math.floor((firstWord + i) / this.g.maxPeers), 0, this.volumeBits);
      this.store.write(this.g.bmOffset + d.offset, bytes);
      this.crcs[d.page] = crc32c(bytes, d.page);
      ranges.push([this.g.bmOffset + d.offset, d.length], this.writeCrc(d.page));
    }
    if (ranges.length > 0) this.store.persistRanges(ranges);
    this.damaged = [];
    if (repaired.length > 0) {
      this.counts.fill(0);
      this.verifyAndCount();
    }
    return repaired;
  }

  test(slot: number, bit: number): boolean {
    this.checkSlot(slot);
    assert(bit >= 0 && bit < this.g.bitsPerSlot, 'bit inside the slot');
    const e = Math.floor(bit / BITS_PER_EXTENT);
    const held = this.held.get(e);
    const word = held
      ? held.words[((bit >>> 5) - e * WORDS_PER_EXTENT) * this.g.maxPeers + slot]
      : new DataView(this.store.read(this.wordOffset(bit >>> 5, slot), 4).buffer).getUint32(0, true);
    return ((word >>> (bit & 31)) & 1) === 1;
  }

  /** Set bits of a slot (O(1), maintained on every change). */
  count(slot: number): number {
    this.checkSlot(slot);
    return this.counts[slot];
  }

  /** Set bits of a slot within [first, end). */
  countRange(slot: number, first: number, end: number): number {
    this.checkSlot(slot);
    let total = 0;
    this.forEachChunk(first, end, (w0, w1, words) => {
      for (let w = w0; w < w1; w++) total += popcount(words[(w - w0) * this.g.maxPeers + slot] & maskOf(w, first, end));
    });
    return total;
  }

  /** Runs of set bits of a slot as [firstBit, endBit) pairs (for dump and resync planning). */
  runs(slot: number, limit = Infinity): Array<[number, number]> {
    this.checkSlot(slot);
    const runs: Array<[number, number]> = [];
    let start = -1;
    this.forEachChunk(0, this.g.bitsPerSlot, (w0, w1, words) => {
      for (let w = w0; w < w1 && runs.length < limit; w++) {
        const word = words[(w - w0) * this.g.maxPeers + slot];
        if ((word === 0 && start < 0) || (word === 0xffffffff && start >= 0)) continue;
        for (let b = 0; b < 32; b++) {
          const set = ((word >>> b) & 1) === 1;
          if (set && start < 0) start = w * 32 + b;
          if (!set && start >= 0) { runs.push([start, w * 32 + b]); start = -1; }
        }
      }
    });
    if (start >= 0 && runs.length < limit) runs.push([start, this.g.bitsPerSlot]);
    return runs;
  }

  /** Read-modify-write whole pages, recompute the changed pages' checksums, persist data and checksums. */
  private modify(slots: readonly number[], first: number, end: number, op: (word: number, mask: number) => number): void {
    this.checkRange(slots, first, end);
    if (first === end || slots.length === 0) return;
    const inSlots = new Array<boolean>(this.g.maxPeers).fill(false);
    for (const s of slots) inSlots[s] = true;
    const { maxPeers } = this.g;
    const i0 = (first >>> 5) * maxPeers;
    const i1 = (((end - 1) >>> 5) + 1) * maxPeers; // interleaved words [i0, i1)
    const lastPage = Math.floor((i1 * 4 - 1) / BITMAP_PAGE);
    const ranges: Array<[number, number]> = [];
    for (let p0 = Math.floor((i0 * 4) / BITMAP_PAGE); p0 <= lastPage; p0 += CHUNK_PAGES) {
      const p1 = Math.min(lastPage + 1, p0 + CHUNK_PAGES);
      const at = p0 * BITMAP_PAGE;
      const bytes = this.store.read(this.g.bmOffset + at, Math.min(p1 * BITMAP_PAGE, this.g.bmLength) - at);
      const words = littleEndianWords(bytes);
      const changed = new Set<number>();
      for (let i = Math.max(i0, at / 4); i < Math.min(i1, at / 4 + words.length); i++) {
        const w = Math.floor(i / maxPeers);
        const s = i - w * maxPeers;
        if (!inSlots[s]) continue;
        const mask = maskOf(w, first, end);
        const k = i - at / 4;
        const next = op(words[k], mask);
        const held = this.held.get(Math.floor(w / WORDS_PER_EXTENT));
        const h = (w % WORDS_PER_EXTENT) * maxPeers + s;
        const before = held ? held.words[h] : words[k];
        if (held) {
          held.words[h] = op(held.words[h], mask);
          held.onMedia[h] = next;
        }
        this.counts[s] += popcount(held ? held.words[h] : next) - popcount(before);
        if (next === words[k]) continue;
        words[k] = next;
        changed.add(Math.floor((i * 4) / BITMAP_PAGE));
      }
      if (changed.size === 0) continue;
      this.store.write(this.g.bmOffset + at, bytes);
      ranges.push([this.g.bmOffset + at, bytes.length]);
      for (const p of changed) {
        const from = (p - p0) * BITMAP_PAGE;
        this.crcs[p] = crc32c(bytes.subarray(from, from + pageLength(this.g, p)), p);
        ranges.push(this.writeCrc(p));
      }
    }
    if (ranges.length > 0) this.store.persistRanges(ranges);
  }

  /** Write one page's checksum (4 bytes, inside one aligned 8-byte word: never torn); the range to persist. */
  private writeCrc(page: number): [number, number] {
    const crc = this.crcs[page];
    for (let i = 0; i < BITMAP_CRC_BYTES; i++) this.crcEntry[i] = (crc >>> (8 * i)) & 0xff;
    const at = this.g.bmCrcOffset + page * BITMAP_CRC_BYTES;
    this.store.write(at, this.crcEntry);
    return [at, BITMAP_CRC_BYTES];
  }

  /** The held words of an extent, read from media the first time. */
  private heldWords(e: number): HeldExtent {
    let entry = this.held.get(e);
    if (!entry) {
      const lastWord = Math.min((e + 1) * WORDS_PER_EXTENT, this.g.bitsPerSlot / 32);
      const length = (lastWord - e * WORDS_PER_EXTENT) * this.g.maxPeers;
      const spare = length === WORDS_PER_EXTENT * this.g.maxPeers ? this.spare.pop() : undefined;
      entry = spare ?? { words: new Uint32Array(length), onMedia: new Uint32Array(length) };
      this.store.readInto(this.extentOffset(e), new Uint8Array(entry.onMedia.buffer, entry.onMedia.byteOffset, entry.onMedia.byteLength));
      assert(LITTLE_ENDIAN_HOST, 'little-endian host');
      entry.words.set(entry.onMedia);
      this.held.set(e, entry);
    }
    return entry;
  }

  private recycle(entry: HeldExtent): void {
    if (entry.words.length === WORDS_PER_EXTENT * this.g.maxPeers && this.spare.length < SPARE_MAX) this.spare.push(entry);
  }

  private extentOffset(e: number): number {
    return this.wordOffset(e * WORDS_PER_EXTENT, 0);
  }

  /** One pass over the media: the pages whose data does not match their checksum, and every slot's count. */
  private verifyAndCount(): DamagedPage[] {
    const damaged: DamagedPage[] = [];
    const { maxPeers } = this.g;
    for (let p0 = 0; p0 < this.g.bmPages; p0 += CHUNK_PAGES) {
      const p1 = Math.min(this.g.bmPages, p0 + CHUNK_PAGES);
      const bytes = this.store.read(this.g.bmOffset + p0 * BITMAP_PAGE, Math.min(p1 * BITMAP_PAGE, this.g.bmLength) - p0 * BITMAP_PAGE);
      const words = littleEndianWords(bytes);
      const firstWord = (p0 * BITMAP_PAGE) / 4;
      const used = Math.min(words.length, (this.g.bitsPerSlot / 32) * maxPeers - firstWord); // not the padding after the last slot word
      for (let i = 0; i < used; i++) if (words[i] !== 0) this.counts[(firstWord + i) % maxPeers] += popcount(words[i]);
      for (let p = p0; p < p1; p++) {
        const from = (p - p0) * BITMAP_PAGE;
        const length = pageLength(this.g, p);
        if (crc32c(bytes.subarray(from, from + length), p) === this.crcs[p]) continue;
        const offset = p * BITMAP_PAGE;
        const first = Math.floor(offset / 4 / maxPeers);
        const end = Math.min(Math.floor(((offset + length) / 4 - 1) / maxPeers) + 1, this.g.bitsPerSlot / 32);
        damaged.push({ page: p, offset, length, firstBit: first * 32, endBit: Math.max(first, end) * 32 });
      }
    }
    return damaged;
  }

  /** Visit the interleaved words of logical words [first>>5, (end-1)>>5] chunk by chunk, held bits included. */
  private forEachChunk(first: number, end: number, visit: (w0: number, w1: number, words: Uint32Array) => void): void {
    if (end <= first) return;
    const lastWord = (end - 1) >>> 5;
    for (let w0 = first >>> 5; w0 <= lastWord; w0 += CHUNK_WORDS) {
      const w1 = Math.min(lastWord + 1, w0 + CHUNK_WORDS);
      const words = littleEndianWords(this.store.read(this.wordOffset(w0, 0), (w1 - w0) * this.g.maxPeers * 4));
      for (const [e, { words: held }] of this.held) {
        const h0 = e * WORDS_PER_EXTENT;
        const from = Math.max(w0, h0);
        const to = Math.min(w1, h0 + held.length / this.g.maxPeers);
        if (from < to) words.set(held.subarray((from - h0) * this.g.maxPeers, (to - h0) * this.g.maxPeers), (from - w0) * this.g.maxPeers);
      }
      visit(w0, w1, words);
    }
  }

  private wordOffset(logicalWord: number, slot: number): number {
    return this.g.bmOffset + (logicalWord * this.g.maxPeers + slot) * 4;
  }

  private checkRange(slots: readonly number[], first: number, end: number): void {
    slots.forEach((s) => this.checkSlot(s));
    assert(first >= 0 && first <= end && end <= this.g.bitsPerSlot, 'bit range inside the slot');
  }

  private checkSlot(slot: number): void {
    assert(Number.isInteger(slot) && slot >= 0 && slot < this.g.maxPeers, 'bitmap slot inside max peers');
  }
}

/** Bytes of page p (the last page may be shorter). */
function pageLength(g: Geometry, p: number): number {
  return Math.min(BITMAP_PAGE, g.bmLength - p * BITMAP_PAGE);
}

function patcherFor(): Crc32cPatcher {
  patcher ??= new Crc32cPatcher(BITMAP_PAGE);
  return patcher;
}

/** Bits of logical word w that fall inside [first, end). */
function maskOf(w: number, first: number, end: number): number {
  const lo = Math.max(first - w * 32, 0);
  const hi = Math.min(end - w * 32, 32);
  if (lo >= hi) return 0;
  const width = hi - lo;
  return (width === 32 ? 0xffffffff : ((1 << width) - 1) << lo) >>> 0;
}

export function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** The format is little-endian, and so is every machine Tandem runs on (x86-64, arm64). */
function littleEndianWords(bytes: Uint8Array): Uint32Array {
  assert(LITTLE_ENDIAN_HOST, 'little-endian host');
  return new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
}
