// A real filesystem through the server: nbdfuse exposes the export as a file, a loop device makes
// it a block device, ext4 goes on top. Every filesystem access runs in a child process: this
// process serves the NBD requests, so a synchronous access here would wait on itself.
import t from 'tap';
import { execa } from 'execa';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileServer, MiB, sha256 } from './helpers/fixture.js';
import { fuseAttach, loopAttach, mount } from '../helpers/blockdev.js';

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
