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
//   type    MESSAGES[*].id               flags, reserved: 0 (no flag is defined yet)
//   length  payload bytes, ≤ the reader's limit (MAX_PAYLOAD_BYTES, or less before auth)
//   hdr crc CRC-32 (zlib) of bytes 0..15: a corrupt length never makes us wait for or allocate
//           a bogus amount; the payload is protected by TCP (and, later, an integrity stage)
//
// Decoding is strict: any frame that is not exactly what the catalogue declares raises
// TANDEM_E_PROTOCOL, and the caller drops the connection. Nothing else is ever thrown for bad
// input, nothing is allocated beyond one frame, and the reader never waits for more than the
// header announced.
import { crc32 } from 'node:zlib';
import { assert } from '../lib/assert.js';
import { TandemError } from '../lib/errors.js';
import { MESSAGES, type MessageName, type WireMessage } from './messages.js';
import type { Field, Fields } from './schema.js';
import { FRAME_FORMAT, FRAME_MAGIC, MAX_PAYLOAD_BYTES } from './version.js';

export const HEADER_BYTES = 20;

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

/**
 * Encode a message as one frame: the header and fields in one buffer, then the tail (bulk data)
 * as its own buffer, never copied. Write them together (cork/uncork or writev).
 */
export function encodeFrame(msg: WireMessage): Buffer[] {
  const fields = MESSAGES[msg.type].fields as Fields;
  const record = msg as unknown as Record<string, unknown>;
  const tailBuffer = tailOf(fields, record);
  const fieldBytes = sizeOfFields(fields, record, msg.type);
  const payloadBytes = fieldBytes + (tailBuffer?.length ?? 0);
  assert(payloadBytes <= MAX_PAYLOAD_BYTES, `${msg.type} frame of ${payloadBytes} bytes fits the frame limit`);
  const head = Buffer.allocUnsafe(HEADER_BYTES + fieldBytes);
  writeHeader(head, MESSAGES[msg.type].id, payloadBytes);
  const end = writeFields(head, HEADER_BYTES, fields, record, msg.type);
  assert(end === head.length, 'encoded size matches the computed size');
  return tailBuffer && tailBuffer.length > 0 ? [head, tailBuffer] : [head];
}

function writeHeader(buf: Buffer, typeId: number, payloadBytes: number): void {
  buf.writeUInt32BE(FRAME_MAGIC, 0);
  buf.writeUInt16BE(FRAME_FORMAT, 4);
  buf.writeUInt16BE(typeId, 6);
  buf.writeUInt16BE(0, 8);
  buf.writeUInt16BE(0, 10);
  buf.writeUInt32BE(payloadBytes, 12);
  buf.writeUInt32BE(crc32(buf.subarray(0, 16)), 16);
}

function tailOf(fields: Fields, record: Record<string, unknown>): Buffer | null {
  const names = Object.keys(fields);
  const last = names[names.length - 1];
  if (last === undefined || fields[last].kind !== 'tail') return null;
  const value = record[last];
  assert(Buffer.isBuffer(value), `tail field ${last} is a Buffer`);
  return value;
}

function sizeOfFields(fields: Fields, record: Record<string, unknown>, path: string): number {
  let total = 0;
  for (const [name, field] of Object.entries(fields)) {
    if (field.kind === 'tail') continue;
    total += sizeOf(field, record[name], `${path}.${name}`);
  }
  return total;
}

function sizeOf(field: Field, value: unknown, path: string): number {
  switch (field.kind) {
    case 'u8': case 'bool': case 'enum': return 1;
    case 'u16': return 2;
    case 'u32': return 4;
    case 'u64': case 'safe': return 8;
    case 'bits': return field.width / 8;
    case 'fixed': return field.length;
    case 'bytes': return 4 + (value as Buffer).length;
    case 'string': return 2 + Buffer.byteLength(value as string, 'utf8');
    case 'array': {
      const items = value as unknown[];
      assert(Array.isArray(items), `${path} is an array`);
      return items.reduce<number>((n, item, i) => n + sizeOf(field.item, item, `${path}[${i}]`), 2);
    }
    case 'struct': return sizeOfFields(field.fields, value as Record<string, unknown>, path);
    case 'tail': return 0;
  }
}

function writeFields(buf: Buffer, at: number, fields: Fields, record: Record<string, unknown>, path: string): number {
  let offset = at;
  for (const [name, field] of Object.entries(fields)) {
    if (field.kind === 'tail') continue;
    offset = writeField(buf, offset, field, record[name], `${path}.${name}`);
  }
  return offset;
}

function writeField(buf: Buffer, at: number, field: Field, value: unknown, path: string): number {
  switch (field.kind) {
    case 'u8': return buf.writeUInt8(checkUint(value, 0xff, path), at);
    case 'u16': return buf.writeUInt16BE(checkUint(value, 0xffff, path), at);
    case 'u32': return buf.writeUInt32BE(checkUint(value, 0xffff_ffff, path), at);
    case 'safe': return buf.writeBigUInt64BE(BigInt(checkUint(value, Number.MAX_SAFE_INTEGER, path)), at);
    case 'u64':
      assert(typeof value === 'bigint' && value >= 0n && value < 1n << 64n, `${path} is a u64`);
      return buf.writeBigUInt64BE(value, at);
    case 'bool':
      assert(typeof value === 'boolean', `${path} is a boolean`);
      return buf.writeUInt8(value ? 1 : 0, at);
    case 'enum': {
      const index = field.values.indexOf(value as string);
      assert(index >= 0, `${path} is one of ${field.values.join('|')}`);
      return buf.writeUInt8(index, at);
    }
    case 'bits': return writeBits(buf, at, field.width, field.names, value, path);
    case 'fixed':
      assert(Buffer.isBuffer(value) && value.length === field.length, `${path} is ${field.length} bytes`);
      return at + value.copy(buf, at);
    case 'bytes':
      assert(Buffer.isBuffer(value) && value.length <= field.max, `${path} is at most ${field.max} bytes`);
      buf.writeUInt32BE(value.length, at);
      return at + 4 + value.copy(buf, at + 4);
    case 'string': {
      assert(typeof value === 'string', `${path} is a string`);
      const length = buf.write(value, at + 2, 'utf8');
      assert(length <= field.max, `${path} is at most ${field.max} bytes of UTF-8`);
      buf.writeUInt16BE(length, at);
      return at + 2 + length;
    }
    case 'array': {
      const items = value as unknown[];
      assert(items.length >= field.min && items.length <= field.max, `${path} has ${field.min}..${field.max} items`);
      let offset = buf.writeUInt16BE(items.length, at);
      items.forEach((item, i) => { offset = writeField(buf, offset, field.item, item, `${path}[${i}]`); });
      return offset;
    }
    case 'struct': return writeFields(buf, at, field.fields, value as Record<string, unknown>, path);
    case 'tail': return at;
  }
}

function checkUint(value: unknown, max: number, path: string): number {
  assert(typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= max, `${path} is an integer in 0..${max}`);
  return value;
}

function writeBits(buf: Buffer, at: number, width: number, names: readonly string[], value: unknown, path: string): number {
  const set = value as Record<string, boolean>;
  let word = 0;
  names.forEach((name, bit) => {
    assert(typeof set[name] === 'boolean', `${path}.${name} is a boolean`);
    if (set[name]) word |= 1 << bit;
  });
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
  payloadBytes: number;
}

/** Validate a 20-byte header against the frame format and a payload limit. */
export function decodeHeader(buf: Buffer, maxPayloadBytes: number): FrameHeader {
  assert(buf.length >= HEADER_BYTES, 'a whole header is available');
  const magic = buf.readUInt32BE(0);
  if (magic !== FRAME_MAGIC) throw protocolError(`bad frame magic 0x${magic.toString(16)} (expected 0x${FRAME_MAGIC.toString(16)})`, { magic });
  const crc = buf.readUInt32BE(16);
  if (crc !== crc32(buf.subarray(0, 16))) throw protocolError('frame header checksum mismatch', { crc });
  const format = buf.readUInt16BE(4);
  if (format !== FRAME_FORMAT) throw protocolError(`unsupported frame format ${format} (this node reads ${FRAME_FORMAT})`, { format });
  const typeId = buf.readUInt16BE(6);
  const name = NAME_BY_ID.get(typeId);
  if (name === undefined) throw protocolError(`unknown message type 0x${typeId.toString(16)}`, { typeId });
  const flags = buf.readUInt16BE(8);
  const reserved = buf.readUInt16BE(10);
  if (flags !== 0 || reserved !== 0) throw protocolError(`${name}: undefined header flags 0x${flags.toString(16)}/0x${reserved.toString(16)}`, { flags, reserved });
  const payloadBytes = buf.readUInt32BE(12);
  if (payloadBytes > maxPayloadBytes) {
    throw protocolError(`${name}: payload of ${payloadBytes} bytes exceeds the limit of ${maxPayloadBytes}`, { payloadBytes, maxPayloadBytes });
  }
  return { typeId, name, payloadBytes };
}

/** Decode a payload; Buffer fields of kind tail are slices of `payload` (no copy). */
export function decodePayload(name: MessageName, payload: Buffer): WireMessage {
  const cursor = new Cursor(payload, name);
  const record = readFields(cursor, MESSAGES[name].fields as Fields, name);
  if (cursor.offset !== payload.length) {
    throw protocolError(`${name}: ${payload.length - cursor.offset} bytes left over after the last field`);
  }
  return { type: name, ...record } as WireMessage;
}

/** Decode one complete frame held in `frame` (header + payload). */
export function decodeFrame(frame: Buffer, maxPayloadBytes = MAX_PAYLOAD_BYTES): WireMessage {
  if (frame.length < HEADER_BYTES) throw protocolError(`frame of ${frame.length} bytes is shorter than a header`);
  const header = decodeHeader(frame, maxPayloadBytes);
  if (frame.length !== HEADER_BYTES + header.payloadBytes) {
    throw protocolError(`${header.name}: frame is ${frame.length} bytes, header says ${HEADER_BYTES + header.payloadBytes}`);
  }
  return decodePayload(header.name, frame.subarray(HEADER_BYTES));
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

class Cursor {
  offset = 0;
  constructor(readonly buf: Buffer, readonly name: MessageName) {}

  take(bytes: number, path: string): number {
    if (this.offset + bytes > this.buf.length) {
      throw protocolError(`${path}: needs ${bytes} bytes, only ${this.buf.length - this.offset} left in the payload`);
    }
    const at = this.offset;
    this.offset += bytes;
    return at;
  }
}

function readFields(cursor: Cursor, fields: Fields, path: string): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(fields)) record[name] = readField(cursor, field, `${path}.${name}`);
  return record;
}

function readField(c: Cursor, field: Field, path: string): unknown {
  switch (field.kind) {
    case 'u8': return c.buf.readUInt8(c.take(1, path));
    case 'u16': return c.buf.readUInt16BE(c.take(2, path));
    case 'u32': return c.buf.readUInt32BE(c.take(4, path));
    case 'u64': return c.buf.readBigUInt64BE(c.take(8, path));
    case 'safe': return readSafe(c, path);
    case 'bool': return readBool(c, path);
    case 'enum': return readEnum(c, field.values, path);
    case 'bits': return readBits(c, field.width, field.names, path);
    case 'fixed': return c.buf.subarray(c.take(field.length, path), c.offset);
    case 'bytes': return readBytes(c, field.max, path);
    case 'string': return readString(c, field.max, path);
    case 'array': return readArray(c, field.item, field.min, field.max, path);
    case 'struct': return readFields(c, field.fields, path);
    case 'tail': return readTail(c, field.max, path);
  }
}

function readSafe(c: Cursor, path: string): number {
  const value = c.buf.readBigUInt64BE(c.take(8, path));
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw protocolError(`${path}: ${value} is above 2^53-1`);
  return Number(value);
}

function readBool(c: Cursor, path: string): boolean {
  const byte = c.buf.readUInt8(c.take(1, path));
  if (byte > 1) throw protocolError(`${path}: boolean byte is ${byte}, not 0 or 1`);
  return byte === 1;
}

function readEnum(c: Cursor, values: readonly string[], path: string): string {
  const index = c.buf.readUInt8(c.take(1, path));
  if (index >= values.length) throw protocolError(`${path}: value ${index} is not one of ${values.join('|')}`);
  return values[index];
}

function readBits(c: Cursor, width: 8 | 16 | 32, names: readonly string[], path: string): Record<string, boolean> {
  const at = c.take(width / 8, path);
  const word = width === 8 ? c.buf.readUInt8(at) : width === 16 ? c.buf.readUInt16BE(at) : c.buf.readUInt32BE(at);
  const known = names.length === 32 ? 0xffff_ffff : (1 << names.length) - 1;
  if ((word & ~known) >>> 0 !== 0) throw protocolError(`${path}: undefined flag bits 0x${((word & ~known) >>> 0).toString(16)}`);
  return Object.fromEntries(names.map((name, bit) => [name, (word & (1 << bit)) !== 0]));
}

function readBytes(c: Cursor, max: number, path: string): Buffer {
  const length = c.buf.readUInt32BE(c.take(4, path));
  if (length > max) throw protocolError(`${path}: ${length} bytes, at most ${max} allowed`);
  return c.buf.subarray(c.take(length, path), c.offset);
}

function readString(c: Cursor, max: number, path: string): string {
  const length = c.buf.readUInt16BE(c.take(2, path));
  if (length > max) throw protocolError(`${path}: string of ${length} bytes, at most ${max} allowed`);
  const at = c.take(length, path);
  try {
    return UTF8.decode(c.buf.subarray(at, at + length));
  } catch {
    throw protocolError(`${path}: not valid UTF-8`);
  }
}

function readArray(c: Cursor, item: Field, min: number, max: number, path: string): unknown[] {
  const count = c.buf.readUInt16BE(c.take(2, path));
  if (count < min || count > max) throw protocolError(`${path}: ${count} items, allowed ${min}..${max}`);
  const items: unknown[] = [];
  for (let i = 0; i < count; i++) items.push(readField(c, item, `${path}[${i}]`));
  return items;
}

function readTail(c: Cursor, max: number, path: string): Buffer {
  const length = c.buf.length - c.offset;
  if (length > max) throw protocolError(`${path}: ${length} bytes of data, at most ${max} allowed`);
  return c.buf.subarray(c.take(length, path), c.offset);
}
