// A node that resyncs from the Primary takes blocks a third node lacks: it has to mark them for
// that node, or when the two meet without the Primary the handshake resyncs only the blocks it
// knew about before (simulator seed 20420; DRBD's SyncTarget sets every peer out of sync for a
// resync write). a is Primary, b and c synced. c leaves (disconnect); a writes R1. b leaves too;
// a writes R2. b comes back and resyncs R2 from a. a is killed, and c comes back: b and c meet
// without a and must end UpToDate with identical disks, R1 and R2 on both.
import t from 'tap';
import { execa } from 'execa';
import { must, openCluster } from '../helpers/scenario.js';
import { readRange, sha256File, status, waitFor } from '../helpers/wait.js';

const MiB = 1024 * 1024;
const SIZE = 64 * MiB;
const nodes = ['a', 'b', 'c'];
const R1 = 8 * MiB;
const R2 = 24 * MiB;
const LENGTH = 4 * MiB;

t.test('blocks a SyncTarget took from the Primary reach a third node it meets later', async (t) => {
  const { cluster, files } = await openCluster(t, 'tandem-thirdbits-', { name: 'tb', nodes, sizeBytes: SIZE, primary: 'a', peers: ['b', 'c'] });
  const write = async (offset: number, pattern: number) => {
    const r = await execa('qemu-io', ['-f', 'raw', '-c', `write -P ${pattern} ${offset} ${LENGTH}`, '-c', 'flush', `nbd:unix:${files.socket('a')}`], { reject: false });
    t.equal(r.exitCode, 0, `a wrote ${LENGTH / MiB} MiB of pattern ${pattern} at ${offset / MiB} MiB`);
  };
  const lost = (peer: string) => (s: Awaited<ReturnType<typeof status>>) => s.connections.find((x) => x.peer === peer)!.connectionState !== 'Connected';

  await must(cluster, 'c', ['disconnect', 'tb']);
  await waitFor(cluster, 'a', 'tb', 'a lost c', lost('c'), 20_000);
  await write(R1, 0x11);
  await must(cluster, 'b', ['disconnect', 'tb']);
  await waitFor(cluster, 'a', 'tb', 'a lost b', lost('b'), 20_000);
  await write(R2, 0x22);

  // b resyncs R2 from a while c stays away
  await must(cluster, 'b', ['connect', 'tb']);
  await waitFor(cluster, 'b', 'tb', 'b UpToDate and Established with a', (s) =>
    s.volumes[0].diskState === 'UpToDate' && s.connections.find((x) => x.peer === 'a')?.volumes[0].replicationState === 'Established', 60_000);
  t.same(readRange(files.disk('b'), R2, LENGTH), Buffer.alloc(LENGTH, 0x22), 'b holds R2 after its resync');

  await cluster.kill('a');
  await must(cluster, 'c', ['connect', 'tb']);
  await waitFor(cluster, 'c', 'tb', 'c UpToDate and Established with b', (s) =>
    s.volumes[0].diskState === 'UpToDate' && s.connections.find((x) => x.peer === 'b')?.volumes[0].replicationState === 'Established', 60_000);
  await waitFor(cluster, 'b', 'tb', 'b sees c UpToDate', (s) => s.connections.find((x) => x.peer === 'c')?.volumes[0].peerDiskState === 'UpToDate', 20_000);
  t.same(readRange(files.disk('c'), R1, LENGTH), Buffer.alloc(LENGTH, 0x11), 'c holds R1 (written while only c was away)');
  t.same(readRange(files.disk('c'), R2, LENGTH), Buffer.alloc(LENGTH, 0x22), 'c holds R2 (b took it by resync while c was away)');
  t.equal(sha256File(files.disk('c')), sha256File(files.disk('b')), 'b and c are identical');
});
