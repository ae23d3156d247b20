import { Flags } from '@oclif/core';
import { Cib } from '../../../cluster/cib.js';
import { listConstraints, type FenceConstraint } from '../../../cluster/constraints.js';
import { TandemCommand } from '../../base.js';

export default class PacemakerConstraints extends TandemCommand {
  static override description = 'list the Pacemaker constraints Tandem owns (tandem-fence-<res>): which resource is fenced and '
    + 'where promotion is still allowed';

  static override examples = ['<%= config.bin %> pacemaker constraints', 'CIB_file=cib.xml <%= config.bin %> pacemaker constraints --json'];

  static override flags = { timeout: Flags.integer({ description: 'give up after this many seconds', default: 10, min: 1 }) };

  async run(): Promise<{ constraints: FenceConstraint[] }> {
    const { flags } = await this.parse(PacemakerConstraints);
    const constraints = await listConstraints(new Cib({ deadlineMs: flags.timeout * 1000 }));
    this.say(constraints.length === 0
      ? 'no Tandem constraints in the CIB'
      : constraints.map((c) => `${c.id}: ${c.resource} may be promoted only on ${c.allowed.join(', ')} (constrains ${c.rsc})`).join('\n'));
    return { constraints };
  }
}
