// The out-of-sync bitmap: one bit per 4 KiB per peer slot, slots interleaved in 32-bit words
// (layout.ts). Every change is persisted before the call returns. Per-slot counts are kept in
// memory (computed once at open) so outOfSync queries cost nothing on the write path.
import { assert } from '../lib/assert.js';
import { BYTES_PER_BIT, type Geometry } from './layout.js';
import type { MetaStore } from './store.js';

/** Logical words per slot handled per read-modify-write chunk (bounds memory for whole-volume ops). */
const CHUNK_WORDS = 16 * 1024;

export class Bitmap {
  private readonly counts: number[];

  constructor(private readonly store: MetaStore, private readonly g: Geometry) {
    this.counts = Array.from({ length: g.maxPeers }, (_, slot) => this.countRange(slot, 0, g.bitsPerSlot));
  }

  /** Bit range [first, end) covering the byte range [offset, offset + length) of the volume. */
  bitsOf(offset: number, length: number): [number, number] {
    assert(offset >= 0 && length >= 0 && offset + length <= this.g.volumeSize, 'bitmap byte range inside the volume');
    return [Math.floor(offset / BYTES_PER_BIT), Math.ceil((offset + length) / BYTES_PER_BIT)];
  }

  /** Set bits [first, end) in every slot listed; persisted on return unless `durable` is false. */
  set(slots: readonly number[], first: number, end: number, durable = true): void {
    this.modify(slots, first, end, (word, mask) => (word | mask) >>> 0, durable);
  }

  /** Make bits [first, end) of every slot durable (what non-durable sets left in the store). */
  persistBits(first: number, end: number): void {
    if (end <= first) return;
    const byteOffset = this.wordOffset(first >>> 5, 0);
    this.store.persist(byteOffset, this.wordOffset(((end - 1) >>> 5) + 1, 0) - byteOffset);
  }

  clear(slots: readonly number[], first: number, end: number): void {
    this.modify(slots, first, end, (word, mask) => (word & ~mask) >>> 0);
  }

  test(slot: number, bit: number): boolean {
    this.checkSlot(slot);
    assert(bit >= 0 && bit < this.g.bitsPerSlot, 'bit inside the slot');
    const word = new DataView(this.store.read(this.wordOffset(bit >>> 5, slot), 4).buffer).getUint32(0, true);
    return ((word >>> (bit & 31)) & 1) === 1;
  }

  /** Set bits of a slot (O(1), maintained on every change). */
  count(slot: number): number {
    this.checkSlot(slot);
    return this.counts[slot];
  }

  /** Set bits of a slot within [first, end), read from the media. */
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

  private modify(slots: readonly number[], first: number, end: number, op: (word: number, mask: number) => number, durable = true): void {
    slots.forEach((s) => this.checkSlot(s));
    assert(first >= 0 && first <= end && end <= this.g.bitsPerSlot, 'bit range inside the slot');
    if (first === end || slots.length === 0) return;
    this.forEachChunk(first, end, (w0, w1, words, byteOffset) => {
      for (let w = w0; w < w1; w++) {
        const mask = maskOf(w, first, end);
        for (const s of slots) {
          const i = (w - w0) * this.g.maxPeers + s;
          const next = op(words[i], mask);
          this.counts[s] += popcount(next) - popcount(words[i]);
          words[i] = next;
        }
      }
      const bytes = new Uint8Array(words.buffer, words.byteOffset, words.byteLength);
      this.store.write(byteOffset, bytes);
      if (durable) this.store.persist(byteOffset, bytes.length);
    });
  }

  /** Visit the interleaved words of logical words [first>>5, (end-1)>>5] chunk by chunk. */
  private forEachChunk(first: number, end: number, visit: (w0: number, w1: number, words: Uint32Array, byteOffset: number) => void): void {
    if (end <= first) return;
    const lastWord = (end - 1) >>> 5;
    for (let w0 = first >>> 5; w0 <= lastWord; w0 += CHUNK_WORDS) {
      const w1 = Math.min(lastWord + 1, w0 + CHUNK_WORDS);
      const byteOffset = this.wordOffset(w0, 0);
      const bytes = this.store.read(byteOffset, (w1 - w0) * this.g.maxPeers * 4);
      visit(w0, w1, littleEndianWords(bytes), byteOffset);
    }
  }

  private wordOffset(logicalWord: number, slot: number): number {
    return this.g.bmOffset + (logicalWord * this.g.maxPeers + slot) * 4;
  }

  private checkSlot(slot: number): void {
    assert(Number.isInteger(slot) && slot >= 0 && slot < this.g.maxPeers, 'bitmap slot inside max peers');
  }
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
