// A TCP proxy on a free loopback port that forwards every connection to a target port; what it
// does with the bytes of each direction is the subclass's (record and tamper, rewrite messages).
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

export abstract class TcpProxy {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();

  constructor(private readonly targetPort: number) {}

  /** Listens on a free loopback port; returns it. */
  async start(): Promise<number> {
    const server = createServer((client) => this.pipe(client));
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    return (server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    const server = this.server;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** One side closed: close the other (a subclass may hold that back). */
  protected closed(closeBoth: () => void): void {
    closeBoth();
  }

  /** Forward `from`'s bytes to `to`; `fromDialer`: `from` is the side that dialled the proxy. */
  protected abstract direction(from: Socket, to: Socket, fromDialer: boolean): void;

  private pipe(client: Socket): void {
    const upstream = connect(this.targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      this.sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => { this.sockets.delete(s); this.closed(() => { client.destroy(); upstream.destroy(); }); });
    }
    this.direction(client, upstream, true);
    this.direction(upstream, client, false);
  }
}
