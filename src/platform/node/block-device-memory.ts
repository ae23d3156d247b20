// A backing disk that is a file in memory (tmpfs, ramfs): reads and writes are done at once, on
// the event loop, and the rarer requests (fdatasync, fallocate, close) go through the ring.
//
// Why not io_uring here: neither tmpfs nor ramfs has non-blocking buffered I/O on the kernels we
// run on (preadv2/pwritev2 with RWF_NOWAIT: EOPNOTSUPP), so io_uring hands every such request to
// one of its worker threads. A request that is a memory copy then costs two thread wake-ups, and
// at queue depth 1 on a 2-CPU machine that doubled the CPU time per write (bench/RESULTS.md,
// 2026-12-06). A copy within memory never waits for a device, which is what the rule "no
// synchronous disk call on the event loop" protects against; a file in memory has no device.
import { readSync, writeSync } from 'node:fs';
import { type DiskError, fsDiskError, type RawDisk, type Transferred } from './block-device-raw.js';
import { UringDisk } from './block-device-uring.js';

export class MemoryFileDisk implements RawDisk {
  readonly engine = 'memory' as const;
  private readonly ring: UringDisk;

  constructor(private readonly path: string, private readonly fd: number) {
    this.ring = new UringDisk(path, fd);
  }

  // One copy now; its error (ENOSPC, say) reaches `done` as a DiskError. No closure per request:
  // these run for every read and write.
  read(buffer: Buffer, offset: number, done: Transferred): void {
    let n: number;
    try {
      n = readSync(this.fd, buffer, 0, buffer.length, offset);
    } catch (err) {
      return done(this.failed(err, 'read', buffer, offset), 0);
    }
    done(null, n);
  }

  /** dsync needs nothing more: memory is as durable as a file in memory gets. */
  write(buffer: Buffer, offset: number, _dsync: boolean, done: Transferred): void {
    let n: number;
    try {
      n = writeSync(this.fd, buffer, 0, buffer.length, offset);
    } catch (err) {
      return done(this.failed(err, 'write', buffer, offset), 0);
    }
    done(null, n);
  }

  private failed(err: unknown, syscall: string, buffer: Buffer, offset: number): DiskError {
    return fsDiskError(err as NodeJS.ErrnoException, syscall, this.path, `at ${offset} (+${buffer.length})`);
  }

  fdatasync(): Promise<void> {
    return this.ring.fdatasync();
  }

  fallocate(mode: number, offset: number, length: number): Promise<void> {
    return this.ring.fallocate(mode, offset, length);
  }

  close(): Promise<void> {
    return this.ring.close();
  }
}

/** statfs(2) f_type of the filesystems whose files live in memory */
const MEMORY_FILESYSTEMS = new Set([0x01021994 /* TMPFS_MAGIC */, 0x858458f6 /* RAMFS_MAGIC */]);

export function isMemoryFilesystem(statfsType: number): boolean {
  return MEMORY_FILESYSTEMS.has(statfsType);
}
