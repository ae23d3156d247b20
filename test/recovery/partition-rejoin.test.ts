// Issue 8, defect 4: a Secondary cut off for 8 s while the Primary writes is taken back by BOTH
// peers when the link heals. Three hosts in network namespaces (ping-interval 1s, ping-timeout
// 500ms so the cut is noticed at once); c's link goes down for 8 s during 4 KiB writes through
// a. Expected: c Connected, Established and UpToDate at a and at b (and both at c) within 60 s
// of the heal, identical disks, every acknowledged write on every disk, at most one resync per
// reconnect, and no node ever refuses another as having unrelated data / no common generation.
import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { TestCluster } from '../helpers/daemons.js';
import { logMark, printLogsOnFailure } from '../helpers/daemon-log.js';
import { checkRecovered, flushExport, writeInBackground } from '../helpers/crash-recovery.js';
import { TestNetwork } from '../helpers/netns.js';
import { writeResource } from '../helpers/resource-config.js';
import { bringUp, promoteAndSync } from '../helpers/scenario.js';
import { waitFor } from '../helpers/wait.js';

const SIZE = 64 * 1024 * 1024;
const nodes = ['a', 'b', 'c'];

t.test('an 8 s partition of a Secondary, healed: both peers take it back', { skip: TestNetwork.available() ? false : 'needs root for network namespaces' }, async (t) => {
  const net = new TestNetwork();
  const cluster = new TestCluster('tandem-partition-');
  t.teardown(async () => { await cluster.destroy(); await net.destroy(); });
  printLogsOnFailure(t, cluster);
  await net.create(nodes);
  const hosts = Object.fromEntries(nodes.map((n) => [n, net.host(n).address]));
  const files = await writeResource(cluster, { name: 'pr', nodes, hosts, sizeBytes: SIZE, extra: ['ping-interval = 1s', 'ping-timeout = 500ms'] });
  await bringUp(cluster, 'pr', nodes, { wrap: Object.fromEntries(nodes.map((n) => [n, net.host(n).wrap])) });
  await promoteAndSync(cluster, 'pr', 'a', ['b', 'c']);

  const mark = logMark(cluster);
  const writes = writeInBackground(files.socket('a'), SIZE, { pauseMs: 5 });
  await sleep(1000);
  await net.cut('c');
  const cutAt = Date.now();
  await waitFor(cluster, 'a', 'pr', 'c lost by ping timeout', (s) => s.connections.find((x) => x.peer === 'c')!.connectionState !== 'Connected', 8_000);
  await sleep(Math.max(0, 8_000 - (Date.now() - cutAt)));
  await net.heal('c');
  const healedAt = Date.now();
  await sleep(1000);
  const written = await writes.stop();
  t.equal(written.error, null, `${written.ok} writes acknowledged during the partition, none failed`);
  await flushExport(files.socket('a'));

  await checkRecovered(t, { cluster, res: 'pr', files, nodes, upAt: healedAt, upWas: 'the heal', mark, acked: writes.acked });
  for (const n of nodes) {
    const refusals = (cluster.logHistory.get(n) ?? []).filter((l) => /unrelated|no common generation/i.test(l));
    t.same(refusals.slice(0, 3), [], `${n} never called a peer's data unrelated`);
  }
});
