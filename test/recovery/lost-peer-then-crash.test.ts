// A Primary that loses a peer and dies before it writes again has changed nothing since: its
// peers' generation still describes its data. DRBD makes the new current UUID lazily, at the
// first write after the loss, so the returning node is a plain SyncTarget of whoever took over;
// a new generation made at the loss itself made it look like a split brain (simulator seed 20519).
// Two nodes (with a third, a node that followed a's new generation would pass it on to b and
// hide the fault): a is Primary; b is disconnected, a is killed with nothing written since; b is
// promoted (the failover) and writes 4 MiB; a comes back: it must take b's data, both end
// UpToDate and identical, with no split brain reported.
import t, { type Test } from 'tap';
import { execa } from 'execa';
import { logLinesSince, logMark } from '../helpers/daemon-log.js';
import type { TestCluster } from '../helpers/daemons.js';
import type { ResourceFiles } from '../helpers/resource-config.js';
import { waitConverged } from '../helpers/convergence.js';
import { restartAndUp } from '../helpers/crash-recovery.js';
import { must, openCluster } from '../helpers/scenario.js';
import { readRange, sha256File, waitFor } from '../helpers/wait.js';

const MiB = 1024 * 1024;
const SIZE = 32 * MiB;
const nodes = ['a', 'b'];

const qemu = (socket: string, cmd: string) => execa('qemu-io', ['-f', 'raw', '-c', cmd, '-c', 'flush', `nbd:unix:${socket}`], { reject: false });

/** a, killed earlier, restarts: it takes b's 4 MiB of `pattern` at 8 MiB, with no split brain reported, and ends identical. */
async function rejoinsAsTarget(t: Test, cluster: TestCluster, files: ResourceFiles, res: string, pattern: number): Promise<void> {
  const mark = logMark(cluster);
  await restartAndUp(cluster, 'a', res);
  await waitConverged(cluster, res, nodes, 60_000);
  t.same(nodes.flatMap((n) => logLinesSince(cluster, mark, n, /split brain/)), [], 'no split brain reported');
  t.same(readRange(files.disk('a'), 8 * MiB, 4 * MiB), Buffer.alloc(4 * MiB, pattern), "a holds b's write");
  t.equal(sha256File(files.disk('a')), sha256File(files.disk('b')), 'a and b are identical');
}

t.test('a Primary that lost its peer and crashed before writing again rejoins without a split brain', async (t) => {
  const { cluster, files } = await openCluster(t, 'tandem-lostpeer-', { name: 'lp', nodes, sizeBytes: SIZE, primary: 'a', peers: ['b'] });
  t.equal((await qemu(files.socket('a'), `write -P 0x31 0 ${4 * MiB}`)).exitCode, 0, 'a wrote 4 MiB while all were connected');

  await must(cluster, 'b', ['disconnect', 'lp']);
  await waitFor(cluster, 'a', 'lp', 'a lost b', (s) => s.connections.find((x) => x.peer === 'b')!.connectionState !== 'Connected', 20_000);
  await cluster.kill('a');

  await must(cluster, 'b', ['connect', 'lp']);
  await must(cluster, 'b', ['primary', 'lp']);
  t.equal((await qemu(files.socket('b'), `write -P 0x32 ${8 * MiB} ${4 * MiB}`)).exitCode, 0, 'b, promoted, wrote 4 MiB');

  await rejoinsAsTarget(t, cluster, files, 'lp', 0x32);
});

// The same with a peer's disk instead of its link (simulator seed 20426): b detaches its disk
// while connected, a is killed with nothing written since, b attaches again and takes over.
t.test("a Primary whose peer detached its disk and that crashed before writing again rejoins without a split brain", async (t) => {
  const { cluster, files } = await openCluster(t, 'tandem-lostdisk-', { name: 'ld', nodes, sizeBytes: SIZE, primary: 'a', peers: ['b'] });
  t.equal((await qemu(files.socket('a'), `write -P 0x41 0 ${4 * MiB}`)).exitCode, 0, 'a wrote 4 MiB while all were connected');

  await must(cluster, 'b', ['detach', 'ld']);
  await waitFor(cluster, 'a', 'ld', "a sees b's disk gone", (s) => s.connections.find((x) => x.peer === 'b')?.volumes[0].peerDiskState === 'Diskless', 20_000);
  await cluster.kill('a');

  await must(cluster, 'b', ['attach', 'ld']);
  await must(cluster, 'b', ['primary', 'ld', '--force']);
  t.equal((await qemu(files.socket('b'), `write -P 0x42 ${8 * MiB} ${4 * MiB}`)).exitCode, 0, 'b, promoted, wrote 4 MiB');

  await rejoinsAsTarget(t, cluster, files, 'ld', 0x42);
});
