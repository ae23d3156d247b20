// One peer of a resource as this node sees it: the link, the peer's role and disk states, the
// replication state per volume, the writes sent to it that it has not confirmed (transfer log),
// and the queue that applies what it sends. Bulk sends respect the link's byte bound: a sender
// checks canSend and waits with whenCanSend, it never overfills the link.
import { connectionProtocol } from '../config/connections.js';
import type { NodeConfig, Protocol } from '../config/model.js';
import type { MessageOf, WireMessage } from '../wire/messages.js';
import { ApplyQueue } from './apply-queue.js';
import { missesWrites } from './exposed-generation.js';
import { awaitsCrashHolder, onPeerState, type VolumeView } from './generation-handshake.js';
import type { PeerLinkPort, TimerHandle } from './platform.js';
import type { Resource } from './resource.js';
import { holdsAcknowledgedWrites, intactCrashedPrimary } from './restart.js';
import { ResyncSource } from './resync-source.js';
import { sameGeneration } from './sync-decision.js';
import { applyMessage, lockedRange } from './secondary.js';
import { TransferLog } from './transfer-log.js';
import type { Volume } from './volume.js';
import type { ConnectionStatus, DiskState, ReplicationState, Role } from './states.js';
import type { VolumeMeta } from './metadata.js';

/** Out-of-sync ranges reported to a peer in State (the wire bound is 8192, AL ranges come too). */
const MAX_REPORTED_RANGES = 4096;
/** Disconnect reasons that start with this end the connection on both sides (see refuse). */
const REFUSAL = 'refused: ';

export interface PeerVolume {
  replicationState: ReplicationState;
  peerDiskState: DiskState;
  view: VolumeView | null;
  resync: ResyncSource | null;
  /** we sent ResyncDone and the peer has not yet said UpToDate: its States until then are stale */
  syncEnding: boolean;
  /**
   * One source at a time, exactly: how often we paused this peer as our source on this link
   * (resyncPauses in our State), and the peer's count that we last read. The peer echoes what it
   * read (resyncPausesSeen): while our count is ahead of its echo, a resync block from it was sent
   * before it read our pause, and we drop it.
   */
  pausesSent: number;
  pausesSeen: number;
  /** our resync to this peer was paused on this link: the next one resumes it (logged as such) */
  resyncWasPaused: boolean;
  /** we resynced the ranges of our lost Primary to this fellow survivor on this link (survivors.ts) */
  reconciled: boolean;
  /**
   * SyncTarget of this peer, and nothing of its resync heard yet: our State still lists our bits
   * for it, since the source may decide on that State and must resync them too (seed 2040857690)
   */
  sourceNotStarted: boolean;
  /** this peer looked newer than us with no Primary around: checked again after a ping timeout */
  behindCheck: TimerHandle | null;
  /**
   * We saw this peer's resync end (its State turned UpToDate naming its source, resyncedFrom) and
   * have not yet dropped our bits for it by that source (generation-handshake.ts, forgetStaleBits)
   */
  resyncEndUnapplied: boolean;
}

export class Peer {
  link: PeerLinkPort | null = null;
  connectionState: 'StandAlone' | 'Connecting' | 'Connected' = 'Connecting';
  peerRole: Role | 'Unknown' = 'Unknown';
  readonly volumes = new Map<number, PeerVolume>();
  readonly transfer = new TransferLog();
  /** the replication protocol of this connection ([connection.<a>.<b>], else the resource's) */
  readonly protocol: Protocol;
  /** the peer was Primary when its link broke: its last writes may differ between survivors */
  lostWhilePrimary = false;
  /** the seq of the last write received on the current link (its sender's write stream) */
  lastWriteSeq = 0;
  /** resync request ids, unique across the resyncs on one link: a late answer to a paused or
   *  stopped resync never matches a block of the next one */
  private resyncRequestId = 0;
  /** sendData returned false: bulk senders wait for the link's drain */
  private saturated = false;
  private drainWaiters: Array<() => void> = [];
  private applyQueue: ApplyQueue | null = null;

  constructor(readonly resource: Resource, readonly node: NodeConfig) {
    this.protocol = connectionProtocol(resource.config, resource.local.name, node.name);
    for (const v of node.volumes) this.volumes.set(v.index, { replicationState: 'Off', peerDiskState: 'DUnknown', view: null, resync: null, syncEnding: false, pausesSent: 0, pausesSeen: 0, resyncWasPaused: false, reconciled: false, sourceNotStarted: false, behindCheck: null, resyncEndUnapplied: false });
  }

  get connected(): boolean {
    return this.link !== null && this.connectionState === 'Connected';
  }

  /** configured with a disk for some volume (it may be detached now) */
  get diskful(): boolean {
    return this.node.volumes.some((v) => v.disk !== null);
  }

  /** The local metadata that keeps a bitmap for this peer: none for a diskless peer or volume. */
  bitmapOf(volume: Volume | undefined): VolumeMeta | null {
    return this.diskful ? volume?.meta ?? null : null;
  }

  /** Does a Primary's write to this volume go to this peer? */
  replicatingTo(volume: number): boolean {
    const pv = this.volumes.get(volume);
    if (!this.connected || !pv || !hasDisk(pv.peerDiskState)) return false;
    return pv.replicationState === 'Established' || pv.replicationState === 'SyncSource';
  }

  /** The peer has no disk for this volume now (a diskless client, or detached). */
  isDisklessFor(volume: number): boolean {
    return this.volumes.get(volume)?.peerDiskState === 'Diskless';
  }

  peerUpToDate(volume?: number): boolean {
    const list = volume === undefined ? [...this.volumes.values()] : [this.volumes.get(volume)];
    return list.every((pv) => pv !== undefined && pv.peerDiskState === 'UpToDate' && pv.replicationState === 'Established');
  }

  // ---- link lifecycle -------------------------------------------------------------------------

  attachLink(link: PeerLinkPort): void {
    if (this.link) this.closeLink('replaced by a new connection');
    this.link = link;
    this.connectionState = 'Connected';
    this.lostWhilePrimary = false;
    this.lastWriteSeq = 0;
    this.saturated = false;
    this.resyncRequestId = 0; // an answer never outlives its link
    const queue = new ApplyQueue(link, (msg, late) => applyMessage(this, msg, late), (msg) => lockedRange(this, msg), (err, msg) => this.resource.onApplyError(this, msg, err));
    this.applyQueue = queue;
    link.onMessage((msg) => this.resource.guard(() => this.onMessage(msg, queue)));
    link.onClose((reason) => this.resource.guard(() => this.onLinkClosed(link, reason)));
    link.onDrain(() => this.resource.guard(() => this.onDrain(link)));
    for (const v of this.resource.volumes) this.bitmapOf(v)?.setPeerConnected(this.node.id, true);
    this.resource.log.info('peer connected', { peer: this.node.name });
    this.resource.emit('connection', { peer: this.node.name, connectionState: 'Connected' });
    this.sendState();
  }

  closeLink(reason: string): void {
    const link = this.link;
    if (!link) return;
    link.close(reason);
    this.onLinkClosed(link, reason);
  }

  /**
   * What this link decided was made on States that are no longer true (they crossed, or a fellow
   * moved on): deciding again on the open link would cross again, so close it and let the next
   * connection's handshake decide once, on fresh States from both sides.
   */
  reconnectToDecideAgain(volume: number, why: string): void {
    this.resource.log.warn(`${why}: reconnecting to decide again on fresh States`, { peer: this.node.name, volume });
    this.closeLink(`${why}: reconnecting`);
  }

  /**
   * Stop talking to this peer until the administrator connects again. The peer is told, and goes
   * StandAlone too (as both DRBD nodes do after a split brain): our Disconnect can overtake our
   * State on the other socket, so it may not have reached the same verdict by itself.
   */
  refuse(reason: string): void {
    this.resource.log.warn('connection refused', { peer: this.node.name, reason });
    this.resource.emit('connection', { peer: this.node.name, connectionState: 'StandAlone', reason });
    this.link?.sendControl({ type: 'Disconnect', reason: `${REFUSAL}${reason}`.slice(0, 500) });
    this.closeLink(reason);
    this.connectionState = 'StandAlone';
    this.resource.stopDialing(this.node.id);
  }

  private onLinkClosed(link: PeerLinkPort, reason: string): void {
    if (this.link !== link) return;
    this.link = null;
    this.applyQueue?.abandon();
    this.applyQueue = null;
    const wasPrimary = this.peerRole === 'Primary';
    // Only a peer that shares our current generation could be promoted with it: one Established, or
    // our SyncTarget in our own generation (its disk says so until our first block reaches it, and
    // a link lost before that leaves it claiming our generation without the writes we take next:
    // seed 20873). Losing one that never got past the handshake, or a SyncTarget in an older
    // generation (Inconsistent, its bitmap id set when its resync began), needs no new generation
    // (every round of a refused reconnect would start one otherwise). DRBD starts one for any
    // peer disk it loses from Inconsistent up.
    const replicated = [...this.volumes].some(([index, pv]) => pv.replicationState === 'Established' || this.sameGenerationTarget(index, pv));
    const unconfirmed = this.transfer.failAll();
    for (const [index, pv] of this.volumes) {
      const volume = this.resource.volume(index);
      if (pv.replicationState === 'SyncTarget' && volume) this.resource.sourceLostBeforeData(this, volume);
    }
    for (const pv of this.volumes.values()) {
      pv.resync?.stop();
      pv.resync = null;
      pv.replicationState = 'Off';
      pv.peerDiskState = 'DUnknown';
      pv.view = null;
      pv.syncEnding = false;
      pv.pausesSent = 0;
      pv.pausesSeen = 0;
      pv.resyncWasPaused = false;
      pv.reconciled = false;
      pv.sourceNotStarted = false;
      pv.behindCheck?.cancel();
      pv.behindCheck = null;
      pv.resyncEndUnapplied = false;
    }
    for (const v of this.resource.volumes) if (v.syncSource === this.node.id) v.syncSource = null;
    this.peerRole = 'Unknown';
    this.lostWhilePrimary = wasPrimary;
    this.wakeSenders();
    if (reason.includes(`disconnected: ${REFUSAL}`)) { // the peer refused us: wait for the administrator too
      this.connectionState = 'StandAlone';
      this.resource.stopDialing(this.node.id);
    }
    for (const v of this.resource.volumes) this.bitmapOf(v)?.setPeerConnected(this.node.id, false);
    if (this.connectionState !== 'StandAlone') this.connectionState = 'Connecting';
    this.resource.stateChanges.onPeerGone(this);
    this.resource.log.warn('peer connection lost', { peer: this.node.name, reason });
    this.resource.emit('connection', { peer: this.node.name, connectionState: this.connectionState, reason });
    this.resource.onPeerLost(this, { wasPrimary, replicated, unconfirmed, reason });
  }

  /** Our SyncTarget whose last State named our current generation (a resync within one generation). */
  private sameGenerationTarget(index: number, pv: PeerVolume): boolean {
    const meta = this.resource.volume(index)?.meta;
    return pv.replicationState === 'SyncSource' && pv.view !== null && meta !== null && meta !== undefined && sameGeneration(pv.view.current, meta.current());
  }

  // ---- sending --------------------------------------------------------------------------------

  /** The link takes bulk data now (connected and below its byte bound). */
  get canSend(): boolean {
    return this.link !== null && !this.saturated;
  }

  /** Resolves when the link drained or closed (check canSend again). */
  whenCanSend(): Promise<void> {
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** Bulk data (a Write, ResyncData, ReadReply): the caller checked canSend. */
  sendData(msg: WireMessage): void {
    if (this.link && !this.link.sendData(msg)) this.saturated = true;
  }

  sendControl(msg: WireMessage): void {
    this.link?.sendControl(msg);
  }

  private onDrain(link: PeerLinkPort): void {
    if (this.link !== link) return;
    this.saturated = false;
    this.wakeSenders();
    for (const pv of this.volumes.values()) pv.resync?.pump();
  }

  private wakeSenders(): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w();
  }

  /** Our view of every volume (small: it goes out whatever the link's fill, as DRBD's state packets). */
  sendState(): void {
    if (!this.link) return;
    const r = this.resource;
    const volumes = r.volumes.map((v) => volumeView(this, v));
    if (!this.link.sendData({ type: 'State', role: r.role, volumes })) this.saturated = true;
  }

  // ---- receiving ------------------------------------------------------------------------------

  private onMessage(msg: WireMessage, queue: ApplyQueue): void {
    switch (msg.type) {
      case 'RecvAck': return this.transfer.onRecvAck(msg.seq);
      case 'WriteAck': return this.transfer.onWriteAck(msg.seq, true);
      case 'NegAck': return this.onNegAck(msg);
      case 'FlushAck': return this.transfer.onFlushAck(msg.id);
      case 'ResyncAck': return this.volumes.get(msg.volume)?.resync?.onAck(msg);
      case 'ResyncInSync': return this.volumes.get(msg.volume)?.resync?.onInSync(msg);
      case 'ResyncRequest': return this.volumes.get(msg.volume)?.resync?.onDataRequest(msg);
      case 'ReadReply': return this.resource.reads.onReply(this, msg);
      case 'Disconnect': return this.refuse(`peer disconnected: ${msg.reason}`);
      // a Write's RecvAck (protocol B) goes once it is issued to our disk (secondary.ts, storeWrite)
      case 'Write': case 'WriteZeroes':
        this.lastWriteSeq = msg.seq; // arrived: applied even if the link breaks now (ApplyQueue.abandon)
        return queue.push(msg);
      case 'State': case 'OutOfSync': case 'Flush': case 'ResyncData': case 'ResyncChecksum': case 'ResyncDone': case 'ReadRequest':
      case 'StateChangeRequest': case 'StateChangeReply': // answered, and read, behind the States before them
        return queue.push(msg);
      default:
        return this.resource.protocolError(this, `unexpected ${msg.type} message after the handshake`);
    }
  }

  private onNegAck(msg: MessageOf<'NegAck'>): void {
    this.resource.log.warn('peer failed to store a replicated write: its blocks stay out of sync for it', { peer: this.node.name, volume: msg.volume, errno: msg.errno });
    // it missed a write: not UpToDate from this moment, whatever its next State says of its disk
    const pv = this.volumes.get(msg.volume);
    const v = this.resource.volume(msg.volume);
    if (pv && v?.meta && hasDisk(pv.peerDiskState)) {
      // A NegAck comes only from a disk that failed or is gone, and its State saying so may come
      // after the write is answered: the loss is booked now, so the answer waits for the new
      // generation that records the peer as behind (section 6, step 6). Answered in the shared
      // one, a crash of this node made that peer a safe source of a generation it lacks a write
      // of (seed 1752306109: detached as the write was sent, it resynced the write away).
      pv.peerDiskState = 'Failed';
      this.resource.peerDiskLost(this, v);
    } else if (pv?.peerDiskState === 'UpToDate') pv.peerDiskState = 'Inconsistent';
    this.transfer.onWriteAck(msg.seq, false);
  }

  nextResyncRequestId(): number {
    this.resyncRequestId = (this.resyncRequestId + 1) >>> 0 || 1; // u32 on the wire; 0 is never used
    return this.resyncRequestId;
  }

  /** As this node knows it: a diskless Primary's writes that miss an UpToDate peer make it Outdated. */
  private knownDiskState(volume: number, pv: PeerVolume): DiskState {
    const v = this.resource.volume(volume);
    return pv.peerDiskState === 'UpToDate' && v && missesOurDisklessWrites(this, v) ? 'Outdated' : pv.peerDiskState;
  }

  /** Take no resync data from this peer for now: another node's resync to us runs (our State tells it). */
  pauseAsSource(volume: number): void {
    const pv = this.volumes.get(volume)!;
    if (pv.replicationState === 'PausedSyncT') return;
    pv.replicationState = 'PausedSyncT';
    pv.pausesSent++;
  }

  /** Resync blocks from this peer were sent before it read our State that paused it (see PeerVolume). */
  sendsStaleResync(volume: number): boolean {
    const pv = this.volumes.get(volume);
    return pv !== undefined && (pv.replicationState === 'PausedSyncT' || pv.pausesSent > (pv.view?.resyncPausesSeen ?? 0));
  }

  /** Become SyncSource for a volume if this peer has out-of-sync blocks and is not syncing yet. */
  startResync(volume: Volume): void {
    const pv = this.volumes.get(volume.index);
    if (!pv || !this.connected || pv.resync || !volume.meta || volume.diskState !== 'UpToDate') return;
    if (pv.replicationState !== 'Established' && pv.replicationState !== 'Off' && pv.replicationState !== 'PausedSyncS') return;
    if (!hasDisk(pv.peerDiskState) || pv.view?.flags.resyncPaused) return; // paused: its State clears the flag when it can take our data
    // Remember which generation of the peer the bits refer to: an interrupted resync resumes.
    if (pv.view && volume.meta.bitmapGeneration(this.node.id) === 0n) volume.meta.setBitmapGeneration(this.node.id, pv.view.current);
    pv.replicationState = 'SyncSource';
    if (pv.peerDiskState === 'UpToDate') pv.peerDiskState = 'Inconsistent'; // our SyncTarget until it says it finished
    pv.resync = new ResyncSource(this, volume, pv);
    pv.resync.start(pv.resyncWasPaused);
    pv.resyncWasPaused = false;
  }

  /**
   * Our disk takes another node's resync now: it is no source until that ends (DRBD pauses a
   * SyncSource while its device is another peer's SyncTarget, resync-susp-other-c). The resync
   * to this peer waits as PausedSyncS with its bits, acknowledgements of blocks already sent
   * clear none of them, and the handshake after our resync (reevaluatePeers) starts it again.
   */
  pauseAsSourceWhileTarget(volume: number): void {
    const pv = this.volumes.get(volume);
    if (!pv?.resync) return;
    pv.resync.stop();
    pv.resync = null;
    pv.replicationState = 'PausedSyncS';
    pv.resyncWasPaused = true;
    this.resource.log.info('resync paused: this node takes resync data from another node', { peer: this.node.name, volume, outOfSyncBytes: this.resource.volume(volume)?.meta?.outOfSyncBytes(this.node.id) ?? 0 });
  }

  /** Our disk for this volume is going away: a resync from it ends (the peer keeps its bits). */
  stopResync(volume: number): void {
    const pv = this.volumes.get(volume);
    if (!pv?.resync) return;
    pv.resync.stop();
    pv.resync = null;
    pv.replicationState = 'Established';
  }

  /** The State message, applied in stream order (see apply-queue.ts). */
  onState(msg: MessageOf<'State'>): void {
    onPeerState(this, msg.role === 'Unknown' ? 'Secondary' : msg.role, msg.volumes);
  }

  status(): ConnectionStatus {
    return {
      peer: this.node.name,
      nodeId: this.node.id,
      connectionState: this.connectionState,
      protocol: this.protocol,
      peerRole: this.peerRole,
      volumes: [...this.volumes.entries()].map(([volume, pv]) => ({
        volume,
        replicationState: pv.replicationState,
        peerDiskState: this.knownDiskState(volume, pv),
        outOfSyncBytes: this.bitmapOf(this.resource.volume(volume))?.outOfSyncBytes(this.node.id) ?? 0,
        resync: pv.resync?.progress() ?? null,
      })),
    };
  }
}

/** A disk state in which a peer stores data (it gets writes or resync data). */
export function hasDisk(state: DiskState): boolean {
  return state !== 'Diskless' && state !== 'Failed' && state !== 'DUnknown' && state !== 'Attaching';
}

/** This node is a Primary without a usable disk, and its writes miss this diskful peer (exposed-generation.ts). */
function missesOurDisklessWrites(peer: Peer, v: Volume): boolean {
  const view = peer.volumes.get(v.index)?.view;
  if (peer.resource.role !== 'Primary' || v.meta || !peer.diskful || !view || !hasDisk(view.diskState as DiskState)) return false;
  return missesWrites(peer, v, view.current);
}

/**
 * A diskless Primary keeps no bitmap, but knows whom its writes miss: to such a peer it names the
 * peer's own generation as the one its "bitmap" starts from, so the peer does not follow our newer
 * generation as if it had the writes (sim seeds 20089, 20951).
 */
function disklessBitmapFor(peer: Peer, v: Volume): bigint {
  return missesOurDisklessWrites(peer, v) ? peer.volumes.get(v.index)!.view!.current : 0n;
}

function volumeView(peer: Peer, v: Volume): VolumeView {
  const r = peer.resource;
  const bitmap = peer.bitmapOf(v);
  // while taking resync data from this peer, our bits for it are being resolved: do not report
  // them (a Primary would merge them again after they were resynced). Until its first resync
  // message they are reported: the source may decide on this State, and resyncs only what it lists.
  const pv = peer.volumes.get(v.index);
  const syncingFromIt = pv?.replicationState === 'SyncTarget' && !pv.sourceNotStarted;
  const ranges = syncingFromIt ? [] : [...(r.reconcileRanges.get(v.index) ?? []), ...(bitmap?.outOfSyncRanges(peer.node.id, MAX_REPORTED_RANGES) ?? [])];
  return {
    volume: v.index,
    diskState: v.diskState,
    sizeBytes: v.sizeBytes,
    current: v.meta?.current() ?? v.exposed[0] ?? 0n, // a diskless Primary tells the generation it writes
    bitmapForReceiver: bitmap?.bitmapGeneration(peer.node.id) ?? disklessBitmapFor(peer, v),
    history: v.meta?.history() ?? [...v.exposed.slice(1), ...v.exposedAncestry].slice(0, 32),
    flags: {
      crashedPrimary: v.meta?.flags.crashedPrimary ?? false,
      wasUpToDate: v.meta?.flags.wasUpToDate ?? false,
      consistent: v.meta?.flags.consistent ?? false,
      discardMyData: r.discardMyData.has(v.index),
      newDataGeneration: false,
      survivedPrimaryLoss: holdsAcknowledgedWrites(r, v, peer),
      primaryLostQuorum: v.meta?.flags.primaryLostQuorum ?? false,
      resyncPaused: peer.volumes.get(v.index)?.replicationState === 'PausedSyncT',
      diskCrashed: v.meta?.crashed ?? false,
      crashedPrimaryIntact: intactCrashedPrimary(v),
      readErrorsOnly: v.meta?.flags.readErrorsOnly ?? false,
      awaitsHolder: awaitsCrashHolder(peer, v),
    },
    resyncPauses: peer.volumes.get(v.index)?.pausesSent ?? 0,
    resyncPausesSeen: peer.volumes.get(v.index)?.pausesSeen ?? 0,
    resyncedFrom: v.resyncedFrom === null ? 0 : v.resyncedFrom + 1,
    outOfSyncBits: Math.ceil((bitmap?.outOfSyncBytes(peer.node.id) ?? 0) / 4096),
    unacknowledgedSince: v.meta?.unacknowledgedSince() ?? 0n,
    reconcile: ranges.slice(0, 8192),
    reconcileSeq: r.reconcileRanges.has(v.index) ? r.reconcileSeq : 0,
  };
}
