// NBD data path benchmark: fio's nbd engine, 4k randwrite at QD1 and QD32, against Tandem's NBD
// server on a FileBackend and against `nbdkit file` on the same /dev/shm file, alternating in one
// run (this VM is noisy: only ratios within one run mean anything). Results are printed and
// appended to bench/RESULTS.md.
//
//   npm run bench:nbd [-- --runtime 10 --reps 2 --size-mib 1024 --json]
import { execa, execaSync, type ResultPromise } from 'execa';
import { appendFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, hostname, loadavg, release } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { FileBackend } from '../src/nbd/file-backend.js';
import { NbdServer } from '../src/nbd/server.js';

interface Run { server: 'tandem' | 'nbdkit'; qd: number; rep: number; iops: number; meanUs: number; p99Us: number }
interface FioJob { error: number; write: { iops: number; lat_ns: { mean: number; percentile: Record<string, number> } } }

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      serve: { type: 'string' }, socket: { type: 'string' },
      runtime: { type: 'string', default: '10' }, reps: { type: 'string', default: '2' },
      'size-mib': { type: 'string', default: '1024' }, json: { type: 'boolean', default: false },
      results: { type: 'string', default: join(process.cwd(), 'bench', 'RESULTS.md') },
    },
  });
  if (values.serve) return serve(values.serve, values.socket!);
  const runtime = Number(values.runtime);
  const reps = Number(values.reps);
  const sizeMiB = Number(values['size-mib']);
  const dir = mkdtempSync('/dev/shm/tandem-bench-nbd-');
  try {
    const img = join(dir, 'disk.img');
    writeFileSync(img, Buffer.alloc(sizeMiB * 1024 * 1024)); // written, not sparse: no first-touch cost in the runs
    const plan = [1, 32].flatMap((qd) => Array.from({ length: reps }, (_, rep) => [
      { server: 'tandem' as const, qd, rep }, { server: 'nbdkit' as const, qd, rep },
    ]).flat());
    const runs: Run[] = [];
    const loadBefore = loadavg()[0];
    const started = Date.now();
    for (const [i, step] of plan.entries()) {
      const eta = i === 0 ? (runtime + 2) * plan.length : ((Date.now() - started) / i) * (plan.length - i) / 1000;
      process.stderr.write(`[${i + 1}/${plan.length}] ${step.server} 4k randwrite QD${step.qd} rep ${step.rep + 1} (ETA ${Math.round(eta)} s)\n`);
      runs.push({ ...step, ...(await measure(step.server, img, dir, step.qd, runtime, sizeMiB)) });
    }
    const summary = summarize(runs);
    if (values.json) process.stdout.write(JSON.stringify({ runs, summary }, null, 2) + '\n');
    const report = renderReport(runs, summary, runtime, sizeMiB, [loadBefore, loadavg()[0]]);
    if (!values.json) process.stdout.write(report + '\n');
    appendFileSync(values.results, report + '\n');
    process.stderr.write(`appended to ${values.results}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The child that runs Tandem's server, so it has a process of its own as nbdkit does. */
async function serve(img: string, socket: string): Promise<void> {
  const backend = new FileBackend(img);
  const server = new NbdServer({ exports: [{ name: 'bench', backend }] });
  await server.listen({ kind: 'unix', path: socket });
  process.on('SIGTERM', () => void server.close().then(() => { backend.close(); process.exit(0); }));
  process.stdout.write('ready\n');
}

async function measure(which: Run['server'], img: string, dir: string, qd: number, runtime: number, sizeMiB: number): Promise<Omit<Run, 'server' | 'qd' | 'rep'>> {
  const socket = join(dir, `${which}.sock`);
  const proc: ResultPromise = which === 'tandem'
    ? execa(process.execPath, [process.argv[1], '--serve', img, '--socket', socket], { reject: false })
    : execa('nbdkit', ['-f', '-U', socket, 'file', img], { reject: false });
  try {
    const uri = `nbd+unix:///?socket=${socket}`;
    await waitReady(uri, proc);
    const fio = await execa('fio', ['--name=j', '--output-format=json', '--lat_percentiles=1', '--percentile_list=50:99:99.9',
      '--ioengine=nbd', `--uri=${uri}`, '--time_based', `--runtime=${runtime}`, '--ramp_time=1', `--size=${sizeMiB}m`,
      '--rw=randwrite', '--bs=4k', `--iodepth=${qd}`]);
    const job = (JSON.parse(fio.stdout.slice(fio.stdout.indexOf('{'))) as { jobs: FioJob[] }).jobs[0];
    if (job.error !== 0) throw new Error(`fio reported error ${job.error} against ${which}`);
    return { iops: job.write.iops, meanUs: job.write.lat_ns.mean / 1000, p99Us: job.write.lat_ns.percentile['99.000000'] / 1000 };
  } finally {
    proc.kill('SIGTERM');
    await proc;
    if (existsSync(socket)) rmSync(socket);
  }
}

async function waitReady(uri: string, proc: ResultPromise): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (proc.exitCode !== null) throw new Error(`server exited: ${(await proc).stderr}`);
    const probe = await execa('nbdinfo', ['--size', uri], { reject: false });
    if (probe.exitCode === 0) return;
    await sleep(50);
  }
  throw new Error(`server at ${uri} did not come up`);
}

type Summary = Record<string, { tandem: Stats; nbdkit: Stats; iopsRatio: number; meanLatRatio: number; p99LatRatio: number }>;
interface Stats { iops: number; meanUs: number; p99Us: number }

function summarize(runs: Run[]): Summary {
  const out: Summary = {};
  for (const qd of [...new Set(runs.map((r) => r.qd))]) {
    const avg = (server: Run['server']): Stats => {
      const rs = runs.filter((r) => r.qd === qd && r.server === server);
      const mean = (k: keyof Stats): number => rs.reduce((s, r) => s + r[k], 0) / rs.length;
      return { iops: mean('iops'), meanUs: mean('meanUs'), p99Us: mean('p99Us') };
    };
    const tandem = avg('tandem');
    const nbdkit = avg('nbdkit');
    out[`QD${qd}`] = { tandem, nbdkit, iopsRatio: tandem.iops / nbdkit.iops, meanLatRatio: tandem.meanUs / nbdkit.meanUs, p99LatRatio: tandem.p99Us / nbdkit.p99Us };
  }
  return out;
}

function renderReport(runs: Run[], summary: Summary, runtime: number, sizeMiB: number, load: number[]): string {
  const fioVersion = readVersion(['fio', '--version']);
  const nbdkitVersion = readVersion(['nbdkit', '--version']);
  const lines = [
    `## nbd-file — ${new Date().toISOString()}`,
    '',
    `Machine: ${hostname()}, ${cpus().length} × ${cpus()[0]?.model ?? '?'}, Linux ${release()}, Node ${process.version}, ${fioVersion}, ${nbdkitVersion}.`,
    `1-minute load average before / after: ${load.map((l) => l.toFixed(1)).join(' / ')} (other work on the machine inflates latency; compare runs of one report only).`,
    `fio nbd engine over a unix socket, 4k randwrite, ${runtime} s + 1 s ramp per run, runs alternating; backing: ${sizeMiB} MiB file on /dev/shm (the same file for both servers).`,
    '',
    '| server | QD | rep | IOPS | mean µs | p99 µs |',
    '|---|---:|---:|---:|---:|---:|',
    ...runs.map((r) => `| ${r.server} | ${r.qd} | ${r.rep + 1} | ${Math.round(r.iops).toLocaleString('en')} | ${r.meanUs.toFixed(1)} | ${r.p99Us.toFixed(1)} |`),
    '',
    '| workload | Tandem IOPS | nbdkit IOPS | IOPS ratio | mean latency ratio | p99 latency ratio |',
    '|---|---:|---:|---:|---:|---:|',
    ...Object.entries(summary).map(([k, s]) => `| 4k randwrite ${k} | ${Math.round(s.tandem.iops).toLocaleString('en')} | ${Math.round(s.nbdkit.iops).toLocaleString('en')} | ${s.iopsRatio.toFixed(2)} | ${s.meanLatRatio.toFixed(2)} | ${s.p99LatRatio.toFixed(2)} |`),
    '',
  ];
  return lines.join('\n');
}

function readVersion(cmd: string[]): string {
  const r = execaSync(cmd[0], cmd.slice(1), { reject: false });
  return r.exitCode === 0 ? String(r.stdout).split('\n')[0].trim() : `${cmd[0]} (version unknown)`;
}

main().catch((err: Error) => {
  process.stderr.write(`bench failed: ${err.message}\n`);
  process.exit(1);
});
