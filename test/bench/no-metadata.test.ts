// TANDEM_BENCH_NO_METADATA=1 (the "metadata updates off" row): a real StandAlone Primary takes
// scattered writes through NBD; without the switch its activity log holds the written extents,
// with it the log stays as `md create` left it.
import t from 'tap';
import { execa } from 'execa';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePorts } from '../helpers/resource-config.js';
import { BenchCluster, RESOURCE } from '../../bench/lib/cluster.js';
import { Cleanup } from '../../bench/lib/cleanup.js';
import { VolumeMetadata } from '../../src/meta/volume-metadata.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const SIZE = 1024 ** 3;

async function hotExtentsAfterWrites(t: { teardown(fn: () => unknown): void }, env: Record<string, string>): Promise<number[]> {
  const dir = mkdtempSync('/dev/shm/tandem-bench-nometa-');
  const cleanup = new Cleanup();
  t.teardown(async () => { await cleanup.run(); rmSync(dir, { recursive: true, force: true }); });
  const [p1, p2] = await freePorts(2);
  const cluster = new BenchCluster({
    nodes: [{ name: 'n1', address: `127.0.0.1:${p1}`, wrap: [] }, { name: 'n2', address: `127.0.0.1:${p2}`, wrap: [] }],
    protocol: 'C', sizeBytes: SIZE, meta: 'pmem', dataDir: dir, blockDir: dir, daemonEnv: env,
  }, REPO, cleanup);
  await cluster.create();
  await cluster.start('n1');
  await cluster.cli('n1', ['up', RESOURCE]);
  await cluster.cli('n1', ['disconnect', RESOURCE]);
  await cluster.cli('n1', ['primary', RESOURCE, '--force']);
  // 64 writes, one per 16 MiB: 64 distinct 4 MiB AL extents
  const cmds = Array.from({ length: 64 }, (_, i) => ['-c', `write -P 0x5a ${i * 16}M 4k`]).flat();
  await execa('qemu-io', ['-f', 'raw', ...cmds, `nbd:unix:${cluster.socket('n1')}`]);
  await cluster.stop('n1');
  const meta = VolumeMetadata.open(cluster.metaPlacement('n1'), { readOnly: true });
  try {
    return meta.hotExtents();
  } finally {
    meta.close();
  }
}

t.test('the activity log records written extents, except with TANDEM_BENCH_NO_METADATA=1', async (t) => {
  // both daemons at once: each takes seconds to start on a loaded machine
  const [normal, off] = await Promise.all([hotExtentsAfterWrites(t, {}), hotExtentsAfterWrites(t, { TANDEM_BENCH_NO_METADATA: '1' })]);
  const written = Array.from({ length: 64 }, (_, i) => i * 4);
  t.ok(written.every((e) => normal.includes(e)), `without the switch all 64 written extents are in the AL (${normal.length} hot)`);
  t.same(off.filter((e) => written.includes(e)), [], `with the switch none is (${off.length} hot)`);
});
