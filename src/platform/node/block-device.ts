// The real daemon's backing disks (the engine's BlockDevice, src/engine/platform.ts): a block
// device or a file, with requests submitted asynchronously (io_uring by default; libuv's
// threadpool as the measured alternative) and O_DIRECT wherever the kernel allows it, so reads
// and writes go to the medium without a second copy in the page cache.
//
// O_DIRECT needs offsets, lengths and memory aligned to the device's direct-I/O alignment (its
// logical block size, 512 or 4096). Requests the engine sends need not be: an unaligned edge is
// read, merged and written back whole. That is safe without a lock because the engine never has
// two requests in flight that touch the same 4 KiB block, so alignments above 4 KiB are refused
// (page cache instead). Where O_DIRECT is refused (a filesystem without it, a file whose size is
// not a multiple of the alignment) the disk runs through the page cache, and `ioMode` says why.
//
// FUA is a RWF_DSYNC (O_DSYNC) write of that request only; FLUSH is fdatasync of the disk.
// Write-zeroes deallocates or zeroes in place (fallocate ZERO_RANGE, then PUNCH_HOLE; on a
// block device ZERO_RANGE is BLKZEROOUT) and writes zeros where neither exists.
import { close as fsClose, constants, open as fsOpen } from 'node:fs';
import type { BlockDevice } from '../../engine/platform.js';
import { assert } from '../../lib/assert.js';
import { ThreadpoolDisk } from './block-device-threadpool.js';
import { UringDisk } from './block-device-uring.js';
import { diskError, fsDiskError, FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE, FALLOC_FL_ZERO_RANGE, type DiskError, type IoEngine, type RawDisk } from './block-device-raw.js';
import { misalignment, openFile, Ring, type OpenedFile, type OpenError } from './uring.js';

export type { IoEngine } from './block-device-raw.js';

export interface OpenBlockDeviceOptions {
  /** 'io_uring' (the default) or 'threadpool' (fs.read/fs.write: the baseline) */
  engine?: IoEngine;
  /** false: through the page cache even where O_DIRECT works (default true) */
  direct?: boolean;
}

/** The engine keeps requests in flight 4 KiB apart: a read-modify-write of a larger block could race. */
const ENGINE_BLOCK = 4096;
/** Our own buffers are aligned to this, enough for any alignment we accept. */
const BUFFER_ALIGN = 4096;
/** Zeros written per request where the disk cannot zero a range itself. */
const ZERO_CHUNK = 1024 * 1024;

export async function openBlockDevice(path: string, opts: OpenBlockDeviceOptions = {}): Promise<BlockDevice> {
  const engine = opts.engine ?? 'io_uring';
  if (engine === 'io_uring') Ring.get(); // a missing addon or a kernel without io_uring fails before the open
  const wantDirect = opts.direct ?? true;
  let file = await openOffLoop(path, wantDirect);
  const why = !wantDirect ? 'O_DIRECT off' : file.direct ? unusableDirect(file) : 'O_DIRECT refused by the filesystem';
  if (file.direct && why) {
    await closeOffLoop(path, file.fd);
    file = await openOffLoop(path, false);
  }
  const align = file.direct ? directAlign(file) : 0;
  const raw = engine === 'io_uring' ? new UringDisk(path, file.fd) : new ThreadpoolDisk(path, file.fd, await openDsync(path, file.direct));
  const ioMode = `${engine} ${file.direct ? 'O_DIRECT' : `page cache (${why})`}`;
  return new Disk(raw, {
    path, sizeBytes: file.sizeBytes, ioMode, isBlockDevice: file.isBlockDevice, logicalBlockSize: file.logicalBlockSize,
    align, memAlign: file.dioMemAlign || align,
  });
}

function openOffLoop(path: string, direct: boolean): Promise<OpenedFile> {
  return openFile(path, direct).catch((err: OpenError) => {
    throw diskError(-err.errno, err.syscall, path, '');
  });
}

function closeOffLoop(path: string, fd: number): Promise<void> {
  return new Promise((resolve, reject) => fsClose(fd, (err) => (err ? reject(fsDiskError(err, 'close', path, '')) : resolve())));
}

/** O_DIRECT's offset and length alignment on this disk. */
function directAlign(file: OpenedFile): number {
  // a filesystem that takes O_DIRECT without saying its alignment (tmpfs) gets the safe 4 KiB
  return file.isBlockDevice ? file.logicalBlockSize : file.dioOffsetAlign || ENGINE_BLOCK;
}

/** Why O_DIRECT, although the open took it, cannot serve this disk ('' when it can). */
function unusableDirect(file: OpenedFile): string {
  const align = directAlign(file);
  if (align > ENGINE_BLOCK) return `O_DIRECT alignment ${align} exceeds 4 KiB`;
  if (file.sizeBytes % align !== 0) return `size not a multiple of ${align}`;
  return '';
}

function openDsync(path: string, direct: boolean): Promise<number> {
  const flags = constants.O_RDWR | constants.O_DSYNC | (direct ? constants.O_DIRECT : 0);
  return new Promise((resolve, reject) => fsOpen(path, flags, (err, fd) => (err ? reject(fsDiskError(err, 'open', path, '')) : resolve(fd))));
}

/** A buffer of `length` bytes whose address is a multiple of 4 KiB. */
export function alignedBuffer(length: number): Buffer {
  const raw = Buffer.allocUnsafeSlow(length + BUFFER_ALIGN);
  const off = (BUFFER_ALIGN - misalignment(raw, BUFFER_ALIGN)) % BUFFER_ALIGN;
  return raw.subarray(off, off + length);
}

let zeros: Buffer | undefined;
function zeroChunk(): Buffer {
  zeros ??= alignedBuffer(ZERO_CHUNK).fill(0);
  return zeros;
}

type ZeroMethod = 'zero-range' | 'punch-hole' | 'write';

interface DiskLayout {
  path: string;
  sizeBytes: number;
  ioMode: string;
  isBlockDevice: boolean;
  /** the unit a block device zeroes in */
  logicalBlockSize: number;
  /** O_DIRECT's offset and length alignment; 0: the page cache */
  align: number;
  /** O_DIRECT's buffer address alignment */
  memAlign: number;
}

class Disk implements BlockDevice {
  private inFlight = 0;
  private idle: (() => void) | undefined;
  private closing: Promise<void> | undefined;
  /** the first way of zeroing that this disk has not refused */
  private zeroMethod: ZeroMethod = 'zero-range';

  readonly path: string;
  readonly sizeBytes: number;
  readonly ioMode: string;
  private readonly isBlockDevice: boolean;
  private readonly logicalBlockSize: number;
  private readonly align: number;
  private readonly memAlign: number;

  constructor(private readonly raw: RawDisk, layout: DiskLayout) {
    ({ path: this.path, sizeBytes: this.sizeBytes, ioMode: this.ioMode, isBlockDevice: this.isBlockDevice,
      logicalBlockSize: this.logicalBlockSize, align: this.align, memAlign: this.memAlign } = layout);
  }

  // read and write are the hot path: plain Promise chains, one request to the engine when aligned.
  read(offset: number, length: number): Promise<Buffer> {
    return this.tracked(() => {
      this.checkRange(offset, length);
      if (length === 0) return Promise.resolve(Buffer.alloc(0));
      const { start, end } = this.aligned(offset, length);
      const buf = this.align > 0 ? alignedBuffer(end - start) : Buffer.allocUnsafe(length);
      const wanted = start === offset && end - start === length ? buf : buf.subarray(offset - start, offset - start + length);
      return this.readFully(buf, start, 0).then(() => wanted);
    });
  }

  write(offset: number, data: Buffer, fua: boolean): Promise<void> {
    return this.tracked(() => {
      this.checkRange(offset, data.length);
      if (data.length === 0) return Promise.resolve();
      const start = this.aligned(offset, data.length).start;
      const image = this.alignedImage(offset, data);
      return Buffer.isBuffer(image) ? this.writeFully(image, start, fua, 0) : image.then((img) => this.writeFully(img, start, fua, 0));
    });
  }

  writeZeroes(offset: number, length: number, fua: boolean): Promise<void> {
    return this.tracked(async () => {
      this.checkRange(offset, length);
      if (length === 0) return;
      if (this.isBlockDevice) {
        // the device zeroes whole logical blocks; edges inside a block are written
        const lbs = this.logicalBlockSize;
        const head = Math.min(length, (lbs - (offset % lbs)) % lbs);
        const middle = Math.floor((length - head) / lbs) * lbs;
        if (head > 0) await this.writeZeros(offset, head, fua);
        if (middle > 0) await this.zeroRange(offset + head, middle, fua);
        if (length - head - middle > 0) await this.writeZeros(offset + head + middle, length - head - middle, fua);
      } else {
        await this.zeroRange(offset, length, fua);
      }
    });
  }

  flush(): Promise<void> {
    return this.tracked(() => this.raw.fdatasync());
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.inFlight > 0) await new Promise<void>((resolve) => { this.idle = resolve; });
      await this.raw.close();
    })();
    return this.closing;
  }

  /** Counts the request so close() waits for it; a closed disk takes no more. */
  private tracked<T>(request: () => Promise<T>): Promise<T> {
    if (this.closing) return Promise.reject(diskError(-9, 'request', this.path, 'after close')); // EBADF
    let started: Promise<T>;
    try {
      started = request();
    } catch (err) {
      return Promise.reject(err);
    }
    this.inFlight++;
    return started.then((value) => {
      this.settled();
      return value;
    }, (err: unknown) => {
      this.settled();
      throw err;
    });
  }

  private settled(): void {
    if (--this.inFlight === 0 && this.idle) this.idle();
  }

  private checkRange(offset: number, length: number): void {
    assert(Number.isSafeInteger(offset) && Number.isSafeInteger(length) && offset >= 0 && length >= 0 && offset + length <= this.sizeBytes,
      `a request to ${this.path} lies within its ${this.sizeBytes} bytes (offset ${offset}, length ${length})`);
  }

  /** The request's range rounded out to the O_DIRECT alignment (itself in the page cache). */
  private aligned(offset: number, length: number): { start: number; end: number } {
    if (this.align === 0) return { start: offset, end: offset + length };
    return { start: offset - (offset % this.align), end: Math.ceil((offset + length) / this.align) * this.align };
  }

  /** What to write: `data` itself when it can be, else an aligned copy (merged with the edge blocks on disk: a Promise). */
  private alignedImage(offset: number, data: Buffer): Buffer | Promise<Buffer> {
    if (this.align === 0) return data;
    const { start, end } = this.aligned(offset, data.length);
    if (start === offset && end === offset + data.length) {
      if (misalignment(data, this.memAlign) === 0) return data;
      const copy = alignedBuffer(data.length);
      data.copy(copy);
      return copy;
    }
    const image = alignedBuffer(end - start);
    const edges: Array<Promise<void>> = [];
    if (offset > start) edges.push(this.readFully(image.subarray(0, this.align), start, 0));
    const lastBlock = end - this.align;
    if (offset + data.length < end && (lastBlock > start || offset === start)) {
      edges.push(this.readFully(image.subarray(lastBlock - start), lastBlock, 0));
    }
    return Promise.all(edges).then(() => {
      data.copy(image, offset - start);
      return image;
    });
  }

  /** buf[done..] from offset + done on; a short read goes on from where it stopped. */
  private readFully(buf: Buffer, offset: number, done: number): Promise<void> {
    return this.raw.read(done === 0 ? buf : buf.subarray(done), offset + done).then((n) => {
      if (n === 0) { buf.fill(0, done); return; } // past the end of a file that shrank: zeros
      this.checkProgress(done + n, 'read', offset);
      if (done + n < buf.length) return this.readFully(buf, offset, done + n);
    });
  }

  private writeFully(buf: Buffer, offset: number, dsync: boolean, done: number): Promise<void> {
    return this.raw.write(done === 0 ? buf : buf.subarray(done), offset + done, dsync).then((n) => {
      if (n === 0) throw diskError(-5, 'write', this.path, `at ${offset + done}: no progress`);
      this.checkProgress(done + n, 'write', offset);
      if (done + n < buf.length) return this.writeFully(buf, offset, dsync, done + n);
    });
  }

  /** A short O_DIRECT transfer that stopped inside a block cannot go on aligned. */
  private checkProgress(done: number, syscall: string, offset: number): void {
    if (this.align > 0 && done % this.align !== 0) throw diskError(-5, syscall, this.path, `at ${offset}: short transfer of ${done} bytes inside a block`);
  }

  /** Zeroes [offset, offset + length) with the first method this disk takes. */
  private async zeroRange(offset: number, length: number, fua: boolean): Promise<void> {
    for (;;) {
      const method = this.zeroMethod;
      if (method === 'write') return this.writeZeros(offset, length, fua);
      try {
        const mode = FALLOC_FL_KEEP_SIZE | (method === 'zero-range' ? FALLOC_FL_ZERO_RANGE : FALLOC_FL_PUNCH_HOLE);
        await this.raw.fallocate(mode, offset, length);
        // the range's new state is metadata: only an fdatasync makes it durable
        if (fua) await this.raw.fdatasync();
        return;
      } catch (err) {
        if (!refusedMethod(err as DiskError)) throw err;
        // a block device has no holes to punch: zeros it is
        this.zeroMethod = method === 'zero-range' && !this.isBlockDevice ? 'punch-hole' : 'write';
      }
    }
  }

  private async writeZeros(offset: number, length: number, fua: boolean): Promise<void> {
    for (let done = 0; done < length; done += ZERO_CHUNK) {
      const n = Math.min(ZERO_CHUNK, length - done);
      await this.writeFully(await this.alignedImage(offset + done, zeroChunk().subarray(0, n)), this.aligned(offset + done, n).start, fua, 0);
    }
  }
}

/** fallocate modes a filesystem or device does not have (rather than a failure of the disk). */
function refusedMethod(err: DiskError): boolean {
  return err.code === 'ENOTSUP' || err.code === 'EOPNOTSUPP' || err.code === 'ENODEV';
}
