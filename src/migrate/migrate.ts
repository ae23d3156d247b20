// `tandem migrate vcs` as a library call: read every input, map, write every output file, and
// return the summary the CLI prints (or prints as --json).
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { TandemError } from '../lib/errors.js';
import { loadVcs } from './vcs/load.js';
import { parseVxprintRlinks } from './vvr/vxprint.js';
import { parsePrintRvg } from './vvr/printrvg.js';
import { parseRepStatus } from './vvr/repstatus.js';
import { parsePrintVol } from './vvr/printvol.js';
import { parseHaStatus } from './vvr/hastatus.js';
import { mapVcs, type MigrationInputs } from './map/index.js';
import { emitIni } from './emit/ini.js';
import { emitCib } from './emit/cib.js';
import { emitPcs } from './emit/pcs.js';
import { emitCrm } from './emit/crm.js';
import { emitBooth } from './emit/booth.js';
import { emitReport } from './emit/report.js';
import { Progress } from './progress.js';
import { Warnings, type MigrationWarning } from './warnings.js';
import type { Mapping, MigrationPlan } from './map/plan.js';

export interface MigrateOptions {
  mainCf: string;
  types: string[];
  vxprint?: string;
  printrvg?: string;
  repstatus?: string;
  printvol?: string;
  hastatus?: string;
  out: string;
}

export interface MigrateSummary {
  cluster: string;
  out: string;
  files: string[];
  tandemResources: { name: string; rvg: string; protocol: string; volumes: number; nodes: string[]; clone: string }[];
  pacemaker: { primitives: number; groups: number; clones: number; constraints: number };
  mappings: Mapping[];
  warnings: MigrationWarning[];
}

export function migrateVcs(opts: MigrateOptions, log: (line: string) => void): MigrateSummary {
  const reportFiles = [opts.vxprint, opts.printrvg, opts.repstatus, opts.printvol, opts.hastatus].filter((f): f is string => f !== undefined);
  const progress = new Progress([opts.mainCf, ...opts.types, ...reportFiles].reduce((n, f) => n + sizeOf(f), 0), log);
  const warnings = new Warnings();
  const vcs = loadVcs(opts.mainCf, opts.types, warnings);
  progress.step(`parsed ${basename(opts.mainCf)} and ${vcs.files.length - 1} types file(s)`, vcs.files.reduce((n, f) => n + sizeOf(f), 0));
  const inputs: MigrationInputs = { vcs, files: [...vcs.files, ...reportFiles] };
  const report = <T>(file: string | undefined, parse: (text: string, file: string) => T): T | undefined => {
    if (file === undefined) return undefined;
    const value = parse(readInput(file), file);
    progress.step(`parsed ${basename(file)}`, sizeOf(file));
    return value;
  };
  inputs.vxprint = report(opts.vxprint, parseVxprintRlinks);
  inputs.printrvg = report(opts.printrvg, parsePrintRvg);
  inputs.repstatus = report(opts.repstatus, parseRepStatus);
  inputs.printvol = report(opts.printvol, parsePrintVol);
  inputs.hastatus = report(opts.hastatus, parseHaStatus);
  const plan = mapVcs(inputs, warnings);
  const files = writeOutputs(plan, opts.out);
  progress.step(`wrote ${files.length} files`, 0);
  return summarize(plan, opts.out, files);
}

function writeOutputs(plan: MigrationPlan, dir: string): string[] {
  // INI files get a directory of their own: `tandem config check --config-dir <out>/tandem`
  // reads every *.conf there, and booth.conf is not a resource file
  mkdirSync(join(dir, 'tandem'), { recursive: true });
  const files = new Map<string, string>();
  for (const t of plan.tandem) files.set(`tandem/${t.name}.ini`, emitIni(t));
  files.set('pcs.sh', emitPcs(plan));
  files.set('crm.txt', emitCrm(plan));
  files.set('cib.xml', emitCib(plan.pcmk));
  if (plan.booth) files.set('booth.conf', emitBooth(plan.booth));
  const names = [...files.keys(), 'report.md'];
  files.set('report.md', emitReport(plan, names));
  for (const [name, text] of files) {
    // INI files hold the replication secret: readable by root only
    writeFileSync(join(dir, name), text, { mode: name.endsWith('.ini') ? 0o600 : name.endsWith('.sh') ? 0o755 : 0o644 });
  }
  return names;
}

function summarize(plan: MigrationPlan, out: string, files: string[]): MigrateSummary {
  return {
    cluster: plan.cluster,
    out,
    files,
    tandemResources: plan.tandem.map((t) => ({ name: t.name, rvg: t.rvg, protocol: t.protocol, volumes: t.volumes.length, nodes: t.nodes.map((n) => n.name), clone: t.cloneId })),
    pacemaker: { primitives: plan.pcmk.primitives.length, groups: plan.pcmk.groups.length, clones: plan.pcmk.clones.length, constraints: plan.pcmk.constraints.length },
    mappings: plan.mappings,
    warnings: plan.warnings,
  };
}

function readInput(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new TandemError('TANDEM_E_NOT_FOUND', `cannot read ${file}: ${(err as Error).message}`, { hint: 'check the path given on the command line' });
  }
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}
