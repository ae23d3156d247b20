// Time behind an interface (TigerBeetle's rule): the transports read the time and arm timers only
// through a Clock, so simulation tests can drive them with a ManualClock instead of waiting.
import { assert } from '../lib/assert.js';

export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /** monotonic milliseconds */
  now(): number;
  setTimer(delayMs: number, fire: () => void): TimerHandle;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  setTimer(delayMs, fire) {
    const timer = setTimeout(fire, delayMs);
    timer.unref();
    return { cancel: () => clearTimeout(timer) };
  },
};

/** A clock that moves only when told to; timers fire in deadline order, ties in arming order. */
export class ManualClock implements Clock {
  private time = 0;
  private sequence = 0;
  private readonly timers = new Map<number, { deadline: number; fire: () => void }>();

  now(): number {
    return this.time;
  }

  setTimer(delayMs: number, fire: () => void): TimerHandle {
    assert(delayMs >= 0, 'timer delay is not negative');
    const id = this.sequence++;
    this.timers.set(id, { deadline: this.time + delayMs, fire });
    return { cancel: () => { this.timers.delete(id); } };
  }

  /** Advance time by `ms`, firing every timer that falls due (including ones armed meanwhile). */
  advance(ms: number): void {
    assert(ms >= 0, 'time only moves forward');
    const end = this.time + ms;
    for (let next = this.due(end); next !== null; next = this.due(end)) {
      this.timers.delete(next.id);
      this.time = next.deadline;
      next.fire();
    }
    this.time = end;
  }

  get pendingTimers(): number {
    return this.timers.size;
  }

  private due(end: number): { id: number; deadline: number; fire: () => void } | null {
    let best: { id: number; deadline: number; fire: () => void } | null = null;
    for (const [id, timer] of this.timers) {
      if (timer.deadline <= end && (best === null || timer.deadline < best.deadline)) best = { id, ...timer };
    }
    return best;
  }
}
