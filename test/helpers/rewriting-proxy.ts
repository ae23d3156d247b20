// A TCP proxy between two real daemons that can rewrite one peer message on the way: it follows
// the frames of each direction (transport-security = none: frames in clear, no MAC), decodes the
// ones of a chosen type with the project's codec, and a test's function may return another
// message to send instead, encoded again (header checksum and all). So a test can hand a daemon
// a message that is well-formed on the wire and wrong in meaning, which no honest peer sends.
// Frames carrying trailers (a payload checksum) and anything that is not frames pass unchanged.
import type { Socket } from 'node:net';
import { decodeHeader, decodePayload, encodeFrame, HEADER_BYTES, trailerBytes } from '../../src/wire/codec.js';
import type { MessageName, MessageOf, WireMessage } from '../../src/wire/messages.js';
import { FRAME_MAGIC, MAX_PAYLOAD_BYTES } from '../../src/wire/version.js';
import { TcpProxy } from './tcp-proxy.js';

/**
 * Sees each message of the watched type, and whether the node that dialled the proxy sent it
 * (else the node the proxy forwards to did); returns a replacement, or null to pass it on as it was.
 */
export type Rewrite<N extends MessageName> = (msg: MessageOf<N>, fromDialer: boolean) => WireMessage | null;

export class RewritingProxy<N extends MessageName> extends TcpProxy {
  constructor(targetPort: number, private readonly type: N, private readonly rewrite: Rewrite<N>) {
    super(targetPort);
  }

  protected direction(from: Socket, to: Socket, fromDialer: boolean): void {
    let pending: Buffer = Buffer.alloc(0);
    let frames = true; // false once the bytes are not frames: the rest passes as it comes
    from.on('data', (chunk: Buffer) => {
      if (!frames) { to.write(chunk); return; }
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      const out: Buffer[] = [];
      while (pending.length >= HEADER_BYTES) {
        if (pending.readUInt32BE(0) !== FRAME_MAGIC) { frames = false; break; }
        const flags = pending.readUInt16BE(8);
        const size = HEADER_BYTES + pending.readUInt32BE(12) + trailerBytes(flags);
        if (pending.length < size) break;
        const frame = pending.subarray(0, size);
        pending = pending.subarray(size);
        out.push(this.maybeRewrite(frame, flags, fromDialer));
      }
      if (!frames) { out.push(pending); pending = Buffer.alloc(0); }
      if (out.length > 0) to.write(Buffer.concat(out));
    });
  }

  private maybeRewrite(frame: Buffer, flags: number, fromDialer: boolean): Buffer {
    if (flags !== 0) return frame;
    let header;
    try {
      header = decodeHeader(frame, MAX_PAYLOAD_BYTES);
    } catch {
      return frame; // not ours to judge: the daemon will
    }
    if (header.name !== this.type) return frame;
    const msg = decodePayload(header.name, frame.subarray(HEADER_BYTES)) as unknown as MessageOf<N>;
    const replacement = this.rewrite(msg, fromDialer);
    return replacement === null ? frame : Buffer.concat(encodeFrame(replacement, 0));
  }
}
