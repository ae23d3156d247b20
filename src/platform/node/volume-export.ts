// A Primary's volume as the world sees it: the NBD server on the configured address and, on top
// of it, the local block device the resource's frontend asks for (/dev/tandem/<res>/<vol>).
// Closing detaches the device first, so its last flushes still reach the export.
import type { ExportAddress } from '../../config/model.js';
import type { ExportPort, ExportRequest } from '../../engine/platform.js';
import type { Logger } from '../../lib/log.js';
import type { NbdBackend } from '../../nbd/backend.js';
import type { NbdServer } from '../../nbd/server.js';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { serveVolume } from './nbd-export.js';
import { attachFrontend, volumeWorkDir, type Frontend, type FrontendDirs, type VolumeRef } from './frontend/attach.js';
import type { ExportTarget } from './frontend/driver.js';

/**
 * `address` null: the volume has no configured export, but its frontend needs one; it gets a
 * private unix socket in its work directory (a DRBD user asks for a device, not an NBD server).
 */
export async function startVolumeExport(
  configured: ExportAddress | null, name: string, backend: NbdBackend, request: ExportRequest, dirs: FrontendDirs, log?: Logger,
): Promise<ExportPort> {
  const volume = { resource: request.resource.name, volume: request.volume };
  const address = configured ?? await privateExport(dirs, volume);
  const server = await serveVolume(address, name, backend, request.resource);
  let device: Frontend | null;
  try {
    device = await attachFrontend(request.frontend, volume, exportTarget(server, address, name), dirs);
  } catch (err) {
    await server.close();
    throw err;
  }
  if (device) log?.info('block device attached', { volume: request.volume, device: device.path, kernelDevice: device.device, frontend: device.kind });
  return {
    address: server.address,
    device: device?.path ?? null,
    busy: async () => (device ? device.busy() : null),
    close: async () => {
      // demote asked busy() first; one that became busy since keeps its device (undone by the next
      // attach or the agent's stop) rather than have it vanish under a mounted file system
      await device?.detach().catch((err) => log?.error('block device left attached', { device: device?.path, error: String(err) }));
      await server.close();
    },
  };
}

async function privateExport(dirs: FrontendDirs, v: VolumeRef): Promise<ExportAddress> {
  const dir = volumeWorkDir(dirs, v);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  return { kind: 'unix', path: join(dir, 'nbd.sock') };
}

/** Where a local client reaches the server: a wildcard TCP listener is reached on loopback. */
function exportTarget(server: NbdServer, address: ExportAddress, name: string): ExportTarget {
  if (address.kind === 'unix') return { uri: server.uri(name), exportName: name, address };
  const bound = new URL(server.address.replace(/^nbd:/, 'http:'));
  const port = Number(bound.port);
  const host = address.host === '0.0.0.0' ? '127.0.0.1' : address.host === '::' ? '::1' : address.host;
  const shown = host.includes(':') ? `[${host}]` : host;
  return { uri: `nbd://${shown}:${port}/${encodeURIComponent(name)}`, exportName: name, address: { kind: 'tcp', host, port } };
}
