// A backing disk's requests through the process's io_uring: every request is in flight at once,
// up to the ring's size, and the event loop only queues and reaps.
import { diskError, type RawDisk } from './block-device-raw.js';
import { Ring } from './uring.js';

export class UringDisk implements RawDisk {
  readonly engine = 'io_uring' as const;
  private readonly ring = Ring.get();

  constructor(private readonly path: string, private readonly fd: number) {}

  read(buffer: Buffer, offset: number): Promise<number> {
    return this.ring.read(this.fd, buffer, offset).then((result) => this.check(result, 'read', offset, buffer.length));
  }

  write(buffer: Buffer, offset: number, dsync: boolean): Promise<number> {
    return this.ring.write(this.fd, buffer, offset, dsync).then((result) => this.check(result, dsync ? 'write (RWF_DSYNC)' : 'write', offset, buffer.length));
  }

  async fdatasync(): Promise<void> {
    this.check(await this.ring.fdatasync(this.fd), 'fdatasync');
  }

  async fallocate(mode: number, offset: number, length: number): Promise<void> {
    this.check(await this.ring.fallocate(this.fd, mode, offset, length), `fallocate (mode 0x${mode.toString(16)})`, offset, length);
  }

  async close(): Promise<void> {
    this.check(await this.ring.close(this.fd), 'close');
  }

  private check(result: number, syscall: string, offset?: number, length?: number): number {
    if (result >= 0) return result;
    throw diskError(result, syscall, this.path, offset === undefined ? '' : `at ${offset} (+${length})`);
  }
}
