// SyncSource side of a bitmap-based resync: walk this peer's out-of-sync bits, read the blocks
// from the local UpToDate disk, send them, clear bits as the target acknowledges them. Resumable
// by construction: bits are cleared only on ack, so a broken link or a crash resumes where it
// was. Bounded: RESYNC_WINDOW blocks in flight, and never more while the link is full. Each
// block is read under the volume's range lock, so it is ordered with the Primary's writes to it.
// Progress (done, rate, ETA) is reported in status and as events.
//
// With csums-alg (checksum-based resync, DRBD's csums), a block goes in two steps: its digest
// first (ResyncChecksum, read and hashed under the same range lock, sent on the data stream
// exactly where ResyncData would go), and only if the target's block differs (it answers
// ResyncRequest) the data, read again under the lock as any resync block. A target whose block
// is equal answers ResyncInSync and both sides clear the bits as for transferred data. So each
// block is compared, never assumed, at the same place in the stream as the data path.
import { BYTES_PER_BIT } from '../meta/layout.js';
import type { MessageOf, WireMessage } from '../wire/messages.js';
import type { Peer, PeerVolume } from './peer.js';
import type { DigestAlg, TimerHandle } from './platform.js';
import { RateMeter } from './rate-meter.js';
import type { ResyncProgress } from './states.js';
import type { Volume } from './volume.js';

/** Largest block sent in one message, and how many may be unacknowledged at once. */
export const RESYNC_CHUNK = 256 * 1024;
export const RESYNC_WINDOW = 32;
/** The length of each csums-alg's digest: a ResyncChecksum with another length is malformed. */
export const DIGEST_BYTES: Record<DigestAlg, number> = { sha256: 32 };
const PROGRESS_EVENT_MS = 1000;

interface Sent {
  offset: number;
  length: number;
  /** checksum: its digest went out, the target's answer is due; data: the block itself went out */
  phase: 'checksum' | 'data';
  /** the range changed again after it was read: its bits stay set when acknowledged */
  stale?: boolean;
}

type Answer = { requestId: number; offset: number; length: number };

export class ResyncSource {
  private cursor = 0;
  private readonly inFlight = new Map<number, Sent>();
  private stopped = false;
  private totalBytes = 0;
  private doneBytes = 0;
  /** of doneBytes: verified equal by digest (not sent), and sent as data */
  private sameBytes = 0;
  private transferredBytes = 0;
  /** the digest blocks are compared by first; null: every block is sent (csums-alg = none) */
  private readonly csums: DigestAlg | null;
  /** progress, verified and sent: the rate and ETA shown */
  private readonly meter: RateMeter;
  /** bytes of data sent: what resync-rate limits (equal blocks cost the link a digest only) */
  private readonly linkMeter: RateMeter;
  private throttle: TimerHandle | null = null;
  /** the local disk is being flushed before the first block goes out (flushFirst) */
  private flushing = false;
  private lastEvent = -Infinity;

  constructor(private readonly peer: Peer, private readonly volume: Volume, private readonly pv: PeerVolume) {
    this.meter = new RateMeter(peer.resource.platform.clock);
    this.linkMeter = new RateMeter(peer.resource.platform.clock);
    const alg = peer.resource.config.csumsAlg;
    this.csums = alg === 'none' ? null : alg;
  }

  /** resumed: a resync paused on this link goes on (PausedSyncS → SyncSource), not a new one */
  start(resumed: boolean): void {
    this.totalBytes = this.volume.meta!.outOfSyncBytes(this.peer.node.id);
    this.peer.resource.log.info(resumed ? 'resync resumed as SyncSource' : 'resync started as SyncSource', { peer: this.peer.node.name, volume: this.volume.index, bytes: this.totalBytes, csumsAlg: this.csums ?? 'none' });
    this.peer.sendState(); // lets the target switch to SyncTarget before the data arrives
    // resumed, the target gave its data up when this resync began; an Inconsistent one has none to give
    if (resumed || !this.targetHoldsData()) { this.pump(); return; }
    this.flushing = true;
    void this.flushFirst();
  }

  /** The target's last State says its disk holds data of its own (it turns Inconsistent at our first block). */
  private targetHoldsData(): boolean {
    const state = this.pv.view?.diskState;
    return state === 'UpToDate' || state === 'Consistent' || state === 'Outdated';
  }

  /**
   * The target trusts its own data no more once our first block lands (Inconsistent), and it may
   * hold acknowledged writes that sit only in this disk's volatile cache here: a power loss of this
   * node then left no usable copy, and back, its older blocks were resynced over the target's
   * (seed 1157784795: the Primary resynced its peer's reported ranges on a reconnect in one
   * generation, with nothing flushed since its last writes; seed 872646400). Flushed first, this
   * disk holds durably what it acknowledged before the target gives its copy up.
   */
  private async flushFirst(): Promise<void> {
    const volume = this.volume;
    const disk = volume.disk;
    const r = this.peer.resource;
    try {
      await disk?.flush();
    } catch (err) {
      this.stop();
      if (volume.disk === disk) r.guard(() => r.localDiskFailed(volume, 'flush', err, null));
      return;
    }
    this.flushing = false;
    r.guard(() => this.pump());
  }

  stop(): void {
    this.stopped = true;
    this.throttle?.cancel();
    this.throttle = null;
  }

  /** Send blocks while the window, the link and the rate limit allow. */
  pump(): void {
    while (!this.stopped && !this.flushing && this.throttle === null && this.inFlight.size < RESYNC_WINDOW && this.peer.canSend) {
      if (this.overRate()) return;
      const run = this.nextRun();
      if (!run) { this.maybeFinish(); return; }
      const id = this.peer.nextResyncRequestId();
      const phase = this.csums ? 'checksum' : 'data';
      this.inFlight.set(id, { offset: run.offset, length: run.length, phase });
      void this.send(id, run.offset, run.length, phase);
    }
  }

  /** The target stored the block we sent (acknowledged data is what the rate limit counts). */
  onAck(msg: Answer): void {
    this.settle(msg, 'data');
  }

  /** csums: the target's block has our digest; it cleared its bits for us, we clear ours. */
  onInSync(msg: Answer): void {
    this.settle(msg, 'checksum');
  }

  /** csums: the target's block differs from our digest: send the block, read again under the lock. */
  onDataRequest(msg: MessageOf<'ResyncRequest'>): void {
    const sent = this.answered(msg, 'checksum');
    if (!sent) return;
    sent.phase = 'data';
    void this.send(msg.requestId, sent.offset, sent.length, 'data');
  }

  /** The block in flight that this answer is for, in the phase it answers; undefined for a stale or stray answer. */
  private answered(msg: Answer, phase: Sent['phase']): Sent | undefined {
    const sent = this.inFlight.get(msg.requestId);
    if (!sent || sent.offset !== msg.offset || sent.length !== msg.length || sent.phase !== phase || this.stopped || !this.volume.meta) return undefined;
    return sent;
  }

  /** The block is the same on the target now: its bits are cleared unless it changed meanwhile. */
  private settle(msg: Answer, phase: Sent['phase']): void {
    const sent = this.answered(msg, phase);
    if (!sent) return;
    this.inFlight.delete(msg.requestId);
    if (!sent.stale) this.volume.meta!.markInSync(this.peer.node.id, sent.offset, sent.length);
    this.doneBytes += sent.length;
    this.meter.add(sent.length);
    if (phase === 'data') {
      this.transferredBytes += sent.length;
      this.linkMeter.add(sent.length);
    } else {
      this.sameBytes += sent.length;
    }
    this.reportProgress();
    this.pump(); // may finish the resync: the counts above are final by then
  }

  /**
   * The range changed here after blocks of it were read (a write the target misses, or one it
   * gets from the Primary on another link): those in flight keep their bits and are sent again.
   */
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
      percent: this.totalBytes === 0 ? 100 : Math.min(100, (100 * this.doneBytes) / this.totalBytes),
      rateBytesPerSec: Math.round(rate),
      etaSeconds: rate > 0 ? left / rate : null,
      csumsAlg: this.csums ?? 'none',
      sameBytes: this.sameBytes,
      transferredBytes: this.transferredBytes,
    };
  }

  /**
   * Read under the range lock (and, for a checksum, hash it under the lock too), then send once
   * the link takes it. The message goes out in the same turn as the lock is released, or first
   * in line for the link's drain: a write to the range that takes the lock next goes after it.
   */
  private async send(id: number, offset: number, length: number, phase: Sent['phase']): Promise<void> {
    const volume = this.volume;
    const lock = volume.locks.acquire(offset, length);
    const range = lock instanceof Promise ? await lock : lock;
    let data: Buffer | null = null;
    let msg: WireMessage | null = null;
    const disk = this.stopped ? null : volume.disk;
    if (disk) volume.beginActivity();
    try {
      if (disk) data = await disk.read(offset, length);
    } catch (err) {
      volume.endActivity();
      volume.locks.release(range);
      this.stop();
      this.peer.resource.localDiskFailed(volume, 'read', err, null);
      return;
    }
    try {
      if (data && phase === 'data') msg = { type: 'ResyncData', volume: volume.index, requestId: id, offset, missing: this.othersMissing(offset, length), data };
      if (data && phase === 'checksum') {
        const digest = await this.peer.resource.platform.digest(this.csums!, data);
        msg = { type: 'ResyncChecksum', volume: volume.index, requestId: id, offset, length, digest };
      }
    } finally {
      if (disk) volume.endActivity();
      volume.locks.release(range);
    }
    while (!this.stopped && this.peer.link && !this.peer.canSend) await this.peer.whenCanSend();
    if (this.stopped || msg === null || !this.inFlight.has(id)) return;
    this.peer.sendData(msg);
  }

  /**
   * The diskful nodes other than the target this node keeps the range out of sync for: they lack
   * what it sends, whatever their generation (seed 30948: the Primary, back from a partition with
   * a write only it holds, resyncs n1, whose fellow n2 is in the same generation but lacks it).
   */
  private othersMissing(offset: number, length: number): number {
    const meta = this.volume.meta!;
    let missing = 0;
    for (const other of this.peer.resource.peers.values()) {
      if (other === this.peer || !other.diskful) continue;
      for (let at = offset - (offset % BYTES_PER_BIT); at < offset + length; at += BYTES_PER_BIT) {
        if (meta.isOutOfSync(other.node.id, at)) { missing |= 1 << other.node.id; break; }
      }
    }
    return missing >>> 0;
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
    this.peer.sendData({ type: 'ResyncDone', volume: this.volume.index, current: meta.current(), history: meta.history().slice(0, 32), unacknowledgedSince: meta.unacknowledgedSince() ?? 0n });
    // the peer's disk stays as it last said (Inconsistent) until its own State says UpToDate
    this.pv.replicationState = 'Established';
    this.pv.resync = null;
    this.pv.syncEnding = true;
    this.peer.resource.log.info('resync finished as SyncSource', {
      peer: this.peer.node.name, volume: this.volume.index, bytes: this.doneBytes, csumsAlg: this.csums ?? 'none', sameBytes: this.sameBytes, transferredBytes: this.transferredBytes,
    });
    this.lastEvent = -Infinity;
    this.reportProgress(); // the final counts, whenever the last event went out
    this.peer.resource.emit('replication', { peer: this.peer.node.name, volume: this.volume.index, replicationState: 'Established', peerDiskState: this.pv.peerDiskState });
  }

  /**
   * Fixed rate limit (resync-rate) on the resync data sent; 0 means as fast as the link and disks go.
   * Blocks found equal by digest cost the link a digest only and do not count against it.
   */
  private overRate(): boolean {
    const limit = this.peer.resource.config.resyncRate;
    if (limit <= 0 || this.linkMeter.rate() <= limit) return false;
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
