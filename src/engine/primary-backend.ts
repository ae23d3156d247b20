// What a Primary exports: the NBD backend of one volume. Writes go through the one write pipeline
// (write-pipeline.ts); reads come from the local disk while it is UpToDate, otherwise (diskless,
// or the disk failed) from an UpToDate peer; FLUSH reaches the local disk and every peer that
// gets the writes. TRIM is advisory and ignored on every replica, which keeps them identical.
import type { NbdBackend } from '../nbd/backend.js';
import { servers } from './exposed-generation.js';
import { ioError } from './io-error.js';
import type { Resource } from './resource.js';
import type { Volume } from './volume.js';
import { WritePipeline } from './write-pipeline.js';

/** Reads through a peer wait at most this long before failing with EIO. */
export const PEER_READ_TIMEOUT_MS = 30_000;

export class PrimaryBackend implements NbdBackend {
  readonly readOnly = false;
  readonly canMultiConn = true;
  private readonly pipeline: WritePipeline;

  constructor(private readonly resource: Resource, private readonly volume: Volume) {
    this.pipeline = new WritePipeline(resource, volume);
  }

  get size(): number {
    return this.volume.sizeBytes;
  }

  read(offset: number, length: number): Promise<Buffer> {
    return this.resource.guardAsync(() => this.readFrom(offset, length));
  }

  write(offset: number, data: Buffer, fua: boolean): Promise<void> {
    return this.resource.guardAsync(() => this.pipeline.write(offset, data, fua));
  }

  writeZeroes(offset: number, length: number, fua: boolean): Promise<void> {
    return this.resource.guardAsync(() => this.pipeline.writeZeroes(offset, length, fua));
  }

  trim(): void {
    if (this.resource.role !== 'Primary') throw ioError('ESHUTDOWN', `${this.resource.name} is no longer Primary on this node`);
  }

  flush(): Promise<void> {
    return this.resource.guardAsync(() => this.flushAll());
  }

  private async readFrom(offset: number, length: number): Promise<Buffer> {
    const v = this.volume;
    const disk = v.disk;
    if (disk && v.diskState === 'UpToDate') {
      v.beginActivity();
      try {
        return await disk.read(offset, length);
      } catch (err) {
        this.resource.localDiskFailed(v, 'read', err, null); // and read it from a peer
      } finally {
        v.endActivity();
      }
    }
    const peer = servers(this.resource, v)[0];
    if (!peer) throw ioError('EIO', `volume ${v.index} of ${this.resource.name} is ${v.diskState} and no UpToDate peer is reachable`);
    return this.resource.reads.read(peer, v.index, offset, length, PEER_READ_TIMEOUT_MS);
  }

  /**
   * FLUSH makes every acknowledged write durable somewhere: on the local disk when it is usable
   * (every write is on it), otherwise on every peer that gets the writes. A peer lost before its
   * FlushAck leaves that unknown, so without a usable local disk the flush fails (EIO). Every peer
   * is sent the Flush; with a usable local disk the answer waits for the peers on protocol B or C
   * only: a connection on A acknowledges once sent, a flush as much as a write (else every fsync
   * of the application would wait for the DR link).
   */
  private async flushAll(): Promise<void> {
    const v = this.volume;
    const disk = v.usable ? v.disk : null;
    const waits: Array<Promise<boolean>> = [];
    for (const peer of this.pipeline.targets()) {
      const flush = peer.transfer.addFlush();
      peer.sendData({ type: 'Flush', id: flush.id });
      if (!disk || peer.protocol !== 'A') waits.push(flush.done);
    }
    if (disk) {
      v.beginActivity();
      try {
        await disk.flush();
      } catch (err) {
        this.resource.localDiskFailed(v, 'flush', err, null);
        throw ioError('EIO', `flush of volume ${v.index} of ${this.resource.name} failed on the local disk: ${String(err)}`);
      } finally {
        v.endActivity();
      }
    } else if (waits.length === 0) {
      throw ioError('EIO', `volume ${v.index} of ${this.resource.name} has no disk and no UpToDate peer to flush`);
    }
    const flushed = await Promise.all(waits);
    if (!disk && flushed.includes(false)) {
      throw ioError('EIO', `flush of volume ${v.index} of ${this.resource.name} failed: a peer holding its writes was lost before it flushed`);
    }
  }
}
