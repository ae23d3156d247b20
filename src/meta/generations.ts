// Generation identifiers (DRBD's data-generation UUIDs): the current id, one bitmap id per peer
// slot and a history. Pure functions over a Superblock; the caller persists the result.
import { randomBytes } from 'node:crypto';
import { HISTORY_LENGTH, NO_NODE, PEER_FLAGS } from './layout.js';
import type { Superblock } from './superblock.js';

/** Bit 0 marks an id created while Primary (DRBD's UUID_PRIMARY). */
export const GENERATION_PRIMARY = 1n;

export function randomGeneration(primary: boolean): bigint {
  let id = randomBytes(8).readBigUInt64LE(0) & ~GENERATION_PRIMARY;
  if (id === 0n) id = 2n; // 0 means "no generation"
  return primary ? id | GENERATION_PRIMARY : id;
}

/**
 * Start a new generation: the old current id goes to the history, and every assigned peer that is
 * not connected and has no bitmap id yet gets the old current id as its bitmap id, so a later
 * handshake knows its bitmap tracks changes since then.
 */
export function startGeneration(sb: Superblock, next: bigint): Superblock {
  const old = sb.currentGeneration;
  const peers = sb.peers.map((p) => {
    const absent = p.nodeId !== NO_NODE && (p.flags & PEER_FLAGS.PEER_CONNECTED) === 0;
    return absent && p.bitmapGeneration === 0n && old !== 0n ? { ...p, bitmapGeneration: old } : p;
  });
  return { ...sb, currentGeneration: next, peers, history: old === 0n ? [...sb.history] : pushHistory(sb.history, old) };
}

/** After a completed resync to a peer: its bitmap id is retired into the history. */
export function retireBitmapGeneration(sb: Superblock, slot: number): Superblock {
  const id = sb.peers[slot].bitmapGeneration;
  if (id === 0n) return sb;
  const peers = sb.peers.map((p, i) => (i === slot ? { ...p, bitmapGeneration: 0n } : p));
  // a bitmap kept against our own current generation (a resync between equal generations) is
  // not history: the current id is never in its own history
  if ((id & ~GENERATION_PRIMARY) === (sb.currentGeneration & ~GENERATION_PRIMARY)) return { ...sb, peers };
  return { ...sb, peers, history: pushHistory(sb.history, id) };
}

/**
 * `id` becomes the newest history entry. An id is never recorded twice (the "created while
 * Primary" bit aside): a history filled with one repeated id would push the common ancestor of
 * two nodes out, and they would find no shared generation.
 */
export function pushHistory(history: readonly bigint[], id: bigint): bigint[] {
  return mergeHistory([id], history);
}

/** `newer` then `older`, without zeros or duplicates, cut to HISTORY_LENGTH. */
export function mergeHistory(newer: readonly bigint[], older: readonly bigint[]): bigint[] {
  const seen = new Set<bigint>();
  const out: bigint[] = [];
  for (const id of [...newer, ...older]) {
    const key = id & ~GENERATION_PRIMARY;
    if (id === 0n || seen.has(key)) continue;
    seen.add(key);
    out.push(id);
  }
  return [...out, ...new Array<bigint>(HISTORY_LENGTH).fill(0n)].slice(0, HISTORY_LENGTH);
}

/**
 * A resync target that finished takes the source's data generation (DRBD's resync-finished):
 * the source's history is the lineage of the data it now holds; its own old current id follows.
 * Bitmap ids of peers that now share the new current id are retired. A peer away that had no
 * bitmap id gets the old current id, as when a generation starts: the resync changed this disk
 * since then, and the bits of every block it wrote were set for that peer (DRBD sets the bitmap
 * UUID to the one the resync started from). Without it nothing tied those bits to a generation,
 * and the two could meet as unrelated lineages (sim seed 20434, shrunk).
 */
export function adoptGeneration(sb: Superblock, current: bigint, sourceHistory: readonly bigint[]): Superblock {
  const old = sb.currentGeneration;
  const history = mergeHistory([...sourceHistory, old], sb.history).filter((h) => (h & ~GENERATION_PRIMARY) !== (current & ~GENERATION_PRIMARY));
  const peers = sb.peers.map((p) => {
    if ((p.bitmapGeneration & ~GENERATION_PRIMARY) === (current & ~GENERATION_PRIMARY)) return { ...p, bitmapGeneration: 0n };
    const absent = p.nodeId !== NO_NODE && (p.flags & PEER_FLAGS.PEER_CONNECTED) === 0;
    return absent && p.bitmapGeneration === 0n && old !== 0n && (old & ~GENERATION_PRIMARY) !== (current & ~GENERATION_PRIMARY) ? { ...p, bitmapGeneration: old } : p;
  });
  return { ...sb, currentGeneration: current, peers, history: mergeHistory(history, []) };
}

export function formatGeneration(id: bigint): string {
  return id.toString(16).toUpperCase().padStart(16, '0');
}
