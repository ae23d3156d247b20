// The peer protocol's message catalogue: every message declared once, with its type number and
// fields (schema.ts). Type numbers and enum orders are part of the wire format: never renumber or
// reorder; add new entries at the end and raise PROTOCOL_VERSION_MAX (version.ts).
//
// Streams, as in DRBD: handshake messages travel on both sockets before a link exists; data and
// resync messages on the data socket; acks and pings on the control socket, so they are never
// queued behind bulk data.
import {
  arrayOf, bitsOf, bool, bytes, enumOf, fixed, safe, string, struct, tail, u16, u32, u64, u8,
  type RecordOf,
} from './schema.js';
import { MAX_DATA_BYTES } from './version.js';

/** Names as DRBD administrators know them; the index is the wire value. */
export const WIRE_ROLES = ['Unknown', 'Primary', 'Secondary'] as const;
export const WIRE_DISK_STATES = [
  'Diskless', 'Attaching', 'Inconsistent', 'Outdated', 'Consistent', 'UpToDate', 'Failed', 'DUnknown',
] as const;
export const SOCKET_ROLES = ['data', 'control'] as const;
export const REFUSE_CODES = [
  'version', 'resource', 'node-id', 'auth', 'busy', 'race', 'timeout', 'protocol',
  // protocol 2
  'security',
  // protocol 3
  'csums-alg',
  'replication-protocol',
] as const;
/** DRBD's protocols A, B, C: what a Primary waits for from the peer of one connection */
export const REPLICATION_PROTOCOLS = ['A', 'B', 'C'] as const;
/** transport-security: how a link is protected after the handshake (src/transport/security.ts) */
export const TRANSPORT_SECURITY_MODES = ['none', 'integrity', 'tls'] as const;
/** how TLS authenticates the two ends: a key derived from the secret, or certificates */
export const TLS_AUTH_METHODS = ['psk', 'certificate'] as const;
/** data-integrity-alg: the checksum every frame with bulk data carries */
export const DATA_INTEGRITY_ALGS = ['none', 'crc32c'] as const;
/** csums-alg: the digest a checksum-based resync compares blocks by ('none': every block is sent) */
export const CSUMS_ALGS = ['none', 'sha256'] as const;
/** a secret's public identifier (src/transport/secrets.ts) */
export const KEY_ID_BYTES = 8;

const NONCE_BYTES = 32;
const MAC_BYTES = 32;
/** Reasons and other free text; longer text is cut with fitText before sending. */
export const TEXT_MAX_BYTES = 512;
/** DRBD keeps 32 history ids per device; we carry at most that many. */
const HISTORY_MAX = 32;
/** Ranges a node may hold differently after its Primary vanished: bounded by the AL size. */
const RANGES_MAX = 8192;
const VOLUMES_MAX = 256;
/** the largest digest a message carries (SHA-512 size; sha256 uses 32) */
export const DIGEST_MAX = 64;

const range = struct({ offset: safe, length: safe });

const volumeState = struct({
  volume: u16,
  diskState: enumOf(WIRE_DISK_STATES),
  sizeBytes: safe,
  current: u64,
  /** the sender's bitmap generation for the receiver (0: none) */
  bitmapForReceiver: u64,
  history: arrayOf(u64, { max: HISTORY_MAX }),
  /** survivedPrimaryLoss: the sender stayed up when its Primary vanished (or, a Secondary, only its process restarted, in the same boot: engine/restart.ts) and holds all it acknowledged;
   *  primaryLostQuorum: it lost quorum as Primary and wrote nothing acknowledged since;
   *  resyncPaused: the sender takes resync data from another node first, and the receiver sends it none until this clears;
   *  diskCrashed: the sender's disk was attached after an unclean shutdown (kill, power loss): its cache may have lost writes it had acknowledged;
   *  crashedPrimaryIntact: with crashedPrimary, only the sender's process died (same boot: engine/restart.ts), its disk holds every write it made;
   *  readErrorsOnly: the sender's disk is back from a detach after read errors alone, on data that held every write it stored: it lost none (engine/sync-decision.ts keptItsWrites);
   *  awaitsHolder: the sender, Consistent after a crash, waits to hear another peer that may hold writes its crash lost: a split brain with it is not final yet (engine/generation-handshake.ts) */
  flags: bitsOf(16, ['crashedPrimary', 'wasUpToDate', 'consistent', 'discardMyData', 'newDataGeneration', 'survivedPrimaryLoss', 'primaryLostQuorum', 'resyncPaused', 'diskCrashed', 'crashedPrimaryIntact', 'readErrorsOnly', 'awaitsHolder']),
  outOfSyncBits: safe,
  /** a generation of the sender's lineage since which it acknowledged no write, having started every
   *  generation after it as Primary (0: no such claim; generation-handshake.ts) */
  unacknowledgedSince: u64,
  reconcile: arrayOf(range, { max: RANGES_MAX }),
  /** with reconcile ranges of a lost Primary: the seq of the last write the sender received from
   *  it, how far into its write stream the sender got (DRBD's dagtag; 0: none) */
  reconcileSeq: u32,
  /** how often the sender paused the receiver as its resync source on this link, and the
   *  receiver's count of that the sender last read (see PeerVolume in engine/peer.ts) */
  resyncPauses: u32,
  resyncPausesSeen: u32,
  /** node id + 1 of the node whose resync last made the sender UpToDate, since its disk last
   *  changed otherwise (0: none known); the sender's data equals that node's where the two keep
   *  no bits for each other (generation-handshake.ts, forgetStaleBits) */
  resyncedFrom: u8,
});

const writeFlags = bitsOf(8, ['fua', 'flush']);

export const MESSAGES = {
  // --- handshake (both sockets, before authentication) ---
  Hello: {
    id: 0x01,
    fields: {
      versionMin: u16,
      versionMax: u16,
      resource: string(64),
      senderNodeId: u8,
      /** whom the sender means to talk to; the receiver checks it is itself */
      peerNodeId: u8,
      socketRole: enumOf(SOCKET_ROLES),
      /** the same on the data and the control socket of one connection attempt */
      connectionNonce: fixed(16),
    },
  },
  AuthChallenge: { id: 0x02, fields: { nonce: fixed(NONCE_BYTES) } },
  AuthResponse: { id: 0x03, fields: { mac: fixed(MAC_BYTES) } },
  AuthResult: { id: 0x04, fields: { ok: bool, reason: string(TEXT_MAX_BYTES) } },
  Refuse: { id: 0x05, fields: { code: enumOf(REFUSE_CODES), text: string(TEXT_MAX_BYTES) } },
  Disconnect: { id: 0x06, fields: { reason: string(TEXT_MAX_BYTES) } },

  // --- state ---
  State: {
    id: 0x10,
    fields: { role: enumOf(WIRE_ROLES), volumes: arrayOf(volumeState, { max: VOLUMES_MAX }) },
  },
  /** cluster-wide two-phase state change (DRBD's twopc) */
  StateChangeRequest: {
    id: 0x11,
    fields: {
      transactionId: u32,
      initiatorNodeId: u8,
      /** bit n set: node n takes part in the transaction */
      nodeMask: u32,
      phase: enumOf(['prepare', 'commit', 'abort'] as const),
      change: enumOf(['promote', 'demote', 'outdate', 'detach', 'disconnect', 'invalidate'] as const),
      volume: u16,
    },
  },
  StateChangeReply: {
    id: 0x12,
    fields: { transactionId: u32, result: enumOf(['yes', 'no', 'retry'] as const), reason: string(TEXT_MAX_BYTES) },
  },

  // --- data (data socket) ---
  // missing: node ids (bit n = node n) of diskful peers that do not get this write from the
  // Primary; a receiver keeps their blocks out of sync (DRBD's peer-ack mask)
  Write: {
    id: 0x20,
    fields: { volume: u16, seq: safe, epoch: u32, offset: safe, flags: writeFlags, missing: u32, data: tail(MAX_DATA_BYTES) },
  },
  WriteZeroes: {
    id: 0x21,
    fields: { volume: u16, seq: safe, epoch: u32, offset: safe, length: u32, flags: writeFlags, missing: u32 },
  },
  Trim: { id: 0x22, fields: { volume: u16, seq: safe, epoch: u32, offset: safe, length: u32 } },
  /** closes an epoch: every write of epochs ≤ this one, on every volume, comes before it */
  Barrier: { id: 0x23, fields: { epoch: u32, writeCount: u32 } },
  Flush: { id: 0x24, fields: { id: u32 } },
  /**
   * DRBD's P_OUT_OF_SYNC: the range changed and the nodes in `missing` may not have it; the
   * receiver marks it out of sync for them (a diskless Primary's unconfirmed writes to a lost peer)
   */
  OutOfSync: { id: 0x25, fields: { volume: u16, offset: safe, length: u32, missing: u32 } },

  // --- acks and liveness (control socket) ---
  RecvAck: { id: 0x30, fields: { volume: u16, seq: safe } },
  WriteAck: { id: 0x31, fields: { volume: u16, seq: safe } },
  NegAck: { id: 0x32, fields: { volume: u16, seq: safe, errno: u16 } },
  BarrierAck: { id: 0x33, fields: { epoch: u32, writeCount: u32 } },
  FlushAck: { id: 0x34, fields: { id: u32 } },
  Ping: { id: 0x35, fields: { id: u32 } },
  PingAck: { id: 0x36, fields: { id: u32 } },

  // --- resync, verify, diskless reads ---
  /** out-of-sync bits from bitOffset: raw 64-bit little-endian words or a run-length encoding */
  BitmapChunk: {
    id: 0x40,
    fields: {
      volume: u16, bitOffset: safe, encoding: enumOf(['raw', 'rle'] as const), last: bool,
      payload: tail(MAX_DATA_BYTES),
    },
  },
  /**
   * SyncTarget → SyncSource (control): send the data of this range. With csums-alg, the answer
   * to a ResyncChecksum whose digest differs from the target's block (DRBD's P_RS_DATA_REQUEST).
   */
  ResyncRequest: { id: 0x41, fields: { volume: u16, requestId: u32, offset: safe, length: u32 } },
  // missing: node ids (bit n = node n) of diskful nodes the source keeps this range out of sync
  // for: they do not hold what the source sends, even in its generation (the target keeps the
  // range out of sync for them too)
  ResyncData: { id: 0x42, fields: { volume: u16, requestId: u32, offset: safe, missing: u32, data: tail(MAX_DATA_BYTES) } },
  ResyncAck: { id: 0x43, fields: { volume: u16, requestId: u32, offset: safe, length: u32 } },
  /** every out-of-sync block was sent and acknowledged: the target takes these generations, and
   *  the source's claim that no write was acknowledged since `unacknowledgedSince` (0: none; see
   *  State), which holds of the target's data too once it equals the source's */
  ResyncDone: { id: 0x44, fields: { volume: u16, current: u64, history: arrayOf(u64, { max: HISTORY_MAX }), unacknowledgedSince: u64 } },
  ChecksumRequest: {
    id: 0x45,
    fields: { volume: u16, requestId: u32, offset: safe, length: u32, digest: bytes(DIGEST_MAX) },
  },
  ChecksumReply: {
    id: 0x46,
    fields: { volume: u16, requestId: u32, offset: safe, length: u32, digest: bytes(DIGEST_MAX) },
  },
  ReadRequest: { id: 0x47, fields: { volume: u16, requestId: u32, offset: safe, length: u32 } },
  ReadReply: { id: 0x48, fields: { volume: u16, requestId: u32, errno: u16, data: tail(MAX_DATA_BYTES) } },

  // --- protocol 2 ---
  /**
   * Handshake, right after Hello on each socket: how the sender protects the link. Both ends must
   * state the same mode, TLS authentication and data-integrity-alg, or the acceptor refuses
   * ('security'). keyIds: the dialer lists the secrets it holds (current first, then a previous
   * one during a rotation); the acceptor answers with the one id both hold.
   * Protocol 3: csumsAlg, the digest the sender's resyncs compare blocks by; a different one is
   * refused ('csums-alg').
   * replicationProtocol (protocol 3): the sender's protocol for this connection; both ends must
   * state the same one, or the receiver refuses ('replication-protocol').
   */
  Security: {
    id: 0x07,
    fields: {
      mode: enumOf(TRANSPORT_SECURITY_MODES),
      tlsAuth: enumOf(TLS_AUTH_METHODS),
      dataIntegrity: enumOf(DATA_INTEGRITY_ALGS),
      replicationProtocol: enumOf(REPLICATION_PROTOCOLS),
      keyIds: arrayOf(fixed(KEY_ID_BYTES), { min: 1, max: 2 }),
      csumsAlg: enumOf(CSUMS_ALGS),
    },
  },

  // --- protocol 3: checksum-based resync (csums-alg) ---
  /**
   * SyncSource → SyncTarget (data stream, ordered with writes): the digest of the source's block
   * as read under its range lock. The target compares it with its own block at the same place in
   * the stream and answers ResyncInSync (equal) or ResyncRequest (differs: send the data).
   */
  ResyncChecksum: {
    id: 0x49,
    fields: { volume: u16, requestId: u32, offset: safe, length: u32, digest: bytes(DIGEST_MAX) },
  },
  /** SyncTarget → SyncSource (control): the range's digests were equal; the target cleared its bits (DRBD's P_RS_IS_IN_SYNC) */
  ResyncInSync: { id: 0x4a, fields: { volume: u16, requestId: u32, offset: safe, length: u32 } },
} as const;

export type MessageName = keyof typeof MESSAGES;
export type MessageOf<N extends MessageName> = { type: N } & RecordOf<(typeof MESSAGES)[N]['fields']>;
export type WireMessage = { [N in MessageName]: MessageOf<N> }[MessageName];

/** Messages allowed before a socket is authenticated. */
export const HANDSHAKE_MESSAGES: ReadonlySet<MessageName> = new Set<MessageName>([
  'Hello', 'AuthChallenge', 'AuthResponse', 'AuthResult', 'Refuse', 'Security',
]);

/** `text` cut to TEXT_MAX_BYTES of UTF-8 on a character boundary, so any reason can be sent. */
export function fitText(text: string): string {
  if (Buffer.byteLength(text, 'utf8') <= TEXT_MAX_BYTES) return text;
  let cut = '';
  for (const char of text) {
    if (Buffer.byteLength(cut + char, 'utf8') > TEXT_MAX_BYTES - 3) break;
    cut += char;
  }
  return `${cut}…`;
}
