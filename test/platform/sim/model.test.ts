// The reference model: what a reader may see per sector after acknowledged, pending and failed
// writes, write-zeroes, trims and flushes, and what the sector headers say.
import t from 'tap';
import { makeWriteData, sectorContent } from '../../../src/platform/sim/content.js';
import { DataModel, type WriteRecord } from '../../../src/platform/sim/model.js';

let ids = 0;
const rec = (offset: number, length: number, kind: WriteRecord['kind'] = 'data', fua = false): WriteRecord => ({
  id: ++ids, volume: 0, offset, length, kind, fua, node: 'n0', issuedAt: 0, state: 'pending', ackedAt: null, durable: false,
});
const data = (id: number) => ({ kind: 'data' as const, id });
const zero = { kind: 'zero' as const };

t.test('sector headers name the write and the sector; anything else is garbage', async (t) => {
  const buf = makeWriteData(42, 4096, 2048);
  t.same(sectorContent(buf, 512, 9), { kind: 'data', id: 42 });
  t.match(sectorContent(buf, 512, 10), { kind: 'garbage', reason: /sector 9 found at sector 10/ });
  t.same(sectorContent(Buffer.alloc(512), 0, 3), { kind: 'zero' });
  const torn = Buffer.from(buf); // half of the sector from another write
  makeWriteData(43, 4096, 2048).copy(torn, 512 + 256, 512 + 256, 1024);
  t.match(sectorContent(torn, 512, 9), { kind: 'garbage', reason: /torn inside/ });
  const junk = Buffer.alloc(512);
  junk[300] = 1;
  t.match(sectorContent(junk, 0, 0), { kind: 'garbage', reason: /neither zeros/ });
});

t.test('the last acknowledged write or anything issued after it; zeros only where nothing is acknowledged', async (t) => {
  const m = new DataModel([1 << 20]);
  t.equal(m.check(0, 0, zero), null, 'never written: zeros');
  const w1 = rec(0, 4096);
  m.issued(w1);
  t.equal(m.check(0, 0, data(w1.id)), null, 'a pending write may have landed');
  t.equal(m.check(0, 0, zero), null, '...or not');
  m.acked(w1, 1);
  t.match(m.check(0, 0, zero), /zeros, but write \d+ .* is acknowledged there/);
  const w2 = rec(0, 512);
  m.issued(w2);
  w2.state = 'failed';
  t.equal(m.check(0, 0, data(w2.id)), null, 'a failed write may have landed');
  t.equal(m.check(0, 0, data(w1.id)), null);
  const w3 = rec(0, 512);
  m.issued(w3);
  m.acked(w3, 2);
  t.match(m.check(0, 0, data(w1.id)), /stale data of write/);
  t.match(m.check(0, 0, data(w2.id)), /stale data/);
  t.equal(m.check(0, 1, data(w1.id)), null, 'the next sector still has w1');
  t.match(m.check(0, 20, data(w1.id)), /never covered this sector/);
});

t.test('write-zeroes and trims allow zeros; a trim leaves the old data allowed too', async (t) => {
  const m = new DataModel([1 << 20]);
  const w = rec(0, 8192);
  m.issued(w);
  m.acked(w, 1);
  const trim = rec(0, 4096, 'trim');
  m.issued(trim);
  m.acked(trim, 2);
  t.equal(m.check(0, 0, zero), null);
  t.equal(m.check(0, 0, data(w.id)), null, 'a trim is advisory');
  const z = rec(4096, 4096, 'zero');
  m.issued(z);
  m.acked(z, 3);
  t.equal(m.check(0, 8, zero), null);
  t.match(m.check(0, 8, data(w.id)), /stale/, 'write-zeroes is not advisory');
});

t.test('durability: FUA at once, other writes when a flush issued after them completes', async (t) => {
  const m = new DataModel([1 << 20, 1 << 20]);
  const a = rec(0, 4096);
  const b = rec(4096, 4096, 'data', true);
  m.issued(a); m.acked(a, 1);
  m.issued(b); m.acked(b, 1);
  t.ok(b.durable);
  t.notOk(a.durable);
  const other = { ...rec(0, 4096), volume: 1 };
  m.issued(other); m.acked(other, 1);
  const covered = m.flushIssued(0);
  const c = rec(8192, 4096);
  m.issued(c); m.acked(c, 2);
  m.flushAcked(covered);
  t.ok(a.durable);
  t.notOk(c.durable, 'acknowledged after the flush was issued');
  t.notOk(other.durable, 'a flush of one export says nothing of another volume');
  t.equal(m.volumes[0].durable[0], a.id);
});

t.test('a fork goes its own way; lowering a floor accepts older data', async (t) => {
  const m = new DataModel([1 << 20]);
  const w = rec(0, 512);
  m.issued(w); m.acked(w, 1);
  const side = m.fork();
  const w2 = rec(0, 512);
  side.issued(w2); side.acked(w2, 2);
  t.equal(m.check(0, 0, data(w.id)), null, 'the other side still expects w');
  t.match(side.check(0, 0, data(w.id)), /stale/);
  side.lowerFloor(0, 0, w.id);
  t.equal(side.check(0, 0, data(w.id)), null);
});

// Seed 1476445202: the forks of a split brain share the records of every write, so a side must
// tell its own lineage from the other side's by more than the id: the other side's newer write is
// no copy of this side's data, whatever its id (before, it passed as "issued after the floor").
t.test('a side accepts its own lineage only: the other side\'s newer data is no copy of its writes', async (t) => {
  const main = new DataModel([1 << 20]);
  const before = rec(0, 512);
  main.issued(before); main.acked(before, 1);
  const side = main.fork();
  const mine = rec(0, 512);
  main.issued(mine); main.acked(mine, 2);
  const theirs = rec(0, 512);
  side.issued(theirs); side.acked(theirs, 3);
  t.ok(theirs.id > mine.id);
  t.match(main.check(0, 0, data(theirs.id)), /issued on the other side of a split brain/);
  t.equal(side.check(0, 0, data(theirs.id)), null, 'its own write');
  t.match(side.check(0, 0, data(mine.id)), /issued on the other side of a split brain/);
  t.equal(main.check(0, 0, data(mine.id)), null);
  side.lowerFloor(0, 0, before.id);
  t.equal(side.check(0, 0, data(before.id)), null, 'a write from before the fork is both sides\' data');
  const pending = rec(4096, 512);
  main.issued(pending);
  t.match(side.check(0, 8, data(pending.id)), /other side/, 'nor may the other side\'s pending write have landed here');
});

// Seed 1476445202: a fork inherits the writes its parent acknowledged and had not yet seen
// flushed; where the side's node never held one, its floor is lowered at the takeover. A flush on
// that side then says nothing of it: marked durable there, the mark sat above the floor, and a
// later power-loss excuse lowered the floor "down" to it: the side was held to a write of the
// other side's node that it never had.
t.test('a flush makes durable only what the model still requires', async (t) => {
  const main = new DataModel([1 << 20]);
  const w = rec(0, 4096);
  main.issued(w); main.acked(w, 1);
  const kept = rec(8192, 4096);
  main.issued(kept); main.acked(kept, 1);
  const side = main.fork();
  for (let s = 0; s < 8; s++) side.lowerFloor(0, s, 0); // the takeover node never had w
  side.flushAcked(side.flushIssued(0));
  t.equal(side.volumes[0].durable[0], 0, 'w is not this side\'s data: no durable mark');
  t.equal(side.volumes[0].durable[16], kept.id, 'a write the side still requires is made durable');
  t.notOk(w.durable, 'nor is w called durable');
  const later = rec(0, 4096);
  side.issued(later); side.acked(later, 2);
  side.lowerFloor(0, 0, side.volumes[0].durable[0]); // the excuse of a power loss: down to the durable mark
  t.equal(side.check(0, 0, zero), null, 'zeros are what the side held before the lost write');
  main.flushAcked(main.flushIssued(0));
  t.ok(w.durable, 'on its own side a flush does make w durable');
  t.equal(main.volumes[0].durable[0], w.id);
});
