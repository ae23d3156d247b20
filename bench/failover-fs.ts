// File-system failover on a real 3-node Pacemaker + Corosync cluster (test/harness/pcmk) with the
// real tandemd in each node: ext4 on /dev/tandem/r0/0 (fuse frontend) mounted by Pacemaker on the
// Promoted node (the configuration `tandem pacemaker config --with-fs` prints), an application
// fsyncing files on it, and the five faults of test/cluster-scenarios/filesystem-failover.test.ts
// each on a fresh cluster. Each row: ms from the fault to the file system mounted again (on which node),
// files acknowledged, whether all of them read back, e2fsck. The STONITH reboot row is the
// machine-failure baseline of the same run (corosync detection, fencing, promotion, mount).
// Results are printed and appended to bench/RESULTS.md.
//
//   npm run bench:failover-fs [-- --json]
import { appendFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { FAULTS, FsFailover, startFsCluster, type Fault, type FaultOutcome } from '../test/cluster-scenarios/filesystem-scenario.js';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      json: { type: 'boolean', default: false },
      results: { type: 'string', default: join(process.cwd(), 'bench', 'RESULTS.md') },
    },
  });
  if (process.getuid?.() !== 0) throw new Error('needs root: network namespaces, corosync, pacemaker, FUSE and loop devices');
  const load = [loadavg()[0]];
  const root = process.cwd();
  // one fresh cluster per fault: a round that goes wrong does not take the next ones with it
  const rows: Array<FaultOutcome | { fault: Fault; error: string }> = [];
  for (const [i, fault] of FAULTS.entries()) {
    process.stderr.write(`[${i + 1}/${FAULTS.length}] 3-node cluster, ext4 on /dev/tandem/r0/0, ${fault} (~3 minutes)\n`);
    const tc = await startFsCluster({ repoRoot: root });
    try {
      const fs = new FsFailover(tc, join(root, 'test/cluster-scenarios/fixtures/fs-writer.mjs'));
      await fs.setUp();
      const o = await fs.run(fault);
      rows.push(o);
      process.stderr.write(`  ${o.from} → ${o.to}: mounted after ${o.faultToMountedMs} ms, ${o.acked} files acknowledged, ${o.damaged ? 'DAMAGED' : 'all intact'}, e2fsck ${o.fsckExit}${o.backProblem ? `; not back: ${o.backProblem}` : ''}\n`);
    } catch (err) {
      rows.push({ fault, error: err instanceof Error ? err.message.split('\n')[0] : String(err) });
      process.stderr.write(`  failed: ${rows.at(-1)!.error}\n`);
    } finally {
      await tc.stop();
    }
  }
  load.push(loadavg()[0]);
  if (values.json) process.stdout.write(JSON.stringify({ rows }, null, 2) + '\n');
  const report = render(rows, load);
  if (!values.json) process.stdout.write(report + '\n');
  appendFileSync(values.results, report + '\n');
  process.stderr.write(`appended to ${values.results}\n`);
}

function render(rows: Array<FaultOutcome | { fault: Fault; error: string }>, load: number[]): string {
  const done = rows.filter((r): r is FaultOutcome => !('error' in r));
  const stonith = done.find((r) => r.fault === 'STONITH reboot')?.faultToMountedMs;
  return [
    '', `## File-system failover (bench/failover-fs.ts, ${new Date().toISOString().slice(0, 16)}Z)`, '',
    `3 nodes in namespaces (corosync token 1000 ms on eth0; tandemd on eth1, ping-interval 1s / ping-timeout 2s), quorum = majority,`,
    `on-no-quorum = io-error, fencing = resource-only, simulated STONITH (a crashed node goes silent; a rebooted one stays away 15 s);`,
    `ext4 on /dev/tandem/r0/0 (32 MiB) through the fuse frontend (nbdfuse + loop), mounted by ocf:heartbeat:Filesystem in the group`,
    `\`tandem pacemaker config --with-fs\` prints; a writer fsyncs 16 KiB files. One fresh cluster per fault. ${cpus().length} CPUs; load average`,
    `${load.map((l) => l.toFixed(2)).join(' → ')} (a shared VM: every agent call is a node process, and Pacemaker throttles its actions above`,
    `its load threshold). Ratio: fault to mounted against the STONITH reboot row of this run (the machine-failure baseline).`, '',
    '| fault on the Promoted node | from → to | fault to mounted, ms | vs STONITH reboot | acknowledged files | all intact | e2fsck -fn | node back | constraints left | clone on |',
    '|---|---|---:|---:|---:|---|---:|---|---|---|',
    ...rows.map((r) => ('error' in r
      ? `| ${r.fault} | – | failed: ${r.error.replace(/\|/g, '/')} | | | | | | | |`
      : `| ${r.fault} | ${r.from} → ${r.to} | ${r.faultToMountedMs} | ${stonith ? (r.faultToMountedMs / stonith).toFixed(2) : '–'} | ${r.acked} | ${r.damaged ? 'no' : 'yes'} | ${r.fsckExit} | ${r.backProblem ? `no: ${r.backProblem.replace(/\|/g, '/')}; ${r.afterResolve === null ? 'back after split-brain resolve' : `not even after split-brain resolve: ${r.afterResolve.replace(/\|/g, '/')}`}` : 'yes'} | ${r.constraintsLeft.join(', ') || 'none'} | ${r.cloneRunningOn.length} nodes |`)),
  ].join('\n');
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
