// Reassembles frames from a byte stream (TCP chunks of any size) and decodes them.
//
// Memory bound: the reader holds at most one partial frame. The header is checked (magic, CRC,
// type, length ≤ limit) as soon as its 20 bytes are in, so a bogus length is refused before
// anything is allocated for it. A frame that lies inside one chunk is decoded in place, so bulk
// data stays a slice of the socket's buffer; a frame split across chunks is gathered once into a
// buffer of exactly its size.
import { assert } from '../lib/assert.js';
import { decodeHeader, decodePayload, HEADER_BYTES, type FrameHeader } from './codec.js';
import type { WireMessage } from './messages.js';

export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private header: FrameHeader | null = null;
  private failed = false;

  /** @param maxPayloadBytes frames announcing more are refused (smaller before authentication) */
  constructor(private maxPayloadBytes: number) {}

  /** Bytes received of an incomplete frame (its header included); less than one frame. */
  get bufferedBytes(): number {
    return this.buffered + (this.header === null ? 0 : HEADER_BYTES);
  }

  setMaxPayloadBytes(limit: number): void {
    this.maxPayloadBytes = limit;
  }

  /**
   * Feed bytes; returns the messages completed by them, in order. Throws TANDEM_E_PROTOCOL on a
   * malformed frame, after which the reader refuses all further input (drop the connection).
   */
  push(chunk: Buffer): WireMessage[] {
    assert(!this.failed, 'no input after a protocol error');
    const messages: WireMessage[] = [];
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    try {
      for (let msg = this.next(); msg !== null; msg = this.next()) messages.push(msg);
    } catch (err) {
      this.failed = true;
      this.chunks = [];
      this.buffered = 0;
      throw err;
    }
    assert(this.buffered < HEADER_BYTES + this.maxPayloadBytes, 'what is left is less than one frame');
    return messages;
  }

  private next(): WireMessage | null {
    if (this.header === null) {
      if (this.buffered < HEADER_BYTES) return null;
      this.header = decodeHeader(this.take(HEADER_BYTES), this.maxPayloadBytes);
    }
    if (this.buffered < this.header.payloadBytes) return null;
    const { name, payloadBytes } = this.header;
    this.header = null;
    return decodePayload(name, this.take(payloadBytes));
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
