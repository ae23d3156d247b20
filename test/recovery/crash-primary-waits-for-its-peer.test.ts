// A crashed Primary back with only an older peer is no source until the peer that shared its
// generation has been heard (simulator seeds 20279, 200). a is Primary with b and c (protocol C);
// c leaves, a writes W (a new generation that b follows), then a and b are killed. a comes back
// and meets c alone: its data is newer than c's, but its disk cache may have lost writes that b,
// on protocol C, holds (a power loss would take them). a's daemon is restarted seeing another boot
// id (helpers/boot-id.ts): as after a power loss, it cannot claim its disk lost nothing (after a
// kill in the same boot it could, and would rightly be c's source at once). So a stays Consistent (no promotion candidate) and c is not resynced from it, until b is back:
// then the three converge, W on every disk. Before the fix the handshake with c alone made a
// UpToDate and c's SyncSource, which after a power loss resyncs a's lost blocks over c, and lets
// the cluster promote a without the writes b holds.
import t from 'tap';
import { execa } from 'execa';
import { setTimeout as sleep } from 'node:timers/promises';
import { waitConverged } from '../helpers/convergence.js';
import { anotherBoot } from '../helpers/boot-id.js';
import { restartAndUp } from '../helpers/crash-recovery.js';
import { must, openCluster } from '../helpers/scenario.js';
import { readRange, sha256File, status, waitFor } from '../helpers/wait.js';

const MiB = 1024 * 1024;
const SIZE = 64 * MiB;
const nodes = ['a', 'b', 'c'];
const W = 8 * MiB;

t.test('a crashed Primary that meets only an older peer waits for the peer of its generation', async (t) => {
  const { cluster, files } = await openCluster(t, 'tandem-crashwait-', { name: 'cw', nodes, sizeBytes: SIZE, primary: 'a', peers: ['b', 'c'] });

  await must(cluster, 'c', ['disconnect', 'cw']);
  await waitFor(cluster, 'a', 'cw', 'a lost c', (s) => s.connections.find((x) => x.peer === 'c')!.connectionState !== 'Connected', 20_000);
  const w = await execa('qemu-io', ['-f', 'raw', '-c', `write -P 0x3c ${W} 1M`, `nbd:unix:${files.socket('a')}`], { reject: false });
  t.equal(w.exitCode, 0, 'a wrote W while c was away (b holds it)');
  await cluster.kill('a');
  await cluster.kill('b');

  await restartAndUp(cluster, 'a', 'cw', anotherBoot(cluster.root));
  await must(cluster, 'c', ['connect', 'cw']);
  await waitFor(cluster, 'a', 'cw', 'a connected to c', (s) => s.connections.find((x) => x.peer === 'c')!.connectionState === 'Connected', 30_000);
  await sleep(3000); // time for a handshake, and a resync of 1 MiB, many times over
  const a = await status(cluster, 'a', 'cw');
  t.equal(a.volumes[0].diskState, 'Consistent', 'a stays Consistent while b, which shared its generation, is away');
  const cView = a.connections.find((x) => x.peer === 'c')!.volumes[0];
  t.not(cView.replicationState, 'SyncSource', `a is not c's SyncSource (${cView.replicationState})`);
  t.not((await status(cluster, 'c', 'cw')).volumes[0].diskState, 'UpToDate', 'c is not UpToDate in a\'s generation');

  await restartAndUp(cluster, 'b', 'cw');
  await waitConverged(cluster, 'cw', nodes, 60_000).then(
    () => t.pass('a, b and c UpToDate and Established once b is back'),
    (err: Error) => t.fail(`converged within 60 s: ${err.message}`));
  for (const n of nodes) t.same(readRange(files.disk(n), W, MiB), Buffer.alloc(MiB, 0x3c), `${n} holds W`);
  t.equal(sha256File(files.disk('a')), sha256File(files.disk('b')), 'a and b are identical');
  t.equal(sha256File(files.disk('c')), sha256File(files.disk('b')), 'c and b are identical');
});

// The same wait when the peer of its generation is connected but detached (simulator seed 20873):
// b's State then carries no data, and the writes it acknowledged are on its detached disk. Before
// the fix a took b's State for "heard", became UpToDate and c's SyncSource with b diskless. a
// restarts seeing another boot id, as the first test does.
t.test('a crashed Primary does not count a peer connected without its disk as heard', async (t) => {
  const { cluster, files } = await openCluster(t, 'tandem-crashwait-dl-', { name: 'cd', nodes, sizeBytes: SIZE, primary: 'a', peers: ['b', 'c'] });

  await must(cluster, 'c', ['disconnect', 'cd']);
  await waitFor(cluster, 'a', 'cd', 'a lost c', (s) => s.connections.find((x) => x.peer === 'c')!.connectionState !== 'Connected', 20_000);
  const w = await execa('qemu-io', ['-f', 'raw', '-c', `write -P 0x5d ${W} 1M`, `nbd:unix:${files.socket('a')}`], { reject: false });
  t.equal(w.exitCode, 0, 'a wrote W while c was away (b holds it)');
  await must(cluster, 'b', ['detach', 'cd']); // b's disk leaves; a writes nothing more
  await waitFor(cluster, 'a', 'cd', 'a saw b detach', (s) => s.connections.find((x) => x.peer === 'b')!.volumes[0].peerDiskState === 'Diskless', 20_000);
  await cluster.kill('a');

  await restartAndUp(cluster, 'a', 'cd', anotherBoot(cluster.root)); // as after a power loss: back in the same boot it lost nothing and waits for no one (restart.ts)
  await must(cluster, 'c', ['connect', 'cd']);
  await waitFor(cluster, 'a', 'cd', 'a connected to b and c', (s) => s.connections.every((x) => x.connectionState === 'Connected'), 30_000);
  await sleep(3000); // time for the handshakes, and a resync of 1 MiB, many times over
  const a = await status(cluster, 'a', 'cd');
  t.equal(a.volumes[0].diskState, 'Consistent', 'a stays Consistent while b, connected, has no disk');
  t.not(a.connections.find((x) => x.peer === 'c')!.volumes[0].replicationState, 'SyncSource', 'a is not c\'s SyncSource');

  await must(cluster, 'b', ['attach', 'cd']);
  await waitConverged(cluster, 'cd', nodes, 60_000).then(
    () => t.pass('a, b and c UpToDate and Established once b has its disk'),
    (err: Error) => t.fail(`converged within 60 s: ${err.message}`));
  for (const n of nodes) t.same(readRange(files.disk(n), W, MiB), Buffer.alloc(MiB, 0x5d), `${n} holds W`);
  t.equal(sha256File(files.disk('c')), sha256File(files.disk('b')), 'c and b are identical');
  t.equal(sha256File(files.disk('a')), sha256File(files.disk('b')), 'a and b are identical');
});
