// One client connection: the handshake (with TLS after NBD_OPT_STARTTLS on a TCP listener that
// has it), then the transmission phase. Requests are parsed from a
// chunk queue, checked against the export before the backend sees them, and dispatched at once;
// replies go out as each request completes (possibly out of order, as NBD allows).
//
// Bounds: at most `maxInFlight` requests and `maxBufferedBytes` of payload in the backend per
// connection, and the socket is paused while either bound, or the bytes waiting to be sent, are
// reached — a client that pipelines faster than the backend drains is slowed by TCP, not by our
// memory.
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { assert } from '../lib/assert.js';
import type { Logger } from '../lib/log.js';
import { nbdErrnoOf, type NbdBackend } from './backend.js';
import { ChunkQueue } from './chunk-queue.js';
import { Negotiation, type ExportDirectory } from './handshake.js';
import type { NbdExport } from './nbd-export.js';
import { startServerTls, type NbdTls } from './tls.js';
import {
  CMD, CMD_FLAG, NBD_ERR, REQUEST_HEADER_BYTES, REQUEST_MAGIC, decodeRequestHeader, encodeGreeting,
  encodeSimpleReply, type RequestHeader,
} from './protocol.js';

export interface NbdLimits {
  /** largest READ/WRITE payload; larger requests get EINVAL */
  maxPayload: number;
  /** requests handed to the backend and not yet answered, per connection */
  maxInFlight: number;
  /** unparsed input, payload held by in-flight requests, and unsent replies, per connection */
  maxBufferedBytes: number;
  /** clients connected at once, per server */
  maxConnections: number;
  /** a client must finish the handshake within this */
  handshakeTimeoutMs: number;
  /** on close, in-flight requests get this long to finish before the socket is destroyed */
  closeGraceMs: number;
}

/** 'tls': STARTTLS was acknowledged and the TLS handshake runs */
type Phase = 'handshake' | 'tls' | 'transmission' | 'closed';

/** WRITE payload that must be read and thrown away before the error reply (the stream stays in step). */
interface Discard { header: RequestHeader; errno: number; left: number }

const VALID_FLAGS: Record<number, number> = {
  [CMD.READ]: CMD_FLAG.FUA,
  [CMD.WRITE]: CMD_FLAG.FUA,
  [CMD.FLUSH]: CMD_FLAG.FUA,
  [CMD.TRIM]: CMD_FLAG.FUA,
  [CMD.WRITE_ZEROES]: CMD_FLAG.FUA | CMD_FLAG.NO_HOLE,
};

export class NbdConnection {
  private readonly queue = new ChunkQueue();
  private phase: Phase = 'handshake';
  private negotiation: Negotiation | null;
  private exp: NbdExport | null = null;
  private inFlight = 0;
  private inFlightBytes = 0;
  private discard: Discard | null = null;
  /** DISC received, or the owner is closing: no new requests reach the backend */
  private disconnecting = false;
  private draining = false;
  private paused = false;
  private pumping = false;
  private uncorkScheduled = false;
  private handshakeTimer: NodeJS.Timeout | null;
  /** the socket requests and replies travel on: the TCP or unix socket, or TLS over it */
  private socket: Socket;
  private readonly listeners = {
    data: (chunk: Buffer) => this.onData(chunk),
    drain: () => this.flowControl(),
    error: (err: Error) => this.log.debug('nbd client socket error', { error: err.message }),
  };
  readonly closed: Promise<void>;

  constructor(
    socket: Socket,
    directory: ExportDirectory,
    private readonly limits: NbdLimits,
    private readonly log: Logger,
    private readonly tls: NbdTls | null = null,
  ) {
    assert(limits.maxBufferedBytes >= limits.maxPayload + REQUEST_HEADER_BYTES, 'a full WRITE fits the buffer bound');
    this.socket = socket;
    this.negotiation = new Negotiation(directory, (b) => this.send(b), log, tls);
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.setNoDelay(true);
    this.bind(socket);
    socket.on('close', () => this.onClose());
    this.handshakeTimer = setTimeout(() => this.drop('handshake not finished in time'), limits.handshakeTimeoutMs);
    this.handshakeTimer.unref();
    this.send(encodeGreeting());
  }

  /**
   * Stop serving: new requests get ESHUTDOWN, in-flight ones finish and are answered, then the
   * socket is closed; after the grace period it is destroyed whatever is still in flight.
   */
  shutdown(): Promise<void> {
    if (this.phase === 'handshake') this.drop('server is closing');
    if (this.phase === 'transmission') {
      this.draining = true;
      setTimeout(() => this.drop('close grace period over'), this.limits.closeGraceMs).unref();
      this.finishIfIdle();
    }
    return this.closed;
  }

  private bind(socket: Socket): void {
    for (const [event, listener] of Object.entries(this.listeners)) socket.on(event, listener);
  }

  private onData(chunk: Buffer): void {
    if (this.phase === 'closed') return;
    this.queue.push(chunk);
    this.pump();
  }

  /** Parse and dispatch as much as the buffered bytes and the bounds allow. Never re-entered. */
  private pump(): void {
    if (this.pumping || this.phase === 'closed') return;
    this.pumping = true;
    this.socket.cork();
    try {
      if (this.phase === 'handshake') this.negotiate();
      if (this.phase === 'transmission') this.transmit();
      this.finishIfIdle();
    } finally {
      this.pumping = false;
      this.socket.uncork();
    }
    if (this.phase === 'tls') this.startTls();
    else this.flowControl();
  }

  /** NBD_OPT_STARTTLS was acknowledged (and the ACK flushed): hand the socket to TLS, then go on haggling inside it. */
  private startTls(): void {
    const tcp = this.socket;
    for (const [event, listener] of Object.entries(this.listeners)) tcp.removeListener(event, listener);
    tcp.on('error', () => undefined); // TLS reports what goes wrong
    // a client waits for the ACK before its TLS hello; anything it sent anyway goes to TLS
    if (this.queue.length > 0) tcp.unshift(this.queue.take(this.queue.length));
    if (this.paused) tcp.resume();
    this.paused = false;
    startServerTls(tcp, this.tls!).then((secure: TLSSocket) => {
      if (this.phase !== 'tls') {
        secure.destroy();
        return;
      }
      this.socket = secure;
      this.bind(secure);
      this.negotiation!.secured();
      this.phase = 'handshake';
      this.log.debug('nbd client started TLS', { protocol: secure.getProtocol(), cipher: secure.getCipher().name });
      this.pump();
    }, (err: Error) => this.drop(`TLS handshake failed: ${err.message}`));
  }

  private negotiate(): void {
    const step = this.negotiation!.step(this.queue);
    if (step.kind === 'more') return;
    if (step.kind === 'starttls') {
      this.phase = 'tls'; // pump() starts TLS once this ACK is flushed
      return;
    }
    if (step.kind === 'close') {
      if (step.graceful) {
        this.log.debug('nbd handshake ended', { reason: step.reason });
        this.end();
      } else {
        this.drop(step.reason);
      }
      return;
    }
    this.phase = 'transmission';
    this.exp = step.export;
    this.negotiation = null;
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
    this.handshakeTimer = null;
    this.log.debug('nbd client in transmission', { export: this.exp.name });
  }

  private transmit(): void {
    while (this.phase === 'transmission' && !this.disconnecting) {
      if (this.discard && !this.discardPayload()) return;
      if (this.queue.length < REQUEST_HEADER_BYTES) return;
      const { buf, at } = this.queue.peek(REQUEST_HEADER_BYTES);
      const h = decodeRequestHeader(buf, at);
      if (h.magic !== REQUEST_MAGIC) {
        // the stream is lost; replies already queued still go out, nothing more is read
        this.log.info('nbd client dropped', { export: this.exp?.name, reason: `bad request magic 0x${h.magic.toString(16)}` });
        this.end();
        return;
      }
      const errno = this.check(h);
      if (h.type === CMD.WRITE && errno !== 0) {
        this.queue.skip(REQUEST_HEADER_BYTES);
        this.discard = { header: h, errno, left: h.length };
        continue;
      }
      if (errno === 0 && !this.hasRoomFor(h)) return;
      if (h.type === CMD.WRITE && this.queue.length < REQUEST_HEADER_BYTES + h.length) return;
      this.queue.skip(REQUEST_HEADER_BYTES);
      const payload = h.type === CMD.WRITE ? this.queue.take(h.length) : null;
      if (errno !== 0) this.reply(h, errno);
      else if (h.type === CMD.DISC) this.beginDisconnect();
      else this.dispatch(h, payload);
    }
  }

  /** Reads away an invalid WRITE's payload; true once it is gone and the error was sent. */
  private discardPayload(): boolean {
    const d = this.discard!;
    d.left -= this.queue.skip(d.left);
    if (d.left > 0) return false;
    this.discard = null;
    this.reply(d.header, d.errno);
    return true;
  }

  /** The NBD error for a request before it reaches the backend, or 0 if it may go ahead. */
  private check(h: RequestHeader): number {
    const exp = this.exp!;
    if (h.type === CMD.DISC) return 0; // never answered, whatever its flags: the client is leaving
    const allowed = VALID_FLAGS[h.type];
    if (allowed === undefined) return NBD_ERR.EINVAL; // CACHE, BLOCK_STATUS, … are not advertised
    if ((h.flags & ~allowed) !== 0) return NBD_ERR.EINVAL;
    if (this.draining) return NBD_ERR.ESHUTDOWN;
    if (h.type === CMD.FLUSH) return h.offset === 0 && h.length === 0 ? 0 : NBD_ERR.EINVAL;
    const writes = h.type !== CMD.READ;
    if (writes && exp.readOnly) return NBD_ERR.EPERM;
    if (h.length === 0) return NBD_ERR.EINVAL;
    const carriesPayload = h.type === CMD.READ || h.type === CMD.WRITE;
    if (carriesPayload && h.length > this.limits.maxPayload) return NBD_ERR.EINVAL;
    if (h.offset % exp.minBlockSize !== 0 || h.length % exp.minBlockSize !== 0) return NBD_ERR.EINVAL;
    if (h.offset + h.length > exp.size) {
      return h.type === CMD.WRITE || h.type === CMD.WRITE_ZEROES ? NBD_ERR.ENOSPC : NBD_ERR.EINVAL;
    }
    return 0;
  }

  /** One request always fits an idle connection; beyond that, both per-connection bounds apply. */
  private hasRoomFor(h: RequestHeader): boolean {
    if (this.inFlight === 0) return true;
    if (this.inFlight >= this.limits.maxInFlight) return false;
    return this.inFlightBytes + payloadBytes(h) <= this.limits.maxBufferedBytes;
  }

  private dispatch(h: RequestHeader, payload: Buffer | null): void {
    const bytes = payloadBytes(h);
    this.inFlight++;
    this.inFlightBytes += bytes;
    let result: unknown;
    try {
      result = this.call(this.exp!.backend, h, payload);
    } catch (err) {
      this.complete(h, bytes, err, undefined);
      return;
    }
    if (result instanceof Promise) {
      result.then((value) => this.complete(h, bytes, null, value), (err) => this.complete(h, bytes, err ?? new Error('rejected'), undefined));
    } else {
      this.complete(h, bytes, null, result);
    }
  }

  private call(b: NbdBackend, h: RequestHeader, payload: Buffer | null): unknown {
    const fua = (h.flags & CMD_FLAG.FUA) !== 0;
    switch (h.type) {
      case CMD.READ: return b.read(h.offset, h.length);
      case CMD.WRITE: return b.write(h.offset, payload!, fua);
      case CMD.FLUSH: return b.flush();
      case CMD.TRIM: return b.trim(h.offset, h.length, fua);
      case CMD.WRITE_ZEROES: return b.writeZeroes(h.offset, h.length, fua, (h.flags & CMD_FLAG.NO_HOLE) !== 0);
      default: throw new Error(`command ${h.type} reached dispatch`);
    }
  }

  private complete(h: RequestHeader, bytes: number, err: unknown, value: unknown): void {
    this.inFlight--;
    this.inFlightBytes -= bytes;
    assert(this.inFlight >= 0 && this.inFlightBytes >= 0, 'in-flight accounting');
    if (err !== null) {
      const errno = nbdErrnoOf(err);
      // refusals by state (demoted, read-only, shutting down) are expected and can come in floods
      const level = errno === NBD_ERR.EIO ? 'warn' : 'debug';
      this.log[level]('nbd request failed', { export: this.exp?.name, type: h.type, offset: h.offset, length: h.length, errno, error: (err as Error)?.message });
      this.reply(h, errno);
    } else if (h.type === CMD.READ) {
      this.replyData(h, value);
    } else {
      this.reply(h, 0);
    }
    if (this.pumping) return;
    this.finishIfIdle();
    this.flowControl();
    if (this.queue.length > 0) this.pump();
  }

  private replyData(h: RequestHeader, data: unknown): void {
    if (!Buffer.isBuffer(data) || data.length !== h.length) {
      this.log.error('nbd backend read returned the wrong data', { export: this.exp?.name, offset: h.offset, length: h.length });
      this.reply(h, NBD_ERR.EIO);
      return;
    }
    this.corkForTick();
    this.send(encodeSimpleReply(0, h.handleHi, h.handleLo));
    this.send(data);
  }

  private reply(h: RequestHeader, errno: number): void {
    this.corkForTick();
    this.send(encodeSimpleReply(errno, h.handleHi, h.handleLo));
  }

  /** Replies completing outside pump() in the same tick leave in one writev. */
  private corkForTick(): void {
    if (this.pumping || this.uncorkScheduled) return;
    this.uncorkScheduled = true;
    this.socket.cork();
    process.nextTick(() => {
      this.uncorkScheduled = false;
      this.socket.uncork();
    });
  }

  private beginDisconnect(): void {
    this.disconnecting = true;
    this.queue.clear();
    this.finishIfIdle();
  }

  private finishIfIdle(): void {
    if ((this.disconnecting || this.draining) && this.inFlight === 0 && !this.discard) this.end();
  }

  /** Pause reading while any bound is reached; resume when all are clear again. */
  private flowControl(): void {
    if (this.phase === 'closed') return;
    const full =
      this.inFlight >= this.limits.maxInFlight ||
      this.inFlightBytes >= this.limits.maxBufferedBytes ||
      this.socket.writableLength >= this.limits.maxBufferedBytes ||
      this.queue.length >= this.limits.maxBufferedBytes;
    if (full && !this.paused) {
      this.paused = true;
      this.socket.pause();
    } else if (!full && this.paused) {
      this.paused = false;
      this.socket.resume();
      if (this.queue.length > 0) this.pump();
    }
  }

  private send(b: Buffer): void {
    if (this.phase !== 'closed' && this.socket.writable) this.socket.write(b);
  }

  /** Close after everything written so far has been sent. */
  private end(): void {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    this.queue.clear();
    this.socket.end();
    // a client that never closes its side must not hold the socket forever
    setTimeout(() => this.socket.destroy(), this.limits.closeGraceMs).unref();
  }

  private drop(reason: string): void {
    if (this.socket.destroyed) return;
    if (this.phase !== 'closed') this.log.info('nbd client dropped', { export: this.exp?.name, reason });
    this.phase = 'closed';
    this.queue.clear();
    this.socket.destroy();
  }

  private onClose(): void {
    this.phase = 'closed';
    this.queue.clear();
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
  }
}

function payloadBytes(h: RequestHeader): number {
  return h.type === CMD.READ || h.type === CMD.WRITE ? h.length : 0;
}
