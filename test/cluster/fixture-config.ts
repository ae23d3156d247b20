// A ResourceConfig built in code (the typed model the loader produces), for tests of modules that
// consume configuration without reading INI files.
import type { NodeConfig, ResourceConfig } from '../../src/config/model.js';

export function resourceConfig(name: string, nodes: string[], diskless: string[] = []): ResourceConfig {
  const nodeConfigs: NodeConfig[] = nodes.map((n, id) => ({
    name: n,
    id,
    address: { host: '127.0.0.1', port: 7789 + id },
    volumes: [{
      index: 0,
      disk: diskless.includes(n) ? null : `/var/lib/tandem/${name}-${n}.img`,
      meta: diskless.includes(n) ? null : { kind: 'pmem', path: `/dev/shm/${name}-${n}.meta` },
      export: { kind: 'unix', path: `/run/tandem/${name}-0.nbd` },
      size: 16 * 1024 * 1024,
    }],
  }));
  return {
    name, file: `/etc/tandem/${name}.ini`, protocol: 'C', secret: 'x', fencing: 'resource-only',
    quorum: 'off', onNoQuorum: 'io-error', onIoError: 'detach', afterSb0pri: 'disconnect', afterSb1pri: 'disconnect',
    afterSb2pri: 'disconnect', alExtents: 1237, resyncRate: 0, pingIntervalMs: 1000, pingTimeoutMs: 500,
    nodes: nodeConfigs, origins: {},
  };
}
