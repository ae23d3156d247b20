// Generation history never records an id twice (a history of one repeated id pushed the common
// ancestor out, and returning nodes were refused as unrelated), and a resync target adopts the
// source's lineage.
import t from 'tap';
import { adoptGeneration, mergeHistory, pushHistory, startGeneration } from '../../src/meta/generations.js';
import { HISTORY_LENGTH, NO_NODE, PEER_FLAGS } from '../../src/meta/layout.js';
import type { Superblock } from '../../src/meta/superblock.js';

const P = 1n; // the "created while Primary" bit

function sb(current: bigint, history: bigint[], peers: Array<{ nodeId: number; bitmap: bigint; connected: boolean }> = []): Superblock {
  return {
    currentGeneration: current,
    history: [...history, ...new Array<bigint>(HISTORY_LENGTH).fill(0n)].slice(0, HISTORY_LENGTH),
    peers: peers.map((p, i) => ({ nodeId: p.nodeId, flags: PEER_FLAGS.NODE_EXISTS | (p.connected ? PEER_FLAGS.PEER_CONNECTED : 0), bitmapGeneration: p.bitmap, bitmapIndex: i })),
  } as unknown as Superblock;
}

const ids = (h: readonly bigint[]): bigint[] => h.filter((x) => x !== 0n);

t.test('pushHistory never records an id twice, whatever its Primary bit', async (t) => {
  let h: bigint[] = new Array<bigint>(HISTORY_LENGTH).fill(0n);
  for (let i = 0; i < 40; i++) h = pushHistory(h, 0x10n | (BigInt(i) & P));
  t.same(ids(h), [0x11n], 'forty pushes of one id leave it once (as last pushed, Primary bit and all)');
  h = pushHistory(pushHistory(h, 0x20n), 0x10n);
  t.same(ids(h), [0x10n, 0x20n], 'pushed again, it moves to the front');
  t.equal(h.length, HISTORY_LENGTH, 'the history keeps its fixed length');
});

t.test('mergeHistory keeps order, drops zeros and duplicates, and cuts to the fixed length', async (t) => {
  const long = Array.from({ length: 40 }, (_, i) => BigInt(0x100 + i * 2));
  const merged = mergeHistory([0x2n, 0x0n, 0x4n], [0x4n, ...long]);
  t.same(merged.slice(0, 4), [0x2n, 0x4n, 0x100n, 0x102n]);
  t.equal(merged.length, HISTORY_LENGTH);
});

t.test('startGeneration: the old current goes to history once; absent peers keep it as bitmap id', async (t) => {
  const before = sb(0xa0n, [0xa0n, 0x90n], [{ nodeId: 1, bitmap: 0n, connected: false }, { nodeId: 2, bitmap: 0n, connected: true }, { nodeId: NO_NODE, bitmap: 0n, connected: false }]);
  const after = startGeneration(before, 0xb1n);
  t.equal(after.currentGeneration, 0xb1n);
  t.same(ids(after.history), [0xa0n, 0x90n], 'not recorded twice');
  t.equal(after.peers[0].bitmapGeneration, 0xa0n, 'the absent peer keeps the old current as bitmap id');
  t.equal(after.peers[1].bitmapGeneration, 0n, 'a connected peer gets none');
});

t.test('adoptGeneration: the source lineage first, then the old current; bitmap ids equal to the new current retired', async (t) => {
  const target = sb(0x50n, [0x40n], [{ nodeId: 0, bitmap: 0x60n, connected: true }, { nodeId: 2, bitmap: 0x50n, connected: false }]);
  const after = adoptGeneration(target, 0x61n, [0x52n, 0x50n | P, 0x40n]);
  t.equal(after.currentGeneration, 0x61n);
  t.same(ids(after.history), [0x52n, 0x51n, 0x40n], 'source history, deduplicated (our old current appears once)');
  t.notOk(ids(after.history).some((h) => (h & ~P) === 0x60n), 'the new current is not in its own history');
  t.equal(after.peers[0].bitmapGeneration, 0n, 'a bitmap id equal to the adopted current is retired');
  t.equal(after.peers[1].bitmapGeneration, 0x50n, 'others are kept');
});

t.test('adoptGeneration: a peer away without a bitmap id gets the generation the resync started from', async (t) => {
  // sim seed 20434 (shrunk): n3, in 0x50 and behind n0 (away), takes a full resync from n1 (0x61)
  const target = sb(0x50n, [0x40n], [{ nodeId: 0, bitmap: 0n, connected: false }, { nodeId: 1, bitmap: 0n, connected: true }, { nodeId: 2, bitmap: 0x40n, connected: false }]);
  const after = adoptGeneration(target, 0x61n, [0x40n]);
  t.equal(after.peers[0].bitmapGeneration, 0x50n, 'its bits for the peer away count from the generation this disk held (DRBD: rs_start_uuid)');
  t.equal(after.peers[1].bitmapGeneration, 0n, 'a connected peer gets none');
  t.equal(after.peers[2].bitmapGeneration, 0x40n, 'a bitmap id already kept stays');
  const again = adoptGeneration(sb(0x61n, [0x40n], [{ nodeId: 0, bitmap: 0n, connected: false }]), 0x61n | P, [0x40n]);
  t.equal(again.peers[0].bitmapGeneration, 0n, 'nothing when the generation does not change');
  const fresh = adoptGeneration(sb(0n, [], [{ nodeId: 0, bitmap: 0n, connected: false }]), 0x61n, [0x40n]);
  t.equal(fresh.peers[0].bitmapGeneration, 0n, 'nor after an initial sync of a volume just created');
});
