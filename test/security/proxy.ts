// A TCP proxy for the security tests: forwards every connection to a target, records every byte
// in both directions (the "capture"), and can tamper once with the stream: flip a byte, drop
// bytes, replay an earlier frame or inject one. Where the stream is frames in clear (integrity,
// none), replay and injection happen at a frame boundary, so they are what an attacker who reads
// the protocol would do; under TLS the proxy cannot see frames and works on raw bytes.
import type { Socket } from 'node:net';
import { HEADER_BYTES, trailerBytes } from '../../src/wire/codec.js';
import { FRAME_MAGIC } from '../../src/wire/version.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

export type Tamper = 'flip' | 'drop' | 'replay' | 'inject';

export interface TamperPlan {
  kind: Tamper;
  /** tamper in the first chunk after this many bytes went one way on one connection */
  afterBytes: number;
  /** for inject: the bytes to put in (a well-formed frame, say) */
  injected?: Buffer;
}

export class RecordingProxy extends TcpProxy {
  readonly captured: Buffer[] = [];
  /** what was done, for the test log (null until done) */
  tampered: string | null = null;
  private plan: TamperPlan | null = null;

  /** Tamper once, on the next chunk that passes the plan's byte count. */
  arm(plan: TamperPlan): void {
    this.plan = plan;
    this.tampered = null;
  }

  capture(): Buffer {
    return Buffer.concat(this.captured);
  }

  protected direction(from: Socket, to: Socket): void {
    let forwarded = 0;
    const frames = new FrameBoundaries();
    from.on('data', (chunk: Buffer) => {
      this.captured.push(chunk);
      const plan = this.plan;
      let out = chunk;
      if (plan && this.tampered === null && forwarded + chunk.length > plan.afterBytes && chunk.length > 64) {
        this.plan = null;
        out = this.tamper(plan, chunk, frames);
      }
      frames.feed(chunk);
      forwarded += chunk.length;
      to.write(out);
    });
  }

  private tamper(plan: TamperPlan, chunk: Buffer, frames: FrameBoundaries): Buffer {
    const at = frames.firstBoundaryIn(chunk) ?? 0;
    switch (plan.kind) {
      case 'flip': {
        const out = Buffer.from(chunk);
        const i = Math.floor(chunk.length / 2);
        out[i] ^= 0x10;
        this.tampered = `flipped bit 4 of byte ${i} of a ${chunk.length}-byte chunk`;
        return out;
      }
      case 'drop': {
        const i = Math.floor(chunk.length / 3);
        this.tampered = `dropped 32 bytes at ${i} of a ${chunk.length}-byte chunk`;
        return Buffer.concat([chunk.subarray(0, i), chunk.subarray(i + 32)]);
      }
      case 'replay': {
        const again = frames.lastFrame ?? frames.lastChunk ?? Buffer.alloc(0);
        this.tampered = `replayed ${frames.lastFrame ? 'the last whole frame' : 'the last chunk'} (${again.length} bytes) at offset ${at}`;
        return Buffer.concat([chunk.subarray(0, at), again, chunk.subarray(at)]);
      }
      case 'inject': {
        const bytes = plan.injected ?? Buffer.from('injected by the proxy');
        this.tampered = `injected ${bytes.length} bytes at offset ${at}`;
        return Buffer.concat([chunk.subarray(0, at), bytes, chunk.subarray(at)]);
      }
    }
  }
}

/**
 * Follows frame boundaries in a stream of frames in clear (header length + trailers). Gives up
 * (null boundaries) once the bytes are not frames, as under TLS.
 */
class FrameBoundaries {
  private pending = Buffer.alloc(0);
  private lost = false;
  lastFrame: Buffer | null = null;
  lastChunk: Buffer | null = null;

  feed(chunk: Buffer): void {
    this.lastChunk = chunk;
    if (this.lost) return;
    this.pending = Buffer.concat([this.pending, chunk]);
    for (;;) {
      if (this.pending.length < HEADER_BYTES) return;
      if (this.pending.readUInt32BE(0) !== FRAME_MAGIC) {
        this.lost = true;
        return;
      }
      const size = HEADER_BYTES + this.pending.readUInt32BE(12) + trailerBytes(this.pending.readUInt16BE(8));
      if (this.pending.length < size) return;
      this.lastFrame = Buffer.from(this.pending.subarray(0, size));
      this.pending = this.pending.subarray(size);
    }
  }

  /** Where in `chunk` (about to be fed) the next frame starts, if that is inside it. */
  firstBoundaryIn(chunk: Buffer): number | null {
    if (this.lost || this.pending.length < HEADER_BYTES) return this.pending.length === 0 && !this.lost ? 0 : null;
    const size = HEADER_BYTES + this.pending.readUInt32BE(12) + trailerBytes(this.pending.readUInt16BE(8));
    const at = size - this.pending.length;
    return at >= 0 && at <= chunk.length ? at : null;
  }
}
