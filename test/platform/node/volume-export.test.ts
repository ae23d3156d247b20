// The export of a Primary's volume with its block device: a real NBD server on a file, nbdfuse +
// a loop device as /dev/tandem/<res>/<vol> (under a private dev directory), a real ext4 on it,
// refusal to detach while mounted or open, and cleanup of what a dead daemon left behind.
// Every file-system access runs in a child process: this process serves the NBD requests.
import t, { type Test } from 'tap';
import { execa } from 'execa';
import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { userInfo } from 'node:os';
import { FileBackend } from '../../../src/nbd/file-backend.js';
import { startVolumeExport } from '../../../src/platform/node/volume-export.js';
import { exportRequest } from './fixtures/export-request.js';
import { releaseFrontends } from '../../../src/platform/node/frontend/attach.js';
import { TandemError } from '../../../src/lib/errors.js';
import { fileURLToPath } from 'node:url';
import { scratchDir, sha256, MiB } from '../../nbd/helpers/fixture.js';

const CHILD = fileURLToPath(new URL('./fixtures/export-process.ts', import.meta.url));

const skip = userInfo().uid === 0 ? false : 'needs root: FUSE mounts and loop devices';
const SIZE = 32 * MiB;

async function fixture(t: Test, tag: string) {
  const dir = scratchDir(t, tag);
  const file = join(dir, 'disk.img');
  writeFileSync(file, Buffer.alloc(SIZE));
  const backend = new FileBackend(file);
  t.teardown(() => backend.close());
  const dirs = { devDir: join(dir, 'dev'), stateDir: join(dir, 'state') };
  t.teardown(() => releaseFrontends(dirs, 'r0').catch(() => undefined)); // a failed test leaves no loop device
  return { dir, file, backend, dirs, address: { kind: 'unix' as const, path: join(dir, 'r0-0.nbd') } };
}

/** Loop devices whose backing file lies under `dir`. */
async function loopsUnder(dir: string): Promise<string[]> {
  const r = await execa('losetup', ['--list', '--json', '--output', 'NAME,BACK-FILE']);
  const rows = String(r.stdout).trim() ? JSON.parse(String(r.stdout)).loopdevices as Array<{ name: string; 'back-file': string }> : [];
  return rows.filter((x) => (x['back-file'] ?? '').startsWith(dir)).map((x) => x.name);
}

async function nbdfuseUnder(dir: string): Promise<number> {
  const r = await execa('pgrep', ['-f', `nbdfuse .*${dir}`], { reject: false });
  return String(r.stdout).trim().split('\n').filter(Boolean).length;
}

t.test('fuse: /dev/tandem/<res>/<vol> while exported, ext4 on it, refused while mounted or open, gone on close', { skip }, async (t) => {
  const f = await fixture(t, 'fe-fuse');
  const port = await startVolumeExport(f.address, 'r0/0', f.backend, exportRequest('fuse'), f.dirs);
  const device = join(f.dirs.devDir, 'r0', '0');
  t.equal(port.device, device, 'the stable name is <dev dir>/<resource>/<volume>');
  t.ok(lstatSync(device).isSymbolicLink(), 'a link, as /dev/drbd/by-res/ has');
  const kernel = readlinkSync(device);
  t.match(kernel, /^\/dev\/loop\d+$/, `pointing at a loop device (${kernel})`);
  t.equal(String((await execa('blockdev', ['--getsize64', device])).stdout).trim(), String(SIZE), 'the device has the export\'s size');
  t.same(await loopsUnder(f.dirs.stateDir), [kernel], 'the loop device is backed by the nbdfuse file of this volume');

  // raw writes through the device reach the backing file (direct I/O: no cache in between)
  const data = randomBytes(MiB);
  writeFileSync(join(f.dir, 'data'), data);
  await execa('dd', [`if=${join(f.dir, 'data')}`, `of=${device}`, 'bs=1M', 'seek=3', 'oflag=direct', 'conv=fsync', 'status=none']);
  t.equal(sha256(readFileSync(f.file).subarray(3 * MiB, 4 * MiB)), sha256(data), 'a write through the device is in the backing file');

  await execa('mkfs.ext4', ['-q', '-F', device]);
  const mnt = join(f.dir, 'mnt');
  mkdirSync(mnt);
  await execa('mount', [device, mnt]);
  t.teardown(() => execa('umount', [mnt], { reject: false }));
  await execa('sh', ['-c', `head -c 3000000 /dev/urandom > ${mnt}/f && sync`]);
  t.equal(await port.busy(), `mounted on ${mnt}`, 'busy while mounted, naming the mount point');
  await execa('umount', [mnt]);
  t.equal(await port.busy(), null, 'not busy once unmounted');

  const holder = execa('sh', ['-c', `exec 3<${device}; echo ready; exec sleep 60`], { reject: false });
  await new Promise((resolve) => holder.stdout!.once('data', resolve));
  t.match(await port.busy(), new RegExp(`^open by pid ${holder.pid} \\(sleep\\)$`), 'busy while a process has it open, naming the process');
  holder.kill('SIGKILL');
  await holder;
  t.equal(await port.busy(), null, 'not busy once the process is gone');

  const fsck = await execa('e2fsck', ['-fn', device], { reject: false });
  t.equal(fsck.exitCode, 0, `e2fsck -fn clean through the device: ${fsck.stdout}`);
  await port.close();
  t.notOk(existsSync(device), 'the name is gone after close');
  t.same(await loopsUnder(f.dirs.stateDir), [], 'the loop device is detached');
  t.equal(await nbdfuseUnder(f.dirs.stateDir), 0, 'nbdfuse has exited');
});

t.test('what a killed daemon left: released when unused, refused (and untouched) while mounted', { skip }, async (t) => {
  const f = await fixture(t, 'fe-stale');
  // the "daemon": an export with its device in another process, killed with -9 below
  const child = execa(process.execPath, [...process.execArgv, CHILD, JSON.stringify({ file: f.file, socket: f.address.path, ...f.dirs })], { reject: false });
  t.teardown(() => { child.kill('SIGKILL'); });
  const device = await new Promise<string>((resolve, reject) => {
    child.stdout!.once('data', (b: Buffer) => resolve(JSON.parse(b.toString()).device as string));
    void child.then((r) => reject(new Error(`export process ended: ${r.stderr}`)));
  });
  const kernel = readlinkSync(device);
  await execa('mkfs.ext4', ['-q', '-F', device]);
  const mnt = join(f.dir, 'mnt');
  mkdirSync(mnt);
  await execa('mount', [device, mnt]);
  t.teardown(() => execa('umount', [mnt], { reject: false }));
  child.kill('SIGKILL');
  await child;

  const err = await releaseFrontends(f.dirs, 'r0').catch((e: unknown) => e);
  t.ok(err instanceof TandemError && err.code === 'TANDEM_E_BUSY', 'refused with TANDEM_E_BUSY while the file system is mounted');
  t.match((err as Error).message, `${device} left by an earlier run of tandemd is mounted on ${mnt}`, 'the reason names the device and the mount point');
  t.ok(existsSync(device), 'the name is kept');
  t.same(await loopsUnder(f.dirs.stateDir), [kernel], 'the loop device is kept');

  await execa('umount', [mnt]); // the export is dead: ext4 cannot write back, unmount still succeeds
  t.same(await releaseFrontends(f.dirs, 'r0'), [device], 'released once unmounted');
  t.notOk(existsSync(device), 'the name is gone');
  t.same(await loopsUnder(f.dirs.stateDir), [], 'the loop device is detached');
  t.equal(await nbdfuseUnder(f.dirs.stateDir), 0, 'nbdfuse has exited');
  t.same(await releaseFrontends(f.dirs, 'r0'), [], 'releasing again finds nothing');
});

t.test('frontend none: the export only', async (t) => {
  const f = await fixture(t, 'fe-none');
  const port = await startVolumeExport(f.address, 'r0/0', f.backend, exportRequest('none'), f.dirs);
  t.equal(port.device, null, 'no device');
  t.equal(await port.busy(), null, 'never busy');
  t.ok(port.address.startsWith('nbd+unix://'), 'the NBD export is there');
  await port.close();
  t.notOk(existsSync(f.dirs.devDir), 'nothing created under the dev directory');
});

const nbdLoaded = existsSync('/sys/module/nbd');

t.test('frontend nbd where the nbd module is missing: TANDEM_E_FRONTEND with the reason, nothing left listening', {
  skip: nbdLoaded ? 'the nbd module is loaded on this machine' : false,
}, async (t) => {
  const f = await fixture(t, 'fe-fail');
  const err = await startVolumeExport(f.address, 'r0/0', f.backend, exportRequest('nbd'), f.dirs).catch((e: unknown) => e);
  t.ok(err instanceof TandemError && err.code === 'TANDEM_E_FRONTEND', 'TANDEM_E_FRONTEND');
  t.match((err as Error).message, /frontend = nbd cannot run on this node \(nbd: the kernel NBD driver is not loaded/, 'says the nbd module is missing');
  t.notOk(existsSync(f.address.path), 'the NBD socket is closed again');
});

t.test('a volume without a configured export: its device is served from a private socket', { skip }, async (t) => {
  const f = await fixture(t, 'fe-private');
  const port = await startVolumeExport(null, 'r0/0', f.backend, exportRequest('fuse'), f.dirs);
  const socket = join(f.dirs.stateDir, 'r0', '0', 'nbd.sock');
  t.equal(port.address, `nbd+unix:///?socket=${socket}`, 'the export is a unix socket in the volume\'s work directory');
  t.ok(lstatSync(socket).isSocket(), 'listening');
  t.match(readlinkSync(port.device!), /^\/dev\/loop\d+$/, 'the device is attached to it');
  await port.close();
  t.notOk(existsSync(port.device!), 'gone on close');
  t.notOk(existsSync(socket), 'socket removed');
});
