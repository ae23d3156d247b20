// Reading what tandemd logged: one JSON object per line on stderr (src/lib/log.ts's format:
// ts, level, msg and fields such as peer and volume). Tests look for lines by message, count
// how often something happened (a resync started) and report log tails when they fail.
import type { Test } from 'tap';
import type { TestCluster } from './daemons.js';

export interface DaemonLogLine {
  ts: string;
  level: string;
  msg: string;
  peer?: string;
  volume?: number;
  [field: string]: unknown;
}

/** The structured lines of a log (marker lines and anything not JSON are skipped). */
export function parseDaemonLog(lines: readonly string[]): DaemonLogLine[] {
  const parsed: DaemonLogLine[] = [];
  for (const line of lines) {
    if (!line.startsWith('{')) continue;
    try {
      const obj = JSON.parse(line) as DaemonLogLine;
      if (typeof obj.msg === 'string') parsed.push(obj);
    } catch { /* not a log line */ }
  }
  return parsed;
}

/** Every line of a node's logs (all its daemon's runs) whose message matches. */
export function logLines(cluster: TestCluster, node: string, msg: RegExp): DaemonLogLine[] {
  return parseDaemonLog(cluster.logHistory.get(node) ?? []).filter((l) => msg.test(l.msg));
}

/** How many lines each node has logged so far: a mark to count only what comes after it. */
export function logMark(cluster: TestCluster): Map<string, number> {
  return new Map([...cluster.logHistory].map(([n, lines]) => [n, lines.length]));
}

/** Lines of `node` logged after `mark` whose message matches. */
export function logLinesSince(cluster: TestCluster, mark: Map<string, number>, node: string, msg: RegExp): DaemonLogLine[] {
  const lines = cluster.logHistory.get(node) ?? [];
  return parseDaemonLog(lines.slice(mark.get(node) ?? 0)).filter((l) => msg.test(l.msg));
}

export const RESYNC_STARTED_AS_SOURCE = /^resync started as SyncSource/;
/** a resync paused for another source (one source at a time) goes on: not a new resync */
export const RESYNC_RESUMED_AS_SOURCE = /^resync resumed as SyncSource/;

/** `resync started as SyncSource` lines (or those `msg` matches) logged by each node since `mark`, counted per peer: "a→b" → n. */
export function resyncStartsSince(cluster: TestCluster, mark: Map<string, number>, msg = RESYNC_STARTED_AS_SOURCE): Map<string, number> {
  const counts = new Map<string, number>();
  for (const node of cluster.logHistory.keys()) {
    for (const l of logLinesSince(cluster, mark, node, msg)) {
      const key = `${node}→${l.peer ?? '?'}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  return counts;
}

/** When the test (or a subtest) fails, print every node's log tail with it. */
export function printLogsOnFailure(t: Test, cluster: TestCluster, lines = 30): void {
  t.teardown(() => {
    if (!t.passing()) process.stderr.write(`\n=== ${t.fullname}: failed; daemon logs ===\n${cluster.logTails(lines)}\n`);
  });
}
