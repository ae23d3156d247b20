// A backing disk's requests through the process's io_uring: every request is in flight at once,
// up to the ring's size, and the event loop only queues and reaps.
import { diskError, type RawDisk, type Transferred } from './block-device-raw.js';
import { Ring } from './uring.js';

export class UringDisk implements RawDisk {
  readonly engine = 'io_uring' as const;
  private readonly ring = Ring.get();

  constructor(private readonly path: string, private readonly fd: number) {}

  read(buffer: Buffer, offset: number, done: Transferred): void {
    this.ring.read(this.fd, buffer, offset, (result) => {
      if (result >= 0) done(null, result);
      else done(diskError(result, 'read', this.path, `at ${offset} (+${buffer.length})`), 0);
    });
  }

  write(buffer: Buffer, offset: number, dsync: boolean, done: Transferred): void {
    this.ring.write(this.fd, buffer, offset, dsync, (result) => {
      if (result >= 0) done(null, result);
      else done(diskError(result, dsync ? 'write (RWF_DSYNC)' : 'write', this.path, `at ${offset} (+${buffer.length})`), 0);
    });
  }

  fdatasync(): Promise<void> {
    return this.settled((done) => this.ring.fdatasync(this.fd, done), 'fdatasync', '');
  }

  fallocate(mode: number, offset: number, length: number): Promise<void> {
    return this.settled((done) => this.ring.fallocate(this.fd, mode, offset, length, done), `fallocate (mode 0x${mode.toString(16)})`, `at ${offset} (+${length})`);
  }

  close(): Promise<void> {
    return this.settled((done) => this.ring.close(this.fd, done), 'close', '');
  }

  private settled(submit: (done: (result: number) => void) => void, syscall: string, where: string): Promise<void> {
    return new Promise((resolve, reject) => submit((result) => (result >= 0 ? resolve() : reject(diskError(result, syscall, this.path, where)))));
  }
}
