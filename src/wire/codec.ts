// Frame layout and the table-driven codec of the peer protocol.
//
// Frame = 20-byte header + payload. All integers big-endian.
//
//    0       4        6       8       10       12        16        20
//   +-------+--------+-------+-------+--------+---------+---------+------------------
//   | magic | format | type  | flags | reserv | length  | hdr crc | payload (length)
//   | u32   | u16    | u16   | u16   | u16    | u32     | u32     | fields, then tail
//   +-------+--------+-------+-------+--------+---------+---------+------------------
//   magic   0x54414e44 "TAND"            format  FRAME_FORMAT (version.ts)
//   type    MESSAGES[*].id               reserved: 0
//   flags   FRAME_FLAG bits: which trailers follow the payload (none before authentication)
//   length  payload bytes, ≤ the reader's limit (MAX_PAYLOAD_BYTES, or less before auth);
//           the trailers are not counted: their size follows from the flags
//   hdr crc CRC-32 (zlib) of bytes 0..15: a corrupt length never makes us wait for or allocate
//           a bogus amount
//
// Trailers, in this order, after the payload (what they hold: frame-seal.ts):
//   payload checksum  4 bytes, CRC32C of the payload (data-integrity-alg = crc32c)
//   MAC               16 bytes, keyed MAC over sequence number, header, payload and checksum
//                     (transport-security = integrity)
//
// Decoding is strict: any frame that is not exactly what the catalogue declares raises
// TANDEM_E_PROTOCOL, and the caller drops the connection. Nothing else is ever thrown for bad
// input, nothing is allocated beyond one frame, and the reader never waits for more than the
// header announced.
import { assert } from '../lib/assert.js';
import { TandemError } from '../lib/errors.js';
import { MESSAGES, type MessageName, type WireMessage } from './messages.js';
import type { Field, Fields } from './schema.js';
import { FRAME_FORMAT, FRAME_MAGIC, MAX_PAYLOAD_BYTES } from './version.js';

export const HEADER_BYTES = 20;

export const FRAME_FLAG = { payloadChecksum: 0x1, mac: 0x2 } as const;
const KNOWN_FLAGS = FRAME_FLAG.payloadChecksum | FRAME_FLAG.mac;
export const CHECKSUM_TRAILER_BYTES = 4;
export const MAC_TRAILER_BYTES = 16;
export const MAX_TRAILER_BYTES = CHECKSUM_TRAILER_BYTES + MAC_TRAILER_BYTES;

/** Bytes of trailers a frame with these header flags carries after its payload. */
export function trailerBytes(flags: number): number {
  return (flags & FRAME_FLAG.payloadChecksum ? CHECKSUM_TRAILER_BYTES : 0) + (flags & FRAME_FLAG.mac ? MAC_TRAILER_BYTES : 0);
}

const NAME_BY_ID = new Map<number, MessageName>(
  (Object.keys(MESSAGES) as MessageName[]).map((name) => [MESSAGES[name].id, name]),
);
assert(NAME_BY_ID.size === Object.keys(MESSAGES).length, 'message type numbers are unique');

export function protocolError(message: string, details: Record<string, unknown> = {}): TandemError {
  return new TandemError('TANDEM_E_PROTOCOL', message, {
    hint: 'the peer sent a malformed frame; the connection is dropped and re-established. ' +
      'If it repeats, check that both nodes run compatible Tandem versions',
    details,
  });
}

// ---------------------------------------------------------------------------------------------
// Encoding

/** Messages whose last field is bulk data (a tail): the ones a payload checksum covers. */
export const DATA_MESSAGES: ReadonlySet<MessageName> = new Set(
  (Object.keys(MESSAGES) as MessageName[]).filter((name) => Object.values(MESSAGES[name].fields as Fields).some((f) => f.kind === 'tail')),
);

/**
 * Encode a message as one frame: the header and fields in one buffer, then the tail (bulk data)
 * as its own buffer, never copied. Write them together (cork/uncork or writev). `flags` announce
 * trailers the caller appends (frame-seal.ts); the payload is the same whatever they are.
 */
export function encodeFrame(msg: WireMessage, flags = 0): Buffer[] {
  const layout = layoutOf(MESSAGES[msg.type].fields as Fields);
  const record = msg as unknown as Record<string, unknown>;
  const tailBuffer = layout.tail === null ? null : tailOf(layout.tail, record);
  const fieldBytes = layout.fixedBytes ?? sizeOfFields(layout, record, msg.type);
  const payloadBytes = fieldBytes + (tailBuffer?.length ?? 0);
  if (payloadBytes > MAX_PAYLOAD_BYTES) fail(`${msg.type} frame of ${payloadBytes} bytes fits the frame limit`);
  const head = Buffer.allocUnsafe(HEADER_BYTES + fieldBytes);
  writeHeader(head, MESSAGES[msg.type].id, payloadBytes, flags);
  const end = writeFields(head, HEADER_BYTES, layout, record, msg.type);
  assert(end === head.length, 'encoded size matches the computed size');
  return tailBuffer && tailBuffer.length > 0 ? [head, tailBuffer] : [head];
}

// Every message is encoded and decoded on the data path, so the field lists are computed once per
// declaration and a field's path ("Write.flags.fua") is only spelled out for an error message.

interface Entry { readonly name: string; readonly field: Field }

/** A field list as the codec walks it: computed once per declaration (loops by index, no iterator per frame). */
interface Layout {
  /** every field, in order (decoding) */
  readonly all: readonly Entry[];
  /** the fields before the bulk data (encoding) */
  readonly entries: readonly Entry[];
  /** the bulk data field, when the last field is one (never part of `entries`) */
  readonly tail: Entry | null;
  /** bytes of the fields when none has a variable size (most messages on the data path), else null */
  readonly fixedBytes: number | null;
}

const LAYOUTS = new WeakMap<Fields, Layout>();

function layoutOf(fields: Fields): Layout {
  let layout = LAYOUTS.get(fields);
  if (layout === undefined) {
    const all = Object.entries(fields).map(([name, field]) => ({ name, field }));
    const last = all[all.length - 1];
    const tail = last !== undefined && last.field.kind === 'tail' ? last : null;
    const entries = all.filter((e) => e.field.kind !== 'tail');
    const sizes = entries.map((e) => fixedSizeOf(e.field));
    layout = { all, entries, tail, fixedBytes: sizes.every((n) => n !== null) ? sizes.reduce<number>((a, n) => a + n!, 0) : null };
    LAYOUTS.set(fields, layout);
  }
  return layout;
}

/** The encoded size of a field whatever its value, or null when it depends on the value. */
function fixedSizeOf(field: Field): number | null {
  switch (field.kind) {
    case 'u8': case 'bool': case 'enum': return 1;
    case 'u16': return 2;
    case 'u32': return 4;
    case 'u64': case 'safe': return 8;
    case 'bits': return field.width / 8;
    case 'fixed': return field.length;
    case 'struct': return layoutOf(field.fields).fixedBytes;
    default: return null;
  }
}

/** The path of a field for messages: `parent.name`, or `parent[i]` for an array item. */
function pathOf(parent: string, name: string): string {
  return name.startsWith('[') ? parent + name : `${parent}.${name}`;
}

/** What assert() throws, for checks whose message is only built when they fail. */
function fail(invariant: string): never {
  throw new TandemError('TANDEM_E_INTERNAL', `invariant violated: ${invariant}`);
}

/** The high word of Number.MAX_SAFE_INTEGER (2^53-1): anything above it is not a safe integer. */
const SAFE_HIGH_MAX = 0x1f_ffff;

// CRC-32 (the zlib polynomial, reflected) of the first 16 header bytes, computed in JS: for 16
// bytes a table walk is several times cheaper than a call into zlib with a subarray.
const CRC_TABLE = new Int32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c;
});

function headerCrc(buf: Buffer): number {
  let c = -1;
  for (let i = 0; i < 16; i++) c = CRC_TABLE[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

function writeHeader(buf: Buffer, typeId: number, payloadBytes: number, flags: number): void {
  assert((flags & ~KNOWN_FLAGS) === 0, 'only defined frame flags are sent');
  buf.writeUInt32BE(FRAME_MAGIC, 0);
  buf.writeUInt16BE(FRAME_FORMAT, 4);
  buf.writeUInt16BE(typeId, 6);
  buf.writeUInt16BE(flags, 8);
  buf.writeUInt16BE(0, 10);
  buf.writeUInt32BE(payloadBytes, 12);
  buf.writeUInt32BE(headerCrc(buf), 16);
}

function tailOf(last: Entry, record: Record<string, unknown>): Buffer {
  const value = record[last.name];
  if (!Buffer.isBuffer(value)) fail(`tail field ${last.name} is a Buffer`);
  // the encoder checks what the decoder checks: a frame the peer would refuse is never sent
  if (last.field.kind === 'tail' && value.length > last.field.max) fail(`tail field ${last.name} of ${value.length} bytes is at most ${last.field.max} bytes`);
  return value;
}

function sizeOfFields(layout: Layout, record: Record<string, unknown>, path: string): number {
  if (layout.fixedBytes !== null) return layout.fixedBytes;
  let total = 0;
  const entries = layout.entries;
  for (let i = 0; i < entries.length; i++) total += sizeOf(entries[i].field, record[entries[i].name], path, entries[i].name);
  return total;
}

function sizeOf(field: Field, value: unknown, parent: string, name: string): number {
  const fixed = fixedSizeOf(field);
  if (fixed !== null) return fixed;
  switch (field.kind) {
    case 'bytes': return 4 + (value as Buffer).length;
    case 'string': return 2 + Buffer.byteLength(value as string, 'utf8');
    case 'array': {
      const items = value as unknown[];
      const path = pathOf(parent, name);
      if (!Array.isArray(items)) fail(`${path} is an array`);
      return items.reduce<number>((n, item, i) => n + sizeOf(field.item, item, path, `[${i}]`), 2);
    }
    case 'struct': return sizeOfFields(layoutOf(field.fields), value as Record<string, unknown>, pathOf(parent, name));
    case 'tail': return 0;
    default: return fail(`${pathOf(parent, name)} has a size of its own (fixedSizeOf)`);
  }
}

function writeFields(buf: Buffer, at: number, layout: Layout, record: Record<string, unknown>, path: string): number {
  let offset = at;
  const entries = layout.entries;
  for (let i = 0; i < entries.length; i++) offset = writeField(buf, offset, entries[i].field, record[entries[i].name], path, entries[i].name);
  return offset;
}

function writeField(buf: Buffer, at: number, field: Field, value: unknown, parent: string, name: string): number {
  switch (field.kind) {
    case 'u8': return buf.writeUInt8(checkUint(value, 0xff, parent, name), at);
    case 'u16': return buf.writeUInt16BE(checkUint(value, 0xffff, parent, name), at);
    case 'u32': return buf.writeUInt32BE(checkUint(value, 0xffff_ffff, parent, name), at);
    case 'safe': return writeSafe(buf, at, checkUint(value, Number.MAX_SAFE_INTEGER, parent, name));
    case 'u64':
      if (!(typeof value === 'bigint' && value >= 0n && value < 1n << 64n)) fail(`${pathOf(parent, name)} is a u64`);
      return buf.writeBigUInt64BE(value, at);
    case 'bool':
      if (typeof value !== 'boolean') fail(`${pathOf(parent, name)} is a boolean`);
      return buf.writeUInt8(value ? 1 : 0, at);
    case 'enum': {
      const index = field.values.indexOf(value as string);
      if (index < 0) fail(`${pathOf(parent, name)} is one of ${field.values.join('|')}`);
      return buf.writeUInt8(index, at);
    }
    case 'bits': return writeBits(buf, at, field.width, field.names, value, parent, name);
    case 'fixed':
      if (!(Buffer.isBuffer(value) && value.length === field.length)) fail(`${pathOf(parent, name)} is ${field.length} bytes`);
      return at + value.copy(buf, at);
    case 'bytes':
      if (!(Buffer.isBuffer(value) && value.length <= field.max)) fail(`${pathOf(parent, name)} is at most ${field.max} bytes`);
      buf.writeUInt32BE(value.length, at);
      return at + 4 + value.copy(buf, at + 4);
    case 'string': {
      if (typeof value !== 'string') fail(`${pathOf(parent, name)} is a string`);
      const length = buf.write(value, at + 2, 'utf8');
      if (length > field.max) fail(`${pathOf(parent, name)} is at most ${field.max} bytes of UTF-8`);
      buf.writeUInt16BE(length, at);
      return at + 2 + length;
    }
    case 'array': {
      const items = value as unknown[];
      const path = pathOf(parent, name);
      assert(items.length >= field.min && items.length <= field.max, `${path} has ${field.min}..${field.max} items`);
      let offset = buf.writeUInt16BE(items.length, at);
      items.forEach((item, i) => { offset = writeField(buf, offset, field.item, item, path, `[${i}]`); });
      return offset;
    }
    case 'struct': return writeFields(buf, at, layoutOf(field.fields), value as Record<string, unknown>, pathOf(parent, name));
    case 'tail': return at;
  }
}

/** Two u32 stores: the same bytes as writeBigUInt64BE, without a BigInt per field. */
function writeSafe(buf: Buffer, at: number, value: number): number {
  buf.writeUInt32BE(Math.floor(value / 2 ** 32), at);
  return buf.writeUInt32BE(value >>> 0, at + 4);
}

function checkUint(value: unknown, max: number, parent: string, name: string): number {
  if (!(typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= max)) {
    fail(`${pathOf(parent, name)} is an integer in 0..${max}`);
  }
  return value;
}

function writeBits(buf: Buffer, at: number, width: number, names: readonly string[], value: unknown, parent: string, name: string): number {
  const set = value as Record<string, boolean>;
  let word = 0;
  for (let bit = 0; bit < names.length; bit++) {
    const flag = set[names[bit]];
    if (typeof flag !== 'boolean') fail(`${pathOf(parent, name)}.${names[bit]} is a boolean`);
    if (flag) word |= 1 << bit;
  }
  word >>>= 0;
  if (width === 8) return buf.writeUInt8(word, at);
  if (width === 16) return buf.writeUInt16BE(word, at);
  return buf.writeUInt32BE(word, at);
}

// ---------------------------------------------------------------------------------------------
// Decoding

export interface FrameHeader {
  typeId: number;
  name: MessageName;
  /** FRAME_FLAG bits; which ones a frame must carry is the reader's decision */
  flags: number;
  payloadBytes: number;
}

/** Validate a 20-byte header against the frame format and a payload limit. */
export function decodeHeader(buf: Buffer, maxPayloadBytes: number): FrameHeader {
  assert(buf.length >= HEADER_BYTES, 'a whole header is available');
  const magic = buf.readUInt32BE(0);
  if (magic !== FRAME_MAGIC) throw protocolError(`bad frame magic 0x${magic.toString(16)} (expected 0x${FRAME_MAGIC.toString(16)})`, { magic });
  const crc = buf.readUInt32BE(16);
  if (crc !== headerCrc(buf)) throw protocolError('frame header checksum mismatch', { crc });
  const format = buf.readUInt16BE(4);
  if (format !== FRAME_FORMAT) throw protocolError(`unsupported frame format ${format} (this node reads ${FRAME_FORMAT})`, { format });
  const typeId = buf.readUInt16BE(6);
  const name = NAME_BY_ID.get(typeId);
  if (name === undefined) throw protocolError(`unknown message type 0x${typeId.toString(16)}`, { typeId });
  const flags = buf.readUInt16BE(8);
  const reserved = buf.readUInt16BE(10);
  if ((flags & ~KNOWN_FLAGS) !== 0 || reserved !== 0) throw protocolError(`${name}: undefined header flags 0x${flags.toString(16)}/0x${reserved.toString(16)}`, { flags, reserved });
  const payloadBytes = buf.readUInt32BE(12);
  if (payloadBytes > maxPayloadBytes) {
    throw protocolError(`${name}: payload of ${payloadBytes} bytes exceeds the limit of ${maxPayloadBytes}`, { payloadBytes, maxPayloadBytes });
  }
  return { typeId, name, flags, payloadBytes };
}

/** Decode a payload; Buffer fields of kind tail are slices of `payload` (no copy). */
export function decodePayload(name: MessageName, payload: Buffer): WireMessage {
  const cursor = new Cursor(payload, name);
  const record: Record<string, unknown> = { type: name };
  readFields(cursor, MESSAGES[name].fields as Fields, name, record);
  if (cursor.offset !== payload.length) {
    throw protocolError(`${name}: ${payload.length - cursor.offset} bytes left over after the last field`);
  }
  return record as unknown as WireMessage;
}

/** Decode one complete frame held in `frame` (header + payload, no trailers). */
export function decodeFrame(frame: Buffer, maxPayloadBytes = MAX_PAYLOAD_BYTES): WireMessage {
  if (frame.length < HEADER_BYTES) throw protocolError(`frame of ${frame.length} bytes is shorter than a header`);
  const header = decodeHeader(frame, maxPayloadBytes);
  if (header.flags !== 0) throw protocolError(`${header.name}: frame flags 0x${header.flags.toString(16)} where none are expected`);
  if (frame.length !== HEADER_BYTES + header.payloadBytes) {
    throw protocolError(`${header.name}: frame is ${frame.length} bytes, header says ${HEADER_BYTES + header.payloadBytes}`);
  }
  return decodePayload(header.name, frame.subarray(HEADER_BYTES));
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

class Cursor {
  offset = 0;
  constructor(readonly buf: Buffer, readonly name: MessageName) {}

  take(bytes: number, parent: string, name: string): number {
    if (this.offset + bytes > this.buf.length) {
      throw protocolError(`${pathOf(parent, name)}: needs ${bytes} bytes, only ${this.buf.length - this.offset} left in the payload`);
    }
    const at = this.offset;
    this.offset += bytes;
    return at;
  }
}

function readFields(cursor: Cursor, fields: Fields, path: string, record: Record<string, unknown> = {}): Record<string, unknown> {
  const all = layoutOf(fields).all;
  for (let i = 0; i < all.length; i++) record[all[i].name] = readField(cursor, all[i].field, path, all[i].name);
  return record;
}

function readField(c: Cursor, field: Field, parent: string, name: string): unknown {
  switch (field.kind) {
    case 'u8': return c.buf.readUInt8(c.take(1, parent, name));
    case 'u16': return c.buf.readUInt16BE(c.take(2, parent, name));
    case 'u32': return c.buf.readUInt32BE(c.take(4, parent, name));
    case 'u64': return c.buf.readBigUInt64BE(c.take(8, parent, name));
    case 'safe': return readSafe(c, parent, name);
    case 'bool': return readBool(c, parent, name);
    case 'enum': return readEnum(c, field.values, parent, name);
    case 'bits': return readBits(c, field.width, field.names, parent, name);
    case 'fixed': return c.buf.subarray(c.take(field.length, parent, name), c.offset);
    case 'bytes': return readBytes(c, field.max, parent, name);
    case 'string': return readString(c, field.max, parent, name);
    case 'array': return readArray(c, field.item, field.min, field.max, parent, name);
    case 'struct': return readFields(c, field.fields, pathOf(parent, name));
    case 'tail': return readTail(c, field.max, parent, name);
  }
}

function readSafe(c: Cursor, parent: string, name: string): number {
  const at = c.take(8, parent, name);
  const high = c.buf.readUInt32BE(at);
  if (high > SAFE_HIGH_MAX) throw protocolError(`${pathOf(parent, name)}: ${c.buf.readBigUInt64BE(at)} is above 2^53-1`);
  return high * 2 ** 32 + c.buf.readUInt32BE(at + 4);
}

function readBool(c: Cursor, parent: string, name: string): boolean {
  const byte = c.buf.readUInt8(c.take(1, parent, name));
  if (byte > 1) throw protocolError(`${pathOf(parent, name)}: boolean byte is ${byte}, not 0 or 1`);
  return byte === 1;
}

function readEnum(c: Cursor, values: readonly string[], parent: string, name: string): string {
  const index = c.buf.readUInt8(c.take(1, parent, name));
  if (index >= values.length) throw protocolError(`${pathOf(parent, name)}: value ${index} is not one of ${values.join('|')}`);
  return values[index];
}

function readBits(c: Cursor, width: 8 | 16 | 32, names: readonly string[], parent: string, name: string): Record<string, boolean> {
  const at = c.take(width / 8, parent, name);
  const word = width === 8 ? c.buf.readUInt8(at) : width === 16 ? c.buf.readUInt16BE(at) : c.buf.readUInt32BE(at);
  const known = names.length === 32 ? 0xffff_ffff : (1 << names.length) - 1;
  if ((word & ~known) >>> 0 !== 0) throw protocolError(`${pathOf(parent, name)}: undefined flag bits 0x${((word & ~known) >>> 0).toString(16)}`);
  const set: Record<string, boolean> = {};
  for (let bit = 0; bit < names.length; bit++) set[names[bit]] = (word & (1 << bit)) !== 0;
  return set;
}

function readBytes(c: Cursor, max: number, parent: string, name: string): Buffer {
  const length = c.buf.readUInt32BE(c.take(4, parent, name));
  if (length > max) throw protocolError(`${pathOf(parent, name)}: ${length} bytes, at most ${max} allowed`);
  return c.buf.subarray(c.take(length, parent, name), c.offset);
}

function readString(c: Cursor, max: number, parent: string, name: string): string {
  const length = c.buf.readUInt16BE(c.take(2, parent, name));
  if (length > max) throw protocolError(`${pathOf(parent, name)}: string of ${length} bytes, at most ${max} allowed`);
  const at = c.take(length, parent, name);
  try {
    return UTF8.decode(c.buf.subarray(at, at + length));
  } catch {
    throw protocolError(`${pathOf(parent, name)}: not valid UTF-8`);
  }
}

function readArray(c: Cursor, item: Field, min: number, max: number, parent: string, name: string): unknown[] {
  const count = c.buf.readUInt16BE(c.take(2, parent, name));
  if (count < min || count > max) throw protocolError(`${pathOf(parent, name)}: ${count} items, allowed ${min}..${max}`);
  const path = pathOf(parent, name);
  const items: unknown[] = [];
  for (let i = 0; i < count; i++) items.push(readField(c, item, path, `[${i}]`));
  return items;
}

function readTail(c: Cursor, max: number, parent: string, name: string): Buffer {
  const length = c.buf.length - c.offset;
  if (length > max) throw protocolError(`${pathOf(parent, name)}: ${length} bytes of data, at most ${max} allowed`);
  return c.buf.subarray(c.take(length, parent, name), c.offset);
}
