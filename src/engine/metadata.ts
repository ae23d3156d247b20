// The engine's view of one volume's replication metadata (src/meta's VolumeMetadata, opened by
// the platform): byte ranges become AL extents and bitmap bits; generation 0 ("none yet") is
// the engine's just-created generation; every change of the current generation is logged and
// emitted as an event with its reason.
import { AL_EXTENT_BYTES, BYTES_PER_BIT, type DeviceFlag } from '../meta/layout.js';
import type { VolumeMetadata } from '../meta/volume-metadata.js';
import { assert } from '../lib/assert.js';
import { UUID_JUST_CREATED, sameGeneration } from './sync-decision.js';

export interface MetaFlags {
  consistent: boolean;
  wasUpToDate: boolean;
  primary: boolean;
  crashedPrimary: boolean;
  /** was Primary when it lost quorum, and has not since been promoted with quorum or resynced:
   *  nothing it wrote after that was acknowledged (DRBD's PRIMARY_LOST_QUORUM) */
  primaryLostQuorum: boolean;
  /** detached after an I/O error, not known to be the only copy: attached again it is Consistent,
   *  not UpToDate, until a handshake decides (Volume.diskStateFromFlags) */
  diskFailed: boolean;
  /** with diskFailed: the failure was on reads alone, on a disk that held every write it stored,
   *  and it lost none (Resource.settleFailedDisk): it may claim to hold them, as one never detached */
  readErrorsOnly: boolean;
}

/** Where generation changes are reported (the resource's log and event bus). */
export interface GenerationSink {
  generationChanged(change: { generation: bigint; previous: bigint; reason: string }): void;
}

const fromMeta = (g: bigint): bigint => (g === 0n ? UUID_JUST_CREATED : g);
const toMeta = (g: bigint): bigint => (g === UUID_JUST_CREATED ? 0n : g);
const FLAG_NAMES: Record<keyof MetaFlags, DeviceFlag> = { consistent: 'CONSISTENT', wasUpToDate: 'WAS_UP_TO_DATE', primary: 'PRIMARY_IND', crashedPrimary: 'CRASHED_PRIMARY', primaryLostQuorum: 'PRIMARY_LOST_QUORUM', diskFailed: 'DISK_FAILED', readErrorsOnly: 'READ_ERRORS_ONLY' };

export class VolumeMeta {
  readonly flags: MetaFlags;
  /** cached runs for resync walks, per peer: recomputed when exhausted */
  private readonly runCache = new Map<number, Array<[number, number]>>();

  /**
   * skipUpdates is benchmark-only (TANDEM_BENCH_NO_METADATA=1, bench/datapath.ts): writes skip the
   * activity log and bitmap marking, to measure what metadata updates cost. Never crash-safe.
   */
  constructor(private readonly md: VolumeMetadata, private readonly sink: GenerationSink, private readonly skipUpdates = false) {
    this.flags = {
      consistent: md.hasDeviceFlag('CONSISTENT'),
      wasUpToDate: md.hasDeviceFlag('WAS_UP_TO_DATE'),
      primary: md.hasDeviceFlag('PRIMARY_IND'),
      crashedPrimary: md.recovery.crashed && md.hasDeviceFlag('PRIMARY_IND'),
      primaryLostQuorum: md.hasDeviceFlag('PRIMARY_LOST_QUORUM'),
      diskFailed: md.hasDeviceFlag('DISK_FAILED'),
      readErrorsOnly: md.hasDeviceFlag('READ_ERRORS_ONLY'),
    };
    // The Primary indicator becomes "crashed as Primary", which lasts until the node is resynced or
    // promoted; left set, any later crash (as Secondary) would count as a Primary's.
    if (this.flags.crashedPrimary) {
      md.setDeviceFlags(['CRASHED_PRIMARY'], ['PRIMARY_IND']);
      this.flags.primary = false;
    } else {
      this.flags.crashedPrimary = md.hasDeviceFlag('CRASHED_PRIMARY');
    }
  }

  get sizeBytes(): number {
    return this.md.superblock.volumeSize;
  }

  /** The metadata was not closed cleanly: this node went down without a clean detach. */
  get crashed(): boolean {
    return this.md.recovery.crashed;
  }

  /** The boot in which the data disk was last known to hold every write issued to it (null: unknown). */
  get bootId(): string | null {
    return this.md.superblock.bootId;
  }

  /** Persist the boot in which the data disk holds every write issued to it (null: no longer known). */
  recordBoot(bootId: string | null): void {
    this.md.setBootId(bootId);
  }

  /** The metadata was not closed cleanly: the AL extents were set out of sync for every peer. */
  get recoveredExtents(): number {
    return this.md.recovery.crashed ? this.md.recovery.extents.length : 0;
  }

  // ---- activity log ---------------------------------------------------------------------------

  /**
   * Make the AL cover [offset, offset+length), durably. null: already covered (no Promise). Pins
   * the whole range whenever it returns, even when the Promise later rejects: the caller owes one
   * endWrite either way. A throw pins nothing (what was pinned before it is released here), or a
   * failed write would hold its AL slots forever (seed 284886405 ended a pin that was never taken).
   */
  beginWrite(offset: number, length: number): Promise<void> | null {
    if (this.skipUpdates) return null;
    const first = firstExtent(offset);
    const waits: Array<Promise<void>> = [];
    for (let e = first; e <= lastExtent(offset, length); e++) {
      let r: true | Promise<void>;
      try {
        r = this.md.activate(e);
      } catch (err) {
        for (let done = first; done < e; done++) this.md.complete(done);
        throw err;
      }
      if (r !== true) waits.push(r);
    }
    if (waits.length === 0) return null;
    return waits.length === 1 ? waits[0] : Promise.all(waits).then(() => undefined);
  }

  /** The write on that range is settled locally and for every peer it went to. */
  endWrite(offset: number, length: number): void {
    if (this.skipUpdates) return; // beginWrite pinned nothing
    for (let e = firstExtent(offset); e <= lastExtent(offset, length); e++) this.md.complete(e);
  }

  /** Every AL extent of the range is pinned by a write in flight (M1, docs/ARCHITECTURE.md). */
  isPinned(offset: number, length: number): boolean {
    if (this.skipUpdates) return true;
    for (let e = firstExtent(offset); e <= lastExtent(offset, length); e++) if (this.md.pinned(e) === 0) return false;
    return true;
  }

  activeExtents(): Array<{ offset: number; length: number }> {
    return this.md.hotExtents().map((e) => ({ offset: e * AL_EXTENT_BYTES, length: Math.min(AL_EXTENT_BYTES, this.sizeBytes - e * AL_EXTENT_BYTES) }));
  }

  // ---- bitmap ---------------------------------------------------------------------------------

  /** `duringWrite`: the range's AL extents are pinned by a write in flight (persisted on eviction) */
  markOutOfSync(peer: number, offset: number, length: number, duringWrite = false): void {
    if (this.skipUpdates) return;
    this.md.setOutOfSync(peer, offset, length, { coveredByAl: duringWrite });
  }

  markInSync(peer: number, offset: number, length: number): void {
    this.md.setInSync(peer, offset, length);
  }

  markAllOutOfSync(peer: number): void {
    this.md.setOutOfSync(peer, 0, this.sizeBytes);
    this.runCache.delete(peer);
  }

  outOfSyncBytes(peer: number): number {
    return this.md.outOfSyncBytes(peer);
  }

  isOutOfSync(peer: number, offset: number): boolean {
    return this.md.isOutOfSync(peer, offset);
  }

  /** The first run of out-of-sync bytes at or after `from` for that peer (at most maxLength), or null. */
  nextOutOfSync(peer: number, from: number, maxLength: number): { offset: number; length: number } | null {
    const fromBit = Math.floor(from / BYTES_PER_BIT);
    for (let pass = 0; pass < 2; pass++) {
      for (const [a, b] of this.runs(peer, pass === 1)) {
        if (b <= fromBit) continue;
        const start = Math.max(a, fromBit);
        // bits cleared since the cache was made are skipped by re-testing the first bit
        if (!this.md.isOutOfSync(peer, start * BYTES_PER_BIT)) continue;
        const end = Math.min(b, start + Math.max(1, Math.floor(maxLength / BYTES_PER_BIT)));
        return { offset: start * BYTES_PER_BIT, length: Math.min((end - start) * BYTES_PER_BIT, this.sizeBytes - start * BYTES_PER_BIT) };
      }
      if (this.md.outOfSyncBytes(peer) === 0) return null;
    }
    return null;
  }

  /** This peer's out-of-sync bytes as at most maxRanges ranges (neighbours merged: a superset). */
  outOfSyncRanges(peer: number, maxRanges: number): Array<{ offset: number; length: number }> {
    if (this.md.outOfSyncBytes(peer) === 0) return [];
    let runs = this.md.bitmap.runs(this.md.peerSlot(peer));
    while (runs.length > maxRanges) runs = mergeNeighbours(runs);
    return runs.map(([a, b]) => ({ offset: a * BYTES_PER_BIT, length: Math.min(b * BYTES_PER_BIT, this.sizeBytes) - a * BYTES_PER_BIT }));
  }

  /** A connected, in-sync peer gets every write: an evicted AL extent needs no bits for it. */
  setPeerInSync(peer: number, inSync: boolean): void {
    this.md.setPeerInSync(peer, inSync);
  }

  setPeerConnected(peer: number, connected: boolean): void {
    this.md.setPeerFlags(peer, connected ? ['PEER_CONNECTED'] : [], connected ? [] : ['PEER_CONNECTED']);
  }

  private runs(peer: number, refresh: boolean): Array<[number, number]> {
    let runs = this.runCache.get(peer);
    if (!runs || refresh) {
      runs = this.md.bitmap.runs(this.md.peerSlot(peer));
      this.runCache.set(peer, runs);
    }
    return runs;
  }

  // ---- generations ----------------------------------------------------------------------------

  current(): bigint {
    return fromMeta(this.md.superblock.currentGeneration);
  }

  history(): bigint[] {
    return this.md.superblock.history.filter((h) => h !== 0n);
  }

  /** 0 is "no bitmap generation"; a bitmap kept against a just-created peer stores JUST_CREATED itself */
  bitmapGeneration(peer: number): bigint {
    return this.md.superblock.peers.find((x) => x.nodeId === peer)?.bitmapGeneration ?? 0n;
  }

  /**
   * Start a new data generation `fresh` (persisted on return, before any write of it is
   * acknowledged: M3, docs/ARCHITECTURE.md); absent peers keep the old one as their bitmap id.
   * `unacknowledged`: this Primary acknowledged no write since the generation it leaves (nor since
   * an older claim still standing), and the new one claims so until its first acknowledgement.
   */
  newCurrent(fresh: bigint, absentPeers: number[], reason: string, unacknowledged: boolean): void {
    for (const id of absentPeers) this.setPeerConnected(id, false);
    const since = unacknowledged ? (this.md.unacknowledgedSince || toMeta(this.current())) : 0n;
    this.change(() => this.md.followGeneration(fresh, since), reason);
  }

  /**
   * The generation of our lineage since which this node acknowledged no write, having started every
   * generation after it as Primary (null: no such claim). The generation handshake discards such
   * a node's changes since then rather than calling a split brain (generation-handshake.ts).
   */
  unacknowledgedSince(): bigint | null {
    const g = this.md.unacknowledgedSince;
    return g === 0n ? null : g;
  }

  /**
   * Before a write is acknowledged, or another node's data enters this disk: the claim above ends,
   * durably (the superblock is written once per claim: a check of a field on every other write).
   */
  endUnacknowledged(): void {
    if (this.md.unacknowledgedSince !== 0n) this.md.clearUnacknowledged();
  }

  /** Take a Primary's new generation as if started here (history and absent peers' bitmap ids). */
  followCurrent(generation: bigint, reason: string): void {
    if (sameGeneration(generation, this.current())) return;
    this.change(() => this.md.followGeneration(toMeta(generation)), reason);
  }

  /** As a resync target that finished: the source's generation, history and claim (0n: none; unacknowledgedSince). */
  adoptAfterResync(generation: bigint, sourceHistory: bigint[], claim: bigint, reason: string): void {
    this.change(() => this.md.adoptGeneration(toMeta(generation), sourceHistory.map(toMeta), toMeta(claim)), reason);
  }

  setBitmapGeneration(peer: number, generation: bigint): void {
    if (generation === 0n) this.md.retireBitmapGeneration(peer);
    else this.md.setBitmapGeneration(peer, generation);
  }

  private change(apply: () => void, reason: string): void {
    const previous = this.current();
    apply();
    const generation = this.current();
    assert(!this.history().some((h) => sameGeneration(h, generation)), 'the current generation is not in its own history');
    if (generation !== previous) this.sink.generationChanged({ generation, previous, reason });
  }

  // ---- flags ----------------------------------------------------------------------------------

  setFlags(flags: Partial<MetaFlags>): void {
    if (flags.diskFailed === false) flags = { ...flags, readErrorsOnly: false }; // it qualifies the failure, and goes with it
    const set: DeviceFlag[] = [];
    const clear: DeviceFlag[] = [];
    for (const [k, v] of Object.entries(flags) as Array<[keyof MetaFlags, boolean]>) {
      if (this.flags[k] === v) continue;
      (v ? set : clear).push(FLAG_NAMES[k]);
      this.flags[k] = v;
    }
    if (set.length + clear.length > 0) this.md.setDeviceFlags(set, clear);
  }

  close(): void {
    this.md.close();
  }
}

const firstExtent = (offset: number): number => Math.floor(offset / AL_EXTENT_BYTES);
const lastExtent = (offset: number, length: number): number => Math.floor((offset + Math.max(length, 1) - 1) / AL_EXTENT_BYTES);

/** Halve the number of runs by joining each pair (covering the gap: more resync, never less). */
function mergeNeighbours(runs: Array<[number, number]>): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let i = 0; i < runs.length; i += 2) out.push(i + 1 < runs.length ? [runs[i][0], runs[i + 1][1]] : runs[i]);
  return out;
}
