// Shared by the migration tests: run the mapping on fixture files, as the CLI reads them.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readInputs, type InputFiles } from '../../src/migrate/inputs.js';
import { mapVcs } from '../../src/migrate/map/index.js';
import { Warnings } from '../../src/migrate/warnings.js';
import type { MigrationPlan, SitePlan } from '../../src/migrate/map/plan.js';
import type { Constraint } from '../../src/cluster/pacemaker-model/model.js';

export const FIX = fileURLToPath(new URL('../fixtures/migrate/', import.meta.url));

const abs = (f: string): string => (f.startsWith('/') ? f : FIX + f);

/** Map main.cf file(s) (paths under fixtures/migrate or absolute) with the given reports. */
export function planFor(mainCf: string | string[], reports: Partial<Omit<InputFiles, 'mainCf'>> = {}): MigrationPlan {
  const warnings = new Warnings();
  const list = (k: 'types' | 'vxprint' | 'printrvg' | 'repstatus' | 'printvol' | 'hastatus'): string[] => (reports[k] ?? []).map(abs);
  const inputs = readInputs({
    mainCf: (Array.isArray(mainCf) ? mainCf : [mainCf]).map(abs),
    types: list('types'), vxprint: list('vxprint'), printrvg: list('printrvg'), repstatus: list('repstatus'), printvol: list('printvol'), hastatus: list('hastatus'),
    ...(reports.arbitrator ? { arbitrator: reports.arbitrator } : {}), ...(reports.linkRate ? { linkRate: reports.linkRate } : {}),
  }, warnings, () => undefined);
  return mapVcs(inputs, warnings);
}

/** Every report of the one-cluster fixture (a replicated data cluster: each node its own disks). */
export const ONE_CLUSTER_REPORTS = {
  vxprint: ['reports/vxprint-Pl.txt'], printvol: ['reports/printvol.txt'], repstatus: ['reports/repstatus.txt'],
  printrvg: ['reports/printrvg-l.txt'], hastatus: ['reports/hastatus-sum.txt'],
};

/** The two-site global cluster: New York (Primary) and London (DR), shared disks at each site. */
export const GCO_MAIN = ['gco/nyc/main.cf', 'gco/lon/main.cf'];
export const GCO_REPORTS = {
  vxprint: ['gco/nyc/vxprint-Pl.txt', 'gco/lon/vxprint-Pl.txt'], printvol: ['gco/printvol.txt'], repstatus: ['gco/nyc/repstatus.txt'],
  hastatus: ['gco/nyc/hastatus-sum.txt', 'gco/lon/hastatus-sum.txt'], arbitrator: '10.30.0.5',
};

export const codes = (plan: MigrationPlan): string[] => plan.warnings.map((w) => `${w.code} ${w.subject}`);

export function site(plan: MigrationPlan, cluster?: string): SitePlan {
  const s = cluster ? plan.sites.find((x) => x.cluster === cluster) : plan.sites[0];
  if (!s) throw new Error(`no site ${cluster}`);
  return s;
}

export function constraintsOf<K extends Constraint['kind']>(s: SitePlan, kind: K, pred: (c: Extract<Constraint, { kind: K }>) => boolean = () => true): Extract<Constraint, { kind: K }>[] {
  return s.pcmk.constraints.filter((c): c is Extract<Constraint, { kind: K }> => c.kind === kind).filter(pred);
}

/** A scratch directory for main.cf texts written by a test. */
export function scratchCf(prefix: string): { write(name: string, text: string): string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), `tandem-${prefix}-`));
  return {
    write(name, text) {
      const path = join(dir, name);
      writeFileSync(path, text);
      return path;
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
