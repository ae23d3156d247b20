// The transport interface (hastd's proto_impl.h in spirit): the replication engine talks to peers
// through a Transport and its PeerLinks and never knows whether the bytes cross TCP (tcp.ts) or
// stay in memory for a simulation (memory.ts).
//
// A PeerLink is one authenticated connection to one peer with two ordered streams:
//   data     bulk traffic (writes, resync data, state); sendData returns false once the link's
//            queue bound is reached, and 'drain' says when to go on
//   control  acks and pings, never queued behind bulk data
// A link emits 'message' (msg, stream) for each message in arrival order per stream, then
// exactly one 'close' (reason). Once closed it stays closed; the Transport makes a new link.
import type { EventEmitter } from 'node:events';
import type { WireMessage } from '../wire/messages.js';

export type StreamName = 'data' | 'control';

export interface StreamStats {
  bytesSent: number;
  bytesReceived: number;
  framesSent: number;
  framesReceived: number;
  /** bytes handed to this stream and not yet taken by the network */
  queuedBytes: number;
}

export interface LinkStats {
  peerNodeId: number;
  protocolVersion: number;
  /** the same string on both ends of one link */
  connectionId: string;
  connectedAtMs: number;
  lastPingRttMs: number | null;
  data: StreamStats;
  control: StreamStats;
}

export interface PeerLinkEvents {
  message: [msg: WireMessage, stream: StreamName];
  drain: [];
  close: [reason: string];
}

export interface PeerLink extends EventEmitter<PeerLinkEvents> {
  readonly peerNodeId: number;
  readonly protocolVersion: number;
  readonly closed: boolean;
  /** queue bulk data in order; false when the queue bound is reached (wait for 'drain') */
  sendData(msg: WireMessage): boolean;
  /** send an ack or other small control message ahead of any queued bulk data */
  sendControl(msg: WireMessage): void;
  /** stop delivering data-stream messages (receiver back-pressure); control keeps flowing */
  pauseData(): void;
  resumeData(): void;
  /** round trip of a Ping on the control stream, in milliseconds */
  ping(): Promise<number>;
  /**
   * Liveness now: a Ping whose missed deadline closes the link (one in flight already serves).
   * Resolves once it is answered or the link is closed.
   */
  probe(): Promise<void>;
  close(reason: string): void;
  stats(): LinkStats;
}

export interface Refusal {
  peerNodeId: number | null;
  /** who refused: this node, or the peer (it told us why) */
  by: 'local' | 'remote';
  code: string;
  reason: string;
}

export interface TransportEvents {
  link: [link: PeerLink];
  refused: [refusal: Refusal];
}

/** Listens for and dials the peers of one resource; hands over each link once authenticated. */
export interface Transport extends EventEmitter<TransportEvents> {
  start(): Promise<void>;
  /** (re)start connecting to a peer: Connecting until a link exists, again after it closes */
  connect(peerNodeId: number): void;
  /** stop connecting to a peer and close its link (StandAlone) */
  disconnect(peerNodeId: number, reason: string): void;
  link(peerNodeId: number): PeerLink | null;
  stop(): Promise<void>;
}
