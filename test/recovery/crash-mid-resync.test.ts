// Issue 8, defect 3: kill -9 in the middle of a resync, while the Primary writes (protocol C,
// 2 nodes). The resync is the initial full sync of a 128 MiB volume at resync-rate 16M (about
// 8 s), so there is time to kill one end at 20-60 %.
//  - SyncTarget killed: restarted and brought up, it resumes from the SyncSource's bitmap.
//  - SyncSource killed (here the Primary, the only UpToDate node): restarted and brought up, it
//    comes back Secondary with UpToDate data (it crashed as Primary) and finishes the sync.
// Either way: every node UpToDate within 60 s of `up`, identical disks, every acknowledged write
// on both, at most one resync per reconnect (counted from the kill: the reconnect after it).
import t, { type Test } from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { TestCluster } from '../helpers/daemons.js';
import { logMark, printLogsOnFailure } from '../helpers/daemon-log.js';
import { checkRecovered, flushExport, restartAndUp, writeInBackground } from '../helpers/crash-recovery.js';
import { writeResource } from '../helpers/resource-config.js';
import { bringUp, must } from '../helpers/scenario.js';
import { status, waitFor } from '../helpers/wait.js';

const SIZE = 128 * 1024 * 1024;

async function midInitialSync(t: Test, res: string) {
  const cluster = new TestCluster(`tandem-${res}-`);
  t.teardown(() => cluster.destroy());
  printLogsOnFailure(t, cluster);
  const files = await writeResource(cluster, { name: res, nodes: ['a', 'b'], sizeBytes: SIZE, extra: ['resync-rate = 16M'] });
  await bringUp(cluster, res, ['a', 'b']);
  await must(cluster, 'a', ['primary', res, '--force']);
  const writes = writeInBackground(files.socket('a'), SIZE);
  const at = await waitFor(cluster, 'a', res, 'initial sync 20 % done', (s) => (s.connections[0].volumes[0].resync?.percent ?? 0) >= 20, 30_000);
  t.ok(at.connections[0].volumes[0].replicationState === 'SyncSource', `a is SyncSource, ${at.connections[0].volumes[0].resync?.percent.toFixed(0)} % done`);
  return { cluster, files, writes };
}

t.test('kill -9 of the SyncTarget mid-resync, during writes', async (t) => {
  const { cluster, files, writes } = await midInitialSync(t, 'kt');
  const mark = logMark(cluster);
  await cluster.kill('b');
  await waitFor(cluster, 'a', 'kt', 'b lost', (s) => s.connections[0].connectionState !== 'Connected', 20_000);
  await sleep(1000);
  const upAt = await restartAndUp(cluster, 'b', 'kt');
  await sleep(1000);
  const written = await writes.stop();
  t.equal(written.error, null, `${written.ok} writes acknowledged, none failed`);
  await flushExport(files.socket('a'));
  await checkRecovered(t, { cluster, res: 'kt', files, nodes: ['a', 'b'], upAt, mark, acked: writes.acked });
});

t.test('kill -9 of the SyncSource (the Primary) mid-resync, during writes', async (t) => {
  const { cluster, files, writes } = await midInitialSync(t, 'ks');
  const mark = logMark(cluster);
  await cluster.kill('a');
  const written = await writes.stop();
  t.ok(written.ok > 0, `${written.ok} writes acknowledged before the crash (then: ${written.error})`);
  const b = await status(cluster, 'b', 'ks');
  t.equal(b.volumes[0].diskState, 'Inconsistent', 'b, cut off mid-sync, stays Inconsistent');
  await sleep(1000);
  const upAt = await restartAndUp(cluster, 'a', 'ks');
  await checkRecovered(t, { cluster, res: 'ks', files, nodes: ['a', 'b'], upAt, mark, acked: writes.acked });
});
