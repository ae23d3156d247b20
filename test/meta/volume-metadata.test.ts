// VolumeMetadata on both placements: round trips, each metadata invariant (M1–M4,
// docs/ARCHITECTURE.md §3), and the same results from pmem: and block: for the same sequence of
// operations.
import t from 'tap';
import { join } from 'node:path';
import { VolumeMetadata } from '../../src/meta/volume-metadata.js';
import { PmemStore } from '../../src/meta/pmem.js';
import { BlockStore } from '../../src/meta/block.js';
import { AL_EXTENT_BYTES, BITMAP_OFFSET, DEVICE_FLAGS, MIN_AL_EXTENTS, PEER_FLAGS } from '../../src/meta/layout.js';
import { readSuperblock } from '../../src/meta/superblock.js';
import type { MetaStore } from '../../src/meta/store.js';
import { prng } from './fixtures/crash-store.js';
import { GiB, MiB, tempDir } from './fixtures/helpers.js';

const KINDS = ['pmem', 'block'] as const;
type Kind = (typeof KINDS)[number];
const EXTENT = AL_EXTENT_BYTES;

function storeOf(kind: Kind, path: string): MetaStore {
  return kind === 'pmem' ? PmemStore.open(path) : BlockStore.open(path);
}

/** A second, independent view of the media: what a node would find after a crash right now. */
function afterCrash(kind: Kind, path: string): VolumeMetadata {
  return VolumeMetadata.open(storeOf(kind, path));
}

/** What is on media right now, without recovering (the live instance keeps using the media). */
function peek(kind: Kind, path: string): VolumeMetadata {
  return VolumeMetadata.open(storeOf(kind, path), { readOnly: true });
}

function counter(): (primary: boolean) => bigint {
  let n = 0n;
  return (primary) => ((++n) << 8n) | (primary ? 1n : 0n);
}

for (const kind of KINDS) {
  const base = kind === 'pmem' ? '/dev/shm' : '/var/tmp';

  t.test(`${kind}: create, reopen, and every superblock field, flag and generation round-trips`, async (t) => {
    const path = join(tempDir(t, base), 'md');
    const md = VolumeMetadata.create(`${kind}:${path}`, { volumeSize: GiB, maxPeers: 2, nodeId: 1 });
    t.equal(md.superblock.alFormat, kind);
    t.equal(md.peerSlot(0), 0);
    t.equal(md.peerSlot(2), 1);
    t.throws(() => md.peerSlot(3), { code: 'TANDEM_E_META_SPACE' });
    md.setDeviceFlags(['CONSISTENT', 'WAS_UP_TO_DATE', 'PRIMARY_IND']);
    md.setPeerFlags(2, ['PEER_OUTDATED', 'PEER_FENCING']);
    const gen = md.newCurrentGeneration({ primary: true });
    md.setOutOfSync(0, 5 * 4096, 3 * 4096 + 1); // 4 bits: the partial last block counts
    md.close();

    const again = VolumeMetadata.open(`${kind}:${path}`);
    const sb = again.superblock;
    t.equal(sb.nodeId, 1);
    t.equal(sb.volumeSize, GiB);
    t.equal(sb.currentGeneration, gen);
    t.equal(sb.currentGeneration & 1n, 1n, 'primary bit');
    t.ok(again.hasDeviceFlag('CONSISTENT') && again.hasDeviceFlag('WAS_UP_TO_DATE') && again.hasDeviceFlag('PRIMARY_IND'));
    t.notOk(again.hasDeviceFlag('AL_CLEAN'), 'AL in use while open');
    t.equal(sb.peers[1].flags, PEER_FLAGS.NODE_EXISTS | PEER_FLAGS.PEER_OUTDATED | PEER_FLAGS.PEER_FENCING);
    t.equal(again.outOfSyncBytes(0), 4 * 4096);
    t.ok(again.isOutOfSync(0, 8 * 4096) && !again.isOutOfSync(0, 9 * 4096) && !again.isOutOfSync(0, 4 * 4096));
    t.equal(again.outOfSyncBytes(2), 0);
    t.same(again.bitmap.runs(0), [[5, 9]]);
    again.close();
  });

  t.test(`${kind}: md create refuses to overwrite valid metadata without force`, async (t) => {
    const path = join(tempDir(t, base), 'md');
    VolumeMetadata.create(`${kind}:${path}`, { volumeSize: GiB, maxPeers: 1, nodeId: 0 }).close();
    t.throws(() => VolumeMetadata.create(`${kind}:${path}`, { volumeSize: GiB, maxPeers: 1, nodeId: 0 }), { code: 'TANDEM_E_STATE', message: /already holds valid Tandem metadata/ });
    const md = VolumeMetadata.create(`${kind}:${path}`, { volumeSize: 2 * GiB, maxPeers: 2, nodeId: 0, force: true });
    t.equal(md.superblock.volumeSize, 2 * GiB);
    md.close();
  });

  t.test(`${kind}: invariant M1 — an extent is durable in the AL before activate reports it, and replayed after a crash`, async (t) => {
    const path = join(tempDir(t, base), 'md');
    const md = VolumeMetadata.create(`${kind}:${path}`, { volumeSize: GiB, maxPeers: 2, nodeId: 0 });
    md.peerSlot(1);
    md.peerSlot(2);
    md.setPeerInSync(1, true);
    const result = md.activate(3);
    if (kind === 'block') {
      t.type(result, Promise, 'a miss on block waits for its transaction');
      t.same(peek(kind, path).recovery.extents, [], 'nothing on media before the transaction');
      await result;
    } else {
      t.equal(result, true, 'pmem records a miss inline');
    }
    t.equal(md.activate(3), true, 'hot extent: synchronous fast path, no Promise');
    const crashed = afterCrash(kind, path);
    t.ok(crashed.recovery.crashed);
    t.same(crashed.recovery.extents, [3]);
    // Every AL extent is out of sync with every peer, even one that was in sync (invariant M1).
    t.equal(crashed.outOfSyncBytes(1), EXTENT);
    t.equal(crashed.outOfSyncBytes(2), EXTENT);
    t.same(crashed.hotExtents(), [], 'AL re-initialised after replay');
    crashed.close();
    const clean = VolumeMetadata.open(`${kind}:${path}`);
    t.notOk(clean.recovery.crashed, 'clean close: no replay next time');
    clean.close();
  });

  t.test(`${kind}: invariant M2 — an evicted extent's bits are set first, for peers not known in sync; pinned extents stay`, async (t) => {
    const path = join(tempDir(t, base), 'md');
    const md = VolumeMetadata.create(`${kind}:${path}`, { volumeSize: GiB, maxPeers: 2, nodeId: 0, alExtents: MIN_AL_EXTENTS });
    md.peerSlot(1);
    md.peerSlot(2);
    md.setPeerInSync(1, true);
    for (let e = 0; e < MIN_AL_EXTENTS; e++) {
      await md.activate(e);
      md.complete(e);
    }
    t.equal(md.outOfSyncBytes(2), 0);
    await md.activate(100); // evicts extent 0, the least recently used idle one
    t.same(md.hotExtents().sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 100]);
    t.equal(md.outOfSyncBytes(2), EXTENT, 'bits of extent 0 set for the peer not in sync');
    t.ok(md.isOutOfSync(2, 0) && md.isOutOfSync(2, EXTENT - 1) && !md.isOutOfSync(2, EXTENT));
    t.equal(md.outOfSyncBytes(1), 0, 'not for the peer known in sync');
    t.equal(peek(kind, path).outOfSyncBytes(2), EXTENT, 'and persisted');

    // Pin every slot: the next miss waits until a write completes.
    for (const e of [1, 2, 3, 4, 5, 6]) await md.activate(e);
    let done = false;
    const waiting = md.activate(200);
    t.type(waiting, Promise);
    void (waiting as Promise<void>).then(() => { done = true; });
    await new Promise((r) => setTimeout(r, 20));
    t.notOk(done, 'no idle extent to evict');
    md.complete(4);
    await waiting;
    t.ok(md.hotExtents().includes(200) && !md.hotExtents().includes(4));
    t.ok(md.isOutOfSync(2, 4 * EXTENT), 'evicted extent 4 marked first');
    t.throws(() => md.close(), { code: 'TANDEM_E_STATE', message: /writes in flight/ });
    for (const e of [1, 2, 3, 5, 6, 100, 200]) md.complete(e);
    md.close();
  });

  t.test(`${kind}: bits are cleared only by an explicit in-sync call, per peer and byte range`, async (t) => {
    const path = join(tempDir(t, base), 'md');
    const md = VolumeMetadata.create(`${kind}:${path}`, { volumeSize: GiB, maxPeers: 2, nodeId: 0 });
    md.setOutOfSync(1, 0, GiB);
    md.setOutOfSync(2, 10 * MiB, MiB);
    t.equal(md.outOfSyncBytes(1), GiB);
    md.setInSync(1, 4096, 3 * 4096);
    t.equal(md.outOfSyncBytes(1), GiB - 3 * 4096);
    t.equal(md.bitmap.countRange(0, 0, 10), 7);
    t.equal(md.outOfSyncBytes(2), MiB, 'other slot untouched by the interleaving');
    md.close();
    const again = VolumeMetadata.open(`${kind}:${path}`);
    t.equal(again.outOfSyncBytes(1), GiB - 3 * 4096, 'count recomputed from media');
    t.equal(again.outOfSyncBytes(2), MiB);
    again.close();
  });

  t.test(`${kind}: invariant M3 — a new current generation is durable before it is returned`, async (t) => {
    const path = join(tempDir(t, base), 'md');
    const md = VolumeMetadata.create(`${kind}:${path}`, { volumeSize: GiB, maxPeers: 2, nodeId: 0 });
    md.peerSlot(1);
    md.peerSlot(2);
    md.setPeerFlags(1, ['PEER_CONNECTED']);
    const g1 = md.newCurrentGeneration({ primary: false });
    t.equal(g1 & 1n, 0n);
    const g2 = md.newCurrentGeneration({ primary: true });
    const seen = peek(kind, path).superblock;
    t.equal(seen.currentGeneration, g2);
    t.equal(seen.history[0], g1, 'old current moved to history');
    t.equal(seen.peers[1].bitmapGeneration, g1, 'absent peer 2 records the generation its bitmap starts from');
    t.equal(seen.peers[0].bitmapGeneration, 0n, 'connected peer 1 needs no bitmap generation');
    md.retireBitmapGeneration(2);
    t.equal(md.superblock.peers[1].bitmapGeneration, 0n);
    t.equal(md.superblock.history[0], g1);
    for (let i = 0; i < 40; i++) md.newCurrentGeneration({ primary: true });
    t.equal(md.superblock.history.length, 32, 'history bounded at 32');
    md.close();
  });

  t.test(`${kind}: the claim that nothing was acknowledged is written with its generation and cleared durably`, async (t) => {
    const path = join(tempDir(t, base), 'md');
    const md = VolumeMetadata.create(`${kind}:${path}`, { volumeSize: GiB, maxPeers: 2, nodeId: 0 });
    const g1 = md.newCurrentGeneration({ primary: true });
    t.equal(peek(kind, path).superblock.unacknowledgedSince, 0n, 'a new volume claims nothing');
    md.followGeneration(0x2001n, g1);
    t.equal(peek(kind, path).superblock.unacknowledgedSince, g1, 'on media with the generation');
    md.followGeneration(0x3001n, md.unacknowledgedSince);
    t.equal(afterCrash(kind, path).superblock.unacknowledgedSince, g1, 'a claim running over two generations keeps naming the first one left');
    md.clearUnacknowledged();
    t.equal(peek(kind, path).superblock.unacknowledgedSince, 0n, 'cleared on media when it returns');
    md.followGeneration(0x4001n, g1);
    md.followGeneration(0x5000n);
    t.equal(peek(kind, path).superblock.unacknowledgedSince, 0n, 'a generation followed from another node claims nothing');
    md.followGeneration(0x6001n, 0x5000n);
    md.adoptGeneration(0x7000n, [0x6001n]);
    t.equal(md.unacknowledgedSince, 0n, 'nor one adopted after a resync from a source without a claim');
    md.adoptGeneration(0x7101n, [0x7001n, 0x7000n], 0x7000n);
    t.equal(afterCrash(kind, path).superblock.unacknowledgedSince, 0x7000n, 'one adopted from a source with a claim takes the claim, on media with the generation (seed 1621432225)');
    md.followGeneration(0x7200n);
    t.equal(md.unacknowledgedSince, 0n, 'which ends with the next generation followed');
    md.followGeneration(0x8001n, 0x7000n);
    md.newCurrentGeneration({ primary: true });
    t.equal(md.unacknowledgedSince, 0n, 'nor one made without a claim');
    md.close();
    t.equal(VolumeMetadata.open(`${kind}:${path}`).superblock.unacknowledgedSince, 0n);
  });
}

t.test('pmem: a placement opened with the other kind than it was created for is refused', async (t) => {
  const path = join(tempDir(t), 'md');
  VolumeMetadata.create(`pmem:${path}`, { volumeSize: GiB, maxPeers: 1, nodeId: 0 }).close();
  t.throws(() => VolumeMetadata.open(`block:${path}`), { code: 'TANDEM_E_META', message: /created for pmem: placement, opened as block:/ });
});

t.test('corrupt metadata is refused on open with the reason', async (t) => {
  const path = join(tempDir(t), 'md');
  VolumeMetadata.create(`pmem:${path}`, { volumeSize: GiB, maxPeers: 1, nodeId: 0 }).close();
  const s = PmemStore.open(path);
  s.write(50, new Uint8Array([9, 9, 9]));
  s.write(4096 + 50, new Uint8Array([9, 9, 9]));
  s.persist(0, 8192);
  t.throws(() => VolumeMetadata.open(`pmem:${path}`), { code: 'TANDEM_E_META', message: /both superblock copies are bad/ });
  t.throws(() => VolumeMetadata.open(`pmem:${path}.missing`), { code: 'TANDEM_E_NOT_FOUND' });
  t.throws(() => VolumeMetadata.open(`nvme:${path}`), { code: 'TANDEM_E_USAGE', message: /invalid metadata placement/ });
});

t.test('both placements give the same bitmap, generations and hot set for the same operations', async (t) => {
  // 8 GiB = 2048 extents against the default 1237-extent AL: the block ring wraps many times
  // and its context window must rebuild the full hot set.
  const volumeSize = 8 * GiB;
  const results = [];
  for (const kind of KINDS) {
    const dir = tempDir(t); // logic, not media speed: tmpfs for both
    const path = join(dir, 'md');
    const rnd = prng(7);
    const md = VolumeMetadata.create(`${kind}:${path}`, { volumeSize, maxPeers: 2, nodeId: 0, newGenerationId: counter() });
    md.peerSlot(1);
    md.peerSlot(2);
    md.setPeerInSync(1, true);
    for (let i = 0; i < 3000; i++) {
      const batch = Array.from({ length: 1 + Math.floor(rnd() * 8) }, () => Math.floor(rnd() * 2048));
      await Promise.all(batch.map((e) => md.activate(e)));
      batch.forEach((e) => md.complete(e));
      if (rnd() < 0.01) md.newCurrentGeneration({ primary: true });
      if (rnd() < 0.02) md.setInSync(2, Math.floor(rnd() * 2048) * EXTENT, EXTENT);
    }
    const hotBeforeCrash = md.hotExtents().sort((a, b) => a - b);
    t.same(peek(kind, path).recovery.extents.sort((a, b) => a - b), hotBeforeCrash, `${kind}: the AL on media is the hot set`);
    const sb = readSuperblock(storeOf(kind, path), path).sb;
    const bitmap = storeOf(kind, path).read(BITMAP_OFFSET, sb.bmLength);
    results.push({ kind, hotBeforeCrash, generation: sb.currentGeneration, history: sb.history, peers: sb.peers, bitmap: Buffer.from(bitmap).toString('base64') });
    md.close();
    // Clean close then reopen keeps the hot set.
    const clean = VolumeMetadata.create(`${kind}:${path}.2`, { volumeSize, maxPeers: 2, nodeId: 0 });
    for (const e of [5, 9, 700]) { await clean.activate(e); clean.complete(e); }
    clean.close();
    const reopened = VolumeMetadata.open(`${kind}:${path}.2`);
    t.same(reopened.hotExtents().sort((a, b) => a - b), [5, 9, 700], `${kind}: hot set kept across a clean restart`);
    t.ok(reopened.superblock.deviceFlags & DEVICE_FLAGS.AL_CLEAN ? false : true);
    reopened.close();
  }
  const [p, b] = results;
  t.same(b.hotBeforeCrash, p.hotBeforeCrash, 'same hot set');
  t.equal(b.generation, p.generation, 'same current generation');
  t.same(b.history, p.history, 'same history');
  t.same(b.peers, p.peers, 'same peer slots');
  t.ok(b.bitmap === p.bitmap, 'same bitmap bytes');
});
