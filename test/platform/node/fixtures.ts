// Shared by the backing-disk tests: scratch files on a chosen filesystem, small tmpfs/ramfs
// mounts, and a random concurrent workload checked against an in-memory reference.
import { execa } from 'execa';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, ftruncateSync } from 'node:fs';
import { join } from 'node:path';
import type { BlockDevice } from '../../../src/engine/platform.js';

export const KiB = 1024;
export const MiB = 1024 * KiB;

export interface Teardown { teardown(fn: () => unknown): void }

export function scratchDir(t: Teardown, base: string): string {
  const dir = mkdtempSync(join(base, 'tandem-bdev-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A sparse file of `size` bytes (reads as zeros, like the reference starts). */
export function sparseFile(path: string, size: number): string {
  const fd = openSync(path, 'w');
  try {
    ftruncateSync(fd, size);
  } finally {
    closeSync(fd);
  }
  return path;
}

/** A fresh filesystem of its own ('tmpfs' with a size limit, or 'ramfs'), unmounted at teardown. */
export async function mountScratch(t: Teardown, type: 'tmpfs' | 'ramfs', options = ''): Promise<string> {
  const dir = mkdtempSync('/tmp/tandem-bdev-mnt-');
  await execa('mount', ['-t', type, ...(options ? ['-o', options] : []), type, dir]);
  t.teardown(async () => {
    await execa('umount', [dir], { reject: false });
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export function fileSha256(path: string): string {
  return sha256(readFileSync(path));
}

/** mulberry32: a small seeded generator, so a failing run can be repeated (TANDEM_TEST_SEED). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

export function testSeed(): number {
  return process.env.TANDEM_TEST_SEED ? Number(process.env.TANDEM_TEST_SEED) : Math.floor(Math.random() * 2 ** 31);
}

export interface WorkloadResult {
  ops: { read: number; write: number; fua: number; zeroes: number; flush: number };
  /** requests in flight together at most */
  maxInFlight: number;
  mismatches: string[];
}

const ENGINE_BLOCK = 4096;

/**
 * `ops` random requests with `iodepth` in flight, keeping the engine's promise: no two requests in
 * flight touch the same 4 KiB block. Offsets and lengths are a mix of 4 KiB-aligned,
 * 512-aligned and arbitrary ones. Every read is compared with the reference as it completes;
 * `ref` is updated as each write is submitted (its blocks are ours until it completes).
 */
export async function randomWorkload(dev: BlockDevice, ref: Buffer, opts: { iodepth: number; ops: number; seed: number; maxLength?: number }): Promise<WorkloadResult> {
  const rnd = prng(opts.seed);
  const pick = (n: number) => Math.floor(rnd() * n);
  const maxLength = opts.maxLength ?? 64 * KiB;
  const busy = new Set<number>();
  const result: WorkloadResult = { ops: { read: 0, write: 0, fua: 0, zeroes: 0, flush: 0 }, maxInFlight: 0, mismatches: [] };
  let started = 0;
  let inFlight = 0;

  const range = (): { offset: number; length: number } => {
    const kind = pick(4);
    const length = kind === 0 ? 1 + pick(700) : kind === 1 ? (1 + pick(maxLength / 512)) * 512 : kind === 2 ? (1 + pick(maxLength / ENGINE_BLOCK)) * ENGINE_BLOCK : 1 + pick(maxLength);
    const align = [1, 512, ENGINE_BLOCK][pick(3)];
    const offset = pick(Math.floor((dev.sizeBytes - length) / align) + 1) * align;
    return { offset, length };
  };
  const blocksOf = (offset: number, length: number): number[] => {
    const out: number[] = [];
    for (let b = Math.floor(offset / ENGINE_BLOCK); b * ENGINE_BLOCK < offset + length; b++) out.push(b);
    return out;
  };

  const one = async (): Promise<void> => {
    let r = range();
    let blocks = blocksOf(r.offset, r.length);
    while (blocks.some((b) => busy.has(b))) {
      r = range();
      blocks = blocksOf(r.offset, r.length);
    }
    const op = pick(100);
    if (op < 5) {
      result.ops.flush++;
      inFlight++;
      result.maxInFlight = Math.max(result.maxInFlight, inFlight);
      await dev.flush();
      inFlight--;
      return;
    }
    blocks.forEach((b) => busy.add(b));
    inFlight++;
    result.maxInFlight = Math.max(result.maxInFlight, inFlight);
    try {
      if (op < 40) {
        result.ops.read++;
        const got = await dev.read(r.offset, r.length);
        const want = ref.subarray(r.offset, r.offset + r.length);
        if (got.length !== r.length || !got.equals(want)) result.mismatches.push(`read ${r.offset}+${r.length}: ${describeDiff(got, want)}`);
      } else if (op < 90) {
        const fua = op >= 80;
        if (fua) result.ops.fua++;
        else result.ops.write++;
        const data = randomBytes(r.length);
        // sometimes a view at an odd address, as a Buffer from a socket can be
        const payload = pick(4) === 0 ? Buffer.concat([Buffer.alloc(1 + pick(15)), data]).subarray(-r.length) : data;
        data.copy(ref, r.offset);
        await dev.write(r.offset, payload, fua);
      } else {
        result.ops.zeroes++;
        ref.fill(0, r.offset, r.offset + r.length);
        await dev.writeZeroes(r.offset, r.length, pick(2) === 0);
      }
    } finally {
      inFlight--;
      blocks.forEach((b) => busy.delete(b));
    }
  };

  const worker = async (): Promise<void> => {
    while (started < opts.ops) {
      started++;
      await one();
    }
  };
  await Promise.all(Array.from({ length: opts.iodepth }, worker));
  return result;
}

function describeDiff(got: Buffer, want: Buffer): string {
  if (got.length !== want.length) return `length ${got.length}, expected ${want.length}`;
  for (let i = 0; i < got.length; i++) if (got[i] !== want[i]) return `first difference at +${i}: ${got[i]} instead of ${want[i]}`;
  return 'equal';
}
