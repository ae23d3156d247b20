// SyncSource side of a bitmap-based resync: walk this peer's out-of-sync bits, send the blocks
// from the local UpToDate disk, clear bits as the target acknowledges them. Resumable by
// construction: bits are cleared only on ack, so a broken link or a crash resumes where it was.
// Progress (done, rate, ETA) is reported in status and as events.
import type { Peer, PeerVolume } from '../resource/peer.js';
import type { ResyncProgress } from '../resource/states.js';
import type { Volume } from '../resource/volume.js';
import { RateMeter } from './rate-meter.js';

/** Largest block sent in one message, and how many may be unacknowledged at once. */
export const RESYNC_CHUNK = 256 * 1024;
export const RESYNC_WINDOW = 32;

export class ResyncSource {
  private cursor = 0;
  /** stale: the range changed again after it was read; its bits must stay set when acknowledged */
  private readonly inFlight = new Map<number, { offset: number; length: number; stale?: boolean }>();
  private nextId = 1;
  private stopped = false;
  private totalBytes = 0;
  private doneBytes = 0;
  private readonly meter = new RateMeter();
  private throttle: NodeJS.Timeout | null = null;
  private lastEvent = 0;

  constructor(private readonly peer: Peer, private readonly volume: Volume, private readonly pv: PeerVolume) {}

  start(): void {
    this.totalBytes = this.volume.meta!.outOfSyncBytes(this.peer.node.id);
    this.peer.resource.log.info('resync started as SyncSource', { peer: this.peer.node.name, volume: this.volume.index, bytes: this.totalBytes });
    this.peer.sendState(); // lets the target switch to SyncTarget before the data arrives
    this.pump();
  }

  stop(): void {
    this.stopped = true;
    if (this.throttle) clearTimeout(this.throttle);
  }

  /** Send blocks while the window, the link and the rate limit allow. */
  pump(): void {
    while (!this.stopped && this.throttle === null && this.inFlight.size < RESYNC_WINDOW) {
      if (this.overRate()) return;
      const run = this.nextRun();
      if (!run) { this.maybeFinish(); return; }
      if (!this.send(run.offset, run.length)) return; // link full: resumes on drain
    }
  }

  onAck(msg: { id: number; offset: number; length: number }): void {
    const sent = this.inFlight.get(msg.id);
    if (!sent || sent.offset !== msg.offset || sent.length !== msg.length) return;
    this.inFlight.delete(msg.id);
    if (!sent.stale) this.volume.meta!.markInSync(this.peer.node.id, sent.offset, sent.length);
    this.doneBytes += sent.length;
    this.meter.add(sent.length);
    this.reportProgress();
    this.pump();
  }

  /** Blocks were marked out of sync again (a write the target misses): resend them, do not clear them. */
  noteDirtied(offset: number, length: number): void {
    for (const sent of this.inFlight.values()) {
      if (sent.offset < offset + length && offset < sent.offset + sent.length) sent.stale = true;
    }
  }

  progress(): ResyncProgress {
    const rate = this.meter.rate();
    const left = Math.max(0, this.totalBytes - this.doneBytes);
    return {
      doneBytes: this.doneBytes,
      totalBytes: this.totalBytes,
      percent: this.totalBytes === 0 ? 100 : (100 * this.doneBytes) / this.totalBytes,
      rateBytesPerSec: Math.round(rate),
      etaSeconds: rate > 0 ? left / rate : null,
    };
  }

  /** The next out-of-sync run not already in flight: from the cursor on, then from the start. */
  private nextRun(): { offset: number; length: number } | null {
    const meta = this.volume.meta!;
    for (const from of [this.cursor, 0]) {
      let pos = from;
      for (let run = meta.nextOutOfSync(this.peer.node.id, pos, RESYNC_CHUNK); run; run = meta.nextOutOfSync(this.peer.node.id, pos, RESYNC_CHUNK)) {
        const busy = this.overlapping(run.offset, run.length);
        if (!busy) { this.cursor = run.offset + run.length; return run; }
        pos = Math.max(run.offset + run.length, busy.offset + busy.length);
      }
    }
    return null;
  }

  private overlapping(offset: number, length: number): { offset: number; length: number } | undefined {
    for (const s of this.inFlight.values()) if (s.offset < offset + length && offset < s.offset + s.length) return s;
    return undefined;
  }

  private send(offset: number, length: number): boolean {
    const link = this.peer.link;
    if (!link) return false;
    const id = this.nextId++;
    this.inFlight.set(id, { offset, length });
    const data = this.volume.backing!.read(offset, length);
    return link.sendData({ type: 'ResyncData', volume: this.volume.index, id, offset, data });
  }

  private maybeFinish(): void {
    if (this.inFlight.size > 0 || this.stopped) return;
    if (this.volume.meta!.outOfSyncBytes(this.peer.node.id) > 0) return; // set again meanwhile: next ack pumps
    this.stopped = true;
    const meta = this.volume.meta!;
    meta.setBitmapGeneration(this.peer.node.id, 0n);
    this.peer.link?.sendData({ type: 'ResyncDone', volume: this.volume.index, current: meta.current(), history: meta.history().slice(0, 8) });
    this.pv.replicationState = 'Established';
    this.pv.peerDiskState = 'UpToDate';
    this.pv.resync = null;
    this.peer.resource.log.info('resync finished as SyncSource', { peer: this.peer.node.name, volume: this.volume.index, bytes: this.doneBytes });
    this.peer.resource.emit('replication', { peer: this.peer.node.name, volume: this.volume.index, replicationState: 'Established', peerDiskState: 'UpToDate' });
    this.peer.resource.fencing.reconcile();
  }

  /** Fixed rate limit (resync-rate); 0 means as fast as the link and disks go. */
  private overRate(): boolean {
    const limit = this.peer.resource.config.resyncRate;
    if (limit <= 0 || this.meter.rate() <= limit) return false;
    this.throttle = setTimeout(() => { this.throttle = null; this.pump(); }, 20);
    return true;
  }

  private reportProgress(): void {
    const now = Date.now();
    if (now - this.lastEvent < 1000) return;
    this.lastEvent = now;
    this.peer.resource.emit('resync-progress', { peer: this.peer.node.name, volume: this.volume.index, ...this.progress() });
  }
}
