import { Args, Flags } from '@oclif/core';
import { TandemCommand } from '../../base.js';
import { loadResource } from '../../../config/load.js';
import {
  buildModel, parseFsSpec, parseIpSpec, render, type ConfigFormat, type PacemakerModel,
} from '../../../cluster/pacemaker-config.js';

export default class PacemakerConfig extends TandemCommand {
  static override description = 'print a Pacemaker configuration for a resource: promotable clone of ocf:tandem:replica, '
    + 'and optionally a Filesystem + IPaddr2 group that runs on the Promoted node after promotion';

  static override examples = [
    '<%= config.bin %> pacemaker config r0 --format pcs',
    '<%= config.bin %> pacemaker config r0 --format cib --with-fs /dev/nbd0:/srv/data:ext4 --with-ip 192.0.2.10/24 > r0.xml && crm_verify -x r0.xml',
    '# merge the CIB output into the running cluster (applying it twice changes nothing):\n'
      + 'for s in resources constraints; do cibadmin --modify --allow-create -o $s -X "$(xmllint --xpath /cib/configuration/$s r0.xml)"; done',
  ];

  static override args = { resource: Args.string({ description: 'resource name', required: true }) };

  static override flags = {
    format: Flags.string({ description: 'output format', options: ['pcs', 'crm', 'cib'], default: 'pcs' }),
    'with-fs': Flags.string({ description: 'add a Filesystem resource: DEV:MOUNT:FSTYPE (e.g. /dev/nbd0:/srv/data:ext4)' }),
    'with-ip': Flags.string({ description: 'add an IPaddr2 resource: IPv4/prefix (e.g. 192.0.2.10/24)' }),
  };

  async run(): Promise<{ format: ConfigFormat; text: string; model: PacemakerModel }> {
    const { args, flags } = await this.parse(PacemakerConfig);
    const config = loadResource(this.envFrom(flags).configDir, args.resource);
    const model = buildModel(config, {
      fs: flags['with-fs'] === undefined ? undefined : parseFsSpec(flags['with-fs']),
      ip: flags['with-ip'] === undefined ? undefined : parseIpSpec(flags['with-ip']),
    });
    const format = flags.format as ConfigFormat;
    const text = render(model, format);
    if (!this.jsonEnabled()) process.stdout.write(text);
    return { format, text, model };
  }
}
