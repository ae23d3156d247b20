// Checksum-based resync (csums-alg = sha256) between two real daemons: the SyncTarget already
// holds a copy of the data that differs from the source in a few known ranges (a seeded DR copy).
// Only the ranges that differ travel over the link; every other block is verified by digest.
// Each node dials its peer through a counting TCP proxy, so the bytes on the wire are measured,
// not taken from the daemon's own counters. Also: writes through the Primary's export while blocks
// are being verified (with and without a kill -9 of the SyncSource mid-resync), a peer with another csums-alg
// (refused with its own code, both digests named); malformed checksums drop the connection.
import t, { type Test } from 'tap';
import { Ajv } from 'ajv';
import { execa } from 'execa';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { MessageOf, WireMessage } from '../../src/wire/messages.js';
import { TestCluster } from '../helpers/daemons.js';
import { logLines, logMark, printLogsOnFailure } from '../helpers/daemon-log.js';
import { checkRecovered, flushExport, restartAndUp, writeInBackground } from '../helpers/crash-recovery.js';
import { writeResource, type ResourceFiles } from '../helpers/resource-config.js';
import { bringUp, must } from '../helpers/scenario.js';
import { RewritingProxy } from '../helpers/rewriting-proxy.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { peersUpToDate, sha256File, status, waitFor } from '../helpers/wait.js';

const MiB = 1024 * 1024;
const KiB = 1024;

/** Counts every byte it forwards, both directions, every connection. */
class CountingProxy extends TcpProxy {
  bytes = 0;
  protected direction(from: Socket, to: Socket): void {
    from.on('data', (chunk: Buffer) => {
      this.bytes += chunk.length;
      if (!to.write(chunk)) { from.pause(); to.once('drain', () => from.resume()); }
    });
  }
}

/** The same pseudo-random content on both backing files, then `differ` ranges changed on b only. */
function seed(files: ResourceFiles, size: number, differ: Array<[number, number]>): void {
  const base = randomBytes(size);
  for (const node of ['a', 'b']) {
    const fd = openSync(files.disk(node), 'r+');
    try {
      writeSync(fd, base, 0, size, 0);
      if (node === 'b') for (const [offset, length] of differ) writeSync(fd, randomBytes(length), 0, length, offset);
    } finally {
      closeSync(fd);
    }
  }
}

/** Each node reaches its peer through a counting proxy (its own configuration directory says so). */
async function throughProxies(t: Test, cluster: TestCluster, res: string, edit: (node: string, text: string) => string = (_n, text) => text): Promise<CountingProxy[]> {
  const text = readFileSync(`${cluster.configDir}/${res}.ini`, 'utf8');
  const [portA, portB] = [...text.matchAll(/^address = 127\.0\.0\.1:(\d+)$/gm)].map((m) => Number(m[1]));
  const proxies = [new CountingProxy(portB), new CountingProxy(portA)];
  t.teardown(async () => { for (const p of proxies) await p.stop(); });
  const [toB, toA] = [await proxies[0].start(), await proxies[1].start()];
  cluster.writeNodeConfig('a', `${res}.ini`, edit('a', text.replace(`address = 127.0.0.1:${portB}`, `address = 127.0.0.1:${toB}`)));
  cluster.writeNodeConfig('b', `${res}.ini`, edit('b', text.replace(`address = 127.0.0.1:${portA}`, `address = 127.0.0.1:${toA}`)));
  return proxies;
}

function finishedAsSource(cluster: TestCluster): { csumsAlg: string; sameBytes: number; transferredBytes: number; bytes: number } {
  const lines = logLines(cluster, 'a', /^resync finished as SyncSource/);
  if (lines.length === 0) throw new Error('a never logged the end of its resync');
  return lines[lines.length - 1] as unknown as { csumsAlg: string; sameBytes: number; transferredBytes: number; bytes: number };
}

t.test('a target that holds a copy: only the ranges that differ cross the link, the rest is verified', async (t) => {
  const cluster = new TestCluster('tandem-csums-');
  t.teardown(() => cluster.destroy());
  printLogsOnFailure(t, cluster);
  const SIZE = 64 * MiB;
  const files = await writeResource(cluster, { name: 'cs', nodes: ['a', 'b'], sizeBytes: SIZE, extra: ['csums-alg = sha256'] });
  // 1 MiB, a 256 KiB run, and one 4 KiB block inside an otherwise equal 256 KiB run
  const differ: Array<[number, number]> = [[8 * MiB, MiB], [30 * MiB, 256 * KiB], [50 * MiB + 12 * KiB, 4 * KiB]];
  seed(files, SIZE, differ);
  t.not(sha256File(files.disk('a')), sha256File(files.disk('b')), 'the copies differ before the resync');
  const proxies = await throughProxies(t, cluster, 'cs');

  await bringUp(cluster, 'cs', ['a', 'b']);
  const before = proxies.reduce((sum, p) => sum + p.bytes, 0);
  await must(cluster, 'a', ['primary', 'cs', '--force']);
  await waitFor(cluster, 'a', 'cs', 'b UpToDate after the checksum-based initial sync', peersUpToDate(['b']), 120_000);

  t.equal(sha256File(files.disk('a')), sha256File(files.disk('b')), 'both disks are identical after the resync');
  const done = finishedAsSource(cluster);
  const differing = differ.reduce((sum, [, length]) => sum + length, 0);
  // a run that differs anywhere is sent whole: at most one 256 KiB run per differing range here
  const sentAtMost = MiB + 256 * KiB + 256 * KiB;
  t.equal(done.csumsAlg, 'sha256');
  t.equal(done.sameBytes + done.transferredBytes, SIZE, 'every block was either verified equal or sent');
  t.ok(done.transferredBytes >= differing && done.transferredBytes <= sentAtMost,
    `sent ${done.transferredBytes} bytes of data: the differing ranges (${differing}) rounded to resync runs (at most ${sentAtMost})`);
  const wire = proxies.reduce((sum, p) => sum + p.bytes, 0) - before;
  t.ok(wire < sentAtMost + 2 * MiB, `${(wire / MiB).toFixed(2)} MiB crossed the link for a 64 MiB full sync (digests, acks, TLS and the data that differs)`);
  t.ok(wire >= differing, `the link carried at least the differing bytes (${wire} ≥ ${differing})`);
});

t.test('writes through the export into blocks being verified and sent: the resync ends with identical disks and every acknowledged write', async (t) => {
  const cluster = new TestCluster('tandem-csums-b-');
  t.teardown(() => cluster.destroy());
  printLogsOnFailure(t, cluster);
  const SIZE = 64 * MiB;
  // 1 MiB of every 4 MiB differs: 16 MiB to send at 2 MiB/s (about 8 s), so writes land while runs are compared
  const files = await writeResource(cluster, { name: 'cb', nodes: ['a', 'b'], sizeBytes: SIZE, extra: ['csums-alg = sha256', 'resync-rate = 2M'] });
  const differ: Array<[number, number]> = Array.from({ length: 16 }, (_, i) => [i * 4 * MiB + MiB, MiB]);
  seed(files, SIZE, differ);
  await bringUp(cluster, 'cb', ['a', 'b']);
  await must(cluster, 'a', ['primary', 'cb', '--force']);
  const writes = writeInBackground(files.socket('a'), SIZE);
  // into runs that differ and runs that are equal, one of each pair straddling a run boundary;
  // all at once, so that they land during the resync on a loaded machine too
  const offsets = Array.from({ length: 8 }, (_, i) => [i * 8 * MiB + MiB - 32 * KiB, i * 8 * MiB + 3 * MiB]).flat();
  const ios = await Promise.all(offsets.map((offset, i) =>
    execa('qemu-io', ['-f', 'raw', '-c', `write -P 0x${(0x30 + i).toString(16)} ${offset} 64k`, `nbd:unix:${files.socket('a')}`], { reject: false })));
  ios.forEach((io, i) => t.equal(io.exitCode, 0, `write at ${offsets[i]} during the resync acknowledged`));
  const during = await status(cluster, 'a', 'cb');
  t.equal(during.connections[0].volumes[0].replicationState, 'SyncSource', 'the writes went in while the resync ran');
  await waitFor(cluster, 'a', 'cb', 'b UpToDate', peersUpToDate(['b']), 120_000);
  const written = await writes.stop();
  t.equal(written.error, null, `${written.ok} background writes acknowledged, none failed`);
  await flushExport(files.socket('a'));
  t.equal(sha256File(files.disk('a')), sha256File(files.disk('b')), 'both disks identical');
  for (const n of ['a', 'b']) t.same(writes.acked.lostInFile(files.disk(n)).slice(0, 10), [], `no acknowledged write lost on ${n}`);
  const done = finishedAsSource(cluster);
  t.ok(done.sameBytes > 0 && done.transferredBytes >= 16 * MiB, `verified ${done.sameBytes}, sent ${done.transferredBytes}`);
});

t.test('writes through the export while blocks are verified, then kill -9 of the SyncSource mid-resync: ends equal, no acknowledged write lost', async (t) => {
  const cluster = new TestCluster('tandem-csums-w-');
  t.teardown(() => cluster.destroy());
  printLogsOnFailure(t, cluster);
  const SIZE = 128 * MiB;
  // 1 MiB of every 4 MiB differs: 32 MiB to send at 4 MiB/s (about 8 s), the rest verified
  const files = await writeResource(cluster, { name: 'cw', nodes: ['a', 'b'], sizeBytes: SIZE, extra: ['csums-alg = sha256', 'resync-rate = 4M'] });
  const differ: Array<[number, number]> = Array.from({ length: 32 }, (_, i) => [i * 4 * MiB + 2 * MiB, MiB]);
  seed(files, SIZE, differ);
  await bringUp(cluster, 'cw', ['a', 'b']);
  await must(cluster, 'a', ['primary', 'cw', '--force']);
  const writes = writeInBackground(files.socket('a'), SIZE);
  // and writes right into ranges that differ (being verified or sent now or soon), all at once so
  // that a loaded machine still has them land early in the resync
  const ios = await Promise.all(differ.slice(0, 8).map(([offset]) =>
    execa('qemu-io', ['-f', 'raw', '-c', `write -P 0x5c ${offset + 64 * KiB} 64k`, `nbd:unix:${files.socket('a')}`], { reject: false })));
  ios.forEach((io, i) => t.equal(io.exitCode, 0, `a write into the differing range at ${differ[i][0]} during the resync is acknowledged`));
  const mid = await waitFor(cluster, 'a', 'cw', 'resync 20 % done', (s) => (s.connections[0].volumes[0].resync?.percent ?? 0) >= 20, 60_000);
  const progress = mid.connections[0].volumes[0].resync!;
  t.equal(progress.csumsAlg, 'sha256', 'status shows the digest in use');
  t.ok(progress.sameBytes > 0 && progress.transferredBytes > 0, `status counts verified (${progress.sameBytes}) and sent (${progress.transferredBytes}) bytes`);
  t.ok(progress.rateBytesPerSec > 0 && progress.etaSeconds !== null, `rate ${progress.rateBytesPerSec} B/s and ETA ${progress.etaSeconds} s`);
  const schema = JSON.parse(readFileSync(new URL('../../src/engine/status.schema.json', import.meta.url), 'utf8'));
  const validate = new Ajv({ allErrors: true }).compile(schema);
  const { json } = await cluster.cliJson('a', ['status', 'cw']);
  t.ok(validate(json), `status --json during a checksum-based resync follows the schema ${JSON.stringify(validate.errors)}`);
  const human = await cluster.cli('a', ['status', 'cw']);
  t.match(String(human.stdout), /replication:SyncSource .* csums:sha256 same:\S+ sent:\S+/, 'tandem status shows csums, same and sent');

  // kill -9 of the SyncSource (the Primary, the only UpToDate node) in the middle
  const mark = logMark(cluster);
  await cluster.kill('a');
  const written = await writes.stop();
  t.ok(written.ok > 0, `${written.ok} writes acknowledged before the crash`);
  t.equal((await status(cluster, 'b', 'cw')).volumes[0].diskState, 'Inconsistent', 'b, cut off mid-resync, stays Inconsistent');
  await sleep(1000);
  const upAt = await restartAndUp(cluster, 'a', 'cw');
  await checkRecovered(t, { cluster, res: 'cw', files, nodes: ['a', 'b'], upAt, mark, acked: writes.acked });
  const resumed = finishedAsSource(cluster);
  t.equal(resumed.csumsAlg, 'sha256', `the resumed resync compared digests too (verified ${resumed.sameBytes}, sent ${resumed.transferredBytes})`);
  await flushExport(files.socket('a')).catch(() => undefined);
});

t.test('a peer with another csums-alg is refused on both sides with code csums-alg, naming both', async (t) => {
  const cluster = new TestCluster('tandem-csums-x-');
  t.teardown(() => cluster.destroy());
  printLogsOnFailure(t, cluster);
  await writeResource(cluster, { name: 'cx', nodes: ['a', 'b'], sizeBytes: 16 * MiB, extra: ['csums-alg = sha256'] });
  await throughProxies(t, cluster, 'cx', (node, text) => (node === 'b' ? text.replace('csums-alg = sha256', 'csums-alg = none') : text));
  await bringUp(cluster, 'cx', ['a', 'b']);
  const refused = async (node: string): Promise<string[]> => logLines(cluster, node, /^peer connection refused/)
    .filter((l) => l.code === 'csums-alg').map((l) => String(l.reason));
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && ((await refused('a')).length === 0 || (await refused('b')).length === 0)) await sleep(200);
  const reasons = [...await refused('a'), ...await refused('b')].join('\n');
  t.match(reasons, /csums-alg differs: node [01] uses (sha256|none), node [01] uses (none|sha256); both ends must agree/, 'the reason names both settings');
  for (const n of ['a', 'b']) {
    t.ok((await refused(n)).length > 0, `${n} logged the refusal with code csums-alg`);
    t.not((await status(cluster, n, 'cx')).connections[0].connectionState, 'Connected', `${n} is not connected`);
  }
});

t.test('malformed resync checksums (a digest of the wrong length, a range above 1 MiB, an empty one) drop the connection and change no data', async (t) => {
  const cluster = new TestCluster('tandem-csums-m-');
  t.teardown(() => cluster.destroy());
  printLogsOnFailure(t, cluster);
  const SIZE = 16 * MiB;
  // in clear, so a proxy can decode and re-encode a frame (the codec refuses what is malformed in
  // form: this is malformed in meaning, as only a broken or hostile peer would send it)
  const files = await writeResource(cluster, { name: 'cm', nodes: ['a', 'b'], sizeBytes: SIZE, extra: ['csums-alg = sha256', 'transport-security = none'] });
  seed(files, SIZE, [[4 * MiB, 512 * KiB]]);
  const bBefore = sha256File(files.disk('b'));
  const rewrites = [
    (m: MessageOf<'ResyncChecksum'>): WireMessage => ({ ...m, digest: m.digest.subarray(0, 31) }),
    (m: MessageOf<'ResyncChecksum'>): WireMessage => ({ ...m, length: 2 * MiB }),
    (m: MessageOf<'ResyncChecksum'>): WireMessage => ({ ...m, length: 0 }),
  ];
  const done: string[] = [];
  // the first checksum of each resync (a new one after each reconnect): one bad message per connection
  const rewrite = (m: MessageOf<'ResyncChecksum'>): WireMessage | null => {
    const next = rewrites[done.length];
    if (!next || m.requestId !== 1) return null;
    done.push(`${m.offset}+${m.length}`);
    return next(m);
  };
  const text = readFileSync(`${cluster.configDir}/cm.ini`, 'utf8');
  const [portA, portB] = [...text.matchAll(/^address = 127\.0\.0\.1:(\d+)$/gm)].map((m) => Number(m[1]));
  const proxies = [new RewritingProxy(portB, 'ResyncChecksum', rewrite), new RewritingProxy(portA, 'ResyncChecksum', rewrite)];
  t.teardown(async () => { for (const p of proxies) await p.stop(); });
  const [toB, toA] = [await proxies[0].start(), await proxies[1].start()];
  cluster.writeNodeConfig('a', 'cm.ini', text.replace(`address = 127.0.0.1:${portB}`, `address = 127.0.0.1:${toB}`));
  cluster.writeNodeConfig('b', 'cm.ini', text.replace(`address = 127.0.0.1:${portA}`, `address = 127.0.0.1:${toA}`));
  await bringUp(cluster, 'cm', ['a', 'b']);
  await must(cluster, 'a', ['primary', 'cm', '--force']);
  await waitFor(cluster, 'a', 'cm', 'b UpToDate after two dropped connections', peersUpToDate(['b']), 120_000);

  t.equal(done.length, 3, `three checksums were rewritten (${done.join(', ')})`);
  const errors = logLines(cluster, 'b', /^peer protocol error/).map((l) => String(l.message));
  t.match(errors.join('\n'), /a resync checksum of 31 bytes: sha256 digests have 32/, 'b named the short digest');
  t.match(errors.join('\n'), /a resync checksum over 2097152 bytes: 1 to 1048576/, 'b named the range above one ResyncData');
  t.match(errors.join('\n'), /a resync checksum over 0 bytes: 1 to 1048576/, 'b named the empty range');
  t.not(bBefore, sha256File(files.disk('a')), 'b differed from a before');
  t.equal(sha256File(files.disk('a')), sha256File(files.disk('b')), 'after the reconnects the resync finished and the disks are identical');
  const last = finishedAsSource(cluster);
  t.ok(last.transferredBytes >= 512 * KiB && last.transferredBytes < 2 * MiB, `the resync that finished sent only what differs (${last.transferredBytes} bytes)`);
});
