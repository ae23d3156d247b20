// Reassembles frames from a byte stream (TCP chunks of any size) and decodes them.
//
// Memory bound: push() holds at most one partial frame. The header is checked (magic, CRC, type,
// flags, length ≤ limit) as soon as its 20 bytes are in, so a bogus length is refused before
// anything is allocated for it. A frame that lies inside one chunk is decoded in place, so bulk
// data stays a slice of the socket's buffer; a frame split across chunks is gathered once into a
// buffer of exactly its size.
//
// Frames are parsed one at a time (next()), so what a frame must look like can change between
// two frames of one chunk: after authentication the frames carry trailers (setOpener), and for
// STARTTLS the bytes after the last clear frame are handed to TLS (takeUnparsed).
import { assert } from '../lib/assert.js';
import { decodeHeader, decodePayload, HEADER_BYTES, MAX_TRAILER_BYTES, protocolError, trailerBytes, type FrameHeader } from './codec.js';
import type { FrameOpener } from './frame-seal.js';
import type { WireMessage } from './messages.js';

export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private header: { decoded: FrameHeader; bytes: Buffer } | null = null;
  private opener: FrameOpener | null = null;
  private failed = false;

  /** @param maxPayloadBytes frames announcing more are refused (smaller before authentication) */
  constructor(private maxPayloadBytes: number) {}

  /** Bytes received and not yet decoded (a pending header included). */
  get bufferedBytes(): number {
    return this.buffered + (this.header === null ? 0 : HEADER_BYTES);
  }

  setMaxPayloadBytes(limit: number): void {
    this.maxPayloadBytes = limit;
  }

  /** From the next frame on, every frame must carry the trailers `opener` expects, and pass them. */
  setOpener(opener: FrameOpener): void {
    assert(this.header === null, 'protection changes between frames');
    this.opener = opener;
  }

  /**
   * Feed bytes; returns the messages completed by them, in order. Throws TANDEM_E_PROTOCOL on a
   * malformed frame, after which the reader refuses all further input (drop the connection).
   */
  push(chunk: Buffer): WireMessage[] {
    this.append(chunk);
    const messages: WireMessage[] = [];
    for (let msg = this.next(); msg !== null; msg = this.next()) messages.push(msg);
    assert(this.buffered < HEADER_BYTES + this.maxPayloadBytes + MAX_TRAILER_BYTES, 'what is left is less than one frame');
    return messages;
  }

  /** Feed bytes without decoding them yet (see next()). */
  append(chunk: Buffer): void {
    assert(!this.failed, 'no input after a protocol error');
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
  }

  /** The next complete message, or null until more bytes arrive. Throws TANDEM_E_PROTOCOL as push(). */
  next(): WireMessage | null {
    if (this.failed) return null;
    try {
      return this.decodeNext();
    } catch (err) {
      this.failed = true;
      this.chunks = [];
      this.buffered = 0;
      throw err;
    }
  }

  /** STARTTLS: the bytes after the last decoded frame, which belong to the TLS layer. */
  takeUnparsed(): Buffer {
    assert(this.header === null, 'taken between frames');
    const rest = Buffer.concat(this.chunks);
    this.chunks = [];
    this.buffered = 0;
    return rest;
  }

  private decodeNext(): WireMessage | null {
    if (this.header === null) {
      if (this.buffered < HEADER_BYTES) return null;
      const bytes = this.take(HEADER_BYTES);
      const decoded = decodeHeader(bytes, this.maxPayloadBytes);
      const expected = this.opener?.flagsFor(decoded.name) ?? 0;
      if (decoded.flags !== expected) {
        throw protocolError(`${decoded.name}: frame flags 0x${decoded.flags.toString(16)}, expected 0x${expected.toString(16)} (the trailers this connection agreed on)`, { flags: decoded.flags, expected });
      }
      this.header = { decoded, bytes };
    }
    const { decoded, bytes } = this.header;
    const trailer = trailerBytes(decoded.flags);
    if (this.buffered < decoded.payloadBytes + trailer) return null;
    this.header = null;
    const body = this.take(decoded.payloadBytes + trailer);
    const payload = body.subarray(0, decoded.payloadBytes);
    if (this.opener !== null) this.opener.open(decoded.name, bytes, payload, body.subarray(decoded.payloadBytes), decoded.flags);
    return decodePayload(decoded.name, payload);
  }

  /** The next `bytes` bytes: a slice when one chunk holds them, else one gathered copy. */
  private take(bytes: number): Buffer {
    assert(bytes <= this.buffered, 'take only what is buffered');
    this.buffered -= bytes;
    const first = this.chunks[0];
    if (first !== undefined && first.length >= bytes) {
      if (first.length === bytes) this.chunks.shift();
      else this.chunks[0] = first.subarray(bytes);
      return first.subarray(0, bytes);
    }
    const out = Buffer.allocUnsafe(bytes);
    let filled = 0;
    while (filled < bytes) {
      const chunk = this.chunks[0];
      const n = Math.min(chunk.length, bytes - filled);
      chunk.copy(out, filled, 0, n);
      filled += n;
      if (n === chunk.length) this.chunks.shift();
      else this.chunks[0] = chunk.subarray(n);
    }
    return out;
  }
}
