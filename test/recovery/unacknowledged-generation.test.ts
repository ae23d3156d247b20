// A Primary whose new data generation holds nothing acknowledged (sim seeds 20458, 20434): three
// hosts in network namespaces, protocol C, quorum off. a, Primary, loses b (their traffic is
// dropped: b is found lost at the ping timeout); a's next write starts a new generation and goes
// to c, whose traffic is dropped too, but a has not noticed yet: the write waits for c's answer,
// and a is killed before it comes. Nothing in a's generation was acknowledged. b, promoted, writes
// on with c. a restarted and its traffic let through: a and b both moved on from one generation,
// which is a split brain by the generations alone; a's metadata claims it answered nothing since,
// so it becomes b's SyncTarget without an operator. Expected: every node UpToDate within 60 s,
// identical disks, every write a and b acknowledged on every disk, no split brain in any log.
import t from 'tap';
import { execa } from 'execa';
import { setTimeout as sleep } from 'node:timers/promises';
import { TestCluster } from '../helpers/daemons.js';
import { logLinesSince, logMark, printLogsOnFailure } from '../helpers/daemon-log.js';
import { checkRecovered, flushExport, restartAndUp, writeInBackground } from '../helpers/crash-recovery.js';
import { TestNetwork } from '../helpers/netns.js';
import { writeResource } from '../helpers/resource-config.js';
import { bringUp, must, promoteAndSync } from '../helpers/scenario.js';
import { waitFor } from '../helpers/wait.js';

const SIZE = 16 * 1024 * 1024;
const nodes = ['a', 'b', 'c'];
const lost = (peer: string) => (s: { connections: Array<{ peer: string; connectionState: string }> }) => s.connections.find((c) => c.peer === peer)!.connectionState !== 'Connected';

t.test('a Primary killed before anything in its new generation was acknowledged rejoins as SyncTarget, no split brain', { skip: TestNetwork.available() ? false : 'needs root for network namespaces' }, async (t) => {
  const net = new TestNetwork();
  const cluster = new TestCluster('tandem-unacked-gen-');
  t.teardown(async () => { await cluster.destroy(); await net.destroy(); });
  printLogsOnFailure(t, cluster);
  await net.create(nodes);
  const hosts = Object.fromEntries(nodes.map((n) => [n, net.host(n).address]));
  const wrap = Object.fromEntries(nodes.map((n) => [n, net.host(n).wrap]));
  // a long ping timeout: a must not notice that c went silent before it is killed
  const files = await writeResource(cluster, { name: 'ug', nodes, hosts, sizeBytes: SIZE, extra: ['ping-interval = 1s', 'ping-timeout = 2s'] });
  await bringUp(cluster, 'ug', nodes, { wrap });
  await promoteAndSync(cluster, 'ug', 'a', ['b', 'c']);

  const mark = logMark(cluster);
  const onA = writeInBackground(files.socket('a'), SIZE, { pauseMs: 5 });
  await waitFor(cluster, 'a', 'ug', 'a wrote', () => onA.acked.acked.size > 20, 10_000);
  t.equal((await onA.stop()).error, null, `a acknowledged ${onA.acked.acked.size} writes, none failed`);

  await net.block('a', 'b');
  await waitFor(cluster, 'a', 'ug', 'a lost b', lost('b'), 15_000);
  await net.block('a', 'c');
  // the first write since b was lost starts a's new generation, then waits for c's answer
  const pending = execa('qemu-io', ['-f', 'raw', '-c', 'write -P 0x5a 8M 4k', `nbd:unix:${files.socket('a')}`], { reject: false });
  const deadline = Date.now() + 1500; // well within the ping timeout
  while (logLinesSince(cluster, mark, 'a', /^new data generation/).length === 0 && Date.now() < deadline) await sleep(10);
  await cluster.kill('a');
  t.equal(logLinesSince(cluster, mark, 'a', /^new data generation/).length, 1, 'a started its new generation before it was killed');
  t.same(logLinesSince(cluster, mark, 'a', /^peer connection lost/).map((l) => l.peer), ['b'], 'a had not noticed that c went silent');
  const write = await pending;
  t.not(write.exitCode, 0, 'the write in a\'s new generation was never acknowledged');

  for (const n of ['b', 'c']) await waitFor(cluster, n, 'ug', `${n} lost a`, lost('a'), 15_000);
  await must(cluster, 'b', ['primary', 'ug']);
  const before = onA.acked.acked.size;
  const onB = writeInBackground(files.socket('b'), SIZE, { acked: onA.acked, pauseMs: 5 });
  await sleep(1500);
  const onBEnded = await onB.stop();
  t.equal(onBEnded.error, null, `b, the new Primary, acknowledged ${onBEnded.ok} writes`);
  t.ok(onA.acked.acked.size > before, 'b acknowledged writes of its own');
  await flushExport(files.socket('b'));

  await restartAndUp(cluster, 'a', 'ug', wrap.a);
  await net.unblock('a');
  const healedAt = Date.now();
  await checkRecovered(t, { cluster, res: 'ug', files, nodes, upAt: healedAt, upWas: 'the heal', mark, acked: onB.acked });
  for (const n of nodes) {
    const splits = (cluster.logHistory.get(n) ?? []).slice(mark.get(n) ?? 0).filter((l) => /split brain|split-brain/i.test(l));
    t.same(splits.slice(0, 3), [], `${n} saw no split brain`);
  }
  const rules = logLinesSince(cluster, mark, 'a', /^handshake$/).map((l) => String(l.rule));
  t.ok(rules.some((r) => /this node acknowledged no write since they diverged/.test(r)), `a's handshake names the rule (${rules.join(' | ')})`);
});
