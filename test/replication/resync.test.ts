// A Secondary that was away: the Primary sets bitmap bits for it while it is gone, resyncs exactly
// those blocks when it comes back, and both replicas end identical. Also: kill -9 of the
// SyncTarget in the middle of the resync, which resumes from the bitmap.
import t from 'tap';
import { execa } from 'execa';
import { TestCluster } from '../helpers/daemons.js';
import { bringUp, promoteAndSync } from '../helpers/scenario.js';
import { writeResource } from '../helpers/resource-config.js';
import { peersUpToDate, sha256File, status, waitFor } from '../helpers/wait.js';

t.test('secondary stopped during writes, restarted: bitmap resync, identical data', async (t) => {
  const cluster = new TestCluster();
  t.teardown(() => cluster.destroy());
  // a 7-extent AL, so the 15 extents written below are evicted while b is away: the bitmap must
  // still hold exactly the written blocks, not whole 4 MiB extents
  const files = await writeResource(cluster, { name: 's0', nodes: ['a', 'b'], sizeBytes: 64 * 1024 * 1024, extra: ['al-extents = 7'] });
  await bringUp(cluster, 's0', ['a', 'b']);
  await promoteAndSync(cluster, 's0', 'a', ['b']);
  const nbd = `nbd:unix:${files.socket('a')}`;

  await cluster.kill('b');
  await waitFor(cluster, 'a', 's0', 'b disconnected', (s) => s.connections[0].connectionState !== 'Connected');
  // 40 scattered 64 KiB writes while b is away
  const cmds = Array.from({ length: 40 }, (_, i) => ['-c', `write -P ${i + 1} ${i * 1536}k 64k`]).flat();
  await execa('qemu-io', ['-f', 'raw', ...cmds, nbd]);
  const away = await status(cluster, 'a', 's0');
  t.equal(away.connections[0].volumes[0].outOfSyncBytes, 40 * 64 * 1024, 'exactly the written blocks are out of sync');

  await cluster.start('b');
  await cluster.cli('b', ['up', 's0']);
  await waitFor(cluster, 'a', 's0', 'b UpToDate after bitmap resync', peersUpToDate(['b']));
  t.equal(sha256File(files.disk('a')), sha256File(files.disk('b')), 'identical after resync');
});

t.test('kill -9 of the SyncTarget mid-resync: the resync resumes and completes', async (t) => {
  const cluster = new TestCluster();
  t.teardown(() => cluster.destroy());
  const files = await writeResource(cluster, { name: 's1', nodes: ['a', 'b'], sizeBytes: 256 * 1024 * 1024, extra: ['resync-rate = 16M'] });
  await bringUp(cluster, 's1', ['a', 'b']);
  await cluster.cli('a', ['primary', 's1', '--force']);
  // the initial full sync of 256 MiB at 16 MiB/s takes about 16 s: kill the target in the middle
  await waitFor(cluster, 'a', 's1', 'resync under way', (s) => (s.connections[0].volumes[0].resync?.percent ?? 0) > 20);
  await cluster.kill('b');
  const partial = await waitFor(cluster, 'a', 's1', 'b gone', (s) => s.connections[0].connectionState !== 'Connected');
  const left = partial.connections[0].volumes[0].outOfSyncBytes;
  t.ok(left > 0 && left < 256 * 1024 * 1024, `resync progress kept in the bitmap (${left} bytes left)`);
  await cluster.start('b');
  await cluster.cli('b', ['up', 's1']);
  await waitFor(cluster, 'a', 's1', 'resync finished', peersUpToDate(['b']), 120_000);
  t.equal(sha256File(files.disk('a')), sha256File(files.disk('b')), 'identical after the resumed resync');
});
