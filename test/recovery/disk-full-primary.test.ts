// Issue 8, defect 6, the Primary's side: "reads on a Primary that lost its disk are served by a
// peer". The Primary a's own disk fills up (ENOSPC) while it writes (2 nodes, protocol C,
// on-io-error = detach, the default): a's volume goes Failed then Diskless, a stays Primary and
// goes on through b, its UpToDate peer. Every write a acknowledged is on b's disk and is what a's
// export returns (nbdcopy reads the whole volume through a, served by b). Once space is freed,
// `tandem attach` on a resyncs a's disk from b while a stays Primary, and both end identical.
// How the disk fills: as in disk-full-secondary.test.ts, a's backing file is sparse on a small
// tmpfs of its own, its blocks punched out after the initial sync (the volume is all zeros), and a
// filler leaves 1 MiB free; 4 KiB writes on fresh offsets then fail after ~256 of them.
import t from 'tap';
import { execa } from 'execa';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { EventLog } from '../cluster-scenarios/acked-writes.js';
import { TestCluster } from '../helpers/daemons.js';
import { printLogsOnFailure } from '../helpers/daemon-log.js';
import { waitConverged } from '../helpers/convergence.js';
import { controlSocketOf } from '../helpers/control-socket.js';
import { flushExport, writeInBackground } from '../helpers/crash-recovery.js';
import { writeResource } from '../helpers/resource-config.js';
import { bringUp, promoteAndSync, must } from '../helpers/scenario.js';
import { mountSmallTmpfs } from '../helpers/small-tmpfs.js';
import { sha256File, status } from '../helpers/wait.js';

const MiB = 1024 * 1024;
const SIZE = 64 * MiB;

t.test('a Primary whose disk is full: detached, served by its peer, reattached', async (t) => {
  const cluster = new TestCluster('tandem-pdiskfull-');
  t.teardown(() => cluster.destroy());
  printLogsOnFailure(t, cluster);
  // tap runs teardowns last-in first-out: this unmount comes before the daemons are killed, so it
  // is lazy (umount -l) and completes once a's daemon has closed its file
  const small = await mountSmallTmpfs(t, join(cluster.root, 'small'), SIZE + 16 * MiB);
  const files = await writeResource(cluster, { name: 'pf', nodes: ['a', 'b'], sizeBytes: SIZE, diskDirs: { a: small.dir } });
  await bringUp(cluster, 'pf', ['a', 'b']);
  await promoteAndSync(cluster, 'pf', 'a', ['b']);
  await execa('fallocate', ['--punch-hole', '--offset', '0', '--length', String(SIZE), files.disk('a')]);
  await small.fillLeaving(1 * MiB);
  t.ok(small.freeBytes() <= 2 * MiB, `a's file system has ${small.freeBytes()} bytes free`);

  const aEvents = await new EventLog(controlSocketOf(cluster, 'a')).open();
  t.teardown(() => aEvents.stop());
  const writes = writeInBackground(files.socket('a'), SIZE);
  let fullAt = 0;
  const until = Date.now() + 4000;
  while (Date.now() < until) {
    if (!fullAt && small.freeBytes() < 64 * 1024) fullAt = Date.now();
    await sleep(100);
  }
  const written = await writes.stop();
  t.ok(fullAt > 0, "a's file system filled up during the writes");
  t.equal(written.error, null, `a acknowledged ${written.ok} writes, none failed`);
  await flushExport(files.socket('a'));

  const a = await status(cluster, 'a', 'pf');
  t.equal(a.role, 'Primary', 'a is still Primary');
  t.equal(a.volumes[0].diskState, 'Diskless', 'a detached its failed disk: Diskless');
  t.equal(a.failed, null, 'a disk error is not a violated invariant: the resource runs');
  const aDisk = aEvents.events.filter((e) => e.kind === 'disk').map((e) => String(e.diskState));
  t.ok(aDisk.includes('Failed') && aDisk.indexOf('Diskless') > aDisk.indexOf('Failed'), `a's disk events: Failed then Diskless (${aDisk.join(' → ')})`);
  const bView = (await status(cluster, 'b', 'pf')).connections.find((c) => c.peer === 'a')!;
  t.equal(bView.volumes[0].peerDiskState, 'Diskless', 'b sees a Diskless');
  t.same(writes.acked.lostInFile(files.disk('b')).slice(0, 10), [], 'b\'s disk holds every write a acknowledged');
  t.same((await writes.acked.lost(files.socket('a'), cluster.root)).slice(0, 10), [], 'a\'s export returns every acknowledged write (read through b)');

  small.free();
  await must(cluster, 'a', ['attach', 'pf']);
  const attachedAt = Date.now();
  await waitConverged(cluster, 'pf', ['a', 'b'], 60_000).then(
    () => t.pass(`a UpToDate ${((Date.now() - attachedAt) / 1000).toFixed(1)} s after attach`),
    (err: Error) => t.fail(`a UpToDate within 60 s of attach: ${err.message}`));
  t.equal((await status(cluster, 'a', 'pf')).role, 'Primary', 'a stayed Primary through the resync');
  t.equal(sha256File(files.disk('a')), sha256File(files.disk('b')), 'a is identical to b after the resync');
  t.same(writes.acked.lostInFile(files.disk('a')).slice(0, 10), [], 'every acknowledged write is on a\'s disk again');
});
