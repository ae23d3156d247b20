// Polling the real `tandem status --json` until a condition holds (with a deadline and the last
// status in the failure message, so a failing test says what state it was stuck in).
import { createHash } from 'node:crypto';
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { NodeStatus, ResourceStatus } from '../../src/engine/states.js';
import type { TestCluster } from './daemons.js';

export async function status(cluster: TestCluster, node: string, res: string): Promise<ResourceStatus> {
  const { json } = await cluster.cliJson<NodeStatus>(node, ['status', res]);
  return json.resources[0];
}

export async function waitFor(
  cluster: TestCluster, node: string, res: string,
  what: string, predicate: (s: ResourceStatus) => boolean, timeoutMs = 60_000,
): Promise<ResourceStatus> {
  const deadline = Date.now() + timeoutMs;
  let last: ResourceStatus | undefined;
  while (Date.now() < deadline) {
    try {
      last = await status(cluster, node, res);
      if (predicate(last)) return last;
    } catch { /* daemon restarting */ }
    await sleep(100);
  }
  throw new Error(`timed out waiting on ${node} for: ${what}\nlast status: ${JSON.stringify(last, null, 1)}`);
}

/** `node` sees every peer in `peers` Connected, Established and UpToDate on every volume. */
export function peersUpToDate(peers: string[]) {
  return (s: ResourceStatus): boolean => peers.every((p) => s.connections.some((c) =>
    c.peer === p && c.connectionState === 'Connected' &&
    c.volumes.every((v) => v.replicationState === 'Established' && v.peerDiskState === 'UpToDate' && v.outOfSyncBytes === 0)));
}

export function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** `length` bytes of a file (a node's backing disk) at `offset`. */
export function readRange(path: string, offset: number, length: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(length);
    readSync(fd, buf, 0, length, offset);
    return buf;
  } finally {
    closeSync(fd);
  }
}
