// A volume's NBD export while this node is Primary: one NBD server per exported volume, on the
// unix socket or TCP address of the configuration.
import type { ExportAddress } from '../../config/model.js';
import type { ExportPort, FrontendRequest } from '../../engine/platform.js';
import type { NbdBackend } from '../../nbd/backend.js';
import { serveExport } from '../../nbd/server.js';

/** A Tandem volume is a block device: requests are whole 512-byte sectors, as a kernel sends them. */
export const EXPORT_MIN_BLOCK = 512;

export async function startNbdExport(address: ExportAddress, name: string, backend: NbdBackend, _frontend: FrontendRequest): Promise<ExportPort> {
  const server = await serveExport(address, { name, backend, description: `tandem ${name}`, minBlockSize: EXPORT_MIN_BLOCK });
  return {
    address: server.address,
    device: null,
    busy: async () => null,
    close: () => server.close(),
  };
}
