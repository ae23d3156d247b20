// A real filesystem through the server: nbdfuse exposes the export as a file, a loop device makes
// it a block device, ext4 goes on top. Every filesystem access runs in a child process: this
// process serves the NBD requests, so a synchronous access here would wait on itself.
import t from 'tap';
import { execa } from 'execa';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileServer, MiB, sha256 } from './helpers/fixture.js';

interface Tap { teardown(fn: () => unknown): void }

/** Start nbdfuse on `dir`; returns the path of the exported file. Stopped at teardown. */
async function fuseAttach(t: Tap, uri: string, dir: string): Promise<{ file: string; detach: () => Promise<void> }> {
  mkdirSync(dir, { recursive: true });
  const pidFile = `${dir}.pid`;
  const proc = execa('nbdfuse', ['-P', pidFile, dir, uri], { reject: false });
  const detach = async (): Promise<void> => {
    await execa('fusermount3', ['-u', dir], { reject: false });
    if (proc.exitCode === null) proc.kill('SIGTERM');
    await proc;
  };
  t.teardown(detach);
  for (let i = 0; i < 100 && !existsSync(pidFile); i++) await sleep(50);
  if (!existsSync(pidFile)) throw new Error(`nbdfuse did not start: ${(await proc).stderr}`);
  return { file: join(dir, 'nbd'), detach };
}

async function loopAttach(t: Tap, file: string): Promise<{ dev: string; detach: () => Promise<void> }> {
  const dev = (await execa('losetup', ['-f', '--show', file])).stdout.trim();
  let attached = true;
  const detach = async (): Promise<void> => {
    if (!attached) return;
    attached = false;
    await execa('losetup', ['-d', dev], { reject: false });
  };
  t.teardown(detach);
  return { dev, detach };
}

async function mount(t: Tap, dev: string, dir: string): Promise<() => Promise<void>> {
  mkdirSync(dir, { recursive: true });
  await execa('mount', [dev, dir]);
  let mounted = true;
  const umount = async (): Promise<void> => {
    if (!mounted) return;
    mounted = false;
    await execa('umount', [dir], { reject: false });
  };
  t.teardown(umount);
  return umount;
}

t.test('ext4 on nbdfuse + loop: mkfs, files, umount, e2fsck clean, checksums after remount', async (t) => {
  const f = await fileServer(t, 'ext4', [{ name: 'v', sizeBytes: 64 * MiB }]);
  const files = Array.from({ length: 8 }, (_, i) => ({ name: `f${i}.bin`, data: randomBytes((1 + i) * 512 * 1024 + i * 777) }));
  const staging = join(f.dir, 'staging');
  mkdirSync(staging);
  for (const x of files) writeFileSync(join(staging, x.name), x.data);

  const fuse = await fuseAttach(t, f.uri, join(f.dir, 'fuse'));
  const loop = await loopAttach(t, fuse.file);
  await execa('mkfs.ext4', ['-q', '-F', loop.dev]);
  const mnt = join(f.dir, 'mnt');
  const umount = await mount(t, loop.dev, mnt);
  await execa('cp', [...files.map((x) => join(staging, x.name)), mnt]);
  await execa('sync');
  await umount();
  const fsck = await execa('e2fsck', ['-fn', loop.dev], { reject: false });
  t.equal(fsck.exitCode, 0, 'e2fsck -fn is clean', { output: `${fsck.stdout}\n${fsck.stderr}` });
  await loop.detach();
  await fuse.detach();

  // fresh nbdfuse and loop device: nothing can come from a cache above the server
  const fuse2 = await fuseAttach(t, f.uri, join(f.dir, 'fuse2'));
  const loop2 = await loopAttach(t, fuse2.file);
  await mount(t, loop2.dev, mnt);
  const sums = (await execa('sha256sum', files.map((x) => x.name), { cwd: mnt })).stdout.trim().split('\n');
  t.same(sums.map((l) => l.split(/\s+/)[0]), files.map((x) => sha256(x.data)), 'every file reads back identical');
});
