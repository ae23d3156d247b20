// One TCP socket speaking frames: decodes what arrives (strictly, bounded by the reader's frame
// limit), encodes what is sent with header and bulk data written together (corked until the end
// of the tick: one writev for every frame of the tick, no copy), and reports exactly one close
// with the reason.
//
// Two ways to receive: `next()` pulls one message at a time (the handshake), `attach()` pushes
// every message to a handler (an established link). Frames are decoded only when someone takes
// them, and the socket is paused while nobody does, so what waits is bounded by one read; it also
// lets the handshake change the rules between two frames of one read: trailers after
// authentication (protectSending/protectReceiving), TLS after the clear negotiation (startTls).
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { assert } from '../lib/assert.js';
import { TandemError } from '../lib/errors.js';
import { encodeFrame } from '../wire/codec.js';
import { FrameReader } from '../wire/frame-reader.js';
import type { FrameOpener, FrameSealer } from '../wire/frame-seal.js';
import type { WireMessage } from '../wire/messages.js';
import type { StreamStats } from './transport.js';

type Handler = (msg: WireMessage) => void;

export class FramedSocket {
  private current: Socket;
  private readonly reader: FrameReader;
  private sealer: FrameSealer | null = null;
  private handler: Handler | null = null;
  private waiter: { resolve: (msg: WireMessage) => void; reject: (err: Error) => void } | null = null;
  private paused = false;
  private corked = false;
  private delivering = false;
  private closeReason: string | null = null;
  private readonly closeListeners: Array<(reason: string) => void> = [];
  private readonly counters = { bytesSent: 0, bytesReceived: 0, framesSent: 0, framesReceived: 0 };
  private readonly listeners = {
    data: (chunk: Buffer) => this.receive(chunk),
    end: () => this.destroy('peer closed the connection'),
    error: (err: Error) => this.destroy(`socket error: ${err.message}`),
    close: () => this.destroy('connection closed'),
  };

  constructor(socket: Socket, maxPayloadBytes: number) {
    this.reader = new FrameReader(maxPayloadBytes);
    this.current = socket;
    socket.setNoDelay(true);
    this.bind(socket);
  }

  /** The socket frames travel on: the TCP socket, or the TLS socket over it after startTls. */
  get socket(): Socket {
    return this.current;
  }

  get closed(): boolean {
    return this.closeReason !== null;
  }

  get remote(): string {
    return `${this.current.remoteAddress}:${this.current.remotePort}`;
  }

  raiseFrameLimit(maxPayloadBytes: number): void {
    this.reader.setMaxPayloadBytes(maxPayloadBytes);
  }

  /** Every frame sent from now on carries the trailers of `sealer`. */
  protectSending(sealer: FrameSealer): void {
    this.sealer = sealer;
  }

  /** Every frame decoded from now on must carry the trailers `opener` checks. */
  protectReceiving(opener: FrameOpener): void {
    this.reader.setOpener(opener);
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
    this.current.uncork();
  }

  private write(msg: WireMessage): void {
    const flags = this.sealer?.flagsFor(msg.type) ?? 0;
    const buffers = encodeFrame(msg, flags);
    const trailer = this.sealer?.trailer(buffers, flags) ?? null;
    if (trailer !== null) buffers.push(trailer);
    for (const buffer of buffers) {
      this.current.write(buffer);
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
    const socket = this.current;
    socket.cork();
    process.nextTick(() => {
      // a no-op if sendNow() or destroy() came first; startTls may have replaced the socket
      if (this.corked && this.current === socket) this.uncorkNow();
    });
  }

  /** Bytes written and not yet handed to the kernel (the send-side bound). */
  get queuedBytes(): number {
    return this.current.writableLength;
  }

  /** The next message (handshake use). Rejects when the socket closes first. */
  next(): Promise<WireMessage> {
    assert(this.handler === null && this.waiter === null, 'one reader at a time');
    // Frames already received are delivered even after close: a Refuse often arrives with the FIN.
    const msg = this.decode();
    if (msg !== null) {
      this.flowControl();
      return Promise.resolve(msg);
    }
    if (this.closeReason !== null) return Promise.reject(closedError(this.closeReason));
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
      this.flowControl();
    });
  }

  /** Deliver every message from now on to `handler`, starting with any already received. */
  attach(handler: Handler): void {
    assert(this.handler === null && this.waiter === null, 'attached once, after the handshake');
    this.handler = handler;
    this.deliver();
  }

  pauseDelivery(): void {
    this.paused = true;
    this.flowControl();
  }

  resumeDelivery(): void {
    this.paused = false;
    this.deliver();
  }

  onClose(listener: (reason: string) => void): void {
    if (this.closeReason !== null) listener(this.closeReason);
    else this.closeListeners.push(listener);
  }

  /**
   * STARTTLS: from now on frames travel inside TLS on this connection. Call between handshake
   * steps, right after the last clear frame was sent or received; `secure` runs the TLS
   * handshake (client or server) over the TCP socket. Rejects, with the TLS error, when that
   * handshake fails; the connection is then closed.
   */
  async startTls(secure: (tcp: Socket) => Promise<TLSSocket>): Promise<TLSSocket> {
    assert(this.handler === null && this.waiter === null && !this.closed, 'TLS starts between handshake steps');
    this.uncorkNow();
    const tcp = this.current;
    this.unbind(tcp); // TLS owns the TCP socket now; destroy() still reaches it through `current`
    tcp.once('error', () => undefined); // reported by TLS, not thrown
    const rest = this.reader.takeUnparsed();
    if (rest.length > 0) tcp.unshift(rest); // the TLS socket reads what the TCP socket holds first
    let tls: TLSSocket;
    try {
      tls = await secure(tcp);
    } catch (err) {
      this.destroy(`TLS handshake failed: ${(err as Error).message}`);
      throw err;
    }
    if (this.closed) {
      tls.destroy();
      throw closedError(this.closeReason!);
    }
    this.current = tls;
    this.bind(tls);
    this.flowControl();
    return tls;
  }

  /** Flush what is queued, then close (a goodbye message may precede it); `flushed` runs once it is out, or failed. */
  end(reason: string, flushed?: () => void): void {
    if (this.closed) {
      flushed?.();
      return;
    }
    const socket = this.current;
    socket.end(() => flushed?.());
    const timer = setTimeout(() => this.destroy(reason), 1000);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
    this.markClosed(reason);
  }

  destroy(reason: string): void {
    // frames sent earlier in this tick reach the kernel first, as they would have uncorked
    if (!this.current.destroyed) this.uncorkNow();
    this.current.destroy();
    this.markClosed(reason);
  }

  stats(): StreamStats {
    return { ...this.counters, queuedBytes: this.queuedBytes };
  }

  private bind(socket: Socket): void {
    for (const [event, listener] of Object.entries(this.listeners)) socket.on(event, listener);
  }

  private unbind(socket: Socket): void {
    for (const [event, listener] of Object.entries(this.listeners)) socket.removeListener(event, listener);
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
    this.reader.append(chunk);
    this.deliver();
  }

  /** The next decoded message, or null; a malformed frame closes the socket. */
  private decode(): WireMessage | null {
    let msg: WireMessage | null;
    try {
      msg = this.reader.next();
    } catch (err) {
      assert(err instanceof TandemError && err.code === 'TANDEM_E_PROTOCOL', 'the reader only raises protocol errors');
      this.destroy(`protocol error: ${err.message}`);
      return null;
    }
    if (msg !== null) this.counters.framesReceived++;
    return msg;
  }

  private deliver(): void {
    if (this.delivering) return; // a handler that resumes delivery re-enters here: the loop goes on
    this.delivering = true;
    try {
      while (!this.closed && (this.waiter !== null || (this.handler !== null && !this.paused))) {
        const msg = this.decode();
        if (msg === null) break;
        if (this.waiter !== null) {
          const waiter = this.waiter;
          this.waiter = null;
          waiter.resolve(msg);
        } else {
          this.handler!(msg);
        }
      }
    } finally {
      this.delivering = false;
    }
    this.flowControl();
  }

  /** Read more only while someone takes messages: what waits undecoded is one read at most. */
  private flowControl(): void {
    if (this.closed) return;
    if (this.waiter !== null || (this.handler !== null && !this.paused)) this.current.resume();
    else this.current.pause();
  }
}

function closedError(reason: string): TandemError {
  return new TandemError('TANDEM_E_PROTOCOL', `connection closed: ${reason}`, {
    hint: 'the peer went away or broke the protocol; the transport reconnects by itself',
  });
}
