// A crashed Primary's flag ends once it replicates from a new Primary in its generation (DRBD
// clears CRASHED_PRIMARY when it is UpToDate with an UpToDate peer; here the new Primary is what
// ends it: see endCrashedPrimary in generation-handshake.ts). Kept, it outweighed the new Primary's
// own flag after both went down: "both crashed as Primary, lower node id wins" made the old one the
// source over a write only the new Primary held (the lead's reading of sim seed 20873).
// Two real daemons on protocol A, a (node id 0) and b (1), linked through proxies that can stall.
// kill -9 of a, the Primary; back, it resyncs b (the crashed Primary is the source over A), the
// link is renewed (so b's promotion finds no stale bits of a's to resync, whose resync as target
// would end the flag by another way), and b is promoted while a is connected: the generation
// stays, and a's metadata must stop saying it crashed as Primary. With the link stalled b writes W
// (acknowledged once sent, protocol A) that a never receives; both are killed. Back, b alone
// crashed as Primary in that generation and is the source: W is on both disks.
import t from 'tap';
import { execa } from 'execa';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { tandemJson } from '../helpers/cli.js';
import { TestCluster } from '../helpers/daemons.js';
import { printLogsOnFailure } from '../helpers/daemon-log.js';
import { restartAndUp } from '../helpers/crash-recovery.js';
import { writeResource } from '../helpers/resource-config.js';
import { must, promoteAndSync } from '../helpers/scenario.js';
import { StallProxy } from '../helpers/stall-proxy.js';
import { readRange, sha256File, status, waitFor } from '../helpers/wait.js';

const MiB = 1024 * 1024;
const SIZE = 16 * MiB;
const OFFSET = 8 * MiB;
const LENGTH = 64 * 1024;
/** pings far apart and patient: the stalled link stays up until both die */
const PATIENT = ['ping-interval = 120s', 'ping-timeout = 30s'];

type Status = Awaited<ReturnType<typeof status>>;
const settled = (s: Status): boolean => s.volumes[0].diskState === 'UpToDate' && s.connections[0].connectionState === 'Connected'
  && s.connections[0].volumes[0].replicationState === 'Established' && s.connections[0].volumes[0].peerDiskState === 'UpToDate'
  && s.connections[0].volumes[0].outOfSyncBytes === 0;

t.test('a crashed Primary that replicated from a new Primary does not win over it after both crash', async (t) => {
  const cluster = new TestCluster('tandem-crashflag-');
  t.teardown(() => cluster.destroy());
  printLogsOnFailure(t, cluster, 60);
  await writeResource(cluster, { name: 'cf', nodes: ['a', 'b'], protocol: 'A', sizeBytes: SIZE, extra: PATIENT });
  const text = readFileSync(`${cluster.configDir}/cf.ini`, 'utf8');
  const files = { disk: (n: string) => `${cluster.root}/cf-${n}-0.img`, socket: (n: string) => `${cluster.root}/cf-${n}-0.nbd` };
  const port = (n: string): number => Number(new RegExp(`\\[node\\.${n}\\]\\nid = \\d+\\naddress = 127\\.0\\.0\\.1:(\\d+)`).exec(text)![1]);
  // a dials b through one proxy, b dials a through another: whichever link wins, it crosses one
  const proxies = [new StallProxy(port('b')), new StallProxy(port('a'))];
  t.teardown(async () => { for (const p of proxies) { p.resume(); await p.stop(); } });
  const [toB, toA] = [await proxies[0].start(), await proxies[1].start()];
  const address = (n: string, p: number) => (s: string) => s.replace(`address = 127.0.0.1:${port(n)}`, `address = 127.0.0.1:${p}`);
  cluster.writeNodeConfig('a', 'cf.ini', address('b', toB)(text));
  cluster.writeNodeConfig('b', 'cf.ini', address('a', toA)(text));
  for (const n of ['a', 'b']) {
    await must(cluster, n, ['md', 'create', 'cf']);
    await cluster.start(n);
    await must(cluster, n, ['up', 'cf']);
  }
  await promoteAndSync(cluster, 'cf', 'a', ['b']);
  const old = await execa('qemu-io', ['-f', 'raw', '-c', `write -P 0x11 ${OFFSET} ${LENGTH}`, `nbd:unix:${files.socket('a')}`], { reject: false });
  t.equal(old.exitCode, 0, 'a wrote the block');

  await cluster.kill('a');
  await waitFor(cluster, 'b', 'cf', 'b lost a', (s) => s.connections[0].connectionState !== 'Connected', 30_000);
  await restartAndUp(cluster, 'a', 'cf');
  await waitFor(cluster, 'a', 'cf', 'a, back from its crash, in sync with b', settled, 60_000);
  await waitFor(cluster, 'b', 'cf', 'b in sync with a', settled, 60_000);
  // a new connection, so that b holds a's State as of now (the one a sent as the source still
  // listed the bits its resync then cleared, and b, promoted, would resync them once more)
  await must(cluster, 'a', ['disconnect', 'cf']);
  await must(cluster, 'a', ['connect', 'cf']);
  await waitFor(cluster, 'a', 'cf', 'a reconnected, in sync with b', settled, 30_000);
  await waitFor(cluster, 'b', 'cf', 'b reconnected, in sync with a', settled, 30_000);
  const flags = async (): Promise<string[]> => (await tandemJson<Array<{ deviceFlags: string[] }>>(['md', 'show', '--meta', `pmem:${cluster.root}/cf-a-0.meta`])).json[0].deviceFlags;
  t.ok((await flags()).includes('CRASHED_PRIMARY'), 'a, the SyncSource of b after its crash, still says it crashed as Primary');
  await must(cluster, 'b', ['primary', 'cf']);
  await waitFor(cluster, 'a', 'cf', 'a replicates from b', (s) => s.connections[0].peerRole === 'Primary' && settled(s), 30_000);
  const cleared = Date.now() + 10_000;
  while ((await flags()).includes('CRASHED_PRIMARY') && Date.now() < cleared) await sleep(100);
  t.notOk((await flags()).includes('CRASHED_PRIMARY'), 'a\'s metadata no longer says it crashed as Primary');

  for (const p of proxies) p.stall();
  const w = await execa('qemu-io', ['-f', 'raw', '-c', `write -P 0x5a ${OFFSET} ${LENGTH}`, `nbd:unix:${files.socket('b')}`], { reject: false });
  t.equal(w.exitCode, 0, 'b acknowledged W (protocol A: once sent)');
  const pattern = Buffer.alloc(LENGTH, 0x5a);
  t.ok(readRange(files.disk('b'), OFFSET, LENGTH).equals(pattern), 'W is on b\'s disk');
  t.notOk(readRange(files.disk('a'), OFFSET, LENGTH).equals(pattern), 'a never received W: its link is stalled');
  await cluster.kill('b');
  await cluster.kill('a');
  for (const p of proxies) await p.stop(); // the held bytes never reach a

  // back on a direct link: both come up Consistent in one generation, b the crashed Primary
  cluster.writeNodeConfig('a', 'cf.ini', text);
  cluster.writeNodeConfig('b', 'cf.ini', text);
  await restartAndUp(cluster, 'a', 'cf');
  await restartAndUp(cluster, 'b', 'cf');
  await waitFor(cluster, 'a', 'cf', 'a UpToDate, in sync with b', settled, 60_000);
  await waitFor(cluster, 'b', 'cf', 'b UpToDate, in sync with a', settled, 60_000);
  t.ok(readRange(files.disk('b'), OFFSET, LENGTH).equals(pattern), 'b kept W');
  t.ok(readRange(files.disk('a'), OFFSET, LENGTH).equals(pattern), 'a took W from b');
  t.equal(sha256File(files.disk('a')), sha256File(files.disk('b')), 'a and b are identical');
});
