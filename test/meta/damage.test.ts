// Damaged metadata on open, both placements: flipped bytes in the bitmap and the activity log are
// found by their checksums and read in the safe direction (more out of sync, never less), and a
// write-back torn between a bitmap page and its checksum reads the same way.
import t from 'tap';
import { join } from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import { VolumeMetadata, damageLogFields, isDamaged } from '../../src/meta/volume-metadata.js';
import { PmemStore } from '../../src/meta/pmem.js';
import { BlockStore } from '../../src/meta/block.js';
import { check } from '../../src/meta/inspect.js';
import { AL_EXTENT_BYTES, AL_OFFSET, BITMAP_PAGE, BLOCK, MIN_AL_EXTENTS } from '../../src/meta/layout.js';
import type { MetaStore } from '../../src/meta/store.js';
import { CrashStore } from './fixtures/crash-store.js';
import { slotCheck } from '../../src/meta/activity-log.js';
import { GiB, MiB, tempDir } from './fixtures/helpers.js';

const KINDS = ['pmem', 'block'] as const;
type Kind = (typeof KINDS)[number];
const EXTENT = AL_EXTENT_BYTES;

function storeOf(kind: Kind, path: string): MetaStore {
  return kind === 'pmem' ? PmemStore.open(path) : BlockStore.open(path);
}

function flipByte(path: string, offset: number, xor = 0x01): void {
  const bytes = readFileSync(path);
  bytes[offset] ^= xor;
  writeFileSync(path, bytes);
}

for (const kind of KINDS) {
  const base = kind === 'pmem' ? '/dev/shm' : '/var/tmp';

  t.test(`${kind}: a cleared bit in a bitmap page is found; open sets the whole page for every peer, repairs it, and says so`, async (t) => {
    const path = join(tempDir(t, base), 'md');
    // 1 GiB, 2 slots: 64 KiB of bitmap, 8 pages of 8 KiB; page p holds volume bytes [p × 128 MiB, (p+1) × 128 MiB)
    const md = VolumeMetadata.create(`${kind}:${path}`, { volumeSize: GiB, maxPeers: 2, nodeId: 0 });
    md.setOutOfSync(1, 130 * MiB, 4096); // page 1
    md.setOutOfSync(2, 600 * MiB, MiB); // page 4
    md.close();
    const g = md.geometry;
    // slot 0's bit for 130 MiB: logical bit 33280, word 1040, interleaved word 2080 = byte 8320, bit 0
    flipByte(path, g.bmOffset + 8320, 0x01);
    t.throws(() => check(`${kind}:${path}`), { code: 'TANDEM_E_META', message: /bitmap page 1: fails its checksum: it holds the bits of volume bytes 134217728-268435456/ });
    const peek = VolumeMetadata.open(storeOf(kind, path), { readOnly: true });
    t.equal(peek.outOfSyncBytes(1), 0, 'as on media: the bit is gone (what the old format would have used)');
    t.match(peek.recovery.damage.bitmapPages, [{ page: 1, volumeOffset: 128 * MiB, volumeLength: 128 * MiB }]);
    peek.close();

    const opened = VolumeMetadata.open(`${kind}:${path}`);
    t.ok(isDamaged(opened.recovery.damage));
    t.match(opened.recovery.damage.bitmapPages, [{ page: 1, volumeOffset: 128 * MiB, volumeLength: 128 * MiB }]);
    t.equal(opened.outOfSyncBytes(1), 128 * MiB, 'peer 1: the whole page, which includes the lost bit');
    t.equal(opened.outOfSyncBytes(2), 128 * MiB + MiB, 'peer 2: the whole page as well, its other bits untouched');
    t.ok(opened.isOutOfSync(1, 130 * MiB) && opened.isOutOfSync(2, 600 * MiB) && !opened.isOutOfSync(1, 600 * MiB));
    t.same(damageLogFields(opened.recovery.damage), { bitmapPages: 1, ranges: `${128 * MiB}+${128 * MiB}`, activityLog: [] }, 'what the daemon logs');
    opened.close();
    t.same(check(`${kind}:${path}`).warnings, [], 'repaired: md check is clean');
    const again = VolumeMetadata.open(`${kind}:${path}`);
    t.same(again.recovery.damage.bitmapPages, [], 'found once');
    t.equal(again.outOfSyncBytes(1), 128 * MiB);
    again.close();
  });

  t.test(`${kind}: a damaged checksum entry reads the same as a damaged page`, async (t) => {
    const path = join(tempDir(t, base), 'md');
    const md = VolumeMetadata.create(`${kind}:${path}`, { volumeSize: GiB, maxPeers: 1, nodeId: 0 });
    md.close();
    flipByte(path, md.geometry.bmCrcOffset + 4 * 3 + 2, 0x80); // page 3 of 4 (1 slot: 32 KiB of bitmap)
    const opened = VolumeMetadata.open(`${kind}:${path}`);
    t.match(opened.recovery.damage.bitmapPages, [{ page: 3, volumeOffset: 768 * MiB, volumeLength: 256 * MiB }]);
    t.equal(opened.bitmap.count(0), 256 * MiB / 4096);
    opened.close();
  });

  t.test(`${kind}: the last bitmap page is repaired without bits beyond the end of the volume`, async (t) => {
    const path = join(tempDir(t, base), 'md');
    const volumeSize = GiB + 4096; // 262145 blocks, slot padded to 262208 bits
    const md = VolumeMetadata.create(`${kind}:${path}`, { volumeSize, maxPeers: 1, nodeId: 0 });
    md.close();
    const g = md.geometry;
    flipByte(path, g.bmOffset + g.bmLength - 1);
    const opened = VolumeMetadata.open(`${kind}:${path}`);
    t.equal(opened.recovery.damage.bitmapPages.length, 1);
    opened.close();
    t.same(check(`${kind}:${path}`).warnings, [], 'no bits beyond the volume, valid checksums');
    t.equal(VolumeMetadata.open(storeOf(kind, path), { readOnly: true }).bitmap.countRange(0, 262145, g.bitsPerSlot), 0);
  });

  t.test(`${kind}: a damaged activity log after a crash marks the whole volume for every peer; after a clean close it only restarts the AL`, async (t) => {
    const path = join(tempDir(t, base), 'md');
    const md = VolumeMetadata.create(`${kind}:${path}`, { volumeSize: GiB, maxPeers: 2, nodeId: 0 });
    md.peerSlot(1);
    md.peerSlot(2);
    md.close();
    const hot = VolumeMetadata.open(`${kind}:${path}`);
    for (const e of [4, 9, 200 / 4]) { await hot.activate(e); hot.complete(e); }
    // the pmem slot of extent 9 (slot 1), or the ring transaction that recorded it (block 1): what was hot is now unknown
    flipByte(path, kind === 'pmem' ? AL_OFFSET + 8 + 2 : AL_OFFSET + BLOCK + 100);
    const crashed = VolumeMetadata.open(`${kind}:${path}`); // the live instance was never closed: a crash
    t.ok(crashed.recovery.crashed);
    t.ok(crashed.recovery.damage.hotSetLost, 'the hot set cannot be rebuilt');
    t.match(damageLogFields(crashed.recovery.damage), { ranges: 'the whole volume', activityLog: [/fail their check|missing or damaged/] });
    t.match(crashed.recovery.damage.activityLog, [{ incomplete: true }]);
    t.equal(crashed.outOfSyncBytes(1), GiB, 'every block, every peer: extent 9 may have been written');
    t.equal(crashed.outOfSyncBytes(2), GiB);
    t.same(crashed.hotExtents(), [], 'a new AL epoch');
    await crashed.activate(1);
    crashed.complete(1);
    crashed.close();
    t.same(check(`${kind}:${path}`).warnings, [], 'the new epoch is clean on media');

    // Clean close, then damage: nothing needs replaying, so nothing is marked; the AL restarts.
    const clean = VolumeMetadata.create(`${kind}:${path}.2`, { volumeSize: GiB, maxPeers: 2, nodeId: 0 });
    for (const e of [4, 9, 50]) { await clean.activate(e); clean.complete(e); }
    clean.close();
    flipByte(`${path}.2`, kind === 'pmem' ? AL_OFFSET + 8 + 2 : AL_OFFSET + BLOCK + 100);
    const reopened = VolumeMetadata.open(`${kind}:${path}.2`);
    t.notOk(reopened.recovery.crashed);
    t.notOk(reopened.recovery.damage.hotSetLost);
    t.equal(reopened.recovery.damage.activityLog.length, 1, 'reported');
    t.equal(reopened.outOfSyncBytes(1), 0, 'nothing to replay');
    t.same(reopened.hotExtents(), [], 'the AL starts a new epoch: the damaged content is never used');
    reopened.close();
  });

  t.test(`${kind}: bits held for a write in flight are in memory only, seen by every read, cleared by setInSync, written when the extent leaves the AL`, async (t) => {
    const path = join(tempDir(t, base), 'md');
    const md = VolumeMetadata.create(`${kind}:${path}`, { volumeSize: GiB, maxPeers: 2, nodeId: 0, alExtents: MIN_AL_EXTENTS });
    md.setPeerInSync(1, true);
    md.setPeerInSync(2, true);
    await md.activate(0);
    md.setOutOfSync(1, 8192, 3 * 4096, { coveredByAl: true });
    md.setOutOfSync(2, 8192, 4096, { coveredByAl: true });
    const onMedia = () => {
      const peek = VolumeMetadata.open(storeOf(kind, path), { readOnly: true });
      const bytes = [peek.outOfSyncBytes(1), peek.outOfSyncBytes(2)];
      t.same(peek.recovery.damage.bitmapPages, [], 'never a page without its checksum');
      peek.close();
      return bytes;
    };
    t.same(onMedia(), [0, 0], 'nothing written while the extent is hot');
    t.equal(md.outOfSyncBytes(1), 3 * 4096);
    t.ok(md.isOutOfSync(1, 8192 + 2 * 4096) && !md.isOutOfSync(1, 8192 + 3 * 4096));
    t.same(md.bitmap.runs(0), [[2, 5]]);
    t.equal(md.bitmap.countRange(1, 0, 1024), 1);
    md.setInSync(1, 8192, 4096); // a durable clear reaches held bits too
    t.same(md.bitmap.runs(0), [[3, 5]]);
    md.setOutOfSync(1, 100 * 4096, 4096); // a durable set in the same extent
    t.same(onMedia(), [4096, 0], 'the durable set is on media, the held bits are not');
    md.complete(0);
    for (let e = 1; e <= MIN_AL_EXTENTS; e++) { await md.activate(e); md.complete(e); }
    t.notOk(md.hotExtents().includes(0), 'extent 0 left the AL');
    t.same(onMedia(), [3 * 4096, 4096], 'written with their checksums on eviction');
    md.close();
  });

  t.test(`${kind}: a write-back torn between a bitmap page and its checksum reads as the whole page set`, async (t) => {
    for (const keep of ['page', 'checksum'] as const) {
      const path = join(tempDir(t, base), `md-${keep}`);
      const created = VolumeMetadata.create(`${kind}:${path}`, { volumeSize: GiB, maxPeers: 2, nodeId: 0, alExtents: MIN_AL_EXTENTS });
      created.peerSlot(1);
      created.close();
      const g = created.geometry;
      const inner = storeOf(kind, path);
      const crcAt = g.bmCrcOffset; // extent 0's bits are in page 0
      const store = new CrashStore(inner, () => 0.99); // the crash image keeps persisted words only
      const md = VolumeMetadata.open(store);
      md.setPeerInSync(1, true);
      await md.activate(0);
      md.setOutOfSync(1, 0, 4096, { coveredByAl: true });
      md.complete(0);
      // The eviction's write-back writes the page and its checksum; one of the two never reaches media.
      const write = store.write.bind(store);
      let dropped = false;
      store.write = (offset: number, data: Uint8Array) => {
        const inPage = offset >= g.bmOffset && offset < g.bmOffset + BITMAP_PAGE;
        const inCrc = offset === crcAt;
        if ((keep === 'page' && inCrc) || (keep === 'checksum' && inPage)) { dropped = true; return; } // never reaches media
        write(offset, data);
      };
      for (let e = 1; e <= MIN_AL_EXTENTS; e++) { await md.activate(e); md.complete(e); }
      t.ok(dropped, `${keep}: the other half of the write-back was dropped`);
      writeFileSync(path, store.crashImage());
      inner.close();
      const recovered = VolumeMetadata.open(`${kind}:${path}`);
      t.match(recovered.recovery.damage.bitmapPages, [{ page: 0 }], `${keep} only: page 0 fails its checksum`);
      t.equal(recovered.outOfSyncBytes(1), 128 * MiB, `${keep} only: page 0 read as all set, which covers the bit`);
      recovered.close();
    }
  });
}

t.test('held bits across extents: a range over two pinned extents is held in both and written with both', async (t) => {
  const path = join(tempDir(t), 'md');
  const md = VolumeMetadata.create(`pmem:${path}`, { volumeSize: GiB, maxPeers: 3, nodeId: 0, alExtents: MIN_AL_EXTENTS });
  md.setPeerInSync(1, true);
  await md.activate(0);
  await md.activate(1);
  md.setOutOfSync(1, EXTENT - 8192, 16384, { coveredByAl: true });
  t.same(md.bitmap.heldExtents().sort(), [0, 1]);
  t.equal(md.outOfSyncBytes(1), 16384);
  md.complete(0);
  md.complete(1);
  md.close();
  const again = VolumeMetadata.open(`pmem:${path}`);
  t.same(again.bitmap.runs(again.peerSlot(1)), [[1022, 1026]]);
  t.same(again.recovery.damage.bitmapPages, []);
  again.close();
});

t.test('an AL entry naming an extent beyond the volume (with a valid check) after a crash: the hot set is not trusted', async (t) => {
  const path = join(tempDir(t), 'md');
  const md = VolumeMetadata.create(`pmem:${path}`, { volumeSize: GiB, maxPeers: 1, nodeId: 0 });
  md.close();
  const live = VolumeMetadata.open(`pmem:${path}`);
  await live.activate(3); // slot 0, then rewritten below as if it named extent 999999
  const store = PmemStore.open(path);
  const entry = store.read(AL_OFFSET, 8);
  new DataView(entry.buffer).setUint32(0, 999_999, true);
  entry.fill(0, 6);
  new DataView(entry.buffer).setUint16(6, slotCheck(entry, 0), true);
  store.write(AL_OFFSET, entry);
  store.persist(AL_OFFSET, 8);
  const crashed = VolumeMetadata.open(`pmem:${path}`);
  t.match(crashed.recovery.damage.activityLog, [{ incomplete: true, message: /extents 999999 are beyond the volume's 256 extents/ }]);
  t.equal(crashed.bitmap.count(0), GiB / 4096, 'the whole volume, extent 3 included');
  crashed.close();
});
