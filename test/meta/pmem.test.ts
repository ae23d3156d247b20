// The pmem: placement through the real libpmem addon: msync path on tmpfs, and the CPU
// cache-flush path with PMEM_IS_PMEM_FORCE=1 (in a child, since libpmem reads it at load).
import t from 'tap';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { PmemStore } from '../../src/meta/pmem.js';
import { VolumeMetadata } from '../../src/meta/volume-metadata.js';
import { tempDir } from './fixtures/helpers.js';

const CHILD = fileURLToPath(new URL('./fixtures/pmem-child.ts', import.meta.url));

function runChild(path: string, env: Record<string, string>): { isPmem: boolean; generation: string; hot: number[] } {
  const out = execFileSync(process.execPath, [...process.execArgv, CHILD, path], { env: { ...process.env, ...env }, encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').at(-1)!);
}

t.test('tmpfs is not PMEM: persist goes through msync', async (t) => {
  const path = join(tempDir(t), 'md');
  delete process.env.PMEM_IS_PMEM_FORCE;
  const seen = runChild(path, { PMEM_IS_PMEM_FORCE: '0' });
  t.equal(seen.isPmem, false);
  t.same(seen.hot.sort((a, b) => a - b), [13, 14, 15, 16, 17, 18, 19]);
});

t.test('PMEM_IS_PMEM_FORCE=1: the cache-flush path runs and gives the same results', async (t) => {
  const path = join(tempDir(t), 'md');
  const seen = runChild(path, { PMEM_IS_PMEM_FORCE: '1' });
  t.equal(seen.isPmem, true, 'libpmem treats the mapping as PMEM');
  t.same(seen.hot.sort((a, b) => a - b), [13, 14, 15, 16, 17, 18, 19]);
  const md = VolumeMetadata.open(`pmem:${path}`);
  t.equal(md.superblock.currentGeneration.toString(16), seen.generation, 'what the child persisted is on the file');
  // 13 evicted extents, then the 7 hot ones at close: none of their peers was known in sync.
  t.equal(md.outOfSyncBytes(1), 20 * 4 * 1024 * 1024);
  md.close();
});

t.test('stores and ranges: 8-byte aligned stores, reads are copies, ranges are checked', async (t) => {
  const path = join(tempDir(t), 'x');
  const s = PmemStore.open(path, 3 * 1024 * 1024);
  s.write(8, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]));
  s.write(3, new Uint8Array([9, 9]));
  s.persist(0, 16);
  const r = s.read(0, 16);
  t.same([...r], [0, 0, 0, 9, 9, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8]);
  r[0] = 77;
  t.equal(s.read(0, 1)[0], 0, 'a read is a copy');
  t.throws(() => s.write(s.length - 1, new Uint8Array(2)), RangeError);
  // A range that does not start on a 2 MiB boundary maps the same bytes.
  const window = PmemStore.openRange(path, 2 * 1024 * 1024 + 4096, 4096);
  window.write(0, new Uint8Array([42]));
  window.persist(0, 1);
  t.equal(PmemStore.open(path).read(2 * 1024 * 1024 + 4096, 1)[0], 42);
});
