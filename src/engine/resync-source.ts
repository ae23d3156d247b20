// SyncSource side of a bitmap-based resync: walk this peer's out-of-sync bits, read the blocks
// from the local UpToDate disk, send them, clear bits as the target acknowledges them. Resumable
// by construction: bits are cleared only on ack, so a broken link or a crash resumes where it
// was. Bounded: RESYNC_WINDOW blocks in flight, and never more while the link is full. Each
// block is read under the volume's range lock, so it is ordered with the Primary's writes to it.
// Progress (done, rate, ETA) is reported in status and as events.
import type { Peer, PeerVolume } from './peer.js';
import type { TimerHandle } from './platform.js';
import { RateMeter } from './rate-meter.js';
import type { ResyncProgress } from './states.js';
import type { Volume } from './volume.js';

/** Largest block sent in one message, and how many may be unacknowledged at once. */
export const RESYNC_CHUNK = 256 * 1024;
export const RESYNC_WINDOW = 32;
const PROGRESS_EVENT_MS = 1000;

interface Sent {
  offset: number;
  length: number;
  /** the range changed again after it was read: its bits stay set when acknowledged */
  stale?: boolean;
}

export class ResyncSource {
  private cursor = 0;
  private readonly inFlight = new Map<number, Sent>();
  private nextId = 1;
  private stopped = false;
  private totalBytes = 0;
  private doneBytes = 0;
  private readonly meter: RateMeter;
  private throttle: TimerHandle | null = null;
  private lastEvent = -Infinity;

  constructor(private readonly peer: Peer, private readonly volume: Volume, private readonly pv: PeerVolume) {
    this.meter = new RateMeter(peer.resource.platform.clock);
  }

  start(): void {
    this.totalBytes = this.volume.meta!.outOfSyncBytes(this.peer.node.id);
    this.peer.resource.log.info('resync started as SyncSource', { peer: this.peer.node.name, volume: this.volume.index, bytes: this.totalBytes });
    this.peer.sendState(); // lets the target switch to SyncTarget before the data arrives
    this.pump();
  }

  stop(): void {
    this.stopped = true;
    this.throttle?.cancel();
    this.throttle = null;
  }

  /** Send blocks while the window, the link and the rate limit allow. */
  pump(): void {
    while (!this.stopped && this.throttle === null && this.inFlight.size < RESYNC_WINDOW && this.peer.canSend) {
      if (this.overRate()) return;
      const run = this.nextRun();
      if (!run) { this.maybeFinish(); return; }
      const id = this.nextId++;
      this.inFlight.set(id, { offset: run.offset, length: run.length });
      void this.send(id, run.offset, run.length);
    }
  }

  onAck(msg: { requestId: number; offset: number; length: number }): void {
    const sent = this.inFlight.get(msg.requestId);
    const meta = this.volume.meta;
    if (!sent || sent.offset !== msg.offset || sent.length !== msg.length || this.stopped || !meta) return;
    this.inFlight.delete(msg.requestId);
    if (!sent.stale) meta.markInSync(this.peer.node.id, sent.offset, sent.length);
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

  /** Read under the range lock, then send once the link takes it. */
  private async send(id: number, offset: number, length: number): Promise<void> {
    const volume = this.volume;
    const lock = volume.locks.acquire(offset, length);
    const range = lock instanceof Promise ? await lock : lock;
    let data: Buffer | null = null;
    const disk = this.stopped ? null : volume.disk;
    if (disk) volume.beginActivity();
    try {
      if (disk) data = await disk.read(offset, length);
    } catch (err) {
      this.stop();
      this.peer.resource.localDiskFailed(volume, err, null);
      return;
    } finally {
      if (disk) volume.endActivity();
      volume.locks.release(range);
    }
    while (!this.stopped && this.peer.link && !this.peer.canSend) await this.peer.whenCanSend();
    if (this.stopped || data === null || !this.inFlight.has(id)) return;
    this.peer.sendData({ type: 'ResyncData', volume: volume.index, requestId: id, offset, data });
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

  private overlapping(offset: number, length: number): Sent | undefined {
    for (const s of this.inFlight.values()) if (s.offset < offset + length && offset < s.offset + s.length) return s;
    return undefined;
  }

  private maybeFinish(): void {
    if (this.inFlight.size > 0 || this.stopped) return;
    const meta = this.volume.meta!;
    if (meta.outOfSyncBytes(this.peer.node.id) > 0) return; // set again meanwhile: the next ack pumps
    this.stopped = true;
    meta.setBitmapGeneration(this.peer.node.id, 0n);
    this.peer.sendData({ type: 'ResyncDone', volume: this.volume.index, current: meta.current(), history: meta.history().slice(0, 32) });
    // the peer's disk stays as it last said (Inconsistent) until its own State says UpToDate
    this.pv.replicationState = 'Established';
    this.pv.resync = null;
    this.pv.syncEnding = true;
    this.peer.resource.log.info('resync finished as SyncSource', { peer: this.peer.node.name, volume: this.volume.index, bytes: this.doneBytes });
    this.peer.resource.emit('replication', { peer: this.peer.node.name, volume: this.volume.index, replicationState: 'Established', peerDiskState: this.pv.peerDiskState });
  }

  /** Fixed rate limit (resync-rate); 0 means as fast as the link and disks go. */
  private overRate(): boolean {
    const limit = this.peer.resource.config.resyncRate;
    if (limit <= 0 || this.meter.rate() <= limit) return false;
    this.throttle = this.peer.resource.platform.clock.setTimer(20, () => {
      this.throttle = null;
      this.peer.resource.guard(() => this.pump());
    });
    return true;
  }

  private reportProgress(): void {
    const now = this.peer.resource.platform.clock.now();
    if (now - this.lastEvent < PROGRESS_EVENT_MS) return;
    this.lastEvent = now;
    this.peer.resource.emit('resync-progress', { peer: this.peer.node.name, volume: this.volume.index, ...this.progress() });
  }
}
