// tandemd: one process per node hosting all its resources. Started by systemd (tandemd.service)
// or by `tandem daemon`; several can run on one machine with distinct TANDEM_NODE / run dirs.
import type { TandemEnv } from '../lib/env.js';
import { controlSocketPath } from '../lib/env.js';
import { createLogger } from '../lib/log.js';
import { ControlServer } from './control-server.js';
import { Supervisor } from './supervisor.js';

export async function runDaemon(env: TandemEnv): Promise<void> {
  const log = createLogger({ node: env.node });
  const supervisor = new Supervisor(env, log);
  const path = controlSocketPath(env);
  const control = new ControlServer(path, (req, ctx) => supervisor.handle(req, ctx));
  await control.listen();
  log.info('tandemd started', { pid: process.pid, controlSocket: path, configDir: env.configDir });

  let signalled = false;
  const onSignal = (signal: string): void => {
    if (signalled) return;
    signalled = true;
    log.info('shutting down', { signal });
    void supervisor.shutdown();
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));

  await supervisor.waitForShutdown();
  await control.close();
  log.info('tandemd stopped');
}
