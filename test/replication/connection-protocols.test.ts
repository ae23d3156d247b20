// A protocol per connection ([connection.<a>.<b>]), with three real daemons: n1 Primary, n2 on C
// (a campus peer), n3 on A (a DR peer). n1 reaches each peer through a proxy that can stall the
// link (hold its bytes: a slow peer, not a lost one; pings are far apart so nothing times out).
//   (a) with n3's link stalled, NBD writes on n1 complete (A waits for no one); with n2's link
//       stalled, they wait until it moves again (C waits for the peer's disk);
//   (b) kill -9 of n1 after acknowledged writes that n3 never received; n2 promoted holds every
//       acknowledged write (checksums), and n3 resyncs from n2 until both are byte-identical;
//   (d) two nodes whose configurations give their connection different protocols never connect:
//       both refuse with the code 'replication-protocol', naming both protocols.
import t, { type Test } from 'tap';
import { execa, type ResultPromise } from 'execa';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { TestCluster } from '../helpers/daemons.js';
import { printLogsOnFailure } from '../helpers/daemon-log.js';
import { waitConverged } from '../helpers/convergence.js';
import { writeResource, type ResourceFiles } from '../helpers/resource-config.js';
import { must, promoteAndSync } from '../helpers/scenario.js';
import { StallProxy } from '../helpers/stall-proxy.js';
import { readRange, sha256File, status, waitFor } from '../helpers/wait.js';

const MiB = 1024 * 1024;
const SIZE = 32 * MiB;
/** pings far apart and patient: a stalled link stays up for the length of a test step */
const PATIENT = ['ping-interval = 120s', 'ping-timeout = 30s'];

function qemuWrite(socket: string, offset: number, length: number, pattern: number): ResultPromise {
  return execa('qemu-io', ['-f', 'raw', '-t', 'none', '-c', `write -P 0x${pattern.toString(16)} ${offset} ${length}`, `nbd:unix:${socket}`], { reject: false });
}

async function acknowledged(io: ResultPromise, what: string): Promise<void> {
  const r = await io;
  if (r.exitCode !== 0 || /fail|error/i.test(`${r.stdout}${r.stderr}`)) throw new Error(`${what}: qemu-io failed: ${r.stdout}${r.stderr}`);
}

/** Whether the promise settles within ms. */
async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  return Promise.race([p.then(() => true, () => true), sleep(ms).then(() => false)]);
}

/** The disk holds `length` bytes of `pattern` at `offset` (compared here: tap's same() on MiBs is slow). */
function holds(disk: string, offset: number, length: number, pattern: number): boolean {
  return readRange(disk, offset, length).equals(Buffer.alloc(length, pattern));
}

function sha256(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('hex');
}

interface Stalls {
  /** stall / resume every byte between n1 and a peer (both proxies of the pair, both directions) */
  stall(peer: 'n2' | 'n3'): void;
  resume(peer: 'n2' | 'n3'): void;
}

/**
 * n1's links to n2 and n3 go through proxies: n1 dials each peer through one, each peer dials n1
 * through another (whichever connection wins the race, it crosses a proxy). n2 - n3 is direct.
 */
async function proxied(t: Test, cluster: TestCluster, text: string): Promise<Stalls> {
  const port = (n: string): number => Number(new RegExp(`\\[node\\.${n}\\]\\nid = \\d+\\naddress = 127\\.0\\.0\\.1:(\\d+)`).exec(text)![1]);
  const proxies = { n2: [new StallProxy(port('n2')), new StallProxy(port('n1'))], n3: [new StallProxy(port('n3')), new StallProxy(port('n1'))] };
  t.teardown(async () => { for (const p of [...proxies.n2, ...proxies.n3]) await p.stop(); });
  const [to2, from2, to3, from3] = [await proxies.n2[0].start(), await proxies.n2[1].start(), await proxies.n3[0].start(), await proxies.n3[1].start()];
  const address = (n: string, p: number) => (s: string) => s.replace(`address = 127.0.0.1:${port(n)}`, `address = 127.0.0.1:${p}`);
  cluster.writeNodeConfig('n1', 'cp.ini', address('n3', to3)(address('n2', to2)(text)));
  cluster.writeNodeConfig('n2', 'cp.ini', address('n1', from2)(text));
  cluster.writeNodeConfig('n3', 'cp.ini', address('n1', from3)(text));
  return {
    stall: (peer) => { for (const p of proxies[peer]) p.stall(); },
    resume: (peer) => { for (const p of proxies[peer]) p.resume(); },
  };
}

async function threeNodes(t: Test): Promise<{ cluster: TestCluster; files: ResourceFiles; links: Stalls }> {
  const cluster = new TestCluster('tandem-connproto-');
  t.teardown(() => cluster.destroy());
  printLogsOnFailure(t, cluster, 40);
  const files = await writeResource(cluster, { name: 'cp', nodes: ['n1', 'n2', 'n3'], protocol: 'C', sizeBytes: SIZE, extra: PATIENT });
  const text = `${readFileSync(`${cluster.configDir}/cp.ini`, 'utf8')}\n[connection.n1.n3]\nprotocol = A\n`;
  const links = await proxied(t, cluster, text);
  for (const n of ['n1', 'n2', 'n3']) {
    await must(cluster, n, ['md', 'create', 'cp']);
    await cluster.start(n);
    await must(cluster, n, ['up', 'cp']);
  }
  await promoteAndSync(cluster, 'cp', 'n1', ['n2', 'n3']);
  return { cluster, files, links };
}

t.test('n2 on C, n3 on A: a stalled A peer does not hold writes back, a stalled C peer does; then kill -9 of the Primary', async (t) => {
  const { cluster, files, links } = await threeNodes(t);

  const s1 = await status(cluster, 'n1', 'cp');
  t.same(s1.connections.map((c) => [c.peer, c.protocol]), [['n2', 'C'], ['n3', 'A']], 'n1 shows each connection with its protocol');
  const s3 = await status(cluster, 'n3', 'cp');
  t.same(s3.connections.map((c) => [c.peer, c.protocol]), [['n1', 'A'], ['n2', 'C']], 'and n3 the same connection from its end');
  const text = await cluster.cli('n1', ['status', 'cp']);
  t.match(String(text.stdout), /n3 connection:Connected role:Secondary protocol:A/, 'tandem status shows it too');

  // (a) n3 stalled: writes complete while n3 has not received them
  links.stall('n3');
  const toA = qemuWrite(files.socket('n1'), 0, 4 * MiB, 0x31);
  t.ok(await settlesWithin(toA, 20_000), 'with n3 (protocol A) stalled, a 4 MiB write on n1 completes');
  await acknowledged(toA, 'write while n3 is stalled');
  t.notOk(holds(files.disk('n3'), 0, 4 * MiB, 0x31), 'n3 has not received it: its link really is stalled');
  t.ok(holds(files.disk('n2'), 0, 4 * MiB, 0x31), 'n2 (protocol C) holds it on disk');
  links.resume('n3');
  await waitConverged(cluster, 'cp', ['n1', 'n2', 'n3'], 60_000);
  t.ok(holds(files.disk('n3'), 0, 4 * MiB, 0x31), 'once the link moves again, n3 gets it');

  // (a) n2 stalled: the write waits for n2's disk
  links.stall('n2');
  const toC = qemuWrite(files.socket('n1'), 4 * MiB, 1 * MiB, 0x32);
  t.notOk(await settlesWithin(toC, 4_000), 'with n2 (protocol C) stalled, the write is not acknowledged (4 s)');
  t.notOk(holds(files.disk('n2'), 4 * MiB, 1 * MiB, 0x32), 'n2 has not got it');
  links.resume('n2');
  t.ok(await settlesWithin(toC, 20_000), 'it completes once n2 moves again');
  await acknowledged(toC, 'write while n2 was stalled');
  t.ok(holds(files.disk('n2'), 4 * MiB, 1 * MiB, 0x32), 'and n2 holds it');
  await waitConverged(cluster, 'cp', ['n1', 'n2', 'n3'], 60_000);

  // (b) writes acknowledged while n3 is stalled, then kill -9 of n1: n3 never got them
  links.stall('n3');
  const acked: Array<{ offset: number; length: number; pattern: number }> = [];
  for (let i = 0; i < 6; i++) {
    const w = { offset: 8 * MiB + i * 3 * MiB, length: 2 * MiB + i * 4096, pattern: 0x40 + i };
    await acknowledged(qemuWrite(files.socket('n1'), w.offset, w.length, w.pattern), `write ${i}`);
    acked.push(w);
  }
  t.notOk(holds(files.disk('n3'), acked[5].offset, acked[5].length, acked[5].pattern), 'n3 lacks the last acknowledged write');
  await cluster.kill('n1');
  await waitFor(cluster, 'n2', 'cp', 'n2 lost n1', (s) => s.connections.find((c) => c.peer === 'n1')?.connectionState !== 'Connected', 30_000);
  await must(cluster, 'n2', ['primary', 'cp']);
  const n2Disk = readFileSync(files.disk('n2'));
  for (const [i, w] of acked.entries()) {
    t.equal(sha256(n2Disk.subarray(w.offset, w.offset + w.length)), sha256(Buffer.alloc(w.length, w.pattern)), `n2, promoted, holds acknowledged write ${i} (${w.length} bytes at ${w.offset})`);
  }
  await waitConverged(cluster, 'cp', ['n2', 'n3'], 60_000);
  t.equal(sha256File(files.disk('n3')), sha256File(files.disk('n2')), 'n3 resynced from n2: byte-identical');
  const after = await status(cluster, 'n3', 'cp');
  t.equal(after.volumes[0].diskState, 'UpToDate', 'n3 is UpToDate');
});

t.test('a connection whose two ends give it different protocols is refused on both sides (replication-protocol)', async (t) => {
  const cluster = new TestCluster('tandem-connproto-mismatch-');
  t.teardown(() => cluster.destroy());
  const files = await writeResource(cluster, { name: 'mm', nodes: ['a', 'b'], protocol: 'C' });
  const text = readFileSync(`${cluster.configDir}/mm.ini`, 'utf8');
  cluster.writeNodeConfig('a', 'mm.ini', text);
  cluster.writeNodeConfig('b', 'mm.ini', `${text}\n[connection.a.b]\nprotocol = A\n`);
  for (const n of ['a', 'b']) {
    await must(cluster, n, ['md', 'create', 'mm']);
    await cluster.start(n);
    await must(cluster, n, ['up', 'mm']);
  }
  await must(cluster, 'a', ['primary', 'mm', '--force']);
  await acknowledged(qemuWrite(files.socket('a'), 0, MiB, 0x5a), 'write on a');
  const refusal = /"code":"replication-protocol"/;
  const deadline = Date.now() + 20_000;
  const logs = (n: string) => cluster.nodes.get(n)!.log.join('\n');
  while (Date.now() < deadline && !(refusal.test(logs('a')) && refusal.test(logs('b')))) await sleep(200);
  t.match(logs('a'), refusal, 'a logs the refusal with its code');
  t.match(logs('b'), refusal, 'b too');
  t.match(`${logs('a')}\n${logs('b')}`, /differs: node \d uses [AC], node \d uses [AC]; both ends must agree/, 'naming both protocols');
  t.not((await status(cluster, 'a', 'mm')).connections[0].connectionState, 'Connected', 'a never connects to b');
  t.not((await status(cluster, 'b', 'mm')).connections[0].connectionState, 'Connected', 'nor b to a');
  t.notOk(holds(files.disk('b'), 0, MiB, 0x5a), 'no data reached b');
});
