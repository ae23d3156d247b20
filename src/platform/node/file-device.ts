// A backing disk (file or block device) with asynchronous I/O on libuv's threadpool: nothing here
// blocks the event loop that answers every resource's pings. FUA writes go through a second
// descriptor opened with O_DSYNC (durable on return, without syncing the whole file); FLUSH is
// an fdatasync on the pool.
import { constants } from 'node:fs';
import { open, readFile, stat, type FileHandle } from 'node:fs/promises';
import type { BlockDevice } from '../../engine/platform.js';
import { TandemError } from '../../lib/errors.js';

const ZEROES = Buffer.alloc(1024 * 1024);

export class FileDevice implements BlockDevice {
  readonly ioMode = 'page cache (threadpool)';

  private constructor(readonly path: string, readonly sizeBytes: number, private readonly fh: FileHandle, private readonly dsync: FileHandle) {}

  static async open(path: string): Promise<FileDevice> {
    let fh: FileHandle;
    let dsync: FileHandle;
    try {
      fh = await open(path, constants.O_RDWR);
      dsync = await open(path, constants.O_RDWR | constants.O_DSYNC);
    } catch (err) {
      throw new TandemError('TANDEM_E_IO', `cannot open backing disk ${path}: ${(err as Error).message}`, {
        hint: 'check the disk path in the resource configuration (tandem config explain <res>)',
        cause: err,
      });
    }
    try {
      return new FileDevice(path, await sizeOf(fh, path), fh, dsync);
    } catch (err) {
      await fh.close();
      await dsync.close();
      throw err;
    }
  }

  async read(offset: number, length: number): Promise<Buffer> {
    const buf = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await this.fh.read(buf, done, length - done, offset + done);
      if (bytesRead === 0) { buf.fill(0, done); break; } // past EOF of a sparse file reads as zeros
      done += bytesRead;
    }
    return buf;
  }

  async write(offset: number, data: Buffer, fua: boolean): Promise<void> {
    const fh = fua ? this.dsync : this.fh;
    let done = 0;
    while (done < data.length) {
      const { bytesWritten } = await fh.write(data, done, data.length - done, offset + done);
      done += bytesWritten;
    }
  }

  async writeZeroes(offset: number, length: number, fua: boolean): Promise<void> {
    for (let done = 0; done < length; done += ZEROES.length) {
      await this.write(offset + done, ZEROES.subarray(0, Math.min(ZEROES.length, length - done)), fua);
    }
  }

  flush(): Promise<void> {
    return this.fh.datasync();
  }

  async close(): Promise<void> {
    await this.fh.close();
    await this.dsync.close();
  }
}

/** A file's length, or a block device's size from sysfs (no process is run for it). */
async function sizeOf(fh: FileHandle, path: string): Promise<number> {
  const st = await fh.stat();
  if (st.isFile()) return st.size;
  if (st.isBlockDevice()) {
    const major = Math.floor(st.rdev / 256) & 0xfff;
    const minor = (st.rdev & 0xff) | ((st.rdev >> 12) & 0xfff00);
    const sectors = await readFile(`/sys/dev/block/${major}:${minor}/size`, 'utf8');
    return Number(sectors.trim()) * 512;
  }
  await stat(path);
  throw new TandemError('TANDEM_E_CONFIG', `backing disk ${path} is neither a file nor a block device`);
}
