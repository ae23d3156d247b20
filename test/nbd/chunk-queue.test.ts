// The parser's byte queue: runs inside one chunk are views, runs across chunks are copies, and
// whatever the split, the bytes come out in order.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { ChunkQueue } from '../../src/nbd/chunk-queue.js';

t.test('take within a chunk is zero-copy, across chunks a copy', async (t) => {
  const q = new ChunkQueue();
  const a = Buffer.from('abcdef');
  const b = Buffer.from('ghij');
  q.push(a);
  q.push(b);
  const view = q.take(3);
  t.equal(view.toString(), 'abc');
  const across = q.take(5);
  t.equal(across.toString(), 'defgh');
  a.fill('x');
  b.fill('y');
  t.equal(view.toString(), 'xxx', 'a view of the chunk: sees the chunk change');
  t.equal(across.toString(), 'defgh', 'a copy: does not');
  t.equal(q.length, 2);
  const p = q.peek(2);
  t.equal(p.buf.toString('utf8', p.at, p.at + 2), 'yy');
  t.equal(q.length, 2, 'peek consumes nothing');
  t.equal(q.skip(10), 2, 'skip stops at what is there');
  t.equal(q.length, 0);
  t.throws(() => q.take(1), { code: 'TANDEM_E_INTERNAL' });
});

t.test('any split of a byte stream reads back identically', async (t) => {
  const data = randomBytes(200_000);
  let seed = 42;
  const rand = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  let bad = 0;
  for (let round = 0; round < 20; round++) {
    const q = new ChunkQueue();
    for (let at = 0; at < data.length;) {
      const n = 1 + Math.floor(rand() * 5000);
      q.push(data.subarray(at, at + n));
      at += n;
    }
    const out: Buffer[] = [];
    while (q.length > 0) {
      const n = Math.min(q.length, 1 + Math.floor(rand() * 9000));
      const pos = data.length - q.length;
      const p = q.peek(Math.min(28, q.length));
      if (q.length !== data.length - pos || p.buf[p.at] !== data[pos]) bad++;
      out.push(q.take(n));
    }
    if (!Buffer.concat(out).equals(data)) bad++;
  }
  t.equal(bad, 0, '20 random splits: every peek and every take in order');
});
