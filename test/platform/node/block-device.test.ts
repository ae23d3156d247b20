// The daemon's backing disks on real filesystems and a real block device: data integrity under
// concurrent random I/O at queue depths 1 to 64 against an in-memory reference (and the file's
// checksum read back outside the device), unaligned edges, the largest request, O_DIRECT where the
// kernel takes it and the page cache (said in ioMode) where it does not, for both engines.
import t, { type Test } from 'tap';
import { closeSync, constants, openSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { openBlockDevice, type IoEngine, type OpenBlockDeviceOptions } from '../../../src/platform/node/block-device.js';
import type { BlockDevice } from '../../../src/engine/platform.js';
import { loopAttach } from '../../helpers/blockdev.js';
import { fileSha256, KiB, MiB, mountScratch, randomWorkload, scratchDir, sha256, sparseFile, testSeed } from './fixtures.js';

const SIZE = 16 * MiB;

async function open(t: Test, path: string, opts: OpenBlockDeviceOptions = {}): Promise<BlockDevice> {
  const dev = await openBlockDevice(path, opts);
  t.teardown(() => dev.close());
  return dev;
}

/** The workload at each depth, then the whole device and the file itself against the reference. */
async function integrity(t: Test, dev: BlockDevice, file: string, depths: number[], opsPerDepth: number): Promise<void> {
  const ref = Buffer.alloc(dev.sizeBytes);
  const before = await dev.read(0, dev.sizeBytes);
  before.copy(ref);
  for (const iodepth of depths) {
    const seed = testSeed();
    const r = await randomWorkload(dev, ref, { iodepth, ops: opsPerDepth, seed });
    t.same(r.mismatches, [], `QD${iodepth} (seed ${seed}): every read returned what was written`);
    if (iodepth > 1) t.ok(r.maxInFlight > iodepth / 2, `QD${iodepth}: up to ${r.maxInFlight} requests in flight together`);
    t.ok(r.ops.read > 0 && r.ops.write > 0 && r.ops.fua > 0 && r.ops.zeroes > 0, `QD${iodepth}: reads, writes, FUA writes and write-zeroes (${JSON.stringify(r.ops)})`);
  }
  const whole = await dev.read(0, dev.sizeBytes);
  t.equal(sha256(whole), sha256(ref), 'the whole device reads back as the reference');
  await dev.flush();
  t.equal(fileSha256(file), sha256(ref), 'the file read outside the device has the reference checksum');
}

/** Whether this filesystem takes O_DIRECT, asked the plain way. */
function takesDirect(path: string): boolean {
  try {
    closeSync(openSync(path, constants.O_RDWR | constants.O_DIRECT));
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EINVAL') return false;
    throw err;
  }
}

for (const engine of ['io_uring', 'threadpool'] as IoEngine[]) {
  t.test(`${engine}: a file on the VM disk (/var/tmp) with O_DIRECT, QD 1, 8, 64`, async (t) => {
    const file = sparseFile(join(scratchDir(t, '/var/tmp'), 'disk.img'), SIZE);
    const dev = await open(t, file, { engine });
    t.equal(dev.ioMode, `${engine} O_DIRECT`);
    t.equal(dev.sizeBytes, SIZE);
    t.equal(dev.path, file);
    await integrity(t, dev, file, [1, 8, 64], engine === 'io_uring' ? 1500 : 600);
  });
}

t.test('page cache on request (direct: false): said in ioMode, same data', async (t) => {
  const file = sparseFile(join(scratchDir(t, '/var/tmp'), 'disk.img'), SIZE);
  const dev = await open(t, file, { direct: false });
  t.equal(dev.ioMode, 'io_uring page cache (O_DIRECT off)');
  await integrity(t, dev, file, [1, 32], 600);
});

t.test('ramfs refuses O_DIRECT: the page cache, and ioMode says why', async (t) => {
  const dir = await mountScratch(t, 'ramfs');
  const file = sparseFile(join(dir, 'disk.img'), 4 * MiB);
  t.notOk(takesDirect(file), 'ramfs refuses an O_DIRECT open');
  const dev = await open(t, file, { engine: 'io_uring' });
  t.equal(dev.ioMode, 'io_uring page cache (O_DIRECT refused by the filesystem)');
  await integrity(t, dev, file, [16], 500);
});

t.test('tmpfs through io_uring: O_DIRECT when the kernel takes it there (Linux 6.6 and later), else the page cache', async (t) => {
  const dir = await mountScratch(t, 'tmpfs', 'size=64m');
  const file = sparseFile(join(dir, 'disk.img'), 4 * MiB);
  const dev = await open(t, file, { engine: 'io_uring' });
  t.equal(dev.ioMode, takesDirect(file) ? 'io_uring O_DIRECT' : 'io_uring page cache (O_DIRECT refused by the filesystem)');
  await integrity(t, dev, file, [16], 500);
});

for (const fs of ['tmpfs', 'ramfs'] as const) {
  t.test(`a file on ${fs} is a file in memory by default: copied on the event loop, same data`, async (t) => {
    const dir = await mountScratch(t, fs, fs === 'tmpfs' ? 'size=64m' : '');
    const file = sparseFile(join(dir, 'disk.img'), 4 * MiB);
    const dev = await open(t, file);
    t.equal(dev.ioMode, 'memory page cache (a file in memory)');
    await integrity(t, dev, file, [1, 16], 500);
  });
}

t.test('a file whose size is not a multiple of the alignment: the page cache, and the last partial block works', async (t) => {
  const size = 4 * MiB + 100;
  const file = sparseFile(join(scratchDir(t, '/var/tmp'), 'odd.img'), size);
  const dev = await open(t, file);
  t.match(dev.ioMode, /^io_uring page cache \(size not a multiple of (512|4096)\)$/);
  t.equal(dev.sizeBytes, size);
  const tail = randomBytes(300);
  await dev.write(size - 300, tail, true);
  t.same(await dev.read(size - 300, 300), tail);
  t.equal(statSync(file).size, size, 'the file did not grow');
});

t.test('a block device (loop device over a file on /var/tmp): size by ioctl, O_DIRECT, integrity at QD 32', async (t) => {
  const file = sparseFile(join(scratchDir(t, '/var/tmp'), 'loop.img'), SIZE);
  const loop = await loopAttach(t, file);
  const dev = await openBlockDevice(loop.dev);
  t.equal(dev.sizeBytes, SIZE, 'BLKGETSIZE64');
  t.equal(dev.ioMode, 'io_uring O_DIRECT');
  await integrity(t, dev, loop.dev, [32], 1500);
  await dev.close();
  await loop.detach();
});

t.test('unaligned edges: a byte, a sector, across blocks, inside one block; neighbours keep their data', async (t) => {
  const file = sparseFile(join(scratchDir(t, '/var/tmp'), 'edges.img'), 1 * MiB);
  const dev = await open(t, file);
  t.equal(dev.ioMode, 'io_uring O_DIRECT');
  const ref = randomBytes(1 * MiB);
  await dev.write(0, ref, false);
  const cases: Array<[string, number, number]> = [
    ['one byte inside a block', 4096 + 511, 1], ['one sector, 512-aligned', 8192 + 512, 512], ['4095 bytes at 1', 1, 4095],
    ['4097 bytes across two blocks', 4095 + 16384, 4097], ['three blocks and ragged ends', 40960 - 7, 3 * 4096 + 14],
    ['the last byte of the device', 1 * MiB - 1, 1], ['the first byte', 0, 1], ['aligned 4 KiB', 65536, 4096],
  ];
  for (const [what, offset, length] of cases) {
    const data = randomBytes(length);
    data.copy(ref, offset);
    await dev.write(offset, data, false);
    t.same(await dev.read(offset, length), data, `${what}: read back`);
    t.same(await dev.read(Math.max(0, offset - 4096), Math.min(1 * MiB, offset + length + 4096) - Math.max(0, offset - 4096)),
      ref.subarray(Math.max(0, offset - 4096), Math.min(1 * MiB, offset + length + 4096)), `${what}: the blocks around it are unchanged`);
  }
  t.same(await dev.read(12345, 0), Buffer.alloc(0), 'a zero-length read');
  await dev.write(12345, Buffer.alloc(0), true);
  t.equal(fileSha256(file), sha256(ref), 'the file matches the reference');
});

t.test('the largest request (32 MiB), unaligned, written and read back in one request each', async (t) => {
  const file = sparseFile(join(scratchDir(t, '/var/tmp'), 'big.img'), 40 * MiB);
  for (const engine of ['io_uring', 'threadpool'] as IoEngine[]) {
    const dev = await open(t, file, { engine });
    const data = randomBytes(32 * MiB);
    await dev.write(3 * MiB + 777, data, true);
    const back = await dev.read(3 * MiB + 777, 32 * MiB);
    t.equal(sha256(back), sha256(data), `${engine}: 32 MiB at an unaligned offset read back`);
    await dev.close();
  }
});

t.test('more requests at once than the ring has room for: the rest wait their turn, every one completes with its data', async (t) => {
  const file = sparseFile(join(scratchDir(t, '/var/tmp'), 'many.img'), SIZE);
  const dev = await open(t, file);
  const data = randomBytes(SIZE);
  await dev.write(0, data, false);
  const blocks = Array.from({ length: SIZE / 4096 }, (_, i) => i);
  const reads = await Promise.all(blocks.map((b) => dev.read(b * 4096, 4096)));
  t.equal(reads.length, 4096);
  t.ok(reads.every((r, b) => r.equals(data.subarray(b * 4096, (b + 1) * 4096))), '4096 reads in flight together, each with its block');
});

t.test('requests outside the device are refused as a bug; close waits for requests in flight and refuses new ones', async (t) => {
  const file = sparseFile(join(scratchDir(t, '/var/tmp'), 'c.img'), 1 * MiB);
  const dev = await openBlockDevice(file);
  await t.rejects(dev.read(1 * MiB - 10, 11), { code: 'TANDEM_E_INTERNAL', message: /lies within its 1048576 bytes/ });
  await t.rejects(dev.write(-1, Buffer.alloc(1), false), { code: 'TANDEM_E_INTERNAL' });
  const writes = Array.from({ length: 32 }, (_, i) => dev.write(i * 8 * KiB, Buffer.alloc(8 * KiB, i + 1), false));
  let settled = 0;
  writes.forEach((w) => void w.then(() => settled++));
  await dev.close();
  t.equal(settled, 32, 'every request in flight completed before close resolved');
  await t.rejects(dev.read(0, 512), { code: 'EBADF' });
  const again = await openBlockDevice(file);
  t.same(await again.read(31 * 8 * KiB, 8 * KiB), Buffer.alloc(8 * KiB, 32), 'what was in flight at close is on disk');
  await again.close();
});

t.test('opening what is missing or not a disk rejects with the errno name', async (t) => {
  const dir = scratchDir(t, '/var/tmp');
  await t.rejects(openBlockDevice(join(dir, 'missing.img')), { code: 'ENOENT', message: /missing\.img/ });
  await t.rejects(openBlockDevice(dir), { code: 'EISDIR' });
  await t.rejects(openBlockDevice('/dev/null'), { code: 'ENOTBLK', message: /file or a block device/ });
});
