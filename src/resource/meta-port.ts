// Binds the engine's VolumeMetaPort to src/meta's VolumeMetadata: byte ranges become AL extents
// and bitmap bits, generation 0 ("none yet") is the engine's just-created generation.
import { VolumeMetadata, damageLogFields, isDamaged } from '../meta/volume-metadata.js';
import { AL_EXTENT_BYTES, BYTES_PER_BIT, type DeviceFlag } from '../meta/layout.js';
import { TandemError } from '../lib/errors.js';
import type { MetaFlags, VolumeMetaPort } from './ports.js';
import type { Resource } from './resource.js';
import { UUID_JUST_CREATED } from './sync-decision.js';
import type { Volume } from './volume.js';

export function openVolumeMeta(resource: Resource, volume: Volume): VolumeMetaPort {
  const placement = volume.config.meta;
  if (!placement) throw new TandemError('TANDEM_E_CONFIG', `volume ${volume.index} of ${resource.name} has a disk but no meta`);
  const meta = VolumeMetadata.open(`${placement.kind}:${placement.path}`);
  if (meta.superblock.nodeId !== resource.local.id) {
    meta.close();
    throw new TandemError('TANDEM_E_META', `metadata ${placement.path} belongs to node id ${meta.superblock.nodeId}, this node is ${resource.local.id}`, {
      hint: `recreate it with 'tandem md create ${resource.name} --force' on this node`,
    });
  }
  if (meta.recovery.crashed) {
    resource.log.warn('metadata was not closed cleanly: activity-log extents marked out of sync for every peer', { volume: volume.index, extents: meta.recovery.extents.length });
  }
  if (isDamaged(meta.recovery.damage)) resource.log.error('metadata failed its checksums: the damaged ranges are marked out of sync for every peer (md check says more)', { volume: volume.index, ...damageLogFields(meta.recovery.damage) });
  const skipUpdates = process.env.TANDEM_BENCH_NO_METADATA === '1';
  if (skipUpdates) resource.log.warn('TANDEM_BENCH_NO_METADATA=1: activity log and bitmap are NOT updated; writes are not crash-safe (benchmark only)', { volume: volume.index });
  // The engine records every block a peer misses, precisely and durably, when the write happens
  // (primary.ts: markAbsentPeers; transfer-log.ts: failAll), and an AL extent leaves the AL only
  // when no write to it is unsettled. So the metadata need not set a whole evicted extent's bits
  // for any peer: that would turn one missed 4 KiB block into 4 MiB of resync.
  for (const node of resource.config.nodes) {
    if (node.id !== resource.local.id && node.volumes.some((v) => v.disk !== null)) meta.setPeerInSync(node.id, true);
  }
  return new MetaAdapter(meta, skipUpdates);
}

const fromMeta = (g: bigint): bigint => (g === 0n ? UUID_JUST_CREATED : g);

class MetaAdapter implements VolumeMetaPort {
  readonly flags: MetaFlags;
  /** cached runs for resync walks, per peer: recomputed when exhausted */
  private readonly runCache = new Map<number, Array<[number, number]>>();

  /**
   * Benchmark-only (TANDEM_BENCH_NO_METADATA=1, bench/datapath.ts): writes skip the activity log
   * and bitmap marking, to measure what metadata updates cost. Never crash-safe.
   */
  constructor(private readonly meta: VolumeMetadata, private readonly skipUpdates = false) {
    this.flags = {
      consistent: meta.hasDeviceFlag('CONSISTENT'),
      wasUpToDate: meta.hasDeviceFlag('WAS_UP_TO_DATE'),
      primary: meta.hasDeviceFlag('PRIMARY_IND'),
      crashedPrimary: meta.recovery.crashed && meta.hasDeviceFlag('PRIMARY_IND'),
    };
    // the Primary indicator is turned into "crashed as Primary", which lasts until the node is
    // resynced or promoted; left set, any later crash (as Secondary) would count as a Primary's
    if (this.flags.crashedPrimary) {
      meta.setDeviceFlags(['CRASHED_PRIMARY'], ['PRIMARY_IND']);
      this.flags.primary = false;
    } else {
      this.flags.crashedPrimary = meta.hasDeviceFlag('CRASHED_PRIMARY');
    }
  }

  get sizeBytes(): number {
    return this.meta.superblock.volumeSize;
  }

  beginWrite(offset: number, length: number): Promise<void> | null {
    if (this.skipUpdates) return null;
    const first = Math.floor(offset / AL_EXTENT_BYTES);
    const last = Math.floor((offset + Math.max(length, 1) - 1) / AL_EXTENT_BYTES);
    let wait: Promise<void> | null = null;
    for (let e = first; e <= last; e++) {
      const r = this.meta.activate(e);
      if (r !== true) wait = wait ? wait.then(() => r) : r;
    }
    return wait;
  }

  endWrite(offset: number, length: number): void {
    if (this.skipUpdates) return; // beginWrite pinned nothing
    const first = Math.floor(offset / AL_EXTENT_BYTES);
    const last = Math.floor((offset + Math.max(length, 1) - 1) / AL_EXTENT_BYTES);
    for (let e = first; e <= last; e++) this.meta.complete(e);
  }

  markOutOfSync(peer: number, offset: number, length: number, duringWrite = false): void {
    if (this.skipUpdates) return;
    this.meta.setOutOfSync(peer, offset, length, { coveredByAl: duringWrite });
  }

  markInSync(peer: number, offset: number, length: number): void {
    this.meta.setInSync(peer, offset, length);
  }

  outOfSyncBytes(peer: number): number {
    return this.meta.outOfSyncBytes(peer);
  }

  nextOutOfSync(peer: number, from: number, maxLength: number): { offset: number; length: number } | null {
    const fromBit = Math.floor(from / BYTES_PER_BIT);
    for (let pass = 0; pass < 2; pass++) {
      const runs = this.runs(peer, pass === 1);
      for (const [a, b] of runs) {
        if (b <= fromBit) continue;
        const start = Math.max(a, fromBit);
        // bits cleared since the cache was made are skipped by re-testing the first bit
        if (!this.meta.isOutOfSync(peer, start * BYTES_PER_BIT)) continue;
        const end = Math.min(b, start + Math.max(1, Math.floor(maxLength / BYTES_PER_BIT)));
        return { offset: start * BYTES_PER_BIT, length: Math.min((end - start) * BYTES_PER_BIT, this.sizeBytes - start * BYTES_PER_BIT) };
      }
      if (this.meta.outOfSyncBytes(peer) === 0) return null;
    }
    return null;
  }

  private runs(peer: number, refresh: boolean): Array<[number, number]> {
    let runs = this.runCache.get(peer);
    if (!runs || refresh) {
      runs = this.meta.bitmap.runs(this.meta.peerSlot(peer));
      this.runCache.set(peer, runs);
    }
    return runs;
  }

  markAllOutOfSync(peer: number): void {
    this.meta.setOutOfSync(peer, 0, this.sizeBytes);
    this.runCache.delete(peer);
  }

  outOfSyncRanges(peer: number, maxRanges: number): Array<{ offset: number; length: number }> {
    if (this.meta.outOfSyncBytes(peer) === 0) return [];
    let runs = this.meta.bitmap.runs(this.meta.peerSlot(peer));
    while (runs.length > maxRanges) runs = mergeNeighbours(runs);
    return runs.map(([a, b]) => ({ offset: a * BYTES_PER_BIT, length: Math.min(b * BYTES_PER_BIT, this.sizeBytes) - a * BYTES_PER_BIT }));
  }

  activeExtents(): Array<{ offset: number; length: number }> {
    return this.meta.hotExtents().map((e) => ({ offset: e * AL_EXTENT_BYTES, length: Math.min(AL_EXTENT_BYTES, this.sizeBytes - e * AL_EXTENT_BYTES) }));
  }

  current(): bigint {
    return fromMeta(this.meta.superblock.currentGeneration);
  }

  bitmapGeneration(peer: number): bigint {
    // 0 is "no bitmap generation"; a bitmap kept against a just-created peer stores JUST_CREATED itself
    return this.meta.superblock.peers.find((x) => x.nodeId === peer)?.bitmapGeneration ?? 0n;
  }

  history(): bigint[] {
    return this.meta.superblock.history.filter((h) => h !== 0n);
  }

  newCurrent(absentPeers: number[]): bigint {
    for (const id of absentPeers) this.meta.setPeerFlags(id, [], ['PEER_CONNECTED']);
    return this.meta.newCurrentGeneration({ primary: true });
  }

  followCurrent(generation: bigint): void {
    this.meta.followGeneration(generation);
  }

  adoptCurrent(generation: bigint): void {
    this.meta.setCurrentGeneration(generation === UUID_JUST_CREATED ? 0n : generation);
  }

  setBitmapGeneration(peer: number, generation: bigint): void {
    if (generation === 0n) this.meta.retireBitmapGeneration(peer);
    else this.meta.setBitmapGeneration(peer, generation);
  }

  setPeerConnected(peer: number, connected: boolean): void {
    this.meta.setPeerFlags(peer, connected ? ['PEER_CONNECTED'] : [], connected ? [] : ['PEER_CONNECTED']);
  }

  setFlags(flags: Partial<MetaFlags>): void {
    const names = { consistent: 'CONSISTENT', wasUpToDate: 'WAS_UP_TO_DATE', primary: 'PRIMARY_IND', crashedPrimary: 'CRASHED_PRIMARY' } as const;
    const set: DeviceFlag[] = [];
    const clear: DeviceFlag[] = [];
    for (const [k, v] of Object.entries(flags) as Array<[keyof MetaFlags, boolean]>) {
      (v ? set : clear).push(names[k]);
      this.flags[k] = v;
    }
    this.meta.setDeviceFlags(set, clear);
  }

  close(): void {
    this.meta.close();
  }
}

/** Halve the number of runs by joining each pair (covering the gap: more resync, never less). */
function mergeNeighbours(runs: Array<[number, number]>): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let i = 0; i < runs.length; i += 2) out.push(i + 1 < runs.length ? [runs[i][0], runs[i + 1][1]] : runs[i]);
  return out;
}
