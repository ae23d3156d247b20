// A diskless Primary names the generation it writes (exposed[0]) and the ones it replaced, with
// the nodes that may hold data written in each. A diskful peer in a generation it replaced misses
// writes only if another node may hold data written since: also when the Primary replaced
// generations twice (a peer lost twice), which adoptUnwrittenSince recognises and collapses, and
// when its writes since went to that peer alone (sim seeds 20275, 20278, 20991). A write still
// unanswered marks its holders provisionally: a failed one marks nobody (seed 30341).
import t from 'tap';
import { adoptUnwrittenSince, exposeGeneration, markWriter, missesWrites, ownData, rotateExposedGeneration, WriteOutcome } from '../../src/engine/exposed-generation.js';
import type { Peer } from '../../src/engine/peer.js';
import type { Resource } from '../../src/engine/resource.js';
import { Volume } from '../../src/engine/volume.js';

/** A Primary with no connected peer: rotations keep no server. */
const resource = { peers: new Map(), generationChanged: () => undefined } as unknown as Resource;
const peer1 = { node: { id: 1 } } as unknown as Peer;
const peer2 = { node: { id: 2 } } as unknown as Peer;

/** Writes 0x10 (sent to `writers`), replaced 0x08. */
function disklessPrimaryVolume(writers: number[]): Volume {
  const v = new Volume({ index: 0, disk: null, meta: null, export: null, size: null });
  v.exposed = [0x10n, 0x08n];
  v.exposedData = [{ writers: new Set(writers), ownDiskWith: null }, { writers: new Set(), ownDiskWith: null }];
  return v;
}

t.test('two replacements without a write: a peer in the older generation misses nothing, and is adopted', async (t) => {
  const v = disklessPrimaryVolume([2]);
  rotateExposedGeneration(resource, v, 0x20n); // a diskful peer lost, nothing written in 0x20
  rotateExposedGeneration(resource, v, 0x30n); // another loss, nothing written in 0x30 yet
  t.same(v.exposed, [0x30n, 0x20n, 0x10n, 0x08n]);
  t.notOk(missesWrites(peer1, v, 0x10n), 'nothing written since 0x10');
  t.ok(missesWrites(peer1, v, 0x08n), 'peer 2 may hold what was written in 0x10');
  t.ok(adoptUnwrittenSince(v, peer1, 0x10n), 'the peer in 0x10 is adopted');
  t.same(v.exposed, [0x30n, 0x10n, 0x08n], 'the unwritten 0x20 is dropped: 0x10 is the replaced generation, which it follows');
  t.ok(missesWrites(peer1, v, 0x20n), 'a peer still in the dropped 0x20 counts as missing writes (resynced, nothing lost)');
});

t.test('a write to another node since the peer\'s generation: it misses it, nothing is adopted', async (t) => {
  const v = disklessPrimaryVolume([1]);
  rotateExposedGeneration(resource, v, 0x20n);
  v.exposedData[0].writers.add(2); // a write went to peer 2 in 0x20
  rotateExposedGeneration(resource, v, 0x30n);
  t.ok(missesWrites(peer1, v, 0x10n), 'peer 2 may hold data peer 1 lacks');
  t.notOk(adoptUnwrittenSince(v, peer1, 0x10n));
  t.same(v.exposed, [0x30n, 0x20n, 0x10n, 0x08n], 'generations unchanged');
  t.notOk(missesWrites(peer2, v, 0x10n), 'peer 2 itself got everything written since 0x10');
  t.notOk(missesWrites(peer1, v, 0x20n), 'a peer in 0x20 (replaced, nothing written in 0x30 yet) misses nothing');
});

t.test('writes since its generation that went to this peer alone: it misses nothing (it was the only server)', async (t) => {
  const v = disklessPrimaryVolume([]);
  rotateExposedGeneration(resource, v, 0x20n);
  v.exposedData[0].writers.add(1);
  rotateExposedGeneration(resource, v, 0x30n);
  v.exposedData[0].writers.add(1);
  t.notOk(missesWrites(peer1, v, 0x10n));
  t.ok(missesWrites(peer2, v, 0x10n), 'another peer in 0x10 lacks them');
  t.ok(adoptUnwrittenSince(v, peer1, 0x10n));
  t.same([...v.exposedData[0].writers], [1], 'what was written since stays recorded');
  t.ok(missesWrites(peer2, v, 0x10n), 'and still counts for the other peer');
});

t.test('only generations older than exposed[1] are adopted; unknown ones miss writes', async (t) => {
  const v = disklessPrimaryVolume([]);
  rotateExposedGeneration(resource, v, 0x20n);
  rotateExposedGeneration(resource, v, 0x30n);
  t.notOk(adoptUnwrittenSince(v, peer1, 0x20n), 'exposed[1] already serves as it is');
  t.notOk(adoptUnwrittenSince(v, peer1, 0x99n), 'an unknown generation');
  t.ok(missesWrites(peer1, v, 0x99n));
  t.same(v.exposed, [0x30n, 0x20n, 0x10n, 0x08n]);
});

t.test('a generation begun when the Primary\'s own disk failed: only the peers that held its data miss nothing', async (t) => {
  const v = new Volume({ index: 0, disk: null, meta: null, export: null, size: null });
  v.exposed = [0x10n, 0x08n]; // 0x08: the failed disk's generation
  v.exposedData = [{ writers: new Set([1]), ownDiskWith: new Set([1]) }, { writers: new Set(), ownDiskWith: null }];
  rotateExposedGeneration(resource, v, 0x20n); // peer 1 lost before it persisted 0x10 (a power loss)
  t.notOk(missesWrites(peer1, v, 0x08n), 'peer 1 held all the failed disk had, and got every write since');
  t.ok(missesWrites(peer2, v, 0x08n), 'peer 2 did not hold what the failed disk had');
  t.ok(adoptUnwrittenSince(v, peer1, 0x08n));
  t.same(v.exposed, [0x20n, 0x08n]);
  t.ok(missesWrites(peer2, v, 0x08n), 'after the merge, peer 2 still lacks it');
});

/** A connected peer as ownData sees it: UpToDate and Established, in generation `current`. */
function connectedPeer(id: number, current: bigint): Peer {
  const view = { current, history: [], bitmapForReceiver: 0n };
  return { node: { id }, connected: true, peerUpToDate: () => true, volumes: new Map([[0, { view }]]) } as unknown as Peer;
}

t.test('a Primary\'s disk fails at the first write of a new generation: a peer whose State still names the replaced one holds its data', async (t) => {
  // seed 20457: the new generation 0x20 (peer 3 away) went out in our State before the write, and
  // the disk failed before peer 1 answered; peer 2 was away when 0x10 began, so it keeps a bitmap id
  const bitmapIds = new Map([[2, 0x08n], [3, 0x10n]]);
  const meta = { current: () => 0x20n, history: () => [0x10n, 0x08n], outOfSyncBytes: () => 0, bitmapGeneration: (id: number) => bitmapIds.get(id) ?? 0n };
  const v = new Volume({ index: 0, disk: '/dev/x', meta: null, export: null, size: null } as unknown as ConstructorParameters<typeof Volume>[0]);
  Object.assign(v, { meta, disk: {}, diskState: 'UpToDate' });
  const peers = [connectedPeer(1, 0x10n), connectedPeer(2, 0x10n), connectedPeer(4, 0x20n), connectedPeer(5, 0x04n)];
  const own = ownData({ peers: new Map(peers.map((p) => [p.node.id, p])) } as unknown as Resource, v);
  t.same([...own!.peersWithIt].sort(), [1, 4], 'peer 1 (following 0x20, its State not back yet) and peer 4 (in 0x20) hold it; peer 2 (bitmap id kept) and peer 5 (in no generation of ours) do not');
  Object.assign(v, { meta: null, disk: null, diskState: 'Failed' });
  exposeGeneration({ peers: new Map(peers.map((p) => [p.node.id, p])), generationChanged: () => undefined } as unknown as Resource, v, () => 0x30n, true, own);
  t.same(v.exposed, [0x30n, 0x20n]);
  t.same([...v.followers].sort(), [1, 4], 'both serve the diskless Primary\'s new generation');
  t.notOk(missesWrites(peers[0], v, 0x10n), 'peer 1 misses nothing');
});

t.test('a peer Established through several of our generations holds our data, though its last State names the oldest (seed 2095156034)', async (t) => {
  // a Secondary sends no State when it follows a Primary with a disk: peer 1 followed 0x10 and
  // 0x20 on our States; peer 2 was away when 0x20 began, so it keeps a bitmap id
  const bitmapIds = new Map([[2, 0x10n]]);
  const meta = { current: () => 0x20n, history: () => [0x10n, 0x08n], outOfSyncBytes: () => 0, bitmapGeneration: (id: number) => bitmapIds.get(id) ?? 0n };
  const v = new Volume({ index: 0, disk: '/dev/x', meta: null, export: null, size: null } as unknown as ConstructorParameters<typeof Volume>[0]);
  Object.assign(v, { meta, disk: {}, diskState: 'UpToDate' });
  const peers = [connectedPeer(1, 0x08n), connectedPeer(2, 0x08n)];
  const own = ownData({ peers: new Map(peers.map((p) => [p.node.id, p])) } as unknown as Resource, v);
  t.same([...own!.peersWithIt], [1], 'peer 1 holds it; peer 2, which missed 0x20, does not');
});

t.test('writes that failed mark nobody: a peer cut off with them misses nothing (seed 30341)', async (t) => {
  const v = disklessPrimaryVolume([]);
  rotateExposedGeneration(resource, v, 0x20n); // peer 3 lost with writes in flight to 1 and 2
  const inFlight = new WriteOutcome('pending');
  inFlight.mark(v.exposedData[0], 1);
  inFlight.mark(v.exposedData[0], 2);
  const sentSince = new WriteOutcome('pending');
  sentSince.mark(v.exposedData[0], 1);
  t.ok(missesWrites(peer1, v, 0x10n), 'unanswered, peer 2 may hold a write peer 1 lacks');
  inFlight.answered(false);
  t.same([...v.exposedData[0].writers], [1], 'peer 1 still may hold the write sent since');
  t.ok(missesWrites(peer2, v, 0x10n));
  sentSince.answered(false);
  t.same([...v.exposedData[0].writers], [], 'both failed: no node holds anything promised');
  t.notOk(missesWrites(peer1, v, 0x10n));
  t.notOk(missesWrites(peer2, v, 0x10n));
});

t.test('an acknowledged write keeps its marks, whatever others fail later', async (t) => {
  const v = disklessPrimaryVolume([]);
  rotateExposedGeneration(resource, v, 0x20n);
  const acked = new WriteOutcome('pending');
  const failed = new WriteOutcome('pending');
  acked.mark(v.exposedData[0], 2);
  failed.mark(v.exposedData[0], 2);
  acked.answered(true);
  failed.answered(false);
  t.same([...v.exposedData[0].writers], [2], 'the acknowledged write is on peer 2');
  t.ok(missesWrites(peer1, v, 0x10n));
  new WriteOutcome('failed').mark(v.exposedData[0], 1);
  t.same([...v.exposedData[0].writers], [2], 'a write failed already marks nobody');
  new WriteOutcome('acknowledged').mark(v.exposedData[0], 1);
  t.same([...v.exposedData[0].writers].sort(), [1, 2], 'one acknowledged already marks at once');
});

t.test('a firm mark (a write acknowledged through the peer) outlives a provisional one that fails', async (t) => {
  const v = disklessPrimaryVolume([]);
  rotateExposedGeneration(resource, v, 0x20n);
  const pending = new WriteOutcome('pending');
  pending.mark(v.exposedData[0], 2);
  markWriter(v.exposedData[0], 2); // an unconfirmed write answered earlier, or one made firm
  pending.answered(false);
  t.same([...v.exposedData[0].writers], [2]);
});
