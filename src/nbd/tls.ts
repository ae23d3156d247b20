// TLS for NBD exports on TCP (NBD_OPT_STARTTLS), as nbdkit and qemu-nbd do it, so nbdinfo,
// nbdcopy, qemu-img and qemu-io connect with their usual options:
//   PSK           export-tls-psk names a file in psktool's format, one `identity:hex key` per
//                 line (nbdinfo --tls-psk=FILE --tls-username=ID; qemu tls-creds-psk with the
//                 file as keys.psk in its dir). Any identity in the file is accepted.
//   certificates  tls-cert and tls-key are the server's; clients must present a certificate
//                 signed by tls-ca (as qemu-nbd with verify-peer, its default)
// When TLS is required (always, unless export-insecure = yes), a client gets nothing but
// NBD_REP_ERR_TLS_REQD until it has started TLS. Unix-socket exports never use TLS.
import { readFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { createServer, type TLSSocket } from 'node:tls';
import type { ResourceConfig } from '../config/model.js';
import { TandemError } from '../lib/errors.js';
import { loadCertificates, type TlsCertificates } from '../transport/security.js';

export interface NbdTls {
  /** false (export-insecure = yes): STARTTLS is offered but a client may go on without it */
  required: boolean;
  /** identity → key, from the PSK file */
  psk: Map<string, Buffer> | null;
  certificates: TlsCertificates | null;
}

/** The TLS settings of a resource's TCP exports, files read; null when none are configured. */
export async function nbdTlsOf(resource: ResourceConfig): Promise<NbdTls | null> {
  const psk = resource.exportTlsPsk === null ? null : await readPskFile(resource.exportTlsPsk);
  const certificates = resource.tlsCert && resource.tlsKey && resource.tlsCa
    ? await loadCertificates({ cert: resource.tlsCert, key: resource.tlsKey, ca: resource.tlsCa })
    : null;
  if (psk === null && certificates === null) return null;
  return { required: !resource.exportInsecure, psk, certificates };
}

/** psktool's format: `identity:hex key` per line. */
export async function readPskFile(path: string): Promise<Map<string, Buffer>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new TandemError('TANDEM_E_CONFIG', `cannot read export-tls-psk ${path}: ${(err as Error).message}`, {
      hint: 'create it with psktool -u <identity> -p <file> (or write identity:hex-key lines) and give NBD clients the same file', cause: err, details: { path },
    });
  }
  const keys = new Map<string, Buffer>();
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    const m = /^([^:]+):([0-9a-fA-F]+)$/.exec(line.trim());
    if (!m || m[2].length % 2 !== 0) {
      // the line holds a key: say where, never what
      throw new TandemError('TANDEM_E_CONFIG', `${path}:${i + 1}: not a PSK line; allowed: identity:hex-key`, {
        hint: 'psktool -u <identity> -p <file> writes this format', details: { path, line: i + 1 },
      });
    }
    keys.set(m[1], Buffer.from(m[2], 'hex'));
  });
  if (keys.size === 0) {
    throw new TandemError('TANDEM_E_CONFIG', `${path}: no PSK in the file`, { hint: 'psktool -u <identity> -p <file> adds one', details: { path } });
  }
  return keys;
}

/** The server side of STARTTLS over a client's TCP socket; resolves once the TLS handshake is done. */
export function startServerTls(tcp: Socket, tls: NbdTls): Promise<TLSSocket> {
  const psk = tls.psk;
  const server = createServer({
    minVersion: 'TLSv1.2',
    ...(tls.certificates ? { ...tls.certificates, requestCert: true, rejectUnauthorized: true } : {}),
    ...(psk ? { pskCallback: (_socket: TLSSocket, identity: string) => psk.get(identity) ?? null } : {}),
  });
  return new Promise((resolve, reject) => {
    server.once('secureConnection', resolve);
    server.once('tlsClientError', reject);
    tcp.once('close', () => reject(new Error('the client closed the connection during the TLS handshake')));
    server.emit('connection', tcp);
  });
}
