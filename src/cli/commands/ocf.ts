import { Args } from '@oclif/core';
import { TandemCommand } from '../base.js';
import { runAction } from '../../ocf/actions.js';
import { realDeps } from '../../ocf/agent.js';

/** The OCF agent's entry (ocf/replica execs it): plain stdout, exit code = OCF code, never --json. */
export default class Ocf extends TandemCommand {
  static override hidden = true;
  static override description = 'run an action of the ocf:tandem:replica resource agent (used by the agent shim)';
  static override strict = false; // OCF: extra arguments are ignored
  static override args = { action: Args.string({ description: 'OCF action', required: false }) };

  async run(): Promise<void> {
    const { args } = await this.parse(Ocf);
    const action = args.action ?? process.env.__OCF_ACTION ?? '';
    const result = await runAction(action, process.env, realDeps(action));
    if (result.stdout) process.stdout.write(result.stdout);
    // Pacemaker shows one line of exit reason: multi-line messages (config errors) are joined
    if (result.reason) process.stderr.write(`${process.env.OCF_EXIT_REASON_PREFIX ?? 'ocf-exit-reason:'}${result.reason.replace(/\s*\n\s*/g, '; ')}\n`);
    process.exitCode = result.rc;
  }
}
