// One named export: a backend plus what the handshake advertises about it, and the owner's
// switch to refuse writes (demotion) without tearing connections down.
import { assert } from '../lib/assert.js';
import type { NbdBackend } from './backend.js';
import { MAX_PAYLOAD_BYTES, MAX_STRING_BYTES, TFLAG } from './protocol.js';

export interface NbdExportSpec {
  /** the name clients ask for (NBD_OPT_GO / EXPORT_NAME) and OPT_LIST shows */
  name: string;
  description?: string;
  backend: NbdBackend;
  /** smallest request granularity; requests not aligned to it get EINVAL (default 1: any byte) */
  minBlockSize?: number;
  /** what clients should use for efficiency (default 4096) */
  preferredBlockSize?: number;
}

export class NbdExport {
  readonly name: string;
  readonly description: string;
  readonly backend: NbdBackend;
  readonly minBlockSize: number;
  readonly preferredBlockSize: number;
  readonly maxBlockSize = MAX_PAYLOAD_BYTES;
  private writesRefused = false;

  constructor(spec: NbdExportSpec) {
    assert(Buffer.byteLength(spec.name) <= MAX_STRING_BYTES, 'export name fits an NBD string');
    this.name = spec.name;
    this.description = spec.description ?? '';
    this.backend = spec.backend;
    this.minBlockSize = spec.minBlockSize ?? 1;
    this.preferredBlockSize = spec.preferredBlockSize ?? 4096;
    assert(isPowerOfTwo(this.minBlockSize) && this.minBlockSize <= 65536, 'min block size is a power of two ≤ 64 KiB');
    assert(isPowerOfTwo(this.preferredBlockSize) && this.preferredBlockSize >= this.minBlockSize, 'preferred block size ≥ min');
    assert(Number.isSafeInteger(spec.backend.size) && spec.backend.size >= 0, 'backend size is a byte count');
  }

  get size(): number {
    return this.backend.size;
  }

  get readOnly(): boolean {
    return this.backend.readOnly || this.writesRefused;
  }

  /** From now on every write, trim and write-zeroes gets EPERM; in-flight ones still finish. */
  refuseWrites(refuse: boolean): void {
    this.writesRefused = refuse;
  }

  transmissionFlags(): number {
    let flags = TFLAG.HAS_FLAGS | TFLAG.SEND_FLUSH | TFLAG.SEND_FUA | TFLAG.SEND_TRIM | TFLAG.SEND_WRITE_ZEROES;
    if (this.readOnly) flags |= TFLAG.READ_ONLY;
    if (this.backend.canMultiConn) flags |= TFLAG.CAN_MULTI_CONN;
    return flags;
  }
}

function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;
}
