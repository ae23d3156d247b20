// CPU time a process (all its threads) has used, from /proc: the load-independent half of a
// latency figure on a shared machine — how much work one write costs, not how long it waited.
import { readFileSync } from 'node:fs';

const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ on every Linux ABI Tandem runs on

export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // fields after the command name, which is in parentheses and may itself hold spaces
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error(`cannot read CPU times of pid ${pid}: ${stat.slice(0, 80)}`);
  return (utime + stime) / CLOCK_TICKS_PER_SECOND;
}
