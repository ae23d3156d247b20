// Quorum (docs/ARCHITECTURE.md §5, DRBD's `quorum`): a node may write, or become Primary, only
// while it can reach enough of the resource's nodes, itself included. Diskless nodes count: they
// are the tie-breakers of two-disk clusters. A partitioned minority therefore cannot diverge.
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

/** `reachable` counts this node plus every connected peer. */
export function hasQuorum(setting: Quorum, total: number, reachable: number): boolean {
  assert(reachable >= 1 && reachable <= total, 'reachable nodes within the resource');
  return reachable >= quorumNeeded(setting, total);
}
