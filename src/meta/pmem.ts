// pmem: placement — the file or devdax is mapped with libpmem; stores go straight to the mapping
// and persist() flushes CPU caches (real PMEM) or msyncs (anything else, e.g. tmpfs in tests).
import { statSync } from 'node:fs';
import { TandemError } from '../lib/errors.js';
import { pmemAddon } from './native.js';
import { checkRange, type MetaStore } from './store.js';

export class PmemStore implements MetaStore {
  readonly kind = 'pmem' as const;
  readonly isPmem: boolean;
  readonly length: number;
  private bytes: Uint8Array;
  private words: BigUint64Array;
  private buffer: ArrayBuffer;

  /** Map an existing file/devdax whole, or create a file of `createSize` bytes. */
  static open(path: string, createSize?: number): PmemStore {
    const addon = pmemAddon();
    if (createSize === undefined && !exists(path)) {
      throw new TandemError('TANDEM_E_NOT_FOUND', `PMEM metadata ${path} does not exist`, {
        hint: "create it with 'tandem md create --meta pmem:<path> …'",
      });
    }
    try {
      const m = addon.map(path, createSize ?? 0, createSize !== undefined);
      return new PmemStore(m.buffer, m.isPmem);
    } catch (err) {
      throw new TandemError('TANDEM_E_IO', `cannot map ${path}: ${(err as Error).message}`, {
        hint: 'check the path (a file on a DAX/tmpfs file system or a /dev/daxX.Y device) and permissions',
        cause: err,
      });
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

  write(offset: number, data: Uint8Array): void {
    checkRange(this.length, offset, data.length);
    if (data.length === 8 && offset % 8 === 0) {
      // One 8-byte store: PMEM guarantees power-fail atomicity for aligned 8-byte stores only.
      this.words[offset / 8] = new BigUint64Array(data.buffer.slice(data.byteOffset, data.byteOffset + 8))[0];
      return;
    }
    this.bytes.set(data, offset);
  }

  persist(offset: number, length: number): void {
    checkRange(this.length, offset, length);
    if (length > 0) pmemAddon().persist(this.buffer, offset, length, this.isPmem);
  }

  close(): void {
    // The mapping is released when the ArrayBuffer is collected; drop our references to it.
    this.bytes = new Uint8Array(0);
    this.words = new BigUint64Array(0);
    this.buffer = new ArrayBuffer(0);
  }
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}
