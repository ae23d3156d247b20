// The checkers can fail: a small engine with one planted mistake is caught by the checker meant
// for it, and the same run without the mistake passes (so the checker does not simply fire).
// The runs are fault-free I/O schedules: whatever fires comes from the planted mistake.
import t from 'tap';
import { runSeed } from '../../../src/platform/sim/runner.js';
import { generateScenario, type Scenario } from '../../../src/platform/sim/workload.js';
import { MirrorEngine, type MirrorBugs } from './fixtures/mirror-engine.js';

function ioOnly(seed: number, protocol: 'A' | 'B' | 'C'): Scenario {
  const s = generateScenario(seed, { nodes: 3 });
  s.config = { ...s.config, protocol, nodes: s.config.nodes.map((n) => ({ ...n, volumes: n.volumes.map((v) => ({ ...v, disk: v.disk ?? `/sim/${n.name}/disk${v.index}`, meta: v.meta ?? { kind: 'pmem', path: `/sim/${n.name}/meta${v.index}` } })) })) };
  s.actions = s.actions.filter((a) => a.kind === 'io').slice(0, 120);
  s.activeMs = Math.min(s.activeMs, (s.actions.at(-1)?.at ?? 0) + 100);
  return s;
}

async function run(seed: number, protocol: 'A' | 'B' | 'C', bugs: MirrorBugs) {
  const scenario = ioOnly(seed, protocol);
  const r = await runSeed({ seed, scenario, factory: (c, n, p) => new MirrorEngine(c, n, p, bugs) });
  return { checkers: [...new Set(r.violations.map((v) => v.checker))], r };
}

t.test('without a planted mistake, fault-free runs of the small engine pass every checker', async (t) => {
  for (const seed of [1, 2, 3]) {
    const { checkers, r } = await run(seed, 'C', {});
    t.same(checkers, [], `seed ${seed}: ${r.violations.map((v) => v.message).join(' / ')}`);
    t.ok(r.stats.acked > 20, `seed ${seed}: ${r.stats.acked} writes acknowledged`);
  }
});

t.test('protocol C acknowledged before the peers confirmed: claim-up-to-date catches it', async (t) => {
  const { checkers } = await run(1, 'C', { ackBeforePeers: true });
  t.ok(checkers.includes('claim-up-to-date'), `fired: ${checkers.join(', ')}`);
});

t.test('a connecting peer never copied to: the cluster never converges, and the checker says so', async (t) => {
  const { checkers } = await run(2, 'C', { skipSync: true });
  t.ok(checkers.includes('convergence'), `fired: ${checkers.join(', ')}`);
});

t.test('the same seed replays the same trace; another seed does not', async (t) => {
  const a = await run(3, 'C', {});
  const b = await run(3, 'C', {});
  const c = await run(4, 'C', {});
  t.equal(a.r.traceHash, b.r.traceHash);
  t.equal(a.r.events, b.r.events);
  t.not(a.r.traceHash, c.r.traceHash);
});
