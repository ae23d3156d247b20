// Quorum (docs/ARCHITECTURE.md §5, DRBD's `quorum`): a node may write, or become Primary, only
// while it can reach enough of the resource's nodes, itself included. Diskless nodes count: they
// are the tie-breakers of two-disk clusters. A partitioned minority therefore cannot diverge.
//
// A diskless tie-breaker keeps quorum but never grants it (DRBD's calc_quorum: the tie-breaker
// branch holds only while the node has quorum already). Under `majority`, a node without quorum
// regains it only when a majority of the diskful nodes is among those it reaches: a node cut off
// from the diskful majority may have missed a Primary that wrote meanwhile with a diskless node's
// vote, and the tie-breaker, which holds no data, cannot tell it so (sim seeds 1783081870,
// 919419611: the stale node met the diskless node again and was promoted without the writes).
//
// Deliberately simpler than DRBD 9, which also excludes peers it knows are Outdated from the
// count and keeps quorum for the last node of an orderly shrinking cluster: here a node that
// loses quorum stays without it until enough peers are connected again.
import { assert } from '../lib/assert.js';
import type { Quorum } from '../config/model.js';

/** Nodes needed for quorum out of `total`; 0 when quorum is off. */
export function quorumNeeded(setting: Quorum, total: number): number {
  assert(total >= 1, 'a resource has at least one node');
  if (setting === 'off') return 0;
  if (setting === 'majority') return Math.floor(total / 2) + 1;
  if (setting === 'all') return total;
  return Math.min(setting, total);
}

/** What a node reaches: itself plus every connected peer, and how many of them have a disk. */
export interface Reach {
  /** this node plus every connected peer */
  reachable: number;
  /** of those, the nodes configured with a disk */
  reachableDiskful: number;
}

/** Diskful nodes a node without quorum must reach to regain it (0: no such condition). */
export function diskfulNeededToRegain(setting: Quorum, total: number, diskfulTotal: number): number {
  if (setting !== 'majority' || diskfulTotal === 0 || diskfulTotal === total) return 0;
  return Math.floor(diskfulTotal / 2) + 1;
}

/**
 * Does a node that reaches `reach` have quorum? `had`: whether it has quorum now (a diskless
 * tie-breaker keeps quorum, never grants it).
 */
export function hasQuorum(setting: Quorum, total: number, diskfulTotal: number, reach: Reach, had: boolean): boolean {
  assert(reach.reachable >= 1 && reach.reachable <= total, 'reachable nodes within the resource');
  assert(reach.reachableDiskful >= 0 && reach.reachableDiskful <= Math.min(reach.reachable, diskfulTotal), 'reachable diskful nodes within the resource');
  if (reach.reachable < quorumNeeded(setting, total)) return false;
  return had || reach.reachableDiskful >= diskfulNeededToRegain(setting, total, diskfulTotal);
}
