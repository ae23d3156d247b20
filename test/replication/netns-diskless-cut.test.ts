// A diskless Primary (d) on its own host, cut off from its three diskful peers while writes are in
// flight. It loses them one by one (ping timeouts), starting a new exposed generation at each
// loss; the writes reached nobody and fail. Back, the peers (which reconciled among themselves)
// serve it again and the cluster converges: a failed write marks no peer as holding data the
// others lack (sim seed 30341: every peer counted as missing writes, none served, and the
// returning Primary outdated them all).
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { NbdClient } from '../../src/demo/nbd-client.js';
import { TestCluster } from '../helpers/daemons.js';
import { TestNetwork } from '../helpers/netns.js';
import { bringUp, promoteAndSync } from '../helpers/scenario.js';
import { writeResource } from '../helpers/resource-config.js';
import { peersUpToDate, sha256File, waitFor } from '../helpers/wait.js';

const BLOCK = 16 * 1024;

t.test('a diskless Primary cut off with writes in flight rejoins its peers', { skip: TestNetwork.available() ? false : 'needs root for network namespaces' }, async (t) => {
  const net = new TestNetwork();
  const cluster = new TestCluster('tandem-dlcut-');
  t.teardown(async () => { await cluster.destroy(); await net.destroy(); });
  const nodes = ['a', 'b', 'c', 'd'];
  await net.create(nodes);
  const hosts = Object.fromEntries(nodes.map((n) => [n, net.host(n).address]));
  const files = await writeResource(cluster, { name: 'n1', nodes, hosts, diskless: ['d'], sizeBytes: 8 * 1024 * 1024, extra: ['ping-interval = 1s', 'ping-timeout = 500ms'] });
  await bringUp(cluster, 'n1', nodes, { diskless: ['d'], wrap: Object.fromEntries(nodes.map((n) => [n, net.host(n).wrap])) });
  await promoteAndSync(cluster, 'n1', 'a', ['b', 'c']);
  for (const [node, verb] of [['a', 'secondary'], ['d', 'primary']]) {
    const r = await cluster.cli(node, [verb, 'n1']);
    t.equal(r.exitCode, 0, `${verb} on ${node}: ${r.stderr}`);
  }

  const client = await NbdClient.open(files.socket('d'));
  for (let i = 0; i < 20; i++) await client.write(i * BLOCK, randomBytes(BLOCK));
  await net.cut('d');
  // writes issued after the cut: in flight when d loses each peer, then failed
  const inFlight = Array.from({ length: 8 }, (_, i) => client.write((100 + i) * BLOCK, randomBytes(BLOCK)).then(() => 'acknowledged', () => 'failed'));
  await waitFor(cluster, 'd', 'n1', 'every peer lost', (s) => s.connections.every((c) => c.connectionState !== 'Connected'), 30_000);
  t.same(new Set(await Promise.all(inFlight)), new Set(['failed']), 'no write in flight at the cut was acknowledged');
  client.close();

  await net.heal('d');
  try {
    await waitFor(cluster, 'd', 'n1', 'd serves through its UpToDate peers again', peersUpToDate(['a', 'b', 'c']), 60_000);
  } catch (err) {
    for (const n of nodes) console.error(`--- ${n}\n` + cluster.nodes.get(n)!.log.slice(-40).join('\n'));
    throw err;
  }
  const again = await NbdClient.open(files.socket('d'));
  await again.write(0, randomBytes(BLOCK));
  again.close();
  for (const n of ['a', 'b', 'c']) await waitFor(cluster, n, 'n1', `${n} UpToDate`, (s) => s.volumes[0].diskState === 'UpToDate');
  await waitFor(cluster, 'a', 'n1', 'a in sync with b and c', peersUpToDate(['b', 'c']));
  const sums = ['a', 'b', 'c'].map((n) => sha256File(files.disk(n)));
  t.equal(sums[1], sums[0], 'b identical to a');
  t.equal(sums[2], sums[0], 'c identical to a');
});
