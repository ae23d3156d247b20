// resource-and-stonith: a Primary that loses its peer with a write that peer never confirmed
// freezes I/O while fence-peer runs. Its new data generation waits for the freeze to end, as
// DRBD's new current UUID waits for susp-fen to clear: a Primary that dies frozen has started
// nothing its peers must call a split brain (simulator seed 20434). Two nodes: b is stopped
// (SIGSTOP) while a writes, so the write is unconfirmed when a declares b lost; a's fence-peer
// for b never answers; a is killed; b resumes, is promoted (its fence-peer for a answers at once)
// and writes; a comes back: it must be b's SyncTarget, with no split brain, and end identical.
// The same freeze holds the answer to that write, on protocol B too (the last test).
import t, { type Test } from 'tap';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { NbdClient } from '../../src/demo/nbd-client.js';
import { logLinesSince, logMark } from '../helpers/daemon-log.js';
import { waitConverged } from '../helpers/convergence.js';
import { restartAndUp } from '../helpers/crash-recovery.js';
import { must, openCluster } from '../helpers/scenario.js';
import { readRange, sha256File, waitFor } from '../helpers/wait.js';

const MiB = 1024 * 1024;
const SIZE = 32 * MiB;
const nodes = ['a', 'b'];

/**
 * Fence-peer handlers for the daemons started next: fencing b (node id 1) never answers (until
 * the test ends and removes the directory); fencing a answers "peer outdated" at once.
 */
function handlersWhereFencingBHangs(t: Test, name: string): void {
  const handlers = join('/dev/shm', `tandem-${name}-handlers-${process.pid}`);
  mkdirSync(handlers, { recursive: true });
  t.teardown(() => rmSync(handlers, { recursive: true, force: true })); // also ends a handler a kill orphaned
  writeFileSync(join(handlers, 'tandem-fence-peer'), `#!/bin/sh
if [ "$DRBD_PEER_NODE_ID" = 1 ]; then while [ -d ${handlers} ]; do sleep 0.05; done; fi
exit 4
`, { mode: 0o755 });
  writeFileSync(join(handlers, 'tandem-unfence-peer'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  process.env.TANDEM_HANDLER_DIR = handlers; // inherited by the daemons started next
  t.teardown(() => { delete process.env.TANDEM_HANDLER_DIR; });
}

/** a Primary of a and b; b stopped (SIGSTOP) while a writes, so a loses b with that write unconfirmed and freezes. */
async function frozenWithUnconfirmedWrite(t: Test, name: string, res: string, protocol: 'B' | 'C' = 'C') {
  handlersWhereFencingBHangs(t, name);
  const { cluster, files } = await openCluster(t, `tandem-${name}-`, { name: res, nodes, protocol, sizeBytes: SIZE, fencing: 'resource-and-stonith', primary: 'a', peers: ['b'] });
  const client = await NbdClient.open(files.socket('a'));
  t.teardown(() => client.close());
  await client.write(0, Buffer.alloc(MiB, 0x51));
  const mark = logMark(cluster);
  const b = cluster.nodes.get('b')!;
  b.process!.kill('SIGSTOP');
  const pending = client.write(4 * MiB, Buffer.alloc(MiB, 0x52)).then(() => 'acknowledged', () => 'failed'); // b never confirms it
  await waitFor(cluster, 'a', res, 'a lost b and froze', (s) => s.suspended && s.connections.find((x) => x.peer === 'b')!.connectionState !== 'Connected', 30_000);
  return { cluster, files, mark, b, pending };
}

t.test('a Primary frozen for fencing starts no new generation until the freeze ends; killed frozen, it rejoins as a SyncTarget', async (t) => {
  const { cluster, files, mark, b, pending } = await frozenWithUnconfirmedWrite(t, 'fencedcrash', 'fc');
  await sleep(1000);
  t.same(logLinesSince(cluster, mark, 'a', /new data generation/), [], 'no new generation while frozen for fencing');

  await cluster.kill('a');
  void pending; // never answered: a is gone
  b.process!.kill('SIGCONT');
  await waitFor(cluster, 'b', 'fc', 'b lost a', (s) => s.connections.find((x) => x.peer === 'a')!.connectionState !== 'Connected', 30_000);
  await must(cluster, 'b', ['primary', 'fc']);
  const w = await execa('qemu-io', ['-f', 'raw', '-c', `write -P 0x53 ${8 * MiB} ${4 * MiB}`, '-c', 'flush', `nbd:unix:${files.socket('b')}`], { reject: false });
  t.equal(w.exitCode, 0, 'b, promoted, wrote 4 MiB');

  const back = logMark(cluster);
  await restartAndUp(cluster, 'a', 'fc');
  await waitConverged(cluster, 'fc', nodes, 60_000);
  t.same(nodes.flatMap((n) => logLinesSince(cluster, back, n, /split brain/)), [], 'no split brain reported');
  t.same(readRange(files.disk('a'), 8 * MiB, 4 * MiB), Buffer.alloc(4 * MiB, 0x53), "a holds b's write");
  t.equal(sha256File(files.disk('a')), sha256File(files.disk('b')), 'a and b are identical');
});

// Demoted while frozen instead: the disk holds the write b never confirmed, so the new generation
// starts before the demotion (as it would have without the freeze). Without it the two meet in
// one generation, the bits for that write are dropped as stale, and they differ there for ever.
t.test('a Primary demoted while frozen for fencing starts its new generation first; b, back, takes the unconfirmed write', async (t) => {
  const { cluster, files, mark, b, pending } = await frozenWithUnconfirmedWrite(t, 'fenceddemote', 'fd');
  await must(cluster, 'a', ['secondary', 'fd']);
  t.equal(await pending, 'failed', 'the frozen write failed at the demotion');
  t.equal(logLinesSince(cluster, mark, 'a', /new data generation/).length, 1, 'a started its new generation before the demotion');

  b.process!.kill('SIGCONT');
  await waitConverged(cluster, 'fd', nodes, 60_000);
  t.equal(sha256File(files.disk('a')), sha256File(files.disk('b')), 'a and b are identical');
});

// Protocol B: b, stopped, never sends the RecvAck, so the write is one b may lack. Its answer
// waits for fence-peer like C's: counted before the loss was booked, it went out the moment a
// declared b lost, before the handler ran (sim seed 30801), and b, promoted, lacked it.
t.test('protocol B: a write its peer never received is not answered while fence-peer runs', async (t) => {
  const { cluster, b, pending } = await frozenWithUnconfirmedWrite(t, 'fencedb', 'fb', 'B');
  const early = await Promise.race([pending, sleep(500).then(() => 'waiting')]);
  t.equal(early, 'waiting', 'the write is not answered while a is frozen for fencing b');
  await must(cluster, 'a', ['secondary', 'fb']);
  t.equal(await pending, 'failed', 'the frozen write failed at the demotion');
  b.process!.kill('SIGCONT');
});
