// Two real daemons on loopback, protocol C: initial sync, writes through real NBD clients,
// identical data on both nodes afterwards.
import t from 'tap';
import { execa } from 'execa';
import { TestCluster } from '../helpers/daemons.js';
import { bringUp } from '../helpers/scenario.js';
import { writeResource } from '../helpers/resource-config.js';
import { peersUpToDate, sha256File, status, waitFor } from '../helpers/wait.js';

t.test('two nodes: initial sync, qemu-io and nbdcopy writes, identical replicas', async (t) => {
  const cluster = new TestCluster();
  t.teardown(() => cluster.destroy());
  const files = await writeResource(cluster, { name: 'r0', nodes: ['a', 'b'], sizeBytes: 32 * 1024 * 1024 });
  await bringUp(cluster, 'r0', ['a', 'b']);
  const refused = await cluster.cli('a', ['primary', 'r0']);
  t.equal(refused.exitCode, 9, 'promotion of Inconsistent data without --force is refused');
  t.match(String(refused.stderr), /TANDEM_E_STATE.*Inconsistent/);

  t.equal((await cluster.cli('a', ['primary', 'r0', '--force'])).exitCode, 0);
  await waitFor(cluster, 'a', 'r0', 'b UpToDate after initial sync', peersUpToDate(['b']));

  const second = await cluster.cli('b', ['primary', 'r0']);
  t.equal(second.exitCode, 9, 'a second Primary is refused');

  const uri = `nbd+unix:///?socket=${files.socket('a')}`;
  const info = await execa('nbdinfo', ['--json', uri]);
  const export0 = JSON.parse(String(info.stdout)).exports[0];
  t.equal(export0['export-size'], 32 * 1024 * 1024, 'nbdinfo sees the volume size');

  const qemu = await execa('qemu-io', ['-f', 'raw', '-c', 'write -P 0xab 0 1M', '-c', 'write -f -P 0xcd 4M 64k',
    '-c', 'read -P 0xab 0 1M', '-c', 'read -P 0xcd 4M 64k', `nbd:unix:${files.socket('a')}`]);
  t.notMatch(String(qemu.stdout), /Pattern verification failed/);

  await execa('bash', ['-c', `head -c 8M /dev/urandom > ${cluster.root}/rand`]);
  await execa('nbdcopy', [`${cluster.root}/rand`, uri]);
  await execa('nbdcopy', [uri, `${cluster.root}/back`]);
  await execa('truncate', ['-s', '8M', `${cluster.root}/back`]);
  t.equal(sha256File(`${cluster.root}/back`), sha256File(`${cluster.root}/rand`), 'nbdcopy round trip');

  await execa('qemu-io', ['-f', 'raw', '-c', 'flush', `nbd:unix:${files.socket('a')}`]);
  const s = await status(cluster, 'a', 'r0');
  t.equal(s.role, 'Primary');
  t.equal(s.connections[0].volumes[0].outOfSyncBytes, 0);
  t.equal(sha256File(files.disk('a')), sha256File(files.disk('b')), 'both replicas hold identical data');
});
