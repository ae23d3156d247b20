// The checkers can fail: a small engine with one planted mistake is caught by the checker meant
// for it, and the same run without the mistake passes (so the checker does not simply fire).
// The runs are fault-free I/O schedules: whatever fires comes from the planted mistake.
import { readFileSync } from 'node:fs';
import t from 'tap';
import { Resource } from '../../../src/engine/resource.js';
import { Checkers } from '../../../src/platform/sim/checkers.js';
import { runSeed } from '../../../src/platform/sim/runner.js';
import { generateScenario, type Scenario } from '../../../src/platform/sim/workload.js';
import type { SimWorld } from '../../../src/platform/sim/world.js';
import type { WireMessage } from '../../../src/wire/messages.js';
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

// Seed 20133, shrunk: protocol C, the Primary n0 acknowledges an unflushed write (on n0's volatile
// cache and n1's), loses power; then n1 loses power too. Both come back, and n0, the crashed
// Primary, is the source of its activity-log extents (DRBD's "both off" rule): the write is gone,
// although a copy of it happened to survive in n1's cache. The replicated device lost power as a
// whole and the write was never flushed: promotion-data accepts that. When n1 is only killed (its
// disk cache survives, it was not a power loss of the whole cluster), n1 back in the same boot is
// the source and nothing is lost; an engine that cannot read the boot id (null: unknown, so it
// assumes a power loss) loses the write as before, and the excuse does not cover it: it fires.
t.test('a whole-cluster power loss excuses the unflushed writes the crashed Primary lost, and nothing else', async (t) => {
  const stored = JSON.parse(readFileSync(new URL('./fixtures/whole-cluster-power-loss.json', import.meta.url), 'utf8')) as Scenario;
  const factory = (c: ConstructorParameters<typeof Resource>[0], n: string, p: ConstructorParameters<typeof Resource>[2]) => new Resource(c, n, p);

  const asPlayed = await runSeed({ seed: stored.seed, scenario: stored, factory, traceKeep: Infinity });
  t.same(asPlayed.violations.map((v) => `${v.checker}: ${v.message}`), [], 'no checker fires');
  t.ok(asPlayed.trace.some((line) => line.includes('whole-cluster power loss: crashed Primary n0')), 'the excuse is what let it pass');

  const killed: Scenario = { ...stored, actions: stored.actions.map((a, i) => (i === 3 && a.kind === 'crash' ? { ...a, how: 'killed' } : a)) };
  t.equal(killed.actions[3].kind === 'crash' && killed.actions[3].how, 'killed');
  const kept = await runSeed({ seed: stored.seed, scenario: killed, factory, traceKeep: Infinity });
  t.same(kept.violations.map((v) => `${v.checker}: ${v.message}`), [], 'n1 killed, back in the same boot: the write is kept');
  t.notOk(kept.trace.some((line) => line.includes('whole-cluster power loss')), 'without the excuse');
  const noBootId = (c: ConstructorParameters<typeof Resource>[0], n: string, p: ConstructorParameters<typeof Resource>[2]) => {
    const blind = Object.create(p) as typeof p; // the simulator's platform, but no boot id
    blind.bootId = () => Promise.resolve(null);
    return new Resource(c, n, blind);
  };
  const r = await runSeed({ seed: stored.seed, scenario: killed, factory: noBootId });
  t.ok(r.violations.some((v) => v.checker === 'promotion-data'), `promotion-data fires: ${r.violations.map((v) => v.checker).join(', ')}`);
});

// Seed 20571, shrunk: protocol B, 2 nodes. The Primary n0 acknowledges unflushed writes and loses
// power; n1, which received them, stays up, and loses power too just as n0 comes back (during
// their handshake). Every diskful node has lost power since those writes were acknowledged, none
// was ever flushed: where no running node with usable data holds them any more, they are excused
// (the power losses need not overlap). Where n0, running again, still holds one, it is not; and
// when n1 is only killed (its cache survives), nothing is excused.
t.test('writes never made durable are excused once every node that may hold them lost power since, and only then', async (t) => {
  const stored = JSON.parse(readFileSync(new URL('./fixtures/every-node-lost-power.json', import.meta.url), 'utf8')) as Scenario;
  const factory = (c: ConstructorParameters<typeof Resource>[0], n: string, p: ConstructorParameters<typeof Resource>[2]) => new Resource(c, n, p);
  const note = 'every node that may hold them lost power since';

  const asPlayed = await runSeed({ seed: stored.seed, scenario: stored, factory, traceKeep: Infinity });
  t.ok(asPlayed.trace.some((line) => line.includes(note)), 'the excuse applies at n1\'s power loss');

  const killed: Scenario = { ...stored, actions: stored.actions.map((a, i) => (i === 8 && a.kind === 'crash' ? { ...a, how: 'killed' } : a)) };
  t.equal(killed.actions[8].kind === 'crash' && killed.actions[8].how, 'killed');
  const r = await runSeed({ seed: stored.seed, scenario: killed, factory, traceKeep: Infinity });
  t.notOk(r.trace.some((line) => line.includes(note)), 'no excuse while a node that received them never lost power');
});

// Seed 30845, shrunk: n0 Primary, protocol C to n1 and A to n2. n0 acknowledges unflushed
// writes; n1 loses power (action 46), n0 too (action 53: stored as a crash at the moment the
// shrunk run's metadata-triggered one came, so that engine timing changes do not move it), and
// n1 once more after its restart (action 18, at its handshake). Both copies the acknowledgement
// promised were in volatile caches that are gone; n2 may or may not have them (A), and the
// crashed Primary n0 is resynced to everyone (DRBD's rule): they are excused when n1's cache
// goes, as they are under protocol A alone: n2's copy does not count. When n1 is only killed
// (its cache survives), nothing it held is excused (what only n0 held is, at n0's power loss).
t.test('a copy on an A peer does not keep writes the Primary and its C peer lost in power losses', async (t) => {
  const stored = JSON.parse(readFileSync(new URL('./fixtures/primary-and-c-peer-lost-power.json', import.meta.url), 'utf8')) as Scenario;
  const factory = (c: ConstructorParameters<typeof Resource>[0], n: string, p: ConstructorParameters<typeof Resource>[2]) => new Resource(c, n, p);
  const note = 'every node that may hold them lost power since';
  /** excuses given at the moment n1 crashed */
  const excusedAtN1Crash = (trace: string[]): string[] => {
    const crashes = new Set(trace.map((l) => /^\s*([\d.]+) n1#\d+ \| CRASH/.exec(l)?.[1]).filter((at) => at !== undefined));
    return trace.filter((l) => l.includes(note) && crashes.has(/^\s*([\d.]+)/.exec(l)?.[1]));
  };

  const asPlayed = await runSeed({ seed: stored.seed, scenario: stored, factory, traceKeep: Infinity });
  t.same(asPlayed.violations.map((v) => `${v.checker}: ${v.message}`), [], 'no checker fires');
  t.ok(excusedAtN1Crash(asPlayed.trace).length > 0, 'the excuse, given when n1 lost power after n0, is what let it pass');

  const killed: Scenario = { ...stored, actions: stored.actions.map((a, i) => ((i === 46 || i === 18) && a.kind === 'crash' ? { ...a, how: 'killed' } : a)) };
  t.equal(killed.actions[46].kind === 'crash' && killed.actions[46].how, 'killed');
  const r = await runSeed({ seed: stored.seed, scenario: killed, factory, traceKeep: Infinity });
  t.same(excusedAtN1Crash(r.trace), [], 'no excuse while the C peer kept its cache');
});

// Seed 30845 as generated: n1 acknowledges two writes under protocol C and loses power; a
// partition holds its WriteAcks, and they reach the Primary after n1 has restarted. The Primary
// answers the writes still reporting n1 UpToDate over the old link: n1's new incarnation lacks
// them (its cache is gone), which is the power loss's doing, not a false claim.
t.test('claim-up-to-date does not hold a peer to writes acknowledged by an incarnation that lost power', async (t) => {
  const stored = JSON.parse(readFileSync(new URL('./fixtures/acks-of-a-dead-incarnation.json', import.meta.url), 'utf8')) as Scenario;
  const factory = (c: ConstructorParameters<typeof Resource>[0], n: string, p: ConstructorParameters<typeof Resource>[2]) => new Resource(c, n, p);
  const r = await runSeed({ seed: stored.seed, scenario: stored, factory, traceKeep: Infinity });
  t.same(r.violations.map((v) => `${v.checker}: ${v.message}`), [], 'no checker fires');
  t.ok(r.trace.some((line) => line.includes('n1#2 | start')), 'n1 restarted after its power loss');
});

// Seed 1448114171, shrunk after the detach fix: n0, Primary, lost its disk and wrote through n1,
// which made write 1 durable (a flush); n1 lost power and came back Consistent (older than n0's
// generation, so n0 cannot use it), the operator detached n1's disk, and n0 lost power. n1's disk,
// detached and consistent, holds the write: attached again at quiescence it is the source, and the
// write is on every replica. durable-write-lost once judged the detached disk by n1's live
// Diskless state and fired. Planted mistake: a detach that leaves the metadata Inconsistent (the
// next resync overwrites such a disk by design): then the copy counts for nothing and it fires.
t.test('a detached disk at rest is judged by its metadata, as a down node\'s: a consistent one keeps a durable write', async (t) => {
  const stored = JSON.parse(readFileSync(new URL('./fixtures/detached-consistent-copy.json', import.meta.url), 'utf8')) as Scenario;
  const factory = (c: ConstructorParameters<typeof Resource>[0], n: string, p: ConstructorParameters<typeof Resource>[2]) => new Resource(c, n, p);
  const asPlayed = await runSeed({ seed: stored.seed, scenario: stored, factory, traceKeep: Infinity });
  t.same(asPlayed.violations.map((v) => `${v.checker}: ${v.message}`), [], 'no checker fires: the write is kept, quiescent-data included');
  t.ok(asPlayed.trace.some((line) => line.includes('n0#1 | CRASH (power)')), 'n0 lost power');
  t.ok(asPlayed.trace.some((line) => line.includes('operator: n1 detach')) && !asPlayed.trace.some((line) => line.includes('n1 refused detach')), 'while n1\'s disk was detached');

  class DetachDropsConsistency extends Resource {
    override async control(op: string, args: Record<string, unknown>): Promise<unknown> {
      if (op === 'detach') for (const v of this.volumes) v.meta?.setFlags({ consistent: false, wasUpToDate: false });
      return super.control(op, args);
    }
  }
  const planted = await runSeed({ seed: stored.seed, scenario: stored, factory: (c, n, p) => new DetachDropsConsistency(c, n, p) });
  t.ok(planted.violations.some((v) => v.checker === 'durable-write-lost'), `an Inconsistent detached disk keeps nothing: ${planted.violations.map((v) => v.checker).join(', ')}`);
});

/** A SimWorld with only what the resync-per-reconnect checker reads: a clock, each node's status, a violation log. */
function fakeWorld(fired: string[], now: () => number, status: () => unknown = () => null): SimWorld {
  return { now, nodeById: (id: number) => ({ id, name: `n${id}`, status }), sideOf: new Map(), violation: (checker: string) => fired.push(checker) } as unknown as SimWorld;
}

const done: WireMessage = { type: 'ResyncDone', volume: 0, current: 7n, history: [], unacknowledgedSince: 0n };
const missingN2: WireMessage = { type: 'OutOfSync', volume: 0, offset: 0, length: 4096, missing: 1 << 2 };

t.test('resync-per-reconnect fires on a second resync over one connection, unless a write missed the target in between', (t) => {
  const fired: string[] = [];
  let now = 0;
  const checkers = new Checkers(fakeWorld(fired, () => now));
  checkers.delivered(0, 2, done, 'data', 'sim-3', (now = 1));
  now = 2;
  checkers.delivered(0, 1, missingN2, 'data', 'sim-1', 2); // a write n2 did not get: new divergence
  now = 3;
  checkers.delivered(0, 2, done, 'data', 'sim-3', 3);
  t.same(fired, [], 'the second resync carried a new divergence');
  now = 4;
  checkers.delivered(0, 2, done, 'data', 'sim-3', 4);
  t.same(fired, ['resync-per-reconnect'], 'a third with nothing new in between is a repeat');
  t.end();
});

t.test('resync-per-reconnect: a ResyncDone counts in the epoch it was sent in (seed 2093763914)', (t) => {
  const fired: string[] = [];
  let now = 0;
  const checkers = new Checkers(fakeWorld(fired, () => now));
  now = 2;
  checkers.delivered(0, 1, missingN2, 'data', 'sim-1', 2); // a new divergence while the first ResyncDone is on its way
  now = 3;
  checkers.delivered(0, 2, done, 'data', 'sim-3', 1); // sent at 1: the resync of before
  now = 5;
  checkers.delivered(0, 2, done, 'data', 'sim-3', 4); // the resync of the new divergence
  t.same(fired, [], 'one resync per epoch');
  now = 7;
  checkers.delivered(0, 2, done, 'data', 'sim-3', 6);
  t.same(fired, ['resync-per-reconnect'], 'a third with nothing new since the second is a repeat');
  t.end();
});

t.test('resync-per-reconnect: a ResyncDone that reaches a target that paused its source ended nothing (seed 24004870)', (t) => {
  const fired: string[] = [];
  let state = 'PausedSyncT';
  const status = () => ({ connections: [{ nodeId: 1, volumes: [{ volume: 0, replicationState: state }] }] });
  const checkers = new Checkers(fakeWorld(fired, () => 0, status));
  checkers.delivered(1, 2, done, 'data', 'sim-6', 0); // sent before n1 read n2's pause: dropped
  state = 'SyncTarget';
  checkers.delivered(1, 2, done, 'data', 'sim-6', 0);
  t.same(fired, [], 'the one resync n2 took is the first');
  checkers.delivered(1, 2, done, 'data', 'sim-6', 0);
  t.same(fired, ['resync-per-reconnect'], 'another one taken is a repeat');
  t.end();
});

// Seed 1476445202, shrunk (B, resource-only): n0, Primary, is isolated; the operator promotes n1
// with --force, both sides write, n0 is killed and n1 loses power; at quiescence they meet and
// both report the split brain. As played nothing is discarded before the operator chooses. A node
// that volunteers as the split brain's victim on its own (discard-my-data set in its engine at
// restart, no operator asked) loses its side's acknowledged writes: split-brain-discarded names
// that side, whichever it is.
t.test('split-brain-discarded fires when a side\'s writes are discarded before the operator chose, and only then', async (t) => {
  const stored = JSON.parse(readFileSync(new URL('./regressions/seed-1476445202-fork-inherits-volatile-write.json', import.meta.url), 'utf8')) as Scenario;
  const victimAtRestart = (victim: string | null) => {
    const starts = new Map<string, number>();
    return (c: ConstructorParameters<typeof Resource>[0], n: string, p: ConstructorParameters<typeof Resource>[2]) => {
      const r = new Resource(c, n, p);
      starts.set(n, (starts.get(n) ?? 0) + 1);
      if (n === victim && starts.get(n)! > 1) for (const v of r.volumes) r.discardMyData.add(v.index);
      return r;
    };
  };
  const asPlayed = await runSeed({ seed: stored.seed, scenario: stored, factory: victimAtRestart(null), traceKeep: Infinity });
  t.same(asPlayed.violations.map((v) => `${v.checker}: ${v.message}`), [], 'no checker fires');
  t.ok(asPlayed.trace.some((line) => line.includes('"decision":"split-brain"')), 'the sides met and reported the split brain');
  for (const [victim, side] of [['n1', 'split1'], ['n0', 'main']]) {
    const r = await runSeed({ seed: stored.seed, scenario: stored, factory: victimAtRestart(victim), traceKeep: Infinity });
    const fired = r.violations.filter((v) => v.checker === 'split-brain-discarded').map((v) => v.message);
    t.ok(r.trace.some((line) => line.includes('local data discarded (connect --discard-my-data)')), `${victim} discarded its data at the handshake`);
    t.ok(fired.some((m) => m.startsWith(`side ${side}'s acknowledged writes are held by none of its nodes (${victim})`)), `fires for side ${side}: ${fired.join(' / ') || 'nothing'}`);
  }
});
