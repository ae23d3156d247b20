// Issue 8, defect 3: kill -9 of every node at once while the Primary writes (3 nodes, protocol
// C), as a power failure of the whole cluster. All three restarted and brought up (nobody is
// promoted: the administrator looks first): the crashed Primary's activity log names what may
// differ, those blocks are resynced once, and all three are UpToDate within 60 s of the last
// `up`, identical, with every acknowledged write on every disk.
import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { logMark } from '../helpers/daemon-log.js';
import { checkRecovered, restartAndUp, writeInBackground } from '../helpers/crash-recovery.js';
import { openCluster } from '../helpers/scenario.js';

const SIZE = 64 * 1024 * 1024;
const nodes = ['a', 'b', 'c'];

t.test('kill -9 of all nodes during writes, restart all, up', async (t) => {
  const { cluster, files } = await openCluster(t, 'tandem-crashall-', { name: 'ka', nodes, sizeBytes: SIZE, primary: 'a', peers: ['b', 'c'] });

  const mark = logMark(cluster);
  const writes = writeInBackground(files.socket('a'), SIZE);
  await sleep(1500);
  await Promise.all(nodes.map((n) => cluster.kill(n)));
  const written = await writes.stop();
  t.ok(written.ok > 100, `${written.ok} writes acknowledged before the crash`);
  await sleep(500);
  let upAt = 0;
  for (const n of nodes) upAt = await restartAndUp(cluster, n, 'ka');
  await checkRecovered(t, { cluster, res: 'ka', files, nodes, upAt, mark, acked: writes.acked });
});
