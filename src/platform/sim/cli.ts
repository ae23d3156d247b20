// `npm run sim`: run seeds of the simulator and report.
//
//   --seeds N            run N seeds (consecutive from --seed, or from a random start)
//   --seed S             the first (or only) seed
//   --nodes K            every scenario has K nodes (2–5)
//   --budget-seconds T   run fresh random seeds for T seconds (CI); prints every seed it ran
//   --jobs N             run seeds on N worker threads (each seed still runs alone, deterministic)
//   --json               the last line is {"seeds", "events", "violations": [{seed, checker, message}]}
//   --trace-hash         print the hash of each seed's whole event trace (determinism)
//   --cut K              play only the first K actions of the schedule
//   --actions 0-12,15    play only these actions of the schedule (a shrunk replay)
//   --trace              print the seed's whole trace
//   --no-shrink          report a failing seed without shrinking it
//   --scenario FILE      replay a stored scenario (--save) with the seed's randomness
//   --save FILE          write the scenario played (the selected actions only) as JSON, for a
//                        regression test (test/platform/sim/regressions/)
//   --save-shrunk DIR    write each failing seed's shrunk scenario to DIR/seed-<S>-<checker>.json
//
// A failing seed is shrunk to the shortest failing prefix of its schedule; its trace and the
// command that replays it are printed. The exit status is 1 when any seed failed.
import { randomInt } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { Worker, parentPort, workerData } from 'node:worker_threads';
import type { EngineFactory } from './engine.js';
import { parseStoredScenario, type Scenario } from './workload.js';
import { describeScenario, formatRanges, parseRanges, runSeed, shrink, type RunResult } from './runner.js';

interface CliOptions {
  seeds: number;
  seed: number | null;
  nodes?: number;
  budgetSeconds: number | null;
  json: boolean;
  traceHash: boolean;
  cut?: number;
  keep?: number[];
  trace: boolean;
  shrink: boolean;
  save?: string;
  saveShrunk?: string;
  scenario?: Scenario;
  scenarioFile?: string;
  jobs: number;
}

export function parseArgs(argv: string[]): CliOptions {
  const opts: CliOptions = { seeds: 1, seed: null, budgetSeconds: null, json: false, traceHash: false, trace: false, shrink: true, jobs: 1 };
  const int = (i: number, name: string): number => {
    const v = Number(argv[i + 1]);
    if (!Number.isSafeInteger(v) || v < 0) throw new Error(`${name} needs a non-negative integer, got '${argv[i + 1] ?? ''}'`);
    return v;
  };
  let seedsGiven = false;
  for (let i = 0; i < argv.length; i++) {
    switch (argv[i]) {
      case '--seeds': opts.seeds = int(i++, '--seeds'); seedsGiven = true; break;
      case '--seed': opts.seed = int(i++, '--seed'); break;
      case '--nodes': {
        const k = int(i++, '--nodes');
        if (k < 2 || k > 5) throw new Error(`--nodes must be 2 to 5, got ${k}`);
        opts.nodes = k;
        break;
      }
      case '--budget-seconds': opts.budgetSeconds = int(i++, '--budget-seconds'); break;
      case '--jobs': opts.jobs = Math.max(1, int(i++, '--jobs')); break;
      case '--cut': opts.cut = int(i++, '--cut'); break;
      case '--actions': opts.keep = parseRanges(argv[++i] ?? ''); break;
      case '--json': opts.json = true; break;
      case '--trace-hash': opts.traceHash = true; break;
      case '--trace': opts.trace = true; break;
      case '--no-shrink': opts.shrink = false; break;
      case '--save': opts.save = argv[++i]; break;
      case '--save-shrunk': opts.saveShrunk = argv[++i]; break;
      case '--scenario':
        opts.scenarioFile = argv[++i] ?? '';
        opts.scenario = parseStoredScenario(readFileSync(opts.scenarioFile, 'utf8'));
        break;
      default: throw new Error(`unknown argument '${argv[i]}' (see src/platform/sim/cli.ts for the options)`);
    }
  }
  if (!seedsGiven && opts.seed !== null) opts.seeds = 1;
  return opts;
}

export interface Summary {
  seeds: number;
  events: number;
  violations: Array<{ seed: number; checker: string; message: string }>;
}

/** What one seed produced: the lines to print, and its part of the summary. */
interface SeedOutcome {
  seed: number;
  events: number;
  violations: Summary['violations'];
  lines: string[];
}

/** Run one seed (and, when it fails, shrink and describe it); printing is left to the caller. */
async function runOne(seed: number, opts: CliOptions, factory: EngineFactory): Promise<SeedOutcome> {
  const lines: string[] = [];
  const say = (line: string): void => { if (!opts.json) lines.push(line); };
  const result = await runSeed({ seed, factory, nodes: opts.nodes, cut: opts.cut, keep: opts.keep, scenario: opts.scenario, traceKeep: opts.trace ? Infinity : 2000 });
  if (opts.save) writeFileSync(opts.save, JSON.stringify(playedScenario(result, opts.keep ?? null, opts.cut), null, 1) + '\n');
  if (opts.traceHash) lines.push(`seed ${seed} trace-hash ${result.traceHash}`);
  if (opts.trace) lines.push(...result.trace);
  const violations = result.violations.map((v) => ({ seed, checker: v.checker, message: v.message }));
  if (violations.length === 0) {
    if (!opts.traceHash) say(`seed ${seed}: ok (${result.events} events, ${(result.simulatedMs / 1000).toFixed(1)} s simulated, ${result.stats.acked} writes acknowledged)`);
  } else {
    await reportFailure(result, opts, factory, say);
  }
  return { seed, events: result.events, violations, lines };
}

export interface CliEnvironment {
  /** print one line */
  out?: (line: string) => void;
  /** the module that runs seeds on a worker thread (runWorker), for --jobs above 1 */
  workerUrl?: URL;
}

export async function runCli(argv: string[], factory: EngineFactory, env: CliEnvironment = {}): Promise<number> {
  const out = env.out ?? ((l: string) => process.stdout.write(l + '\n'));
  let opts: CliOptions;
  try {
    opts = parseArgs(argv);
  } catch (err) {
    out(`error: ${(err as Error).message}`);
    return 2;
  }
  const summary: Summary = { seeds: 0, events: 0, violations: [] };
  const started = performance.now();
  const first = opts.seed ?? randomInt(0, 2 ** 31);
  const ran: number[] = [];
  let index = 0;
  /** the next seed to run, or null when the count or the time budget is used up */
  const nextSeed = (): number | null => {
    if (opts.budgetSeconds !== null ? performance.now() - started >= opts.budgetSeconds * 1000 : index >= opts.seeds) return null;
    const seed = opts.budgetSeconds !== null && opts.seed === null ? randomInt(0, 2 ** 31) : (first + index) >>> 0;
    index++;
    ran.push(seed);
    return seed;
  };
  const record = (o: SeedOutcome): void => {
    summary.seeds++;
    summary.events += o.events;
    summary.violations.push(...o.violations);
    for (const line of o.lines) out(line);
  };
  const jobs = Math.max(1, Math.min(opts.jobs, opts.budgetSeconds === null ? opts.seeds : opts.jobs));
  if (jobs > 1 && env.workerUrl) {
    await runOnWorkers(env.workerUrl, argv, jobs, nextSeed, record);
  } else {
    for (let seed = nextSeed(); seed !== null; seed = nextSeed()) record(await runOne(seed, opts, factory));
  }
  summary.violations.sort((a, b) => a.seed - b.seed);
  const seconds = (performance.now() - started) / 1000;
  const say = (line: string): void => { if (!opts.json) out(line); };
  if (opts.budgetSeconds !== null) out(`seeds run: ${ran.join(' ')}`); // also with --json: any budget run can be replayed
  say(`${summary.seeds} seeds, ${summary.events} events, ${summary.violations.length} violations in ${seconds.toFixed(1)} s on ${jobs} thread${jobs > 1 ? 's' : ''} `
    + `(${(summary.seeds / (seconds / 60)).toFixed(0)} seeds/min, ${summary.seeds > 0 ? Math.round(summary.events / summary.seeds) : 0} events/seed)`);
  if (opts.json) out(JSON.stringify(summary));
  return summary.violations.length > 0 ? 1 : 0;
}

/** Hand seeds to `jobs` worker threads as they become free; each seed's outcome comes back whole. */
async function runOnWorkers(url: URL, argv: string[], jobs: number, nextSeed: () => number | null, record: (o: SeedOutcome) => void): Promise<void> {
  await Promise.all(Array.from({ length: jobs }, () => new Promise<void>((resolve, reject) => {
    const worker = new Worker(url, { workerData: { argv } });
    const feed = (): void => {
      const seed = nextSeed();
      if (seed === null) { void worker.terminate().then(() => resolve()); return; }
      worker.postMessage(seed);
    };
    worker.on('message', (o: SeedOutcome | 'ready') => {
      if (o !== 'ready') record(o);
      feed();
    });
    worker.on('error', reject);
  })));
}

/** The worker side of --jobs: run the seeds the main thread sends, answer with their outcome. */
export function runWorker(factory: EngineFactory): void {
  const opts = parseArgs((workerData as { argv: string[] }).argv);
  const port = parentPort!;
  port.on('message', (seed: number) => {
    void runOne(seed, opts, factory).then((o) => port.postMessage(o));
  });
  port.postMessage('ready');
}

/** The scenario as played: only the selected actions, so that it replays without --actions. */
function playedScenario(result: RunResult, keep: number[] | null, cut: number | undefined): Scenario {
  const all = result.scenario.actions;
  const indexes = keep ?? [...Array(Math.min(all.length, cut ?? all.length)).keys()];
  return { ...result.scenario, actions: indexes.filter((i) => i < all.length).map((i) => all[i]) };
}

async function reportFailure(result: RunResult, opts: CliOptions, factory: EngineFactory, say: (line: string) => void): Promise<void> {
  const first = result.violations[0];
  say(`seed ${result.seed}: ${result.violations.length} violation(s); first: ${first.checker}: ${first.message}`);
  say(`  scenario: ${describeScenario(result.scenario)}`);
  let selection = opts.keep ? `--actions ${formatRanges(opts.keep)}` : opts.cut !== undefined ? `--cut ${opts.cut}` : '';
  let shown = result;
  if (opts.shrink && opts.cut === undefined && opts.keep === undefined) {
    const shrunk = await shrink({ seed: result.seed, factory, nodes: opts.nodes, scenario: opts.scenario }, first.checker, result.actions);
    selection = shrunk.keep.length === 0 ? '--cut 0' : `--actions ${formatRanges(shrunk.keep)}`;
    shown = shrunk.result;
    if (opts.saveShrunk) {
      const file = `${opts.saveShrunk}/seed-${result.seed}-${first.checker}.json`;
      writeFileSync(file, JSON.stringify(playedScenario(result, shrunk.keep, undefined), null, 1) + '\n');
      say(`  shrunk scenario: ${file} (replay: --seed ${result.seed} --scenario ${file})`);
    }
    say(`  shrunk: ${shrunk.keep.length} of ${result.actions} actions still fail ${first.checker}`);
  }
  if (!opts.trace) {
    // the readable part: what the world did and what the engines said, not every message
    const story = shown.trace.filter((line) => / \| | action #/.test(line));
    say(`  what happened (${story.length} lines; --trace prints every event):`);
    for (const line of story.slice(-150)) say(`    ${line}`);
  }
  say(`  replay: npm run sim -- --seed ${result.seed}${opts.scenarioFile ? ` --scenario ${opts.scenarioFile}` : ''}${opts.nodes ? ` --nodes ${opts.nodes}` : ''}${selection ? ` ${selection}` : ''} --trace`);
}
