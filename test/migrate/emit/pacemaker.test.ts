// The generated Pacemaker configuration checked with the real tools: crm_verify, pcs -f, crmsh
// against a CIB file, and crm_simulate for the behaviour (application follows the promotion).
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import xml2js from 'xml2js';
import { planFor, ALL_REPORTS } from '../helpers.js';
import { emitCib } from '../../../src/migrate/emit/cib.js';
import { emitPcs } from '../../../src/migrate/emit/pcs.js';
import { emitCrm } from '../../../src/migrate/emit/crm.js';
import type { MigrationPlan } from '../../../src/migrate/map/plan.js';

const tmp = mkdtempSync(join(tmpdir(), 'tandem-migrate-pcmk-'));
t.teardown(() => rmSync(tmp, { recursive: true, force: true }));
const env = { CIB_shadow_dir: tmp };

type X = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Configuration as comparable data: ids of generated sub-elements (nvpairs, ops) ignored. */
async function normalize(file: string): Promise<X> {
  const doc = await xml2js.parseStringPromise(readFileSync(file, 'utf8'));
  const conf = doc.cib.configuration[0];
  const pairs = (sets: X[] | undefined): string[] => (sets ?? []).flatMap((s) => (s.nvpair ?? []).map((n: X) => `${n.$.name}=${n.$.value}`)).sort();
  const out: X = { primitives: {}, groups: {}, clones: {}, constraints: [] as string[] };
  const primitive = (p: X, parent: string): void => {
    out.primitives[p.$.id] = {
      agent: `${p.$.class}:${p.$.provider ?? ''}:${p.$.type}`, parent,
      params: pairs(p.instance_attributes), meta: pairs(p.meta_attributes),
      ops: (p.operations?.[0]?.op ?? []).map((o: X) => `${o.$.name}/${o.$.interval}/${o.$.timeout}/${o.$.role ?? ''}`).sort(),
    };
  };
  const group = (g: X, parent: string): void => {
    out.groups[g.$.id] = { parent, members: (g.primitive ?? []).map((p: X) => p.$.id), meta: pairs(g.meta_attributes) };
    for (const p of g.primitive ?? []) primitive(p, g.$.id);
  };
  const res = conf.resources[0] || {};
  for (const p of res.primitive ?? []) primitive(p, '');
  for (const g of res.group ?? []) group(g, '');
  for (const c of res.clone ?? []) {
    out.clones[c.$.id] = pairs(c.meta_attributes);
    for (const p of c.primitive ?? []) primitive(p, c.$.id);
    for (const g of c.group ?? []) group(g, c.$.id);
  }
  const cons = conf.constraints[0] || {};
  for (const tag of Object.keys(cons)) {
    for (const c of cons[tag]) {
      const a = { ...c.$ };
      if (a['rsc-role'] === 'Started') delete a['rsc-role'];
      out.constraints.push(`${tag} ${Object.keys(a).sort().map((k) => `${k}=${a[k]}`).join(' ')}`);
    }
  }
  out.constraints.sort();
  out.properties = pairs(conf.crm_config?.[0]?.cluster_property_set);
  out.rscDefaults = pairs(conf.rsc_defaults?.[0]?.meta_attributes);
  return out;
}

function write(name: string, text: string): string {
  const path = join(tmp, name);
  writeFileSync(path, text);
  return path;
}

async function emptyCib(name: string): Promise<string> {
  const { stdout } = await execa('cibadmin', ['--empty']);
  return write(name, stdout);
}

const PLANS: [string, MigrationPlan][] = [
  ['two-site', planFor('two-site/main.cf', ALL_REPORTS)],
  ['corners', planFor('corners/main.cf')],
];

for (const [name, plan] of PLANS) {
  t.test(`${name}: the CIB passes crm_verify`, async (t) => {
    const cib = write(`${name}-cib.xml`, emitCib(plan.pcmk));
    const r = await execa('crm_verify', ['-x', cib, '-V'], { reject: false, env });
    t.equal(r.exitCode, 0, `${r.stdout}${r.stderr}`);
  });

  t.test(`${name}: pcs -f on an empty CIB builds the same configuration`, async (t) => {
    const cib = write(`${name}-cib.xml`, emitCib(plan.pcmk));
    const script = write(`${name}-pcs.sh`, emitPcs(plan));
    const target = await emptyCib(`${name}-pcs-cib.xml`);
    const r = await execa('sh', [script, target], { reject: false, env });
    t.equal(r.exitCode, 0, r.stderr);
    t.notMatch(r.stderr, /Deprecation|^Error:/m, 'no pcs syntax that pcs itself calls deprecated');
    t.same(await normalize(target), await normalize(cib));
    t.equal((await execa('crm_verify', ['-x', target], { reject: false, env })).exitCode, 0);
  });

  t.test(`${name}: crm configure load on an empty CIB builds the same configuration`, async (t) => {
    const cib = write(`${name}-cib.xml`, emitCib(plan.pcmk));
    const script = write(`${name}-crm.txt`, emitCrm(plan));
    const target = await emptyCib(`${name}-crm-cib.xml`);
    const r = await execa('crm', ['-F', 'configure', 'load', 'update', script], { reject: false, env: { ...env, CIB_file: target } });
    t.equal(r.exitCode, 0, r.stderr);
    t.same(await normalize(target), await normalize(cib));
  });
}

t.test('a malformed configuration is caught by crm_verify (the check can fail)', async (t) => {
  const plan = planFor('two-site/main.cf', ALL_REPORTS);
  const broken = structuredClone(plan.pcmk);
  broken.constraints.push({ kind: 'colocation', id: 'dangling', rsc: 'ledger_app', withRsc: 'no-such-resource', score: 'INFINITY' });
  const r = await execa('crm_verify', ['-x', write('broken.xml', emitCib(broken))], { reject: false, env });
  t.not(r.exitCode, 0);
});

/** Nodes online with quorum and promotion preferences, so the scheduler can place things. */
async function simulationCib(plan: MigrationPlan): Promise<string> {
  const doc = await xml2js.parseStringPromise(emitCib(plan.pcmk));
  doc.cib.$['have-quorum'] = '1';
  const conf = doc.cib.configuration[0];
  conf.nodes = [{ node: plan.pcmk.nodes.map((n, i) => ({ $: { id: String(i + 1), uname: n } })) }];
  doc.cib.status = [{ node_state: plan.pcmk.nodes.map((n, i) => ({ $: { id: String(i + 1), uname: n, in_ccm: 'true', crmd: 'online', join: 'member', expected: 'member' }, lrm: [{ $: { id: String(i + 1) }, lrm_resources: [''] }] })) }];
  // the agent would set promotion scores; the test gives alpha the higher one
  const clone = plan.tandem[0].cloneId;
  const cons = conf.constraints[0] === '' ? (conf.constraints[0] = {}) : conf.constraints[0];
  cons.rsc_location = [...(cons.rsc_location ?? []), ...[['alpha', '100'], ['bravo', '50']].map(([node, score]) => ({
    $: { id: `test-promote-${node}`, rsc: clone },
    rule: [{ $: { id: `test-promote-${node}-rule`, role: 'Promoted', score }, expression: [{ $: { id: `test-promote-${node}-expr`, attribute: '#uname', operation: 'eq', value: node } }] }],
  }))];
  return write('sim.xml', new xml2js.Builder().buildObject(doc));
}

/** Where crm_mon says each resource instance runs, and in which role. */
async function placement(cib: string): Promise<Map<string, { role: string; node: string }[]>> {
  const { stdout } = await execa('crm_mon', ['-1', '--output-as=xml', '-x', cib], { env });
  const doc = await xml2js.parseStringPromise(stdout);
  const out = new Map<string, { role: string; node: string }[]>();
  const visit = (r: X): void => {
    if (r.resource) for (const x of r.resource) visit(x);
    if (r.clone) for (const x of r.clone) visit(x);
    if (r.group) for (const x of r.group) visit(x);
    if (r.$?.role && r.$.id && r.node) {
      const list = out.get(r.$.id) ?? [];
      list.push({ role: r.$.role, node: r.node[0].$.name });
      out.set(r.$.id, list);
    }
  };
  visit(doc['pacemaker-result'].resources[0]);
  return out;
}

t.test('crm_simulate: the application group runs where the replica is promoted, and moves with it', async (t) => {
  const plan = planFor('two-site/main.cf', ALL_REPORTS);
  const sim = await simulationCib(plan);
  const settled = join(tmp, 'settled.xml');
  const first = await execa('crm_simulate', ['-x', sim, '-S', '-O', settled], { env });
  t.match(first.stdout, /Promote\s+ledger_rvg_res:\d\s+\(\s*Stopped -> Promoted alpha\s*\)/);
  let where = await placement(settled);
  t.same(where.get('ledger_rvg_res')?.find((x) => x.role === 'Promoted')?.node, 'alpha');
  for (const m of ['ledger_mnt', 'ledger_svc', 'ledger_svcip']) t.same(where.get(m), [{ role: 'Started', node: 'alpha' }], `${m} on the Promoted node`);

  const failed = join(tmp, 'failed.xml');
  const second = await execa('crm_simulate', ['-x', settled, '-S', '--node-fail', 'alpha', '-O', failed], { env });
  t.match(second.stdout, /(?:Promote|Restart)\s+ledger_rvg_res:\d\s+\(\s*Unpromoted -> Promoted bravo\s*\)/);
  where = await placement(failed);
  t.same(where.get('ledger_rvg_res')?.find((x) => x.role === 'Promoted')?.node, 'bravo');
  for (const m of ['ledger_mnt', 'ledger_svc', 'ledger_svcip']) t.same(where.get(m), [{ role: 'Started', node: 'bravo' }], `${m} followed the promotion`);
});
