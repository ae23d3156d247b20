// The apply queue runs a peer's writes concurrently (each under its range lock), holds barriers
// (State, Flush, ResyncDone, OutOfSync) until everything before them completed, and pauses the
// link's data stream above its byte bound.
import t from 'tap';
import { APPLY_QUEUE_BYTES, ApplyQueue } from '../../src/engine/apply-queue.js';
import type { PeerLinkPort } from '../../src/engine/platform.js';
import { RangeLock } from '../../src/engine/range-lock.js';
import type { WireMessage } from '../../src/wire/messages.js';

function fakeLink(): PeerLinkPort & { paused: number; resumed: number } {
  return {
    peerNodeId: 1, paused: 0, resumed: 0,
    sendData: () => true, sendControl: () => undefined,
    pauseData() { this.paused++; }, resumeData() { this.resumed++; },
    onMessage: () => undefined, onDrain: () => undefined, onClose: () => undefined, close: () => undefined,
  };
}

const write = (seq: number, offset: number, length = 4096): WireMessage => ({
  type: 'Write', volume: 0, seq, epoch: 0, offset, flags: { fua: false, flush: false }, missing: 0, data: Buffer.alloc(length),
});
const flush = (id: number): WireMessage => ({ type: 'Flush', id });

/** Each applied message resolves when the test says so; `log` records starts and ends. */
function harness(link = fakeLink()) {
  const lock = new RangeLock();
  const log: string[] = [];
  const finish = new Map<string, () => void>();
  const name = (m: WireMessage): string => (m.type === 'Write' ? `w${m.seq}` : m.type === 'Flush' ? `f${m.id}` : m.type);
  const queue = new ApplyQueue(link, (m) => {
    const n = name(m);
    log.push(`start ${n}`);
    return new Promise<void>((resolve) => finish.set(n, () => { log.push(`end ${n}`); resolve(); }));
  }, (m) => (m.type === 'Write' ? { lock, offset: m.offset, length: m.data.length } : null), (err) => { throw err; });
  const tick = async (): Promise<void> => { for (let i = 0; i < 10; i++) await Promise.resolve(); };
  return { queue, log, finish, tick, link };
}

t.test('writes to different blocks run together; overlapping ones in arrival order', async (t) => {
  const h = harness();
  h.queue.push(write(1, 0));
  h.queue.push(write(2, 4096));
  h.queue.push(write(3, 0));
  await h.tick();
  t.same(h.log, ['start w1', 'start w2'], 'w3 overlaps w1 and waits');
  h.finish.get('w1')!();
  await h.tick();
  t.same(h.log.slice(2), ['end w1', 'start w3']);
});

t.test('a barrier waits for everything before it, and everything after waits for the barrier', async (t) => {
  const h = harness();
  h.queue.push(write(1, 0));
  h.queue.push(flush(9));
  h.queue.push(write(2, 8192));
  await h.tick();
  t.same(h.log, ['start w1']);
  h.finish.get('w1')!();
  await h.tick();
  t.same(h.log, ['start w1', 'end w1', 'start f9'], 'the flush starts once w1 ended; w2 waits');
  h.finish.get('f9')!();
  await h.tick();
  t.same(h.log.slice(3), ['end f9', 'start w2']);
});

t.test('above its byte bound the link is paused; below half of it, resumed', async (t) => {
  const h = harness();
  const big = 8 * 1024 * 1024;
  const n = Math.ceil(APPLY_QUEUE_BYTES / big) + 1;
  for (let i = 0; i < n; i++) h.queue.push(write(i + 1, 0, big)); // all overlap: one runs at a time
  await h.tick();
  t.equal(h.link.paused, 1, 'paused once when over the bound');
  t.ok(h.queue.queuedBytes > APPLY_QUEUE_BYTES);
  for (let i = 0; i < n; i++) {
    h.finish.get(`w${i + 1}`)!();
    await h.tick();
  }
  t.equal(h.link.resumed, 1, 'resumed once below half');
  t.equal(h.queue.queuedBytes, 0);
});

t.test('abandon: writes that arrived still apply, late and in order; other messages are dropped; nothing new is taken', async (t) => {
  const h = harness();
  const late: string[] = [];
  const queue = new ApplyQueue(h.link, (m, isLate) => {
    if (isLate) late.push(m.type === 'Write' ? `w${m.seq}` : m.type);
    const n = m.type === 'Write' ? `w${m.seq}` : m.type === 'Flush' ? `f${m.id}` : m.type;
    h.log.push(`start ${n}`);
    return new Promise<void>((resolve) => h.finish.set(n, () => { h.log.push(`end ${n}`); resolve(); }));
  }, (m) => (m.type === 'Write' ? { lock: new RangeLock(), offset: m.offset, length: m.data.length } : null), (err) => { throw err; });
  queue.push(write(1, 0));
  queue.push(flush(1));
  queue.push(write(2, 4096));
  await h.tick();
  queue.abandon();
  await h.tick();
  t.same(h.log, ['start w1', 'start w2'], 'w2 (arrived behind the flush) runs once the link is gone; the flush never does');
  t.same(late, ['w2'], 'it runs as a late write (its answer has no link to go to)');
  h.finish.get('w1')!();
  h.finish.get('w2')!();
  await h.tick();
  queue.push(write(3, 0));
  await h.tick();
  t.same(h.log, ['start w1', 'start w2', 'end w1', 'end w2'], 'nothing new is taken after abandon');
  t.equal(queue.queuedBytes, 0, 'the dropped flush and the finished writes leave no bytes counted');
});
