import { Args, Flags } from '@oclif/core';
import { TandemCommand } from '../../base.js';
import { loadResource } from '../../../config/load.js';
import {
  buildModel, parseAgentParam, parseFsSpec, parseIpSpec, render, type ConfigFormat, type PacemakerModel,
} from '../../../cluster/pacemaker-config.js';

export default class PacemakerConfig extends TandemCommand {
  static override description = 'print a Pacemaker configuration for a resource: promotable clone of ocf:tandem:replica, '
    + 'and optionally Filesystems on its volumes (/dev/tandem/<res>/<vol>) and an IPaddr2, as a group that runs on the '
    + 'Promoted node after promotion. The pcs script applies everything in one step (pcs -f on a copy of the CIB, then cib-push).';

  static override examples = [
    '<%= config.bin %> pacemaker config r0 --format pcs --with-fs 0:/srv/data:ext4 --with-ip 192.0.2.10/24 > r0.sh && sh r0.sh',
    '<%= config.bin %> pacemaker config r0 --format cib --with-fs 0:/srv/data:ext4 > r0.xml && crm_verify -x r0.xml',
    '# merge the CIB output into the running cluster (applying it twice changes nothing):\n'
      + 'for s in resources constraints; do cibadmin --modify --allow-create -o $s -X "$(xmllint --xpath /cib/configuration/$s r0.xml)"; done',
    '<%= config.bin %> pacemaker config r0 --agent-param auto_resync=false --format crm',
  ];

  static override args = { resource: Args.string({ description: 'resource name', required: true }) };

  static override flags = {
    format: Flags.string({ description: 'output format', options: ['pcs', 'crm', 'cib'], default: 'pcs' }),
    'with-fs': Flags.string({ description: 'add a Filesystem on a volume\'s block device: [VOL:]MOUNT:FSTYPE (e.g. 0:/srv/data:ext4); repeatable', multiple: true, default: [] }),
    'with-ip': Flags.string({ description: 'add an IPaddr2 resource: IPv4/prefix (e.g. 192.0.2.10/24)' }),
    site: Flags.string({ description: 'configure the Pacemaker cluster of one site whose hosts share the disks of this Tandem node (one clone instance, agent parameter node=SITE)' }),
    'agent-param': Flags.string({ description: 'an ocf:tandem:replica parameter NAME=VALUE (from its meta-data); repeatable', multiple: true, default: [] }),
  };

  async run(): Promise<{ format: ConfigFormat; text: string; model: PacemakerModel }> {
    const { args, flags } = await this.parse(PacemakerConfig);
    const config = loadResource(this.envFrom(flags).configDir, args.resource);
    const model = buildModel(config, {
      fs: flags['with-fs'].map(parseFsSpec),
      ip: flags['with-ip'] === undefined ? undefined : parseIpSpec(flags['with-ip']),
      agentParams: flags['agent-param'].map(parseAgentParam),
      ...(flags.site === undefined ? {} : { site: flags.site }),
    });
    const format = flags.format as ConfigFormat;
    const text = render(model, format);
    if (!this.jsonEnabled()) process.stdout.write(text);
    return { format, text, model };
  }
}
