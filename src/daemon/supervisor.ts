// The supervisor (hastd.c's role): owns the control socket and the set of resources that are up
// on this node, and routes each control request to the resource it names. It holds no
// replication logic of its own.
import { loadResource } from '../config/load.js';
import type { ResourceConfig } from '../config/model.js';
import { TandemError } from '../lib/errors.js';
import type { TandemEnv } from '../lib/env.js';
import type { Logger } from '../lib/log.js';
import { STATUS_SCHEMA_VERSION, type NodeStatus } from '../engine/states.js';
import { Resource } from '../engine/resource.js';
import type { Platform } from '../engine/platform.js';
import { nodePlatform } from '../platform/node/node-platform.js';
import type { ControlRequest } from './control-protocol.js';
import type { ControlContext } from './control-server.js';
import { EventBus } from './events.js';

export class Supervisor {
  readonly events = new EventBus();
  private readonly resources = new Map<string, Resource>();
  private stopping: (() => void) | null = null;

  private readonly platform: Platform;

  constructor(private readonly env: TandemEnv, private readonly log: Logger) {
    this.platform = nodePlatform({ log, emit: (event) => this.events.emit(event), env: process.env, tandem: env });
  }

  /** Resolves when a 'shutdown' request (or a signal) has brought every resource down. */
  waitForShutdown(): Promise<void> {
    return new Promise((resolve) => (this.stopping = resolve));
  }

  async handle(req: ControlRequest, ctx: ControlContext): Promise<unknown> {
    switch (req.op) {
      case 'ping': return { node: this.env.node, pid: process.pid };
      case 'status': return this.status(req.resource);
      case 'events': return this.subscribe(ctx);
      case 'up': return this.up(this.required(req), req.args ?? {});
      case 'down': return this.down(this.required(req));
      case 'shutdown': return this.shutdown();
      default: return this.get(this.required(req)).control(req.op, req.args ?? {});
    }
  }

  status(name?: string): NodeStatus {
    if (name !== undefined) this.get(name);
    const list = [...this.resources.values()].filter((r) => name === undefined || r.name === name);
    return { schemaVersion: STATUS_SCHEMA_VERSION, node: this.env.node, resources: list.map((r) => r.status()) };
  }

  async shutdown(): Promise<{ down: string[] }> {
    const names = [...this.resources.keys()];
    for (const name of names) await this.down(name);
    setImmediate(() => this.stopping?.());
    return { down: names };
  }

  /** args.holdFormerPrimary: the agent's auto_resync=false (see Resource.up). */
  private async up(name: string, args: Record<string, unknown>): Promise<unknown> {
    const existing = this.resources.get(name);
    if (existing) return existing.status(); // idempotent, as drbdadm up on an up resource
    const config = this.loadResource(name);
    const resource = new Resource(config, this.env.node, this.platform);
    this.resources.set(name, resource);
    try {
      await resource.up({ holdFormerPrimary: args.holdFormerPrimary === true });
    } catch (err) {
      this.resources.delete(name);
      await resource.down().catch(() => undefined);
      throw err;
    }
    return resource.status();
  }

  private async down(name: string): Promise<unknown> {
    const resource = this.resources.get(name);
    if (!resource) return { name, down: true }; // already down: success (idempotent)
    await resource.down();
    this.resources.delete(name);
    return { name, down: true };
  }

  private subscribe(ctx: ControlContext): { subscribed: true } {
    const unsubscribe = this.events.subscribe((event) => ctx.send({ event }));
    void ctx.closed.then(unsubscribe);
    return { subscribed: true };
  }

  private loadResource(name: string): ResourceConfig {
    return loadResource(this.env.configDir, name, { node: this.env.node });
  }

  private required(req: ControlRequest): string {
    if (!req.resource) throw new TandemError('TANDEM_E_USAGE', `'${req.op}' needs a resource name`);
    return req.resource;
  }

  private get(name: string): Resource {
    const r = this.resources.get(name);
    if (!r) {
      throw new TandemError('TANDEM_E_NOT_FOUND', `resource '${name}' is not up on node ${this.env.node}`, {
        hint: `run 'tandem up ${name}' first`,
      });
    }
    return r;
  }
}
