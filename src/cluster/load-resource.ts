// One resource's effective configuration by name, with the errors an administrator needs when it
// is missing. Used by every command that works from the configuration without the daemon.
import { loadConfig } from '../config/load.js';
import type { ResourceConfig } from '../config/model.js';
import { TandemError } from '../lib/errors.js';
import type { TandemEnv } from '../lib/env.js';

export function loadResource(env: TandemEnv, name: string): ResourceConfig {
  const config = loadConfig(env.configDir, { node: env.node });
  const resource = config.resources.find((r) => r.name === name);
  if (!resource) {
    throw new TandemError('TANDEM_E_NOT_FOUND', `no resource '${name}' in ${env.configDir}`, {
      hint: `resources defined there: ${config.resources.map((r) => r.name).join(', ') || 'none'}`,
    });
  }
  return resource;
}
