// One seed, start to verdict: build the scenario and the world, start the cluster, play the
// schedule (cut after `cut` actions when shrinking), then quiescence: faults heal, writes stop,
// crashed nodes restart, the operator does what an operator must (connect a node held after a
// crash, attach a failed disk, resolve a split brain that an operator's takeover caused), and
// every diskful node must be UpToDate and Established with every peer within the bound. Then
// the quiescence checkers run. A failing seed is shrunk to the shortest prefix of its schedule
// that still fails the same checker.
import type { EngineFactory } from './engine.js';
import { Faults, isQuiet } from './faults.js';
import { stringify } from './platform.js';
import { WORLD } from './scheduler.js';
import { generateScenario, type Action, type Scenario } from './workload.js';
import type { SimNode } from './node.js';
import { MAIN_SIDE, SimWorld, type Violation } from './world.js';

/** Simulated time the cluster gets to converge once faults heal and writes stop. */
export const CONVERGENCE_BOUND_MS = 120_000;
/** How long the sides of a forced split get to meet before the operator looks. */
const SPLIT_SETTLE_MS = 10_000;

export interface RunOptions {
  seed: number;
  factory: EngineFactory;
  nodes?: number;
  /** play only the first `cut` actions of the schedule */
  cut?: number;
  /** play only these actions of the schedule (indexes; a shrunk replay) */
  keep?: number[];
  /** trace lines to keep for the report (Infinity: all) */
  traceKeep?: number;
  /** run this scenario instead of the one the seed generates (a stored regression) */
  scenario?: Scenario;
}

export interface RunResult {
  seed: number;
  events: number;
  violations: Violation[];
  traceHash: string;
  trace: string[];
  actions: number;
  simulatedMs: number;
  scenario: Scenario;
  stats: { acked: number; reads: number; skipped: number; failed: number };
}

let current: SimWorld | null = null;
let listening = false;

/** Promises the engine rejected with nobody listening: a violation of the seed that runs. */
function listenForUnhandledRejections(): void {
  if (listening) return;
  listening = true;
  process.on('unhandledRejection', (reason) => current?.engineError(reason, 'unhandled rejection'));
}

export async function runSeed(opts: RunOptions): Promise<RunResult> {
  listenForUnhandledRejections();
  const scenario = opts.scenario ? storedScenario(opts.scenario) : generateScenario(opts.seed, { nodes: opts.nodes });
  const indexes = selectedActions(scenario.actions.length, opts);
  const actions = indexes.map((i) => scenario.actions[i]);
  const world = new SimWorld(scenario, opts.factory, { traceKeep: opts.traceKeep });
  current = world;
  try {
    world.note(`seed ${opts.seed}: ${describeScenario(scenario)}; ${actions.length} of ${scenario.actions.length} actions`);
    const faults = new Faults(world);
    await world.setup();
    const t0 = world.now();
    actions.forEach((a, i) => world.scheduler.at(t0 + a.at, WORLD, 'action', `#${indexes[i]} ${describeAction(a)}`, () => faults.apply(a)));
    await world.scheduler.run(t0 + scenario.activeMs);
    await quiesce(world, faults);
    await drain();
    return {
      seed: opts.seed,
      events: world.scheduler.events,
      violations: world.violations,
      traceHash: world.scheduler.trace.hash(),
      trace: world.scheduler.trace.tail(),
      actions: actions.length,
      simulatedMs: world.now(),
      scenario,
      stats: { acked: world.client.stats.acked, reads: world.client.stats.reads, skipped: world.client.stats.skipped, failed: world.client.stats.failed },
    };
  } finally {
    current = null;
  }
}

/** Faults heal and writes stop; the cluster must converge; then the quiescence checks. */
async function quiesce(w: SimWorld, faults: Faults): Promise<void> {
  w.client.stopped = true;
  w.note('quiescence: faults heal, writes stop, crashed nodes restart');
  faults.healAll();
  for (const n of w.nodes) w.startNode(n, !w.scenario.autoResync);
  w.note(`quiescence: ${w.models.size} side(s) of the data`);
  if (w.models.size > 1) await settleSplit(w);
  const lastAction = new Map<string, number>();
  const act = (key: string, fn: () => void): void => {
    if ((lastAction.get(key) ?? -Infinity) > w.now() - 2000) return;
    lastAction.set(key, w.now());
    fn();
  };
  let nextCrm = w.now();
  const converged = await w.runUntil(() => {
    if (isConverged(w)) return true;
    operatorFixes(w, act);
    if (w.now() >= nextCrm) { nextCrm = w.now() + 1000; void w.crm.evaluate(); }
    return false;
  }, CONVERGENCE_BOUND_MS, 250);
  if (!converged) {
    w.violation('convergence', `not converged ${CONVERGENCE_BOUND_MS / 1000} s after faults healed and writes stopped: `
      + `${w.nodes.map((n) => n.describe()).join(' | ')}${w.client.busy ? ' | client requests still in flight' : ''}`);
    w.checkers.quiescent(); // the nodes that call themselves UpToDate must still hold the data
    return;
  }
  // let in-flight traffic and disk writes finish before comparing (under A and B a Secondary may
  // still be writing what the Primary acknowledged long ago)
  await w.runUntil(() => isQuiet(w), 30_000);
  w.note('quiescence: converged');
  w.checkers.quiescent();
  w.checkers.quietMoment();
}

/**
 * After an operator's takeover: the sides meet again. Both wrote: the split brain must be
 * detected, and neither side's writes may be gone before the operator chooses. Then the
 * operator keeps the side that did not take over (split-brain resolve --keep on every node).
 */
async function settleSplit(w: SimWorld): Promise<void> {
  await w.runUntil(() => false, SPLIT_SETTLE_MS, 250);
  const sides = [...w.models.keys()];
  const bothWrote = sides.every((s) => (w.checkers.sideWrites.get(s) ?? 0) > 0);
  if (bothWrote && w.checkers.sidesMet && w.checkers.splitBrains.length === 0) {
    w.violation('split-brain-undetected', `both sides of the takeover acknowledged writes (${sides.map((s) => `${s}: ${w.checkers.sideWrites.get(s)}`).join(', ')}) `
      + `and no split brain was reported once they met: ${w.nodes.map((n) => n.describe()).join(' | ')}`);
  }
  for (const side of sides) {
    if ((w.checkers.sideWrites.get(side) ?? 0) === 0) continue;
    const members = w.nodes.filter((n) => n.diskful && w.sideOf.get(n.name) === side);
    const model = w.models.get(side)!;
    const problems = members.map((n) => [...Array(model.volumes.length).keys()].flatMap((v) => w.checkers.compareWithModel(n.disk(v)!, v, model).map((p) => `${n.name} volume ${v} ${p}`)));
    if (!problems.some((p) => p.length === 0)) {
      w.violation('split-brain-discarded', `side ${side}'s acknowledged writes are held by none of its nodes (${members.map((n) => n.name).join(', ')}) before an operator chose: ${problems.map((p) => p[0]).join('; ')}`);
    }
  }
  // split-brain resolve r0 --keep <keeper>, on every node
  // keep the side that did not take over, unless its disk is not usable any more (then the other),
  // or unless it acknowledged nothing since the fork: then keep the side that took over. Nothing
  // acknowledged is lost either way, and the takeover's generation (made at its primary --force)
  // is the newer one: an old Primary that never started a generation of its own (every write
  // frozen by a fence that failed) has the takeover's ancestor as its current, so the handshake
  // makes it the SyncTarget, no split brain, and --discard-my-data on the other side cannot make
  // it the source (DRBD applies it to split brains only); kept, it refused forever to become a
  // SyncTarget while Primary (seed 700000982)
  const usable = (n: SimNode): boolean => n.diskful && (n.status()?.volumes.every((v) => !['Inconsistent', 'Failed', 'Diskless', 'Attaching'].includes(v.diskState)) ?? false);
  const wrote = (side: string): boolean => (w.checkers.sideWrites.get(side) ?? 0) > 0;
  const tookOver = sides.find((s) => s !== MAIN_SIDE && wrote(s)) ?? sides.find((s) => s !== MAIN_SIDE);
  const preferred = wrote(MAIN_SIDE) || tookOver === undefined ? MAIN_SIDE : tookOver;
  const keeper = w.nodes.find((n) => usable(n) && w.sideOf.get(n.name) === preferred) ?? w.nodes.find(usable)
    ?? w.nodes.find((n) => n.diskful && w.sideOf.get(n.name) === preferred) ?? w.nodes.find((n) => n.diskful)!;
  const keep = w.sideOf.get(keeper.name)!;
  w.note(`operator: split-brain resolve --keep ${keeper.name} on every node (and bans the others from promotion meanwhile)`);
  // as an administrator does around a resolution (crm_resource --ban): Pacemaker must not promote
  // a node whose data is being discarded before it has reconnected as the SyncTarget
  w.cib.constraints.set(`operator-ban-${w.config.name}`, { resource: w.config.name, allowed: [keeper.name] });
  for (const n of w.nodes) {
    if (n.status()?.role === 'Primary' && n !== keeper) await w.settle(w.control(n, 'secondary'), 10_000);
    void w.control(n, 'connect', n === keeper ? {} : { discardMyData: true });
  }
  for (const n of w.nodes) w.sideOf.set(n.name, keep);
  for (const side of [...w.models.keys()]) if (side !== keep) w.models.delete(side);
}

/** What an operator does at quiescence, at most every 2 s per node and verb. */
function operatorFixes(w: SimWorld, act: (key: string, fn: () => void) => void): void {
  forceIfNoData(w, act);
  for (const n of w.nodes) {
    if (!n.running) { act(`${n.name}:start`, () => w.startNode(n, !w.scenario.autoResync)); continue; }
    const s = n.status();
    if (!s) continue;
    if (s.failed) { // stopped by the crash policy: Pacemaker restarts it (stop, start)
      act(`${n.name}:restart`, () => void n.stop().catch(() => undefined).then(() => w.startNode(n, !w.scenario.autoResync)));
      continue;
    }
    if (s.held !== null) { act(`${n.name}:connect`, () => void w.control(n, 'connect')); continue; }
    if (n.diskful && s.volumes.some((v) => v.diskState === 'Diskless' || v.diskState === 'Failed')) act(`${n.name}:attach`, () => void w.control(n, 'attach'));
    const standAlone = s.connections.filter((c) => c.connectionState === 'StandAlone');
    if (standAlone.length === 0) continue;
    const reported = w.checkers.splitBrains.some((sb) => sb.node === n.name && standAlone.some((c) => c.peer === sb.peer));
    if (reported && w.checkers.promotionForked) { resolvePromotionFork(w, act); continue; }
    if (reported && !w.everSplit && !w.checkers.falseSplitsReported.has(n.name)) {
      w.checkers.falseSplitsReported.add(n.name);
      act(`${n.name}:false-split-brain`, () => w.violation('false-split-brain', `${n.name} reports a split brain with ${standAlone.map((c) => c.peer).join(', ')} `
        + `but no operator forced a second Primary: ${w.nodes.map((x) => x.describe()).join(' | ')}`));
    }
    act(`${n.name}:connect`, () => void w.control(n, 'connect'));
  }
}

/**
 * The cluster manager promoted a node without writes another node had acknowledged (resource-only
 * fencing's window, or protocol A; Checkers.promotionForked): the data forked as after a takeover, and the split brain
 * reported is the operator's to resolve. The operator keeps a node that holds the data the model
 * accepted at that promotion (split-brain resolve --keep: the others demote and reconnect with
 * --discard-my-data), and bans the others from promotion meanwhile.
 */
function resolvePromotionFork(w: SimWorld, act: (key: string, fn: () => void) => void): void {
  const holdsModel = (n: SimNode): boolean => n.diskful && n.running && (n.status()?.volumes.every((v) => v.diskState === 'UpToDate' || v.diskState === 'Consistent') ?? false)
    && [...Array(w.config.nodes[0].volumes.length).keys()].every((v) => w.checkers.compareWithModel(n.disk(v)!, v, w.modelOf(n.name)).length === 0);
  const keeper = w.nodes.find(holdsModel);
  if (!keeper) return;
  act('resolve-promotion-fork', () => {
    w.note(`operator: split-brain resolve --keep ${keeper.name} on every node (a promotion left acknowledged writes behind: the data forked)`);
    w.cib.constraints.set(`operator-ban-${w.config.name}`, { resource: w.config.name, allowed: [keeper.name] });
    for (const n of w.nodes) {
      if (n === keeper || !n.running) continue;
      const demote = n.status()?.role === 'Primary' ? w.control(n, 'secondary') : Promise.resolve(true);
      void demote.then(() => w.control(n, 'connect', { discardMyData: true }));
    }
    void w.control(keeper, 'connect');
  });
}

/**
 * No node holds usable data (every diskful disk Inconsistent: an initial sync lost its source) and
 * nothing was ever acknowledged: the cluster is as new, and the operator makes its data with
 * `primary --force` on the first diskful node, as after `md create`. With acknowledged data the
 * operator does not force: that would be discarding data on the operator's word.
 */
function forceIfNoData(w: SimWorld, act: (key: string, fn: () => void) => void): void {
  const diskful = w.nodes.filter((n) => n.diskful);
  if (diskful.some((n) => !n.status() || n.status()!.volumes.some((v) => v.diskState !== 'Inconsistent'))) return;
  if ([...w.models.values()].some((m) => [...m.writes.values()].some((r) => r.state === 'acked' && r.kind !== 'trim'))) return;
  act('force-new-cluster', () => {
    const primary = w.nodes.find((n) => n.status()?.role === 'Primary');
    const demote = primary ? w.control(primary, 'secondary') : Promise.resolve(true);
    void demote.then(() => w.promote(diskful[0], true, 'no data anywhere and nothing acknowledged yet: primary --force'));
  });
}

function isConverged(w: SimWorld): boolean {
  if (w.client.busy) return false;
  for (const n of w.nodes) {
    const s = n.status();
    if (!s) return false;
    if (n.diskful && s.volumes.some((v) => v.diskState !== 'UpToDate')) return false;
    for (const c of s.connections) {
      if (c.connectionState !== 'Connected') return false;
      const peer = w.node(c.peer);
      for (const pv of c.volumes) {
        if (pv.replicationState !== 'Established') return false;
        if (pv.peerDiskState !== (peer.diskful ? 'UpToDate' : 'Diskless')) return false;
        // a Primary's bits for a peer are a resync it still owes that peer
        if (s.role === 'Primary' && pv.outOfSyncBytes > 0) return false;
      }
    }
  }
  // Pacemaker's steady state has a Promoted node whenever one may be promoted: a run does not end
  // between a refused promotion and the next (seed 20189: bits for a non-survivor that only a
  // Primary resyncs)
  return w.nodes.some((n) => n.status()?.role === 'Primary') || !w.crm.hasCandidate();
}

function selectedActions(total: number, opts: RunOptions): number[] {
  if (opts.keep) return opts.keep.filter((i) => i < total);
  return [...Array(Math.min(total, opts.cut ?? total)).keys()];
}

/**
 * Shrink a failing seed. First the shortest prefix of its schedule that still fails the same
 * checker (binary search on the cut), then leave out chunks of that prefix, halves first, while
 * it still fails (a coarse delta debugging, bounded in runs). The world's own randomness still
 * comes from the seed, so what remains replays exactly.
 */
export async function shrink(opts: RunOptions, checker: string, total: number, maxRuns = 40): Promise<{ keep: number[]; result: RunResult }> {
  let runs = 0;
  const fails = async (keep: number[]): Promise<boolean> => {
    runs++;
    const r = await runSeed({ ...opts, cut: undefined, keep, traceKeep: 0 });
    return r.violations.some((v) => v.checker === checker);
  };
  let lo = 0;
  let hi = total; // fails with the whole schedule
  while (lo < hi && runs < maxRuns / 2) {
    const mid = Math.floor((lo + hi) / 2);
    if (await fails([...Array(mid).keys()])) hi = mid; else lo = mid + 1;
  }
  let keep = [...Array(hi).keys()];
  for (let chunk = Math.ceil(keep.length / 2); chunk >= 1 && runs < maxRuns; chunk = Math.floor(chunk / 2)) {
    for (let start = 0; start < keep.length && runs < maxRuns; ) {
      const candidate = [...keep.slice(0, start), ...keep.slice(start + chunk)];
      if (candidate.length < keep.length && await fails(candidate)) keep = candidate;
      else start += chunk;
    }
  }
  const result = await runSeed({ ...opts, cut: undefined, keep, traceKeep: Infinity });
  return { keep, result };
}

/** Action indexes as ranges: 0-12,15,40-45 (what --actions reads back). */
export function formatRanges(indexes: number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < indexes.length; ) {
    let j = i;
    while (j + 1 < indexes.length && indexes[j + 1] === indexes[j] + 1) j++;
    parts.push(i === j ? `${indexes[i]}` : `${indexes[i]}-${indexes[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

export function parseRanges(text: string): number[] {
  const out: number[] = [];
  for (const part of text.split(',').filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new Error(`--actions: '${part}' is not an index or a range a-b`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    for (let i = a; i <= b; i++) out.push(i);
  }
  return out;
}

/** A scenario saved before a field existed plays as it did then: scenarios from before per-connection protocols have none. */
function storedScenario(s: Scenario): Scenario {
  return s.config.connections ? s : { ...s, config: { ...s.config, connections: [] } };
}

export function describeScenario(s: Scenario): string {
  const c = s.config;
  const diskless = c.nodes.filter((n) => n.volumes.every((v) => v.disk === null)).map((n) => n.name);
  const own = c.connections.filter((x) => x.protocol !== null).map((x) => `${x.nodes.join('-')} ${x.protocol}`).join(', ');
  return `${c.nodes.length} nodes${diskless.length > 0 ? ` (diskless ${diskless.join(',')})` : ''}, protocol ${c.protocol}${own ? ` (connections ${own})` : ''}, fencing ${c.fencing}, `
    + `quorum ${c.quorum}/${c.onNoQuorum}, ${c.nodes[0].volumes.map((v) => `${v.size! / 1048576} MiB`).join('+')}, al-extents ${c.alExtents}, `
    + `meta ${Object.entries(s.metaKinds).map(([n, k]) => `${n}:${k}`).join(',')}, auto_resync ${s.autoResync}`;
}

export function describeAction(a: Action): string {
  const { at: _at, kind, ...rest } = a;
  return `${kind} ${stringify(rest)}`;
}

/** Let the last microtasks and immediates of the run settle before the next seed starts. */
async function drain(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
}
