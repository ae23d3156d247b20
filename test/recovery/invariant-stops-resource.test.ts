// Issue 8, defect 9: a violated invariant stops that resource on this node (its disks Failed, its
// links closed, status.failed and one log line naming the invariant), never an EIO or a NegAck
// and carry on; the daemon's other resources go on.
// Nothing an honest cluster does breaks an invariant, so the test makes one break from outside:
// two real daemons, a (Primary) and b, resource `iv` with transport-security = none, each node
// dialling its peer through a proxy that rewrites one State message of the Primary: its current
// generation becomes one that b's history already holds, and its history starts with b's current
// (a "new generation" of a's that b must follow, and that is b's own past). b follows it as the
// Primary's new generation, and its metadata then holds its current generation in its own
// history: 'the current generation is not in its own history' (src/engine/metadata.ts).
// Expected: iv stops on b (and only iv: resource `ok` of the same daemons stays connected and
// keeps replicating); a goes on writing iv with b's blocks out of sync, b's disk takes none of
// them; `tandem primary iv` on b is refused naming the invariant; and `tandem down` + `tandem up`
// on b (what the refusal's hint and Pacemaker's recovery do) bring b back in sync with a.
import t from 'tap';
import { execa } from 'execa';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { MessageOf } from '../../src/wire/messages.js';
import { TestCluster } from '../helpers/daemons.js';
import { logLinesSince, logMark, printLogsOnFailure } from '../helpers/daemon-log.js';
import { waitConverged } from '../helpers/convergence.js';
import { writeResource } from '../helpers/resource-config.js';
import { RewritingProxy } from '../helpers/rewriting-proxy.js';
import { must, promoteAndSync } from '../helpers/scenario.js';
import { peersUpToDate, readRange, sha256File, status, waitFor } from '../helpers/wait.js';

const MiB = 1024 * 1024;
const SIZE = 16 * MiB;
const INVARIANT = /invariant violated: the current generation is not in its own history/;
const same = (x: bigint, y: bigint): boolean => (x & ~1n) === (y & ~1n); // bit 0: made while Primary

async function qemuWrite(socket: string, cmd: string): Promise<void> {
  const io = await execa('qemu-io', ['-f', 'raw', '-t', 'none', '-c', cmd, '-c', 'flush', `nbd:unix:${socket}`], { reject: false });
  if (io.exitCode !== 0 || /fail|error/i.test(`${io.stdout}${io.stderr}`)) throw new Error(`qemu-io '${cmd}' failed: ${io.stdout}${io.stderr}`);
}

t.test('a violated invariant stops that resource on that node; the other resource and the peer go on', async (t) => {
  const cluster = new TestCluster('tandem-inv-');
  t.teardown(() => cluster.destroy());
  printLogsOnFailure(t, cluster, 40);
  const iv = await writeResource(cluster, { name: 'iv', nodes: ['a', 'b'], sizeBytes: SIZE, extra: ['transport-security = none'] });
  const ok = await writeResource(cluster, { name: 'ok', nodes: ['a', 'b'], sizeBytes: SIZE });

  // b's view as its States show it, and the one rewrite of a State of a's, once armed
  let bView: { current: bigint; history: bigint[] } | null = null;
  let armed = false;
  let rewritten: string | null = null;
  const rewrite = (sender: 'a' | 'b', msg: MessageOf<'State'>) => {
    const v = msg.volumes[0];
    if (sender === 'b') {
      bView = { current: v.current, history: v.history };
      return null;
    }
    if (!armed || rewritten !== null || msg.role !== 'Primary' || bView === null || bView.history.length === 0) return null;
    const b = bView;
    const past = b.history[0];
    const history = [b.current, ...v.history.filter((h) => !same(h, past) && !same(h, b.current))];
    rewritten = `a's State: current ${v.current.toString(16)} → ${past.toString(16)} (in b's history), history[0] ${b.current.toString(16)} (b's current)`;
    return { ...msg, volumes: [{ ...v, current: past, history }, ...msg.volumes.slice(1)] };
  };

  // each node dials its peer through a proxy; it listens on its own address as configured
  const text = readFileSync(`${cluster.configDir}/iv.ini`, 'utf8');
  const [portA, portB] = [...text.matchAll(/^address = 127\.0\.0\.1:(\d+)$/gm)].map((m) => Number(m[1]));
  // proxies[0] forwards a's dialling to b, proxies[1] b's to a
  const proxies = [
    new RewritingProxy(portB, 'State', (msg, fromDialer) => rewrite(fromDialer ? 'a' : 'b', msg)),
    new RewritingProxy(portA, 'State', (msg, fromDialer) => rewrite(fromDialer ? 'b' : 'a', msg)),
  ];
  t.teardown(async () => { for (const p of proxies) await p.stop(); });
  const [toB, toA] = [await proxies[0].start(), await proxies[1].start()];
  const okText = readFileSync(`${cluster.configDir}/ok.ini`, 'utf8');
  cluster.writeNodeConfig('a', 'iv.ini', text.replace(`address = 127.0.0.1:${portB}`, `address = 127.0.0.1:${toB}`));
  cluster.writeNodeConfig('b', 'iv.ini', text.replace(`address = 127.0.0.1:${portA}`, `address = 127.0.0.1:${toA}`));
  for (const n of ['a', 'b']) cluster.writeNodeConfig(n, 'ok.ini', okText);

  for (const n of ['a', 'b']) {
    for (const res of ['iv', 'ok']) await must(cluster, n, ['md', 'create', res]);
    await cluster.start(n);
    for (const res of ['iv', 'ok']) await must(cluster, n, ['up', res]);
  }
  for (const res of ['iv', 'ok']) await promoteAndSync(cluster, res, 'a', ['b']);
  await waitFor(cluster, 'b', 'iv', 'b sees a UpToDate', peersUpToDate(['a']), 20_000);
  await qemuWrite(iv.socket('a'), 'write -P 0x11 0 4M');
  // b away while a writes, then back: a starts a generation, b adopts it and keeps its old one in
  // its history (a fresh node's first generation is 'just created', which no history records)
  await must(cluster, 'b', ['disconnect', 'iv']);
  await waitFor(cluster, 'a', 'iv', 'a lost b', (s) => s.connections[0].connectionState !== 'Connected', 20_000);
  await qemuWrite(iv.socket('a'), 'write -P 0x22 4M 1M');
  await must(cluster, 'b', ['connect', 'iv']);
  await waitConverged(cluster, 'iv', ['a', 'b'], 30_000);
  // the rewrite is built from b's last State: it must tell b's generation as b's status does
  const bCurrent = (await status(cluster, 'b', 'iv')).volumes[0].currentGeneration;
  const seen = (): { current: bigint; history: bigint[] } | null => bView;
  const deadline = Date.now() + 10_000;
  while (seen()?.current.toString(16) !== bCurrent && Date.now() < deadline) await sleep(100);
  t.equal(seen()?.current.toString(16), bCurrent, 'b\'s last State names its current generation');
  t.ok((seen()?.history.length ?? 0) > 0, `b's State reports a history to rewrite with (${seen()?.history.length ?? 0} generations)`);

  // a demotes and promotes again: its next State as Primary is the one rewritten
  const mark = logMark(cluster);
  armed = true;
  await must(cluster, 'a', ['secondary', 'iv']);
  await must(cluster, 'a', ['primary', 'iv']);
  const stopped = await waitFor(cluster, 'b', 'iv', 'iv stopped on b', (s) => s.failed !== null, 20_000).catch((err: Error) => {
    t.fail(`iv stopped on b within 20 s of the rewritten State (${rewritten ?? 'no State was rewritten'}): ${err.message.split('\n')[0]}`);
    return null;
  });
  t.comment(rewritten ?? 'no State was rewritten');
  if (!stopped) return;

  t.match(stopped.failed, INVARIANT, `b's status.failed names the invariant: ${stopped.failed}`);
  t.same(stopped.volumes.map((v) => v.diskState), ['Failed'], 'b\'s disk of iv is Failed');
  const lines = logLinesSince(cluster, mark, 'b', /^resource stopped on this node: an invariant was violated/);
  t.equal(lines.length, 1, 'one log line on b says the resource stopped');
  t.match(String(lines[0]?.invariant), INVARIANT, 'and names the invariant');
  t.equal(lines[0]?.resource, 'iv', 'for iv');
  t.same(logLinesSince(cluster, mark, 'b', /invariant was violated/).filter((l) => l.resource !== 'iv'), [], 'no other resource of b stopped');

  const aSide = await waitFor(cluster, 'a', 'iv', 'a lost b', (s) => s.connections[0].connectionState !== 'Connected', 20_000);
  t.equal(aSide.role, 'Primary', 'a is still Primary');
  const refused = await cluster.cli('b', ['primary', 'iv']);
  t.not(refused.exitCode, 0, 'primary iv on b is refused');
  t.match(String(refused.stderr), /stopped on this node/, `naming why: ${String(refused.stderr).trim().split('\n')[0]}`);

  // a carries on: writes succeed, b's blocks stay out of sync for it and b's disk takes none of them
  await qemuWrite(iv.socket('a'), 'write -P 0x5a 8M 2M');
  const aAfter = await status(cluster, 'a', 'iv');
  t.ok(aAfter.connections[0].volumes[0].outOfSyncBytes >= 2 * MiB, `a keeps ${aAfter.connections[0].volumes[0].outOfSyncBytes} bytes out of sync for b`);
  await sleep(2000); // a stopped resource stays stopped: no reconnect, nothing applied
  t.not((await status(cluster, 'a', 'iv')).connections[0].connectionState, 'Connected', 'b does not connect again on its own');
  t.notOk(readRange(iv.disk('b'), 8 * MiB, 2 * MiB).equals(Buffer.alloc(2 * MiB, 0x5a)), 'b\'s disk took none of a\'s later writes');
  t.same(readRange(iv.disk('a'), 8 * MiB, 2 * MiB), Buffer.alloc(2 * MiB, 0x5a), 'a\'s disk holds them');

  // the other resource of the same daemons goes on
  t.equal(cluster.nodes.get('b')!.process?.exitCode ?? null, null, 'b\'s tandemd is still running');
  await waitFor(cluster, 'a', 'ok', 'b still Connected and UpToDate on ok', peersUpToDate(['b']), 5_000);
  await qemuWrite(ok.socket('a'), 'write -P 0x77 0 4M');
  await waitFor(cluster, 'a', 'ok', 'ok in sync after a write', peersUpToDate(['b']), 20_000);
  t.equal((await status(cluster, 'b', 'ok')).failed, null, 'ok runs on b');
  t.equal(sha256File(ok.disk('b')), sha256File(ok.disk('a')), 'ok replicated the write to b');

  // recovery as the refusal's hint says
  await must(cluster, 'b', ['down', 'iv']);
  await must(cluster, 'b', ['up', 'iv']);
  const took = await waitConverged(cluster, 'iv', ['a', 'b'], 60_000).catch((err: Error) => {
    t.fail(`after down and up, b in sync with a within 60 s: ${err.message}`);
    return null;
  });
  if (took !== null) {
    t.pass(`after down and up, b is in sync with a (${(took / 1000).toFixed(1)} s)`);
    t.equal(sha256File(iv.disk('b')), sha256File(iv.disk('a')), 'b\'s disk of iv is identical to a\'s');
  }
});
