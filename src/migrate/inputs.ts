// Read every input of `migrate vcs` and check that they belong together: one main.cf per VCS
// cluster (site), and reports about those clusters' RVGs and systems. A report about an RVG or
// systems no main.cf has is refused: mapped, it would describe a cluster that is not the one
// being migrated.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { TandemError } from '../lib/errors.js';
import { loadVcs } from './vcs/load.js';
import { scalarAttr } from './vcs/model.js';
import { parseVxprintRlinks } from './vvr/vxprint.js';
import { parsePrintRvg } from './vvr/printrvg.js';
import { parseRepStatus } from './vvr/repstatus.js';
import { parsePrintVol, printVolRvg } from './vvr/printvol.js';
import { parseHaStatus, type HaStatus } from './vvr/hastatus.js';
import type { MigrationInputs } from './map/index.js';
import type { Site } from './map/topology.js';
import { systemList } from './map/groups.js';
import type { Warnings } from './warnings.js';

export interface InputFiles {
  mainCf: string[];
  types: string[];
  vxprint: string[];
  printrvg: string[];
  repstatus: string[];
  printvol: string[];
  hastatus: string[];
  arbitrator?: string;
  linkRate?: number;
}

const mismatch = (message: string, hint: string, file: string): TandemError => new TandemError('TANDEM_E_USAGE', message, { hint, details: { file } });

export function readInputs(opts: InputFiles, warnings: Warnings, step: (what: string, file: string) => void): MigrationInputs {
  const sites = opts.mainCf.map((file) => loadSite(file, opts.types, warnings));
  for (const s of sites) step(`parsed ${basename(s.mainCf)} and ${s.vcs.files.length - 1} types file(s)`, s.mainCf);
  const names = sites.map((s) => s.cluster);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw mismatch(`two main.cf files describe cluster ${dup}`, 'give one main.cf per VCS cluster (site); a file without a cluster line counts as cluster "migrated"', sites.find((s) => s.cluster === dup)!.mainCf);
  const inputs: MigrationInputs = {
    sites, vxprint: [], printrvg: [], repstatus: [], printvol: [], ignored: [],
    files: sites.flatMap((s) => s.vcs.files),
    ...(opts.arbitrator ? { arbitrator: opts.arbitrator } : {}),
    ...(opts.linkRate !== undefined ? { linkRate: opts.linkRate } : {}),
  };
  const rvgs = new Set(sites.flatMap((s) => s.vcs.config.groups.flatMap((g) => g.resources.filter((r) => r.type === 'RVG').map((r) => scalarAttr(r.attrs, 'RVG') ?? r.name))));
  const known = (rvg: string | undefined, file: string, what: string): void => {
    if (rvg !== undefined && !rvgs.has(rvg)) {
      throw mismatch(`${file}: ${what} is about RVG ${rvg}, which no main.cf given has (RVGs there: ${[...rvgs].join(', ') || 'none'})`, 'give the reports of the RVGs of these clusters, or add the main.cf of the cluster that has it', file);
    }
  };
  const read = <T extends { file: string }>(files: string[], parse: (text: string, file: string) => T & { ignored: MigrationInputs['ignored'][number]['lines'] }): T[] =>
    files.map((file) => {
      const r = parse(readInput(file), file);
      inputs.files.push(file);
      if (r.ignored.length > 0) inputs.ignored.push({ file, lines: r.ignored });
      step(`parsed ${basename(file)}`, file);
      return r;
    });
  for (const r of read(opts.vxprint, parseVxprintRlinks)) {
    for (const rl of r.rlinks) {
      if (rl.attrs.rvg !== undefined && !rvgs.has(rl.attrs.rvg)) warnings.add('report-input', `${r.file}: ${rl.name}`, `RLINK ${rl.name} belongs to RVG ${rl.attrs.rvg}, which no main.cf given has: not used`);
    }
    inputs.vxprint.push(...r.rlinks.filter((rl) => rl.attrs.rvg === undefined || rvgs.has(rl.attrs.rvg)));
  }
  for (const r of read(opts.printrvg, parsePrintRvg)) for (const p of r.sets) { known(p.rds, r.file, 'printrvg'); inputs.printrvg.push(p); }
  for (const r of read(opts.repstatus, parseRepStatus)) for (const s of r.sets) { known(s.rds, r.file, 'repstatus'); inputs.repstatus.push(s); }
  for (const r of read(opts.printvol, parsePrintVol)) for (const p of r.sets) { known(printVolRvg(p), r.file, 'printvol'); inputs.printvol.push(p); }
  for (const h of read(opts.hastatus, parseHaStatus)) attachHaStatus(sites, h);
  return inputs;
}

function loadSite(mainCf: string, types: string[], warnings: Warnings): Site {
  const vcs = loadVcs(mainCf, types, warnings);
  const { config } = vcs;
  const systems = config.systems.map((s) => s.name);
  for (const g of config.groups) for (const [n] of systemList(g, [])) if (!systems.includes(n)) systems.push(n);
  return { cluster: config.cluster?.name ?? 'migrated', mainCf, vcs, systems };
}

/** hastatus -sum lists the systems of one cluster: it belongs to the site that has them all. */
function attachHaStatus(sites: Site[], h: HaStatus): void {
  const systems = h.systems.map((s) => s.system);
  const site = sites.find((s) => systems.every((x) => s.systems.includes(x)));
  if (!site) {
    const unknown = systems.filter((x) => !sites.some((s) => s.systems.includes(x)));
    throw mismatch(`${h.file}: hastatus shows system(s) ${(unknown.length > 0 ? unknown : systems).join(', ')}, which ${unknown.length > 0 ? 'no main.cf given has' : 'are not all in one main.cf'} (systems: ${sites.map((s) => `${s.cluster}: ${s.systems.join(' ')}`).join('; ')})`,
      'give the hastatus -sum of the clusters being migrated, one file per cluster', h.file);
  }
  if (site.hastatus) throw mismatch(`${h.file}: a second hastatus for cluster ${site.cluster} (first: ${site.hastatus.file})`, 'give one hastatus -sum per cluster', h.file);
  site.hastatus = h;
}

function readInput(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new TandemError('TANDEM_E_NOT_FOUND', `cannot read ${file}: ${(err as Error).message}`, { hint: 'check the path given on the command line' });
  }
}
