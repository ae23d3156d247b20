// One resource on this node: its volumes, its peers and its role. The write pipeline lives in
// write-pipeline.ts, applying a peer's messages in apply-queue.ts/secondary.ts, the generation
// handshake in generation-handshake.ts; this file owns lifecycle (up/down/attach/detach), role
// changes, what happens when a peer or a disk is lost, the crash policy, and status.
//
// Crash policy (TigerBeetle's): a violated invariant is a bug that just proved this node's state
// wrong. The resource stops on this node (disks Failed, exports and links closed, one clear log
// line naming the invariant) so that Pacemaker fails over; the daemon's other resources go on.
import type { ResourceConfig, NodeConfig } from '../config/model.js';
import { assert } from '../lib/assert.js';
import { TandemError } from '../lib/errors.js';
import type { Logger } from '../lib/log.js';
import type { WireMessage } from '../wire/messages.js';
import { exposeGeneration, isServer, markUnconfirmed, ownData, rotateExposedGeneration, servers, type OwnData } from './exposed-generation.js';
import { Fencing } from './fencing.js';
import { dropStaleBits, handshakeVolume, holdsNewerData, reevaluatePeers } from './generation-handshake.js';
import { GENERATION_PRIMARY, keptItsWrites, sameGeneration, UUID_JUST_CREATED } from './sync-decision.js';
import type { DiskOp } from './io-error.js';
import { mayHaveBeenAnswered, type LoggedWrite } from './transfer-log.js';
import { VolumeMeta } from './metadata.js';
import { hasDisk, Peer } from './peer.js';
import { PeerReads } from './peer-reads.js';
import type { BlockDevice, PeerConnectorPort, PeerLinkPort, Platform } from './platform.js';
import { PrimaryBackend } from './primary-backend.js';
import { classifyAttach, diskVouchedFor } from './restart.js';
import { survivedPrimaryLoss } from './survivors.js';
import { StateChanges } from './state-change.js';
import { diskfulNeededToRegain, hasQuorum, quorumNeeded, type Reach } from './quorum.js';
import type { ResourceStatus, Role } from './states.js';
import { Volume } from './volume.js';

/** The suspension reason of a Primary without quorum under on-no-quorum = suspend-io. */
const NO_QUORUM = 'no quorum';

export class Resource {
  role: Role = 'Secondary';
  readonly local: NodeConfig;
  readonly volumes: Volume[];
  readonly peers = new Map<number, Peer>();
  readonly log: Logger;
  readonly fencing = new Fencing(this);
  readonly reads: PeerReads;
  /** round trips to every connected peer before a promotion or an invalidate (state-change.ts) */
  readonly stateChanges = new StateChanges(this);
  /** AL-covered ranges per volume, kept since a Primary peer vanished, until resynced */
  readonly reconcileRanges = new Map<number, Array<{ offset: number; length: number }>>();
  /** the Primary whose loss left those ranges (survivors.ts weighs each survivor's link to it) */
  reconcileFrom: number | null = null;
  /** how far into that Primary's write stream this node got: the seq of the last write it received */
  reconcileSeq = 0;
  /**
   * volumes whose next split brain is resolved by resyncing this node from the peer (connect
   * --discard-my-data). Used up per volume, as DRBD's per-device flag: a volume whose disk attaches
   * after the connection's handshake still honours it (seed 623823988: used up by the other
   * volume's resync, it left this one in a split brain no operator action could resolve).
   */
  readonly discardMyData = new Set<number>();
  /** the machine's boot id, read at the first attach (restart.ts); null: unknown */
  bootId: string | null = null;
  /** the invariant that stopped this resource on this node (null while it runs) */
  private failed: string | null = null;
  /** resource-wide write sequence: one order across all volumes */
  private seq = 0;
  private connector: PeerConnectorPort | null = null;
  private readonly suspended = new Set<string>();
  private resumeWaiters: Array<() => void> = [];
  /** why this node does not connect until `tandem connect` (null: it connects on its own) */
  private held: string | null = null;
  /** this node reaches enough nodes to write or be promoted (always true with quorum = off) */
  private quorate = true;
  /** a diskless Primary's writes a peer did not confirm, until the other peers are told (onPeerLost) */
  private unconfirmed: Array<{ nodeId: number } & LoggedWrite> = [];

  constructor(readonly config: ResourceConfig, nodeName: string, readonly platform: Platform) {
    const local = config.nodes.find((n) => n.name === nodeName);
    if (!local) throw new TandemError('TANDEM_E_CONFIG', `node ${nodeName} is not part of resource ${config.name}`);
    this.local = local;
    this.log = platform.log.child({ resource: config.name });
    this.reads = new PeerReads(platform.clock);
    this.volumes = local.volumes.map((v) => new Volume(v));
    for (const node of config.nodes) {
      if (node.id !== local.id) this.peers.set(node.id, new Peer(this, node));
    }
  }

  get name(): string {
    return this.config.name;
  }

  volume(index: number): Volume | undefined {
    return this.volumes.find((v) => v.index === index);
  }

  nextSeq(): number {
    return ++this.seq;
  }

  emit(kind: string, fields: Record<string, unknown>): void {
    this.platform.emit({ kind, resource: this.name, ...fields });
  }

  /** A fresh data generation id (bit 0 marks one made while Primary, as DRBD's UUID_PRIMARY). */
  freshGeneration(): bigint {
    let id = this.platform.randomU64() & ~GENERATION_PRIMARY;
    if (id === 0n || id === 4n) id = 2n; // 0: none; 4: just created
    return this.role === 'Primary' ? id | GENERATION_PRIMARY : id;
  }

  generationChanged(volume: Volume, change: { generation: bigint; previous: bigint; reason: string }): void {
    const fields = { volume: volume.index, generation: change.generation.toString(16), previous: change.previous.toString(16), reason: change.reason };
    this.log.info('new data generation', fields);
    this.emit('generation', fields);
  }

  // ---- crash policy -----------------------------------------------------------------------------

  /** Run engine code from an event (a message, a timer, a link change): a throw stops the resource. */
  guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.fail(err);
    }
  }

  /** A client request: an I/O error goes back to the client; a bug stops the resource. */
  guardAsync<T>(fn: () => Promise<T>): Promise<T> {
    if (this.failed) return Promise.reject(new TandemError('TANDEM_E_STATE', `${this.name} is stopped on this node: ${this.failed}`, { details: { errno: 'ESHUTDOWN' } }));
    // not an async function, no closure per call: this runs once per client request
    try {
      return fn().catch(this.onClientError);
    } catch (err) {
      return Promise.reject(err).catch(this.onClientError);
    }
  }

  private readonly onClientError = (err: unknown): never => {
    if (isBug(err)) this.fail(err);
    throw err;
  };

  /** A message from a peer failed to apply. */
  onApplyError(peer: Peer, msg: WireMessage, err: unknown): void {
    if (isBug(err)) { this.fail(err); return; }
    this.log.error('failed to apply a peer message', { peer: peer.node.name, type: msg.type, error: String(err) });
    if (msg.type === 'Write' || msg.type === 'WriteZeroes') peer.sendControl({ type: 'NegAck', volume: msg.volume, seq: msg.seq, errno: 5 });
    peer.closeLink(`could not apply ${msg.type}: ${String(err)}`);
  }

  protocolError(peer: Peer, message: string): void {
    this.log.error('peer protocol error', { peer: peer.node.name, message });
    peer.closeLink(new TandemError('TANDEM_E_PROTOCOL', message).message); // reconnects with backoff
  }

  /** Stop this resource on this node: it just proved its own state wrong. */
  fail(err: unknown): void {
    if (this.failed) return;
    this.failed = err instanceof Error ? err.message : String(err);
    this.log.error('resource stopped on this node: an invariant was violated', { invariant: this.failed, stack: err instanceof Error ? err.stack : undefined });
    this.emit('failed', { reason: this.failed });
    for (const v of this.volumes) {
      v.diskState = 'Failed';
      void v.export?.close();
      v.export = null;
    }
    for (const peer of this.peers.values()) peer.closeLink(`resource stopped on ${this.local.name}`);
    void this.connector?.stop();
    this.connector = null;
    this.resume(NO_QUORUM);
  }

  get isFailed(): boolean {
    return this.failed !== null;
  }

  // ---- lifecycle ------------------------------------------------------------------------------

  /**
   * Attach the disks and start connecting. With holdFormerPrimary (the agent's auto_resync=false,
   * VVR's AutoResync=0), a node that went away as Primary (crashed: its metadata still says
   * Primary) stays StandAlone: its peers may have taken over, and connecting would resync it and
   * throw away the writes only it has. The operator looks first, then runs `tandem connect`.
   */
  async up(opts: { holdFormerPrimary?: boolean } = {}): Promise<void> {
    for (const v of this.volumes) if (v.diskful) await this.attachVolume(v);
    if (opts.holdFormerPrimary && this.volumes.some((v) => v.meta?.flags.crashedPrimary)) {
      this.held = 'went away as Primary (crashed) and auto_resync is off: inspect the data, then run tandem connect '
        + `${this.name} to resync it from the current Primary`;
      for (const peer of this.peers.values()) peer.connectionState = 'StandAlone';
      this.log.warn('held StandAlone', { reason: this.held });
    }
    const connector = this.platform.connector(this.config, this.local.name, { connectOnStart: this.held === null });
    this.connector = connector;
    this.updateQuorum();
    await connector.start((link) => this.guard(() => this.onLink(link)));
    void this.fencing.adopt();
    this.log.info('resource up', { role: this.role, volumes: this.volumes.map((v) => v.diskState) });
  }

  async down(): Promise<void> {
    if (this.role === 'Primary') await this.demote();
    await this.connector?.stop();
    this.connector = null;
    for (const peer of this.peers.values()) peer.closeLink('resource going down');
    for (const v of this.volumes) await this.detachVolume(v);
    this.log.info('resource down');
  }

  private async attachVolume(v: Volume): Promise<void> {
    if (v.attached) return;
    v.diskState = 'Attaching';
    const disk = await this.platform.openDisk(v.config);
    let meta: VolumeMeta;
    try {
      // What an earlier run wrote may still sit in the disk's volatile cache (a kill -9 does not
      // empty it, a later power loss would): durable first, since the metadata's bits and the
      // resyncs this node serves from now on take the disk's contents as they read them.
      const [, bootId] = await Promise.all([disk.flush(), this.platform.bootId()]);
      this.bootId = bootId;
      meta = this.openMeta(v, disk);
      this.logRestart(v, classifyAttach(this, v, meta, bootId));
    } catch (err) {
      await disk.close();
      v.diskState = 'Diskless';
      throw err;
    }
    v.disk = disk;
    v.meta = meta;
    v.sizeBytes = Math.min(disk.sizeBytes, meta.sizeBytes);
    v.diskState = Volume.diskStateFromFlags(meta.flags);
    // After a crash this node cannot know whether others went on without it: its data is
    // Consistent, not UpToDate, until a handshake with a peer says so (DRBD's disk_state_from_md).
    if (v.diskState === 'UpToDate' && meta.crashed && [...this.peers.values()].some((p) => p.diskful)) v.diskState = 'Consistent';
    // A Primary that went on through its peers since this disk failed may have written past it:
    // the disk serves again only once a handshake says it is current (source, or equal). If it
    // wrote nothing since (the disk was the only copy, and every write failed), the disk is still
    // the newest data: it takes the generation the Primary started meanwhile, and serves at once.
    if (v.diskState === 'UpToDate' && this.role === 'Primary' && v.exposed.length > 0) {
      if (!v.wroteWithoutDisk && v.exposed.length > 1 && sameGeneration(v.exposed[1], meta.current())) this.resumeOwnDisk(v, meta);
      else v.diskState = 'Consistent';
    }
    this.log.info('disk attached', { volume: v.index, diskState: v.diskState, io: disk.ioMode });
    this.emit('disk', { volume: v.index, diskState: v.diskState });
  }

  private logRestart(v: Volume, how: ReturnType<typeof classifyAttach>): void {
    if (how === 'clean') return;
    if (how === 'same-boot') {
      this.log.info('back from a process crash in the same boot: the disk holds every write issued to it', { volume: v.index, claimsAcknowledged: v.intactRestart !== null });
      return;
    }
    const why = how === 'other-boot' ? 'in another boot (a power loss)' : 'with no boot on record (the boot id is unreadable, the metadata predates the record, or an earlier power loss is not yet resolved)';
    this.log.warn(`back from a crash ${why}: writes not yet flushed may be lost`, { volume: v.index });
  }

  /** The re-attached disk of a Primary that wrote nothing without it: current again, in the generation it exposed. */
  private resumeOwnDisk(v: Volume, meta: VolumeMeta): void {
    meta.followCurrent(v.exposed[0], 'the disk is attached again; nothing was written without it');
    v.servesOwnDisk();
    this.log.info('disk attached again to a Primary that wrote nothing without it: it serves at once', { volume: v.index });
    for (const p of this.peers.values()) p.sendState();
  }

  private openMeta(v: Volume, disk: BlockDevice): VolumeMeta {
    const md = this.platform.openMetadata(v.config);
    // an extent leaves the AL only once its writes are durable (M2): a failed flush is a failed disk
    md.flushDataDiskWith(() => disk.flush().catch((err: unknown) => {
      this.localDiskFailed(v, 'flush', err, null);
      throw err;
    }));
    if (md.superblock.nodeId !== this.local.id) {
      md.close();
      throw new TandemError('TANDEM_E_META', `metadata of volume ${v.index} belongs to node id ${md.superblock.nodeId}, this node is ${this.local.id}`, {
        hint: `recreate it with 'tandem md create ${this.name} --force' on this node`,
      });
    }
    const meta = new VolumeMeta(md, { generationChanged: (c) => this.generationChanged(v, c) }, this.platform.settings.skipMetadataUpdates);
    const damage = md.damageReport();
    if (damage) this.log.error('metadata failed its checksums: the damaged ranges are marked out of sync for every peer (md check says more)', { volume: v.index, ...damage });
    if (meta.recoveredExtents > 0) {
      this.log.warn('metadata was not closed cleanly: activity-log extents marked out of sync for every peer', { volume: v.index, extents: meta.recoveredExtents });
    }
    if (this.platform.settings.skipMetadataUpdates) this.log.warn('TANDEM_BENCH_NO_METADATA=1: activity log and bitmap are NOT updated; writes are not crash-safe (benchmark only)', { volume: v.index });
    // The engine records every block a peer misses, precisely and durably, when it happens (the
    // write pipeline's absent peers, unconfirmed writes of a lost link), and an AL extent leaves
    // the AL only when no write to it is unsettled: an evicted extent needs no bits for any peer.
    for (const peer of this.peers.values()) if (peer.diskful) meta.setPeerInSync(peer.node.id, true);
    return meta;
  }

  /**
   * Close the disk and metadata once nothing uses them. Closing the metadata clean (AL_CLEAN: no
   * replay after a crash) is only true once every write the AL covered is durable: the disk is
   * flushed first, and if it cannot be, every block counts as out of sync for every peer.
   */
  private async detachVolume(v: Volume, onIdle?: (meta: VolumeMeta) => void): Promise<void> {
    const meta = v.meta;
    const disk = v.disk;
    v.meta = null;
    v.disk = null;
    v.resyncDurability.drop();
    // a resync into this disk ends with it (the source's link may stay up): kept, the attach after
    // took that source for one still sending, and paused the Primary for it (seed 1787497266)
    v.syncSource = null;
    v.untouchedTarget = null;
    if (meta || disk) await v.whenIdle();
    if (meta && onIdle) onIdle(meta);
    if (meta && disk) {
      try {
        await disk.flush();
      } catch (err) {
        this.log.warn('the disk could not be flushed before detach: every block is kept out of sync for every peer', { volume: v.index, error: String(err) });
        for (const peer of this.peers.values()) if (peer.diskful) meta.markAllOutOfSync(peer.node.id);
        meta.setFlags({ readErrorsOnly: false }); // writes not yet durable may be lost
        v.failureLostNoWrite = false;
      }
    }
    meta?.close();
    await disk?.close();
    if (v.diskState !== 'Diskless') {
      v.diskState = 'Diskless';
      this.emit('disk', { volume: v.index, diskState: v.diskState });
    }
  }

  private onLink(link: PeerLinkPort): void {
    const peer = this.peers.get(link.peerNodeId);
    if (!peer) { link.close(`node id ${link.peerNodeId} is not a peer of ${this.name}`); return; }
    if (this.failed) { link.close(`resource stopped on ${this.local.name}`); return; }
    peer.attachLink(link);
    this.updateQuorum();
  }

  // ---- a local disk failed ----------------------------------------------------------------------

  /**
   * A read, write or flush on the local disk failed (on-io-error = detach, DRBD's default): the
   * disk goes Failed, then Diskless once its requests are done. Its blocks stay out of sync for
   * every peer (the failed range; everything when what is on the disk is unknown), so it is
   * resynced when attached again; a Primary goes on through its UpToDate peers.
   */
  localDiskFailed(v: Volume, op: DiskOp, err: unknown, range: { offset: number; length: number } | null, pinned: VolumeMeta | null = null): void {
    if (op !== 'read') v.failureLostNoWrite = false; // a write or flush that failed while detaching, too
    // a request that failed while the detach was under way still holds the metadata it pinned
    // (the detach waits for it): its range is marked there
    const meta = v.meta ?? pinned;
    if (!meta) return;
    if (v.diskState === 'Failed' || v.meta === null) {
      // already detaching; another request that was in flight failed too: its range is out of sync
      // for every peer as well, or the resync after attach would skip it
      if (range) for (const peer of this.peers.values()) if (peer.diskful) meta.markOutOfSync(peer.node.id, range.offset, range.length);
      return;
    }
    const errno = (err as { code?: unknown } | null)?.code ?? 'EIO';
    this.log.error('local disk failed: detaching it (on-io-error = detach)', { volume: v.index, errno, error: String(err), range });
    const own = ownData(this, v); // before its blocks are marked out of sync for every peer
    const primary = this.role === 'Primary';
    const secondaryOnlyCopy = !primary && this.secondaryHoldsOnlyCopy(v);
    // a failed read changes nothing on the disk: one that held every write it stored still does
    v.failureLostNoWrite = op === 'read' && keptItsWrites({ diskState: v.diskState, crashed: meta.crashed, readErrorsOnly: meta.flags.readErrorsOnly });
    for (const peer of this.peers.values()) {
      if (!peer.diskful) continue;
      if (range) meta.markOutOfSync(peer.node.id, range.offset, range.length);
      else meta.markAllOutOfSync(peer.node.id);
    }
    v.diskState = 'Failed';
    // nothing written since a lost peer went: the generations of a Primary going on without its
    // disk are the exposed ones (exposeGeneration), from the one its peers know
    v.pendingNewGeneration = [];
    v.newGenerationUrgent = false;
    v.acknowledgedBeforeNewGeneration = false;
    for (const peer of this.peers.values()) peer.stopResync(v.index);
    this.emit('disk', { volume: v.index, diskState: 'Failed', errno });
    // Writes the disk took may still be on their way to peers, and a peer lost before it stores
    // one lacks data only this disk has: what the disk alone holds is known once every request
    // on it settled, which the detach waits for. A Primary's new writes wait until then.
    v.failedDiskMissedBy.clear();
    v.failing = this.detachVolume(v, (m) => this.settleFailedDisk(v, m, primary ? own : null, secondaryOnlyCopy))
      .then(() => { for (const p of this.peers.values()) p.sendState(); }, (e) => this.fail(e))
      .finally(() => { v.failing = null; });
    for (const p of this.peers.values()) p.sendState();
  }

  /**
   * Every request the failed disk took has settled. A Primary goes on through the peers that held
   * all of its data (connected, UpToDate, same generation, no bits out of sync when the disk
   * failed) and stored every write it had taken since (sim seeds 20304, 20351: a partition
   * swallowed writes the failed disk had). The blocks the disk may lack or hold wrongly are out of
   * sync for every peer already (localDiskFailed), so the metadata keeps what it may honestly
   * claim of the rest, as DRBD leaves a disk detached on an I/O error (an interrupted resync
   * target stays Inconsistent in every case):
   * - the only copy of the newest data stays UpToDate: the Primary's I/O fails until it is back,
   *   and it becomes the others' source again;
   * - a Primary's disk its peers go on without is behind them from now on: Outdated, as after
   *   `tandem detach` on a Primary;
   * - a Secondary's disk that a peer out of reach may or may not have overtaken is Consistent
   *   when attached again (DISK_FAILED), and the generation handshake decides. Marked
   *   Inconsistent, it lost the data whenever it was the only good copy after all: nobody was
   *   UpToDate again (sim seeds 20068, 20457).
   */
  private settleFailedDisk(v: Volume, meta: VolumeMeta, own: OwnData | null, secondaryOnlyCopy: boolean): void {
    const missed = new Set(v.failedDiskMissedBy);
    v.failedDiskMissedBy.clear();
    const held = own && { ...own, peersWithIt: new Set([...own.peersWithIt].filter((id) => !missed.has(id) && this.peers.get(id)?.connected)) };
    const onlyCopy = (held !== null && held.peersWithIt.size === 0) || secondaryOnlyCopy;
    if (!v.failureLostNoWrite) meta.setFlags({ readErrorsOnly: false }); // a claim left by an earlier failure ends
    if (onlyCopy) this.log.error('the failed disk holds the only copy of the newest data: I/O fails until it is attached again', { volume: v.index });
    else if (this.role === 'Primary') meta.setFlags({ wasUpToDate: false });
    else {
      meta.setFlags({ diskFailed: true, readErrorsOnly: v.failureLostNoWrite });
      if (v.failureLostNoWrite) this.log.info('the failed disk lost no write: only reads failed, on data that held every write it stored', { volume: v.index });
    }
    // a Primary that was already writing through its peers (a SyncTarget) keeps its generation
    if (this.role === 'Primary' && (held || v.exposed.length === 0)) {
      v.wroteWithoutDisk = false;
      exposeGeneration(this, v, () => this.freshGeneration(), true, held);
    }
  }

  /**
   * A Secondary's UpToDate disk is the only copy of the newest data while every diskful peer is
   * connected and none holds UpToDate (or maybe-UpToDate, Consistent) data: a diskless Primary
   * wrote through this node alone (sim seed 20991). A write it fails is answered EIO, since
   * without a usable disk of its own the Primary answers only what a peer stored; everything
   * answered is on it. A diskful peer out of reach may be UpToDate: then the disk is not known to
   * be the only copy.
   */
  private secondaryHoldsOnlyCopy(v: Volume): boolean {
    if (v.diskState !== 'UpToDate') return false;
    return [...this.peers.values()].filter((p) => p.diskful).every((p) => {
      const pv = p.volumes.get(v.index);
      return p.connected && pv !== undefined && pv.view !== null && pv.peerDiskState !== 'UpToDate' && pv.peerDiskState !== 'Consistent';
    });
  }

  /**
   * A peer's disk went away (Failed, detached) while connected: as if that peer were lost, for
   * that volume. As for a lost link (onPeerLost), the new generation starts at the next write, or
   * once our disk is flushed when writes to that disk were unconfirmed (it may lack them): made at
   * once, a crash right after left survivors that had not followed it and this node in a
   * generation nothing was written in, which looked like a split brain (sim seed 20426).
   */
  peerDiskLost(peer: Peer, v: Volume): void {
    if (this.role !== 'Primary' || !peer.diskful) return;
    this.log.warn('peer lost its disk: its blocks are kept out of sync for it from now on', { peer: peer.node.name, volume: v.index });
    if (!v.meta) {
      rotateExposedGeneration(this, v, this.freshGeneration());
      for (const p of this.peers.values()) if (p !== peer) p.sendState();
      return;
    }
    v.pendingNewGeneration.push(`${peer.node.name} lost its disk`);
    if (mayHaveBeenAnswered(peer.protocol, peer.transfer.unconfirmedOf(v.index))) v.acknowledgedBeforeNewGeneration = true; // as onPeerLost
    if (peer.transfer.hasUnconfirmed(v.index)) {
      v.newGenerationUrgent = true;
      void this.newGenerationDurable(v);
    }
  }

  // ---- control operations ---------------------------------------------------------------------

  async control(op: string, args: Record<string, unknown>): Promise<unknown> {
    if (this.failed && op !== 'secondary') {
      throw new TandemError('TANDEM_E_STATE', `${this.name} is stopped on this node: ${this.failed}`, {
        hint: `run 'tandem down ${this.name}' and 'tandem up ${this.name}' (Pacemaker does this when it recovers the resource)`,
      });
    }
    switch (op) {
      case 'primary': await this.promote(args.force === true); break;
      case 'secondary': await this.demote(); break;
      case 'connect': this.connectAll(args.discardMyData === true); break;
      case 'disconnect': this.disconnectAll(); break;
      case 'attach': await this.attachAll(); break;
      case 'detach': await this.detachAll(); break;
      case 'outdate': this.outdate(); break;
      case 'invalidate': await this.invalidate(); break;
      case 'resume-io': this.resumeIo(); break;
      default:
        throw new TandemError('TANDEM_E_USAGE', `'${op}' is not supported yet by this daemon`, {
          hint: 'see tandem --help for the verbs this version implements',
        });
    }
    if (op === 'outdate') for (const peer of this.peers.values()) peer.sendState();
    return this.status();
  }

  /** A refused peer stays StandAlone (as DRBD's): no redial until `tandem connect`. */
  stopDialing(peerNodeId: number): void {
    this.connector?.disconnect(peerNodeId);
  }

  /**
   * discardMyData (DRBD's connect --discard-my-data): this node volunteers as the victim of a split
   * brain; its peers resync it from their data, covering both sides' out-of-sync blocks.
   */
  private connectAll(discardMyData = false): void {
    if (discardMyData && this.role === 'Primary') {
      throw new TandemError('TANDEM_E_STATE', `cannot discard the data of ${this.name}: this node is Primary`, {
        hint: `run 'tandem secondary ${this.name}' first (stop what uses the volume)`,
      });
    }
    if (discardMyData) for (const v of this.volumes) this.discardMyData.add(v.index);
    this.held = null;
    for (const [id, peer] of this.peers) {
      if (peer.connectionState === 'StandAlone') peer.connectionState = 'Connecting';
      this.connector?.connect(id);
    }
  }

  private disconnectAll(): void {
    for (const [id, peer] of this.peers) {
      this.connector?.disconnect(id);
      peer.closeLink('disconnected by administrator');
      peer.connectionState = 'StandAlone'; // also a peer that never connected
    }
  }

  private async attachAll(): Promise<void> {
    const detached = this.volumes.filter((v) => v.diskful && !v.attached && v.diskState !== 'Failed');
    for (const v of detached) await this.attachVolume(v);
    // attaching what is attached already changes nothing: a renegotiation then would set every
    // peer Off, and a peer whose view of this node did not change never answers (sim seed 12)
    if (detached.length === 0) return;
    for (const peer of this.peers.values()) this.renegotiate(peer);
  }

  private async detachAll(): Promise<void> {
    if (this.role === 'Primary' && !this.hasUpToDatePeer()) {
      throw new TandemError('TANDEM_E_STATE', `cannot detach ${this.name}: it is Primary and no peer is UpToDate`, {
        hint: 'demote it first, or wait until a peer is UpToDate',
      });
    }
    this.checkNotLastDataOfPrimary();
    for (const v of this.volumes) {
      if (this.role === 'Primary' && v.meta) {
        const own = ownData(this, v);
        v.meta.setFlags({ consistent: true, wasUpToDate: false }); // the peers go on without it
        exposeGeneration(this, v, () => this.freshGeneration(), true, own);
      } else if (v.meta && v.diskState === 'UpToDate' && [...this.peers.values()].some((p) => p.diskful)) {
        // a Primary's writes miss it from now on: attached again (after a restart, say) it is
        // Outdated until a handshake with a peer brings it up to date, never promoted alone
        v.meta.setFlags({ consistent: true, wasUpToDate: false });
      }
      await this.detachVolume(v);
    }
    for (const peer of this.peers.values()) peer.sendState();
  }

  /**
   * DRBD refuses a detach that would leave a Primary without access to UpToDate data (the detach
   * is a cluster-wide state change, and the Primary answers SS_NO_UP_TO_DATE_DISK, "Need access
   * to UpToDate data"). A Primary whose own disk is not UpToDate (diskless, failed, a SyncTarget)
   * reads and writes through its UpToDate peers: when this node is the only one it reaches, its
   * disk holds the only copy of what the Primary acknowledged, durable writes included. Detached,
   * that copy is Outdated and the Primary starts a generation nobody holds (sim seed 1448114171:
   * the Primary then lost power, both disks came back Outdated, and the acknowledged data was on
   * none that counted). Judged from this node: another peer of ours UpToDate and Established
   * serves the Primary too only if it is connected to it, which we cannot see; a peer in the
   * Primary's current generation that is UpToDate for us is one it has not lost (it rotates its
   * generation when it loses a server), so that is the test.
   */
  private checkNotLastDataOfPrimary(): void {
    const primary = [...this.peers.values()].find((p) => p.connected && p.peerRole === 'Primary');
    if (!primary) return;
    for (const v of this.volumes) {
      if (!v.meta || v.diskState !== 'UpToDate') continue;
      const pv = primary.volumes.get(v.index);
      if (!pv || pv.peerDiskState === 'UpToDate') continue;
      const current = v.meta.current();
      const otherServer = [...this.peers.values()].some((p) => {
        const view = p.volumes.get(v.index)?.view;
        return p !== primary && p.diskful && p.connected && p.peerUpToDate(v.index) && !!view && sameGeneration(view.current, current);
      });
      if (otherServer) continue;
      throw new TandemError('TANDEM_E_STATE', `cannot detach ${this.name}: volume ${v.index} is the only UpToDate data that ${primary.node.name}, the Primary (its disk ${pv.peerDiskState}), reaches`, {
        hint: `demote ${primary.node.name} first, or connect another node whose volume ${v.index} is UpToDate ('tandem status ${this.name}' shows each peer's disk state)`,
        details: { volume: v.index, primary: primary.node.name, primaryDiskState: pv.peerDiskState },
      });
    }
  }

  /** Run the handshake again with this peer for every volume (after attach or invalidate). */
  private renegotiate(peer: Peer): void {
    for (const [index, pv] of peer.volumes) {
      if (pv.replicationState === 'SyncSource') continue;
      pv.replicationState = 'Off';
      // a peer without a disk has nothing to compare: it will not answer with a new State
      if (pv.view && !hasDisk(pv.peerDiskState) && peer.connected) handshakeVolume(peer, index, pv);
    }
    peer.sendState();
  }

  private outdate(): void {
    if (this.role === 'Primary') throw new TandemError('TANDEM_E_STATE', 'a Primary cannot be outdated', { hint: 'demote it first' });
    for (const v of this.volumes) {
      if (!v.meta || v.diskState !== 'UpToDate') continue;
      v.meta.setFlags({ wasUpToDate: false });
      v.diskState = 'Outdated';
      this.emit('disk', { volume: v.index, diskState: v.diskState });
    }
  }

  /** DRBD's resume-io: the administrator ends a freeze (fencing that did not succeed, or no quorum). */
  private resumeIo(): void {
    const reasons = [...this.suspended];
    if (reasons.length === 0) return;
    this.log.warn('I/O resumed by the administrator', { reasons });
    for (const reason of reasons) this.resume(reason);
  }

  /**
   * DRBD's invalidate: this node's data is to be replaced by a peer's. Every bit is set for every
   * diskful peer (a full sync whoever the source is), and the connections start again, so the
   * handshake that follows sees it.
   */
  private async invalidate(): Promise<void> {
    this.checkInvalidatable();
    // the UpToDate peer it counts on must still answer (sim seed 40218: one that had lost power)
    await this.stateChanges.ask('invalidate');
    this.checkInvalidatable();
    for (const v of this.volumes) {
      if (!v.meta) continue;
      for (const peer of this.peers.values()) if (peer.diskful) v.meta.markAllOutOfSync(peer.node.id);
      v.meta.setFlags({ consistent: false, wasUpToDate: false });
      v.diskState = 'Inconsistent';
      this.emit('disk', { volume: v.index, diskState: v.diskState });
    }
    for (const peer of this.peers.values()) peer.closeLink('invalidated: reconnecting for a full sync');
  }

  private checkInvalidatable(): void {
    if (this.role === 'Primary') throw new TandemError('TANDEM_E_STATE', 'a Primary cannot invalidate its own data', { hint: 'demote it first' });
    // Never the only good copy (sim seed 20856: the only server of a diskless Primary): the full
    // sync needs a source, and without one every node would be left without the data.
    const only = this.volumes.filter((v) => v.meta && (v.diskState === 'UpToDate' || v.diskState === 'Consistent') && !this.hasUpToDatePeer(v.index));
    if (only.length > 0) {
      throw new TandemError('TANDEM_E_STATE', `cannot invalidate ${this.name}: no connected peer has UpToDate data of volume ${only.map((v) => v.index).join(', ')} to resync it from, and this node's ${only[0].diskState} data may be the only good copy`, {
        hint: `connect a peer whose volume is UpToDate first ('tandem status ${this.name}' shows each peer's disk state)`,
      });
    }
  }

  // ---- roles ----------------------------------------------------------------------------------

  async promote(force: boolean): Promise<void> {
    if (this.role === 'Primary') return;
    this.checkPromotable(force);
    // decided again on States no older than this moment, without peers that no longer answer
    await this.stateChanges.ask('promote');
    if ((this.role as Role) === 'Primary') return;
    this.checkPromotable(force);
    if (await this.flushBeforePromotionGenerations(force)) {
      if ((this.role as Role) === 'Primary') return; // a concurrent promotion won (the role changed during the await)
      this.checkPromotable(force); // things may have changed during the flush
    }
    this.role = 'Primary';
    for (const v of this.volumes) this.promoteVolume(v, force);
    this.reconcileAfterPrimaryLoss();
    try {
      await this.startExports();
    } catch (err) {
      await this.demote();
      throw err;
    }
    for (const peer of this.peers.values()) peer.sendState();
    reevaluatePeers(this.peers.values());
    // Promoted while a diskful peer is away: its data is older from now on. As DRBD does, fence-peer
    // runs for it, so the cluster never promotes it before it is resynced.
    for (const peer of this.peers.values()) if (peer.diskful && !peer.connected) void this.fencing.peerLost(peer);
    this.emit('role', { role: this.role });
    this.log.info('promoted', { force });
  }

  private checkPromotable(force: boolean): void {
    const otherPrimary = [...this.peers.values()].find((p) => p.connected && p.peerRole === 'Primary');
    if (otherPrimary) {
      throw new TandemError('TANDEM_E_STATE', `cannot promote ${this.name}: ${otherPrimary.node.name} is Primary`, {
        hint: `demote it first with 'tandem secondary ${this.name}' on ${otherPrimary.node.name}`,
      });
    }
    this.checkQuorum();
    this.checkPromotableDisks(force);
    if (!force) this.checkNotBehind();
  }

  /** A connected peer UpToDate in a newer generation of ours holds writes this node lacks. */
  private checkNotBehind(): void {
    for (const v of this.volumes) {
      const ahead = [...this.peers.values()].find((p) => p.connected && p.volumes.get(v.index)?.view && holdsNewerData(v, p.volumes.get(v.index)!.view!));
      if (!ahead) continue;
      throw new TandemError('TANDEM_E_STATE', `cannot promote ${this.name}: ${ahead.node.name} holds a newer data generation of volume ${v.index}, with writes this node lacks`, {
        hint: `promote ${ahead.node.name} instead, or wait until it has resynced this node ('tandem status ${this.name}')`,
        details: { volume: v.index, peer: ahead.node.name },
      });
    }
  }

  /**
   * A generation the promotion starts (a diskful peer away, --force) makes this disk the source,
   * from then on, of every block that peer may differ in, its copies included: writes this node
   * stored as a Secondary but that its disk cache still holds, a power loss here would lose, and
   * this disk, newer, would then be resynced over the absent peer's copy of an acknowledged
   * write (sim seed 30723: n1, promoted without a flush while n0 was away, lost power and its
   * zeros replaced n0's copy). So the disks are flushed first, as before a lost peer's new
   * generation (newGenerationDurable) and as DRBD writes a new current UUID with a flush before
   * it. Says whether it flushed (the caller then checks again what may have changed meanwhile).
   */
  private async flushBeforePromotionGenerations(force: boolean): Promise<boolean> {
    const disks = this.volumes.filter((v) => this.promotionStartsGeneration(v, force) && v.disk);
    await Promise.all(disks.map((v) => {
      const disk = v.disk!;
      return disk.flush().catch((err) => { if (v.disk === disk) this.localDiskFailed(v, 'flush', err, null); });
    }));
    return disks.length > 0;
  }

  /** Does promoting this volume start a new generation (promoteVolume)? */
  private promotionStartsGeneration(v: Volume, force: boolean): boolean {
    if (!v.meta || (!v.usable && !force)) return false;
    return force || v.diskState !== 'UpToDate' || this.absentAtPromotion(v).length > 0;
  }

  private absentAtPromotion(v: Volume): number[] {
    return [...this.peers.values()].filter((p) => p.diskful && !p.replicatingTo(v.index)).map((p) => p.node.id);
  }

  /** Even --force does not override quorum: it is the one guard a partitioned minority has. */
  private checkQuorum(): void {
    if (this.quorate) return;
    const needed = quorumNeeded(this.config.quorum, this.config.nodes.length);
    const diskfulNeeded = diskfulNeededToRegain(this.config.quorum, this.config.nodes.length, this.diskfulNodes());
    const { reachable, reachableDiskful } = this.reach();
    const diskful = diskfulNeeded > 0 ? `; regaining it needs ${diskfulNeeded} nodes with a disk, reaches ${reachableDiskful}` : '';
    throw new TandemError('TANDEM_E_STATE', `cannot promote ${this.name}: no quorum (reaches ${reachable} of ${this.config.nodes.length} nodes, needs ${needed}${diskful})`, {
      hint: 'reconnect the other nodes; only if they are known to be down, lower quorum in the configuration and run tandem down/up',
      details: { reachable, reachableDiskful, needed, diskfulNeeded },
    });
  }

  private checkPromotableDisks(force: boolean): void {
    for (const v of this.volumes) {
      if (v.usable) continue;
      if (this.hasUpToDatePeer(v.index)) continue; // it writes and reads through the peer (a SyncTarget, or no disk)
      if (v.attached && force) continue;
      throw new TandemError('TANDEM_E_STATE', `cannot promote ${this.name}: volume ${v.index} is ${v.diskState} and no UpToDate data is reachable`, {
        hint: v.attached ? `use 'tandem primary ${this.name} --force' only if this node's data is the one to keep` : 'connect to an UpToDate peer first',
        details: { volume: v.index, diskState: v.diskState },
      });
    }
  }

  private promoteVolume(v: Volume, force: boolean): void {
    if (!v.meta || (!v.usable && !force)) {
      exposeGeneration(this, v, () => this.freshGeneration(), v.diskful);
      return;
    }
    const absent = this.absentAtPromotion(v);
    if (this.promotionStartsGeneration(v, force)) {
      const justCreated = v.meta.current() === UUID_JUST_CREATED;
      // nothing is acknowledged in it yet: the claim stands until the first answer (endUnacknowledged)
      v.meta.newCurrent(this.freshGeneration(), absent, force ? 'promoted with --force' : 'promoted while some peers are away', true);
      if (force && v.diskState !== 'UpToDate') for (const id of absent) forcedOverUnknownData(v.meta, id, justCreated);
    }
    v.meta.setFlags({ consistent: true, wasUpToDate: true, primary: true, crashedPrimary: false, primaryLostQuorum: false, diskFailed: false }); // a new crash sets it again
    v.intactRestart = null; // what it writes as Primary is its own rule's (crashedPrimary)
    diskVouchedFor(this, v);
    if (v.diskState !== 'UpToDate') {
      v.diskState = 'UpToDate';
      this.emit('disk', { volume: v.index, diskState: v.diskState });
    }
  }

  /**
   * The new generation a lost peer calls for (Volume.pendingNewGeneration) starts once every write
   * the disk took before it is durable: the lost peer may hold them, and a power loss here after
   * the new generation was persisted would make this disk, newer, the source of blocks its cache
   * lost, over that peer's copy (seeds 20007, 20279). DRBD writes a new current UUID with a flush
   * before it. Writes wait for this before they are sent (write-pipeline.ts).
   */
  newGenerationDurable(v: Volume): Promise<void> {
    v.newGenerationReady ??= this.flushThenStartGeneration(v).finally(() => { v.newGenerationReady = null; });
    return v.newGenerationReady;
  }

  private async flushThenStartGeneration(v: Volume): Promise<void> {
    const disk = v.disk;
    await v.whenLocalWritesDone();
    if (!disk || v.disk !== disk || !v.usable) return; // the disk failed meanwhile: its detach decides what comes next
    try {
      await disk.flush();
    } catch (err) {
      this.localDiskFailed(v, 'flush', err, null);
      return;
    }
    if (v.disk === disk && v.usable) this.guard(() => this.startPendingGeneration(v)); // never rejects: writes wait on it
  }

  /**
   * The new data generation starts (Volume.pendingNewGeneration): the peers still away keep the
   * old one as their bitmap generation, the others follow on our State, which reaches each link
   * before the next write does. Nobody away any more: none is needed.
   */
  private startPendingGeneration(v: Volume): void {
    const reasons = v.pendingNewGeneration;
    if (reasons.length === 0 || !v.meta) return;
    const reason = v.newGenerationUrgent ? reasons.join('; ') : `first write after: ${reasons.join('; ')}`;
    const acknowledged = v.acknowledgedBeforeNewGeneration;
    v.pendingNewGeneration = [];
    v.newGenerationUrgent = false;
    v.acknowledgedBeforeNewGeneration = false;
    const absent = [...this.peers.values()].filter((p) => p.diskful && !p.replicatingTo(v.index));
    if (absent.length === 0) return;
    v.meta.newCurrent(this.freshGeneration(), absent.map((p) => p.node.id), reason, !acknowledged);
    // a connected peer without its disk keeps the old generation as its bitmap id, and its link
    for (const p of absent) if (p.connected) v.meta.setPeerConnected(p.node.id, true);
    for (const peer of this.peers.values()) peer.sendState();
  }

  /** The AL ranges kept since our Primary vanished may differ on the survivors: resync them to everyone. */
  private reconcileAfterPrimaryLoss(): void {
    for (const v of this.volumes) {
      const own = this.reconcileRanges.get(v.index);
      if (!own || !v.meta) continue;
      for (const peer of this.peers.values()) {
        // a fellow survivor we reconciled on this link holds our ranges already (survivors.ts)
        if (!peer.diskful || peer.volumes.get(v.index)?.reconciled) continue;
        for (const r of own) v.meta.markOutOfSync(peer.node.id, r.offset, r.length);
        // and the peer's own (blocks it marked since a crash of its own), as a Primary merges them
        // (mergeAndResync): left out, this resync kept the peer from merging them, and they made a
        // second resync over the link as soon as it ended (sim seed 2107931414)
        if (peer.replicatingTo(v.index)) for (const r of peer.volumes.get(v.index)?.view?.reconcile ?? []) v.meta.markOutOfSync(peer.node.id, r.offset, r.length);
        // nothing to send (our AL was empty): an empty resync would only cross the peer's State,
        // whose own ranges start the one resync this link needs (seed 20341)
        if (v.meta.outOfSyncBytes(peer.node.id) === 0) continue;
        if (peer.replicatingTo(v.index) && peer.volumes.get(v.index)?.replicationState === 'Established') peer.startResync(v);
      }
      this.reconcileRanges.delete(v.index);
    }
    this.reconcileFrom = null;
  }

  async demote(): Promise<void> {
    if (this.role !== 'Primary') return;
    for (const v of this.volumes) {
      const busy = await v.export?.busy();
      if (busy) {
        throw new TandemError('TANDEM_E_BUSY', `cannot demote ${this.name}: volume ${v.index} is in use (${busy})`, {
          hint: `unmount or close ${v.export?.device ?? 'the device'} first (Pacemaker stops what uses it before demoting)`,
          details: { volume: v.index, device: v.export?.device ?? null },
        });
      }
    }
    // A lost peer's urgent generation that a fencing freeze held back: this disk holds writes that
    // peer lacks, so it starts before the demotion, as without the freeze (equal generations
    // would later drop the bits that say so as stale).
    for (const v of this.volumes) if (v.newGenerationUrgent && v.meta) await this.newGenerationDurable(v);
    this.role = 'Secondary';
    // nothing written since: the peers' generation stands, unless a lost peer lacks writes already
    for (const v of this.volumes) if (!v.newGenerationUrgent) { v.pendingNewGeneration = []; v.acknowledgedBeforeNewGeneration = false; }
    // every freeze ends (no quorum, a fencing that did not succeed): the writes waiting in it fail
    // now (ESHUTDOWN), since this node no longer takes writes; a Secondary is never suspended
    const frozen = [...this.suspended];
    if (frozen.length > 0) this.log.warn('demoted while I/O was frozen: the frozen writes fail', { reasons: frozen });
    for (const reason of frozen) this.resume(reason);
    this.unconfirmed = [];
    for (const v of this.volumes) {
      await v.export?.close();
      v.export = null;
      v.servesOwnDisk(); // a Secondary exposes nothing
      if (v.disk) await v.disk.flush().catch((err) => this.localDiskFailed(v, 'flush', err, null));
      v.meta?.setFlags({ primary: false });
    }
    for (const peer of this.peers.values()) peer.sendState();
    this.emit('role', { role: this.role });
    this.log.info('demoted');
  }

  private async startExports(): Promise<void> {
    for (const v of this.volumes) {
      if (!v.config.export && this.config.frontend === 'none') continue; // a device without an export gets a private one
      v.export = await this.platform.startExport(v.config.export, `${this.name}/${v.index}`, new PrimaryBackend(this, v), {
        resource: this.config, volume: v.index, frontend: this.config.frontend,
      });
    }
  }

  // ---- peers ----------------------------------------------------------------------------------

  /**
   * A peer's link broke. As Primary, a new data generation starts (its old one becomes that peer's
   * bitmap generation), the survivors follow it, and they learn which of our last writes the lost
   * peer did not confirm. A lost Primary leaves its last in-flight writes possibly on some
   * survivors only: the AL-covered areas are resynced when one of them is promoted.
   */
  onPeerLost(peer: Peer, lost: { wasPrimary: boolean; replicated: boolean; unconfirmed: LoggedWrite[]; reason: string }): void {
    const { wasPrimary, unconfirmed } = lost;
    this.reads.failPeer(peer);
    for (const v of this.volumes) v.followers.delete(peer.node.id);
    this.updateQuorum();
    this.confirmQuorum(peer);
    const primaryLostDisk = this.role === 'Primary' && peer.diskful;
    const generations: Array<Promise<void>> = [];
    if (primaryLostDisk && lost.replicated) {
      for (const v of this.volumes) {
        if (v.meta) {
          // With writes it may lack, the lost peer's data has diverged already: a new generation
          // as soon as the disk is flushed. Otherwise at the next write (Volume.pendingNewGeneration).
          v.pendingNewGeneration.push(`lost the connection to ${peer.node.name}`);
          if (mayHaveBeenAnswered(peer.protocol, unconfirmed.filter((w) => w.volume === v.index))) v.acknowledgedBeforeNewGeneration = true;
          if (unconfirmed.some((w) => w.volume === v.index)) {
            v.newGenerationUrgent = true;
            // Frozen for fencing (below), it starts when I/O resumes, as DRBD's new current UUID
            // waits for susp-fen to end: a Primary cut off that never resumes changed nothing its
            // peers must call a split brain (sim seed 20434).
            if (!this.fencing.freezes) generations.push(this.newGenerationDurable(v));
          }
        } else {
          rotateExposedGeneration(this, v, this.freshGeneration());
          // writes it never confirmed that another server stored: it lacks them, and may not serve
          // again in the new generation (with no other server they reached nobody: nothing is
          // lost). Provisional while a write is unanswered: one that fails holds nothing promised.
          const here = [...unconfirmed, ...this.unconfirmed].filter((w) => w.volume === v.index);
          for (const s of servers(this, v)) for (const w of here) markUnconfirmed(v.exposedData[0], s.node.id, w);
        }
      }
      for (const other of this.peers.values()) other.sendState();
    }
    if (primaryLostDisk) {
      // After any new generation, so the bits get the right bitmap id. A SyncTarget needs no new
      // generation, but it took our writes too: the others learn which it did not confirm, or a
      // survivor promoted later would never resync them to it (seed 20996).
      if (generations.length === 0) this.tellUnconfirmed(peer.node.id, unconfirmed);
      else void Promise.all(generations).then(() => this.guard(() => this.tellUnconfirmed(peer.node.id, unconfirmed)));
      this.tellUnconfirmedDiskless();
      if (lost.replicated) void this.fencing.peerLost(peer);
    } else if (peer.diskful && unconfirmed.length > 0) {
      // Demoted before the loss showed: the writes it sent as Primary and the peer never confirmed
      // are out of sync in our bitmap only. The others learn them too, or the next Primary, which
      // kept no bits for them, resyncs the lost peer without them (seed 1336740743).
      this.tellUnconfirmed(peer.node.id, unconfirmed);
    }
    if (wasPrimary && this.role === 'Secondary') {
      this.fencing.recheckPrimary(peer, lost.reason);
      survivedPrimaryLoss(this, peer); // the survivors reconcile among themselves (survivors.ts)
    }
    reevaluatePeers(this.peers.values()); // a paused resync may have lost the Primary that kept it paused
  }

  /**
   * Writes a lost peer did not confirm: every other peer that got them keeps their blocks out of
   * sync for it (our own bitmap has them already), so whichever node the lost one meets next
   * resyncs them, even if this Primary is gone by then.
   */
  private tellUnconfirmed(lostId: number, writes: LoggedWrite[]): void {
    for (const w of writes) {
      const v = this.volume(w.volume);
      if (!v) continue;
      for (const other of this.peers.values()) {
        if (other.node.id === lostId || !(v.usable ? other.replicatingTo(v.index) : isServer(other, v))) continue;
        other.sendData({ type: 'OutOfSync', volume: w.volume, offset: w.offset, length: w.length, missing: (1 << lostId) >>> 0 });
      }
    }
  }

  /** A write without a local disk that a peer did not confirm (link lost, or a NegAck). */
  unconfirmedByPeer(peer: Peer, write: LoggedWrite): void {
    this.unconfirmed.push({ nodeId: peer.node.id, ...write });
    // a NegAck: the peer stays out until resynced; closed outside the ack handler that called us
    if (peer.connected) this.platform.defer(() => this.guard(() => peer.closeLink('a replicated write failed on the peer')));
  }

  private tellUnconfirmedDiskless(): void {
    const pending = this.unconfirmed;
    this.unconfirmed = [];
    for (const u of pending) this.tellUnconfirmed(u.nodeId, [u]);
  }

  /** A Consistent disk (after a crash) that a handshake showed to hold the newest data. */
  confirmUpToDate(volume: Volume, reason: string, peerGeneration?: bigint): void {
    // pair assertion: an UpToDate claim made against a peer's data is made in the same generation
    if (peerGeneration !== undefined) assert(volume.meta !== null && sameGeneration(volume.meta.current(), peerGeneration), 'a disk confirmed UpToDate by a peer shares its generation');
    volume.meta?.setFlags({ consistent: true, wasUpToDate: true, diskFailed: false });
    diskVouchedFor(this, volume);
    volume.diskState = 'UpToDate';
    volume.servesOwnDisk(); // a Primary's re-attached disk serves again: it writes its own generation
    this.log.info('disk confirmed UpToDate', { volume: volume.index, reason });
    this.emit('disk', { volume: volume.index, diskState: 'UpToDate', reason });
    dropStaleBits(this.peers.values(), volume);
    for (const p of this.peers.values()) p.sendState(); // every peer learns it, not only the one that confirmed it
  }

  /** Another connected peer is sending us resync data for this volume now (one source at a time). */
  syncingFromAnother(volume: Volume, peer: Peer): boolean {
    if (volume.syncSource === null || volume.syncSource === peer.node.id) return false;
    const other = this.peers.get(volume.syncSource);
    return other !== undefined && other.connected && other.volumes.get(volume.index)?.replicationState === 'SyncTarget';
  }

  /** Decided (or found by its data) to take resync data from this peer; its first data sets syncSource. */
  becomeSyncTarget(peer: Peer, volume: Volume): void {
    const pv = peer.volumes.get(volume.index)!;
    const sameData = (volume.diskState === 'Consistent' || volume.diskState === 'UpToDate') && pv.view !== null && sameGeneration(volume.meta!.current(), pv.view.current);
    volume.untouchedTarget = sameData ? { source: peer.node.id, wasUpToDate: volume.meta!.flags.wasUpToDate } : null;
    volume.wroteByPrimaryAsTarget = false;
    pv.replicationState = 'SyncTarget';
    pv.sourceNotStarted = true;
    // a resync we run as source would go on from a disk the other source's blocks now change: an
    // older block read before one of them landed, acknowledged after it, cleared the bit that block
    // set, and the finished target called data identical that was not (seed 1074553336)
    for (const other of this.peers.values()) if (other !== peer) other.pauseAsSourceWhileTarget(volume.index);
    // in our own generation the disk is unchanged until the first block arrives: the metadata says
    // Inconsistent from then on (applyResyncData), so a crash before it leaves the data weighable
    if (!sameData) volume.meta!.setFlags({ consistent: false, wasUpToDate: false });
    if (volume.diskState !== 'Inconsistent') {
      volume.diskState = 'Inconsistent';
      this.emit('disk', { volume: volume.index, diskState: volume.diskState });
      // every peer learns it: a Primary resyncs a node behind it, whichever source this one chose
      for (const p of this.peers.values()) if (p !== peer) p.sendState();
    }
  }

  /**
   * The source of a resync decided in our own generation went away before it sent a block: the
   * disk holds what it held when the handshake ran (a crashed Primary's data, say, whose survivor
   * lost power just then), and its metadata still says so. It is Consistent again, so the next
   * handshake weighs that data (the crashed-Primary rule) instead of taking a peer's as if this
   * disk had been overwritten.
   */
  sourceLostBeforeData(peer: Peer, volume: Volume): void {
    const untouched = volume.untouchedTarget;
    if (!untouched || untouched.source !== peer.node.id || !volume.meta) return;
    volume.untouchedTarget = null;
    volume.meta.setFlags({ consistent: true, wasUpToDate: untouched.wasUpToDate });
    volume.diskState = 'Consistent';
    this.log.info('disk Consistent again: its resync source went away before sending any data', { peer: peer.node.name, volume: volume.index });
    this.emit('disk', { volume: volume.index, diskState: volume.diskState, reason: `${peer.node.name} went away before the resync sent any data` });
    // every peer learns it, as it learnt the Inconsistent: a Primary that saw us Inconsistent
    // waits for us to end that resync, and would wait for ever (sim seed 1075860107)
    for (const p of this.peers.values()) if (p !== peer && p.connected) p.sendState();
  }

  /**
   * The source sent and saw acknowledged every block: take its generation; UpToDate now. The disk
   * holds the source's data, so the source's claim that none of it since `unacknowledgedSince` was
   * acknowledged (a Primary cut off, whose writes all failed) holds of it too: it goes with the
   * generation, or the two sides of a promotion meet as a split brain through this node (sim seed
   * 1621432225). Not when the disk holds more: a Primary's writes since it became SyncTarget, or
   * its own as Primary.
   */
  async finishResyncAsTarget(peer: Peer, volume: Volume, current: bigint, history: bigint[], unacknowledgedSince: bigint): Promise<void> {
    const pv = peer.volumes.get(volume.index)!;
    const meta = volume.meta;
    const disk = volume.disk;
    if (!meta || !disk || pv.replicationState !== 'SyncTarget') return;
    // a Primary's writes wait from here until the disk serves them (the whole volume is locked)
    const lock = volume.locks.acquire(0, volume.sizeBytes);
    const whole = lock instanceof Promise ? await lock : lock;
    volume.beginActivity();
    try {
      await writeCrossingWrites(volume, disk);
      await volume.resyncDurability.settle(disk); // resynced data is durable (and its bits cleared) before the disk claims UpToDate
    } catch (err) {
      this.localDiskFailed(volume, 'write', err, null); // a write or the flush after them
      return;
    } finally {
      volume.endActivity();
      volume.locks.release(whole);
    }
    if (volume.meta !== meta || !peer.connected || pv.replicationState !== 'SyncTarget') return;
    const fromSurvivor = pv.view?.flags.survivedPrimaryLoss === true && this.reconcileRanges.has(volume.index) && sameGeneration(meta.current(), current);
    const claim = this.role !== 'Primary' && !volume.wroteByPrimaryAsTarget ? unacknowledgedSince : 0n;
    meta.adoptAfterResync(current, history, claim, `resync from ${peer.node.name} finished`);
    assert(sameGeneration(meta.current(), current), 'a SyncTarget that finished holds the source\'s generation before it claims UpToDate');
    // The source's ResyncDone names its generation now; a Secondary source that followed a new
    // Primary's generation meanwhile sent no State to say so. Kept in its view, or the next
    // resync's blocks (from the Primary) mark this source out of sync as if it lacked them, and the
    // bits are never dropped as stale: the view would say another generation for ever.
    if (pv.view) pv.view = { ...pv.view, current, history, diskState: 'UpToDate' };
    if (meta.bitmapGeneration(peer.node.id) !== 0n) meta.setBitmapGeneration(peer.node.id, 0n);
    // the writes it may have had alone as a crashed Primary are gone now: it holds the source's data
    meta.setFlags({ consistent: true, wasUpToDate: true, crashedPrimary: false, primaryLostQuorum: false, diskFailed: false });
    diskVouchedFor(this, volume);
    volume.intactRestart = null; // it holds the source's data now, not what it acknowledged itself
    volume.diskState = 'UpToDate';
    volume.resyncedFrom = peer.node.id;
    pv.replicationState = 'Established';
    volume.syncSource = null;
    volume.untouchedTarget = null;
    volume.servesOwnDisk(); // a Primary that re-attached its disk writes it again, in the generation it adopted
    // Resynced by a survivor of the same lost Primary (survivors.ts): we still hold every write it
    // acknowledged (the leader did), so we keep weighing as a survivor; anything else ends that.
    // Its ranges are reconciled now (the leader resynced them with its own): none left to report,
    // or a Primary would resync them once more.
    if (fromSurvivor) this.reconcileRanges.set(volume.index, []);
    else this.reconcileRanges.delete(volume.index);
    // its data was discarded for the source's: an operator's connect --discard-my-data is used up
    // (the rule in onPeerState sees a SyncTarget only if a State arrives during the resync; seed
    // 30881: still set, it made this node defer to an Inconsistent peer and outdate itself)
    this.discardMyData.delete(volume.index);
    this.emit('disk', { volume: volume.index, diskState: 'UpToDate' });
    this.log.info('resync finished as SyncTarget', { peer: peer.node.name, volume: volume.index });
    for (const other of this.peers.values()) {
      const opv = other.volumes.get(volume.index);
      if (other !== peer && opv?.replicationState === 'SyncTarget') opv.replicationState = 'Off'; // decided, never started: decide again
    }
    // with an UpToDate disk every decision may differ: paused sources, peers behind us (as Primary)
    reevaluatePeers(this.peers.values());
    for (const other of this.peers.values()) other.sendState();
    dropStaleBits(this.peers.values(), volume);
    this.fencing.reconcile(); // the source is Established and UpToDate now: a freeze for it ends
  }

  // ---- quorum ---------------------------------------------------------------------------------

  /** Writes fail at once without quorum under on-no-quorum = io-error (suspend-io makes them wait). */
  get failsWritesWithoutQuorum(): boolean {
    return !this.quorate && this.config.onNoQuorum === 'io-error';
  }

  private reachableNodes(): number {
    return this.reach().reachable;
  }

  /** This node and its connected peers, and how many of them are configured with a disk. */
  private reach(): Reach {
    const connected = [...this.peers.values()].filter((p) => p.connected);
    const selfDiskful = this.volumes.some((v) => v.diskful) ? 1 : 0;
    return { reachable: 1 + connected.length, reachableDiskful: selfDiskful + connected.filter((p) => p.diskful).length };
  }

  private diskfulNodes(): number {
    return this.config.nodes.filter((n) => n.volumes.some((v) => v.disk !== null)).length;
  }

  /**
   * Re-count after every link change; a Primary that lost quorum freezes or fails its writes. A
   * diskless tie-breaker keeps quorum but does not give it back (quorum.ts).
   */
  private updateQuorum(): void {
    const reach = this.reach();
    const quorate = hasQuorum(this.config.quorum, this.config.nodes.length, this.diskfulNodes(), reach, this.quorate);
    if (quorate === this.quorate) return;
    this.quorate = quorate;
    this.log[quorate ? 'info' : 'warn'](quorate ? 'quorum regained' : 'quorum lost', { reachable: reach.reachable });
    this.emit('quorum', { quorum: quorate, reachable: reach.reachable });
    if (!quorate && this.role === 'Primary') this.markPrimaryLostQuorum();
    if (quorate) this.resume(NO_QUORUM);
    else if (this.role === 'Primary' && this.config.onNoQuorum === 'suspend-io') this.suspend(NO_QUORUM);
    if (!quorate && this.role === 'Primary') this.fencing.quorumLost();
  }

  /**
   * A Primary without quorum acknowledges no write (they fail or stay frozen until it is demoted),
   * while the majority may promote another node. Persisted first, so that when this node meets that
   * one again, its divergent generation is known to hold nothing acknowledged: it becomes the
   * SyncTarget instead of a split brain (generation-handshake.ts, resolveByLostQuorum). Cleared
   * only by a promotion or a finished resync: regaining quorum while still Primary does not clear
   * it, since the majority may have promoted another node meanwhile, and the flag is consulted only
   * when the two meet as a split brain.
   */
  private markPrimaryLostQuorum(): void {
    for (const v of this.volumes) if (v.meta && !v.meta.flags.primaryLostQuorum) v.meta.setFlags({ primaryLostQuorum: true });
  }

  // ---- queries --------------------------------------------------------------------------------

  hasUpToDatePeer(volume?: number): boolean {
    return [...this.peers.values()].some((p) => p.connected && p.peerUpToDate(volume));
  }

  /**
   * A Primary that lost a peer and still counts a quorum counts it on links that may be dead too:
   * a link looks alive for up to a ping timeout after its peer was cut off, and when this node
   * is the one cut off, every link goes, one after another. I/O waits until each peer still
   * connected answered a Ping or lost its link, so no write is answered on a quorum this node no
   * longer has (sim seed 40423: cut off from all, it lost its diskful peer first, answered a
   * write on the diskless tie-breakers it still believed up, and that peer, promoted on the
   * other side's quorum, lacked it). DRBD settles a lost connection with a cluster-wide state
   * change, which needs the same answers. Only voters that acknowledge no write are in doubt
   * (diskless, or on protocol A): a write waits for the others' acks anyway, and their loss.
   */
  private confirmQuorum(lost: Peer): void {
    if (this.role !== 'Primary' || this.config.quorum === 'off' || !this.quorate) return;
    const connected = [...this.peers.values()].filter((p) => p.connected && p.link);
    if (!connected.some((p) => !p.diskful || p.protocol === 'A')) return;
    const links = connected.map((p) => p.link!);
    const reason = `confirming quorum without ${lost.node.name}`;
    this.suspend(reason);
    void Promise.all(links.map((l) => l.probe())).then(() => this.guard(() => this.resume(reason)));
  }

  /** Frozen I/O waits here (fencing, no quorum with suspend-io). */
  get isSuspended(): boolean {
    return this.suspended.size > 0 && !this.failed;
  }

  suspend(reason: string): void {
    this.suspended.add(reason);
    this.emit('suspended', { suspended: true, reason });
  }

  resume(reason: string): void {
    const was = this.suspended.delete(reason);
    if (this.isSuspended) return;
    if (was) this.emit('suspended', { suspended: false, reason });
    // a lost peer's urgent generation held back by a fencing freeze starts now (before any write)
    if (this.role === 'Primary') for (const v of this.volumes) if (v.newGenerationUrgent) void this.newGenerationDurable(v);
    const waiters = this.resumeWaiters;
    this.resumeWaiters = [];
    for (const w of waiters) w();
  }

  whenResumed(): Promise<void> {
    return new Promise((resolve) => this.resumeWaiters.push(resolve));
  }

  status(): ResourceStatus {
    return {
      name: this.name,
      role: this.role,
      quorum: this.quorate,
      suspended: this.isSuspended,
      failed: this.failed,
      volumes: this.volumes.map((v) => ({
        volume: v.index,
        diskState: v.diskState,
        sizeBytes: v.sizeBytes,
        export: v.export?.address ?? null,
        device: v.export?.device ?? null,
        currentGeneration: v.meta ? v.meta.current().toString(16) : null,
        io: v.disk?.ioMode ?? null,
      })),
      connections: [...this.peers.values()].map((p) => p.status()),
      constraints: [...this.fencing.held],
      held: this.held,
    };
  }
}

/** Exceptions that are bugs (a violated invariant, or anything not an expected I/O or state error). */
function isBug(err: unknown): boolean {
  if (!(err instanceof TandemError)) return !(err instanceof Error && typeof (err as { code?: unknown }).code === 'string');
  return err.code === 'TANDEM_E_INTERNAL';
}

/**
 * A Primary resynced as SyncTarget wrote only to its peers until now. A write the source received
 * after it sent ResyncDone is not in the resynced data: every write not yet settled when
 * ResyncDone arrived might be one, so all of them are written to the local disk too, in order,
 * once settled (the resync data before them is older).
 */
async function writeCrossingWrites(volume: Volume, disk: BlockDevice): Promise<void> {
  const crossing = [...volume.writesOffDisk].sort((a, b) => a.seq - b.seq);
  await Promise.all(crossing.map((w) => w.settled));
  for (const w of crossing) await (w.data ? disk.write(w.offset, w.data, false) : disk.writeZeroes(w.offset, w.length, false));
}

/**
 * A disk promoted with --force while not UpToDate differs from an absent peer anywhere: every bit
 * is set for it. A disk never synced (just created; its initial sync cut short) has no generation
 * to tie those bits to, so it names JUST_CREATED, as the source of an initial sync does. Without
 * it the forced lineage started from nothing, and the peer that went on as Primary was refused
 * for ever as unrelated data, even after the operator chose which side to keep (sim seed
 * 444575552: a DR takeover on a node whose initial sync's ResyncDone never arrived).
 */
function forcedOverUnknownData(meta: VolumeMeta, peer: number, justCreated: boolean): void {
  meta.markAllOutOfSync(peer);
  if (justCreated && meta.bitmapGeneration(peer) === 0n) meta.setBitmapGeneration(peer, UUID_JUST_CREATED);
}
