// The benchmark's building blocks against real tools: fio's nbd engine on a real nbdkit, CPU
// time from /proc, V8 CPU profiles of a real node process, a TCP ping-pong, the cleanup stack.
import t from 'tap';
import { execa } from 'execa';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Cleanup } from '../../bench/lib/cleanup.js';
import { sparseFile } from '../../bench/lib/cluster.js';
import { fileRandom4k, parseFio, randomWrite4k } from '../../bench/lib/fio.js';
import { deviceRandom4k } from '../../bench/lib/device.js';
import { layOutFile } from '../../bench/lib/disk.js';
import { openBlockDevice } from '../../src/platform/node/block-device.js';
import { startNbdkitFile } from '../../bench/lib/nbdkit.js';
import { cpuSeconds } from '../../bench/lib/proc.js';
import { hotSpots } from '../../bench/lib/profile.js';
import { measureRtt } from '../../bench/lib/rtt.js';

const tmp = (t: { teardown(fn: () => void): void }) => {
  const dir = mkdtempSync('/dev/shm/tandem-bench-test-');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
};

t.test('fio nbd engine against nbdkit: a result with IOPS and latency, and nbdkit CPU time from /proc', async (t) => {
  const dir = tmp(t);
  const img = join(dir, 'disk.img');
  sparseFile(img, 256 * 1024 * 1024);
  const cleanup = new Cleanup();
  t.teardown(() => cleanup.run());
  const server = await startNbdkitFile(img, join(dir, 's.sock'), cleanup);
  const before = cpuSeconds(server.pid);
  const r = await randomWrite4k({ uri: server.uri, iodepth: 1, seconds: 1, rampSeconds: 0, sizeBytes: 256 * 1024 * 1024 });
  t.ok(r.iops > 100, `IOPS ${r.iops}`);
  t.ok(r.meanUs > 0 && r.meanUs < 1e6, `mean ${r.meanUs} µs`);
  t.ok(r.p99Us >= r.meanUs * 0.5, `p99 ${r.p99Us} µs`);
  t.ok(cpuSeconds(server.pid) > before, 'nbdkit used CPU time while serving');
  await server.stop();
  t.throws(() => cpuSeconds(server.pid), 'a stopped process has no CPU times');
});

t.test('real-disk rows: a laid-out file has every block written; fio io_uring and the BlockDevice measure reads and writes on it', async (t) => {
  const dir = mkdtempSync('/var/tmp/tandem-bench-test-');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'disk.img');
  await layOutFile(file, 32 * 1024 * 1024);
  const st = statSync(file);
  t.equal(st.size, 32 * 1024 * 1024);
  t.ok(st.blocks * 512 >= st.size, `no holes: ${st.blocks} sectors allocated`);
  t.equal(readFileSync(file).subarray(4096, 4100).toString('hex'), '5a17a5e1', 'the pattern, not zeros');
  for (const rw of ['randread', 'randwrite'] as const) {
    const f = await fileRandom4k({ file, rw, iodepth: 4, seconds: 1, rampSeconds: 0 });
    t.ok(f.iops > 50 && f.meanUs > 0, `fio ${rw}: ${Math.round(f.iops)} IOPS`);
    const device = await openBlockDevice(file);
    const d = await deviceRandom4k({ device, rw, iodepth: 4, seconds: 1, rampSeconds: 0 });
    await device.close();
    t.ok(d.iops > 50 && d.meanUs > 0 && d.p99Us >= d.meanUs * 0.5, `BlockDevice ${rw}: ${Math.round(d.iops)} IOPS, mean ${d.meanUs.toFixed(1)} µs`);
    t.ok(d.cpuUsPerIo > 0, `CPU per request ${d.cpuUsPerIo.toFixed(1)} µs`);
  }
});

t.test('parseFio skips the line the nbd engine prints first, and refuses failed or empty runs', async (t) => {
  const job = (error: number, iops: number) => JSON.stringify({ jobs: [{ error, write: { iops, lat_ns: { mean: 25_000, percentile: { '99.000000': 60_000 } } } }] });
  t.same(parseFio(`nbd: connected\n${job(0, 1234)}`), { iops: 1234, meanUs: 25, p99Us: 60 });
  t.throws(() => parseFio(job(5, 1234)), /error 5/);
  t.throws(() => parseFio(job(0, 0)), /wrote nothing/);
  t.throws(() => parseFio('fio: engine nbd failed to load'), /no JSON/);
  const read = JSON.stringify({ jobs: [{ error: 0, read: { iops: 99, lat_ns: { mean: 10_000, percentile: { '99.000000': 20_000 } } }, write: { iops: 0, lat_ns: { mean: 0 } } }] });
  t.same(parseFio(read, 'randread'), { iops: 99, meanUs: 10, p99Us: 20 }, 'a read job: its read side');
  t.throws(() => parseFio(read, 'randwrite'), /wrote nothing/);
});

t.test('hotSpots: a busy function shows in its window and not in an idle one', async (t) => {
  const dir = tmp(t);
  const script = 'function burnCpu(ms){const end=Date.now()+ms;let x=0;while(Date.now()<end)x+=Math.sqrt(x+1);return x}' +
    'burnCpu(400);setTimeout(()=>{},400)';
  await execa(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, '-e', script]);
  const [file] = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  t.ok(file, 'node wrote a profile');
  const all = hotSpots(join(dir, file), 5, { fromMsBeforeExit: 60_000, toMsBeforeExit: 0 });
  const burn = all.find((s) => s.where.startsWith('burnCpu'));
  t.ok(burn && burn.selfMs > 200, `burnCpu self time ${burn?.selfMs} ms`);
  t.ok(all.every((s, i) => i === 0 || all[i - 1].selfMs >= s.selfMs), 'largest first');
  const idleTail = hotSpots(join(dir, file), 5, { fromMsBeforeExit: 250, toMsBeforeExit: 0 });
  t.notOk(idleTail.some((s) => s.where.startsWith('burnCpu') && s.selfMs > 20), 'the idle last 250 ms hold no burnCpu time');
});

t.test('measureRtt: round trips through a real TCP echo server', async (t) => {
  const server = createServer((s) => s.on('data', (d) => s.write(d)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => server.close());
  const r = await measureRtt('127.0.0.1', (server.address() as AddressInfo).port, 0.3);
  t.ok(r.samples > 10, `${r.samples} samples`);
  t.ok(r.meanUs > 0 && r.p50Us <= r.p99Us, `mean ${r.meanUs} p50 ${r.p50Us} p99 ${r.p99Us}`);
});

t.test('Cleanup: undoes in reverse order, survives a failing step, runs each step once', async (t) => {
  const c = new Cleanup();
  const done: string[] = [];
  c.add('a', () => done.push('a'));
  const undoB = c.add('b', () => done.push('b'));
  c.add('broken', () => { throw new Error('boom'); });
  c.add('c', async () => { done.push('c'); });
  await undoB();
  t.same(done, ['b'], 'an early undo runs at once');
  await Promise.all([c.run(), c.run()]);
  t.same(done, ['b', 'c', 'a'], 'the rest in reverse, once, past the failure');
});

t.test('Cleanup.run waits for a step its owner is undoing early', async (t) => {
  const c = new Cleanup();
  let finished = false;
  const undo = c.add('slow', () => new Promise<void>((resolve) => setTimeout(() => { finished = true; resolve(); }, 200)));
  const early = undo();
  await c.run();
  t.ok(finished, 'run() returned only after the early undo finished');
  await early;
});
