// Progress for long inputs: after each stage, bytes done, rate and ETA over all input bytes.
// Short inputs (the common case) print nothing.
import { formatSize } from '../lib/units.js';

export const PROGRESS_THRESHOLD_BYTES = 1024 * 1024;

export class Progress {
  private done = 0;
  private readonly started: number;

  constructor(private readonly totalBytes: number, private readonly write: (line: string) => void, private readonly now: () => number = Date.now) {
    this.started = now();
  }

  get enabled(): boolean {
    return this.totalBytes >= PROGRESS_THRESHOLD_BYTES;
  }

  /** Record that `bytes` more of the input were handled by `stage`. */
  step(stage: string, bytes: number): void {
    this.done += bytes;
    if (!this.enabled) return;
    const seconds = Math.max((this.now() - this.started) / 1000, 0.001);
    const rate = this.done / seconds;
    const eta = rate > 0 ? (this.totalBytes - this.done) / rate : 0;
    const pct = Math.min(100, Math.round((this.done / this.totalBytes) * 100));
    this.write(`migrate: ${stage}: ${formatSize(this.done)}/${formatSize(this.totalBytes)} (${pct}%), ${formatSize(Math.round(rate))}/s, ETA ${eta.toFixed(1)}s`);
  }
}
