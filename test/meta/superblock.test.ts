import t, { type Test } from 'tap';
import { join } from 'node:path';
import { PmemStore } from '../../src/meta/pmem.js';
import { BlockStore } from '../../src/meta/block.js';
import { decodeSuperblock, encodeSuperblock, readSuperblock, writeSuperblock, type Superblock } from '../../src/meta/superblock.js';
import { BLOCK, DEVICE_FLAGS, HISTORY_LENGTH, NO_NODE, PEER_FLAGS, geometry, metadataSize } from '../../src/meta/layout.js';
import { crc32c } from '../../src/meta/crc32c.js';
import type { MetaStore } from '../../src/meta/store.js';
import { GiB, MiB, tempDir } from './fixtures/helpers.js';

function sample(seq = 5): Superblock {
  const g = geometry(GiB, 2, 61);
  return {
    seq, volumeSize: g.volumeSize, areaLength: g.areaLength, nodeId: 3, maxPeers: 2,
    deviceFlags: DEVICE_FLAGS.CONSISTENT | DEVICE_FLAGS.WAS_UP_TO_DATE, bytesPerBit: 4096, alExtentShift: 22, alExtents: 61,
    alEpoch: 9, alFormat: 'pmem', alOffset: g.alOffset, alLength: g.alLength, bmOffset: g.bmOffset, bmLength: g.bmLength,
    bmCrcOffset: g.bmCrcOffset, bmCrcLength: g.bmCrcLength,
    currentGeneration: 0xdeadbeefcafef00dn, deviceUuid: 0x0123456789abcdefn, unacknowledgedSince: 0x0badc0ffee000001n,
    peers: [
      { nodeId: 1, flags: PEER_FLAGS.PEER_CONNECTED | PEER_FLAGS.NODE_EXISTS, bitmapGeneration: 0x1111n, bitmapIndex: 0 },
      { nodeId: NO_NODE, flags: 0, bitmapGeneration: 0n, bitmapIndex: NO_NODE },
    ],
    history: Array.from({ length: HISTORY_LENGTH }, (_, i) => BigInt(i * 3)),
    bootId: null,
  };
}

function store(t: Test, kind: 'pmem' | 'block'): MetaStore {
  const path = join(tempDir(t), 'md');
  const s = kind === 'pmem' ? PmemStore.open(path, geometry(GiB, 2, 61).areaLength) : BlockStore.open(path, geometry(GiB, 2, 61).areaLength);
  t.teardown(() => s.close());
  return s;
}

t.test('encode/decode round trip keeps every field', async (t) => {
  const sb = sample();
  t.same(decodeSuperblock(encodeSuperblock(sb), sb.seq), sb);
});

for (const kind of ['pmem', 'block'] as const) {
  t.test(`${kind}: copies alternate and the higher sequence wins`, async (t) => {
    const s = store(t, kind);
    let copy = writeSuperblock(s, sample(1), undefined);
    t.equal(copy, 0);
    copy = writeSuperblock(s, { ...sample(2), nodeId: 4 }, copy);
    t.equal(copy, 1);
    const read = readSuperblock(s, 'md');
    t.equal(read.sb.seq, 2);
    t.equal(read.sb.nodeId, 4);
    t.same(read.copies.map((c) => c.status), ['valid', 'valid']);
  });

  t.test(`${kind}: a torn update of one copy leaves the previous copy in use (invariant M4)`, async (t) => {
    const s = store(t, kind);
    const copy = writeSuperblock(s, sample(1), undefined);
    writeSuperblock(s, { ...sample(2), nodeId: 7 }, copy);
    // Tear copy 1: half its bytes are garbage, as after a crash mid-write.
    s.write(BLOCK + 100, new Uint8Array(2000).fill(0x5a));
    const read = readSuperblock(s, 'md');
    t.equal(read.sb.seq, 1);
    t.equal(read.sb.nodeId, 3);
    t.same(read.copies.map((c) => c.status), ['valid', 'bad-crc']);
  });
}

t.test('corrupt or foreign superblocks are refused with an error naming the problem', async (t) => {
  const s = store(t, 'pmem');
  t.throws(() => readSuperblock(s, 'md'), { code: 'TANDEM_E_META', message: /no metadata \(the superblock area is all zeros\)/ });

  s.write(0, new Uint8Array(2 * BLOCK).fill(0x41));
  t.throws(() => readSuperblock(s, 'md'), { code: 'TANDEM_E_META', message: /not Tandem metadata \(bad magic/ });

  let copy = writeSuperblock(s, sample(1), undefined);
  copy = writeSuperblock(s, sample(2), copy);
  s.write(200, new Uint8Array([1, 2, 3]));
  s.write(BLOCK + 200, new Uint8Array([1, 2, 3]));
  t.throws(() => readSuperblock(s, 'md'), { code: 'TANDEM_E_META', message: /both superblock copies are bad \(copy 0: bad-crc, copy 1: bad-crc\)/ });

  // A newer format version (with a correct CRC) is refused as too new, not as corrupt.
  const bytes = encodeSuperblock(sample(3));
  const v = new DataView(bytes.buffer);
  v.setUint32(8, 3, true);
  v.setBigUint64(16, 3n, true);
  v.setUint32(12, 0, true);
  v.setUint32(12, crc32c(bytes), true);
  s.write(0, bytes);
  s.write(BLOCK, bytes);
  t.throws(() => readSuperblock(s, 'md'), { code: 'TANDEM_E_META', message: /format version 3 is newer than this tandem understands \(2\)/ });

  // Format 1 (no bitmap or AL checksums) is refused with the way out, not read as corrupt.
  v.setUint32(8, 1, true);
  v.setUint32(12, 0, true);
  v.setUint32(12, crc32c(bytes), true);
  s.write(0, bytes);
  s.write(BLOCK, bytes);
  t.throws(() => readSuperblock(s, 'md'), {
    code: 'TANDEM_E_META',
    message: /format version 1 is older than this tandem reads \(2\.\.2\): it has no checksums over the bitmap and the activity log/,
    hint: /no in-place upgrade: .*tandem md create <resource> --force.*full sync from an UpToDate peer.*tandem primary <resource> --force/,
    details: { formatVersion: 1, supported: [2, 2] },
  });
});

t.test('a superblock whose geometry does not fit the placement is refused', async (t) => {
  const s = store(t, 'block');
  writeSuperblock(s, { ...sample(1), volumeSize: 4 * GiB, areaLength: geometry(4 * GiB, 2, 61).areaLength, bmLength: geometry(4 * GiB, 2, 61).bmLength }, undefined);
  t.throws(() => readSuperblock(s, 'md'), { code: 'TANDEM_E_META', message: /area needs \d+ bytes but the placement has/ });
});

t.test('size formula: 1 TiB with 2 peers fits in 64.1 MiB (M5, docs/ARCHITECTURE.md §3)', async (t) => {
  const size = metadataSize(1024 * GiB, 2);
  // superblocks, AL, bitmap, and one 4-byte checksum per 8 KiB of bitmap
  t.equal(size, 2 * 4096 + 32 * 1024 + (2 ** 28 / 8) * 2 + ((2 ** 28 / 8) * 2 / 8192) * 4);
  t.ok(size <= 64.1 * MiB);
  t.equal(metadataSize(1024 * GiB, 1), 8192 + 32768 + 2 ** 25 + 2 ** 14);
  t.equal(geometry(GiB, 1).bmCrcLength, 4096, 'the checksum table is whole 4 KiB blocks');
  // bits per slot round up to 64, bitmap to 4 KiB
  t.equal(geometry(4096 * 65, 3).bitsPerSlot, 128);
  t.equal(geometry(4096 * 65, 3).bmLength, 4096);
});
