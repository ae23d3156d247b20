// The Platform: everything the replication engine needs from the world, and nothing else.
//
// The engine (src/engine/) decides: roles, the write pipeline, applying a Primary's writes,
// the generation handshake, resync, the transfer log, quorum, fencing decisions. It owns no I/O:
// time, timers, randomness, peer links, backing disks, metadata, handler programs, NBD exports
// and logs all come through this interface. Two implementations exist:
//   src/platform/node/  the real daemon: TCP links, asynchronous disk I/O, PMEM/block metadata,
//                       execa for handlers, the NBD server;
//   src/platform/sim/   the deterministic simulator: one seeded scheduler orders every message
//                       delivery, disk completion and timer, with faults injected on purpose.
// A test (test/engine/no-io.test.ts) fails if an engine file reaches around this interface.
import type { CsumsAlg, ExportAddress, ResourceConfig, VolumeConfig } from '../config/model.js';
import type { Logger } from '../lib/log.js';
import type { VolumeMetadata } from '../meta/volume-metadata.js';
import type { NbdBackend } from '../nbd/backend.js';
import type { WireMessage } from '../wire/messages.js';

/** The digests a platform computes: every csums-alg but none. */
export type DigestAlg = Exclude<CsumsAlg, 'none'>;

export interface TimerHandle {
  cancel(): void;
}

/** Time as the engine sees it: monotonic milliseconds and one-shot timers. */
export interface Clock {
  now(): number;
  setTimer(delayMs: number, fire: () => void): TimerHandle;
}

/**
 * A backing disk, asynchronous: every call submits, and its Promise settles on completion.
 * Failures reject with an Error whose `code` is an errno name ('EIO', 'ENOSPC', ...).
 *
 * What the engine promises the device: no two requests in flight together touch the same 4 KiB
 * block (ranges are rounded out to 4 KiB before the engine's overlap check). A device may
 * therefore read-modify-write the edges of an unaligned request (O_DIRECT) without a lock.
 */
export interface BlockDevice {
  readonly path: string;
  readonly sizeBytes: number;
  /** how requests reach the medium, shown in status: e.g. 'io_uring O_DIRECT', 'page cache', 'sim' */
  readonly ioMode: string;
  read(offset: number, length: number): Promise<Buffer>;
  /** fua: durable when the Promise resolves (a FUA or RWF_DSYNC write, not a whole-file sync) */
  write(offset: number, data: Buffer, fua: boolean): Promise<void>;
  /** zeroes on the medium (fallocate/BLKZEROOUT where it exists); reads return zeros afterwards */
  writeZeroes(offset: number, length: number, fua: boolean): Promise<void>;
  /** every write completed before this call is durable when the Promise resolves */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** One authenticated connection to one peer: a bulk data stream and a control stream. */
export interface PeerLinkPort {
  readonly peerNodeId: number;
  /** bulk data in order; false once the link's byte bound is reached: send nothing more until onDrain */
  sendData(msg: WireMessage): boolean;
  /** acks and small control messages, never queued behind bulk data */
  sendControl(msg: WireMessage): void;
  /** stop delivering data-stream messages (the receiver's apply queue is full); control flows on */
  pauseData(): void;
  resumeData(): void;
  onMessage(handler: (msg: WireMessage) => void): void;
  onDrain(handler: () => void): void;
  onClose(handler: (reason: string) => void): void;
  close(reason: string): void;
  /**
   * A liveness check now: the link closes if the peer does not answer it within ping-timeout.
   * Resolves once the peer answered or the link closed.
   */
  probe(): Promise<void>;
}

/** Listens for and dials the peers of one resource; hands over each link once authenticated. */
export interface PeerConnectorPort {
  start(onLink: (link: PeerLinkPort) => void): Promise<void>;
  /** start dialing a peer again (after disconnect or a refusal) */
  connect(peerNodeId: number): void;
  /** stop dialing a peer (StandAlone) and close its link */
  disconnect(peerNodeId: number): void;
  stop(): Promise<void>;
}

/** An exported volume while this node is Primary (an NBD server, and a block device on top). */
export interface ExportPort {
  readonly address: string;
  /** the local block device path (/dev/tandem/<res>/<vol>) when a frontend is attached */
  readonly device: string | null;
  /** why the export cannot be closed now (the device is open or mounted), or null */
  busy(): Promise<string | null>;
  close(): Promise<void>;
}

export interface HandlerResult {
  /** -1 when the handler timed out or could not run */
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Handler programs (fence-peer, unfence-peer) and the cluster's view of our constraints. */
export interface HandlerRunner {
  run(name: string, env: Record<string, string>, timeoutMs: number): Promise<HandlerResult>;
  /** ids of fence constraints for this resource already in the cluster (adopted at start) */
  fenceConstraints(resource: string): Promise<string[]>;
}

export interface Platform {
  readonly clock: Clock;
  /** run fn after the current event (and its microtasks), before any timer due later */
  defer(fn: () => void): void;
  /** 64 random bits (generation identifiers) */
  randomU64(): bigint;
  /**
   * The digest of a block (csums-alg: a resync compares blocks by it). Asynchronous: hashing a
   * block costs about as much as reading it, so the real platform does it off the event loop.
   */
  digest(alg: DigestAlg, data: Buffer): Promise<Buffer>;
  /**
   * The machine's boot identifier (a UUID in text form; Linux: /proc/sys/kernel/random/boot_id),
   * read without blocking; null where the OS offers none. It changes when the machine restarts
   * (a power loss empties the disks' volatile caches) and not when only tandemd restarts (kill -9:
   * the OS page cache keeps every write tandemd issued). Resource.attachVolume tells the two apart.
   */
  bootId(): Promise<string | null>;
  readonly log: Logger;
  /** a state change for `tandem events` (the bus adds the time) */
  emit(event: { kind: string; resource: string; [field: string]: unknown }): void;
  openDisk(volume: VolumeConfig): Promise<BlockDevice>;
  /** the volume's replication metadata (superblock, AL, bitmap) on its pmem:/block: placement */
  openMetadata(volume: VolumeConfig): VolumeMetadata;
  connector(config: ResourceConfig, localNode: string, opts: { connectOnStart: boolean }): PeerConnectorPort;
  /** `address` null: no export is configured, but the frontend needs one (the platform picks a private one) */
  startExport(address: ExportAddress | null, name: string, backend: NbdBackend, request: ExportRequest): Promise<ExportPort>;
  readonly handlers: HandlerRunner;
  /** settings taken from the environment by the platform, never read by the engine itself */
  readonly settings: PlatformSettings;
}

/** What an export is for: the resource (its TLS settings for a tcp: export), the volume, the frontend. */
export interface ExportRequest {
  resource: ResourceConfig;
  volume: number;
  /** the resource's `frontend` setting: the block device on top of the export */
  frontend: 'auto' | 'nbd' | 'fuse' | 'none';
}

export interface PlatformSettings {
  /** where handlers find the configuration (TANDEM_CONFIG_DIR) */
  configDir: string;
  /** benchmark only: activity log and bitmap are not updated (TANDEM_BENCH_NO_METADATA=1) */
  skipMetadataUpdates: boolean;
}
