// What reaches the medium, seen from outside the process: on a block device the kernel's own
// counters (/sys/block/<dev>/stat: the loop device has a volatile write cache and no FUA, so the
// block layer turns a FUA write into a write plus a cache flush); on a file in the page cache the
// kernel's count of dirty pages per range (cachestat(2)). And write-zeroes: zeros read back,
// neighbours kept, and on tmpfs the blocks given back (deallocated, not written).
import t from 'tap';
import { execa } from 'execa';
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { openBlockDevice, type IoEngine } from '../../../src/platform/node/block-device.js';
import { loopAttach } from '../../helpers/blockdev.js';
import { KiB, MiB, mountScratch, scratchDir, sparseFile } from './fixtures.js';

/** Completed writes and cache flushes of a block device (Documentation/block/stat.rst). */
function deviceCounters(dev: string): { writes: number; flushes: number } {
  const f = readFileSync(`/sys/block/${basename(dev)}/stat`, 'utf8').trim().split(/\s+/).map(Number);
  return { writes: f[4], flushes: f[15] };
}

// cachestat(2) (Linux 6.5) through Python's ctypes: pages of [offset, offset + length) in the page cache, and how many dirty.
const CACHESTAT = `
import ctypes, os, sys
class Range(ctypes.Structure): _fields_ = [('off', ctypes.c_uint64), ('len', ctypes.c_uint64)]
class Stat(ctypes.Structure): _fields_ = [(n, ctypes.c_uint64) for n in ('cache', 'dirty', 'writeback', 'evicted', 'recently_evicted')]
libc = ctypes.CDLL(None, use_errno=True)
fd = os.open(sys.argv[1], os.O_RDONLY)
for spec in sys.argv[2:]:
    off, length = map(int, spec.split('+'))
    st = Stat()
    if libc.syscall(451, fd, ctypes.byref(Range(off, length)), ctypes.byref(st), 0) != 0:
        sys.exit('cachestat: errno %d' % ctypes.get_errno())
    print(st.cache, st.dirty)
`;

async function dirtyPages(file: string, ranges: Array<[number, number]>): Promise<number[]> {
  const r = await execa('python3', ['-c', CACHESTAT, file, ...ranges.map(([o, l]) => `${o}+${l}`)]);
  return r.stdout.trim().split('\n').map((line) => Number(line.split(' ')[1]));
}

t.test('a block device: a plain write sends no cache flush, a FUA write and flush() do', async (t) => {
  const file = sparseFile(join(scratchDir(t, '/var/tmp'), 'loop.img'), 16 * MiB);
  const loop = await loopAttach(t, file);
  t.equal(readFileSync(`/sys/block/${basename(loop.dev)}/queue/write_cache`, 'utf8').trim(), 'write back', 'the loop device has a volatile cache');
  for (const engine of ['io_uring', 'threadpool'] as IoEngine[]) {
    const dev = await openBlockDevice(loop.dev, { engine });
    t.equal(dev.ioMode, `${engine} O_DIRECT`);
    const c0 = deviceCounters(loop.dev);
    await dev.write(0, randomBytes(4096), false);
    const c1 = deviceCounters(loop.dev);
    t.ok(c1.writes > c0.writes, `${engine}: the write reached the device`);
    t.equal(c1.flushes, c0.flushes, `${engine}: a plain write sends no flush`);
    await dev.write(8192, randomBytes(4096), true);
    const c2 = deviceCounters(loop.dev);
    t.ok(c2.flushes > c1.flushes, `${engine}: a FUA write is made durable by the device (${c2.flushes - c1.flushes} flush)`);
    await dev.flush();
    const c3 = deviceCounters(loop.dev);
    t.ok(c3.flushes > c2.flushes, `${engine}: flush() flushes the device's cache`);
    await dev.writeZeroes(16384, 8192, true);
    t.ok(deviceCounters(loop.dev).flushes > c3.flushes, `${engine}: a FUA write-zeroes ends with a flush`);
    await dev.close();
  }
  await loop.detach();
});

t.test('a file in the page cache: a FUA write makes its own pages durable, not the rest of the file; flush() the rest', async (t) => {
  const file = sparseFile(join(scratchDir(t, '/var/tmp'), 'pc.img'), 8 * MiB);
  for (const engine of ['io_uring', 'threadpool'] as IoEngine[]) {
    const dev = await openBlockDevice(file, { engine, direct: false });
    t.equal(dev.ioMode, `${engine} page cache (O_DIRECT off)`);
    const a: [number, number] = [0, 64 * KiB];
    const b: [number, number] = [4 * MiB, 64 * KiB];
    // Another process's sync(1) on this shared machine may clean A in between: a few tries, and A
    // must have stayed dirty in at least one (a whole-file sync would clean it every time).
    const dirtyAfterFua: number[] = [];
    for (let attempt = 0; attempt < 3 && !dirtyAfterFua.some((n) => n > 0); attempt++) {
      await dev.write(a[0], randomBytes(a[1]), false);
      await dev.write(b[0], randomBytes(b[1]), true);
      const [dirtyA, dirtyB] = await dirtyPages(file, [a, b]);
      t.equal(dirtyB, 0, `${engine}: the FUA write's pages are clean when it completes`);
      dirtyAfterFua.push(dirtyA);
    }
    t.ok(dirtyAfterFua.some((n) => n > 0), `${engine}: the plain write's pages stayed dirty (${dirtyAfterFua.join(', ')}): no whole-file sync`);
    await dev.flush();
    t.same(await dirtyPages(file, [[0, 8 * MiB]]), [0], `${engine}: after flush() nothing of the file is dirty`);
    await dev.close();
  }
});

t.test('write-zeroes on ext4 (/var/tmp, O_DIRECT): zeros read back, ragged edges keep their neighbours, the size stays', async (t) => {
  const file = sparseFile(join(scratchDir(t, '/var/tmp'), 'z.img'), 4 * MiB);
  for (const engine of ['io_uring', 'threadpool'] as IoEngine[]) {
    const dev = await openBlockDevice(file, { engine });
    const data = randomBytes(4 * MiB);
    await dev.write(0, data, false);
    const [offset, length] = [5000, 3 * MiB + 333];
    await dev.writeZeroes(offset, length, false);
    data.fill(0, offset, offset + length);
    t.ok((await dev.read(0, 4 * MiB)).equals(data), `${engine}: the range reads as zeros, everything else as written`);
    t.equal(statSync(file).size, 4 * MiB, `${engine}: the file keeps its size`);
    await dev.close();
  }
});

t.test('write-zeroes on tmpfs gives the blocks back (a punched hole), on ramfs it writes zeros', async (t) => {
  const tmpfs = await mountScratch(t, 'tmpfs', 'size=64m');
  const file = sparseFile(join(tmpfs, 'z.img'), 8 * MiB);
  const dev = await openBlockDevice(file);
  await dev.write(0, randomBytes(8 * MiB), false);
  const before = statSync(file).blocks;
  await dev.writeZeroes(1 * MiB, 4 * MiB, true);
  t.ok(statSync(file).blocks <= before - (4 * MiB) / 512, `tmpfs: 4 MiB deallocated (${before} → ${statSync(file).blocks} sectors)`);
  t.ok((await dev.read(1 * MiB, 4 * MiB)).equals(Buffer.alloc(4 * MiB)), 'tmpfs: zeros read back');
  await dev.close();

  const ramfs = await mountScratch(t, 'ramfs');
  const rfile = sparseFile(join(ramfs, 'z.img'), 2 * MiB);
  const rdev = await openBlockDevice(rfile);
  const data = randomBytes(2 * MiB);
  await rdev.write(0, data, false);
  await rdev.writeZeroes(777, 1 * MiB, false);
  data.fill(0, 777, 777 + MiB);
  t.ok((await rdev.read(0, 2 * MiB)).equals(data), 'ramfs (no fallocate): zeros written, neighbours kept');
  await rdev.close();
});

t.test('write-zeroes on a block device: whole blocks by the device (BLKZEROOUT), ragged edges written', async (t) => {
  const file = sparseFile(join(scratchDir(t, '/var/tmp'), 'zl.img'), 8 * MiB);
  const loop = await loopAttach(t, file);
  const dev = await openBlockDevice(loop.dev);
  const data = randomBytes(8 * MiB);
  await dev.write(0, data, false);
  for (const [offset, length] of [[4096, 2 * MiB], [3 * MiB + 100, 1 * MiB + 1000], [7 * MiB + 1, 10]]) {
    await dev.writeZeroes(offset, length, false);
    data.fill(0, offset, offset + length);
  }
  t.ok((await dev.read(0, 8 * MiB)).equals(data), 'zeros where asked, data everywhere else');
  await dev.close();
  await loop.detach();
});
