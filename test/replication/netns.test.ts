// Three daemons on three hosts (network namespaces joined by a bridge): replication crosses a
// real network; a cut link on a Secondary is noticed by ping timeout, its writes are tracked in
// the bitmap, and after the link is healed it resyncs and all three replicas are identical.
import t from 'tap';
import { execa } from 'execa';
import { TestCluster } from '../helpers/daemons.js';
import { TestNetwork } from '../helpers/netns.js';
import { bringUp, promoteAndSync } from '../helpers/scenario.js';
import { writeResource } from '../helpers/resource-config.js';
import { peersUpToDate, sha256File, waitFor } from '../helpers/wait.js';

t.test('three hosts in network namespaces', { skip: TestNetwork.available() ? false : 'needs root for network namespaces' }, async (t) => {
  const net = new TestNetwork();
  const cluster = new TestCluster();
  t.teardown(async () => { await cluster.destroy(); await net.destroy(); });
  const nodes = ['a', 'b', 'c'];
  await net.create(nodes);
  const hosts = Object.fromEntries(nodes.map((n) => [n, net.host(n).address]));
  const files = await writeResource(cluster, { name: 'n0', nodes, hosts, sizeBytes: 32 * 1024 * 1024, extra: ['ping-interval = 1s', 'ping-timeout = 500ms'] });
  await bringUp(cluster, 'n0', nodes, { wrap: Object.fromEntries(nodes.map((n) => [n, net.host(n).wrap])) });
  await promoteAndSync(cluster, 'n0', 'a', ['b', 'c']);

  await net.cut('c');
  await waitFor(cluster, 'a', 'n0', 'c lost by ping timeout', (s) => s.connections.find((c) => c.peer === 'c')!.connectionState !== 'Connected', 30_000);
  await execa('fio', ['--name=cut', '--ioengine=nbd', `--uri=nbd+unix:///?socket=${files.socket('a')}`, '--rw=randwrite', '--bs=4k',
    '--size=32m', '--io_size=8m', '--iodepth=8', '--verify=crc32c', '--verify_state_save=0', '--output-format=terse']);
  const away = await waitFor(cluster, 'a', 'n0', 'bits for c', (s) => s.connections.find((c) => c.peer === 'c')!.volumes[0].outOfSyncBytes > 0);
  t.ok(away.connections.find((c) => c.peer === 'b')!.volumes[0].outOfSyncBytes === 0, 'b got every write');

  await net.heal('c');
  try {
    await waitFor(cluster, 'a', 'n0', 'c back and UpToDate', peersUpToDate(['b', 'c']), 60_000);
  } catch (err) {
    for (const n of nodes) console.error(`--- ${n}\n` + cluster.nodes.get(n)!.log.slice(-60).join('\n'));
    throw err;
  }
  await execa('qemu-io', ['-f', 'raw', '-c', 'flush', `nbd:unix:${files.socket('a')}`]);
  const sums = nodes.map((n) => sha256File(files.disk(n)));
  t.equal(sums[1], sums[0], 'b identical to a');
  t.equal(sums[2], sums[0], 'c identical to a after resync');
});
