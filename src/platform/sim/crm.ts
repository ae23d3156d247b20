// The cluster manager of the simulation, as Pacemaker drives ocf:tandem:replica: it promotes only
// when no node is Promoted, only a node whose promotion score (the agent's own function,
// src/cluster/promotion-score.ts, on the daemon's status) is set, never a node a fence
// constraint forbids, and the best-scored one (ties: the lowest node id). It learns of a crashed
// node only after a detection delay (membership, then STONITH), and until then still counts a
// crashed Primary as Promoted, so it never promotes a second node while the first may still run.
import { inputsFromStatus, promotionScore } from '../../cluster/promotion-score.js';
import type { SimCib } from './handlers.js';
import type { SimNode } from './node.js';

export interface CrmHooks {
  now(): number;
  note(text: string): void;
  /** promote through the engine; resolves true when it became Primary */
  promote(node: SimNode, force: boolean, why: string): Promise<boolean>;
}

export class ClusterManager {
  /** crashed nodes the cluster manager has not noticed yet */
  private readonly unnoticed = new Set<string>();
  private promoting = false;
  private lastWhy = '';

  constructor(private readonly nodes: SimNode[], private readonly cib: SimCib, private readonly autoTakeover: boolean, private readonly hooks: CrmHooks) {}

  /** A node crashed; the cluster manager notices it `afterMs` later (the caller schedules noticed()). */
  crashed(node: SimNode): void {
    this.unnoticed.add(node.name);
  }

  noticed(node: SimNode): void {
    this.unnoticed.delete(node.name);
    if (this.cib.promoted === node.name && !node.running) this.cib.promoted = null;
  }

  started(node: SimNode): void {
    this.unnoticed.delete(node.name);
  }

  /** Who the cluster manager believes is Promoted now. */
  refreshPromoted(): void {
    const primary = this.nodes.find((n) => n.status()?.role === 'Primary');
    if (primary) this.cib.promoted = primary.name;
    else if (this.cib.promoted !== null && !this.unnoticed.has(this.cib.promoted)) this.cib.promoted = null;
  }

  /** The scores the agent would publish, per running node (null: no score). */
  scores(): Array<{ node: SimNode; score: number | null; rule: string }> {
    const out: Array<{ node: SimNode; score: number | null; rule: string }> = [];
    for (const node of this.nodes) {
      const status = node.status();
      if (!status) continue;
      const d = promotionScore(inputsFromStatus(status, { autoTakeover: this.autoTakeover, self: { name: node.name, id: node.id } }));
      out.push({ node, score: d.score, rule: d.rule });
    }
    return out;
  }

  /** Some running node may be promoted now (a score, no constraint against it), as evaluate() sees it. */
  hasCandidate(): boolean {
    return this.scores().some((s) => s.score !== null && this.cib.allows(s.node.name));
  }

  /** Promote the best node if nobody is Promoted. */
  async evaluate(): Promise<void> {
    this.refreshPromoted();
    if (this.cib.promoted !== null || this.promoting) return;
    const candidates = this.scores().filter((s) => s.score !== null && this.cib.allows(s.node.name));
    if (candidates.length === 0) {
      const why = `crm: no node to promote (${this.scores().map((s) => `${s.node.name}:${s.rule}${this.cib.allows(s.node.name) ? '' : ':fenced'}`).join(' ') || 'none running'})`;
      if (why !== this.lastWhy) this.hooks.note(why);
      this.lastWhy = why;
      return;
    }
    this.lastWhy = '';
    candidates.sort((a, b) => (b.score! - a.score!) || (a.node.id - b.node.id));
    const best = candidates[0];
    this.promoting = true;
    try {
      const ok = await this.hooks.promote(best.node, false, `crm: score ${best.score} (${best.rule})`);
      if (ok) this.cib.promoted = best.node.name;
    } finally {
      this.promoting = false;
    }
  }
}
