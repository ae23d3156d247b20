// A SyncTarget clears its bits for the source only after a flush that began after the data was
// written, and only while it still takes that source's resync on the same link.
import t from 'tap';
import type { VolumeMeta } from '../../src/engine/metadata.js';
import type { Peer } from '../../src/engine/peer.js';
import type { BlockDevice } from '../../src/engine/platform.js';
import { RESYNC_FLUSH_BYTES, ResyncDurability } from '../../src/engine/resync-durability.js';

function world() {
  const cleared: string[] = [];
  const meta = { markInSync: (peer: number, offset: number, length: number) => cleared.push(`${peer}:${offset}+${length}`) } as unknown as VolumeMeta;
  const flushes: Array<() => void> = [];
  const disk = { flush: () => new Promise<void>((resolve) => flushes.push(resolve)) } as unknown as BlockDevice;
  const link = {};
  const pv = { replicationState: 'SyncTarget' };
  const source = { node: { id: 2 }, link, connected: true, volumes: new Map([[0, pv]]) };
  return { cleared, meta, flushes, disk, source, pv, asPeer: source as unknown as Peer };
}

const tick = () => new Promise((r) => setImmediate(r));

t.test('bits are cleared after the flush, not when the data is written', async (t) => {
  const w = world();
  const d = new ResyncDurability(0);
  d.add(w.meta, w.asPeer, 0, 4096);
  t.notOk(d.due, 'one block is not a batch');
  const settled = d.settle(w.disk);
  d.add(w.meta, w.asPeer, 8192, 4096); // written after the flush began: the next batch
  await tick();
  t.same(w.cleared, [], 'nothing cleared while the flush runs');
  w.flushes[0]();
  await settled;
  t.same(w.cleared, ['2:0+4096'], 'only the block written before the flush');
  const next = d.settle(w.disk);
  await tick();
  w.flushes[1]();
  await next;
  t.same(w.cleared, ['2:0+4096', '2:8192+4096']);
});

t.test('a batch is due at RESYNC_FLUSH_BYTES', async (t) => {
  const w = world();
  const d = new ResyncDurability(0);
  for (let off = 0; off < RESYNC_FLUSH_BYTES - 1024 * 1024; off += 1024 * 1024) d.add(w.meta, w.asPeer, off, 1024 * 1024);
  t.notOk(d.due);
  d.add(w.meta, w.asPeer, RESYNC_FLUSH_BYTES, 1024 * 1024);
  t.ok(d.due);
});

t.test('a link lost, a resync ended or a disk detached while the flush runs: the bits stay set', async (t) => {
  for (const [what, change] of [
    ['the link was replaced', (w: ReturnType<typeof world>) => { w.source.link = {}; }],
    ['the peer disconnected', (w: ReturnType<typeof world>) => { w.source.connected = false; }],
    ['the resync ended', (w: ReturnType<typeof world>) => { w.pv.replicationState = 'Off'; }],
  ] as const) {
    const w = world();
    const d = new ResyncDurability(0);
    d.add(w.meta, w.asPeer, 0, 4096);
    const settled = d.settle(w.disk);
    change(w);
    await tick();
    w.flushes[0]();
    await settled;
    t.same(w.cleared, [], what);
  }
  const w = world();
  const d = new ResyncDurability(0);
  d.add(w.meta, w.asPeer, 0, 4096);
  const settled = d.settle(w.disk);
  d.drop();
  await tick();
  w.flushes[0]();
  await settled;
  t.same(w.cleared, [], 'the disk was detached');
});

t.test('a failed flush clears nothing and does not block the next batch', async (t) => {
  const w = world();
  const d = new ResyncDurability(0);
  const failing = { flush: () => Promise.reject(new Error('EIO')) } as unknown as BlockDevice;
  d.add(w.meta, w.asPeer, 0, 4096);
  await t.rejects(d.settle(failing), /EIO/);
  d.add(w.meta, w.asPeer, 4096, 4096);
  const next = d.settle(w.disk);
  await tick();
  w.flushes[0]();
  await next;
  t.same(w.cleared, ['2:4096+4096'], 'the failed batch stays out of sync');
});
