// ext4 on a replicated volume, through nbdfuse and a loop device: files written on the Primary,
// e2fsck clean, and after failover the Secondary's copy mounts with the same files.
import t from 'tap';
import { execa } from 'execa';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { TestCluster } from '../helpers/daemons.js';
import { bringUp, promoteAndSync } from '../helpers/scenario.js';
import { fuseAttach, loopAttach, mount } from '../helpers/blockdev.js';
import { writeResource } from '../helpers/resource-config.js';
import { peersUpToDate, waitFor } from '../helpers/wait.js';

t.test('ext4 on a replicated volume survives failover', async (t) => {
  const cluster = new TestCluster();
  t.teardown(() => cluster.destroy());
  const files = await writeResource(cluster, { name: 'fs', nodes: ['a', 'b'], sizeBytes: 64 * 1024 * 1024 });
  await bringUp(cluster, 'fs', ['a', 'b']);
  await promoteAndSync(cluster, 'fs', 'a', ['b']);

  const fuse = await fuseAttach(t, `nbd+unix:///?socket=${files.socket('a')}`, join(cluster.root, 'fuse-a'));
  const loop = await loopAttach(t, fuse.file);
  await execa('mkfs.ext4', ['-q', '-F', loop.dev]);
  const mnt = join(cluster.root, 'mnt-a');
  const umount = await mount(t, loop.dev, mnt);
  await execa('bash', ['-c', `for i in $(seq 1 12); do head -c $((i * 300000)) /dev/urandom > ${mnt}/f$i; done; sync; cd ${mnt} && sha256sum f* > ${cluster.root}/sums`]);
  await umount();
  const fsck = await execa('e2fsck', ['-fn', loop.dev], { reject: false });
  t.equal(fsck.exitCode, 0, `e2fsck clean on the Primary: ${fsck.stdout}`);
  await loop.detach();
  await fuse.detach();

  await cluster.kill('a');
  t.equal((await cluster.cli('b', ['primary', 'fs'])).exitCode, 0, 'b takes over');
  const fuseB = await fuseAttach(t, `nbd+unix:///?socket=${files.socket('b')}`, join(cluster.root, 'fuse-b'));
  const loopB = await loopAttach(t, fuseB.file);
  const fsckB = await execa('e2fsck', ['-fn', loopB.dev], { reject: false });
  t.equal(fsckB.exitCode, 0, `e2fsck clean on the new Primary: ${fsckB.stdout}`);
  const mntB = join(cluster.root, 'mnt-b');
  mkdirSync(mntB);
  await mount(t, loopB.dev, mntB);
  const check = await execa('bash', ['-c', `cd ${mntB} && sha256sum -c ${cluster.root}/sums`], { reject: false });
  t.equal(check.exitCode, 0, `every file intact on b: ${check.stdout}`);
});
