// The seam between the NBD protocol and whatever stores the data (the replication engine's
// Primary backend, a diskless backend, or FileBackend). The NBD layer has already checked every
// request against size, read-only state and the payload limit before calling in, so a backend
// only sees well-formed, in-range requests.
//
// Return values: a synchronous backend returns plain values (undefined / a Buffer) and pays no
// Promise; an asynchronous one returns a Promise. The connection tells them apart per call, so a
// backend may mix both (e.g. sync on an activity-log hit, a Promise on a miss).
//
// Errors: throw (or reject with) an Error whose `code` — or `details.errno` for a TandemError —
// is an errno name (EIO, ENOSPC, EPERM, EROFS, EINVAL, ESHUTDOWN, ENOMEM, EOVERFLOW, ENOTSUP).
// nbdErrnoOf() maps it to the NBD error sent to the client; anything else is reported as EIO.
//
// Ordering and durability (the rule the replication layer must keep):
//  * Requests may complete in any order; the connection replies as each completes. A client
//    that needs ordering waits for the reply (NBD semantics), so a backend never has to order
//    overlapping writes that are in flight together.
//  * A write is acknowledged when write() returns/resolves. With fua=true it must be durable
//    (on stable storage on every replica the protocol requires) before that.
//  * flush() must not return/resolve before every write that completed before flush() was
//    called is durable. The NBD layer calls flush() as soon as it reads NBD_CMD_FLUSH, so this
//    covers every write the client saw acknowledged — on any connection, which is what
//    CAN_MULTI_CONN promises; set canMultiConn only if flush() has that reach.
//  * trim() is advisory: a backend may ignore it, but then reads must keep returning the old
//    data or zeros consistently (on every replica). writeZeroes() must make reads return zeros.
import { NBD_ERR, type NbdErrno } from './protocol.js';

export interface NbdBackend {
  /** export size in bytes; fixed while clients are connected */
  readonly size: number;
  /** writes are refused with EPERM before they reach the backend */
  readonly readOnly: boolean;
  /** flush() covers writes completed on every connection, so clients may use several */
  readonly canMultiConn: boolean;
  read(offset: number, length: number): Buffer | Promise<Buffer>;
  write(offset: number, data: Buffer, fua: boolean): void | Promise<void>;
  flush(): void | Promise<void>;
  trim(offset: number, length: number, fua: boolean): void | Promise<void>;
  writeZeroes(offset: number, length: number, fua: boolean, noHole: boolean): void | Promise<void>;
}

/** An error a backend can throw to choose the NBD error the client gets. */
export class NbdIoError extends Error {
  constructor(readonly code: NbdErrno | 'EROFS', message: string) {
    super(message);
    this.name = 'NbdIoError';
  }
}

const ALIASES: Record<string, NbdErrno> = {
  EROFS: 'EPERM',
  EACCES: 'EPERM',
  EDQUOT: 'ENOSPC',
  EFBIG: 'ENOSPC',
  EOPNOTSUPP: 'ENOTSUP',
};

/** The errno name an error carries, if any (Node fs errors, NbdIoError, TandemError details). */
export function errnoNameOf(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { code?: unknown; details?: { errno?: unknown } };
  if (typeof e.details?.errno === 'string') return e.details.errno;
  if (typeof e.code === 'string' && e.code.startsWith('E')) return e.code;
  return undefined;
}

/** The NBD error number for anything a backend threw. */
export function nbdErrnoOf(err: unknown): number {
  const name = errnoNameOf(err);
  if (name === undefined) return NBD_ERR.EIO;
  if (name in NBD_ERR) return NBD_ERR[name as NbdErrno];
  const alias = ALIASES[name];
  return alias ? NBD_ERR[alias] : NBD_ERR.EIO;
}
