import t from 'tap';
import { join } from 'node:path';
import { BlockRing, decodeTransaction, encodeTransaction, PmemSlotTable, slotCheck } from '../../src/meta/activity-log.js';
import { BlockStore } from '../../src/meta/block.js';
import { PmemStore } from '../../src/meta/pmem.js';
import { AL_EXTENT_BYTES, AL_OFFSET, AL_RING_BLOCKS, BLOCK, CONTEXT_PER_TRANSACTION, FREE_EXTENT, MIN_AL_EXTENTS } from '../../src/meta/layout.js';
import { VolumeMetadata } from '../../src/meta/volume-metadata.js';
import { VolumeMeta } from '../../src/engine/metadata.js';
import { GiB, tempDir } from './fixtures/helpers.js';

t.test('a block transaction round-trips; a flipped bit or a foreign block is refused', async (t) => {
  const tx = { number: 2 ** 40 + 5, epoch: 7, updates: [{ slot: 3, extent: 99 }, { slot: 0, extent: FREE_EXTENT }], contextStart: 10, context: [1, 2, 3] };
  const bytes = encodeTransaction(tx);
  t.equal(bytes.length, BLOCK);
  t.same(decodeTransaction(bytes), tx);
  const flipped = bytes.slice();
  flipped[600] ^= 1;
  t.equal(decodeTransaction(flipped), 'bad');
  t.equal(decodeTransaction(new Uint8Array(BLOCK)), 'empty');
  t.equal(decodeTransaction(new Uint8Array(BLOCK).fill(3)), 'bad');
});

t.test('pmem slot table: one 8-byte entry per slot, tagged with the AL epoch and checked', async (t) => {
  const store = PmemStore.open(join(tempDir(t), 'al'), AL_OFFSET + 32 * 1024);
  const table = new PmemSlotTable(store, AL_OFFSET, 16, 4);
  table.format();
  table.record([{ slot: 2, extent: 77 }, { slot: 15, extent: 3 }]);
  const loaded = table.load();
  t.same(loaded.damage, []);
  t.equal(loaded.table[2], 77);
  t.equal(loaded.table[15], 3);
  t.equal(loaded.table.filter((e) => e !== FREE_EXTENT).length, 2);
  const entry = store.read(AL_OFFSET + 16, 8);
  t.same([...entry.subarray(0, 6)], [77, 0, 0, 0, 4, 0], 'u32 extent, u16 epoch tag, little-endian');
  const check = entry[6] | (entry[7] << 8);
  entry.fill(0, 6);
  t.equal(check, slotCheck(entry, 2), 'u16 check over the entry, seeded with the slot');
  t.equal(new PmemSlotTable(store, AL_OFFSET, 16, 5).load().table.filter((e) => e !== FREE_EXTENT).length, 0, 'another epoch: all free');
  t.equal(new PmemSlotTable(store, AL_OFFSET, 16, 4 + 65536).load().table[2], 77, 'the tag is the epoch\'s low 16 bits');
});

t.test('pmem slot check: every single-bit flip, every byte value, a zeroed slot and a slot copied elsewhere are damage', async (t) => {
  const store = PmemStore.open(join(tempDir(t), 'al'), AL_OFFSET + 32 * 1024);
  const table = new PmemSlotTable(store, AL_OFFSET, 8, 9);
  table.format();
  table.record([{ slot: 1, extent: 123456 }, { slot: 2, extent: 0 }]);
  const good = store.read(AL_OFFSET, 64);
  const damagedWith = (change: (bytes: Uint8Array) => void) => {
    const bytes = good.slice();
    change(bytes);
    store.write(AL_OFFSET, bytes);
    const { damage, table: loaded } = table.load();
    store.write(AL_OFFSET, good);
    return { damage, loaded };
  };
  let missed = 0;
  for (const slot of [0, 1, 2]) {
    for (let bit = 0; bit < 64; bit++) if (damagedWith((b) => { b[slot * 8 + (bit >> 3)] ^= 1 << (bit & 7); }).damage.length === 0) missed++;
    for (let byte = 0; byte < 8; byte++) {
      for (let value = 0; value < 256; value++) {
        if (value === good[slot * 8 + byte]) continue;
        if (damagedWith((b) => { b[slot * 8 + byte] = value; }).damage.length === 0) missed++;
      }
    }
  }
  t.equal(missed, 0, 'no single-bit flip and no single-byte change passes the check');
  const zeroed = damagedWith((b) => b.fill(0, 8, 16));
  t.match(zeroed.damage, [{ incomplete: true, message: /1 PMEM slots fail their check \(slot 1\)/ }]);
  t.equal(zeroed.loaded[1], FREE_EXTENT, 'a damaged slot is not used');
  t.equal(damagedWith((b) => b.copyWithin(24, 8, 16)).damage.length, 1, 'slot 1 copied over slot 3');
});

t.test('block ring: the context window rebuilds slots no retained transaction updates, across wraps and a torn block', async (t) => {
  const store = BlockStore.open(join(tempDir(t), 'al'), AL_OFFSET + 32 * 1024);
  const slots = 2000; // > CONTEXT_PER_TRANSACTION: the context needs 3 transactions to cover the table
  const ring = new BlockRing(store, AL_OFFSET, slots, 1);
  ring.load();
  const table = new Uint32Array(slots).fill(FREE_EXTENT);
  // Fill every slot early, then churn one slot many times so the early updates leave the ring.
  for (let s = 0; s < slots; s += 64) {
    const updates = Array.from({ length: Math.min(64, slots - s) }, (_, i) => ({ slot: s + i, extent: 5000 + s + i }));
    for (const u of updates) table[u.slot] = u.extent;
    ring.record(updates, table);
  }
  for (let i = 0; i < 3 * AL_RING_BLOCKS; i++) {
    table[0] = 9000 + i;
    ring.record([{ slot: 0, extent: table[0] }], table);
  }
  t.same([...new BlockRing(store, AL_OFFSET, slots, 1).load().table], [...table]);
  // Tear the newest transaction: the table is what it was one transaction earlier.
  const newest = new BlockRing(store, AL_OFFSET, slots, 1).transactions().current.at(-1)!;
  store.write(AL_OFFSET + (newest.number % AL_RING_BLOCKS) * BLOCK + 700, new Uint8Array([1, 2, 3]));
  const before = table.slice();
  before[0] = 9000 + 3 * AL_RING_BLOCKS - 2;
  t.same([...new BlockRing(store, AL_OFFSET, slots, 1).load().table], [...before]);
  t.equal(new BlockRing(store, AL_OFFSET, slots, 1).transactions().torn, 1);
  t.same(new BlockRing(store, AL_OFFSET, slots, 1).load().damage, [], 'a torn newest block is a crash, not damage');
  // Damage an older block the rebuild needs: the table can no longer be trusted in full.
  const older = (newest.number - 2) % AL_RING_BLOCKS;
  store.write(AL_OFFSET + older * BLOCK + 900, new Uint8Array([7]));
  t.match(new BlockRing(store, AL_OFFSET, slots, 1).load().damage, [{ incomplete: true, message: new RegExp(`transaction #${newest.number - 2} \\(ring block ${older}\\) is missing or damaged`) }]);
  t.ok(CONTEXT_PER_TRANSACTION < slots);
});

t.test('block: activations of one tick share one transaction (and one fdatasync)', async (t) => {
  const path = join(tempDir(t), 'md');
  const md = VolumeMetadata.create(`block:${path}`, { volumeSize: GiB, maxPeers: 1, nodeId: 0 });
  const pending = [10, 11, 12, 13, 14].map((e) => md.activate(e));
  t.ok(pending.every((p) => p instanceof Promise));
  await Promise.all(pending);
  await md.activate(20);
  const txs = () => new BlockRing(BlockStore.open(path), AL_OFFSET, md.superblock.alExtents, md.superblock.alEpoch).transactions().current;
  t.same(txs().map((tx) => tx.updates.map((u) => u.extent)), [[10, 11, 12, 13, 14], [20]]);
  for (const e of [10, 11, 12, 13, 14, 20]) md.complete(e);
  md.close();
});

t.test('bitmap generation of a peer round-trips (resumable resync)', async (t) => {
  const path = join(tempDir(t), 'md');
  const md = VolumeMetadata.create(`pmem:${path}`, { volumeSize: GiB, maxPeers: 2, nodeId: 0 });
  md.setBitmapGeneration(3, 0xabcn);
  md.close();
  const again = VolumeMetadata.open(`pmem:${path}`);
  t.equal(again.superblock.peers[again.peerSlot(3)].bitmapGeneration, 0xabcn);
  again.close();
});

t.test('an extent leaves the AL only once its writes are durable on the data disk (one flush frees the hot set)', async (t) => {
  const md = VolumeMetadata.create(`pmem:${join(tempDir(t), 'md')}`, { volumeSize: GiB, maxPeers: 1, nodeId: 0, alExtents: MIN_AL_EXTENTS });
  t.teardown(() => md.close());
  const flushes: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  md.flushDataDiskWith(() => new Promise((resolve, reject) => flushes.push({ resolve, reject })));
  for (let e = 0; e < MIN_AL_EXTENTS; e++) {
    t.equal(md.activate(e), true, 'free slots need no flush');
    md.complete(e);
  }
  const waiting = md.activate(MIN_AL_EXTENTS);
  t.ok(waiting instanceof Promise, 'every idle extent has writes not yet flushed: the activation waits');
  t.equal(flushes.length, 1, 'one data-disk flush was asked for');
  let done = false;
  void (waiting as Promise<void>).then(() => { done = true; });
  t.equal(md.activate(1), true, 'a hot extent is written again while the flush runs');
  md.complete(1); // completed after the flush began: not covered by it
  await new Promise((r) => setImmediate(r));
  t.notOk(done, 'no extent left the AL before the flush completed');
  t.ok(md.hotExtents().includes(0), 'the oldest extent is still hot');
  flushes[0].resolve();
  await waiting;
  t.notOk(md.hotExtents().includes(0), 'after the flush the oldest extent left');
  md.complete(MIN_AL_EXTENTS);
  // extents 2 .. MIN-1 were flushed: they leave without another flush
  for (let e = MIN_AL_EXTENTS + 1; e < 2 * MIN_AL_EXTENTS - 1; e++) {
    t.equal(md.activate(e), true, `extent ${e} takes a flushed extent's slot without a flush`);
    md.complete(e);
  }
  t.equal(flushes.length, 1, 'still one flush');
  t.ok(md.hotExtents().includes(1), 'extent 1, written during the flush, stayed');
  const next = md.activate(2 * MIN_AL_EXTENTS);
  t.ok(next instanceof Promise, 'nothing flushed is left: the next eviction waits for a second flush');
  t.equal(flushes.length, 2);
  flushes[1].resolve();
  await next;
  md.complete(2 * MIN_AL_EXTENTS);
});

t.test('a failed data-disk flush fails the waiting activation and every later one (the AL cannot go on safely)', async (t) => {
  const md = VolumeMetadata.create(`pmem:${join(tempDir(t), 'md')}`, { volumeSize: GiB, maxPeers: 1, nodeId: 0, alExtents: MIN_AL_EXTENTS });
  t.teardown(() => md.close());
  md.flushDataDiskWith(() => Promise.reject(Object.assign(new Error('EIO: flush failed'), { code: 'EIO' })));
  for (let e = 0; e < MIN_AL_EXTENTS; e++) {
    md.activate(e);
    md.complete(e);
  }
  await t.rejects(md.activate(MIN_AL_EXTENTS) as Promise<void>, { code: 'TANDEM_E_IO', message: /data disk flush before an activity-log eviction failed: EIO: flush failed/ });
  t.throws(() => md.activate(MIN_AL_EXTENTS + 1), { code: 'TANDEM_E_IO' });
  t.ok(md.hotExtents().includes(0), 'nothing left the AL');
  // the write whose activation failed still ends it (seed 284886405 stopped the resource here)
  t.doesNotThrow(() => md.complete(MIN_AL_EXTENTS), 'a failed activation was pinned: its complete() matches');
  t.equal(md.pinned(MIN_AL_EXTENTS), 0);
  t.notOk(md.hotExtents().includes(MIN_AL_EXTENTS), 'it never entered the AL');
});

t.test('a range whose activation throws part-way pins nothing (a full waiter queue holds no slot forever)', async (t) => {
  const md = VolumeMetadata.create(`pmem:${join(tempDir(t), 'md')}`, { volumeSize: GiB, maxPeers: 1, nodeId: 0, alExtents: MIN_AL_EXTENTS });
  t.teardown(() => md.close());
  const meta = new VolumeMeta(md, { generationChanged() {} });
  for (let e = 0; e < MIN_AL_EXTENTS; e++) t.equal(md.activate(e), true); // every slot pinned by a write in flight
  const waiting: Array<Promise<void>> = [];
  for (;;) {
    try {
      waiting.push(md.activate(MIN_AL_EXTENTS) as Promise<void>);
    } catch (err) {
      t.match(err, { code: 'TANDEM_E_STATE', message: /writes wait for an activity-log slot/ }, 'the waiter queue is bounded');
      break;
    }
  }
  const last = MIN_AL_EXTENTS - 1;
  t.throws(() => meta.beginWrite(last * AL_EXTENT_BYTES, 2 * AL_EXTENT_BYTES), { code: 'TANDEM_E_STATE' }, 'a write over a hot extent and a new one');
  t.equal(md.pinned(last), 1, 'the hot extent activated before the throw was released (only its first write holds it)');
  for (let e = 0; e < MIN_AL_EXTENTS; e++) md.complete(e);
  await Promise.all(waiting);
  t.equal(md.pinned(MIN_AL_EXTENTS), waiting.length, 'the waiters got their slot');
  for (let i = 0; i < waiting.length; i++) md.complete(MIN_AL_EXTENTS);
});
