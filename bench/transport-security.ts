// What transport security costs the peer link itself, without disks, NBD or the engine: two TCP
// transports in two processes on 127.0.0.1; the sender sends 4 KiB Writes, the receiver answers
// each with a WriteAck on the control socket (as a Secondary does). Per mode (none, integrity,
// tls) and queue depth (1 and 32): writes per second, mean round trip at QD1, and the CPU time
// both processes spend per write (process.cpuUsage: work, not waiting, so it stays meaningful on
// a loaded machine). The modes are measured in turns (none, integrity, tls, none, …) so a change
// of load hits all of them; each row is the median of its turns.
//
//   npm run bench:transport [-- --seconds 3 --turns 3 --modes none,integrity,tls --json]
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createLogger } from '../src/lib/log.js';
import type { SecuritySettings } from '../src/transport/security.js';
import { TcpTransport } from '../src/transport/tcp.js';
import type { PeerLink } from '../src/transport/transport.js';
import type { WireMessage } from '../src/wire/messages.js';

const MODES = ['none', 'integrity', 'tls'] as const;
type Mode = (typeof MODES)[number];
const BLOCK = 4096;
const quiet = createLogger({}, 'error');

interface Result { mode: Mode; depth: number; writesPerSec: number; meanRttUs: number; cpuUsPerWrite: { sender: number; receiver: number } }

function security(mode: Mode): SecuritySettings {
  return { mode, dataIntegrity: 'none', certificates: null };
}

async function freePort(): Promise<number> {
  const s = createServer().listen(0, '127.0.0.1');
  await once(s, 'listening');
  const { port } = s.address() as { port: number };
  s.close();
  return port;
}

/** The receiving end, in a child process: acknowledges every Write; reports its CPU time on request. */
async function receiver(): Promise<void> {
  const { mode, listen, peer } = JSON.parse(process.argv[3]) as { mode: Mode; listen: string; peer: string };
  const transport = new TcpTransport({ resource: 'bench', secret: 'bench-secret-0123456789', nodeId: 2, listen, peers: [{ nodeId: 1, address: peer }], security: security(mode), logger: quiet });
  transport.on('link', (link) => link.on('message', (msg) => {
    if (msg.type === 'Write') link.sendControl({ type: 'WriteAck', volume: 0, seq: msg.seq });
  }));
  process.on('message', (m: string) => {
    if (m === 'cpu') process.send!(process.cpuUsage());
    if (m === 'stop') void transport.stop().then(() => process.exit(0));
  });
  await transport.start();
  process.send!('ready');
}

async function measure(mode: Mode, seconds: number): Promise<Result[]> {
  const [p1, p2] = [await freePort(), await freePort()];
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), ['--receiver', JSON.stringify({ mode, listen: `127.0.0.1:${p2}`, peer: `127.0.0.1:${p1}` })], { stdio: 'inherit' });
  await once(child, 'message');
  const sender = new TcpTransport({ resource: 'bench', secret: 'bench-secret-0123456789', nodeId: 1, listen: `127.0.0.1:${p1}`, peers: [{ nodeId: 2, address: `127.0.0.1:${p2}` }], security: security(mode), logger: quiet });
  const linked = once(sender, 'link') as Promise<[PeerLink]>;
  await sender.start();
  const [link] = await linked;
  const childCpu = async (): Promise<number> => {
    child.send('cpu');
    const [u] = (await once(child, 'message')) as [NodeJS.CpuUsage];
    return u.user + u.system;
  };
  const results: Result[] = [];
  const data = Buffer.alloc(BLOCK, 0x5a);
  for (const depth of [1, 32]) {
    let seq = 0;
    let acked = 0;
    let rttSum = 0;
    const sentAt = new Map<number, bigint>();
    let stopAt = 0;
    let done: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => { done = resolve; });
    const send = (): void => {
      seq++;
      sentAt.set(seq, process.hrtime.bigint());
      link.sendData({ type: 'Write', volume: 0, seq, epoch: 1, offset: (seq % 1024) * BLOCK, flags: { fua: false, flush: false }, missing: 0, data } as WireMessage);
    };
    const onAck = (msg: WireMessage): void => {
      if (msg.type !== 'WriteAck') return;
      acked++;
      rttSum += Number(process.hrtime.bigint() - sentAt.get(msg.seq)!) / 1000;
      sentAt.delete(msg.seq);
      if (Date.now() < stopAt) send();
      else if (sentAt.size === 0) done();
    };
    link.on('message', onAck);
    // warm up, then measure
    stopAt = Date.now() + 500;
    for (let i = 0; i < depth; i++) send();
    await finished;
    const [cpu0, child0] = [process.cpuUsage(), await childCpu()];
    acked = 0;
    rttSum = 0;
    const started = Date.now();
    const measured = new Promise<void>((resolve) => { done = resolve; });
    stopAt = started + seconds * 1000;
    for (let i = 0; i < depth; i++) send();
    await measured;
    const elapsed = (Date.now() - started) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const childUs = (await childCpu()) - child0;
    link.removeListener('message', onAck);
    results.push({
      mode, depth, writesPerSec: acked / elapsed, meanRttUs: rttSum / acked,
      cpuUsPerWrite: { sender: (cpu.user + cpu.system) / acked, receiver: childUs / acked },
    });
  }
  child.send('stop');
  await sender.stop();
  await once(child, 'exit');
  return results;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { seconds: { type: 'string', default: '3' }, turns: { type: 'string', default: '3' }, modes: { type: 'string', default: MODES.join(',') }, json: { type: 'boolean', default: false }, receiver: { type: 'string' } }, allowPositionals: true });
  if (values.receiver !== undefined) return receiver();
  const modes = values.modes.split(',').filter((m): m is Mode => (MODES as readonly string[]).includes(m));
  if (modes.length === 0) throw new Error(`--modes ${values.modes}: expected a comma-separated list of ${MODES.join(', ')}`);
  const load = loadavg()[0];
  const all: Result[] = [];
  for (let turn = 0; turn < Number(values.turns); turn++) {
    for (const mode of modes) {
      const r = await measure(mode, Number(values.seconds));
      all.push(...r);
      process.stderr.write(`turn ${turn + 1} ${mode}: ${r.map((x) => `QD${x.depth} ${Math.round(x.writesPerSec)}/s rtt ${x.meanRttUs.toFixed(1)} µs cpu ${x.cpuUsPerWrite.sender.toFixed(1)}+${x.cpuUsPerWrite.receiver.toFixed(1)} µs`).join(', ')}\n`);
    }
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const rows = modes.flatMap((mode) => [1, 32].map((depth) => {
    const rs = all.filter((r) => r.mode === mode && r.depth === depth);
    return { mode, depth, writesPerSec: median(rs.map((r) => r.writesPerSec)), meanRttUs: median(rs.map((r) => r.meanRttUs)),
      sender: median(rs.map((r) => r.cpuUsPerWrite.sender)), receiver: median(rs.map((r) => r.cpuUsPerWrite.receiver)) };
  }));
  if (values.json) {
    process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
    return;
  }
  const fmt = (n: number, d = 1): string => n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
  const lines = [
    `## Peer link security (bench/transport-security.ts), ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}`, '',
    `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, Node ${process.version}; load average ${load.toFixed(1)} → ${loadavg()[0].toFixed(1)}. ` +
      `Two TCP transports in two processes on 127.0.0.1, 4 KiB Writes answered by WriteAcks, ${values.seconds} s per row, median of ${values.turns} turns taken in rotation.`, '',
    '| mode | QD | writes/s | mean round trip µs | CPU µs per write (sender + receiver) |', '|---|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.mode} | ${r.depth} | ${fmt(r.writesPerSec, 0)} | ${fmt(r.meanRttUs)} | ${fmt(r.sender)} + ${fmt(r.receiver)} = ${fmt(r.sender + r.receiver)} |`),
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

main().catch((err: Error) => {
  process.stderr.write(`bench:transport failed: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
