// The payload of a BitmapChunk: which bits, from the chunk's bitOffset on, are set (out of sync).
//
//   raw  64-bit little-endian words; bit i of the chunk is bit (i % 64) of word ⌊i / 64⌋
//   rle  unsigned LEB128 varints: lengths of alternating runs, clear first, then set, clear, …
//        Only the first run may be 0 (a chunk that starts with set bits). Varints are minimal
//        (no redundant 0x80 groups) and at most 8 bytes.
// Both decode to set-bit ranges, never to a materialized bitmap, so a tiny RLE payload that
// claims 2^50 bits costs nothing; every decode is bounded by the caller's maxBits (the volume's
// bits from bitOffset) and is strict like the rest of the codec.
import { assert } from '../lib/assert.js';
import { protocolError } from './codec.js';

export interface BitRange {
  /** first set bit, relative to the chunk's bitOffset */
  start: number;
  count: number;
}

const VARINT_BYTES_MAX = 8;

/** RLE payload for `bitCount` bits with the given set ranges (sorted, disjoint). */
export function encodeRle(ranges: BitRange[], bitCount: number): Buffer {
  const bytes: number[] = [];
  let position = 0;
  for (const [i, range] of ranges.entries()) {
    // a clear run of 0 is allowed only first: adjacent ranges must be merged by the caller
    assert((range.start > position || i === 0) && range.start >= position && range.count > 0 &&
      range.start + range.count <= bitCount, 'ranges are sorted, disjoint, not adjacent and inside the chunk');
    pushVarint(bytes, range.start - position);
    pushVarint(bytes, range.count);
    position = range.start + range.count;
  }
  if (position < bitCount) pushVarint(bytes, bitCount - position);
  return Buffer.from(bytes);
}

/** Raw payload for `bitCount` bits (rounded up to whole 64-bit words). */
export function encodeRaw(ranges: BitRange[], bitCount: number): Buffer {
  const words = Buffer.alloc(Math.ceil(bitCount / 64) * 8);
  for (const { start, count } of ranges) {
    assert(start + count <= bitCount, 'ranges are inside the chunk');
    for (let bit = start; bit < start + count; bit++) words[bit >>> 3] |= 1 << (bit & 7);
  }
  return words;
}

/** Set ranges of a chunk's payload; TANDEM_E_PROTOCOL if malformed or longer than maxBits. */
export function decodeBitmapChunk(encoding: 'raw' | 'rle', payload: Buffer, maxBits: number): { ranges: BitRange[]; bitCount: number } {
  return encoding === 'raw' ? decodeRaw(payload, maxBits) : decodeRle(payload, maxBits);
}

function decodeRaw(payload: Buffer, maxBits: number): { ranges: BitRange[]; bitCount: number } {
  if (payload.length % 8 !== 0) throw protocolError(`BitmapChunk: raw payload of ${payload.length} bytes is not whole 64-bit words`);
  const bitCount = payload.length * 8;
  const ranges: BitRange[] = [];
  for (let byte = 0; byte < payload.length; byte++) {
    if (payload[byte] === 0) continue;
    for (let b = 0; b < 8; b++) {
      if ((payload[byte] & (1 << b)) === 0) continue;
      const bit = byte * 8 + b;
      if (bit >= maxBits) throw protocolError(`BitmapChunk: bit ${bit} is set beyond the ${maxBits} bits of the volume`);
      const last = ranges[ranges.length - 1];
      if (last && last.start + last.count === bit) last.count++;
      else ranges.push({ start: bit, count: 1 });
    }
  }
  return { ranges, bitCount: Math.min(bitCount, maxBits) };
}

function decodeRle(payload: Buffer, maxBits: number): { ranges: BitRange[]; bitCount: number } {
  const ranges: BitRange[] = [];
  let position = 0;
  let offset = 0;
  for (let run = 0; offset < payload.length; run++) {
    const { value, next } = readVarint(payload, offset);
    offset = next;
    if (value === 0 && run > 0) throw protocolError(`BitmapChunk: run ${run} has length 0`);
    if (value > maxBits - position) throw protocolError(`BitmapChunk: runs cover more than the ${maxBits} bits left in the volume`);
    if (run % 2 === 1) ranges.push({ start: position, count: value });
    position += value;
  }
  return { ranges, bitCount: position };
}

function pushVarint(out: number[], value: number): void {
  assert(Number.isSafeInteger(value) && value >= 0, 'varints are safe non-negative integers');
  let rest = value;
  while (rest >= 0x80) {
    out.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  out.push(rest);
}

function readVarint(buf: Buffer, at: number): { value: number; next: number } {
  let value = 0;
  for (let i = 0; i < VARINT_BYTES_MAX; i++) {
    if (at + i >= buf.length) throw protocolError('BitmapChunk: run length cut off at the end of the payload');
    const byte = buf[at + i];
    value += (byte & 0x7f) * 2 ** (7 * i);
    if ((byte & 0x80) === 0) {
      if (byte === 0 && i > 0) throw protocolError('BitmapChunk: run length is not minimally encoded');
      return { value, next: at + i + 1 };
    }
  }
  throw protocolError(`BitmapChunk: run length longer than ${VARINT_BYTES_MAX} bytes`);
}
