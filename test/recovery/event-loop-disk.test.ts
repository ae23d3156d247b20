// Issue 8, defect 10: the daemon's one thread never waits on the disk. Backing files on the VM's
// disk (/var/tmp, not tmpfs, so writeback and fdatasync take real time), 2 nodes, protocol C:
// fio writes 1 GiB through a's NBD export without FUA and ends with a FLUSH. Meanwhile each
// daemon's status is asked for every 20 ms (on its control socket: the answer `tandem status`
// prints, without a CLI process's start-up in the measurement): every answer comes within 100 ms,
// and the peer link is never lost ('peer connection lost' in no log).
// ping-timeout stays at its default (500ms); ping-interval is 1s (default 10s) so that pings are
// exchanged during the flush, which is what a blocked thread would miss.
// The machine may be busy with other work (CI runs test files in parallel on 2 cores): the bound
// is 100 ms, or twice the slowest answer measured over 2 s with the cluster idle if that is more.
// A thread blocked in fdatasync on 1 GiB of dirty pages stalls for far longer than either.
import t from 'tap';
import { execa } from 'execa';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { TestCluster } from '../helpers/daemons.js';
import { logLinesSince, logMark, printLogsOnFailure } from '../helpers/daemon-log.js';
import { statusViaSocket } from '../helpers/control-socket.js';
import { writeResource } from '../helpers/resource-config.js';
import { bringUp, promoteAndSync, must } from '../helpers/scenario.js';

import { peersUpToDate, waitFor } from '../helpers/wait.js';

const MiB = 1024 * 1024;
const SIZE = 1024 * MiB;
const ANSWER_WITHIN_MS = 100;
const SAMPLE_EVERY_MS = 20;

t.test('status answers within 100 ms while 1 GiB is written and flushed to a real disk', async (t) => {
  const cluster = new TestCluster('tandem-evloop-');
  t.teardown(() => cluster.destroy());
  printLogsOnFailure(t, cluster);
  const onDisk = mkdtempSync('/var/tmp/tandem-evloop-');
  t.teardown(() => rmSync(onDisk, { recursive: true, force: true }));
  // the initial sync runs on tmpfs (seconds, not a minute of VM disk), then the stopped nodes'
  // backing files move to the VM disk, as an administrator would move them
  const onTmpfs = join(cluster.root, 'disks');
  mkdirSync(onTmpfs);
  const phase = phases(t);
  const files = await writeResource(cluster, {
    name: 'el', nodes: ['a', 'b'], sizeBytes: SIZE, diskDirs: { a: onTmpfs, b: onTmpfs }, extra: ['ping-interval = 1s'],
  });
  await bringUp(cluster, 'el', ['a', 'b']);
  await promoteAndSync(cluster, 'el', 'a', ['b'], 60_000);
  phase('daemons up, initial sync on tmpfs');
  await must(cluster, 'a', ['secondary', 'el']);
  for (const n of ['a', 'b']) {
    await must(cluster, n, ['down', 'el']);
    await cluster.stop(n);
    await execa('cp', ['--sparse=always', files.disk(n), onDisk]);
    rmSync(files.disk(n));
  }
  const ini = join(cluster.configDir, 'el.ini');
  writeFileSync(ini, readFileSync(ini, 'utf8').split(onTmpfs).join(onDisk));
  for (const n of ['a', 'b']) {
    await cluster.start(n);
    await must(cluster, n, ['up', 'el']);
  }
  await must(cluster, 'a', ['primary', 'el']);
  await waitFor(cluster, 'a', 'el', 'b UpToDate, the disks on /var/tmp', peersUpToDate(['b']), 30_000);
  await execa('sync'); // start from a clean page cache, so the flush below is the test's own
  phase('moved to /var/tmp, a Primary again');
  const idle = await worstAnswer(cluster, 2_000);
  const bound = Math.max(ANSWER_WITHIN_MS, 2 * idle);
  phase(`idle baseline: slowest answer ${idle.toFixed(0)} ms, bound ${bound.toFixed(0)} ms`);

  const mark = logMark(cluster);
  const slow: string[] = [];
  let samples = 0;
  let worst = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      for (const node of ['a', 'b']) {
        const started = performance.now();
        const ok = await statusViaSocket(cluster, node, 'el', 5_000).then(() => true, () => false);
        const took = performance.now() - started;
        samples++;
        worst = Math.max(worst, took);
        if (!ok || took > bound) slow.push(`${node}: ${ok ? `${took.toFixed(0)} ms` : 'no answer'}`);
      }
      await sleep(SAMPLE_EVERY_MS);
    }
  })();

  const fio = await execa('fio', ['--name=evloop', '--ioengine=nbd', `--uri=nbd+unix:///?socket=${files.socket('a')}`, '--rw=write', '--bs=1M',
    `--size=${SIZE}`, '--iodepth=16', '--end_fsync=1', '--output-format=terse'], { reject: false, timeout: 240_000 });
  await sleep(500);
  sampling = false;
  await sampler;
  phase('1 GiB written and flushed');

  t.equal(fio.exitCode, 0, `fio wrote 1 GiB and flushed (${String(fio.stderr).split('\n')[0] || 'ok'})`);
  t.ok(samples > 50, `${samples} status answers sampled, the slowest took ${worst.toFixed(0)} ms`);
  t.same(slow.slice(0, 10), [], `every status answer within ${bound.toFixed(0)} ms (${slow.length} were not)`);
  for (const node of ['a', 'b']) {
    t.same(logLinesSince(cluster, mark, node, /peer connection lost/).map((l) => l.reason), [], `${node} never lost its peer link`);
  }
});

/** The slowest status answer of either node over `ms` while nothing else happens. */
async function worstAnswer(cluster: TestCluster, ms: number): Promise<number> {
  let worst = 0;
  const until = Date.now() + ms;
  while (Date.now() < until) {
    for (const node of ['a', 'b']) {
      const started = performance.now();
      await statusViaSocket(cluster, node, 'el', 5_000);
      worst = Math.max(worst, performance.now() - started);
    }
    await sleep(SAMPLE_EVERY_MS);
  }
  return worst;
}

/** t.comment with the time each phase took. */
function phases(t: { comment(...args: unknown[]): void }): (what: string) => void {
  let last = Date.now();
  return (what) => {
    t.comment(`${what}: ${((Date.now() - last) / 1000).toFixed(1)} s`);
    last = Date.now();
  };
}
