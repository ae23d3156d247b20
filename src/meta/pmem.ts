// pmem: placement — a range of a file or devdax mapped with the libpmem addon; stores go straight
// to the mapping and persist() flushes CPU caches (real PMEM) or msyncs (anything else, e.g. tmpfs
// in tests).
import { closeSync, constants, ftruncateSync, openSync } from 'node:fs';
import { TandemError } from '../lib/errors.js';
import { sizeOf } from './device-size.js';
import { pmemAddon } from './native.js';
import { checkRange, persistEach, type MetaStore } from './store.js';

/** Node 20 cannot wrap more in one ArrayBuffer; larger namespaces are mapped per area. */
export const MAX_MAPPING = 2 ** 32;

export class PmemStore implements MetaStore {
  readonly kind = 'pmem' as const;
  readonly isPmem: boolean;
  readonly length: number;
  private bytes: Uint8Array;
  private words: BigUint64Array;
  private buffer: ArrayBuffer;
  private readonly scratch = new BigUint64Array(1);
  private readonly scratchBytes = new Uint8Array(this.scratch.buffer);

  /** Map an existing file/devdax whole, or first create a file of `createSize` bytes. */
  static open(path: string, createSize?: number): PmemStore {
    const size = createSize === undefined ? PmemStore.size(path) : createFile(path, createSize);
    return PmemStore.openRange(path, 0, size);
  }

  /** Map [offset, offset + length) of an existing file or devdax. */
  static openRange(path: string, offset: number, length: number): PmemStore {
    const addon = pmemAddon();
    if (length > MAX_MAPPING) {
      throw new TandemError('TANDEM_E_META_SPACE', `${path}: a mapping of ${length} bytes is larger than the 4 GiB Node can address at once`, {
        hint: 'share a larger namespace through #<resource>/<volume> areas, each mapped on its own',
      });
    }
    try {
      const m = addon.mapRange(path, offset, length);
      return new PmemStore(m.buffer, m.isPmem);
    } catch (err) {
      throw new TandemError('TANDEM_E_IO', `cannot map ${path}: ${(err as Error).message}`, {
        hint: 'check the path (a file on a DAX/tmpfs file system or a /dev/daxX.Y device) and permissions',
        cause: err,
      });
    }
  }

  /** Size of an existing file or devdax. */
  static size(path: string): number {
    let fd: number;
    try {
      fd = openSync(path, constants.O_RDONLY);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw new TandemError(e.code === 'ENOENT' ? 'TANDEM_E_NOT_FOUND' : 'TANDEM_E_IO', `cannot open PMEM metadata ${path}: ${e.message}`, {
        hint: "create it with 'tandem md create --meta pmem:<path> …'", cause: err,
      });
    }
    try {
      return sizeOf(fd, path);
    } finally {
      closeSync(fd);
    }
  }

  private constructor(buffer: ArrayBuffer, isPmem: boolean) {
    this.buffer = buffer;
    this.isPmem = isPmem;
    this.length = buffer.byteLength;
    this.bytes = new Uint8Array(buffer);
    this.words = new BigUint64Array(buffer, 0, Math.floor(buffer.byteLength / 8));
  }

  read(offset: number, length: number): Uint8Array {
    checkRange(this.length, offset, length);
    return this.bytes.slice(offset, offset + length);
  }

  readInto(offset: number, target: Uint8Array): void {
    checkRange(this.length, offset, target.length);
    target.set(this.bytes.subarray(offset, offset + target.length));
  }

  write(offset: number, data: Uint8Array): void {
    checkRange(this.length, offset, data.length);
    if (data.length === 8 && offset % 8 === 0) {
      // One 8-byte store: PMEM guarantees power-fail atomicity for aligned 8-byte stores only.
      // The bytes go through a scratch word (no allocation per store: AL updates are per write).
      this.scratchBytes.set(data);
      this.words[offset / 8] = this.scratch[0];
      return;
    }
    this.bytes.set(data, offset);
  }

  persist(offset: number, length: number): void {
    checkRange(this.length, offset, length);
    if (length > 0) pmemAddon().persist(this.buffer, offset, length, this.isPmem);
  }

  /**
   * Real PMEM: a cache flush per range. Anything else: one msync over the span of all ranges,
   * which costs one syscall (msync only writes back pages that are dirty).
   */
  persistRanges(ranges: ReadonlyArray<readonly [number, number]>): void {
    if (this.isPmem || ranges.length < 2) {
      persistEach(this, ranges);
      return;
    }
    let from = Infinity;
    let to = 0;
    for (const [offset, length] of ranges) {
      checkRange(this.length, offset, length);
      from = Math.min(from, offset);
      to = Math.max(to, offset + length);
    }
    this.persist(from, to - from);
  }

  close(): void {
    // The mapping is released when the ArrayBuffer is collected; drop our references to it.
    this.bytes = new Uint8Array(0);
    this.words = new BigUint64Array(0);
    this.buffer = new ArrayBuffer(0);
  }
}

/** Create (or resize) the file; formatting writes every byte of it, which preallocates it. */
function createFile(path: string, size: number): number {
  const fd = openSync(path, constants.O_RDWR | constants.O_CREAT | constants.O_TRUNC, 0o600);
  try {
    ftruncateSync(fd, size);
  } finally {
    closeSync(fd);
  }
  return size;
}
