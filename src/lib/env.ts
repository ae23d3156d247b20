// Where this invocation finds its configuration, which node it acts as, and where sockets live.
// Several nodes can run on one machine (tests, the demo) by setting TANDEM_NODE and the dirs.
import { hostname } from 'node:os';
import { join } from 'node:path';

export interface TandemEnv {
  configDir: string;
  node: string;
  runDir: string;
}

export const DEFAULT_CONFIG_DIR = '/etc/tandem';
export const DEFAULT_RUN_DIR = '/run/tandem';
/** where a Primary's volumes appear as block devices: <dev dir>/<resource>/<volume> */
export const DEFAULT_DEV_DIR = '/dev/tandem';

export function resolveEnv(overrides: Partial<TandemEnv> = {}, env: NodeJS.ProcessEnv = process.env): TandemEnv {
  return {
    configDir: overrides.configDir ?? env.TANDEM_CONFIG_DIR ?? DEFAULT_CONFIG_DIR,
    node: overrides.node ?? env.TANDEM_NODE ?? hostname().split('.')[0],
    runDir: overrides.runDir ?? env.TANDEM_RUN_DIR ?? DEFAULT_RUN_DIR,
  };
}

/** The daemon's control socket for a node: <runDir>/<node>.ctl */
export function controlSocketPath(env: TandemEnv): string {
  return join(env.runDir, `${env.node}.ctl`);
}

/**
 * Where this node's frontends live: the stable device links (TANDEM_DEV_DIR, like DRBD's
 * /dev/drbd/by-res) and, under the run directory, the state a dead daemon leaves for whoever
 * cleans up after it (the agent, or the next daemon).
 */
export function frontendDirs(env: TandemEnv, vars: NodeJS.ProcessEnv = process.env): { devDir: string; stateDir: string } {
  return { devDir: vars.TANDEM_DEV_DIR ?? DEFAULT_DEV_DIR, stateDir: join(env.runDir, `${env.node}.frontends`) };
}
