// A Primary without a local disk (configured diskless, or its disk detached after a failure) writes
// through its peers. It has no metadata, so it names the data generation it writes (DRBD's exposed
// data UUID): the peers in that generation get its writes, and every write names the diskful nodes
// that do not get it ("missing"), so its receivers keep those blocks out of sync for them.
import type { Peer } from './peer.js';
import type { Resource } from './resource.js';
import { sameGeneration } from './sync-decision.js';
import type { LoggedWrite } from './transfer-log.js';
import type { ExposedData, Volume } from './volume.js';

/** Does this peer get a disk-less Primary's writes for the volume (and serve its reads)? */
export function isServer(peer: Peer, volume: Volume): boolean {
  const view = peer.volumes.get(volume.index)?.view;
  if (!peer.connected || !peer.peerUpToDate(volume.index) || !view) return false;
  return !missesWrites(peer, volume, view.current);
}

/**
 * A diskless Primary's writes since this diskful peer's generation (`current`) may be held by
 * another node: it is neither in exposed[0] nor one of the followers of exposed[1], and some node
 * other than itself may hold data written in a newer generation. Writes that went to nobody, or
 * to this peer alone, leave it the best copy there is (a peer lost and back before any write,
 * or the only server lost twice, seeds 20275, 20278, 20991).
 */
export function missesWrites(peer: Peer, volume: Volume, current: bigint): boolean {
  if (volume.exposed.length === 0 || sameGeneration(current, volume.exposed[0]) || volume.followers.has(peer.node.id)) return false;
  const index = volume.exposed.findIndex((g) => sameGeneration(g, current));
  return index < 1 || writtenElsewhere(volume, index, peer.node.id);
}

/** Some node other than `nodeId` may hold data written in exposed[0..index-1] that it lacks. */
function writtenElsewhere(volume: Volume, index: number, nodeId: number): boolean {
  return volume.exposedData.slice(0, index).some((d) => [...d.writers].some((id) => id !== nodeId) || (d.ownDiskWith !== null && !d.ownDiskWith.has(nodeId)));
}

/** A peer may hold data of this generation that others lack: a firm mark (a write went to it, or was acknowledged). */
export function markWriter(data: ExposedData | undefined, id: number): void {
  if (!data) return;
  data.writers.add(id);
  data.provisional?.delete(id);
}

/**
 * The answer to a diskless Primary's write that a lost peer did not confirm. While it is
 * unknown, the servers that may hold the write are marked provisionally as holding data the lost
 * peer lacks: firm once the write is acknowledged, dropped once it fails. A failed write promised
 * nothing (the blocks may keep either content; survivors of the Primary reconcile them among
 * themselves), and its marks kept would have a Primary cut off from every peer count each of
 * them as missing writes that nobody holds: none serves again, the cluster never converges (sim
 * seed 30341).
 */
export class WriteOutcome {
  private marks: Array<{ data: ExposedData; id: number }> = [];

  constructor(private state: 'pending' | 'acknowledged' | 'failed') {}

  mark(data: ExposedData | undefined, id: number): void {
    if (!data || this.state === 'failed') return;
    if (this.state === 'acknowledged' || (data.writers.has(id) && !data.provisional?.has(id))) {
      markWriter(data, id);
      return;
    }
    data.provisional ??= new Map();
    data.provisional.set(id, (data.provisional.get(id) ?? 0) + 1);
    data.writers.add(id);
    this.marks.push({ data, id });
  }

  answered(acknowledged: boolean): void {
    if (this.state !== 'pending') return;
    this.state = acknowledged ? 'acknowledged' : 'failed';
    for (const { data, id } of this.marks) {
      const count = data.provisional?.get(id);
      if (count === undefined) continue; // made firm since
      if (acknowledged || count === 1) data.provisional!.delete(id);
      else data.provisional!.set(id, count - 1);
      if (!acknowledged && count === 1) data.writers.delete(id);
    }
    this.marks = [];
  }
}

/** Server `id` may hold `write`, which a lost peer did not confirm: firm, or as its outcome says. */
export function markUnconfirmed(data: ExposedData | undefined, id: number, write: LoggedWrite): void {
  if (write.outcome) write.outcome.mark(data, id);
  else markWriter(data, id); // a write admitted while the disk served: no answer to wait for here
}

export function servers(resource: Resource, volume: Volume): Peer[] {
  return [...resource.peers.values()].filter((p) => isServer(p, volume));
}

/**
 * A diskful peer is lost: start a new generation that excludes it. The peers written to until now
 * follow it (their State with the new id is on its way; our writes reach them after our State).
 */
export function rotateExposedGeneration(resource: Resource, volume: Volume, fresh: bigint): void {
  if (volume.meta || volume.exposed.length === 0) return;
  const following = servers(resource, volume);
  volume.exposed = [fresh, ...volume.exposed].slice(0, 32);
  volume.exposedData = [{ writers: new Set<number>(), ownDiskWith: null }, ...volume.exposedData].slice(0, 32);
  volume.followers.clear();
  for (const p of following) volume.followers.add(p.node.id);
  resource.generationChanged(volume, { generation: fresh, previous: volume.exposed[1], reason: 'a diskful peer was lost (diskless Primary)' });
}

/**
 * A diskful peer whose generation this Primary replaced more than once, with nothing written
 * since that another node may hold (exposed[i], i >= 2: its only server lost twice, seed 20991),
 * holds all of the data there is: the generations after it are dropped, so that its generation
 * is the one exposed[0] replaced, and it serves and follows as such a peer does (missesWrites,
 * the peer's followCurrent). A peer still in a dropped generation counts as missing writes: it
 * is resynced, which costs time and loses nothing. True when the generations changed.
 */
export function adoptUnwrittenSince(volume: Volume, peer: Peer, current: bigint): boolean {
  const index = volume.exposed.findIndex((g) => sameGeneration(g, current));
  if (index < 2 || writtenElsewhere(volume, index, peer.node.id)) return false;
  const since = volume.exposedData.slice(0, index);
  const writers = new Set(since.flatMap((d) => [...d.writers]));
  // a peer lacks the merged generations' data if it lacks any one's
  const ownDiskWith = since.reduce<ReadonlySet<number> | null>((acc, d) => (d.ownDiskWith === null ? acc : acc === null ? d.ownDiskWith : new Set([...acc].filter((id) => d.ownDiskWith!.has(id)))), null);
  volume.exposed = [volume.exposed[0], ...volume.exposed.slice(index)];
  volume.exposedData = [{ writers, ownDiskWith }, ...volume.exposedData.slice(index)];
  return true;
}

/**
 * What a Primary's own disk held when it stopped serving (failed, detached): its generation, and
 * the peers that held all of it then (connected, UpToDate, same generation, no blocks out of sync).
 */
export interface OwnData {
  generation: bigint;
  /** the disk's history then, newest first */
  history: bigint[];
  peersWithIt: ReadonlySet<number>;
}

/** Taken before the disk's blocks are marked out of sync for its failure. */
export function ownData(resource: Resource, volume: Volume): OwnData | null {
  const meta = volume.meta;
  if (!meta || !volume.usable) return null;
  const peersWithIt = new Set<number>();
  for (const p of resource.peers.values()) if (holdsOwnData(p, volume, meta)) peersWithIt.add(p.node.id);
  return { generation: meta.current(), history: meta.history(), peersWithIt };
}

/**
 * Connected, UpToDate, no blocks out of sync, and in our generation, or about to be: each State
 * of ours with a generation started while it was connected (no bitmap id kept for it) reaches it
 * before any write of that generation, and it follows from the one that generation replaced. A
 * Secondary sends no State when it follows a Primary with a disk, so its last one may name any
 * generation of our history since it connected: several, when we started more than one while it
 * stayed Established (seed 2095156034: taken for behind, it left the failed disk the only copy,
 * which came back as everyone's source without the write only the peer had stored). At the first
 * write of a new one its State may not be back yet either (seed 20457).
 */
function holdsOwnData(peer: Peer, volume: Volume, meta: NonNullable<Volume['meta']>): boolean {
  const view = peer.volumes.get(volume.index)?.view;
  if (!peer.connected || !peer.peerUpToDate(volume.index) || !view || meta.outOfSyncBytes(peer.node.id) !== 0) return false;
  if (sameGeneration(view.current, meta.current())) return true;
  return meta.bitmapGeneration(peer.node.id) === 0n && meta.history().some((h) => sameGeneration(h, view.current));
}

/**
 * The generation a disk-less node exposes when it becomes Primary (or loses its disk while
 * Primary): the newest among its UpToDate peers (the one no other peer has in its history). If
 * some diskful node is absent or behind (this one included, when its own disk failed), a new
 * generation starts, so the peers that get the writes record what the others miss. A Primary
 * whose own disk held the newest data (`own`) goes on only through the peers that held all of it:
 * a peer in an older generation lacks writes only that disk had, and serves nothing.
 */
export function exposeGeneration(resource: Resource, volume: Volume, fresh: () => bigint, selfMisses: boolean, own: OwnData | null = null): void {
  const chosen = own ? { exposed: [fresh(), own.generation], ancestry: own.history } : chooseExposedGeneration(resource, volume, fresh, selfMisses);
  volume.exposed = chosen.exposed;
  volume.exposedAncestry = chosen.ancestry;
  // a Primary whose own disk failed under writes: what that disk held, only the peers with it have
  volume.exposedData = volume.exposed.map((_, i) => ({ writers: new Set<number>(), ownDiskWith: own && i === 0 ? own.peersWithIt : null }));
  volume.followers.clear();
  if (volume.exposed.length < 2) return;
  for (const p of resource.peers.values()) {
    const view = p.volumes.get(volume.index)?.view;
    // the peers that held all of the failed disk's data are in its generation, or following it
    const inReplaced = own ? own.peersWithIt.has(p.node.id) : view !== null && view !== undefined && sameGeneration(view.current, volume.exposed[1]);
    if (p.connected && p.peerUpToDate(volume.index) && inReplaced) volume.followers.add(p.node.id);
  }
  resource.generationChanged(volume, { generation: volume.exposed[0], previous: volume.exposed[1], reason: 'a Primary without a local disk writes a new generation' });
}

function chooseExposedGeneration(resource: Resource, volume: Volume, fresh: () => bigint, selfMisses: boolean): { exposed: bigint[]; ancestry: bigint[] } {
  const views = [...resource.peers.values()].filter((p) => p.connected && p.peerUpToDate(volume.index))
    .map((p) => p.volumes.get(volume.index)?.view).filter((v) => v !== null && v !== undefined);
  const newest = views.find((v) => !views.some((o) => o !== v && o.history.some((h) => sameGeneration(h, v.current))));
  if (!newest) return { exposed: [], ancestry: [] };
  const everyone = [...resource.peers.values()].filter((p) => p.diskful)
    .every((p) => p.connected && sameGeneration(p.volumes.get(volume.index)?.view?.current ?? 0n, newest.current) && p.peerUpToDate(volume.index));
  return { exposed: everyone && !selfMisses ? [newest.current] : [fresh(), newest.current], ancestry: [...newest.history] };
}

/** Diskful nodes that do not get a write sent to `targets` (this node too, if its disk is detached). */
export function missingMask(resource: Resource, volume: Volume, targets: Peer[]): number {
  let missing = 0;
  for (const peer of resource.peers.values()) if (peer.diskful && !targets.includes(peer)) missing |= 1 << peer.node.id;
  if (volume.diskful && !volume.usable) missing |= 1 << resource.local.id;
  return missing >>> 0;
}
