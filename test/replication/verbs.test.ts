// The DRBD-style verbs on real daemons: disconnect/connect, detach/attach, down/up, protocol B,
// two volumes in one resource (one write order) and an NBD export over TCP.
import t from 'tap';
import { execa } from 'execa';
import { TestCluster } from '../helpers/daemons.js';
import { bringUp, promoteAndSync } from '../helpers/scenario.js';
import { freePorts, writeResource } from '../helpers/resource-config.js';
import { peersUpToDate, sha256File, status, waitFor } from '../helpers/wait.js';

t.test('verbs, protocol B, two volumes, TCP export', async (t) => {
  const cluster = new TestCluster();
  t.teardown(() => cluster.destroy());
  const [nbdPort] = await freePorts(1);
  const files = await writeResource(cluster, { name: 'vb', nodes: ['a', 'b'], protocol: 'B', volumes: 2, sizeBytes: 8 * 1024 * 1024 });
  // volume 1 of node a is exported over TCP instead of a unix socket
  const ini = `${cluster.configDir}/vb.ini`;
  const { readFileSync, writeFileSync } = await import('node:fs');
  writeFileSync(ini, readFileSync(ini, 'utf8').replace(`volume.1.export = ${files.socket('a', 1)}`, `volume.1.export = tcp:127.0.0.1:${nbdPort}`).replace('[resource]', '[resource]\nexport-insecure = yes'));
  await bringUp(cluster, 'vb', ['a', 'b']);
  await promoteAndSync(cluster, 'vb', 'a', ['b']);
  const s = await status(cluster, 'a', 'vb');
  t.equal(s.volumes.length, 2);
  t.match(s.volumes[1].export, `nbd://127.0.0.1:${nbdPort}`);

  await execa('qemu-io', ['-f', 'raw', '-c', 'write -P 0x11 0 1M', `nbd:unix:${files.socket('a', 0)}`]);
  await execa('qemu-io', ['-f', 'raw', '-c', 'write -P 0x22 0 1M', `nbd://127.0.0.1:${nbdPort}`]);

  t.equal((await cluster.cli('a', ['disconnect', 'vb'])).exitCode, 0);
  const alone = await status(cluster, 'a', 'vb');
  t.equal(alone.connections[0].connectionState, 'StandAlone', 'disconnect leaves the peer StandAlone');
  await execa('qemu-io', ['-f', 'raw', '-c', 'write -P 0x33 2M 64k', `nbd:unix:${files.socket('a', 0)}`]);
  t.equal((await status(cluster, 'a', 'vb')).connections[0].volumes[0].outOfSyncBytes, 64 * 1024, 'writes while StandAlone are tracked');
  t.equal((await cluster.cli('a', ['connect', 'vb'])).exitCode, 0);
  await waitFor(cluster, 'a', 'vb', 'reconnected and resynced', peersUpToDate(['b']));

  t.equal((await cluster.cli('b', ['detach', 'vb'])).exitCode, 0);
  await waitFor(cluster, 'a', 'vb', 'b Diskless', (x) => x.connections[0].volumes.every((v) => v.peerDiskState === 'Diskless'));
  await execa('qemu-io', ['-f', 'raw', '-c', 'write -P 0x44 3M 64k', `nbd:unix:${files.socket('a', 0)}`]);
  t.equal((await cluster.cli('b', ['attach', 'vb'])).exitCode, 0);
  await waitFor(cluster, 'a', 'vb', 'b attached and resynced', peersUpToDate(['b']));

  t.equal((await cluster.cli('b', ['down', 'vb'])).exitCode, 0);
  t.equal((await cluster.cli('b', ['down', 'vb'])).exitCode, 0, 'down is idempotent');
  await execa('qemu-io', ['-f', 'raw', '-c', 'write -P 0x55 4M 64k', `nbd:unix:${files.socket('a', 0)}`]);
  t.equal((await cluster.cli('b', ['up', 'vb'])).exitCode, 0);
  await waitFor(cluster, 'a', 'vb', 'b up and resynced', peersUpToDate(['b']));

  await cluster.cli('a', ['secondary', 'vb']);
  for (const v of [0, 1]) t.equal(sha256File(files.disk('a', v)), sha256File(files.disk('b', v)), `volume ${v} identical`);
});
