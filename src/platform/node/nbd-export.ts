// A volume's NBD server while this node is Primary: one server per exported volume, on the unix
// socket or TCP address of the configuration. The block device on top of it is volume-export.ts.
import type { ExportAddress, ResourceConfig } from '../../config/model.js';
import type { NbdBackend } from '../../nbd/backend.js';
import { serveExport, type NbdServer } from '../../nbd/server.js';
import { nbdTlsOf } from '../../nbd/tls.js';

/** A Tandem volume is a block device: requests are whole 512-byte sectors, as a kernel sends them. */
export const EXPORT_MIN_BLOCK = 512;

export async function serveVolume(address: ExportAddress, name: string, backend: NbdBackend, resource: ResourceConfig): Promise<NbdServer> {
  // a tcp: export speaks TLS unless the resource says export-insecure (a unix socket is root-only)
  const tls = address.kind === 'tcp' ? await nbdTlsOf(resource) : null;
  return serveExport(address, { name, backend, description: `tandem ${name}`, minBlockSize: EXPORT_MIN_BLOCK }, { tls });
}
