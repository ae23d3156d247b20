// kill -9 of the Primary in the middle of a write stream. Protocol C: every acknowledged write is
// on the survivors, and after the new Primary reconciles, the survivors' data is identical.
import t, { type Test } from 'tap';
import { createHash, randomBytes } from 'node:crypto';
import { NbdClient } from '../../src/demo/nbd-client.js';
import { TestCluster } from '../helpers/daemons.js';
import { bringUp, promoteAndSync } from '../helpers/scenario.js';
import { writeResource, type ResourceFiles } from '../helpers/resource-config.js';
import { peersUpToDate, sha256File, waitFor } from '../helpers/wait.js';

const BLOCK = 16 * 1024;
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

async function threeNodes(t: Test, protocol: 'A' | 'C'): Promise<{ cluster: TestCluster; files: ResourceFiles }> {
  const cluster = new TestCluster();
  t.teardown(() => cluster.destroy());
  const files = await writeResource(cluster, { name: 'f0', nodes: ['a', 'b', 'c'], protocol, sizeBytes: 16 * 1024 * 1024 });
  await bringUp(cluster, 'f0', ['a', 'b', 'c']);
  await promoteAndSync(cluster, 'f0', 'a', ['b', 'c']);
  return { cluster, files };
}

/** Writes from several workers, each on its own blocks; returns what each block may hold. */
async function writeUntilKilled(cluster: TestCluster, socket: string, ms: number): Promise<{ acked: number; expect: Map<number, string[]> }> {
  const client = await NbdClient.open(socket);
  const workers = 8;
  const perWorker = Math.floor(client.size / BLOCK / workers);
  const expect = new Map<number, string[]>();
  let acked = 0;
  let stop = false;
  const run = async (w: number): Promise<void> => {
    while (!stop) {
      const offset = (Math.floor(Math.random() * perWorker) * workers + w) * BLOCK;
      const data = randomBytes(BLOCK);
      const previous = expect.get(offset) ?? [sha(Buffer.alloc(BLOCK))];
      expect.set(offset, [previous[0], sha(data)]);
      try { await client.write(offset, data); } catch { return; }
      expect.set(offset, [sha(data)]);
      acked++;
    }
  };
  const running = Array.from({ length: workers }, (_, w) => run(w));
  await new Promise((r) => setTimeout(r, ms));
  await cluster.kill('a');
  stop = true;
  await Promise.all(running);
  client.close();
  return { acked, expect };
}

async function check(socket: string, expect: Map<number, string[]>): Promise<number> {
  const client = await NbdClient.open(socket);
  let bad = 0;
  for (const [offset, allowed] of expect) if (!allowed.includes(sha(await client.read(offset, BLOCK)))) bad++;
  client.close();
  return bad;
}

t.test('protocol C: kill -9 of the Primary loses no acknowledged write', async (t) => {
  const { cluster, files } = await threeNodes(t, 'C');
  const { acked, expect } = await writeUntilKilled(cluster, files.socket('a'), 1500);
  t.ok(acked > 100, `wrote ${acked} acknowledged blocks before the crash`);
  t.equal((await cluster.cli('b', ['primary', 'f0'])).exitCode, 0, 'b is promoted');
  t.equal(await check(files.socket('b'), expect), 0, 'every acknowledged write is on the new Primary');
  await waitFor(cluster, 'b', 'f0', 'c UpToDate after reconciliation', peersUpToDate(['c']));
  await cluster.cli('b', ['secondary', 'f0']);
  t.equal(sha256File(files.disk('b')), sha256File(files.disk('c')), 'survivors are identical');
});
