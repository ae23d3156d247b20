// An in-memory network for deterministic simulation tests (TigerBeetle's packet simulator in
// spirit): the same Transport and PeerLink interfaces as TCP, with every delivery scheduled on an
// injected Clock (a ManualClock makes runs exactly repeatable) and faults on demand:
//   delay(a, b, ms)       messages from a to b arrive ms later (order per stream is kept)
//   drop(a, b, predicate) messages from a to b that match are lost
//   cut(a, b)             both links close at once ("network cut"); no link until heal(a, b)
// Messages are encoded at send time and decoded at delivery, as on a real wire: what arrives
// is exactly what the codec carries, and a sender reusing its buffer afterwards changes nothing.
// Liveness here is explicit (cut closes links); there are no periodic pings.
import { EventEmitter } from 'node:events';
import { assert } from '../lib/assert.js';
import { TandemError } from '../lib/errors.js';
import { decodeFrame, encodeFrame } from '../wire/codec.js';
import type { WireMessage } from '../wire/messages.js';
import { PROTOCOL_VERSION_MAX } from '../wire/version.js';
import type { Clock } from './clock.js';
import type { LinkStats, PeerLink, PeerLinkEvents, StreamName, StreamStats, Transport, TransportEvents } from './transport.js';

export interface MemoryNetworkOptions {
  /** bytes in flight or unconsumed on a data stream before sendData says false */
  queuedBytesMax?: number;
  /** time to establish a link once both sides want it */
  connectDelayMs?: number;
}

type Drop = (msg: WireMessage, stream: StreamName) => boolean;

const HELD_MESSAGES_MAX = 100_000;

export class MemoryNetwork {
  private readonly transports = new Map<number, MemoryTransport>();
  private readonly cuts = new Set<string>();
  private readonly delays = new Map<string, number>();
  private readonly drops = new Map<string, Drop>();
  private nextConnectionId = 0;
  readonly queuedBytesMax: number;
  readonly connectDelayMs: number;

  constructor(readonly clock: Clock, options: MemoryNetworkOptions = {}) {
    this.queuedBytesMax = options.queuedBytesMax ?? 8 * 1024 * 1024;
    this.connectDelayMs = options.connectDelayMs ?? 1;
  }

  transport(nodeId: number, peers: number[]): MemoryTransport {
    assert(!this.transports.has(nodeId), 'one transport per node');
    const transport = new MemoryTransport(this, nodeId, peers);
    this.transports.set(nodeId, transport);
    return transport;
  }

  delay(from: number, to: number, ms: number): void {
    this.delays.set(key(from, to), ms);
  }

  drop(from: number, to: number, predicate: Drop | null): void {
    if (predicate) this.drops.set(key(from, to), predicate);
    else this.drops.delete(key(from, to));
  }

  cut(a: number, b: number): void {
    this.cuts.add(pairKey(a, b));
    this.transports.get(a)?.link(b)?.close('network cut');
    this.transports.get(b)?.link(a)?.close('network cut');
  }

  heal(a: number, b: number): void {
    this.cuts.delete(pairKey(a, b));
    this.tryConnect(a, b);
  }

  /** Link a and b if both are started, want each other, have no link, and are not cut apart. */
  tryConnect(a: number, b: number): void {
    const ta = this.transports.get(a);
    const tb = this.transports.get(b);
    if (!ta || !tb || !ta.wants(b) || !tb.wants(a) || this.cuts.has(pairKey(a, b))) return;
    this.clock.setTimer(this.connectDelayMs, () => {
      if (!ta.wants(b) || !tb.wants(a) || this.cuts.has(pairKey(a, b))) return;
      const id = `mem-${this.nextConnectionId++}`;
      const la = new MemoryLink(this, a, b, id);
      const lb = new MemoryLink(this, b, a, id);
      la.other = lb;
      lb.other = la;
      ta.established(la);
      tb.established(lb);
    });
  }

  delayOf(from: number, to: number): number {
    return this.delays.get(key(from, to)) ?? 0;
  }

  dropped(from: number, to: number, msg: WireMessage, stream: StreamName): boolean {
    return this.drops.get(key(from, to))?.(msg, stream) ?? false;
  }
}

export class MemoryTransport extends EventEmitter<TransportEvents> implements Transport {
  private started = false;
  private readonly wanted = new Set<number>();
  private readonly links = new Map<number, MemoryLink>();

  constructor(private readonly network: MemoryNetwork, readonly nodeId: number, private readonly peers: number[]) {
    super();
  }

  async start(): Promise<void> {
    this.started = true;
    for (const peer of this.peers) this.connect(peer);
  }

  connect(peerNodeId: number): void {
    this.checkPeer(peerNodeId);
    this.wanted.add(peerNodeId);
    this.network.tryConnect(this.nodeId, peerNodeId);
  }

  disconnect(peerNodeId: number, reason: string): void {
    this.checkPeer(peerNodeId);
    this.wanted.delete(peerNodeId);
    this.links.get(peerNodeId)?.close(reason);
  }

  link(peerNodeId: number): PeerLink | null {
    return this.links.get(peerNodeId) ?? null;
  }

  async stop(): Promise<void> {
    for (const peer of [...this.wanted]) this.disconnect(peer, 'transport stopped');
    this.started = false;
  }

  wants(peerNodeId: number): boolean {
    return this.started && this.wanted.has(peerNodeId) && !this.links.has(peerNodeId);
  }

  established(link: MemoryLink): void {
    this.links.set(link.peerNodeId, link);
    link.once('close', () => {
      this.links.delete(link.peerNodeId);
      // Like TCP's reconnect: try again while both sides still want the link.
      this.network.tryConnect(this.nodeId, link.peerNodeId);
    });
    this.emit('link', link);
  }

  private checkPeer(peerNodeId: number): void {
    if (!this.peers.includes(peerNodeId)) {
      throw new TandemError('TANDEM_E_NOT_FOUND', `node ${peerNodeId} is not a peer of node ${this.nodeId}`);
    }
  }
}

interface InFlight {
  msg: WireMessage;
  stream: StreamName;
  bytes: number;
}

export class MemoryLink extends EventEmitter<PeerLinkEvents> implements PeerLink {
  other: MemoryLink | null = null;
  readonly protocolVersion = PROTOCOL_VERSION_MAX;
  private closeReason: string | null = null;
  private paused = false;
  private drainWanted = false;
  /** data bytes sent and not yet consumed by the receiver: the back-pressure measure */
  private unconsumedBytes = 0;
  private readonly held: InFlight[] = [];
  private readonly lastArrivalMs: Record<StreamName, number> = { data: 0, control: 0 };
  private readonly counters: Record<StreamName, Omit<StreamStats, 'queuedBytes'>> = {
    data: { bytesSent: 0, bytesReceived: 0, framesSent: 0, framesReceived: 0 },
    control: { bytesSent: 0, bytesReceived: 0, framesSent: 0, framesReceived: 0 },
  };
  private pingId = 0;
  /** the ping a probe sent, while it is in flight (probes share it) */
  private probing: Promise<void> | null = null;
  private readonly pings = new Map<number, { sentAtMs: number; resolve: (rttMs: number) => void; reject: (err: Error) => void }>();
  private lastPingRttMs: number | null = null;
  private readonly connectedAtMs: number;

  constructor(private readonly network: MemoryNetwork, readonly localNodeId: number, readonly peerNodeId: number, readonly connectionId: string) {
    super();
    this.connectedAtMs = network.clock.now();
  }

  get closed(): boolean {
    return this.closeReason !== null;
  }

  sendData(msg: WireMessage): boolean {
    if (this.closed) return false;
    const bytes = this.transmit(msg, 'data');
    this.unconsumedBytes += bytes;
    if (this.unconsumedBytes < this.network.queuedBytesMax) return true;
    this.drainWanted = true;
    return false;
  }

  sendControl(msg: WireMessage): void {
    if (!this.closed) this.transmit(msg, 'control');
  }

  pauseData(): void {
    this.paused = true;
  }

  resumeData(): void {
    this.paused = false;
    while (!this.paused && !this.closed && this.held.length > 0) this.consume(this.held.shift()!);
  }

  ping(): Promise<number> {
    if (this.closed) return Promise.reject(new Error(`link closed: ${this.closeReason}`));
    const id = this.pingId++;
    return new Promise((resolve, reject) => {
      this.pings.set(id, { sentAtMs: this.network.clock.now(), resolve, reject });
      this.sendControl({ type: 'Ping', id });
    });
  }

  probe(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.probing ??= this.ping().then(() => undefined, () => undefined).finally(() => { this.probing = null; });
    return this.probing;
  }

  close(reason: string): void {
    if (this.closed) return;
    this.closeReason = reason;
    this.held.length = 0;
    for (const ping of this.pings.values()) ping.reject(new Error(`link closed: ${reason}`));
    this.pings.clear();
    this.emit('close', reason);
    this.other?.close(reason);
  }

  stats(): LinkStats {
    return {
      peerNodeId: this.peerNodeId,
      protocolVersion: this.protocolVersion,
      connectionId: this.connectionId,
      connectedAtMs: this.connectedAtMs,
      lastPingRttMs: this.lastPingRttMs,
      data: { ...this.counters.data, queuedBytes: this.unconsumedBytes },
      control: { ...this.counters.control, queuedBytes: 0 },
    };
  }

  /** Encode now, deliver (decoded) after the configured delay, in order per stream. */
  private transmit(msg: WireMessage, stream: StreamName): number {
    const frame = Buffer.concat(encodeFrame(msg));
    this.counters[stream].bytesSent += frame.length;
    this.counters[stream].framesSent++;
    if (this.network.dropped(this.localNodeId, this.peerNodeId, msg, stream)) return 0;
    const clock = this.network.clock;
    const arrival = Math.max(clock.now() + this.network.delayOf(this.localNodeId, this.peerNodeId), this.lastArrivalMs[stream]);
    this.lastArrivalMs[stream] = arrival;
    clock.setTimer(arrival - clock.now(), () => this.other?.arrive(decodeFrame(frame), stream, frame.length));
    return stream === 'data' ? frame.length : 0;
  }

  private arrive(msg: WireMessage, stream: StreamName, bytes: number): void {
    if (this.closed) return;
    this.counters[stream].bytesReceived += bytes;
    this.counters[stream].framesReceived++;
    if (msg.type === 'Ping') return this.sendControl({ type: 'PingAck', id: msg.id });
    if (msg.type === 'PingAck') return this.pingAnswered(msg.id);
    const item = { msg, stream, bytes };
    if (stream === 'data' && (this.paused || this.held.length > 0)) {
      assert(this.held.length < HELD_MESSAGES_MAX, 'held messages are bounded by the sender\'s queue bound');
      this.held.push(item);
      return;
    }
    this.consume(item);
  }

  private consume(item: InFlight): void {
    if (item.stream === 'data') this.other?.consumed(item.bytes);
    this.emit('message', item.msg, item.stream);
  }

  /** The receiver took `bytes` of our data: release back-pressure. */
  private consumed(bytes: number): void {
    this.unconsumedBytes -= bytes;
    assert(this.unconsumedBytes >= 0, 'consumed no more than was sent');
    if (this.drainWanted && this.unconsumedBytes < this.network.queuedBytesMax) {
      this.drainWanted = false;
      this.emit('drain');
    }
  }

  private pingAnswered(id: number): void {
    const ping = this.pings.get(id);
    if (!ping) return this.close(`protocol error: PingAck ${id} answers no Ping`);
    this.pings.delete(id);
    this.lastPingRttMs = this.network.clock.now() - ping.sentAtMs;
    ping.resolve(this.lastPingRttMs);
  }
}

function key(from: number, to: number): string {
  return `${from}>${to}`;
}

function pairKey(a: number, b: number): string {
  return a < b ? `${a}-${b}` : `${b}-${a}`;
}
