// A PeerLink over two authenticated TCP sockets (DRBD's data and meta streams): bulk data on
// one, acks and pings on the other, so an ack never waits behind megabytes of writes.
//
// Liveness: every pingIntervalMs a Ping goes out on the control socket; no PingAck within
// pingTimeoutMs closes the link ("ping timeout"). In the same beat, a data socket that carried
// nothing since the last one gets a Ping too (its PingAck has no deadline: it may wait behind
// bulk data): when bytes were cut out of a frame on the way, these keep arriving, complete the
// damaged frame (or TLS record), and its check fails, so the link drops instead of waiting for
// the rest of a frame forever while the control socket looks healthy.
//
// Back-pressure: sendData returns false once queuedBytesMax bytes wait on the data socket, and
// 'drain' follows when they are gone; a sender that ignores it is a bug (asserted at twice the
// bound plus a frame). The control socket gets a fixed bound: a peer that stops reading it is
// treated as dead.
import { EventEmitter } from 'node:events';
import { assert } from '../lib/assert.js';
import { HEADER_BYTES } from '../wire/codec.js';
import { fitText, HANDSHAKE_MESSAGES, type WireMessage } from '../wire/messages.js';
import { MAX_PAYLOAD_BYTES } from '../wire/version.js';
import type { Clock, TimerHandle } from './clock.js';
import type { FramedSocket } from './framed-socket.js';
import type { LinkStats, PeerLink, PeerLinkEvents, StreamName } from './transport.js';

export interface LinkTimings {
  pingIntervalMs: number;
  pingTimeoutMs: number;
  queuedBytesMax: number;
}

const CONTROL_QUEUED_BYTES_MAX = 4 * 1024 * 1024;
const PINGS_IN_FLIGHT_MAX = 64;
/** data-socket keepalives not yet answered; beyond this the peer does not read and no more are sent */
const DATA_PROBES_MAX = 16;
const MAX_FRAME_BYTES = HEADER_BYTES + MAX_PAYLOAD_BYTES;

export class TcpLink extends EventEmitter<PeerLinkEvents> implements PeerLink {
  private closeReason: string | null = null;
  private drainWanted = false;
  private pingId = 0;
  /** the ping a probe sent, while it is in flight (probes share it) */
  private probing: Promise<void> | null = null;
  private readonly pings = new Map<number, { sentAtMs: number; resolve: (rttMs: number) => void; reject: (err: Error) => void; timer: TimerHandle }>();
  private pingTimer: TimerHandle | null = null;
  /** ids of keepalive Pings sent on the data socket and not yet answered */
  private readonly dataProbes = new Set<number>();
  private dataSentSinceBeat = false;
  private lastPingRttMs: number | null = null;
  private readonly connectedAtMs: number;

  constructor(
    readonly peerNodeId: number,
    readonly protocolVersion: number,
    readonly connectionId: string,
    private readonly data: FramedSocket,
    private readonly control: FramedSocket,
    private readonly timings: LinkTimings,
    private readonly clock: Clock,
  ) {
    super();
    this.connectedAtMs = clock.now();
    data.socket.on('drain', () => this.onDataDrain());
    data.onClose((reason) => this.close(`data socket: ${reason}`, false));
    control.onClose((reason) => this.close(`control socket: ${reason}`, false));
    // Messages that came with the end of the handshake are held until the owner of the 'link'
    // event has subscribed (it does so synchronously, before this microtask runs).
    queueMicrotask(() => {
      data.attach((msg) => this.receive(msg, 'data'));
      control.attach((msg) => this.receive(msg, 'control'));
    });
    this.schedulePing();
  }

  get closed(): boolean {
    return this.closeReason !== null;
  }

  sendData(msg: WireMessage): boolean {
    if (this.closed) return false;
    this.dataSentSinceBeat = true;
    this.data.send(msg);
    const queued = this.data.queuedBytes;
    assert(queued <= 2 * this.timings.queuedBytesMax + MAX_FRAME_BYTES, 'the sender waits for drain once sendData returned false');
    if (queued < this.timings.queuedBytesMax) return true;
    this.drainWanted = true;
    return false;
  }

  sendControl(msg: WireMessage): void {
    if (this.closed) return;
    this.control.send(msg);
    this.checkControlQueue();
  }

  /** Pings and their answers leave at once: a round trip must not include the rest of a tick. */
  private sendLiveness(msg: WireMessage): void {
    if (this.closed) return;
    this.control.sendNow(msg);
    this.checkControlQueue();
  }

  private checkControlQueue(): void {
    if (this.control.queuedBytes > CONTROL_QUEUED_BYTES_MAX) {
      this.close(`peer does not read its control socket (${CONTROL_QUEUED_BYTES_MAX} bytes queued)`);
    }
  }

  pauseData(): void {
    this.data.pauseDelivery();
  }

  resumeData(): void {
    this.data.resumeDelivery();
  }

  ping(): Promise<number> {
    if (this.closed) return Promise.reject(new Error(`link closed: ${this.closeReason}`));
    assert(this.pings.size < PINGS_IN_FLIGHT_MAX, 'pings in flight are bounded');
    const id = this.pingId;
    this.pingId = (this.pingId + 1) >>> 0;
    return new Promise((resolve, reject) => {
      const timer = this.clock.setTimer(this.timings.pingTimeoutMs, () => {
        // Timers run before I/O in an event-loop turn: after a stall of our own, the PingAck may
        // already wait in the socket. Decide after this turn's I/O (setImmediate), not before.
        setImmediate(() => {
          if (!this.pings.has(id)) return;
          this.close(`ping timeout: no PingAck from node ${this.peerNodeId} within ${this.timings.pingTimeoutMs} ms`);
        });
      });
      this.pings.set(id, { sentAtMs: this.clock.now(), resolve, reject, timer });
      this.sendLiveness({ type: 'Ping', id });
    });
  }

  /**
   * Liveness now rather than at the next ping interval (a state change asks its peers first). A
   * ping already in flight has its deadline running: it answers the question, and any number of
   * probes keeps the pings in flight bounded.
   */
  probe(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.probing ??= this.ping().then(() => undefined, () => undefined).finally(() => { this.probing = null; });
    return this.probing;
  }

  close(reason: string, sayGoodbye = true): void {
    if (this.closeReason !== null) return;
    this.closeReason = reason;
    this.pingTimer?.cancel();
    for (const ping of this.pings.values()) {
      ping.timer.cancel();
      ping.reject(new Error(`link closed: ${reason}`));
    }
    this.pings.clear();
    if (sayGoodbye) {
      // The data socket closes once the goodbye has left: closed first, it would reach the peer
      // before the Disconnect (more often under TLS, whose end takes longer) and hide the reason.
      this.control.send({ type: 'Disconnect', reason: fitText(reason) });
      const dataGone = (): void => this.data.destroy(reason);
      this.control.end(reason, dataGone);
      setTimeout(dataGone, 1000).unref();
    } else {
      this.control.end(reason);
      this.data.destroy(reason);
    }
    this.emit('close', reason);
  }

  stats(): LinkStats {
    return {
      peerNodeId: this.peerNodeId,
      protocolVersion: this.protocolVersion,
      connectionId: this.connectionId,
      connectedAtMs: this.connectedAtMs,
      lastPingRttMs: this.lastPingRttMs,
      data: this.data.stats(),
      control: this.control.stats(),
    };
  }

  private receive(msg: WireMessage, stream: StreamName): void {
    if (this.closed) return;
    switch (msg.type) {
      case 'Ping': this.sendLiveness({ type: 'PingAck', id: msg.id }); return;
      case 'PingAck': this.onPingAck(msg.id); return;
      case 'Disconnect': this.close(`node ${this.peerNodeId} disconnected: ${msg.reason}`, false); return;
    }
    if (HANDSHAKE_MESSAGES.has(msg.type)) {
      this.close(`protocol error: ${msg.type} after the handshake`);
      return;
    }
    this.emit('message', msg, stream);
  }

  private onPingAck(id: number): void {
    if (this.dataProbes.delete(id)) return;
    const ping = this.pings.get(id);
    if (ping === undefined) {
      this.close(`protocol error: PingAck ${id} answers no Ping`);
      return;
    }
    this.pings.delete(id);
    ping.timer.cancel();
    this.lastPingRttMs = this.clock.now() - ping.sentAtMs;
    ping.resolve(this.lastPingRttMs);
  }

  private schedulePing(): void {
    this.pingTimer = this.clock.setTimer(this.timings.pingIntervalMs, () => {
      if (this.closed) return;
      if (this.pings.size === 0) void this.probe();
      this.keepDataAlive();
      this.schedulePing();
    });
  }

  private keepDataAlive(): void {
    if (!this.dataSentSinceBeat && this.dataProbes.size < DATA_PROBES_MAX) {
      const id = this.pingId;
      this.pingId = (this.pingId + 1) >>> 0;
      this.dataProbes.add(id);
      this.data.send({ type: 'Ping', id });
    }
    this.dataSentSinceBeat = false;
  }

  private onDataDrain(): void {
    if (this.closed || !this.drainWanted) return;
    this.drainWanted = false;
    this.emit('drain');
  }
}
