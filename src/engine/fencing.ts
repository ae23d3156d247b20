// Resource-level fencing (DRBD's fence-peer contract). When a Primary loses a peer whose data is
// not known to be Outdated, it runs the fence-peer handler, which forbids promotion of every node
// that is not known UpToDate (a Pacemaker constraint `tandem-fence-<res>`). With
// resource-and-stonith, writes are frozen until the handler answers. Once every peer is UpToDate
// again, the unfence-peer handler lifts the constraint.
//
// Handler environment (DRBD-compatible names, plus Tandem's): DRBD_RESOURCE, DRBD_PEER_NODE_ID,
// DRBD_MY_NODE_ID, DRBD_NODE_ID_<id>=<name>, UP_TO_DATE_NODES=0x<mask of node ids>,
// TANDEM_RESOURCE, TANDEM_NODE, TANDEM_CONFIG_DIR, TANDEM_UP_TO_DATE_NODES=<names, comma-separated>,
// TANDEM_QUORUM=yes|no (this node's quorum for the resource).
// Exit codes of fence-peer: 3 peer Inconsistent, 4 peer outdated, 5 peer unreachable, 6 peer is
// Primary (refuse), 7 peer fenced by STONITH, 8 no quorum here (the majority decides: no
// constraint, and this node's earlier one lifted); anything else means the handler is broken.
// A Secondary that loses its Primary runs primary-lost (Pacemaker re-probes that node at once, if
// it closed the link: TANDEM_LOST_REASON); a Primary that loses its quorum runs quorum-lost (its
// promotion score is withdrawn at once).
import { isServer } from './exposed-generation.js';
import type { Peer } from './peer.js';
import type { Resource } from './resource.js';
import { sameGeneration } from './sync-decision.js';

export const FENCE_TIMEOUT_MS = 90_000;

export type FenceOutcome = 'peer-inconsistent' | 'peer-outdated' | 'peer-unreachable' | 'refused' | 'peer-stonithed' | 'no-quorum' | 'handler-broken';

const OUTCOMES: Record<number, FenceOutcome> = { 3: 'peer-inconsistent', 4: 'peer-outdated', 5: 'peer-unreachable', 6: 'refused', 7: 'peer-stonithed', 8: 'no-quorum' };

export class Fencing {
  /** constraint ids this node placed and has not lifted */
  readonly held = new Set<string>();
  private running: Promise<void> | null = null;
  /** fence-peer runs one at a time (as crm-fence-peer's flock does): concurrent runs raced on
   *  creating the same constraint, and one computed UpToDate nodes before a second loss was seen */
  private fenceQueue: Promise<unknown> = Promise.resolve();

  constructor(private readonly resource: Resource) {}

  get constraintId(): string {
    return `tandem-fence-${this.resource.name}`;
  }

  /** Losing a peer now freezes I/O until the fence-peer handler settles it (resource-and-stonith). */
  get freezes(): boolean {
    return this.resource.role === 'Primary' && this.resource.config.fencing === 'resource-and-stonith';
  }

  /** Called when a Primary lost `peer`. Resolves once the question is settled. */
  async peerLost(peer: Peer): Promise<void> {
    const r = this.resource;
    if (r.config.fencing === 'dont-care' || r.role !== 'Primary') return;
    if (!writesWithout(r, peer)) {
      // Fencing says the peer lacks writes that go on without it. A Primary without a disk that
      // lost its last server writes nowhere: the peer holds the newest data there is, and
      // outdated it would leave no disk to promote (seen in sim seed 40250, a diskless Primary
      // cut off from its four servers one after another; test/recovery/diskless-primary-last-server).
      r.log.warn('lost the last peer holding this Primary\'s data: no write goes on without it, so it is not fenced', { peer: peer.node.name });
      return;
    }
    const freeze = this.freezes;
    // one freeze per lost peer: I/O resumes only once every running handler has answered
    const reason = `fencing ${peer.node.name}`;
    if (freeze) r.suspend(reason);
    try {
      const turn = this.fenceQueue.then(() => this.runHandler('tandem-fence-peer', peer));
      this.fenceQueue = turn.catch(() => undefined);
      const code = await turn;
      const outcome = OUTCOMES[code] ?? 'handler-broken';
      r.log.warn('fence-peer handler finished', { peer: peer.node.name, exitCode: code, outcome });
      r.emit('fencing', { peer: peer.node.name, exitCode: code, outcome });
      if (outcome === 'no-quorum') { // the majority decides; no write is acknowledged here without quorum
        this.held.delete(this.constraintId);
        if (freeze) r.resume(reason);
        return;
      }
      if (outcome === 'handler-broken' || outcome === 'refused') {
        r.log.error('fencing did not succeed: writes stay frozen until the administrator resumes them', { outcome });
        return; // with resource-and-stonith the freeze stays, as DRBD's does
      }
      if (outcome !== 'peer-unreachable' || this.held.size === 0) this.held.add(this.constraintId);
      if (freeze) r.resume(reason);
      this.reconcile(); // the peer may be back and UpToDate already: nothing else would lift it
    } catch (err) {
      r.log.error('fence-peer handler failed to run', { error: String(err) });
    }
  }

  /**
   * At start: a constraint for this resource left by an earlier run (the daemon crashed or was
   * restarted while fenced) is ours again, so it is shown and lifted once peers are UpToDate.
   * Without a running cluster (no CIB) there is nothing to adopt.
   */
  async adopt(): Promise<void> {
    if (this.resource.config.fencing === 'dont-care') return;
    try {
      const found = await this.resource.platform.handlers.fenceConstraints(this.resource.name);
      if (found.length > 0) {
        this.held.add(this.constraintId);
        this.resource.log.info('adopted an existing fence constraint', { constraint: this.constraintId });
        this.reconcile();
      }
    } catch (err) {
      this.resource.log.debug('no CIB to adopt fence constraints from', { error: String(err) });
    }
  }

  /**
   * Called whenever peers may have become UpToDate. A freeze for a lost peer ends once that peer
   * is connected and UpToDate again (its data is no longer in question, as DRBD clears susp-fen);
   * our constraint is lifted once every diskful peer is.
   */
  reconcile(): void {
    const r = this.resource;
    for (const peer of r.peers.values()) if (holdsOurData(r, peer)) r.resume(`fencing ${peer.node.name}`);
    if (this.held.size === 0 || this.running) return;
    const diskful = [...r.peers.values()].filter((p) => p.diskful);
    if (!diskful.every((p) => holdsOurData(r, p)) || !agreeWithoutUs(r, diskful)) return;
    this.running = this.runHandler('tandem-unfence-peer', null).then((code) => {
      r.log.info('unfence-peer handler finished', { exitCode: code });
      if (code === 0) {
        this.held.delete(this.constraintId);
        r.emit('fencing', { outcome: 'unfenced', constraint: this.constraintId });
      }
    }, (err) => r.log.error('unfence-peer handler failed to run', { error: String(err) }))
      .finally(() => { this.running = null; });
  }

  /** This Secondary lost its Primary peer: the primary-lost handler has Pacemaker re-check that node now. */
  recheckPrimary(peer: Peer, reason: string): void {
    this.runQuietly('tandem-primary-lost', peer, { TANDEM_LOST_REASON: reason });
  }

  /** This Primary lost its quorum: the quorum-lost handler withdraws its promotion score at once. */
  quorumLost(): void {
    this.runQuietly('tandem-quorum-lost', null, {});
  }

  private runQuietly(name: string, peer: Peer | null, extra: Record<string, string>): void {
    void this.runHandler(name, peer, extra).then(
      (code) => this.resource.log.info(`${name} handler finished`, { peer: peer?.node.name, exitCode: code }),
      (err) => this.resource.log.error(`${name} handler failed to run`, { error: String(err) }));
  }

  private async runHandler(name: string, peer: Peer | null, extra: Record<string, string> = {}): Promise<number> {
    const r = this.resource;
    const upToDate = [r.local, ...[...r.peers.values()].filter((p) => holdsOurData(r, p)).map((p) => p.node)];
    const mask = upToDate.reduce((m, n) => m | (1 << n.id), 0);
    const env: Record<string, string> = {
      DRBD_RESOURCE: r.name,
      DRBD_MY_NODE_ID: String(r.local.id),
      UP_TO_DATE_NODES: `0x${mask.toString(16).padStart(8, '0')}`,
      TANDEM_RESOURCE: r.name,
      TANDEM_NODE: r.local.name,
      TANDEM_CONFIG_DIR: r.platform.settings.configDir,
      TANDEM_UP_TO_DATE_NODES: upToDate.map((n) => n.name).join(','),
      TANDEM_QUORUM: r.status().quorum ? 'yes' : 'no',
      ...extra,
    };
    for (const n of r.config.nodes) env[`DRBD_NODE_ID_${n.id}`] = n.name;
    if (peer) env.DRBD_PEER_NODE_ID = String(peer.node.id);
    const result = await r.platform.handlers.run(name, env, FENCE_TIMEOUT_MS);
    if (result.stdout) r.log.info(`${name} said`, { output: result.stdout.slice(0, 2000) });
    if (result.stderr) r.log.warn(`${name} said`, { output: result.stderr.slice(0, 2000) });
    return result.exitCode;
  }
}

/**
 * Where this node has no usable disk and writes no generation of its own (a diskless Secondary),
 * no handshake of its own compared its peers' data: each says UpToDate by its own light, and a
 * fenced peer that never heard it was outdated still does. They hold the same data only if they
 * are in one generation. Without this, a diskless node that adopted the constraint lifted it
 * while the fenced nodes (older generation) and the Primary that wrote past them (newer) were all
 * connected to it and "UpToDate"; the Primary then lost power and a fenced node was promoted
 * without its writes (sim seed 440836674).
 */
function agreeWithoutUs(r: Resource, diskful: Peer[]): boolean {
  return r.volumes.every((v) => {
    if (v.usable || v.exposed.length > 0) return true; // our handshakes, or isServer's exposed generation, vouch for them
    const currents = diskful.map((p) => p.volumes.get(v.index)?.view?.current ?? null);
    return currents.every((c) => c !== null && sameGeneration(c, currents[0]!));
  });
}

/** Some volume is still written once `lost` is gone: on the local disk, or through another server. */
function writesWithout(r: Resource, lost: Peer): boolean {
  return r.volumes.some((v) => v.usable || [...r.peers.values()].some((p) => p !== lost && isServer(p, v)));
}

/**
 * The peer is connected and UpToDate with this node's data on every volume. Where this node has a
 * usable disk, the handshake compared the two and Established + UpToDate says so. Where it writes
 * without one (its disk failed or was detached), no handshake compared them: an UpToDate peer in
 * an older generation lacks what this node's own disk held, so it counts only if it is in the
 * generation this node writes (isServer).
 */
function holdsOurData(r: Resource, peer: Peer): boolean {
  if (!peer.connected) return false;
  return r.volumes.every((v) => (v.usable ? peer.peerUpToDate(v.index) : isServer(peer, v)));
}
