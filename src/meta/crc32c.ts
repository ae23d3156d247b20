// CRC32C (Castagnoli, reflected polynomial 0x82F63B78), table-driven. Protects superblocks, the
// allocator directory, block-placement AL transactions, PMEM AL slots and bitmap pages. Check
// value: "123456789" → 0xE3069283.

const POLY = 0x82f63b78;

/** TABLES[k][n]: the register after byte n followed by k zero bytes (slicing-by-8). */
const TABLES: Uint32Array[] = (() => {
  const tables = Array.from({ length: 8 }, () => new Uint32Array(256));
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    tables[0][n] = c >>> 0;
  }
  for (let n = 0; n < 256; n++) {
    for (let k = 1; k < 8; k++) tables[k][n] = (tables[0][tables[k - 1][n] & 0xff] ^ (tables[k - 1][n] >>> 8)) >>> 0;
  }
  return tables;
})();
const TABLE = TABLES[0];
const [T0, T1, T2, T3, T4, T5, T6, T7] = TABLES;

/**
 * CRC32C of `data`; pass a previous result as `seed` to continue over several pieces. Eight bytes
 * per step (slicing-by-8): bitmap pages are verified at every open, and that is most of the work.
 */
export function crc32c(data: Uint8Array, seed = 0): number {
  let crc = ~seed >>> 0;
  let i = 0;
  const end8 = data.length - (data.length % 8);
  for (; i < end8; i += 8) {
    const lo = (crc ^ (data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24))) >>> 0;
    crc = T7[lo & 0xff] ^ T6[(lo >>> 8) & 0xff] ^ T5[(lo >>> 16) & 0xff] ^ T4[lo >>> 24] ^
      T3[data[i + 4]] ^ T2[data[i + 5]] ^ T1[data[i + 6]] ^ T0[data[i + 7]];
  }
  for (; i < data.length; i++) crc = TABLE[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
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
