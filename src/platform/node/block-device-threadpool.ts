// A backing disk's requests through libuv's threadpool (fs.read/fs.write with positions): the
// baseline the io_uring engine is measured against. At most UV_THREADPOOL_SIZE (4 by default,
// shared with DNS, zlib and crypto) requests reach the disk at once, each with two thread hand-offs.
// FUA writes go through a second descriptor opened with O_DSYNC (Node has no pwritev2 flags);
// there is no fallocate, so write-zeroes falls back to writing zeros.
import { close, fdatasync, read, write } from 'node:fs';
import { diskError, fsDiskError, type RawDisk, type Transferred } from './block-device-raw.js';

export class ThreadpoolDisk implements RawDisk {
  readonly engine = 'threadpool' as const;

  /** fd: the descriptor for everything; dsyncFd: the same file opened with O_DSYNC, for FUA writes */
  constructor(private readonly path: string, private readonly fd: number, private readonly dsyncFd: number) {}

  read(buffer: Buffer, offset: number, done: Transferred): void {
    read(this.fd, buffer, 0, buffer.length, offset, (err, n) =>
      done(err ? fsDiskError(err, 'read', this.path, `at ${offset} (+${buffer.length})`) : null, n));
  }

  write(buffer: Buffer, offset: number, dsync: boolean, done: Transferred): void {
    write(dsync ? this.dsyncFd : this.fd, buffer, 0, buffer.length, offset, (err, n) =>
      done(err ? fsDiskError(err, dsync ? 'write (O_DSYNC)' : 'write', this.path, `at ${offset} (+${buffer.length})`) : null, n));
  }

  fdatasync(): Promise<void> {
    return new Promise((resolve, reject) => fdatasync(this.fd, (err) => (err ? reject(fsDiskError(err, 'fdatasync', this.path, '')) : resolve())));
  }

  async fallocate(_mode: number, offset: number, length: number): Promise<void> {
    throw diskError(-95, 'fallocate (not in Node fs)', this.path, `at ${offset} (+${length})`); // EOPNOTSUPP
  }

  async close(): Promise<void> {
    for (const fd of [this.dsyncFd, this.fd]) {
      await new Promise<void>((resolve, reject) => close(fd, (err) => (err ? reject(fsDiskError(err, 'close', this.path, '')) : resolve())));
    }
  }
}
