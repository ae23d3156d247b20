// The survivors of a lost Primary reconcile among themselves, without a promotion (simulator issue
// 9, seed 20726; DRBD 9's reconciliation resync). Three real daemons on protocol C: n1 Primary,
// n2 and n3 Secondaries. n1 reaches n3 through a proxy that can stall the link (a slow peer, not a
// lost one: pings are far apart). With n3 stalled, n1 writes; n2 stores the write, n3 never
// receives it (and the write is never acknowledged: C waits for n3). kill -9 of n1: n2 and n3
// stay Established with each other in one generation and differ. Each marks its activity-log
// extents out of sync for the other, and n2 (B/C like n3, lower node id) resyncs them to n3: both
// end UpToDate with no bits left, byte-identical, nobody promoted.
import t from 'tap';
import { execa } from 'execa';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { TestCluster } from '../helpers/daemons.js';
import { printLogsOnFailure } from '../helpers/daemon-log.js';
import { writeResource } from '../helpers/resource-config.js';
import { must, promoteAndSync } from '../helpers/scenario.js';
import { StallProxy } from '../helpers/stall-proxy.js';
import { readRange, sha256File, status, waitFor } from '../helpers/wait.js';

const MiB = 1024 * 1024;
const SIZE = 32 * MiB;
const OFFSET = 12 * MiB;
const LENGTH = 2 * MiB;
/** pings far apart and patient: the stalled link stays up until n1 dies */
const PATIENT = ['ping-interval = 120s', 'ping-timeout = 30s'];

t.test('survivors of a killed Primary that differ on its last write resync it among themselves', async (t) => {
  const cluster = new TestCluster('tandem-survivors-');
  t.teardown(() => cluster.destroy());
  printLogsOnFailure(t, cluster, 60);
  const files = await writeResource(cluster, { name: 'sv', nodes: ['n1', 'n2', 'n3'], protocol: 'C', sizeBytes: SIZE, extra: PATIENT });
  const text = readFileSync(`${cluster.configDir}/sv.ini`, 'utf8');
  const port = (n: string): number => Number(new RegExp(`\\[node\\.${n}\\]\\nid = \\d+\\naddress = 127\\.0\\.0\\.1:(\\d+)`).exec(text)![1]);
  // n1 dials n3 through one proxy, n3 dials n1 through another: whichever link wins, it crosses one
  const proxies = [new StallProxy(port('n3')), new StallProxy(port('n1'))];
  t.teardown(async () => { for (const p of proxies) { p.resume(); await p.stop(); } });
  const [toN3, toN1] = [await proxies[0].start(), await proxies[1].start()];
  const address = (n: string, p: number) => (s: string) => s.replace(`address = 127.0.0.1:${port(n)}`, `address = 127.0.0.1:${p}`);
  cluster.writeNodeConfig('n1', 'sv.ini', address('n3', toN3)(text));
  cluster.writeNodeConfig('n2', 'sv.ini', text);
  cluster.writeNodeConfig('n3', 'sv.ini', address('n1', toN1)(text));
  for (const n of ['n1', 'n2', 'n3']) {
    await must(cluster, n, ['md', 'create', 'sv']);
    await cluster.start(n);
    await must(cluster, n, ['up', 'sv']);
  }
  await promoteAndSync(cluster, 'sv', 'n1', ['n2', 'n3']);

  for (const p of proxies) p.stall();
  const write = execa('qemu-io', ['-f', 'raw', '-t', 'none', '-c', `write -P 0x5a ${OFFSET} ${LENGTH}`, `nbd:unix:${files.socket('n1')}`], { reject: false });
  const pattern = Buffer.alloc(LENGTH, 0x5a);
  const deadline = Date.now() + 20_000;
  while (!readRange(files.disk('n2'), OFFSET, LENGTH).equals(pattern) && Date.now() < deadline) await sleep(50);
  t.ok(readRange(files.disk('n2'), OFFSET, LENGTH).equals(pattern), 'n2 stored the write');
  t.notOk(readRange(files.disk('n3'), OFFSET, LENGTH).equals(pattern), 'n3 did not get it: its link is stalled');

  await cluster.kill('n1');
  // the held bytes never reach n3, and it sees the link close now (a paused socket may not)
  for (const p of proxies) await p.stop();
  await write; // fails with n1: it was never acknowledged (protocol C waited for n3)
  const lost = (s: Awaited<ReturnType<typeof status>>) => s.connections.find((c) => c.peer === 'n1')?.connectionState !== 'Connected';
  await waitFor(cluster, 'n2', 'sv', 'n2 lost n1', lost, 30_000);
  await waitFor(cluster, 'n3', 'sv', 'n3 lost n1', lost, 30_000);

  const settled = (peer: string) => (s: Awaited<ReturnType<typeof status>>) => {
    const c = s.connections.find((x) => x.peer === peer);
    return s.role === 'Secondary' && s.volumes[0].diskState === 'UpToDate' && c?.connectionState === 'Connected'
      && c.volumes[0].replicationState === 'Established' && c.volumes[0].peerDiskState === 'UpToDate' && c.volumes[0].outOfSyncBytes === 0;
  };
  await waitFor(cluster, 'n2', 'sv', 'n2 UpToDate, Established with n3, no bits for it', settled('n3'), 60_000);
  await waitFor(cluster, 'n3', 'sv', 'n3 UpToDate, Established with n2, no bits for it', settled('n2'), 60_000);
  t.ok(readRange(files.disk('n3'), OFFSET, LENGTH).equals(pattern), 'n3 took the write from n2, the leading survivor');
  t.equal(sha256File(files.disk('n3')), sha256File(files.disk('n2')), 'n2 and n3 are identical, and neither was promoted');
});
