// Issue 8, defect 10: the daemon's one thread never waits on the disk. Backing files on the VM's
// disk (/var/tmp, not tmpfs, so writeback and fdatasync take real time), 2 nodes, protocol C:
// fio writes 1 GiB through a's NBD export without FUA, then qemu-io sends a FLUSH. Meanwhile each
// daemon's status is asked for every 20 ms (on its control socket: the answer `tandem status`
// prints, without a CLI process's start-up in the measurement), and each daemon's main thread
// (the event loop) is watched in /proc: state 'D' is a thread waiting on the disk.
// Expected: the main thread never waits on the disk for over 100 ms, no status answer is slower
// than 100 ms while it does, and the peer link is never lost ('peer connection lost' in no log;
// ping-timeout at its default 500ms, ping-interval 1s so that pings happen during the test).
// Answers slower than 100 ms while the thread is runnable are a busy machine, not a blocked loop
// (CI runs test files in parallel on 2 cores): they are reported, not failed. The bound is also
// raised to twice the slowest answer measured over 2 s with the cluster idle, if that is more.
import t from 'tap';
import { execa } from 'execa';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { TestCluster } from '../helpers/daemons.js';
import { logLinesSince, logMark, printLogsOnFailure } from '../helpers/daemon-log.js';
import { statusViaSocket } from '../helpers/control-socket.js';
import { MainThreadDiskWaits } from '../helpers/thread-state.js';
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
  const diskWaits = Object.fromEntries(['a', 'b'].map((n) => [n, new MainThreadDiskWaits(cluster.nodes.get(n)!.process!.pid!).start()]));
  t.teardown(() => { for (const w of Object.values(diskWaits)) w.stop(); });
  const answers = new AnswerTimes(cluster);
  const sampling = answers.run();
  answers.phase = 'writes';
  const fio = await execa('fio', ['--name=evloop', '--ioengine=nbd', `--uri=nbd+unix:///?socket=${files.socket('a')}`, '--rw=write', '--bs=1M',
    `--size=${SIZE}`, '--iodepth=16', '--output-format=terse'], { reject: false, timeout: 240_000 });
  phase('1 GiB written (no FUA, no flush)');
  answers.phase = 'flush';
  const flush = await execa('qemu-io', ['-f', 'raw', '-c', 'flush', `nbd:unix:${files.socket('a')}`], { reject: false, timeout: 240_000 });
  phase('FLUSH');
  answers.phase = 'after';
  await sleep(500);
  await answers.stop(sampling);
  for (const w of Object.values(diskWaits)) w.stop();

  t.equal(fio.exitCode, 0, `fio wrote 1 GiB (${String(fio.stderr).split('\n')[0] || 'ok'})`);
  t.equal(flush.exitCode, 0, 'the FLUSH succeeded');
  t.ok(answers.count() > 50, `status answers sampled: ${answers.summary()}`);
  const slow = answers.slowerThan(bound);
  const blocked = slow.filter((x) => diskWaits[x.node].blockedBetween(x.from, x.to));
  t.same(blocked.slice(0, 10).map((x) => x.text), [], `no status answer over ${bound.toFixed(0)} ms while the daemon's thread waited on the disk (${blocked.length} were)`);
  if (slow.length > blocked.length) t.comment(`${slow.length - blocked.length} answers over ${bound.toFixed(0)} ms with the thread not waiting on the disk (a busy machine): ${slow.filter((x) => !blocked.includes(x)).slice(0, 5).map((x) => x.text).join(', ')}`);
  for (const node of ['a', 'b']) {
    t.ok(diskWaits[node].longestRunMs() <= ANSWER_WITHIN_MS, `${node}'s event-loop thread never waits on the disk for over ${ANSWER_WITHIN_MS} ms (${diskWaits[node].summary()})`);
    t.same(logLinesSince(cluster, mark, node, /peer connection lost/).map((l) => l.reason), [], `${node} never lost its peer link`);
  }
});

/** Status asked of both daemons every SAMPLE_EVERY_MS, each answer's time kept with the phase it fell in. */
class AnswerTimes {
  phase = 'before';
  private running = true;
  private readonly times: Array<{ node: string; phase: string; from: number; to: number; ok: boolean }> = [];

  constructor(private readonly cluster: TestCluster) {}

  async run(): Promise<void> {
    while (this.running) {
      for (const node of ['a', 'b']) {
        const phase = this.phase;
        const from = performance.now();
        const ok = await statusViaSocket(this.cluster, node, 'el', 5_000).then(() => true, () => false);
        this.times.push({ node, phase, from, to: performance.now(), ok });
      }
      await sleep(SAMPLE_EVERY_MS);
    }
  }

  async stop(sampling: Promise<void>): Promise<void> {
    this.running = false;
    await sampling;
  }

  count(): number { return this.times.length; }

  /** answers slower than `bound` (or none), with when they were asked and a description */
  slowerThan(bound: number): Array<{ node: string; from: number; to: number; text: string }> {
    return this.times.filter((x) => !x.ok || x.to - x.from > bound)
      .map((x) => ({ ...x, text: `${x.node} during ${x.phase}: ${x.ok ? `${(x.to - x.from).toFixed(0)} ms` : 'no answer'}` }));
  }

  /** per phase: answers, median and slowest */
  summary(): string {
    const phases = [...new Set(this.times.map((x) => x.phase))];
    return phases.map((p) => {
      const ms = this.times.filter((x) => x.phase === p).map((x) => x.to - x.from).sort((x, y) => x - y);
      return `${p} ${ms.length} (median ${ms[Math.floor(ms.length / 2)].toFixed(0)} ms, slowest ${ms.at(-1)!.toFixed(0)} ms)`;
    }).join('; ');
  }
}

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
