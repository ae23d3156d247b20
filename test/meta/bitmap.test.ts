import t, { type Test } from 'tap';
import { join } from 'node:path';
import { Bitmap, popcount } from '../../src/meta/bitmap.js';
import { PmemStore } from '../../src/meta/pmem.js';
import { geometry } from '../../src/meta/layout.js';
import { MiB, tempDir } from './fixtures/helpers.js';

function bitmapOn(t: Test, volume: number, peers: number) {
  const g = geometry(volume, peers);
  const store = PmemStore.open(join(tempDir(t), 'bm'), g.areaLength);
  return { g, store, bitmap: new Bitmap(store, g) };
}

t.test('popcount', async (t) => {
  t.same([0, 1, 0xff, 0xffffffff, 0x80000001].map(popcount), [0, 1, 8, 32, 2]);
});

t.test('slots interleave in 32-bit words (DRBD layout): bit b of slot s is in word (b >> 5) * peers + s', async (t) => {
  const { g, store, bitmap } = bitmapOn(t, 64 * MiB, 3);
  bitmap.set([1], 33, 34); // bit 33 of slot 1: word 1*3+1 = 4, bit 1
  const words = new Uint32Array(store.read(g.bmOffset, 64).buffer);
  t.equal(words[4], 2);
  t.equal(words.reduce((a, w) => a + popcount(w), 0), 1);
  t.ok(bitmap.test(1, 33) && !bitmap.test(0, 33) && !bitmap.test(2, 33));
});

t.test('ranges across word and chunk boundaries: set, clear, count, runs', async (t) => {
  const { bitmap } = bitmapOn(t, 4096 * MiB, 2); // 1 Mi bits per slot: several chunks
  bitmap.set([0, 1], 5, 700_000);
  t.equal(bitmap.count(0), 700_000 - 5);
  t.equal(bitmap.countRange(1, 0, 1 << 20), 700_000 - 5);
  bitmap.clear([1], 31, 65);
  t.equal(bitmap.count(1), 700_000 - 5 - 34);
  t.same(bitmap.runs(1), [[5, 31], [65, 700_000]]);
  t.same(bitmap.runs(0), [[5, 700_000]]);
  t.equal(bitmap.countRange(1, 0, 64), 26);
  t.same(bitmap.bitsOf(4095, 2), [0, 2], 'a byte range covers every 4 KiB block it touches');
});
