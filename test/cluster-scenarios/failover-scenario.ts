// The Promoted node dies in the middle of a write stream. Shared by the test (which asserts) and
// bench/failover-timeline.ts (which records the timeline): kill → survivors' tandemd notices →
// Pacemaker sees the node gone → a survivor's tandemd is Primary → a write is served again.
import { join } from 'node:path';
import { AckedWrites, EventLog, firstWriteServed, BLOCK } from './acked-writes.js';
import { TandemCluster } from './tandem-cluster.js';

export const VOLUME_BYTES = 16 * 1024 * 1024;
const SPARE_OFFSET = VOLUME_BYTES - BLOCK;

export interface FailoverTimeline {
  killed: string;
  promoted: string;
  /** ms from the kill */
  tandemdDetected: number;
  pacemakerDetected: number;
  promoteStarted: number;
  primary: number;
  firstWrite: number;
}

export interface FailoverOutcome {
  timeline: FailoverTimeline;
  ackedBeforeKill: number;
  ackedTotal: number;
  writerError: string | null;
  lost: number[];
  rolesAfter: Record<string, string>;
}

/** Cluster started, initial sync done, Pacemaker chose a Primary: returns it. */
export async function promotedCluster(tc: TandemCluster): Promise<string> {
  await tc.initialSync(tc.names[0]);
  await tc.loadPacemaker();
  return tc.waitPrimary(tc.names[0], 60_000);
}

export async function killPrimaryDuringWrites(tc: TandemCluster, primary: string): Promise<FailoverOutcome> {
  const survivors = tc.names.filter((n) => n !== primary);
  const logs = await Promise.all(survivors.map((n) => new EventLog(join(tc.c.node(n).dir, 'run/tandem', `${n}.ctl`)).open()));
  const writes = new AckedWrites(VOLUME_BYTES - BLOCK);
  try {
    const warmup = await writes.write(tc.socket(primary), { count: 200 });
    if (warmup.error) throw new Error(`writes before the kill failed: ${warmup.error}`);
    const ackedBeforeKill = writes.acked.size;
    // a stream in flight when the node dies: it ends with the connection
    const stream = writes.write(tc.socket(primary), { workers: 4 });
    await new Promise((r) => setTimeout(r, 300));
    const killedAt = Date.now();
    await tc.c.killNode(primary);
    const streamed = await stream;

    const pcmkGone = tc.c.waitFor(async () => !(await tc.c.onlineNodes(survivors[0])).includes(primary), 60_000, `${primary} offline`).then(() => Date.now());
    const becamePrimary = (l: EventLog): boolean => l.first((e) => e.kind === 'role' && e.role === 'Primary') !== undefined;
    await tc.c.waitFor(async () => logs.some(becamePrimary), 90_000, 'a survivor becomes Primary');
    const promoted = survivors[logs.findIndex(becamePrimary)];
    const firstWrite = await firstWriteServed(tc.socket(promoted), SPARE_OFFSET, Date.now() + 30_000);
    const pacemakerDetected = await pcmkGone;
    const log = logs[survivors.indexOf(promoted)];
    const at = (e: { at: number } | undefined): number => (e ? e.at - killedAt : NaN);
    const timeline: FailoverTimeline = {
      killed: primary, promoted,
      tandemdDetected: firstOf(logs.map((l) => at(l.first((e) => e.kind === 'connection' && e.peer === primary && e.connectionState !== 'Connected')))),
      pacemakerDetected: pacemakerDetected - killedAt,
      promoteStarted: await promoteStart(tc, promoted, killedAt),
      primary: at(log.first((e) => e.kind === 'role' && e.role === 'Primary')),
      firstWrite: firstWrite - killedAt,
    };
    await tc.waitPrimary(promoted, 30_000, [promoted]);
    const lost = await writes.lost(tc.socket(promoted), tc.dir);
    const rolesAfter = Object.fromEntries(await Promise.all(survivors.map(async (n) => [n, (await tc.status(n))?.role ?? 'down'])));
    return { timeline, ackedBeforeKill, ackedTotal: writes.acked.size, writerError: streamed.error, lost, rolesAfter };
  } finally {
    for (const l of logs) l.stop();
  }
}

/** The earliest of the survivors' times (NaN when none reported). */
function firstOf(times: number[]): number {
  const seen = times.filter(Number.isFinite);
  return seen.length > 0 ? Math.min(...seen) : NaN;
}

/** When pacemaker-execd on the node started the promote operation (its log), ms after the kill. */
async function promoteStart(tc: TandemCluster, node: string, killedAt: number): Promise<number> {
  const r = await tc.c.exec(node, ['sh', '-c', 'grep -h "executing - rsc:tandem-r0 action:promote" /var/log/pacemaker/pacemaker.log | tail -n 5']);
  for (const line of r.stdout.trim().split('\n')) {
    const t = pacemakerTime(line);
    if (t !== null && t >= killedAt - 1000) return t - killedAt;
  }
  return NaN;
}

/** Pacemaker log lines start "Nov 24 13:50:01.123 node2 …" (local time, no year). */
function pacemakerTime(line: string): number | null {
  const m = /^(\w{3}) (\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{3}))?/.exec(line);
  if (!m) return null;
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const now = new Date();
  return new Date(now.getFullYear(), months.indexOf(m[1]), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0)).getTime();
}
