// A reviewable pcs script that builds the configuration in a CIB file (`pcs -f`) and pushes
// once, the pattern clufter's ccs2pcscmd uses. Equivalent to emit/cib.ts.
import type { Constraint, MigrationPlan, Op, Primitive } from '../map/plan.js';
import { sh, shKv } from '../../cluster/pacemaker-model/quote.js';

function ops(o: Op[]): string[] {
  return o.flatMap((x) => ['op', x.name, shKv('interval', x.interval), shKv('timeout', x.timeout), ...(x.role ? [shKv('role', x.role)] : [])]);
}

function createLine(p: Primitive, extra: string[]): string {
  const agent = p.class === 'stonith' ? p.type : `${p.class}:${p.provider ? `${p.provider}:` : ''}${p.type}`;
  const verb = p.class === 'stonith' ? 'stonith create' : 'resource create';
  const meta = p.meta.length > 0 ? ['meta', ...p.meta.map(([k, v]) => shKv(k, v))] : [];
  return ['pcs -f "$CIB"', verb, sh(p.id), sh(agent), ...p.params.map(([k, v]) => shKv(k, v)), ...meta, ...ops(p.ops), ...extra, '--no-default-ops', '--force'].join(' ');
}

/** pcs 0.11 wants `--` before positional arguments when a score is negative. */
const endOpts = (score: string): string => (score.startsWith('-') ? '-- ' : '');

function constraintLine(c: Constraint): string {
  switch (c.kind) {
    case 'location': return `pcs -f "$CIB" constraint location add ${endOpts(c.score)}${sh(c.id)} ${sh(c.rsc)} ${sh(c.node)} ${sh(c.score)}`;
    case 'colocation': return `pcs -f "$CIB" constraint colocation add ${endOpts(c.score)}${sh(c.rsc)} with ${c.withRole ? `${c.withRole} ` : ''}${sh(c.withRsc)} ${sh(c.score)} id=${sh(c.id)}`;
    case 'order': return `pcs -f "$CIB" constraint order ${c.firstAction} ${sh(c.first)} then ${c.thenAction} ${sh(c.then)} kind=${c.orderKind} id=${sh(c.id)}`;
    case 'ticket': return `pcs -f "$CIB" constraint ticket add ${sh(c.ticket)} ${c.role ? `${c.role} ` : ''}${sh(c.rsc)} loss-policy=${c.lossPolicy} id=${sh(c.id)}`;
  }
}

export function emitPcs(plan: MigrationPlan): string {
  const cfg = plan.pcmk;
  const out: string[] = [
    '#!/bin/sh',
    `# Pacemaker configuration for VCS cluster ${plan.cluster}, written by tandem migrate vcs.`,
    '# Usage: sh pcs.sh [cib-file]   (default: a copy of the live CIB taken with pcs cluster cib)',
    '# --force: agents such as ocf:tandem:replica may not be installed where this runs;',
    '# --no-default-ops: only the operations listed here, as in cib.xml.',
    '# Review report.md first (placeholders marked CHANGE-ME), then push with:',
    '#   pcs cluster cib-push "$CIB" --config',
    'set -eu',
    'CIB="${1:-tandem-migrate-cib.xml}"',
    '[ -e "$CIB" ] || pcs cluster cib "$CIB"',
    '',
    '# cluster properties and defaults (stickiness keeps VCS\'s "no automatic failback")',
  ];
  if (cfg.properties.length > 0) out.push(`pcs -f "$CIB" property set ${cfg.properties.map(([k, v]) => shKv(k, v)).join(' ')}`);
  if (cfg.rscDefaults.length > 0) out.push(`pcs -f "$CIB" resource defaults update ${cfg.rscDefaults.map(([k, v]) => shKv(k, v)).join(' ')}`);
  const byId = new Map(cfg.primitives.map((p) => [p.id, p]));
  const inGroup = new Set(cfg.groups.flatMap((g) => g.members));
  for (const p of cfg.primitives.filter((x) => !inGroup.has(x.id))) {
    const clone = cfg.clones.find((c) => c.child === p.id);
    out.push('', `# ${p.source}`);
    out.push(createLine(p, clone ? [clone.promotable ? 'promotable' : 'clone', ...clone.meta.filter(([k]) => k !== 'promotable').map(([k, v]) => shKv(k, v))] : []));
  }
  for (const g of cfg.groups) {
    out.push('', `# ${g.source}`);
    for (const m of g.members) out.push(createLine(byId.get(m)!, ['--group', sh(g.id)]));
    if (g.meta.length > 0) out.push(`pcs -f "$CIB" resource meta ${sh(g.id)} ${g.meta.map(([k, v]) => shKv(k, v)).join(' ')}`);
    const clone = cfg.clones.find((c) => c.child === g.id);
    if (clone) out.push(`pcs -f "$CIB" resource clone ${sh(g.id)} ${clone.meta.map(([k, v]) => shKv(k, v)).join(' ')}`);
  }
  out.push('', '# constraints: placement from SystemList, dependencies, promotion, tickets');
  for (const c of cfg.constraints) out.push(constraintLine(c));
  out.push('', 'echo "configuration written to $CIB; check it with: crm_verify -x $CIB"', '');
  return out.join('\n');
}
