// Shared by the migration tests: run the mapping on a fixture with chosen reports.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadVcs } from '../../src/migrate/vcs/load.js';
import { mapVcs, type MigrationInputs } from '../../src/migrate/map/index.js';
import { Warnings } from '../../src/migrate/warnings.js';
import { parseVxprintRlinks } from '../../src/migrate/vvr/vxprint.js';
import { parsePrintVol } from '../../src/migrate/vvr/printvol.js';
import { parseRepStatus } from '../../src/migrate/vvr/repstatus.js';
import { parsePrintRvg } from '../../src/migrate/vvr/printrvg.js';
import { parseHaStatus } from '../../src/migrate/vvr/hastatus.js';
import type { MigrationPlan } from '../../src/migrate/map/plan.js';

export const FIX = fileURLToPath(new URL('../fixtures/migrate/', import.meta.url));

const read = (name: string): string => readFileSync(`${FIX}reports/${name}`, 'utf8');

export type ReportName = 'vxprint' | 'printvol' | 'repstatus' | 'printrvg' | 'hastatus';

export const ALL_REPORTS: ReportName[] = ['vxprint', 'printvol', 'repstatus', 'printrvg', 'hastatus'];

/** Map a main.cf file (path under fixtures) with the named reports of fixtures/migrate/reports. */
export function planFor(mainCf: string, reports: ReportName[] = []): MigrationPlan {
  const warnings = new Warnings();
  const vcs = loadVcs(mainCf.startsWith('/') ? mainCf : FIX + mainCf, [], warnings);
  const inputs: MigrationInputs = { vcs, files: vcs.files };
  if (reports.includes('vxprint')) inputs.vxprint = parseVxprintRlinks(read('vxprint-Pl.txt'), 'vxprint-Pl.txt');
  if (reports.includes('printvol')) inputs.printvol = parsePrintVol(read('printvol.txt'), 'printvol.txt');
  if (reports.includes('repstatus')) inputs.repstatus = parseRepStatus(read('repstatus.txt'), 'repstatus.txt');
  if (reports.includes('printrvg')) inputs.printrvg = parsePrintRvg(read('printrvg-l.txt'), 'printrvg-l.txt');
  if (reports.includes('hastatus')) inputs.hastatus = parseHaStatus(read('hastatus-sum.txt'), 'hastatus-sum.txt');
  return mapVcs(inputs, warnings);
}
