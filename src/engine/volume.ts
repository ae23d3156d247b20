// One volume as this node holds it: the backing disk and its metadata (absent when diskless or
// detached), the local disk state, the range lock every request to the disk goes through, and
// the export while this node is Primary.
import type { VolumeConfig } from '../config/model.js';
import { assert } from '../lib/assert.js';
import type { VolumeMeta } from './metadata.js';
import type { Peer } from './peer.js';
import type { BlockDevice, ExportPort } from './platform.js';
import { RangeLock } from './range-lock.js';
import { ResyncDurability } from './resync-durability.js';
import type { DiskState } from './states.js';

/** A Primary's write that went to its peers but not to its own (attached, not yet UpToDate) disk. */
export interface OffDiskWrite {
  readonly seq: number;
  readonly offset: number;
  readonly length: number;
  /** null: zeroes */
  readonly data: Buffer | null;
  /** every peer has settled it (stored, or its blocks kept out of sync) */
  readonly settled: Promise<void>;
}

/** Who may hold the data a diskless Primary wrote in one of its exposed generations. */
export interface ExposedData {
  /** peers it sent writes to, and peers that stored writes a lost peer never confirmed */
  readonly writers: Set<number>;
  /**
   * Marks in `writers` that only unanswered writes justify (a lost peer did not confirm them,
   * another server may hold them): per peer, how many. A write that then fails held nothing
   * anyone was promised, so its marks go (exposed-generation.ts, WriteOutcome). Absent: all firm.
   */
  provisional?: Map<number, number>;
  /**
   * The generation began when the Primary's own disk failed: that disk held data only these
   * peers held too (every other peer in the generation before lacks it). null otherwise.
   */
  readonly ownDiskWith: ReadonlySet<number> | null;
}

export class Volume {
  diskState: DiskState = 'Diskless';
  /**
   * The node whose resync last made this disk UpToDate, until resync data from anyone changes it
   * again (null: none known; not persisted). Peers learn it from our State (resyncedFrom).
   */
  resyncedFrom: number | null = null;
  disk: BlockDevice | null = null;
  meta: VolumeMeta | null = null;
  export: ExportPort | null = null;
  /** known size: local disk's, or learned from a diskful peer when diskless */
  sizeBytes = 0;
  /** writes, resync reads and applied messages in flight on this volume, per 4 KiB block */
  readonly locks = new RangeLock();
  /**
   * Primary without a local disk only: the data generation it writes (DRBD's exposed data UUID),
   * newest first with the ones it replaced. Peers in this generation get its writes; the others
   * are "missing".
   */
  exposed: bigint[] = [];
  /**
   * With `exposed`: the lineage before its oldest entry (the failed disk's history, or the peer's
   * whose generation it took), told in our States after `exposed`, so a peer can tell whether it
   * is behind our generation or has left our lineage (generation-handshake.ts, missedDisklessWrites).
   */
  exposedAncestry: bigint[] = [];
  /**
   * Back from a process crash in the same boot with data that was UpToDate: the disk holds every
   * write it stored, so it holds what it acknowledged in this generation (restart.ts). Set at
   * attach; ends with the generation, a resync as target or a promotion.
   */
  intactRestart: bigint | null = null;
  /** the peer whose resync data this node is taking now (node id; set by its first ResyncData), one at a time */
  syncSource: number | null = null;
  /**
   * SyncTarget of `source` in the generation this disk already had, no resync data taken yet: the
   * disk still holds what it held (wasUpToDate: its flag then). If the source goes away first,
   * the disk is Consistent again, not Inconsistent (Resource.sourceLostBeforeData).
   */
  untouchedTarget: { source: number; wasUpToDate: boolean } | null = null;
  /**
   * SyncTarget: a Primary's replicated write reached this disk since it became one. The disk then
   * holds more than its source's data, and does not take the source's claim that nothing was
   * acknowledged in its generations (Resource.finishResyncAsTarget).
   */
  wroteByPrimaryAsTarget = false;
  /** peers that were in the generation a diskless Primary just replaced and follow it (link kept) */
  readonly followers = new Set<number>();
  /**
   * Diskless Primary, one entry per generation of `exposed`: who may hold data written in it. A
   * peer in an older generation misses writes only if another node may hold data written since
   * (exposed-generation.ts, missesWrites).
   */
  exposedData: ExposedData[] = [];
  /**
   * Primary with an attached disk it does not serve from (re-attached, resyncing as SyncTarget):
   * its writes that went to the peers only, until every peer settled them. A resync that ends
   * while one is on its way may not hold it, so finishResyncAsTarget writes them to the disk.
   */
  readonly writesOffDisk = new Set<OffDiskWrite>();
  /**
   * A Primary whose disk stopped serving has sent writes to its peers since: the disk, when it is
   * attached again, may be behind them. False again once the disk serves.
   */
  wroteWithoutDisk = false;
  /**
   * Primary: a peer it replicated to was lost with nothing unconfirmed, so the data has not moved
   * on yet; the new data generation starts with the next write (write-pipeline.ts), as DRBD makes
   * its new current UUID lazily. A Primary that crashes or is demoted before writing again keeps
   * the generation its peers know, and meeting them later is no split brain. The reasons, for the
   * generation event.
   */
  pendingNewGeneration: string[] = [];
  /**
   * The lost peer may lack writes already (some were unconfirmed): its new generation starts as
   * soon as the flush before it is done, with no write needed, and a demotion does not cancel it.
   */
  newGenerationUrgent = false;
  /**
   * A write was acknowledged that a lost peer lacks, in the generation that peer shared: one
   * answered while its new generation was pending, or one it never confirmed on protocol A or B.
   * The new generation then claims nothing (VolumeMeta.newCurrent): that peer's data is no longer
   * all that was acknowledged up to it.
   */
  acknowledgedBeforeNewGeneration = false;
  /** Primary: the flush the pending new generation waits for (Resource.newGenerationDurable), while it runs */
  newGenerationReady: Promise<void> | null = null;
  /**
   * The local disk failed and the requests it took are settling (Resource.localDiskFailed): a
   * Primary's new writes wait for this, since the peers it may go on through are known only then.
   */
  failing: Promise<void> | null = null;
  /**
   * While the failed disk detaches: it held every write it stored when it failed, and every error
   * since was a read, so it lost none (Resource.localDiskFailed; READ_ERRORS_ONLY in its metadata).
   */
  failureLostNoWrite = false;
  /** peers that did not store a write the failed disk had taken: they lack data it may hold alone */
  readonly failedDiskMissedBy = new Set<number>();
  /** Primary without a usable disk: its writes not answered yet, in order (write-pipeline.ts, joinedBy) */
  readonly unansweredDiskless = new Set<{ joinedBy(peer: Peer): void }>();
  /** the diskless writes sent since the oldest of those, answered or not, in order */
  disklessSent: Array<{ seq: number; offset: number; length: number }> = [];
  /** SyncTarget: resync data written, its bits cleared once a flush made it durable */
  readonly resyncDurability: ResyncDurability;
  /** requests using the disk or pinning the AL (a detach waits for them before closing either) */
  private readonly activity = new InFlight('volume activity ends once per begin');
  /** a Primary's writes submitted to the local disk and not completed yet */
  private readonly localWrites = new InFlight('a local write ends once per begin');

  constructor(readonly config: VolumeConfig) {
    this.resyncDurability = new ResyncDurability(config.index);
  }

  get index(): number {
    return this.config.index;
  }

  /** configured with a disk (it may be detached now: see `attached`) */
  get diskful(): boolean {
    return this.config.disk !== null;
  }

  /** a local disk and its metadata are in use */
  get attached(): boolean {
    return this.disk !== null && this.meta !== null;
  }

  /** the local disk serves I/O (attached and UpToDate); otherwise a Primary goes through its peers */
  get usable(): boolean {
    return this.attached && this.diskState === 'UpToDate';
  }

  /** The local disk serves this Primary's writes (again): no exposed generation, nothing written past the disk. */
  servesOwnDisk(): void {
    this.exposed = [];
    this.exposedAncestry = [];
    this.followers.clear();
    this.wroteWithoutDisk = false;
    this.exposedData = [];
  }

  beginActivity(): void {
    this.activity.begin();
  }

  endActivity(): void {
    this.activity.end();
  }

  beginLocalWrite(): void {
    this.localWrites.begin();
  }

  endLocalWrite(): void {
    this.localWrites.end();
  }

  /** Every local write submitted until now has completed (a flush then covers them). */
  whenLocalWritesDone(): Promise<void> {
    return this.localWrites.whenNone();
  }

  whenIdle(): Promise<void> {
    return this.activity.whenNone();
  }

  /**
   * Disk state derived from the metadata flags at attach (DRBD's disk_state_from_md). A disk that
   * failed without being known the only copy holds what it held (Consistent), but peers may have
   * gone on without it, or hold what it failed to write: a handshake decides whether it is current.
   */
  static diskStateFromFlags(flags: { consistent: boolean; wasUpToDate: boolean; diskFailed: boolean }): DiskState {
    if (!flags.consistent) return 'Inconsistent';
    if (!flags.wasUpToDate) return 'Outdated';
    return flags.diskFailed ? 'Consistent' : 'UpToDate';
  }
}

/** A count of things in flight, and who waits for it to reach zero. */
class InFlight {
  private count = 0;
  private waiters: Array<() => void> = [];

  constructor(private readonly unbalanced: string) {}

  begin(): void {
    this.count++;
  }

  end(): void {
    assert(this.count > 0, this.unbalanced);
    if (--this.count > 0) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  whenNone(): Promise<void> {
    if (this.count === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}
