// Split brain between two real daemons: both sides promoted and written while disconnected are
// detected on reconnection and refused; the operator resolves it as with DRBD, `tandem connect
// --discard-my-data` on the victim, after which the victim holds exactly the survivor's data,
// including blocks only the victim had written. The flag serves one handshake only.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { NbdClient } from '../../src/demo/nbd-client.js';
import { TestCluster } from '../helpers/daemons.js';
import { bringUp, promoteAndSync } from '../helpers/scenario.js';
import { writeResource } from '../helpers/resource-config.js';
import { peersUpToDate, readRange, sha256File, status, waitFor } from '../helpers/wait.js';

const BLOCK = 64 * 1024;
const cluster = new TestCluster('tandem-splitbrain-');
t.teardown(() => cluster.destroy());
const files = await writeResource(cluster, { name: 's0', nodes: ['a', 'b'] });
await bringUp(cluster, 's0', ['a', 'b']);
await promoteAndSync(cluster, 's0', 'a', ['b']);

const readBlock = (node: string, block: number): Buffer => readRange(files.disk(node), block * BLOCK, BLOCK);

async function must(node: string, args: string[]): Promise<void> {
  const r = await cluster.cli(node, args);
  if (r.exitCode !== 0) throw new Error(`tandem ${args.join(' ')} on ${node}: ${r.stderr}`);
}

/** Primary on `node` while disconnected: write `blocks`, demote; returns what was written. */
async function writeAlone(node: string, blocks: number[]): Promise<Map<number, Buffer>> {
  await must(node, ['primary', 's0']);
  const client = await NbdClient.open(files.socket(node));
  const written = new Map<number, Buffer>();
  for (const b of blocks) {
    const data = randomBytes(BLOCK);
    await client.write(b * BLOCK, data);
    written.set(b, data);
  }
  client.close();
  await must(node, ['secondary', 's0']);
  return written;
}

async function diverge(): Promise<{ onA: Map<number, Buffer>; onB: Map<number, Buffer> }> {
  for (const n of ['a', 'b']) await must(n, ['disconnect', 's0']);
  const onA = await writeAlone('a', [1, 3]); // block 3: written on a only
  const onB = await writeAlone('b', [1, 2]); // block 2: written on b only
  return { onA, onB };
}

const standAlone = (s: { connections: { connectionState: string }[] }) => s.connections[0].connectionState === 'StandAlone';

t.test('detected and refused, then resolved with connect --discard-my-data on the victim', async (t) => {
  const { onA, onB } = await diverge();
  for (const n of ['a', 'b']) await must(n, ['connect', 's0']);
  await waitFor(cluster, 'a', 's0', 'a refuses the split brain', standAlone);
  await waitFor(cluster, 'b', 's0', 'b refuses the split brain', standAlone);
  await sleep(1000);
  t.ok(standAlone(await status(cluster, 'a', 's0')) && standAlone(await status(cluster, 'b', 's0')), 'both stay StandAlone: nothing is resynced on its own');
  t.same(readBlock('a', 3), onA.get(3), "a still has its own writes");

  await must('b', ['primary', 's0']);
  const refused = await cluster.cli('b', ['connect', 's0', '--discard-my-data']);
  t.not(refused.exitCode, 0, 'a Primary cannot discard its data');
  t.match(String(refused.stderr), /cannot discard the data of s0: this node is Primary/);

  await must('a', ['connect', 's0', '--discard-my-data']);
  await must('b', ['connect', 's0']);
  await waitFor(cluster, 'b', 's0', 'a resynced from b', peersUpToDate(['a']));
  await must('b', ['secondary', 's0']);
  t.same(readBlock('a', 1), onB.get(1), 'a block both wrote now holds b\'s data');
  t.same(readBlock('a', 2), onB.get(2), 'a block only b wrote reached a');
  t.same(readBlock('a', 3), readBlock('b', 3), 'a block only a wrote was rolled back to b\'s data');
  t.equal(sha256File(files.disk('a')), sha256File(files.disk('b')), 'identical disks');
});

let second: { onA: Map<number, Buffer>; onB: Map<number, Buffer> };

t.test('--discard-my-data is used up by one handshake: the next split brain is refused again', async (t) => {
  second = await diverge();
  for (const n of ['a', 'b']) await must(n, ['connect', 's0']);
  await waitFor(cluster, 'a', 's0', 'a refuses the new split brain', standAlone);
  await waitFor(cluster, 'b', 's0', 'b refuses the new split brain', standAlone);
  t.pass('refused: nothing was discarded without asking');
});

t.test('tandem split-brain resolve --keep, run on both nodes, keeps that node\'s data', async (t) => {
  const bad = await cluster.cli('a', ['split-brain', 'resolve', 's0', '--keep', 'zulu']);
  t.not(bad.exitCode, 0);
  t.match(String(bad.stderr), /--keep zulu: not a node of s0/);
  const onA = await cluster.cli('a', ['split-brain', 'resolve', 's0', '--keep', 'a']);
  t.match(String(onA.stdout), /a keeps its data/);
  const onB = await cluster.cli('b', ['split-brain', 'resolve', 's0', '--keep', 'a']);
  t.match(String(onB.stdout), /b discards its diverged writes and resyncs from a/);
  await waitFor(cluster, 'a', 's0', 'b resynced from a', peersUpToDate(['b']));
  t.same(readBlock('b', 1), second.onA.get(1), "b now holds a's write to the block both wrote");
  t.same(readBlock('b', 3), second.onA.get(3), 'and the block only a wrote');
  t.same(readBlock('b', 2), readBlock('a', 2), "b's own write is rolled back");
  t.equal(sha256File(files.disk('a')), sha256File(files.disk('b')), 'identical disks');
});
