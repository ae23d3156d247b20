// VolumeMetadata: the in-process API the daemon uses for one volume's metadata — superblock,
// generations, activity log and bitmap over one MetaStore. Every method that changes state
// returns only once the change is durable (activate: when its result is `true` or its Promise
// resolves).
import { randomBytes } from 'node:crypto';
import { TandemError } from '../lib/errors.js';
import { assert } from '../lib/assert.js';
import { ActivityLog, BlockRing, PmemSlotTable, type ActivityLogHooks, type AlDamage, type AlJournal } from './activity-log.js';
import { Bitmap, type DamagedPage } from './bitmap.js';
import { adoptGeneration, randomGeneration, retireBitmapGeneration, startGeneration } from './generations.js';
import {
  AL_EXTENT_BYTES, AL_EXTENT_SHIFT, BLOCK, BYTES_PER_BIT, DEFAULT_AL_EXTENTS, DEVICE_FLAGS, FREE_EXTENT, HISTORY_LENGTH,
  NO_NODE, PEER_FLAGS, extentCount, geometry, type DeviceFlag, type Geometry, type PeerFlag,
} from './layout.js';
import { createPlacement, openPlacement, parsePlacement, type CreateOptions, type Placement } from './placement.js';
import { normalizeBootId, readSuperblock, writeSuperblock, type Superblock } from './superblock.js';
import type { MetaStore } from './store.js';

export interface CreateMetadataOptions extends CreateOptions, Omit<OpenOptions, 'readOnly'> {
  volumeSize: number;
  maxPeers: number;
  nodeId: number;
  alExtents?: number;
  /** Overwrite valid metadata. */
  force?: boolean;
}

export interface OpenOptions {
  /** Inspect only: no recovery, no writes (md show/dump/check). */
  readOnly?: boolean;
  /** Source of new generation ids (tests inject a deterministic one); random by default. */
  newGenerationId?: (primary: boolean) => bigint;
  /** Where the block AL writes one tick's activations (setImmediate by default; the simulator's scheduler there). */
  defer?: (fn: () => void) => void;
}

export interface Recovery {
  /** The AL was not clean at open: these extents' bits were set for every peer slot. */
  crashed: boolean;
  extents: number[];
  /** Checksum failures found at open, and how they were read (read-only opens only report). */
  damage: MetaDamage;
}

export interface MetaDamage {
  /** Bitmap pages whose checksum failed: every bit of them set for every slot. */
  bitmapPages: Array<DamagedPage & { volumeOffset: number; volumeLength: number }>;
  activityLog: AlDamage[];
  /** The AL was not clean and its hot set cannot be rebuilt: the whole volume is marked for every slot. */
  hotSetLost: boolean;
}

/** True when open found any checksum failure. */
export function isDamaged(d: MetaDamage): boolean {
  return d.bitmapPages.length > 0 || d.activityLog.length > 0;
}

/** The damage as log fields: what failed and which volume ranges are now out of sync for every peer. */
export function damageLogFields(d: MetaDamage): Record<string, unknown> {
  return {
    bitmapPages: d.bitmapPages.length,
    ranges: d.hotSetLost ? 'the whole volume' : d.bitmapPages.slice(0, 16).map((p) => `${p.volumeOffset}+${p.volumeLength}`).join(' ') + (d.bitmapPages.length > 16 ? ' …' : ''),
    activityLog: d.activityLog.map((a) => a.message),
  };
}

export class VolumeMetadata {
  private sb: Superblock;
  private copy: number;
  private closed = false;
  readonly geometry: Geometry;
  readonly bitmap: Bitmap;
  readonly recovery: Recovery;
  private readonly al: ActivityLog;
  private readonly alHooks: ActivityLogHooks = { beforeEvict: (evicted) => this.markEvicted(evicted), defer: (fn) => (this.opts.defer ?? setImmediate)(fn) };
  /** Peers (node ids) currently known to be in sync: their bits need not be set on eviction. */
  private readonly inSync = new Set<number>();

  /** Format new metadata on a placement (`pmem:/dev/shm/x`, `block:/var/lib/x#r0/0`) or a store. */
  static create(where: string | MetaStore, opts: CreateMetadataOptions): VolumeMetadata {
    const g = geometry(opts.volumeSize, opts.maxPeers, opts.alExtents ?? DEFAULT_AL_EXTENTS);
    checkNodeId(opts.nodeId);
    const placement = typeof where === 'string' ? parsePlacement(where) : undefined;
    if (placement && !opts.force) refuseValidPlacement(placement);
    const store = placement ? createPlacement(placement, g.areaLength, opts) : where as MetaStore;
    const name = placement?.text ?? 'metadata';
    try {
      if (!opts.force) refuseValid(store, name);
      format(store, g, opts.nodeId);
      return new VolumeMetadata(store, name, { newGenerationId: opts.newGenerationId });
    } catch (err) {
      store.close();
      throw err;
    }
  }

  static open(where: string | MetaStore, opts: OpenOptions = {}): VolumeMetadata {
    const store = typeof where === 'string' ? openPlacement(parsePlacement(where)) : where;
    try {
      return new VolumeMetadata(store, typeof where === 'string' ? where : 'metadata', opts);
    } catch (err) {
      store.close();
      throw err;
    }
  }

  private constructor(private readonly store: MetaStore, readonly where: string, private readonly opts: OpenOptions) {
    const read = readSuperblock(store, where);
    this.sb = frozen(read.sb);
    this.copy = read.copy;
    this.geometry = geometry(this.sb.volumeSize, this.sb.maxPeers, this.sb.alExtents);
    if (this.sb.alFormat !== store.kind && !opts.readOnly) {
      throw new TandemError('TANDEM_E_META', `${where}: metadata was created for ${this.sb.alFormat}: placement, opened as ${store.kind}:`, {
        hint: `open it as ${this.sb.alFormat}:<path>, or recreate it`,
      });
    }
    this.bitmap = new Bitmap(store, this.geometry);
    const journal = this.journal();
    const dirty = (this.sb.deviceFlags & DEVICE_FLAGS.AL_CLEAN) === 0;
    const loaded = journal.load();
    const extents = [...loaded.table].filter((e) => e !== FREE_EXTENT);
    const volumeExtents = extentCount(this.sb.volumeSize);
    const beyond = extents.filter((e) => e >= volumeExtents);
    if (beyond.length > 0) {
      // a valid entry naming no extent of this volume: the table cannot be trusted
      loaded.damage.push({ message: `extents ${beyond.slice(0, 5).join(', ')} are beyond the volume's ${volumeExtents} extents of ${AL_EXTENT_BYTES} bytes`, incomplete: true });
    }
    const damage: MetaDamage = {
      bitmapPages: this.bitmap.damaged.map((d) => ({ ...d, ...this.volumeRange(d.firstBit, d.endBit) })),
      activityLog: loaded.damage,
      hotSetLost: dirty && loaded.damage.some((d) => d.incomplete),
    };
    this.recovery = { crashed: dirty, extents: dirty ? extents : [], damage };
    if (!opts.readOnly) this.recover(journal, dirty, extents, damage);
    // after recover() the table is the new epoch's (empty) when the AL was re-initialised
    this.al = new ActivityLog(journal, opts.readOnly ? loaded.table : journal.load().table, this.alHooks);
  }

  /**
   * The data disk these metadata describe: its volatile cache is flushed before an extent with
   * writes since the last flush leaves the AL (invariant M2, docs/ARCHITECTURE.md).
   */
  flushDataDiskWith(flush: () => Promise<void>): void {
    this.alHooks.flushData = flush;
  }

  /** The current superblock; frozen, so it is handed out without a copy (callers read it often). */
  get superblock(): Readonly<Superblock> {
    return this.sb;
  }

  get kind(): MetaStore['kind'] {
    return this.store.kind;
  }

  /** True when persists are CPU cache flushes (PMEM), false when msync/fdatasync. */
  get isPmem(): boolean {
    return this.store.isPmem;
  }

  // ---- activity log ----------------------------------------------------------------------

  /**
   * Make `extent` durable in the AL before a write to it is submitted (invariant M1) and pin it
   * until complete(). Returns `true` when that is already so (the hot fast path, no Promise).
   */
  activate(extent: number): true | Promise<void> {
    this.checkWritable();
    assert(Number.isInteger(extent) && extent >= 0 && extent < extentCount(this.sb.volumeSize), 'extent inside the volume');
    return this.al.activate(extent);
  }

  /** The write on `extent` finished (locally and on every peer it went to): unpin it. */
  complete(extent: number): void {
    this.al.complete(extent);
  }

  /** What open found failing its checksums, as log fields; null when nothing did. */
  damageReport(): Record<string, unknown> | null {
    return isDamaged(this.recovery.damage) ? damageLogFields(this.recovery.damage) : null;
  }

  /** Writes in flight on `extent` (activations not yet completed). */
  pinned(extent: number): number {
    return this.al.pinned(extent);
  }

  /** Extents in the AL, least recently used first. */
  hotExtents(): number[] {
    return this.al.hot();
  }

  /** Peer known identical for every write from now on (connected, UpToDate, synchronous replication). */
  setPeerInSync(nodeId: number, inSync: boolean): void {
    if (inSync) this.inSync.add(nodeId); else this.inSync.delete(nodeId);
  }

  // ---- bitmap ------------------------------------------------------------------------------

  /** The bitmap slot of a peer, assigned (and persisted) on first use. */
  peerSlot(nodeId: number): number {
    checkNodeId(nodeId);
    const found = this.sb.peers.findIndex((p) => p.nodeId === nodeId);
    if (found >= 0) return found;
    this.checkWritable();
    const free = this.sb.peers.findIndex((p) => p.nodeId === NO_NODE);
    if (free < 0 || nodeId === this.sb.nodeId) {
      throw new TandemError('TANDEM_E_META_SPACE', `${this.where}: no bitmap slot for node ${nodeId} (${this.sb.maxPeers} slots, used by nodes ${this.sb.peers.map((p) => p.nodeId).join(', ')})`, {
        hint: nodeId === this.sb.nodeId ? 'a node has no bitmap slot for itself' : 'recreate the metadata with more --peers (DRBD: max-peers)',
      });
    }
    const peers = this.sb.peers.map((p, i) => (i === free ? { nodeId, flags: PEER_FLAGS.NODE_EXISTS, bitmapGeneration: 0n, bitmapIndex: i } : p));
    this.update({ peers });
    return free;
  }

  /**
   * Mark [offset, offset + length) out of sync with a peer; durable on return. With
   * `coveredByAl`, for a range whose extents are pinned in the AL (a write in flight): the bits
   * are kept in memory and written when the extent leaves the AL (markEvicted) or at close. A
   * crash before that is covered by invariant M1: recovery sets every AL extent's bits.
   */
  setOutOfSync(nodeId: number, offset: number, length: number, opts: { coveredByAl?: boolean } = {}): void {
    this.checkWritable();
    const [first, end] = this.bitmap.bitsOf(offset, length);
    const slot = this.peerSlot(nodeId);
    if (!opts.coveredByAl) {
      this.bitmap.set([slot], first, end);
      return;
    }
    const last = Math.floor((offset + Math.max(length, 1) - 1) / AL_EXTENT_BYTES);
    for (let e = Math.floor(offset / AL_EXTENT_BYTES); e <= last; e++) {
      assert(this.al.pinned(e) > 0, 'bits held in memory are covered by a pinned AL extent');
    }
    this.bitmap.hold([slot], first, end);
  }

  /** Only once the blocks are known identical on that peer (invariant M2). */
  setInSync(nodeId: number, offset: number, length: number): void {
    this.checkWritable();
    this.bitmap.clear([this.peerSlot(nodeId)], ...this.bitmap.bitsOf(offset, length));
  }

  isOutOfSync(nodeId: number, offset: number): boolean {
    return this.bitmap.test(this.peerSlot(nodeId), Math.floor(offset / BYTES_PER_BIT));
  }

  outOfSyncBytes(nodeId: number): number {
    return this.bitmap.count(this.peerSlot(nodeId)) * BYTES_PER_BIT;
  }

  // ---- generations and flags -----------------------------------------------------------------

  /** Start a new data generation; persisted before return (invariant M3). */
  newCurrentGeneration(opts: { primary: boolean }): bigint {
    this.checkWritable();
    const next = (this.opts.newGenerationId ?? randomGeneration)(opts.primary);
    this.sb = { ...startGeneration(this.sb, next), unacknowledgedSince: 0n };
    this.persistSuperblock();
    return next;
  }

  /**
   * Take a generation another node started (a diskless Primary's), as if started here: the old
   * current id goes to the history and absent peers keep it as their bitmap id. Persisted on return.
   * `unacknowledgedSince` (0: none) is the claim that goes with it, in the same superblock write:
   * a generation this node starts as Primary before it acknowledges anything in it claims that no
   * write was acknowledged since that id; any other generation claims nothing.
   */
  followGeneration(id: bigint, unacknowledgedSince = 0n): void {
    this.checkWritable();
    this.sb = { ...startGeneration(this.sb, id), unacknowledgedSince };
    this.persistSuperblock();
  }

  /**
   * As a resync target that finished: the source's generation and its history (adoptGeneration),
   * and the source's claim (`unacknowledgedSince`, 0: none), which its data brings along.
   */
  adoptGeneration(id: bigint, sourceHistory: readonly bigint[], unacknowledgedSince = 0n): void {
    this.checkWritable();
    this.sb = { ...adoptGeneration(this.sb, id, sourceHistory), unacknowledgedSince };
    this.persistSuperblock();
  }

  get unacknowledgedSince(): bigint {
    return this.sb.unacknowledgedSince;
  }

  /** The claim ends, durably on return: a write is about to be acknowledged, or another node's data arrives. */
  clearUnacknowledged(): void {
    if (this.sb.unacknowledgedSince !== 0n) this.update({ unacknowledgedSince: 0n });
  }

  setCurrentGeneration(id: bigint): void {
    this.update({ currentGeneration: id, unacknowledgedSince: 0n });
  }

  retireBitmapGeneration(nodeId: number): void {
    this.checkWritable();
    this.sb = retireBitmapGeneration(this.sb, this.peerSlot(nodeId));
    this.persistSuperblock();
  }

  /** Record which generation of the peer this peer's bits are relative to (a resync starting). */
  setBitmapGeneration(nodeId: number, id: bigint): void {
    const slot = this.peerSlot(nodeId);
    this.update({ peers: this.sb.peers.map((p, i) => (i === slot ? { ...p, bitmapGeneration: id } : p)) });
  }

  /** Record the boot in which the data disk holds every write issued to it (null: unknown). */
  setBootId(bootId: string | null): void {
    const id = normalizeBootId(bootId);
    if (id === this.sb.bootId) return;
    this.update({ bootId: id });
  }

  setDeviceFlags(set: DeviceFlag[], clear: DeviceFlag[] = []): void {
    let flags = this.sb.deviceFlags;
    for (const f of set) flags |= DEVICE_FLAGS[f];
    for (const f of clear) flags &= ~DEVICE_FLAGS[f];
    this.update({ deviceFlags: flags >>> 0 });
  }

  hasDeviceFlag(flag: DeviceFlag): boolean {
    return (this.sb.deviceFlags & DEVICE_FLAGS[flag]) !== 0;
  }

  setPeerFlags(nodeId: number, set: PeerFlag[], clear: PeerFlag[] = []): void {
    const slot = this.peerSlot(nodeId);
    let flags = this.sb.peers[slot].flags;
    for (const f of set) flags |= PEER_FLAGS[f];
    for (const f of clear) flags &= ~PEER_FLAGS[f];
    this.update({ peers: this.sb.peers.map((p, i) => (i === slot ? { ...p, flags: flags >>> 0 } : p)) });
  }

  /** Clean shutdown: no writes in flight and the bitmap covers the hot set, so the AL needs no replay. */
  close(): void {
    if (this.closed) return;
    if (!this.opts.readOnly) {
      const busy = this.al.hot().filter((e) => this.al.pinned(e) > 0);
      if (busy.length > 0) {
        throw new TandemError('TANDEM_E_STATE', `${this.where}: ${busy.length} extents still have writes in flight`, {
          hint: 'wait for every write to complete before closing the metadata',
        });
      }
      // AL_CLEAN promises the AL needs no replay: hot extents get the bits an eviction would give them.
      this.markEvicted(this.al.hot());
      assert(this.bitmap.heldExtents().length === 0, 'every held bit lies in a hot extent');
      this.update({ deviceFlags: (this.sb.deviceFlags | DEVICE_FLAGS.AL_CLEAN) >>> 0 });
    }
    this.closed = true;
    this.store.close();
  }

  // ---- internals -----------------------------------------------------------------------------

  private journal(): AlJournal {
    const { alOffset, alExtents, alEpoch } = this.sb;
    return this.sb.alFormat === 'pmem'
      ? new PmemSlotTable(this.store, alOffset, alExtents, alEpoch)
      : new BlockRing(this.store, alOffset, alExtents, alEpoch);
  }

  /**
   * After a crash every AL extent may differ on every peer (invariant M1): set their bits in every
   * slot, then re-initialise the AL (a new epoch). Damage is read in the safe direction, never
   * refused: a damaged bitmap page gets all its bits set, and an AL that cannot be rebuilt after a
   * crash marks the whole volume — a refusal would leave the administrator nothing better than
   * re-creating the metadata, which loses the generations and forces a full sync anyway. The
   * caller logs recovery.damage. Either way the AL is in use from now on.
   */
  private recover(journal: AlJournal, dirty: boolean, extents: number[], damage: MetaDamage): void {
    const all = this.sb.peers.map((_, slot) => slot);
    this.bitmap.repair();
    if (damage.hotSetLost) {
      this.bitmap.set(all, 0, this.volumeBits());
    } else if (dirty) {
      for (const e of extents) this.bitmap.hold(all, ...this.extentBits(e));
      this.bitmap.writeBack(extents);
    }
    const reinit = dirty || damage.activityLog.length > 0;
    const alEpoch = reinit ? (this.sb.alEpoch + 1) >>> 0 : this.sb.alEpoch;
    if (reinit) journal.setEpoch(alEpoch);
    this.update({ alEpoch, deviceFlags: (this.sb.deviceFlags & ~DEVICE_FLAGS.AL_CLEAN) >>> 0 });
    // only now: until the new epoch is durable, a crash must still find the old AL content
    if (damage.activityLog.length > 0) journal.scrub();
  }

  /**
   * Before an idle extent leaves the AL: its bits, for every peer not known in sync (invariant M2).
   * Unassigned slots are skipped: a peer given a slot later has no bitmap generation in common
   * with us, so the handshake asks for a full sync anyway.
   */
  private markEvicted(extents: readonly number[]): void {
    // every AL eviction runs this (most writes of a scattered workload): no arrays while every peer is in sync
    let slots: number[] | null = null;
    const peers = this.sb.peers;
    for (let slot = 0; slot < peers.length; slot++) {
      const id = peers[slot].nodeId;
      if (id !== NO_NODE && !this.inSync.has(id)) (slots ??= []).push(slot);
    }
    if (slots) for (const e of extents) this.bitmap.hold(slots, ...this.extentBits(e));
    this.bitmap.writeBack(extents); // with the bits held for writes in flight: one persist for all
  }

  /** Bits of an extent (the last one ends with the volume). */
  private extentBits(extent: number): [number, number] {
    const first = extent * (AL_EXTENT_BYTES / BYTES_PER_BIT);
    return [first, Math.min(first + AL_EXTENT_BYTES / BYTES_PER_BIT, this.volumeBits())];
  }

  private volumeBits(): number {
    return Math.ceil(this.sb.volumeSize / BYTES_PER_BIT);
  }

  private volumeRange(firstBit: number, endBit: number): { volumeOffset: number; volumeLength: number } {
    const volumeOffset = Math.min(firstBit * BYTES_PER_BIT, this.sb.volumeSize);
    return { volumeOffset, volumeLength: Math.min(endBit * BYTES_PER_BIT, this.sb.volumeSize) - volumeOffset };
  }

  private update(change: Partial<Superblock>): void {
    this.checkWritable();
    this.sb = { ...this.sb, ...change };
    this.persistSuperblock();
  }

  private persistSuperblock(): void {
    this.sb = frozen({ ...this.sb, seq: this.sb.seq + 1 });
    this.copy = writeSuperblock(this.store, this.sb, this.copy);
  }

  private checkWritable(): void {
    if (this.closed) throw new TandemError('TANDEM_E_STATE', `${this.where}: metadata is closed`, { hint: 'open it again' });
    if (this.opts.readOnly) throw new TandemError('TANDEM_E_STATE', `${this.where}: metadata is open read-only`, { hint: 'open it without readOnly to change it' });
  }
}

/** Superblocks are replaced, never changed in place, so snapshots handed out stay true. */
function frozen(sb: Superblock): Superblock {
  sb.peers.forEach((p) => Object.freeze(p));
  Object.freeze(sb.peers);
  Object.freeze(sb.history);
  return Object.freeze(sb);
}

function format(store: MetaStore, g: Geometry, nodeId: number): void {
  // Write zeros over the AL and bitmap: clears what a --force re-create finds, and preallocates a
  // new file (first writes to sparse blocks cost allocation and journal work on the write path).
  const zeros = new Uint8Array(1 << 20);
  for (let off = BLOCK * 2; off < g.areaLength; off += zeros.length) store.write(off, zeros.subarray(0, Math.min(zeros.length, g.areaLength - off)));
  if (store.kind === 'pmem') new PmemSlotTable(store, g.alOffset, g.alExtents, 1).format();
  Bitmap.format(store, g);
  store.persist(0, g.areaLength);
  const sb: Superblock = {
    seq: 0, volumeSize: g.volumeSize, areaLength: g.areaLength, nodeId, maxPeers: g.maxPeers,
    deviceFlags: DEVICE_FLAGS.AL_CLEAN, bytesPerBit: BYTES_PER_BIT, alExtentShift: AL_EXTENT_SHIFT, alExtents: g.alExtents,
    alEpoch: 1, alFormat: store.kind, alOffset: g.alOffset, alLength: g.alLength, bmOffset: g.bmOffset, bmLength: g.bmLength,
    bmCrcOffset: g.bmCrcOffset, bmCrcLength: g.bmCrcLength,
    currentGeneration: 0n, deviceUuid: randomBytes(8).readBigUInt64LE(0), unacknowledgedSince: 0n,
    peers: Array.from({ length: g.maxPeers }, () => ({ nodeId: NO_NODE, flags: 0, bitmapGeneration: 0n, bitmapIndex: NO_NODE })),
    history: new Array<bigint>(HISTORY_LENGTH).fill(0n),
    bootId: null,
  };
  // Both copies: neither may keep an older, higher-sequence superblock of previous metadata.
  writeSuperblock(store, sb, 1);
  writeSuperblock(store, { ...sb, seq: 1 }, 0);
}

/** Before a placement is created or resized (which may truncate it): is something valid there? */
function refuseValidPlacement(placement: Placement): void {
  let store: MetaStore;
  try {
    store = openPlacement(placement);
  } catch {
    return; // nothing there yet
  }
  try {
    refuseValid(store, placement.text);
  } finally {
    store.close();
  }
}

function refuseValid(store: MetaStore, where: string): void {
  let valid = false;
  try {
    readSuperblock(store, where);
    valid = true;
  } catch {
    // anything that is not valid Tandem metadata may be overwritten
  }
  if (valid) {
    throw new TandemError('TANDEM_E_STATE', `${where} already holds valid Tandem metadata`, {
      hint: 'use --force to overwrite it; its bitmap and generations are lost and a full sync follows',
    });
  }
}

function checkNodeId(nodeId: number): void {
  if (!Number.isInteger(nodeId) || nodeId < 0 || nodeId > 31) {
    throw new TandemError('TANDEM_E_USAGE', `invalid node id ${nodeId}`, { hint: 'node ids are 0..31, as in the [node.*] sections' });
  }
}

