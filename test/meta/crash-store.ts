// A MetaStore wrapper that injects crashes (test-only). It keeps the "persisted image" beside the
// inner store's volatile content; a crash drops every write not covered by a persist(), except a
// random subset of its 8-byte words (a torn multi-word update), and the operation that crashes
// takes effect partially.
import type { MetaStore } from '../../src/meta/store.js';

export class CrashError extends Error {
  constructor(readonly op: number) {
    super(`injected crash at store operation ${op}`);
  }
}

/** Small seeded PRNG (mulberry32): every run is replayable from its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

export class CrashStore implements MetaStore {
  readonly kind: MetaStore['kind'];
  readonly isPmem: boolean;
  readonly length: number;
  private readonly persisted: Uint8Array;
  private readonly dirty = new Set<number>();
  ops = 0;
  crashed = false;
  /** Crash on this operation (1-based); Infinity = never. */
  crashAt = Infinity;

  constructor(private readonly inner: MetaStore, private readonly random: () => number) {
    this.kind = inner.kind;
    this.isPmem = inner.isPmem;
    this.length = inner.length;
    this.persisted = inner.read(0, inner.length);
  }

  read(offset: number, length: number): Uint8Array {
    this.checkAlive();
    return this.inner.read(offset, length);
  }

  write(offset: number, data: Uint8Array): void {
    this.tick(() => {
      this.inner.write(offset, data);
      for (let w = Math.floor(offset / 8); w * 8 < offset + data.length; w++) this.dirty.add(w);
    });
  }

  persist(offset: number, length: number): void {
    this.tick(() => {
      this.inner.persist(offset, length);
      const first = Math.floor(offset / 8);
      const end = Math.ceil((offset + length) / 8);
      const volatile = this.inner.read(first * 8, Math.min(end * 8, this.length) - first * 8);
      const crashing = this.ops === this.crashAt;
      for (let w = first; w < end; w++) {
        // A crash during persist: some of the range's words made it, some did not.
        if (!this.dirty.has(w) || (crashing && this.random() < 0.5)) continue;
        this.persisted.set(volatile.subarray((w - first) * 8, (w - first) * 8 + 8), w * 8);
        this.dirty.delete(w);
      }
    });
  }

  /** VolumeMetadata.close() ends with this; the inner store stays open so the test can reopen. */
  close(): void {}

  /** The bytes that survive the crash: persisted words plus a random subset of dirty ones. */
  crashImage(): Uint8Array {
    const image = this.persisted.slice();
    const volatile = this.inner.read(0, this.length);
    for (const w of this.dirty) {
      if (this.random() < 0.5) image.set(volatile.subarray(w * 8, Math.min(w * 8 + 8, this.length)), w * 8);
    }
    return image;
  }

  private tick(apply: () => void): void {
    this.checkAlive();
    this.ops += 1;
    if (this.ops < this.crashAt) {
      apply();
      return;
    }
    apply();
    this.crashed = true;
    throw new CrashError(this.ops);
  }

  private checkAlive(): void {
    if (this.crashed) throw new CrashError(this.ops);
  }
}
