// The Primary's block device through real daemons: /dev/tandem/<res>/<vol> appears on promotion
// (fuse frontend: nbdfuse + loop), shows in status, carries ext4; demote and down are refused
// with TANDEM_E_BUSY while it is mounted; after demote it is gone and the peer's device, once
// promoted, holds the same files. A frontend that cannot run fails the promotion cleanly.
import t from 'tap';
import { execa } from 'execa';
import { existsSync, lstatSync, mkdirSync, readlinkSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { TestCluster } from '../helpers/daemons.js';
import { bringUp, promoteAndSync } from '../helpers/scenario.js';
import { writeResource } from '../helpers/resource-config.js';
import { status, waitFor } from '../helpers/wait.js';

const skip = userInfo().uid === 0 ? false : 'needs root: FUSE mounts and loop devices';

t.test('device while Primary, refused demote while mounted, same files on the peer after switch-over', { skip }, async (t) => {
  const cluster = new TestCluster();
  t.teardown(() => cluster.destroy());
  await writeResource(cluster, { name: 'bd', nodes: ['a', 'b'], sizeBytes: 64 * 1024 * 1024, frontend: 'fuse' });
  await bringUp(cluster, 'bd', ['a', 'b']);
  t.equal((await status(cluster, 'a', 'bd')).volumes[0].device, null, 'no device while Secondary');
  await promoteAndSync(cluster, 'bd', 'a', ['b']);

  const device = join(cluster.root, 'dev', 'a', 'bd', '0');
  const shown = await status(cluster, 'a', 'bd');
  t.equal(shown.volumes[0].device, device, 'status --json names the device');
  t.ok(lstatSync(device).isSymbolicLink() && /^\/dev\/loop\d+$/.test(readlinkSync(device)), `${device} → ${readlinkSync(device)}`);
  t.match(String((await cluster.cli('a', ['status', 'bd'])).stdout), `device:${device}`, 'status text shows it');

  const mnt = join(cluster.root, 'mnt');
  mkdirSync(mnt);
  await execa('mkfs.ext4', ['-q', '-F', device]);
  await execa('mount', [device, mnt]);
  t.teardown(() => execa('umount', [mnt], { reject: false }));
  await execa('bash', ['-c', `for i in $(seq 1 8); do head -c $((i * 200000)) /dev/urandom > ${mnt}/f$i; done; sync; cd ${mnt} && sha256sum f* > ${cluster.root}/sums`]);

  for (const verb of [['secondary', 'bd'], ['down', 'bd']]) {
    const refused = await cluster.cli('a', verb);
    t.equal(refused.exitCode, 14, `${verb[0]} refused with exit 14 while mounted`);
    t.match(String(refused.stderr), `error TANDEM_E_BUSY: cannot demote bd: volume 0 is in use (mounted on ${mnt})`, `${verb[0]}: the reason names the mount point`);
      t.match(String(refused.stderr), `hint: unmount or close ${device} first`, `${verb[0]}: the hint names the device`);
  }
  const still = await status(cluster, 'a', 'bd');
  t.equal(still.role, 'Primary', 'still Primary after the refusals');
  t.ok(existsSync(device), 'the device is still there');

  await execa('umount', [mnt]);
  t.equal((await cluster.cli('a', ['secondary', 'bd'])).exitCode, 0, 'demote succeeds once unmounted');
  t.notOk(existsSync(device), 'the device is gone after demote');
  t.equal((await status(cluster, 'a', 'bd')).volumes[0].device, null, 'status: no device');

  t.equal((await cluster.cli('b', ['primary', 'bd'])).exitCode, 0, 'b promoted');
  const deviceB = join(cluster.root, 'dev', 'b', 'bd', '0');
  await waitFor(cluster, 'b', 'bd', 'device on b', (s) => s.volumes[0].device === deviceB);
  const fsck = await execa('e2fsck', ['-fn', deviceB], { reject: false });
  t.equal(fsck.exitCode, 0, `e2fsck -fn clean on b: ${fsck.stdout}`);
  await execa('mount', [deviceB, mnt]);
  const check = await execa('bash', ['-c', `cd ${mnt} && sha256sum -c ${cluster.root}/sums`], { reject: false });
  t.equal(check.exitCode, 0, `every file intact on b: ${check.stdout}`);
  await execa('umount', [mnt]);
  t.equal((await cluster.cli('b', ['secondary', 'bd'])).exitCode, 0, 'b demoted');
});

t.test('a frontend that cannot run here: promotion refused with TANDEM_E_FRONTEND, the node stays Secondary', {
  skip: skip || (existsSync('/sys/module/nbd') ? 'the nbd module is loaded on this machine' : false),
}, async (t) => {
  const cluster = new TestCluster();
  t.teardown(() => cluster.destroy());
  await writeResource(cluster, { name: 'nb', nodes: ['a'], frontend: 'nbd', extra: ['standalone = yes'] });
  await bringUp(cluster, 'nb', ['a']);
  const r = await cluster.cli('a', ['primary', 'nb', '--force']);
  t.equal(r.exitCode, 15, 'exit 15');
  t.match(String(r.stderr), /error TANDEM_E_FRONTEND: no block device for nb: frontend = nbd cannot run on this node \(nbd: the kernel NBD driver is not loaded/, 'says why');
  const s = await status(cluster, 'a', 'nb');
  t.equal(s.role, 'Secondary', 'still Secondary');
  t.equal(s.volumes[0].export, null, 'nothing exported');
});
