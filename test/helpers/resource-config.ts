// Writes a real resource configuration (INI) for a test cluster: N nodes on loopback (or on
// given addresses), one backing file, PMEM (tmpfs) or block metadata and an NBD socket per node.
import { closeSync, openSync, truncateSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { TestCluster } from './daemons.js';

export interface ResourceSpec {
  name: string;
  nodes: string[];
  protocol?: 'A' | 'B' | 'C';
  secret?: string;
  /** per-node secret override, to test authentication */
  secrets?: Record<string, string>;
  fencing?: string;
  sizeBytes?: number;
  volumes?: number;
  meta?: 'pmem' | 'block';
  /** node name → host to bind (default 127.0.0.1) */
  hosts?: Record<string, string>;
  diskless?: string[];
  /** node name → directory for its backing files instead of the cluster's root; created sparse
   *  there (no block allocated), so a small file system under it can run out of space */
  diskDirs?: Record<string, string>;
  extra?: string[];
  /** the resource's frontend (default none: tests that want /dev/tandem/… ask for it) */
  frontend?: 'auto' | 'nbd' | 'fuse' | 'none';
}

export interface ResourceFiles {
  disk(node: string, volume?: number): string;
  socket(node: string, volume?: number): string;
  meta(node: string, volume?: number): string;
}

export async function writeResource(cluster: TestCluster, spec: ResourceSpec): Promise<ResourceFiles> {
  const size = spec.sizeBytes ?? 16 * 1024 * 1024;
  const volumes = spec.volumes ?? 1;
  const ports = await freePorts(spec.nodes.length);
  const files: ResourceFiles = {
    disk: (n, v = 0) => join(spec.diskDirs?.[n] ?? cluster.root, `${spec.name}-${n}-${v}.img`),
    socket: (n, v = 0) => join(cluster.root, `${spec.name}-${n}-${v}.nbd`),
    meta: (n, v = 0) => join(cluster.root, `${spec.name}-${n}-${v}.meta`),
  };
  const lines = ['[resource]', `name = ${spec.name}`, `protocol = ${spec.protocol ?? 'C'}`,
    `secret = ${spec.secret ?? 'test-secret-123'}`, `fencing = ${spec.fencing ?? 'dont-care'}`,
    `frontend = ${spec.frontend ?? 'none'}`, ...(spec.extra ?? []), ''];
  for (let v = 0; v < volumes; v++) lines.push(`[volume.${v}]`, `size = ${size}`, '');
  spec.nodes.forEach((n, i) => {
    lines.push(`[node.${n}]`, `id = ${i}`, `address = ${spec.hosts?.[n] ?? '127.0.0.1'}:${ports[i]}`);
    for (let v = 0; v < volumes; v++) {
      if (spec.diskless?.includes(n)) {
        lines.push(`volume.${v}.disk = none`);
      } else {
        if (spec.diskDirs?.[n]) {
          closeSync(openSync(files.disk(n, v), 'w'));
          truncateSync(files.disk(n, v), size);
        } else {
          writeFileSync(files.disk(n, v), Buffer.alloc(size));
        }
        lines.push(`volume.${v}.disk = ${files.disk(n, v)}`, `volume.${v}.meta = ${spec.meta ?? 'pmem'}:${files.meta(n, v)}`);
      }
      lines.push(`volume.${v}.export = ${files.socket(n, v)}`);
    }
    lines.push('');
  });
  const text = lines.join('\n');
  cluster.writeConfig(`${spec.name}.ini`, text);
  for (const [node, secret] of Object.entries(spec.secrets ?? {})) {
    // a node with its own view of the configuration (another machine would have its own /etc/tandem)
    cluster.writeNodeConfig(node, `${spec.name}.ini`, text.replace(/^secret = .*$/m, `secret = ${secret}`));
  }
  return files;
}

export async function freePorts(n: number): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < n) {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    if (!ports.includes(port)) ports.push(port);
  }
  return ports;
}
