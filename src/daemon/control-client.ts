// The CLI's and the OCF agent's side of the control socket. Every call has a deadline: a daemon
// that hangs makes the caller fail with TANDEM_E_TIMEOUT, never hang with it.
import { connect, type Socket } from 'node:net';
import { TandemError } from '../lib/errors.js';
import { LineReader } from '../lib/line-reader.js';
import {
  DEFAULT_DEADLINE_MS, MAX_CONTROL_LINE, errorFromBody,
  type ControlOp, type ControlResponse,
} from './control-protocol.js';

export interface CallOptions {
  resource?: string;
  args?: Record<string, unknown>;
  deadlineMs?: number;
}

export class ControlClient {
  private nextId = 1;

  constructor(private readonly socketPath: string) {}

  /** One request, one response, then the connection is closed. */
  async call<T = unknown>(op: ControlOp, options: CallOptions = {}): Promise<T> {
    const deadlineMs = options.deadlineMs ?? DEFAULT_DEADLINE_MS;
    const socket = await this.open(deadlineMs);
    try {
      return await this.exchange<T>(socket, op, options, deadlineMs);
    } finally {
      socket.destroy();
    }
  }

  /** Subscribe to events; calls onEvent per event until the returned stop() or the daemon exits. */
  async subscribe(onEvent: (event: unknown) => void, onEnd: (err?: Error) => void): Promise<() => void> {
    const socket = await this.open(DEFAULT_DEADLINE_MS);
    const id = this.nextId++;
    let subscribed = false;
    const reader = new LineReader(MAX_CONTROL_LINE, (line) => {
      const msg = JSON.parse(line) as ControlResponse | { event: unknown };
      if ('event' in msg) { onEvent(msg.event); return; }
      if (!msg.ok) { onEnd(errorFromBody(msg.error)); socket.destroy(); return; }
      subscribed = true;
    });
    socket.on('data', (chunk: Buffer) => reader.push(chunk));
    socket.on('close', () => onEnd(subscribed ? undefined : daemonGone(this.socketPath)));
    socket.write(JSON.stringify({ id, op: 'events' }) + '\n');
    return () => socket.destroy();
  }

  private open(deadlineMs: number): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const socket = connect(this.socketPath);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(timeout('connect', deadlineMs));
      }, deadlineMs);
      socket.once('connect', () => { clearTimeout(timer); resolve(socket); });
      socket.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(err.code === 'ENOENT' || err.code === 'ECONNREFUSED'
          ? daemonGone(this.socketPath)
          : new TandemError('TANDEM_E_DAEMON', `cannot reach tandemd at ${this.socketPath}: ${err.message}`, {
            hint: 'tandem commands that talk to the daemon must run as root',
          }));
      });
    });
  }

  private exchange<T>(socket: Socket, op: ControlOp, options: CallOptions, deadlineMs: number): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(timeout(op, deadlineMs)), deadlineMs);
      const finish = (fn: () => void): void => { clearTimeout(timer); fn(); };
      const reader = new LineReader(MAX_CONTROL_LINE, (line) => {
        const msg = JSON.parse(line) as ControlResponse;
        if (msg.id !== id) return;
        finish(() => (msg.ok ? resolve(msg.result as T) : reject(errorFromBody(msg.error))));
      });
      socket.on('data', (chunk: Buffer) => {
        try { reader.push(chunk); } catch (err) { finish(() => reject(err)); }
      });
      socket.once('close', () => finish(() => reject(new TandemError('TANDEM_E_DAEMON',
        `tandemd closed the control connection during '${op}'`, { hint: 'check the daemon log' }))));
      socket.write(JSON.stringify({ id, op, resource: options.resource, args: options.args, deadlineMs }) + '\n');
    });
  }
}

function daemonGone(path: string): TandemError {
  return new TandemError('TANDEM_E_DAEMON', `tandemd is not running (no control socket at ${path})`);
}

function timeout(op: string, ms: number): TandemError {
  return new TandemError('TANDEM_E_TIMEOUT', `tandemd did not answer '${op}' within ${ms} ms`, {
    hint: 'the daemon may be busy or stuck; check its log and tandem status',
  });
}
