// The write path of a Primary (one backend per exported volume). For every write, in order:
//   1. the AL covers the range, durably, before anything is written (DESIGN §3 invariant 1);
//   2. the local disk is written, and the write is sent to every peer that replicates;
//      peers that do not get it have its blocks set out of sync;
//   3. the client is answered per protocol: A at once, B on RecvAck, C on WriteAck of every peer;
//   4. the AL reference is dropped once every peer has settled the write (WriteAck or bits set).
import { TandemError } from '../lib/errors.js';
import type { Peer } from './peer.js';
import type { Resource } from './resource.js';
import type { Volume } from './volume.js';

/** NBD-facing errors carry an errno name; the NBD layer maps it to an NBD error number. */
export function ioError(errno: 'EIO' | 'EROFS' | 'ESHUTDOWN' | 'EINVAL' | 'ENOSPC', message: string): TandemError {
  return new TandemError('TANDEM_E_STATE', message, { details: { errno } });
}

export class PrimaryBackend {
  readonly readOnly = false;
  readonly canMultiConn = true;

  constructor(private readonly resource: Resource, private readonly volume: Volume) {}

  get size(): number {
    return this.volume.sizeBytes;
  }

  read(offset: number, length: number): Buffer {
    this.checkReadable();
    return this.volume.backing!.read(offset, length);
  }

  write(offset: number, data: Buffer, fua: boolean): void | Promise<void> {
    if (this.resource.isSuspended) return this.resource.whenResumed().then(() => this.write(offset, data, fua));
    this.checkWritable();
    const al = this.volume.meta!.beginWrite(offset, data.length);
    if (al) return al.then(() => this.submit(offset, data, fua));
    return this.submit(offset, data, fua);
  }

  writeZeroes(offset: number, length: number, fua: boolean): void | Promise<void> {
    return this.write(offset, Buffer.alloc(length), fua);
  }

  /** TRIM is advisory: ignoring it on every replica keeps their data identical. */
  trim(): void {
    this.checkWritable();
  }

  flush(): void | Promise<void> {
    this.checkReadable();
    this.volume.backing!.flush();
    const waits = this.targets().map((p) => p.transfer.flush()).filter((w) => w !== null);
    if (waits.length > 0) return Promise.all(waits).then(() => undefined);
  }

  private submit(offset: number, data: Buffer, fua: boolean): void | Promise<void> {
    const targets = this.targets();
    const full = targets.find((p) => !p.transfer.hasRoom());
    if (full) return full.transfer.waitForRoom().then(() => this.submit(offset, data, fua));
    const seq = this.resource.nextSeq();
    try {
      this.checkWritable(); // the role may have changed while waiting for the AL or for room
      this.volume.backing!.write(offset, data);
      if (fua) this.volume.backing!.flush();
    } catch (err) {
      this.volume.meta!.endWrite(offset, data.length); // nothing was sent: release the AL extent
      throw err;
    }
    const missing = this.markAbsentPeers(targets, offset, data.length);
    const write = new ReplicatedWrite(this.volume, offset, data.length, this.resource.config.protocol, targets.length);
    for (const peer of targets) {
      peer.transfer.add(seq, this.volume.index, offset, data.length, write.callbacks());
      peer.link!.sendData({ type: 'Write', volume: this.volume.index, seq, offset, fua, missing, data });
    }
    return write.clientAck();
  }

  private targets(): Peer[] {
    return [...this.resource.peers.values()].filter((p) => p.replicatingTo(this.volume.index));
  }

  /** Bits for the diskful peers that do not get this write; returns them as a node-id mask. */
  private markAbsentPeers(targets: Peer[], offset: number, length: number): number {
    let missing = 0;
    for (const peer of this.resource.peers.values()) {
      if (!peer.diskful || targets.includes(peer)) continue;
      this.volume.meta!.markOutOfSync(peer.node.id, offset, length, true);
      missing |= 1 << peer.node.id;
    }
    return missing >>> 0;
  }

  private checkReadable(): void {
    if (this.volume.diskState !== 'UpToDate' || !this.volume.backing) {
      throw ioError('EIO', `volume ${this.volume.index} of ${this.resource.name} is ${this.volume.diskState}`);
    }
  }

  private checkWritable(): void {
    if (this.resource.role !== 'Primary') throw ioError('ESHUTDOWN', `${this.resource.name} is no longer Primary on this node`);
    if (this.resource.failsWritesWithoutQuorum) throw ioError('EIO', `${this.resource.name} has no quorum (on-no-quorum = io-error)`);
    this.checkReadable();
  }
}

/** Bookkeeping of one replicated write: when to answer the client, when to release the AL. */
class ReplicatedWrite {
  private unsettled: number;
  private clientPending: number;
  private resolveClient: (() => void) | null = null;

  constructor(
    private readonly volume: Volume,
    private readonly offset: number,
    private readonly length: number,
    private readonly protocol: 'A' | 'B' | 'C',
    peers: number,
  ) {
    this.unsettled = peers;
    this.clientPending = protocol === 'A' ? 0 : peers;
    if (peers === 0) this.volume.meta?.endWrite(offset, length);
  }

  callbacks(): { received?: () => void; settled: () => void } {
    return {
      received: this.protocol === 'B' ? () => this.clientStep() : undefined,
      settled: () => {
        if (this.protocol === 'C') this.clientStep();
        if (--this.unsettled === 0) this.volume.meta?.endWrite(this.offset, this.length);
      },
    };
  }

  /** null when the client can be answered now (no Promise on the fast path). */
  clientAck(): Promise<void> | undefined {
    if (this.clientPending === 0) return undefined;
    return new Promise((resolve) => (this.resolveClient = resolve));
  }

  private clientStep(): void {
    if (this.clientPending > 0 && --this.clientPending === 0) this.resolveClient?.();
  }
}
