import t from 'tap';
import {
  RULES, SCORE_BEST, SCORE_PEER_UNKNOWN, inputsFromStatus, promotionScore, type PromotionInputs, type RuleId,
} from '../../src/cluster/promotion-score.js';
import type { ResourceStatus } from '../../src/engine/states.js';

const healthy: PromotionInputs = {
  role: 'Secondary', localDisks: ['UpToDate', 'UpToDate'], quorum: true, generation: 'same', autoTakeover: true, held: false,
  peers: [{ name: 'bravo', connected: true, diskStates: ['UpToDate', 'UpToDate'] }],
};
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
  ['Primary, UpToDate', { role: 'Primary' }, 'primary', SCORE_BEST],
  ['Primary whose peer is gone keeps the best score', { role: 'Primary', peers: [lostPeer] }, 'primary', SCORE_BEST],
  ['Secondary, every peer connected', {}, 'uptodate-peers-known', SCORE_BEST],
  ['single diskful node', { peers: [] }, 'uptodate-peers-known', SCORE_BEST],
  ['newer than its peers (sync source)', { generation: 'newer' }, 'uptodate-peers-known', SCORE_BEST],
  ['Secondary that cannot see a peer', { peers: [lostPeer], generation: 'unknown' }, 'uptodate-peer-unknown', SCORE_PEER_UNKNOWN],
  ['auto_takeover=false, a peer cannot be seen', { peers: [lostPeer], generation: 'unknown', autoTakeover: false }, 'takeover-withheld', null],
  ['auto_takeover=false, every peer connected', { autoTakeover: false }, 'uptodate-peers-known', SCORE_BEST],
  ['auto_takeover=false does not demote a Primary whose peer is gone', { role: 'Primary', peers: [lostPeer], autoTakeover: false }, 'primary', SCORE_BEST],
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
  const i = inputsFromStatus(status({ connections: [connected('bravo', 'UpToDate', 'Established'), connected('delta', 'Diskless', 'Established')] }));
  t.same(i.peers.map((p) => p.name), ['bravo'], 'a diskless peer does not count');
  t.equal(i.generation, 'same');
  t.equal(inputsFromStatus(status({ connections: [connected('bravo', 'UpToDate', 'SyncTarget')] })).generation, 'older');
  t.equal(inputsFromStatus(status({ connections: [connected('bravo', 'UpToDate', 'SyncSource')] })).generation, 'newer');
  const gone = inputsFromStatus(status({
    connections: [{ peer: 'bravo', nodeId: 1, connectionState: 'Connecting', peerRole: 'Unknown', volumes: [{ volume: 0, replicationState: 'Off', peerDiskState: 'UpToDate', outOfSyncBytes: 0, resync: null }] }],
  }));
  t.same(gone.peers, [{ name: 'bravo', connected: false, diskStates: ['DUnknown'] }], 'a disconnected peer is DUnknown, whatever it was');
  t.equal(gone.generation, 'unknown');
  t.equal(promotionScore(gone).score, SCORE_PEER_UNKNOWN);
  t.equal(promotionScore(inputsFromStatus(status({ connections: [] }), false)).rule, 'uptodate-peers-known', 'auto_takeover is an input');
  const held = inputsFromStatus(status({ held: 'went away as Primary' }));
  t.equal(held.held, true, "the daemon's held reason is an input");
  t.equal(promotionScore(held).rule, 'held-for-operator');
});
