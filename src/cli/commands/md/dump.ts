import { Args, Flags } from '@oclif/core';
import { TandemCommand } from '../../base.js';
import { placementsFor } from '../../../meta/config-targets.js';
import { dump, type MetaDump } from '../../../meta/inspect.js';
import { render } from './show.js';

export default class MdDump extends TandemCommand {
  static override description = "dump a volume's metadata in full: both superblock copies, the activity log, out-of-sync ranges per peer slot";

  static override examples = ['<%= config.bin %> md dump --meta pmem:/dev/shm/x --json', '<%= config.bin %> md dump r0'];

  static override args = { resource: Args.string({ description: 'resource (its volumes on this node)' }) };

  static override flags = {
    meta: Flags.string({ description: 'a placement instead of a resource: pmem:<path>[#<res>/<vol>] or block:<path>[#…]' }),
    volume: Flags.integer({ description: 'only this volume of the resource' }),
  };

  async run(): Promise<MetaDump[]> {
    const { args, flags } = await this.parse(MdDump);
    const env = this.envFrom(flags);
    const dumps = placementsFor({ resource: args.resource, meta: flags.meta, volume: flags.volume, ...env }).map(dump);
    for (const d of dumps) {
      this.say(render(d));
      this.say(`  superblock copies ${d.superblockCopies.map((c) => `${c.copy}: ${c.status}${c.seq === undefined ? '' : ` seq ${c.seq}`}`).join(', ')}`);
      this.say(`  AL on media       ${d.activityLog.extentsOnMedia.join(' ') || '-'}`);
      for (const t of d.activityLog.transactions ?? []) this.say(`  AL transaction    #${t.number} epoch ${t.epoch}${t.current ? '' : ' (old)'}, ${t.updates} updates`);
      for (const o of d.outOfSync) {
        this.say(`  slot ${o.slot} out of sync ${o.ranges.map(([a, b]) => `${a}-${b}`).join(' ') || '-'}${o.truncated ? ' …' : ''}`);
      }
    }
    return dumps;
  }
}
