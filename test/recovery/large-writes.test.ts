// Issue 8, defect 1: every request size the NBD export advertises replicates. qemu-io writes of
// 1152 KiB (just over one peer frame), 4 MiB and 32 MiB (the advertised block_size_maximum) and a
// 64 MiB write-zeroes over data on a connected 2-node protocol C Primary each succeed, the link
// stays up (no 'peer connection lost'), and afterwards both backing files are identical, hold
// exactly what was written, and both nodes report 0 bytes out of sync.
import t from 'tap';
import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { TestCluster } from '../helpers/daemons.js';
import { logLines, printLogsOnFailure } from '../helpers/daemon-log.js';
import { writeResource } from '../helpers/resource-config.js';
import { bringUp, promoteAndSync } from '../helpers/scenario.js';
import { sha256File, status, waitFor, peersUpToDate } from '../helpers/wait.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const SIZE = 128 * MiB;

/** What each write puts on the volume, in order; the expected image is built from the same list. */
const writes: Array<{ what: string; offset: number; length: number; pattern: number; zero?: boolean }> = [
  { what: '1152 KiB write', offset: 1 * MiB + 4 * KiB, length: 1152 * KiB, pattern: 0x11 },
  { what: '4 MiB write', offset: 8 * MiB, length: 4 * MiB, pattern: 0x22 },
  { what: '32 MiB write (block_size_maximum)', offset: 16 * MiB, length: 32 * MiB, pattern: 0x33 },
  { what: '64 MiB write-zeroes over data', offset: 56 * MiB, length: 64 * MiB, pattern: 0, zero: true },
];
/** data under the write-zeroes, put there in 1 MiB writes (small enough to replicate today) */
const PREFILL = { offset: 56 * MiB, length: 64 * MiB, pattern: 0x44 };

t.test('large writes and write-zeroes replicate on a connected protocol C Primary', async (t) => {
  const cluster = new TestCluster('tandem-largewrites-');
  t.teardown(() => cluster.destroy());
  printLogsOnFailure(t, cluster);
  const files = await writeResource(cluster, { name: 'lw', nodes: ['a', 'b'], sizeBytes: SIZE });
  await bringUp(cluster, 'lw', ['a', 'b']);
  await promoteAndSync(cluster, 'lw', 'a', ['b'], 90_000);
  const nbd = `nbd:unix:${files.socket('a')}`;
  const qemuIo = (cmds: string[]) => execa('qemu-io', ['-f', 'raw', ...cmds.flatMap((c) => ['-c', c]), nbd], { reject: false });

  const prefill = await qemuIo(Array.from({ length: PREFILL.length / MiB }, (_, i) => `write -P ${PREFILL.pattern} ${PREFILL.offset + i * MiB} ${MiB}`));
  t.equal(prefill.exitCode, 0, 'prefill of the write-zeroes range in 1 MiB writes');

  for (const w of writes) {
    const cmd = w.zero ? `write -z ${w.offset} ${w.length}` : `write -P ${w.pattern} ${w.offset} ${w.length}`;
    const r = await qemuIo([cmd]);
    const output = `${r.stdout}\n${r.stderr}`.trim();
    t.ok(r.exitCode === 0 && !/fail|error/i.test(output), `${w.what} succeeds (qemu-io ${cmd}: exit ${r.exitCode}, ${output.split('\n')[0]})`);
    t.same((await status(cluster, 'a', 'lw')).connections[0].connectionState, 'Connected', `b still connected after the ${w.what}`);
  }
  const flush = await qemuIo(['flush']);
  t.equal(flush.exitCode, 0, 'flush succeeds');

  for (const node of ['a', 'b']) {
    t.same(logLines(cluster, node, /peer connection lost/).map((l) => l.reason), [], `${node} never lost its peer link`);
  }
  // both nodes must say in sync, and it must be true
  const peerOf = { a: 'b', b: 'a' } as const;
  for (const node of ['a', 'b'] as const) {
    const s = await waitFor(cluster, node, 'lw', `${peerOf[node]} Established and UpToDate`, peersUpToDate([peerOf[node]]), 30_000).catch(() => null);
    const last = s ?? await status(cluster, node, 'lw');
    const v = last.connections[0].volumes[0];
    t.equal(v.outOfSyncBytes, 0, `${node} reports 0 bytes out of sync for ${peerOf[node]} (${v.replicationState}, peer disk ${v.peerDiskState})`);
  }
  const expected = expectedImageSha();
  t.equal(sha256File(files.disk('a')), expected, "a's disk holds exactly what was written");
  t.equal(sha256File(files.disk('b')), sha256File(files.disk('a')), "b's disk is identical to a's");
});

function expectedImageSha(): string {
  const image = Buffer.alloc(SIZE);
  image.fill(PREFILL.pattern, PREFILL.offset, PREFILL.offset + PREFILL.length);
  for (const w of writes) image.fill(w.pattern, w.offset, w.offset + w.length);
  return createHash('sha256').update(image).digest('hex');
}
