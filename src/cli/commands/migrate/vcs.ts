import { Flags } from '@oclif/core';
import { TandemCommand } from '../../base.js';
import { migrateVcs, type MigrateSummary } from '../../../migrate/migrate.js';
import { parseLinkRate } from '../../../migrate/link-rate.js';

export default class MigrateVcs extends TandemCommand {
  static override description = 'convert a Veritas VCS/VVR configuration into Tandem INI files, pcs/crm scripts, a CIB per site, booth.conf and a cut-over report. '
    + 'For a global cluster give each site\'s main.cf (--main-cf twice) and the reports of both sites: every RVG becomes one Tandem resource whose nodes are the sites.';

  static override examples = [
    '<%= config.bin %> migrate vcs --main-cf main.cf --vxprint vxprint-Pl.txt --printvol printvol.txt --out ./migration',
    '<%= config.bin %> migrate vcs --main-cf nyc/main.cf --main-cf lon/main.cf --vxprint nyc/vxprint.txt --printvol printvol.txt --hastatus nyc/hastatus.txt --hastatus lon/hastatus.txt --arbitrator 10.30.0.5 --out ./migration',
  ];

  static override flags = {
    'main-cf': Flags.string({ description: 'VCS main.cf (or a fragment of it); one per cluster of a global cluster', required: true, multiple: true }),
    types: Flags.string({ description: 'extra types file (repeatable); included ones are read from main.cf\'s directory', multiple: true, default: [] }),
    vxprint: Flags.string({ description: 'output of vxprint -g <dg> -Pl (RLINK records); repeatable', multiple: true, default: [] }),
    printrvg: Flags.string({ description: 'output of vradmin -g <dg> [-l] printrvg; repeatable', multiple: true, default: [] }),
    repstatus: Flags.string({ description: 'output of vradmin -g <dg> -l repstatus <rvg>; repeatable', multiple: true, default: [] }),
    printvol: Flags.string({ description: 'output of vradmin -g <dg> printvol <rvg>; repeatable', multiple: true, default: [] }),
    hastatus: Flags.string({ description: 'output of hastatus -sum, one per cluster; repeatable', multiple: true, default: [] }),
    arbitrator: Flags.string({ description: 'address of the booth arbitrator (a third location) for a global cluster' }),
    'link-rate': Flags.string({ description: 'rate of the replication link for the initial sync estimate, e.g. 1Gbit, 200Mbit, 50MB/s (default: VVR\'s bandwidth_limit)' }),
    out: Flags.string({ description: 'directory to write the results into (created if missing)', required: true }),
  };

  async run(): Promise<MigrateSummary> {
    const { flags } = await this.parse(MigrateVcs);
    const summary = migrateVcs({
      mainCf: flags['main-cf'], types: flags.types, vxprint: flags.vxprint, printrvg: flags.printrvg, repstatus: flags.repstatus,
      printvol: flags.printvol, hastatus: flags.hastatus, out: flags.out,
      ...(flags.arbitrator ? { arbitrator: flags.arbitrator } : {}),
      ...(flags['link-rate'] ? { linkRate: parseLinkRate(flags['link-rate']) } : {}),
    }, (line) => process.stderr.write(`${line}\n`));
    for (const p of summary.pacemaker) this.say(`cluster ${p.cluster}: ${p.primitives} primitive(s), ${p.constraints} constraint(s) in ${p.dir === '.' ? '' : p.dir}pcs.sh, crm.txt, cib.xml`);
    this.say(`${summary.tandemResources.length} replicated resource(s)`);
    for (const t of summary.tandemResources) this.say(`  ${t.name}.ini  RVG ${t.rvg}, protocol ${t.protocol}${t.connections.map((c) => `, ${c.nodes.join('-')} ${c.protocol}`).join('')}, ${t.volumes} volume(s), nodes ${t.nodes.join(' ')} (Primary ${t.primary}), clone ${t.clone}`);
    this.say(`wrote ${summary.files.join(', ')} to ${summary.out}`);
    this.say(`${summary.warnings.length} warning(s); read report.md before the cut-over`);
    for (const w of summary.warnings) this.say(`  warning [${w.code}] ${w.subject}: ${w.message}`);
    return summary;
  }
}
