// Overlapping requests in flight, one at a time (DRBD's conflict detection). Two writes to the
// same block that were in flight together could complete in either order on a disk; on two
// replicas in different orders, and the replicas would differ. So a request waits until every
// earlier request it overlaps has released its range. Ranges are rounded out to 4 KiB blocks,
// which also lets a BlockDevice read-modify-write the edges of an unaligned request safely.
//
// Order is first come, first served among overlapping requests: a request also waits behind an
// earlier *waiting* request it overlaps, so a stream of small writes cannot starve a large one.
import { assert } from '../lib/assert.js';

export const LOCK_BLOCK = 4096;

export interface LockedRange {
  readonly start: number;
  readonly end: number;
}

interface Waiter extends LockedRange {
  grant: (range: LockedRange) => void;
}

export class RangeLock {
  /**
   * Unordered, dense. Not a Set: ranges leave in about the order they came, and a Set emptied
   * from the front is walked over its deleted entries on every conflict check until it regrows.
   */
  private readonly held: LockedRange[] = [];
  private waiters: Waiter[] = [];

  get size(): number {
    return this.held.length;
  }

  /** The range, locked; a Promise only when it must wait (no allocation on the fast path). */
  acquire(offset: number, length: number): LockedRange | Promise<LockedRange> {
    const range = rounded(offset, length);
    if (!this.conflicts(range, this.waiters.length)) {
      this.held.push(range);
      return range;
    }
    return new Promise((grant) => this.waiters.push({ ...range, grant }));
  }

  release(range: LockedRange): void {
    const i = this.held.indexOf(range);
    assert(i >= 0, 'a released range was held');
    const last = this.held.pop()!;
    if (i < this.held.length) this.held[i] = last;
    if (this.waiters.length > 0) this.grantWaiters();
  }

  private grantWaiters(): void {
    const still: Waiter[] = [];
    for (const w of this.waiters) {
      if (this.conflicts(w, 0) || still.some((s) => overlaps(s, w))) {
        still.push(w);
        continue;
      }
      const range: LockedRange = { start: w.start, end: w.end };
      this.held.push(range);
      w.grant(range);
    }
    this.waiters = still;
  }

  /** Overlaps a held range, or one of the first `waiting` waiters. */
  private conflicts(range: LockedRange, waiting: number): boolean {
    for (let i = 0; i < this.held.length; i++) if (overlaps(this.held[i], range)) return true;
    for (let i = 0; i < waiting; i++) if (overlaps(this.waiters[i], range)) return true;
    return false;
  }
}

function rounded(offset: number, length: number): LockedRange {
  const start = Math.floor(offset / LOCK_BLOCK) * LOCK_BLOCK;
  const end = Math.ceil((offset + Math.max(length, 1)) / LOCK_BLOCK) * LOCK_BLOCK;
  return { start, end };
}

function overlaps(a: LockedRange, b: LockedRange): boolean {
  return a.start < b.end && b.start < a.end;
}
