// The DRBD-style verbs (`tandem up r0`, `tandem primary r0 --force`, …) are all the same shape:
// name a resource, ask the daemon, print what it says. One factory keeps them identical.
import { Args, Flags } from '@oclif/core';
import { ControlClient } from '../daemon/control-client.js';
import type { ControlOp } from '../daemon/control-protocol.js';
import { controlSocketPath } from '../lib/env.js';
import { TandemCommand } from './base.js';
import { renderResource } from './render-status.js';
import type { ResourceStatus } from '../engine/states.js';

export const timeoutFlag = Flags.integer({
  description: 'give up after this many seconds',
  default: 30,
  min: 1,
});

/** A boolean flag of a verb, sent to the daemon as args[arg] = true when given. */
export interface VerbSwitch { flag: string; arg: string; description: string }

export const FORCE: VerbSwitch = { flag: 'force', arg: 'force', description: 'override safety checks (as drbdadm --force)' };

export function daemonVerb(op: ControlOp, description: string, switches: VerbSwitch[] = []) {
  return class extends TandemCommand {
    static override description = description;
    static override args = { resource: Args.string({ description: 'resource name', required: true }) };
    static override flags = {
      timeout: timeoutFlag,
      ...Object.fromEntries(switches.map((s) => [s.flag, Flags.boolean({ description: s.description, default: false })])),
    };

    static override examples = [`<%= config.bin %> ${op} r0`];

    async run(): Promise<unknown> {
      const { args, flags } = await this.parse(this.ctor as never) as unknown as {
        args: { resource: string };
        flags: { timeout: number; 'config-dir'?: string; node?: string } & Record<string, boolean | undefined>;
      };
      const env = this.envFrom(flags);
      const client = new ControlClient(controlSocketPath(env));
      const result = await client.call(op, {
        resource: args.resource,
        args: Object.fromEntries(switches.filter((s) => flags[s.flag] === true).map((s) => [s.arg, true])),
        deadlineMs: flags.timeout * 1000,
      });
      if (isResourceStatus(result)) this.say(renderResource(result));
      else this.say(`${op} ${args.resource}: ok`);
      return result;
    }
  };
}

function isResourceStatus(value: unknown): value is ResourceStatus {
  return typeof value === 'object' && value !== null && 'role' in value && 'volumes' in value;
}
