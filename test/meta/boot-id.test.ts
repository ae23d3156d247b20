// The boot id in the superblock (docs/ARCHITECTURE.md §5, "Kill or power loss"): it round-trips on
// both placements, metadata written before the field existed reads as unknown, and md show says it.
import t from 'tap';
import { join } from 'node:path';
import { render } from '../../src/cli/commands/md/show.js';
import { summarize } from '../../src/meta/inspect.js';
import { BlockStore } from '../../src/meta/block.js';
import { PmemStore } from '../../src/meta/pmem.js';
import { BLOCK } from '../../src/meta/layout.js';
import { decodeSuperblock, encodeSuperblock, normalizeBootId, readSuperblock, writeSuperblock } from '../../src/meta/superblock.js';
import { VolumeMetadata } from '../../src/meta/volume-metadata.js';
import { GiB, tempDir } from './fixtures/helpers.js';

const LINUX_BOOT_ID = '4676b765-498b-4476-8a6c-ddcb6e901a2d\n';
const STORED = '4676b765498b44768a6cddcb6e901a2d';
const BOOT_ID_OFFSET = 1392;

t.test('normalizeBootId: a UUID in any case, dashes and newline aside; anything else is unknown', async (t) => {
  t.equal(normalizeBootId(LINUX_BOOT_ID), STORED);
  t.equal(normalizeBootId(LINUX_BOOT_ID.toUpperCase()), STORED);
  t.equal(normalizeBootId(null), null);
  t.equal(normalizeBootId(''), null);
  t.equal(normalizeBootId('not-a-boot-id'), null);
  t.equal(normalizeBootId('00000000-0000-0000-0000-000000000000'), null, 'all zeros is how "unknown" is stored');
  t.equal(normalizeBootId(`${STORED}00`), null, 'too long');
});

for (const kind of ['pmem', 'block'] as const) {
  const base = kind === 'pmem' ? '/dev/shm' : '/var/tmp';

  t.test(`${kind}: a new volume's boot id is unknown; set, it survives close and reopen; cleared, unknown again`, async (t) => {
    const placement = `${kind}:${join(tempDir(t, base), 'md')}`;
    const md = VolumeMetadata.create(placement, { volumeSize: GiB, maxPeers: 2, nodeId: 0 });
    t.equal(md.superblock.bootId, null);
    const seq = md.superblock.seq;
    md.setBootId(LINUX_BOOT_ID);
    t.equal(md.superblock.bootId, STORED);
    t.equal(md.superblock.seq, seq + 1, 'one superblock write');
    md.setBootId(STORED);
    t.equal(md.superblock.seq, seq + 1, 'the same id again writes nothing');
    md.close();
    const again = VolumeMetadata.open(placement);
    t.equal(again.superblock.bootId, STORED);
    t.equal(summarize(placement).bootId, STORED, 'md show/dump report it (read-only)');
    again.setBootId(null);
    again.close();
    t.equal(VolumeMetadata.open(placement, { readOnly: true }).superblock.bootId, null);
  });

  t.test(`${kind}: a crash right after the update finds it on media (no close needed)`, async (t) => {
    const path = join(tempDir(t, base), 'md');
    const md = VolumeMetadata.create(`${kind}:${path}`, { volumeSize: GiB, maxPeers: 1, nodeId: 0 });
    md.setBootId(LINUX_BOOT_ID);
    const store = kind === 'pmem' ? PmemStore.open(path) : BlockStore.open(path);
    t.teardown(() => store.close());
    t.equal(readSuperblock(store, 'md').sb.bootId, STORED);
  });

  t.test(`${kind}: metadata written before the field (zeros at ${BOOT_ID_OFFSET}) reads as unknown, every other field intact`, async (t) => {
    const path = join(tempDir(t, base), 'md');
    const md = VolumeMetadata.create(`${kind}:${path}`, { volumeSize: GiB, maxPeers: 2, nodeId: 3 });
    md.setDeviceFlags(['CONSISTENT', 'WAS_UP_TO_DATE']);
    const generation = md.newCurrentGeneration({ primary: false });
    md.close();
    const store = kind === 'pmem' ? PmemStore.open(path) : BlockStore.open(path);
    t.teardown(() => store.close());
    const { sb, copy } = readSuperblock(store, 'md');
    // what an older tandem writes: the same record with nothing past the bitmap checksum fields
    const bytes = encodeSuperblock({ ...sb, bootId: null });
    t.ok(bytes.subarray(BOOT_ID_OFFSET, BOOT_ID_OFFSET + 16).every((b) => b === 0));
    writeSuperblock(store, { ...sb, seq: sb.seq + 1, bootId: null }, copy);
    const old = VolumeMetadata.open(store);
    t.equal(old.superblock.bootId, null);
    t.equal(old.superblock.nodeId, 3);
    t.equal(old.superblock.currentGeneration, generation);
    t.ok(old.hasDeviceFlag('CONSISTENT') && old.hasDeviceFlag('WAS_UP_TO_DATE'));
  });
}

t.test('encode/decode keeps the boot id at its offset, inside the checksummed block', async (t) => {
  const placement = `pmem:${join(tempDir(t), 'md')}`;
  const md = VolumeMetadata.create(placement, { volumeSize: GiB, maxPeers: 1, nodeId: 0 });
  md.setBootId(LINUX_BOOT_ID);
  const bytes = encodeSuperblock(md.superblock);
  t.equal(bytes.length, BLOCK);
  t.equal(Buffer.from(bytes.subarray(BOOT_ID_OFFSET, BOOT_ID_OFFSET + 16)).toString('hex'), STORED);
  t.equal(decodeSuperblock(bytes, 1).bootId, STORED);
  t.throws(() => encodeSuperblock({ ...md.superblock, bootId: 'xyz' }), { code: 'TANDEM_E_META' });
  md.close();
});

t.test('md show prints the boot id, or "unknown"', async (t) => {
  const placement = `pmem:${join(tempDir(t), 'md')}`;
  const md = VolumeMetadata.create(placement, { volumeSize: GiB, maxPeers: 1, nodeId: 0 });
  t.match(render(summarize(placement)), /^ {2}boot id {11}unknown$/m);
  md.setBootId(LINUX_BOOT_ID);
  md.close();
  t.match(render(summarize(placement)), new RegExp(`^ {2}boot id {11}${STORED}$`, 'm'));
});
