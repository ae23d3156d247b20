// A Secondary's disk fails while it holds the only copy of the newest data, and a third node is
// out of reach (sim seeds 20068, 20457): the failed disk must come back Consistent (DRBD leaves a
// disk detached on an I/O error as its metadata says, with the failed blocks in the bitmap), and
// the generation handshake must make it the others' source. Marked Inconsistent, as before, it
// left nobody UpToDate for ever.
// The story: a (Primary), b, c synced on protocol C. c disconnects (out of reach, not outdated:
// fencing dont-care). a writes, then detaches its own disk (`tandem detach` on a Primary: its
// disk is Outdated, it writes through b alone). b's backing file lives on a small tmpfs that is
// then filled: a's next writes fail on b (ENOSPC), b detaches its disk. b held every write a
// acknowledged since the detach, and no other node did; since c was out of reach, b could not
// know that. Space freed, b and a attached, c connected: all three must converge on the data a
// acknowledged.
import t from 'tap';
import { execa } from 'execa';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AckedWrites, EventLog } from '../cluster-scenarios/acked-writes.js';
import { TestCluster } from '../helpers/daemons.js';
import { printLogsOnFailure } from '../helpers/daemon-log.js';
import { waitConverged } from '../helpers/convergence.js';
import { controlSocketOf } from '../helpers/control-socket.js';
import { writeInBackground } from '../helpers/crash-recovery.js';
import { writeResource } from '../helpers/resource-config.js';
import { bringUp, promoteAndSync, must } from '../helpers/scenario.js';
import { mountSmallTmpfs } from '../helpers/small-tmpfs.js';
import { sha256File, status, waitFor } from '../helpers/wait.js';

const MiB = 1024 * 1024;
const SIZE = 64 * MiB;

/** Background writes through `socket` for about `ms`, or until one fails. */
async function writeFor(socket: string, acked: AckedWrites, ms: number): Promise<{ ok: number; error: string | null }> {
  const writes = writeInBackground(socket, SIZE, { acked });
  await sleep(ms);
  return writes.stop();
}

t.test("a failed Secondary disk holding the only copy, a peer out of reach: it comes back Consistent and is everyone's source", async (t) => {
  const cluster = new TestCluster('tandem-failedonly-');
  t.teardown(() => cluster.destroy());
  printLogsOnFailure(t, cluster);
  const small = await mountSmallTmpfs(t, join(cluster.root, 'small'), SIZE + 16 * MiB);
  const files = await writeResource(cluster, { name: 'fo', nodes: ['a', 'b', 'c'], sizeBytes: SIZE, diskDirs: { b: small.dir } });
  await bringUp(cluster, 'fo', ['a', 'b', 'c']);
  await promoteAndSync(cluster, 'fo', 'a', ['b', 'c']);
  // the volume is all zeros: b's blocks can be given back to the file system unchanged
  await execa('fallocate', ['--punch-hole', '--offset', '0', '--length', String(SIZE), files.disk('b')]);

  await must(cluster, 'c', ['disconnect', 'fo']);
  await waitFor(cluster, 'a', 'fo', 'c gone', (s) => s.connections.find((c) => c.peer === 'c')?.connectionState !== 'Connected', 10_000);
  const acked = new AckedWrites(SIZE);
  const before = await writeFor(files.socket('a'), acked, 500);
  t.equal(before.error, null, `${before.ok} writes acknowledged with a's disk`);

  await must(cluster, 'a', ['detach', 'fo']);
  t.equal((await status(cluster, 'a', 'fo')).volumes[0].diskState, 'Diskless', 'a writes through b alone');
  await small.fillLeaving(1 * MiB);
  const bEvents = await new EventLog(controlSocketOf(cluster, 'b')).open();
  t.teardown(() => bEvents.stop());
  const through = await writeFor(files.socket('a'), acked, 6000);
  t.ok(through.ok > 0, `${through.ok} writes acknowledged through b alone`);
  t.not(through.error, null, `then b's disk filled and a's write failed: ${through.error}`);
  await waitFor(cluster, 'b', 'fo', 'b detached its failed disk', (s) => s.volumes[0].diskState === 'Diskless', 10_000);

  small.free();
  await must(cluster, 'b', ['attach', 'fo']);
  await must(cluster, 'a', ['attach', 'fo']);
  await must(cluster, 'c', ['connect', 'fo']);
  await waitConverged(cluster, 'fo', ['a', 'b', 'c'], 60_000).then(
    () => t.pass('a, b and c UpToDate and Established'),
    (err: Error) => t.fail(`converged within 60 s: ${err.message}`));
  const attached = bEvents.events.filter((e) => e.kind === 'disk').map((e) => String(e.diskState));
  const afterFailure = attached.slice(attached.indexOf('Diskless') + 1);
  t.same(afterFailure.slice(0, 2), ['Consistent', 'UpToDate'], `b's disk, attached again, is Consistent, then UpToDate as the source (${attached.join(' → ')})`);
  for (const n of ['a', 'b', 'c']) t.same(acked.lostInFile(files.disk(n)).slice(0, 10), [], `every acknowledged write is on ${n}`);
  t.equal(sha256File(files.disk('a')), sha256File(files.disk('b')), 'a is identical to b');
  t.equal(sha256File(files.disk('c')), sha256File(files.disk('b')), 'c is identical to b');
});
