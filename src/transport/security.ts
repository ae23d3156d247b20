// How a peer link is protected once the handshake is done (the resource's transport-security),
// and the TLS sockets for it.
//
//   tls        every byte after the clear negotiation travels in TLS 1.3: encrypted and
//              authenticated, with per-connection keys. Authenticated by a PSK derived from the
//              secret (secrets.ts), or by certificates (tls-cert, tls-key, tls-ca): each node
//              presents its own, signed by tls-ca and naming the node (its name or address).
//   integrity  frames in clear, each with a MAC and an implicit sequence number (frame-seal.ts)
//   none       frames in clear; only the handshake is authenticated (config check warns)
//
// data-integrity-alg adds a checksum to every frame with bulk data, in every mode.
import { readFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { checkServerIdentity, connect, createSecureContext, createServer, type PeerCertificate, type TLSSocket } from 'node:tls';
import { TandemError } from '../lib/errors.js';
import type { DATA_INTEGRITY_ALGS, TRANSPORT_SECURITY_MODES } from '../wire/messages.js';

export type TransportSecurity = (typeof TRANSPORT_SECURITY_MODES)[number];
export type DataIntegrityAlg = (typeof DATA_INTEGRITY_ALGS)[number];

/** PEM files of this node's certificate, its key, and the CA that signs every node's certificate. */
export interface TlsCertificateFiles {
  cert: string;
  key: string;
  ca: string;
}

/** What the configuration says (plain data: paths, not keys). */
export interface SecuritySettings {
  mode: TransportSecurity;
  dataIntegrity: DataIntegrityAlg;
  /** TLS authenticated by certificates instead of the PSK; null: PSK */
  certificates: TlsCertificateFiles | null;
}

/** The PEM contents of TlsCertificateFiles. */
export interface TlsCertificates {
  cert: Buffer;
  key: Buffer;
  ca: Buffer;
}

/** The settings with the certificate files loaded (once, when the transport starts). */
export interface LinkSecurity {
  mode: TransportSecurity;
  dataIntegrity: DataIntegrityAlg;
  certificates: TlsCertificates | null;
}

export const DEFAULT_SECURITY: SecuritySettings = { mode: 'tls', dataIntegrity: 'none', certificates: null };

/**
 * TLS 1.3 only. With a PSK, OpenSSL ties an external PSK to SHA-256, so the SHA-256 suites:
 * AES-128-GCM (AES-NI makes it the fastest here) and ChaCha20-Poly1305.
 */
const PSK_CIPHERS = 'TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256';
const TLS_VERSION = 'TLSv1.3';

export async function loadLinkSecurity(settings: SecuritySettings): Promise<LinkSecurity> {
  return { mode: settings.mode, dataIntegrity: settings.dataIntegrity, certificates: settings.certificates ? await loadCertificates(settings.certificates) : null };
}

/** Reads the PEM files (asynchronously: never a synchronous read on the daemon's loop) and checks they make a TLS context. */
export async function loadCertificates(files: TlsCertificateFiles): Promise<TlsCertificates> {
  const read = async (key: keyof TlsCertificateFiles): Promise<Buffer> => {
    try {
      return await readFile(files[key]);
    } catch (err) {
      throw new TandemError('TANDEM_E_CONFIG', `cannot read tls-${key} ${files[key]}: ${(err as Error).message}`, {
        hint: `tls-${key} names a PEM file on each node; create it or correct the path`, cause: err, details: { key: `tls-${key}`, path: files[key] },
      });
    }
  };
  const [cert, key, ca] = await Promise.all([read('cert'), read('key'), read('ca')]);
  try {
    createSecureContext({ cert, key, ca, minVersion: TLS_VERSION });
    return { cert, key, ca };
  } catch (err) {
    throw new TandemError('TANDEM_E_CONFIG', `tls-cert ${files.cert}, tls-key ${files.key} or tls-ca ${files.ca} is not usable: ${(err as Error).message}`, {
      hint: 'each must be PEM: this node\'s certificate, its private key, and the CA certificate that signed every node\'s', cause: err,
    });
  }
}

export type TlsAuth = { psk: Buffer; identity: string } | { certificates: TlsCertificates; peerNames: string[] };

/** The dialing end: a TLS client over the TCP socket, once its handshake is done. */
export function tlsClient(tcp: Socket, auth: TlsAuth): Promise<TLSSocket> {
  return handshake(clientSocket(tcp, auth), 'secureConnect');
}

function clientSocket(tcp: Socket, auth: TlsAuth): TLSSocket {
  if ('psk' in auth) {
    return connect({
      socket: tcp, minVersion: TLS_VERSION, maxVersion: TLS_VERSION, ciphers: PSK_CIPHERS,
      pskCallback: () => ({ psk: auth.psk, identity: auth.identity }),
      // no certificates: the PSK authenticates the server (it must know it to finish the handshake)
      checkServerIdentity: () => undefined,
    });
  }
  return connect({
    socket: tcp, ...auth.certificates, minVersion: TLS_VERSION, maxVersion: TLS_VERSION, rejectUnauthorized: true,
    checkServerIdentity: (_host, cert) => (certificateNames(cert, auth.peerNames) ? undefined : nameMismatch(cert, auth.peerNames)),
  });
}

/**
 * The accepting end: a TLS server over the TCP socket, once its handshake is done (check the
 * client's names then). The socket goes through a tls.Server, not a bare server-side TLSSocket:
 * only a server hands the socket over so that TLS errors after the handshake (a bad record MAC)
 * are reported as 'error' instead of being swallowed.
 */
export function tlsServer(tcp: Socket, auth: TlsAuth): Promise<TLSSocket> {
  const server = 'psk' in auth
    ? createServer({
      minVersion: TLS_VERSION, maxVersion: TLS_VERSION, ciphers: PSK_CIPHERS,
      pskCallback: (_socket, identity) => (identity === auth.identity ? auth.psk : null),
    })
    : createServer({ ...auth.certificates, minVersion: TLS_VERSION, maxVersion: TLS_VERSION, requestCert: true, rejectUnauthorized: true });
  return new Promise((resolve, reject) => {
    server.once('secureConnection', resolve);
    server.once('tlsClientError', reject);
    tcp.once('close', () => reject(new Error('the connection closed during the TLS handshake')));
    server.emit('connection', tcp);
  });
}

function handshake(tls: TLSSocket, done: 'secureConnect'): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    tls.once('error', reject);
    tls.once('close', () => reject(new Error('the connection closed during the TLS handshake')));
    tls.once(done, () => {
      tls.removeListener('error', reject);
      resolve(tls);
    });
  });
}

/** The name in the peer's certificate that is one of `names`, or null. */
export function certificateNames(cert: PeerCertificate, names: string[]): string | null {
  return names.find((name) => checkServerIdentity(name, cert) === undefined) ?? null;
}

export function nameMismatch(cert: PeerCertificate, names: string[]): Error {
  const has = [cert.subject?.CN ? `CN=${cert.subject.CN}` : null, cert.subjectaltname ?? null].filter(Boolean).join(', ') || 'no names';
  return new Error(`the peer's certificate (${has}) names none of ${names.join(', ')}`);
}
