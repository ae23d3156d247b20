// Data-path benchmark (its bars and targets: bench/README.md): fio's nbd engine, 4k random writes
// scattered over a volume far larger than the activity log covers (64 GiB against 1237 × 4 MiB ≈
// 4.8 GiB, so ~92 % of writes need an AL update), against nbdkit's file plugin on the same kind of
// sparse tmpfs file in the same run. Rows: nbdkit QD1/QD32; a StandAlone Primary with PMEM metadata
// (msync, and again with PMEM_IS_PMEM_FORCE=1: the cache-flush path), block metadata (a file on the
// real disk) and metadata updates off; two nodes in network namespaces, protocol C, QD1/QD32, plus
// the TCP RTT between the namespaces; the same two nodes with transport-security none, integrity
// and tls, one after the other (setup 'security': the cost of TLS and of per-frame MACs against
// links in clear). Real-disk rows (disk*): backing files laid out on the VM disk (/var/tmp), the
// page cache dropped before each row, 4k random read and write at QD1 and QD32: fio's io_uring
// engine with O_DIRECT on the file (the disk's limit), the backing-disk layer alone
// (src/platform/node/block-device.ts, io_uring and threadpool engines, in this process), nbdkit's
// file plugin on the same file, and tandem (StandAlone, 2 nodes) on files laid out alike; each of
// these rows carries its IOPS ratio to nbdkit and to fio. Prints the bars as ratios, PASS/MISS, and
// appends the result to bench/RESULTS.md.
//
//   npm run bench:datapath [-- --seconds 3 --ramp 1 --reps 3 --size-gib 64 --disk-gib 4 --only pmem,no-meta
//                              --profile --json --no-record --results FILE]
//
// Each row also reports the server processes' CPU time per write (/proc), which stays
// meaningful on a loaded machine. --reps N repeats the sequence and reports each row's median;
// --only runs some setups (baseline, pmem, pmem-force, block, no-meta, two, security, disk,
// disk-standalone, disk-two); --profile runs every tandemd
// under node --cpu-prof and prints where its CPU went during fio. Needs root (network
// namespaces, dropping caches), fio, nbdkit, nbdinfo, ip, and for the disk rows the io_uring
// addon (npm run build:native) and --disk-gib × 3 free on /var/tmp. Interrupting it (Ctrl-C) cleans up too.
import { execa } from 'execa';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, release } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { AL_EXTENT_BYTES, DEFAULT_AL_EXTENTS } from '../src/meta/layout.js';
import { TestNetwork } from '../test/helpers/netns.js';
import { freePorts } from '../test/helpers/resource-config.js';
import { BenchCluster, peerEstablished, RESOURCE, sparseFile, type BenchNode, type BenchResourceSpec } from './lib/cluster.js';
import { Cleanup } from './lib/cleanup.js';
import { deviceRandom4k } from './lib/device.js';
import { dropCaches, layOutFile } from './lib/disk.js';
import { fileRandom4k, randomWrite4k, type FioResult, type Rw } from './lib/fio.js';
import { openBlockDevice, type IoEngine } from '../src/platform/node/block-device.js';
import { startNbdkitFile } from './lib/nbdkit.js';
import { cpuSeconds } from './lib/proc.js';
import { hotSpots, type HotSpot } from './lib/profile.js';
import { measureRtt, serveEcho, type RttResult } from './lib/rtt.js';

const GiB = 1024 ** 3;
const AL_COVERAGE_BYTES = DEFAULT_AL_EXTENTS * AL_EXTENT_BYTES; // the resource uses the default al-extents
const PEER_PORT = 7789;
const RTT_SECONDS = 3;

interface Options {
  seconds: number;
  ramp: number;
  /** repetitions of the whole sequence; each row reports its median repetition */
  reps: number;
  /** setups to run (all by default); bars whose rows were not measured are left out */
  only: Set<Setup>;
  sizeBytes: number;
  /** the real-disk rows' files on /var/tmp */
  diskBytes: number;
  profile: boolean;
  json: boolean;
  record: boolean;
  results: string;
}

const SETUPS = ['baseline', 'pmem', 'pmem-force', 'block', 'no-meta', 'two', 'security', 'disk', 'disk-standalone', 'disk-two'] as const;
const SECURITY_MODES = ['none', 'integrity', 'tls'] as const;
type SecurityMode = (typeof SECURITY_MODES)[number];
type Setup = (typeof SETUPS)[number];

function setupsOf(list: string): Set<Setup> {
  const names = list.split(',').map((x) => x.trim()).filter(Boolean);
  const bad = names.filter((n) => !(SETUPS as readonly string[]).includes(n));
  if (bad.length > 0 || names.length === 0) throw new Error(`--only ${list}: expected a comma-separated list of ${SETUPS.join(', ')}`);
  return new Set(names as Setup[]);
}

type TmpfsRowId = 'nbdkit-qd1' | 'nbdkit-qd32' | 'pmem' | 'pmem-force' | 'block' | 'no-meta' | 'two-qd1' | 'two-qd32' | `${SecurityMode}-qd${1 | 32}`;
/** what a real-disk row measures */
type DiskSubject = 'fio' | 'dev-io_uring' | 'dev-threadpool' | 'nbdkit' | 'standalone' | 'two';
type Qd = 1 | 32;
type DiskRowId = `disk-${DiskSubject}-${Rw}-qd${Qd}`;
type RowId = TmpfsRowId | DiskRowId;
const RWS: Rw[] = ['randread', 'randwrite'];
const QDS: Qd[] = [1, 32];

interface Row {
  id: RowId;
  label: string;
  fio: FioResult;
  /** CPU time each server process used per request (over ramp + run): work, not waiting */
  cpu: Array<{ process: string; usPerWrite: number }>;
  /** real-disk rows: IOPS over nbdkit's and over fio's on the same workload, in the same run */
  vsNbdkit?: number;
  vsFio?: number;
}

/** A process serving the export, whose CPU time a row reports. */
interface Server {
  name: string;
  pid: number;
}

interface Bar {
  what: string;
  formula: string;
  value: number;
  target: number;
  atLeast: boolean;
  pass: boolean;
}

interface Measured {
  rows: Map<RowId, Row>;
  rtt: RttResult;
  /** tandemd CPU profile per setup, when --profile */
  profiles: Array<{ setup: string; node: string; spots: HotSpot[] }>;
}

const ROW_LABELS: Record<TmpfsRowId, string> = {
  'nbdkit-qd1': 'nbdkit file, QD1',
  'nbdkit-qd32': 'nbdkit file, QD32',
  pmem: 'tandem StandAlone Primary, pmem: metadata, QD1',
  'pmem-force': 'tandem StandAlone Primary, pmem: metadata with PMEM_IS_PMEM_FORCE=1 (the cache-flush path real PMEM takes; not durable on tmpfs), QD1',
  block: 'tandem StandAlone Primary, block: metadata, QD1',
  'no-meta': 'tandem StandAlone Primary, metadata updates off, QD1',
  'two-qd1': 'tandem 2 nodes (netns), protocol C, QD1 (transport-security tls, the default)',
  'two-qd32': 'tandem 2 nodes (netns), protocol C, QD32 (transport-security tls, the default)',
  'none-qd1': 'tandem 2 nodes (netns), protocol C, transport-security none, QD1',
  'none-qd32': 'tandem 2 nodes (netns), protocol C, transport-security none, QD32',
  'integrity-qd1': 'tandem 2 nodes (netns), protocol C, transport-security integrity, QD1',
  'integrity-qd32': 'tandem 2 nodes (netns), protocol C, transport-security integrity, QD32',
  'tls-qd1': 'tandem 2 nodes (netns), protocol C, transport-security tls, QD1',
  'tls-qd32': 'tandem 2 nodes (netns), protocol C, transport-security tls, QD32',
};
const DISK_SUBJECTS: Record<DiskSubject, string> = {
  fio: 'fio io_uring O_DIRECT on the file',
  'dev-io_uring': 'BlockDevice io_uring (in process)',
  'dev-threadpool': 'BlockDevice threadpool (in process)',
  nbdkit: 'nbdkit file',
  standalone: 'tandem StandAlone Primary, pmem: metadata',
  two: 'tandem 2 nodes (netns), protocol C',
};

const diskRow = (subject: DiskSubject, rw: Rw, qd: Qd): DiskRowId => `disk-${subject}-${rw}-qd${qd}`;

/** What a real-disk row id names, or undefined for the other rows. */
function parseDiskRow(id: RowId): { subject: DiskSubject; rw: Rw; qd: Qd } | undefined {
  const m = /^disk-(.+)-(randread|randwrite)-qd(\d+)$/.exec(id);
  return m ? { subject: m[1] as DiskSubject, rw: m[2] as Rw, qd: Number(m[3]) as Qd } : undefined;
}

function rowLabel(id: RowId): string {
  const disk = parseDiskRow(id);
  return disk ? `VM disk: ${DISK_SUBJECTS[disk.subject]}, 4k ${disk.rw} QD${disk.qd}` : ROW_LABELS[id as TmpfsRowId];
}

const FIO_RUNS: Record<Setup, number> = { baseline: 2, pmem: 1, 'pmem-force': 1, block: 1, 'no-meta': 1, two: 2, security: 2 * SECURITY_MODES.length, disk: 16, 'disk-standalone': 4, 'disk-two': 4 };

/** Wall-clock spans of every fio run so far: a CPU profile is read only where fio was writing. */
const fioSpans: Array<[number, number]> = [];

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '10' }, ramp: { type: 'string', default: '1' }, reps: { type: 'string', default: '1' },
      'size-gib': { type: 'string', default: '64' }, 'disk-gib': { type: 'string', default: '4' }, profile: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false }, 'no-record': { type: 'boolean', default: false },
      results: { type: 'string', default: join(repoRoot(), 'bench', 'RESULTS.md') },
      only: { type: 'string', default: SETUPS.join(',') }, 'rtt-server': { type: 'string' }, 'rtt-client': { type: 'string' },
    },
  });
  if (values['rtt-server']) return serveEcho(values['rtt-server']);
  if (values['rtt-client']) return rttClient(values['rtt-client']);
  const opts: Options = {
    seconds: positive(values.seconds, '--seconds'), ramp: positive(values.ramp, '--ramp', true), reps: Math.ceil(positive(values.reps, '--reps')),
    only: setupsOf(values.only),
    sizeBytes: positive(values['size-gib'], '--size-gib') * GiB, diskBytes: positive(values['disk-gib'], '--disk-gib') * GiB,
    profile: values.profile, json: values.json,
    record: !values['no-record'], results: values.results,
  };
  await preflight();
  const loadBefore = loadavg()[0];
  const cleanup = new Cleanup();
  cleanup.onSignals();
  let measured: Measured;
  try {
    const progress = new Progress(opts);
    const reps: Measured[] = [];
    for (let rep = 0; rep < opts.reps; rep++) reps.push(await measureOnce(opts, cleanup, progress));
    measured = withDiskRatios(medianOf(reps));
  } finally {
    await cleanup.run();
  }
  const bars = barsOf(measured);
  const report = renderReport(opts, measured, bars, await machine(loadBefore));
  if (opts.json) process.stdout.write(JSON.stringify({ options: { ...opts, only: [...opts.only] }, rows: [...measured.rows.values()], rtt: measured.rtt, bars, profiles: measured.profiles }, null, 2) + '\n');
  else process.stdout.write(report + '\n');
  if (opts.record) {
    appendFileSync(opts.results, '\n' + report + '\n');
    process.stderr.write(`appended to ${opts.results}\n`);
  }
}

async function measureOnce(opts: Options, cleanup: Cleanup, progress: Progress): Promise<Measured> {
  const shm = mkdtempSync('/dev/shm/tandem-bench-dp-');
  const disk = mkdtempSync('/var/tmp/tandem-bench-dp-');
  cleanup.add(`remove ${shm} and ${disk}`, () => [shm, disk].forEach((d) => rmSync(d, { recursive: true, force: true })));
  const m: Measured = { rows: new Map(), rtt: { samples: 0, meanUs: 0, p50Us: 0, p99Us: 0 }, profiles: [] };
  const record: RecordStep = async (id, run, servers) => {
    if (parseDiskRow(id)) await dropCaches(); // every real-disk row starts cold
    progress.start(id);
    const started = Date.now();
    const cpuBefore = servers.map((s) => cpuSeconds(s.pid));
    const result = await run();
    const ios = result.iops * (opts.seconds + opts.ramp);
    const cpu = servers.map((s, i) => ({ process: s.name, usPerWrite: ((cpuSeconds(s.pid) - cpuBefore[i]) * 1e6) / ios }));
    if ('cpuUsPerIo' in result) cpu.push({ process: 'bench (the device in this process)', usPerWrite: result.cpuUsPerIo as number });
    fioSpans.push([started, Date.now()]);
    const row: Row = { id, label: rowLabel(id), fio: { iops: result.iops, meanUs: result.meanUs, p99Us: result.p99Us }, cpu };
    m.rows.set(id, row);
    progress.done(row);
  };
  const fio: FioStep = (uri, iodepth, id, servers, rw = 'randwrite', sizeBytes = opts.sizeBytes) =>
    record(id, () => randomWrite4k({ uri, rw, iodepth, seconds: opts.seconds, rampSeconds: opts.ramp, sizeBytes }), servers);

  if (opts.only.has('baseline')) await baseline(join(shm, 'nbdkit'), opts, cleanup, fio);
  const setups: Array<[RowId, 'pmem' | 'block', Record<string, string>]> = [
    ['pmem', 'pmem', {}], ['pmem-force', 'pmem', { PMEM_IS_PMEM_FORCE: '1' }], ['block', 'block', {}],
    ['no-meta', 'pmem', { TANDEM_BENCH_NO_METADATA: '1' }]];
  for (const [id, meta, daemonEnv] of setups.filter(([id]) => opts.only.has(id as Setup))) {
    const spec = { meta, daemonEnv, dataDir: join(shm, id), blockDir: join(disk, id) };
    m.profiles.push(...await standalone(spec, opts, cleanup, (uri, servers) => fio(uri, 1, id, servers)));
  }
  if (opts.only.has('two')) m.profiles.push(...await twoNodes({ meta: 'pmem', dataDir: join(shm, 'two'), blockDir: join(disk, 'two') }, opts, cleanup, async (uri, rtt, servers) => {
    m.rtt = rtt;
    progress.note(`TCP RTT between the namespaces: mean ${rtt.meanUs.toFixed(1)} µs, p99 ${rtt.p99Us.toFixed(1)} µs`);
    await fio(uri, 1, 'two-qd1', servers);
    await fio(uri, 32, 'two-qd32', servers);
  }));
  if (opts.only.has('security')) {
    for (const mode of SECURITY_MODES) {
      const spec = { meta: 'pmem' as const, dataDir: join(shm, `sec-${mode}`), blockDir: join(disk, `sec-${mode}`), transportSecurity: mode };
      m.profiles.push(...await twoNodes(spec, opts, cleanup, async (uri, rtt, servers) => {
        if (m.rtt.samples === 0) m.rtt = rtt;
        progress.note(`transport-security ${mode}: TCP RTT mean ${rtt.meanUs.toFixed(1)} µs`);
        await fio(uri, 1, `${mode}-qd1`, servers);
        await fio(uri, 32, `${mode}-qd32`, servers);
      }));
    }
  }
  await realDisk(join(disk, 'vmdisk'), join(shm, 'vmdisk'), opts, cleanup, record, fio, m);
  return m;
}

/**
 * The real-disk rows: one file laid out on /var/tmp for fio, the BlockDevice engines and nbdkit,
 * then tandem on files laid out alike (metadata on /dev/shm, as in the pmem rows).
 */
async function realDisk(diskDir: string, shmDir: string, opts: Options, cleanup: Cleanup, record: RecordStep, fio: FioStep, m: Measured): Promise<void> {
  const span = { seconds: opts.seconds, rampSeconds: opts.ramp };
  const nbdSweep = async (subject: DiskSubject, uri: string, servers: Server[]) => {
    for (const rw of RWS) for (const qd of QDS) await fio(uri, qd, diskRow(subject, rw, qd), servers, rw, opts.diskBytes);
  };
  if (opts.only.has('disk')) {
    mkdirSync(diskDir, { recursive: true });
    mkdirSync(shmDir, { recursive: true });
    const file = join(diskDir, 'baseline.img');
    await layOutFile(file, opts.diskBytes);
    try {
      for (const rw of RWS) {
        for (const qd of QDS) {
          await record(diskRow('fio', rw, qd), () => fileRandom4k({ file, rw, iodepth: qd, ...span }), []);
          for (const engine of ['io_uring', 'threadpool'] as IoEngine[]) {
            await record(diskRow(`dev-${engine}`, rw, qd), () => onDevice(file, engine, (device) => deviceRandom4k({ device, rw, iodepth: qd, ...span })), []);
          }
        }
      }
      const server = await startNbdkitFile(file, join(shmDir, 'nbdkit.sock'), cleanup);
      try {
        await nbdSweep('nbdkit', server.uri, [{ name: 'nbdkit', pid: server.pid }]);
      } finally {
        await server.stop();
      }
    } finally {
      rmSync(diskDir, { recursive: true, force: true });
    }
  }
  const spec = (name: string): SetupSpec => ({ meta: 'pmem', dataDir: join(shmDir, name), blockDir: join(diskDir, name), diskDir: join(diskDir, name), filledDisks: true, sizeBytes: opts.diskBytes });
  if (opts.only.has('disk-standalone')) {
    m.profiles.push(...await standalone(spec('standalone'), opts, cleanup, (uri, servers) => nbdSweep('standalone', uri, servers)));
  }
  if (opts.only.has('disk-two')) {
    m.profiles.push(...await twoNodes(spec('two'), opts, cleanup, (uri, _rtt, servers) => nbdSweep('two', uri, servers)));
  }
}

async function onDevice<T>(file: string, engine: IoEngine, body: (device: Awaited<ReturnType<typeof openBlockDevice>>) => Promise<T>): Promise<T> {
  const device = await openBlockDevice(file, { engine });
  try {
    return await body(device);
  } finally {
    await device.close();
  }
}

/** The real-disk rows' ratios to nbdkit and fio on the same workload (from the median rows). */
function withDiskRatios(m: Measured): Measured {
  for (const row of m.rows.values()) {
    const disk = parseDiskRow(row.id);
    if (!disk) continue;
    const nbdkit = m.rows.get(diskRow('nbdkit', disk.rw, disk.qd));
    const fio = m.rows.get(diskRow('fio', disk.rw, disk.qd));
    if (nbdkit && disk.subject !== 'nbdkit') row.vsNbdkit = row.fio.iops / nbdkit.fio.iops;
    if (fio && disk.subject !== 'fio') row.vsFio = row.fio.iops / fio.fio.iops;
  }
  return m;
}

/** Per row the repetition with the median IOPS (median RTT likewise): one noisy run does not decide a bar. */
function medianOf(reps: Measured[]): Measured {
  const median = <T>(items: T[], key: (x: T) => number): T => [...items].sort((a, b) => key(a) - key(b))[Math.floor(items.length / 2)];
  const ids = [...reps[0].rows.keys()];
  return {
    rows: new Map(ids.map((id) => [id, median(reps.map((r) => r.rows.get(id)!), (r) => r.fio.iops)])),
    rtt: median(reps.map((r) => r.rtt), (r) => r.meanUs),
    profiles: reps[reps.length - 1].profiles,
  };
}

/** One measured run, recorded as row `id` with the CPU time of `servers` per request. */
type RecordStep = (id: RowId, run: () => Promise<FioResult | (FioResult & { cpuUsPerIo: number })>, servers: Server[]) => Promise<void>;
/** One fio run through NBD against `uri` (randwrite over --size-gib unless said). */
type FioStep = (uri: string, iodepth: number, id: RowId, servers: Server[], rw?: Rw, sizeBytes?: number) => Promise<void>;

async function baseline(dir: string, opts: Options, cleanup: Cleanup, fio: FioStep): Promise<void> {
  mkdirSync(dir);
  const img = join(dir, 'disk.img');
  sparseFile(img, opts.sizeBytes);
  const server = await startNbdkitFile(img, join(dir, 'nbdkit.sock'), cleanup);
  try {
    const servers = [{ name: 'nbdkit', pid: server.pid }];
    await fio(server.uri, 1, 'nbdkit-qd1', servers);
    await fio(server.uri, 32, 'nbdkit-qd32', servers);
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true }); // the written pages of tmpfs go back now
  }
}

type SetupSpec = Pick<BenchResourceSpec, 'meta' | 'dataDir' | 'blockDir' | 'daemonEnv' | 'transportSecurity' | 'diskDir' | 'filledDisks'> & { sizeBytes?: number };

/** A Primary whose peer is configured but disconnected (DRBD StandAlone): every write also sets bitmap bits. */
async function standalone(setup: SetupSpec, opts: Options, cleanup: Cleanup, measure: (uri: string, servers: Server[]) => Promise<void>) {
  const [p1, p2] = await freePorts(2);
  const nodes: BenchNode[] = [{ name: 'n1', address: `127.0.0.1:${p1}`, wrap: [] }, { name: 'n2', address: `127.0.0.1:${p2}`, wrap: [] }];
  return withCluster({ ...setup, nodes, protocol: 'C', sizeBytes: setup.sizeBytes ?? opts.sizeBytes }, opts, cleanup, async (c) => {
    await c.start('n1');
    await c.cli('n1', ['up', RESOURCE]);
    await c.cli('n1', ['disconnect', RESOURCE]);
    await c.cli('n1', ['primary', RESOURCE, '--force']);
    // not 'StandAlone': disconnecting a peer that never connected leaves it shown as Connecting
    await c.waitFor('n1', 'Primary, disconnected, exported', (s) => s.role === 'Primary' && s.volumes[0].export !== null &&
      s.connections.every((x) => x.connectionState !== 'Connected'));
    await measure(c.uri('n1'), [{ name: 'n1', pid: c.pid('n1') }]);
  });
}

async function twoNodes(setup: SetupSpec, opts: Options, cleanup: Cleanup, measure: (uri: string, rtt: RttResult, servers: Server[]) => Promise<void>) {
  const net = new TestNetwork();
  const removeNet = cleanup.add('delete the network namespaces and bridge', () => net.destroy());
  await net.create(['n1', 'n2']);
  const nodes = ['n1', 'n2'].map((n) => ({ name: n, address: `${net.host(n).address}:${PEER_PORT}`, wrap: net.host(n).wrap }));
  try {
    return await withCluster({ ...setup, nodes, protocol: 'C', sizeBytes: setup.sizeBytes ?? opts.sizeBytes }, opts, cleanup, async (c) => {
      c.declareIdentical();
      for (const n of ['n1', 'n2']) await c.start(n);
      for (const n of ['n1', 'n2']) await c.cli(n, ['up', RESOURCE]);
      await c.waitFor('n1', 'n2 Connected, Established, UpToDate (no initial sync)', peerEstablished('n2'));
      await c.cli('n1', ['primary', RESOURCE]);
      await c.waitFor('n1', 'Primary and exported', (s) => s.role === 'Primary' && s.volumes[0].export !== null);
      const rtt = await namespaceRtt(nodes[0], nodes[1], cleanup);
      await measure(c.uri('n1'), rtt, ['n1', 'n2'].map((n) => ({ name: n, pid: c.pid(n) })));
    });
  } finally {
    await removeNet();
  }
}

/** Run one setup, then stop its daemons (writing their profiles) and remove its files. */
async function withCluster(spec: BenchResourceSpec, opts: Options, cleanup: Cleanup, body: (c: BenchCluster) => Promise<void>) {
  for (const d of [spec.dataDir, spec.blockDir, spec.diskDir ?? spec.dataDir]) mkdirSync(d, { recursive: true });
  const cpuProfDir = opts.profile ? join(spec.dataDir, 'profiles') : undefined;
  const cluster = new BenchCluster({ ...spec, cpuProfDir }, repoRoot(), cleanup);
  const firstSpan = fioSpans.length;
  try {
    await cluster.create();
    await body(cluster);
    await cluster.stopAll();
    if (!cpuProfDir) return [];
    const spans = fioSpans.slice(firstSpan);
    const env = spec.daemonEnv ?? {};
    const setup = `${spec.nodes[1].wrap.length > 0 ? 'two nodes' : 'StandAlone'}, ${spec.meta}${spec.filledDisks ? ', disks on /var/tmp' : ''}` +
      `${env.TANDEM_BENCH_NO_METADATA ? ', metadata off' : ''}${env.PMEM_IS_PMEM_FORCE ? ', PMEM_IS_PMEM_FORCE=1' : ''}` +
      `${spec.transportSecurity ? `, transport-security ${spec.transportSecurity}` : ''}`;
    return spec.nodes.filter((n) => existsSync(join(cpuProfDir, `${n.name}.cpuprofile`))).map((n) => {
      const exited = cluster.exitedAt.get(n.name)!;
      const window = { fromMsBeforeExit: exited - spans[0][0], toMsBeforeExit: exited - spans[spans.length - 1][1] };
      return { setup, node: n.name, spots: hotSpots(join(cpuProfDir, `${n.name}.cpuprofile`), 12, window) };
    });
  } finally {
    await cluster.stopAll();
    for (const d of [spec.dataDir, spec.blockDir, spec.diskDir ?? spec.dataDir]) rmSync(d, { recursive: true, force: true });
  }
}

/** Node-to-Node TCP ping-pong from n2's namespace to n1's, as the replication link sees it. */
async function namespaceRtt(server: BenchNode, client: BenchNode, cleanup: Cleanup): Promise<RttResult> {
  const host = server.address.split(':')[0];
  const echo = execa(server.wrap[0], [...server.wrap.slice(1), process.execPath, selfPath(), '--rtt-server', host], { reject: false, stdin: 'ignore' });
  const stopEcho = cleanup.add('stop the RTT echo server', async () => { echo.kill('SIGTERM'); await echo; });
  try {
    const port = await firstLine(echo);
    const r = await execa(client.wrap[0], [...client.wrap.slice(1), process.execPath, selfPath(), '--rtt-client', `${host}:${port}`], { stdin: 'ignore' });
    return JSON.parse(String(r.stdout)) as RttResult;
  } finally {
    await stopEcho();
  }
}

async function rttClient(target: string): Promise<void> {
  const [host, port] = target.split(':');
  process.stdout.write(JSON.stringify(await measureRtt(host, Number(port), RTT_SECONDS)) + '\n');
}

function barsOf(m: Measured): Bar[] {
  const io = (id: RowId) => m.rows.get(id)?.fio;
  const bar = (what: string, formula: string, rows: RowId[], value: (r: FioResult[]) => number, target: number, atLeast: boolean): Bar[] => {
    const results = rows.map(io);
    if (results.some((r) => r === undefined)) return [];
    const v = value(results as FioResult[]);
    return [{ what, formula, value: v, target, atLeast, pass: atLeast ? v >= target : v <= target }];
  };
  return [
    ...bar('StandAlone Primary, PMEM metadata, IOPS vs nbdkit', 'pmem IOPS / nbdkit QD1 IOPS', ['pmem', 'nbdkit-qd1'], ([a, b]) => a.iops / b.iops, 0.85, true),
    ...bar('PMEM metadata vs block metadata, IOPS', 'pmem IOPS / block IOPS', ['pmem', 'block'], ([a, b]) => a.iops / b.iops, 1.5, true),
    ...bar('PMEM metadata vs metadata updates off, IOPS', 'pmem IOPS / no-meta IOPS', ['pmem', 'no-meta'], ([a, b]) => a.iops / b.iops, 0.95, true),
    ...bar('2 nodes, protocol C, QD1 mean latency vs nbdkit latency + RTT', 'two QD1 mean / (nbdkit QD1 mean + RTT mean)', ['two-qd1', 'nbdkit-qd1'],
      ([a, b]) => a.meanUs / (b.meanUs + m.rtt.meanUs), 1.25, false),
    ...bar('2 nodes, protocol C, QD32 IOPS vs nbdkit QD32', 'two QD32 IOPS / nbdkit QD32 IOPS', ['two-qd32', 'nbdkit-qd32'], ([a, b]) => a.iops / b.iops, 0.5, true),
    ...bar('2 nodes, QD32 IOPS with tls vs none (issue 13: TLS costs ≤ 10 %)', 'tls QD32 IOPS / none QD32 IOPS', ['tls-qd32', 'none-qd32'], ([a, b]) => a.iops / b.iops, 0.9, true),
    ...bar('2 nodes, QD1 mean latency added by tls (issue 13: ≤ 10 µs)', 'tls QD1 mean − none QD1 mean, µs', ['tls-qd1', 'none-qd1'], ([a, b]) => a.meanUs - b.meanUs, 10, false),
    ...bar('2 nodes, QD32 IOPS with integrity vs none (no target: reported)', 'integrity QD32 IOPS / none QD32 IOPS', ['integrity-qd32', 'none-qd32'], ([a, b]) => a.iops / b.iops, 0, true),
    ...bar('cold 4k random read QD32 on the VM disk: StandAlone vs nbdkit on the same file', 'disk standalone randread QD32 IOPS / nbdkit',
      [diskRow('standalone', 'randread', 32), diskRow('nbdkit', 'randread', 32)], ([a, b]) => a.iops / b.iops, 1.0, true),
    ...bar('same, vs fio io_uring O_DIRECT on the same file (the device\'s limit)', 'disk standalone randread QD32 IOPS / fio',
      [diskRow('standalone', 'randread', 32), diskRow('fio', 'randread', 32)], ([a, b]) => a.iops / b.iops, 0.8, true),
    ...RWS.flatMap((rw) => QDS.flatMap((qd) => bar(`BlockDevice (io_uring) alone vs fio io_uring O_DIRECT, 4k ${rw} QD${qd}`, `dev-io_uring IOPS / fio IOPS`,
      [diskRow('dev-io_uring', rw, qd), diskRow('fio', rw, qd)], ([a, b]) => a.iops / b.iops, 0.8, true))),
    ...RWS.map((rw) => bar(`BlockDevice io_uring vs threadpool engine, 4k ${rw} QD32`, 'dev-io_uring IOPS / dev-threadpool IOPS',
      [diskRow('dev-io_uring', rw, 32), diskRow('dev-threadpool', rw, 32)], ([a, b]) => a.iops / b.iops, 1.0, true)).flat(),
  ];
}

interface Machine {
  date: string;
  cpus: string;
  kernel: string;
  node: string;
  fio: string;
  nbdkit: string;
  /** 1-minute load average before and after the run: the machine is shared */
  load: string;
  /** the block device and filesystem under /var/tmp */
  varTmp: string;
}

async function machine(loadBefore: number): Promise<Machine> {
  const version = async (cmd: string) => String((await execa(cmd, ['--version'], { reject: false })).stdout).split('\n')[0].trim();
  const nproc = String((await execa('nproc')).stdout).trim();
  return { date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), cpus: `${nproc} × ${cpus()[0]?.model ?? 'unknown CPU'}`, kernel: release(),
    node: process.version, fio: await version('fio'), nbdkit: await version('nbdkit'),
    load: `${loadBefore.toFixed(1)} → ${loadavg()[0].toFixed(1)}`,
    varTmp: String((await execa('findmnt', ['-no', 'SOURCE,FSTYPE', '--target', '/var/tmp'], { reject: false })).stdout).trim().replace(/\s+/, ' ') };
}

function renderReport(opts: Options, m: Measured, bars: Bar[], host: Machine): string {
  const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  const alShare = Math.min(1, AL_COVERAGE_BYTES / opts.sizeBytes);
  const tmpfsRows = [...m.rows.values()].filter((r) => !parseDiskRow(r.id));
  const diskRows = [...m.rows.values()].filter((r) => parseDiskRow(r.id));
  const lines = [
    `## Data path (bench/datapath.ts), ${host.date}`,
    '',
    `Machine: ${host.cpus}, Linux ${host.kernel}, Node ${host.node}, ${host.fio}, ${host.nbdkit}; load average ${host.load}.`,
    tmpfsRows.length === 0 ? `Each row: the median of ${opts.reps} repetition(s) of the whole sequence.` :
    `Workload: fio nbd engine over a unix socket, 4k randwrite, --norandommap, ${opts.seconds} s + ${opts.ramp} s ramp per row` +
      `${opts.reps > 1 ? ` (the median of ${opts.reps} repetitions of the whole sequence)` : ''}, over a ` +
      `${fmt(opts.sizeBytes / GiB)} GiB sparse file on /dev/shm (nbdkit and every tandem disk alike); the AL (${DEFAULT_AL_EXTENTS} × 4 MiB) covers ` +
      `${fmt(alShare * 100, 1)} % of it, so about ${fmt((1 - alShare) * 100)} % of writes need an AL update. ` +
      'pmem: metadata on /dev/shm (msync path); the PMEM_IS_PMEM_FORCE=1 row maps the same file as if it were PMEM ' +
      '(libpmem flushes CPU caches instead of calling msync: the CPU cost of real PMEM, not its durability), block: metadata in a file on /var/tmp (the VM disk, fdatasync). ' +
      'StandAlone = peer configured but disconnected (each write also sets bitmap bits). ' +
      (m.rtt.samples === 0 ? '' : 'Two nodes: one tandemd per network namespace (veth + bridge), initial sync skipped on the all-zero disks; ' +
        `TCP RTT measured in the same run (Node ping-pong, 64 B): mean ${fmt(m.rtt.meanUs, 1)} µs, p50 ${fmt(m.rtt.p50Us, 1)}, p99 ${fmt(m.rtt.p99Us, 1)}.`),
    '',
    ...(tmpfsRows.length === 0 ? [] : [
      '| row | IOPS | mean µs | p99 µs | server CPU µs per write |',
      '|---|---:|---:|---:|---|',
      ...tmpfsRows.map((r) => `| ${r.label} | ${fmt(r.fio.iops)} | ${fmt(r.fio.meanUs, 1)} | ${fmt(r.fio.p99Us, 1)} | ${cpuText(r)} |`),
      '']),
    ...(diskRows.length === 0 ? [] : [
      `Real-disk rows: ${fmt(opts.diskBytes / GiB)} GiB files on /var/tmp (the VM disk, ${host.varTmp}), laid out with data written ` +
        '(O_DIRECT, a fixed pattern), `sync` and `echo 3 > /proc/sys/vm/drop_caches` before each row; 4k random I/O over the whole file, ' +
        `${opts.seconds} s + ${opts.ramp} s ramp. fio: io_uring engine, --direct=1, on the file. BlockDevice: src/platform/node/block-device.ts driven in the ` +
        'benchmark process (no NBD, no engine), io_uring or libuv threadpool (UV_THREADPOOL_SIZE ' + (process.env.UV_THREADPOOL_SIZE ?? '4') + '), O_DIRECT. ' +
        'nbdkit and tandem: fio nbd engine over a unix socket; tandem has its own files laid out alike, pmem: metadata on /dev/shm. ' +
        'CPU: the serving processes per request (for BlockDevice rows the benchmark process itself).',
      '',
      '| row | IOPS | mean µs | p99 µs | CPU µs per request | vs nbdkit | vs fio |',
      '|---|---:|---:|---:|---|---:|---:|',
      ...diskRows.map((r) => `| ${r.label} | ${fmt(r.fio.iops)} | ${fmt(r.fio.meanUs, 1)} | ${fmt(r.fio.p99Us, 1)} | ${cpuText(r)} | ` +
        `${r.vsNbdkit === undefined ? '' : fmt(r.vsNbdkit, 2)} | ${r.vsFio === undefined ? '' : fmt(r.vsFio, 2)} |`),
      '']),
    '| bar (bench/README.md) | ratio | measured | target | result |',
    '|---|---|---:|---:|---|',
    ...bars.map((b) => `| ${b.what} | ${b.formula} | ${fmt(b.value, 2)} | ${b.atLeast ? '≥' : '≤'} ${b.target} | ${b.pass ? 'PASS' : 'MISS'} |`),
  ];
  for (const p of m.profiles) {
    lines.push('', `tandemd ${p.node} CPU profile (${p.setup}), self time:`, '', '| function | self ms | % |', '|---|---:|---:|',
      ...p.spots.map((s) => `| \`${s.where}\` | ${fmt(s.selfMs)} | ${fmt(s.percent, 1)} |`));
  }
  return lines.join('\n');
}

function cpuText(row: Row): string {
  return row.cpu.map((c) => `${c.process} ${c.usPerWrite.toFixed(1)}`).join(', ');
}

/** Which row runs, how far along the run is, and an ETA from the fio time still ahead. */
class Progress {
  private readonly started = Date.now();
  private finished = 0;

  constructor(private readonly opts: Options) {}

  start(id: RowId): void {
    const total = [...this.opts.only].reduce((n, s) => n + FIO_RUNS[s], 0) * this.opts.reps;
    // set-up time between runs is known only once some runs are done: then use the pace so far
    const perRun = this.finished > 0 ? this.elapsed() / this.finished : this.opts.seconds + this.opts.ramp + 5;
    const left = Math.round((total - this.finished) * perRun);
    process.stderr.write(`[${this.finished + 1}/${total}] ${rowLabel(id)} (${this.elapsed()} s elapsed, ETA ~${left} s)\n`);
  }

  done(row: Row): void {
    this.finished++;
    const r = row.fio;
    process.stderr.write(`      ${row.label}: ${Math.round(r.iops).toLocaleString('en-US')} IOPS (${(r.iops * 4 / 1024).toFixed(1)} MiB/s), ` +
      `mean ${r.meanUs.toFixed(1)} µs, p99 ${r.p99Us.toFixed(1)} µs, CPU/write ${cpuText(row)}\n`);
  }

  note(text: string): void {
    process.stderr.write(`      ${text}\n`);
  }

  private elapsed(): number {
    return Math.round((Date.now() - this.started) / 1000);
  }
}

async function preflight(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('the benchmark needs root: the two-node rows run in network namespaces');
  for (const tool of ['fio', 'nbdkit', 'nbdinfo', 'ip']) {
    if ((await execa('which', [tool], { reject: false })).exitCode !== 0) throw new Error(`${tool} is not installed (see packaging/install-deps.sh)`);
  }
  if (!existsSync(join(repoRoot(), 'dist/cli/commands/daemon.js'))) throw new Error('dist/ is not built: run npm run build');
  // the bundle is not beside src/, so show the pmem metadata code and the disk rows where the addons are
  process.env.TANDEM_PMEM_ADDON ??= join(repoRoot(), 'src/meta/native/build/Release/tandem_pmem.node');
  process.env.TANDEM_URING_ADDON ??= join(repoRoot(), 'src/platform/node/native/build/Release/tandem_uring.node');
}

function positive(text: string, flag: string, zeroOk = false): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0 || (n === 0 && !zeroOk)) throw new Error(`${flag} ${text}: expected a ${zeroOk ? 'non-negative' : 'positive'} number`);
  return n;
}

function firstLine(child: ReturnType<typeof execa>): Promise<string> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => { lines.close(); resolve(line.trim()); });
    child.once('exit', () => reject(new Error('the RTT echo server exited before it listened')));
  });
}

function selfPath(): string {
  return fileURLToPath(import.meta.url);
}

/** The package root: the nearest directory above this file with bin/tandem.js. */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'bin', 'tandem.js'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the tandem package root (bin/tandem.js) above the benchmark');
    dir = up;
  }
  return dir;
}

main().catch((err: Error) => {
  process.stderr.write(`bench:datapath failed: ${err.message}\n`);
  process.exit(1);
});
