// What each message a peer sends on its data stream does here (a Primary's writes, a SyncSource's
// resync data, a diskless Primary's reads). apply-queue.ts decides when each runs; acks go back
// on the control stream. A write this node fails to store is answered with NegAck and the disk
// is detached (on-io-error): the Primary keeps the blocks out of sync for us.
import type { MessageOf, WireMessage } from '../wire/messages.js';
import { MAX_DATA_BYTES } from '../wire/version.js';
import type { VolumeMeta } from './metadata.js';
import type { Peer } from './peer.js';
import { replicatesFromPrimary } from './generation-handshake.js';
import type { BlockDevice } from './platform.js';
import { DIGEST_BYTES } from './resync-source.js';
import { answerStateChange } from './state-change.js';
import { sameGeneration } from './sync-decision.js';
import { lateWriteOfLostPrimary } from './survivors.js';
import type { Volume } from './volume.js';

type Applied = Extract<WireMessage, { type: 'Write' | 'WriteZeroes' | 'OutOfSync' | 'Flush' | 'ResyncData' | 'ResyncChecksum' | 'ResyncDone' | 'ReadRequest' | 'State' | 'StateChangeRequest' | 'StateChangeReply' }>;

/** The range lock a message needs while it runs; null for the messages that are barriers. */
export function lockedRange(peer: Peer, msg: WireMessage): { lock: Volume['locks']; offset: number; length: number } | null {
  switch (msg.type) {
    case 'Write': case 'ResyncData': return lockOf(peer, msg.volume, msg.offset, msg.data.length);
    case 'WriteZeroes': case 'ReadRequest': case 'ResyncChecksum': return lockOf(peer, msg.volume, msg.offset, msg.length);
    default: return null;
  }
}

function lockOf(peer: Peer, index: number, offset: number, length: number): { lock: Volume['locks']; offset: number; length: number } | null {
  const volume = peer.resource.volume(index);
  // an unknown volume is a protocol error, reported when the message runs (as a barrier)
  return volume ? { lock: volume.locks, offset, length } : null;
}

/** `late`: the link it came on is gone (ApplyQueue.abandon): only writes run then, and answer nothing. */
export function applyMessage(peer: Peer, msg: WireMessage, late = false): void | Promise<void> {
  const m = msg as Applied;
  if (m.type === 'State') return peer.onState(m);
  if (m.type === 'Flush') return flushAll(peer, m.id);
  if (m.type === 'StateChangeRequest') return late ? undefined : answerStateChange(peer, m);
  if (m.type === 'StateChangeReply') return peer.resource.stateChanges.onReply(peer, m);
  const volume = peer.resource.volume(m.volume);
  if (!volume) return peer.resource.protocolError(peer, `message for unknown volume ${m.volume}`);
  switch (m.type) {
    case 'Write': return applyWrite(peer, volume, { seq: m.seq, offset: m.offset, length: m.data.length, fua: m.flags.fua || m.flags.flush, missing: m.missing, data: m.data, late });
    case 'WriteZeroes': return applyWrite(peer, volume, { seq: m.seq, offset: m.offset, length: m.length, fua: m.flags.fua || m.flags.flush, missing: m.missing, data: null, late });
    case 'OutOfSync': return applyOutOfSync(peer, volume, m);
    case 'ResyncData': sourceStarted(peer, m.volume); return applyResyncData(peer, volume, m);
    case 'ResyncChecksum': sourceStarted(peer, m.volume); return compareResyncChecksum(peer, volume, m);
    case 'ResyncDone': sourceStarted(peer, m.volume); return endResync(peer, volume, m);
    case 'ReadRequest': return serveRead(peer, volume, m);
  }
}

/** The source's resync reached us: it decided on a State listing our bits, our States stop listing them. */
function sourceStarted(peer: Peer, volume: number): void {
  const pv = peer.volumes.get(volume);
  if (pv) pv.sourceNotStarted = false;
}

interface ReplicatedWriteMsg {
  seq: number;
  offset: number;
  length: number;
  fua: boolean;
  missing: number;
  /** null: zeroes */
  data: Buffer | null;
  /** its link is gone: applied if this node can still take it, never answered (a new link would get the acks) */
  late: boolean;
}

function applyWrite(peer: Peer, volume: Volume, w: ReplicatedWriteMsg): void | Promise<void> {
  const r = peer.resource;
  if (r.role === 'Primary') {
    if (w.late) return; // promoted since: the old Primary keeps this write's blocks out of sync for us
    return r.protocolError(peer, 'received a replicated write while Primary');
  }
  if (w.offset + w.length > volume.sizeBytes && volume.attached) {
    if (!w.late) r.protocolError(peer, `write beyond the end of volume ${volume.index}`);
    return;
  }
  const meta = volume.meta;
  const disk = volume.disk;
  if (!meta || !disk) { answerWrite(peer, w, { type: 'NegAck', volume: volume.index, seq: w.seq, errno: 5 }); return; }
  meta.endUnacknowledged(); // another Primary writes here, and may acknowledge it (once per claim)
  volume.wroteByPrimaryAsTarget = true; // nor may a resync source's claim cover it (finishResyncAsTarget)
  volume.beginActivity();
  let al: Promise<void> | null;
  try {
    al = meta.beginWrite(w.offset, w.length);
  } catch (err) {
    volume.endActivity();
    throw err;
  }
  // no async frame: a replicated write is the Secondary's hot path
  if (al === null) return storeWrite(peer, volume, meta, disk, w);
  return al.then(() => storeWrite(peer, volume, meta, disk, w), (err) => {
    meta.endWrite(w.offset, w.length); // beginWrite pinned the range even though it failed
    volume.endActivity();
    throw err;
  });
}

/**
 * The AL covers the range: write it, then answer (WriteAck, or NegAck and detach). Protocol B's
 * RecvAck goes once the write is issued, not on arrival: the kernel has it then, so a kill of this
 * process loses none of it, and a Secondary back in the same boot holds every write it
 * acknowledged on B as on C (restart.ts, holdsAcknowledgedWrites; sim seed 453808767: a RecvAck
 * on arrival made the B peer no source against its Primary that lost power, and the resync from
 * that Primary overwrote the only copy of an acknowledged write).
 */
function storeWrite(peer: Peer, volume: Volume, meta: VolumeMeta, disk: BlockDevice, w: ReplicatedWriteMsg): Promise<void> {
  let io: Promise<void>;
  try {
    io = w.data ? disk.write(w.offset, w.data, w.fua) : disk.writeZeroes(w.offset, w.length, w.fua);
    if (peer.protocol === 'B') answerWrite(peer, w, { type: 'RecvAck', volume: volume.index, seq: w.seq });
  } catch (err) {
    io = Promise.reject(err);
  }
  return io.then(() => {
    settleWrite(peer, volume, meta, w);
    staleResyncBlocks(peer, volume, w.offset, w.length);
    // stored after our Primary was lost: the other survivors may lack it (survivors.ts)
    if (w.late && peer.lostWhilePrimary) lateWriteOfLostPrimary(peer, volume, w.offset, w.length);
    answerWrite(peer, w, { type: 'WriteAck', volume: volume.index, seq: w.seq });
  }, (err) => {
    answerWrite(peer, w, { type: 'NegAck', volume: volume.index, seq: w.seq, errno: errnoOf(err) });
    try {
      peer.resource.localDiskFailed(volume, 'write', err, { offset: w.offset, length: w.length }, meta);
    } finally {
      settleWrite(peer, volume, meta, w);
    }
  });
}

/** Stored or failed: the nodes it names as missing keep it out of sync; the AL pin and activity end. */
function settleWrite(peer: Peer, volume: Volume, meta: VolumeMeta, w: ReplicatedWriteMsg): void {
  try {
    if (w.missing !== 0) markMissing(peer, volume, w.missing, w.offset, w.length, true);
    meta.endWrite(w.offset, w.length);
  } finally {
    volume.endActivity();
  }
}

/**
 * This node, a resync source, may have read a block before the write and not sent it yet (or the
 * target not stored it yet): the target gets the write straight from the Primary, on another
 * link, and the older resync data may land after it. Such blocks keep their bits when
 * acknowledged and go again, read afresh (seed 20559: a full resync overwrote a write).
 */
function staleResyncBlocks(from: Peer, volume: Volume, offset: number, length: number): void {
  for (const other of from.resource.peers.values()) {
    if (other !== from) other.volumes.get(volume.index)?.resync?.noteDirtied(offset, length);
  }
}

/** A write that came on a link now gone is never answered (a new link gets the acks). */
function answerWrite(peer: Peer, w: ReplicatedWriteMsg, msg: Parameters<Peer['sendControl']>[0]): void {
  if (!w.late) peer.sendControl(msg);
}

function applyOutOfSync(peer: Peer, volume: Volume, m: MessageOf<'OutOfSync'>): void {
  if (!volume.meta) return;
  if (m.offset + m.length > volume.sizeBytes) return peer.resource.protocolError(peer, 'out-of-sync range beyond the end of the volume');
  markMissing(peer, volume, m.missing, m.offset, m.length, false);
}

/**
 * The nodes in `missing` do not get this write from the Primary: keep its blocks out of sync for
 * them (DRBD's peer-ack mask), with the generation they last shared with us as their bitmap id,
 * so whichever node they meet next knows what they lack. The sender itself may be in the mask (a
 * Primary whose own disk failed). When the Primary has no disk, this node also resyncs them.
 */
function markMissing(from: Peer, volume: Volume, missing: number, offset: number, length: number, duringWrite: boolean): void {
  const meta = volume.meta;
  if (!meta) return;
  const r = from.resource;
  for (const other of r.peers.values()) {
    if (!other.diskful || (missing & (1 << other.node.id)) === 0) continue;
    // the generation before the Primary's newest (it starts one when it loses a diskful peer); a
    // former Primary telling what it sent before its demotion started none: the lost peer shares ours
    if (meta.bitmapGeneration(other.node.id) === 0n) meta.setBitmapGeneration(other.node.id, from.peerRole === 'Primary' ? meta.history()[0] ?? meta.current() : meta.current());
    meta.markOutOfSync(other.node.id, offset, length, duringWrite);
    const pv = other.volumes.get(volume.index);
    pv?.resync?.noteDirtied(offset, length);
    pv?.resync?.pump(); // a source that had nothing left to send would not look again
    const primaryDiskless = from.peerRole === 'Primary' && from.isDisklessFor(volume.index);
    if (primaryDiskless && other !== from && other.connected && volume.diskState === 'UpToDate' && pv?.replicationState === 'Established') resyncForDisklessPrimary(other, volume, meta);
  }
}

/**
 * A diskless Primary's write missed `other`, which this node resyncs instead. The resync covers
 * what `other` reported too (its State's ranges: blocks it marked since a crash of its own, say),
 * as a Primary's does (mergeAndResync): `other` drops its bits for us as stale once it is UpToDate
 * in our generation, so blocks its lost disk cache held were otherwise never resynced (seed 30449).
 */
function resyncForDisklessPrimary(other: Peer, volume: Volume, meta: NonNullable<Volume['meta']>): void {
  const pv = other.volumes.get(volume.index);
  if (!pv?.resync) for (const range of pv?.view?.reconcile ?? []) meta.markOutOfSync(other.node.id, range.offset, range.length);
  other.startResync(volume);
}

async function flushAll(peer: Peer, id: number): Promise<void> {
  for (const v of peer.resource.volumes) {
    if (!v.disk) continue;
    v.beginActivity();
    try {
      await v.disk.flush();
    } catch (err) {
      // what this disk holds is unknown now: it detaches and is resynced in full
      peer.resource.localDiskFailed(v, 'flush', err, null);
    } finally {
      v.endActivity();
    }
  }
  peer.sendControl({ type: 'FlushAck', id });
}

/** May this node take resync blocks for this range from this peer now? Becomes its SyncTarget if so. */
function takesResyncFrom(peer: Peer, volume: Volume, offset: number, length: number): boolean {
  const r = peer.resource;
  // a Primary takes resync data only into a disk it does not serve from (re-attached after a
  // failure: its writes go to its peers until the resync finishes, finishResyncAsTarget)
  if (!volume.attached || (r.role === 'Primary' && volume.usable)) { r.protocolError(peer, 'resync data sent to a node that cannot be SyncTarget'); return false; }
  if (offset + length > volume.sizeBytes) { r.protocolError(peer, 'resync data beyond the end of the volume'); return false; }
  const pv = peer.volumes.get(volume.index)!;
  if (peer.sendsStaleResync(volume.index)) return false; // sent before it read our State that paused it
  // never our own target's target: these blocks were sent on a decision that crossed ours (a
  // survivor reconciling this node as it was promoted, which stops on our State as Primary: seed
  // 20559); taken, they would land, older, over what our resync and the next Primary gave it
  if (pv.replicationState === 'SyncSource') {
    // Neither Primary, each resyncs the other: each decided on a State of the other older than the
    // other's own decision (a slow link delivered seconds of States at once: sim seed 81634270),
    // and neither can tell here whose was made on newer data; our bits for the peer stay. With a
    // Primary on either side it ends by itself (stopResyncToPrimary; a Primary takes no resync).
    if (r.role !== 'Primary' && peer.peerRole !== 'Primary') peer.reconnectToDecideAgain(volume.index, `this node and ${peer.node.name} each resync the other (their decisions crossed on older States)`);
    return false;
  }
  // A Secondary's blocks while an UpToDate Primary replicates to us were sent on a decision made
  // before the Primary brought us along (the source decided on our older State over a slow link:
  // sim seed 30215); taken, they land, older, under the Primary's writes. The source defers to the
  // Primary at its own decision ('source' in act); here the late ones pause it the same way.
  if (peer.peerRole !== 'Primary' && replicatesFromPrimary(peer, volume)) {
    pauseLateSource(peer, volume, 'a Primary replicates to this node and resyncs it itself');
    return false;
  }
  if (r.syncingFromAnother(volume, peer)) {
    // two sources at once (several Secondaries of a diskless Primary, or a rejoining node that two
    // peers found behind): their blocks could cross. This one pauses, told by our State, and its
    // bits stay; when the first is done the generations tell what is left (handshakeVolume).
    pauseLateSource(peer, volume, 'resync data comes from another node first');
    return false;
  }
  volume.syncSource = peer.node.id;
  if (pv.replicationState !== 'SyncTarget') r.becomeSyncTarget(peer, volume);
  return true;
}

/** Its blocks are not taken now: it stops sending (our State tells it) and keeps its bits. */
function pauseLateSource(peer: Peer, volume: Volume, why: string): void {
  peer.pauseAsSource(volume.index);
  peer.resource.log.info(`resync paused: ${why}`, { peer: peer.node.name, volume: volume.index, source: volume.syncSource });
  peer.sendState();
}

/**
 * The source sent everything. A resync with nothing to send never made this node its SyncTarget by
 * its data (and a decision here may have named another source that defers to the Primary): the
 * ResyncDone does, on the same terms as a first block, so an empty resync ends like any other.
 */
async function endResync(peer: Peer, volume: Volume, msg: MessageOf<'ResyncDone'>): Promise<void> {
  const r = peer.resource;
  const pv = peer.volumes.get(volume.index)!;
  if (pv.replicationState !== 'SyncTarget' && r.role === 'Primary' && volume.usable) return; // never a target: the source's decision was made on an older State
  // Even as its SyncTarget: a target decided on a peer that then deferred to the Primary, while
  // another source's data arrived, must not end by this peer's (empty) resync. Its bits for this
  // peer were never reported (a target does not report them to its source) and nothing was sent.
  if (!takesResyncFrom(peer, volume, 0, 0)) return;
  await r.finishResyncAsTarget(peer, volume, msg.current, msg.history, msg.unacknowledgedSince);
}

async function applyResyncData(peer: Peer, volume: Volume, msg: MessageOf<'ResyncData'>): Promise<void> {
  const r = peer.resource;
  if (!takesResyncFrom(peer, volume, msg.offset, msg.data.length)) return;
  volume.resyncedFrom = null; // set again when this resync ends (Resource.finishResyncAsTarget)
  if (volume.untouchedTarget) { // the disk changes from here on (a block found equal by its digest does not change it)
    volume.untouchedTarget = null;
    volume.meta?.setFlags({ consistent: false, wasUpToDate: false });
  }
  volume.meta?.endUnacknowledged(); // another node's data, which may hold acknowledged writes
  markOthersOutOfSync(peer, volume, msg.offset, msg.data.length, msg.missing);
  pendingUntilDurable(peer, volume, msg.offset, msg.data.length);
  volume.beginActivity();
  try {
    await volume.disk!.write(msg.offset, msg.data, false);
  } catch (err) {
    r.localDiskFailed(volume, 'write', err, { offset: msg.offset, length: msg.data.length });
    return;
  } finally {
    volume.endActivity();
  }
  // the block now equals the source's: our own bit for the source is resolved too, once durable
  resolvedByResync(peer, volume, msg.offset, msg.data.length);
  peer.sendControl({ type: 'ResyncAck', volume: volume.index, requestId: msg.requestId, offset: msg.offset, length: msg.data.length });
}

/**
 * csums-alg: the source's digest of a block, compared with our block here, at the place in the
 * stream (and under the range lock) where its data would be written. Equal: our bit for the
 * source is resolved as if the data had come, and we say so (ResyncInSync). Different: we ask for
 * the data (ResyncRequest); the source reads it again and it comes later in the stream.
 */
async function compareResyncChecksum(peer: Peer, volume: Volume, msg: MessageOf<'ResyncChecksum'>): Promise<void> {
  const r = peer.resource;
  const alg = r.config.csumsAlg;
  if (alg === 'none') return r.protocolError(peer, 'a resync checksum arrived, but csums-alg is none here');
  if (msg.digest.length !== DIGEST_BYTES[alg]) return r.protocolError(peer, `a resync checksum of ${msg.digest.length} bytes: ${alg} digests have ${DIGEST_BYTES[alg]}`);
  if (msg.length === 0 || msg.length > MAX_DATA_BYTES) return r.protocolError(peer, `a resync checksum over ${msg.length} bytes: 1 to ${MAX_DATA_BYTES} (what one ResyncData carries)`);
  if (!takesResyncFrom(peer, volume, msg.offset, msg.length)) return;
  const link = peer.link; // the answer is for this link's source only
  let ours: Buffer;
  volume.beginActivity();
  try {
    ours = await volume.disk!.read(msg.offset, msg.length);
  } catch (err) {
    r.localDiskFailed(volume, 'read', err, null);
    return;
  } finally {
    volume.endActivity();
  }
  const same = (await r.platform.digest(alg, ours)).equals(msg.digest);
  if (peer.link !== link || !volume.meta) return;
  const range = { volume: volume.index, requestId: msg.requestId, offset: msg.offset, length: msg.length };
  if (!same) { peer.sendControl({ type: 'ResyncRequest', ...range }); return; }
  // the block equals the source's (maybe only in our disk's cache): our own bit for the source is
  // resolved once that is durable, as for resync data
  pendingUntilDurable(peer, volume, msg.offset, msg.length);
  resolvedByResync(peer, volume, msg.offset, msg.length);
  peer.sendControl({ type: 'ResyncInSync', ...range });
}

/**
 * A resync block changes our disk, so another diskful peer may now differ from us there: its bits
 * are set (durably, before the write), as DRBD's SyncTarget sets peers out of sync for a resync
 * write. Without it a third node's missed blocks are lost: we take the source's data but keep our
 * old bits for that node, and meeting it later the handshake resyncs only those (seed 20420). A
 * peer Established with us, UpToDate in the source's generation, follows the same data and holds
 * the block already (DRBD learns that from the source's P_PEERS_IN_SYNC): no bits for it, which
 * would otherwise stay while it is a survivor of a lost Primary. A block found equal by its
 * digest does not change: no bits.
 */
function markOthersOutOfSync(source: Peer, volume: Volume, offset: number, length: number, missing: number): void {
  const meta = volume.meta;
  if (!meta) return;
  const sourceView = source.volumes.get(volume.index)?.view;
  const sourceCurrent = sourceView?.current;
  // survivors of a lost Primary differ within one generation: a block from a fellow survivor, or
  // from the lost Primary back intact (the source of its activity log), says nothing of what a
  // third node in that generation holds (survivors.ts)
  const fromLostOrSurvivor = sourceView?.flags.survivedPrimaryLoss === true || sourceView?.flags.crashedPrimaryIntact === true;
  const reconciling = fromLostOrSurvivor && source.resource.reconcileRanges.has(volume.index);
  for (const other of source.resource.peers.values()) {
    if (other === source || !other.diskful) continue;
    const opv = other.volumes.get(volume.index);
    const holdsIt = !reconciling && other.connected && opv?.replicationState === 'Established' && opv.peerDiskState === 'UpToDate' &&
      sourceCurrent !== undefined && opv.view !== null && sameGeneration(opv.view.current, sourceCurrent)
      && ((missing >>> other.node.id) & 1) === 0; // the source keeps it out of sync for that node
    if (holdsIt) continue;
    meta.markOutOfSync(other.node.id, offset, length);
  }
}

/**
 * Our answer (ResyncAck, ResyncInSync) makes the source clear its bit for us at once, while what
 * we hold there may still sit in our disk's volatile cache: our own bit for the source is set
 * first (durably), and cleared only after a flush (resolvedByResync). A power loss in between
 * keeps it, and the next handshake reports it, so the source sends the block again. Without it the
 * source's bits were the only record of the blocks of a bitmap resync: one acknowledged from the
 * cache and lost with it was never sent again (seed 20861: equal by its digest to resync data an
 * earlier, interrupted resync had left unflushed). DRBD's SyncTarget holds the union of both
 * bitmaps in its own for the same reason.
 */
function pendingUntilDurable(source: Peer, volume: Volume, offset: number, length: number): void {
  volume.meta?.markOutOfSync(source.node.id, offset, length);
}

/** Our block equals the source's: its bit is cleared once a flush made it durable (resync-durability.ts). */
function resolvedByResync(peer: Peer, volume: Volume, offset: number, length: number): void {
  const meta = volume.meta;
  const disk = volume.disk;
  if (!meta || !disk) return;
  const pending = volume.resyncDurability;
  pending.add(meta, peer, offset, length);
  if (!pending.due) return;
  volume.beginActivity(); // a detach waits for the flush
  pending.settle(disk)
    .catch((err: unknown) => peer.resource.localDiskFailed(volume, 'flush', err, null))
    .finally(() => volume.endActivity());
}

async function serveRead(peer: Peer, volume: Volume, msg: MessageOf<'ReadRequest'>): Promise<void> {
  if (msg.length > MAX_DATA_BYTES) return peer.resource.protocolError(peer, `read request of ${msg.length} bytes: at most ${MAX_DATA_BYTES} fit one reply`);
  const ok = volume.disk !== null && volume.diskState === 'UpToDate' && msg.offset + msg.length <= volume.sizeBytes;
  let data: Buffer = Buffer.alloc(0);
  let errno = ok ? 0 : 5;
  if (ok) {
    volume.beginActivity();
    try {
      data = await volume.disk!.read(msg.offset, msg.length);
    } catch (err) {
      errno = errnoOf(err);
      peer.resource.localDiskFailed(volume, 'read', err, null);
    } finally {
      volume.endActivity();
    }
  }
  while (peer.link && !peer.canSend) await peer.whenCanSend();
  peer.sendData({ type: 'ReadReply', volume: volume.index, requestId: msg.requestId, errno, data: errno === 0 ? data : Buffer.alloc(0) });
}

const ERRNO: Record<string, number> = { EIO: 5, ENOSPC: 28, EROFS: 30, EPERM: 1 };

function errnoOf(err: unknown): number {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? ERRNO[code] ?? 5 : 5;
}
