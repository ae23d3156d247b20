// A BlockDevice driven directly (no NBD, no engine): `iodepth` requests always in flight, 4 KiB at
// random 4 KiB-aligned offsets, in this process. What the backing-disk layer alone can do, to set
// beside fio on the same file.
import { randomBytes, randomInt } from 'node:crypto';
import type { BlockDevice } from '../../src/engine/platform.js';
import type { FioResult } from './fio.js';
import { cpuSeconds } from './proc.js';

export interface DeviceRun {
  device: BlockDevice;
  rw: 'randread' | 'randwrite';
  iodepth: number;
  seconds: number;
  rampSeconds: number;
}

export interface DeviceResult extends FioResult {
  /** CPU time of this process per request (µs): the device layer's cost, event loop and threads */
  cpuUsPerIo: number;
}

const BLOCK = 4096;

export async function deviceRandom4k(run: DeviceRun): Promise<DeviceResult> {
  const blocks = Math.floor(run.device.sizeBytes / BLOCK);
  const data = randomBytes(BLOCK);
  const latencies: number[] = [];
  let measuring = false;
  let stop = false;
  const one = async (): Promise<void> => {
    const offset = randomInt(blocks) * BLOCK;
    const started = process.hrtime.bigint();
    if (run.rw === 'randread') await run.device.read(offset, BLOCK);
    else await run.device.write(offset, data, false);
    if (measuring) latencies.push(Number(process.hrtime.bigint() - started) / 1000);
  };
  const worker = async (): Promise<void> => {
    while (!stop) await one();
  };
  const workers = Array.from({ length: run.iodepth }, worker);
  await new Promise((r) => setTimeout(r, run.rampSeconds * 1000));
  measuring = true;
  const cpuBefore = cpuSeconds(process.pid);
  const started = Date.now();
  await new Promise((r) => setTimeout(r, run.seconds * 1000));
  measuring = false;
  const elapsed = (Date.now() - started) / 1000;
  const cpu = cpuSeconds(process.pid) - cpuBefore;
  const ios = latencies.length;
  stop = true;
  await Promise.all(workers);
  if (ios === 0) throw new Error('the device completed no request');
  latencies.sort((a, b) => a - b);
  return {
    iops: ios / elapsed,
    meanUs: latencies.reduce((s, x) => s + x, 0) / ios,
    p99Us: latencies[Math.min(ios - 1, Math.floor(ios * 0.99))],
    cpuUsPerIo: (cpu * 1e6) / ios,
  };
}
