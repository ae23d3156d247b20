// The simulated metadata media run the real VolumeMetadata with the crash semantics of real
// media: a killed process keeps every store (mapping, page cache), a power loss keeps what was
// persisted and a random part of the rest; a crash can come in the middle of an update.
import t from 'tap';
import { geometry } from '../../../src/meta/layout.js';
import { VolumeMetadata } from '../../../src/meta/volume-metadata.js';
import { MetaMedium, SimCrash } from '../../../src/platform/sim/meta-store.js';
import { Random } from '../../../src/platform/sim/random.js';

const SIZE = 64 * 1024 * 1024;

function formatted(kind: 'pmem' | 'block', seed = 1): MetaMedium {
  const medium = new MetaMedium(kind, geometry(SIZE, 2, 7).areaLength, new Random(seed));
  let n = 0n;
  VolumeMetadata.create(medium.open(() => true), { volumeSize: SIZE, maxPeers: 2, nodeId: 0, alExtents: 7, newGenerationId: () => (n += 2n) }).close();
  return medium;
}

for (const kind of ['pmem', 'block'] as const) {
  t.test(`${kind}: what the metadata code persisted survives a power loss`, async (t) => {
    const medium = formatted(kind);
    const meta = VolumeMetadata.open(medium.open(() => true), { newGenerationId: () => 0x1230n });
    const gen = meta.newCurrentGeneration({ primary: true });
    meta.setOutOfSync(1, 0, 8 * 4096);
    const activated = meta.activate(3);
    if (activated !== true) await activated;
    medium.powerLoss();
    const after = VolumeMetadata.open(medium.open(() => true));
    t.equal(after.superblock.currentGeneration, gen);
    t.equal(after.outOfSyncBytes(1), 8 * 4096 + 4 * 1024 * 1024, 'the bits, and the AL extent a crash marks for every peer');
    t.ok(after.recovery.crashed, 'not closed cleanly');
    t.same(after.recovery.extents, [3]);
  });

  t.test(`${kind}: a power loss drops unpersisted stores, a killed process keeps them`, async (t) => {
    const medium = formatted(kind);
    const probe = medium.open(() => true);
    probe.write(medium.length - 8, Buffer.from('12345678'));
    t.equal(Buffer.from(probe.read(medium.length - 8, 8)).toString(), '12345678', 'a store is visible at once');
    // a killed process: nothing to do, the bytes stay
    let dropped = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const m = formatted(kind, seed);
      m.open(() => true).write(m.length - 8, Buffer.from('12345678'));
      m.powerLoss();
      if (Buffer.from(m.read(m.length - 8, 8)).every((b) => b === 0)) dropped++;
    }
    t.ok(dropped > 0 && dropped < 20, `an unpersisted word survives some power losses and not others (${dropped} of 20 lost)`);
  });
}

t.test('block: persist is fdatasync (the whole file); pmem: persist flushes only its range', async (t) => {
  for (const kind of ['pmem', 'block'] as const) {
    let kept = 0;
    for (let seed = 1; seed <= 10; seed++) {
      const m = formatted(kind, seed);
      const s = m.open(() => true);
      s.write(m.length - 8, Buffer.from('abcdefgh'));
      s.write(0, s.read(0, 8));
      s.persist(0, 8);
      m.powerLoss();
      if (Buffer.from(m.read(m.length - 8, 8)).toString() === 'abcdefgh') kept++;
    }
    if (kind === 'block') t.equal(kept, 10, 'block: every earlier write is durable after any persist');
    else t.ok(kept < 10, 'pmem: a store outside the persisted range can be lost');
  }
});

t.test('a crash inside a metadata update stops the node there; reopening recovers', async (t) => {
  const medium = formatted('pmem');
  let alive = true;
  const store = medium.open(() => alive);
  const meta = VolumeMetadata.open(store, { newGenerationId: () => 0x4440n });
  store.crashAtPersist = store.persists + 2;
  store.onCrash = () => { alive = false; medium.powerLoss(); };
  t.throws(() => { for (let i = 0; i < 10; i++) meta.setOutOfSync(1, i * 4096, 4096); }, SimCrash);
  t.throws(() => store.read(0, 8), SimCrash, 'the dead incarnation cannot touch the medium any more');
  const after = VolumeMetadata.open(medium.open(() => true));
  const bits = after.outOfSyncBytes(1) / 4096;
  // the bits persisted before the crash point are there; an area torn by the crash counts as all
  // out of sync (the metadata's rule for damaged areas), never as fewer
  t.ok(bits >= 1, `the updates before the crash point are there (${bits} bits)`);
});
