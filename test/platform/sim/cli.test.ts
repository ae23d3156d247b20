// `npm run sim`'s command line: --json ends with one JSON object of the agreed shape, --trace-hash
// repeats for a seed, a failing seed is shrunk and its replay command printed, bad arguments are
// refused with exit status 2.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { runCli } from '../../../src/platform/sim/cli.js';
import type { EngineFactory } from '../../../src/platform/sim/engine.js';
import { generateScenario } from '../../../src/platform/sim/workload.js';
import { MirrorEngine } from './fixtures/mirror-engine.js';

const mirror: EngineFactory = (c, n, p) => new MirrorEngine(c, n, p);
const buggy: EngineFactory = (c, n, p) => new MirrorEngine(c, n, p, { ackBeforePeers: true });

async function cli(argv: string[], factory = mirror): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const code = await runCli(argv, factory, { out: (l) => lines.push(l) });
  return { code, lines };
}

t.test('--json: the last line is {"seeds", "events", "violations": [{seed, checker, message}]}', async (t) => {
  const { lines } = await cli(['--seeds', '2', '--seed', '10', '--nodes', '2', '--json', '--no-shrink']);
  const summary = JSON.parse(lines.at(-1)!) as { seeds: number; events: number; violations: Array<Record<string, unknown>> };
  t.equal(summary.seeds, 2);
  t.ok(summary.events > 0);
  t.ok(Array.isArray(summary.violations));
  for (const v of summary.violations) t.same(Object.keys(v).sort(), ['checker', 'message', 'seed']);
  t.equal(lines.length, 1, 'nothing but the summary with --json');
});

t.test('--trace-hash: the same seed prints the same hash every run', async (t) => {
  const a = await cli(['--seed', '7', '--trace-hash', '--no-shrink']);
  const b = await cli(['--seed', '7', '--trace-hash', '--no-shrink']);
  const hash = (lines: string[]) => lines.find((l) => l.startsWith('seed 7 trace-hash '));
  t.match(hash(a.lines), /^seed 7 trace-hash [0-9a-f]{16}$/);
  t.equal(hash(a.lines), hash(b.lines));
});

t.test('a failing seed is shrunk, described, and its replay command printed; exit status 1', async (t) => {
  // fault-free I/O on a 3-node cluster: the only thing that can fail is the planted mistake
  const scenario = generateScenario(1, { nodes: 3 });
  scenario.config = { ...scenario.config, protocol: 'C' };
  scenario.actions = scenario.actions.filter((a) => a.kind === 'io').slice(0, 60);
  const file = join(t.testdir(), 'scenario.json');
  writeFileSync(file, JSON.stringify(scenario));
  const { code, lines } = await cli(['--seed', '1', '--scenario', file], buggy);
  t.equal(code, 1);
  t.ok(lines.some((l) => /^seed 1: \d+ violation\(s\); first: claim-up-to-date/.test(l)), lines.slice(0, 3).join(' / '));
  t.ok(lines.some((l) => /shrunk: \d+ of 60 actions still fail claim-up-to-date/.test(l)));
  const replay = lines.find((l) => l.includes('replay: npm run sim -- --seed 1'));
  t.match(replay, new RegExp(`--seed 1 --scenario ${file} (--actions [\\d,-]+|--cut 0) --trace`));
});

t.test('bad arguments: a clear error and exit status 2', async (t) => {
  for (const argv of [['--nodes', '7'], ['--seeds', 'x'], ['--frobnicate']]) {
    const { code, lines } = await cli(argv);
    t.equal(code, 2, argv.join(' '));
    t.match(lines[0], /^error: /);
  }
});
