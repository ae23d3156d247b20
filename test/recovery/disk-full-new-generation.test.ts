// A Primary's disk fails at the first write after it lost a peer (simulator seed 20457). a is
// Primary with b and c (protocol C); c leaves, so a's next write starts a new data generation: a
// sends b its State with it, then the write, and submits the write locally, where it fails
// (ENOSPC). b's State following the new generation is not back yet when a decides which peers
// held all of its disk's data. b does (it follows on a's State, and stores the write): a goes on
// through b, the write is acknowledged, and so are the ones after it. Before the fix a took its
// failed disk for the only copy of the newest data, failed every later write (EIO), outdated b,
// and, once the disk was attached again without the write, served from it and resynced it over b.
// How the disk fills: as in disk-full-primary.test.ts, a's backing file is sparse on a small tmpfs
// of its own, its blocks punched out after the initial sync, and a filler takes every free block.
import t from 'tap';
import { execa } from 'execa';
import { join } from 'node:path';
import { TestCluster } from '../helpers/daemons.js';
import { printLogsOnFailure } from '../helpers/daemon-log.js';
import { waitConverged } from '../helpers/convergence.js';
import { writeResource } from '../helpers/resource-config.js';
import { bringUp, must, promoteAndSync } from '../helpers/scenario.js';
import { mountSmallTmpfs } from '../helpers/small-tmpfs.js';
import { readRange, sha256File, status, waitFor } from '../helpers/wait.js';

const MiB = 1024 * 1024;
const SIZE = 64 * MiB;
const nodes = ['a', 'b', 'c'];

t.test('a Primary whose disk fails at the first write of a new generation goes on through the peer that follows it', async (t) => {
  const cluster = new TestCluster('tandem-pfullgen-');
  t.teardown(() => cluster.destroy());
  printLogsOnFailure(t, cluster);
  const small = await mountSmallTmpfs(t, join(cluster.root, 'small'), SIZE + 16 * MiB);
  const files = await writeResource(cluster, { name: 'pg', nodes, sizeBytes: SIZE, diskDirs: { a: small.dir } });
  await bringUp(cluster, 'pg', nodes);
  await promoteAndSync(cluster, 'pg', 'a', ['b', 'c']);
  await execa('fallocate', ['--punch-hole', '--offset', '0', '--length', String(SIZE), files.disk('a')]);
  await small.fillLeaving(0);
  t.ok(small.freeBytes() < 64 * 1024, `a's file system has ${small.freeBytes()} bytes free`);

  await must(cluster, 'c', ['disconnect', 'pg']);
  await waitFor(cluster, 'a', 'pg', 'a lost c', (s) => s.connections.find((x) => x.peer === 'c')!.connectionState !== 'Connected', 20_000);
  const write = (offset: number, pattern: number) =>
    execa('qemu-io', ['-f', 'raw', '-c', `write -P ${pattern} ${offset} 64k`, '-c', 'flush', `nbd:unix:${files.socket('a')}`], { reject: false });
  const first = await write(0, 0x5a);
  t.equal(first.exitCode, 0, `the write that failed on a's disk is acknowledged (b stored it): ${first.stderr || first.stdout}`);
  const a = await status(cluster, 'a', 'pg');
  t.equal(a.role, 'Primary', 'a is still Primary');
  t.not(a.volumes[0].diskState, 'UpToDate', `a's disk is detached (${a.volumes[0].diskState})`);
  t.equal((await status(cluster, 'b', 'pg')).volumes[0].diskState, 'UpToDate', 'b stays UpToDate: it holds everything a wrote');
  const second = await write(MiB, 0x6b);
  t.equal(second.exitCode, 0, `a's next write goes through b too: ${second.stderr || second.stdout}`);

  small.free();
  await must(cluster, 'a', ['attach', 'pg']);
  await must(cluster, 'c', ['connect', 'pg']);
  await waitConverged(cluster, 'pg', nodes, 60_000).then(
    () => t.pass('a, b and c UpToDate and Established'),
    (err: Error) => t.fail(`converged within 60 s: ${err.message}`));
  for (const n of nodes) {
    t.same(readRange(files.disk(n), 0, 64 * 1024), Buffer.alloc(64 * 1024, 0x5a), `${n} holds the write a's disk failed`);
    t.same(readRange(files.disk(n), MiB, 64 * 1024), Buffer.alloc(64 * 1024, 0x6b), `${n} holds the write after it`);
  }
  t.equal(sha256File(files.disk('a')), sha256File(files.disk('b')), 'a and b are identical');
  t.equal(sha256File(files.disk('c')), sha256File(files.disk('b')), 'c and b are identical');
});
