// The trailers that protect frames once a connection is authenticated (layout: codec.ts).
//
//   payload checksum  data-integrity-alg = crc32c: CRC32C of the header's first 16 bytes and
//                     the payload of every frame that carries bulk data (codec DATA_MESSAGES:
//                     Write, ResyncData, ReadReply, BitmapChunk). The payload includes the
//                     fields, so a bad offset is caught as well as bad data; the header part
//                     (type, flags, length) so that a header altered into another type cannot
//                     borrow a genuine payload and its checksum. A mismatch is a protocol error: the frame is never
//                     delivered, the connection drops, and the sender's unacknowledged writes
//                     are resynced.
//   MAC               transport-security = integrity: HMAC-SHA256, cut to 16 bytes, keyed per
//                     connection, socket and direction (handshake.ts derives the keys), over
//                     the frame's sequence number ‖ header ‖ payload ‖ checksum. The sequence
//                     number is not sent: both ends count frames from 0 after the handshake, so
//                     a frame altered, dropped, replayed, reordered or injected fails the next
//                     check.
//
// A sealer and an opener hold one direction's state; both sides must use the same options, which
// the handshake guarantees (both ends state them in Security and must agree).
import { createHmac, timingSafeEqual, type KeyObject } from 'node:crypto';
import { crc32c } from '../lib/crc32c.js';
import { CHECKSUM_TRAILER_BYTES, DATA_MESSAGES, FRAME_FLAG, HEADER_BYTES, MAC_TRAILER_BYTES, protocolError, trailerBytes } from './codec.js';
import type { MessageName } from './messages.js';

export interface FrameProtection {
  /** a CRC32C trailer on every frame that carries bulk data */
  payloadChecksum: boolean;
  /** this direction's MAC key, or null: no MAC */
  macKey: KeyObject | null;
}

abstract class FrameSeal {
  protected seq = 0;
  private readonly seqBytes = Buffer.alloc(8);

  constructor(protected readonly protection: FrameProtection) {}

  /** The flags (and so trailers) a frame of this type carries. */
  flagsFor(name: MessageName): number {
    let flags = 0;
    if (this.protection.payloadChecksum && DATA_MESSAGES.has(name)) flags |= FRAME_FLAG.payloadChecksum;
    if (this.protection.macKey !== null) flags |= FRAME_FLAG.mac;
    return flags;
  }

  protected mac(key: KeyObject, parts: Buffer[]): Buffer {
    this.seqBytes.writeUInt32BE(Math.floor(this.seq / 2 ** 32), 0);
    this.seqBytes.writeUInt32BE(this.seq >>> 0, 4);
    this.seq++;
    const hmac = createHmac('sha256', key).update(this.seqBytes);
    for (const part of parts) hmac.update(part);
    return hmac.digest().subarray(0, MAC_TRAILER_BYTES);
  }
}

/** The header bytes a payload checksum covers: all but its own CRC (which the reader checks first). */
const HEADER_CHECKED_BYTES = 16;

/** The sending side: trailers for each frame, in the order the frames are sent. */
export class FrameSealer extends FrameSeal {
  /**
   * The trailer for a frame encoded as `buffers` (header+fields, then the tail) with `flags`
   * (from flagsFor), or null when it carries none. Call once per frame sent, in order.
   */
  trailer(buffers: Buffer[], flags: number): Buffer | null {
    if (flags === 0) return null;
    const out = Buffer.allocUnsafe(trailerBytes(flags));
    let at = 0;
    if (flags & FRAME_FLAG.payloadChecksum) {
      let crc = crc32c(buffers[0].subarray(0, HEADER_CHECKED_BYTES));
      crc = crc32c(buffers[0].subarray(HEADER_BYTES), crc);
      for (let i = 1; i < buffers.length; i++) crc = crc32c(buffers[i], crc);
      at = out.writeUInt32BE(crc, 0);
    }
    if (flags & FRAME_FLAG.mac) this.mac(this.protection.macKey!, at > 0 ? [...buffers, out.subarray(0, at)] : buffers).copy(out, at);
    return out;
  }
}

/** The receiving side: checks each frame's trailers, in the order the frames arrive. */
export class FrameOpener extends FrameSeal {
  /**
   * Throws TANDEM_E_PROTOCOL unless the trailer proves `payload` intact (and, with a MAC, next in
   * order). The MAC is checked first: it also covers the checksum, so a checksum that fails behind
   * a good MAC was computed wrong by the sender itself, not changed on the way.
   */
  open(name: MessageName, header: Buffer, payload: Buffer, trailer: Buffer, flags: number): void {
    const checksumBytes = flags & FRAME_FLAG.payloadChecksum ? CHECKSUM_TRAILER_BYTES : 0;
    if (flags & FRAME_FLAG.mac) {
      const seq = this.seq;
      const expected = this.mac(this.protection.macKey!, checksumBytes > 0 ? [header, payload, trailer.subarray(0, checksumBytes)] : [header, payload]);
      if (!timingSafeEqual(expected, trailer.subarray(checksumBytes, checksumBytes + MAC_TRAILER_BYTES))) {
        throw protocolError(`${name}: frame ${seq} fails its MAC: it was altered, replayed, reordered or injected on the way; it is dropped unapplied`, { name, seq });
      }
    }
    if (checksumBytes > 0) {
      const sent = trailer.readUInt32BE(0);
      const crc = crc32c(payload, crc32c(header.subarray(0, HEADER_CHECKED_BYTES)));
      if (crc !== sent) {
        const where = flags & FRAME_FLAG.mac ? 'the sender checksummed other data than it sent (its MAC is good)' : 'the frame was altered on the way or in the sender';
        throw protocolError(`${name}: payload checksum mismatch (crc32c 0x${crc.toString(16)}, the sender computed 0x${sent.toString(16)}): ${where}; it is dropped unapplied`, { name, crc, sent });
      }
    }
  }
}
