// Issue 8, defect 7: both sides writing while apart is a split brain, and is reported as one.
// 2 nodes; the link goes away (an administrator's `tandem disconnect` on both, or a cut network
// link between network namespaces), a stays Primary and writes, b is promoted and writes, and
// both are still Primary when the link comes back. Expected on reconnect: an event of kind
// 'split-brain', both connections StandAlone, each node's events saying split brain (its own
// 'split-brain' event, or a connection event saying "split brain detected" when the other side
// decided), and no node calling it "both nodes are Primary" or "unrelated data". Then the
// administrator demotes the node whose writes are discarded and runs `tandem split-brain resolve
// <res> --keep <node>` on each node (README): both end Connected/UpToDate with identical data,
// equal to the kept node's.
// Assumption (DRBD's rule): a split brain is detected from the data generations whatever the
// roles, so two Primaries that both wrote are a split brain, not a role conflict.
import t, { type Test } from 'tap';
import { execa } from 'execa';
import { setTimeout as sleep } from 'node:timers/promises';
import { EventLog } from '../cluster-scenarios/acked-writes.js';
import { TestCluster } from '../helpers/daemons.js';
import { printLogsOnFailure } from '../helpers/daemon-log.js';
import { waitConverged } from '../helpers/convergence.js';
import { controlSocketOf } from '../helpers/control-socket.js';

import { TestNetwork } from '../helpers/netns.js';
import { writeResource, type ResourceFiles } from '../helpers/resource-config.js';
import { bringUp, promoteAndSync, must, openCluster } from '../helpers/scenario.js';
import { sha256File, status, waitFor } from '../helpers/wait.js';

const MiB = 1024 * 1024;
const nodes = ['a', 'b'];

/** 1 MiB writes with a node's own pattern: MiB 0-3 on both (diverged), 4-5 only on a, 6-7 only on b. */
async function writeApart(files: ResourceFiles, node: 'a' | 'b'): Promise<void> {
  const mib = node === 'a' ? [0, 1, 2, 3, 4, 5] : [0, 1, 2, 3, 6, 7];
  const pattern = node === 'a' ? 0xaa : 0xbb;
  const r = await execa('qemu-io', ['-f', 'raw', ...mib.flatMap((m) => ['-c', `write -P ${pattern} ${m * MiB} 1M`]), '-c', 'flush', `nbd:unix:${files.socket(node)}`]);
  if (r.exitCode !== 0) throw new Error(`writes on ${node}: ${r.stderr}`);
}

async function checkReportedAndResolve(t: Test, cluster: TestCluster, res: string, files: ResourceFiles, events: Record<string, EventLog>, keep: 'a' | 'b'): Promise<void> {
  const standAlone = (s: Awaited<ReturnType<typeof status>>) => s.connections[0].connectionState === 'StandAlone';
  for (const n of nodes) {
    const s = await waitFor(cluster, n, res, `${n} StandAlone`, standAlone, 30_000).catch(() => null);
    t.ok(s, `${n} refuses the connection: StandAlone`);
  }
  await sleep(500);
  const splitBrainEvents = nodes.flatMap((n) => events[n].events.filter((e) => e.kind === 'split-brain'));
  t.ok(splitBrainEvents.length > 0, `an event of kind 'split-brain'${splitBrainEvents[0] ? ` (${JSON.stringify(splitBrainEvents[0])})` : ''}`);
  for (const n of nodes) {
    // each node tells its administrator: its own 'split-brain' event, or its connection event naming it
    const told = events[n].events.filter((e) => e.kind === 'split-brain' || (e.kind === 'connection' && /split.?brain detected/i.test(JSON.stringify(e))));
    t.ok(told.length > 0, `${n} reports the split brain in its events${told[0] ? ` (${told[0].kind})` : `: ${JSON.stringify(events[n].events.filter((e) => e.kind === 'connection').slice(-2))}`}`);
    const wrong = (cluster.logHistory.get(n) ?? []).filter((l) => /both nodes are Primary|unrelated/i.test(l));
    t.same(wrong.slice(0, 3), [], `${n} never calls it "both nodes are Primary" or "unrelated data"`);
  }

  const victim = keep === 'a' ? 'b' : 'a';
  await must(cluster, victim, ['secondary', res]);
  const kept = sha256File(files.disk(keep));
  for (const n of [keep, victim]) {
    const r = await cluster.cli(n, ['split-brain', 'resolve', res, '--keep', keep]);
    t.equal(r.exitCode, 0, `split-brain resolve --keep ${keep} on ${n}: ${String(r.stdout).split('\n')[0] || r.stderr}`);
  }
  // the resolution resyncs a few MiB: 30 s is plenty, and keeps this file well within tap's limit
  await waitConverged(cluster, res, nodes, 30_000).then(() => t.pass('both UpToDate after the resolution'), (err: Error) => t.fail(err.message));
  t.equal(sha256File(files.disk(keep)), kept, `${keep} kept its data`);
  t.equal(sha256File(files.disk(victim)), kept, `${victim} now holds exactly ${keep}'s data`);
}

t.test('apart by tandem disconnect, both Primary and written: a split brain, resolved keeping a', async (t) => {
  const { cluster, files } = await openCluster(t, 'tandem-sbdisc-', { name: 'sd', nodes, sizeBytes: 16 * MiB, primary: 'a', peers: ['b'] });
  const events = { a: await new EventLog(controlSocketOf(cluster, 'a')).open(), b: await new EventLog(controlSocketOf(cluster, 'b')).open() };
  t.teardown(() => { events.a.stop(); events.b.stop(); });

  for (const n of nodes) await must(cluster, n, ['disconnect', 'sd']);
  await writeApart(files, 'a');
  await must(cluster, 'b', ['primary', 'sd']);
  await writeApart(files, 'b');
  for (const n of nodes) await must(cluster, n, ['connect', 'sd']);
  await checkReportedAndResolve(t, cluster, 'sd', files, events, 'a');
});

t.test('apart by a cut network link, both Primary and written: a split brain, resolved keeping b',
  { skip: TestNetwork.available() ? false : 'needs root for network namespaces' }, async (t) => {
    const net = new TestNetwork();
    const cluster = new TestCluster('tandem-sbnet-');
    t.teardown(async () => { await cluster.destroy(); await net.destroy(); });
    printLogsOnFailure(t, cluster);
    await net.create(nodes);
    const hosts = Object.fromEntries(nodes.map((n) => [n, net.host(n).address]));
    const files = await writeResource(cluster, { name: 'sn', nodes, hosts, sizeBytes: 16 * MiB, extra: ['ping-interval = 1s', 'ping-timeout = 500ms'] });
    await bringUp(cluster, 'sn', nodes, { wrap: Object.fromEntries(nodes.map((n) => [n, net.host(n).wrap])) });
    await promoteAndSync(cluster, 'sn', 'a', ['b']);
    const events = { a: await new EventLog(controlSocketOf(cluster, 'a')).open(), b: await new EventLog(controlSocketOf(cluster, 'b')).open() };
    t.teardown(() => { events.a.stop(); events.b.stop(); });

    await net.cut('b');
    await waitFor(cluster, 'b', 'sn', 'a lost', (s) => s.connections[0].connectionState !== 'Connected', 20_000);
    await waitFor(cluster, 'a', 'sn', 'b lost', (s) => s.connections[0].connectionState !== 'Connected', 20_000);
    await writeApart(files, 'a');
    await must(cluster, 'b', ['primary', 'sn']);
    await writeApart(files, 'b');
    await net.heal('b');
    await checkReportedAndResolve(t, cluster, 'sn', files, events, 'b');
  });

// Sim seed 20926: the takeover is forced on a node whose initial sync had not finished. Its bits
// on the old Primary are still against the new volume's generation and its own history is empty:
// this was refused as "unrelated data" (the resolution could never apply), though it is the same
// split brain as above.
t.test('a takeover forced during the initial sync, both written: a split brain, resolved keeping a', async (t) => {
  const cluster = new TestCluster('tandem-sbinit-');
  t.teardown(() => cluster.destroy());
  printLogsOnFailure(t, cluster);
  const files = await writeResource(cluster, { name: 'si', nodes, sizeBytes: 64 * MiB, extra: ['resync-rate = 4M'] });
  await bringUp(cluster, 'si', nodes);
  const events = { a: await new EventLog(controlSocketOf(cluster, 'a')).open(), b: await new EventLog(controlSocketOf(cluster, 'b')).open() };
  t.teardown(() => { events.a.stop(); events.b.stop(); });
  await must(cluster, 'a', ['primary', 'si', '--force']);
  await waitFor(cluster, 'a', 'si', 'the initial sync under way', (s) => (s.connections[0]?.volumes[0]?.resync?.doneBytes ?? 0) > 0, 20_000);

  for (const n of nodes) await must(cluster, n, ['disconnect', 'si']);
  const b = await status(cluster, 'b', 'si');
  t.equal(b.volumes[0].diskState, 'Inconsistent', 'b is cut off halfway through its initial sync');
  await writeApart(files, 'a');
  await must(cluster, 'b', ['primary', 'si', '--force']);
  await writeApart(files, 'b');
  for (const n of nodes) await must(cluster, n, ['connect', 'si']);
  await checkReportedAndResolve(t, cluster, 'si', files, events, 'a');
});
