// Issue 8, defect 8: damage in the bitmap or activity-log area of a stopped node's metadata is
// found and never trusted (the lead's decision, bulletin 01:35): `tandem md check` exits non-zero
// naming the damaged area; `tandem up` still brings the node back, treats every damaged range as
// out of sync for every peer (a damaged AL: the whole volume), logs a warning, and the node ends
// identical to its peer after a resync.
// Both cases are built so that trusting the damaged area would skip a needed resync:
//  - bitmap: a wrote 1 MiB while b was away, so a's bitmap has those bits set for b; a is stopped
//    cleanly and the bitmap words holding them are inverted (set bits cleared).
//  - activity log: a (Primary, 64 AL extents) wrote to extent 2, then to 9 other extents, and
//    was killed with extent 2 still hot in its AL; b (7 AL extents, configured on its own) has
//    evicted extent 2 from its AL by then, so only a's AL names it. A block of extent 2 on a's
//    disk is then changed (a write that reached a's disk but not b's before the crash) and the AL
//    slots' epoch tags are inverted (so the slots read as free). Whichever way the resync goes
//    (under protocol C the node that stayed up may be the source of a crashed Primary's AL
//    extents), the two disks must end identical.
// Areas are found with `tandem md dump --json` (metadata-areas.ts).
import t from 'tap';
import { execa } from 'execa';
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { TestCluster } from '../helpers/daemons.js';
import { logLinesSince, logMark, printLogsOnFailure } from '../helpers/daemon-log.js';
import { waitConverged } from '../helpers/convergence.js';

import { flipBytes, metadataAreas } from '../helpers/metadata-areas.js';
import { writeResource } from '../helpers/resource-config.js';
import { bringUp, promoteAndSync, must } from '../helpers/scenario.js';
import { sha256File, waitFor } from '../helpers/wait.js';

const MiB = 1024 * 1024;
const SIZE = 16 * MiB;
const DAMAGE_WARNING = /damag|checksum|crc|corrupt/i;

t.test('flipped bytes in the bitmap area', async (t) => {
  const cluster = new TestCluster('tandem-mdbm-');
  t.teardown(() => cluster.destroy());
  printLogsOnFailure(t, cluster);
  const files = await writeResource(cluster, { name: 'mb', nodes: ['a', 'b'], sizeBytes: SIZE });
  await bringUp(cluster, 'mb', ['a', 'b']);
  await promoteAndSync(cluster, 'mb', 'a', ['b']);

  await cluster.kill('b');
  await waitFor(cluster, 'a', 'mb', 'b lost', (s) => s.connections[0].connectionState !== 'Connected', 20_000);
  const w = await execa('qemu-io', ['-f', 'raw', '-c', 'write -P 0x5a 0 1M', '-c', 'flush', `nbd:unix:${files.socket('a')}`]);
  t.equal(w.exitCode, 0, 'a wrote 1 MiB while b was away');
  await must(cluster, 'a', ['secondary', 'mb']);
  await must(cluster, 'a', ['down', 'mb']);
  await cluster.stop('a');

  const areas = await metadataAreas(cluster, 'a', 'mb');
  const bSlot = (areas.dump.peers as Array<{ nodeId: number | null; outOfSyncBytes: number }>).find((p) => p.nodeId === 1);
  t.equal(bSlot?.outOfSyncBytes, MiB, "a's metadata holds 1 MiB out of sync for b before the damage");
  // bits 0..255 of every slot: the first 8 interleaved 32-bit words per slot
  flipBytes(areas.file, areas.bitmap.offset, 8 * 4 * areas.maxPeers);

  const found = await mdCheckError(cluster, 'a', 'mb', areas.file);
  t.match(found, /TANDEM_E_META.*bitmap/is, 'md check exits non-zero naming the bitmap');

  const mark = logMark(cluster);
  await cluster.start('a');
  const up = await cluster.cli('a', ['up', 'mb']);
  t.equal(up.exitCode, 0, `tandem up brings a back (${String(up.stderr).split('\n')[0] || 'ok'})`);
  await cluster.start('b');
  await must(cluster, 'b', ['up', 'mb']);
  const warned = logLinesSince(cluster, mark, 'a', DAMAGE_WARNING).filter((l) => l.level === 'warn' || l.level === 'error');
  t.ok(warned.length > 0, `a logs a warning about the damaged bitmap (${warned[0]?.msg ?? 'none'})`);
  await waitConverged(cluster, 'mb', ['a', 'b'], 60_000).then(() => t.pass('both UpToDate after the resync'), (err: Error) => t.fail(err.message));
  t.equal(sha256File(files.disk('b')), sha256File(files.disk('a')), 'b is identical to a: the damaged range was resynced');
});

t.test('flipped bytes in the activity-log area', async (t) => {
  const cluster = new TestCluster('tandem-mdal-');
  t.teardown(() => cluster.destroy());
  printLogsOnFailure(t, cluster);
  const files = await writeResource(cluster, { name: 'ma', nodes: ['a', 'b'], sizeBytes: 64 * MiB, extra: ['al-extents = 7'] });
  const shared = readFileSync(join(cluster.configDir, 'ma.ini'), 'utf8');
  cluster.writeNodeConfig('a', 'ma.ini', shared.replace('al-extents = 7', 'al-extents = 64'));
  await bringUp(cluster, 'ma', ['a', 'b']);
  await promoteAndSync(cluster, 'ma', 'a', ['b']);

  const later = Array.from({ length: 9 }, (_, i) => ['-c', `write -P 0x44 ${(3 + i) * 4}M 4k`]).flat();
  const w = await execa('qemu-io', ['-f', 'raw', '-c', 'write -P 0x33 8M 1M', ...later, '-c', 'flush', `nbd:unix:${files.socket('a')}`]);
  t.equal(w.exitCode, 0, 'a wrote 1 MiB in extent 2, then 4 KiB in each of extents 3-11');
  await cluster.kill('a');
  // a write that reached a's disk, not b's, when a crashed: 4 KiB in the hot extent
  const fd = openSync(files.disk('a'), 'r+');
  writeSync(fd, Buffer.alloc(4096, 0xc4), 0, 4096, 8 * MiB + 64 * 1024);
  closeSync(fd);

  const areas = await metadataAreas(cluster, 'a', 'ma');
  const hot = ((areas.dump.activityLog as { extentsOnMedia?: number[] }).extentsOnMedia ?? []);
  t.ok(hot.includes(2), `extent 2 is hot in a's activity log before the damage (${hot.join(' ')})`);
  // invert the epoch tag (second u32) of every 8-byte AL slot
  flipBytes(areas.file, areas.activityLog.offset + 4, areas.activityLog.length - 4, { stride: 8, width: 4 });

  const found = await mdCheckError(cluster, 'a', 'ma', areas.file);
  t.match(found, /TANDEM_E_META.*activity.log/is, 'md check exits non-zero naming the activity log');

  const mark = logMark(cluster);
  await cluster.start('a');
  const up = await cluster.cli('a', ['up', 'ma']);
  t.equal(up.exitCode, 0, `tandem up brings a back (${String(up.stderr).split('\n')[0] || 'ok'})`);
  const warned = logLinesSince(cluster, mark, 'a', DAMAGE_WARNING).filter((l) => l.level === 'warn' || l.level === 'error');
  t.ok(warned.length > 0, `a logs a warning about the damaged activity log (${warned[0]?.msg ?? 'none'})`);
  await waitConverged(cluster, 'ma', ['a', 'b'], 60_000).then(() => t.pass('both UpToDate after the resync'), (err: Error) => t.fail(err.message));
  t.equal(sha256File(files.disk('b')), sha256File(files.disk('a')), "b is identical to a: the block only a's disk had was resynced, one way or the other");
});

/** What `md check` says when it fails (exit code, error code and message, the metadata's path left out); '' when it passes. */
async function mdCheckError(cluster: TestCluster, node: string, res: string, metaFile: string): Promise<string> {
  const r = await cluster.cli(node, ['md', 'check', res]);
  if (r.exitCode === 0) return '';
  return `exit ${r.exitCode}: ${String(r.stderr)}`.split(metaFile).join('<meta>');
}
