// What the replication engine needs from the metadata and the peer transport, stated in the
// engine's own terms. Adapters (meta-port.ts, link-port.ts) bind these to src/meta and
// src/transport; the engine never sees their details, and tests can exercise it in memory.

/** Per-volume replication metadata: activity log, out-of-sync bitmap per peer, generations. */
export interface VolumeMetaPort {
  readonly sizeBytes: number;
  /** Make the AL cover [offset, offset+length). null: already covered (fast path, no Promise). */
  beginWrite(offset: number, length: number): Promise<void> | null;
  /** The write on that range finished (locally and, as far as the AL cares, on the peers). */
  endWrite(offset: number, length: number): void;
  /** `duringWrite`: the range's AL extents are pinned by the write in flight (no persist needed yet) */
  markOutOfSync(peerNodeId: number, offset: number, length: number, duringWrite?: boolean): void;
  markInSync(peerNodeId: number, offset: number, length: number): void;
  outOfSyncBytes(peerNodeId: number): number;
  /** the first run of out-of-sync bytes at or after `from` for that peer (at most maxLength), or null */
  nextOutOfSync(peerNodeId: number, from: number, maxLength: number): { offset: number; length: number } | null;
  markAllOutOfSync(peerNodeId: number): void;
  /** this peer's out-of-sync bytes as at most maxRanges ranges (neighbours merged: a superset) */
  outOfSyncRanges(peerNodeId: number, maxRanges: number): Array<{ offset: number; length: number }>;
  /** byte ranges the AL covers now (after a crash: everything that may be out of sync) */
  activeExtents(): Array<{ offset: number; length: number }>;

  current(): bigint;
  bitmapGeneration(peerNodeId: number): bigint;
  history(): bigint[];
  /** Start a new data generation (persisted on return); absent peers keep the old one as their bitmap id. */
  newCurrent(absentPeers: number[]): bigint;
  /** Follow a diskless Primary's new generation (history and absent peers' bitmap ids as newCurrent). */
  followCurrent(generation: bigint): void;
  /** As a resync target that finished: take the source's generation. */
  adoptCurrent(generation: bigint, history: bigint[]): void;
  setBitmapGeneration(peerNodeId: number, generation: bigint): void;
  /** connected peers get every write: evicted AL extents need no bits for them */
  setPeerConnected(peerNodeId: number, connected: boolean): void;

  readonly flags: MetaFlags;
  setFlags(flags: Partial<MetaFlags>): void;
  close(): void;
}

export interface MetaFlags {
  consistent: boolean;
  wasUpToDate: boolean;
  primary: boolean;
  crashedPrimary: boolean;
}

import type { PeerMessage } from './peer-messages.js';

/** An authenticated link to one peer: bulk data and control messages on separate streams. */
export interface PeerLinkPort {
  readonly peerNodeId: number;
  /** bulk data in order; false when the send queue is full (wait for onDrain) */
  sendData(msg: PeerMessage): boolean;
  /** acks and small control messages, never queued behind bulk data */
  sendControl(msg: PeerMessage): void;
  onMessage(handler: (msg: PeerMessage) => void): void;
  onDrain(handler: () => void): void;
  onClose(handler: (reason: string) => void): void;
  close(reason: string): void;
}

/** Listens for and dials the peers of one resource; hands over each link once authenticated. */
export interface PeerConnectorPort {
  start(onLink: (link: PeerLinkPort) => void): Promise<void>;
  /** start dialing a peer again after disconnect */
  connect(peerNodeId: number): void;
  /** stop dialing a peer (StandAlone) */
  disconnect(peerNodeId: number): void;
  stop(): Promise<void>;
}

/** An NBD export of one volume; the engine supplies the backend, the NBD layer the protocol. */
export interface ExportPort {
  readonly address: string;
  close(): Promise<void>;
}
