// The initial sync of four diskful nodes: the Primary resyncs three SyncTargets at once. Each
// target takes blocks the other two also lack; once all are UpToDate nothing may stay out of sync
// between any two of them (the Secondaries' bits for each other included: bits that stay set
// between two UpToDate Secondaries would resync data that is equal, and keep `status` from ever
// reporting the cluster in sync). Then the Primary is stopped and the three others, promoted one
// by one, stay in sync with identical disks.
import t from 'tap';
import { execa } from 'execa';
import { waitConverged } from '../helpers/convergence.js';
import { must, openCluster } from '../helpers/scenario.js';
import { sha256File } from '../helpers/wait.js';

const MiB = 1024 * 1024;
const nodes = ['a', 'b', 'c', 'd'];

t.test('four nodes: after the initial sync every pair is in sync, also without the Primary', async (t) => {
  const { cluster, files } = await openCluster(t, 'tandem-sync4-', { name: 's4', nodes, sizeBytes: 64 * MiB, primary: 'a', peers: ['b', 'c', 'd'] });
  await waitConverged(cluster, 's4', nodes, 60_000);
  const w = await execa('qemu-io', ['-f', 'raw', '-c', `write -P 0x5a ${8 * MiB} ${4 * MiB}`, '-c', 'flush', `nbd:unix:${files.socket('a')}`], { reject: false });
  t.equal(w.exitCode, 0, 'a wrote 4 MiB');
  await waitConverged(cluster, 's4', nodes, 30_000);
  await must(cluster, 'a', ['secondary', 's4']);
  await must(cluster, 'a', ['down', 's4']);
  const rest = ['b', 'c', 'd'];
  await must(cluster, 'b', ['primary', 's4']);
  await waitConverged(cluster, 's4', rest, 30_000);
  const sums = rest.map((n) => sha256File(files.disk(n)));
  t.same(new Set(sums).size, 1, 'b, c and d hold identical disks');
  t.equal(sums[0], sha256File(files.disk('a')), 'and the same as a');
});
