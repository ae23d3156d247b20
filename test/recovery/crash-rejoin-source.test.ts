// Issue 8, defect 3, with three nodes: c was away while the Primary a wrote 48 MiB, comes back
// and resyncs (at resync-rate 16M, about 3 s) from one of its peers; that peer, c's SyncSource,
// is killed with kill -9 in the middle while a goes on writing. c must finish from the node that
// is left, the killed node comes back (restart, up), and all three end UpToDate within 60 s,
// identical, with every acknowledged write on every disk and at most one resync per reconnect.
// Which peer c takes as SyncSource is the implementation's choice (DRBD would take either): when
// it is a, the Primary, the writes end with the crash and the acknowledged ones are checked.
import t from 'tap';
import { execa } from 'execa';
import { setTimeout as sleep } from 'node:timers/promises';
import { TestCluster } from '../helpers/daemons.js';
import { logMark, printLogsOnFailure } from '../helpers/daemon-log.js';
import { checkRecovered, flushExport, restartAndUp, writeInBackground } from '../helpers/crash-recovery.js';
import { writeResource } from '../helpers/resource-config.js';
import { bringUp, promoteAndSync } from '../helpers/scenario.js';
import { status, waitFor } from '../helpers/wait.js';

const MiB = 1024 * 1024;
const SIZE = 128 * MiB;
const nodes = ['a', 'b', 'c'];

t.test('kill -9 of a rejoining node\'s SyncSource mid-resync, during writes', async (t) => {
  const cluster = new TestCluster('tandem-rejoinsrc-');
  t.teardown(() => cluster.destroy());
  printLogsOnFailure(t, cluster);
  const files = await writeResource(cluster, { name: 'rs', nodes, sizeBytes: SIZE, extra: ['resync-rate = 16M'] });
  await bringUp(cluster, 'rs', nodes);
  await promoteAndSync(cluster, 'rs', 'a', ['b', 'c'], 60_000);

  await cluster.kill('c');
  await waitFor(cluster, 'a', 'rs', 'c lost', (s) => s.connections.find((x) => x.peer === 'c')!.connectionState !== 'Connected', 20_000);
  // 48 MiB that c misses, in 1 MiB writes from 64 MiB on (the background writes use the low blocks)
  const big = await execa('qemu-io', ['-f', 'raw', ...Array.from({ length: 48 }, (_, i) => ['-c', `write -P ${i + 1} ${64 * MiB + i * MiB} 1M`]).flat(), `nbd:unix:${files.socket('a')}`]);
  t.equal(big.exitCode, 0, '48 MiB written while c is away');

  const writes = writeInBackground(files.socket('a'), SIZE / 2);
  await restartAndUp(cluster, 'c', 'rs');
  const syncing = await waitFor(cluster, 'c', 'rs', 'c SyncTarget', (s) => s.connections.some((x) => x.volumes[0].replicationState === 'SyncTarget'), 20_000);
  const source = syncing.connections.find((x) => x.volumes[0].replicationState === 'SyncTarget')!.peer;
  t.comment(`c resyncs from ${source}; killing it`);
  const mark = logMark(cluster);
  await cluster.kill(source);
  await sleep(1000);
  const upAt = await restartAndUp(cluster, source, 'rs');
  await sleep(1000);
  const written = await writes.stop();
  if (source === 'a') {
    t.ok(written.ok > 0, `${written.ok} writes acknowledged before a crashed`);
  } else {
    t.equal(written.error, null, `${written.ok} writes acknowledged, none failed`);
    await flushExport(files.socket('a'));
  }
  t.comment(`roles now: ${(await Promise.all(nodes.map(async (n) => `${n} ${(await status(cluster, n, 'rs')).role}`))).join(', ')}`);
  await checkRecovered(t, { cluster, res: 'rs', files, nodes, upAt, mark, acked: writes.acked });
});
