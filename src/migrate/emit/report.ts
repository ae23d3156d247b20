// report.md: what became what, every Tandem resource with its links, every warning, and the
// numbered cut-over plan with the commands and the checks between them. Written for the
// administrators who run the cut-over.
import { formatSize } from '../../lib/units.js';
import { volumeSizeNote } from '../map/replication.js';
import { siteDir, type Connection, type MigrationPlan, type TandemResource } from '../map/plan.js';
import { cutover } from './cutover.js';

const cell = (s: string | undefined): string => (s ?? '').replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function emitReport(plan: MigrationPlan, outputs: string[]): string {
  const clusters = plan.sites.map((s) => s.cluster);
  const out: string[] = [
    `# Migration of VCS cluster${clusters.length > 1 ? 's' : ''} ${clusters.join(' and ')} to Tandem + Pacemaker`,
    '',
    `Inputs: ${plan.inputs.map((f) => `\`${f}\``).join(', ')}`,
    `Outputs: ${outputs.map((f) => `\`${f}\``).join(', ')}`,
    '',
    `${plan.tandem.length} replicated resource(s); ${plan.sites.map((s) => `${s.cluster}: ${s.pcmk.primitives.length} Pacemaker primitive(s), ${s.pcmk.groups.length} group(s), ${s.pcmk.clones.length} clone(s), ${s.pcmk.constraints.length} constraint(s) (\`${siteDir(plan, s)}pcs.sh\`)`).join('; ')}. **${plan.warnings.length} warning(s)** — read every one before the cut-over.`,
    '',
    '## What became what',
    '',
    '| VCS / VVR | kind | became | note |',
    '|---|---|---|---|',
    ...plan.mappings.map((m) => `| ${cell(m.vcs)} | ${cell(m.vcsKind)} | ${cell(m.target)} | ${cell(m.note)} |`),
    '',
  ];
  for (const t of plan.tandem) out.push(...tandemSection(t));
  out.push('## Warnings', '');
  if (plan.warnings.length === 0) out.push('None.', '');
  else {
    out.push('| # | kind | about | where | what to do |', '|---|---|---|---|---|');
    plan.warnings.forEach((w, i) => out.push(`| W${i + 1} | ${w.code} | ${cell(w.subject)} | ${cell(w.at)} | ${cell(w.message)} |`));
    out.push('');
  }
  if (plan.booth) {
    out.push('## Global cluster (booth)', '',
      `Sites: ${plan.booth.sites.map((s) => `${s.cluster} (${s.address})`).join(', ')}; arbitrator: ${plan.booth.arbitrator ?? 'CHANGE-ME'}.`,
      `Tickets: ${plan.booth.tickets.map((t) => `\`${t.name}\` for group ${t.group} (ClusterFailOverPolicy ${t.policy})`).join(', ') || 'none'}. See \`booth.conf\`; each site's Pacemaker configuration runs booth-site on the site address.`, '');
  }
  out.push(...cutover(plan));
  return out.join('\n');
}

function tandemSection(t: TandemResource): string[] {
  return [
    `## Tandem resource \`${t.name}\` (from RVG ${t.rvg}, disk group ${t.diskGroup})`,
    '',
    `File \`tandem/${t.name}.ini\`: protocol ${t.protocol}, fencing ${t.fencing}, quorum ${t.quorum}${t.resyncRate ? `, resync-rate ${t.resyncRate}` : ''}; promotable clone \`${t.cloneId}\`. Primary today: ${t.primary}.`,
    '',
    '| volume | VxVM volume | size | disk (LVM, create it) | meta | export |',
    '|---|---|---|---|---|---|',
    ...t.volumes.map((v) => `| ${v.index} | ${t.diskGroup}/${v.vxvmVolume} | ${volumeSizeNote(v)} | \`${v.disk}\` | \`${v.meta}\`${v.metaBytes === undefined ? '' : ` (${formatSize(v.metaBytes)})`} | \`${v.export}\` |`),
    '',
    '| node | id | runs on | replication address |',
    '|---|---|---|---|',
    ...t.nodes.map((n) => `| ${n.name} | ${n.id} | ${n.sharedStorage ? `${n.hosts.join(' or ')} (site, shared disks)` : n.hosts.join(', ') || (n.bunker ? 'the former bunker host' : '(from the VVR reports)')} | ${n.address}${n.placeholder ? ' (CHANGE-ME)' : ''} |`),
    '',
    '| link | VVR | Tandem | what differs |',
    '|---|---|---|---|',
    ...t.connections.map((c) => `| ${t.primary} → ${c.to}${c.rlink ? ` (${c.rlink})` : ''} | ${vvrText(c)} | protocol ${c.protocol}${t.protocol !== c.protocol ? ` ([connection.${t.primary}.${c.to}])` : ''}, TCP | ${differs(c, t)} |`),
    '',
    ...secondaryPairs(t),
  ];
}

function vvrText(c: Connection): string {
  return [
    c.bunker ? 'bunker' : undefined,
    `synchronous=${c.synchronous ?? '? (off assumed)'}`,
    c.srlprot ? `srlprot=${c.srlprot}` : undefined,
    c.latencyprot ? `latencyprot=${c.latencyprot}` : undefined,
    c.transport,
    c.bandwidth ? `bandwidth ${c.bandwidth}` : undefined,
    c.compression ? 'compressed' : undefined,
  ].filter(Boolean).join(', ');
}

function differs(c: Connection, t: TandemResource): string {
  const d: string[] = [];
  if (c.synchronous === 'fail') d.push('writes continue while this peer is away (it is outdated by fencing) instead of failing');
  if (c.srlprot && c.srlprot !== 'dcm') d.push(`no SRL: a slow link makes writes wait (srlprot=${c.srlprot} did not), an outage costs a bitmap resync`);
  if (c.latencyprot && c.latencyprot !== 'off') d.push('a fixed window of writes in flight instead of the latency marks');
  if (c.transport && !c.transport.startsWith('TCP')) d.push(`TCP instead of ${c.transport}`);
  if (c.bandwidth) d.push(`only resync is limited (resync-rate ${t.resyncRate ?? '-'})`);
  if (c.compression) d.push('no compression');
  if (c.bunker) d.push('a full copy instead of an SRL-only bunker');
  return d.join('; ') || 'nothing';
}

/** Connections between Secondaries have no RLINK: say what they get. */
function secondaryPairs(t: TandemResource): string[] {
  const peers = t.nodes.map((n) => n.name).filter((n) => n !== t.primary);
  if (peers.length < 2) return [];
  const protocolOf = (a: string, b: string) => t.pairs.find((p) => p.nodes.includes(a) && p.nodes.includes(b))?.protocol ?? t.protocol;
  const lines = peers.flatMap((a, i) => peers.slice(i + 1).map((b) => `${a} - ${b}: protocol ${protocolOf(a, b)}`));
  return [`Connections between Secondaries (VVR had no link there; used once one of them is promoted; C only when both links from ${t.primary} are synchronous): ${lines.join('; ')}.`, ''];
}
