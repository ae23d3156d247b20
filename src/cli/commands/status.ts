import { Args, Flags } from '@oclif/core';
import { setTimeout as sleep } from 'node:timers/promises';
import { ControlClient } from '../../daemon/control-client.js';
import { controlSocketPath } from '../../lib/env.js';
import type { NodeStatus } from '../../engine/states.js';
import { TandemCommand } from '../base.js';
import { renderNode } from '../render-status.js';
import { timeoutFlag } from '../daemon-verb.js';

export default class Status extends TandemCommand {
  static override description = 'show roles, disk, connection and replication states (--json: schema in src/engine/status.schema.json)';
  static override args = { resource: Args.string({ description: 'only this resource' }) };
  static override flags = {
    watch: Flags.boolean({ description: 'refresh every second until interrupted', default: false }),
    interval: Flags.integer({ description: 'seconds between refreshes with --watch', default: 1, min: 1 }),
    timeout: timeoutFlag,
  };

  static override examples = ['<%= config.bin %> status', '<%= config.bin %> status r0 --json'];

  async run(): Promise<NodeStatus> {
    const { args, flags } = await this.parse(Status);
    const client = new ControlClient(controlSocketPath(this.envFrom(flags)));
    const fetch = (): Promise<NodeStatus> => client.call<NodeStatus>('status', { resource: args.resource, deadlineMs: flags.timeout * 1000 });
    if (!flags.watch) {
      const status = await fetch();
      this.say(renderNode(status));
      return status;
    }
    for (;;) {
      const status = await fetch();
      if (this.jsonEnabled()) process.stdout.write(JSON.stringify(status) + '\n');
      else process.stdout.write(`\x1b[2J\x1b[H${new Date().toISOString()}\n${renderNode(status)}\n`);
      await sleep(flags.interval * 1000);
    }
  }
}
