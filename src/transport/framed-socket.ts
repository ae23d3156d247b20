// One TCP socket speaking frames: decodes what arrives (strictly, bounded by the reader's frame
// limit), encodes what is sent with header and bulk data written together (corked until the end
// of the tick: one writev for every frame of the tick, no copy), and reports exactly one close
// with the reason.
//
// Two ways to receive: `next()` pulls one message at a time (the handshake), `attach()` pushes
// every message to a handler (an established link). Messages that arrive while nobody listens
// are held, and the socket is paused, so what is held is bounded by one read.
import type { Socket } from 'node:net';
import { assert } from '../lib/assert.js';
import { TandemError } from '../lib/errors.js';
import { encodeFrame } from '../wire/codec.js';
import { FrameReader } from '../wire/frame-reader.js';
import type { WireMessage } from '../wire/messages.js';
import type { StreamStats } from './transport.js';

type Handler = (msg: WireMessage) => void;

export class FramedSocket {
  private readonly reader: FrameReader;
  private readonly held: WireMessage[] = [];
  private handler: Handler | null = null;
  private waiter: { resolve: (msg: WireMessage) => void; reject: (err: Error) => void } | null = null;
  private paused = false;
  private corked = false;
  private closeReason: string | null = null;
  private readonly closeListeners: Array<(reason: string) => void> = [];
  private readonly counters = { bytesSent: 0, bytesReceived: 0, framesSent: 0, framesReceived: 0 };

  constructor(readonly socket: Socket, maxPayloadBytes: number) {
    this.reader = new FrameReader(maxPayloadBytes);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('end', () => this.destroy('peer closed the connection'));
    socket.on('error', (err) => this.destroy(`socket error: ${err.message}`));
    socket.on('close', () => this.destroy('connection closed'));
  }

  get closed(): boolean {
    return this.closeReason !== null;
  }

  get remote(): string {
    return `${this.socket.remoteAddress}:${this.socket.remotePort}`;
  }

  raiseFrameLimit(maxPayloadBytes: number): void {
    this.reader.setMaxPayloadBytes(maxPayloadBytes);
  }

  send(msg: WireMessage): void {
    if (this.closed) return;
    this.corkForTick();
    this.write(msg);
  }

  /**
   * Send at once, after what this tick has queued so far: for liveness (Ping, PingAck), whose
   * round trip must not include whatever work the rest of the tick does.
   */
  sendNow(msg: WireMessage): void {
    if (this.closed) return;
    this.uncorkNow();
    this.write(msg);
  }

  private uncorkNow(): void {
    if (!this.corked) return;
    this.corked = false;
    this.socket.uncork();
  }

  private write(msg: WireMessage): void {
    for (const buffer of encodeFrame(msg)) {
      this.socket.write(buffer);
      this.counters.bytesSent += buffer.length;
    }
    this.counters.framesSent++;
  }

  /**
   * Frames sent in one tick leave in one writev when the tick ends: a chunk of NBD requests (or
   * of replicated writes, on the peer: their acks) costs one syscall and one TCP push, not one
   * per frame. Nothing waits longer: the uncork runs before the event loop polls again.
   */
  private corkForTick(): void {
    if (this.corked) return;
    this.corked = true;
    this.socket.cork();
    process.nextTick(() => this.uncorkNow()); // a no-op if sendNow() or destroy() came first
  }

  /** Bytes written and not yet handed to the kernel (the send-side bound). */
  get queuedBytes(): number {
    return this.socket.writableLength;
  }

  /** The next message (handshake use). Rejects when the socket closes first. */
  next(): Promise<WireMessage> {
    assert(this.handler === null && this.waiter === null, 'one reader at a time');
    const msg = this.held.shift();
    // Held messages are delivered even after close: a Refuse often arrives together with the FIN.
    if (msg !== undefined) {
      this.resumeIfIdle();
      return Promise.resolve(msg);
    }
    if (this.closeReason !== null) return Promise.reject(closedError(this.closeReason));
    this.resumeIfIdle();
    return new Promise((resolve, reject) => { this.waiter = { resolve, reject }; });
  }

  /** Deliver every message from now on to `handler`, starting with any held ones. */
  attach(handler: Handler): void {
    assert(this.handler === null && this.waiter === null, 'attached once, after the handshake');
    this.handler = handler;
    this.deliverHeld();
  }

  pauseDelivery(): void {
    this.paused = true;
    this.socket.pause();
  }

  resumeDelivery(): void {
    this.paused = false;
    this.deliverHeld();
  }

  onClose(listener: (reason: string) => void): void {
    if (this.closeReason !== null) listener(this.closeReason);
    else this.closeListeners.push(listener);
  }

  /** Flush what is queued, then close (a goodbye message may precede it). */
  end(reason: string): void {
    if (this.closed) return;
    this.socket.end();
    const timer = setTimeout(() => this.destroy(reason), 1000);
    timer.unref();
    this.socket.once('close', () => clearTimeout(timer));
    this.markClosed(reason);
  }

  destroy(reason: string): void {
    // frames sent earlier in this tick reach the kernel first, as they would have uncorked
    if (!this.socket.destroyed) this.uncorkNow();
    this.socket.destroy();
    this.markClosed(reason);
  }

  stats(): StreamStats {
    return { ...this.counters, queuedBytes: this.queuedBytes };
  }

  private markClosed(reason: string): void {
    if (this.closeReason !== null) return;
    this.closeReason = reason;
    this.waiter?.reject(closedError(reason));
    this.waiter = null;
    for (const listener of this.closeListeners.splice(0)) listener(reason);
  }

  private receive(chunk: Buffer): void {
    if (this.closed) return;
    this.counters.bytesReceived += chunk.length;
    let messages: WireMessage[];
    try {
      messages = this.reader.push(chunk);
    } catch (err) {
      assert(err instanceof TandemError && err.code === 'TANDEM_E_PROTOCOL', 'the reader only raises protocol errors');
      this.destroy(`protocol error: ${err.message}`);
      return;
    }
    this.counters.framesReceived += messages.length;
    this.held.push(...messages);
    this.deliverHeld();
  }

  private deliverHeld(): void {
    while (this.held.length > 0 && !this.closed) {
      if (this.waiter !== null) {
        const waiter = this.waiter;
        this.waiter = null;
        waiter.resolve(this.held.shift()!);
      } else if (this.handler !== null && !this.paused) {
        this.handler(this.held.shift()!);
      } else {
        break;
      }
    }
    this.resumeIfIdle();
  }

  /** Read more only while nothing is held and delivery is not paused: holds one read at most. */
  private resumeIfIdle(): void {
    if (this.closed) return;
    if (this.held.length === 0 && !this.paused) this.socket.resume();
    else this.socket.pause();
  }
}

function closedError(reason: string): TandemError {
  return new TandemError('TANDEM_E_PROTOCOL', `connection closed: ${reason}`, {
    hint: 'the peer went away or broke the protocol; the transport reconnects by itself',
  });
}
