// A diskless node (disk = none) as Primary: reads are served by one UpToDate diskful peer,
// writes go to every connected UpToDate diskful peer of the exposed data generation and are
// acknowledged per protocol. Every write names the diskful peers that do not get it ("missing"),
// so its receivers keep those blocks out of sync for them: a diskless node has no bitmap.
import type { Peer } from './peer.js';
import type { Resource } from './resource.js';
import type { Volume } from './volume.js';
import { sameGeneration } from './sync-decision.js';
import { ioError } from './primary.js';

/** Reads and writes in flight through peers wait at most this long before failing with EIO. */
const READ_TIMEOUT_MS = 30_000;

export class DisklessBackend {
  readonly readOnly = false;
  readonly canMultiConn = true;

  constructor(private readonly resource: Resource, private readonly volume: Volume) {}

  get size(): number {
    return this.volume.sizeBytes;
  }

  read(offset: number, length: number): Promise<Buffer> {
    const peer = this.servers()[0];
    if (!peer) return Promise.reject(ioError('EIO', `no UpToDate peer reachable for volume ${this.volume.index}`));
    return this.resource.readThrough(peer, this.volume.index, offset, length, READ_TIMEOUT_MS);
  }

  write(offset: number, data: Buffer, fua: boolean): Promise<void> | undefined {
    if (this.resource.isSuspended) return this.resource.whenResumed().then(() => this.write(offset, data, fua));
    if (this.resource.role !== 'Primary') throw ioError('ESHUTDOWN', `${this.resource.name} is no longer Primary on this node`);
    if (this.resource.failsWritesWithoutQuorum) throw ioError('EIO', `${this.resource.name} has no quorum (on-no-quorum = io-error)`);
    const targets = this.servers();
    if (targets.length === 0) throw ioError('EIO', `no UpToDate peer reachable for volume ${this.volume.index}`);
    const seq = this.resource.nextSeq();
    const missing = missingMask(this.resource, targets);
    const waits: Promise<void>[] = [];
    for (const peer of targets) {
      if (this.resource.config.protocol !== 'A') {
        waits.push(new Promise((resolve) => peer.transfer.add(seq, this.volume.index, offset, data.length, this.resource.config.protocol === 'B' ? { received: resolve, settled: () => undefined } : { settled: resolve })));
      } else {
        peer.transfer.add(seq, this.volume.index, offset, data.length, { settled: () => undefined });
      }
      peer.link!.sendData({ type: 'Write', volume: this.volume.index, seq, offset, fua, missing, data });
    }
    return waits.length > 0 ? Promise.all(waits).then(() => undefined) : undefined;
  }

  writeZeroes(offset: number, length: number, fua: boolean): Promise<void> | undefined {
    return this.write(offset, Buffer.alloc(length), fua);
  }

  trim(): void {}

  flush(): Promise<void> | undefined {
    const waits = this.servers().map((p) => p.transfer.flush()).filter((w) => w !== null);
    return waits.length > 0 ? Promise.all(waits).then(() => undefined) : undefined;
  }

  /** UpToDate peers in the exposed generation (or following it): a peer that missed writes has an older one. */
  private servers(): Peer[] {
    return [...this.resource.peers.values()].filter((p) => isServer(p, this.volume));
  }
}

export function isServer(peer: Peer, volume: Volume): boolean {
  const view = peer.volumes.get(volume.index)?.view;
  if (!peer.connected || !peer.peerUpToDate(volume.index) || !view) return false;
  return volume.exposed.length === 0 || sameGeneration(view.current, volume.exposed[0]) || volume.followers.has(peer.node.id);
}

/**
 * A diskful peer is lost: start a new generation that excludes it. The peers written to until now
 * follow it (their State with the new id is on its way; our writes reach them after our State).
 */
export function rotateExposedGeneration(resource: Resource, volume: Volume, fresh: bigint): void {
  if (volume.meta || volume.exposed.length === 0) return;
  const servers = [...resource.peers.values()].filter((p) => isServer(p, volume));
  volume.exposed = [fresh, ...volume.exposed].slice(0, 32);
  volume.followers.clear();
  for (const p of servers) volume.followers.add(p.node.id);
}

function missingMask(resource: Resource, targets: Peer[]): number {
  let missing = 0;
  for (const peer of resource.peers.values()) if (peer.diskful && !targets.includes(peer)) missing |= 1 << peer.node.id;
  return missing >>> 0;
}

/**
 * The generation a diskless node exposes when it becomes Primary: the newest among its UpToDate
 * peers (the one no other peer has in its history). If some diskful peer is absent or behind, a new
 * generation starts, so the peers that get the writes record what the others miss.
 */
export function exposeOnPromotion(resource: Resource, volume: Volume, fresh: () => bigint): void {
  volume.exposed = chooseExposedGeneration(resource, volume, fresh);
  volume.followers.clear();
  if (volume.exposed.length < 2) return;
  for (const p of resource.peers.values()) {
    const view = p.volumes.get(volume.index)?.view;
    if (p.connected && p.peerUpToDate(volume.index) && view && sameGeneration(view.current, volume.exposed[1])) volume.followers.add(p.node.id);
  }
}

function chooseExposedGeneration(resource: Resource, volume: Volume, fresh: () => bigint): bigint[] {
  const views = [...resource.peers.values()].filter((p) => p.connected && p.peerUpToDate(volume.index))
    .map((p) => p.volumes.get(volume.index)?.view).filter((v) => v !== null && v !== undefined);
  const newest = views.find((v) => !views.some((o) => o !== v && o.history.some((h) => sameGeneration(h, v.current))));
  if (!newest) return [];
  const everyone = [...resource.peers.values()].filter((p) => p.diskful)
    .every((p) => p.connected && sameGeneration(p.volumes.get(volume.index)?.view?.current ?? 0n, newest.current) && p.peerUpToDate(volume.index));
  return everyone ? [newest.current] : [fresh(), newest.current];
}
