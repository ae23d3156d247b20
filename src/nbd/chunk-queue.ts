// The bytes a socket delivered and the parser has not consumed yet, kept as the chunks that
// arrived: taking a run that lies inside one chunk is a zero-copy subarray, and only a run that
// straddles chunks is copied. Chunks from net.Socket are never reused by Node, so a subarray
// handed to a backend stays valid for as long as the backend holds it.
import { assert } from '../lib/assert.js';

export class ChunkQueue {
  private chunks: Buffer[] = [];
  /** read position inside chunks[0] */
  private head = 0;
  private bytes = 0;

  get length(): number {
    return this.bytes;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.bytes += chunk.length;
  }

  /** The next `n` bytes without consuming them; `at` is where they start in the returned buffer. */
  peek(n: number): { buf: Buffer; at: number } {
    assert(n <= this.bytes, 'peek within buffered bytes');
    const first = this.chunks[0];
    if (first.length - this.head >= n) return { buf: first, at: this.head };
    return { buf: this.copyOut(n), at: 0 };
  }

  take(n: number): Buffer {
    assert(n <= this.bytes, 'take within buffered bytes');
    if (n === 0) return Buffer.alloc(0);
    const first = this.chunks[0];
    if (first.length - this.head >= n) {
      const out = first.subarray(this.head, this.head + n);
      this.skip(n);
      return out;
    }
    const out = this.copyOut(n);
    this.skip(n);
    return out;
  }

  /** Drop up to `n` bytes; returns how many were dropped. */
  skip(n: number): number {
    let left = Math.min(n, this.bytes);
    const dropped = left;
    while (left > 0) {
      const avail = this.chunks[0].length - this.head;
      if (avail > left) {
        this.head += left;
        break;
      }
      left -= avail;
      this.chunks.shift();
      this.head = 0;
    }
    this.bytes -= dropped;
    return dropped;
  }

  clear(): void {
    this.chunks = [];
    this.head = 0;
    this.bytes = 0;
  }

  private copyOut(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    let i = 0;
    let from = this.head;
    while (filled < n) {
      const c = this.chunks[i++];
      filled += c.copy(out, filled, from, Math.min(c.length, from + n - filled));
      from = 0;
    }
    return out;
  }
}
