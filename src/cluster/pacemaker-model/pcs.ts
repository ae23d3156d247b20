// A PacemakerConfig as a reviewable pcs script that changes the cluster in ONE step: every command
// works on a CIB file (`pcs -f`), then `pcs cluster cib-push … diff-against=…` applies the whole
// difference at once. Run command by command against the live cluster, a group would start before
// the colocation and order that tie it to the Promoted replica exist (an IP up on a Secondary, a
// file system mounted where there is no device). clufter's ccs2pcscmd uses the same pattern.
import { agentSpec, topLevel, type Clone, type Constraint, type Expression, type Op, type PacemakerConfig, type Primitive } from './model.js';
import { sh, shKv } from './quote.js';

const PCS = 'pcs -f "$NEW"';

function opWords(ops: Op[]): string[] {
  return ops.flatMap((o) => ['op', o.name, shKv('interval', `${o.intervalSec}s`), shKv('timeout', `${o.timeoutSec}s`),
    ...(o.role ? [shKv('role', o.role)] : []), ...(o.onFail ? [shKv('on-fail', o.onFail)] : [])]);
}

function createLine(p: Primitive, extra: string[]): string {
  const stonith = p.agent.class === 'stonith';
  const meta = p.meta.length > 0 ? ['meta', ...p.meta.map(([k, v]) => shKv(k, v))] : [];
  return [PCS, stonith ? 'stonith create' : 'resource create', sh(p.id), sh(stonith ? p.agent.type : agentSpec(p.agent)),
    ...p.params.map(([k, v]) => shKv(k, v)), ...meta, ...opWords(p.ops), ...extra, '--no-default-ops', '--force'].join(' ');
}

/** `promotable <id> options…` / `clone <id> options…` (promotable=true is implied by the keyword). */
function cloneWords(c: Clone): string[] {
  return [c.promotable ? 'promotable' : 'clone', sh(c.id), ...c.meta.filter(([k]) => k !== 'promotable').map(([k, v]) => shKv(k, v))];
}

/** pcs wants `--` before positional arguments when a score is negative. */
const endOpts = (score: string): string => (score.startsWith('-') ? '-- ' : '');

function expressionWords(expressions: Expression[], op: 'and' | 'or'): string {
  return expressions.map((e) => (e.value === undefined ? `${e.operation} ${sh(e.attribute)}` : `${sh(e.attribute)} ${e.operation} ${sh(e.value)}`)).join(` ${op} `);
}

function constraintLine(c: Constraint): string {
  switch (c.kind) {
    case 'location': return `${PCS} constraint location add ${endOpts(c.score)}${sh(c.id)} ${sh(c.rsc)} ${sh(c.node)} ${sh(c.score)}`;
    case 'location-rule': return `${PCS} constraint location ${endOpts(c.score)}${sh(c.rsc)} rule constraint-id=${sh(c.id)} id=${sh(`${c.id}-rule`)}${c.role ? ` role=${c.role}` : ''} score=${sh(c.score)} ${expressionWords(c.expressions, c.booleanOp)}`;
    case 'colocation': return `${PCS} constraint colocation add ${endOpts(c.score)}${sh(c.rsc)} with ${c.withRole ? `${c.withRole} ` : ''}${sh(c.withRsc)} ${sh(c.score)} id=${sh(c.id)}`;
    case 'order': return `${PCS} constraint order ${c.firstAction} ${sh(c.first)} then ${c.thenAction} ${sh(c.then)} kind=${c.orderKind} id=${sh(c.id)}`;
    case 'ticket': return `${PCS} constraint ticket add ${sh(c.ticket)} ${c.role ? `${c.role} ` : ''}${sh(c.rsc)} loss-policy=${c.lossPolicy} id=${sh(c.id)}`;
  }
}

function resourceLines(cfg: PacemakerConfig): string[] {
  const byId = new Map(cfg.primitives.map((p) => [p.id, p]));
  const out: string[] = [];
  for (const t of topLevel(cfg)) {
    if (t.primitive) {
      const p = t.primitive;
      out.push('', ...(p.comment ? [`# ${p.comment}`] : []), createLine(p, t.clone ? cloneWords(t.clone) : []));
      continue;
    }
    const g = t.group;
    out.push('', ...(g.comment ? [`# ${g.comment}`] : []));
    for (const m of g.members) {
      const p = byId.get(m)!;
      out.push(...(p.comment ? [`# ${p.comment}`] : []), createLine(p, ['--group', sh(g.id)]));
    }
    if (g.meta.length > 0) out.push(`${PCS} resource meta ${sh(g.id)} ${g.meta.map(([k, v]) => shKv(k, v)).join(' ')}`);
    if (t.clone) {
      const [keyword, ...rest] = cloneWords(t.clone);
      out.push(`${PCS} resource ${keyword} ${sh(g.id)} ${rest.join(' ')}`);
    }
  }
  return out;
}

/** The script; `title` lines open it as comments. */
export function renderPcs(cfg: PacemakerConfig, title: string[]): string {
  const out: string[] = [
    '#!/bin/sh',
    ...title.map((l) => `# ${l}`),
    '#',
    '# sh THIS-SCRIPT        on a cluster node: builds the configuration in a copy of the live CIB, checks it',
    '#                       with crm_verify and applies it in one step (pcs cluster cib-push diff-against=),',
    '#                       so nothing starts before the constraints that place and order it.',
    '# sh THIS-SCRIPT FILE   builds into the CIB file FILE only, for review (crm_verify -x FILE, crm_simulate);',
    '#                       apply it later with: pcs cluster cib-push FILE --config',
    '# --force: agents such as ocf:tandem:replica may be missing where this runs;',
    '# --no-default-ops: exactly the operations listed here, as in the CIB output.',
    'set -eu',
    'if [ $# -gt 0 ]; then',
    '  NEW="$1"',
    '  [ -e "$NEW" ] || { echo "$NEW does not exist (start from: cibadmin --empty > $NEW)" >&2; exit 2; }',
    'else',
    '  WORK=$(mktemp -d)',
    '  trap \'rm -rf "$WORK"\' EXIT',
    '  pcs cluster cib "$WORK/original.xml"',
    '  cp "$WORK/original.xml" "$WORK/new.xml"',
    '  NEW="$WORK/new.xml"',
    'fi',
  ];
  if (cfg.properties.length > 0) out.push('', `${PCS} property set ${cfg.properties.map(([k, v]) => shKv(k, v)).join(' ')}`);
  if (cfg.rscDefaults.length > 0) out.push(`${PCS} resource defaults update ${cfg.rscDefaults.map(([k, v]) => shKv(k, v)).join(' ')}`);
  out.push(...resourceLines(cfg));
  if (cfg.constraints.length > 0) out.push('', '# constraints', ...cfg.constraints.map(constraintLine));
  out.push(
    '',
    'if [ $# -gt 0 ]; then',
    '  echo "configuration written to $NEW; check it with: crm_verify -x $NEW"',
    'else',
    '  crm_verify -x "$NEW"',
    '  pcs cluster cib-push "$NEW" diff-against="$WORK/original.xml"',
    'fi',
    '',
  );
  return out.join('\n');
}
