// Quorum counting: every node counts, diskless ones too, and a diskless tie-breaker keeps quorum
// but never grants it back (DRBD's calc_quorum).
import t from 'tap';
import { diskfulNeededToRegain, hasQuorum, quorumNeeded } from '../../src/engine/quorum.js';

t.test('majority, all, a number, off', async (t) => {
  t.equal(quorumNeeded('majority', 3), 2);
  t.equal(quorumNeeded('majority', 4), 3);
  t.equal(quorumNeeded('all', 3), 3);
  t.equal(quorumNeeded(2, 5), 2);
  t.equal(quorumNeeded('off', 3), 0);
});

t.test('without diskless nodes, having quorum before changes nothing', async (t) => {
  for (const had of [true, false]) {
    t.ok(hasQuorum('majority', 3, 3, { reachable: 2, reachableDiskful: 2 }, had));
    t.notOk(hasQuorum('majority', 3, 3, { reachable: 1, reachableDiskful: 1 }, had));
  }
  t.equal(diskfulNeededToRegain('majority', 3, 3), 0);
});

t.test('two disks and a diskless tie-breaker: the tie-breaker keeps quorum, never grants it', async (t) => {
  const diskAndTieBreaker = { reachable: 2, reachableDiskful: 1 };
  t.ok(hasQuorum('majority', 3, 2, diskAndTieBreaker, true), 'a node that had quorum keeps it with the tie-breaker (its peer disk lost)');
  t.notOk(hasQuorum('majority', 3, 2, diskAndTieBreaker, false), 'a node cut off from its peer disk does not regain it through the tie-breaker');
  t.ok(hasQuorum('majority', 3, 2, { reachable: 2, reachableDiskful: 2 }, false), 'both disks together regain it');
  t.ok(hasQuorum('majority', 3, 2, { reachable: 3, reachableDiskful: 2 }, false));
  t.notOk(hasQuorum('majority', 3, 2, { reachable: 2, reachableDiskful: 1 }, false), 'the diskless node itself regains it only with both disks');
});

t.test('four disks and a tie-breaker: regaining takes a majority of the disks', async (t) => {
  t.equal(diskfulNeededToRegain('majority', 5, 4), 3);
  t.notOk(hasQuorum('majority', 5, 4, { reachable: 3, reachableDiskful: 2 }, false));
  t.ok(hasQuorum('majority', 5, 4, { reachable: 3, reachableDiskful: 2 }, true));
  t.ok(hasQuorum('majority', 5, 4, { reachable: 3, reachableDiskful: 3 }, false));
});

t.test('an explicit count or all is taken as configured', async (t) => {
  t.equal(diskfulNeededToRegain(2, 3, 2), 0);
  t.ok(hasQuorum(2, 3, 2, { reachable: 2, reachableDiskful: 1 }, false));
  t.equal(diskfulNeededToRegain('all', 3, 2), 0);
  t.ok(hasQuorum('off', 3, 2, { reachable: 1, reachableDiskful: 0 }, false));
});
