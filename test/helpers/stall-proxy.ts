// A TCP proxy that forwards both directions until it is told to stall: then it holds what it has
// read and reads no more (TCP back-pressure reaches the sender), until resumed, when the held bytes
// go on in order. A replication link through it stays up (nothing is closed): a stalled peer is a
// slow peer, not a lost one, as long as no ping times out. A side that closes while stalled is
// closed on the other side only at resume or stop (a peer killed behind a partition).
import type { Socket } from 'node:net';
import { TcpProxy } from './tcp-proxy.js';

export class StallProxy extends TcpProxy {
  private stalled = false;
  private readonly waiting: Array<() => void> = [];

  stall(): void {
    this.stalled = true;
  }

  resume(): void {
    this.stalled = false;
    for (const go of this.waiting.splice(0)) go();
  }

  protected closed(closeBoth: () => void): void {
    if (this.stalled) this.waiting.push(closeBoth);
    else closeBoth();
  }

  protected direction(from: Socket, to: Socket): void {
    from.on('data', (chunk: Buffer) => {
      if (!this.stalled) {
        to.write(chunk);
        return;
      }
      from.pause();
      this.waiting.push(() => {
        if (!to.destroyed) to.write(chunk);
        from.resume();
      });
    });
  }
}
