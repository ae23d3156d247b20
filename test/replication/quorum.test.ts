// Quorum (quorum = majority) with three real daemons on loopback: a Primary that loses its
// majority freezes writes (suspend-io) until a peer returns, or fails them (io-error) without
// touching the data; a node without quorum is never promoted, not even with --force.
import t, { type Test } from 'tap';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { NbdClient } from '../../src/demo/nbd-client.js';
import { TestCluster } from '../helpers/daemons.js';
import { bringUp, promoteAndSync } from '../helpers/scenario.js';
import { writeResource, type ResourceFiles } from '../helpers/resource-config.js';
import { peersUpToDate, readRange, sha256File, status, waitFor } from '../helpers/wait.js';

const BLOCK = 64 * 1024;

async function threeNodes(t: Test, onNoQuorum: 'suspend-io' | 'io-error'): Promise<{ cluster: TestCluster; files: ResourceFiles }> {
  const cluster = new TestCluster('tandem-quorum-');
  t.teardown(() => cluster.destroy());
  const files = await writeResource(cluster, { name: 'q0', nodes: ['a', 'b', 'c'], extra: ['quorum = majority', `on-no-quorum = ${onNoQuorum}`] });
  await bringUp(cluster, 'q0', ['a', 'b', 'c']);
  await promoteAndSync(cluster, 'q0', 'a', ['b', 'c']);
  return { cluster, files };
}

const readBlock = (path: string, offset: number): Buffer => readRange(path, offset, BLOCK);

const lost = (peer: string) => (s: { connections: { peer: string; connectionState: string }[] }) =>
  s.connections.some((c) => c.peer === peer && c.connectionState !== 'Connected');

t.test('suspend-io: writes wait while the Primary is alone and complete when a peer returns', async (t) => {
  const { cluster, files } = await threeNodes(t, 'suspend-io');
  t.equal((await status(cluster, 'a', 'q0')).quorum, true, 'three of three: quorum');
  const client = await NbdClient.open(files.socket('a'));
  t.teardown(() => client.close());
  await client.write(0, randomBytes(BLOCK));

  await cluster.kill('c');
  await waitFor(cluster, 'a', 'q0', 'c lost', lost('c'));
  t.equal((await status(cluster, 'a', 'q0')).quorum, true, 'two of three keep quorum');
  await client.write(BLOCK, randomBytes(BLOCK));
  t.pass('writes go on with a majority');

  await cluster.kill('b');
  const alone = await waitFor(cluster, 'a', 'q0', 'quorum lost', (s) => !s.quorum);
  t.equal(alone.suspended, true, 'I/O suspended without quorum');
  const data = randomBytes(BLOCK);
  let done = false;
  const pending = client.write(2 * BLOCK, data).then(() => { done = true; });
  await sleep(1500);
  t.equal(done, false, 'a write without quorum is not acknowledged');

  await cluster.start('b');
  t.equal((await cluster.cli('b', ['up', 'q0'])).exitCode, 0, 'b comes back');
  await pending;
  t.pass('the frozen write completes once b is connected again');
  t.equal((await status(cluster, 'a', 'q0')).suspended, false, 'I/O resumed');
  await waitFor(cluster, 'a', 'q0', 'b UpToDate again', peersUpToDate(['b']));
  t.same(readBlock(files.disk('b'), 2 * BLOCK), data, 'the write that waited for quorum reached b');
  t.equal((await cluster.cli('a', ['secondary', 'q0'])).exitCode, 0);
  t.equal(sha256File(files.disk('a')), sha256File(files.disk('b')), 'a and b identical');

  // b and a remain; a goes too: b alone must not become Primary, whatever the operator forces
  await cluster.kill('a');
  await waitFor(cluster, 'b', 'q0', 'quorum lost on b', (s) => !s.quorum);
  const forced = await cluster.cli('b', ['primary', 'q0', '--force']);
  t.not(forced.exitCode, 0, 'promotion without quorum is refused, even with --force');
  t.match(String(forced.stderr), /no quorum \(reaches 1 of 3 nodes, needs 2\)/);
  t.equal((await status(cluster, 'b', 'q0')).role, 'Secondary');
});

t.test('io-error: a Primary without quorum fails writes and changes nothing', async (t) => {
  const { cluster, files } = await threeNodes(t, 'io-error');
  const client = await NbdClient.open(files.socket('a'));
  t.teardown(() => client.close());
  const before = readBlock(files.disk('a'), 0);
  await cluster.kill('b');
  await cluster.kill('c');
  const alone = await waitFor(cluster, 'a', 'q0', 'quorum lost', (s) => !s.quorum);
  t.equal(alone.suspended, false, 'io-error does not suspend');
  await t.rejects(client.write(0, randomBytes(BLOCK)), 'the write fails with an NBD error');
  t.same(readBlock(files.disk('a'), 0), before, 'the refused write left the disk unchanged');
  t.equal((await client.read(0, BLOCK)).length, BLOCK, 'reads are still served');
});
