// Crash test: over at least 1,000 seeded crash points (both placements), recovery always finds a
// valid superblock, and the bitmap covers every write that could have been in flight (M1–M4 in
// docs/ARCHITECTURE.md §3). Half of the crash images also get a flipped byte in the bitmap (a page
// or its checksum) or the activity log: recovery must find it where a checksum covers it and still
// cover every write. TANDEM_CRASH_SEED=<n> replays a run; the seed is printed on failure.
import t from 'tap';
import { join } from 'node:path';
import { rmSync, writeFileSync } from 'node:fs';
import { VolumeMetadata } from '../../src/meta/volume-metadata.js';
import { PmemStore } from '../../src/meta/pmem.js';
import { BlockStore } from '../../src/meta/block.js';
import { AL_OFFSET, AL_RING_BLOCKS, BITMAP_CRC_BYTES, BITMAP_PAGE, BLOCK, MIN_AL_EXTENTS, type Geometry } from '../../src/meta/layout.js';
import { decodeTransaction } from '../../src/meta/activity-log.js';
import type { MetaStore } from '../../src/meta/store.js';
import { CrashStore, prng } from './fixtures/crash-store.js';
import { GiB, MiB, tempDir } from './fixtures/helpers.js';

/** Volume and AL sizes of a crash run. */
interface Shape { name: string; volume: number; alExtents: number; prefill: number }
// 64 extents against an AL of 7: most activations evict.
const SMALL: Shape = { name: 'AL of 7', volume: 256 * MiB, alExtents: MIN_AL_EXTENTS, prefill: 0 };
// 900 slots: more than one block transaction's context (888), so the ring needs two to rebuild
// the table; the AL starts full, so misses evict.
const LARGE: Shape = { name: 'AL of 900, wider than one transaction context', volume: 4 * GiB, alExtents: 900, prefill: 900 };
const BITS_PER_EXTENT = 1024;
const CRASHES_PER_KIND = 500;
const BASE_SEED = process.env.TANDEM_CRASH_SEED ? Number(process.env.TANDEM_CRASH_SEED) : Math.floor(Math.random() * 2 ** 31);

interface Model {
  /** Extents whose activation returned, per peer node id: their bits must survive a crash. */
  activated: Map<number, Set<number>>;
  /** Extents activated and not completed (writes in flight). */
  pinned: Map<number, number>;
  /** Explicitly set bit ranges per peer, keyed by extent. */
  ranges: Array<{ peer: number; extent: number; first: number; end: number }>;
  generation: bigint;
  /** the claim that nothing was acknowledged written with that generation, or since cleared (0: none) */
  claim: bigint;
  /** a claiming generation being written: the claim must land with it */
  next?: { generation: bigint; claim: bigint };
  /** An operation that was under way when the crash hit (its effect may or may not be durable). */
  inProgress?: string;
}

function open(kind: 'pmem' | 'block', path: string): MetaStore {
  return kind === 'pmem' ? PmemStore.open(path) : BlockStore.open(path);
}

async function workload(store: CrashStore, shape: Shape, rnd: () => number, m: Model): Promise<void> {
  const extentsInVolume = shape.volume / (4 * MiB);
  m.inProgress = 'open';
  let md = VolumeMetadata.open(store);
  m.inProgress = undefined;
  for (let step = 0; step < 60; step++) {
    const r = rnd();
    if (r < 0.55) {
      const extents = Array.from({ length: 1 + Math.floor(rnd() * 4) }, () => Math.floor(rnd() * extentsInVolume));
      // Writes in flight hold AL slots; like the daemon's bounded queue, never ask for more than exist.
      while (m.pinned.size + extents.length > shape.alExtents) completeOne(md, m, [...m.pinned.keys()][0]);
      m.inProgress = 'activate';
      await Promise.all(extents.map((e) => md.activate(e)));
      m.inProgress = undefined;
      for (const e of extents) {
        for (const set of m.activated.values()) set.add(e);
        m.pinned.set(e, (m.pinned.get(e) ?? 0) + 1);
      }
      for (const e of extents) if (rnd() < 0.7) completeOne(md, m, e);
    } else if (r < 0.65) {
      const peer = rnd() < 0.5 ? 1 : 2;
      // as the daemon does for a write in flight: bits inside a pinned extent, persisted on eviction
      const pinned = [...m.pinned.keys()];
      const coveredByAl = pinned.length > 0 && rnd() < 0.5;
      const extent = coveredByAl ? pinned[Math.floor(rnd() * pinned.length)] : Math.floor(rnd() * extentsInVolume);
      const first = extent * BITS_PER_EXTENT + Math.floor(rnd() * 512);
      const end = first + 1 + Math.floor(rnd() * 300);
      m.inProgress = 'set';
      md.setOutOfSync(peer, first * 4096, (end - first) * 4096, { coveredByAl });
      m.inProgress = undefined;
      m.ranges.push({ peer, extent, first, end });
    } else if (r < 0.72) {
      // Resync finished an idle extent on a peer: it may be cleared (its bits are then optional).
      const peer = rnd() < 0.5 ? 1 : 2;
      const extent = Math.floor(rnd() * extentsInVolume);
      if (m.pinned.has(extent)) continue;
      m.activated.get(peer)!.delete(extent);
      m.ranges = m.ranges.filter((x) => !(x.peer === peer && x.extent === extent));
      md.setInSync(peer, extent * 4 * MiB, 4 * MiB);
    } else if (r < 0.8) {
      m.inProgress = 'generation';
      if (rnd() < 0.5) {
        m.next = undefined;
        m.generation = md.newCurrentGeneration({ primary: true });
        m.claim = 0n;
      } else {
        // a Primary's generation claiming that nothing was acknowledged since (engine/metadata.ts)
        const id = (BigInt(step + 1) << 40n) | (BigInt(Math.floor(rnd() * 2 ** 30)) << 1n) | 1n;
        const since = md.superblock.unacknowledgedSince || md.superblock.currentGeneration;
        m.next = { generation: id, claim: since };
        md.followGeneration(id, since);
        m.generation = id;
        m.claim = since;
      }
      m.inProgress = undefined;
    } else if (r < 0.83) {
      // before the first acknowledgement in it: once returned, no crash image shows the claim
      m.inProgress = 'claim';
      md.clearUnacknowledged();
      m.inProgress = undefined;
      m.claim = 0n;
    } else if (r < 0.9) {
      md.setPeerInSync(1, rnd() < 0.5);
    } else if (r < 0.95) {
      for (const [e, n] of [...m.pinned]) for (let i = 0; i < n; i++) completeOne(md, m, e);
      m.inProgress = 'close';
      md.close();
      md = VolumeMetadata.open(store);
      m.inProgress = undefined;
    } else {
      const [e] = [...m.pinned.keys()];
      if (e !== undefined) completeOne(md, m, e);
    }
  }
}

function completeOne(md: VolumeMetadata, m: Model, e: number): void {
  md.complete(e);
  const n = m.pinned.get(e)! - 1;
  if (n === 0) m.pinned.delete(e); else m.pinned.set(e, n);
}

/** Every requirement of the model, checked on the metadata recovered from the crash image. */
function verify(md: VolumeMetadata, m: Model): string[] {
  const problems: string[] = [];
  const slotOf = (peer: number) => md.superblock.peers.findIndex((p) => p.nodeId === peer);
  const fullySet = (peer: number, first: number, end: number) => md.bitmap.countRange(slotOf(peer), first, end) === end - first;
  // Peer 2 is never known in sync: every activated extent is out of sync with it (invariants M1, M2).
  for (const e of m.activated.get(2)!) if (!fullySet(2, e * BITS_PER_EXTENT, (e + 1) * BITS_PER_EXTENT)) problems.push(`peer 2: extent ${e} not covered`);
  // Writes in flight at the crash are out of sync with every peer (invariant M1).
  for (const e of m.pinned.keys()) {
    for (const peer of [1, 2]) if (!fullySet(peer, e * BITS_PER_EXTENT, (e + 1) * BITS_PER_EXTENT)) problems.push(`peer ${peer}: in-flight extent ${e} not covered`);
  }
  for (const x of m.ranges) if (!fullySet(x.peer, x.first, x.end)) problems.push(`peer ${x.peer}: set bits ${x.first}..${x.end} lost`);
  // A generation returned is durable (invariant M3), unless a newer one was being written.
  if (md.superblock.currentGeneration !== m.generation && m.inProgress !== 'generation') {
    problems.push(`current generation ${md.superblock.currentGeneration} instead of ${m.generation}`);
  }
  // The claim that nothing was acknowledged lands in the same write as its generation, and a
  // cleared claim stays cleared (the engine clears it before the first acknowledgement).
  const sb = md.superblock;
  if (m.inProgress === 'generation' && m.next && sb.currentGeneration === m.next.generation) {
    if (sb.unacknowledgedSince !== m.next.claim) problems.push(`generation ${sb.currentGeneration} without its claim ${m.next.claim}`);
  } else if (m.inProgress !== 'claim' && sb.currentGeneration === m.generation && sb.unacknowledgedSince !== m.claim) {
    problems.push(`claim ${sb.unacknowledgedSince} instead of ${m.claim}`);
  }
  return problems;
}

/** Where a flipped byte landed, and what recovery must report for it. */
type Flip = { area: 'bitmap page' | 'bitmap checksum'; page: number } | { area: 'pmem slot' | 'ring block' | 'none' };

/**
 * Flip one byte of the crash image in the bitmap, its checksums or the activity log (or nothing,
 * half the time). The block ring's newest valid transaction is spared: its damage cannot be told
 * from a torn write (activity-log.ts), the ring's accepted limit.
 */
function damage(image: Uint8Array, kind: 'pmem' | 'block', g: Geometry, rnd: () => number): Flip {
  const r = rnd();
  const xor = 1 + Math.floor(rnd() * 255);
  if (r < 0.5) return { area: 'none' };
  if (r < 0.7) {
    const offset = Math.floor(rnd() * g.bmLength);
    image[g.bmOffset + offset] ^= xor;
    return { area: 'bitmap page', page: Math.floor(offset / BITMAP_PAGE) };
  }
  if (r < 0.8) {
    const page = Math.floor(rnd() * g.bmPages);
    image[g.bmCrcOffset + page * BITMAP_CRC_BYTES + Math.floor(rnd() * BITMAP_CRC_BYTES)] ^= xor;
    return { area: 'bitmap checksum', page };
  }
  if (kind === 'pmem') {
    image[AL_OFFSET + Math.floor(rnd() * g.alExtents * 8)] ^= xor;
    return { area: 'pmem slot' };
  }
  const numbers = Array.from({ length: AL_RING_BLOCKS }, (_, b) => decodeTransaction(image.subarray(AL_OFFSET + b * BLOCK, AL_OFFSET + (b + 1) * BLOCK)))
    .map((tx) => (typeof tx === 'object' ? tx.number : -1));
  const newestBlock = numbers.indexOf(Math.max(...numbers));
  const blocks = Array.from({ length: AL_RING_BLOCKS }, (_, b) => b).filter((b) => b !== newestBlock);
  const block = blocks[Math.floor(rnd() * blocks.length)];
  image[AL_OFFSET + block * BLOCK + Math.floor(rnd() * BLOCK)] ^= xor;
  return { area: 'ring block' };
}

/** Damage a checksum covers must be found. */
function detected(md: VolumeMetadata, flip: Flip): string[] {
  const { damage: found } = md.recovery;
  if ((flip.area === 'bitmap page' || flip.area === 'bitmap checksum') && !found.bitmapPages.some((p) => p.page === flip.page)) {
    return [`flipped byte in ${flip.area} ${flip.page} not found (found pages ${found.bitmapPages.map((p) => p.page).join(', ') || 'none'})`];
  }
  if (flip.area === 'pmem slot' && found.activityLog.length === 0) return ['flipped byte in a PMEM AL slot not found'];
  return [];
}

async function crashRun(kind: 'pmem' | 'block', shape: Shape, dir: string, seed: number): Promise<'crashed' | 'no-crash' | string[]> {
  const rnd = prng(seed);
  const path = join(dir, `${kind}-${seed}`);
  const created = VolumeMetadata.create(`${kind}:${path}`, { volumeSize: shape.volume, maxPeers: 2, nodeId: 0, alExtents: shape.alExtents });
  const g = created.geometry;
  created.peerSlot(1);
  created.peerSlot(2);
  const firstGen = created.newCurrentGeneration({ primary: true });
  for (let e = 0; e < shape.prefill; e += 64) {
    const batch = Array.from({ length: Math.min(64, shape.prefill - e) }, (_, i) => e + i);
    await Promise.all(batch.map((x) => created.activate(x)));
    batch.forEach((x) => created.complete(x));
  }
  created.close(); // clean: the prefilled hot set stays in the AL and is marked for both peers
  const inner = open(kind, path);
  const store = new CrashStore(inner, prng(seed ^ 0x5eed));
  store.crashAt = 1 + Math.floor(rnd() * 400);
  const prefilled = Array.from({ length: shape.prefill }, (_, e) => e);
  const m: Model = { activated: new Map([[1, new Set()], [2, new Set(prefilled)]]), pinned: new Map(), ranges: [], generation: firstGen, claim: 0n };
  try {
    await workload(store, shape, rnd, m);
  } catch (err) {
    if (!store.crashed) throw err;
  }
  if (!store.crashed) {
    inner.close();
    return 'no-crash';
  }
  const image = store.crashImage();
  const flip = damage(image, kind, g, prng(seed ^ 0xf11b));
  writeFileSync(path, image);
  inner.close();
  const recovered = VolumeMetadata.open(`${kind}:${path}`);
  const problems = [...verify(recovered, m), ...detected(recovered, flip)];
  if (!recovered.recovery.crashed && m.inProgress !== 'close' && m.inProgress !== 'open') problems.push('AL was clean after a crash while open');
  recovered.close();
  return problems.length === 0 ? 'crashed' : problems;
}

const RUNS: Array<[kind: 'pmem' | 'block', shape: Shape, crashes: number]> = [
  ['pmem', SMALL, CRASHES_PER_KIND],
  ['block', SMALL, CRASHES_PER_KIND],
  ['block', LARGE, 100],
];

for (const [kind, shape, wanted] of RUNS) {
  t.test(`${kind}, ${shape.name}: ${wanted} seeded crash points, recovery covers every write that could be in flight`, async (t) => {
    const dir = tempDir(t);
    let crashes = 0;
    let runs = 0;
    for (let seed = BASE_SEED; crashes < wanted; seed++, runs++) {
      if (process.env.TANDEM_CRASH_SEED && runs > 0) break;
      let outcome: Awaited<ReturnType<typeof crashRun>>;
      try {
        outcome = await crashRun(kind, shape, dir, seed);
      } catch (err) {
        t.fail(`run with TANDEM_CRASH_SEED=${seed} (${kind}, ${shape.name}) threw: ${(err as Error).stack}`);
        return;
      }
      if (Array.isArray(outcome)) {
        t.fail(`replay with TANDEM_CRASH_SEED=${seed} (${kind}, ${shape.name}): ${outcome.slice(0, 5).join('; ')}`);
        return;
      }
      if (outcome === 'crashed') crashes++;
      rmSync(join(dir, `${kind}-${seed}`), { force: true });
    }
    t.ok(crashes >= (process.env.TANDEM_CRASH_SEED ? 0 : wanted), `${crashes} crash points recovered (base seed ${BASE_SEED}, ${runs} runs)`);
  });
}

// The daemon's pattern (bits for a peer that missed a write, set while the write pins its AL
// extent, not persisted at once): they must be made durable when the extent leaves the AL.
t.test('bits stored under a pinned AL extent survive a crash after the extent left the AL', async (t) => {
  const dir = tempDir(t);
  for (const kind of ['pmem', 'block'] as const) {
    const path = join(dir, `evicted-${kind}`);
    const created = VolumeMetadata.create(`${kind}:${path}`, { volumeSize: 256 * MiB, maxPeers: 2, nodeId: 0, alExtents: MIN_AL_EXTENTS });
    created.peerSlot(1);
    created.close();
    const inner = open(kind, path);
    const store = new CrashStore(inner, () => 0.99); // a crash keeps no unpersisted word
    const md = VolumeMetadata.open(store);
    md.setPeerInSync(1, true); // as the daemon runs: eviction itself adds no bits
    await md.activate(0);
    md.setOutOfSync(1, 8192, 4096, { coveredByAl: true });
    md.complete(0);
    for (let e = 1; e <= MIN_AL_EXTENTS; e++) {
      await md.activate(e);
      md.complete(e);
    }
    t.notOk(md.hotExtents().includes(0), `${kind}: extent 0 has left the AL`);
    writeFileSync(path, store.crashImage());
    inner.close();
    const recovered = VolumeMetadata.open(`${kind}:${path}`);
    t.ok(recovered.isOutOfSync(1, 8192), `${kind}: the bit survived the crash`);
    t.notOk(recovered.isOutOfSync(1, 0) || recovered.isOutOfSync(1, 12288), `${kind}: only that block of the evicted extent`);
    recovered.close();
  }
});
