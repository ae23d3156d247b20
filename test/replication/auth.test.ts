// A node with the wrong secret never connects: both ends refuse it, it is logged, and no data
// flows to it.
import t from 'tap';
import { execa } from 'execa';
import { TestCluster } from '../helpers/daemons.js';
import { bringUp } from '../helpers/scenario.js';
import { writeResource } from '../helpers/resource-config.js';
import { status } from '../helpers/wait.js';

t.test('wrong secret: refused on both sides, no data flows', async (t) => {
  const cluster = new TestCluster();
  t.teardown(() => cluster.destroy());
  const files = await writeResource(cluster, { name: 'w0', nodes: ['a', 'b'], secrets: { b: 'not-the-secret' } });
  await bringUp(cluster, 'w0', ['a', 'b']);
  await cluster.cli('a', ['primary', 'w0', '--force']);
  await execa('qemu-io', ['-f', 'raw', '-c', 'write -P 0x5a 0 1M', `nbd:unix:${files.socket('a')}`]);
  await new Promise((r) => setTimeout(r, 2000));
  const a = await status(cluster, 'a', 'w0');
  t.not(a.connections[0].connectionState, 'Connected', 'a never connects to b');
  t.equal(a.connections[0].volumes[0].outOfSyncBytes, 16 * 1024 * 1024, 'b, never synced, is owed the whole volume');
  const b = await status(cluster, 'b', 'w0');
  t.not(b.connections[0].connectionState, 'Connected');
  const logs = [...cluster.nodes.get('a')!.log, ...cluster.nodes.get('b')!.log].join('\n');
  t.match(logs, /auth/i, 'the refusal is logged');
  const data = await execa('cmp', ['-n', '1048576', files.disk('b'), '/dev/zero'], { reject: false });
  t.equal(data.exitCode, 0, "b's disk received nothing");
});
