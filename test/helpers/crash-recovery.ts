// The shape shared by the kill -9 tests (test/recovery/crash-*.test.ts): writes in the background
// through a Primary's export while nodes are killed and restarted, then one check of what
// recovery must deliver: every diskful node UpToDate within 60 s of the last `tandem up`,
// identical backing files, no acknowledged write lost (when the protocol promises it), and at
// most one resync per reconnect.
import type { Test } from 'tap';
import { execa } from 'execa';
import { AckedWrites } from '../cluster-scenarios/acked-writes.js';
import type { TestCluster } from './daemons.js';
import { RESYNC_RESUMED_AS_SOURCE, resyncStartsSince } from './daemon-log.js';
import { waitConverged } from './convergence.js';
import { must } from './scenario.js';
import type { ResourceFiles } from './resource-config.js';
import { sha256File, status } from './wait.js';

export const CONVERGE_WITHIN_MS = 60_000;

export interface BackgroundWrites {
  acked: AckedWrites;
  /** stop writing; resolves with how many writes were acknowledged and the error that ended them, if any */
  stop(): Promise<{ ok: number; error: string | null }>;
}

/**
 * 4 KiB writes on fresh offsets below `sizeBytes` through `socket` until stopped (or the export
 * fails them): 4 writers, each pausing `pauseMs` (default 2) after a write, a steady stream of at
 * most 4000 / pauseMs writes a second. Writes already in `acked` (an earlier stream) count: the
 * stream ends quietly before it would run out of fresh offsets, leaving a tenth of them unused.
 */
export function writeInBackground(socket: string, sizeBytes: number, opts: { acked?: AckedWrites; pauseMs?: number } = {}): BackgroundWrites {
  const acked = opts.acked ?? new AckedWrites(sizeBytes);
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => { stop = resolve; });
  const left = Math.floor((sizeBytes / 4096) * 0.9) - acked.acked.size;
  const running = acked.write(socket, { stop: stopped, workers: 4, pauseMs: opts.pauseMs ?? 2, count: Math.max(0, left) })
    .catch((err: Error) => ({ ok: 0, error: err.message }));
  return { acked, stop: async () => { stop(); return running; } };
}

/** tandemd started again on a killed node and the resource brought up; returns when `up` returned. */
export async function restartAndUp(cluster: TestCluster, node: string, res: string, wrap: string[] = []): Promise<number> {
  await cluster.start(node, wrap);
  await must(cluster, node, ['up', res]);
  return Date.now();
}

/** FLUSH through a Primary's export (qemu-io), so every acknowledged write is on stable storage. */
export async function flushExport(socket: string): Promise<void> {
  await execa('qemu-io', ['-f', 'raw', '-c', 'flush', `nbd:unix:${socket}`]);
}

export interface RecoveryExpectation {
  cluster: TestCluster;
  res: string;
  files: ResourceFiles;
  /** every diskful node */
  nodes: string[];
  /** when the last `tandem up` returned (or the fault otherwise ended) */
  upAt: number;
  /** what upAt was, for messages (default: the restart and up) */
  upWas?: string;
  /** log mark taken before the fault (resyncs are counted from it) */
  mark: Map<string, number>;
  /** acknowledged writes that must all be on every node (omit when the protocol allows losing them) */
  acked?: AckedWrites;
  /** reconnects per source→target pair since the mark (default 1 each) */
  reconnects?: Record<string, number>;
  /**
   * A known open defect can start a second resync in this scenario (named here, e.g. D2): the
   * count is still checked and printed, as a TODO, so it shows in every run until it is fixed.
   * Data, convergence and acknowledged writes are asserted as always.
   */
  resyncCountOpen?: string;
}

export async function checkRecovered(t: Test, e: RecoveryExpectation): Promise<void> {
  const left = Math.max(1000, CONVERGE_WITHIN_MS - (Date.now() - e.upAt));
  const upWas = e.upWas ?? 'the restart and up';
  const converged = await waitConverged(e.cluster, e.res, e.nodes, left).then(() => true, (err: Error) => {
    t.fail(`every node UpToDate within ${CONVERGE_WITHIN_MS / 1000} s of ${upWas}: ${err.message}`);
    return false;
  });
  if (converged) t.pass(`every node UpToDate ${((Date.now() - e.upAt) / 1000).toFixed(1)} s after ${upWas}`);

  // data is compared among the nodes that say they are UpToDate: a SyncTarget that never finished
  // differs by definition (its failure is the one above)
  const upToDate: string[] = [];
  for (const n of e.nodes) {
    const own = await status(e.cluster, n, e.res).catch(() => null);
    if (own?.volumes.every((v) => v.diskState === 'UpToDate')) upToDate.push(n);
    else t.comment(`${n}'s data not compared: its disk is ${own?.volumes.map((v) => v.diskState).join(',') ?? 'unknown'}`);
  }
  const sums = upToDate.map((n) => sha256File(e.files.disk(n)));
  for (const [i, n] of upToDate.entries()) if (i > 0) t.equal(sums[i], sums[0], `${n}'s disk is identical to ${upToDate[0]}'s`);
  if (e.acked) {
    t.ok(e.acked.acked.size > 0, `${e.acked.acked.size} acknowledged writes to check`);
    for (const n of upToDate) t.same(e.acked.lostInFile(e.files.disk(n)).slice(0, 10), [], `no acknowledged write lost on ${n}`);
  }
  const resyncs = resyncStartsSince(e.cluster, e.mark);
  const tooMany = [...resyncs].filter(([pair, n]) => n > (e.reconnects?.[pair] ?? 1)).map(([pair, n]) => `${pair} ×${n}`);
  const resumed = [...resyncStartsSince(e.cluster, e.mark, RESYNC_RESUMED_AS_SOURCE)].map(([p, n]) => `${p} ×${n}`);
  t.same(tooMany, [], `at most one resync per reconnect (resyncs started: ${[...resyncs].map(([p, n]) => `${p} ×${n}`).join(', ') || 'none'}`
    + `${resumed.length > 0 ? `; resumed after a pause: ${resumed.join(', ')}` : ''})`,
    e.resyncCountOpen ? { todo: e.resyncCountOpen } : {});
}
