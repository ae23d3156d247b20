// What the workload writes, so that any 512-byte sector read back names the write it came from:
// every sector of a write starts with a 16-byte header (magic, write id, sector number, check).
// A sector with a valid header is "write N's data for sector S"; a sector of zeros is zeros;
// anything else is garbage (a torn or misplaced sector). Zeros and trims carry no header.

export const SECTOR = 512;
const MAGIC = 0x54534d31; // "TSM1"

/** A buffer of `length` bytes at `offset` carrying write `id`'s headers in every sector. */
export function makeWriteData(id: number, offset: number, length: number): Buffer {
  const data = Buffer.allocUnsafe(length).fill(id & 0xff); // so byte comparisons see whole sectors
  const first = offset / SECTOR;
  for (let i = 0; i * SECTOR < length; i++) {
    const at = i * SECTOR;
    const sector = first + i;
    data.writeUInt32LE(MAGIC, at);
    data.writeUInt32LE(id, at + 4);
    data.writeUInt32LE(sector, at + 8);
    data.writeUInt32LE(check(id, sector), at + 12);
  }
  return data;
}

export type SectorContent = { kind: 'data'; id: number } | { kind: 'zero' } | { kind: 'garbage'; reason: string };

/** What the sector at `sector` holds, read from `buf` at byte `at`. */
export function sectorContent(buf: Buffer, at: number, sector: number): SectorContent {
  const magic = buf.readUInt32LE(at);
  if (magic === MAGIC) {
    const id = buf.readUInt32LE(at + 4);
    const s = buf.readUInt32LE(at + 8);
    if (buf.readUInt32LE(at + 12) !== check(id, s)) return { kind: 'garbage', reason: 'bad header check' };
    if (s !== sector) return { kind: 'garbage', reason: `data of sector ${s} found at sector ${sector}` };
    // the header and three probes of the fill: a shifted or half-copied sector fails one of them
    const fill = id & 0xff;
    if (buf[at + 16] !== fill || buf[at + 255] !== fill || buf[at + SECTOR - 1] !== fill) return { kind: 'garbage', reason: `sector of write ${id} torn inside` };
    return { kind: 'data', id };
  }
  if (magic !== 0 || !isZero(buf, at)) return { kind: 'garbage', reason: 'neither zeros nor a write header' };
  return { kind: 'zero' };
}

const ZERO_SECTOR = Buffer.alloc(SECTOR);

function isZero(buf: Buffer, at: number): boolean {
  return buf.compare(ZERO_SECTOR, 0, SECTOR, at, at + SECTOR) === 0;
}

function check(id: number, sector: number): number {
  return (Math.imul(id, 2654435761) ^ Math.imul(sector, 40503) ^ MAGIC) >>> 0;
}
