// A whole-cluster power loss while nobody is Primary (the administrator had demoted it, or
// Pacemaker was stopping the resource): kill -9 of both Secondaries, restart both, up. Each comes
// back Consistent (its metadata was not closed cleanly; its activity log marks what its lost disk
// cache may have held), neither is UpToDate, and without a rule no node could ever be promoted.
// The lowest node id becomes UpToDate and resyncs the marked blocks: both UpToDate within 60 s,
// identical, with every write acknowledged before the demotion.
import t from 'tap';
import { logLinesSince, logMark } from '../helpers/daemon-log.js';
import { checkRecovered, flushExport, restartAndUp, writeInBackground } from '../helpers/crash-recovery.js';
import { must, openCluster } from '../helpers/scenario.js';
import { status } from '../helpers/wait.js';

const SIZE = 32 * 1024 * 1024;
const nodes = ['a', 'b'];

t.test('kill -9 of every node while all are Secondary, restart all, up: UpToDate again without an operator', async (t) => {
  const { cluster, files } = await openCluster(t, 'tandem-crashsec-', { name: 'ks', nodes, sizeBytes: SIZE, primary: 'a', peers: ['b'] });
  const writes = writeInBackground(files.socket('a'), SIZE);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const written = await writes.stop();
  t.ok(written.ok > 100, `${written.ok} writes acknowledged`);
  await flushExport(files.socket('a'));
  await must(cluster, 'a', ['secondary', 'ks']);

  const mark = logMark(cluster);
  await Promise.all(nodes.map((n) => cluster.kill(n)));
  let upAt = 0;
  for (const n of nodes) upAt = await restartAndUp(cluster, n, 'ks');
  for (const n of nodes) {
    const attached = logLinesSince(cluster, mark, n, /^disk attached/);
    t.same(attached.map((l) => l.diskState), ['Consistent'], `${n} came back Consistent (it may have lost its disk cache)`);
  }
  await checkRecovered(t, { cluster, res: 'ks', files, nodes, upAt, mark, acked: writes.acked });
  t.equal(logLinesSince(cluster, mark, 'a', /^disk confirmed UpToDate/).filter((l) => /lowest node id/.test(String(l.reason))).length, 1, 'a, the lower node id, confirmed itself UpToDate as the source');
  for (const n of nodes) t.equal((await status(cluster, n, 'ks')).role, 'Secondary', `${n} was not promoted`);
});
