// `tandem migrate vcs` as a library call: read every input, map, write every output file, and
// return the summary the CLI prints (or prints as --json).
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { renderCib } from '../cluster/pacemaker-model/cib.js';
import { renderCrm } from '../cluster/pacemaker-model/crm.js';
import { renderPcs } from '../cluster/pacemaker-model/pcs.js';
import { readInputs, type InputFiles } from './inputs.js';
import { mapVcs } from './map/index.js';
import { emitIni } from './emit/ini.js';
import { emitBooth } from './emit/booth.js';
import { emitReport } from './emit/report.js';
import { Progress } from './progress.js';
import { Warnings, type MigrationWarning } from './warnings.js';
import { siteDir, type Mapping, type MigrationPlan } from './map/plan.js';

export interface MigrateOptions extends InputFiles {
  out: string;
}

export interface MigrateSummary {
  clusters: string[];
  out: string;
  files: string[];
  /** protocol: the resource's; connections: the pairs with a protocol of their own ([connection.<a>.<b>]) */
  tandemResources: { name: string; rvg: string; protocol: string; connections: { nodes: [string, string]; protocol: string }[]; volumes: number; nodes: string[]; primary: string; clone: string }[];
  pacemaker: { cluster: string; dir: string; primitives: number; groups: number; clones: number; constraints: number }[];
  mappings: Mapping[];
  warnings: MigrationWarning[];
}

export function migrateVcs(opts: MigrateOptions, log: (line: string) => void): MigrateSummary {
  const all = [...opts.mainCf, ...opts.types, ...opts.vxprint, ...opts.printrvg, ...opts.repstatus, ...opts.printvol, ...opts.hastatus];
  const progress = new Progress(all.reduce((n, f) => n + sizeOf(f), 0), log);
  const warnings = new Warnings();
  const inputs = readInputs(opts, warnings, (what, file) => progress.step(what, sizeOf(file)));
  const plan = mapVcs(inputs, warnings);
  const files = writeOutputs(plan, opts.out);
  progress.step(`wrote ${files.length} files`, 0);
  return summarize(plan, opts.out, files);
}

function writeOutputs(plan: MigrationPlan, dir: string): string[] {
  // INI files get a directory of their own: `tandem config check --config-dir <out>/tandem`
  // reads every *.ini there, and booth.conf is not a resource file
  const files = new Map<string, string>();
  for (const t of plan.tandem) files.set(`tandem/${t.name}.ini`, emitIni(t));
  for (const site of plan.sites) {
    const d = siteDir(plan, site);
    const title = [`Pacemaker configuration for VCS cluster ${site.cluster}, written by tandem migrate vcs.`, 'Review report.md first: placeholders are marked CHANGE-ME.'];
    files.set(`${d}pcs.sh`, renderPcs(site.pcmk, title));
    files.set(`${d}crm.txt`, renderCrm(site.pcmk, title));
    files.set(`${d}cib.xml`, renderCib(site.pcmk, title));
  }
  if (plan.booth) files.set('booth.conf', emitBooth(plan.booth));
  const names = [...files.keys(), 'report.md'];
  files.set('report.md', emitReport(plan, names));
  for (const [name, text] of files) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    // INI files hold the replication secret: readable by root only
    writeFileSync(join(dir, name), text, { mode: name.endsWith('.ini') ? 0o600 : name.endsWith('.sh') ? 0o755 : 0o644 });
  }
  return names;
}

function summarize(plan: MigrationPlan, out: string, files: string[]): MigrateSummary {
  return {
    clusters: plan.sites.map((s) => s.cluster),
    out,
    files,
    tandemResources: plan.tandem.map((t) => ({ name: t.name, rvg: t.rvg, protocol: t.protocol, connections: t.pairs, volumes: t.volumes.length, nodes: t.nodes.map((n) => n.name), primary: t.primary, clone: t.cloneId })),
    pacemaker: plan.sites.map((s) => ({ cluster: s.cluster, dir: siteDir(plan, s) || '.', primitives: s.pcmk.primitives.length, groups: s.pcmk.groups.length, clones: s.pcmk.clones.length, constraints: s.pcmk.constraints.length })),
    mappings: plan.mappings,
    warnings: plan.warnings,
  };
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}
