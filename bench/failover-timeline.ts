// Failover timeline on a real 3-node Pacemaker + Corosync cluster (test/harness/pcmk) with the real
// tandemd in each node: the Promoted node is SIGKILLed in the middle of a write stream, and each
// round records, in ms after the kill, when a survivor's tandemd saw the peer gone, when
// Pacemaker saw the node offline, when pacemaker-execd started the promote, when the survivor's
// tandemd became Primary, and when a write was served again through its NBD export. Each round
// also checks that no acknowledged write was lost. Results are printed and appended to
// bench/RESULTS.md.
//
//   npm run bench:failover [-- --rounds 3 --json]
import { appendFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { killPrimaryDuringWrites, promotedCluster, type FailoverTimeline } from '../test/cluster-scenarios/failover-scenario.js';
import { TandemCluster } from '../test/cluster-scenarios/tandem-cluster.js';

const PHASES: [keyof FailoverTimeline, string][] = [
  ['tandemdDetected', 'tandemd detects'], ['pacemakerDetected', 'Pacemaker: node offline'],
  ['promoteStarted', 'promote action starts'], ['primary', 'survivor Primary'], ['firstWrite', 'first write served'],
];

interface Round extends FailoverTimeline { acked: number; lost: number }

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '3' }, json: { type: 'boolean', default: false },
      results: { type: 'string', default: join(process.cwd(), 'bench', 'RESULTS.md') },
    },
  });
  if (process.getuid?.() !== 0) throw new Error('needs root: network namespaces, corosync and pacemaker');
  const rounds = Number(values.rounds);
  const runs: Round[] = [];
  const load = [loadavg()[0]];
  const started = Date.now();
  for (let i = 0; i < rounds; i++) {
    const eta = i === 0 ? '~90 s a round' : `ETA ${Math.round(((Date.now() - started) / i) * (rounds - i) / 1000)} s`;
    process.stderr.write(`[${i + 1}/${rounds}] 3-node cluster, kill the Promoted node mid-write (${eta})\n`);
    const tc = await TandemCluster.start({ nodes: 3, fencing: 'resource-only', repoRoot: process.cwd() });
    try {
      const out = await killPrimaryDuringWrites(tc, await promotedCluster(tc));
      runs.push({ ...out.timeline, acked: out.ackedTotal, lost: out.lost.length });
      process.stderr.write(`  ${PHASES.map(([k, label]) => `${label} ${out.timeline[k]} ms`).join(', ')}; ${out.lost.length} of ${out.ackedTotal} acknowledged writes lost\n`);
    } finally {
      await tc.stop();
    }
  }
  load.push(loadavg()[0]);
  if (values.json) process.stdout.write(JSON.stringify({ runs }, null, 2) + '\n');
  const report = render(runs, load);
  if (!values.json) process.stdout.write(report + '\n');
  appendFileSync(values.results, report + '\n');
  process.stderr.write(`appended to ${values.results}\n`);
}

function render(runs: Round[], load: number[]): string {
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  return [
    '', `## Failover timeline (bench/failover-timeline.ts, ${new Date().toISOString().slice(0, 16)}Z)`, '',
    `3 nodes in namespaces (corosync token 1000 ms on eth0, tandemd on eth1 with ping-interval 1s / ping-timeout 500ms),`,
    `fencing = resource-only, no STONITH; the Promoted node is SIGKILLed during a 4-writer NBD stream. ms after the kill.`,
    `Load average ${load.map((l) => l.toFixed(2)).join(' → ')} (a shared 2-core VM).`, '',
    `| round | ${PHASES.map(([, l]) => l).join(' | ')} | acknowledged / lost |`,
    `|---|${PHASES.map(() => '---').join('|')}|---|`,
    ...runs.map((r, i) => `| ${i + 1} | ${PHASES.map(([k]) => r[k]).join(' | ')} | ${r.acked} / ${r.lost} |`),
    `| median | ${PHASES.map(([k]) => median(runs.map((r) => Number(r[k])))).join(' | ')} | |`,
  ].join('\n');
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
