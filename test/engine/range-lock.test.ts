// The range lock orders overlapping requests first come, first served, per 4 KiB block, and lets
// requests on other blocks run together.
import t from 'tap';
import { LOCK_BLOCK, RangeLock, type LockedRange } from '../../src/engine/range-lock.js';

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

t.test('requests on different blocks are granted at once, without a Promise', async (t) => {
  const lock = new RangeLock();
  const a = lock.acquire(0, 4096);
  const b = lock.acquire(4096, 4096);
  t.notOk(a instanceof Promise, 'first block granted at once');
  t.notOk(b instanceof Promise, 'the next block does not overlap');
  t.equal(lock.size, 2);
});

t.test('ranges are rounded out to 4 KiB: bytes of the same block conflict', async (t) => {
  const lock = new RangeLock();
  const a = lock.acquire(100, 10) as LockedRange;
  t.same({ start: a.start, end: a.end }, { start: 0, end: 4096 });
  t.ok(lock.acquire(4000, 10) instanceof Promise, 'another byte of the same block waits');
  const c = lock.acquire(4095, 2);
  t.ok(c instanceof Promise, 'a range crossing into the held block waits');
});

t.test('overlapping requests are granted in arrival order, a small one cannot overtake a large waiter', async (t) => {
  const lock = new RangeLock();
  const order: string[] = [];
  const first = lock.acquire(0, 8192) as LockedRange;
  const big = lock.acquire(0, 65536) as Promise<LockedRange>;
  const small = lock.acquire(32768, 4096) as Promise<LockedRange>;
  t.ok(small instanceof Promise, 'a request overlapping an earlier waiter waits too');
  const other = lock.acquire(1 << 20, 4096);
  t.notOk(other instanceof Promise, 'a request overlapping nothing is granted');
  void big.then((r) => { order.push('big'); setTimeout(() => lock.release(r), 1); });
  void small.then((r) => { order.push('small'); lock.release(r); });
  lock.release(first);
  await new Promise((r) => setTimeout(r, 20));
  t.same(order, ['big', 'small']);
  t.equal(lock.size, 1, 'only the unrelated range is still held');
});

t.test('a release grants every waiter that no longer conflicts', async (t) => {
  const lock = new RangeLock();
  const held = lock.acquire(0, 3 * 4096) as LockedRange;
  const waits = [0, 4096, 8192].map((o) => lock.acquire(o, 4096) as Promise<LockedRange>);
  let granted = 0;
  for (const w of waits) void w.then(() => granted++);
  lock.release(held);
  await settle();
  t.equal(granted, 3, 'three disjoint waiters are granted together');
  t.throws(() => lock.release({ start: 0, end: 4096 }), /a released range was held/, 'releasing a range that is not held is a bug');
});

t.test('releasing a range from the middle of many keeps every other one held', async (t) => {
  const locks = new RangeLock();
  const held = [0, 1, 2, 3, 4].map((b) => locks.acquire(b * LOCK_BLOCK, LOCK_BLOCK) as LockedRange);
  locks.release(held[1]); // the last one takes its place
  t.equal(locks.size, 4);
  for (const b of [0, 2, 3, 4]) t.ok(locks.acquire(b * LOCK_BLOCK, LOCK_BLOCK) instanceof Promise, `block ${b} is still held`);
  const again = locks.acquire(LOCK_BLOCK, LOCK_BLOCK);
  t.notOk(again instanceof Promise, 'the released block is free');
});
