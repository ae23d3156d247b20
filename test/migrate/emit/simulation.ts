// Turning a generated CIB into the CIB of a running cluster for crm_simulate (nodes online with
// quorum, node attributes such as the promotion score an agent would publish), and reading back
// where things run. Also: the configuration of a CIB file as comparable data.
import { readFileSync, writeFileSync } from 'node:fs';
import xml2js from 'xml2js';

type X = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** `attrs[node]` are transient node attributes (master-<rsc> promotion scores, ethmonitor-…). */
export async function runningCib(generated: string, nodes: string[], attrs: Record<string, Record<string, string>>, file: string): Promise<string> {
  const doc = await xml2js.parseStringPromise(generated);
  doc.cib.$['have-quorum'] = '1';
  doc.cib.$['crm_feature_set'] = '3.16.1';
  const conf = doc.cib.configuration[0];
  conf.nodes = [{ node: nodes.map((n, i) => ({ $: { id: String(i + 1), uname: n } })) }];
  doc.cib.status = [{
    node_state: nodes.map((n, i) => ({
      $: { id: String(i + 1), uname: n, in_ccm: 'true', crmd: 'online', join: 'member', expected: 'member' },
      transient_attributes: [{ $: { id: String(i + 1) }, instance_attributes: [{ $: { id: `status-${i + 1}` }, nvpair: Object.entries(attrs[n] ?? {}).map(([k, v]) => ({ $: { id: `status-${i + 1}-${k}`, name: k, value: v } })) }] }],
      lrm: [{ $: { id: String(i + 1) }, lrm_resources: [''] }],
    })),
  }];
  writeFileSync(file, new xml2js.Builder().buildObject(doc));
  return file;
}

/** The configuration's meaning: ids of generated sub-elements (nvpairs, ops, rule parts) left out. */
export async function normalize(file: string): Promise<X> {
  const doc = await xml2js.parseStringPromise(readFileSync(file, 'utf8'));
  const conf = doc.cib.configuration[0];
  const pairs = (sets: X[] | undefined): string[] => (sets ?? []).flatMap((s) => (s.nvpair ?? []).map((n: X) => `${n.$.name}=${n.$.value}`)).sort();
  const out: X = { primitives: {}, groups: {}, clones: {}, constraints: [] as string[] };
  const primitive = (p: X, parent: string): void => {
    out.primitives[p.$.id] = {
      agent: `${p.$.class}:${p.$.provider ?? ''}:${p.$.type}`, parent,
      params: pairs(p.instance_attributes), meta: pairs(p.meta_attributes),
      ops: (p.operations?.[0]?.op ?? []).map((o: X) => `${o.$.name}/${parseInt(o.$.interval, 10)}/${o.$.timeout}/${o.$.role ?? ''}/${o.$['on-fail'] ?? ''}`).sort(),
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
      const rules = (c.rule ?? []).map((r: X) => `rule(${['score', 'role', 'boolean-op'].filter((k) => r.$[k]).map((k) => `${k}=${r.$[k]}`).join(' ')}: ${(r.expression ?? []).map((e: X) => `${e.$.attribute} ${e.$.operation}${e.$.value === undefined ? '' : ` ${e.$.value}`}`).join(', ')})`);
      out.constraints.push(`${tag} ${Object.keys(a).sort().map((k) => `${k}=${a[k]}`).join(' ')} ${rules.join(' ')}`.trim());
    }
  }
  out.constraints.sort();
  out.properties = pairs(conf.crm_config?.[0]?.cluster_property_set);
  out.rscDefaults = pairs(conf.rsc_defaults?.[0]?.meta_attributes);
  return out;
}
