import t from 'tap';
import {
  DEFAULT_LADDER, RULES, SCORE_BEST, SCORE_PEER_UNKNOWN, SCORE_PRIMARY, TIE_BREAK_RANGE, inputsFromStatus, promotionScore, type PromotionInputs, type RuleId,
} from '../../src/cluster/promotion-score.js';
import type { ResourceStatus } from '../../src/engine/states.js';

const healthy: PromotionInputs = {
  role: 'Secondary', localDisks: ['UpToDate', 'UpToDate'], quorum: true, generation: 'same', autoTakeover: true, held: false,
  peers: [{ name: 'bravo', connected: true, diskStates: ['UpToDate', 'UpToDate'] }],
  self: { name: 'alpha', id: 0 }, preference: [], ladder: DEFAULT_LADDER,
};
/** alpha, node id 0, no preference list: the highest node-id tie-break */
const TIE = 31;
const lostPeer = { name: 'bravo', connected: false, diskStates: ['DUnknown' as const] };

// one row per rule, plus the cases where rule order matters
const table: [string, Partial<PromotionInputs>, RuleId, number | null][] = [
  ['no local volumes', { localDisks: [] }, 'local-disk-unusable', null],
  ['a local disk failed', { localDisks: ['UpToDate', 'Failed'] }, 'local-disk-unusable', null],
  ['a volume is diskless', { localDisks: ['Diskless'] }, 'local-disk-unusable', null],
  ['held StandAlone for an operator (auto_resync=false)', { held: true, peers: [lostPeer] }, 'held-for-operator', null],
  ['held, even with the best data and a quorum', { held: true }, 'held-for-operator', null],
  ['still attaching', { localDisks: ['Attaching'] }, 'local-disk-unusable', null],
  ['quorum lost, even as Primary', { quorum: false, role: 'Primary' }, 'no-quorum', null],
  ['inconsistent (sync target)', { localDisks: ['Inconsistent', 'UpToDate'] }, 'local-inconsistent', null],
  ['outdated', { localDisks: ['Outdated', 'UpToDate'] }, 'local-outdated', null],
  ['outdated and inconsistent: inconsistent is named first', { localDisks: ['Outdated', 'Inconsistent'] }, 'local-inconsistent', null],
  ['a connected peer has newer data', { generation: 'older' }, 'older-generation', null],
  ['consistent only', { localDisks: ['Consistent', 'UpToDate'] }, 'consistent-only', null],
  ['Primary, UpToDate', { role: 'Primary' }, 'primary', SCORE_PRIMARY],
  ['Primary whose peer is gone keeps the best score', { role: 'Primary', peers: [lostPeer] }, 'primary', SCORE_PRIMARY],
  ['Secondary, every peer connected', {}, 'uptodate-peers-known', SCORE_BEST + TIE],
  ['single diskful node', { peers: [] }, 'uptodate-peers-known', SCORE_BEST + TIE],
  ['newer than its peers (sync source)', { generation: 'newer' }, 'uptodate-peers-known', SCORE_BEST + TIE],
  ['Secondary that cannot see a peer', { peers: [lostPeer], generation: 'unknown' }, 'uptodate-peer-unknown', SCORE_PEER_UNKNOWN + TIE],
  ['auto_takeover=false, a peer cannot be seen', { peers: [lostPeer], generation: 'unknown', autoTakeover: false }, 'takeover-withheld', null],
  ['auto_takeover=false, every peer connected', { autoTakeover: false }, 'uptodate-peers-known', SCORE_BEST + TIE],
  ['auto_takeover=false does not demote a Primary whose peer is gone', { role: 'Primary', peers: [lostPeer], autoTakeover: false }, 'primary', SCORE_PRIMARY],
];

t.test('every rule, in order', async (t) => {
  for (const [name, change, rule, score] of table) {
    const d = promotionScore({ ...healthy, ...change });
    t.equal(d.rule, rule, `${name}: rule`);
    t.equal(d.score, score, `${name}: score`);
    t.ok(d.because.length > 10, `${name}: says why`);
  }
  const covered = new Set(table.map((row) => row[2]));
  t.same(RULES.filter((r) => !covered.has(r.id)).map((r) => r.id), [], 'the table exercises every rule');
});

t.test('the unreachable peer is named in the reason', async (t) => {
  t.match(promotionScore({ ...healthy, peers: [lostPeer] }).because, /bravo cannot be seen/);
});

t.test('steady: the same state always gives the same score', async (t) => {
  const a = promotionScore({ ...healthy });
  for (let i = 0; i < 100; i++) t.same(promotionScore({ ...healthy }), a);
});

const status = (over: Partial<ResourceStatus>): ResourceStatus => ({
  name: 'r0', role: 'Secondary', quorum: true, suspended: false, constraints: [], held: null,
  volumes: [{ volume: 0, diskState: 'UpToDate', sizeBytes: 1, export: null, device: null, currentGeneration: 'a' }],
  connections: [], ...over,
});

t.test('inputs from the daemon status: peers, diskless peers, generation from the replication state', async (t) => {
  const connected = (peer: string, peerDiskState: 'UpToDate' | 'Diskless', replicationState: 'Established' | 'SyncTarget' | 'SyncSource') => ({
    peer, nodeId: 1, connectionState: 'Connected' as const, peerRole: 'Secondary' as const,
    volumes: [{ volume: 0, replicationState, peerDiskState, outOfSyncBytes: 0, resync: null }],
  });
  const settings = { autoTakeover: true, self: { name: 'alpha', id: 0 } };
  const i = inputsFromStatus(status({ connections: [connected('bravo', 'UpToDate', 'Established'), connected('delta', 'Diskless', 'Established')] }), settings);
  t.same(i.peers.map((p) => p.name), ['bravo'], 'a diskless peer does not count');
  t.equal(i.generation, 'same');
  t.equal(inputsFromStatus(status({ connections: [connected('bravo', 'UpToDate', 'SyncTarget')] }), settings).generation, 'older');
  t.equal(inputsFromStatus(status({ connections: [connected('bravo', 'UpToDate', 'SyncSource')] }), settings).generation, 'newer');
  const gone = inputsFromStatus(status({
    connections: [{ peer: 'bravo', nodeId: 1, connectionState: 'Connecting', peerRole: 'Unknown', volumes: [{ volume: 0, replicationState: 'Off', peerDiskState: 'UpToDate', outOfSyncBytes: 0, resync: null }] }],
  }), settings);
  t.same(gone.peers, [{ name: 'bravo', connected: false, diskStates: ['DUnknown'] }], 'a disconnected peer is DUnknown, whatever it was');
  t.equal(gone.generation, 'unknown');
  t.equal(promotionScore(gone).score, SCORE_PEER_UNKNOWN + TIE);
  t.equal(promotionScore(inputsFromStatus(status({ connections: [] }), { ...settings, autoTakeover: false })).rule, 'uptodate-peers-known', 'auto_takeover is an input');
  t.same(i.ladder, DEFAULT_LADDER, 'the default ladder when the agent gives none');
  const held = inputsFromStatus(status({ held: 'went away as Primary' }), settings);
  t.equal(held.held, true, "the daemon's held reason is an input");
  t.equal(promotionScore(held).rule, 'held-for-operator');
});

t.test('tie-break: equally good nodes get distinct scores, by preference list, then by node id', async (t) => {
  const as = (name: string, id: number, preference: string[] = []) => promotionScore({ ...healthy, self: { name, id }, preference }).score!;
  t.same([as('alpha', 0), as('bravo', 1), as('charlie', 2)], [SCORE_BEST + 31, SCORE_BEST + 30, SCORE_BEST + 29], 'no list: the lowest node id wins');
  const pref = ['charlie', 'alpha'];
  t.same([as('alpha', 0, pref), as('bravo', 1, pref), as('charlie', 2, pref)], [SCORE_BEST + 62, SCORE_BEST + 30, SCORE_BEST + 63], 'listed nodes first, in list order, then the rest by id');
  for (const id of [0, 31]) {
    const d = promotionScore({ ...healthy, self: { name: 'x', id }, preference: ['x'] });
    t.ok(d.tieBreak >= 0 && d.tieBreak < TIE_BREAK_RANGE, `tie-break ${d.tieBreak} stays below ${TIE_BREAK_RANGE}`);
  }
  const best = promotionScore({ ...healthy, self: { name: 'x', id: 0 }, preference: ['x'] }).score!;
  t.ok(promotionScore({ ...healthy, role: 'Primary', self: { name: 'y', id: 31 } }).score! > best, 'a running Primary outranks any tie-break: no failback to a preferred node');
  t.ok(promotionScore({ ...healthy, peers: [lostPeer], generation: 'unknown', self: { name: 'x', id: 0 }, preference: ['x'] }).score! < SCORE_BEST,
    'the tie-break never lifts a lower rule above a higher one');
});

t.test('adjust_master_score: the ladder sets each rule\'s score, 0 removes it', async (t) => {
  const ladder = { consistentOnly: 5, remoteOnly: 10, peerUnknown: 500, best: 2000 };
  const consistent = promotionScore({ ...healthy, ladder, localDisks: ['Consistent'] });
  t.same([consistent.rule, consistent.score], ['consistent-only', 5 + TIE], 'Consistent data promotable when the first value is positive');
  t.equal(promotionScore({ ...healthy, ladder }).score, 2000 + TIE);
  t.equal(promotionScore({ ...healthy, ladder, peers: [lostPeer], generation: 'unknown' }).score, 500 + TIE);
  t.equal(promotionScore({ ...healthy, ladder, role: 'Primary' }).score, 2000 + TIE_BREAK_RANGE);
  t.equal(promotionScore({ ...healthy, ladder: { ...ladder, peerUnknown: 0 }, peers: [lostPeer], generation: 'unknown' }).score, null, '0 removes the score');
});
