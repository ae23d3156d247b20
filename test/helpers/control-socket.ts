// The daemon's control socket, spoken to directly (as the CLI and the OCF agent do) where a test
// needs answers faster than a CLI process can start: sampling status many times a second, or
// timing how long the daemon itself takes to answer.
import { join } from 'node:path';
import { ControlClient } from '../../src/daemon/control-client.js';
import type { TestCluster } from './daemons.js';
import type { status } from './wait.js';

type NodeStatus = { node: string; resources: Array<Awaited<ReturnType<typeof status>>> };

/** `<run dir>/<node>.ctl`, where TestCluster's daemons listen. */
export function controlSocketOf(cluster: TestCluster, node: string): string {
  return join(cluster.root, 'run', `${node}.ctl`);
}

/** One resource's status as `tandem status <res> --json` prints it, straight from the socket. */
export async function statusViaSocket(cluster: TestCluster, node: string, res: string, deadlineMs = 5_000): Promise<NodeStatus['resources'][number]> {
  const s = await new ControlClient(controlSocketOf(cluster, node)).call<NodeStatus>('status', { resource: res, deadlineMs });
  const found = s.resources.find((r) => r.name === res);
  if (!found) throw new Error(`${node}: resource ${res} is not up`);
  return found;
}
