// block: placement — a file or block device written with pwrite and made durable with fdatasync.
// Synchronous fs calls on purpose: fs.promises adds ~50 µs of thread-pool hops per write+sync.
import { closeSync, fdatasyncSync, ftruncateSync, openSync, readSync, writeSync, constants } from 'node:fs';
import { sizeOf } from './device-size.js';
import { TandemError } from '../lib/errors.js';
import { checkRange, type MetaStore } from './store.js';

export class BlockStore implements MetaStore {
  readonly kind = 'block' as const;
  readonly isPmem = false;
  readonly length: number;
  private fd: number;

  /** Open an existing file/device, or create a file of `createSize` bytes (formatting then writes all of it). */
  static open(path: string, createSize?: number): BlockStore {
    let fd: number;
    try {
      fd = openSync(path, createSize === undefined ? constants.O_RDWR : constants.O_RDWR | constants.O_CREAT, 0o600);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw new TandemError(e.code === 'ENOENT' ? 'TANDEM_E_NOT_FOUND' : 'TANDEM_E_IO', `cannot open block metadata ${path}: ${e.message}`, {
        hint: createSize === undefined ? "create it with 'tandem md create --meta block:<path> …'" : 'check the path and permissions',
        cause: err,
      });
    }
    if (createSize !== undefined) ftruncateSync(fd, createSize);
    return new BlockStore(fd, createSize ?? sizeOf(fd, path));
  }

  private constructor(fd: number, length: number) {
    this.fd = fd;
    this.length = length;
  }

  read(offset: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    this.readInto(offset, out);
    return out;
  }

  readInto(offset: number, target: Uint8Array): void {
    checkRange(this.length, offset, target.length);
    let done = 0;
    while (done < target.length) {
      const n = readSync(this.fd, target, done, target.length - done, offset + done);
      if (n === 0) { target.fill(0, done); break; } // beyond the end of a short file reads as zeros
      done += n;
    }
  }

  write(offset: number, data: Uint8Array): void {
    checkRange(this.length, offset, data.length);
    let done = 0;
    while (done < data.length) done += writeSync(this.fd, data, done, data.length - done, offset + done);
  }

  /** fdatasync makes the whole file durable; the range is what the caller relies on. */
  persist(offset: number, length: number): void {
    checkRange(this.length, offset, length);
    fdatasyncSync(this.fd);
  }

  /** One fdatasync covers every range. */
  persistRanges(ranges: ReadonlyArray<readonly [number, number]>): void {
    for (const [offset, length] of ranges) checkRange(this.length, offset, length);
    if (ranges.length > 0) fdatasyncSync(this.fd);
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}
