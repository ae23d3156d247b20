// The reference model of the data the workload was promised: per volume and 512-byte sector, the
// oldest write whose data a reader may still see there. The checkers compare nodes against it.
//
// Rules (every id is a write of the workload; ids grow in issue order, and the workload never has
// two overlapping requests in flight, so per sector the writes are totally ordered):
//   * floor[s]: the last acknowledged write or write-zeroes covering s. A read of s may return
//     that write's data, or the data of any later write covering s that was issued (it may have
//     landed, acknowledged or not); zeros are allowed only if a write-zeroes or trim with an id at
//     or above floor[s] covers s (or nothing was ever acknowledged there).
//   * a trim is advisory: it never raises the floor, it only allows zeros.
//   * durable[s]: the last write covering s that was acknowledged durable (FUA, or completed
//     before a flush that completed): losing it is never allowed, even to a power loss.
//   * the floor only ever drops where a checker proves a loss is allowed: the physical copies of
//     a volatile write vanished in power losses, or the protocol or fencing mode allows it (see
//     checkers.ts); nothing else lowers it.
// A split brain forks the model: each side has its own floors until an operator keeps one. A
// side's model knows only its own lineage: the writes issued before the fork and those its own
// nodes took since. The other side's data is never a copy of its writes, however new its id.
import type { SectorContent } from './content.js';
import { SECTOR } from './content.js';

export type WriteKind = 'data' | 'zero' | 'trim';

export interface WriteRecord {
  id: number;
  volume: number;
  offset: number;
  length: number;
  kind: WriteKind;
  fua: boolean;
  /** the node whose export took it */
  node: string;
  issuedAt: number;
  state: 'pending' | 'acked' | 'failed' | 'unknown';
  ackedAt: number | null;
  durable: boolean;
}

export class VolumeModel {
  readonly floor: Uint32Array;
  readonly zeroSince: Uint32Array;
  readonly durable: Uint32Array;

  constructor(readonly sizeBytes: number, from?: VolumeModel) {
    const sectors = sizeBytes / SECTOR;
    this.floor = from ? from.floor.slice() : new Uint32Array(sectors);
    this.zeroSince = from ? from.zeroSince.slice() : new Uint32Array(sectors);
    this.durable = from ? from.durable.slice() : new Uint32Array(sectors);
  }
}

export class DataModel {
  readonly volumes: VolumeModel[];
  /** acknowledged writes not yet known durable, in acknowledgement order */
  private volatileAcked: WriteRecord[] = [];
  /** the ids of the writes issued in this model or, before its fork, in the model it came from */
  private readonly lineage: Set<number>;

  constructor(
    sizes: number[],
    /** every write of the run, by id: shared by the forks of a split brain */
    readonly writes: Map<number, WriteRecord> = new Map(),
    from?: DataModel,
  ) {
    this.volumes = sizes.map((size, v) => new VolumeModel(size, from?.volumes[v]));
    if (from) this.volatileAcked = [...from.volatileAcked];
    this.lineage = new Set(from?.lineage);
  }

  /** A copy that goes its own way from now on (one side of a split brain). */
  fork(): DataModel {
    return new DataModel(this.volumes.map((v) => v.sizeBytes), this.writes, this);
  }

  /** A write leaves the client: from now on its data (or zeros) may be seen. */
  issued(w: WriteRecord): void {
    this.writes.set(w.id, w);
    this.lineage.add(w.id);
    if (w.kind === 'data') return;
    const vm = this.volumes[w.volume];
    forSectors(w, (s) => { vm.zeroSince[s] = w.id; });
  }

  acked(w: WriteRecord, now: number): void {
    w.state = 'acked';
    w.ackedAt = now;
    if (w.kind === 'trim') return;
    const vm = this.volumes[w.volume];
    forSectors(w, (s) => { vm.floor[s] = w.id; });
    if (w.fua) this.madeDurable(w);
    else this.volatileAcked.push(w);
  }

  /** The writes a flush of `volume` issued now covers (acknowledged before it, on that volume: an NBD flush is per export). */
  flushIssued(volume: number): WriteRecord[] {
    return this.volatileAcked.filter((w) => w.volume === volume);
  }

  /** Acknowledged writes not (yet) known durable, oldest first. */
  get volatile(): readonly WriteRecord[] {
    return this.volatileAcked;
  }

  flushAcked(covered: WriteRecord[]): void {
    const done = new Set(covered);
    this.volatileAcked = this.volatileAcked.filter((w) => !done.has(w));
    for (const w of covered) this.madeDurable(w);
  }

  /** null when `content` is something a reader may see at `sector` now, else why not. */
  check(volume: number, sector: number, content: SectorContent): string | null {
    const vm = this.volumes[volume];
    const floor = vm.floor[sector];
    switch (content.kind) {
      case 'garbage': return `garbage (${content.reason})`;
      case 'zero':
        return vm.zeroSince[sector] >= floor ? null : `zeros, but write ${floor} (${this.describe(floor)}) is acknowledged there`;
      case 'data': {
        const w = this.writes.get(content.id);
        if (!w || w.kind !== 'data' || w.volume !== volume || sector * SECTOR < w.offset || sector * SECTOR >= w.offset + w.length) {
          return `data of write ${content.id}, which never covered this sector`;
        }
        if (!this.lineage.has(content.id)) return `data of write ${content.id} (${this.describe(content.id)}), issued on the other side of a split brain`;
        if (content.id >= floor) return null;
        return `stale data of write ${content.id} (${this.describe(content.id)}), but write ${floor} (${this.describe(floor)}) is acknowledged there`;
      }
    }
  }

  /**
   * Accept what a node holds at `sector` as the newest allowed (a loss the rules allow, or an
   * operator's word). What was durable there before is given up too: the floor is the new truth.
   */
  lowerFloor(volume: number, sector: number, to: number): void {
    const vm = this.volumes[volume];
    if (to < vm.floor[sector]) vm.floor[sector] = to;
    if (vm.durable[sector] > vm.floor[sector]) vm.durable[sector] = vm.floor[sector];
  }

  describe(id: number): string {
    if (id === 0) return 'never written';
    const w = this.writes.get(id);
    if (!w) return 'unknown';
    return `${w.kind} ${w.offset}+${w.length} on ${w.node} at ${w.issuedAt.toFixed(3)} ms, ${w.state}${w.fua ? ', fua' : ''}${w.durable ? ', durable' : ''}`;
  }

  /**
   * A flush (or FUA) made `w` durable wherever this model still requires it. Where its floor was
   * lowered below `w` (a loss the rules allowed, or the data a node holds at a forced takeover),
   * `w` is no longer this model's data: a later flush on this side's disks says nothing of it,
   * and a durable mark above the floor would make a later excuse lower the floor back up to a
   * write these nodes never held (seed 1476445202: a fork inherited the other side's volatile
   * write 30, its node's flush marked it durable, and a power loss "excused" its sector to 30).
   */
  private madeDurable(w: WriteRecord): void {
    const vm = this.volumes[w.volume];
    forSectors(w, (s) => {
      if (vm.floor[s] < w.id) return;
      w.durable = true;
      if (vm.durable[s] < w.id) vm.durable[s] = w.id;
    });
  }
}

export function forSectors(w: { offset: number; length: number }, fn: (sector: number) => void): void {
  const end = Math.ceil((w.offset + w.length) / SECTOR);
  for (let s = Math.floor(w.offset / SECTOR); s < end; s++) fn(s);
}
