// An NBD server: listeners on unix sockets and/or TCP, named exports, several clients at once.
// The owner (the daemon, per volume while Primary) can refuse writes on demotion and close the
// export cleanly: listeners stop, new requests get ESHUTDOWN, in-flight ones are answered.
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { lstatSync, unlinkSync } from 'node:fs';
import type { ExportAddress } from '../config/model.js';
import { assert } from '../lib/assert.js';
import { TandemError } from '../lib/errors.js';
import { createLogger, type Logger } from '../lib/log.js';
import type { NbdBackend } from './backend.js';
import { NbdConnection, type NbdLimits } from './connection.js';
import type { ExportDirectory } from './handshake.js';
import { NbdExport, type NbdExportSpec } from './nbd-export.js';
import type { NbdTls } from './tls.js';
import { MAX_PAYLOAD_BYTES, REQUEST_HEADER_BYTES } from './protocol.js';

export const DEFAULT_LIMITS: NbdLimits = {
  maxPayload: MAX_PAYLOAD_BYTES,
  maxInFlight: 128,
  maxBufferedBytes: 2 * MAX_PAYLOAD_BYTES + REQUEST_HEADER_BYTES,
  maxConnections: 64,
  handshakeTimeoutMs: 10_000,
  closeGraceMs: 5_000,
};

export interface NbdServerOptions {
  exports: NbdExportSpec[];
  /** the export a client gets when it asks for the empty name (default: the only export, if one) */
  defaultExport?: string;
  limits?: Partial<NbdLimits>;
  log?: Logger;
}

interface Listener { server: Server; address: ExportAddress; unixPath: string | null; tls: NbdTls | null }

export class NbdServer implements ExportDirectory {
  private readonly exports = new Map<string, NbdExport>();
  private readonly defaultName: string | null;
  private readonly limits: NbdLimits;
  private readonly log: Logger;
  private readonly listeners: Listener[] = [];
  private readonly connections = new Set<NbdConnection>();
  private closing: Promise<void> | null = null;

  constructor(options: NbdServerOptions) {
    for (const spec of options.exports) {
      assert(!this.exports.has(spec.name), `export names are unique ('${spec.name}')`);
      this.exports.set(spec.name, new NbdExport(spec));
    }
    const only = options.exports.length === 1 ? options.exports[0].name : null;
    this.defaultName = options.defaultExport ?? only;
    assert(this.defaultName === null || this.exports.has(this.defaultName), 'default export exists');
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.log = options.log ?? createLogger({ component: 'nbd' }, 'warn');
  }

  find(name: string): NbdExport | undefined {
    const exp = this.exports.get(name);
    if (exp || name !== '' || this.defaultName === null) return exp;
    return this.exports.get(this.defaultName);
  }

  list(): NbdExport[] {
    return [...this.exports.values()];
  }

  /** clients past the handshake or in it, right now */
  get clientCount(): number {
    return this.connections.size;
  }

  /** An NBD URI for the first listener (what nbdinfo, qemu and fio take). */
  get address(): string {
    assert(this.listeners.length > 0, 'server is listening');
    return uriFor(this.listeners[0], '');
  }

  uri(exportName = '', listener = 0): string {
    return uriFor(this.listeners[listener], exportName);
  }

  /**
   * Listen on a unix socket or TCP address; TCP port 0 picks a free port (see the result). With
   * `tls` (TCP only) clients can start TLS (NBD_OPT_STARTTLS), and must unless it says otherwise.
   */
  async listen(address: ExportAddress, tls: NbdTls | null = null): Promise<ExportAddress> {
    if (this.closing) throw new TandemError('TANDEM_E_STATE', 'NBD server is closing');
    assert(tls === null || address.kind === 'tcp', 'TLS only on TCP listeners');
    const server = createServer({ noDelay: true }, (socket) => this.accept(socket, tls));
    if (address.kind === 'unix') await removeStaleSocket(address.path);
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => reject(listenError(address, err)));
      if (address.kind === 'unix') server.listen(address.path, resolve);
      else server.listen(address.port, address.host, resolve);
    });
    server.on('error', (err) => this.log.error('nbd listener error', { error: err.message }));
    const bound = boundAddress(server, address);
    this.listeners.push({ server, address: bound, unixPath: address.kind === 'unix' ? address.path : null, tls });
    return bound;
  }

  /** Refuse (or allow again) writes on one export or all: EPERM from now on, READ_ONLY for new clients. */
  refuseWrites(refuse: boolean, exportName?: string): void {
    for (const exp of this.exports.values()) {
      if (exportName === undefined || exp.name === exportName) exp.refuseWrites(refuse);
    }
  }

  /** Stop listening and close every client (in-flight requests are answered first, within the grace period). */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    const stopped = this.listeners.map((l) => new Promise<void>((resolve) => l.server.close(() => resolve())));
    await Promise.all([...this.connections].map((c) => c.shutdown()));
    await Promise.all(stopped);
    for (const l of this.listeners) if (l.unixPath) unlinkQuietly(l.unixPath);
  }

  /** maxConnections counts clients across all listeners of this server. */
  private accept(socket: Socket, tls: NbdTls | null): void {
    if (this.closing || this.connections.size >= this.limits.maxConnections) {
      if (!this.closing) this.log.warn('nbd client refused: connection limit reached', { limit: this.limits.maxConnections });
      socket.destroy();
      return;
    }
    const conn = new NbdConnection(socket, this, this.limits, this.log, tls);
    this.connections.add(conn);
    void conn.closed.then(() => this.connections.delete(conn));
  }
}

/** A server with one export that is also the default: what the daemon runs per volume. */
export async function serveExport(address: ExportAddress, spec: NbdExportSpec, options: Omit<NbdServerOptions, 'exports'> & { tls?: NbdTls | null } = {}): Promise<NbdServer> {
  const { tls, ...rest } = options;
  const server = new NbdServer({ ...rest, exports: [spec], defaultExport: spec.name });
  await server.listen(address, address.kind === 'tcp' ? tls ?? null : null);
  return server;
}

export type { NbdBackend, NbdExportSpec, NbdLimits };

function uriFor({ address, tls }: Listener, exportName: string): string {
  const name = encodeURIComponent(exportName);
  if (address.kind === 'unix') return `nbd+unix:///${name}?socket=${address.path}`;
  const host = address.host.includes(':') ? `[${address.host}]` : address.host;
  return `${tls?.required ? 'nbds' : 'nbd'}://${host}:${address.port}/${name}`;
}

function boundAddress(server: Server, requested: ExportAddress): ExportAddress {
  if (requested.kind === 'unix') return requested;
  const a = server.address();
  assert(a !== null && typeof a === 'object', 'a TCP listener has an address');
  return { kind: 'tcp', host: requested.host, port: a.port };
}

function listenError(address: ExportAddress, err: Error): TandemError {
  const where = address.kind === 'unix' ? address.path : `${address.host}:${address.port}`;
  return new TandemError('TANDEM_E_IO', `cannot listen for NBD clients on ${where}: ${err.message}`, {
    hint: 'another process may hold that address; pick another socket path or port, or stop the other process',
    cause: err,
    details: { address: where, errno: (err as NodeJS.ErrnoException).code },
  });
}

/** A socket file left by a process that died is removed; one that still answers is left alone. */
async function removeStaleSocket(path: string): Promise<void> {
  try {
    if (!lstatSync(path).isSocket()) return; // listen() then fails with EADDRINUSE and a clear message
  } catch {
    return;
  }
  const alive = await new Promise<boolean>((resolve) => {
    const probe = createConnection(path, () => { probe.destroy(); resolve(true); });
    probe.once('error', () => resolve(false));
  });
  if (!alive) unlinkQuietly(path);
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch { /* already gone */ }
}
