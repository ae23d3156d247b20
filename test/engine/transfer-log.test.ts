// The transfer log is bounded in bytes and entries; a write leaves it on WriteAck or NegAck, and a
// lost link returns every unconfirmed write (to be resynced) and wakes whoever waits for room.
import t from 'tap';
import { mayHaveBeenAnswered, TRANSFER_LOG_BYTES, TRANSFER_LOG_ENTRIES, TransferLog } from '../../src/engine/transfer-log.js';

const MiB = 1024 * 1024;

t.test('bounded in bytes: a write that does not fit waits until an entry leaves', async (t) => {
  const log = new TransferLog();
  const settled: boolean[] = [];
  log.add(1, { volume: 0, offset: 0, length: TRANSFER_LOG_BYTES - MiB }, { settled: (s) => settled.push(s) });
  t.ok(log.hasRoom(MiB), 'exactly full still fits');
  t.notOk(log.hasRoom(MiB + 1), 'one byte more does not');
  t.throws(() => log.add(2, { volume: 0, offset: 0, length: 2 * MiB }, { settled: () => undefined }), /has room/, 'adding without room is a bug');
  let woken = false;
  void log.waitForRoom().then(() => { woken = true; });
  log.onWriteAck(1, true);
  await Promise.resolve();
  t.ok(woken, 'the waiter is woken when the entry leaves');
  t.equal(log.sizeBytes, 0);
  t.same(settled, [true]);
});

t.test('an empty log takes one write of any size', async (t) => {
  const log = new TransferLog();
  t.ok(log.hasRoom(TRANSFER_LOG_BYTES * 2));
});

t.test('bounded in entries', async (t) => {
  const log = new TransferLog();
  for (let i = 0; i < TRANSFER_LOG_ENTRIES; i++) log.add(i + 1, { volume: 0, offset: i * 4096, length: 4096 }, { settled: () => undefined });
  t.notOk(log.hasRoom(4096), `${TRANSFER_LOG_ENTRIES} entries fill it`);
});

t.test('NegAck settles as not stored; RecvAck only calls received; a late ack finds nothing', async (t) => {
  const log = new TransferLog();
  const calls: string[] = [];
  log.add(7, { volume: 0, offset: 0, length: 4096 }, { received: () => calls.push('received'), settled: (s) => calls.push(`settled:${s}`) });
  log.onRecvAck(7);
  log.onWriteAck(7, false);
  log.onWriteAck(7, true);
  t.same(calls, ['received', 'settled:false']);
});

t.test('a lost link returns every unconfirmed write, settles them as not stored and resolves flushes', async (t) => {
  const log = new TransferLog();
  const calls: string[] = [];
  log.add(1, { volume: 0, offset: 0, length: 4096 }, { settled: (s) => calls.push(`1:${s}`) });
  log.add(2, { volume: 1, offset: 8192, length: 512 }, { received: () => calls.push('2:received'), settled: (s) => calls.push(`2:${s}`) });
  const flush = log.addFlush();
  const lost = log.failAll();
  t.equal(await flush.done, false, 'the flush did not happen on the peer');
  t.same(lost, [{ volume: 0, offset: 0, length: 4096, outcome: null, received: false }, { volume: 1, offset: 8192, length: 512, outcome: null, received: false }], 'callbacks without an outcome (not a diskless Primary\'s write): none');
  t.same(calls, ['1:false', '2:false'], 'a write lost with the link was not received: no RecvAck is made up (protocol B would answer its client)');
  t.equal(log.size, 0);
});

t.test('callbacks are methods of the object given: called on it, received at most once and never after settled', async (t) => {
  const log = new TransferLog();
  class Share {
    calls: string[] = [];
    received(): void { this.calls.push('received'); }
    settled(stored: boolean): void { this.calls.push(`settled:${stored}`); }
  }
  const a = new Share();
  const b = new Share();
  log.add(1, { volume: 0, offset: 0, length: 4096 }, a);
  log.add(2, { volume: 0, offset: 4096, length: 4096 }, b);
  log.onRecvAck(1);
  log.onRecvAck(1); // a duplicate RecvAck
  log.onWriteAck(1, true);
  log.onWriteAck(2, true); // a WriteAck without RecvAck (protocol B's arrival is judged by its caller)
  log.onRecvAck(2); // late: the write left the log
  t.same(a.calls, ['received', 'settled:true']);
  t.same(b.calls, ['settled:true']);
});

t.test('which unconfirmed writes may have been answered: A any, B those received, C none (seed 840395993)', async (t) => {
  const log = new TransferLog();
  log.add(1, { volume: 0, offset: 0, length: 4096 }, { settled: () => undefined });
  log.add(2, { volume: 0, offset: 4096, length: 4096 }, { settled: () => undefined });
  log.add(3, { volume: 1, offset: 0, length: 4096 }, { settled: () => undefined });
  t.same(log.unconfirmedOf(0).map((w) => w.received), [false, false], 'nothing received yet');
  t.notOk(mayHaveBeenAnswered('B', log.unconfirmedOf(0)), 'B: a write the peer never said it received waits for it (answered, if ever, after the loss)');
  t.ok(mayHaveBeenAnswered('A', log.unconfirmedOf(0)), 'A: the answer never waits for the peer');
  log.onRecvAck(3);
  t.notOk(mayHaveBeenAnswered('B', log.unconfirmedOf(0)), 'per volume');
  log.onRecvAck(2);
  t.ok(mayHaveBeenAnswered('B', log.unconfirmedOf(0)), 'B: received (RecvAck) counted toward the answer, not yet stored there');
  t.notOk(mayHaveBeenAnswered('C', log.unconfirmedOf(0)), 'C: the answer waits until it is stored');
  const lost = log.failAll();
  t.same(lost.map((w) => w.received), [false, true, true], 'a lost link says which were received');
  t.ok(mayHaveBeenAnswered('B', lost.filter((w) => w.volume === 0)));
  t.notOk(mayHaveBeenAnswered('B', lost.slice(0, 1)));
});

t.test('a write still unacknowledged as the peer is lost was not answered without it, on A or B either (seed 1618674572)', async (t) => {
  const log = new TransferLog();
  let answered = false;
  log.add(1, { volume: 0, offset: 0, length: 4096 }, { settled: () => undefined, acknowledged: () => answered });
  log.onRecvAck(1);
  t.notOk(mayHaveBeenAnswered('A', log.unconfirmedOf(0)), 'A: the answer still waits for peers on C');
  t.notOk(mayHaveBeenAnswered('B', log.unconfirmedOf(0)), 'B: received, but the answer still waits');
  answered = true;
  t.ok(mayHaveBeenAnswered('A', log.unconfirmedOf(0)), 'A: acknowledged without the peer\'s WriteAck');
  const lost = log.failAll();
  t.same(lost.map((w) => w.acknowledged), [true], 'a lost link says which were acknowledged');
  t.ok(mayHaveBeenAnswered('B', lost));
});

t.test('newestSeq: the last write added since the link came up (a late write must not pass a newer one)', async (t) => {
  const log = new TransferLog();
  t.equal(log.newestSeq, 0, 'none yet');
  log.add(4, { volume: 0, offset: 0, length: 4096 }, { settled: () => undefined });
  log.add(9, { volume: 0, offset: 4096, length: 4096 }, { settled: () => undefined });
  log.onWriteAck(9, true);
  t.equal(log.newestSeq, 9, 'still the newest sent, acknowledged or not');
  log.failAll();
  t.equal(log.newestSeq, 0, 'a lost link starts over');
});
