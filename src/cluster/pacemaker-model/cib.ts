// A PacemakerConfig as CIB XML: a whole <cib> with an empty status, which crm_verify checks and
// whose resources and constraints sections can be merged into a cluster with cibadmin.
import { esc } from '../xml.js';
import { topLevel, type Clone, type Constraint, type Group, type NvPairs, type PacemakerConfig, type Primitive } from './model.js';

/** Roles named Promoted/Unpromoted need schema 3.7 (Pacemaker 2.1); nothing here needs newer. */
export const CIB_SCHEMA = 'pacemaker-3.7';

interface XmlNode {
  name: string;
  attrs: Record<string, string | undefined>;
  children: XmlNode[];
}

const node = (name: string, attrs: XmlNode['attrs'], children: XmlNode[] = []): XmlNode => ({ name, attrs, children });

function render(n: XmlNode, indent: string): string[] {
  const attrs = Object.entries(n.attrs).filter(([, v]) => v !== undefined).map(([k, v]) => ` ${k}="${esc(v!)}"`).join('');
  if (n.children.length === 0) return [`${indent}<${n.name}${attrs}/>`];
  return [`${indent}<${n.name}${attrs}>`, ...n.children.flatMap((c) => render(c, `${indent}  `)), `${indent}</${n.name}>`];
}

function nvset(tag: string, id: string, pairs: NvPairs): XmlNode[] {
  if (pairs.length === 0) return [];
  return [node(tag, { id }, pairs.map(([name, value]) => node('nvpair', { id: `${id}-${name}`, name, value })))];
}

/** Op ids as pcs writes them (<rsc>-<op>-interval-<n>s), so the outputs stay comparable. */
function primitiveXml(p: Primitive): XmlNode {
  const ops = p.ops.map((o) => node('op', {
    id: `${p.id}-${o.name}-interval-${o.intervalSec}s${o.role ? `-${o.role}` : ''}`, name: o.name,
    interval: `${o.intervalSec}s`, timeout: `${o.timeoutSec}s`, role: o.role, 'on-fail': o.onFail,
  }));
  return node('primitive', { id: p.id, class: p.agent.class, provider: p.agent.provider, type: p.agent.type }, [
    ...nvset('instance_attributes', `${p.id}-instance_attributes`, p.params),
    ...nvset('meta_attributes', `${p.id}-meta_attributes`, p.meta),
    node('operations', {}, ops),
  ]);
}

function groupXml(g: Group, byId: Map<string, Primitive>): XmlNode {
  return node('group', { id: g.id }, [...g.members.map((m) => primitiveXml(byId.get(m)!)), ...nvset('meta_attributes', `${g.id}-meta_attributes`, g.meta)]);
}

function cloneXml(c: Clone, child: XmlNode): XmlNode {
  return node('clone', { id: c.id }, [child, ...nvset('meta_attributes', `${c.id}-meta_attributes`, c.meta)]);
}

export function resourcesXml(cfg: PacemakerConfig): XmlNode[] {
  const byId = new Map(cfg.primitives.map((p) => [p.id, p]));
  return topLevel(cfg).map((t) => {
    const inner = t.group ? groupXml(t.group, byId) : primitiveXml(t.primitive);
    return t.clone ? cloneXml(t.clone, inner) : inner;
  });
}

function constraintXml(c: Constraint): XmlNode {
  switch (c.kind) {
    case 'location': return node('rsc_location', { id: c.id, rsc: c.rsc, node: c.node, score: c.score });
    case 'location-rule': return node('rsc_location', { id: c.id, rsc: c.rsc }, [
      node('rule', { id: `${c.id}-rule`, role: c.role, score: c.score, 'boolean-op': c.booleanOp },
        c.expressions.map((e, i) => node('expression', { id: `${c.id}-rule-expr${i === 0 ? '' : `-${i}`}`, attribute: e.attribute, operation: e.operation, value: e.value }))),
    ]);
    case 'colocation': return node('rsc_colocation', { id: c.id, rsc: c.rsc, 'with-rsc': c.withRsc, 'with-rsc-role': c.withRole, score: c.score });
    case 'order': return node('rsc_order', { id: c.id, first: c.first, 'first-action': c.firstAction, then: c.then, 'then-action': c.thenAction, kind: c.orderKind });
    case 'ticket': return node('rsc_ticket', { id: c.id, ticket: c.ticket, rsc: c.rsc, 'rsc-role': c.role, 'loss-policy': c.lossPolicy });
  }
}

/** The whole CIB; `comment` lines go into a leading XML comment. */
export function renderCib(cfg: PacemakerConfig, comment: string[]): string {
  const cib = node('cib', { 'validate-with': CIB_SCHEMA, epoch: '1', num_updates: '0', admin_epoch: '0' }, [
    node('configuration', {}, [
      node('crm_config', {}, nvset('cluster_property_set', 'cib-bootstrap-options', cfg.properties)),
      // nodes join from corosync; listing them here without status would mark them unclean
      node('nodes', {}),
      node('resources', {}, resourcesXml(cfg)),
      node('constraints', {}, cfg.constraints.map(constraintXml)),
      node('rsc_defaults', {}, nvset('meta_attributes', 'rsc-options', cfg.rscDefaults)),
    ]),
    node('status', {}),
  ]);
  const header = comment.length === 0 ? [] : [`<!-- ${comment.map((l) => l.replace(/--/g, '- -')).join('\n     ')} -->`];
  return [...header, ...render(cib, '')].join('\n') + '\n';
}
