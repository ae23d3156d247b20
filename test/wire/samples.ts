// One valid example of every message type, with values at the edges of their ranges.
import type { MessageName, WireMessage } from '../../src/wire/messages.js';

const nonce16 = Buffer.alloc(16, 0xa5);
const nonce32 = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
const data = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7) & 0xff));
const maxSafe = Number.MAX_SAFE_INTEGER;

export const SAMPLES: { [N in MessageName]: Extract<WireMessage, { type: N }> } = {
  Hello: { type: 'Hello', versionMin: 1, versionMax: 65535, resource: 'r0-ünïcode', senderNodeId: 0, peerNodeId: 31, socketRole: 'control', connectionNonce: nonce16 },
  AuthChallenge: { type: 'AuthChallenge', nonce: nonce32 },
  AuthResponse: { type: 'AuthResponse', mac: nonce32 },
  AuthResult: { type: 'AuthResult', ok: false, reason: 'wrong secret' },
  Refuse: { type: 'Refuse', code: 'protocol', text: '' },
  Disconnect: { type: 'Disconnect', reason: 'admin: tandem disconnect r0' },
  State: {
    type: 'State', role: 'Primary', volumes: [
      {
        volume: 0, diskState: 'UpToDate', sizeBytes: 2 ** 40, current: 0xffff_ffff_ffff_fffen, bitmapForReceiver: 0n,
        history: [1n, 2n, 3n, 4n], flags: { crashedPrimary: true, wasUpToDate: true, consistent: false, discardMyData: false, newDataGeneration: true, survivedPrimaryLoss: false, primaryLostQuorum: false, resyncPaused: false, diskCrashed: true, crashedPrimaryIntact: false, readErrorsOnly: true, awaitsHolder: false },
        outOfSyncBits: 12345, unacknowledgedSince: 0x9389_4a58_cacc_3fe9n, reconcile: [{ offset: 0, length: 4 << 20 }, { offset: maxSafe, length: 0 }], reconcileSeq: 0xfffffffe, resyncPauses: 7, resyncPausesSeen: 0xffffffff, resyncedFrom: 255,
      },
      {
        volume: 65535, diskState: 'DUnknown', sizeBytes: 0, current: 4n, bitmapForReceiver: 7n, history: [],
        flags: { crashedPrimary: false, wasUpToDate: false, consistent: false, discardMyData: true, newDataGeneration: false, survivedPrimaryLoss: true, primaryLostQuorum: true, resyncPaused: true, diskCrashed: false, crashedPrimaryIntact: true, readErrorsOnly: false, awaitsHolder: true },
        outOfSyncBits: 0, unacknowledgedSince: 0n, reconcile: [], reconcileSeq: 0, resyncPauses: 0, resyncPausesSeen: 0, resyncedFrom: 0,
      },
    ],
  },
  StateChangeRequest: { type: 'StateChangeRequest', transactionId: 0xffff_ffff, initiatorNodeId: 2, nodeMask: 0b111, phase: 'commit', change: 'promote', volume: 0 },
  StateChangeReply: { type: 'StateChangeReply', transactionId: 1, result: 'retry', reason: 'two-phase commit in progress' },
  Write: { type: 'Write', volume: 1, seq: maxSafe, epoch: 7, offset: 4096, flags: { fua: true, flush: false }, missing: 0x8000_0004, data },
  WriteZeroes: { type: 'WriteZeroes', volume: 0, seq: 2, epoch: 7, offset: 8192, length: 65536, flags: { fua: false, flush: true }, missing: 0 },
  Trim: { type: 'Trim', volume: 0, seq: 3, epoch: 8, offset: 0, length: 0xffff_ffff },
  Barrier: { type: 'Barrier', epoch: 8, writeCount: 2048 },
  Flush: { type: 'Flush', id: 9 },
  OutOfSync: { type: 'OutOfSync', volume: 2, offset: 1 << 22, length: 4 << 20, missing: 0b1010 },
  RecvAck: { type: 'RecvAck', volume: 0, seq: 1 },
  WriteAck: { type: 'WriteAck', volume: 3, seq: 2 },
  NegAck: { type: 'NegAck', volume: 0, seq: 3, errno: 5 },
  BarrierAck: { type: 'BarrierAck', epoch: 8, writeCount: 2048 },
  FlushAck: { type: 'FlushAck', id: 9 },
  Ping: { type: 'Ping', id: 0 },
  PingAck: { type: 'PingAck', id: 0xffff_ffff },
  BitmapChunk: { type: 'BitmapChunk', volume: 0, bitOffset: 64, encoding: 'rle', last: true, payload: Buffer.from([1, 2, 3]) },
  ResyncRequest: { type: 'ResyncRequest', volume: 0, requestId: 1, offset: 1 << 30, length: 1 << 20 },
  ResyncData: { type: 'ResyncData', volume: 0, requestId: 1, offset: 1 << 30, missing: 0b101, data: Buffer.alloc(1 << 20, 0x5a) },
  ResyncAck: { type: 'ResyncAck', volume: 0, requestId: 1, offset: 1 << 30, length: 1 << 20 },
  ResyncDone: { type: 'ResyncDone', volume: 0, current: 99n, history: [98n, 97n], unacknowledgedSince: 97n },
  ChecksumRequest: { type: 'ChecksumRequest', volume: 0, requestId: 2, offset: 0, length: 4096, digest: Buffer.alloc(32, 1) },
  ChecksumReply: { type: 'ChecksumReply', volume: 0, requestId: 2, offset: 0, length: 4096, digest: Buffer.alloc(0) },
  ReadRequest: { type: 'ReadRequest', volume: 0, requestId: 3, offset: 512, length: 512 },
  ReadReply: { type: 'ReadReply', volume: 0, requestId: 3, errno: 0, data: Buffer.alloc(0) },
  Security: { type: 'Security', mode: 'tls', tlsAuth: 'certificate', dataIntegrity: 'crc32c', replicationProtocol: 'A', keyIds: [Buffer.alloc(8, 0x11), Buffer.alloc(8, 0xee)], csumsAlg: 'sha256' },
  ResyncChecksum: { type: 'ResyncChecksum', volume: 65535, requestId: 0xffff_ffff, offset: maxSafe, length: 1 << 20, digest: Buffer.alloc(64, 0xc3) },
  ResyncInSync: { type: 'ResyncInSync', volume: 0, requestId: 7, offset: 1 << 30, length: 256 * 1024 },
};
