// MetaStore: the only way metadata code touches media. A write is volatile until persist()
// returns for a range that covers it; code must persist exactly what it relies on (the crash
// tests hold it to that: they drop or tear any write not covered by a persist).
export type PlacementKind = 'pmem' | 'block';

export interface MetaStore {
  /** Decides the AL format (slot table on pmem, transaction ring on block). */
  readonly kind: PlacementKind;
  readonly length: number;
  /** True when persist is a CPU cache flush (real or forced PMEM), false when it is msync/fdatasync. */
  readonly isPmem: boolean;
  /** A copy of the bytes at [offset, offset + length). */
  read(offset: number, length: number): Uint8Array;
  /** Copy the bytes at [offset, offset + target.length) into target (no allocation: hot paths). */
  readInto(offset: number, target: Uint8Array): void;
  /** Volatile until persisted. An aligned 8-byte write is a single store on pmem. */
  write(offset: number, data: Uint8Array): void;
  /** Durable when this returns. */
  persist(offset: number, length: number): void;
  /**
   * Every range durable when this returns, with no order among them (a crash during the call
   * may keep any subset). One fdatasync on block:; on pmem: one flush per range.
   */
  persistRanges(ranges: ReadonlyArray<readonly [offset: number, length: number]>): void;
  close(): void;
}

/** persistRanges for a store whose persist makes one range durable at a time. */
export function persistEach(store: MetaStore, ranges: ReadonlyArray<readonly [number, number]>): void {
  for (const [offset, length] of ranges) store.persist(offset, length);
}

/** A window [base, base + length) of another store: one allocator entry in a shared namespace. */
export class WindowStore implements MetaStore {
  readonly kind: PlacementKind;
  readonly isPmem: boolean;

  constructor(private readonly inner: MetaStore, private readonly base: number, readonly length: number) {
    this.kind = inner.kind;
    this.isPmem = inner.isPmem;
    checkRange(inner.length, base, length);
  }

  read(offset: number, length: number): Uint8Array {
    checkRange(this.length, offset, length);
    return this.inner.read(this.base + offset, length);
  }

  readInto(offset: number, target: Uint8Array): void {
    checkRange(this.length, offset, target.length);
    this.inner.readInto(this.base + offset, target);
  }

  write(offset: number, data: Uint8Array): void {
    checkRange(this.length, offset, data.length);
    this.inner.write(this.base + offset, data);
  }

  persist(offset: number, length: number): void {
    checkRange(this.length, offset, length);
    this.inner.persist(this.base + offset, length);
  }

  persistRanges(ranges: ReadonlyArray<readonly [number, number]>): void {
    for (const [offset, length] of ranges) checkRange(this.length, offset, length);
    this.inner.persistRanges(ranges.map(([offset, length]) => [this.base + offset, length] as const));
  }

  close(): void {
    this.inner.close();
  }
}

export function checkRange(size: number, offset: number, length: number): void {
  if (!(Number.isSafeInteger(offset) && Number.isSafeInteger(length) && offset >= 0 && length >= 0 && offset + length <= size)) {
    throw new RangeError(`metadata range [${offset}, ${offset}+${length}) outside a store of ${size} bytes`);
  }
}
