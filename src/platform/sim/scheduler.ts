// The simulator's one source of time and order. Every event of the simulated world (a message
// delivery, a disk completion, a timer, a deferred call, a workload or fault action) is queued
// here and runs in (time, sequence) order: the same seed gives the same order on every run.
//
// Between two events the runner drains the microtask queue (the engine's Promises) by awaiting
// one macrotask (setImmediate): an event and everything it resolves finish before the next
// event starts. Only the runner does that; the engine never sees setImmediate.
//
// Events belong to an owner (a node's running incarnation, or the world). A crash kills the
// owner: its queued events are dropped unrun, as a dead process's timers and I/O completions are.
import { Trace } from './trace.js';

/** Whose event it is: a node incarnation dies at a crash and its events die with it. */
export class Owner {
  alive = true;
  constructor(readonly name: string) {}
}

export const WORLD = new Owner('world');

export interface EventHandle {
  cancel(): void;
}

interface QueuedEvent extends EventHandle {
  time: number;
  seq: number;
  owner: Owner;
  kind: string;
  detail: string;
  fire: () => void;
  cancelled: boolean;
}

export type EventErrorHandler = (err: unknown, event: { owner: string; kind: string; detail: string }) => void;

export class Scheduler {
  private time = 0;
  private seq = 0;
  private readonly heap: QueuedEvent[] = [];
  /** events run so far */
  events = 0;
  readonly trace: Trace;
  private onError: EventErrorHandler = (err) => { throw err; };

  constructor(trace = new Trace()) {
    this.trace = trace;
  }

  now(): number {
    return this.time;
  }

  setErrorHandler(handler: EventErrorHandler): void {
    this.onError = handler;
  }

  /** Queue `fire` to run `delay` ms from now (0: after everything already queued for now). */
  after(delay: number, owner: Owner, kind: string, detail: string, fire: () => void): EventHandle {
    return this.at(this.time + Math.max(0, delay), owner, kind, detail, fire);
  }

  at(time: number, owner: Owner, kind: string, detail: string, fire: () => void): EventHandle {
    const event: QueuedEvent = {
      time: Math.max(time, this.time), seq: this.seq++, owner, kind, detail, fire, cancelled: false,
      cancel() { this.cancelled = true; },
    };
    this.push(event);
    return event;
  }

  /** Events still queued (cancelled and dead ones included until they are popped). */
  get queued(): number {
    return this.heap.length;
  }

  /** The time of the next live event, or null when nothing is queued. */
  nextTime(): number | null {
    this.dropDead();
    return this.heap.length > 0 ? this.heap[0].time : null;
  }

  /**
   * Run events in order while their time is at most `until` and `stop()` says go on. Returns
   * with the clock at `until` (or at the event after which stop() said true).
   */
  async run(until: number, stop: () => boolean = () => false): Promise<void> {
    for (;;) {
      this.dropDead();
      const next = this.heap[0];
      if (next === undefined || next.time > until) break;
      this.pop();
      this.time = next.time;
      this.events++;
      this.trace.event(next.time, next.owner.name, next.kind, next.detail);
      try {
        next.fire();
      } catch (err) {
        this.onError(err, { owner: next.owner.name, kind: next.kind, detail: next.detail });
      }
      await drainMicrotasks();
      if (stop()) return;
    }
    if (until > this.time && Number.isFinite(until)) this.time = until;
  }

  private dropDead(): void {
    while (this.heap.length > 0 && (this.heap[0].cancelled || !this.heap[0].owner.alive)) this.pop();
  }

  // ---- binary heap on (time, seq) -------------------------------------------------------------

  private push(e: QueuedEvent): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(h[i], h[parent])) break;
      [h[i], h[parent]] = [h[parent], h[i]];
      i = parent;
    }
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && before(h[l], h[m])) m = l;
      if (r < h.length && before(h[r], h[m])) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m], h[i]];
      i = m;
    }
  }
}

function before(a: QueuedEvent, b: QueuedEvent): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq);
}

/** One macrotask turn: every microtask queued so far (and those they queue) has run after it. */
export function drainMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
