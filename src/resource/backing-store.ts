// The local backing disk of a volume: a block device or a file, accessed with synchronous calls.
// Small I/O stays off the libuv threadpool (it costs 3x at QD32, see bench/RESULTS.md); only
// fdatasync may be slow, and it is called only for FLUSH/FUA.
import { closeSync, fdatasyncSync, fstatSync, openSync, readSync, writeSync, constants } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { TandemError } from '../lib/errors.js';

export interface BackingStore {
  readonly path: string;
  readonly sizeBytes: number;
  read(offset: number, length: number): Buffer;
  write(offset: number, data: Buffer): void;
  flush(): void;
  close(): void;
}

export class FileBackingStore implements BackingStore {
  readonly sizeBytes: number;
  private fd: number;

  constructor(readonly path: string) {
    try {
      this.fd = openSync(path, constants.O_RDWR);
    } catch (err) {
      throw new TandemError('TANDEM_E_IO', `cannot open backing disk ${path}: ${(err as Error).message}`, {
        hint: 'check the disk path in the resource configuration (tandem config explain <res>)',
        cause: err,
      });
    }
    this.sizeBytes = sizeOf(this.fd, path);
  }

  read(offset: number, length: number): Buffer {
    const buf = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const n = readSync(this.fd, buf, done, length - done, offset + done);
      if (n === 0) { buf.fill(0, done); break; } // past EOF of a sparse file reads as zeros
      done += n;
    }
    return buf;
  }

  write(offset: number, data: Buffer): void {
    let done = 0;
    while (done < data.length) done += writeSync(this.fd, data, done, data.length - done, offset + done);
  }

  flush(): void {
    fdatasyncSync(this.fd);
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}

function sizeOf(fd: number, path: string): number {
  const st = fstatSync(fd);
  if (st.isFile()) return st.size;
  if (st.isBlockDevice()) return Number(execFileSync('blockdev', ['--getsize64', path], { encoding: 'utf8' }).trim());
  throw new TandemError('TANDEM_E_CONFIG', `backing disk ${path} is neither a file nor a block device`);
}
