// The agent's view of tandemd: the few operations it needs, typed, each bounded by a deadline.
//
// Wire contract (implemented by src/daemon/control-server.ts; see src/daemon/control-protocol.ts):
// a unix socket at <run_dir>/<node>.ctl (mode 0600), newline-delimited JSON, one request per line
// and one response per line matched by id:
//   → {"id":1,"op":"status","resource":"r0","deadlineMs":10000}
//   ← {"id":1,"ok":true,"result":{"schemaVersion":1,"node":"alpha","resources":[{…ResourceStatus}]}}
//   ← {"id":1,"ok":false,"error":{"code":"TANDEM_E_NOT_FOUND","message":"…","hint":"…"}}
// Operations used here: status (one resource; TANDEM_E_NOT_FOUND when it is not up), up (idempotent,
// leaves it Secondary; args.holdFormerPrimary keeps a former Primary StandAlone), down (idempotent),
// primary, secondary, outdate. Errors the agent maps to OCF codes: no socket / refused → TANDEM_E_DAEMON;
// no answer within the deadline → TANDEM_E_TIMEOUT.
import { ControlClient } from '../daemon/control-client.js';
import { TandemError } from '../lib/errors.js';
import type { NodeStatus, ResourceStatus } from '../engine/states.js';

export interface DaemonClient {
  /** the resource's status, or null when the daemon has it down */
  status(resource: string, deadlineMs: number): Promise<ResourceStatus | null>;
  /** holdFormerPrimary: stay StandAlone if this node went away as Primary (auto_resync=false) */
  up(resource: string, deadlineMs: number, opts?: { holdFormerPrimary?: boolean }): Promise<void>;
  down(resource: string, deadlineMs: number): Promise<void>;
  primary(resource: string, deadlineMs: number): Promise<void>;
  secondary(resource: string, deadlineMs: number): Promise<void>;
  /** mark the local data Outdated (a Secondary only) */
  outdate(resource: string, deadlineMs: number): Promise<void>;
}

export class SocketDaemonClient implements DaemonClient {
  private readonly control: ControlClient;

  constructor(socketPath: string) {
    this.control = new ControlClient(socketPath);
  }

  async status(resource: string, deadlineMs: number): Promise<ResourceStatus | null> {
    try {
      const node = await this.control.call<NodeStatus>('status', { resource, deadlineMs });
      return node.resources.find((r) => r.name === resource) ?? null;
    } catch (err) {
      if (err instanceof TandemError && err.code === 'TANDEM_E_NOT_FOUND') return null;
      throw err;
    }
  }

  async up(resource: string, deadlineMs: number, opts: { holdFormerPrimary?: boolean } = {}): Promise<void> {
    await this.control.call('up', { resource, deadlineMs, args: opts.holdFormerPrimary ? { holdFormerPrimary: true } : {} });
  }

  async down(resource: string, deadlineMs: number): Promise<void> {
    await this.control.call('down', { resource, deadlineMs });
  }

  async primary(resource: string, deadlineMs: number): Promise<void> {
    await this.control.call('primary', { resource, deadlineMs });
  }

  async secondary(resource: string, deadlineMs: number): Promise<void> {
    await this.control.call('secondary', { resource, deadlineMs });
  }

  async outdate(resource: string, deadlineMs: number): Promise<void> {
    await this.control.call('outdate', { resource, deadlineMs });
  }
}
