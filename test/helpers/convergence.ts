// What "recovered" means after a fault, checked from outside through `tandem status --json` of
// every node: each diskful node's own disk is UpToDate and it sees every other node Connected,
// Established, UpToDate with nothing out of sync; then, that it stays so (no resync starts
// again, no node leaves Established) for a while.
import { setTimeout as sleep } from 'node:timers/promises';
import type { TestCluster } from './daemons.js';
import { logMark, resyncStartsSince } from './daemon-log.js';
import { status } from './wait.js';

/** One resource's part of `tandem status --json` (the type wait.ts reads it as). */
type ResourceStatus = Awaited<ReturnType<typeof status>>;

/** Why `node`'s status is not converged with `others`, or null when it is. */
export function notConverged(s: ResourceStatus, others: string[]): string | null {
  const disks = s.volumes.filter((v) => v.diskState !== 'UpToDate');
  if (disks.length > 0) return `own disk ${disks.map((v) => `${v.volume}:${v.diskState}`).join(',')}`;
  for (const peer of others) {
    const c = s.connections.find((x) => x.peer === peer);
    if (!c) return `no connection to ${peer}`;
    if (c.connectionState !== 'Connected') return `${peer} ${c.connectionState}`;
    for (const v of c.volumes) {
      if (v.replicationState !== 'Established' || v.peerDiskState !== 'UpToDate' || v.outOfSyncBytes !== 0) {
        return `${peer}/${v.volume} ${v.replicationState} ${v.peerDiskState} ${v.outOfSyncBytes} bytes out of sync`;
      }
    }
  }
  return null;
}

async function snapshot(cluster: TestCluster, res: string, nodes: string[]): Promise<Map<string, ResourceStatus | string>> {
  const all = new Map<string, ResourceStatus | string>();
  for (const n of nodes) all.set(n, await status(cluster, n, res).catch((err: Error) => `no status: ${err.message.split('\n')[0]}`));
  return all;
}

function describe(all: Map<string, ResourceStatus | string>, nodes: string[]): string {
  return nodes.map((n) => {
    const s = all.get(n)!;
    if (typeof s === 'string') return `${n}: ${s}`;
    return `${n}: ${s.role} disk ${s.volumes.map((v) => v.diskState).join(',')}; ${s.connections.map((c) =>
      `${c.peer} ${c.connectionState}/${c.volumes.map((v) => `${v.replicationState} ${v.peerDiskState} oos ${v.outOfSyncBytes}`).join(',')}`).join('; ')}`;
  }).join('\n');
}

/** Wait until every node in `nodes` is converged with all the others; returns the milliseconds it took. */
export async function waitConverged(cluster: TestCluster, res: string, nodes: string[], timeoutMs = 60_000): Promise<number> {
  const started = Date.now();
  let last = new Map<string, ResourceStatus | string>();
  while (Date.now() - started < timeoutMs) {
    last = await snapshot(cluster, res, nodes);
    const pending = nodes.filter((n) => {
      const s = last.get(n)!;
      return typeof s === 'string' || notConverged(s, nodes.filter((o) => o !== n)) !== null;
    });
    if (pending.length === 0) return Date.now() - started;
    await sleep(200);
  }
  throw new Error(`not converged within ${timeoutMs} ms:\n${describe(last, nodes)}`);
}

/**
 * After convergence: for `ms`, every node stays converged (sampled every 500 ms) and no node logs
 * `resync started as SyncSource` (or `resumed`). Returns what broke the quiet, or null.
 */
export async function disturbedWithin(cluster: TestCluster, res: string, nodes: string[], ms: number): Promise<string | null> {
  const mark = logMark(cluster);
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const all = await snapshot(cluster, res, nodes);
    for (const n of nodes) {
      const s = all.get(n)!;
      const why = typeof s === 'string' ? s : notConverged(s, nodes.filter((o) => o !== n));
      if (why) return `${n}: ${why}`;
    }
    await sleep(500);
  }
  const resyncs = resyncStartsSince(cluster, mark, /^resync (started|resumed) as SyncSource/);
  if (resyncs.size > 0) return `resyncs started while quiet: ${[...resyncs].map(([k, v]) => `${k} ×${v}`).join(', ')}`;
  return null;
}
