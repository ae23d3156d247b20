import { Args } from '@oclif/core';
import { TandemCommand } from '../base.js';
import { runAgentAction } from '../../ocf/agent.js';

/** The OCF agent's entry by hand or from the single binary (ocf/replica prefers bin/tandem-ocf.js): plain stdout, exit code = OCF code, never --json. */
export default class Ocf extends TandemCommand {
  static override hidden = true;
  static override description = 'run an action of the ocf:tandem:replica resource agent (used by the agent shim)';
  static override strict = false; // OCF: extra arguments are ignored
  static override args = { action: Args.string({ description: 'OCF action', required: false }) };

  async run(): Promise<void> {
    const { args } = await this.parse(Ocf);
    const action = args.action ?? process.env.__OCF_ACTION ?? '';
    process.exitCode = await runAgentAction(action);
  }
}
