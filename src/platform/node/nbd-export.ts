// A volume's NBD export while this node is Primary: one NBD server per exported volume, on the
// unix socket or TCP address of the configuration.
import type { ExportAddress } from '../../config/model.js';
import type { ExportPort, ExportRequest } from '../../engine/platform.js';
import type { NbdBackend } from '../../nbd/backend.js';
import { serveExport } from '../../nbd/server.js';
import { nbdTlsOf } from '../../nbd/tls.js';

/** A Tandem volume is a block device: requests are whole 512-byte sectors, as a kernel sends them. */
export const EXPORT_MIN_BLOCK = 512;

export async function startNbdExport(address: ExportAddress, name: string, backend: NbdBackend, request: ExportRequest): Promise<ExportPort> {
  // a tcp: export speaks TLS unless the resource says export-insecure (a unix socket is root-only)
  const tls = address.kind === 'tcp' ? await nbdTlsOf(request.resource) : null;
  const server = await serveExport(address, { name, backend, description: `tandem ${name}`, minBlockSize: EXPORT_MIN_BLOCK }, { tls });
  return {
    address: server.address,
    device: null,
    busy: async () => null,
    close: () => server.close(),
  };
}
