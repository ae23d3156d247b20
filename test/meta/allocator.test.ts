import t from 'tap';
import { join } from 'node:path';
import { closeSync, openSync, ftruncateSync } from 'node:fs';
import { Allocator, DATA_START, MAX_ENTRIES } from '../../src/meta/allocator.js';
import { PmemStore } from '../../src/meta/pmem.js';
import { metadataSize } from '../../src/meta/layout.js';
import { VolumeMetadata } from '../../src/meta/volume-metadata.js';
import { GiB, tempDir } from './fixtures/helpers.js';

/** A sparse namespace file: mapping it touches no memory until written. */
function namespace(dir: string, size: number): string {
  const path = join(dir, 'ns');
  const fd = openSync(path, 'w');
  ftruncateSync(fd, size);
  closeSync(fd);
  return path;
}

t.test('100 volumes of 1 TiB with 2 peers fit one 8 GiB namespace (M5, docs/ARCHITECTURE.md §3)', async (t) => {
  const path = namespace(tempDir(t), 8 * GiB);
  const store = PmemStore.openRange(path, 0, DATA_START); // the directory; areas are mapped one by one
  const allocator = Allocator.format(store, 8 * GiB, path);
  const size = metadataSize(1024 * GiB, 2);
  for (let i = 0; i < 100; i++) allocator.allocate(`r${i}/0`, size);
  const entries = Allocator.open(store, 8 * GiB, path).list();
  t.equal(entries.length, 100, 'directory persisted');
  for (let i = 1; i < entries.length; i++) t.ok(entries[i].offset >= entries[i - 1].offset + entries[i - 1].length, 'no overlap');
  t.ok(entries.every((e) => e.offset % 4096 === 0 && e.length === size));
  t.ok(entries[99].offset + size <= 8 * GiB);
  // It holds 127 such areas; the 128th does not fit.
  for (let i = 100; i < 127; i++) allocator.allocate(`r${i}/0`, size);
  t.throws(() => allocator.allocate('r127/0', size), { code: 'TANDEM_E_META_SPACE', message: /no free range of 64\.07MiB for 'r127\/0'/ });
  store.close();
});

t.test('first fit reuses freed ranges; names are unique and validated; the directory is bounded', async (t) => {
  const path = namespace(tempDir(t), 64 * 1024 * 1024);
  const store = PmemStore.open(path);
  const a = Allocator.format(store, store.length, path);
  const x = a.allocate('r0/0', 10_000);
  t.equal(x.offset, DATA_START);
  t.equal(x.length, 12_288, 'rounded up to 4 KiB');
  const y = a.allocate('r0/1', 4096);
  a.free('r0/0');
  t.equal(a.allocate('r1/0', 8192).offset, DATA_START, 'gap reused');
  t.ok(a.allocate('r1/1', 8192).offset >= y.offset + y.length, 'too big for the rest of the gap');
  t.throws(() => a.allocate('r0/1', 4096), { code: 'TANDEM_E_STATE' });
  t.throws(() => a.allocate('bad name', 4096), { code: 'TANDEM_E_USAGE' });
  t.throws(() => a.free('nope'), { code: 'TANDEM_E_NOT_FOUND' });
  t.throws(() => Allocator.format(store, store.length, path), { code: 'TANDEM_E_META', message: /already holds data/ });
  for (let i = a.list().length; i < MAX_ENTRIES; i++) a.allocate(`v/${i}`, 4096);
  t.throws(() => a.allocate('one/more', 4096), { code: 'TANDEM_E_META_SPACE', message: /directory is full/ });
  store.close();
});

t.test('a torn directory update leaves the previous directory (atomic updates)', async (t) => {
  const path = namespace(tempDir(t), 16 * 1024 * 1024);
  const store = PmemStore.open(path);
  const a = Allocator.format(store, store.length, path); // seq 1 in copy 0
  a.allocate('r0/0', 4096); // seq 2 in copy 1
  a.allocate('r0/1', 4096); // seq 3 in copy 0
  store.write(100, new Uint8Array(64).fill(0xee)); // tear copy 0
  t.same(Allocator.open(store, store.length, path).list().map((e) => e.name), ['r0/0']);
  store.write(16384 + 100, new Uint8Array(64).fill(0xee));
  t.throws(() => Allocator.open(store, store.length, path), { code: 'TANDEM_E_META', message: /no valid namespace directory \(copy 0: bad-crc, copy 1: bad-crc\)/ });
  store.close();
});

t.test('volumes addressed as pmem:<namespace>#<resource>/<volume> live side by side', async (t) => {
  const path = namespace(tempDir(t), 256 * 1024 * 1024);
  const a = VolumeMetadata.create(`pmem:${path}#r0/0`, { volumeSize: 4 * GiB, maxPeers: 2, nodeId: 0 });
  const b = VolumeMetadata.create(`pmem:${path}#r1/0`, { volumeSize: 8 * GiB, maxPeers: 2, nodeId: 0 });
  a.setOutOfSync(1, 0, GiB);
  b.setOutOfSync(1, 0, 2 * GiB);
  a.close();
  b.close();
  t.equal(VolumeMetadata.open(`pmem:${path}#r0/0`).outOfSyncBytes(1), GiB);
  t.equal(VolumeMetadata.open(`pmem:${path}#r1/0`).outOfSyncBytes(1), 2 * GiB);
  t.throws(() => VolumeMetadata.open(`pmem:${path}#r2/0`), { code: 'TANDEM_E_NOT_FOUND', message: /no metadata area named 'r2\/0'/ });
  t.throws(() => VolumeMetadata.create(`pmem:${path}#r0/0`, { volumeSize: 4 * GiB, maxPeers: 2, nodeId: 0 }), { code: 'TANDEM_E_STATE' });
  t.throws(() => VolumeMetadata.create(`pmem:${path}.new#r0/0`, { volumeSize: GiB, maxPeers: 2, nodeId: 0 }), { code: 'TANDEM_E_NOT_FOUND', message: /namespace .* does not exist/ });
  const c = VolumeMetadata.create(`pmem:${path}.new#r0/0`, { volumeSize: GiB, maxPeers: 2, nodeId: 0, namespaceSize: 8 * GiB });
  t.equal(c.superblock.volumeSize, GiB, 'namespace created sparse; only the area is written');
  c.close();
});
