// The trace of one simulated run: every event and every engine log line, in order. It is always
// hashed (the determinism check: the same seed gives the same hash on every run) and its last
// lines are kept for the report of a failing seed (all of them when asked to).

export class Trace {
  private h1 = 0xdeadbeef;
  private h2 = 0x41c6ce57;
  private readonly lines: string[] = [];
  /** lines recorded so far */
  count = 0;

  /** keep: how many of the last lines to keep (Infinity: all) */
  constructor(private readonly keep = 400) {}

  event(time: number, owner: string, kind: string, detail: string): void {
    this.line(`${formatTime(time)} ${owner} ${kind}${detail ? ' ' + detail : ''}`);
  }

  note(time: number, owner: string, text: string): void {
    this.line(`${formatTime(time)} ${owner} | ${text}`);
  }

  private line(text: string): void {
    let h1 = this.h1;
    let h2 = this.h2;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 2654435761);
      h2 = Math.imul(h2 ^ c, 1597334677);
    }
    // line separator, so that ["ab","c"] and ["a","bc"] hash differently
    this.h1 = Math.imul(h1 ^ 10, 2654435761);
    this.h2 = Math.imul(h2 ^ 10, 1597334677);
    this.count++;
    if (this.keep === 0) return;
    this.lines.push(text);
    if (this.lines.length > this.keep * 2) {
      this.lines.splice(0, this.lines.length - this.keep);
    }
  }

  /** the run's fingerprint: 16 hex digits */
  hash(): string {
    const a = Math.imul(this.h1 ^ (this.h1 >>> 16), 2246822507) ^ Math.imul(this.h2 ^ (this.h2 >>> 13), 3266489909);
    const b = Math.imul(this.h2 ^ (this.h2 >>> 16), 2246822507) ^ Math.imul(this.h1 ^ (this.h1 >>> 13), 3266489909);
    return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0');
  }

  /** the kept lines (the last `keep` of them) */
  tail(): string[] {
    return this.keep === Infinity ? [...this.lines] : this.lines.slice(-this.keep);
  }
}

/** milliseconds with microsecond precision, fixed width for readable traces */
export function formatTime(ms: number): string {
  return (Math.round(ms * 1000) / 1000).toFixed(3).padStart(10, ' ');
}
