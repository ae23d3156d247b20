// A diskless Primary names the generation it writes (exposed[0]) and the ones it replaced. A
// diskful peer in a generation it replaced holds all of its data as long as nothing was written
// since: also when the Primary replaced generations twice without a write (a peer lost twice),
// which adoptUnwrittenSince recognises and collapses (sim seed 20991).
import t from 'tap';
import { adoptUnwrittenSince, missesWrites, rotateExposedGeneration } from '../../src/engine/exposed-generation.js';
import type { Peer } from '../../src/engine/peer.js';
import type { Resource } from '../../src/engine/resource.js';
import { Volume } from '../../src/engine/volume.js';

/** A Primary with no connected peer: rotations keep no server. */
const resource = { peers: new Map(), generationChanged: () => undefined } as unknown as Resource;
const peer = { node: { id: 1 } } as unknown as Peer;

function disklessPrimaryVolume(...exposed: bigint[]): Volume {
  const v = new Volume({ index: 0, disk: null, meta: null, export: null, size: null });
  v.exposed = exposed;
  v.wroteInExposed = true; // it wrote in exposed[0]
  return v;
}

t.test('two replacements without a write: a peer in the older generation misses nothing, once adopted', async (t) => {
  const v = disklessPrimaryVolume(0x10n, 0x08n); // writes 0x10, replaced 0x08
  rotateExposedGeneration(resource, v, 0x20n); // a diskful peer lost, nothing written in 0x10
  rotateExposedGeneration(resource, v, 0x30n); // another loss, nothing written in 0x20
  t.same(v.exposed, [0x30n, 0x20n, 0x10n, 0x08n]);
  t.equal(v.unwrittenBefore, 1, '0x20 was replaced without a write');
  t.ok(missesWrites(peer, v, 0x10n), 'before: a peer in 0x10 is not in the generation exposed[0] replaced');
  t.ok(adoptUnwrittenSince(v, 0x10n), 'the peer in 0x10 is adopted');
  t.same(v.exposed, [0x30n, 0x10n, 0x08n], 'the unwritten 0x20 is dropped: 0x10 is the replaced generation');
  t.notOk(missesWrites(peer, v, 0x10n), 'after: it misses nothing and may serve');
  t.ok(missesWrites(peer, v, 0x20n), 'a peer still in the dropped 0x20 counts as missing writes (resynced, nothing lost)');
});

t.test('a write since the peer\'s generation: nothing is adopted', async (t) => {
  const v = disklessPrimaryVolume(0x10n, 0x08n);
  rotateExposedGeneration(resource, v, 0x20n);
  v.wroteInExposed = true; // a write went out in 0x20
  rotateExposedGeneration(resource, v, 0x30n);
  t.equal(v.unwrittenBefore, 0);
  t.notOk(adoptUnwrittenSince(v, 0x10n), '0x10 lacks what was written in 0x20');
  t.same(v.exposed, [0x30n, 0x20n, 0x10n, 0x08n], 'generations unchanged');
  t.ok(missesWrites(peer, v, 0x10n));
  t.notOk(missesWrites(peer, v, 0x20n), 'a peer in 0x20 (replaced, nothing written in 0x30 yet) misses nothing');
});

t.test('a write in the current generation: nothing is adopted', async (t) => {
  const v = disklessPrimaryVolume(0x10n, 0x08n);
  rotateExposedGeneration(resource, v, 0x20n);
  rotateExposedGeneration(resource, v, 0x30n);
  v.wroteInExposed = true;
  t.notOk(adoptUnwrittenSince(v, 0x10n));
  t.notOk(adoptUnwrittenSince(v, 0x08n));
});

t.test('only generations within the unwritten run are adopted; the replaced one needs nothing', async (t) => {
  const v = disklessPrimaryVolume(0x10n, 0x08n);
  rotateExposedGeneration(resource, v, 0x20n);
  rotateExposedGeneration(resource, v, 0x30n);
  t.notOk(adoptUnwrittenSince(v, 0x20n), 'exposed[1] already serves as it is');
  t.notOk(adoptUnwrittenSince(v, 0x08n), '0x08 was replaced by 0x10, which may hold writes');
  t.notOk(adoptUnwrittenSince(v, 0x99n), 'an unknown generation');
  t.same(v.exposed, [0x30n, 0x20n, 0x10n, 0x08n]);
});
