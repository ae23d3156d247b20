import { Args, Flags } from '@oclif/core';
import { TandemCommand } from '../../base.js';
import { formatSize } from '../../../lib/units.js';
import { placementsFor } from '../../../meta/config-targets.js';
import { summarize, type MetaSummary } from '../../../meta/inspect.js';

export default class MdShow extends TandemCommand {
  static override description = "show a volume's metadata: flags, generations, peers and out-of-sync amounts (read-only, no daemon needed)";

  static override examples = ['<%= config.bin %> md show r0', '<%= config.bin %> md show --meta pmem:/dev/shm/x --json'];

  static override args = { resource: Args.string({ description: 'resource (its volumes on this node)' }) };

  static override flags = {
    meta: Flags.string({ description: 'a placement instead of a resource: pmem:<path>[#<res>/<vol>] or block:<path>[#…]' }),
    volume: Flags.integer({ description: 'only this volume of the resource' }),
  };

  async run(): Promise<MetaSummary[]> {
    const { args, flags } = await this.parse(MdShow);
    const env = this.envFrom(flags);
    const summaries = placementsFor({ resource: args.resource, meta: flags.meta, volume: flags.volume, ...env }).map(summarize);
    this.say(summaries.map(render).join('\n\n'));
    return summaries;
  }
}

export function render(s: MetaSummary): string {
  const lines = [
    `${s.placement}  (${s.kind}${s.isPmem ? ', PMEM' : ''}, format v${s.formatVersion}, ${formatSize(s.areaLength)})`,
    `  volume size       ${formatSize(s.volumeSize)}`,
    `  node id           ${s.nodeId}`,
    `  flags             ${s.deviceFlags.join(' ') || '-'}`,
    `  current gen       ${s.currentGeneration}`,
    `  history           ${s.history.slice(0, 4).join(' ') || '-'}${s.history.length > 4 ? ` (+${s.history.length - 4})` : ''}`,
    `  boot id           ${s.bootId ?? 'unknown'}`,
    `  activity log      ${s.activityLog.format}, ${s.activityLog.extents} extents, ${s.activityLog.hotExtents} hot, ${s.activityLog.clean ? 'clean' : 'NOT clean'}`,
  ];
  if (s.damage.bitmapPages > 0 || s.damage.activityLog > 0) {
    lines.push(`  DAMAGED           ${s.damage.bitmapPages} bitmap pages, ${s.damage.activityLog} activity-log areas fail their checksums (md check says which)`);
  }
  for (const p of s.peers) {
    lines.push(`  peer slot ${p.slot}       ${p.nodeId === null ? 'unassigned' : `node ${p.nodeId}`}, out of sync ${formatSize(p.outOfSyncBytes)}, bitmap gen ${p.bitmapGeneration}${p.flags.length ? `, ${p.flags.join(' ')}` : ''}`);
  }
  return lines.join('\n');
}
