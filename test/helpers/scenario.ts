// The common opening of replication tests: metadata created, daemons started, resource up on
// every node, then one node promoted with --force and its peers synced.
import type { TestCluster } from './daemons.js';
import { peersUpToDate, waitFor } from './wait.js';

export interface BringUpOptions {
  /** nodes without a disk (no metadata to create) */
  diskless?: string[];
  /** per node, a command prefix such as `ip netns exec <ns>` */
  wrap?: Record<string, string[]>;
}

export async function bringUp(cluster: TestCluster, res: string, nodes: string[], opts: BringUpOptions = {}): Promise<void> {
  for (const n of nodes) {
    if (!opts.diskless?.includes(n)) await must(cluster, n, ['md', 'create', res]);
    await cluster.start(n, opts.wrap?.[n]);
    await must(cluster, n, ['up', res]);
  }
}

/** First promotion of a new resource, and its initial sync to every diskful peer. */
export async function promoteAndSync(cluster: TestCluster, res: string, primary: string, peers: string[], timeoutMs = 60_000): Promise<void> {
  await must(cluster, primary, ['primary', res, '--force']);
  await waitFor(cluster, primary, res, `${peers.join(', ')} UpToDate after the initial sync`, peersUpToDate(peers), timeoutMs);
}

/** A tandem command that must succeed on a node (it throws with the command's stderr otherwise). */
export async function must(cluster: TestCluster, node: string, args: string[]): Promise<void> {
  const r = await cluster.cli(node, args);
  if (r.exitCode !== 0) throw new Error(`tandem ${args.join(' ')} on ${node} failed (${r.exitCode}): ${r.stderr}`);
}
