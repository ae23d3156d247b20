// A Primary cut off from the majority (F-FE1): three hosts in network namespaces, quorum =
// majority, on-no-quorum = io-error. a is Primary under 4 KiB writes; its links go down, so it
// loses quorum and fails further writes; it is demoted (as Pacemaker does), the majority promotes
// b, which takes writes of its own. When a's links come back, a's divergent data generation (it
// started one when it lost its peers) holds nothing acknowledged: a becomes b's SyncTarget,
// without a split brain and without an operator. Expected: every node UpToDate within 60 s of the
// heal, identical disks, every write acknowledged by a (before the cut) and by b on every disk.
import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { TestCluster } from '../helpers/daemons.js';
import { logMark, printLogsOnFailure } from '../helpers/daemon-log.js';
import { checkRecovered, flushExport, writeInBackground } from '../helpers/crash-recovery.js';
import { TestNetwork } from '../helpers/netns.js';
import { writeResource } from '../helpers/resource-config.js';
import { bringUp, must, promoteAndSync } from '../helpers/scenario.js';
import { waitFor } from '../helpers/wait.js';

const SIZE = 64 * 1024 * 1024;
const nodes = ['a', 'b', 'c'];

t.test('a Primary that lost quorum rejoins as SyncTarget of the new Primary, no split brain', { skip: TestNetwork.available() ? false : 'needs root for network namespaces' }, async (t) => {
  const net = new TestNetwork();
  const cluster = new TestCluster('tandem-lost-quorum-');
  t.teardown(async () => { await cluster.destroy(); await net.destroy(); });
  printLogsOnFailure(t, cluster);
  await net.create(nodes);
  const hosts = Object.fromEntries(nodes.map((n) => [n, net.host(n).address]));
  const files = await writeResource(cluster, {
    name: 'lq', nodes, hosts, sizeBytes: SIZE,
    extra: ['quorum = majority', 'on-no-quorum = io-error', 'ping-interval = 1s', 'ping-timeout = 500ms'],
  });
  await bringUp(cluster, 'lq', nodes, { wrap: Object.fromEntries(nodes.map((n) => [n, net.host(n).wrap])) });
  await promoteAndSync(cluster, 'lq', 'a', ['b', 'c']);

  const mark = logMark(cluster);
  const onA = writeInBackground(files.socket('a'), SIZE, { pauseMs: 5 });
  await sleep(1000);
  await net.cut('a');
  await waitFor(cluster, 'a', 'lq', 'a without quorum', (s) => !s.quorum, 10_000);
  const ended = await onA.stop();
  t.comment(`a: ${ended.ok} writes acknowledged before the cut; the stream ended with: ${ended.error ?? 'no error'}`);
  t.ok(onA.acked.acked.size > 0, 'a acknowledged writes before the cut');
  await must(cluster, 'a', ['secondary', 'lq']); // what Pacemaker does to a Promoted node without quorum

  await waitFor(cluster, 'b', 'lq', 'b lost a', (s) => s.connections.find((c) => c.peer === 'a')!.connectionState !== 'Connected', 10_000);
  await must(cluster, 'b', ['primary', 'lq']);
  const onB = writeInBackground(files.socket('b'), SIZE, { acked: onA.acked, pauseMs: 5 });
  await sleep(1500);
  const onBEnded = await onB.stop();
  t.equal(onBEnded.error, null, `b, the new Primary, acknowledged ${onBEnded.ok} writes`);
  await flushExport(files.socket('b'));

  await net.heal('a');
  const healedAt = Date.now();
  await checkRecovered(t, { cluster, res: 'lq', files, nodes, upAt: healedAt, upWas: 'the heal', mark, acked: onA.acked });
  for (const n of nodes) {
    const splits = (cluster.logHistory.get(n) ?? []).filter((l) => /split brain|split-brain/i.test(l));
    t.same(splits.slice(0, 3), [], `${n} saw no split brain`);
  }
  const aLog = (cluster.logHistory.get('a') ?? []).join('\n');
  // a acknowledged nothing in the generation it started when it lost its peers either: that rule
  // (generation-handshake.ts, resolveByUnacknowledged) is tried first and decides the same way
  t.match(aLog, /lost quorum as Primary|this node acknowledged no write since they diverged/, "a's handshake names the rule: it lost quorum as Primary, or acknowledged nothing since");
});
