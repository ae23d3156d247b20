import { Args, Flags } from '@oclif/core';
import { loadResource } from '../../../config/load.js';
import { ControlClient } from '../../../daemon/control-client.js';
import { TandemError } from '../../../lib/errors.js';
import { controlSocketPath } from '../../../lib/env.js';
import type { ResourceStatus } from '../../../engine/states.js';
import { TandemCommand } from '../../base.js';
import { timeoutFlag } from '../../daemon-verb.js';
import { renderResource } from '../../render-status.js';

/**
 * After a split brain (both sides StandAlone, refusing each other): keep one node's data. Run on
 * every node of the split with the same --keep; the others reconnect with --discard-my-data and are
 * resynced from the kept node, only the blocks either side changed.
 */
export default class SplitBrainResolve extends TandemCommand {
  static override description = "resolve a split brain by keeping one node's data: run it on each node of the split with the same --keep; "
    + 'the other nodes are resynced from it (only the diverged blocks) and lose the writes only they had';

  static override examples = ['<%= config.bin %> split-brain resolve r0 --keep alpha   # on alpha and on bravo'];

  static override args = { resource: Args.string({ description: 'resource name', required: true }) };

  static override flags = {
    keep: Flags.string({ description: 'the node whose data survives', required: true }),
    timeout: timeoutFlag,
  };

  async run(): Promise<ResourceStatus> {
    const { args, flags } = await this.parse(SplitBrainResolve);
    const env = this.envFrom(flags);
    const config = loadResource(env.configDir, args.resource, { node: env.node });
    if (!config.nodes.some((n) => n.name === flags.keep)) {
      throw new TandemError('TANDEM_E_USAGE', `--keep ${flags.keep}: not a node of ${args.resource}`, {
        hint: `one of: ${config.nodes.map((n) => n.name).join(', ')}`,
      });
    }
    const victim = flags.keep !== env.node;
    const status = await new ControlClient(controlSocketPath(env)).call<ResourceStatus>('connect', {
      resource: args.resource, args: victim ? { discardMyData: true } : {}, deadlineMs: flags.timeout * 1000,
    });
    this.say(victim
      ? `${env.node} discards its diverged writes and resyncs from ${flags.keep} once both are connected`
      : `${env.node} keeps its data; run the same command on the other nodes of the split`);
    this.say(renderResource(status));
    return status;
  }
}
