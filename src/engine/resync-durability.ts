// A SyncTarget's resync data becomes "in sync" only once it is durable. The disk acknowledges a
// write from its volatile cache; if the bit for the source were cleared then (bitmap updates are
// persisted at once), a power loss would drop the data and keep the cleared bit, and the resumed
// resync would skip the block: the node would later call itself UpToDate without it. So the bits
// of written resync data are cleared in batches, after a flush of the data disk that began after
// the data was written (DRBD gets the same from writing its bitmap after the resync's flushes).
// Until then the bits stay set: a reconnect reports them, and the source sends those blocks again.
// A batch clears its bits only while this node still takes that source's resync on the same link:
// once the link or the resync ended, a later write may have set a bit again, and the bit wins.
import type { VolumeMeta } from './metadata.js';
import type { Peer } from './peer.js';
import type { BlockDevice } from './platform.js';

/** Written, not yet flushed resync data beyond this is flushed (bounds what a power loss resends). */
export const RESYNC_FLUSH_BYTES = 16 * 1024 * 1024;

interface Written { source: Peer; link: Peer['link']; offset: number; length: number }

export class ResyncDurability {
  private written: Written[] = [];
  private bytes = 0;
  /** the metadata the pending ranges belong to (a re-attached disk starts afresh) */
  private meta: VolumeMeta | null = null;
  /** the batches settle in order: a later flush never clears bits before an earlier one */
  private settling: Promise<void> = Promise.resolve();

  constructor(private readonly volume: number) {}

  /** Resync data (or a block found equal by its digest) from `source` is on the disk, maybe in its cache. */
  add(meta: VolumeMeta, source: Peer, offset: number, length: number): void {
    if (this.meta !== meta) this.drop();
    this.meta = meta;
    this.written.push({ source, link: source.link, offset, length });
    this.bytes += length;
  }

  /** Enough is waiting that a flush is due (the caller runs settle()). */
  get due(): boolean {
    return this.bytes >= RESYNC_FLUSH_BYTES;
  }

  /**
   * Flush the disk, then clear the bits of everything written before the flush began. Rejects
   * when the flush fails (the bits stay set). Waits for earlier batches first.
   */
  settle(disk: BlockDevice): Promise<void> {
    const batch = this.written;
    const meta = this.meta;
    this.written = [];
    this.bytes = 0;
    const run = this.settling.then(async () => {
      await disk.flush();
      if (!meta || this.meta !== meta) return; // detached since: the bits stay set
      for (const w of batch) if (this.stillTaking(w)) meta.markInSync(w.source.node.id, w.offset, w.length);
    });
    this.settling = run.catch(() => undefined); // a failed batch does not block later ones
    return run;
  }

  private stillTaking(w: Written): boolean {
    return w.source.link === w.link && w.source.connected && w.source.volumes.get(this.volume)?.replicationState === 'SyncTarget';
  }

  /** The disk goes away: its pending bits stay set (the data will be resent). */
  drop(): void {
    this.written = [];
    this.bytes = 0;
    this.meta = null;
  }
}
