// Errors the NBD layer turns into NBD error numbers: they carry an errno name (src/nbd/backend.ts).
import { TandemError } from '../lib/errors.js';

export type IoErrno = 'EIO' | 'EROFS' | 'ESHUTDOWN' | 'EINVAL' | 'ENOSPC';

export function ioError(errno: IoErrno, message: string): TandemError {
  return new TandemError('TANDEM_E_STATE', message, { details: { errno } });
}
