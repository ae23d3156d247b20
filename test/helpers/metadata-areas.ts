// Where a stopped node's metadata keeps its activity log and its out-of-sync bitmap, to damage
// them on purpose. `tandem md dump --json` is asked first: when it names an area with an offset
// and a length, that is used. Otherwise the areas come from the superblock as the format documents
// it (src/meta/layout.ts, versions 1 and 2 alike: little-endian u64 AL offset/length at 72/80,
// bitmap offset/length at 88/96; two 4 KiB copies, the valid one with the higher sequence number
// wins).
// Only whole-file placements (pmem:<file> or block:<file>, the area at offset 0) are handled.
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import type { TestCluster } from './daemons.js';

export interface Area { offset: number; length: number }

export interface MetadataAreas {
  file: string;
  activityLog: Area;
  bitmap: Area;
  /** bitmap slots (peers) the metadata was made for */
  maxPeers: number;
  /** what `md dump --json` said, for the test's diagnostics */
  dump: Record<string, unknown>;
}

const MAGIC = 0x4154454d4d444e54n; // "TNDMMETA"

export async function metadataAreas(cluster: TestCluster, node: string, res: string): Promise<MetadataAreas> {
  const { result, json } = await cluster.cliJson<Array<Record<string, unknown>>>(node, ['md', 'dump', res]);
  if (result.exitCode !== 0 || !Array.isArray(json) || json.length === 0) throw new Error(`md dump ${res} on ${node}: ${result.stderr}`);
  const dump = json[0];
  const placement = String(dump.placement);
  const m = /^(pmem|block):([^#]+)$/.exec(placement);
  if (!m) throw new Error(`metadataAreas handles whole-file placements only, not ${placement}`);
  const file = m[2];
  const named = { activityLog: findArea(dump, /activity|^al|log/i), bitmap: findArea(dump, /bitmap/i) };
  const fromSuperblock = (named.activityLog && named.bitmap) ? null : superblockAreas(file);
  return {
    file,
    activityLog: named.activityLog ?? fromSuperblock!.activityLog,
    bitmap: named.bitmap ?? fromSuperblock!.bitmap,
    maxPeers: Number(dump.maxPeers),
    dump,
  };
}

/** An object {offset, length} somewhere in the dump under a key matching `key`. */
function findArea(value: unknown, key: RegExp, path: string[] = []): Area | null {
  if (value === null || typeof value !== 'object') return null;
  const o = value as Record<string, unknown>;
  if (typeof o.offset === 'number' && typeof o.length === 'number' && path.some((p) => key.test(p))) return { offset: o.offset, length: o.length };
  for (const [k, v] of Object.entries(o)) {
    const found = findArea(v, key, [...path, k]);
    if (found) return found;
  }
  return null;
}

function superblockAreas(file: string): { activityLog: Area; bitmap: Area } {
  const fd = openSync(file, 'r');
  try {
    const copies = [0, 4096].map((at) => {
      const b = Buffer.alloc(4096);
      readSync(fd, b, 0, 4096, at);
      return b;
    }).filter((b) => b.readBigUInt64LE(0) === MAGIC).sort((x, y) => Number(y.readBigUInt64LE(16) - x.readBigUInt64LE(16)));
    if (copies.length === 0) throw new Error(`${file}: no superblock copy with Tandem's magic`);
    const sb = copies[0];
    const u64 = (at: number): number => Number(sb.readBigUInt64LE(at));
    return { activityLog: { offset: u64(72), length: u64(80) }, bitmap: { offset: u64(88), length: u64(96) } };
  } finally {
    closeSync(fd);
  }
}

/** XOR `mask` into the bytes of `file` at `offset`, for `length` bytes, every `stride` bytes `width` of them. */
export function flipBytes(file: string, offset: number, length: number, opts: { stride?: number; width?: number; mask?: number } = {}): number {
  const { stride = 1, width = 1, mask = 0xff } = opts;
  const fd = openSync(file, 'r+');
  try {
    const b = Buffer.alloc(length);
    readSync(fd, b, 0, length, offset);
    let flipped = 0;
    for (let i = 0; i < length; i += stride) {
      for (let j = i; j < Math.min(i + width, length); j++) { b[j] ^= mask; flipped++; }
    }
    writeSync(fd, b, 0, length, offset);
    return flipped;
  } finally {
    closeSync(fd);
  }
}
