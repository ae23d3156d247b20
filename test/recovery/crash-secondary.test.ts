// Issue 8, defect 3: kill -9 of a Secondary while the Primary writes (protocol C, 2 nodes), then
// tandemd restarted and `tandem up`: the Primary resyncs what the Secondary missed, once, and
// both are UpToDate within 60 s, identical, with every acknowledged write on both disks.
import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { TestCluster } from '../helpers/daemons.js';
import { logMark, printLogsOnFailure } from '../helpers/daemon-log.js';
import { checkRecovered, flushExport, restartAndUp, writeInBackground } from '../helpers/crash-recovery.js';
import { writeResource } from '../helpers/resource-config.js';
import { bringUp, promoteAndSync } from '../helpers/scenario.js';
import { waitFor } from '../helpers/wait.js';

const SIZE = 128 * 1024 * 1024;

t.test('kill -9 of a Secondary during writes, restart, up', async (t) => {
  const cluster = new TestCluster('tandem-crashsec-');
  t.teardown(() => cluster.destroy());
  printLogsOnFailure(t, cluster);
  const files = await writeResource(cluster, { name: 'ks', nodes: ['a', 'b'], sizeBytes: SIZE });
  await bringUp(cluster, 'ks', ['a', 'b']);
  await promoteAndSync(cluster, 'ks', 'a', ['b']);

  const mark = logMark(cluster);
  const writes = writeInBackground(files.socket('a'), SIZE);
  await sleep(1000);
  await cluster.kill('b');
  await waitFor(cluster, 'a', 'ks', 'b lost', (s) => s.connections[0].connectionState !== 'Connected', 20_000);
  await sleep(1000); // writes b misses
  const upAt = await restartAndUp(cluster, 'b', 'ks');
  await sleep(1000); // writes while b reconnects and resyncs
  const written = await writes.stop();
  t.equal(written.error, null, `${written.ok} writes acknowledged, none failed`);
  await flushExport(files.socket('a'));

  await checkRecovered(t, { cluster, res: 'ks', files, nodes: ['a', 'b'], upAt, mark, acked: writes.acked });
});
