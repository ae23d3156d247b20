// One resource on this node: its volumes, its peers and its role. Role-specific behaviour lives
// in primary.ts (the write path), secondary.ts (applying a Primary's writes) and diskless.ts;
// this file owns lifecycle (up/down/attach/detach), role changes and status.
import type { NodeConfig, ResourceConfig } from '../config/model.js';
import type { EventBus } from '../daemon/events.js';
import { TandemError } from '../lib/errors.js';
import type { Logger } from '../lib/log.js';
import { FileBackingStore } from './backing-store.js';
import { openVolumeMeta } from './meta-port.js';
import { createConnector } from './link-port.js';
import { startExport } from './export-port.js';
import { nbdTlsOf } from '../nbd/tls.js';
import { Peer } from './peer.js';
import { reevaluatePeers } from './handshake.js';
import type { PeerConnectorPort, PeerLinkPort } from './ports.js';
import { PrimaryBackend, ioError } from './primary.js';
import { DisklessBackend, exposeOnPromotion, isServer, rotateExposedGeneration } from './diskless.js';
import { randomGeneration } from '../meta/generations.js';
import type { ResourceStatus, Role } from './states.js';
import { Volume } from './volume.js';
import { Fencing } from './fencing.js';
import { hasQuorum, quorumNeeded } from './quorum.js';

/** The suspension reason of a Primary without quorum under on-no-quorum = suspend-io. */
const NO_QUORUM = 'no quorum';

export class Resource {
  role: Role = 'Secondary';
  readonly local: NodeConfig;
  readonly volumes: Volume[];
  readonly peers = new Map<number, Peer>();
  /** resource-wide write sequence: one order across all volumes */
  private seq = 0;
  private connector: PeerConnectorPort | null = null;
  private readonly suspended = new Set<string>();
  /** why this node does not connect until `tandem connect` (null: it connects on its own) */
  private held: string | null = null;
  /** the next split brain is resolved by resyncing this node from the peer (connect --discard-my-data) */
  discardMyData = false;
  /** this node reaches enough nodes to write or be promoted (always true with quorum = off) */
  private quorate = true;
  /** a diskless Primary's writes a peer did not confirm, until the other peers are told (onPeerLost) */
  private unconfirmed: Array<{ nodeId: number; volume: number; offset: number; length: number }> = [];
  private resumeWaiters: Array<() => void> = [];
  readonly fencing = new Fencing(this);

  constructor(
    readonly config: ResourceConfig,
    nodeName: string,
    readonly log: Logger,
    private readonly events: EventBus,
  ) {
    const local = config.nodes.find((n) => n.name === nodeName);
    if (!local) throw new TandemError('TANDEM_E_CONFIG', `node ${nodeName} is not part of resource ${config.name}`);
    this.local = local;
    this.volumes = local.volumes.map((v) => new Volume(v));
    for (const node of config.nodes) {
      if (node.id !== local.id) this.peers.set(node.id, new Peer(this, node));
    }
  }

  get name(): string {
    return this.config.name;
  }

  nextSeq(): number {
    return ++this.seq;
  }

  emit(kind: string, fields: Record<string, unknown>): void {
    this.events.emit({ kind, resource: this.name, ...fields });
  }

  // ---- lifecycle ------------------------------------------------------------------------------

  /**
   * Attach the disks and start connecting. With holdFormerPrimary (the agent's auto_resync=false,
   * VVR's AutoResync=0), a node that went away as Primary (crashed: its metadata still says
   * Primary) stays StandAlone: its peers may have taken over, and connecting would resync it and
   * throw away the writes only it has. The operator looks first, then runs `tandem connect`.
   */
  async up(opts: { holdFormerPrimary?: boolean } = {}): Promise<void> {
    for (const v of this.volumes) if (v.diskful) this.attachVolume(v);
    if (opts.holdFormerPrimary && this.volumes.some((v) => v.meta?.flags.crashedPrimary)) {
      this.held = 'went away as Primary (crashed) and auto_resync is off: inspect the data, then run tandem connect '
        + `${this.name} to resync it from the current Primary`;
      for (const peer of this.peers.values()) peer.connectionState = 'StandAlone';
      this.log.warn('held StandAlone', { reason: this.held });
    }
    const connector = createConnector(this, { connectOnStart: this.held === null });
    this.connector = connector;
    this.updateQuorum();
    await connector.start((link) => this.onLink(link));
    void this.fencing.adopt();
    this.log.info('resource up', { role: this.role, volumes: this.volumes.map((v) => v.diskState) });
  }

  async down(): Promise<void> {
    if (this.role === 'Primary') await this.demote();
    await this.connector?.stop();
    this.connector = null;
    for (const peer of this.peers.values()) peer.closeLink('resource going down');
    for (const v of this.volumes) this.detachVolume(v);
    this.log.info('resource down');
  }

  private attachVolume(v: Volume): void {
    v.diskState = 'Attaching';
    const backing = new FileBackingStore(v.config.disk!);
    let meta;
    try {
      meta = openVolumeMeta(this, v);
    } catch (err) {
      backing.close();
      v.diskState = 'Diskless';
      throw err;
    }
    v.backing = backing;
    v.meta = meta;
    v.sizeBytes = Math.min(backing.sizeBytes, meta.sizeBytes);
    v.diskState = Volume.diskStateFromFlags(meta.flags);
    this.emit('disk', { volume: v.index, diskState: v.diskState });
  }

  private detachVolume(v: Volume): void {
    v.meta?.close();
    v.backing?.close();
    v.meta = null;
    v.backing = null;
    v.diskState = 'Diskless';
  }

  private onLink(link: PeerLinkPort): void {
    const peer = this.peers.get(link.peerNodeId);
    if (!peer) { link.close(`node id ${link.peerNodeId} is not a peer of ${this.name}`); return; }
    peer.attachLink(link);
    this.updateQuorum();
  }

  // ---- control operations ---------------------------------------------------------------------

  async control(op: string, args: Record<string, unknown>): Promise<unknown> {
    switch (op) {
      case 'primary': await this.promote(args.force === true); break;
      case 'secondary': await this.demote(); break;
      case 'connect': this.connectAll(args.discardMyData === true); break;
      case 'disconnect': this.disconnectAll(); break;
      case 'attach': for (const v of this.volumes) if (v.diskful && !v.backing) this.attachVolume(v); break;
      case 'detach': this.detachAll(); break;
      case 'outdate': this.outdate(); break;
      case 'invalidate': this.invalidate(); break;
      default:
        throw new TandemError('TANDEM_E_USAGE', `'${op}' is not supported yet by this daemon`, {
          hint: 'see tandem --help for the verbs this version implements',
        });
    }
    if (op === 'attach' || op === 'detach' || op === 'outdate') for (const peer of this.peers.values()) peer.sendState();
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
    if (discardMyData) this.discardMyData = true;
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

  private detachAll(): void {
    if (this.role === 'Primary' && !this.hasUpToDatePeer()) {
      throw new TandemError('TANDEM_E_STATE', `cannot detach ${this.name}: it is Primary and no peer is UpToDate`, {
        hint: 'demote it first, or wait until a peer is UpToDate',
      });
    }
    for (const v of this.volumes) this.detachVolume(v);
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

  private invalidate(): void {
    if (this.role === 'Primary') throw new TandemError('TANDEM_E_STATE', 'a Primary cannot invalidate its own data', { hint: 'demote it first' });
    for (const v of this.volumes) {
      if (!v.meta) continue;
      v.meta.setFlags({ consistent: false, wasUpToDate: false });
      v.diskState = 'Inconsistent';
      this.emit('disk', { volume: v.index, diskState: v.diskState });
    }
    for (const peer of this.peers.values()) peer.renegotiate();
  }

  // ---- roles ----------------------------------------------------------------------------------

  async promote(force: boolean): Promise<void> {
    if (this.role === 'Primary') return;
    const otherPrimary = [...this.peers.values()].find((p) => p.connected && p.peerRole === 'Primary');
    if (otherPrimary) {
      throw new TandemError('TANDEM_E_STATE', `cannot promote ${this.name}: ${otherPrimary.node.name} is Primary`, {
        hint: `demote it first with 'tandem secondary ${this.name}' on ${otherPrimary.node.name}`,
      });
    }
    this.checkQuorum();
    this.checkPromotableDisks(force);
    for (const v of this.volumes) this.promoteVolume(v, force);
    this.role = 'Primary';
    this.reconcileAfterPrimaryLoss();
    await this.startExports();
    for (const peer of this.peers.values()) peer.sendState();
    reevaluatePeers(this.peers.values());
    this.emit('role', { role: this.role });
    this.log.info('promoted', { force });
  }

  /** Even --force does not override quorum: it is the one guard a partitioned minority has. */
  private checkQuorum(): void {
    if (this.quorate) return;
    const needed = quorumNeeded(this.config.quorum, this.config.nodes.length);
    throw new TandemError('TANDEM_E_STATE', `cannot promote ${this.name}: no quorum (reaches ${this.reachableNodes()} of ${this.config.nodes.length} nodes, needs ${needed})`, {
      hint: 'reconnect the other nodes; only if they are known to be down, lower quorum in the configuration and run tandem down/up',
      details: { reachable: this.reachableNodes(), needed },
    });
  }

  private checkPromotableDisks(force: boolean): void {
    for (const v of this.volumes) {
      if (v.diskful && v.diskState === 'UpToDate') continue;
      if (v.diskful && force && v.meta) continue;
      if (!v.diskful && this.hasUpToDatePeer()) continue;
      throw new TandemError('TANDEM_E_STATE', `cannot promote ${this.name}: volume ${v.index} is ${v.diskState} and no UpToDate data is reachable`, {
        hint: v.diskful ? `use 'tandem primary ${this.name} --force' only if this node's data is the one to keep` : 'connect to an UpToDate peer first',
        details: { volume: v.index, diskState: v.diskState },
      });
    }
  }

  private promoteVolume(v: Volume, force: boolean): void {
    if (!v.meta) {
      exposeOnPromotion(this, v, () => randomGeneration(true));
      if (v.exposed.length > 1) this.log.info('new data generation (diskless Primary)', { volume: v.index, generation: v.exposed[0].toString(16) });
      return;
    }
    const absent = [...this.peers.values()].filter((p) => p.diskful && !p.replicatingTo(v.index)).map((p) => p.node.id);
    if (absent.length > 0 || force || v.diskState !== 'UpToDate') {
      const current = v.meta.newCurrent(absent);
      for (const id of absent) if (force && v.diskState !== 'UpToDate') v.meta.markAllOutOfSync(id);
      this.log.info('new data generation', { volume: v.index, generation: current.toString(16), absent });
    }
    v.meta.setFlags({ consistent: true, wasUpToDate: true, primary: true, crashedPrimary: false }); // a new crash sets it again
    if (v.diskState !== 'UpToDate') {
      v.diskState = 'UpToDate';
      this.emit('disk', { volume: v.index, diskState: v.diskState });
    }
  }

  private reconcileAfterPrimaryLoss(): void {
    for (const v of this.volumes) {
      const own = this.reconcileRanges.get(v.index);
      if (!own || !v.meta) continue;
      for (const peer of this.peers.values()) {
        if (!peer.diskful) continue;
        for (const r of own) v.meta.markOutOfSync(peer.node.id, r.offset, r.length);
        peer.startResync(v);
      }
      this.reconcileRanges.delete(v.index);
    }
  }

  async demote(): Promise<void> {
    if (this.role !== 'Primary') return;
    this.role = 'Secondary';
    this.resume(NO_QUORUM); // writes waiting for quorum now fail: this node no longer takes writes
    for (const v of this.volumes) { v.exposed = []; v.followers.clear(); }
    this.unconfirmed = [];
    for (const v of this.volumes) {
      await v.export?.close();
      v.export = null;
      v.backing?.flush();
      v.meta?.setFlags({ primary: false });
    }
    for (const peer of this.peers.values()) peer.sendState();
    this.emit('role', { role: this.role });
    this.log.info('demoted');
  }

  private async startExports(): Promise<void> {
    for (const v of this.volumes) {
      if (!v.config.export) continue;
      const backend = v.diskful ? new PrimaryBackend(this, v) : new DisklessBackend(this, v);
      v.export = await startExport(v.config.export, `${this.name}/${v.index}`, backend, v.config.export.kind === 'tcp' ? await nbdTlsOf(this.config) : null);
    }
  }

  // ---- peers ----------------------------------------------------------------------------------

  /**
   * A peer's link broke. As Primary, a new data generation starts (its old one becomes that peer's
   * bitmap generation) and the survivors follow it. A lost Primary leaves its last in-flight writes
   * possibly on some survivors only: the AL-covered areas are resynced when one of them is promoted.
   */
  onPeerLost(peer: Peer, wasPrimary: boolean): void {
    for (const read of this.reads.values()) if (read.peer === peer) read.fail();
    for (const v of this.volumes) v.followers.delete(peer.node.id);
    this.updateQuorum();
    if (this.role === 'Primary' && peer.diskful) {
      for (const v of this.volumes) v.meta?.newCurrent([peer.node.id]);
      for (const v of this.volumes) rotateExposedGeneration(this, v, randomGeneration(true));
      for (const other of this.peers.values()) other.sendState();
      this.tellUnconfirmed(); // after the new generation, so the bits get the right bitmap id
      void this.fencing.peerLost(peer);
    }
    if (wasPrimary && this.role === 'Secondary') {
      for (const v of this.volumes) if (v.meta) this.reconcileRanges.set(v.index, v.meta.activeExtents());
    }
  }

  /**
   * Ranges a peer reports as possibly different (its own out-of-sync bits for us, and what was in
   * its AL when its Primary vanished) join our bitmap for it, as DRBD's bitmap exchange does.
   * As Primary (or a SyncSource), this node then resyncs them to the peer.
   */
  reconcile(peer: Peer, volume: Volume, ranges: Array<{ offset: number; length: number }>, asSource = this.role === 'Primary'): void {
    if (!asSource || !volume.meta || ranges.length === 0) return;
    for (const r of ranges) volume.meta.markOutOfSync(peer.node.id, r.offset, r.length);
    peer.startResync(volume);
  }

  private readonly reads = new Map<number, { peer: Peer; resolve: (b: Buffer) => void; fail: () => void }>();
  private nextReadId = 1;
  /** AL-covered ranges per volume, kept since a Primary peer vanished, until resynced */
  readonly reconcileRanges = new Map<number, Array<{ offset: number; length: number }>>();

  readThrough(peer: Peer, volume: number, offset: number, length: number, timeoutMs: number): Promise<Buffer> {
    const id = this.nextReadId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => fail(), timeoutMs);
      const fail = (): void => {
        clearTimeout(timer);
        this.reads.delete(id);
        reject(ioError('EIO', `read of volume ${volume} through ${peer.node.name} failed`));
      };
      this.reads.set(id, { peer, fail, resolve: (b) => { clearTimeout(timer); this.reads.delete(id); resolve(b); } });
      peer.link!.sendData({ type: 'ReadRequest', volume, id, offset, length });
    });
  }

  onReadReply(_peer: Peer, msg: { id: number; error: number; data: Buffer }): void {
    const read = this.reads.get(msg.id);
    if (!read) return;
    if (msg.error !== 0) read.fail();
    else read.resolve(msg.data);
  }

  /**
   * A diskless Primary's write that a peer did not confirm (link lost, or a NegAck): the peers that
   * got it must keep it out of sync for that one, after the new generation that excludes it.
   */
  unconfirmedByPeer(peer: Peer, volume: number, offset: number, length: number): void {
    this.unconfirmed.push({ nodeId: peer.node.id, volume, offset, length });
    // a NegAck: the peer stays out until resynced; closed outside the ack handler that called us
    if (peer.connected) setImmediate(() => peer.closeLink('a replicated write failed on the peer'));
  }

  private tellUnconfirmed(): void {
    const pending = this.unconfirmed;
    this.unconfirmed = [];
    for (const u of pending) {
      const volume = this.volumes.find((v) => v.index === u.volume)!;
      for (const peer of this.peers.values()) {
        if (isServer(peer, volume)) peer.link!.sendData({ type: 'OutOfSync', volume: u.volume, offset: u.offset, length: u.length, missing: (1 << u.nodeId) >>> 0 });
      }
    }
  }

  // ---- quorum ---------------------------------------------------------------------------------

  /** Writes fail at once without quorum under on-no-quorum = io-error (suspend-io makes them wait). */
  get failsWritesWithoutQuorum(): boolean {
    return !this.quorate && this.config.onNoQuorum === 'io-error';
  }

  private reachableNodes(): number {
    return 1 + [...this.peers.values()].filter((p) => p.connected).length;
  }

  /** Re-count after every link change; a Primary that lost quorum freezes or fails its writes. */
  private updateQuorum(): void {
    const quorate = hasQuorum(this.config.quorum, this.config.nodes.length, this.reachableNodes());
    if (quorate === this.quorate) return;
    this.quorate = quorate;
    this.log[quorate ? 'info' : 'warn'](quorate ? 'quorum regained' : 'quorum lost', { reachable: this.reachableNodes() });
    this.emit('quorum', { quorum: quorate, reachable: this.reachableNodes() });
    if (quorate) this.resume(NO_QUORUM);
    else if (this.role === 'Primary' && this.config.onNoQuorum === 'suspend-io') this.suspend(NO_QUORUM);
  }

  // ---- queries --------------------------------------------------------------------------------

  hasUpToDatePeer(volume?: number): boolean {
    return [...this.peers.values()].some((p) => p.connected && p.peerUpToDate(volume));
  }

  /** Frozen I/O waits here (fencing, no quorum with suspend-io). */
  get isSuspended(): boolean {
    return this.suspended.size > 0;
  }

  suspend(reason: string): void {
    this.suspended.add(reason);
    this.emit('suspended', { suspended: true, reason });
  }

  resume(reason: string): void {
    if (!this.suspended.delete(reason) || this.suspended.size > 0) return;
    this.emit('suspended', { suspended: false, reason });
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
      volumes: this.volumes.map((v) => ({
        volume: v.index,
        diskState: v.diskState,
        sizeBytes: v.sizeBytes,
        export: v.export?.address ?? null,
        currentGeneration: v.meta ? v.meta.current().toString(16) : null,
      })),
      connections: [...this.peers.values()].map((p) => p.status()),
      constraints: [...this.fencing.held],
      held: this.held,
    };
  }
}
