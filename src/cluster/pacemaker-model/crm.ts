// A PacemakerConfig as a crmsh script: `crm configure load update FILE` commits it as one change.
import { agentSpec, topLevel, type Constraint, type Expression, type PacemakerConfig, type Primitive } from './model.js';
import { crmKv } from './quote.js';

function primitiveLines(p: Primitive): string {
  const agent = p.agent.class === 'stonith' ? `stonith:${p.agent.type}` : agentSpec(p.agent);
  const parts = [`primitive ${p.id} ${agent}`];
  if (p.params.length > 0) parts.push(`params ${p.params.map(([k, v]) => crmKv(k, v)).join(' ')}`);
  if (p.meta.length > 0) parts.push(`meta ${p.meta.map(([k, v]) => crmKv(k, v)).join(' ')}`);
  for (const o of p.ops) {
    parts.push(`op ${o.name} interval=${o.intervalSec}s timeout=${o.timeoutSec}s${o.role ? ` role=${o.role}` : ''}${o.onFail ? ` on-fail=${o.onFail}` : ''}`);
  }
  return parts.join(' \\\n\t');
}

function expressionText(expressions: Expression[], op: 'and' | 'or'): string {
  return expressions.map((e) => (e.value === undefined ? `${e.operation} ${e.attribute}` : `${e.attribute} ${e.operation} ${e.value}`)).join(` ${op} `);
}

function constraintLine(c: Constraint): string {
  switch (c.kind) {
    case 'location': return `location ${c.id} ${c.rsc} ${c.score}: ${c.node}`;
    case 'location-rule': return `location ${c.id} ${c.rsc} rule $id=${c.id}-rule${c.role ? ` $role=${c.role}` : ''} ${c.score}: ${expressionText(c.expressions, c.booleanOp)}`;
    case 'colocation': return `colocation ${c.id} ${c.score}: ${c.rsc} ${c.withRsc}${c.withRole ? `:${c.withRole}` : ''}`;
    case 'order': return `order ${c.id} ${c.orderKind}: ${c.first}:${c.firstAction} ${c.then}:${c.thenAction}`;
    case 'ticket': return `rsc_ticket ${c.id} ${c.ticket}: ${c.rsc}${c.role ? `:${c.role}` : ''} loss-policy=${c.lossPolicy}`;
  }
}

export function renderCrm(cfg: PacemakerConfig, title: string[]): string {
  const out = [...title.map((l) => `# ${l}`), '# Load it in one step with: crm configure load update THIS-FILE'];
  if (cfg.properties.length > 0) out.push(`property cib-bootstrap-options: ${cfg.properties.map(([k, v]) => crmKv(k, v)).join(' ')}`);
  if (cfg.rscDefaults.length > 0) out.push(`rsc_defaults rsc-options: ${cfg.rscDefaults.map(([k, v]) => crmKv(k, v)).join(' ')}`);
  const byId = new Map(cfg.primitives.map((p) => [p.id, p]));
  for (const t of topLevel(cfg)) {
    const g = t.group;
    const members = g ? g.members.map((m) => byId.get(m)!) : [t.primitive];
    for (const p of members) out.push(...(p.comment ? [`# ${p.comment}`] : []), primitiveLines(p));
    if (g) out.push(`group ${g.id} ${g.members.join(' ')}${g.meta.length > 0 ? ` \\\n\tmeta ${g.meta.map(([k, v]) => crmKv(k, v)).join(' ')}` : ''}`);
    if (t.clone) out.push(`clone ${t.clone.id} ${t.clone.child}${t.clone.meta.length > 0 ? ` \\\n\tmeta ${t.clone.meta.map(([k, v]) => crmKv(k, v)).join(' ')}` : ''}`);
  }
  out.push(...cfg.constraints.map(constraintLine));
  return `${out.join('\n')}\n`;
}
