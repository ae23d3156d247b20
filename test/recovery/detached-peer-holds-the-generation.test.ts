// A peer detached after its Primary was lost, before it noticed, holds every write of that
// generation: it is the crashed Primary's source, though Outdated (simulator seed 20873). Two real
// daemons on protocol C, a and b, linked through proxies that can stall. a (Primary) writes W, not
// flushed; with the link stalled (b notices nothing) a is killed and b detached: b's disk, flushed
// at the detach, holds W, and b is Outdated as any detached Secondary. a's lost disk cache is
// played by writing the old block back into its backing file (a power loss may drop an unflushed
// write; kill -9 alone keeps the page cache), and a restarts seeing another boot id (back in the
// same boot it would rightly trust its disk: restart.ts). a back is a crashed Primary, b attached
// again.
// Expected: b is the source of the blocks a's crash marked, W is on both disks, they are identical.
// Before the fix "equal generations, local crashed as Primary" made a the source over b's copy.
import t from 'tap';
import { execa } from 'execa';
import { openSync, closeSync, writeSync } from 'node:fs';
import { TestCluster } from '../helpers/daemons.js';
import { printLogsOnFailure } from '../helpers/daemon-log.js';
import { anotherBoot } from '../helpers/boot-id.js';
import { restartAndUp } from '../helpers/crash-recovery.js';
import { writeResource } from '../helpers/resource-config.js';
import { bringUp, must, promoteAndSync } from '../helpers/scenario.js';
import { PATIENT_PINGS, settledWithPeer, stallableLink } from '../helpers/stallable-link.js';
import { readRange, sha256File, status, waitFor } from '../helpers/wait.js';

const MiB = 1024 * 1024;
const SIZE = 16 * MiB;
const OFFSET = 8 * MiB;
const LENGTH = 64 * 1024;


t.test('a Secondary detached before it noticed its Primary\'s loss is that crashed Primary\'s source', async (t) => {
  const cluster = new TestCluster('tandem-detachheld-');
  t.teardown(() => cluster.destroy());
  printLogsOnFailure(t, cluster, 60);
  const files = await writeResource(cluster, { name: 'dh', nodes: ['a', 'b'], protocol: 'C', sizeBytes: SIZE, extra: PATIENT_PINGS });
  const link = await stallableLink(t, cluster, 'dh', ['a', 'b'], 'a', 'b');
  await bringUp(cluster, 'dh', ['a', 'b']);
  await promoteAndSync(cluster, 'dh', 'a', ['b']);
  const old = await execa('qemu-io', ['-f', 'raw', '-c', `write -P 0x11 ${OFFSET} ${LENGTH}`, '-c', 'flush', `nbd:unix:${files.socket('a')}`], { reject: false });
  t.equal(old.exitCode, 0, 'a wrote and flushed the old block');
  const w = await execa('qemu-io', ['-f', 'raw', '-c', `write -P 0x22 ${OFFSET} ${LENGTH}`, `nbd:unix:${files.socket('a')}`], { reject: false });
  t.equal(w.exitCode, 0, 'a acknowledged W (protocol C: b stored it)');

  link.stall();
  await cluster.kill('a');
  await must(cluster, 'b', ['detach', 'dh']);
  const b = await status(cluster, 'b', 'dh');
  t.equal(b.connections[0].connectionState, 'Connected', 'b detached before it noticed a\'s loss');
  await link.stop(); // b learns of the loss now, detached
  // a power loss drops a's unflushed W: the old block back in its backing file
  const fd = openSync(files.disk('a'), 'r+');
  writeSync(fd, Buffer.alloc(LENGTH, 0x11), 0, LENGTH, OFFSET);
  closeSync(fd);

  link.direct();
  await must(cluster, 'b', ['down', 'dh']); // the direct link's configuration, read at up
  await restartAndUp(cluster, 'a', 'dh', anotherBoot(cluster.root)); // as after the power loss played above
  await must(cluster, 'b', ['up', 'dh']);
  t.equal((await status(cluster, 'b', 'dh')).volumes[0].diskState !== 'Diskless', true, 'b attached again');
  await waitFor(cluster, 'a', 'dh', 'a UpToDate, in sync with b', settledWithPeer, 60_000);
  await waitFor(cluster, 'b', 'dh', 'b UpToDate, in sync with a', settledWithPeer, 60_000);
  const pattern = Buffer.alloc(LENGTH, 0x22);
  t.ok(readRange(files.disk('b'), OFFSET, LENGTH).equals(pattern), 'b kept W');
  t.ok(readRange(files.disk('a'), OFFSET, LENGTH).equals(pattern), 'a took W from b');
  t.equal(sha256File(files.disk('a')), sha256File(files.disk('b')), 'a and b are identical');
});
