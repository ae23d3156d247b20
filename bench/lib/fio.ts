// fio, 4k random I/O, one JSON result: the harness of every data-path row. Through NBD (its nbd
// engine: nbdkit and tandem alike) or straight on a file (io_uring, O_DIRECT: the disk's limit).
import { execa } from 'execa';

export type Rw = 'randread' | 'randwrite';

export interface FioRun {
  uri: string;
  /** randwrite unless said */
  rw?: Rw;
  iodepth: number;
  seconds: number;
  rampSeconds: number;
  /** the export's size: offsets are drawn from all of it */
  sizeBytes: number;
}

export interface FioResult {
  iops: number;
  meanUs: number;
  p99Us: number;
}

interface FioDirection {
  iops: number;
  lat_ns: { mean: number; percentile?: Record<string, number> };
}

interface FioJob {
  error: number;
  read: FioDirection;
  write: FioDirection;
}

export async function randomWrite4k(run: FioRun): Promise<FioResult> {
  const rw = run.rw ?? 'randwrite';
  return fio(['--ioengine=nbd', `--uri=${run.uri}`, `--size=${run.sizeBytes}`], rw, run);
}

export interface FioFileRun {
  file: string;
  rw: Rw;
  iodepth: number;
  seconds: number;
  rampSeconds: number;
}

/** fio's io_uring engine with O_DIRECT on an existing file, all of it. */
export async function fileRandom4k(run: FioFileRun): Promise<FioResult> {
  return fio(['--ioengine=io_uring', '--direct=1', `--filename=${run.file}`], run.rw, run);
}

async function fio(target: string[], rw: Rw, run: { iodepth: number; seconds: number; rampSeconds: number }): Promise<FioResult> {
  const r = await execa('fio', [
    '--name=datapath', '--output-format=json', '--lat_percentiles=1', '--percentile_list=50:99', ...target,
    '--time_based', `--runtime=${run.seconds}`, `--ramp_time=${run.rampSeconds}`,
    `--rw=${rw}`, '--bs=4k', '--norandommap', '--randrepeat=0', `--iodepth=${run.iodepth}`,
  ], { stdin: 'ignore', timeout: (run.seconds + run.rampSeconds + 60) * 1000 });
  return parseFio(String(r.stdout), rw);
}

/** The nbd engine prints a line of its own before the JSON document. */
export function parseFio(stdout: string, rw: Rw = 'randwrite'): FioResult {
  const start = stdout.indexOf('{');
  if (start < 0) throw new Error(`fio printed no JSON: ${stdout.slice(0, 200)}`);
  const job = (JSON.parse(stdout.slice(start)) as { jobs: FioJob[] }).jobs[0];
  if (job.error !== 0) throw new Error(`fio job failed with error ${job.error}`);
  const dir = rw === 'randread' ? job.read : job.write;
  const p99 = dir.lat_ns.percentile?.['99.000000'];
  if (p99 === undefined || dir.iops <= 0) throw new Error(`fio ${rw === 'randread' ? 'read' : 'wrote'} nothing (no IOPS, no percentiles)`);
  return { iops: dir.iops, meanUs: dir.lat_ns.mean / 1000, p99Us: p99 / 1000 };
}
