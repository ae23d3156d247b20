// Simulated metadata media for the real metadata code (src/meta/volume-metadata.ts), with the
// crash semantics the metadata crash tests model (test/meta/crash.test.ts):
//   pmem:  a store is a CPU store into the mapping; persist(range) flushes that range's cache
//          lines. At a power loss, unpersisted 8-byte words survive or not, each on its own (an
//          aligned 8-byte store is the unit PMEM makes atomic).
//   block: a store is a pwrite into the page cache; persist is fdatasync, which makes the whole
//          file durable. At a power loss, unpersisted 512-byte sectors survive or not.
// A process crash loses nothing: the mapping and the page cache belong to the kernel.
//
// A MetaMedium outlives crashes; each incarnation of a node opens a SimMetaStore on it.
import { checkRange, type MetaStore, type PlacementKind } from '../../meta/store.js';
import type { Random } from './random.js';

export class MetaMedium {
  /** what reads return: the latest stores */
  private readonly volatile: Uint8Array;
  /** what survives a power loss for sure */
  private readonly persisted: Uint8Array;
  /** one flag per tear unit (8-byte word on pmem, 512-byte sector on block) written since persisted */
  private readonly dirty: Uint8Array;
  private dirtyUnits = 0;
  readonly unit: number;
  /** persist() calls so far: a fault can crash the node at a chosen one */
  persists = 0;

  constructor(readonly kind: PlacementKind, readonly length: number, private readonly random: Random) {
    this.volatile = new Uint8Array(length);
    this.persisted = new Uint8Array(length);
    this.unit = kind === 'pmem' ? 8 : 512;
    this.dirty = new Uint8Array(Math.ceil(length / this.unit));
  }

  read(offset: number, length: number): Uint8Array {
    checkRange(this.length, offset, length);
    return this.volatile.slice(offset, offset + length);
  }

  readInto(offset: number, target: Uint8Array): void {
    checkRange(this.length, offset, target.length);
    target.set(this.volatile.subarray(offset, offset + target.length));
  }

  write(offset: number, data: Uint8Array): void {
    checkRange(this.length, offset, data.length);
    this.volatile.set(data, offset);
    const last = Math.floor((offset + Math.max(data.length, 1) - 1) / this.unit);
    for (let u = Math.floor(offset / this.unit); u <= last; u++) {
      if (this.dirty[u] === 0) { this.dirty[u] = 1; this.dirtyUnits++; }
    }
  }

  persist(offset: number, length: number): void {
    checkRange(this.length, offset, length);
    this.persists++;
    if (this.dirtyUnits === 0) return;
    // fdatasync syncs the whole file; a pmem persist flushes only its range
    const [first, last] = this.kind === 'block'
      ? [0, this.dirty.length - 1]
      : [Math.floor(offset / this.unit), Math.floor((offset + Math.max(length, 1) - 1) / this.unit)];
    for (let u = first; u <= last; u++) this.persistUnit(u);
  }

  /** The machine lost power: unpersisted units survive or not, each on its own. */
  powerLoss(): void {
    for (let u = 0; u < this.dirty.length; u++) {
      if (this.dirty[u] === 0) continue;
      if (this.random.chance(0.5)) this.persistUnit(u);
    }
    this.volatile.set(this.persisted);
    this.dirty.fill(0);
    this.dirtyUnits = 0;
  }

  /** A store for one incarnation; it stops working when the incarnation dies mid-update. */
  open(alive: () => boolean): SimMetaStore {
    return new SimMetaStore(this, alive);
  }

  private persistUnit(u: number): void {
    if (this.dirty[u] === 0) return;
    const start = u * this.unit;
    const end = Math.min(start + this.unit, this.length);
    this.persisted.set(this.volatile.subarray(start, end), start);
    this.dirty[u] = 0;
    this.dirtyUnits--;
  }
}

/** Thrown into the engine when its node crashes in the middle of a metadata update. */
export class SimCrash extends Error {
  constructor(readonly node: string) {
    super(`simulated crash of ${node}`);
    this.name = 'SimCrash';
  }
}

export class SimMetaStore implements MetaStore {
  readonly isPmem: boolean;
  /** crash the node at this persist() (a medium-wide count), or never */
  crashAtPersist = Infinity;
  onCrash: (() => void) | null = null;

  constructor(private readonly medium: MetaMedium, private readonly alive: () => boolean) {
    this.isPmem = medium.kind === 'pmem';
  }

  get kind(): PlacementKind {
    return this.medium.kind;
  }

  get length(): number {
    return this.medium.length;
  }

  /** persist() calls the medium has seen (the crash point counts from here) */
  get persists(): number {
    return this.medium.persists;
  }

  read(offset: number, length: number): Uint8Array {
    this.check();
    return this.medium.read(offset, length);
  }

  readInto(offset: number, target: Uint8Array): void {
    this.check();
    this.medium.readInto(offset, target);
  }

  write(offset: number, data: Uint8Array): void {
    this.check();
    this.medium.write(offset, data);
  }

  persist(offset: number, length: number): void {
    this.check();
    if (this.medium.persists + 1 >= this.crashAtPersist) {
      // the crash comes in the middle of this persist: part of the range made it
      this.onCrash?.();
      throw new SimCrash('metadata persist');
    }
    this.medium.persist(offset, length);
  }

  /** Every range durable on return, in no particular order: a crash in the middle keeps a subset. */
  persistRanges(ranges: ReadonlyArray<readonly [number, number]>): void {
    for (const [offset, length] of ranges) this.persist(offset, length);
  }

  close(): void {}

  private check(): void {
    if (!this.alive()) throw new SimCrash('metadata access after the crash');
  }
}
