// The common opening of replication tests: metadata created, daemons started, resource up on
// every node, then one node promoted with --force and its peers synced.
import type { Test } from 'tap';
import { printLogsOnFailure } from './daemon-log.js';
import { TestCluster } from './daemons.js';
import { writeResource, type ResourceFiles, type ResourceSpec } from './resource-config.js';
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

/**
 * A cluster for one test, as most recovery tests open: the resource written, every node up,
 * `primary` promoted and `peers` synced. Destroyed when the test ends, its daemons' logs printed
 * if it failed.
 */
export async function openCluster(t: Test, prefix: string, spec: ResourceSpec & { primary: string; peers: string[] }): Promise<{ cluster: TestCluster; files: ResourceFiles }> {
  const cluster = new TestCluster(prefix);
  t.teardown(() => cluster.destroy());
  printLogsOnFailure(t, cluster);
  const { primary, peers, ...resource } = spec;
  const files = await writeResource(cluster, resource);
  await bringUp(cluster, resource.name, resource.nodes);
  await promoteAndSync(cluster, resource.name, primary, peers);
  return { cluster, files };
}

/** A tandem command that must succeed on a node (it throws with the command's stderr otherwise). */
export async function must(cluster: TestCluster, node: string, args: string[]): Promise<void> {
  const r = await cluster.cli(node, args);
  if (r.exitCode !== 0) throw new Error(`tandem ${args.join(' ')} on ${node} failed (${r.exitCode}): ${r.stderr}`);
}
