// What a backing disk's I/O engine does: whole requests at the offsets and lengths it is given,
// already aligned for O_DIRECT by the caller (block-device.ts). Three engines implement it: the
// daemon's io_uring (block-device-uring.ts) and libuv's threadpool (block-device-threadpool.ts),
// measured against each other in bench/datapath.ts, and for a file in memory (tmpfs) a copy on
// the event loop (block-device-memory.ts).
import { getSystemErrorMap } from 'node:util';

export type IoEngine = 'io_uring' | 'threadpool' | 'memory';

/** Called once a request is done: an error, or the bytes it transferred. */
export type Transferred = (err: DiskError | null, bytes: number) => void;

export interface RawDisk {
  readonly engine: IoEngine;
  // read and write take a callback, not a Promise: they are the hot path, and the device makes
  // the one Promise per request the engine sees.
  /** bytes read: fewer than buffer.length only at the end of a file */
  read(buffer: Buffer, offset: number, done: Transferred): void;
  /** bytes written; dsync: durable when done (RWF_DSYNC / O_DSYNC: FUA on a device) */
  write(buffer: Buffer, offset: number, dsync: boolean, done: Transferred): void;
  fdatasync(): Promise<void>;
  /** rejects with EOPNOTSUPP where the file, the device or the engine cannot */
  fallocate(mode: number, offset: number, length: number): Promise<void>;
  close(): Promise<void>;
}

// linux/falloc.h
export const FALLOC_FL_KEEP_SIZE = 0x01;
export const FALLOC_FL_PUNCH_HOLE = 0x02;
export const FALLOC_FL_ZERO_RANGE = 0x10;

export interface DiskError extends Error {
  /** the errno name: EIO, ENOSPC, ... */
  code: string;
  /** negative, as libuv has it */
  errno: number;
  syscall: string;
}

const errnoNames = getSystemErrorMap();
/** errnos a disk can report that libuv has no name for */
const MORE_ERRNO_NAMES = new Map<number, [string, string]>([[-15, ['ENOTBLK', 'block device required']]]);

/** The Error a failed request rejects with; `errno` is negative (libuv's and the kernel's -errno). */
export function diskError(errno: number, syscall: string, path: string, where: string): DiskError {
  const [code, text] = errnoNames.get(errno) ?? MORE_ERRNO_NAMES.get(errno) ?? [`E${-errno}`, `error ${-errno}`];
  return Object.assign(new Error(`${path}: ${syscall}${where ? ` ${where}` : ''}: ${code} (${text})`), { code, errno, syscall });
}

/** The same for an error a Node fs call reported. */
export function fsDiskError(err: NodeJS.ErrnoException, syscall: string, path: string, where: string): DiskError {
  return diskError(err.errno ?? -5, syscall, path, where);
}
