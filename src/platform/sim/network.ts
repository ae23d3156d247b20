// The simulated network between the nodes' engines: one PeerConnectorPort per node incarnation,
// PeerLinkPorts between them, every message encoded with the real codec when sent and decoded
// when delivered (what arrives is exactly what the wire carries; a sender reusing its buffer
// changes nothing).
//
// A link behaves as the TCP link does (src/transport/tcp-link.ts): two ordered streams (data and
// control, control never queued behind data), back-pressure in bytes on the data stream, a
// receiver that can pause the data stream, and a Disconnect on the control stream that closes
// the link on the other side with "node N disconnected: <reason>". Closing a link says goodbye
// that way; the local side sees its own close at once.
//
// Faults, all deterministic from the seed:
//   latency and bandwidth per direction (slow links);
//   silent partitions, symmetric or one-way: messages that would cross stall (TCP retransmits)
//   and arrive after a heal; a link the partition outlasts is closed by ping timeout on each
//   side, at its own moment within [ping-timeout, ping-interval + ping-timeout];
//   a reset: both ends see the link close now;
//   a node crash: the dead side's links vanish with it; the peers see the close after one
//   latency (process killed: the kernel closes the sockets) or by ping timeout (power loss).
// New links form only between two started connectors that both want each other, with no
// partition in either direction, after a connect delay (dial backoff and authentication).
import type { ResourceConfig } from '../../config/model.js';
import type { PeerConnectorPort, PeerLinkPort } from '../../engine/platform.js';
import { decodeFrame, encodeFrame } from '../../wire/codec.js';
import type { WireMessage } from '../../wire/messages.js';
import type { Random } from './random.js';
import { WORLD, type EventHandle, type Owner, type Scheduler } from './scheduler.js';

export interface NetworkOptions {
  /** data-stream bytes sent and not yet consumed before sendData says false */
  queuedBytesMax: number;
  /** time from "both want a link" to the link (backoff, Hello, authentication) */
  connectMs: [number, number];
  latencyMs: [number, number];
}

export const DEFAULT_NETWORK: NetworkOptions = { queuedBytesMax: 4 * 1024 * 1024, connectMs: [5, 250], latencyMs: [0.05, 0.4] };

export interface DirectionProfile {
  latencyMs: [number, number];
  /** bytes per millisecond on the data stream; Infinity: not limited */
  bytesPerMs: number;
}

/** What the checkers and fault triggers may watch: every message handed to an engine. */
export type DeliveryObserver = (from: number, to: number, msg: WireMessage, stream: 'data' | 'control', linkId: string, sentAt: number) => void;

export class SimNetwork {
  private readonly connectors = new Map<number, SimConnector>();
  /** "a>b": messages from a to b do not get through */
  private readonly blocked = new Set<string>();
  private readonly profiles = new Map<string, DirectionProfile>();
  private readonly attempts = new Map<string, EventHandle>();
  private readonly observers: DeliveryObserver[] = [];
  private nextLinkId = 1;

  constructor(
    readonly scheduler: Scheduler,
    private readonly random: Random,
    readonly options: NetworkOptions = DEFAULT_NETWORK,
    /** ping interval and timeout of the resource, for detecting silent partitions */
    private readonly liveness: { pingIntervalMs: number; pingTimeoutMs: number } = { pingIntervalMs: 1000, pingTimeoutMs: 500 },
  ) {}

  observe(observer: DeliveryObserver): void {
    this.observers.push(observer);
  }

  /** The connector of one node incarnation (Platform.connector). */
  connector(config: ResourceConfig, localNode: string, opts: { connectOnStart: boolean }, owner: Owner): SimConnector {
    const local = config.nodes.find((n) => n.name === localNode);
    if (!local) throw new Error(`node ${localNode} is not part of ${config.name}`);
    const peers = config.nodes.filter((n) => n.id !== local.id).map((n) => n.id);
    return new SimConnector(this, local.id, localNode, peers, opts.connectOnStart, owner);
  }

  // ---- faults ---------------------------------------------------------------------------------

  /** Stop messages from `from` to `to` (a one-way partition); both directions for a symmetric one. */
  block(from: number, to: number): void {
    const key = dir(from, to);
    if (this.blocked.has(key)) return;
    this.blocked.add(key);
    this.attempts.get(pairKey(from, to))?.cancel();
    this.attempts.delete(pairKey(from, to));
    for (const id of [from, to]) {
      const other = id === from ? to : from;
      const link = this.connectors.get(id)?.linkTo(other);
      if (link) this.scheduleLivenessTimeout(link);
    }
  }

  unblock(from: number, to: number): void {
    if (!this.blocked.delete(dir(from, to))) return;
    this.connectors.get(to)?.linkTo(from)?.releaseStalled();
    this.consider(from, to);
  }

  isBlocked(from: number, to: number): boolean {
    return this.blocked.has(dir(from, to));
  }

  /** Every direction that is blocked now, as [from, to]. */
  blockedDirections(): Array<[number, number]> {
    return [...this.blocked].map((k) => k.split('>').map(Number) as [number, number]);
  }

  setProfile(from: number, to: number, profile: DirectionProfile | null): void {
    if (profile) this.profiles.set(dir(from, to), profile);
    else this.profiles.delete(dir(from, to));
  }

  /** Both ends of the link between a and b close now (a connection reset). */
  reset(a: number, b: number, reason = 'connection reset'): void {
    this.connectors.get(a)?.linkTo(b)?.drop(reason);
    this.connectors.get(b)?.linkTo(a)?.drop(reason);
  }

  /** A node's incarnation died: its links vanish; peers notice after a latency or a ping timeout. */
  nodeDied(nodeId: number, how: 'killed' | 'power'): void {
    const connector = this.connectors.get(nodeId);
    if (connector) {
      this.connectors.delete(nodeId);
      for (const link of connector.allLinks()) link.vanish();
    }
    // the survivors' ends, including links the dead side had not learnt of yet
    for (const survivor of this.connectors.values()) {
      const remote = survivor.linkTo(nodeId);
      if (!remote || remote.closed) continue;
      remote.other?.vanish();
      const delay = how === 'killed' ? this.latency(nodeId, remote.localNodeId) : this.pingTimeoutDelay();
      this.scheduler.after(delay, remote.owner, 'net', `${remote.localNodeId}<${nodeId} close (peer ${how})`, () => {
        remote.drop(how === 'killed' ? 'connection reset by peer' : `ping timeout: no PingAck from node ${nodeId}`);
      });
    }
  }

  // ---- used by connectors and links -----------------------------------------------------------

  register(connector: SimConnector): void {
    this.connectors.set(connector.nodeId, connector);
  }

  unregister(connector: SimConnector): void {
    if (this.connectors.get(connector.nodeId) === connector) this.connectors.delete(connector.nodeId);
  }

  /** Link a and b if both want it and nothing stands between them (after the connect delay). */
  consider(a: number, b: number): void {
    const key = pairKey(a, b);
    if (this.attempts.has(key) || !this.connectable(a, b)) return;
    const [lo, hi] = this.options.connectMs;
    const handle = this.scheduler.after(this.random.real(lo, hi), WORLD, 'net', `connect ${key}`, () => {
      this.attempts.delete(key);
      if (this.connectable(a, b)) this.establish(this.connectors.get(a)!, this.connectors.get(b)!);
    });
    this.attempts.set(key, handle);
  }

  /** When a message sent now from `from` to `to` arrives (data: after the bytes before it). */
  arrival(link: SimLink, receiver: SimLink, bytes: number, stream: 'data' | 'control'): number {
    const profile = this.profiles.get(dir(link.localNodeId, link.peerNodeId));
    const [lo, hi] = profile?.latencyMs ?? this.options.latencyMs;
    const now = this.scheduler.now();
    let departs = now;
    if (stream === 'data' && profile && Number.isFinite(profile.bytesPerMs)) {
      departs = Math.max(now, link.wireFreeAt) + bytes / profile.bytesPerMs;
      link.wireFreeAt = departs;
    }
    return Math.max(departs + this.random.real(lo, hi), receiver.lastArrival[stream]);
  }

  notify(from: number, to: number, msg: WireMessage, stream: 'data' | 'control', linkId: string, sentAt: number): void {
    for (const o of this.observers) o(from, to, msg, stream, linkId, sentAt);
  }

  /** Is there an open link from a to b (a's end)? */
  hasLink(a: number, b: number): boolean {
    const link = this.connectors.get(a)?.linkTo(b);
    return link !== undefined && !link.closed;
  }

  /**
   * No message is travelling, stalled or held on any open link, and no open link has lost its
   * other end unnoticed: what was sent on such a link may never arrive, and its sender settles it
   * (bits out of sync for the peer, ranges to reconcile) only when it sees the link close.
   */
  quiet(): boolean {
    for (const c of this.connectors.values()) for (const l of c.allLinks()) if (l.busy || l.halfOpen) return false;
    return true;
  }

  latency(from: number, to: number): number {
    const [lo, hi] = this.profiles.get(dir(from, to))?.latencyMs ?? this.options.latencyMs;
    return this.random.real(lo, hi);
  }

  /** The slowest one-way trip now: bounds a round trip without drawing from the random stream. */
  private maxLatency(from: number, to: number): number {
    return (this.profiles.get(dir(from, to))?.latencyMs ?? this.options.latencyMs)[1];
  }

  private connectable(a: number, b: number): boolean {
    const ca = this.connectors.get(a);
    const cb = this.connectors.get(b);
    return ca !== undefined && cb !== undefined && ca.wants(b) && cb.wants(a) && !this.blocked.has(dir(a, b)) && !this.blocked.has(dir(b, a));
  }

  private establish(ca: SimConnector, cb: SimConnector): void {
    const id = `sim-${this.nextLinkId++}`;
    const la = new SimLink(this, ca.nodeId, cb.nodeId, id, ca.owner);
    const lb = new SimLink(this, cb.nodeId, ca.nodeId, id, cb.owner);
    la.other = lb;
    lb.other = la;
    // each side learns of the link at its own moment; nothing from the other side arrives before
    const lag = this.latency(ca.nodeId, cb.nodeId);
    lb.lastArrival.data = lb.lastArrival.control = this.scheduler.now() + lag;
    // queued before anything a's engine sends on the new link, so b has it when that arrives
    this.scheduler.after(lag, cb.owner, 'net', `${cb.nodeId}<${ca.nodeId} link ${id}`, () => {
      // a died since, even if la never made it into its links (seed 1206983951: a's engine
      // crashed while dropping the half-dead link la replaced, so nodeDied did not see la)
      if (la.closed || this.connectors.get(ca.nodeId) !== ca) { la.vanish(); lb.markClosed(); return; }
      cb.adopt(lb);
    });
    ca.adopt(la);
  }

  private pingTimeoutDelay(): number {
    const { pingIntervalMs, pingTimeoutMs } = this.liveness;
    return pingTimeoutMs + this.random.real(0, pingIntervalMs);
  }

  /**
   * A Ping sent now on `side` (PeerLinkPort.probe): answered after a round trip when the link is
   * open both ways and the peer's end is there; unanswered, it closes this side at its deadline,
   * as the TCP transport's ping() does. Resolves either way.
   */
  probe(side: SimLink): Promise<void> {
    const { pingTimeoutMs } = this.liveness;
    const cut = (): boolean => this.blocked.has(dir(side.localNodeId, side.peerNodeId)) || this.blocked.has(dir(side.peerNodeId, side.localNodeId));
    const answered = (): boolean => !side.closed && !cut() && side.other !== null && !side.other.closed;
    // drawn from the random stream, an answer changed the schedule of every seed that probes
    const roundTrip = this.maxLatency(side.localNodeId, side.peerNodeId) + this.maxLatency(side.peerNodeId, side.localNodeId);
    return new Promise<void>((resolve) => {
      if (roundTrip < pingTimeoutMs) {
        this.scheduler.after(roundTrip, side.owner, 'net', `${side.localNodeId}-${side.peerNodeId} probe answered?`, () => {
          if (answered() || side.closed) resolve();
        });
      }
      this.scheduler.after(pingTimeoutMs, side.owner, 'net', `${side.localNodeId}-${side.peerNodeId} probe`, () => {
        if (!side.closed && !answered()) side.drop(`ping timeout: no PingAck from node ${side.peerNodeId} within ${pingTimeoutMs} ms`);
        resolve();
      });
    });
  }

  /** A partition that outlasts the ping timeout closes the link, each side on its own. */
  private scheduleLivenessTimeout(link: SimLink): void {
    for (const side of [link, link.other]) {
      if (!side || side.closed || side.livenessCheck) continue;
      side.livenessCheck = true;
      this.scheduler.after(this.pingTimeoutDelay(), side.owner, 'net', `${side.localNodeId}-${side.peerNodeId} ping check`, () => {
        side.livenessCheck = false;
        const cut = this.blocked.has(dir(side.localNodeId, side.peerNodeId)) || this.blocked.has(dir(side.peerNodeId, side.localNodeId));
        if (cut && !side.closed) side.drop(`ping timeout: no PingAck from node ${side.peerNodeId} within ${this.liveness.pingTimeoutMs} ms`);
      });
    }
  }
}

export class SimConnector implements PeerConnectorPort {
  private readonly wanted = new Set<number>();
  private readonly links = new Map<number, SimLink>();
  private onLink: ((link: PeerLinkPort) => void) | null = null;
  private started = false;

  constructor(
    private readonly network: SimNetwork,
    readonly nodeId: number,
    readonly nodeName: string,
    private readonly peers: number[],
    private readonly connectOnStart: boolean,
    readonly owner: Owner,
  ) {}

  async start(onLink: (link: PeerLinkPort) => void): Promise<void> {
    this.onLink = onLink;
    this.started = true;
    this.network.register(this);
    if (this.connectOnStart) for (const p of this.peers) this.connect(p);
  }

  connect(peerNodeId: number): void {
    this.checkPeer(peerNodeId);
    this.wanted.add(peerNodeId);
    this.network.consider(this.nodeId, peerNodeId);
  }

  disconnect(peerNodeId: number): void {
    this.checkPeer(peerNodeId);
    this.wanted.delete(peerNodeId);
    this.links.get(peerNodeId)?.close('disconnected by administrator');
  }

  async stop(): Promise<void> {
    for (const p of [...this.wanted]) this.disconnect(p);
    this.started = false;
    this.network.unregister(this);
  }

  /**
   * Would a new connection to this peer be accepted? Not while a live link exists. A link whose
   * other end died with its process does not count: the peer dials again after its restart, and
   * (as the TCP transport does) the new connection replaces the half-dead one.
   */
  wants(peerNodeId: number): boolean {
    if (!this.started || !this.wanted.has(peerNodeId)) return false;
    const link = this.links.get(peerNodeId);
    return link === undefined || link.other === null || link.other.closed;
  }

  linkTo(peerNodeId: number): SimLink | undefined {
    return this.links.get(peerNodeId);
  }

  allLinks(): SimLink[] {
    return [...this.links.values()];
  }

  adopt(link: SimLink): void {
    const old = this.links.get(link.peerNodeId);
    if (old && old !== link) old.drop('replaced by a new connection from the peer');
    this.links.set(link.peerNodeId, link);
    link.onClose(() => {
      if (this.links.get(link.peerNodeId) !== link) return;
      this.links.delete(link.peerNodeId);
      this.network.consider(this.nodeId, link.peerNodeId); // TCP's reconnect, while both still want it
    });
    this.onLink?.(link);
  }

  private checkPeer(peerNodeId: number): void {
    if (!this.peers.includes(peerNodeId)) throw new Error(`node ${peerNodeId} is not a peer of node ${this.nodeId}`);
  }
}

interface Queued {
  frame: Buffer;
  stream: 'data' | 'control';
  /** when the sender handed it to the link */
  sentAt: number;
}

export class SimLink implements PeerLinkPort {
  other: SimLink | null = null;
  closed = false;
  wireFreeAt = 0;
  /** a ping-timeout check is pending (a partition is in the way) */
  livenessCheck = false;
  readonly lastArrival = { data: 0, control: 0 };
  private readonly messageHandlers: Array<(msg: WireMessage) => void> = [];
  private readonly drainHandlers: Array<() => void> = [];
  private readonly closeHandlers: Array<(reason: string) => void> = [];
  private paused = false;
  /** data messages that arrived while paused (or behind ones that did) */
  private readonly held: Queued[] = [];
  /** messages that arrived while the direction was partitioned: TCP delivers them after a heal */
  private readonly stalled: Queued[] = [];
  /** bumped at every heal: release events of an earlier one are void */
  private releaseRound = 0;
  /** when the last release event is due: releases never overtake one another */
  private releasedUntil = 0;
  /** data bytes sent and not yet consumed by the receiver */
  private unconsumed = 0;
  /** messages sent to this end that have not arrived yet */
  inTransit = 0;
  private drainWanted = false;

  constructor(
    private readonly network: SimNetwork,
    readonly localNodeId: number,
    readonly peerNodeId: number,
    readonly id: string,
    readonly owner: Owner,
  ) {}

  sendData(msg: WireMessage): boolean {
    if (this.closed) return false;
    const bytes = this.transmit(msg, 'data');
    this.unconsumed += bytes;
    if (this.unconsumed < this.network.options.queuedBytesMax) return true;
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

  onMessage(handler: (msg: WireMessage) => void): void {
    this.messageHandlers.push(handler);
  }

  onDrain(handler: () => void): void {
    this.drainHandlers.push(handler);
  }

  onClose(handler: (reason: string) => void): void {
    this.closeHandlers.push(handler);
  }

  /** Close with a goodbye: the peer closes too when our Disconnect reaches it. */
  close(reason: string): void {
    if (this.closed) return;
    this.transmit({ type: 'Disconnect', reason: reason.slice(0, 500) }, 'control');
    this.drop(reason);
  }

  /** Closed here, now, without a goodbye (reset, ping timeout, the peer's Disconnect). */
  drop(reason: string): void {
    if (this.closed) return;
    this.markClosed();
    for (const h of this.closeHandlers) h(reason);
  }

  markClosed(): void {
    this.closed = true;
    this.held.length = 0;
    this.stalled.length = 0;
  }

  probe(): Promise<void> {
    return this.closed ? Promise.resolve() : this.network.probe(this);
  }

  /** The owning incarnation died: no callbacks, nothing more is sent or received. */
  vanish(): void {
    this.markClosed();
  }

  /**
   * The partition healed: what stalled arrives now, in order. Each release event delivers the head
   * of the queue, and whatever arrives meanwhile (sent before the heal, on its way) queues behind
   * it, as TCP delivers a stream in order: rescheduled on their own, the stalled messages came
   * after a later one already in flight, and an older write landed over a newer one on the
   * Secondary (seed 30540). A release of an earlier heal (a partition came back since) does nothing.
   */
  releaseStalled(): void {
    this.releaseRound++;
    for (const item of this.stalled) this.scheduleRelease(item.stream);
  }

  private scheduleRelease(stream: 'data' | 'control'): void {
    const round = this.releaseRound;
    const at = Math.max(this.network.scheduler.now() + this.network.latency(this.peerNodeId, this.localNodeId), this.lastArrival[stream], this.releasedUntil);
    this.lastArrival[stream] = at;
    this.releasedUntil = at;
    this.inTransit++;
    this.network.scheduler.at(at, this.owner, 'net', `${this.localNodeId}<${this.peerNodeId} (after heal)`, () => {
      this.inTransit--;
      if (round !== this.releaseRound || this.closed || this.network.isBlocked(this.peerNodeId, this.localNodeId)) return;
      const item = this.stalled.shift();
      if (item) this.deliver(item);
    });
  }

  private transmit(msg: WireMessage, stream: 'data' | 'control'): number {
    const frame = Buffer.concat(encodeFrame(msg));
    const receiver = this.other;
    if (!receiver) return 0;
    const sentAt = this.network.scheduler.now();
    const at = this.network.arrival(this, receiver, frame.length, stream);
    receiver.lastArrival[stream] = at;
    receiver.inTransit++;
    this.network.scheduler.at(at, receiver.owner, 'net', `${this.peerNodeId}<${this.localNodeId} ${describe(msg)}`, () => receiver.arrive({ frame, stream, sentAt }));
    return stream === 'data' ? frame.length : 0;
  }

  /** Open here, closed (or gone with its process) at the other end: this side has not noticed yet. */
  get halfOpen(): boolean {
    return !this.closed && this.other !== null && this.other.closed;
  }

  get busy(): boolean {
    return !this.closed && (this.inTransit > 0 || this.held.length > 0 || this.stalled.length > 0);
  }

  /** A frame reached this side's socket. */
  private arrive(item: Queued): void {
    this.inTransit--;
    if (this.closed) return;
    if (this.network.isBlocked(this.peerNodeId, this.localNodeId)) {
      this.stalled.push(item);
      return;
    }
    if (this.stalled.length > 0) { // behind what stalled, which is being released
      this.stalled.push(item);
      this.scheduleRelease(item.stream);
      return;
    }
    this.deliver(item);
  }

  private deliver(item: Queued): void {
    const msg = decodeFrame(item.frame);
    if (msg.type === 'Disconnect') {
      this.drop(`node ${this.peerNodeId} disconnected: ${msg.reason}`);
      return;
    }
    if (item.stream === 'data' && (this.paused || this.held.length > 0)) {
      this.held.push(item);
      return;
    }
    this.consume(item, msg);
  }

  private consume(item: Queued, decoded?: WireMessage): void {
    const msg = decoded ?? decodeFrame(item.frame);
    if (item.stream === 'data') this.other?.consumed(item.frame.length);
    this.network.notify(this.peerNodeId, this.localNodeId, msg, item.stream, this.id, item.sentAt);
    for (const h of this.messageHandlers) {
      h(msg);
      if (this.closed) return;
    }
  }

  /** The receiver took `bytes` of our data: back-pressure eases. */
  private consumed(bytes: number): void {
    this.unconsumed -= bytes;
    if (this.drainWanted && !this.closed && this.unconsumed < this.network.options.queuedBytesMax) {
      this.drainWanted = false;
      for (const h of this.drainHandlers) h();
    }
  }
}

/** A one-line summary of a message for the trace. */
export function describe(msg: WireMessage): string {
  switch (msg.type) {
    case 'Write': return `Write v${msg.volume} #${msg.seq} ${msg.offset}+${msg.data.length}${msg.flags.fua ? ' fua' : ''}${msg.missing ? ` missing=${msg.missing}` : ''}`;
    case 'WriteZeroes': return `WriteZeroes v${msg.volume} #${msg.seq} ${msg.offset}+${msg.length}`;
    case 'ResyncData': return `ResyncData v${msg.volume} r${msg.requestId} ${msg.offset}+${msg.data.length}${msg.missing ? ` missing=${msg.missing}` : ''}`;
    case 'ResyncAck': return `ResyncAck v${msg.volume} r${msg.requestId} ${msg.offset}+${msg.length}`;
    case 'ReadReply': return `ReadReply v${msg.volume} r${msg.requestId} errno=${msg.errno} ${msg.data.length}`;
    case 'RecvAck': case 'WriteAck': return `${msg.type} #${msg.seq}`;
    case 'NegAck': return `NegAck #${msg.seq} errno=${msg.errno}`;
    case 'State': return `State ${msg.role} ${msg.volumes.map((v) => `v${v.volume}:${v.diskState}:${v.current.toString(16)}`).join(' ')}`;
    case 'Disconnect': return `Disconnect ${msg.reason}`;
    default: {
      const fields = Object.entries(msg).filter(([k, v]) => k !== 'type' && (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'string' || typeof v === 'boolean'));
      return `${msg.type} ${fields.map(([k, v]) => `${k}=${typeof v === 'bigint' ? v.toString(16) : v}`).join(' ')}`;
    }
  }
}

function dir(from: number, to: number): string {
  return `${from}>${to}`;
}

function pairKey(a: number, b: number): string {
  return a < b ? `${a}-${b}` : `${b}-${a}`;
}
