// Kill or power loss (docs/ARCHITECTURE.md §5): kill -9 of the Primary and its Secondary while
// writes are in flight and unflushed. The boot id in the metadata tells a restart of the daemon
// alone (the page cache kept every write it issued) from a machine that rebooted.
//  1. Both back in the same boot: each says its disk holds what it wrote; the crashed Primary is
//     the source of its activity log (DRBD's rule, sound since it lost nothing).
//  2. The Primary back "in another boot" (its daemon sees another boot id through a bind mount
//     over /proc/sys/kernel/random/boot_id in its own mount namespace: as after a power loss, it
//     must assume unflushed writes are gone), the Secondary in the same boot: the Secondary claims
//     what it acknowledged (protocol C) and is the source of the crashed Primary.
// Either way both end UpToDate, identical, with every acknowledged write. And with three nodes (3,
// below), the Primary alone killed: both survivors take its activity log and end converged; and
// (4) a survivor back from a power loss is resynced by the other.
import t, { type Test } from 'tap';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { summarize } from '../../src/meta/inspect.js';
import { normalizeBootId } from '../../src/meta/layout.js';
import { anotherBoot, BOOT_ID_FILE as BOOT_ID, OTHER_BOOT } from '../helpers/boot-id.js';
import { logLinesSince, logMark } from '../helpers/daemon-log.js';
import { checkRecovered, restartAndUp, writeInBackground } from '../helpers/crash-recovery.js';
import { openCluster } from '../helpers/scenario.js';
import { sha256File, waitFor } from '../helpers/wait.js';

const SIZE = 64 * 1024 * 1024;
const nodes = ['a', 'b'];

/** Both daemons killed during unflushed writes, then restarted (a with `wrapA`) and brought up. */
async function killBothAndRestart(t: Test, prefix: string, res: string, wrapA: (root: string) => string[]) {
  const { cluster, files } = await openCluster(t, prefix, { name: res, nodes, sizeBytes: SIZE, primary: 'a', peers: ['b'] });
  const mark = logMark(cluster);
  const writes = writeInBackground(files.socket('a'), SIZE);
  await sleep(1500);
  await Promise.all(nodes.map((n) => cluster.kill(n))); // no FLUSH since the writes began
  const written = await writes.stop();
  t.ok(written.ok > 100, `${written.ok} writes acknowledged before the kill, none flushed`);
  await restartAndUp(cluster, 'a', res, wrapA(cluster.root));
  const upAt = await restartAndUp(cluster, 'b', res);
  const handshake = (n: string, peer: string) => logLinesSince(cluster, mark, n, /^handshake$/).find((l) => l.peer === peer);
  const restarted = (n: string, how: RegExp) => logLinesSince(cluster, mark, n, how);
  return { cluster, files, mark, upAt, acked: writes.acked, handshake, restarted };
}

const SAME_BOOT = /^back from a process crash in the same boot/;
const OTHER = /^back from a crash in another boot/;

t.test('same boot: both claim their data, the crashed Primary is the source', async (t) => {
  const boot = normalizeBootId(readFileSync(BOOT_ID, 'utf8'));
  t.ok(boot, `this machine has a boot id (${BOOT_ID})`);
  const run = await killBothAndRestart(t, 'tandem-sameboot-', 'sb', () => []);
  t.match(run.restarted('a', SAME_BOOT), [{ volume: 0, claimsAcknowledged: true }], 'a: same boot, its disk holds every write it made');
  t.match(run.restarted('b', SAME_BOOT), [{ volume: 0, claimsAcknowledged: true }], 'b: same boot, it holds what it acknowledged');
  t.same([...run.restarted('a', OTHER), ...run.restarted('b', OTHER)], [], 'no power loss is assumed');
  await checkRecovered(t, { cluster: run.cluster, res: 'sb', files: run.files, nodes, upAt: run.upAt, mark: run.mark, acked: run.acked });
  t.match(run.handshake('a', 'b'), { decision: 'source', rule: /local crashed as Primary, only its process/ }, 'a is the source');
  for (const n of nodes) t.equal(summarize(`pmem:${run.files.meta(n)}`).bootId, boot, `${n}'s metadata records this boot (md show)`);
});

t.test('the Primary back in another boot, the Secondary in the same: the Secondary is the source', async (t) => {
  const boot = normalizeBootId(readFileSync(BOOT_ID, 'utf8'));
  const run = await killBothAndRestart(t, 'tandem-otherboot-', 'ob', (root) => anotherBoot(root));
  t.match(run.restarted('a', OTHER), [{ volume: 0 }], 'a: another boot, unflushed writes may be lost');
  t.match(run.restarted('b', SAME_BOOT), [{ volume: 0, claimsAcknowledged: true }], 'b: same boot, it holds what it acknowledged');
  await checkRecovered(t, { cluster: run.cluster, res: 'ob', files: run.files, nodes, upAt: run.upAt, mark: run.mark, acked: run.acked });
  t.match(run.handshake('b', 'a'), { decision: 'source', rule: /the peer crashed as Primary, this node stayed up or only its process restarted \(protocol C/ },
    'b is the source of the crashed Primary');
  t.equal(summarize(`pmem:${run.files.meta('b')}`).bootId, boot, "b's metadata records this boot");
  t.equal(summarize(`pmem:${run.files.meta('a')}`).bootId, normalizeBootId(OTHER_BOOT), "a's records its new boot once the resync vouched for its disk");
});

// 3. Three nodes: the Primary killed, its two Secondaries stay up (survivors: they reconcile with
//    each other), the Primary back in the same boot. It is the source of both; neither may take
//    its claim for a survivor's (it survived no Primary): each would keep weighing as a survivor
//    after its resync, and the bits each marked for the other during it would never be dropped as
//    stale, nor resynced (no Primary): never converged (seen as crash-rejoin-source's hang).
t.test('the Primary alone killed, back in the same boot: the source of both survivors, who end with nothing out of sync', async (t) => {
  const three = ['a', 'b', 'c'];
  const { cluster, files } = await openCluster(t, 'tandem-sameboot3-', { name: 's3', nodes: three, sizeBytes: SIZE / 2, primary: 'a', peers: ['b', 'c'] });
  const mark = logMark(cluster);
  const writes = writeInBackground(files.socket('a'), SIZE / 2);
  await sleep(1000);
  await cluster.kill('a');
  const written = await writes.stop();
  t.ok(written.ok > 50, `${written.ok} writes acknowledged before the kill`);
  await waitFor(cluster, 'b', 's3', 'b saw a go', (s) => s.connections.find((x) => x.peer === 'a')!.connectionState !== 'Connected', 20_000);
  const upAt = await restartAndUp(cluster, 'a', 's3');
  t.match(logLinesSince(cluster, mark, 'a', SAME_BOOT), [{ volume: 0, claimsAcknowledged: true }], 'a: same boot');
  await checkRecovered(t, { cluster, res: 's3', files, nodes: three, upAt, mark, acked: writes.acked });
  for (const n of ['b', 'c']) {
    t.match(logLinesSince(cluster, mark, n, /^handshake$/).find((l) => l.peer === 'a'), { decision: 'target', rule: /the peer crashed as Primary, only its process/ }, `${n} takes a's activity log`);
  }
});

// 4. No Primary left: a killed (and not restarted), then the survivor c loses power (another boot
//    id), so it comes back Consistent with its activity log marked toward every peer. The survivor
//    b is UpToDate in that generation: it resyncs those blocks to c, which ends UpToDate, identical
//    to b, with every acknowledged write (it waited for a Primary's resync before, and was no
//    source either).
t.test('no Primary: a survivor back from a power loss is resynced by the UpToDate survivor', async (t) => {
  const three = ['a', 'b', 'c'];
  const { cluster, files } = await openCluster(t, 'tandem-powersurv-', { name: 'ps', nodes: three, sizeBytes: SIZE / 2, primary: 'a', peers: ['b', 'c'] });
  const writes = writeInBackground(files.socket('a'), SIZE / 2);
  await sleep(1000);
  await cluster.kill('a');
  const written = await writes.stop();
  t.ok(written.ok > 50, `${written.ok} writes acknowledged before a was killed`);
  const settled = (s: Awaited<ReturnType<typeof waitFor>>) => s.volumes[0].diskState === 'UpToDate'
    && s.connections.some((x) => x.peer === 'b' && x.volumes[0].replicationState === 'Established' && x.volumes[0].outOfSyncBytes === 0);
  await waitFor(cluster, 'c', 'ps', 'c saw a go, reconciled with b', (s) => s.connections.find((x) => x.peer === 'a')!.connectionState !== 'Connected' && settled(s), 20_000);
  await cluster.kill('c');
  const mark = logMark(cluster);
  await restartAndUp(cluster, 'c', 'ps', anotherBoot(cluster.root));
  t.match(logLinesSince(cluster, mark, 'c', OTHER), [{ volume: 0 }], 'c: another boot, unflushed writes may be lost');
  await waitFor(cluster, 'c', 'ps', 'c UpToDate, nothing out of sync with b', settled, 30_000);
  t.match(logLinesSince(cluster, mark, 'b', /^resync started as SyncSource$/), [{ peer: 'c' }], 'b resynced c');
  const stopped = await Promise.all(['b', 'c'].map((n) => cluster.cli(n, ['down', 'ps']))); // flushed, closed: the files are final
  t.same(stopped.map((r) => r.exitCode), [0, 0], 'b and c down');
  t.equal(sha256File(files.disk('c')), sha256File(files.disk('b')), "c's disk is identical to b's");
  t.same(writes.acked.lostInFile(files.disk('c')).slice(0, 10), [], 'no acknowledged write lost on c');
});
