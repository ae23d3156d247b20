// What `tandem md show|dump|check` report about one metadata placement, without a daemon and
// without changing anything (metadata is opened read-only: no AL replay).
import { TandemError } from '../lib/errors.js';
import { BlockRing } from './activity-log.js';
import { formatGeneration } from './generations.js';
import {
  BYTES_PER_BIT, DEVICE_FLAGS, FORMAT_VERSION, NO_NODE, PEER_FLAGS,
} from './layout.js';
import { Allocator } from './allocator.js';
import { openNamespace, openPlacement, parsePlacement, type Placement } from './placement.js';
import { readSuperblock } from './superblock.js';
import type { MetaStore } from './store.js';
import { VolumeMetadata } from './volume-metadata.js';

export interface PeerReport {
  slot: number;
  nodeId: number | null;
  flags: string[];
  bitmapGeneration: string;
  outOfSyncBytes: number;
}

export interface MetaSummary {
  placement: string;
  kind: 'pmem' | 'block';
  isPmem: boolean;
  formatVersion: number;
  volumeSize: number;
  areaLength: number;
  nodeId: number;
  maxPeers: number;
  deviceFlags: string[];
  currentGeneration: string;
  history: string[];
  /** boot id in which the data disk was last known to hold every write issued to it (null: unknown) */
  bootId: string | null;
  peers: PeerReport[];
  activityLog: { format: 'pmem' | 'block'; extents: number; epoch: number; clean: boolean; hotExtents: number };
  /** Checksum failures (md check says what each one is). */
  damage: { bitmapPages: number; activityLog: number };
}

export interface MetaDump extends MetaSummary {
  superblockCopies: Array<{ copy: number; status: string; seq?: number }>;
  activityLog: MetaSummary['activityLog'] & {
    /** Hot extents as recorded on media (what recovery replays if the AL is not clean). */
    extentsOnMedia: number[];
    transactions?: Array<{ number: number; epoch: number; updates: number; current: boolean }>;
  };
  /** Out-of-sync byte ranges per peer slot: [offset, end). */
  outOfSync: Array<{ slot: number; ranges: Array<[number, number]>; truncated: boolean }>;
}

export interface Finding {
  severity: 'error' | 'warning';
  what: string;
  message: string;
  /** Structured facts for --json (a damaged page's number and volume range, …). */
  details?: Record<string, unknown>;
}

const MAX_DUMP_RUNS = 100_000;
/** Damaged bitmap pages listed one by one; the rest are counted in one more finding. */
const MAX_PAGE_FINDINGS = 1000;
const DAMAGE_HINT = "'tandem up' (attach) reads this damage in the safe direction: it marks the damaged ranges out of sync " +
  'for every peer, rewrites their checksums and logs it, and the next resync copies those ranges. Do not re-create the ' +
  'metadata (that loses the generations and forces a full sync); check the metadata device for media errors.';

export function withMetadata<T>(placement: string, use: (md: VolumeMetadata, store: MetaStore) => T): T {
  const parsed = parsePlacement(placement);
  let md: VolumeMetadata;
  let store: MetaStore;
  try {
    store = openPlacement(parsed);
    md = VolumeMetadata.open(store, { readOnly: true });
  } catch (err) {
    throw parsed.area === undefined ? namespaceHint(parsed, err) : err;
  }
  try {
    return use(md, store);
  } finally {
    md.close();
  }
}

export function summarize(placement: string): MetaSummary {
  return withMetadata(placement, (md, store) => summary(placement, md, store));
}

export function dump(placement: string): MetaDump {
  return withMetadata(placement, (md, store) => {
    const base = summary(placement, md, store);
    const sb = md.superblock;
    const copies = readSuperblock(store, placement).copies.map(({ copy, status, seq }) => ({ copy, status, seq }));
    const ring = sb.alFormat === 'block' ? new BlockRing(store, sb.alOffset, sb.alExtents, sb.alEpoch).transactions() : undefined;
    return {
      ...base,
      superblockCopies: copies,
      activityLog: {
        ...base.activityLog,
        extentsOnMedia: md.hotExtents(),
        transactions: ring?.all.sort((a, b) => a.number - b.number)
          .map((t) => ({ number: t.number, epoch: t.epoch, updates: t.updates.length, current: t.epoch === sb.alEpoch })),
      },
      outOfSync: sb.peers.map((_, slot) => {
        const runs = md.bitmap.runs(slot, MAX_DUMP_RUNS);
        const ranges = runs.map(([a, b]) => [a * BYTES_PER_BIT, Math.min(b * BYTES_PER_BIT, sb.volumeSize)] as [number, number]);
        return { slot, ranges, truncated: runs.length >= MAX_DUMP_RUNS };
      }),
    };
  });
}

/** Every problem found; throws TANDEM_E_META naming the first error when there is one. */
export function check(placement: string): { placement: string; ok: true; warnings: Finding[]; summary: MetaSummary } {
  const findings: Finding[] = [];
  let result: MetaSummary | undefined;
  try {
    result = withMetadata(placement, (md, store) => {
      findings.push(...checkCopies(store, placement), ...checkActivityLog(md, store), ...checkBitmapPages(md));
      return summary(placement, md, store);
    });
  } catch (err) {
    if (!(err instanceof TandemError) || err.code !== 'TANDEM_E_META') throw err;
    findings.unshift({ severity: 'error', what: 'superblock', message: err.message, details: { hint: err.hint } });
  }
  const errors = findings.filter((f) => f.severity === 'error');
  if (errors.length > 0 || !result) {
    const listed = errors.slice(0, 5).map((e) => `${e.what}: ${e.message}`).join('; ');
    throw new TandemError('TANDEM_E_META', `${placement}: ${listed}${errors.length > 5 ? `; and ${errors.length - 5} more errors` : ''}`, {
      // the superblock's own hint says what to do (upgrade tandem, re-create, …); damage that
      // attach reads safely must not send anyone to md create --force
      hint: (errors.find((e) => e.what === 'superblock')?.details?.hint as string | undefined)
        ?? (errors.every((e) => e.details?.repairedByAttach === true)
          ? DAMAGE_HINT
          : 'if it cannot be repaired, recreate it with md create --force and resync from an UpToDate peer'),
      details: { placement, findings },
    });
  }
  return { placement, ok: true, warnings: findings, summary: result };
}

/** Metadata expected but a namespace directory found: name the areas it holds. */
function namespaceHint(p: Placement, err: unknown): unknown {
  try {
    const ns = openNamespace(p);
    const areas = Allocator.open(ns.directory, ns.length, p.path).list().map((e) => e.name);
    ns.close();
    return new TandemError('TANDEM_E_USAGE', `${p.path} is a namespace shared by ${areas.length} volumes (${areas.join(', ') || 'none yet'}), not one volume's metadata`, {
      hint: `address one area as ${p.kind}:${p.path}#<name>, e.g. ${p.kind}:${p.path}#${areas[0] ?? 'r0/0'}`,
    });
  } catch {
    return err;
  }
}

function summary(placement: string, md: VolumeMetadata, store: MetaStore): MetaSummary {
  const sb = md.superblock;
  return {
    placement,
    kind: store.kind,
    isPmem: store.isPmem,
    formatVersion: FORMAT_VERSION,
    volumeSize: sb.volumeSize,
    areaLength: sb.areaLength,
    nodeId: sb.nodeId,
    maxPeers: sb.maxPeers,
    deviceFlags: flagNames(DEVICE_FLAGS, sb.deviceFlags),
    currentGeneration: formatGeneration(sb.currentGeneration),
    history: sb.history.filter((h) => h !== 0n).map(formatGeneration),
    bootId: sb.bootId,
    peers: sb.peers.map((p, slot) => ({
      slot,
      nodeId: p.nodeId === NO_NODE ? null : p.nodeId,
      flags: flagNames(PEER_FLAGS, p.flags),
      bitmapGeneration: formatGeneration(p.bitmapGeneration),
      outOfSyncBytes: Math.min(md.bitmap.count(slot) * BYTES_PER_BIT, sb.volumeSize),
    })),
    activityLog: {
      format: sb.alFormat, extents: sb.alExtents, epoch: sb.alEpoch,
      clean: (sb.deviceFlags & DEVICE_FLAGS.AL_CLEAN) !== 0,
      hotExtents: md.hotExtents().length,
    },
    damage: { bitmapPages: md.recovery.damage.bitmapPages.length, activityLog: md.recovery.damage.activityLog.length },
  };
}

function checkCopies(store: MetaStore, placement: string): Finding[] {
  return readSuperblock(store, placement).copies
    .filter((c) => c.status !== 'valid')
    .map((c) => ({ severity: 'warning' as const, what: `superblock copy ${c.copy}`, message: `${c.status} (the other copy is valid; an interrupted update leaves this, the next update rewrites it)` }));
}

function checkActivityLog(md: VolumeMetadata, store: MetaStore): Finding[] {
  const sb = md.superblock;
  const findings: Finding[] = [];
  const onMedia = md.hotExtents(); // read-only: what is on media, nothing replayed
  const clean = (sb.deviceFlags & DEVICE_FLAGS.AL_CLEAN) !== 0;
  const { damage } = md.recovery;
  for (const d of damage.activityLog) {
    const consequence = !d.incomplete ? 'nothing is lost'
      : clean ? 'the AL is clean, so nothing needs replaying; attach starts a new AL'
        : 'the AL is not clean: attach marks the whole volume out of sync for every peer';
    findings.push({ severity: 'error', what: 'activity log', message: `${d.message}; ${consequence}`, details: { incomplete: d.incomplete, repairedByAttach: true } });
  }
  if (sb.alFormat === 'block' && damage.activityLog.length === 0) {
    const { torn } = new BlockRing(store, sb.alOffset, sb.alExtents, sb.alEpoch).transactions();
    if (torn === 1) findings.push({ severity: 'warning', what: 'activity log', message: 'one torn transaction, the newest (normal after a crash during an AL update)' });
  }
  const blocks = Math.ceil(sb.volumeSize / BYTES_PER_BIT);
  sb.peers.forEach((_, slot) => {
    const beyond = md.bitmap.countRange(slot, blocks, md.geometry.bitsPerSlot);
    if (beyond > 0) findings.push({ severity: 'error', what: `bitmap slot ${slot}`, message: `${beyond} bits set beyond the end of the volume (block ${blocks})` });
  });
  if ((sb.deviceFlags & DEVICE_FLAGS.AL_CLEAN) === 0) {
    findings.push({ severity: 'warning', what: 'activity log', message: `not clean: the volume is in use or crashed; the next attach replays ${onMedia.length} extents into the bitmap` });
  }
  return findings;
}

function checkBitmapPages(md: VolumeMetadata): Finding[] {
  const pages = md.recovery.damage.bitmapPages;
  const findings: Finding[] = pages.slice(0, MAX_PAGE_FINDINGS).map((p) => ({
    severity: 'error' as const,
    what: `bitmap page ${p.page}`,
    message: `fails its checksum: it holds the bits of volume bytes ${p.volumeOffset}-${p.volumeOffset + p.volumeLength} ` +
      `(bitmap bytes ${p.offset}-${p.offset + p.length}); attach marks them out of sync for every peer`,
    details: { page: p.page, volumeOffset: p.volumeOffset, volumeLength: p.volumeLength, bitmapOffset: p.offset, bitmapLength: p.length, repairedByAttach: true },
  }));
  if (pages.length > MAX_PAGE_FINDINGS) {
    findings.push({
      severity: 'error', what: 'bitmap pages', message: `${pages.length - MAX_PAGE_FINDINGS} more pages fail their checksum`,
      details: { pages: pages.slice(MAX_PAGE_FINDINGS).map((p) => p.page), repairedByAttach: true },
    });
  }
  return findings;
}

function flagNames(table: Record<string, number>, value: number): string[] {
  return Object.entries(table).filter(([, bit]) => (value & bit) !== 0).map(([name]) => name);
}
