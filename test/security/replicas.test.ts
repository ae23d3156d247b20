// Two real tandemd nodes whose replication links pass a tampering proxy (each node's
// configuration names the proxy as its peer's address). While qemu-io writes through the
// Primary's NBD export, the proxy flips, drops, replays or injects bytes once per round. Under tls
// and integrity the link drops, the nodes reconnect and resync, and afterwards both disks are
// identical (sha256): the tampering never changed a replica. Under none (the control) a flipped
// bit is written to the Secondary and the disks differ even though both call themselves in sync,
// which is what these modes prevent.
import t, { type Test } from 'tap';
import { execa } from 'execa';
import { readFileSync } from 'node:fs';
import { TestCluster } from '../helpers/daemons.js';
import { bringUp, promoteAndSync } from '../helpers/scenario.js';
import { writeResource } from '../helpers/resource-config.js';
import { peersUpToDate, sha256File, status, waitFor } from '../helpers/wait.js';
import { RecordingProxy, type Tamper } from './proxy.js';

const MiB = 1024 * 1024;
const SIZE = 16 * MiB;

interface Pair { cluster: TestCluster; disks: [string, string]; socket: string; proxies: RecordingProxy[] }

async function pairThroughProxies(t: Test, name: string, mode: string): Promise<Pair> {
  const cluster = new TestCluster();
  t.teardown(() => cluster.destroy());
  const files = await writeResource(cluster, { name, nodes: ['a', 'b'], sizeBytes: SIZE, extra: [`transport-security = ${mode}`, 'ping-interval = 1s'] });
  const text = readFileSync(`${cluster.configDir}/${name}.ini`, 'utf8');
  const [portA, portB] = [...text.matchAll(/^address = 127\.0\.0\.1:(\d+)$/gm)].map((m) => Number(m[1]));
  const proxies = [new RecordingProxy(portB), new RecordingProxy(portA)];
  t.teardown(async () => { for (const p of proxies) await p.stop(); });
  const [toB, toA] = [await proxies[0].start(), await proxies[1].start()];
  // each node dials its peer through a proxy; it listens on its own address as configured
  cluster.writeNodeConfig('a', `${name}.ini`, text.replace(`address = 127.0.0.1:${portB}`, `address = 127.0.0.1:${toB}`));
  cluster.writeNodeConfig('b', `${name}.ini`, text.replace(`address = 127.0.0.1:${portA}`, `address = 127.0.0.1:${toA}`));
  await bringUp(cluster, name, ['a', 'b']);
  await promoteAndSync(cluster, name, 'a', ['b']);
  return { cluster, disks: [files.disk('a'), files.disk('b')], socket: files.socket('a'), proxies };
}

/** One round: arm the proxies, write 8 MiB of a pattern through NBD, then wait for the link to come back in sync. */
async function round(p: Pair, name: string, kind: Tamper, pattern: number): Promise<{ tampered: string | null; connectionsBefore: number }> {
  const before = (await status(p.cluster, 'a', name)).connections[0];
  for (const proxy of p.proxies) proxy.arm({ kind, afterBytes: 0, injected: Buffer.alloc(300, 0x42) });
  const io = await execa('qemu-io', ['-f', 'raw', '-t', 'none', ...Array.from({ length: 8 }, (_, i) => ['-c', `write -P ${pattern} ${i}M 1M`]).flat(),
    `nbd:unix:${p.socket}`], { reject: false });
  if (io.exitCode !== 0 || /fail|error/i.test(io.stdout + io.stderr)) throw new Error(`qemu-io failed: ${io.stdout}${io.stderr}`);
  const tampered = p.proxies.map((x) => x.tampered).find((x) => x !== null) ?? null;
  for (const proxy of p.proxies) proxy.arm({ kind, afterBytes: Number.MAX_SAFE_INTEGER }); // disarm
  await waitFor(p.cluster, 'a', name, 'b Connected and UpToDate again', peersUpToDate(['b']), 60_000);
  await waitFor(p.cluster, 'b', name, 'b sees a Connected and UpToDate', peersUpToDate(['a']), 60_000);
  return { tampered, connectionsBefore: before.connectionState === 'Connected' ? 1 : 0 };
}

for (const mode of ['tls', 'integrity']) {
  t.test(`${mode}: tampering drops the link, never changes a replica; after resync the disks are identical`, async (t) => {
    const name = `s${mode.slice(0, 3)}`;
    const p = await pairThroughProxies(t, name, mode);
    let pattern = 0x31;
    for (const kind of ['flip', 'drop', 'replay', 'inject'] as const) {
      const lost = (): string[] => ['a', 'b'].flatMap((n) => p.cluster.nodes.get(n)!.log.filter((l) => /connection lost/.test(l)));
      const lostBefore = lost().length;
      const r = await round(p, name, kind, pattern);
      t.ok(r.tampered, `${kind}: the proxy tampered (${r.tampered})`);
      const newly = lost().slice(lostBefore);
      const reasons = [...new Set(newly.map((l) => /"reason":"([^"]*)"/.exec(l)?.[1]?.replace(/:\.\.\/deps.*$/, '')))];
      t.ok(newly.length > 0, `${kind}: the link dropped: ${reasons.join(' | ')}`);
      t.equal(sha256File(p.disks[1]), sha256File(p.disks[0]), `${kind}: after reconnect and resync, b's disk equals a's (sha256)`);
      const data = readFileSync(p.disks[1]).subarray(0, 8 * MiB);
      t.ok(data.every((b) => b === pattern), `${kind}: b holds exactly the pattern written (0x${pattern.toString(16)})`);
      if (kind === 'flip') {
        // 8 MiB of one byte value crossed the proxies: in clear it shows as long runs of that byte
        const run = Buffer.alloc(64, pattern);
        const seen = p.proxies.some((x) => x.capture().includes(run));
        if (mode === 'tls') t.notOk(seen, 'tls: the capture of the replication traffic holds no plaintext of the pattern');
        else t.ok(seen, `${mode}: the pattern is readable in the capture (frames in clear)`);
      }
      pattern++;
    }
  });
}

t.test('none (the control): a flipped bit reaches the Secondary\'s disk unnoticed', async (t) => {
  const p = await pairThroughProxies(t, 'snone', 'none');
  const r = await round(p, 'snone', 'flip', 0x77);
  t.ok(r.tampered, `the proxy tampered (${r.tampered})`);
  t.not(sha256File(p.disks[1]), sha256File(p.disks[0]), 'the disks differ while both nodes report UpToDate: without tls or integrity the tampering is invisible');
});
