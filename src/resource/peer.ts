// One peer of a resource as this node sees it: the link, the peer's role and disk states, the
// replication state per volume, and the writes sent to it that it has not yet confirmed.
// Messages from the peer are routed here to the module for the role they concern.
import type { NodeConfig } from '../config/model.js';
import { ResyncSource } from '../resync/resync-source.js';
import type { VolumeState, PeerMessage } from './peer-messages.js';
import type { PeerLinkPort, VolumeMetaPort } from './ports.js';
import type { Resource } from './resource.js';
import { applyPeerMessage } from './secondary.js';
import { handshakeVolume } from './handshake.js';
import { TransferLog } from './transfer-log.js';
import type { Volume } from './volume.js';
import type { ConnectionStatus, DiskState, ReplicationState, Role } from './states.js';

/** Out-of-sync ranges reported to a peer in State (the wire bound is 8192, AL ranges come too). */
const MAX_REPORTED_RANGES = 4096;
/** Disconnect reasons that start with this end the connection on both sides (see refuse). */
const REFUSAL = 'refused: ';

export interface PeerVolume {
  replicationState: ReplicationState;
  peerDiskState: DiskState;
  view: VolumeState | null;
  resync: ResyncSource | null;
}

export class Peer {
  link: PeerLinkPort | null = null;
  connectionState: 'StandAlone' | 'Connecting' | 'Connected' = 'Connecting';
  peerRole: Role | 'Unknown' = 'Unknown';
  readonly volumes = new Map<number, PeerVolume>();
  readonly transfer: TransferLog;
  /** the peer was Primary when its link broke: its last writes may differ between survivors */
  lostWhilePrimary = false;

  constructor(readonly resource: Resource, readonly node: NodeConfig) {
    for (const v of node.volumes) this.volumes.set(v.index, { replicationState: 'Off', peerDiskState: 'DUnknown', view: null, resync: null });
    this.transfer = new TransferLog(this);
  }

  get connected(): boolean {
    return this.link !== null && this.connectionState === 'Connected';
  }

  get diskful(): boolean {
    return this.node.volumes.some((v) => v.disk !== null);
  }

  /** The local metadata that keeps a bitmap for this peer: none for a diskless peer or volume. */
  bitmapOf(volume: Volume | undefined): VolumeMetaPort | null {
    return this.diskful ? volume?.meta ?? null : null;
  }

  /** Does a Primary's write to this volume go to this peer? */
  replicatingTo(volume: number): boolean {
    const pv = this.volumes.get(volume);
    if (!this.connected || !pv || pv.peerDiskState === 'Diskless') return false;
    return pv.replicationState === 'Established' || pv.replicationState === 'SyncSource';
  }

  /** The peer has no disk for this volume (a diskless client). */
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
    link.onMessage((msg) => this.onMessage(msg));
    link.onClose((reason) => this.onLinkClosed(link, reason));
    link.onDrain(() => { for (const pv of this.volumes.values()) pv.resync?.pump(); });
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
   * Stop talking to this peer until the administrator connects again. The peer is told, and goes
   * StandAlone too (as both DRBD nodes do after a split brain): our Disconnect can overtake our
   * State on the other socket, so it may not have reached the same verdict by itself.
   */
  refuse(reason: string): void {
    this.resource.log.warn('connection refused', { peer: this.node.name, reason });
    this.resource.emit('connection', { peer: this.node.name, connectionState: 'StandAlone', reason });
    this.link?.sendControl({ type: 'Disconnect', reason: `${REFUSAL}${reason}` });
    this.closeLink(reason);
    this.connectionState = 'StandAlone';
    this.resource.stopDialing(this.node.id);
  }

  private onLinkClosed(link: PeerLinkPort, reason: string): void {
    if (this.link !== link) return;
    this.link = null;
    const wasPrimary = this.peerRole === 'Primary';
    this.transfer.failAll();
    for (const pv of this.volumes.values()) {
      pv.resync?.stop();
      pv.resync = null;
      pv.replicationState = 'Off';
      pv.peerDiskState = 'DUnknown';
      pv.view = null;
    }
    this.peerRole = 'Unknown';
    this.lostWhilePrimary = wasPrimary;
    if (reason.includes(`disconnected: ${REFUSAL}`)) { // the peer refused us: wait for the administrator too
      this.connectionState = 'StandAlone';
      this.resource.stopDialing(this.node.id);
    }
    for (const v of this.resource.volumes) this.bitmapOf(v)?.setPeerConnected(this.node.id, false);
    if (this.connectionState !== 'StandAlone') this.connectionState = 'Connecting';
    this.resource.log.warn('peer connection lost', { peer: this.node.name, reason });
    this.resource.emit('connection', { peer: this.node.name, connectionState: this.connectionState, reason });
    this.resource.onPeerLost(this, wasPrimary);
  }

  // ---- messages -------------------------------------------------------------------------------

  sendState(): void {
    if (!this.link) return;
    const volumes = this.resource.volumes.map((v): VolumeState => ({
      volume: v.index,
      diskState: v.diskState,
      sizeBytes: v.sizeBytes,
      current: v.meta?.current() ?? v.exposed[0] ?? 0n, // a diskless Primary tells the generation it writes
      bitmapForReceiver: this.bitmapOf(v)?.bitmapGeneration(this.node.id) ?? 0n,
      history: v.meta?.history().slice(0, 8) ?? v.exposed.slice(1, 9),
      crashedPrimary: v.meta?.flags.crashedPrimary ?? false,
      discardMyData: this.resource.discardMyData,
      outOfSyncBytes: this.bitmapOf(v)?.outOfSyncBytes(this.node.id) ?? 0,
      reconcile: [...(this.resource.reconcileRanges.get(v.index) ?? []), ...(this.bitmapOf(v)?.outOfSyncRanges(this.node.id, MAX_REPORTED_RANGES) ?? [])],
    }));
    this.link.sendData({ type: 'State', role: this.resource.role, volumes });
  }

  private onMessage(msg: PeerMessage): void {
    switch (msg.type) {
      case 'State': return this.onState(msg.role, msg.volumes);
      case 'RecvAck': case 'WriteAck': case 'NegAck': case 'FlushAck': return this.transfer.onAck(msg);
      case 'ResyncAck': return this.volumes.get(msg.volume)?.resync?.onAck(msg);
      case 'ReadReply': return this.resource.onReadReply(this, msg);
      case 'Disconnect': return this.refuse(`peer disconnected: ${msg.reason}`);
      default: return applyPeerMessage(this, msg);
    }
  }

  private onState(role: Role, views: VolumeState[]): void {
    if (role === 'Primary' && this.resource.role === 'Primary') {
      this.refuse('both nodes are Primary: refusing to connect (split brain avoided)');
      return;
    }
    this.peerRole = role;
    for (const view of views) {
      const pv = this.volumes.get(view.volume);
      if (!pv) { this.refuse(`peer has volume ${view.volume}, this node does not`); return; }
      pv.view = view;
      pv.peerDiskState = view.diskState;
      handshakeVolume(this, view.volume, pv);
      if (this.connectionState === 'StandAlone') return;
    }
    // --discard-my-data is for one handshake: a later split brain must not discard data again
    if (this.resource.discardMyData && [...this.volumes.values()].some((pv) => pv.replicationState === 'SyncTarget')) this.resource.discardMyData = false;
    this.resource.fencing.reconcile();
    this.resource.emit('replication', { peer: this.node.name, role, volumes: [...this.volumes.entries()].map(([v, pv]) => ({ volume: v, replicationState: pv.replicationState, peerDiskState: pv.peerDiskState })) });
  }

  /** Become SyncSource for a volume if this peer has out-of-sync blocks and is not syncing yet. */
  startResync(volume: Volume): void {
    const pv = this.volumes.get(volume.index);
    if (!pv || !this.connected || pv.resync || !volume.meta) return;
    if (pv.replicationState !== 'Established' && pv.replicationState !== 'Off' && pv.replicationState !== 'PausedSyncS') return;
    // Remember which generation of the peer the bits refer to: an interrupted resync resumes.
    if (pv.view && volume.meta.bitmapGeneration(this.node.id) === 0n) volume.meta.setBitmapGeneration(this.node.id, pv.view.current);
    pv.replicationState = 'SyncSource';
    pv.resync = new ResyncSource(this, volume, pv);
    pv.resync.start();
  }

  /** Re-run the handshake for every volume (after invalidate, or when a paused sync can go on). */
  renegotiate(): void {
    for (const pv of this.volumes.values()) {
      if (pv.replicationState !== 'SyncSource') pv.replicationState = 'Off';
    }
    this.sendState();
  }

  status(): ConnectionStatus {
    return {
      peer: this.node.name,
      nodeId: this.node.id,
      connectionState: this.connectionState,
      peerRole: this.peerRole,
      volumes: [...this.volumes.entries()].map(([volume, pv]) => ({
        volume,
        replicationState: pv.replicationState,
        peerDiskState: pv.peerDiskState,
        outOfSyncBytes: this.bitmapOf(this.resource.volumes.find((v) => v.index === volume))?.outOfSyncBytes(this.node.id) ?? 0,
        resync: pv.resync?.progress() ?? null,
      })),
    };
  }
}
