// The one write pipeline of a Primary, with or without a local disk. An NBD write of any size the
// export advertises is cut into chunks of at most one Write frame, aligned so that a chunk never
// spans two AL extents; chunks go through these steps in order:
//   1. wait while I/O is suspended (fencing, no quorum); check the node may write;
//   2. lock the chunk's blocks (overlapping writes in flight are ordered: range-lock.ts);
//   3. the AL covers the range, durably, before anything is written (M1, docs/ARCHITECTURE.md);
//   4. wait until every peer that gets it has room (link bound, transfer-log bound in bytes); the
//      first write after a lost peer also waits for the data disk's flush and starts the new
//      generation (Resource.newGenerationDurable); a write that waits for nothing is admitted
//      and sent in the turn it arrived;
//   5. send it to those peers and submit the local write in parallel; diskful peers that do not
//      get it have its blocks set out of sync (and are named in the Write's `missing` mask);
//   6. answer the client once the local write is done and every peer has what its own
//      connection's protocol asks (A: sent; B: received; C: written); a peer that fails to
//      store it keeps the blocks out of sync;
//   7. drop the AL reference once every peer has settled the write (stored, or bits set).
// A local write error detaches the disk (on-io-error = detach): the range stays out of sync for
// every peer and the volume goes on through its peers.
import { assert } from '../lib/assert.js';
import { AL_EXTENT_BYTES } from '../meta/layout.js';
import { MAX_DATA_BYTES } from '../wire/version.js';
import { isServer, missingMask, WriteOutcome } from './exposed-generation.js';
import { ioError } from './io-error.js';
import type { VolumeMeta } from './metadata.js';
import type { Peer } from './peer.js';
import type { PeerLinkPort } from './platform.js';
import type { LockedRange } from './range-lock.js';
import type { WriteCallbacks } from './transfer-log.js';
import type { Resource } from './resource.js';
import type { ExposedData, Volume } from './volume.js';

/** One Write frame's data; chunks are aligned to it, so a chunk stays inside one AL extent. */
export const WRITE_CHUNK_BYTES = MAX_DATA_BYTES;
/** WriteZeroes carry no data: one AL extent per message. */
export const ZEROES_CHUNK_BYTES = AL_EXTENT_BYTES;

interface Chunk {
  offset: number;
  length: number;
  /** null: write zeroes */
  data: Buffer | null;
  fua: boolean;
}

interface Admitted {
  range: LockedRange;
  meta: VolumeMeta | null;
  targets: Peer[];
}

export class WritePipeline {
  constructor(private readonly resource: Resource, private readonly volume: Volume) {}

  write(offset: number, data: Buffer, fua: boolean): Promise<void> {
    // most requests fit one chunk: no list, no closure, no subarray
    if (Math.floor(offset / WRITE_CHUNK_BYTES) === Math.floor((offset + data.length - 1) / WRITE_CHUNK_BYTES)) return this.start({ offset, length: data.length, data, fua });
    return this.runAll(chunks(offset, data.length, WRITE_CHUNK_BYTES, (o, l) => ({ offset: o, length: l, data: data.subarray(o - offset, o - offset + l), fua })));
  }

  writeZeroes(offset: number, length: number, fua: boolean): Promise<void> {
    const list = chunks(offset, length, ZEROES_CHUNK_BYTES, (o, l) => ({ offset: o, length: l, data: null, fua }));
    return list.length === 1 ? this.start(list[0]) : this.runAll(list);
  }

  /**
   * One chunk, start to answer. A write that needs to wait for nothing (no suspension, its blocks
   * free, its AL extents active, room on every link: most writes) is admitted and sent in this
   * turn without an async frame; one that must wait takes the async path.
   */
  private start(c: Chunk): Promise<void> {
    let a: Admitted | Promise<Admitted>;
    try {
      a = this.admit(c);
    } catch (err) {
      return Promise.reject(err);
    }
    // admit checked the room in this turn; the first write of a new generation waits for its flush
    if (!(a instanceof Promise) && !this.startsGeneration(a)) return this.submit(c, a);
    return this.submitWhenRoom(c, a).then((s) => s.done);
  }

  /**
   * Chunks are admitted one after another (in order), then complete in parallel. Each chunk's
   * failure is taken as it happens: one that fails while a later chunk still waits for admission
   * was an unhandled rejection until this loop ended, which stops Node's process (sim seeds
   * 1197483974, 2023218118: a chunk failed by a demotion while the next waited for its blocks).
   */
  private async runAll(list: Chunk[]): Promise<void> {
    const failures: Array<Promise<unknown>> = [];
    let failure: unknown = null;
    for (const chunk of list) {
      try {
        failures.push((await this.submitWhenRoom(chunk, this.admit(chunk))).done.then(() => null, (err: unknown) => err ?? this.chunkFailed(chunk)));
      } catch (err) {
        failure = err;
        break;
      }
    }
    const chunkFailures = await Promise.all(failures);
    if (failure !== null) throw failure;
    for (const err of chunkFailures) if (err !== null) throw err;
  }

  /** A chunk rejected without a reason (none does: ReplicatedWrite fails with an ioError) still fails the write. */
  private chunkFailed(c: Chunk): Error {
    return ioError('EIO', `the write of ${c.length} bytes at ${c.offset} to volume ${this.volume.index} of ${this.resource.name} failed`);
  }

  /**
   * Send once admitted: the room seen in admit may have been taken meanwhile by another request
   * admitted in the same turn, so it is checked again with nothing awaited between that check and
   * the sends (the link's queue bound holds however many requests are in flight).
   */
  private async submitWhenRoom(c: Chunk, admitting: Admitted | Promise<Admitted>): Promise<{ done: Promise<void> }> {
    let a = await admitting;
    for (;;) {
      if (this.resource.isSuspended) {
        a = await this.readmitWhenResumed(c, a);
        continue;
      }
      // the first write after a lost peer starts the new generation (Resource.newGenerationDurable)
      const generation = this.startsGeneration(a);
      const wait = generation ? this.resource.newGenerationDurable(this.volume) : this.roomFor(c, a);
      if (!wait) return { done: this.submit(c, a) };
      await wait;
      try {
        this.checkWritable(); // the role or the disk may have changed while waiting
        if (a.meta !== (this.volume.usable ? this.volume.meta : null)) throw ioError('EIO', `volume ${this.volume.index} of ${this.resource.name} changed its disk while the write waited`);
        // a peer that began replicating while the write waited (the flush of a new generation,
        // room on another peer's slow link) gets the write, or it would be called UpToDate
        // without it: its resync ran before these blocks were marked for it (seeds 20420,
        // 1197483974: a chunk of an 11 MiB write waited 3 s for room); its room is checked next
        a.targets = this.targets();
      } catch (err) {
        this.unadmit(c, a.range, a.meta, a.meta !== null);
        throw err;
      }
    }
  }

  /**
   * I/O froze while this write waited at step 3 or 4 (room on a link that then broke, its AL
   * extent): a peer lost meanwhile lacks it, and sent now it would be answered before fence-peer
   * settled that peer (and would start the lost peer's new generation, which a Primary that dies
   * frozen must not have started). As DRBD pushes such a request back (RQ_POSTPONED) and retries
   * it once I/O resumes, the admission is undone (lock, AL pin: an unbounded freeze holds
   * nothing) and the write starts again at step 1 (seed 30115).
   */
  private readmitWhenResumed(c: Chunk, a: Admitted): Promise<Admitted> {
    this.unadmit(c, a.range, a.meta, a.meta !== null);
    return Promise.resolve(this.admit(c));
  }

  /**
   * Steps 1 to 4: everything that may wait, before anything is written or sent. Synchronous
   * (no promise) when nothing had to wait; a throw before anything was taken.
   */
  private admit(c: Chunk): Admitted | Promise<Admitted> {
    if (this.resource.isSuspended || this.volume.failing) return this.admitAfterWaiting(c);
    this.checkWritable();
    const lock = this.volume.locks.acquire(c.offset, c.length);
    return lock instanceof Promise ? lock.then((range) => this.admitLocked(c, range)) : this.admitLocked(c, lock);
  }

  private async admitAfterWaiting(c: Chunk): Promise<Admitted> {
    while (this.resource.isSuspended) await this.resource.whenResumed();
    while (this.volume.failing) await this.volume.failing; // the peers it goes on through are decided then
    return this.admit(c);
  }

  /** The blocks are locked: pin the AL extents (durably), then wait for room on every link. */
  private admitLocked(c: Chunk, range: LockedRange): Admitted | Promise<Admitted> {
    // the metadata is used from here until the AL reference is dropped (maybeRelease): a detach waits
    const meta = this.volume.usable ? this.volume.meta : null;
    if (meta) this.volume.beginActivity();
    let al: Promise<void> | null;
    try {
      al = meta ? meta.beginWrite(c.offset, c.length) : null;
    } catch (err) {
      this.unadmit(c, range, meta, false);
      throw err;
    }
    if (al === null) {
      const targets = this.targets();
      if (blockedTarget(targets, c.length) === null) return this.admitted(c, range, meta, targets);
    }
    return this.admitWhenReady(c, range, meta, al);
  }

  private async admitWhenReady(c: Chunk, range: LockedRange, meta: VolumeMeta | null, al: Promise<void> | null): Promise<Admitted> {
    let targets: Peer[];
    try {
      if (al) await al;
      targets = await this.waitForRoom(c.length);
    } catch (err) {
      this.unadmit(c, range, meta, meta !== null);
      throw err;
    }
    return this.admitted(c, range, meta, targets);
  }

  /** The last checks, in the turn the write is admitted; a throw undoes the admission first. */
  private admitted(c: Chunk, range: LockedRange, meta: VolumeMeta | null, targets: Peer[]): Admitted {
    try {
      this.checkWritable(); // the role or the disk may have changed while waiting
      if (meta !== (this.volume.usable ? this.volume.meta : null)) throw ioError('EIO', `volume ${this.volume.index} of ${this.resource.name} changed its disk while the write waited`);
    } catch (err) {
      this.unadmit(c, range, meta, meta !== null);
      throw err;
    }
    if (!meta && targets.length > 0) this.volume.wroteWithoutDisk = true;
    return { range, meta, targets };
  }

  /** Undoes an admission that failed: the AL pin (if taken), the activity, the lock. */
  private unadmit(c: Chunk, range: LockedRange, meta: VolumeMeta | null, pinned: boolean): void {
    if (pinned) meta!.endWrite(c.offset, c.length);
    if (meta) this.volume.endActivity();
    this.volume.locks.release(range);
  }

  /** A write with the local disk after a lost peer: it starts the new data generation first. */
  private startsGeneration(a: Admitted): boolean {
    return a.meta !== null && this.volume.pendingNewGeneration.length > 0;
  }

  /** Room on every link the chunk goes to, or what to wait for first. */
  private roomFor(c: Chunk, a: Admitted): Promise<void> | null {
    const blocked = a.targets.find((p) => p.connected && (!p.canSend || !p.transfer.hasRoom(c.length)));
    if (!blocked) return null;
    return blocked.canSend ? blocked.transfer.waitForRoom() : blocked.whenCanSend();
  }

  private async waitForRoom(length: number): Promise<Peer[]> {
    for (;;) {
      const targets = this.targets();
      const blocked = blockedTarget(targets, length);
      if (!blocked) return targets;
      await (blocked.canSend ? blocked.transfer.waitForRoom() : blocked.whenCanSend());
    }
  }

  /** Steps 5 to 7 (nothing here waits before the chunk is sent and submitted). */
  private submit(c: Chunk, a: Admitted): Promise<void> {
    const r = this.resource;
    const v = this.volume;
    if (!a.targets.every(isConnected)) a.targets = a.targets.filter(isConnected); // a link lost since admission: it misses this one
    if (!a.meta && a.targets.length === 0) {
      // no local disk and every peer that would store it is gone: answering (A, B) would lie
      v.locks.release(a.range);
      return Promise.reject(ioError('EIO', `volume ${v.index} of ${r.name}: every peer that would store this write was lost before it was sent`));
    }
    const seq = r.nextSeq();
    const missing = missingMask(r, v, a.targets);
    if (a.meta) for (const peer of r.peers.values()) if (peer.diskful && !a.targets.includes(peer)) a.meta.markOutOfSync(peer.node.id, c.offset, c.length, true);
    // pair assertion: what enters a transfer log is covered by a pinned AL extent until it settles
    if (a.meta) assert(a.meta.isPinned(c.offset, c.length), 'a write sent to peers is covered by a pinned AL extent');
    // Without a local disk a write exists only once a peer has stored it: protocol C's answer,
    // whatever the connection's protocol (A and B rest on the Primary's own copy; seed 20792)
    const write = new ReplicatedWrite(r, v, c, a, !a.meta, seq, missing);
    if (!a.meta) {
      v.unansweredDiskless.add(write);
      v.disklessSent.push({ seq, offset: c.offset, length: c.length });
    }
    if (!a.meta) markTargets(v.exposedData[0], a.targets, write); // they may hold data of the generation it exposes
    if (!a.meta && v.attached) write.trackOffDisk(seq);
    const flags = c.fua ? FUA : NO_FLAGS;
    for (const peer of a.targets) {
      peer.transfer.add(seq, { volume: v.index, offset: c.offset, length: c.length }, write.share(peer));
      if (c.data) peer.sendData({ type: 'Write', volume: v.index, seq, epoch: 0, offset: c.offset, flags, missing, data: c.data });
      else peer.sendData({ type: 'WriteZeroes', volume: v.index, seq, epoch: 0, offset: c.offset, length: c.length, flags, missing });
    }
    write.sent();
    if (!a.meta || !v.disk) {
      write.localDone(null);
    } else {
      const local = c.data ? v.disk.write(c.offset, c.data, c.fua) : v.disk.writeZeroes(c.offset, c.length, c.fua);
      v.beginLocalWrite();
      void local.then(() => { v.endLocalWrite(); write.localDone(null); }, (err) => { v.endLocalWrite(); write.localDone(err); });
    }
    return write.done;
  }

  /** Peers that get this volume's writes: the replicating ones, or, without a local disk, the servers. */
  targets(): Peer[] {
    const v = this.volume;
    const out: Peer[] = [];
    for (const p of this.resource.peers.values()) if (v.usable ? p.replicatingTo(v.index) : isServer(p, v)) out.push(p);
    return out;
  }

  private checkWritable(): void {
    const r = this.resource;
    const v = this.volume;
    if (r.role !== 'Primary') throw ioError('ESHUTDOWN', `${r.name} is no longer Primary on this node`);
    if (r.failsWritesWithoutQuorum) throw ioError('EIO', `${r.name} has no quorum (on-no-quorum = io-error)`);
    if (v.usable) return;
    if (this.targets().length > 0) return;
    throw ioError('EIO', `volume ${v.index} of ${r.name} is ${v.diskState} and no UpToDate peer is reachable`);
  }
}

/**
 * A diskless Primary's write makes its targets hold data of the exposed generation that others
 * lack, once it is acknowledged; a write that fails holds nothing promised (seed 30341). Peers
 * marked firm already cost nothing more.
 */
function markTargets(data: ExposedData | undefined, targets: Peer[], write: ReplicatedWrite): void {
  if (!data) return;
  for (const p of targets) if (!data.writers.has(p.node.id) || data.provisional?.has(p.node.id)) write.outcome()?.mark(data, p.node.id);
}

/** Bookkeeping of one chunk: when to answer the client, when to release the AL and the lock. */
class ReplicatedWrite {
  readonly done: Promise<void>;
  private resolve!: () => void;
  private reject!: (err: unknown) => void;
  private localPending = true;
  private localError: unknown = null;
  private unsettled: number;
  private stored = 0;
  /** protocol-C peers that stored it and were UpToDate: a copy that can stand in for a failed local write */
  private storedUpToDate = 0;
  /** peers the client waits for: those on protocol B or C (A answers once sent) */
  private clientWaits: number;
  private answered = false;
  /** protocol B and C peers that got the data (RecvAck, or stored) */
  private receivedBy = 0;
  /** without a (working) local disk: the peers that got it, with the link it reached each over */
  private readonly copies: Array<{ peer: Peer; link: PeerLinkPort | null }> = [];
  /** drops this write from Volume.writesOffDisk once every peer settled it */
  private offDisk: (() => void) | null = null;
  /** a peer did not store it: the answer waits until that loss is handled (quorum, fencing) */
  private missed: 'no' | 'yes' | 'checking' | 'checked' = 'no';
  /** how it was answered, once it was */
  private acknowledged: boolean | null = null;
  /** made when a peer failed to confirm it (diskless Primary only): see WriteOutcome */
  private answerOutcome: WriteOutcome | null = null;

  constructor(
    private readonly resource: Resource,
    private readonly volume: Volume,
    private readonly chunk: Chunk,
    private readonly admitted: Admitted,
    /** every peer is held to protocol C (a write without a local disk) */
    private readonly allC: boolean,
    private readonly seq: number,
    /** the diskful nodes it was not sent to */
    private readonly missing: number,
  ) {
    this.unsettled = admitted.targets.length;
    this.clientWaits = 0;
    for (const p of admitted.targets) if (this.protocolOf(p) !== 'A') this.clientWaits++;
    this.done = new Promise((resolve, reject) => { this.resolve = resolve; this.reject = reject; });
  }

  /** The client has had its success (a write still unanswered, or failed, was acknowledged to nobody). */
  get wasAcknowledged(): boolean {
    return this.acknowledged === true;
  }

  /** Without a local disk: the outcome the marks of the peers that may hold it follow. */
  outcome(): WriteOutcome | null {
    if (this.admitted.meta) return null;
    this.answerOutcome ??= new WriteOutcome(this.acknowledged === null ? 'pending' : this.acknowledged ? 'acknowledged' : 'failed');
    return this.answerOutcome;
  }

  private fail(err: unknown): void {
    this.answeredDiskless();
    this.acknowledged = false;
    this.answerOutcome?.answered(false);
    this.reject(err);
  }

  private succeed(): void {
    this.answeredDiskless();
    this.acknowledged = true;
    this.answerOutcome?.answered(true);
    this.resolve();
  }

  /** What the answer waits for from this peer: its connection's protocol. */
  private protocolOf(peer: Peer): 'A' | 'B' | 'C' {
    return this.allC ? 'C' : peer.protocol;
  }

  /**
   * Each peer counts toward the answer per its connection's protocol: A not at all, B when it
   * has issued the write to its disk (RecvAck: a kill of its process then loses none of it), C
   * when it has stored it. A peer lost before then never got it: it still counts toward the
   * answer (it will never send one), but not as a copy; a write no B or C peer received fails
   * when the Primary has no disk of its own. A peer counts once its
   * settlement is booked, so the answer sees whether it stored it: a B peer lost before its
   * RecvAck, counted first, let the answer go before the miss was booked, so before fence-peer
   * ran under resource-and-stonith (seed 30801). A B peer's WriteAck without a RecvAck counts as
   * its arrival.
   */
  share(peer: Peer): PeerShare {
    return new PeerShare(this, peer, this.protocolOf(peer));
  }

  /** The peer's first count toward the answer (RecvAck or settlement); later ones change nothing. */
  count(share: PeerShare, arrived: boolean): void {
    if (share.counted) return;
    share.counted = true;
    if (arrived) this.receivedBy++;
    if (arrived && this.mayStandOnCopies) this.copies.push({ peer: share.peer, link: share.peer.link });
    this.clientStep();
  }

  /** Booked first, then counted (seed 30801); B: a WriteAck without RecvAck says it arrived. */
  peerSettled(share: PeerShare, stored: boolean): void {
    this.settled(share.peer, stored, share.protocol);
    if (share.protocol !== 'A') this.count(share, stored);
  }

  sent(): void {
    this.maybeAnswer();
  }

  /**
   * Without a local disk: a diskful peer this write missed (not a server when it was sent) became
   * one before the answer, UpToDate in the generation we write. Answered now, the write would be
   * acknowledged while we call that peer UpToDate and use it for reads, without it (seed
   * 1964213631: a link that came up while the write waited for its only other copy). It gets the
   * write now, behind nothing newer on its link, and the answer waits for it too; the server that
   * took the `missing` mark resyncs the range all the same. Without room on the link (or with a
   * newer write there) it is left to that resync, as before.
   */
  joinedBy(peer: Peer): void {
    const c = this.chunk;
    if (this.answered || this.admitted.meta || this.unsettled === 0 || this.admitted.targets.includes(peer)) return;
    if (!peer.connected || !peer.canSend || !peer.transfer.hasRoom(c.length) || peer.transfer.newestSeq > this.seq) return;
    // a newer write of these blocks, answered already, reaches the peer by that resync: ours would land over it
    if (this.volume.disklessSent.some((w) => w.seq > this.seq && w.offset < c.offset + c.length && c.offset < w.offset + w.length)) return;
    this.admitted.targets.push(peer);
    this.unsettled++;
    this.clientWaits++; // without a local disk every peer counts as on C
    peer.transfer.add(this.seq, { volume: this.volume.index, offset: c.offset, length: c.length }, this.share(peer));
    markTargets(this.volume.exposedData[0], [peer], this);
    const missing = (this.missing & ~(1 << peer.node.id)) >>> 0;
    const flags = c.fua ? FUA : NO_FLAGS;
    if (c.data) peer.sendData({ type: 'Write', volume: this.volume.index, seq: this.seq, epoch: 0, offset: c.offset, flags, missing, data: c.data });
    else peer.sendData({ type: 'WriteZeroes', volume: this.volume.index, seq: this.seq, epoch: 0, offset: c.offset, length: c.length, flags, missing });
  }

  /** Out of Volume.unansweredDiskless; Volume.disklessSent keeps what the oldest unanswered one needs. */
  private answeredDiskless(): void {
    const v = this.volume;
    if (!v.unansweredDiskless.delete(this)) return;
    let oldest = Infinity;
    for (const w of v.unansweredDiskless) { oldest = (w as ReplicatedWrite).seq; break; }
    const keep = v.disklessSent.findIndex((w) => w.seq >= oldest);
    v.disklessSent = keep < 0 ? [] : v.disklessSent.slice(keep);
  }

  /** Kept (a copy of its data) until every peer settled it: see Volume.writesOffDisk. */
  trackOffDisk(seq: number): void {
    if (this.unsettled === 0) return;
    const c = this.chunk;
    let settle!: () => void;
    const entry = { seq, offset: c.offset, length: c.length, data: c.data ? Buffer.from(c.data) : null, settled: new Promise<void>((resolve) => { settle = resolve; }) };
    this.volume.writesOffDisk.add(entry);
    this.offDisk = () => {
      this.volume.writesOffDisk.delete(entry);
      settle();
    };
  }

  localDone(err: unknown): void {
    this.localPending = false;
    this.volume.locks.release(this.admitted.range);
    if (err) {
      this.localError = err;
      // our disk may now differ from every peer on this range: detach, keep the range out of sync
      this.resource.localDiskFailed(this.volume, 'write', err, { offset: this.chunk.offset, length: this.chunk.length }, this.admitted.meta);
    }
    this.maybeAnswer();
    this.maybeRelease();
  }

  private settled(peer: Peer, stored: boolean, protocol: 'A' | 'B' | 'C'): void {
    if (!stored && this.missed === 'no') this.missed = 'yes';
    if (stored) {
      this.stored++;
      if (protocol === 'C' && peer.volumes.get(this.volume.index)?.peerDiskState === 'UpToDate') this.storedUpToDate++;
    } else if (this.admitted.meta) {
      // the write still pins its AL extents: persisted before they can leave the AL
      this.admitted.meta.markOutOfSync(peer.node.id, this.chunk.offset, this.chunk.length, true);
      // the disk failed since: this peer lacks a write it may hold alone (Resource.settleFailedDisk)
      if (this.volume.meta !== this.admitted.meta) this.volume.failedDiskMissedBy.add(peer.node.id);
      if (peer.connected) this.tellOthersMissedBy(peer);
    } else {
      this.resource.unconfirmedByPeer(peer, { volume: this.volume.index, offset: this.chunk.offset, length: this.chunk.length, outcome: this.outcome() });
    }
    this.unsettled--;
    assert(this.unsettled >= 0, 'a write settles once per peer');
    if (this.unsettled === 0) this.offDisk?.();
    this.maybeAnswer();
    this.maybeRelease();
  }

  /**
   * A peer failed to store the write (NegAck: its disk failed) while the others that got it did:
   * they keep its blocks out of sync for that peer too (DRBD's peer-ack mask), or whichever of
   * them it meets next, with this Primary gone, would resync it without them (sim seed 30384). A
   * lost link tells them from the transfer log instead (Resource.tellUnconfirmed).
   */
  private tellOthersMissedBy(peer: Peer): void {
    for (const other of this.admitted.targets) {
      if (other === peer || !other.connected) continue;
      other.sendData({ type: 'OutOfSync', volume: this.volume.index, offset: this.chunk.offset, length: this.chunk.length, missing: (1 << peer.node.id) >>> 0 });
    }
  }

  private clientStep(): void {
    if (this.clientWaits > 0) this.clientWaits--;
    this.maybeAnswer();
  }

  private maybeAnswer(): void {
    if (this.answered || this.localPending || this.clientWaits > 0) return;
    if (this.missed === 'yes') {
      // A peer that did not store it may be promoted without it. The loss is handled (quorum
      // recounted, fencing started) right after this settle: answer only once that has run, and
      // only if this node may still answer: quorate (on-no-quorum = io-error fails it), not
      // frozen (fencing under resource-and-stonith, suspend-io: DRBD completes such requests only
      // after fence-peer), still Primary.
      this.missed = 'checking';
      this.resource.platform.defer(() => this.afterPeerMissed());
    }
    if (this.missed === 'checking') return;
    this.answered = true;
    // on-io-error = detach masks a local write error once an UpToDate peer on protocol C has
    // written the data (the answer waited for it), as DRBD does: the disk detaches, the client
    // never sees the error. A copy on an Inconsistent peer (a SyncTarget) is no good data: the
    // write fails.
    if (this.resource.role !== 'Primary') {
      // demoted while the write was in flight (a peer's answer was slow): a Secondary answers no
      // write, and another node may be Primary by now (sim seed 30462); the write may or may not
      // have landed, as for any write that fails
      this.fail(ioError('ESHUTDOWN', `${this.resource.name} was demoted before the write to volume ${this.volume.index} completed`));
    } else if (this.localError !== null && this.storedUpToDate === 0) {
      this.fail(ioError('EIO', `local write to volume ${this.volume.index} of ${this.resource.name} failed: ${String(this.localError)}`));
    } else if (!this.admitted.meta && this.waitsForPeers && this.stored === 0 && this.receivedBy === 0) {
      this.fail(ioError('EIO', `no peer ${this.allC || this.admitted.targets.every((p) => p.protocol === 'C') ? 'stored' : 'received'} the write to volume ${this.volume.index} of ${this.resource.name}`));
    } else if (this.copiesLost()) {
      this.fail(ioError('EIO', `every peer that stored the write to volume ${this.volume.index} of ${this.resource.name} was lost before it could be answered`));
    } else {
      this.beforeAcknowledging();
      this.succeed();
    }
  }

  /**
   * A generation this Primary started claims that nothing was acknowledged since (the generation
   * handshake discards such changes instead of calling a split brain): the claim ends, durably,
   * before the first answer in it. One superblock write per claim; a field test on every other
   * write. An answer while a lost peer's new generation is pending is one that peer lacks, in
   * the generation it shared: the new one then claims nothing.
   */
  private beforeAcknowledging(): void {
    const meta = this.admitted.meta;
    if (!meta || meta !== this.volume.meta) return; // the disk failed since: it claims nothing new
    meta.endUnacknowledged();
    if (this.volume.pendingNewGeneration.length > 0) this.volume.acknowledgedBeforeNewGeneration = true;
  }

  /**
   * Without a local disk, or with a local write that failed, the answer stands on the peers' copies. One held back (a frozen Primary
   * waiting for fence-peer) past the loss of the link each copy arrived over may stand on nothing:
   * a peer back from a power loss, or gone, may have lost an unflushed write from its cache, and
   * answered then, the write was acknowledged after every copy had vanished (seed 1823246734: both
   * peers that stored it lost power while the Primary was frozen, and it answered 2 s later). It
   * fails instead, as a flush does when a peer holding the writes is lost before its FlushAck.
   */
  private copiesLost(): boolean {
    return this.mayStandOnCopies && this.copies.length > 0 && this.copies.every((c) => c.peer.link !== c.link);
  }

  /**
   * The answer may stand on the peers' copies alone: no local disk, or a local write that failed
   * or has not completed yet (it may still fail: then the copies are all there is, as with seed
   * 700000591, where the Primary's disk failed on the write, the answer waited for quorum past
   * the loss of the one peer that stored it, and that peer was outdated by fence-peer meanwhile).
   */
  private get mayStandOnCopies(): boolean {
    return !this.admitted.meta || this.localPending || this.localError !== null;
  }

  /** Some peer is on protocol B or C: without a local disk, the answer needs one of their copies. */
  private get waitsForPeers(): boolean {
    return this.admitted.targets.some((p) => this.protocolOf(p) !== 'A');
  }

  private afterPeerMissed(): void {
    const r = this.resource;
    if (r.isSuspended) { void r.whenResumed().then(() => r.guard(() => this.afterPeerMissed())); return; }
    if (r.role !== 'Primary' || r.failsWritesWithoutQuorum) {
      this.missed = 'checked';
      this.answered = true;
      const why = r.role !== 'Primary' ? `${r.name} was demoted` : `${r.name} lost quorum (on-no-quorum = io-error)`;
      this.fail(ioError(r.role !== 'Primary' ? 'ESHUTDOWN' : 'EIO', `${why} while a peer had not stored the write to volume ${this.volume.index}`));
      return;
    }
    // The peer that lacks it keeps this generation until a new one records it as behind: answered
    // before that is durable, a crash here would leave an acknowledged write that a peer of the
    // same generation lacks, and that peer could no longer be trusted to hold every write of it
    // (the crashed-Primary rule in sync-decision.ts relies on this).
    if (this.admitted.meta && this.volume.meta === this.admitted.meta && this.volume.usable && this.volume.pendingNewGeneration.length > 0) {
      void r.newGenerationDurable(this.volume).then(() => r.guard(() => this.afterPeerMissed()));
      return;
    }
    this.missed = 'checked';
    this.maybeAnswer();
  }

  /** The AL extent stays pinned until the write is settled locally and for every peer. */
  private maybeRelease(): void {
    if (this.localPending || this.unsettled > 0 || !this.admitted.meta) return;
    this.admitted.meta.endWrite(this.chunk.offset, this.chunk.length);
    this.volume.endActivity();
  }
}

/**
 * One peer's acks of one write, as the transfer log reports them: an object with methods, not
 * closures (one allocation per peer and write instead of four).
 */
class PeerShare implements WriteCallbacks {
  counted = false;

  constructor(private readonly write: ReplicatedWrite, readonly peer: Peer, readonly protocol: 'A' | 'B' | 'C') {}

  /** RecvAck: counts only on protocol B. */
  received(): void {
    if (this.protocol === 'B') this.write.count(this, true);
  }

  settled(stored: boolean): void {
    this.write.peerSettled(this, stored);
  }

  outcome(): WriteOutcome | null {
    return this.write.outcome();
  }

  acknowledged(): boolean {
    return this.write.wasAcknowledged;
  }
}

const isConnected = (p: Peer): boolean => p.connected;

/** A Write's flags; shared, never changed */
const FUA = Object.freeze({ fua: true, flush: false });
const NO_FLAGS = Object.freeze({ fua: false, flush: false });

/** The first peer that cannot take a chunk of `length` bytes now (a loop: no closure per write). */
function blockedTarget(targets: Peer[], length: number): Peer | null {
  for (const p of targets) if (!p.canSend || !p.transfer.hasRoom(length)) return p;
  return null;
}

/** [offset, offset+length) cut at multiples of `size`. */
function chunks(offset: number, length: number, size: number, make: (offset: number, length: number) => Chunk): Chunk[] {
  const out: Chunk[] = [];
  for (let o = offset; o < offset + length || (length === 0 && out.length === 0);) {
    const end = Math.min(offset + length, (Math.floor(o / size) + 1) * size);
    out.push(make(o, end - o));
    if (end === o) break;
    o = end;
  }
  return out;
}
