// The daemon's one io_uring (src/platform/node/native/uring.c): requests go in with a tag, and
// each tag's callback gets the kernel's result (bytes, 0, or -errno) when it completes. Tags are
// slots of fixed arrays, reused: no Map and no Promise per request here.
import { loadAddon } from '../../lib/native-addon.js';

export interface OpenedFile {
  fd: number;
  sizeBytes: number;
  isBlockDevice: boolean;
  /** opened with O_DIRECT */
  direct: boolean;
  /** errno of an O_DIRECT open the filesystem refused (EINVAL), else 0 */
  directRefused: number;
  /** BLKSSZGET on a block device; 512 for a file */
  logicalBlockSize: number;
  /** statx STATX_DIOALIGN: 0 when the filesystem does not say */
  dioOffsetAlign: number;
  dioMemAlign: number;
}

/** errno: positive; syscall: the step that failed */
export interface OpenError extends Error {
  errno: number;
  syscall: string;
}

interface UringAddon {
  init(completions: Float64Array, onComplete: (count: number) => void, entries: number): { sqEntries: number; cqEntries: number };
  open(path: string, wantDirect: boolean, callback: (err: OpenError | null, info: OpenedFile | null) => void): void;
  read(tag: number, fd: number, buffer: Buffer, offset: number): void;
  write(tag: number, fd: number, buffer: Buffer, offset: number, dsync: boolean): void;
  fsync(tag: number, fd: number): void;
  fallocate(tag: number, fd: number, mode: number, offset: number, length: number): void;
  close(tag: number, fd: number): void;
  misalignment(buffer: Buffer, align: number): number;
}

let addon: UringAddon | undefined;

export function uringAddon(): UringAddon {
  addon ??= loadAddon<UringAddon>({
    file: 'tandem_uring.node', envVar: 'TANDEM_URING_ADDON', buildDir: 'src/platform/node/native/build/Release',
    what: 'the io_uring addon', devPackage: 'liburing-dev', library: 'liburing2',
  });
  return addon;
}

/** Open off the event loop (the threadpool): open(2), statx, and the block device ioctls. */
export function openFile(path: string, wantDirect: boolean): Promise<OpenedFile> {
  return new Promise((resolve, reject) => {
    uringAddon().open(path, wantDirect, (err, info) => (err ? reject(err) : resolve(info!)));
  });
}

/** `buffer`'s address modulo `align` (0: usable for O_DIRECT). */
export function misalignment(buffer: Buffer, align: number): number {
  return uringAddon().misalignment(buffer, align);
}

const SUBMISSION_ENTRIES = 256;
/** completions reaped per call into JS */
const COMPLETION_BATCH = 256;

/** called with the kernel's result: bytes or 0, or -errno */
export type Completion = (result: number) => void;
type Submit = (tag: number) => void;

export class Ring {
  private static instance: Ring | undefined;

  /** settles every request of the process; created with the first device */
  static get(): Ring {
    Ring.instance ??= new Ring();
    return Ring.instance;
  }

  private readonly addon = uringAddon();
  private readonly completions = new Float64Array(2 * COMPLETION_BATCH);
  private readonly callbacks: Array<Completion | undefined>;
  /** what the kernel reads from or writes to until the request completes: kept from the GC */
  private readonly held: unknown[];
  private readonly freeTags: number[];
  /** requests beyond the completion queue's size wait here (the kernel would have to buffer them) */
  private readonly waiting: Array<{ submit: Submit; hold: unknown; done: Completion }> = [];

  private constructor() {
    const { cqEntries } = this.addon.init(this.completions, (count) => this.complete(count), SUBMISSION_ENTRIES);
    this.callbacks = new Array(cqEntries).fill(undefined);
    this.held = new Array(cqEntries).fill(undefined);
    this.freeTags = Array.from({ length: cqEntries }, (_, i) => cqEntries - 1 - i);
  }

  read(fd: number, buffer: Buffer, offset: number, done: Completion): void {
    this.submit((tag) => this.addon.read(tag, fd, buffer, offset), buffer, done);
  }

  write(fd: number, buffer: Buffer, offset: number, dsync: boolean, done: Completion): void {
    this.submit((tag) => this.addon.write(tag, fd, buffer, offset, dsync), buffer, done);
  }

  fdatasync(fd: number, done: Completion): void {
    this.submit((tag) => this.addon.fsync(tag, fd), undefined, done);
  }

  fallocate(fd: number, mode: number, offset: number, length: number, done: Completion): void {
    this.submit((tag) => this.addon.fallocate(tag, fd, mode, offset, length), undefined, done);
  }

  close(fd: number, done: Completion): void {
    this.submit((tag) => this.addon.close(tag, fd), undefined, done);
  }

  private submit(submit: Submit, hold: unknown, done: Completion): void {
    const tag = this.freeTags.pop();
    if (tag === undefined) this.waiting.push({ submit, hold, done });
    else this.start(tag, submit, hold, done);
  }

  private start(tag: number, submit: Submit, hold: unknown, done: Completion): void {
    this.callbacks[tag] = done;
    this.held[tag] = hold;
    try {
      submit(tag);
    } catch (err) { // the addon refused the arguments: nothing was queued, the tag is free again
      this.callbacks[tag] = undefined;
      this.held[tag] = undefined;
      this.freeTags.push(tag);
      throw err;
    }
  }

  private startWaiting(): void {
    while (this.waiting.length > 0 && this.freeTags.length > 0) {
      const next = this.waiting.shift()!;
      try {
        this.start(this.freeTags.pop()!, next.submit, next.hold, next.done);
      } catch {
        next.done(-22); // EINVAL: its arguments were refused (the caller's request fails, not the ring)
      }
    }
  }

  private complete(count: number): void {
    const c = this.completions;
    for (let i = 0; i < count; i++) {
      const tag = c[2 * i];
      const done = this.callbacks[tag]!;
      this.callbacks[tag] = undefined;
      this.held[tag] = undefined;
      this.freeTags.push(tag);
      this.startWaiting();
      done(c[2 * i + 1]);
    }
  }
}
