// Protocol A: a write is acknowledged once handed to the send queue, so a crashed Primary can
// lose at most what that queue (and the socket buffers) held. A diskless node reads and writes
// through its diskful peers.
import t from 'tap';
import { createHash, randomBytes } from 'node:crypto';
import { execa } from 'execa';
import { NbdClient } from '../../src/demo/nbd-client.js';
import { TestCluster } from '../helpers/daemons.js';
import { bringUp, promoteAndSync } from '../helpers/scenario.js';
import { writeResource } from '../helpers/resource-config.js';
import { peersUpToDate, sha256File, waitFor } from '../helpers/wait.js';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
/** the transport's data queue bound plus generous kernel socket buffers on both ends */
const SEND_BUFFER_BOUND = 8 * 1024 * 1024 + 16 * 1024 * 1024;

t.test('protocol A: kill -9 of the Primary loses at most the send buffer', async (t) => {
  const cluster = new TestCluster();
  t.teardown(() => cluster.destroy());
  const files = await writeResource(cluster, { name: 'pa', nodes: ['a', 'b'], protocol: 'A', sizeBytes: 64 * 1024 * 1024 });
  await bringUp(cluster, 'pa', ['a', 'b']);
  await promoteAndSync(cluster, 'pa', 'a', ['b']);

  const client = await NbdClient.open(files.socket('a'));
  const block = 64 * 1024;
  const acked = new Map<number, string>();
  const deadline = Date.now() + 1500;
  for (let i = 0; Date.now() < deadline; i++) {
    const offset = (i % (client.size / block)) * block;
    const data = randomBytes(block);
    await client.write(offset, data);
    acked.set(offset, sha(data));
  }
  await cluster.kill('a');
  client.close();
  t.equal((await cluster.cli('b', ['primary', 'pa'])).exitCode, 0);
  const reader = await NbdClient.open(files.socket('b'));
  let lost = 0;
  for (const [offset, digest] of acked) if (sha(await reader.read(offset, block)) !== digest) lost += block;
  reader.close();
  t.ok(lost <= SEND_BUFFER_BOUND, `lost ${lost} bytes of acknowledged writes, bound ${SEND_BUFFER_BOUND}`);
});

t.test('a diskless node reads and writes through its diskful peers', async (t) => {
  const cluster = new TestCluster();
  t.teardown(() => cluster.destroy());
  const files = await writeResource(cluster, { name: 'dl', nodes: ['a', 'b', 'c'], diskless: ['c'] });
  await bringUp(cluster, 'dl', ['a', 'b', 'c'], { diskless: ['c'] });
  await promoteAndSync(cluster, 'dl', 'a', ['b']);
  await cluster.cli('a', ['secondary', 'dl']);
  await waitFor(cluster, 'c', 'dl', 'c sees UpToDate peers', peersUpToDate(['a', 'b']));
  const promoted = await cluster.cli('c', ['primary', 'dl']);
  t.equal(promoted.exitCode, 0, `diskless c becomes Primary: ${promoted.stderr}`);

  const qemu = await execa('qemu-io', ['-f', 'raw', '-c', 'write -P 0x77 1M 256k', '-c', 'read -P 0x77 1M 256k', `nbd:unix:${files.socket('c')}`]);
  t.notMatch(String(qemu.stdout), /verification failed/i, 'c reads back what it wrote, through a peer');
  await execa('qemu-io', ['-f', 'raw', '-c', 'flush', `nbd:unix:${files.socket('c')}`]);
  t.equal(sha256File(files.disk('a')), sha256File(files.disk('b')), 'both diskful replicas are identical');
  const pattern = await execa('qemu-io', ['-f', 'raw', '-r', '-c', 'read -P 0x77 1M 256k', files.disk('a')]);
  t.notMatch(String(pattern.stdout), /verification failed/i, "the write is on a's disk");
});
