// The checkers: what must hold of the engine, evaluated continuously (at every acknowledgement,
// read, promotion, crash and delivery) and at quiet moments and quiescence. Each violation names
// its checker; the names are stable (regression tests and reports use them):
//
//   read                a read through the Primary's export returned data the model forbids
//                       (stale, zeros where data was acknowledged, garbage, another sector's)
//   claim-up-to-date    when a write is acknowledged, every node the Primary reports as UpToDate
//                       (a connected peer whose peerDiskState is UpToDate) over a protocol-C
//                       connection, and the Primary itself if diskful and with such a connection,
//                       holds it
//   promotion-data      a node promoted without --force (by the cluster manager, on the agent's
//                       score) does not hold every acknowledged write the rules require (below)
//   two-primaries       a write was acknowledged, or a promotion succeeded, while another running
//                       node of the same side was Primary (only an operator's forced takeover of a
//                       cut-off node makes two sides, and then the split must be detected)
//   durable-write-lost  a power loss removed the last copy of a write acknowledged as durable
//                       (FUA, or completed before a flush that completed)
//   bits-in-sync        at a quiet moment, two diskful nodes whose generations would let a
//                       handshake do a bitmap resync (or none) differ in a block that neither's
//                       bitmap for the other (nor a dirty activity log) marks out of sync
//   resync-per-reconnect  more than one resync of a volume over one connection (ResyncDone twice),
//                       an operator's verb, a promotion (which reconciles), a new divergence
//                       (a write the Primary sent without the target) or the survivors' own
//                       reconciling after their Primary vanished (the leader's 'reconcile' event) aside
//   generation-duplicate  a node's current generation and history hold the same generation twice
//   convergence         after faults heal and writes stop, some diskful node is not UpToDate and
//                       Established with every peer within the bound
//   replicas-differ     at quiescence, two UpToDate replicas are not byte-identical
//   quiescent-data      at quiescence, an UpToDate replica does not hold the model's data
//   false-split-brain   a split brain was reported although no operator forced a second Primary
//                       (and no promotion left behind writes another node acknowledged, in
//                       resource-only fencing's window or over a protocol A link that never
//                       delivered them, below: the data then diverged as after a takeover, and a
//                       split brain is the right report)
//   split-brain-undetected  both sides of a forced split acknowledged writes, and nodes of
//                       the two sides, each with a disk attached, connected (met in a handshake
//                       that compared their generations) without a split brain being
//                       reported (nodes held StandAlone for the operator, auto_resync = false,
//                       never meet: nothing to detect)
//   split-brain-discarded   before the operator chose, one side's acknowledged writes were held
//                       by none of its nodes any more
//   engine-assertion / engine-exception / disk-overlap / disk-range: the engine's own assertions
//                       failed, it threw out of an event, or it broke the BlockDevice contract
//
// What "the rules require" of a promoted node (promotion-data), and of every UpToDate node at
// quiescence, per protocol and fencing. The protocol is the one of the connection the write
// travelled (between the node that acknowledged it and the node in question): a resource may mix
// them ([connection.<a>.<b>]), and a write acknowledged under A toward one peer may be missing
// there while a C peer must hold it.
//   every acknowledged write, except
//   * protocol A: writes of the previous Primary that never reached the promoted node over an A
//     connection (they sat in the send buffer: DRBD's "the most recent updates may be lost"; the
//     data stays a prefix), sector by sector: a large write travels in several frames, and the
//     send buffer may hold the later ones (a multi-sector write is not atomic across a crash);
//     or reached it and a resync from a node it never reached over A replaced that copy (the
//     promoted node then holds that node's data, which this rule allows of that node); or
//     reached it and sat in its volatile cache when it lost power; or reached it and its disk
//     refused them (NegAck: it failed, or was gone) (the answer did not wait for that copy, nor
//     did a FLUSH: it was never part of the promise);
//   * fencing = resource-only: writes acknowledged while the Primary had no link to the promoted
//     node and no fence constraint forbade promoting it yet (the window resource-only leaves open;
//     resource-and-stonith closes it by freezing I/O, and quorum by refusing it);
//   * writes whose every usable physical copy vanished in power losses before being made
//     durable (a volatile write cache loses unflushed writes: block-device semantics; a copy on an
//     Inconsistent disk does not count, the next resync overwrites it);
//   * protocol A on every connection of a Primary to a diskful node: the unflushed writes it
//     acknowledged, once it lost power (they were acknowledged from its volatile cache and send
//     buffer; the peers may or may not have them). With a B or C connection, a peer had them.
//   * writes never made durable, once every node that may hold one (the node that took it, and
//     any node that received data for the sector since it was issued; not a node that got it only
//     in a resync, onto an Inconsistent disk that marks the block for every peer: the write's
//     promise never rested on it, and any resync into it rewrites that copy) has lost power since it
//     was acknowledged and got it, and no running node with usable data holds it (a power loss
//     after it got the write and before the answer counts too while the acknowledging node's link
//     to it was still open then: nothing had told it yet, as for a loss right after; the power
//     losses need not overlap: a survivor that loses power before its copy reached anyone else's
//     disk had it in a volatile cache too; which node's older data comes back is then the
//     engine's choice; never-written zeros are no copy of a write-zeroes);
//   * after a whole-cluster power loss (the last running diskful node lost power), the unflushed
//     writes the crashed Primary's own disk lost, when the rules make that Primary the sync source
//     of every other node (DRBD's "both off" rule: a crashed Primary is the source of its
//     activity-log extents). No node that stayed up holds them, and a copy that happened to
//     survive in another node's volatile cache is one nobody can tell from a stale one: the
//     replicated device lost power as a whole, and a volatile cache may lose what was not flushed.
// A write acknowledged durable (FUA, or before a completed flush of its volume) is never excused.
// Protocol B: a write is acknowledged (RecvAck) once issued to the peer's disk, so it is there
// unless the peer's machine loses power, and B is held to C's rule at promotions and to
// byte-identity at quiescence; at acknowledgement only C's peers are checked (a B peer's write
// may still be in flight).
import { connectionProtocol } from '../../config/connections.js';
import { UUID_JUST_CREATED, decideSync, type GenerationView } from '../../engine/sync-decision.js';
import { NO_NODE } from '../../meta/layout.js';
import { VolumeMetadata } from '../../meta/volume-metadata.js';
import type { WireMessage } from '../../wire/messages.js';
import { SECTOR, sectorContent, type SectorContent } from './content.js';
import { BLOCK, ZERO, type SimDisk } from './disk.js';
import { forSectors, type DataModel, type WriteRecord } from './model.js';
import type { CrashKind, SimNode } from './node.js';
import type { EngineEvent } from './platform.js';
import type { SimWorld } from './world.js';

export interface Violation {
  checker: string;
  message: string;
  time: number;
}

interface AckContext {
  /** diskful nodes without a link from the acknowledging node and not yet fenced (resource-only) */
  unprotectedFor: Set<string>;
}

const MAX_REPORTED = 4;

export class Checkers {
  private readonly ackContext = new Map<number, AckContext>();
  /** write id → diskful nodes the acknowledging node still had an open link to at the answer */
  private readonly linkedAtAck = new Map<number, Set<string>>();
  /** writes answered by a node whose own disk for the volume was gone (Diskless or Failed) */
  private readonly answeredWithoutDisk = new Set<number>();
  /**
   * write id → node → the sector ranges [start, end) of its frames delivered there. A large write
   * goes out in several frames, and over protocol A the later ones may still sit in the send
   * buffer when the Primary dies: only the sectors whose frame arrived were delivered (seed
   * 1100590304: the first 1 MiB of a 4 MiB write reached n1, the rest never did).
   */
  private readonly deliveredTo = new Map<number, Map<string, Array<[number, number]>>>();
  /** `primary>peer:seq` of a Write delivered and not yet answered → its write id (for a NegAck) */
  private readonly awaitingAnswer = new Map<string, number>();
  /** write id → nodes whose disk refused it (NegAck): they hold no copy of it */
  private readonly refusedBy = new Map<number, Set<string>>();
  /** node → volume → per sector, the last time data for it reached that node (any write or resync) */
  private readonly lastReceived = new Map<string, Float64Array[]>();
  /** link, direction and volume → the epoch of the last ResyncDone over it, and how many it had */
  private readonly resyncDone = new Map<string, { epoch: number; n: number }>();
  /**
   * Moments from which a new resync over some links is no repeat of the one before (an operator's
   * verb, a new divergence, a promotion, a reconcile), in time order. A ResyncDone belongs to the
   * epoch it was sent in, not the one it arrives in: one on its way when its source was promoted
   * ends the resync of before, and the promotion's own may follow (seed 2093763914).
   */
  private readonly resyncEpochs: Array<{ at: number; applies: (from: number, to: number, volume: number) => boolean }> = [];
  /** node → time of its last power loss */
  private readonly lastPowerLoss = new Map<string, number>();
  readonly splitBrains: Array<{ node: string; peer: string; time: number }> = [];
  private readonly reportedDuplicates = new Set<string>();
  /** nodes already reported for a split brain no operator caused */
  readonly falseSplitsReported = new Set<string>();
  /** acknowledged writes per side since the sides forked */
  readonly sideWrites = new Map<string, number>();
  /** diskful nodes of two sides connected (a handshake between them ran) */
  sidesMet = false;
  /**
   * A promotion without --force left behind writes another node acknowledged, in resource-only
   * fencing's window or over a protocol A link that never delivered them (excused below): both
   * may now write, as after a takeover.
   */
  promotionForked = false;

  constructor(private readonly w: SimWorld) {}

  // ---- continuous -----------------------------------------------------------------------------

  writeAcked(rec: WriteRecord, nodeName: string): void {
    const w = this.w;
    const node = w.node(nodeName);
    const side = w.sideOf.get(nodeName)!;
    // a trim is advisory (model.ts) and the engine answers it without writing: a side whose only
    // answered requests are trims changed no data, and discarding it is no undetected split brain
    if (rec.kind !== 'trim') this.sideWrites.set(side, (this.sideWrites.get(side) ?? 0) + 1);
    this.checkSinglePrimary(node, `write ${rec.id} acknowledged`);
    this.linkedAtAck.set(rec.id, new Set(w.nodes.filter((n) => n !== node && n.diskful && w.network.hasLink(node.id, n.id)).map((n) => n.name)));
    const ownDisk = node.status()?.volumes[rec.volume]?.diskState ?? 'Diskless';
    if (ownDisk === 'Diskless' || ownDisk === 'Failed') this.answeredWithoutDisk.add(rec.id);
    if (w.config.fencing === 'resource-only') {
      const unprotectedFor = new Set<string>();
      for (const other of w.nodes) {
        if (other === node || !other.diskful) continue;
        if (!w.network.hasLink(node.id, other.id) && w.cib.allows(other.name)) unprotectedFor.add(other.name);
      }
      if (unprotectedFor.size > 0) this.ackContext.set(rec.id, { unprotectedFor });
    }
    if (rec.kind !== 'trim') this.checkClaims(node, rec);
    // A holder's power loss after it got the write and before this answer counts (below), but the
    // pass at that loss saw the write unanswered: a later pass must see it (seed 700001112: the
    // RecvAck stalled in a partition, the B peer lost power, the answer came after the heal).
    if (rec.kind !== 'trim' && [...this.lastPowerLoss.values()].some((t) => t > rec.issuedAt)) this.excuseWhereEveryNodeLostPower();
  }

  readChecked(node: string, volume: number, offset: number, problems: string[]): void {
    if (problems.length > 0) this.w.violation('read', `${node} volume ${volume} read at ${offset}: ${problems.join('; ')}`);
  }

  /** A node became Primary (an operator's --force, or the cluster manager on the agent's score). */
  promoted(node: SimNode, forced: boolean): void {
    const w = this.w;
    this.checkSinglePrimary(node, 'promotion');
    this.newResyncEpoch(node);
    const model = w.modelOf(node.name);
    if (forced) {
      w.forcedPromotions++;
      if (node.diskful) this.adoptNodeData(node, model);
      return;
    }
    if (!node.diskful) {
      w.client.sweep(node.name); // a diskless Primary reads through its peers: check what it reads
      return;
    }
    this.applyExcuses(node, model);
    for (let v = 0; v < model.volumes.length; v++) {
      const problems = this.compareWithModel(node.disk(v)!, v, model);
      if (problems.length > 0) {
        w.violation('promotion-data', `${node.name} was promoted (${this.protocolsOf(node)}, fencing ${w.config.fencing}) without volume ${v}'s acknowledged data: ${problems.join('; ')}`);
      }
    }
  }

  /** A node died; a power loss may have removed the last copy of volatile writes. */
  crashed(node: SimNode, how: CrashKind, lost: Map<number, Map<number, Buffer>>): void {
    if (how !== 'power') return;
    const w = this.w;
    this.lastPowerLoss.set(node.name, w.now());
    if (this.asyncOnly(node)) this.excuseVolatileWritesOf(node);
    if (!w.nodes.some((n) => n.diskful && n.running)) this.excuseAfterWholeClusterPowerLoss();
    this.excuseWhereEveryNodeLostPower();
    this.forgetAsyncDeliveriesLost(node, lost);
    let reported = false;
    for (const [v, blocks] of lost) {
      const model = w.modelOf(node.name);
      for (const [block, before] of blocks) {
        for (let i = 0; i < BLOCK / SECTOR; i++) {
          const s = block * (BLOCK / SECTOR) + i;
          if (model.check(v, s, sectorContent(before, i * SECTOR, s)) !== null) continue; // held nothing needed
          if (model.check(v, s, this.contentAt(node.disk(v)!, s)) === null) continue; // still holds it
          if (this.someoneHolds(v, s, model)) continue;
          const vm = model.volumes[v];
          if (vm.durable[s] >= vm.floor[s] && vm.floor[s] !== 0 && !reported) {
            reported = true;
            w.violation('durable-write-lost', `${node.name} lost power and with it the last copy of write ${vm.floor[s]} (${model.describe(vm.floor[s])}) at sector ${s} of volume ${v}, acknowledged as durable`);
          }
          model.lowerFloor(v, s, vm.durable[s]);
        }
      }
    }
  }

  /**
   * A write that reached `node` over protocol A and sat in its volatile cache when it lost power
   * counts as never delivered: the Primary acknowledged it before it got there (a FLUSH does not
   * wait for an A peer either), so the peer's copy was never part of the promise, and losing it
   * from the cache is the same as never receiving it (DRBD: "the most recent updates may be
   * lost" when the A peer takes over; seed 1566480747).
   */
  private forgetAsyncDeliveriesLost(node: SimNode, lost: Map<number, Map<number, Buffer>>): void {
    for (const [v, blocks] of lost) {
      const model = this.w.modelOf(node.name);
      for (const [block, before] of blocks) {
        for (let i = 0; i < BLOCK / SECTOR; i++) {
          const c = sectorContent(before, i * SECTOR, block * (BLOCK / SECTOR) + i);
          if (c.kind !== 'data') continue;
          const rec = model.writes.get(c.id);
          if (!rec || rec.volume !== v || rec.node === node.name || this.protocol(rec.node, node.name) !== 'A') continue;
          this.deliveredTo.get(rec.id)?.delete(node.name);
        }
      }
    }
  }

  engineEvent(node: SimNode, event: EngineEvent): void {
    // the engine's crash policy: a violated invariant stops the resource on that node
    if (event.kind === 'failed') this.w.violation('engine-assertion', `${node.name}: ${String(event.reason)}`);
    if (event.kind === 'split-brain') {
      const peer = String(event.peer ?? '?');
      this.splitBrains.push({ node: node.name, peer, time: this.w.now() });
    }
    if (event.kind === 'connection' && event.connectionState === 'Connected') this.noteMeeting(node, String(event.peer ?? ''));
    if (event.kind === 'disk' && DATA_STATES.has(String(event.diskState))) this.noteMeetingsOf(node);
    if (event.kind === 'reconcile') this.reconcileEpoch(node, String(event.peer ?? ''));
    // the promotion's own generation (promoteVolume's reason), not one adopted meanwhile (a resync's end)
    if (event.kind === 'generation' && this.w.promoting.get(node.name) === false && String(event.reason).startsWith('promoted')) this.promotionGenerationPersisted(node);
    this.checkGenerations(node); // after any change an engine reports (a retired bitmap id has no event of its own)
  }

  /**
   * A promotion by the cluster manager started its new generation (a peer away): from here on
   * this node's data is the newer one, and every handshake with the old Primary's generation
   * resyncs from it, whether or not the role change completes. The losses the configuration
   * allows at that failover (an A write never delivered here, resource-only's window) are
   * therefore allowed now, as at the promotion (applyExcuses): a crash between this metadata
   * write and the role change leaves the same data as a crash right after the role change, which
   * is excused (seed 30302: n1 lost power in the promotion's own superblock write; back, its
   * newer generation resynced n0, which then lacked the A write n1 never received).
   */
  private promotionGenerationPersisted(node: SimNode): void {
    if (node.diskful) this.applyExcuses(node, this.w.modelOf(node.name));
  }

  /** A message reached an engine (network observer). */
  delivered(from: number, to: number, msg: WireMessage, _stream: string, linkId: string, sentAt: number): void {
    const target = this.w.nodeById(to);
    if (!target) return;
    if (msg.type === 'Write' && msg.data.length >= SECTOR) {
      const c = sectorContent(msg.data, 0, msg.offset / SECTOR);
      if (c.kind === 'data') {
        let byNode = this.deliveredTo.get(c.id);
        if (!byNode) this.deliveredTo.set(c.id, (byNode = new Map()));
        const start = msg.offset / SECTOR;
        byNode.set(target.name, [...(byNode.get(target.name) ?? []), [start, start + Math.ceil(msg.data.length / SECTOR)]]);
        this.awaitingAnswer.set(`${from}>${to}:${msg.seq}`, c.id);
      }
    }
    if (msg.type === 'WriteAck' || msg.type === 'NegAck') this.writeAnswered(to, from, msg.seq, msg.type === 'NegAck');
    if (msg.type === 'ResyncData') this.resyncReplacedAsyncCopies(from, target, msg.volume, msg.offset, msg.data);
    if (msg.type === 'Write' || msg.type === 'ResyncData') this.noteReceived(target, msg.volume, msg.offset, msg.data.length);
    if (msg.type === 'WriteZeroes' || msg.type === 'Trim') this.noteReceived(target, msg.volume, msg.offset, msg.length);
    if ((msg.type === 'Write' || msg.type === 'WriteZeroes' || msg.type === 'OutOfSync') && msg.missing !== 0) this.newDivergence(msg.volume, msg.missing);
    if (msg.type === 'ResyncDone') {
      this.adoptSourceSide(from, to);
      if (this.targetPausedSource(target, from, msg.volume)) return;
      const key = `${linkId}:${from}>${to}:v${msg.volume}`;
      const epoch = this.resyncEpochOf(from, to, msg.volume, sentAt);
      const last = this.resyncDone.get(key);
      const n = last?.epoch === epoch ? last.n + 1 : 1;
      this.resyncDone.set(key, { epoch, n });
      if (n === 2) {
        this.w.violation('resync-per-reconnect', `volume ${msg.volume} was resynced twice from node ${from} to node ${to} over one connection (${linkId})`);
      }
    }
  }

  /**
   * A peer answered a Write. A NegAck says its disk did not store it (the disk failed, or was gone):
   * that peer holds no copy of the write, though its data reached it.
   */
  private writeAnswered(primary: number, peer: number, seq: number, refused: boolean): void {
    const key = `${primary}>${peer}:${seq}`;
    const id = this.awaitingAnswer.get(key);
    if (id === undefined) return;
    this.awaitingAnswer.delete(key);
    const node = this.w.nodeById(peer);
    if (!refused || !node) return;
    let set = this.refusedBy.get(id);
    if (!set) this.refusedBy.set(id, (set = new Set()));
    set.add(node.name);
  }

  /**
   * A node of a side that acknowledged nothing since the fork took a resync from a node of the
   * other side: the engine resolved that split brain itself, as DRBD's discard-zero-changes does
   * (nothing acknowledged is lost), and the node's data is now the source side's (seed
   * 1595339176: the node that took over had every write frozen until its demotion). A side with
   * acknowledged writes is left as it is: losing them is for the split-brain checks to judge.
   */
  private adoptSourceSide(from: number, to: number): void {
    const w = this.w;
    const source = w.nodeById(from);
    const target = w.nodeById(to);
    if (!source || !target) return;
    const sourceSide = w.sideOf.get(source.name);
    const targetSide = w.sideOf.get(target.name);
    if (!sourceSide || !targetSide || sourceSide === targetSide || (this.sideWrites.get(targetSide) ?? 0) > 0) return;
    w.note(`checker: ${target.name} (side ${targetSide}, no write acknowledged since the fork) took a resync from ${source.name}: it is on side ${sourceSide} now`);
    w.sideOf.set(target.name, sourceSide);
  }

  /**
   * The target had paused this source (PausedSyncT) when its ResyncDone arrived: the source sent it
   * before it read the pause, and the target drops it as it drops such a source's blocks (Peer.
   * sendsStaleResync; docs/ARCHITECTURE.md section 4, "One source at a time": it ends nothing).
   * No resync ended on the link, so it is no first of two (seed 24004870: an empty resync a
   * Secondary ran on the target's first State, crossing the target's pause; the real one followed
   * once the target's other source was gone).
   */
  private targetPausedSource(target: SimNode, from: number, volume: number): boolean {
    const peer = target.status()?.connections.find((c) => c.nodeId === from);
    return peer?.volumes.find((v) => v.volume === volume)?.replicationState === 'PausedSyncT';
  }

  /** Data for a range of `volume` reached `target` now: whatever it holds there may be a copy. */
  private noteReceived(target: SimNode, volume: number, offset: number, length: number): void {
    let volumes = this.lastReceived.get(target.name);
    if (!volumes) this.lastReceived.set(target.name, (volumes = []));
    const sectors = this.w.modelOf(target.name).volumes[volume].floor.length;
    const times = volumes[volume] ?? (volumes[volume] = new Float64Array(sectors).fill(-1));
    times.fill(this.w.now(), offset / SECTOR, Math.min(sectors, (offset + length) / SECTOR));
  }

  /**
   * An operator acted on a node (invalidate, attach, connect): a resync it asks for is not a
   * second resync of the same reconnect.
   */
  operatorActed(node: SimNode): void {
    this.resyncEpochs.push({ at: this.w.now(), applies: (from, to) => from === node.id || to === node.id });
  }

  /** The last epoch (1-based; 0: none) that began at or before `sentAt` for this link direction and volume. */
  private resyncEpochOf(from: number, to: number, volume: number, sentAt: number): number {
    for (let i = this.resyncEpochs.length - 1; i >= 0; i--) {
      const e = this.resyncEpochs[i];
      if (e.at <= sentAt && e.applies(from, to, volume)) return i + 1;
    }
    return 0;
  }

  /**
   * A write the Primary could not send to some nodes (its `missing` mask) is a new divergence
   * that arose after their last resync: resyncing it again over a connection that already had
   * one is not a repeat of the same resync (a diskless Primary's peers resync it between
   * themselves while Established: secondary.ts markMissing).
   */
  private newDivergence(volume: number, missing: number): void {
    this.resyncEpochs.push({ at: this.w.now(), applies: (_from, to, v) => v === volume && (missing & (1 << to)) !== 0 });
  }

  /**
   * A promotion starts resyncs of its own over connections that may have had theirs: a node that
   * survived its Primary's loss resyncs that Primary's activity-log extents to every peer once it
   * is promoted (the survivors may hold different subsets of its last writes; DRBD 9 reconciles
   * them the same way), and a forced promotion resyncs everything to peers it now leads.
   */
  private newResyncEpoch(node: SimNode): void {
    this.resyncEpochs.push({ at: this.w.now(), applies: (from) => from === node.id });
  }

  /**
   * Survivors of a lost Primary that stayed Established resync its last writes among themselves
   * (engine/survivors.ts): a new resync over a connection that may have had its own, as a
   * promotion's is.
   */
  private reconcileEpoch(node: SimNode, peerName: string): void {
    const peer = this.w.nodes.find((n) => n.name === peerName);
    if (!peer) return;
    this.resyncEpochs.push({ at: this.w.now(), applies: (from, to) => from === node.id && to === peer.id });
  }

  /**
   * Two sides meet when nodes of each, both with a disk attached, are connected: only then does a
   * handshake compare their data generations (a diskless node, or one whose disk failed, has none
   * to compare; it meets the other side when its disk is attached again while connected).
   */
  private noteMeeting(node: SimNode, peerName: string): void {
    const peer = this.w.nodes.find((n) => n.name === peerName);
    if (!peer || this.w.sideOf.get(node.name) === this.w.sideOf.get(peer.name)) return;
    if (holdsData(node) && holdsData(peer)) this.sidesMet = true;
  }

  /** A disk attached: the node meets every peer it is connected to. */
  private noteMeetingsOf(node: SimNode): void {
    for (const c of node.status()?.connections ?? []) if (c.connectionState === 'Connected') this.noteMeeting(node, c.peer);
  }

  // ---- quiet moments --------------------------------------------------------------------------

  /** Nothing in flight anywhere: every pair's bitmaps must account for every difference. */
  quietMoment(): void {
    const diskful = this.w.nodes.filter((n) => n.diskful);
    for (let i = 0; i < diskful.length; i++) {
      for (let j = i + 1; j < diskful.length; j++) this.checkPairBits(diskful[i], diskful[j]);
    }
    for (const n of this.w.nodes) this.checkGenerations(n);
  }

  // ---- quiescence -----------------------------------------------------------------------------

  /** After convergence: UpToDate replicas identical, holding the model's data; resync counts. */
  quiescent(): void {
    const w = this.w;
    const diskful = w.nodes.filter((n) => n.diskful);
    const volumes = w.config.nodes[0].volumes.length;
    for (let v = 0; v < volumes; v++) {
      const upToDate = diskful.filter((n) => n.status()?.volumes[v]?.diskState === 'UpToDate');
      for (const n of upToDate.slice(1)) {
        const diff = firstDifference(upToDate[0].disk(v)!, n.disk(v)!);
        if (diff !== null) w.violation('replicas-differ', `volume ${v}: UpToDate replicas ${upToDate[0].name} and ${n.name} differ, first at byte ${diff * BLOCK}`);
      }
      for (const n of upToDate) {
        const problems = this.compareWithModel(n.disk(v)!, v, w.modelOf(n.name));
        if (problems.length > 0) w.violation('quiescent-data', `${n.name} is UpToDate but volume ${v} does not hold the acknowledged data: ${problems.join('; ')}`);
      }
    }
    for (const n of w.nodes) this.checkGenerations(n);
  }

  // ---- the pieces -----------------------------------------------------------------------------

  private checkSinglePrimary(node: SimNode, what: string): void {
    const side = this.w.sideOf.get(node.name);
    for (const other of this.w.nodes) {
      if (other === node || this.w.sideOf.get(other.name) !== side) continue;
      if (other.status()?.role === 'Primary') this.w.violation('two-primaries', `${what} on ${node.name} while ${other.name} is Primary too`);
    }
  }

  /** The protocol of the connection between two nodes. */
  private protocol(a: string, b: string): 'A' | 'B' | 'C' {
    return connectionProtocol(this.w.config, a, b);
  }

  /** A node's connections to diskful nodes are all on protocol A. */
  private asyncOnly(node: SimNode): boolean {
    return this.w.nodes.every((other) => other === node || !other.diskful || this.protocol(node.name, other.name) === 'A');
  }

  /** For messages: the resource's protocol, and the connections of this node that differ. */
  private protocolsOf(node: SimNode): string {
    const own = this.w.nodes.filter((o) => o !== node && this.protocol(node.name, o.name) !== this.w.config.protocol).map((o) => `${o.name} ${this.protocol(node.name, o.name)}`);
    return own.length === 0 ? this.w.config.protocol : `${this.w.config.protocol}; to ${own.join(', ')}`;
  }

  /**
   * Protocol C connections: the Primary's claims that peers are UpToDate, checked against their
   * disks (and its own, when it has such a peer).
   */
  private checkClaims(node: SimNode, rec: WriteRecord): void {
    const status = node.status();
    if (!status) return;
    const model = this.w.modelOf(node.name);
    const claimed: SimNode[] = [];
    const synchronous = status.connections.filter((c) => this.protocol(node.name, c.peer) === 'C');
    if (synchronous.length === 0) return;
    if (node.diskful && status.volumes[rec.volume]?.diskState === 'UpToDate') claimed.push(node);
    for (const c of synchronous) {
      if (c.connectionState !== 'Connected' || c.volumes.find((v) => v.volume === rec.volume)?.peerDiskState !== 'UpToDate') continue;
      // a peer that died meanwhile lost its volatile cache legitimately; the Primary cannot know
      // yet, even when the peer is running again: the link may still carry the acknowledgements
      // of its last incarnation (seed 30845)
      const peer = this.w.node(c.peer);
      const lostPowerSinceIssued = (this.lastPowerLoss.get(c.peer) ?? -1) > rec.issuedAt;
      if (peer?.diskful && peer.running && !lostPowerSinceIssued) claimed.push(peer);
    }
    for (const holder of claimed) {
      const disk = holder.disk(rec.volume)!;
      let problem: string | null = null;
      let at = -1;
      forSectors(rec, (s) => {
        if (problem !== null) return;
        problem = model.check(rec.volume, s, this.contentAt(disk, s));
        at = s;
      });
      if (problem !== null) {
        this.w.violation('claim-up-to-date', `write ${rec.id} (${model.describe(rec.id)}) was acknowledged by ${node.name} (protocol C to ${holder === node ? 'its peers' : holder.name}) while it reports `
          + `${holder === node ? 'itself' : holder.name} UpToDate, but ${holder.name} holds at sector ${at}: ${problem}`);
      }
    }
  }

  /** A frame of write `id` holding sector `s` reached `node`. */
  private deliveredAt(id: number, node: string, s: number): boolean {
    return this.deliveredTo.get(id)?.get(node)?.some(([start, end]) => s >= start && s < end) ?? false;
  }

  /**
   * Resync data from `from` replaces the target's copy of a write that reached the target over
   * protocol A but never reached the source over A (it sat in the send buffer toward the source,
   * or the source's disk refused it). The target now holds what the source holds, and the
   * source's loss is one the contract allows: the delivery to the target counts as undone, as if
   * it too had never received it (seed 148402593: n1, SyncTarget of the Primary n0, got a write
   * over A that n2 never did; n0 was killed and n1 finished its resync from n2, the only UpToDate
   * node left, as DRBD does: an Inconsistent disk is never a source). Where the source should
   * have held the write, the target's delivery stands and the checkers judge the loss.
   */
  private resyncReplacedAsyncCopies(from: number, target: SimNode, v: number, offset: number, data: Buffer): void {
    const source = this.w.nodeById(from);
    const disk = target.diskful ? target.disk(v) : undefined;
    if (!source || !disk) return;
    const model = this.w.modelOf(target.name);
    const first = offset / SECTOR;
    for (let i = 0; i < Math.floor(data.length / SECTOR); i++) {
      const s = first + i;
      const had = this.contentAt(disk, s);
      if (had.kind !== 'data') continue;
      const incoming = sectorContent(data, i * SECTOR, s);
      if (incoming.kind === 'data' && incoming.id >= had.id) continue;
      const rec = model.writes.get(had.id);
      if (!rec || rec.node === source.name || rec.node === target.name || !this.deliveredAt(rec.id, target.name, s)) continue;
      const sourceHadIt = this.deliveredAt(rec.id, source.name, s) && !(this.refusedBy.get(rec.id)?.has(source.name) ?? false);
      if (this.protocol(rec.node, source.name) !== 'A' || sourceHadIt) continue;
      this.forgetDelivery(rec.id, target.name, s);
    }
  }

  /** Sector `s` of write `id` no longer counts as delivered to `node`. */
  private forgetDelivery(id: number, node: string, s: number): void {
    const byNode = this.deliveredTo.get(id);
    const ranges = byNode?.get(node);
    if (!byNode || !ranges) return;
    byNode.set(node, ranges.flatMap(([a, b]): Array<[number, number]> => (s < a || s >= b ? [[a, b]] : [[a, s], [s + 1, b]])).filter(([a, b]) => a < b));
  }

  /** The losses the configuration allows at a failover, accepted as the new floor (see the top). */
  private applyExcuses(node: SimNode, model: DataModel): void {
    const w = this.w;
    for (const rec of model.writes.values()) {
      if (rec.state !== 'acked' || rec.kind === 'trim' || rec.node === node.name) continue;
      // a delivery its disk refused (NegAck) stored nothing: as if still in the send buffer (seed 2063573663)
      const refused = this.refusedBy.get(rec.id)?.has(node.name) ?? false;
      const overA = this.protocol(rec.node, node.name) === 'A';
      const unfenced = this.ackContext.get(rec.id)?.unprotectedFor.has(node.name) ?? false;
      if (!overA && !unfenced) continue;
      const vm = model.volumes[rec.volume];
      const disk = node.disk(rec.volume)!;
      forSectors(rec, (s) => {
        const notReceived = overA && (refused || !this.deliveredAt(rec.id, node.name, s));
        if (!notReceived && !unfenced) return;
        const c = this.contentAt(disk, s);
        // a fork whether or not a power loss excused the write since: its node moved on with it
        // (it may have started a new generation, seed 20280), the promoted one moves on without
        const lacks = vm.floor[s] === rec.id ? model.check(rec.volume, s, c) !== null : rec.kind === 'data' && !(c.kind === 'data' && c.id >= rec.id);
        if (lacks && !this.promotionForked) {
          this.promotionForked = true;
          w.note(`${node.name} promoted without write ${rec.id} that ${rec.node} acknowledged ${unfenced ? "in resource-only fencing's window" : 'over protocol A, never delivered'}: the data may fork`);
        }
        if (vm.floor[s] !== rec.id) return;
        if (c.kind === 'data') model.lowerFloor(rec.volume, s, c.id);
        else if (c.kind === 'zero') model.lowerFloor(rec.volume, s, vm.zeroSince[s]);
      });
    }
  }

  /**
   * Protocol A: a write is acknowledged once on the Primary's (volatile) disk and in its send
   * buffer. When that Primary loses power, its unflushed acknowledged writes may be gone: the
   * peers may or may not have them, and the crashed Primary's AL extents are resynced to them.
   */
  private excuseVolatileWritesOf(node: SimNode): void {
    const model = this.w.modelOf(node.name);
    for (const rec of model.volatile) {
      if (rec.node !== node.name || rec.kind === 'trim') continue;
      const vm = model.volumes[rec.volume];
      forSectors(rec, (s) => { if (vm.floor[s] === rec.id) model.lowerFloor(rec.volume, s, vm.durable[s]); });
    }
  }

  /**
   * Every diskful node is down, the last one by a power loss. When the rules make a crashed
   * Primary the sync source of every other node that keeps consistent data (equal generations:
   * DRBD's "both off" rule), its disk is what the cluster comes back with: its unflushed
   * acknowledged writes that its power loss took are gone, whoever else may still hold a copy.
   * A durable write (FUA, or flushed) is never excused: only floors above the durable mark drop,
   * and never below it.
   */
  private excuseAfterWholeClusterPowerLoss(): void {
    const diskful = this.w.nodes.filter((n) => n.diskful);
    const volumes = this.w.config.nodes[0].volumes.length;
    for (let v = 0; v < volumes; v++) {
      const source = diskful.find((p) => this.crashedPrimarySourceOfAll(p, diskful, v));
      if (!source) continue;
      const model = this.w.modelOf(source.name);
      const vm = model.volumes[v];
      const disk = source.disk(v)!;
      let excused = 0;
      for (let s = 0; s < vm.floor.length; s++) {
        if (vm.floor[s] === vm.durable[s]) continue;
        const c = this.contentAt(disk, s);
        if (model.check(v, s, c) === null) continue;
        const to = c.kind === 'data' ? c.id : c.kind === 'zero' ? vm.zeroSince[s] : -1;
        if (to < vm.durable[s] || !this.coversSector(model, v, s, c)) continue;
        model.lowerFloor(v, s, to);
        excused++;
      }
      if (excused > 0) this.w.note(`whole-cluster power loss: crashed Primary ${source.name} will be the sync source; ${excused} sectors of volume ${v} with unflushed writes it lost are excused`);
    }
  }

  /**
   * Writes never made durable whose every holder has lost power since it got them (and since
   * they were acknowledged), and that no running node with usable data holds: each copy sat in a
   * volatile cache at its node's power loss, so block-device semantics let any of them be gone.
   * A node that received nothing for the sector since the write was issued cannot hold it (n2
   * outdated while n0 and n1, which had it, lose power: seed 20661); any data received for the
   * sector since counts as a possible copy, so the set of holders is never too small. The floor
   * drops to the durable mark, never below it.
   * A copy on a peer the write's Primary reaches over protocol A does not count: the write was
   * acknowledged before it got there, as under protocol A alone (where the Primary's power loss
   * excuses its unflushed writes: excuseVolatileWritesOf), and the crashed Primary's AL extents
   * are resynced to that peer (seed 30845: n0 Primary, C to n1 and A to n2; n1 loses power, then
   * n0; n2 holds the writes, and n0 becomes everyone's source, as DRBD's rule makes it).
   * Nor does a copy that reached a node only in a resync, not as the write itself, while its disk
   * is Inconsistent and marks the block out of sync for every peer: the write's promise rests on
   * the Primary and the peers that stored it, this disk serves nothing until a resync, and that
   * resync rewrites the block whoever its source (seed 1642067477: n1, a SyncTarget of the Primary
   * n0, got the write in a resync block just before n0 lost power, then n2, the B peer that stored
   * it, lost power too). A peer that stored the write itself still counts, Inconsistent or not
   * (seeds 872646400, 794144222, open: the engine may not drop its copy).
   * The node that took the write holds no copy of its own when its disk for the volume was gone
   * (Diskless or Failed) at the answer: a diskless Primary writes only to its peers, and a local
   * write that failed is no copy, as a peer's refused one is not (seeds 700001112, 700001293: a
   * diskless Primary's write answered on a protocol B peer's RecvAck, and that peer lost power
   * before any flush; one disk with a volatile cache loses the same write the same way).
   */
  private excuseWhereEveryNodeLostPower(): void {
    const w = this.w;
    const diskful = w.nodes.filter((n) => n.diskful);
    const lostPowerSince = (n: SimNode, t: number): boolean => (this.lastPowerLoss.get(n.name) ?? -1) > t;
    const asyncPeer = (rec: WriteRecord, n: SimNode): boolean => n.name !== rec.node && this.protocol(rec.node, n.name) === 'A';
    // its disk failed the write (NegAck): what landed of it there is no copy, the range is out of
    // sync for every peer and resynced over when the disk is back (seed 1861461949)
    const refused = (rec: WriteRecord, n: SimNode): boolean => this.refusedBy.get(rec.id)?.has(n.name) ?? false;
    const rewrites = new Map<string, ((block: number) => boolean) | null>();
    const rewrittenOn = (n: SimNode, v: number, s: number): boolean => {
      const key = `${n.name}/${v}`;
      if (!rewrites.has(key)) rewrites.set(key, this.resyncRewrites(n, v));
      return rewrites.get(key)?.(Math.floor((s * SECTOR) / BLOCK)) ?? false;
    };
    const holdersLostPower = (rec: WriteRecord, v: number, s: number): boolean => diskful.every((n) => {
      if (asyncPeer(rec, n)) return true;
      if (refused(rec, n)) return true;
      const tookIt = n.name === rec.node && !this.answeredWithoutDisk.has(rec.id);
      const storedIt = tookIt || this.deliveredAt(rec.id, n.name, s);
      if (!storedIt && rewrittenOn(n, v, s)) return true;
      const received = this.lastReceived.get(n.name)?.[v]?.[s] ?? -1;
      const got = Math.max(tookIt ? rec.ackedAt! : -1, received >= rec.issuedAt ? received : -1);
      // lost before the answer, after it got the write: unnoticed while the link was open (seed 1861461949)
      const unnoticed = this.linkedAtAck.get(rec.id)?.has(n.name) ?? false;
      return got < 0 || lostPowerSince(n, unnoticed ? got : Math.max(got, rec.ackedAt!));
    });
    const models = new Set(diskful.map((n) => w.modelOf(n.name)));
    for (const model of models) {
      model.volumes.forEach((vm, v) => {
        let excused = 0;
        for (let s = 0; s < vm.floor.length; s++) {
          if (vm.floor[s] === vm.durable[s]) continue;
          const rec = model.writes.get(vm.floor[s]);
          if (!rec || rec.ackedAt === null || !holdersLostPower(rec, v, s) || this.someoneRunningHolds(v, s, model, (n) => asyncPeer(rec, n) || refused(rec, n))) continue;
          model.lowerFloor(v, s, vm.durable[s]);
          excused++;
        }
        if (excused > 0) w.note(`every node that may hold them lost power since: ${excused} sectors of volume ${v} with writes never made durable are excused`);
      });
    }
  }

  /** Does a running node with usable data hold an acceptable copy of sector s? */
  private someoneRunningHolds(v: number, s: number, model: DataModel, ignore: (n: SimNode) => boolean = () => false): boolean {
    return this.w.nodes.some((n) => n.running && !ignore(n) && this.holdsCopy(n, v, s, model));
  }

  /** Would the handshake make `p`, a crashed Primary, the source of every other node with consistent data? */
  private crashedPrimarySourceOfAll(p: SimNode, diskful: SimNode[], v: number): boolean {
    const mp = metaView(p, v);
    if (!mp?.consistent || !mp.view(p.id).crashedPrimary) return false;
    return diskful.every((q) => {
      if (q === p) return true;
      const mq = metaView(q, v);
      if (!mq?.consistent) return true;
      return decideSync(mp.view(q.id), mq.view(p.id), p.id < q.id, this.w.config.protocol).kind === 'source';
    });
  }

  /** Is `c` zeros, or the data of a write that covered sector s of volume v (not garbage)? */
  private coversSector(model: DataModel, v: number, s: number, c: SectorContent): boolean {
    if (c.kind === 'zero') return true;
    if (c.kind !== 'data') return false;
    const w = model.writes.get(c.id);
    return !!w && w.kind === 'data' && w.volume === v && s * SECTOR >= w.offset && s * SECTOR < w.offset + w.length;
  }

  /** An operator said this node's data is the truth (primary --force): the model follows it. */
  private adoptNodeData(node: SimNode, model: DataModel): void {
    for (let v = 0; v < model.volumes.length; v++) {
      const disk = node.disk(v)!;
      const vm = model.volumes[v];
      for (let s = 0; s < vm.floor.length; s++) {
        const c = this.contentAt(disk, s);
        if (model.check(v, s, c) === null) continue;
        if (c.kind === 'data') model.lowerFloor(v, s, c.id);
        else if (c.kind === 'zero') model.lowerFloor(v, s, vm.zeroSince[s]);
      }
    }
  }

  /**
   * Does a node whose data the cluster can still use hold an acceptable copy of sector s? An
   * Inconsistent disk does not count: its blocks are overwritten by the next resync, by design.
   */
  private someoneHolds(v: number, s: number, model: DataModel): boolean {
    return this.w.nodes.some((n) => this.holdsCopy(n, v, s, model));
  }

  /**
   * Does `n`, with usable data, hold what the model requires at sector s? Zeros count only on a
   * node that took the required write or received data for the sector since it was issued:
   * never-written zeros are no copy of a lost write-zeroes (seed 20335), and such a node is no
   * source the cluster would resync from for that write.
   */
  private holdsCopy(n: SimNode, v: number, s: number, model: DataModel): boolean {
    const disk = n.disk(v);
    if (!disk || !this.usable(n, v)) return false;
    const c = this.contentAt(disk, s);
    if (model.check(v, s, c) !== null) return false;
    if (c.kind !== 'zero') return true;
    const rec = model.writes.get(model.volumes[v].floor[s]);
    // never-written zeros are no copy of a write-zeroes, on the node that took it without a disk too
    if (!rec || (rec.node === n.name && !this.answeredWithoutDisk.has(rec.id))) return true;
    return (this.lastReceived.get(n.name)?.[v]?.[s] ?? -1) >= rec.issuedAt;
  }

  /**
   * A disk at rest is judged by its stored metadata, as the engine judges it when it attaches
   * it: a down node's, and a running node's whose disk is detached (`tandem detach`, or a failed
   * disk once Diskless). The detach flushed the disk (or marked every block out of sync), closed
   * the metadata, and the operator attaches it again, as a restart does. Judged by its live
   * `Diskless`, a detached copy counted for nothing while the same disk of a node that was down
   * counted (seed 1448114171: n1's detached Consistent disk held a durable write, the diskless
   * Primary lost power, and the write was reported lost; n1 attached it again and was the
   * source that brought it back).
   */
  private usable(node: SimNode, v: number): boolean {
    const status = node.status();
    const state = status?.volumes[v]?.diskState ?? 'Diskless';
    const atRest = status === null || (state === 'Diskless' && node.disk(v) !== null);
    if (!atRest) return !['Inconsistent', 'Failed', 'Attaching'].includes(state);
    return metaView(node, v, status !== null)?.consistent ?? false;
  }

  /**
   * When `node`'s data of volume v is Inconsistent (live, or in its stored metadata when at rest):
   * the blocks a resync into it rewrites, whoever its source, those it marks out of sync for every
   * peer (a resync sends the union of both sides' bits). Such a disk serves nothing until that
   * resync is done, so a copy there keeps nothing for the cluster; a block it does not mark keeps
   * what it holds through the resync (seed 872646400, open). Null when the data is not Inconsistent.
   */
  private resyncRewrites(node: SimNode, v: number): ((block: number) => boolean) | null {
    const status = node.status();
    const state = status?.volumes[v]?.diskState ?? 'Diskless';
    const atRest = status === null || (state === 'Diskless' && node.disk(v) !== null);
    if (!atRest && state !== 'Inconsistent') return null;
    const meta = metaView(node, v, atRest && status !== null);
    if (!meta || (atRest && meta.consistent)) return null;
    return (block) => meta.markedForEveryPeer(block);
  }

  /** Up to MAX_REPORTED sectors of the disk the model does not allow (whole volume). */
  compareWithModel(disk: SimDisk, v: number, model: DataModel): string[] {
    const problems: string[] = [];
    const vm = model.volumes[v];
    const perBlock = BLOCK / SECTOR;
    for (let block = 0; block * perBlock < vm.floor.length && problems.length < MAX_REPORTED; block++) {
      const content = disk.block(block);
      for (let i = 0; i < perBlock; i++) {
        const s = block * perBlock + i;
        // unwritten space is zeros: only sectors with something acknowledged need a look
        if (vm.floor[s] === 0 && content === ZERO) continue;
        const why = model.check(v, s, sectorContent(content, i * SECTOR, s));
        if (why) { problems.push(`sector ${s} (byte ${s * SECTOR}): ${why}`); break; }
      }
    }
    return problems;
  }

  private contentAt(disk: SimDisk, s: number): SectorContent {
    const block = Math.floor((s * SECTOR) / BLOCK);
    return sectorContent(disk.block(block), s * SECTOR - block * BLOCK, s);
  }

  /**
   * Two diskful nodes, nothing in flight: where would a handshake between them resync? Where the
   * generations allow a bitmap resync (or none), every block outside both bitmaps (and outside a
   * crashed node's activity log) must be equal.
   */
  private checkPairBits(a: SimNode, b: SimNode): void {
    const volumes = this.w.config.nodes[0].volumes.length;
    for (let v = 0; v < volumes; v++) {
      const ma = metaView(a, v);
      const mb = metaView(b, v);
      if (!ma || !mb || !ma.consistent || !mb.consistent) continue;
      const d = decideSync(ma.view(b.id), mb.view(a.id), a.id < b.id);
      if (d.kind === 'split-brain' || d.kind === 'unrelated' || ((d.kind === 'source' || d.kind === 'target') && d.full)) continue;
      const marked = new Set<number>([...ma.marked(b.id), ...mb.marked(a.id)]);
      const da = a.disk(v)!;
      const db = b.disk(v)!;
      const blocks = new Set([...da.writtenBlocks(), ...db.writtenBlocks()]);
      for (const block of [...blocks].sort((x, y) => x - y)) {
        if (marked.has(block) || da.block(block).equals(db.block(block))) continue;
        this.w.violation('bits-in-sync', `volume ${v}: ${a.name} and ${b.name} differ at byte ${block * BLOCK}, but neither's bitmap for the other marks it `
          + `(handshake would decide ${d.kind}: ${d.rule}; ${a.name} ${ma.describe()}, ${b.name} ${mb.describe()})`);
        return;
      }
    }
  }

  private checkGenerations(node: SimNode): void {
    const inc = node.incarnation;
    if (!inc) return;
    for (const [v, meta] of inc.metadata) {
      const sb = meta.superblock;
      const ids = [sb.currentGeneration, ...sb.history].filter((g) => g !== 0n).map((g) => g & ~1n);
      const seen = new Set<bigint>();
      for (const g of ids) {
        if (seen.has(g)) {
          const key = `${node.name}:${v}:${g}`;
          if (this.reportedDuplicates.has(key)) return;
          this.reportedDuplicates.add(key);
          this.w.violation('generation-duplicate', `${node.name} volume ${v}: generation ${g.toString(16)} appears twice in current + history `
            + `[${[sb.currentGeneration, ...sb.history].filter((x) => x !== 0n).map((x) => x.toString(16)).join(', ')}]`);
          return;
        }
        seen.add(g);
      }
    }
  }
}

/** A node's metadata as a handshake would see it: live (its incarnation's) or as left on the medium. */
/** `stored`: read the metadata medium even while the node runs (its disk detached). */
function metaView(node: SimNode, v: number, stored = false) {
  let meta = stored ? undefined : node.incarnation?.metadata.get(v);
  let afterCrash = false;
  if (!meta) {
    const medium = node.metaMedium(v);
    if (!medium) return null;
    meta = VolumeMetadata.open(medium.open(() => true), { readOnly: true });
    afterCrash = meta.recovery.crashed;
  }
  const m = meta;
  const sb = m.superblock;
  const flag = (name: 'CONSISTENT' | 'PRIMARY_IND' | 'CRASHED_PRIMARY'): boolean => m.hasDeviceFlag(name);
  const slotOf = (peer: number): number => sb.peers.findIndex((p) => p.nodeId === peer && p.nodeId !== NO_NODE);
  const dirtyExtents = afterCrash ? m.recovery.extents : [];
  return {
    consistent: flag('CONSISTENT'),
    view(peer: number): GenerationView {
      const slot = slotOf(peer);
      return {
        current: sb.currentGeneration === 0n ? UUID_JUST_CREATED : sb.currentGeneration,
        bitmapForPeer: slot >= 0 ? sb.peers[slot].bitmapGeneration : 0n,
        history: sb.history.filter((h) => h !== 0n),
        crashedPrimary: flag('CRASHED_PRIMARY') || (afterCrash && flag('PRIMARY_IND')),
      };
    },
    /** 4 KiB blocks marked out of sync for the peer, plus a crashed node's activity-log extents */
    marked(peer: number): number[] {
      const out: number[] = [];
      const slot = slotOf(peer);
      if (slot >= 0) for (const [first, end] of m.bitmap.runs(slot)) for (let b = first; b < end; b++) out.push(b);
      const perExtent = (4 * 1024 * 1024) / BLOCK;
      for (const e of dirtyExtents) for (let b = e * perExtent; b < (e + 1) * perExtent; b++) out.push(b);
      return out;
    },
    /** Is the 4 KiB block marked for every peer (or in a crashed node's activity log)? */
    markedForEveryPeer(block: number): boolean {
      if (dirtyExtents.includes(Math.floor((block * BLOCK) / (4 * 1024 * 1024)))) return true;
      return sb.peers.every((p, slot) => p.nodeId === NO_NODE || m.bitmap.test(slot, block));
    },
    describe(): string {
      return `current ${sb.currentGeneration.toString(16)} history [${sb.history.filter((h) => h !== 0n).map((h) => h.toString(16)).join(',')}]`
        + ` bitmap gens [${sb.peers.filter((p) => p.nodeId !== NO_NODE).map((p) => `${p.nodeId}:${p.bitmapGeneration.toString(16)}`).join(',')}]`;
    },
  };
}

/** Disk states that hold data a handshake compares. */
const DATA_STATES = new Set(['UpToDate', 'Consistent', 'Outdated', 'Inconsistent']);

/** A disk with data attached on some volume (a diskless client, or a failed disk, has none). */
function holdsData(node: SimNode): boolean {
  return node.diskful && (node.status()?.volumes.some((v) => DATA_STATES.has(v.diskState)) ?? false);
}

/** The first 4 KiB block where two disks differ (null: identical). */
function firstDifference(a: SimDisk, b: SimDisk): number | null {
  const blocks = [...new Set([...a.writtenBlocks(), ...b.writtenBlocks()])].sort((x, y) => x - y);
  for (const block of blocks) if (!a.block(block).equals(b.block(block))) return block;
  return null;
}


export type { DataModel };
