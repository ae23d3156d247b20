import { Flags } from '@oclif/core';
import { TandemCommand } from '../../base.js';
import { formatSize, parseSize } from '../../../lib/units.js';
import { BLOCK, DEFAULT_AL_EXTENTS, SUPERBLOCK_COPIES, geometry } from '../../../meta/layout.js';

interface SizeResult {
  bytes: number;
  volumeSize: number;
  peers: number;
  superblockBytes: number;
  activityLogBytes: number;
  bitmapBytes: number;
}

export default class MdSize extends TandemCommand {
  static override description = 'print the exact size in bytes of the metadata of one volume';

  static override examples = ['<%= config.bin %> md size --volume 1TiB --peers 2', '<%= config.bin %> md size --volume 500GiB --peers 1 --json'];

  static override flags = {
    volume: Flags.string({ description: 'volume size (e.g. 1TiB)', required: true }),
    peers: Flags.integer({ description: 'bitmap slots: peers with a disk (a 3-node cluster needs 2)', default: 1 }),
    'al-extents': Flags.integer({ description: 'activity-log extents', default: DEFAULT_AL_EXTENTS }),
  };

  async run(): Promise<SizeResult> {
    const { flags } = await this.parse(MdSize);
    const g = geometry(parseSize(flags.volume, 'volume size'), flags.peers, flags['al-extents']);
    const result = {
      bytes: g.areaLength, volumeSize: g.volumeSize, peers: g.maxPeers,
      superblockBytes: SUPERBLOCK_COPIES * BLOCK, activityLogBytes: g.alLength, bitmapBytes: g.bmLength,
    };
    this.say(`${result.bytes} bytes (${formatSize(result.bytes)}) for ${formatSize(g.volumeSize)} with ${g.maxPeers} peer${g.maxPeers === 1 ? '' : 's'}`);
    return result;
  }
}
