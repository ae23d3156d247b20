// Backing disks that fail or stall: ENOSPC on a full tmpfs, EIO from a disk whose every request
// fails on demand (nbdkit's error filter behind nbdfuse, as a file and as a loop device: this
// kernel has no device-mapper for dm-error), and a disk that takes seconds per read while the event
// loop goes on.
import t, { type Test } from 'tap';
import { execa } from 'execa';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { openBlockDevice, type IoEngine } from '../../../src/platform/node/block-device.js';
import { waitForExport } from '../../../bench/lib/nbdkit.js';
import { fuseAttach, loopAttach } from '../../helpers/blockdev.js';
import { MiB, mountScratch, scratchDir, sparseFile } from './fixtures.js';

/** nbdkit in the foreground on a unix socket in `dir`, stopped at teardown. */
async function nbdkit(t: Test, dir: string, args: string[]): Promise<string> {
  const socket = join(dir, 'nbdkit.sock');
  const child = execa('nbdkit', ['-f', '-U', socket, ...args], { reject: false, stdin: 'ignore' });
  t.teardown(async () => {
    child.kill('SIGTERM');
    await child;
  });
  const uri = `nbd+unix:///?socket=${socket}`;
  await waitForExport(uri, () => child.exitCode !== null, 'nbdkit');
  return uri;
}

t.test('ENOSPC: a sparse file larger than its full tmpfs; what was written stays readable', async (t) => {
  const dir = await mountScratch(t, 'tmpfs', 'size=1m');
  const file = sparseFile(join(dir, 'disk.img'), 8 * MiB);
  for (const engine of ['memory', 'io_uring', 'threadpool'] as IoEngine[]) {
    const dev = await openBlockDevice(file, { engine });
    const first = Buffer.alloc(256 * 1024, 7);
    await dev.write(0, first, false);
    let failure: unknown;
    for (let i = 1; i < 8 && !failure; i++) await dev.write(i * MiB, Buffer.alloc(MiB, i), false).catch((err: unknown) => { failure = err; });
    t.match(failure, { code: 'ENOSPC', message: new RegExp(`${file}: write`) }, `${engine}: the write that did not fit rejects with ENOSPC`);
    t.same(await dev.read(0, first.length), first, `${engine}: data written before is still read back`);
    await dev.write(4096, Buffer.alloc(4096, 9), true); // space already allocated: still works
    t.same(await dev.read(4096, 4096), Buffer.alloc(4096, 9), `${engine}: an overwrite in allocated space still succeeds`);
    await dev.close();
    rmSync(file);
    sparseFile(file, 8 * MiB);
  }
});

t.test('EIO: a disk whose requests fail on demand, as a file (nbdfuse) and as a block device (loop over it)', async (t) => {
  const dir = scratchDir(t, '/dev/shm');
  const trigger = join(dir, 'fail-now');
  const uri = await nbdkit(t, dir, ['--filter=error', 'memory', '16M', 'error=EIO', 'error-rate=100%', `error-file=${trigger}`]);
  const fuse = await fuseAttach(t, uri, join(dir, 'fuse'));
  const loop = await loopAttach(t, fuse.file);
  for (const [what, path] of [['nbdfuse file', fuse.file], ['loop device', loop.dev]]) {
    const dev = await openBlockDevice(path);
    await dev.write(0, Buffer.alloc(8192, 3), false);
    writeFileSync(trigger, '');
    await t.rejects(dev.read(64 * 1024, 4096), { code: 'EIO', message: /read at 65536/ }, `${what}: a read fails with EIO`);
    await t.rejects(dev.write(128 * 1024, Buffer.alloc(4096, 1), false), { code: 'EIO' }, `${what}: a write fails with EIO`);
    await t.rejects(dev.write(128 * 1024, Buffer.alloc(4096, 1), true), { code: 'EIO' }, `${what}: a FUA write fails with EIO`);
    await t.rejects(dev.write(100, Buffer.alloc(10, 1), false), { code: 'EIO' }, `${what}: an unaligned write (read-modify-write) fails with EIO`);
    await t.rejects(dev.writeZeroes(0, 4096, false), { code: 'EIO' }, `${what}: write-zeroes fails with EIO`);
    rmSync(trigger);
    t.same(await dev.read(0, 8192), Buffer.alloc(8192, 3), `${what}: once the disk answers again, the data is there`);
    await dev.close();
  }
  await loop.detach();
  await fuse.detach();
});

t.test('a disk that takes 2 s per read: the event loop keeps running meanwhile', async (t) => {
  const dir = scratchDir(t, '/dev/shm');
  const uri = await nbdkit(t, dir, ['--filter=delay', 'memory', '16M', 'delay-read=2']);
  const fuse = await fuseAttach(t, uri, join(dir, 'fuse'));
  for (const engine of ['io_uring', 'threadpool'] as IoEngine[]) {
    const dev = await openBlockDevice(fuse.file, { engine });
    let ticks = 0;
    let worstGap = 0;
    let last = Date.now();
    const timer = setInterval(() => {
      ticks++;
      worstGap = Math.max(worstGap, Date.now() - last);
      last = Date.now();
    }, 10);
    const started = Date.now();
    // a page the kernel has not cached: the read has to reach nbdkit
    const reads = [dev.read(5 * MiB, 4096), dev.read(9 * MiB, 4096)];
    const tick0 = ticks;
    await Promise.all(reads);
    clearInterval(timer);
    const took = Date.now() - started;
    t.ok(took >= 1900, `${engine}: the reads took the disk's time (${took} ms)`);
    t.ok(ticks - tick0 >= 20, `${engine}: a 10 ms timer fired ${ticks - tick0} times while they were in flight`);
    t.ok(worstGap < 1000, `${engine}: the longest gap between timer ticks was ${worstGap} ms`);
    await dev.close();
    await sleep(10);
  }
  await fuse.detach();
});
