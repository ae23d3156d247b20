// The daemon's side of the control socket: accepts local clients, parses requests, runs each with
// a deadline and writes exactly one response per request. Only root can connect (mode 0600).
import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { LineReader } from '../lib/line-reader.js';
import { TandemError, toTandemError } from '../lib/errors.js';
import {
  DEFAULT_DEADLINE_MS, MAX_CONTROL_LINE, errorResponse, parseRequest,
  type ControlRequest, type ControlResponse,
} from './control-protocol.js';

/** What a handler may do besides returning a result: stream lines (events) until closed. */
export interface ControlContext {
  socket: Socket;
  /** for subscriptions: write one JSON line; returns false when the client is slow */
  send(value: unknown): boolean;
  /** resolves when the client goes away */
  closed: Promise<void>;
}

export type ControlHandler = (req: ControlRequest, ctx: ControlContext) => Promise<unknown>;

export class ControlServer {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();

  constructor(private readonly path: string, private readonly handle: ControlHandler) {}

  async listen(): Promise<void> {
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o755 });
    rmSync(this.path, { force: true }); // a stale socket of a dead daemon
    const server = createServer((socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.path, () => resolve());
    });
    chmodSync(this.path, 0o600);
    this.server = server;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(this.path, { force: true });
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    let onClose!: () => void;
    const closed = new Promise<void>((resolve) => (onClose = resolve));
    socket.on('close', () => { this.sockets.delete(socket); onClose(); });
    socket.on('error', () => socket.destroy());
    const ctx: ControlContext = {
      socket,
      send: (value) => !socket.destroyed && socket.write(JSON.stringify(value) + '\n'),
      closed,
    };
    const reader = new LineReader(MAX_CONTROL_LINE, (line) => void this.dispatch(line, ctx));
    socket.on('data', (chunk: Buffer) => {
      try {
        reader.push(chunk);
      } catch (err) {
        ctx.send(errorResponse(0, toTandemError(err)));
        socket.end();
      }
    });
  }

  private async dispatch(line: string, ctx: ControlContext): Promise<void> {
    let req: ControlRequest;
    try {
      req = parseRequest(line);
    } catch (err) {
      ctx.send(errorResponse(idOf(line), toTandemError(err)));
      return;
    }
    const response = await this.run(req, ctx);
    ctx.send(response);
  }

  private async run(req: ControlRequest, ctx: ControlContext): Promise<ControlResponse> {
    const deadline = req.deadlineMs ?? DEFAULT_DEADLINE_MS;
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new TandemError('TANDEM_E_TIMEOUT',
        `'${req.op}' did not finish within ${deadline} ms`, {
          hint: 'the operation may still complete in the background; check tandem status',
        })), deadline);
    });
    try {
      const result = await Promise.race([this.handle(req, ctx), expired]);
      return { id: req.id, ok: true, result: result ?? null };
    } catch (err) {
      return errorResponse(req.id, toTandemError(err));
    } finally {
      clearTimeout(timer);
    }
  }
}

function idOf(line: string): number {
  const m = /"id"\s*:\s*(\d+)/.exec(line);
  return m ? Number(m[1]) : 0;
}
