// The TCP transport: two connections per peer (data and control, DRBD's data and meta sockets),
// authenticated with the resource secret, protected as transport-security says (TLS 1.3 by
// default, see security.ts), kept alive with pings, re-established with backoff.
//
// Per-peer connection state machine (names as DRBD's connection states):
//
//   StandAlone ──connect()──▶ Connecting ──both sockets authenticated──▶ Connected
//       ▲                     │   ▲  │                                      │
//       │                     │   │  └─ attempt failed ─▶ backoff timer ─┐  │ link closed: ping
//       │                     │   └──────────────────────────────────────┘  │ timeout, socket
//       └──── disconnect() ───┴─────────────────────────────────────────────┘ error, Disconnect
//                                               (a closed link goes back to Connecting)
//
// While Connecting, a node both dials the peer (an outgoing attempt: a data and a control socket
// sharing one random connection nonce) and accepts the peer's attempts. When both sides dial at
// once, the attempt dialed by the LOWER node id wins, decided on both sides without a round trip:
//   - the lower node refuses an incoming attempt ('race') while its own outgoing attempt lives;
//   - the higher node, on admitting an incoming attempt, abandons its own outgoing one.
// A node never dials while it is admitting an incoming attempt, so one link results. An
// authenticated attempt from a peer while Connected replaces the link: the peer only dials when
// it has no link, so ours is stale (a restarted peer is back at once, not after a ping timeout).
//
// Retries: exponential backoff from reconnectMinMs to reconnectMaxMs, ±25 % jitter so two nodes
// do not stay in lockstep. Every attempt has a deadline (handshakeTimeoutMs, DRBD's 'timeout').
// Sockets that have not said Hello yet are bounded (UNIDENTIFIED_SOCKETS_MAX) and limited to small
// frames, so strangers cannot make the daemon buffer much.
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { connect as netConnect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { assert } from '../lib/assert.js';
import { TandemError } from '../lib/errors.js';
import { createLogger, type Logger } from '../lib/log.js';
import type { MessageOf } from '../wire/messages.js';
import { MAX_HANDSHAKE_PAYLOAD_BYTES, PROTOCOL_VERSION_MAX, PROTOCOL_VERSION_MIN, type VersionRange } from '../wire/version.js';
import { systemClock, type Clock, type TimerHandle } from './clock.js';
import { FramedSocket } from './framed-socket.js';
import { accept, dial, HandshakeFailure, type CsumsAlg, type HandshakeResult, type LocalIdentity, type RefuseCode, type ReplicationProtocol, type SocketRole } from './handshake.js';
import { peerSecrets } from './secrets.js';
import { DEFAULT_SECURITY, loadLinkSecurity, type SecuritySettings } from './security.js';
import { TcpLink } from './tcp-link.js';
import type { PeerLink, Transport, TransportEvents } from './transport.js';

export interface TcpPeer {
  nodeId: number;
  /** host:port, [v6]:port */
  address: string;
  /** the node's name ([node.NAME]): a name its TLS certificate may carry, besides its address */
  name?: string;
  /** the replication protocol of the connection to it (default C); the peer must state the same */
  protocol?: ReplicationProtocol;
}

export interface TcpTransportOptions {
  resource: string;
  nodeId: number;
  secret: string;
  /** accepted besides `secret` while the secret is rotated one node at a time */
  previousSecret?: string;
  /** how links are protected (default: TLS with a key derived from the secret, no payload checksum) */
  security?: SecuritySettings;
  /** the resource's csums-alg: peers must state the same one (default none) */
  csumsAlg?: CsumsAlg;
  /** host:port to listen on (port 0: any free port, see address()) */
  listen: string;
  peers: TcpPeer[];
  versions?: VersionRange;
  /** DRBD ping-int */
  pingIntervalMs?: number;
  /** DRBD ping-timeout */
  pingTimeoutMs?: number;
  /** DRBD timeout: connect + handshake must finish within it */
  handshakeTimeoutMs?: number;
  reconnectMinMs?: number;
  /** DRBD connect-int */
  reconnectMaxMs?: number;
  /** bytes queued on a data socket before sendData says false */
  queuedBytesMax?: number;
  /** start() also connects to every peer (false: they stay StandAlone until connect()) */
  connectOnStart?: boolean;
  clock?: Clock;
  random?: () => number;
  logger?: Logger;
}

export type ConnectionState = 'StandAlone' | 'Connecting' | 'Connected';

const DEFAULTS = {
  pingIntervalMs: 10_000,
  pingTimeoutMs: 500,
  handshakeTimeoutMs: 6_000,
  reconnectMinMs: 250,
  reconnectMaxMs: 10_000,
  queuedBytesMax: 8 * 1024 * 1024,
  connectOnStart: true,
};
const UNIDENTIFIED_SOCKETS_MAX = 16;
const JITTER = 0.25;
/** Failures that say something about configuration or the peer, worth an event and a warning. */
const REPORTED_CODES: ReadonlySet<string> = new Set<RefuseCode>(['version', 'resource', 'node-id', 'auth', 'busy', 'protocol', 'security', 'csums-alg', 'replication-protocol']);

interface Attempt {
  readonly direction: 'outgoing' | 'incoming';
  readonly nonce: Buffer;
  readonly sockets: FramedSocket[];
  /** roles announced in the Hellos admitted so far (incoming attempts) */
  readonly roles: Set<SocketRole>;
  readonly ready: Map<SocketRole, { sock: FramedSocket; result: HandshakeResult }>;
  deadline: TimerHandle | null;
  over: boolean;
}

interface PeerSlot {
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
  state: ConnectionState;
  link: TcpLink | null;
  outgoing: Attempt | null;
  incoming: Attempt | null;
  retry: TimerHandle | null;
  failures: number;
}

export class TcpTransport extends EventEmitter<TransportEvents> implements Transport {
  private readonly options: Required<Omit<TcpTransportOptions, 'versions' | 'secret' | 'previousSecret' | 'security' | 'csumsAlg'>>;
  private readonly local: LocalIdentity;
  private readonly settings: SecuritySettings;
  private readonly slots = new Map<number, PeerSlot>();
  private readonly unidentified = new Set<FramedSocket>();
  private readonly log: Logger;
  private server: Server | null = null;
  private stopped = false;

  constructor(options: TcpTransportOptions) {
    super();
    // the secrets go into `local` as keys only: nothing else here holds them (nor could log them)
    const { secret: _secret, previousSecret: _previous, security: _security, versions: _versions, csumsAlg: _csums, ...timings } = options;
    this.options = {
      ...DEFAULTS,
      clock: systemClock,
      random: Math.random,
      logger: createLogger({ component: 'transport', resource: options.resource, nodeId: options.nodeId }),
      ...withoutUndefined(timings),
    } as Required<Omit<TcpTransportOptions, 'versions' | 'secret' | 'previousSecret' | 'security' | 'csumsAlg'>>;
    this.log = this.options.logger;
    assert(options.secret.length > 0, 'a resource secret is configured');
    this.settings = options.security ?? DEFAULT_SECURITY;
    const names = new Map(options.peers.map((p) => [p.nodeId, [p.name, parseAddress(p.address).host].filter((n): n is string => !!n)]));
    const protocols = new Map(options.peers.map((p) => [p.nodeId, p.protocol ?? 'C']));
    this.local = {
      resource: options.resource,
      nodeId: options.nodeId,
      secrets: peerSecrets(options.resource, options.secret, options.previousSecret),
      versions: options.versions ?? { min: PROTOCOL_VERSION_MIN, max: PROTOCOL_VERSION_MAX },
      // certificates are loaded in start(); until then no attempt runs
      security: { mode: this.settings.mode, dataIntegrity: this.settings.dataIntegrity, certificates: null },
      csumsAlg: options.csumsAlg ?? 'none',
      peerNames: (id) => names.get(id) ?? [],
      replicationProtocol: (id) => protocols.get(id) ?? 'C',
    };
    for (const peer of options.peers) {
      assert(peer.nodeId !== options.nodeId && !this.slots.has(peer.nodeId), 'peer node ids are distinct');
      const { host, port } = parseAddress(peer.address);
      this.slots.set(peer.nodeId, {
        nodeId: peer.nodeId, host, port, state: 'StandAlone', link: null, outgoing: null, incoming: null, retry: null, failures: 0,
      });
    }
  }

  /** Listen, then (unless connectOnStart is false) start connecting to every configured peer. */
  async start(): Promise<void> {
    assert(this.server === null && !this.stopped, 'started once');
    this.local.security = await loadLinkSecurity(this.settings);
    const { host, port } = parseAddress(this.options.listen);
    const server = createServer((socket) => this.onIncoming(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => reject(new TandemError('TANDEM_E_IO', `cannot listen on ${this.options.listen}: ${err.message}`, {
        hint: "check the node's address in the resource configuration and that no other process uses the port",
        cause: err,
      })));
      server.listen(port, host, () => resolve());
    });
    this.log.info('listening', {
      address: this.options.listen, port: this.address().port, transportSecurity: this.settings.mode,
      tlsAuth: this.settings.mode === 'tls' ? (this.settings.certificates ? 'certificate' : 'psk') : undefined,
      dataIntegrityAlg: this.settings.dataIntegrity, csumsAlg: this.local.csumsAlg, keyIds: this.local.secrets.map((s) => `${s.label} ${s.id.toString('hex')}`),
    });
    if (this.options.connectOnStart) for (const slot of this.slots.values()) this.connect(slot.nodeId);
  }

  address(): { host: string; port: number } {
    assert(this.server !== null, 'listening');
    const info = this.server.address() as AddressInfo;
    return { host: info.address, port: info.port };
  }

  connect(peerNodeId: number): void {
    const slot = this.slot(peerNodeId);
    if (slot.state !== 'StandAlone' || this.stopped) return;
    slot.state = 'Connecting';
    slot.failures = 0;
    this.dial(slot);
  }

  disconnect(peerNodeId: number, reason: string): void {
    const slot = this.slot(peerNodeId);
    slot.state = 'StandAlone';
    slot.retry?.cancel();
    slot.retry = null;
    this.abandon(slot, slot.outgoing, reason);
    this.abandon(slot, slot.incoming, reason);
    slot.link?.close(reason);
  }

  link(peerNodeId: number): PeerLink | null {
    return this.slot(peerNodeId).link;
  }

  connectionState(peerNodeId: number): ConnectionState {
    return this.slot(peerNodeId).state;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const slot of this.slots.values()) this.disconnect(slot.nodeId, 'transport stopped');
    for (const sock of this.unidentified) sock.destroy('transport stopped');
    const server = this.server;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private slot(peerNodeId: number): PeerSlot {
    const slot = this.slots.get(peerNodeId);
    if (!slot) {
      throw new TandemError('TANDEM_E_NOT_FOUND', `node ${peerNodeId} is not a peer of resource ${this.local.resource}`, {
        hint: 'the peers are the [node.*] sections of the resource configuration',
      });
    }
    return slot;
  }

  // --- outgoing ------------------------------------------------------------------------------

  private dial(slot: PeerSlot): void {
    if (this.stopped || slot.state !== 'Connecting' || slot.outgoing || slot.incoming) return;
    const attempt = this.newAttempt(slot, 'outgoing', randomBytes(16));
    slot.outgoing = attempt;
    for (const role of ['data', 'control'] as const) {
      const sock = new FramedSocket(netConnect({ host: slot.host, port: slot.port }), MAX_HANDSHAKE_PAYLOAD_BYTES);
      attempt.sockets.push(sock);
      dial(sock, this.local, { peerNodeId: slot.nodeId, role, connectionNonce: attempt.nonce }, this.options.clock, this.options.handshakeTimeoutMs)
        .then((result) => this.socketReady(slot, attempt, sock, result), (err) => this.attemptFailed(slot, attempt, err));
    }
  }

  // --- incoming ------------------------------------------------------------------------------

  private onIncoming(socket: Socket): void {
    if (this.stopped || this.unidentified.size >= UNIDENTIFIED_SOCKETS_MAX) {
      socket.destroy();
      return;
    }
    const sock = new FramedSocket(socket, MAX_HANDSHAKE_PAYLOAD_BYTES);
    this.unidentified.add(sock);
    sock.onClose(() => this.unidentified.delete(sock));
    let admitted: { slot: PeerSlot; attempt: Attempt } | null = null;
    const admit = (hello: MessageOf<'Hello'>): { code: RefuseCode; reason: string } | null => {
      const verdict = this.admit(hello, sock);
      if ('code' in verdict) return verdict;
      admitted = verdict;
      return null;
    };
    accept(sock, this.local, admit, this.options.clock, this.options.handshakeTimeoutMs).then(
      (result) => {
        assert(admitted !== null, 'an accepted socket was admitted');
        this.socketReady(admitted.slot, admitted.attempt, sock, result);
      },
      (err) => {
        if (admitted) this.attemptFailed(admitted.slot, admitted.attempt, err);
        else this.report(err as HandshakeFailure, sock);
      },
    );
  }

  /** Decide on a Hello (see the race rule at the top); on admission, join or open an attempt. */
  private admit(hello: MessageOf<'Hello'>, sock: FramedSocket): { code: RefuseCode; reason: string } | { slot: PeerSlot; attempt: Attempt } {
    const slot = this.slots.get(hello.senderNodeId);
    if (!slot) return { code: 'node-id', reason: `node ${hello.senderNodeId} is not a peer of resource ${this.local.resource} on node ${this.local.nodeId}` };
    if (slot.state === 'StandAlone') return { code: 'busy', reason: `node ${this.local.nodeId} is StandAlone towards node ${slot.nodeId}` };
    if (slot.outgoing) {
      if (this.local.nodeId < slot.nodeId) {
        return { code: 'race', reason: `simultaneous connect: node ${this.local.nodeId}'s own connection (lower node id) wins` };
      }
      this.abandon(slot, slot.outgoing, `simultaneous connect: node ${slot.nodeId}'s connection (lower node id) wins`);
    }
    if (slot.incoming && !slot.incoming.nonce.equals(hello.connectionNonce)) {
      this.abandon(slot, slot.incoming, 'superseded by a newer connection attempt from the peer');
    }
    slot.retry?.cancel();
    slot.retry = null;
    slot.incoming ??= this.newAttempt(slot, 'incoming', Buffer.from(hello.connectionNonce));
    const attempt = slot.incoming;
    if (attempt.roles.has(hello.socketRole)) return { code: 'protocol', reason: `a second ${hello.socketRole} socket for one connection attempt` };
    attempt.roles.add(hello.socketRole);
    attempt.sockets.push(sock);
    this.unidentified.delete(sock);
    return { slot, attempt };
  }

  // --- both directions -----------------------------------------------------------------------

  private newAttempt(slot: PeerSlot, direction: 'outgoing' | 'incoming', nonce: Buffer): Attempt {
    const attempt: Attempt = { direction, nonce, sockets: [], roles: new Set(), ready: new Map(), deadline: null, over: false };
    attempt.deadline = this.options.clock.setTimer(this.options.handshakeTimeoutMs, () => {
      this.attemptFailed(slot, attempt, new HandshakeFailure('timeout', 'local',
        `connection attempt with node ${slot.nodeId} did not finish within ${this.options.handshakeTimeoutMs} ms`, slot.nodeId));
    });
    return attempt;
  }

  private socketReady(slot: PeerSlot, attempt: Attempt, sock: FramedSocket, result: HandshakeResult): void {
    if (attempt.over) {
      sock.destroy('connection attempt abandoned');
      return;
    }
    assert(result.peerNodeId === slot.nodeId && !attempt.ready.has(result.role), 'one socket per role from the expected peer');
    attempt.ready.set(result.role, { sock, result });
    const data = attempt.ready.get('data');
    const control = attempt.ready.get('control');
    if (!data || !control) return;
    if (data.result.protocolVersion !== control.result.protocolVersion) {
      this.attemptFailed(slot, attempt, new HandshakeFailure('protocol', 'local', 'the two sockets negotiated different versions', slot.nodeId));
      return;
    }
    this.finish(slot, attempt);
    this.establish(slot, new TcpLink(slot.nodeId, data.result.protocolVersion, attempt.nonce.toString('hex'), data.sock, control.sock, {
      pingIntervalMs: this.options.pingIntervalMs,
      pingTimeoutMs: this.options.pingTimeoutMs,
      queuedBytesMax: this.options.queuedBytesMax,
    }, this.options.clock));
  }

  private establish(slot: PeerSlot, link: TcpLink): void {
    slot.link?.close('replaced by a new connection from the peer');
    slot.link = link;
    slot.state = 'Connected';
    slot.failures = 0;
    this.log.info('connected', { peer: slot.nodeId, protocolVersion: link.protocolVersion, connectionId: link.connectionId });
    link.once('close', (reason) => this.linkClosed(slot, link, reason));
    this.emit('link', link);
  }

  private linkClosed(slot: PeerSlot, link: TcpLink, reason: string): void {
    this.log.warn('connection lost', { peer: slot.nodeId, reason, connectionId: link.connectionId });
    if (slot.link !== link) return;
    slot.link = null;
    if (slot.state !== 'Connected') return;
    slot.state = 'Connecting';
    this.scheduleRetry(slot);
  }

  private attemptFailed(slot: PeerSlot, attempt: Attempt, err: unknown): void {
    if (attempt.over) return;
    const failure = err instanceof HandshakeFailure ? err
      : new HandshakeFailure('protocol', 'local', err instanceof Error ? err.message : String(err), slot.nodeId);
    this.abandon(slot, attempt, failure.message, failure.by === 'local' && failure.refuseCode !== 'closed');
    slot.failures++;
    this.report(failure, null);
    if (slot.state === 'Connecting' && !slot.outgoing && !slot.incoming) this.scheduleRetry(slot);
  }

  /** End an attempt: detach it from its slot, close its sockets (flushing a Refuse if asked). */
  private abandon(slot: PeerSlot, attempt: Attempt | null, reason: string, flush = false): void {
    if (!attempt || attempt.over) return;
    this.finish(slot, attempt);
    for (const sock of attempt.sockets) {
      if (flush) sock.end(reason);
      else sock.destroy(reason);
    }
  }

  private finish(slot: PeerSlot, attempt: Attempt): void {
    attempt.over = true;
    attempt.deadline?.cancel();
    if (slot.outgoing === attempt) slot.outgoing = null;
    if (slot.incoming === attempt) slot.incoming = null;
  }

  private scheduleRetry(slot: PeerSlot): void {
    if (this.stopped || slot.retry) return;
    const doublings = Math.min(Math.max(slot.failures - 1, 0), 20);
    const base = Math.min(this.options.reconnectMaxMs, this.options.reconnectMinMs * 2 ** doublings);
    const delayMs = Math.round(base * (1 - JITTER + 2 * JITTER * this.options.random()));
    slot.retry = this.options.clock.setTimer(delayMs, () => {
      slot.retry = null;
      this.dial(slot);
    });
  }

  private report(failure: HandshakeFailure, sock: FramedSocket | null): void {
    const peerNodeId = failure.peerNodeId;
    if (sock) {
      if (failure.by === 'local' && failure.refuseCode !== 'closed') sock.end(failure.message);
      else sock.destroy(failure.message);
    }
    const fields = { peer: peerNodeId, code: failure.refuseCode, by: failure.by, reason: failure.message };
    if (!REPORTED_CODES.has(failure.refuseCode)) {
      this.log.debug('connection attempt failed', fields);
      return;
    }
    this.log.warn(failure.by === 'local' ? 'refused a connection' : 'connection refused by peer', fields);
    this.emit('refused', { peerNodeId, by: failure.by, code: failure.refuseCode, reason: failure.message });
  }
}

/** "host:port" or "[v6 address]:port". */
export function parseAddress(address: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(address);
  const port = match ? Number(match[3]) : NaN;
  if (!match || port > 65535) {
    throw new TandemError('TANDEM_E_CONFIG', `invalid address '${address}'`, {
      hint: 'write host:port, e.g. 10.0.0.1:7789 or [fd00::1]:7789',
      details: { value: address },
    });
  }
  return { host: match[1] ?? match[2], port };
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
