// In-process NBD servers on FileBackends in /dev/shm, torn down (server, files) with the test.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { FileBackend } from '../../../src/nbd/file-backend.js';
import { NbdServer, type NbdLimits } from '../../../src/nbd/server.js';
import type { NbdBackend } from '../../../src/nbd/backend.js';

export const MiB = 1024 * 1024;

interface Tap { teardown(fn: () => unknown): void }

export interface Fixture {
  dir: string;
  server: NbdServer;
  /** unix-socket URI of the default export */
  uri: string;
  socketPath: string;
  files: Map<string, string>;
  backends: Map<string, FileBackend>;
}

export interface ExportFile { name: string; sizeBytes: number; description?: string; readOnly?: boolean; minBlockSize?: number }

/** A scratch directory on tmpfs, removed after the test. */
export function scratchDir(t: Tap, tag: string): string {
  const dir = mkdtempSync(join('/dev/shm', `tandem-nbd-${tag}-`));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Files filled with random bytes (so any stray write shows), one export each, on a unix socket. */
export async function fileServer(
  t: Tap, tag: string, exports: ExportFile[],
  options: { defaultExport?: string; limits?: Partial<NbdLimits>; wrap?: (b: FileBackend) => NbdBackend } = {},
): Promise<Fixture> {
  const dir = scratchDir(t, tag);
  const files = new Map<string, string>();
  const backends = new Map<string, FileBackend>();
  const specs = exports.map((e, i) => {
    const path = join(dir, `export-${i}.img`);
    writeFileSync(path, randomBytes(e.sizeBytes));
    const backend = new FileBackend(path, { readOnly: e.readOnly });
    files.set(e.name, path);
    backends.set(e.name, backend);
    return { name: e.name, description: e.description, minBlockSize: e.minBlockSize, backend: options.wrap ? options.wrap(backend) : backend };
  });
  const server = new NbdServer({ exports: specs, defaultExport: options.defaultExport, limits: options.limits });
  const socketPath = join(dir, 'nbd.sock');
  await server.listen({ kind: 'unix', path: socketPath });
  t.teardown(async () => {
    await server.close();
    for (const b of backends.values()) b.close();
  });
  return { dir, server, uri: server.address, socketPath, files, backends };
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
