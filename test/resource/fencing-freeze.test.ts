// resource-and-stonith: a Primary that loses two peers runs one fence-peer handler for each, and
// its writes stay frozen until EVERY handler has answered (not only the first). Real daemons on
// loopback; the handlers are scripts (TANDEM_HANDLER_DIR) so one answers at once and the other
// only when the test lets it.
import t from 'tap';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { NbdClient } from '../../src/demo/nbd-client.js';
import { TestCluster } from '../helpers/daemons.js';
import { writeResource } from '../helpers/resource-config.js';
import { bringUp, promoteAndSync } from '../helpers/scenario.js';
import { waitFor } from '../helpers/wait.js';

t.test('writes stay frozen until the last fence-peer handler answers', async (t) => {
  const cluster = new TestCluster('tandem-freeze-');
  t.teardown(() => cluster.destroy());
  const handlers = join(cluster.root, 'handlers');
  mkdirSync(handlers);
  // both handlers run at once: peer 1's answers "peer outdated" (4) as soon as peer 2's has
  // started; peer 2's answers only when the test lets it
  writeFileSync(join(handlers, 'tandem-fence-peer'), `#!/bin/sh
echo "$DRBD_PEER_NODE_ID" >> ${handlers}/calls
if [ "$DRBD_PEER_NODE_ID" = 2 ]; then while [ ! -e ${handlers}/release ]; do sleep 0.05; done; fi
while [ "$(wc -l < ${handlers}/calls)" -lt 2 ]; do sleep 0.05; done
exit 4
`, { mode: 0o755 });
  writeFileSync(join(handlers, 'tandem-unfence-peer'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  process.env.TANDEM_HANDLER_DIR = handlers; // inherited by the daemons started below

  const files = await writeResource(cluster, { name: 'fz', nodes: ['a', 'b', 'c'], fencing: 'resource-and-stonith' });
  await bringUp(cluster, 'fz', ['a', 'b', 'c']);
  await promoteAndSync(cluster, 'fz', 'a', ['b', 'c']);
  const client = await NbdClient.open(files.socket('a'));
  t.teardown(() => client.close());
  await client.write(0, Buffer.alloc(4096, 1));

  await cluster.kill('b');
  await cluster.kill('c');
  const calls = (): string[] => (existsSync(join(handlers, 'calls')) ? readFileSync(join(handlers, 'calls'), 'utf8').trim().split('\n') : []);
  await waitFor(cluster, 'a', 'fz', 'both fence-peer handlers started', () => calls().length === 2, 20_000);
  t.same(calls().sort(), ['1', '2'], 'one handler per lost peer');

  let done = false;
  const write = client.write(4096, Buffer.alloc(4096, 2)).then(() => { done = true; });
  await sleep(1500); // peer 1's handler has answered by now
  t.equal(done, false, "the write waits while peer c's handler has not answered (b's already has)");
  t.equal((await waitFor(cluster, 'a', 'fz', 'status', () => true)).suspended, true, 'status: suspended');

  writeFileSync(join(handlers, 'release'), '');
  await write;
  t.pass('the write completed once the last handler answered');
  t.equal((await waitFor(cluster, 'a', 'fz', 'resumed', (s) => !s.suspended, 10_000)).suspended, false);
});
