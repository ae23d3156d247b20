// Issue 8, defect 5: no path calls a node UpToDate before it is (the plain resync case is in
// no-early-uptodate-resync.test.ts).
// A rejoining node (3 nodes, fencing resource-only: c was away while a wrote 48 MiB, then
// resyncs at 8 MiB/s from one peer) is not called UpToDate by either peer while it resyncs, and
// a fence-peer handler run meanwhile (b is killed during c's resync) does not count c in
// UP_TO_DATE_NODES, nor the peer it fences. The handlers are recording scripts
// (TANDEM_HANDLER_DIR); fence-peer answers 4 (peer outdated), unfence-peer 0.
// b is then restarted and resyncs too; no peer and no handler run until everything converged (the
// unfence-peer run included) may count it UpToDate before it is. And when c itself first says
// UpToDate after its resync, its disk holds what it missed.
// Status is sampled from the control socket (what `tandem status --json` prints) many times a
// second; a's events are checked for the same contradiction.
// Assumptions: a killed node is not UpToDate from its kill until its own status says so after
// the restart; a handler's run time is when the script starts; a handler run is early only if
// the node's own status said "not UpToDate" both before it and SAME_MOMENT_MS after it (the two
// ends of a resync switch to UpToDate within milliseconds of each other, as DRBD's do).
import t from 'tap';
import { execa } from 'execa';
import { mkdirSync, readFileSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { EventLog } from '../cluster-scenarios/acked-writes.js';
import { TestCluster } from '../helpers/daemons.js';
import { printLogsOnFailure } from '../helpers/daemon-log.js';
import { disturbedWithin, waitConverged } from '../helpers/convergence.js';
import { restartAndUp } from '../helpers/crash-recovery.js';
import { writeResource } from '../helpers/resource-config.js';
import { bringUp, promoteAndSync } from '../helpers/scenario.js';
import { UpToDateClaims } from '../helpers/uptodate-claims.js';
import { readRange, waitFor } from '../helpers/wait.js';
import { controlSocketOf, statusViaSocket } from '../helpers/control-socket.js';

const MiB = 1024 * 1024;

/**
 * The SyncSource's last acknowledgement and the target's own switch to UpToDate are one moment
 * seen from two processes (in DRBD too they race by a few milliseconds): a handler started within
 * this long before the node itself says UpToDate is not counted as calling it UpToDate early.
 */
const SAME_MOMENT_MS = 200;
/** c misses MiB i (0..47) written with pattern i + 1 while it is away */
const MISSED_MIB = 48;

/** The missed MiB that `disk` does not hold yet. */
function missedRangesOn(disk: string): number[] {
  const wrong: number[] = [];
  for (let i = 0; i < MISSED_MIB; i++) if (!readRange(disk, i * MiB, MiB).equals(Buffer.alloc(MiB, i + 1))) wrong.push(i);
  return wrong;
}

t.test('3 nodes: a rejoining node is not UpToDate anywhere, nor to a fence handler, until it is', async (t) => {
  const cluster = new TestCluster('tandem-early3-');
  t.teardown(() => cluster.destroy());
  printLogsOnFailure(t, cluster);
  const handlers = recordingHandlers(cluster.root);
  const previousHandlerDir = process.env.TANDEM_HANDLER_DIR;
  process.env.TANDEM_HANDLER_DIR = handlers.dir; // inherited by the daemons started below
  t.teardown(() => { process.env.TANDEM_HANDLER_DIR = previousHandlerDir; });
  const nodes = ['a', 'b', 'c'];
  const files = await writeResource(cluster, { name: 'e3', nodes, sizeBytes: 128 * MiB, fencing: 'resource-only', extra: ['resync-rate = 8M'] });
  await bringUp(cluster, 'e3', nodes);
  await promoteAndSync(cluster, 'e3', 'a', ['b', 'c'], 60_000);
  const aEvents = await new EventLog(controlSocketOf(cluster, 'a')).open();
  t.teardown(() => aEvents.stop());
  const claims = new UpToDateClaims(cluster, 'e3');

  const cKilledAt = Date.now();
  await cluster.kill('c');
  claims.down('c', cKilledAt);
  await waitFor(cluster, 'a', 'e3', 'c lost', (s) => s.connections.find((x) => x.peer === 'c')!.connectionState !== 'Connected', 20_000);
  const big = await execa('qemu-io', ['-f', 'raw', ...Array.from({ length: MISSED_MIB }, (_, i) => ['-c', `write -P ${i + 1} ${i * MiB} 1M`]).flat(), `nbd:unix:${files.socket('a')}`]);
  t.equal(big.exitCode, 0, '48 MiB written while c is away');

  await restartAndUp(cluster, 'c', 'e3');
  let bKilledAt = 0;
  let cSyncing = false;
  let deadline = Date.now() + 90_000;
  for (;;) {
    await claims.sample(bKilledAt ? ['a'] : ['a', 'b'], ['c']);
    const c = await statusViaSocket(cluster, 'c', 'e3');
    cSyncing ||= c.connections.some((x) => x.volumes[0].replicationState === 'SyncTarget');
    if (cSyncing && !bKilledAt) {
      // between two sampling rounds: b's loss makes a run fence-peer while c resyncs
      await cluster.kill('b');
      bKilledAt = Date.now();
      claims.down('b', bKilledAt);
      t.comment('b killed while c resyncs');
    }
    if (cSyncing && c.volumes[0].diskState === 'UpToDate') {
      t.same(missedRangesOn(files.disk('c')), [], 'when c first says UpToDate after its resync, it holds the 48 MiB it missed');
      break;
    }
    if (Date.now() > deadline) break;
    await sleep(20);
  }
  t.ok(bKilledAt > 0, `c was seen SyncTarget and b was killed during its resync (${claims.samples} samples)`);
  const cDoneAt = Date.now();

  // b comes back and resyncs in turn; sample until everything converged
  await restartAndUp(cluster, 'b', 'e3');
  deadline = Date.now() + 60_000;
  let converged = false;
  while (!converged && Date.now() < deadline) {
    await claims.sample(['a', 'c'], ['b', 'c']);
    converged = await waitConverged(cluster, 'e3', nodes, 1).then(() => true, () => false);
  }
  t.ok(converged, 'all three converged within 60 s of b\'s restart');
  // and stay so (an unfence-peer run right after convergence is recorded meanwhile)
  const noise = converged ? await disturbedWithin(cluster, 'e3', nodes, 5_000) : 'not converged';
  t.equal(noise, null, `converged for 5 s: no connection lost, no resync (${noise ?? 'so it was'})`);
  await claims.sample(['a', 'c'], ['b', 'c']);

  const runs = handlers.runs();
  t.ok(runs.some((r) => r.handler === 'fence-peer' && r.peer === '1' && r.at < cDoneAt), 'a ran fence-peer for b while c was still resyncing');
  for (const r of runs) {
    const named = r.upToDate.split(',').filter(Boolean);
    const wrong = ['b', 'c'].filter((n) => named.includes(n) && claims.surelyNotUpToDate(n, r.at, SAME_MOMENT_MS));
    t.same(wrong, [], `${r.handler} (peer ${r.peer || '-'}) at +${r.at - cKilledAt} ms counts as UpToDate only nodes that are: ${r.upToDate} (mask ${r.mask})`);
    if (r.handler === 'fence-peer') t.notOk(named.includes(nodes[Number(r.peer)]), `fence-peer does not count the peer it fences (${nodes[Number(r.peer)]}) as UpToDate`);
    const maskNames = nodes.filter((_, id) => (Number(r.mask) >>> id) & 1);
    t.same(maskNames, named, 'UP_TO_DATE_NODES names the same nodes as TANDEM_UP_TO_DATE_NODES');
  }
  claims.checkEvents('a', aEvents.events);
  t.same(claims.violations.slice(0, 10), [], 'no peer called b or c UpToDate while it was not');
});

interface HandlerRun { handler: string; at: number; peer: string; upToDate: string; mask: string }

/** fence-peer (exit 4: peer outdated) and unfence-peer (exit 0) that record each run as a JSON line. */
function recordingHandlers(root: string): { dir: string; runs(): HandlerRun[] } {
  const dir = join(root, 'handlers');
  mkdirSync(dir);
  const record = join(dir, 'runs.jsonl');
  const script = (name: string, exit: number): string => `#!/bin/sh
printf '{"handler":"%s","at":%s,"peer":"%s","upToDate":"%s","mask":"%s"}\\n' ${name} "$(date +%s%3N)" "$DRBD_PEER_NODE_ID" "$TANDEM_UP_TO_DATE_NODES" "$UP_TO_DATE_NODES" >> ${record}
exit ${exit}
`;
  writeFileSync(join(dir, 'tandem-fence-peer'), script('fence-peer', 4), { mode: 0o755 });
  writeFileSync(join(dir, 'tandem-unfence-peer'), script('unfence-peer', 0), { mode: 0o755 });
  return {
    dir,
    runs: () => (existsSync(record) ? readFileSync(record, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as HandlerRun) : []),
  };
}
