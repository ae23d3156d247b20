// Issue 8, defect 5: no path calls a node UpToDate before it is. During a resync (2 nodes, the
// initial sync of 128 MiB at 16 MiB/s), the SyncSource's status and events never say the
// SyncTarget is UpToDate while it is still syncing: status of a, then of b, sampled from the
// control socket (what `tandem status --json` prints) many times a second, and both event streams.
// The rejoining-node and fence-handler cases are in no-early-uptodate-rejoin.test.ts.
import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { EventLog } from '../cluster-scenarios/acked-writes.js';
import { TestCluster } from '../helpers/daemons.js';
import { printLogsOnFailure } from '../helpers/daemon-log.js';
import { waitConverged } from '../helpers/convergence.js';

import { writeResource } from '../helpers/resource-config.js';
import { bringUp, must } from '../helpers/scenario.js';
import { UpToDateClaims } from '../helpers/uptodate-claims.js';
import { controlSocketOf, statusViaSocket } from '../helpers/control-socket.js';

const MiB = 1024 * 1024;

t.test('2 nodes: the SyncSource never reports its SyncTarget UpToDate before it is', async (t) => {
  const cluster = new TestCluster('tandem-early2-');
  t.teardown(() => cluster.destroy());
  printLogsOnFailure(t, cluster);
  await writeResource(cluster, { name: 'e2', nodes: ['a', 'b'], sizeBytes: 128 * MiB, extra: ['resync-rate = 16M'] });
  await bringUp(cluster, 'e2', ['a', 'b']);
  const events = { a: await new EventLog(controlSocketOf(cluster, 'a')).open(), b: await new EventLog(controlSocketOf(cluster, 'b')).open() };
  t.teardown(() => { events.a.stop(); events.b.stop(); });

  await must(cluster, 'a', ['primary', 'e2', '--force']);
  const claims = new UpToDateClaims(cluster, 'e2');
  let sawSync = false;
  const deadline = Date.now() + 60_000;
  for (;;) {
    await claims.sample(['a'], ['b']);
    const b = await statusViaSocket(cluster, 'b', 'e2');
    if (b.connections[0].volumes[0].replicationState === 'SyncTarget') sawSync = true;
    if (b.volumes[0].diskState === 'UpToDate' || Date.now() > deadline) break;
    await sleep(20);
  }
  t.ok(sawSync, `b was seen SyncTarget (${claims.samples} samples)`);
  await waitConverged(cluster, 'e2', ['a', 'b'], 30_000);
  await sleep(300);
  claims.checkEvents('a', events.a.events);
  claims.checkEvents('b', events.b.events);
  const bUpToDate = events.b.first((e) => e.kind === 'disk' && e.diskState === 'UpToDate');
  const aSaysUpToDate = events.a.first((e) => e.kind === 'replication' && e.peer === 'b' && JSON.stringify(e).includes('"peerDiskState":"UpToDate"'));
  t.ok(bUpToDate && aSaysUpToDate, 'b announced its disk UpToDate and a announced b UpToDate');
  t.same(claims.violations.slice(0, 10), [], 'a never called b UpToDate while b was syncing');
});
