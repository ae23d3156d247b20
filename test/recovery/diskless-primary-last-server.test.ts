// A diskless Primary (c) runs fence-peer for a diskful peer it loses while another still serves
// its writes (b misses them), but not for the last one (a): once a is gone c writes nowhere, a
// holds the newest data there is, and outdated by fencing it would leave no disk to promote
// (sim seed 40250). Real daemons on loopback; the handlers are scripts (TANDEM_HANDLER_DIR) that
// record the peer they were called for.
import t from 'tap';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { NbdClient } from '../../src/demo/nbd-client.js';
import { logLinesSince, logMark } from '../helpers/daemon-log.js';
import { TestCluster } from '../helpers/daemons.js';
import { writeResource } from '../helpers/resource-config.js';
import { bringUp, must, promoteAndSync } from '../helpers/scenario.js';
import { status, waitFor } from '../helpers/wait.js';

t.test('a diskless Primary fences a lost server while another serves it, not its last one', async (t) => {
  const cluster = new TestCluster('tandem-dlfence-');
  t.teardown(() => cluster.destroy());
  const handlers = join(cluster.root, 'handlers');
  mkdirSync(handlers);
  writeFileSync(join(handlers, 'tandem-fence-peer'), `#!/bin/sh\necho "$DRBD_PEER_NODE_ID" >> ${handlers}/calls\nexit 4\n`, { mode: 0o755 });
  writeFileSync(join(handlers, 'tandem-unfence-peer'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  process.env.TANDEM_HANDLER_DIR = handlers; // inherited by the daemons started below
  const calls = (): string[] => (existsSync(join(handlers, 'calls')) ? readFileSync(join(handlers, 'calls'), 'utf8').trim().split('\n') : []);

  const files = await writeResource(cluster, { name: 'lf', nodes: ['a', 'b', 'c'], diskless: ['c'], fencing: 'resource-only', sizeBytes: 8 * 1024 * 1024 });
  await bringUp(cluster, 'lf', ['a', 'b', 'c'], { diskless: ['c'] });
  await promoteAndSync(cluster, 'lf', 'a', ['b']);
  await must(cluster, 'a', ['secondary', 'lf']);
  await must(cluster, 'c', ['primary', 'lf']);
  const client = await NbdClient.open(files.socket('c'));
  t.teardown(() => client.close());
  await client.write(0, Buffer.alloc(4096, 1));
  const ids = new Map((await status(cluster, 'c', 'lf')).connections.map((x) => [x.peer, String(x.nodeId)]));

  await cluster.kill('b');
  await waitFor(cluster, 'c', 'lf', 'fence-peer ran for b', () => calls().length === 1, 20_000);
  t.same(calls(), [ids.get('b')], 'fence-peer for b: a still serves the writes b misses');
  await client.write(4096, Buffer.alloc(4096, 2));

  const mark = logMark(cluster);
  await cluster.kill('a');
  await waitFor(cluster, 'c', 'lf', 'a lost', (s) => s.connections.some((x) => x.peer === 'a' && x.connectionState !== 'Connected'), 20_000);
  await sleep(1500); // the handler for b ran within a second of its loss
  t.same(calls(), [ids.get('b')], 'no fence-peer for a, the last server: no write goes on without it');
  t.equal(logLinesSince(cluster, mark, 'c', /lost the last peer holding this Primary's data/).length, 1, 'c says why it did not fence a');
});
