// The superblock: encode/decode of the 4 KiB record described in layout.ts, and reading the
// newest valid of its two copies with an error that says exactly what is wrong otherwise.
import { TandemError } from '../lib/errors.js';
import { readDualCopy, writeDualCopy, type CopyReport } from './dual-copy.js';
import {
  AL_EXTENT_SHIFT, AL_FORMAT, BLOCK, BYTES_PER_BIT, FORMAT_VERSION, HISTORY_LENGTH, MAGIC, MAX_PEERS, MIN_FORMAT_VERSION, NO_NODE,
  SUPERBLOCK_COPIES, geometry, normalizeBootId, type AlFormat, type Geometry,
} from './layout.js';

export { normalizeBootId };
import type { MetaStore } from './store.js';

export interface PeerSlot {
  nodeId: number;
  flags: number;
  bitmapGeneration: bigint;
  bitmapIndex: number;
}

export interface Superblock {
  seq: number;
  volumeSize: number;
  areaLength: number;
  nodeId: number;
  maxPeers: number;
  deviceFlags: number;
  bytesPerBit: number;
  alExtentShift: number;
  alExtents: number;
  alEpoch: number;
  alFormat: AlFormat;
  alOffset: number;
  alLength: number;
  bmOffset: number;
  bmLength: number;
  bmCrcOffset: number;
  bmCrcLength: number;
  currentGeneration: bigint;
  deviceUuid: bigint;
  /** Nonzero: this node, as Primary, started every generation after this one in its lineage and
   *  acknowledged no write since (0: no such claim). See VolumeMetadata.followGeneration. */
  unacknowledgedSince: bigint;
  /** One per bitmap slot (maxPeers of them); slot i owns bitmap index i. */
  peers: PeerSlot[];
  /** Newest first, HISTORY_LENGTH entries, 0 = empty. */
  history: bigint[];
  /**
   * The machine boot (Linux boot_id, 32 lowercase hex digits) in which this disk was last known to
   * hold every write issued to it; null = unknown (all zeros: metadata written before the field
   * existed reads so). Engine use: Resource.attachVolume.
   */
  bootId: string | null;
}

export const SUPERBLOCK_OFFSETS = Array.from({ length: SUPERBLOCK_COPIES }, (_, i) => i * BLOCK);
const PEERS_OFFSET = 128;
const PEER_SIZE = 32;
const HISTORY_OFFSET = PEERS_OFFSET + MAX_PEERS * PEER_SIZE;
const BM_CRC_OFFSET = HISTORY_OFFSET + HISTORY_LENGTH * 8;
const BOOT_ID_OFFSET = BM_CRC_OFFSET + 16;
const BOOT_ID_BYTES = 16;

export function encodeSuperblock(sb: Superblock): Uint8Array {
  const bytes = new Uint8Array(BLOCK);
  const v = new DataView(bytes.buffer);
  v.setBigUint64(0, MAGIC, true);
  v.setUint32(8, FORMAT_VERSION, true);
  v.setBigUint64(24, BigInt(sb.volumeSize), true);
  v.setBigUint64(32, BigInt(sb.areaLength), true);
  v.setUint32(40, sb.nodeId, true);
  v.setUint32(44, sb.maxPeers, true);
  v.setUint32(48, sb.deviceFlags >>> 0, true);
  v.setUint32(52, sb.bytesPerBit, true);
  v.setUint32(56, sb.alExtentShift, true);
  v.setUint32(60, sb.alExtents, true);
  v.setUint32(64, sb.alEpoch >>> 0, true);
  v.setUint32(68, AL_FORMAT[sb.alFormat], true);
  v.setBigUint64(72, BigInt(sb.alOffset), true);
  v.setBigUint64(80, BigInt(sb.alLength), true);
  v.setBigUint64(88, BigInt(sb.bmOffset), true);
  v.setBigUint64(96, BigInt(sb.bmLength), true);
  v.setBigUint64(104, sb.currentGeneration, true);
  v.setBigUint64(112, sb.deviceUuid, true);
  v.setBigUint64(120, sb.unacknowledgedSince, true);
  for (let i = 0; i < MAX_PEERS; i++) {
    const p = sb.peers[i];
    const at = PEERS_OFFSET + i * PEER_SIZE;
    v.setUint32(at, p ? p.nodeId : NO_NODE, true);
    v.setUint32(at + 4, p ? p.flags >>> 0 : 0, true);
    v.setBigUint64(at + 8, p ? p.bitmapGeneration : 0n, true);
    v.setUint32(at + 16, p ? p.bitmapIndex : NO_NODE, true);
  }
  for (let i = 0; i < HISTORY_LENGTH; i++) v.setBigUint64(HISTORY_OFFSET + i * 8, sb.history[i] ?? 0n, true);
  v.setBigUint64(BM_CRC_OFFSET, BigInt(sb.bmCrcOffset), true);
  v.setBigUint64(BM_CRC_OFFSET + 8, BigInt(sb.bmCrcLength), true);
  if (sb.bootId !== null) bytes.set(Buffer.from(checkBootId(sb.bootId), 'hex'), BOOT_ID_OFFSET);
  return bytes;
}

export function decodeSuperblock(bytes: Uint8Array, seq: number): Superblock {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u64 = (at: number) => Number(v.getBigUint64(at, true));
  const maxPeers = v.getUint32(44, true);
  const alFormatCode = v.getUint32(68, true);
  const alFormat = (Object.keys(AL_FORMAT) as AlFormat[]).find((k) => AL_FORMAT[k] === alFormatCode);
  const sb: Superblock = {
    seq,
    volumeSize: u64(24),
    areaLength: u64(32),
    nodeId: v.getUint32(40, true),
    maxPeers,
    deviceFlags: v.getUint32(48, true),
    bytesPerBit: v.getUint32(52, true),
    alExtentShift: v.getUint32(56, true),
    alExtents: v.getUint32(60, true),
    alEpoch: v.getUint32(64, true),
    alFormat: alFormat ?? 'pmem',
    alOffset: u64(72), alLength: u64(80), bmOffset: u64(88), bmLength: u64(96),
    bmCrcOffset: u64(BM_CRC_OFFSET), bmCrcLength: u64(BM_CRC_OFFSET + 8),
    currentGeneration: v.getBigUint64(104, true),
    deviceUuid: v.getBigUint64(112, true),
    unacknowledgedSince: v.getBigUint64(120, true), // reserved (zero) in metadata written before it: no claim
    peers: [],
    history: [],
    bootId: decodeBootId(bytes.subarray(BOOT_ID_OFFSET, BOOT_ID_OFFSET + BOOT_ID_BYTES)),
  };
  for (let i = 0; i < Math.min(maxPeers, MAX_PEERS); i++) {
    const at = PEERS_OFFSET + i * PEER_SIZE;
    sb.peers.push({
      nodeId: v.getUint32(at, true),
      flags: v.getUint32(at + 4, true),
      bitmapGeneration: v.getBigUint64(at + 8, true),
      bitmapIndex: v.getUint32(at + 16, true),
    });
  }
  for (let i = 0; i < HISTORY_LENGTH; i++) sb.history.push(v.getBigUint64(HISTORY_OFFSET + i * 8, true));
  if (alFormat === undefined) throw inconsistent(`unknown activity-log format ${alFormatCode}`);
  return sb;
}

function checkBootId(id: string): string {
  if (normalizeBootId(id) !== id) throw new TandemError('TANDEM_E_META', `invalid boot id ${JSON.stringify(id)}`, { hint: 'a boot id is 32 hex digits (normalizeBootId)' });
  return id;
}

function decodeBootId(bytes: Uint8Array): string | null {
  return bytes.every((b) => b === 0) ? null : Buffer.from(bytes).toString('hex');
}

export interface SuperblockRead {
  sb: Superblock;
  copy: number;
  copies: CopyReport[];
}

/** The newest valid copy, checked against the store; throws TANDEM_E_META naming the problem. */
export function readSuperblock(store: MetaStore, where: string): SuperblockRead {
  if (store.length < SUPERBLOCK_COPIES * BLOCK) {
    throw new TandemError('TANDEM_E_META', `${where}: ${store.length} bytes is too small to hold Tandem metadata`, {
      hint: "run 'tandem md size' for the size needed, then 'tandem md create'",
    });
  }
  const { best, copies } = readDualCopy(store, SUPERBLOCK_OFFSETS, BLOCK, MAGIC, FORMAT_VERSION, MIN_FORMAT_VERSION);
  if (!best) throw noValidCopy(where, copies);
  const sb = decodeSuperblock(best.bytes, best.seq);
  checkConsistency(sb, store.length, where);
  return { sb, copy: best.copy, copies };
}

export function writeSuperblock(store: MetaStore, sb: Superblock, currentCopy: number | undefined): number {
  return writeDualCopy(store, SUPERBLOCK_OFFSETS, encodeSuperblock(sb), sb.seq, currentCopy);
}

function noValidCopy(where: string, copies: CopyReport[]): TandemError {
  const statuses = copies.map((c) => c.status);
  const details = { where, copies };
  const tooNew = copies.find((c) => c.status === 'too-new');
  if (tooNew) {
    return new TandemError('TANDEM_E_META', `${where}: metadata format version ${tooNew.version} is newer than this tandem understands (${FORMAT_VERSION})`, {
      hint: 'upgrade tandem on this node; do not re-create the metadata, that would lose the out-of-sync bitmap',
      details,
    });
  }
  const tooOld = copies.find((c) => c.status === 'too-old');
  if (tooOld) {
    return new TandemError('TANDEM_E_META', `${where}: metadata format version ${tooOld.version} is older than this tandem reads (${MIN_FORMAT_VERSION}..${FORMAT_VERSION}): it has no checksums over the bitmap and the activity log`, {
      hint: "there is no in-place upgrade: with the resource down on this node, run 'tandem md create <resource> --force' here; " +
        'the node then takes a full sync from an UpToDate peer (on a node that holds the only good copy, ' +
        "recreate it and make it UpToDate with 'tandem primary <resource> --force')",
      details: { ...details, formatVersion: tooOld.version, supported: [MIN_FORMAT_VERSION, FORMAT_VERSION] },
    });
  }
  if (statuses.every((s) => s === 'empty')) {
    return new TandemError('TANDEM_E_META', `${where}: no metadata (the superblock area is all zeros)`, {
      hint: "create it with 'tandem md create'", details,
    });
  }
  if (statuses.every((s) => s === 'foreign' || s === 'empty')) {
    return new TandemError('TANDEM_E_META', `${where}: not Tandem metadata (bad magic in both superblock copies: foreign data)`, {
      hint: 'check that the path names the metadata device; md create --force overwrites it, destroying what is there',
      details,
    });
  }
  return new TandemError('TANDEM_E_META', `${where}: both superblock copies are bad (${copies.map((c) => `copy ${c.copy}: ${c.status}`).join(', ')})`, {
    hint: 'the metadata is corrupt: recreate it with md create --force and let a full sync from an UpToDate peer restore the data',
    details,
  });
}

function checkConsistency(sb: Superblock, storeLength: number, where: string): void {
  let g: Geometry;
  try {
    g = geometry(sb.volumeSize, sb.maxPeers, sb.alExtents);
  } catch (err) {
    throw inconsistent(`${where}: ${(err as Error).message}`);
  }
  const problems: string[] = [];
  if (sb.bytesPerBit !== BYTES_PER_BIT) problems.push(`bytes per bit ${sb.bytesPerBit} (only ${BYTES_PER_BIT} is supported)`);
  if (sb.alExtentShift !== AL_EXTENT_SHIFT) problems.push(`AL extent shift ${sb.alExtentShift} (only ${AL_EXTENT_SHIFT} is supported)`);
  if (sb.alOffset !== g.alOffset || sb.alLength !== g.alLength || sb.bmOffset !== g.bmOffset || sb.bmLength !== g.bmLength ||
    sb.bmCrcOffset !== g.bmCrcOffset || sb.bmCrcLength !== g.bmCrcLength || sb.areaLength !== g.areaLength) {
    problems.push('area offsets do not match the volume size and peer count');
  }
  if (sb.areaLength > storeLength) problems.push(`area needs ${sb.areaLength} bytes but the placement has ${storeLength}`);
  if (problems.length > 0) throw inconsistent(`${where}: ${problems.join('; ')}`);
}

function inconsistent(message: string): TandemError {
  return new TandemError('TANDEM_E_META', `superblock is inconsistent: ${message}`, {
    hint: 'the metadata was damaged or written by something else; recreate it with md create --force and resync from a peer',
  });
}
