// A round trip to every connected peer before a decision that must not rest on old news: DRBD
// runs promotions and invalidations as a cluster-wide two-phase state change, and this is its
// first half. A node decides from its peers' last States, but a link can look alive for up to a
// ping timeout after its peer died or was cut off, and a State can still be on its way. So
// before promoting (or discarding its own data) the node asks each connected peer; each answers
// after the State it holds now, on the same ordered stream, and the caller checks again once
// every peer answered or its link closed. A peer that cannot answer is gone by then: a Ping sent
// with the question closes its link at ping-timeout, and quorum, the Primary rule and "is an
// UpToDate peer reachable" are weighed without it (sim seed 30029: a node isolated 0.8 s
// earlier was promoted on links it still believed up; 40218: a node invalidated its data,
// the only copy of an acknowledged write, for a peer that had lost power half a second before).
//
// The answer is always yes: the asking node decides on the States, with the rules it applies
// anyway (one promotion rule, in resource.ts). A peer that neither answers nor loses its link
// within STATE_CHANGE_TIMEOUT_MS (as DRBD's twopc-timeout) fails the operation instead.
import { TandemError } from '../lib/errors.js';
import type { MessageOf } from '../wire/messages.js';
import type { Peer } from './peer.js';
import type { TimerHandle } from './platform.js';
import type { Resource } from './resource.js';

/** under the CLI's default deadline (30 s), so the operator reads which peer did not answer */
export const STATE_CHANGE_TIMEOUT_MS = 20_000;

export type StateChangeKind = MessageOf<'StateChangeRequest'>['change'];

interface Pending {
  /** node ids still to answer */
  waiting: Set<number>;
  timer: TimerHandle;
  done: (err: Error | null) => void;
}

export class StateChanges {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(private readonly resource: Resource) {}

  /** Resolves once every peer connected now has answered or lost its link (at once with none). */
  ask(change: StateChangeKind): Promise<void> {
    const r = this.resource;
    const peers = [...r.peers.values()].filter((p) => p.connected);
    if (peers.length === 0) return Promise.resolve();
    const transactionId = this.nextId;
    this.nextId = (this.nextId + 1) >>> 0 || 1;
    const nodeMask = peers.reduce((mask, p) => (mask | (1 << p.node.id)) >>> 0, 0);
    return new Promise<void>((resolve, reject) => {
      const timer = r.platform.clock.setTimer(STATE_CHANGE_TIMEOUT_MS, () => this.finish(transactionId, this.timedOut(transactionId, change)));
      this.pending.set(transactionId, { waiting: new Set(peers.map((p) => p.node.id)), timer, done: (err) => (err ? reject(err) : resolve()) });
      for (const p of peers) {
        p.sendData({ type: 'StateChangeRequest', transactionId, initiatorNodeId: r.local.id, nodeMask, phase: 'prepare', change, volume: 0 });
        void p.link?.probe(); // a dead or cut-off peer is known within ping-timeout, not at the next ping
      }
    });
  }

  /** A peer's answer, applied in its data stream's order: after the State it sent before it. */
  onReply(peer: Peer, msg: MessageOf<'StateChangeReply'>): void {
    this.answered(msg.transactionId, peer.node.id);
  }

  /** A peer's link closed: it answers nothing any more, and is no longer counted by the caller. */
  onPeerGone(peer: Peer): void {
    for (const id of [...this.pending.keys()]) this.answered(id, peer.node.id);
  }

  private timedOut(transactionId: number, change: StateChangeKind): TandemError {
    const names = [...this.pending.get(transactionId)?.waiting ?? []].map((id) => this.resource.peers.get(id)?.node.name ?? `node ${id}`);
    return new TandemError('TANDEM_E_TIMEOUT', `no answer to the ${change} request from ${names.join(', ')} within ${STATE_CHANGE_TIMEOUT_MS / 1000} s`, {
      hint: 'the peer is connected but does not answer (a hung disk or daemon?): check it with tandem status, or disconnect it',
    });
  }

  private answered(transactionId: number, nodeId: number): void {
    const p = this.pending.get(transactionId);
    if (!p) return; // a late answer to one that timed out
    p.waiting.delete(nodeId);
    if (p.waiting.size === 0) this.finish(transactionId, null);
  }

  private finish(transactionId: number, err: Error | null): void {
    const p = this.pending.get(transactionId);
    if (!p) return;
    this.pending.delete(transactionId);
    p.timer.cancel();
    p.done(err);
  }
}

/** The asked side: our State now, then the answer behind it on the same stream. */
export function answerStateChange(peer: Peer, msg: MessageOf<'StateChangeRequest'>): void {
  peer.sendState();
  peer.sendData({ type: 'StateChangeReply', transactionId: msg.transactionId, result: 'yes', reason: '' });
}
