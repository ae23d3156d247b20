// An NBD backend on a regular file or block device with synchronous I/O in the event loop:
// on tmpfs, PMEM and the page cache a 4 KiB pread/pwrite takes a few µs, far less than a trip
// through the libuv threadpool would add. Used by tests and as the standalone baseline.
import { closeSync, fdatasyncSync, fstatSync, openSync, readFileSync, readSync, writeSync } from 'node:fs';
import { TandemError } from '../lib/errors.js';
import type { NbdBackend } from './backend.js';

const ZERO_CHUNK = 1024 * 1024;

export interface FileBackendOptions {
  readOnly?: boolean;
  /** size in bytes; default: the file's or block device's size */
  size?: number;
}

export class FileBackend implements NbdBackend {
  readonly size: number;
  readonly readOnly: boolean;
  /** every connection shares one fd, so fdatasync covers writes completed on any of them */
  readonly canMultiConn = true;
  private fd: number;
  private zeros: Buffer | null = null;

  constructor(readonly path: string, options: FileBackendOptions = {}) {
    this.readOnly = options.readOnly ?? false;
    try {
      this.fd = openSync(path, this.readOnly ? 'r' : 'r+');
    } catch (err) {
      throw new TandemError('TANDEM_E_IO', `cannot open NBD backing file ${path}: ${(err as Error).message}`, {
        hint: 'create the file first (e.g. truncate -s 1G FILE) and check its permissions',
        cause: err,
      });
    }
    this.size = options.size ?? sizeOf(this.fd, path);
  }

  read(offset: number, length: number): Buffer {
    const buf = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const n = readSync(this.fd, buf, done, length - done, offset + done);
      if (n === 0) {
        buf.fill(0, done); // a file shorter than the export size reads as zeros past its end
        break;
      }
      done += n;
    }
    return buf;
  }

  write(offset: number, data: Buffer, fua: boolean): void {
    this.writeAll(offset, data);
    if (fua) fdatasyncSync(this.fd);
  }

  flush(): void {
    fdatasyncSync(this.fd);
  }

  /** Node has no fallocate(PUNCH_HOLE); TRIM is advisory, so the data is left as it is. */
  trim(_offset: number, _length: number, fua: boolean): void {
    if (fua) fdatasyncSync(this.fd);
  }

  /** Writes real zeros; without punch-hole, NO_HOLE and the default behave the same. */
  writeZeroes(offset: number, length: number, fua: boolean, _noHole: boolean): void {
    this.zeros ??= Buffer.alloc(ZERO_CHUNK);
    for (let done = 0; done < length; done += ZERO_CHUNK) {
      this.writeAll(offset + done, this.zeros.subarray(0, Math.min(ZERO_CHUNK, length - done)));
    }
    if (fua) fdatasyncSync(this.fd);
  }

  close(): void {
    if (this.fd < 0) return;
    closeSync(this.fd);
    this.fd = -1;
  }

  private writeAll(offset: number, data: Buffer): void {
    let done = 0;
    while (done < data.length) done += writeSync(this.fd, data, done, data.length - done, offset + done);
  }
}

/** fstat gives 0 for a block device; sysfs has its size in 512-byte sectors. */
function sizeOf(fd: number, path: string): number {
  const st = fstatSync(fd);
  if (!st.isBlockDevice()) return st.size;
  const major = Math.floor(st.rdev / 256) & 0xfff;
  const minor = (st.rdev & 0xff) | (Math.floor(st.rdev / 4096) & ~0xff);
  try {
    return Number(readFileSync(`/sys/dev/block/${major}:${minor}/size`, 'utf8').trim()) * 512;
  } catch (err) {
    throw new TandemError('TANDEM_E_IO', `cannot find the size of block device ${path}: ${(err as Error).message}`, {
      hint: 'is /sys mounted? otherwise pass the size explicitly',
      cause: err,
    });
  }
}
