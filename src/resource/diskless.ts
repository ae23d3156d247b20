// A diskless node (disk = none) as Primary: reads are served by one UpToDate diskful peer,
// writes go to every connected UpToDate diskful peer and are acknowledged per protocol.
import type { Peer } from './peer.js';
import type { Resource } from './resource.js';
import type { Volume } from './volume.js';
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
    const waits: Promise<void>[] = [];
    for (const peer of targets) {
      if (this.resource.config.protocol !== 'A') {
        waits.push(new Promise((resolve) => peer.transfer.add(seq, this.volume.index, offset, data.length, this.resource.config.protocol === 'B' ? { received: resolve, settled: () => undefined } : { settled: resolve })));
      } else {
        peer.transfer.add(seq, this.volume.index, offset, data.length, { settled: () => undefined });
      }
      peer.link!.sendData({ type: 'Write', volume: this.volume.index, seq, offset, fua, data });
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

  private servers(): Peer[] {
    return [...this.resource.peers.values()].filter((p) => p.connected && p.peerUpToDate(this.volume.index));
  }
}
