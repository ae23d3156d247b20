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
import { fsDiskError, type RawDisk, type Transferred } from './block-device-raw.js';
import { UringDisk } from './block-device-uring.js';

export class MemoryFileDisk implements RawDisk {
  readonly engine = 'memory' as const;
  private readonly ring: UringDisk;

  constructor(private readonly path: string, private readonly fd: number) {
    this.ring = new UringDisk(path, fd);
  }

  read(buffer: Buffer, offset: number, done: Transferred): void {
    this.transfer(() => readSync(this.fd, buffer, 0, buffer.length, offset), 'read', buffer, offset, done);
  }

  /** dsync needs nothing more: memory is as durable as a file in memory gets. */
  write(buffer: Buffer, offset: number, _dsync: boolean, done: Transferred): void {
    this.transfer(() => writeSync(this.fd, buffer, 0, buffer.length, offset), 'write', buffer, offset, done);
  }

  /** One copy now; its error (ENOSPC, say) reaches `done` as a DiskError. */
  private transfer(copy: () => number, syscall: string, buffer: Buffer, offset: number, done: Transferred): void {
    let n: number;
    try {
      n = copy();
    } catch (err) {
      return done(fsDiskError(err as NodeJS.ErrnoException, syscall, this.path, `at ${offset} (+${buffer.length})`), 0);
    }
    done(null, n);
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
