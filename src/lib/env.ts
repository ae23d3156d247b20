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
