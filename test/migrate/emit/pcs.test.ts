// The pcs scripts migrate vcs writes, run by pcs against CIB files (`sh pcs.sh FILE`, every
// command a `pcs -f FILE`): each builds exactly the configuration of the CIB output. pcs takes a
// second or two per command, so the sites run side by side (the two-site scripts are run by
// test/cli/migrate/two-site.test.ts).
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { execa } from 'execa';
import { planFor, ONE_CLUSTER_REPORTS, site } from '../helpers.js';
import { renderCib } from '../../../src/cluster/pacemaker-model/cib.js';
import { renderPcs } from '../../../src/cluster/pacemaker-model/pcs.js';
import type { SitePlan } from '../../../src/migrate/map/plan.js';
import { scratch } from '../../cluster/pcmk-tools.js';
import { normalize } from './simulation.js';

const s = scratch('migrate-pcs');
t.teardown(() => s.remove());

const SITES: [string, SitePlan][] = [
  ['one-cluster', site(planFor('one-cluster/main.cf', ONE_CLUSTER_REPORTS))],
  ['corners', site(planFor('corners/main.cf'))],
];

async function applyPcs(name: string, sp: SitePlan): Promise<{ exitCode: number | undefined; stderr: string; target: string; cib: string }> {
  writeFileSync(s.file(`${name}-cib.xml`), renderCib(sp.pcmk, []));
  writeFileSync(s.file(`${name}-pcs.sh`), renderPcs(sp.pcmk, []));
  writeFileSync(s.file(`${name}-target.xml`), (await execa('cibadmin', ['--empty'])).stdout);
  const r = await execa('sh', [s.file(`${name}-pcs.sh`), s.file(`${name}-target.xml`)], { reject: false, env: s.env, timeout: 280_000 });
  return { exitCode: r.exitCode, stderr: String(r.stderr), target: s.file(`${name}-target.xml`), cib: s.file(`${name}-cib.xml`) };
}

const runs = Promise.all(SITES.map(([name, sp]) => applyPcs(name, sp)));

SITES.forEach(([name], i) => {
  t.test(`${name}: the pcs script on an empty CIB file (pcs -f) builds the same configuration`, async (t) => {
    const r = (await runs)[i];
    t.equal(r.exitCode, 0, r.stderr);
    t.notMatch(r.stderr, /Deprecation|^Error:/m, 'no pcs syntax that pcs itself calls deprecated');
    t.same(await normalize(r.target), await normalize(r.cib));
    t.equal((await execa('crm_verify', ['-x', r.target], { reject: false, env: s.env })).exitCode, 0);
  });
});
