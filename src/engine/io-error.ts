// Errors the NBD layer turns into NBD error numbers: they carry an errno name (src/nbd/backend.ts).
import { TandemError } from '../lib/errors.js';

export type IoErrno = 'EIO' | 'EROFS' | 'ESHUTDOWN' | 'EINVAL' | 'ENOSPC';

export function ioError(errno: IoErrno, message: string): TandemError {
  return new TandemError('TANDEM_E_STATE', message, { details: { errno } });
}

/**
 * What failed on the local disk (Resource.localDiskFailed). A failed read changes nothing on the
 * disk: every write it completed is still there. A failed write leaves its range undefined, and a
 * failed flush may have lost any write not yet durable.
 */
export type DiskOp = 'read' | 'write' | 'flush';
