import t from 'tap';
import { join } from 'node:path';
import { check, dump, summarize } from '../../src/meta/inspect.js';
import { PmemStore } from '../../src/meta/pmem.js';
import { BITMAP_OFFSET } from '../../src/meta/layout.js';
import { VolumeMetadata } from '../../src/meta/volume-metadata.js';
import { GiB, tempDir } from './fixtures/helpers.js';

t.test('inspection is read-only: an unclean AL is reported, not replayed', async (t) => {
  const placement = `pmem:${join(tempDir(t), 'md')}`;
  const md = VolumeMetadata.create(placement, { volumeSize: GiB, maxPeers: 2, nodeId: 0 });
  md.activate(7); // left hot and the metadata not closed: as after a crash
  const before = summarize(placement);
  t.match(before.activityLog, { clean: false, hotExtents: 1 });
  t.same(dump(placement).activityLog.extentsOnMedia, [7]);
  t.match(check(placement).warnings, [{ what: 'activity log', message: /not clean: .* replays 1 extents/ }]);
  t.same(summarize(placement), before, 'nothing changed on media');
});

t.test('check: bits set beyond the end of the volume are corruption', async (t) => {
  const path = join(tempDir(t), 'md');
  const volumeSize = GiB + 4096; // 262145 blocks: the slot is padded to 262208 bits
  VolumeMetadata.create(`pmem:${path}`, { volumeSize, maxPeers: 1, nodeId: 0 }).close();
  t.equal(check(`pmem:${path}`).warnings.length, 0);
  const store = PmemStore.open(path);
  const lastWord = Math.floor(262145 / 32);
  store.write(BITMAP_OFFSET + lastWord * 4, new Uint8Array([0, 0x80, 0, 0])); // bit 262159
  store.persist(0, store.length);
  t.throws(() => check(`pmem:${path}`), { code: 'TANDEM_E_META', message: /bitmap slot 0: 1 bits set beyond the end of the volume/ });
});
