// Issue 8, defect 3: kill -9 of the Primary during writes under protocols A, B and C (3 nodes;
// one test file per protocol, crash-primary-protocol-*.test.ts, to keep each well within tap's
// time limit when recovery fails).
// b is promoted (the failover Pacemaker would do) and writes on; the old Primary is restarted and
// brought up: it rejoins as a Secondary, takes b's data (also rolling back whatever it wrote that
// never reached the others), and all three are UpToDate within 60 s of its `up`, identical,
// with at most one resync per reconnect.
// Acknowledged writes: protocol C acknowledges a write once every peer stored it and protocol B
// once every peer received it, so with only the Primary crashing neither loses one (assumption for
// B: the surviving peers still write what they received, as DRBD's do); protocol A may lose the
// writes still in the dead Primary's send buffer, so for A only b's acknowledged writes are checked.
import type { Test } from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { AckedWrites } from '../cluster-scenarios/acked-writes.js';
import { TestCluster } from '../helpers/daemons.js';
import { logMark, printLogsOnFailure } from '../helpers/daemon-log.js';
import { checkRecovered, flushExport, restartAndUp, writeInBackground } from '../helpers/crash-recovery.js';
import { writeResource } from '../helpers/resource-config.js';
import { bringUp, promoteAndSync, must } from '../helpers/scenario.js';
import { waitFor } from '../helpers/wait.js';

const SIZE = 64 * 1024 * 1024;
const nodes = ['a', 'b', 'c'];

export function primaryCrashScenario(t: Test, protocol: 'A' | 'B' | 'C'): void {
  t.test(`protocol ${protocol}: kill -9 of the Primary during writes, failover, the old Primary rejoins`, async (t) => {
    const res = `kp${protocol.toLowerCase()}`;
    const cluster = new TestCluster(`tandem-${res}-`);
    t.teardown(() => cluster.destroy());
    printLogsOnFailure(t, cluster);
    const files = await writeResource(cluster, { name: res, nodes, protocol, sizeBytes: SIZE });
    await bringUp(cluster, res, nodes);
    await promoteAndSync(cluster, res, 'a', ['b', 'c']);

    const acked = new AckedWrites(SIZE);
    const mark = logMark(cluster);
    const before = writeInBackground(files.socket('a'), SIZE, { acked });
    await sleep(1500);
    // on a loaded machine 1.5 s may hold fewer writes: the kill comes once there are enough
    await waitFor(cluster, 'a', res, 'more than 100 writes acknowledged', () => acked.acked.size > 100, 20_000);
    await cluster.kill('a');
    const onA = await before.stop();
    t.ok(onA.ok > 100, `${onA.ok} writes acknowledged by a before it crashed`);
    const ackedByA = new Set(acked.acked.keys());

    await waitFor(cluster, 'b', res, 'a lost', (s) => s.connections.find((c) => c.peer === 'a')!.connectionState !== 'Connected', 20_000);
    await must(cluster, 'b', ['primary', res]);
    const after = writeInBackground(files.socket('b'), SIZE, { acked });
    await sleep(1000);
    const upAt = await restartAndUp(cluster, 'a', res);
    await sleep(1000);
    const onB = await after.stop();
    t.equal(onB.error, null, `${onB.ok} writes acknowledged by b, none failed`);
    await flushExport(files.socket('b'));

    const mustKeep = protocol === 'A' ? onlyAfter(acked, ackedByA) : acked;
    await checkRecovered(t, { cluster, res, files, nodes, upAt, mark, acked: mustKeep });
  });
}

/** The acknowledged writes not in `earlier` (those made after the failover). */
function onlyAfter(all: AckedWrites, earlier: Set<number>): AckedWrites {
  const later = new AckedWrites(SIZE);
  for (const [offset, digest] of all.acked) if (!earlier.has(offset)) later.acked.set(offset, digest);
  return later;
}
