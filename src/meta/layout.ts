/*
 * Tandem metadata format, version 2 (inspired by DRBD 9's external flexible metadata). Version 2
 * added checksums over the bitmap and the PMEM activity log; version 1 metadata is refused with a
 * hint to re-create it (superblock.ts).
 *
 * One metadata AREA per volume. All integers are little-endian. Offsets are relative to the
 * start of the area (a whole file/device, or a range handed out by the allocator, allocator.ts).
 *
 *   0        superblock copy 0 (4 KiB)  \ written alternately; the valid copy with the higher
 *   4096     superblock copy 1 (4 KiB)  / sequence number wins (a torn write leaves the other)
 *   8192     activity log (32 KiB)
 *   40960    out-of-sync bitmap (bmLength bytes, a multiple of 4 KiB)
 *   40960 + bmLength   bitmap checksums (bmCrcLength bytes, a multiple of 4 KiB)
 *
 * Superblock (4 KiB, CRC32C over the whole block with the crc field zero):
 *   0 u64 magic "TNDMMETA"         8 u32 format version (2)       12 u32 crc32c
 *  16 u64 sequence number          24 u64 volume size (bytes)     32 u64 area length (bytes)
 *  40 u32 node id                  44 u32 max peers (bitmap slots, 1..31)
 *  48 u32 device flags (DEVICE_FLAGS)                             52 u32 bytes per bitmap bit (4096)
 *  56 u32 AL extent shift (22 = 4 MiB)                            60 u32 AL extents (hot-set size)
 *  64 u32 AL epoch (bumped whenever the AL is re-initialised; older AL content is ignored)
 *  68 u32 AL format (1 = pmem slot table, 2 = block transaction ring)
 *  72 u64 AL offset   80 u64 AL length   88 u64 bitmap offset   96 u64 bitmap length
 * 104 u64 current generation id   112 u64 device uuid (identity of this area)
 * 120 u64 unacknowledged since: a generation id of the lineage; this node, as Primary, started
 *     every generation after it and acknowledged no write since (0 = no such claim; was reserved)
 * 128 peer slots[31] × 32 B: u32 node id (NO_NODE = free), u32 peer flags (PEER_FLAGS),
 *     u64 bitmap generation id, u32 bitmap index (== slot), u32 reserved, u64 reserved
 * 1120 u64 history generation ids[32], newest first
 * 1376 u64 bitmap checksum offset   1384 u64 bitmap checksum length
 * 1392 u8[16] boot id: the machine boot (Linux boot_id) in which the data disk was last known to
 *     hold every write issued to it; all zeros = unknown. Added within version 2: older metadata
 *     has zeros there (unknown, the conservative reading), and an older tandem rewriting the
 *     superblock zeroes it again (docs/ARCHITECTURE.md §5, "Kill or power loss").
 *
 * Activity log, pmem format: an in-place table of AL-extents slots of 8 bytes each, one aligned
 * 8-byte store + persist per change: u32 extent number (FREE_EXTENT = free), u16 tag = low 16
 * bits of the AL epoch, u16 check = low 16 bits of CRC32C over the entry with the check zero,
 * seeded with the slot number (so an entry copied to another slot fails too). The check lives in
 * the same 8-byte store as what it covers: a slot is never torn from its checksum. A slot whose
 * tag is not the current epoch's is free, so re-initialising the AL is one superblock write (a
 * stale slot whose tag comes round again after 65,536 epochs reads as hot: more resync, never
 * less). Formatting writes every slot as a free entry with a valid check, so a zeroed slot is
 * damage, not "free".
 *
 * Activity log, block format: a ring of 8 transactions of 4 KiB; transaction n lives in block
 * n mod 8. Each carries up to 64 slot updates and a window of the full slot table (its
 * "context", CONTEXT_PER_TRANSACTION slots, advancing each transaction), so the last few valid
 * transactions rebuild the whole hot set even after one torn block:
 *   0 u32 magic "TNAL"  4 u32 crc32c  8 u64 transaction number  16 u32 AL epoch
 *  20 u16 update count  22 u16 context start slot  24 u16 context count  26 u16 reserved
 *  32 updates[64] × 8 B (u32 slot, u32 extent)   544 context[CONTEXT_PER_TRANSACTION] × u32 extent
 *
 * Bitmap: one bit per 4 KiB of the volume per peer slot; each slot's bits are rounded up to a
 * multiple of 64 and slots are interleaved in 32-bit words (DRBD's layout): bit b of slot s is
 * bit (b & 31) of word (b >> 5) * maxPeers + s. One 4 MiB extent is 128 bytes per slot, and all
 * slots' bits of an extent are one contiguous run of 128 × maxPeers bytes.
 *
 * Ordering rules (M1, M2 in docs/ARCHITECTURE.md §3): an extent's AL entry is persisted before
 * activate() reports it; an idle extent leaves the AL only after its bits are set and persisted
 * for every assigned peer not known in sync; AL_CLEAN (set by a clean close, after the same
 * marking of the hot set) means the AL needs no replay, otherwise open sets every AL extent's bits
 * in every slot and starts a new AL epoch. Damage found at open (volume-metadata.ts) is read in
 * the safe direction: a bitmap page failing its checksum gets every bit set for every slot; an AL
 * whose hot set cannot be rebuilt (a PMEM slot failing its check, a gap in the block ring) while
 * the AL is not clean marks the whole volume for every slot; a damaged AL also starts a new epoch.
 * Many volumes in one namespace: allocator.ts; addresses such as pmem:<ns>#r0/0: placement.ts.
 */
import { TandemError } from '../lib/errors.js';

export const FORMAT_VERSION = 2;
/** Older formats are refused (no in-place upgrade: see superblock.ts). */
export const MIN_FORMAT_VERSION = 2;
export const MAGIC = 0x4154454d4d444e54n; // "TNDMMETA" read as a little-endian u64
export const BLOCK = 4096;
export const SUPERBLOCK_COPIES = 2;
export const AL_OFFSET = SUPERBLOCK_COPIES * BLOCK;
export const AL_LENGTH = 32 * 1024;
export const BITMAP_OFFSET = AL_OFFSET + AL_LENGTH;
export const BYTES_PER_BIT = 4096;
export const AL_EXTENT_SHIFT = 22;
export const AL_EXTENT_BYTES = 2 ** AL_EXTENT_SHIFT;
export const DEFAULT_AL_EXTENTS = 1237;
export const MIN_AL_EXTENTS = 7;
export const MAX_PEERS = 31;
/** Bitmap bytes covered by one checksum. */
export const BITMAP_PAGE = 8192;
/** Bytes of one bitmap checksum. */
export const BITMAP_CRC_BYTES = 4;
export const HISTORY_LENGTH = 32;
export const NO_NODE = 0xffffffff;
export const FREE_EXTENT = 0xffffffff;

export const AL_FORMAT = { pmem: 1, block: 2 } as const;
export type AlFormat = keyof typeof AL_FORMAT;

/** Block-format AL ring geometry. */
export const AL_RING_BLOCKS = AL_LENGTH / BLOCK;
export const AL_TX_MAGIC = 0x4c414e54; // "TNAL"
export const AL_TX_UPDATES_MAX = 64;
export const AL_TX_CONTEXT_OFFSET = 32 + AL_TX_UPDATES_MAX * 8;
export const CONTEXT_PER_TRANSACTION = (BLOCK - AL_TX_CONTEXT_OFFSET) / 4;
/** A hot set must be rebuilt from the ring minus one torn block, with one spare transaction. */
export const MAX_AL_EXTENTS = Math.min(AL_LENGTH / 8, CONTEXT_PER_TRANSACTION * (AL_RING_BLOCKS - 2));

export const DEVICE_FLAGS = {
  CONSISTENT: 1 << 0,
  PRIMARY_IND: 1 << 1,
  WAS_UP_TO_DATE: 1 << 4,
  CRASHED_PRIMARY: 1 << 6,
  AL_CLEAN: 1 << 7,
  AL_DISABLED: 1 << 8,
  PRIMARY_LOST_QUORUM: 1 << 9,
  HAVE_QUORUM: 1 << 10,
  /** Tandem's own: detached after an I/O error while not known to hold the only copy of the data
   *  (docs/ARCHITECTURE.md §9). Attached again, data the other flags call UpToDate is Consistent
   *  until a handshake decides; cleared once the disk is UpToDate again. Bit 11 is left to the
   *  survivor claim of the unmerged wip/s6-survived branch. */
  DISK_FAILED: 1 << 12,
  /** Tandem's own, with DISK_FAILED: that failure was on reads alone, on a disk that held every
   *  write it had stored (UpToDate or Outdated, not back from a crash), and the flush at its detach
   *  succeeded. A failed read changes nothing on the disk: it lost no write (docs/ARCHITECTURE.md §9). */
  READ_ERRORS_ONLY: 1 << 13,
} as const;
export type DeviceFlag = keyof typeof DEVICE_FLAGS;

/**
 * A boot id as the superblock stores it: 16 bytes, from a UUID in text form (dashes allowed, as in
 * /proc/sys/kernel/random/boot_id). null for anything else: an id it cannot store is unknown.
 */
export function normalizeBootId(text: string | null): string | null {
  if (text === null) return null;
  const hex = text.trim().toLowerCase().replace(/-/g, '');
  return /^[0-9a-f]{32}$/.test(hex) && !/^0+$/.test(hex) ? hex : null;
}

export const PEER_FLAGS = {
  PEER_CONNECTED: 1 << 0,
  PEER_OUTDATED: 1 << 1,
  PEER_FENCING: 1 << 2,
  PEER_FULL_SYNC: 1 << 3,
  PEER_DEVICE_SEEN: 1 << 4,
  NODE_EXISTS: 1 << 16,
} as const;
export type PeerFlag = keyof typeof PEER_FLAGS;

export interface Geometry {
  volumeSize: number;
  maxPeers: number;
  alExtents: number;
  /** Bits per peer slot: 4 KiB blocks of the volume, rounded up to a multiple of 64. */
  bitsPerSlot: number;
  bmOffset: number;
  bmLength: number;
  /** One BITMAP_CRC_BYTES checksum per BITMAP_PAGE of the bitmap, 4 KiB aligned. */
  bmCrcOffset: number;
  bmCrcLength: number;
  bmPages: number;
  alOffset: number;
  alLength: number;
  /** Whole area, 4 KiB aligned. */
  areaLength: number;
}

export function geometry(volumeSize: number, maxPeers: number, alExtents = DEFAULT_AL_EXTENTS): Geometry {
  checkGeometryInputs(volumeSize, maxPeers, alExtents);
  const bitsPerSlot = Math.ceil(Math.ceil(volumeSize / BYTES_PER_BIT) / 64) * 64;
  const bmLength = alignUp((bitsPerSlot / 8) * maxPeers, BLOCK);
  const bmPages = Math.ceil(bmLength / BITMAP_PAGE);
  const bmCrcLength = alignUp(bmPages * BITMAP_CRC_BYTES, BLOCK);
  return {
    volumeSize, maxPeers, alExtents, bitsPerSlot,
    alOffset: AL_OFFSET, alLength: AL_LENGTH,
    bmOffset: BITMAP_OFFSET, bmLength,
    bmCrcOffset: BITMAP_OFFSET + bmLength, bmCrcLength, bmPages,
    areaLength: BITMAP_OFFSET + bmLength + bmCrcLength,
  };
}

/** Exact size in bytes of the metadata area of one volume (what `tandem md size` prints). */
export function metadataSize(volumeSize: number, maxPeers: number): number {
  return geometry(volumeSize, maxPeers).areaLength;
}

export function extentCount(volumeSize: number): number {
  return Math.ceil(volumeSize / AL_EXTENT_BYTES);
}

export function alignUp(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}

function checkGeometryInputs(volumeSize: number, maxPeers: number, alExtents: number): void {
  if (!Number.isSafeInteger(volumeSize) || volumeSize <= 0 || volumeSize % 512 !== 0) {
    throw new TandemError('TANDEM_E_USAGE', `invalid volume size ${volumeSize}`, {
      hint: 'the volume size must be a positive multiple of 512 bytes, e.g. 1GiB',
    });
  }
  if (!Number.isInteger(maxPeers) || maxPeers < 1 || maxPeers > MAX_PEERS) {
    throw new TandemError('TANDEM_E_USAGE', `invalid number of peers ${maxPeers}`, {
      hint: `peers (bitmap slots) must be between 1 and ${MAX_PEERS}; a 3-node cluster needs 2`,
    });
  }
  if (!Number.isInteger(alExtents) || alExtents < MIN_AL_EXTENTS || alExtents > MAX_AL_EXTENTS) {
    throw new TandemError('TANDEM_E_USAGE', `invalid AL extents ${alExtents}`, {
      hint: `al-extents must be between ${MIN_AL_EXTENTS} and ${MAX_AL_EXTENTS} (default ${DEFAULT_AL_EXTENTS})`,
    });
  }
}
