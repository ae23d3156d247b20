// Whether a process's main thread (the one running Node's event loop) sits in uninterruptible
// sleep, state 'D' in /proc/<pid>/task/<pid>/stat: that is a thread waiting on the disk (an
// fdatasync, a write held back by dirty-page throttling). Sampled every few milliseconds from
// outside; a busy machine delays a runnable thread ('R') but never puts it in 'D', so this tells a
// thread blocked on the disk apart from one starved of CPU.
import { readFileSync } from 'node:fs';

export class MainThreadDiskWaits {
  /** every sample: when (performance.now()) and whether the main thread was in 'D' */
  private readonly samples: Array<{ at: number; d: boolean }> = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly pid: number, private readonly everyMs = 5) {}

  start(): this {
    this.timer = setInterval(() => this.sample(), this.everyMs);
    return this;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Whether it was seen in 'D' between two times (performance.now()). */
  blockedBetween(from: number, to: number): boolean {
    return this.samples.some((x) => x.d && x.at >= from && x.at <= to);
  }

  /** The longest run of consecutive 'D' samples (no other state seen between), first to last, in ms. */
  longestRunMs(): number {
    let longest = 0;
    let runStart: number | null = null;
    for (const x of this.samples) {
      if (!x.d) { runStart = null; continue; }
      runStart ??= x.at;
      longest = Math.max(longest, x.at - runStart);
    }
    return longest;
  }

  summary(): string {
    return `${this.samples.length} samples, ${this.samples.filter((x) => x.d).length} in D, longest run in D ${this.longestRunMs().toFixed(0)} ms`;
  }

  private sample(): void {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${this.pid}/task/${this.pid}/stat`, 'utf8');
    } catch {
      return; // the process is gone
    }
    // "pid (comm) S ...": comm may hold spaces and parentheses, the state follows the last ')'
    this.samples.push({ at: performance.now(), d: stat[stat.lastIndexOf(')') + 2] === 'D' });
  }
}
