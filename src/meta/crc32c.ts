// CRC32C (Castagnoli, reflected polynomial 0x82F63B78), table-driven. Protects superblocks, the
// allocator directory, block-placement AL transactions, PMEM AL slots and bitmap pages. Check
// value: "123456789" → 0xE3069283.

const POLY = 0x82f63b78;

const TABLE: Uint32Array = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC32C of `data`; pass a previous result as `seed` to continue over several pieces. */
export function crc32c(data: Uint8Array, seed = 0): number {
  let crc = ~seed >>> 0;
  for (let i = 0; i < data.length; i++) crc = TABLE[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
  return ~crc >>> 0;
}

/** The raw CRC register after one more zero byte (no pre/post inversion). */
function zeroByte(register: number): number {
  return (TABLE[register & 0xff] ^ (register >>> 8)) >>> 0;
}

/**
 * Keeps the CRC32C of a fixed-length buffer up to date when 32-bit words of it change, without
 * reading the rest of the buffer. The CRC is affine in the data, so for two buffers of one length
 * crc(a) ^ crc(b) is the raw (uninverted) CRC of a ^ b; for a difference in one word that is the
 * XOR of one precomputed column per changed bit. Used for bitmap pages: a write-back changes a few
 * words of 8 KiB, and a full CRC of the page would cost more than the rest of the write.
 */
export class Crc32cPatcher {
  /** columns[(word * 32) + bit]: raw CRC of a buffer of maxLength bytes holding only that bit. */
  private readonly columns: Uint32Array;

  constructor(readonly maxLength: number) {
    const words = maxLength / 4;
    if (!Number.isInteger(words) || words < 1) throw new RangeError(`Crc32cPatcher: ${maxLength} is not a positive multiple of 4`);
    this.columns = new Uint32Array(words * 32);
    for (let bit = 0; bit < 32; bit++) {
      let register = 0;
      for (let byte = 0; byte < 4; byte++) register = (TABLE[(register ^ ((1 << bit) >>> (8 * byte))) & 0xff] ^ (register >>> 8)) >>> 0;
      // the last word has no zeros after it; each earlier word has four more
      for (let word = words - 1; word >= 0; word--) {
        this.columns[word * 32 + bit] = register;
        for (let z = 0; z < 4; z++) register = zeroByte(register);
      }
    }
  }

  /**
   * The CRC of a buffer of `length` bytes (a multiple of 4, at most maxLength) whose little-endian
   * word at byte `offset` changed from `before` to `after`, given its CRC before the change.
   */
  patch(crc: number, length: number, offset: number, before: number, after: number): number {
    let delta = (before ^ after) >>> 0;
    // A column depends only on the distance to the end of the buffer.
    const base = ((this.maxLength - length + offset) >>> 2) * 32;
    while (delta !== 0) {
      const low = (delta & -delta) >>> 0;
      crc ^= this.columns[base + 31 - Math.clz32(low)];
      delta = (delta ^ low) >>> 0;
    }
    return crc >>> 0;
  }
}
