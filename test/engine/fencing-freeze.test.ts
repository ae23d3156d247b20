// resource-and-stonith: a Primary that loses two peers runs one fence-peer handler for each, one
// at a time, and its writes stay frozen until EVERY handler has answered (not only the first). Real daemons on
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
  // the first handler answers "peer outdated" (4) after 1 s, when both peers are known lost; the
  // second answers only when the test lets it
  writeFileSync(join(handlers, 'tandem-fence-peer'), `#!/bin/sh
[ -e ${handlers}/calls ] && second=1
echo "$DRBD_PEER_NODE_ID" >> ${handlers}/calls
if [ -n "$second" ]; then while [ ! -e ${handlers}/release ]; do sleep 0.05; done; else sleep 1; echo done >> ${handlers}/calls; fi
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
  await waitFor(cluster, 'a', 'fz', 'both fence-peer handlers started', () => calls().length === 3, 20_000);
  t.same(calls().filter((l) => l !== 'done').sort(), ['1', '2'], 'one handler per lost peer');
  t.equal(calls()[1], 'done', 'the second handler started only after the first had answered');

  let done = false;
  const write = client.write(4096, Buffer.alloc(4096, 2)).then(() => { done = true; });
  await sleep(1500); // the first handler answered before the second started
  t.equal(done, false, 'the write waits while the second handler has not answered (the first has)');
  t.equal((await waitFor(cluster, 'a', 'fz', 'status', () => true)).suspended, true, 'status: suspended');

  writeFileSync(join(handlers, 'release'), '');
  await write;
  t.pass('the write completed once the last handler answered');
  t.equal((await waitFor(cluster, 'a', 'fz', 'resumed', (s) => !s.suspended, 10_000)).suspended, false);
});
