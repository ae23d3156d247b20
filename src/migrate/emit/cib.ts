// The CIB XML (configuration section plus an empty status), built with xml2js's Builder from
// the plan. It must pass crm_verify; the pcs and crm scripts produce the same configuration.
import xml2js from 'xml2js';
import type { Constraint, NvPairs, PcmkConfig, Primitive } from '../map/plan.js';

/** The newest feature set the local Pacemaker (2.1.5) accepts in simulation. */
const FEATURE_SET = '3.16.1';
const SCHEMA = 'pacemaker-3.9';

type XmlNode = Record<string, unknown>;

function nvset(tag: string, id: string, pairs: NvPairs): XmlNode | undefined {
  if (pairs.length === 0) return undefined;
  return { [tag]: { $: { id }, nvpair: pairs.map(([name, value]) => ({ $: { id: `${id}-${name}`, name, value } })) } };
}

function primitiveXml(p: Primitive): XmlNode {
  const attrs: Record<string, string> = { id: p.id, class: p.class, type: p.type };
  if (p.provider) attrs.provider = p.provider;
  return {
    $: attrs,
    ...nvset('instance_attributes', `${p.id}-instance_attributes`, p.params),
    ...nvset('meta_attributes', `${p.id}-meta_attributes`, p.meta),
    operations: { op: p.ops.map((o) => ({ $: { id: `${p.id}-${o.name}-interval-${o.interval}${o.role ? `-${o.role}` : ''}`, name: o.name, interval: o.interval, timeout: o.timeout, ...(o.role ? { role: o.role } : {}) } })) },
  };
}

function resourcesXml(cfg: PcmkConfig): XmlNode {
  const byId = new Map(cfg.primitives.map((p) => [p.id, p]));
  const grouped = new Set(cfg.groups.flatMap((g) => g.members));
  const groupXml = (id: string): XmlNode => {
    const g = cfg.groups.find((x) => x.id === id)!;
    return { $: { id }, primitive: g.members.map((m) => primitiveXml(byId.get(m)!)), ...nvset('meta_attributes', `${id}-meta_attributes`, g.meta) };
  };
  const cloned = new Set(cfg.clones.map((c) => c.child));
  const out: { primitive: XmlNode[]; group: XmlNode[]; clone: XmlNode[] } = { primitive: [], group: [], clone: [] };
  for (const p of cfg.primitives) if (!grouped.has(p.id) && !cloned.has(p.id)) out.primitive.push(primitiveXml(p));
  for (const g of cfg.groups) if (!cloned.has(g.id)) out.group.push(groupXml(g.id));
  for (const c of cfg.clones) {
    const child = byId.has(c.child) ? { primitive: primitiveXml(byId.get(c.child)!) } : { group: groupXml(c.child) };
    out.clone.push({ $: { id: c.id }, ...child, ...nvset('meta_attributes', `${c.id}-meta_attributes`, c.meta) });
  }
  return out;
}

function constraintXml(c: Constraint): [string, XmlNode] {
  switch (c.kind) {
    case 'location': return ['rsc_location', { $: { id: c.id, rsc: c.rsc, node: c.node, score: c.score } }];
    case 'colocation': return ['rsc_colocation', { $: { id: c.id, rsc: c.rsc, 'with-rsc': c.withRsc, score: c.score, ...(c.withRole ? { 'with-rsc-role': c.withRole } : {}) } }];
    case 'order': return ['rsc_order', { $: { id: c.id, first: c.first, 'first-action': c.firstAction, then: c.then, 'then-action': c.thenAction, kind: c.orderKind } }];
    case 'ticket': return ['rsc_ticket', { $: { id: c.id, ticket: c.ticket, rsc: c.rsc, ...(c.role ? { 'rsc-role': c.role } : {}), 'loss-policy': c.lossPolicy } }];
  }
}

export function emitCib(cfg: PcmkConfig): string {
  const constraints: Record<string, XmlNode[]> = {};
  for (const c of cfg.constraints) {
    const [tag, node] = constraintXml(c);
    (constraints[tag] ??= []).push(node);
  }
  const cib = {
    cib: {
      $: { crm_feature_set: FEATURE_SET, 'validate-with': SCHEMA, epoch: '1', num_updates: '0', admin_epoch: '0' },
      configuration: {
        crm_config: nvset('cluster_property_set', 'cib-bootstrap-options', cfg.properties) ?? {},
        // nodes join from corosync; listing them here without status would mark them unclean
        nodes: {},
        resources: resourcesXml(cfg),
        constraints,
        rsc_defaults: nvset('meta_attributes', 'rsc-options', cfg.rscDefaults) ?? {},
      },
      status: {},
    },
  };
  return new xml2js.Builder({ headless: true, renderOpts: { pretty: true, indent: '  ', newline: '\n' } }).buildObject(cib) + '\n';
}
