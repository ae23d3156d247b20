// tandem md create|show|dump|check|size through the real CLI, on real pmem: (tmpfs) and block:
// placements, from --meta and from a resource's configuration.
import t, { type Test } from 'tap';
import { closeSync, ftruncateSync, mkdtempSync, openSync, readSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { tandem, tandemJson } from '../../helpers/cli.js';
import { crc32c } from '../../../src/meta/crc32c.js';
import { VolumeMetadata } from '../../../src/meta/volume-metadata.js';
import { slotCheck } from '../../../src/meta/activity-log.js';
import { BITMAP_OFFSET } from '../../../src/meta/layout.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

function tempDir(t: Test, base = '/dev/shm'): string {
  const dir = mkdtempSync(join(base, 'tandem-md-cli-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

interface ErrorJson { error: { code: string; message: string; hint: string; details: Record<string, unknown> } }

t.test('md size --volume 1TiB --peers 2 prints the exact size, within 64.1 MiB', async (t) => {
  // 2 superblock copies + 32 KiB AL + one bit per 4 KiB per peer slot + a 4-byte checksum per 8 KiB of bitmap
  const expected = 2 * 4096 + 32 * 1024 + (2 ** 40 / 4096 / 8) * 2 + ((2 ** 40 / 4096 / 8) * 2 / 8192) * 4;
  const { result, json } = await tandemJson<{ bytes: number; bitmapBytes: number }>(['md', 'size', '--volume', '1TiB', '--peers', '2']);
  t.equal(result.exitCode, 0);
  t.equal(json.bytes, expected);
  t.equal(json.bytes, 67_182_592);
  t.ok(json.bytes <= 64.1 * MiB, `${json.bytes} <= 64.1 MiB`);
  t.equal(json.bitmapBytes, 64 * MiB);
  const text = await tandem(['md', 'size', '--volume', '1TiB', '--peers', '2']);
  t.match(String(text.stdout), /^67182592 bytes \(64\.07MiB\) for 1TiB with 2 peers$/m);
  const bad = await tandemJson<ErrorJson>(['md', 'size', '--volume', 'lots', '--peers', '2']);
  t.equal(bad.result.exitCode, 2);
  t.equal(bad.json.error.code, 'TANDEM_E_USAGE');
  const tooMany = await tandemJson<ErrorJson>(['md', 'size', '--volume', '1TiB', '--peers', '40']);
  t.match(tooMany.json.error, { code: 'TANDEM_E_USAGE', message: /invalid number of peers 40/ });
});

for (const kind of ['pmem', 'block'] as const) {
  t.test(`${kind}: create, show, dump and check on one placement`, async (t) => {
    const meta = `${kind}:${join(tempDir(t, kind === 'pmem' ? '/dev/shm' : '/var/tmp'), 'md')}`;
    const created = await tandemJson<Array<{ kind: string; volumeSize: number; maxPeers: number; nodeId: number; bytes: number }>>(
      ['md', 'create', '--meta', meta, '--volume-size', '1GiB', '--peers', '2', '--node-id', '3']);
    t.equal(created.result.exitCode, 0, String(created.result.stderr));
    t.match(created.json[0], { kind, volumeSize: GiB, maxPeers: 2, nodeId: 3, bytes: 8192 + 32768 + 65536 + 4096 });

    const again = await tandemJson<ErrorJson>(['md', 'create', '--meta', meta, '--volume-size', '1GiB', '--peers', '2']);
    t.not(again.result.exitCode, 0, 'refuses to overwrite valid metadata');
    t.match(again.json.error, { code: 'TANDEM_E_STATE', message: /already holds valid Tandem metadata/, hint: /--force/ });

    // Some state, made the way the daemon would: a peer, a generation, bits, a hot extent.
    const md = VolumeMetadata.open(meta);
    const gen = md.newCurrentGeneration({ primary: true });
    md.setOutOfSync(1, 8 * MiB, MiB);
    await md.activate(2);
    md.complete(2);
    md.close();

    const shown = await tandemJson<Array<{ nodeId: number; currentGeneration: string; deviceFlags: string[]; peers: Array<{ nodeId: number | null; outOfSyncBytes: number }>; activityLog: { hotExtents: number; clean: boolean } }>>(['md', 'show', '--meta', meta]);
    t.equal(shown.result.exitCode, 0);
    t.equal(shown.json[0].nodeId, 3);
    t.equal(shown.json[0].currentGeneration, gen.toString(16).toUpperCase().padStart(16, '0'));
    t.same(shown.json[0].peers.map((p) => p.nodeId), [1, null]);
    // node 1 is not known in sync: extent 2 (8..12 MiB), hot at close, is marked; it holds the 1 MiB range
    t.equal(shown.json[0].peers[0].outOfSyncBytes, 4 * MiB);
    t.match(shown.json[0].activityLog, { hotExtents: 1, clean: true });
    const text = await tandem(['md', 'show', '--meta', meta]);
    t.match(String(text.stdout), /node id\s+3/);
    t.match(String(text.stdout), /peer slot 0\s+node 1, out of sync 4MiB/);

    const dumped = await tandemJson<Array<{ outOfSync: Array<{ slot: number; ranges: Array<[number, number]> }>; activityLog: { extentsOnMedia: number[] }; superblockCopies: Array<{ status: string }> }>>(['md', 'dump', '--meta', meta]);
    t.same(dumped.json[0].outOfSync[0].ranges, [[8 * MiB, 12 * MiB]]);
    t.same(dumped.json[0].outOfSync[1].ranges, []);
    t.same(dumped.json[0].activityLog.extentsOnMedia, [2]);
    t.same(dumped.json[0].superblockCopies.map((c) => c.status), ['valid', 'valid']);

    const checked = await tandemJson<Array<{ ok: boolean }>>(['md', 'check', '--meta', meta]);
    t.equal(checked.result.exitCode, 0);
    t.equal(checked.json[0].ok, true);

    const forced = await tandemJson<Array<{ volumeSize: number }>>(['md', 'create', '--meta', meta, '--volume-size', '2GiB', '--peers', '1', '--force']);
    t.equal(forced.result.exitCode, 0);
    t.equal(forced.json[0].volumeSize, 2 * GiB);
  });
}

t.test('md check names what is wrong and exits with TANDEM_E_META', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'md');
  const meta = `pmem:${path}`;
  const create = () => tandem(['md', 'create', '--meta', meta, '--volume-size', '1GiB', '--peers', '2', '--force']);
  const patch = (offset: number, bytes: Uint8Array) => {
    const fd = openSync(path, 'r+');
    writeSync(fd, bytes, 0, bytes.length, offset);
    closeSync(fd);
  };
  const checkErr = async () => {
    const r = await tandemJson<ErrorJson>(['md', 'check', '--meta', meta]);
    t.equal(r.result.exitCode, 5, 'TANDEM_E_META exit code');
    t.equal(r.json.error.code, 'TANDEM_E_META');
    return r.json.error;
  };

  await create();
  patch(4096 + 40, new Uint8Array([1, 2, 3]));
  const oneBad = await tandemJson<Array<{ warnings: Array<{ what: string; message: string }> }>>(['md', 'check', '--meta', meta]);
  t.equal(oneBad.result.exitCode, 0, 'one bad copy: still usable');
  t.match(oneBad.json[0].warnings, [{ what: 'superblock copy 1', message: /bad-crc/ }]);

  patch(40, new Uint8Array([1, 2, 3]));
  t.match((await checkErr()).message, /both superblock copies are bad \(copy 0: bad-crc, copy 1: bad-crc\)/);

  writeFileSync(path, Buffer.alloc(128 * 1024, 0x37));
  t.match((await checkErr()).message, /not Tandem metadata \(bad magic in both superblock copies: foreign data\)/);

  await create();
  for (const base of [0, 4096]) {
    const fd = openSync(path, 'r+');
    const block = Buffer.alloc(4096);
    (await import('node:fs')).readSync(fd, block, 0, 4096, base);
    block.writeUInt32LE(7, 8); // format version 7
    block.writeUInt32LE(0, 12);
    block.writeUInt32LE(crc32c(block), 12);
    writeSync(fd, block, 0, 4096, base);
    closeSync(fd);
  }
  const tooNew = await checkErr();
  t.match(tooNew.message, /format version 7 is newer than this tandem understands \(2\)/);
  t.match(tooNew.hint, /upgrade tandem/);

  await create();
  // A pmem AL slot of the current epoch that names an extent beyond the volume.
  const slot = Buffer.alloc(8);
  slot.writeUInt32LE(999_999, 0);
  slot.writeUInt16LE(1, 4); // the current epoch's tag
  slot.writeUInt16LE(slotCheck(slot, 0), 6); // a valid check: what it says is wrong, not how it is stored
  patch(8192, slot);
  t.match((await checkErr()).message, /activity log: extents 999999 are beyond the volume's 256 extents/);

  const missing = await tandemJson<ErrorJson>(['md', 'check', '--meta', `pmem:${dir}/nothing`]);
  t.equal(missing.json.error.code, 'TANDEM_E_NOT_FOUND');
});

for (const kind of ['pmem', 'block'] as const) {
  t.test(`${kind}: md check finds flipped bytes in the bitmap and the activity log (text and --json)`, async (t) => {
    const path = join(tempDir(t, kind === 'pmem' ? '/dev/shm' : '/var/tmp'), 'md');
    const meta = `${kind}:${path}`;
    const md = VolumeMetadata.create(meta, { volumeSize: GiB, maxPeers: 2, nodeId: 0 });
    md.setOutOfSync(1, 0, 8 * MiB);
    await md.activate(5);
    md.complete(5);
    md.close();
    t.equal((await tandem(['md', 'check', '--meta', meta])).exitCode, 0, 'undamaged');
    const flip = (offset: number) => {
      const fd = openSync(path, 'r+');
      const b = Buffer.alloc(1);
      readSync(fd, b, 0, 1, offset);
      b[0] ^= 0x04;
      writeSync(fd, b, 0, 1, offset);
      closeSync(fd);
    };
    // Clearing a bit of slot 0 in page 0 (bitmap byte 0 holds bits 0-7 of slot 0): a resync it would skip.
    flip(BITMAP_OFFSET);
    // Page 5 (bitmap bytes 40960-49151) holds volume bytes 640-768 MiB of both slots.
    flip(BITMAP_OFFSET + 5 * 8192 + 100);
    const r = await tandemJson<ErrorJson>(['md', 'check', '--meta', meta]);
    t.equal(r.result.exitCode, 5);
    t.match(r.json.error, { code: 'TANDEM_E_META', message: /bitmap page 0: fails its checksum: it holds the bits of volume bytes 0-134217728 .*bitmap page 5: fails its checksum/, hint: /safe direction.*Do not re-create/ });
    const findings = r.json.error.details.findings as Array<{ what: string; details: Record<string, unknown> }>;
    t.match(findings.filter((f) => f.what.startsWith('bitmap page')).map((f) => f.details), [
      { page: 0, volumeOffset: 0, volumeLength: 128 * MiB, bitmapOffset: 0, bitmapLength: 8192 },
      { page: 5, volumeOffset: 640 * MiB, volumeLength: 128 * MiB, bitmapOffset: 40960, bitmapLength: 8192 },
    ]);
    const text = await tandem(['md', 'check', '--meta', meta]);
    t.match(String(text.stderr), /bitmap page 0: fails its checksum/);
    t.match(String(text.stderr), /safe direction/);

    // The AL: a flipped byte in a PMEM slot, or in a ring transaction the rebuild needs.
    VolumeMetadata.create(meta, { volumeSize: GiB, maxPeers: 2, nodeId: 0, force: true }).close();
    const live = VolumeMetadata.open(meta);
    for (const e of [1, 2, 3]) { await live.activate(e); live.complete(e); }
    const alDamage = kind === 'pmem' ? 8192 + 8 * (live.superblock.alExtents - 2) + 1 : 8192 + 4096 * 1 + 40;
    flip(alDamage); // the live instance is dropped: as after a crash
    const al = await tandemJson<ErrorJson>(['md', 'check', '--meta', meta]);
    t.equal(al.result.exitCode, 5);
    t.match(al.json.error.message, kind === 'pmem'
      ? /activity log: 1 PMEM slots fail their check .*the AL is not clean: attach marks the whole volume out of sync for every peer/
      : /activity log: .*ring block 1\) is missing or damaged .*the AL is not clean: attach marks the whole volume out of sync for every peer/);
  });
}

t.test('md check and md show refuse format-1 metadata with the way out', async (t) => {
  const path = join(tempDir(t), 'md');
  VolumeMetadata.create(`pmem:${path}`, { volumeSize: GiB, maxPeers: 1, nodeId: 0 }).close();
  for (const base of [0, 4096]) {
    const fd = openSync(path, 'r+');
    const block = Buffer.alloc(4096);
    readSync(fd, block, 0, 4096, base);
    block.writeUInt32LE(1, 8);
    block.writeUInt32LE(0, 12);
    block.writeUInt32LE(crc32c(block), 12);
    writeSync(fd, block, 0, 4096, base);
    closeSync(fd);
  }
  for (const verb of ['check', 'show']) {
    const r = await tandemJson<ErrorJson>(['md', verb, '--meta', `pmem:${path}`]);
    t.equal(r.result.exitCode, 5, verb);
    t.match(r.json.error, { code: 'TANDEM_E_META', message: /format version 1 is older than this tandem reads/, hint: /tandem md create <resource> --force/ });
  }
});

t.test('md create r0 and md show r0 from the resource configuration', async (t) => {
  const dir = tempDir(t);
  const disk = join(dir, 'r0-alpha.img');
  const fd = openSync(disk, 'w');
  ftruncateSync(fd, 3 * GiB);
  closeSync(fd);
  writeFileSync(join(dir, 'r0.ini'), [
    '[resource]', 'name = r0', 'protocol = C', 'secret = s3cret-for-md', '',
    '[volume.0]', `meta = pmem:${join(dir, 'r0.meta')}`, '',
    '[node.alpha]', 'id = 4', 'address = 127.0.0.1:7789', `volume.0.disk = ${disk}`, '',
    '[node.bravo]', 'id = 5', 'address = 127.0.0.2:7789', `volume.0.disk = ${join(dir, 'bravo.img')}`, '',
    '[node.charlie]', 'id = 6', 'address = 127.0.0.3:7789', 'volume.0.disk = none', '',
  ].join('\n'));
  const env = { TANDEM_CONFIG_DIR: dir, TANDEM_NODE: 'alpha' };
  const created = await tandemJson<Array<{ placement: string; volumeSize: number; maxPeers: number; nodeId: number }>>(['md', 'create', 'r0'], env);
  t.equal(created.result.exitCode, 0, JSON.stringify(created.json));
  t.match(created.json, [{ placement: `pmem:${join(dir, 'r0.meta')}`, volumeSize: 3 * GiB, maxPeers: 1, nodeId: 4 }], 'size from the disk; charlie is diskless, so one peer slot');
  const shown = await tandemJson<Array<{ nodeId: number; volumeSize: number }>>(['md', 'show', 'r0'], env);
  t.match(shown.json, [{ nodeId: 4, volumeSize: 3 * GiB }]);
  const checked = await tandem(['md', 'check', 'r0'], env);
  t.equal(checked.exitCode, 0);
  const unknown = await tandemJson<ErrorJson>(['md', 'show', 'r9'], env);
  t.equal(unknown.json.error.code, 'TANDEM_E_NOT_FOUND');
  const both = await tandemJson<ErrorJson>(['md', 'show', 'r0', '--meta', 'pmem:/x'], env);
  t.equal(both.json.error.code, 'TANDEM_E_USAGE');
});

t.test('shared namespace areas and a missing addon', async (t) => {
  const dir = tempDir(t);
  const ns = join(dir, 'ns');
  const a = await tandemJson<Array<{ bytes: number }>>(['md', 'create', '--meta', `pmem:${ns}#r0/0`, '--volume-size', '1TiB', '--peers', '2', '--namespace-size', '8GiB']);
  t.equal(a.result.exitCode, 0, JSON.stringify(a.json));
  t.equal(a.json[0].bytes, 67_182_592);
  const b = await tandem(['md', 'create', '--meta', `pmem:${ns}#r1/0`, '--volume-size', '1GiB', '--peers', '2']);
  t.equal(b.exitCode, 0);
  t.equal((await tandem(['md', 'check', '--meta', `pmem:${ns}#r0/0`])).exitCode, 0);
  const whole = await tandemJson<ErrorJson>(['md', 'show', '--meta', `pmem:${ns}`]);
  t.match(whole.json.error, { code: 'TANDEM_E_USAGE', message: /is a namespace shared by 2 volumes \(r0\/0, r1\/0\)/, hint: /#r0\/0/ });
  const noAddon = await tandemJson<ErrorJson>(['md', 'show', '--meta', `pmem:${ns}#r1/0`], { TANDEM_PMEM_ADDON: join(dir, 'missing.node') });
  t.equal(noAddon.result.exitCode, 6);
  t.match(noAddon.json.error, { code: 'TANDEM_E_NATIVE', message: /libpmem addon tandem_pmem\.node was not found/, hint: /npm run build:native/ });
});
