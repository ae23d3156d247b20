// A Primary that loses its SyncTarget in its own generation starts a new generation at its next
// write (sim seed 20873), as it does for a peer that was Established and as DRBD does for any peer
// disk it loses from Inconsistent up. Such a target's metadata names the Primary's generation (and
// one that has not yet received a block still says Consistent): without a new generation the
// Primary's later writes, which it misses, would be written in a generation it claims to hold, and
// meeting the Primary again after a crash it could be taken for its equal.
// 2 nodes, protocol C: b is invalidated, so a resyncs it in their shared generation (at
// resync-rate 8M, about 4 s); b is killed mid-resync, a writes 4 KiB and must have moved to a new
// generation. b comes back, is resynced from a's bitmap, and both end identical.
import t from 'tap';
import { execa } from 'execa';
import { status, sha256File, waitFor } from '../helpers/wait.js';
import { restartAndUp } from '../helpers/crash-recovery.js';
import { must, openCluster } from '../helpers/scenario.js';
import { sameGeneration } from '../../src/engine/sync-decision.js';

const MiB = 1024 * 1024;
const same = (x: string | null, y: string | null): boolean => x !== null && y !== null && sameGeneration(BigInt(`0x${x}`), BigInt(`0x${y}`));

t.test('a Primary that loses its SyncTarget in its own generation starts a new one at its next write', async (t) => {
  const { cluster, files } = await openCluster(t, 'tandem-losttarget-', { name: 'lt', nodes: ['a', 'b'], sizeBytes: 32 * MiB, extra: ['resync-rate = 8M'], primary: 'a', peers: ['b'] });
  const write = async (offset: number): Promise<void> => {
    const r = await execa('qemu-io', ['-f', 'raw', '-c', `write -P 9 ${offset} 4k`, `nbd:unix:${files.socket('a')}`], { reject: false });
    t.equal(r.exitCode, 0, `4 KiB written at ${offset}`);
  };
  const generation = async (): Promise<string | null> => (await status(cluster, 'a', 'lt')).volumes[0].currentGeneration;
  const toB = (s: Awaited<ReturnType<typeof status>>) => s.connections.find((c) => c.peer === 'b')!;

  await must(cluster, 'b', ['invalidate', 'lt']);
  await waitFor(cluster, 'a', 'lt', 'a resyncs b', (s) => toB(s).volumes[0].replicationState === 'SyncSource', 20_000);
  // a write while b is a target: b gets it, and the generation a's loss of b at the invalidation
  // left pending is settled (nobody is away now), so it cannot be what this test sees later
  await write(0);
  const before = await generation();
  t.equal(toB(await status(cluster, 'a', 'lt')).volumes[0].replicationState, 'SyncSource', 'b is still a\'s SyncTarget');

  await cluster.kill('b');
  await waitFor(cluster, 'a', 'lt', 'b lost', (s) => toB(s).connectionState !== 'Connected', 20_000);
  await write(4 * MiB);
  const after = await generation();
  t.notOk(same(before, after), `a's first write after losing its SyncTarget made a new generation (${before} → ${after})`);

  await restartAndUp(cluster, 'b', 'lt');
  const settled = (s: Awaited<ReturnType<typeof status>>) => s.volumes[0].diskState === 'UpToDate' && s.connections[0].volumes[0].replicationState === 'Established'
    && s.connections[0].volumes[0].peerDiskState === 'UpToDate' && s.connections[0].volumes[0].outOfSyncBytes === 0;
  await waitFor(cluster, 'a', 'lt', 'b UpToDate again, nothing out of sync', settled, 60_000);
  await waitFor(cluster, 'b', 'lt', 'b UpToDate, nothing out of sync', settled, 60_000);
  t.ok(same(await generation(), (await status(cluster, 'b', 'lt')).volumes[0].currentGeneration), 'b holds a\'s generation');
  t.equal(sha256File(files.disk('b')), sha256File(files.disk('a')), 'a and b are identical');
});
