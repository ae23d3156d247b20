// One volume as this node holds it: the backing disk and its metadata (absent when diskless),
// the local disk state, and the NBD export while this node is Primary.
import type { VolumeConfig } from '../config/model.js';
import type { BackingStore } from './backing-store.js';
import type { ExportPort, VolumeMetaPort } from './ports.js';
import type { DiskState } from './states.js';

export class Volume {
  diskState: DiskState = 'Diskless';
  backing: BackingStore | null = null;
  meta: VolumeMetaPort | null = null;
  export: ExportPort | null = null;
  /** known size: local disk's, or learned from a diskful peer when diskless */
  sizeBytes = 0;
  /**
   * Diskless Primary only: the data generation it writes (DRBD's exposed data UUID), newest first
   * with the ones it replaced. Peers in this generation get its writes; the others are "missing".
   */
  exposed: bigint[] = [];
  /** the peer whose resync data this node is taking (node id), one at a time */
  syncSource: number | null = null;
  /** peers that were in the generation a diskless Primary just replaced and follow it (link kept) */
  readonly followers = new Set<number>();

  constructor(readonly config: VolumeConfig) {}

  get index(): number {
    return this.config.index;
  }

  get diskful(): boolean {
    return this.config.disk !== null;
  }

  /** Disk state derived from the metadata flags at attach (DRBD's disk_state_from_md). */
  static diskStateFromFlags(flags: { consistent: boolean; wasUpToDate: boolean }): DiskState {
    if (!flags.consistent) return 'Inconsistent';
    return flags.wasUpToDate ? 'UpToDate' : 'Outdated';
  }
}
