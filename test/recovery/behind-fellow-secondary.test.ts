// A Secondary cut off from its Primary only, behind a fellow Secondary (sim seeds 30216, 30489):
// three hosts in network namespaces, protocol C. a, Primary, loses c (their traffic is dropped;
// c still reaches b); a's writes go on to b alone, in a new data generation that b follows. Then a
// is killed. b and c are Established, both UpToDate, and neither replicates from a Primary any
// more: c lacks what a acknowledged through b, and nobody else will bring it along. Expected: c
// outdates itself and reconnects to b, whose new connection's handshake makes c b's SyncTarget
// (DRBD too resyncs after a Primary's loss); c ends in b's generation with every acknowledged
// write, its disk identical to b's. Left as it was,
// c stayed UpToDate in the older generation: a promotion of c would have served (and resynced over
// b) data without a's last writes.
import t from 'tap';
import { TestCluster } from '../helpers/daemons.js';
import { logLinesSince, logMark, printLogsOnFailure } from '../helpers/daemon-log.js';
import { flushExport, writeInBackground } from '../helpers/crash-recovery.js';
import { waitConverged } from '../helpers/convergence.js';
import { TestNetwork } from '../helpers/netns.js';
import { writeResource } from '../helpers/resource-config.js';
import { bringUp, promoteAndSync } from '../helpers/scenario.js';
import { sha256File, status, waitFor } from '../helpers/wait.js';

const SIZE = 4 * 1024 * 1024;
const nodes = ['a', 'b', 'c'];
const lost = (peer: string) => (s: { connections: Array<{ peer: string; connectionState: string }> }) => s.connections.find((c) => c.peer === peer)!.connectionState !== 'Connected';
const generation = async (cluster: TestCluster, node: string): Promise<string | null> => (await status(cluster, node, 'bf')).volumes[0].currentGeneration;

t.test('a Secondary behind a fellow Secondary resyncs from it once their Primary is gone', { skip: TestNetwork.available() ? false : 'needs root for network namespaces' }, async (t) => {
  const net = new TestNetwork();
  const cluster = new TestCluster('tandem-behind-fellow-');
  t.teardown(async () => { await cluster.destroy(); await net.destroy(); });
  printLogsOnFailure(t, cluster);
  await net.create(nodes);
  const hosts = Object.fromEntries(nodes.map((n) => [n, net.host(n).address]));
  const files = await writeResource(cluster, { name: 'bf', nodes, hosts, sizeBytes: SIZE, extra: ['ping-interval = 1s', 'ping-timeout = 500ms'] });
  await bringUp(cluster, 'bf', nodes, { wrap: Object.fromEntries(nodes.map((n) => [n, net.host(n).wrap])) });
  await promoteAndSync(cluster, 'bf', 'a', ['b', 'c']);

  const mark = logMark(cluster);
  await net.block('c', 'a');
  await waitFor(cluster, 'a', 'bf', 'a lost c', lost('c'), 15_000);
  await waitFor(cluster, 'c', 'bf', 'c lost a', lost('a'), 15_000);
  const writes = writeInBackground(files.socket('a'), SIZE, { pauseMs: 5 });
  await waitFor(cluster, 'a', 'bf', 'a wrote without c', () => writes.acked.acked.size > 30, 10_000);
  t.equal((await writes.stop()).error, null, `a acknowledged ${writes.acked.acked.size} writes through b alone`);
  await flushExport(files.socket('a'));
  t.not(await generation(cluster, 'c'), await generation(cluster, 'b'), 'b followed a\'s new generation, c did not');

  await cluster.kill('a');
  await waitFor(cluster, 'b', 'bf', 'b lost a', lost('a'), 15_000);
  const b = await generation(cluster, 'b');
  await waitFor(cluster, 'c', 'bf', 'c in b\'s generation', (s) => s.volumes[0].currentGeneration === b && s.volumes[0].diskState === 'UpToDate', 30_000)
    .then(() => t.pass('c took b\'s generation and is UpToDate'), (err: Error) => t.fail(`c took b's generation: ${err.message}`));
  await waitConverged(cluster, 'bf', ['b', 'c'], 30_000);
  t.equal(sha256File(files.disk('c')), sha256File(files.disk('b')), 'c\'s disk is identical to b\'s');
  t.same(writes.acked.lostInFile(files.disk('c')).slice(0, 10), [], 'no write a acknowledged is missing on c');
  const targets = logLinesSince(cluster, mark, 'c', /^resync finished as SyncTarget/).map((l) => String(l.peer));
  t.same(targets, ['b'], 'c was resynced once, from b');
});
