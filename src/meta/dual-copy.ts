// A record kept in two alternating copies with a sequence number and a CRC32C, so an update is
// atomic: a torn write damages only the copy being written and the other stays valid (invariant
// M4, docs/ARCHITECTURE.md §3). Used by the superblock and by the allocator directory.
import { crc32c } from './crc32c.js';
import type { MetaStore } from './store.js';

/** Common header of a dual-copy record: u64 magic, u32 version, u32 crc32c, u64 sequence. */
export const HEADER = { magic: 0, version: 8, crc: 12, seq: 16 } as const;

export type CopyStatus = 'valid' | 'empty' | 'foreign' | 'bad-crc' | 'too-new' | 'too-old';

export interface CopyReport {
  copy: number;
  offset: number;
  status: CopyStatus;
  seq?: number;
  version?: number;
}

export interface DualCopyRead {
  /** The copy to trust, or undefined when none is valid. */
  best?: { copy: number; bytes: Uint8Array; seq: number };
  copies: CopyReport[];
}

/** Versions [minVersion, maxVersion] are valid; others are reported as too new or too old. */
export function readDualCopy(store: MetaStore, offsets: readonly number[], size: number, magic: bigint, maxVersion: number, minVersion = 1): DualCopyRead {
  const copies: CopyReport[] = [];
  let best: DualCopyRead['best'];
  offsets.forEach((offset, copy) => {
    const bytes = store.read(offset, size);
    const report = classify(bytes, magic, maxVersion, minVersion);
    copies.push({ copy, offset, ...report });
    if (report.status === 'valid' && (best === undefined || report.seq! > best.seq)) best = { copy, bytes, seq: report.seq! };
  });
  return { best, copies };
}

/** Seal `bytes` (set seq and CRC) and write + persist it over the copy not holding `currentCopy`. */
export function writeDualCopy(store: MetaStore, offsets: readonly number[], bytes: Uint8Array, seq: number, currentCopy: number | undefined): number {
  const copy = currentCopy === undefined ? 0 : (currentCopy + 1) % offsets.length;
  seal(bytes, seq);
  store.write(offsets[copy], bytes);
  store.persist(offsets[copy], bytes.length);
  return copy;
}

export function seal(bytes: Uint8Array, seq: number): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  view.setBigUint64(HEADER.seq, BigInt(seq), true);
  view.setUint32(HEADER.crc, 0, true);
  view.setUint32(HEADER.crc, crc32c(bytes), true);
}

function classify(bytes: Uint8Array, magic: bigint, maxVersion: number, minVersion: number): Omit<CopyReport, 'copy' | 'offset'> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getBigUint64(HEADER.magic, true) !== magic) return { status: bytes.every((b) => b === 0) ? 'empty' : 'foreign' };
  const version = view.getUint32(HEADER.version, true);
  if (version > maxVersion) return { status: 'too-new', version };
  const stored = view.getUint32(HEADER.crc, true);
  const copy = bytes.slice();
  new DataView(copy.buffer).setUint32(HEADER.crc, 0, true);
  if (crc32c(copy) !== stored) return { status: 'bad-crc', version };
  if (version < minVersion) return { status: 'too-old', version };
  return { status: 'valid', version, seq: Number(view.getBigUint64(HEADER.seq, true)) };
}
