// Simulated backing disks. A SimDisk is the medium (it outlives crashes); a SimBlockDevice is the
// BlockDevice one running incarnation of a node opened on it (platform.ts).
//
// The medium is sparse, in 4 KiB blocks, with a volatile write cache as real drives have:
//   * a completed write sits in the cache: reads see it, a power loss may lose it;
//   * a FUA write, or a write completed before a flush was submitted, is durable once that
//     completes;
//   * at a power loss every cached block independently survives or not, and every block of a write
//     still in flight independently landed or not (multi-block writes tear at 4 KiB);
//   * a process crash (kill -9) loses nothing the kernel already has: in-flight writes land.
// Requests complete after a random latency, in any order. Faults: EIO on reads or writes,
// ENOSPC on writes, slowness. The engine promises never to have two requests in flight on the
// same 4 KiB block when one of them writes; the device checks that promise.
import type { BlockDevice } from '../../engine/platform.js';
import type { Random } from './random.js';
import type { Owner, Scheduler } from './scheduler.js';

export const BLOCK = 4096;
/** the content of a block never written (shared, never modified) */
export const ZERO = Buffer.alloc(BLOCK);

export interface DiskFaults {
  /** writes (and write-zeroes) fail with this errno */
  writeError: 'EIO' | 'ENOSPC' | null;
  /** reads fail with EIO */
  readError: boolean;
  /** latency multiplier (1 = healthy) */
  slowness: number;
}

export interface DiskLatency {
  readMs: [number, number];
  writeMs: [number, number];
  flushMs: [number, number];
}

export const DEFAULT_LATENCY: DiskLatency = { readMs: [0.02, 0.2], writeMs: [0.03, 0.4], flushMs: [0.2, 2] };

interface Cached {
  data: Buffer;
  /** completion stamp: a flush covers the blocks completed before it was submitted */
  stamp: number;
  /**
   * the cached write this one replaced: a flush submitted before this one completed still makes
   * that one durable (the medium then holds it, never what was there before it)
   */
  older?: Cached;
}

interface InFlight {
  first: number;
  /** exclusive */
  end: number;
  /** what a write puts there (data null: zeroes); null for a read */
  write: { offset: number; length: number; data: Buffer | null } | null;
}

export type DiskViolation = (checker: string, message: string) => void;

export class SimDisk {
  private readonly durable = new Map<number, Buffer>();
  private readonly cache = new Map<number, Cached>();
  /** (block, stamp) in completion order: a flush moves the cached blocks older than its stamp */
  private readonly completions: Array<[number, number]> = [];
  private completionsHead = 0;
  private readonly inFlight = new Set<InFlight>();
  /** flushes submitted and not completed: writes an engine orders behind them are not submitted yet */
  private flushesInFlight = 0;
  private stamp = 0;
  faults: DiskFaults = { writeError: null, readError: false, slowness: 1 };

  constructor(
    readonly path: string,
    readonly sizeBytes: number,
    private readonly random: Random,
    private readonly latency: DiskLatency = DEFAULT_LATENCY,
    private readonly violation: DiskViolation = () => undefined,
  ) {}

  /** The bytes a read would return now (cache first, then the medium). For checkers too. */
  read(offset: number, length: number): Buffer {
    const out = Buffer.allocUnsafe(length);
    let pos = offset;
    while (pos < offset + length) {
      const block = Math.floor(pos / BLOCK);
      const within = pos - block * BLOCK;
      const n = Math.min(BLOCK - within, offset + length - pos);
      const content = this.block(block);
      if (content === ZERO) out.fill(0, pos - offset, pos - offset + n);
      else content.copy(out, pos - offset, within, within + n);
      pos += n;
    }
    return out;
  }

  /** The current content of a 4 KiB block (a shared zero block when never written). */
  block(index: number): Buffer {
    return this.cache.get(index)?.data ?? this.durable.get(index) ?? ZERO;
  }

  /** Blocks that hold anything but zeros somewhere (for whole-disk comparisons). */
  writtenBlocks(): Set<number> {
    const all = new Set<number>();
    for (const b of this.durable.keys()) all.add(b);
    for (const b of this.cache.keys()) all.add(b);
    return all;
  }

  /** Blocks written but not yet durable. */
  get cachedBlocks(): number {
    return this.cache.size;
  }

  /**
   * The machine lost power: cached blocks survive or not, each on its own; blocks of writes in
   * flight landed or not, each on its own. Returns what the lost blocks held before.
   */
  powerLoss(): Map<number, Buffer> {
    const lost = new Map<number, Buffer>();
    for (const [block, cached] of this.cache) {
      if (this.random.chance(0.5)) this.durable.set(block, cached.data);
      else lost.set(block, cached.data);
    }
    this.cache.clear();
    this.completions.length = 0;
    this.completionsHead = 0;
    for (const w of this.inFlight) {
      if (!w.write) continue;
      for (const [block, data] of this.contentsOf(w.write)) if (this.random.chance(0.5)) this.durable.set(block, data);
    }
    this.inFlight.clear();
    this.flushesInFlight = 0;
    return lost;
  }

  /** Requests submitted and not completed. */
  get busy(): boolean {
    return this.inFlight.size > 0 || this.flushesInFlight > 0;
  }

  /** The process died, the machine did not: what the kernel has lands. */
  processKilled(): void {
    for (const w of this.inFlight) if (w.write) this.landInCache(this.contentsOf(w.write));
    this.inFlight.clear();
    this.flushesInFlight = 0;
  }

  /** Open for one incarnation: its requests complete as events it owns. */
  open(scheduler: Scheduler, owner: Owner): SimBlockDevice {
    return new SimBlockDevice(this, scheduler, owner);
  }

  // ---- used by SimBlockDevice -----------------------------------------------------------------

  checkRange(offset: number, length: number, what: string): string | null {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > this.sizeBytes) {
      const message = `${what} [${offset}, +${length}) outside the ${this.sizeBytes}-byte disk ${this.path}`;
      this.violation('disk-range', message);
      return message;
    }
    return null;
  }

  begin(offset: number, length: number, write: InFlight['write']): InFlight {
    const first = Math.floor(offset / BLOCK);
    const end = Math.max(first + 1, Math.ceil((offset + length) / BLOCK));
    for (const other of this.inFlight) {
      if ((write || other.write) && other.first < end && first < other.end) {
        this.violation('disk-overlap', `${this.path}: a ${write ? 'write' : 'read'} of blocks [${first}, ${end}) was submitted while a `
          + `${other.write ? 'write' : 'read'} of blocks [${other.first}, ${other.end}) is in flight`);
        break;
      }
    }
    const w: InFlight = { first, end, write };
    this.inFlight.add(w);
    return w;
  }

  finish(w: InFlight, outcome: 'done' | 'failed', fua: boolean): void {
    if (!this.inFlight.delete(w)) return; // a crash settled it already
    if (!w.write) return;
    const blocks = this.contentsOf(w.write);
    if (outcome === 'failed') {
      // a failed write may have reached some of its blocks
      for (const [block, data] of blocks) if (this.random.chance(0.3)) this.landInCache(new Map([[block, data]]));
      return;
    }
    if (fua) for (const [block, data] of blocks) { this.cache.delete(block); this.durable.set(block, data); }
    else this.landInCache(blocks);
  }

  /**
   * New contents of the blocks a write covers, taken when it reaches the medium (the engine keeps
   * the buffer unchanged until the write completes, as with any asynchronous device): partial
   * blocks merged with what is there, all-zero blocks the shared zero block (a resync of a sparse
   * volume stays sparse and costs no copy), other blocks copied.
   */
  contentsOf(write: NonNullable<InFlight['write']>): Map<number, Buffer> {
    const { offset, data, length } = write;
    const blocks = new Map<number, Buffer>();
    let pos = offset;
    while (pos < offset + length) {
      const block = Math.floor(pos / BLOCK);
      const within = pos - block * BLOCK;
      const n = Math.min(BLOCK - within, offset + length - pos);
      if (n === BLOCK && data === null) {
        blocks.set(block, ZERO);
      } else if (n === BLOCK) {
        const view = data!.subarray(pos - offset, pos - offset + BLOCK);
        blocks.set(block, view.equals(ZERO) ? ZERO : copyOf(view));
      } else {
        const content = copyOf(this.block(block));
        if (data) data.copy(content, within, pos - offset, pos - offset + n);
        else content.fill(0, within, within + n);
        blocks.set(block, content);
      }
      pos += n;
    }
    return blocks;
  }

  nextStamp(): number {
    return this.stamp;
  }

  flushBegun(): void {
    this.flushesInFlight++;
  }

  flushEnded(): void {
    if (this.flushesInFlight > 0) this.flushesInFlight--; // 0 already when a crash settled it
  }

  /** Everything completed before stamp `upTo` was taken is durable now. */
  flushed(upTo: number): void {
    const log = this.completions;
    while (this.completionsHead < log.length && log[this.completionsHead][1] < upTo) {
      const [block, stamp] = log[this.completionsHead++];
      const cached = this.cache.get(block);
      if (cached?.stamp === stamp) {
        this.durable.set(block, cached.data);
        this.cache.delete(block);
        continue;
      }
      // rewritten since: the flushed version is durable under the newer cached one
      for (let newer = cached; newer?.older; newer = newer.older) {
        if (newer.older.stamp !== stamp) continue;
        this.durable.set(block, newer.older.data);
        newer.older = undefined;
        break;
      }
    }
    if (this.completionsHead > 4096 && this.completionsHead * 2 > log.length) {
      log.splice(0, this.completionsHead);
      this.completionsHead = 0;
    }
  }

  latencyOf(op: keyof DiskLatency): number {
    const [lo, hi] = this.latency[op];
    return this.random.real(lo, hi) * this.faults.slowness;
  }

  private landInCache(blocks: Map<number, Buffer>): void {
    const stamp = this.stamp++;
    for (const [block, data] of blocks) {
      // only a flush in flight can still make the replaced entry durable: any later one covers this
      this.cache.set(block, { data, stamp, older: this.flushesInFlight > 0 ? this.cache.get(block) : undefined });
      this.completions.push([block, stamp]);
    }
  }
}

/**
 * What a request of a dead incarnation gets. A crash in the middle of an event (an injected fault
 * fires from inside the engine) lets the rest of that event's code and its Promises run on; a dead
 * process submits nothing, so its requests never reach the medium (they would sit in flight for
 * ever, and land at the next crash over newer data) and never settle.
 */
const NEVER: Promise<never> = new Promise(() => undefined);

export class SimBlockDevice implements BlockDevice {
  readonly ioMode = 'sim';
  private closed = false;

  constructor(private readonly disk: SimDisk, private readonly scheduler: Scheduler, private readonly owner: Owner) {}

  get path(): string {
    return this.disk.path;
  }

  get sizeBytes(): number {
    return this.disk.sizeBytes;
  }

  read(offset: number, length: number): Promise<Buffer> {
    if (!this.owner.alive) return NEVER;
    const bad = this.refuse(offset, length, 'read');
    if (bad) return bad;
    const w = this.disk.begin(offset, length, null);
    return new Promise((resolve, reject) => {
      this.scheduler.after(this.disk.latencyOf('readMs'), this.owner, 'disk', `${this.disk.path} read ${offset}+${length}`, () => {
        this.disk.finish(w, 'done', false);
        if (this.disk.faults.readError) reject(errno('EIO', `read of ${this.disk.path} failed (injected)`));
        else resolve(this.disk.read(offset, length));
      });
    });
  }

  write(offset: number, data: Buffer, fua: boolean): Promise<void> {
    return this.submitWrite(offset, data.length, data, fua, 'write');
  }

  writeZeroes(offset: number, length: number, fua: boolean): Promise<void> {
    return this.submitWrite(offset, length, null, fua, 'zero');
  }

  flush(): Promise<void> {
    if (!this.owner.alive) return NEVER;
    if (this.closed) return Promise.reject(errno('EBADF', `${this.disk.path} is closed`));
    const upTo = this.disk.nextStamp();
    this.disk.flushBegun();
    return new Promise((resolve, reject) => {
      this.scheduler.after(this.disk.latencyOf('flushMs'), this.owner, 'disk', `${this.disk.path} flush`, () => {
        this.disk.flushEnded();
        if (this.disk.faults.writeError === 'EIO') { reject(errno('EIO', `flush of ${this.disk.path} failed (injected)`)); return; }
        this.disk.flushed(upTo);
        resolve();
      });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private submitWrite(offset: number, length: number, data: Buffer | null, fua: boolean, what: string): Promise<void> {
    if (!this.owner.alive) return NEVER;
    const bad = this.refuse(offset, length, what);
    if (bad) return bad;
    const w = this.disk.begin(offset, length, { offset, length, data });
    return new Promise((resolve, reject) => {
      this.scheduler.after(this.disk.latencyOf('writeMs'), this.owner, 'disk', `${this.disk.path} ${what} ${offset}+${length}${fua ? ' fua' : ''}`, () => {
        const error = this.disk.faults.writeError;
        if (error) {
          this.disk.finish(w, 'failed', false);
          reject(errno(error, `${what} of ${this.disk.path} failed (injected ${error})`));
          return;
        }
        this.disk.finish(w, 'done', fua);
        resolve();
      });
    });
  }

  private refuse(offset: number, length: number, what: string): Promise<never> | null {
    if (this.closed) return Promise.reject(errno('EBADF', `${this.disk.path} is closed`));
    const bad = this.disk.checkRange(offset, length, what);
    return bad ? Promise.reject(errno('EINVAL', bad)) : null;
  }
}

/** A private copy (native memcpy; Buffer.from walks a Buffer element by element). */
function copyOf(data: Buffer): Buffer {
  const copy = Buffer.allocUnsafe(data.length);
  data.copy(copy);
  return copy;
}

export function errno(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}
