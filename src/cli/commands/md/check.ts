import { Args, Flags } from '@oclif/core';
import { TandemCommand } from '../../base.js';
import { placementsFor } from '../../../meta/config-targets.js';
import { check, type Finding } from '../../../meta/inspect.js';

interface Checked {
  placement: string;
  ok: true;
  warnings: Finding[];
}

export default class MdCheck extends TandemCommand {
  static override description = "check a volume's metadata; exits non-zero (TANDEM_E_META) naming what is wrong: foreign data, bad CRC, both superblock copies bad, an unsupported format, bitmap pages or activity-log areas that fail their checksums";

  static override examples = ['<%= config.bin %> md check r0', '<%= config.bin %> md check --meta block:/var/lib/tandem/r0.md'];

  static override args = { resource: Args.string({ description: 'resource (its volumes on this node)' }) };

  static override flags = {
    meta: Flags.string({ description: 'a placement instead of a resource: pmem:<path>[#<res>/<vol>] or block:<path>[#…]' }),
    volume: Flags.integer({ description: 'only this volume of the resource' }),
  };

  async run(): Promise<Checked[]> {
    const { args, flags } = await this.parse(MdCheck);
    const env = this.envFrom(flags);
    return placementsFor({ resource: args.resource, meta: flags.meta, volume: flags.volume, ...env }).map((placement) => {
      const { warnings } = check(placement);
      this.say(`ok: ${placement}`);
      for (const w of warnings) this.say(`  warning: ${w.what}: ${w.message}`);
      return { placement, ok: true as const, warnings };
    });
  }
}
