// The control protocol between the CLI / OCF agent and tandemd, over a unix socket (mode 0600):
// newline-delimited JSON. One request per line, one response per line, matched by id:
//   → {"id":1,"op":"status","resource":"r0","args":{…}}
//   ← {"id":1,"ok":true,"result":{…}}
//   ← {"id":1,"ok":false,"error":{"code":"TANDEM_E_STATE","message":"…","hint":"…"}}
// The "events" op is a subscription: the daemon answers ok, then writes one event per line
// ({"event":{…}}) until the client closes. Every request has a deadline on both sides.
import { TandemError, type ErrorCode } from '../lib/errors.js';

/** A line longer than this is a protocol violation; the connection is dropped. */
export const MAX_CONTROL_LINE = 1024 * 1024;
export const DEFAULT_DEADLINE_MS = 30_000;

export const CONTROL_OPS = [
  'ping', 'status', 'events',
  'up', 'down', 'primary', 'secondary', 'attach', 'detach', 'connect', 'disconnect',
  'adjust', 'invalidate', 'outdate', 'verify', 'resize', 'resume-io', 'shutdown',
] as const;
export type ControlOp = (typeof CONTROL_OPS)[number];

export interface ControlRequest {
  id: number;
  op: ControlOp;
  resource?: string;
  args?: Record<string, unknown>;
  /** milliseconds the caller will wait; the daemon gives up on the operation after it */
  deadlineMs?: number;
}

export interface ControlErrorBody {
  code: ErrorCode;
  message: string;
  hint: string;
  details?: Record<string, unknown>;
}

export type ControlResponse =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: ControlErrorBody };

export function parseRequest(line: string): ControlRequest {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new TandemError('TANDEM_E_PROTOCOL', 'control request is not JSON');
  }
  const req = value as Partial<ControlRequest>;
  if (typeof req !== 'object' || req === null || !Number.isSafeInteger(req.id)) {
    throw new TandemError('TANDEM_E_PROTOCOL', 'control request needs a numeric id');
  }
  if (!CONTROL_OPS.includes(req.op as ControlOp)) {
    throw new TandemError('TANDEM_E_USAGE', `unknown control operation '${String(req.op)}'`, {
      hint: `known operations: ${CONTROL_OPS.join(', ')}`,
    });
  }
  if (req.resource !== undefined && typeof req.resource !== 'string') {
    throw new TandemError('TANDEM_E_PROTOCOL', 'control request resource must be a string');
  }
  if (req.args !== undefined && (typeof req.args !== 'object' || req.args === null)) {
    throw new TandemError('TANDEM_E_PROTOCOL', 'control request args must be an object');
  }
  return req as ControlRequest;
}

export function errorResponse(id: number, err: TandemError): ControlResponse {
  return { id, ok: false, error: { code: err.code, message: err.message, hint: err.hint, details: err.details } };
}

export function errorFromBody(body: ControlErrorBody): TandemError {
  return new TandemError(body.code, body.message, { hint: body.hint, details: body.details });
}
