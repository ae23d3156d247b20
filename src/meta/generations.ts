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
  return { ...sb, currentGeneration: next, peers, history: old === 0n ? sb.history : pushHistory(sb.history, old) };
}

/** After a completed resync to a peer: its bitmap id is retired into the history. */
export function retireBitmapGeneration(sb: Superblock, slot: number): Superblock {
  const id = sb.peers[slot].bitmapGeneration;
  if (id === 0n) return sb;
  const peers = sb.peers.map((p, i) => (i === slot ? { ...p, bitmapGeneration: 0n } : p));
  return { ...sb, peers, history: pushHistory(sb.history, id) };
}

export function pushHistory(history: bigint[], id: bigint): bigint[] {
  return [id, ...history].slice(0, HISTORY_LENGTH);
}

export function formatGeneration(id: bigint): string {
  return id.toString(16).toUpperCase().padStart(16, '0');
}
