import { Args, Flags } from '@oclif/core';
import { TandemCommand } from '../../base.js';
import { TandemError } from '../../../lib/errors.js';
import { formatSize, parseSize } from '../../../lib/units.js';
import { DEFAULT_AL_EXTENTS } from '../../../meta/layout.js';
import { volumeTargets } from '../../../meta/config-targets.js';
import { VolumeMetadata } from '../../../meta/volume-metadata.js';

interface Created {
  placement: string;
  kind: 'pmem' | 'block';
  isPmem: boolean;
  volumeSize: number;
  maxPeers: number;
  nodeId: number;
  bytes: number;
}

export default class MdCreate extends TandemCommand {
  static override description = "create (format) a volume's metadata: superblock, empty activity log and bitmap";

  static override examples = [
    '<%= config.bin %> md create r0',
    '<%= config.bin %> md create --meta pmem:/dev/shm/x --volume-size 1GiB --peers 2 --node-id 0',
    '<%= config.bin %> md create --meta pmem:/dev/dax0.0#r0/0 --volume-size 1TiB --peers 2',
  ];

  static override args = {
    resource: Args.string({ description: "resource whose volumes' metadata to create (from its configuration)" }),
  };

  static override flags = {
    meta: Flags.string({ description: 'placement: pmem:<file|devdax>[#<res>/<vol>] or block:<file|device>[#<res>/<vol>]' }),
    volume: Flags.integer({ description: 'only this volume of the resource' }),
    'volume-size': Flags.string({ description: 'size of the volume the metadata tracks (with --meta)' }),
    peers: Flags.integer({ description: 'bitmap slots: peers with a disk (with --meta)', default: 1 }),
    'node-id': Flags.integer({ description: 'this node\'s id (with --meta)', default: 0 }),
    'al-extents': Flags.integer({ description: 'activity-log extents (with --meta)', default: DEFAULT_AL_EXTENTS }),
    'namespace-size': Flags.string({ description: 'size of a namespace file to create for #<res>/<vol> placements' }),
    force: Flags.boolean({ description: 'overwrite valid metadata (its bitmap and generations are lost)', default: false }),
  };

  async run(): Promise<Created[]> {
    const { args, flags } = await this.parse(MdCreate);
    const namespaceSize = flags['namespace-size'] === undefined ? undefined : parseSize(flags['namespace-size'], 'namespace size');
    const jobs = args.resource === undefined ? [this.direct(flags)] : this.fromConfig(args.resource, flags);
    return jobs.map((job) => {
      const md = VolumeMetadata.create(job.placement, { ...job, force: flags.force, namespaceSize });
      const created = { placement: job.placement, kind: md.kind, isPmem: md.isPmem, volumeSize: job.volumeSize, maxPeers: job.maxPeers, nodeId: job.nodeId, bytes: md.geometry.areaLength };
      md.close();
      this.say(`created ${created.placement}: ${formatSize(created.bytes)} of metadata for ${formatSize(created.volumeSize)}, ${created.maxPeers} peer slot(s), node id ${created.nodeId}${created.isPmem ? ' (PMEM)' : ''}`);
      return created;
    });
  }

  private direct(flags: { meta?: string; 'volume-size'?: string; peers: number; 'node-id': number; 'al-extents': number }) {
    if (flags.meta === undefined || flags['volume-size'] === undefined) {
      throw new TandemError('TANDEM_E_USAGE', 'give a resource, or --meta and --volume-size', {
        hint: 'tandem md create r0, or tandem md create --meta pmem:/dev/shm/x --volume-size 1GiB --peers 2',
      });
    }
    return { placement: flags.meta, volumeSize: parseSize(flags['volume-size'], 'volume size'), maxPeers: flags.peers, nodeId: flags['node-id'], alExtents: flags['al-extents'] };
  }

  private fromConfig(resource: string, flags: { meta?: string; volume?: number; 'config-dir'?: string; node?: string }) {
    if (flags.meta !== undefined) throw new TandemError('TANDEM_E_USAGE', 'give either a resource or --meta, not both', { hint: 'the resource form reads meta = from its configuration' });
    const env = this.envFrom(flags);
    return volumeTargets(env.configDir, env.node, resource, flags.volume).map((t) => ({
      placement: t.placement, volumeSize: t.volumeSize(), maxPeers: t.maxPeers, nodeId: t.nodeId, alExtents: t.alExtents,
    }));
  }
}
