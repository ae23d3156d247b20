// Bytes per second over a sliding window of recent samples: the rate shown to administrators
// and the input of the resync rate limit.
import type { Clock } from './platform.js';

export class RateMeter {
  private readonly samples: Array<{ t: number; bytes: number }> = [];

  constructor(private readonly clock: Pick<Clock, 'now'>, private readonly windowMs = 2000) {}

  add(bytes: number): void {
    const t = this.clock.now();
    this.samples.push({ t, bytes });
    this.trim(t);
  }

  rate(): number {
    const t = this.clock.now();
    this.trim(t);
    if (this.samples.length === 0) return 0;
    const total = this.samples.reduce((sum, s) => sum + s.bytes, 0);
    const span = Math.max(t - this.samples[0].t, 100);
    return (total * 1000) / span;
  }

  private trim(t: number): void {
    while (this.samples.length > 0 && t - this.samples[0].t > this.windowMs) this.samples.shift();
  }
}
