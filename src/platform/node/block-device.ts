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
// A file in memory (tmpfs) is read and written on the event loop instead (block-device-memory.ts
// says why), without O_DIRECT, which a copy within memory has no use for.
//
// FUA is a RWF_DSYNC (O_DSYNC) write of that request only; FLUSH is fdatasync of the disk.
// Write-zeroes deallocates or zeroes in place (fallocate ZERO_RANGE, then PUNCH_HOLE; on a
// block device ZERO_RANGE is BLKZEROOUT) and writes zeros where neither exists.
import { close as fsClose, constants, open as fsOpen } from 'node:fs';
import { stat as statP, statfs as statfsP } from 'node:fs/promises';
import type { BlockDevice } from '../../engine/platform.js';
import { assert } from '../../lib/assert.js';
import { isMemoryFilesystem, MemoryFileDisk } from './block-device-memory.js';
import { ThreadpoolDisk } from './block-device-threadpool.js';
import { UringDisk } from './block-device-uring.js';
import { diskError, fsDiskError, FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE, FALLOC_FL_ZERO_RANGE, type DiskError, type IoEngine, type RawDisk } from './block-device-raw.js';
import { misalignment, openFile, Ring, type OpenedFile, type OpenError } from './uring.js';

export type { IoEngine } from './block-device-raw.js';

export interface OpenBlockDeviceOptions {
  /** 'io_uring' (the default), 'threadpool' (fs.read/fs.write: the baseline), or 'memory'
   *  (the default for a file on tmpfs or ramfs) */
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
  const engine = opts.engine ?? (await inMemory(path) ? 'memory' : 'io_uring');
  if (engine !== 'threadpool') Ring.get(); // a missing addon or a kernel without io_uring fails before the open
  const wantDirect = engine !== 'memory' && (opts.direct ?? true);
  let file = await openOffLoop(path, wantDirect);
  const why = engine === 'memory' ? 'a file in memory' : !wantDirect ? 'O_DIRECT off' : file.direct ? unusableDirect(file) : 'O_DIRECT refused by the filesystem';
  if (file.direct && why) {
    await closeOffLoop(path, file.fd);
    file = await openOffLoop(path, false);
  }
  const align = file.direct ? directAlign(file) : 0;
  const raw = engine === 'io_uring' ? new UringDisk(path, file.fd) : engine === 'memory' ? new MemoryFileDisk(path, file.fd) : await threadpoolDisk(path, file);
  const ioMode = `${engine} ${file.direct ? 'O_DIRECT' : `page cache (${why})`}`;
  return new Disk(raw, {
    path, sizeBytes: file.sizeBytes, ioMode, isBlockDevice: file.isBlockDevice, logicalBlockSize: file.logicalBlockSize,
    align, memAlign: file.dioMemAlign || align,
  });
}

/** A regular file on tmpfs or ramfs (a block device's node on devtmpfs is not: its data is on the device). */
async function inMemory(path: string): Promise<boolean> {
  const [fs, st] = await Promise.all([statfsP(path).catch(() => null), statP(path).catch(() => null)]);
  return fs !== null && st !== null && st.isFile() && isMemoryFilesystem(fs.type);
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

/** The threadpool engine also needs the file opened with O_DSYNC, for FUA writes. */
async function threadpoolDisk(path: string, file: OpenedFile): Promise<ThreadpoolDisk> {
  const flags = constants.O_RDWR | constants.O_DSYNC | (file.direct ? constants.O_DIRECT : 0);
  try {
    const dsyncFd = await new Promise<number>((resolve, reject) => fsOpen(path, flags, (err, fd) => (err ? reject(fsDiskError(err, 'open', path, '')) : resolve(fd))));
    return new ThreadpoolDisk(path, file.fd, dsyncFd);
  } catch (err) {
    await closeOffLoop(path, file.fd);
    throw err;
  }
}

/** Reads up to this size share slabs (as Buffer.allocUnsafe shares its pool); larger ones get their own. */
const SLAB_PIECE_MAX = 64 * 1024;
const SLAB_BYTES = 256 * 1024;
let slab: { buffer: Buffer; used: number } | undefined;

/**
 * A buffer of `length` bytes whose address is a multiple of 4 KiB. Small ones are cut from a
 * shared slab (one allocation and one address lookup per 256 KiB, not per request); a piece keeps
 * its slab alive until it is collected.
 */
function alignedBuffer(length: number): Buffer {
  const rounded = Math.ceil(length / BUFFER_ALIGN) * BUFFER_ALIGN;
  if (rounded > SLAB_PIECE_MAX) return ownAlignedBuffer(length);
  if (!slab || slab.used + rounded > slab.buffer.length) slab = { buffer: ownAlignedBuffer(SLAB_BYTES), used: 0 };
  const piece = slab.buffer.subarray(slab.used, slab.used + length);
  slab.used += rounded;
  return piece;
}

function ownAlignedBuffer(length: number): Buffer {
  const raw = Buffer.allocUnsafeSlow(length + BUFFER_ALIGN);
  const off = (BUFFER_ALIGN - misalignment(raw, BUFFER_ALIGN)) % BUFFER_ALIGN;
  return raw.subarray(off, off + length);
}

let zeros: Buffer | undefined;
function zeroChunk(): Buffer {
  zeros ??= ownAlignedBuffer(ZERO_CHUNK).fill(0);
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

/** How a request ends: an error, or its value. */
type Settle<T> = (err: unknown, value?: T) => void;
type Ended = (err: DiskError | null) => void;

class Disk implements BlockDevice {
  readonly path: string;
  readonly sizeBytes: number;
  readonly ioMode: string;
  private readonly isBlockDevice: boolean;
  private readonly logicalBlockSize: number;
  private readonly align: number;
  private readonly memAlign: number;
  private inFlight = 0;
  private idle: (() => void) | undefined;
  private closing: Promise<void> | undefined;
  /** the first way of zeroing that this disk has not refused */
  private zeroMethod: ZeroMethod = 'zero-range';

  constructor(private readonly raw: RawDisk, layout: DiskLayout) {
    ({ path: this.path, sizeBytes: this.sizeBytes, ioMode: this.ioMode, isBlockDevice: this.isBlockDevice,
      logicalBlockSize: this.logicalBlockSize, align: this.align, memAlign: this.memAlign } = layout);
  }

  // read and write are the hot path: one Promise per request, callbacks below it, and one
  // request to the engine when the range is aligned.
  read(offset: number, length: number): Promise<Buffer> {
    return this.request<Buffer>((settle) => {
      this.checkRange(offset, length);
      if (length === 0) return settle(null, Buffer.alloc(0));
      const { start, end } = this.aligned(offset, length);
      const buf = this.align > 0 ? alignedBuffer(end - start) : Buffer.allocUnsafe(length);
      const wanted = start === offset && end - start === length ? buf : buf.subarray(offset - start, offset - start + length);
      this.readFully(buf, start, 0, (err) => settle(err, wanted));
    });
  }

  write(offset: number, data: Buffer, fua: boolean): Promise<void> {
    return this.request<void>((settle) => {
      this.checkRange(offset, data.length);
      if (data.length === 0) return settle(null);
      this.writeRange(offset, data, fua, settle);
    });
  }

  writeZeroes(offset: number, length: number, fua: boolean): Promise<void> {
    return this.request<void>((settle) => {
      this.checkRange(offset, length);
      this.zeroes(offset, length, fua).then(() => settle(null), settle);
    });
  }

  flush(): Promise<void> {
    return this.request<void>((settle) => {
      this.raw.fdatasync().then(() => settle(null), settle);
    });
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.inFlight > 0) await new Promise<void>((resolve) => { this.idle = resolve; });
      await this.raw.close();
    })();
    return this.closing;
  }

  /** One request: counted so close() waits for it (a closed disk takes no more), settled once. */
  private request<T>(start: (settle: Settle<T>) => void): Promise<T> {
    if (this.closing) return Promise.reject(diskError(-9, 'request', this.path, 'after close')); // EBADF
    return new Promise<T>((resolve, reject) => {
      this.inFlight++;
      let settled = false;
      const settle: Settle<T> = (err, value) => {
        if (settled) return;
        settled = true;
        if (--this.inFlight === 0 && this.idle) this.idle();
        if (err) reject(err);
        else resolve(value as T);
      };
      try {
        start(settle);
      } catch (err) {
        settle(err);
      }
    });
  }

  private checkRange(offset: number, length: number): void {
    if (Number.isSafeInteger(offset) && Number.isSafeInteger(length) && offset >= 0 && length >= 0 && offset + length <= this.sizeBytes) return;
    // the message is built only on failure: this runs on every request
    assert(false, `a request to ${this.path} lies within its ${this.sizeBytes} bytes (offset ${offset}, length ${length})`);
  }

  /** The request's range rounded out to the O_DIRECT alignment (itself in the page cache). */
  private aligned(offset: number, length: number): { start: number; end: number } {
    if (this.align === 0) return { start: offset, end: offset + length };
    return { start: offset - (offset % this.align), end: Math.ceil((offset + length) / this.align) * this.align };
  }

  /** Writes `data` at `offset`: as it is when it can be, else an aligned copy merged with the edge blocks on disk. */
  private writeRange(offset: number, data: Buffer, dsync: boolean, ended: Ended): void {
    // page cache (a file in memory, say): no alignment to work out, no object for it, per write
    if (this.align === 0) return this.writeFully(data, offset, dsync, 0, ended);
    const { start, end } = this.aligned(offset, data.length);
    if (start === offset && end === offset + data.length) {
      if (this.align === 0 || misalignment(data, this.memAlign) === 0) return this.writeFully(data, start, dsync, 0, ended);
      const copy = alignedBuffer(data.length); // the caller's buffer is not where O_DIRECT can take it from
      data.copy(copy);
      return this.writeFully(copy, start, dsync, 0, ended);
    }
    // Read-modify-write of the edge blocks: no lock needed, the engine keeps requests in flight 4 KiB apart.
    const image = alignedBuffer(end - start);
    const lastBlock = end - this.align;
    const edges: Array<[Buffer, number]> = [];
    if (offset > start) edges.push([image.subarray(0, this.align), start]);
    if (offset + data.length < end && (lastBlock > start || offset === start)) edges.push([image.subarray(lastBlock - start), lastBlock]);
    let waiting = edges.length;
    let failed = false;
    for (const [buf, at] of edges) {
      this.readFully(buf, at, 0, (err) => {
        if (failed) return;
        if (err) { failed = true; return ended(err); }
        if (--waiting > 0) return;
        data.copy(image, offset - start);
        this.writeFully(image, start, dsync, 0, ended);
      });
    }
  }

  /** buf[from..] from offset + from on; a short read goes on from where it stopped. */
  private readFully(buf: Buffer, offset: number, from: number, ended: Ended): void {
    this.raw.read(from === 0 ? buf : buf.subarray(from), offset + from, (err, n) => {
      if (err) return ended(err);
      if (n === 0) { // past the end of a file that shrank: zeros
        buf.fill(0, from);
        return ended(null);
      }
      const done = from + n;
      if (this.align > 0 && done % this.align !== 0) return ended(this.shortTransfer('read', offset, done));
      if (done < buf.length) return this.readFully(buf, offset, done, ended);
      ended(null);
    });
  }

  private writeFully(buf: Buffer, offset: number, dsync: boolean, from: number, ended: Ended): void {
    this.raw.write(from === 0 ? buf : buf.subarray(from), offset + from, dsync, (err, n) => {
      if (err) return ended(err);
      if (n === 0) return ended(diskError(-5, 'write', this.path, `at ${offset + from}: no progress`));
      const done = from + n;
      if (this.align > 0 && done % this.align !== 0) return ended(this.shortTransfer('write', offset, done));
      if (done < buf.length) return this.writeFully(buf, offset, dsync, done, ended);
      ended(null);
    });
  }

  /** A short O_DIRECT transfer that stopped inside a block cannot go on aligned. */
  private shortTransfer(syscall: string, offset: number, done: number): DiskError {
    return diskError(-5, syscall, this.path, `at ${offset}: short transfer of ${done} bytes inside a block`);
  }

  private writeRangeP(offset: number, data: Buffer, dsync: boolean): Promise<void> {
    return new Promise((resolve, reject) => this.writeRange(offset, data, dsync, (err) => (err ? reject(err) : resolve())));
  }

  private async zeroes(offset: number, length: number, fua: boolean): Promise<void> {
    if (length === 0) return;
    if (!this.isBlockDevice) return this.zeroRange(offset, length, fua);
    // the device zeroes whole logical blocks; edges inside a block are written
    const lbs = this.logicalBlockSize;
    const head = Math.min(length, (lbs - (offset % lbs)) % lbs);
    const middle = Math.floor((length - head) / lbs) * lbs;
    const tail = length - head - middle;
    if (head > 0) await this.writeZeros(offset, head, fua);
    if (middle > 0) await this.zeroRange(offset + head, middle, fua);
    if (tail > 0) await this.writeZeros(offset + head + middle, tail, fua);
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

  /** Zeros written, a chunk at a time (one after the other: chunks may share an edge block). */
  private async writeZeros(offset: number, length: number, fua: boolean): Promise<void> {
    for (let done = 0; done < length; done += ZERO_CHUNK) {
      await this.writeRangeP(offset + done, zeroChunk().subarray(0, Math.min(ZERO_CHUNK, length - done)), fua);
    }
  }
}

/** fallocate modes a filesystem or device does not have (rather than a failure of the disk). */
function refusedMethod(err: DiskError): boolean {
  return err.code === 'ENOTSUP' || err.code === 'EOPNOTSUPP' || err.code === 'ENODEV';
}
