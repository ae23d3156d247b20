// A crashed Primary's flag ends once it replicates from a new Primary in its generation (DRBD
// clears CRASHED_PRIMARY when it is UpToDate with an UpToDate peer; here the new Primary is what
// ends it: see endCrashedPrimary in generation-handshake.ts). Kept, it outweighed the new Primary's
// own flag after both went down: "both crashed as Primary, lower node id wins" made the old one the
// source over a write only the new Primary held (the lead's reading of sim seed 20873).
// Two real daemons on protocol A, a (node id 0) and b (1), linked through proxies that can stall.
// kill -9 of a, the Primary; back, it resyncs b (the crashed Primary is the source over A), the
// link is renewed (so b's promotion finds no stale bits of a's to resync, whose resync as target
// would end the flag by another way), and b is promoted while a is connected: the generation
// stays, and a's metadata must stop saying it crashed as Primary. With the link stalled b writes W
// (acknowledged once sent, protocol A) that a never receives; both are killed. Back, b alone
// crashed as Primary in that generation and is the source: W is on both disks.
import t from 'tap';
import { execa } from 'execa';
import { setTimeout as sleep } from 'node:timers/promises';
import { tandemJson } from '../helpers/cli.js';
import { TestCluster } from '../helpers/daemons.js';
import { printLogsOnFailure } from '../helpers/daemon-log.js';
import { restartAndUp } from '../helpers/crash-recovery.js';
import { writeResource } from '../helpers/resource-config.js';
import { bringUp, must, promoteAndSync } from '../helpers/scenario.js';
import { PATIENT_PINGS, settledWithPeer, stallableLink } from '../helpers/stallable-link.js';
import { readRange, sha256File, status, waitFor } from '../helpers/wait.js';

const MiB = 1024 * 1024;
const SIZE = 16 * MiB;
const OFFSET = 8 * MiB;
const LENGTH = 64 * 1024;


t.test('a crashed Primary that replicated from a new Primary does not win over it after both crash', async (t) => {
  const cluster = new TestCluster('tandem-crashflag-');
  t.teardown(() => cluster.destroy());
  printLogsOnFailure(t, cluster, 60);
  const files = await writeResource(cluster, { name: 'cf', nodes: ['a', 'b'], protocol: 'A', sizeBytes: SIZE, extra: PATIENT_PINGS });
  const link = await stallableLink(t, cluster, 'cf', ['a', 'b'], 'a', 'b');
  await bringUp(cluster, 'cf', ['a', 'b']);
  await promoteAndSync(cluster, 'cf', 'a', ['b']);
  const old = await execa('qemu-io', ['-f', 'raw', '-c', `write -P 0x11 ${OFFSET} ${LENGTH}`, `nbd:unix:${files.socket('a')}`], { reject: false });
  t.equal(old.exitCode, 0, 'a wrote the block');

  await cluster.kill('a');
  await waitFor(cluster, 'b', 'cf', 'b lost a', (s) => s.connections[0].connectionState !== 'Connected', 30_000);
  await restartAndUp(cluster, 'a', 'cf');
  await waitFor(cluster, 'a', 'cf', 'a, back from its crash, in sync with b', settledWithPeer, 60_000);
  await waitFor(cluster, 'b', 'cf', 'b in sync with a', settledWithPeer, 60_000);
  // a new connection, so that b holds a's State as of now (the one a sent as the source still
  // listed the bits its resync then cleared, and b, promoted, would resync them once more)
  await must(cluster, 'a', ['disconnect', 'cf']);
  await must(cluster, 'a', ['connect', 'cf']);
  await waitFor(cluster, 'a', 'cf', 'a reconnected, in sync with b', settledWithPeer, 30_000);
  await waitFor(cluster, 'b', 'cf', 'b reconnected, in sync with a', settledWithPeer, 30_000);
  const flags = async (): Promise<string[]> => (await tandemJson<Array<{ deviceFlags: string[] }>>(['md', 'show', '--meta', `pmem:${cluster.root}/cf-a-0.meta`])).json[0].deviceFlags;
  t.ok((await flags()).includes('CRASHED_PRIMARY'), 'a, the SyncSource of b after its crash, still says it crashed as Primary');
  await must(cluster, 'b', ['primary', 'cf']);
  await waitFor(cluster, 'a', 'cf', 'a replicates from b', (s) => s.connections[0].peerRole === 'Primary' && settledWithPeer(s), 30_000);
  const cleared = Date.now() + 10_000;
  while ((await flags()).includes('CRASHED_PRIMARY') && Date.now() < cleared) await sleep(100);
  t.notOk((await flags()).includes('CRASHED_PRIMARY'), 'a\'s metadata no longer says it crashed as Primary');

  link.stall();
  const w = await execa('qemu-io', ['-f', 'raw', '-c', `write -P 0x5a ${OFFSET} ${LENGTH}`, `nbd:unix:${files.socket('b')}`], { reject: false });
  t.equal(w.exitCode, 0, 'b acknowledged W (protocol A: once sent)');
  const pattern = Buffer.alloc(LENGTH, 0x5a);
  t.ok(readRange(files.disk('b'), OFFSET, LENGTH).equals(pattern), 'W is on b\'s disk');
  t.notOk(readRange(files.disk('a'), OFFSET, LENGTH).equals(pattern), 'a never received W: its link is stalled');
  await cluster.kill('b');
  await cluster.kill('a');
  await link.stop(); // the held bytes never reach a

  // back on a direct link: both come up Consistent in one generation, b the crashed Primary
  link.direct();
  await restartAndUp(cluster, 'a', 'cf');
  await restartAndUp(cluster, 'b', 'cf');
  await waitFor(cluster, 'a', 'cf', 'a UpToDate, in sync with b', settledWithPeer, 60_000);
  await waitFor(cluster, 'b', 'cf', 'b UpToDate, in sync with a', settledWithPeer, 60_000);
  t.ok(readRange(files.disk('b'), OFFSET, LENGTH).equals(pattern), 'b kept W');
  t.ok(readRange(files.disk('a'), OFFSET, LENGTH).equals(pattern), 'a took W from b');
  t.equal(sha256File(files.disk('a')), sha256File(files.disk('b')), 'a and b are identical');
});
