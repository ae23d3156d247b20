// A diskless Primary (c) with two diskful peers (a, b) on loopback. It has no bitmap: when b is
// away, a records what b misses (the writes name b as "missing"), and when b returns a resyncs it,
// although a is only Secondary, while c keeps writing. The peers' data generations stay real (a
// diskless node's "no generation" is never adopted), and afterwards every UpToDate disk is identical.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { NbdClient } from '../../src/demo/nbd-client.js';
import { TestCluster } from '../helpers/daemons.js';
import { bringUp, promoteAndSync } from '../helpers/scenario.js';
import { writeResource } from '../helpers/resource-config.js';
import { peersUpToDate, sha256File, status, waitFor } from '../helpers/wait.js';

const BLOCK = 16 * 1024;
const cluster = new TestCluster('tandem-dlprimary-');
t.teardown(() => cluster.destroy());
const files = await writeResource(cluster, { name: 'd0', nodes: ['a', 'b', 'c'], diskless: ['c'], sizeBytes: 32 * 1024 * 1024 });
await bringUp(cluster, 'd0', ['a', 'b', 'c'], { diskless: ['c'] });
await promoteAndSync(cluster, 'd0', 'a', ['b']);
const must = async (node: string, args: string[]): Promise<void> => {
  const r = await cluster.cli(node, args);
  if (r.exitCode !== 0) throw new Error(`tandem ${args.join(' ')} on ${node}: ${r.stderr}`);
};
const generation = async (node: string): Promise<string | null> => (await status(cluster, node, 'd0')).volumes[0].currentGeneration;

/** Random blocks written through c until `until` resolves; returns how many were acknowledged. */
async function writeUntil(until: Promise<unknown>): Promise<number> {
  const client = await NbdClient.open(files.socket('c'));
  const blocks = client.size / BLOCK;
  let acked = 0;
  let done = false;
  void until.finally(() => { done = true; });
  const worker = async (): Promise<void> => {
    while (!done) {
      await client.write(Math.floor(Math.random() * blocks) * BLOCK, randomBytes(BLOCK));
      acked++;
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  client.close();
  return acked;
}

t.test('promoting the diskless node keeps the peers\' generation', async (t) => {
  await must('a', ['secondary', 'd0']);
  const before = await generation('a');
  await must('c', ['primary', 'd0']);
  await sleep(300);
  t.equal(await generation('a'), before, 'a keeps its data generation');
  t.equal(await generation('b'), before, 'b keeps its data generation');
  t.not(before, '4', 'a real generation, not "just created"');
});

t.test('a diskful peer away while the diskless Primary writes: recorded, resynced, identical', async (t) => {
  await cluster.kill('b');
  await waitFor(cluster, 'a', 'd0', 'b lost', (s) => s.connections.some((c) => c.peer === 'b' && c.connectionState !== 'Connected'));
  const away = await writeUntil(sleep(1500));
  t.ok(away > 20, `${away} writes while b was away`);
  const recorded = (await status(cluster, 'a', 'd0')).connections.find((c) => c.peer === 'b')!.volumes[0].outOfSyncBytes;
  t.ok(recorded > 0, `a recorded ${recorded} bytes out of sync for b`);

  // a is now the only UpToDate data c reaches: detached, its disk would be Outdated and c's data
  // on no disk that counts (sim seed 1448114171). DRBD refuses it (SS_NO_UP_TO_DATE_DISK).
  const refused = await cluster.cli('a', ['detach', 'd0']);
  t.not(refused.exitCode, 0, 'detaching the last UpToDate disk of a diskless Primary is refused');
  t.match(`${refused.stdout}${refused.stderr}`, /TANDEM_E_STATE[^]*only UpToDate data that c, the Primary/, 'with its code, saying why');
  t.equal((await status(cluster, 'a', 'd0')).volumes[0].diskState, 'UpToDate', 'a keeps its disk');
  t.ok(await writeUntil(sleep(200)) > 0, 'c still writes through a');

  // b returns while c keeps writing
  const back = (async () => {
    await cluster.start('b');
    await must('b', ['up', 'd0']);
    await waitFor(cluster, 'a', 'd0', 'b resynced by a', peersUpToDate(['b']), 60_000);
    await sleep(500); // more writes once b is in the generation again
  })();
  const during = await writeUntil(back);
  await back;
  t.ok(during > 20, `${during} writes while b came back and resynced`);
  await waitFor(cluster, 'c', 'd0', 'c writes to both again', (s) => s.connections.every((c) => c.connectionState === 'Connected'));
  await must('c', ['secondary', 'd0']);
  await waitFor(cluster, 'a', 'd0', 'b in sync', peersUpToDate(['b']));
  t.equal((await status(cluster, 'b', 'd0')).volumes[0].diskState, 'UpToDate');
  t.equal(await generation('a'), await generation('b'), 'a and b in the same generation');
  t.equal(sha256File(files.disk('a')), sha256File(files.disk('b')), 'a and b identical');
});

t.test('two diskful Secondaries could both resync the returning peer: it takes one source at a time', async (t) => {
  const four = new TestCluster('tandem-dlprimary4-');
  t.teardown(() => four.destroy());
  const f = await writeResource(four, { name: 'd1', nodes: ['a', 'b', 'd', 'c'], diskless: ['c'], sizeBytes: 16 * 1024 * 1024 });
  await bringUp(four, 'd1', ['a', 'b', 'd', 'c'], { diskless: ['c'] });
  await promoteAndSync(four, 'd1', 'a', ['b', 'd']);
  const run = async (node: string, args: string[]): Promise<void> => {
    const r = await four.cli(node, args);
    if (r.exitCode !== 0) throw new Error(`tandem ${args.join(' ')} on ${node}: ${r.stderr}`);
  };
  await run('a', ['secondary', 'd1']);
  await run('c', ['primary', 'd1']);
  // a and b serve c too: d may detach (only the last UpToDate disk c reaches may not)
  await run('d', ['detach', 'd1']);
  await run('d', ['attach', 'd1']);
  await waitFor(four, 'c', 'd1', 'd attached and in sync again', peersUpToDate(['a', 'b', 'd']), 30_000);
  await four.kill('b');
  await waitFor(four, 'a', 'd1', 'b lost', (s) => s.connections.some((c) => c.peer === 'b' && c.connectionState !== 'Connected'));
  const client = await NbdClient.open(f.socket('c'));
  for (let i = 0; i < 400; i++) await client.write(Math.floor(Math.random() * (client.size / BLOCK)) * BLOCK, randomBytes(BLOCK));
  await four.start('b');
  await run('b', ['up', 'd1']);
  for (const n of ['a', 'd']) await waitFor(four, n, 'd1', `b UpToDate as seen from ${n}`, peersUpToDate(['b']), 60_000);
  for (let i = 0; i < 100; i++) await client.write(Math.floor(Math.random() * (client.size / BLOCK)) * BLOCK, randomBytes(BLOCK));
  client.close();
  await run('c', ['secondary', 'd1']);
  const digests = ['a', 'b', 'd'].map((n) => sha256File(f.disk(n)));
  t.equal(digests[1], digests[0], 'b identical to a');
  t.equal(digests[2], digests[0], 'd identical to a');
});
