// Playing the scenario's actions into the world: I/O, faults, the cluster manager and the
// operator. Each action runs as one event; what it does is decided from the state at that moment
// (who is Primary, who is down) and the action's own random stream, and an action that does not
// apply (restart a node that runs, crash a node that is down) does nothing.
//
// Crashes can wait for a moment worth crashing in: `resync` (the node sends or receives resync
// data), `handshake` (the node sends or receives a State: a connection is being set up or its
// states change) or `metadata` (inside one of its next metadata updates, between two persists).
// Such a trigger that does not fire within 5 s crashes the node then.
import type { WireMessage } from '../../wire/messages.js';
import type { SimNode } from './node.js';
import { Random } from './random.js';
import { WORLD } from './scheduler.js';
import type { Action, Target } from './workload.js';
import { MAIN_SIDE, type SimWorld } from './world.js';

const TRIGGER_PATIENCE_MS = 5000;
const CHECKPOINT_PATIENCE_MS = 3000;

interface PendingCrash {
  node: SimNode;
  how: 'killed' | 'power';
  when: 'resync' | 'handshake';
  until: number;
}

export class Faults {
  private readonly pending: PendingCrash[] = [];
  private splits = 0;
  private checkpointing = false;
  /** quiescence began: triggers still pending do nothing */
  private stopped = false;

  constructor(private readonly w: SimWorld) {
    w.network.observe((from, to, msg) => this.watch(from, to, msg));
  }

  apply(a: Action): void {
    const w = this.w;
    switch (a.kind) {
      case 'io':
        w.client.issue(a.op, a.volume, a.offset, a.length, a.fua, (candidates) => w.random.pick(candidates));
        return;
      case 'crash': return this.crash(a.target, a.how, a.when);
      case 'restart': {
        const node = this.resolve(a.target);
        if (node && !node.running) w.startNode(node, !w.scenario.autoResync);
        return;
      }
      case 'partition': {
        const [x, y] = this.two(a.target, a.other);
        if (!x || !y) return;
        w.note(`fault: partition ${x.name} ${a.oneWay ? '->' : '<->'} ${y.name}`);
        w.network.block(x.id, y.id);
        if (!a.oneWay) w.network.block(y.id, x.id);
        return;
      }
      case 'isolate': {
        const x = this.resolve(a.target);
        if (!x) return;
        w.note(`fault: isolate ${x.name}`);
        for (const y of w.nodes) if (y !== x) { w.network.block(x.id, y.id); w.network.block(y.id, x.id); }
        return;
      }
      case 'heal': return this.healNetwork();
      case 'reset': {
        const [x, y] = this.two(a.target, a.other);
        if (!x || !y) return;
        w.note(`fault: connection reset ${x.name} <-> ${y.name}`);
        w.network.reset(x.id, y.id);
        return;
      }
      case 'slow-link': {
        const [x, y] = this.two(a.target, a.other);
        if (!x || !y) return;
        const rnd = new Random(a.target.pick ^ a.other.pick);
        const profile = { latencyMs: [rnd.real(2, 10), rnd.real(10, 60)] as [number, number], bytesPerMs: rnd.pick([500, 2000, 10000]) };
        w.note(`fault: slow link ${x.name} <-> ${y.name} (${profile.latencyMs.map((l) => l.toFixed(1)).join('-')} ms, ${profile.bytesPerMs} bytes/ms)`);
        w.network.setProfile(x.id, y.id, profile);
        w.network.setProfile(y.id, x.id, profile);
        return;
      }
      case 'disk-fault': {
        const x = this.resolve(a.target);
        if (!x) return;
        w.note(`fault: disk ${a.fault} on ${x.name}`);
        for (let v = 0; x.disk(v); v++) {
          const disk = x.disk(v)!;
          if (a.fault === 'clear') disk.faults = { writeError: null, readError: false, slowness: 1 };
          else if (a.fault === 'slow') disk.faults.slowness = 30;
          else if (a.fault === 'read-EIO') disk.faults.readError = true;
          else disk.faults.writeError = a.fault;
        }
        return;
      }
      case 'handler-fault':
        w.note(`fault: handlers ${a.fault ?? 'work again'}`);
        w.cib.handlerFault = a.fault;
        return;
      case 'crm': void w.crm.evaluate(); return;
      case 'switchover': {
        const p = w.nodes.find((n) => n.status()?.role === 'Primary');
        if (!p) return;
        void w.control(p, 'secondary').then(() => {
          w.crm.refreshPromoted();
          w.scheduler.after(100, WORLD, 'crm', 'after switchover', () => void w.crm.evaluate());
        });
        return;
      }
      case 'operator': return this.operator(a.op, a.target);
      case 'force-split': return this.forceSplit();
      case 'checkpoint': return this.checkpoint();
    }
  }

  /** Partitions, slow links and pending crash triggers end (quiescence): no fault from now on. */
  healAll(): void {
    this.stopped = true;
    this.healNetwork();
    this.pending.length = 0;
    for (const n of this.w.nodes) for (const store of n.incarnation?.stores ?? []) store.crashAtPersist = Infinity;
    for (const n of this.w.nodes) {
      for (let v = 0; n.disk(v); v++) n.disk(v)!.faults = { writeError: null, readError: false, slowness: 1 };
    }
    this.w.cib.handlerFault = null;
  }

  private healNetwork(): void {
    const w = this.w;
    const blocked = w.network.blockedDirections();
    if (blocked.length > 0) w.note(`fault: heal ${blocked.map(([a, b]) => `${a}>${b}`).join(' ')}`);
    for (const [a, b] of blocked) w.network.unblock(a, b);
    for (const x of w.nodes) for (const y of w.nodes) if (x !== y) w.network.setProfile(x.id, y.id, null);
  }

  private crash(target: Target, how: 'killed' | 'power', when: string): void {
    const node = this.resolve(target);
    if (!node) return;
    if (when === 'now') { this.w.crash(node, how); return; }
    if (when === 'metadata') {
      const inc = node.incarnation;
      const rnd = new Random(target.pick);
      for (const store of inc?.stores ?? []) {
        store.crashAtPersist = store.persists + rnd.between(1, 4);
        store.onCrash = () => this.w.crash(node, 'power');
      }
      this.w.scheduler.after(TRIGGER_PATIENCE_MS, WORLD, 'fault', `crash ${node.name} if no metadata update came`, () => {
        if (!this.stopped && node.incarnation === inc) this.w.crash(node, how);
      });
      return;
    }
    this.pending.push({ node, how, when: when as PendingCrash['when'], until: this.w.now() + TRIGGER_PATIENCE_MS });
    const inc = node.incarnation;
    this.w.scheduler.after(TRIGGER_PATIENCE_MS, WORLD, 'fault', `crash ${node.name} (${when} did not come)`, () => {
      const i = this.pending.findIndex((p) => p.node === node);
      if (i < 0 || this.stopped) return;
      this.pending.splice(i, 1);
      if (node.incarnation === inc) this.w.crash(node, how);
    });
  }

  /** Deliveries that fire pending crash triggers. */
  private watch(from: number, to: number, msg: WireMessage): void {
    if (this.pending.length === 0) return;
    const kind = msg.type === 'ResyncData' || msg.type === 'ResyncAck' ? 'resync' : msg.type === 'State' ? 'handshake' : null;
    if (!kind) return;
    for (let i = 0; i < this.pending.length; i++) {
      const p = this.pending[i];
      if (p.when !== kind || (p.node.id !== from && p.node.id !== to)) continue;
      this.pending.splice(i, 1);
      // right after this message is handled, before anything else happens
      this.w.scheduler.after(0, WORLD, 'fault', `crash ${p.node.name} (${p.how}, during ${kind})`, () => { if (!this.stopped) this.w.crash(p.node, p.how); });
      return;
    }
  }

  private operator(op: string, target: Target): void {
    const w = this.w;
    const node = this.resolve(target);
    if (!node) return;
    if (!this.sensible(node, op)) return;
    void w.control(node, op).then((ok) => {
      if (ok && op === 'secondary') w.scheduler.after(100, WORLD, 'crm', 'after demotion', () => void w.crm.evaluate());
    });
  }

  /**
   * The operator verbs this workload uses the way an administrator would, never to throw away the
   * last good copy (that is discarding data on the operator's word, which the checkers would have
   * to accept): invalidate and detach only where a connected Primary holds the data; outdate
   * only a Secondary cut off from a running Primary that has the data without it (fencing by
   * hand: a Primary whose disk failed and that wrote through this node alone has nothing newer,
   * seed 20160).
   */
  private sensible(node: SimNode, op: string): boolean {
    const status = node.status();
    if (!status || status.role === 'Primary') return op === 'secondary';
    const primaryConnected = status.connections.some((c) => c.peerRole === 'Primary' && c.connectionState === 'Connected');
    switch (op) {
      case 'invalidate': case 'detach': return primaryConnected;
      case 'outdate': return !primaryConnected && this.w.nodes.some((n) => n !== node && holdsDataWithout(n, node));
      default: return true;
    }
  }

  /**
   * DR takeover: a diskful Secondary that cannot see the Primary is promoted with --force while
   * the Primary runs on. Two sides now write; the model forks. Only in 2-diskful-node clusters
   * (a third diskful node would have to take a side), once.
   */
  private forceSplit(): void {
    const w = this.w;
    if (this.splits > 0 || w.nodes.filter((n) => n.diskful).length !== 2) return;
    const primary = w.nodes.find((n) => n.status()?.role === 'Primary' && n.diskful);
    if (!primary) return;
    const other = w.nodes.find((n) => n !== primary && n.diskful && n.status() !== null
      && n.status()!.connections.find((c) => c.peer === primary.name)?.connectionState !== 'Connected');
    if (!other) return;
    const side = `split${++this.splits}`;
    // a side's writes count from the fork: before it, every write is in both models (seed
    // 1987529405: a diskless Primary's earlier writes, held only by the node that took over,
    // made its side look like one whose writes were discarded)
    w.checkers.sideWrites.clear();
    w.models.set(side, w.modelOf(other.name).fork());
    w.sideOf.set(other.name, side);
    w.note(`operator: DR takeover on ${other.name} while ${primary.name} is cut off and still Primary (sides ${MAIN_SIDE} / ${side})`);
    void w.promote(other, true, 'operator takeover').then((ok) => {
      if (ok) { w.everSplit = true; return; }
      w.sideOf.set(other.name, MAIN_SIDE);
      w.models.delete(side);
      this.splits--;
    });
  }

  /** Stop I/O until nothing is in flight, then compare bitmaps with data (checkers.quietMoment). */
  private checkpoint(): void {
    const w = this.w;
    if (this.checkpointing) return;
    this.checkpointing = true;
    w.client.paused = true;
    const until = w.now() + CHECKPOINT_PATIENCE_MS;
    const poll = (): void => {
      if (isQuiet(w)) {
        w.note('checkpoint: quiet, comparing bitmaps with data');
        w.checkers.quietMoment();
      } else if (w.now() < until) {
        w.scheduler.after(50, WORLD, 'checkpoint', '', poll);
        return;
      } else {
        w.note('checkpoint: never quiet, skipped');
      }
      w.client.paused = false;
      this.checkpointing = false;
    };
    w.scheduler.after(50, WORLD, 'checkpoint', '', poll);
  }

  private two(a: Target, b: Target): [SimNode | undefined, SimNode | undefined] {
    const x = this.resolve(a);
    const rest = this.w.nodes.filter((n) => n !== x);
    const y = rest.length > 0 ? rest[new Random(b.pick).int(rest.length)] : undefined;
    return [x, y];
  }

  resolve(t: Target): SimNode | undefined {
    const w = this.w;
    let candidates: SimNode[];
    switch (t.role) {
      case 'primary': candidates = w.nodes.filter((n) => n.status()?.role === 'Primary'); break;
      case 'secondary': candidates = w.nodes.filter((n) => n.status() !== null && n.status()!.role !== 'Primary'); break;
      case 'down': candidates = w.nodes.filter((n) => !n.running); break;
      case 'diskful': candidates = w.nodes.filter((n) => n.diskful); break;
      default: candidates = w.nodes.filter((n) => n.running);
    }
    if (candidates.length === 0 && t.role === 'primary') candidates = w.nodes.filter((n) => n.running);
    return candidates.length > 0 ? candidates[new Random(t.pick).int(candidates.length)] : undefined;
  }
}

/** Nothing in flight: client requests, disk requests, messages, resyncs. */
export function isQuiet(w: SimWorld): boolean {
  if (w.client.busy || !w.network.quiet()) return false;
  for (const n of w.nodes) {
    for (let v = 0; n.disk(v); v++) if (n.disk(v)!.busy) return false;
    const s = n.status();
    if (s && s.connections.some((c) => c.volumes.some((pv) => pv.replicationState.startsWith('Sync') || pv.replicationState.startsWith('PausedSync')))) return false;
  }
  return true;
}

/** A running Primary whose every volume is UpToDate on its own disk or on a connected peer other than `node`. */
function holdsDataWithout(primary: SimNode, node: SimNode): boolean {
  const s = primary.status();
  if (!s || s.role !== 'Primary') return false;
  return s.volumes.every((v) => v.diskState === 'UpToDate' || s.connections.some((c) => c.peer !== node.name && c.connectionState === 'Connected'
    && c.volumes.some((pv) => pv.volume === v.volume && pv.replicationState === 'Established' && pv.peerDiskState === 'UpToDate')));
}
