// Issue 8, defect 6: a Secondary whose disk fails (here: ENOSPC) is noticed, as the lead's
// engine contract says (on-io-error=detach, the default): the Secondary's volume goes Failed then
// Diskless, the Primary sees peerDiskState Diskless, keeps the blocks out of sync for it
// (outOfSyncBytes > 0), logs it, and goes on acknowledging writes with its own data intact; it
// never reports that peer UpToDate meanwhile. Once space is freed, `tandem attach` on the
// Secondary resyncs it to identical data.
// How the disk fills: b's backing file is a sparse file on a small tmpfs of its own. After the
// initial sync its blocks are punched out again (the volume is all zeros, so its content does not
// change) and a filler file leaves 1 MiB free; the Primary's 4 KiB writes on fresh offsets then
// need new blocks on b, and after ~256 of them b's writes fail with ENOSPC.
// Assumption: a Primary that got b's failed write back knows within 1 s (GRACE_MS) after the file
// system is full; from then on its status must not say b is UpToDate.
import t from 'tap';
import { execa } from 'execa';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { EventLog } from '../cluster-scenarios/acked-writes.js';
import { TestCluster } from '../helpers/daemons.js';
import { logLinesSince, logMark, printLogsOnFailure } from '../helpers/daemon-log.js';
import { waitConverged } from '../helpers/convergence.js';
import { controlSocketOf, statusViaSocket } from '../helpers/control-socket.js';
import { flushExport, writeInBackground } from '../helpers/crash-recovery.js';
import { writeResource } from '../helpers/resource-config.js';
import { bringUp, promoteAndSync, must } from '../helpers/scenario.js';
import { mountSmallTmpfs } from '../helpers/small-tmpfs.js';
import { sha256File, status } from '../helpers/wait.js';

const MiB = 1024 * 1024;
const SIZE = 64 * MiB;
const GRACE_MS = 1000;

t.test('a Secondary whose disk is full: detached, tracked, reattached', async (t) => {
  const cluster = new TestCluster('tandem-diskfull-');
  t.teardown(() => cluster.destroy());
  printLogsOnFailure(t, cluster);
  // tap runs teardowns last-in first-out: this unmount comes before the daemons are killed, so it
  // is lazy (umount -l) and completes once b's daemon has closed its file
  const small = await mountSmallTmpfs(t, join(cluster.root, 'small'), SIZE + 16 * MiB);
  const files = await writeResource(cluster, { name: 'df', nodes: ['a', 'b'], sizeBytes: SIZE, diskDirs: { b: small.dir } });
  await bringUp(cluster, 'df', ['a', 'b']);
  await promoteAndSync(cluster, 'df', 'a', ['b']);
  await execa('fallocate', ['--punch-hole', '--offset', '0', '--length', String(SIZE), files.disk('b')]);
  await small.fillLeaving(1 * MiB);
  t.ok(small.freeBytes() <= 2 * MiB, `b's file system has ${small.freeBytes()} bytes free`);

  const bEvents = await new EventLog(controlSocketOf(cluster, 'b')).open();
  t.teardown(() => bEvents.stop());
  const mark = logMark(cluster);
  const writes = writeInBackground(files.socket('a'), SIZE);
  let fullAt = 0;
  const claimedUpToDate: string[] = [];
  const until = Date.now() + 4000;
  while (Date.now() < until) {
    if (!fullAt && small.freeBytes() < 64 * 1024) fullAt = Date.now();
    const s = await statusViaSocket(cluster, 'a', 'df').catch(() => null);
    const v = s?.connections.find((c) => c.peer === 'b')?.volumes[0];
    if (fullAt && Date.now() > fullAt + GRACE_MS && v?.peerDiskState === 'UpToDate') {
      claimedUpToDate.push(`+${Date.now() - fullAt} ms after the disk filled: ${v.replicationState} UpToDate, ${v.outOfSyncBytes} bytes out of sync`);
    }
    await sleep(100);
  }
  const written = await writes.stop();
  t.ok(fullAt > 0, "b's file system filled up during the writes");
  t.equal(written.error, null, `a acknowledged ${written.ok} writes, none failed`);
  await flushExport(files.socket('a'));
  t.same(writes.acked.lostInFile(files.disk('a')).slice(0, 10), [], "a's own disk holds every acknowledged write");
  t.same(claimedUpToDate.slice(0, 5), [], 'a never said b is UpToDate once b could not store writes');

  const b = await status(cluster, 'b', 'df');
  t.equal(b.volumes[0].diskState, 'Diskless', 'b detached its failed disk: Diskless');
  const bDisk = bEvents.events.filter((e) => e.kind === 'disk').map((e) => String(e.diskState));
  t.ok(bDisk.includes('Failed') && bDisk.indexOf('Diskless') > bDisk.indexOf('Failed'), `b's disk events: Failed then Diskless (${bDisk.join(' → ')})`);
  const aView = (await status(cluster, 'a', 'df')).connections.find((c) => c.peer === 'b')!.volumes[0];
  t.equal(aView.peerDiskState, 'Diskless', 'a sees b Diskless');
  t.ok(aView.outOfSyncBytes > 0, `a keeps what b missed out of sync (${aView.outOfSyncBytes} bytes)`);
  const told = logLinesSince(cluster, mark, 'a', /./).filter((l) => (l.level === 'warn' || l.level === 'error') && JSON.stringify(l).includes('"b"'));
  t.ok(told.length > 0, `a logged b's failure (${told[0]?.msg ?? 'nothing at warn or error about b'})`);

  small.free();
  await must(cluster, 'b', ['attach', 'df']);
  const attachedAt = Date.now();
  await waitConverged(cluster, 'df', ['a', 'b'], 60_000).then(
    () => t.pass(`b UpToDate ${((Date.now() - attachedAt) / 1000).toFixed(1)} s after attach`),
    (err: Error) => t.fail(`b UpToDate within 60 s of attach: ${err.message}`));
  t.equal(sha256File(files.disk('b')), sha256File(files.disk('a')), 'b is identical to a after the resync');
  t.same(writes.acked.lostInFile(files.disk('b')).slice(0, 10), [], 'every acknowledged write reached b');
});

// The writes b failed to store (NegAck) were stored by c: the Primary tells c to keep them out of
// sync for b too, so once the Primary is gone, b attached again and resynced from c alone holds
// every acknowledged write. Without that, c's bits for b start after b's failure (the writes
// that named b missing) and the NegAck'd ones are never resynced to b (sim seed 30384).
t.test('the writes a full Secondary failed are resynced to it by another Secondary, the Primary gone', async (t) => {
  const cluster = new TestCluster('tandem-diskfull3-');
  t.teardown(() => cluster.destroy());
  printLogsOnFailure(t, cluster);
  const small = await mountSmallTmpfs(t, join(cluster.root, 'small'), SIZE + 16 * MiB);
  const files = await writeResource(cluster, { name: 'df', nodes: ['a', 'b', 'c'], sizeBytes: SIZE, diskDirs: { b: small.dir } });
  await bringUp(cluster, 'df', ['a', 'b', 'c']);
  await promoteAndSync(cluster, 'df', 'a', ['b', 'c']);
  await execa('fallocate', ['--punch-hole', '--offset', '0', '--length', String(SIZE), files.disk('b')]);
  await small.fillLeaving(1 * MiB);

  const writes = writeInBackground(files.socket('a'), SIZE);
  const until = Date.now() + 10_000;
  while (Date.now() < until && (await status(cluster, 'b', 'df')).volumes[0].diskState !== 'Diskless') await sleep(100);
  const written = await writes.stop();
  t.equal(written.error, null, `a acknowledged ${written.ok} writes, none failed`);
  t.equal((await status(cluster, 'b', 'df')).volumes[0].diskState, 'Diskless', "b's disk filled and detached under the writes");
  await flushExport(files.socket('a'));

  await must(cluster, 'a', ['secondary', 'df']);
  await cluster.stop('a');
  small.free();
  await must(cluster, 'b', ['attach', 'df']);
  await waitConverged(cluster, 'df', ['b', 'c'], 60_000).then(
    () => t.pass('b UpToDate, resynced from c'),
    (err: Error) => t.fail(`b UpToDate within 60 s of attach: ${err.message}`));
  t.same(writes.acked.lostInFile(files.disk('b')).slice(0, 10), [], 'every acknowledged write reached b');
  t.equal(sha256File(files.disk('b')), sha256File(files.disk('c')), 'b is identical to c');
});
