// The same configuration as a crmsh script: `crm configure load update crm.txt`.
import type { Constraint, MigrationPlan, Primitive } from '../map/plan.js';
import { crmKv } from '../../cluster/pacemaker-model/quote.js';

function primitiveLine(p: Primitive): string {
  const agent = p.class === 'stonith' ? `stonith:${p.type}` : `${p.class}:${p.provider ? `${p.provider}:` : ''}${p.type}`;
  const parts = [`primitive ${p.id} ${agent}`];
  if (p.params.length > 0) parts.push(`params ${p.params.map(([k, v]) => crmKv(k, v)).join(' ')}`);
  if (p.meta.length > 0) parts.push(`meta ${p.meta.map(([k, v]) => crmKv(k, v)).join(' ')}`);
  for (const o of p.ops) parts.push(`op ${o.name} interval=${o.interval} timeout=${o.timeout}${o.role ? ` role=${o.role}` : ''}`);
  return parts.join(' \\\n\t');
}

function constraintLine(c: Constraint): string {
  switch (c.kind) {
    case 'location': return `location ${c.id} ${c.rsc} ${c.score}: ${c.node}`;
    case 'colocation': return `colocation ${c.id} ${c.score}: ${c.rsc} ${c.withRsc}${c.withRole ? `:${c.withRole}` : ''}`;
    case 'order': return `order ${c.id} ${c.orderKind}: ${c.first}:${c.firstAction} ${c.then}:${c.thenAction}`;
    case 'ticket': return `rsc_ticket ${c.id} ${c.ticket}: ${c.rsc}${c.role ? `:${c.role}` : ''} loss-policy=${c.lossPolicy}`;
  }
}

export function emitCrm(plan: MigrationPlan): string {
  const cfg = plan.pcmk;
  const out = [
    `# Pacemaker configuration for VCS cluster ${plan.cluster}, written by tandem migrate vcs.`,
    '# Review report.md first, then: crm configure load update crm.txt',
  ];
  if (cfg.properties.length > 0) out.push(`property cib-bootstrap-options: ${cfg.properties.map(([k, v]) => crmKv(k, v)).join(' ')}`);
  if (cfg.rscDefaults.length > 0) out.push(`rsc_defaults rsc-options: ${cfg.rscDefaults.map(([k, v]) => crmKv(k, v)).join(' ')}`);
  for (const p of cfg.primitives) out.push(`# ${p.source}`, primitiveLine(p));
  for (const g of cfg.groups) out.push(`group ${g.id} ${g.members.join(' ')}${g.meta.length > 0 ? ` meta ${g.meta.map(([k, v]) => crmKv(k, v)).join(' ')}` : ''}`);
  for (const c of cfg.clones) out.push(`clone ${c.id} ${c.child} meta ${c.meta.map(([k, v]) => crmKv(k, v)).join(' ')}`);
  for (const c of cfg.constraints) out.push(constraintLine(c));
  return `${out.join('\n')}\n`;
}
