// Issue 8, defect 2: application writes during a resync must wait for the link (back-pressure),
// never trip an assertion. nbdcopy of 64 MiB into a fresh 2-node Primary (`primary --force` on
// new metadata) while its initial full sync to the peer is running: both daemons survive, the
// copy succeeds, and once the sync is done both disks are identical and hold the copied data.
// The resync runs at full speed (no resync-rate, the default, as in the report) over 512 MiB, and
// the copy starts as soon as the promotion returns, so the two overlap; the test checks they do.
import t from 'tap';
import { execa } from 'execa';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { TestCluster } from '../helpers/daemons.js';
import { logLines, printLogsOnFailure } from '../helpers/daemon-log.js';
import { writeResource } from '../helpers/resource-config.js';
import { bringUp } from '../helpers/scenario.js';
import { peersUpToDate, readRange, sha256File, status, waitFor } from '../helpers/wait.js';

const MiB = 1024 * 1024;
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

t.test('nbdcopy of 64 MiB during the initial sync', async (t) => {
  const cluster = new TestCluster('tandem-copysync-');
  t.teardown(() => cluster.destroy());
  printLogsOnFailure(t, cluster);
  const files = await writeResource(cluster, { name: 'cs', nodes: ['a', 'b'], sizeBytes: 512 * MiB });
  await bringUp(cluster, 'cs', ['a', 'b']);
  const source = join(cluster.root, 'source.img');
  writeFileSync(source, randomBytes(64 * MiB));

  t.equal((await cluster.cli('a', ['primary', 'cs', '--force'])).exitCode, 0, 'a promoted with --force on new data');
  const copyStarted = Date.now();
  const copy = await execa('nbdcopy', [source, `nbd+unix:///?socket=${files.socket('a')}`], { reject: false, timeout: 120_000 });
  t.equal(copy.exitCode, 0, `nbdcopy succeeds (${String(copy.stderr).split('\n')[0] || 'no error'})`);
  await sleep(1000); // a daemon that crashed on the copy's last writes has exited by now
  const dead = ['a', 'b'].filter((node) => cluster.nodes.get(node)?.process?.exitCode != null);
  t.same(dead, [], 'both daemons are still running');
  if (dead.length > 0) return;
  const flush = await execa('qemu-io', ['-f', 'raw', '-c', 'flush', `nbd:unix:${files.socket('a')}`], { reject: false });
  t.equal(flush.exitCode, 0, 'flush succeeds');

  await waitFor(cluster, 'a', 'cs', 'b UpToDate after the initial sync', peersUpToDate(['b']), 60_000);
  const finished = logLines(cluster, 'a', /^resync finished as SyncSource/).map((l) => Date.parse(l.ts));
  t.ok(finished.length > 0 && finished[0] > copyStarted, 'the initial sync was still running when the copy started');
  t.equal((await status(cluster, 'b', 'cs')).volumes[0].diskState, 'UpToDate', 'b says UpToDate');
  t.equal(sha(readRange(files.disk('a'), 0, 64 * MiB)), sha(readFileSync(source)), 'a holds the copied data');
  t.equal(sha256File(files.disk('b')), sha256File(files.disk('a')), 'b is identical to a');
});
