// fio with its nbd engine, 4k random writes, one JSON result: the harness of every data-path row.
import { execa } from 'execa';

export interface FioRun {
  uri: string;
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

interface FioJob {
  error: number;
  write: { iops: number; lat_ns: { mean: number; percentile?: Record<string, number> } };
}

export async function randomWrite4k(run: FioRun): Promise<FioResult> {
  const r = await execa('fio', [
    '--name=datapath', '--output-format=json', '--lat_percentiles=1', '--percentile_list=50:99',
    '--ioengine=nbd', `--uri=${run.uri}`, '--time_based', `--runtime=${run.seconds}`, `--ramp_time=${run.rampSeconds}`,
    `--size=${run.sizeBytes}`, '--rw=randwrite', '--bs=4k', '--norandommap', '--randrepeat=0', `--iodepth=${run.iodepth}`,
  ], { stdin: 'ignore', timeout: (run.seconds + run.rampSeconds + 60) * 1000 });
  return parseFio(String(r.stdout));
}

/** The nbd engine prints a line of its own before the JSON document. */
export function parseFio(stdout: string): FioResult {
  const start = stdout.indexOf('{');
  if (start < 0) throw new Error(`fio printed no JSON: ${stdout.slice(0, 200)}`);
  const job = (JSON.parse(stdout.slice(start)) as { jobs: FioJob[] }).jobs[0];
  if (job.error !== 0) throw new Error(`fio job failed with error ${job.error}`);
  const p99 = job.write.lat_ns.percentile?.['99.000000'];
  if (p99 === undefined || job.write.iops <= 0) throw new Error('fio wrote nothing (no IOPS, no percentiles)');
  return { iops: job.write.iops, meanUs: job.write.lat_ns.mean / 1000, p99Us: p99 / 1000 };
}
