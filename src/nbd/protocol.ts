// NBD wire constants and fixed-size codecs (newstyle fixed handshake, simple replies).
// Numbers are the protocol's; names follow the spec so a reader can grep it.

export const NBDMAGIC = 0x4e42444d41474943n;
export const IHAVEOPT = 0x49484156454f5054n;
export const OPTION_REPLY_MAGIC = 0x3e889045565a9n;
export const REQUEST_MAGIC = 0x25609513;
export const SIMPLE_REPLY_MAGIC = 0x67446698;

/** handshake flags (server → client, 16 bits) */
export const FLAG_FIXED_NEWSTYLE = 1 << 0;
export const FLAG_NO_ZEROES = 1 << 1;
/** client flags (client → server, 32 bits) */
export const FLAG_C_FIXED_NEWSTYLE = 1 << 0;
export const FLAG_C_NO_ZEROES = 1 << 1;

export const OPT = {
  EXPORT_NAME: 1,
  ABORT: 2,
  LIST: 3,
  STARTTLS: 5,
  INFO: 6,
  GO: 7,
  // STRUCTURED_REPLY (8) and later options are answered with ERR_UNSUP
} as const;

export const REP = {
  ACK: 1,
  SERVER: 2,
  INFO: 3,
  ERR_UNSUP: 0x80000001,
  ERR_INVALID: 0x80000003,
  ERR_TLS_REQD: 0x80000005,
  ERR_UNKNOWN: 0x80000006,
} as const;

export const INFO = { EXPORT: 0, NAME: 1, DESCRIPTION: 2, BLOCK_SIZE: 3 } as const;

/** transmission flags (16 bits, sent with the export size) */
export const TFLAG = {
  HAS_FLAGS: 1 << 0,
  READ_ONLY: 1 << 1,
  SEND_FLUSH: 1 << 2,
  SEND_FUA: 1 << 3,
  SEND_TRIM: 1 << 5,
  SEND_WRITE_ZEROES: 1 << 6,
  CAN_MULTI_CONN: 1 << 8,
} as const;

export const CMD = { READ: 0, WRITE: 1, DISC: 2, FLUSH: 3, TRIM: 4, WRITE_ZEROES: 6 } as const;
export const CMD_FLAG = { FUA: 1 << 0, NO_HOLE: 1 << 1 } as const;

/** NBD error numbers (the spec fixes them; they are Linux errno values) */
export const NBD_ERR = {
  EPERM: 1,
  EIO: 5,
  ENOMEM: 12,
  EINVAL: 22,
  ENOSPC: 28,
  EOVERFLOW: 75,
  ENOTSUP: 95,
  ESHUTDOWN: 108,
} as const;
export type NbdErrno = keyof typeof NBD_ERR;

export const REQUEST_HEADER_BYTES = 28;
export const SIMPLE_REPLY_BYTES = 16;
export const OPTION_HEADER_BYTES = 16;
/** the spec's longest string (export names, descriptions) */
export const MAX_STRING_BYTES = 4096;
/** what a client may send as an option's data: a name plus a few info requests */
export const MAX_OPTION_BYTES = MAX_STRING_BYTES + 1024;
/** READ/WRITE payload limit (the spec's interoperable maximum) and what INFO_BLOCK_SIZE advertises */
export const MAX_PAYLOAD_BYTES = 32 * 1024 * 1024;

/** 18 bytes: NBDMAGIC, IHAVEOPT, handshake flags */
export function encodeGreeting(): Buffer {
  const b = Buffer.alloc(18);
  b.writeBigUInt64BE(NBDMAGIC, 0);
  b.writeBigUInt64BE(IHAVEOPT, 8);
  b.writeUInt16BE(FLAG_FIXED_NEWSTYLE | FLAG_NO_ZEROES, 16);
  return b;
}

export function encodeOptionReply(option: number, type: number, data: Buffer = EMPTY): Buffer {
  const b = Buffer.alloc(20 + data.length);
  b.writeBigUInt64BE(OPTION_REPLY_MAGIC, 0);
  b.writeUInt32BE(option, 8);
  b.writeUInt32BE(type, 12);
  b.writeUInt32BE(data.length, 16);
  data.copy(b, 20);
  return b;
}

export function encodeInfoExport(size: number, flags: number): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt16BE(INFO.EXPORT, 0);
  b.writeBigUInt64BE(BigInt(size), 2);
  b.writeUInt16BE(flags, 10);
  return b;
}

export function encodeInfoString(type: typeof INFO.NAME | typeof INFO.DESCRIPTION, text: string): Buffer {
  const s = Buffer.from(text, 'utf8');
  const b = Buffer.alloc(2 + s.length);
  b.writeUInt16BE(type, 0);
  s.copy(b, 2);
  return b;
}

export function encodeInfoBlockSize(min: number, preferred: number, max: number): Buffer {
  const b = Buffer.alloc(14);
  b.writeUInt16BE(INFO.BLOCK_SIZE, 0);
  b.writeUInt32BE(min, 2);
  b.writeUInt32BE(preferred, 6);
  b.writeUInt32BE(max, 10);
  return b;
}

/** NBD_REP_SERVER data: name length, name, then a human-readable description */
export function encodeServerEntry(name: string, description: string): Buffer {
  const n = Buffer.from(name, 'utf8');
  const d = Buffer.from(description, 'utf8');
  const b = Buffer.alloc(4 + n.length + d.length);
  b.writeUInt32BE(n.length, 0);
  n.copy(b, 4);
  d.copy(b, 4 + n.length);
  return b;
}

/** reply to NBD_OPT_EXPORT_NAME: size, flags, and 124 zero bytes unless the client said NO_ZEROES */
export function encodeExportNameReply(size: number, flags: number, noZeroes: boolean): Buffer {
  const b = Buffer.alloc(noZeroes ? 10 : 134);
  b.writeBigUInt64BE(BigInt(size), 0);
  b.writeUInt16BE(flags, 8);
  return b;
}

/** Simple reply header; the 64-bit handle travels as two 32-bit halves to avoid BigInt on the hot path. */
export function encodeSimpleReply(error: number, handleHi: number, handleLo: number): Buffer {
  const b = Buffer.allocUnsafe(SIMPLE_REPLY_BYTES);
  b.writeUInt32BE(SIMPLE_REPLY_MAGIC, 0);
  b.writeUInt32BE(error, 4);
  b.writeUInt32BE(handleHi, 8);
  b.writeUInt32BE(handleLo, 12);
  return b;
}

export interface RequestHeader {
  magic: number;
  flags: number;
  type: number;
  handleHi: number;
  handleLo: number;
  /** a u64 as a double: exact below 2^53, and any larger value is past every export's end anyway */
  offset: number;
  length: number;
}

export function decodeRequestHeader(b: Buffer, at: number): RequestHeader {
  return {
    magic: b.readUInt32BE(at),
    flags: b.readUInt16BE(at + 4),
    type: b.readUInt16BE(at + 6),
    handleHi: b.readUInt32BE(at + 8),
    handleLo: b.readUInt32BE(at + 12),
    offset: b.readUInt32BE(at + 16) * 0x100000000 + b.readUInt32BE(at + 20),
    length: b.readUInt32BE(at + 24),
  };
}

const EMPTY = Buffer.alloc(0);
