// The replication engine's view of what peers say to each other. link-port.ts maps these onto
// the wire codec (src/wire); the engine stays independent of the frame format.
import type { DiskState, Role } from './states.js';

export interface VolumeState {
  volume: number;
  diskState: DiskState;
  sizeBytes: number;
  current: bigint;
  /** the sender's bitmap generation for the receiver */
  bitmapForReceiver: bigint;
  history: bigint[];
  crashedPrimary: boolean;
  /** the sender gives up its data in a split brain (tandem connect --discard-my-data) */
  discardMyData: boolean;
  outOfSyncBytes: number;
  /** byte ranges the sender may hold differently from other survivors since its Primary vanished */
  reconcile: Array<{ offset: number; length: number }>;
}

export type PeerMessage =
  | { type: 'State'; role: Role; volumes: VolumeState[] }
  /** missing: bit n set = diskful node n does not get this write (see src/wire/messages.ts) */
  | { type: 'Write'; volume: number; seq: number; offset: number; fua: boolean; missing: number; data: Buffer }
  | { type: 'WriteZeroes'; volume: number; seq: number; offset: number; length: number; missing: number }
  | { type: 'OutOfSync'; volume: number; offset: number; length: number; missing: number }
  | { type: 'Flush'; id: number }
  | { type: 'RecvAck'; seq: number }
  | { type: 'WriteAck'; seq: number }
  | { type: 'NegAck'; seq: number }
  | { type: 'FlushAck'; id: number }
  /** SyncSource → SyncTarget: this block, read from the source's UpToDate disk */
  | { type: 'ResyncData'; volume: number; id: number; offset: number; data: Buffer }
  | { type: 'ResyncAck'; volume: number; id: number; offset: number; length: number }
  /** SyncSource → SyncTarget: every out-of-sync block has been sent and acknowledged */
  | { type: 'ResyncDone'; volume: number; current: bigint; history: bigint[] }
  /** diskless client → diskful peer, and the answer */
  | { type: 'ReadRequest'; volume: number; id: number; offset: number; length: number }
  | { type: 'ReadReply'; volume: number; id: number; error: number; data: Buffer }
  | { type: 'Disconnect'; reason: string };

export type PeerMessageType = PeerMessage['type'];
