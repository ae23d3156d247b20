import { Flags } from '@oclif/core';
import { TandemCommand } from '../../base.js';
import { migrateVcs, type MigrateSummary } from '../../../migrate/migrate.js';

export default class MigrateVcs extends TandemCommand {
  static override description = 'convert a Veritas VCS/VVR configuration into Tandem INI files, pcs/crm scripts, a CIB and a cut-over report';

  static override examples = [
    '<%= config.bin %> migrate vcs --main-cf main.cf --vxprint vxprint-Pl.txt --printvol printvol.txt --out ./migration',
    '<%= config.bin %> migrate vcs --main-cf main.cf --types VVRTypes.cf --repstatus repstatus.txt --out ./migration --json',
  ];

  static override flags = {
    'main-cf': Flags.string({ description: 'VCS main.cf (or a fragment of it)', required: true }),
    types: Flags.string({ description: 'extra types file (repeatable); included ones are read from main.cf\'s directory', multiple: true, default: [] }),
    vxprint: Flags.string({ description: 'output of vxprint -g <dg> -Pl (RLINK records)' }),
    printrvg: Flags.string({ description: 'output of vradmin -g <dg> [-l] printrvg' }),
    repstatus: Flags.string({ description: 'output of vradmin -g <dg> -l repstatus <rvg>' }),
    printvol: Flags.string({ description: 'output of vradmin -g <dg> printvol <rvg>' }),
    hastatus: Flags.string({ description: 'output of hastatus -sum' }),
    out: Flags.string({ description: 'directory to write the results into (created if missing)', required: true }),
  };

  async run(): Promise<MigrateSummary> {
    const { flags } = await this.parse(MigrateVcs);
    const summary = migrateVcs(
      { mainCf: flags['main-cf'], types: flags.types, vxprint: flags.vxprint, printrvg: flags.printrvg, repstatus: flags.repstatus, printvol: flags.printvol, hastatus: flags.hastatus, out: flags.out },
      (line) => process.stderr.write(`${line}\n`),
    );
    this.say(`cluster ${summary.cluster}: ${summary.tandemResources.length} replicated resource(s), ${summary.pacemaker.primitives} primitive(s), ${summary.pacemaker.constraints} constraint(s)`);
    for (const t of summary.tandemResources) this.say(`  ${t.name}.ini  RVG ${t.rvg}, protocol ${t.protocol}, ${t.volumes} volume(s), nodes ${t.nodes.join(' ')}, clone ${t.clone}`);
    this.say(`wrote ${summary.files.join(', ')} to ${summary.out}`);
    this.say(`${summary.warnings.length} warning(s); read report.md before the cut-over`);
    for (const w of summary.warnings) this.say(`  warning [${w.code}] ${w.subject}: ${w.message}`);
    return summary;
  }
}
