// Binds a volume's backend to the NBD server (src/nbd): one server per exported volume, on the
// unix socket or TCP address of the configuration, while this node is Primary.
import type { ExportAddress } from '../config/model.js';
import type { NbdBackend } from '../nbd/backend.js';
import { serveExport } from '../nbd/server.js';
import type { NbdTls } from '../nbd/tls.js';
import type { ExportPort } from './ports.js';

export async function startExport(address: ExportAddress, name: string, backend: NbdBackend, tls: NbdTls | null = null): Promise<ExportPort> {
  const server = await serveExport(address, { name, backend, description: `tandem ${name}` }, { tls });
  return {
    address: server.address,
    close: () => server.close(),
  };
}
