// report.md: what became what, every warning, and a numbered cut-over plan with the commands
// and the checks between them. Written for the administrators who run the cut-over.
import { volumeSizeNote } from '../map/replication.js';
import type { MigrationPlan, TandemResource } from '../map/plan.js';

const cell = (s: string | undefined): string => (s ?? '').replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function emitReport(plan: MigrationPlan, outputs: string[]): string {
  const out: string[] = [
    `# Migration of VCS cluster ${plan.cluster} to Tandem + Pacemaker`,
    '',
    `Inputs: ${plan.inputs.map((f) => `\`${f}\``).join(', ')}`,
    `Outputs: ${outputs.map((f) => `\`${f}\``).join(', ')}`,
    '',
    `${plan.tandem.length} replicated resource(s), ${plan.pcmk.primitives.length} Pacemaker primitive(s), ${plan.pcmk.groups.length} group(s), ${plan.pcmk.clones.length} clone(s), ${plan.pcmk.constraints.length} constraint(s), **${plan.warnings.length} warning(s)** — read every one before the cut-over.`,
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
    out.push('## Global cluster (booth)', '', `Sites: ${plan.booth.sites.map((s) => `${s.cluster} (${s.address})`).join(', ')}.`, `Tickets: ${plan.booth.tickets.map((t) => `\`${t.name}\` for group ${t.group} (ClusterFailOverPolicy ${t.policy})`).join(', ') || 'none'}. See \`booth.conf\`.`, '');
  }
  out.push(...cutover(plan));
  return out.join('\n');
}

function tandemSection(t: TandemResource): string[] {
  return [
    `## Tandem resource \`${t.name}\` (from RVG ${t.rvg}, disk group ${t.diskGroup})`,
    '',
    `File \`${t.name}.ini\`: protocol ${t.protocol}, fencing ${t.fencing}, quorum ${t.quorum}${t.resyncRate ? `, resync-rate ${t.resyncRate}` : ''}; promotable clone \`${t.cloneId}\`.`,
    '',
    '| volume | VxVM volume | size | disk (LVM, create it) | meta | export |',
    '|---|---|---|---|---|---|',
    ...t.volumes.map((v) => `| ${v.index} | ${t.diskGroup}/${v.vxvmVolume} | ${volumeSizeNote(v)} | \`${v.disk}\` | \`${v.meta}\` | \`${v.export}\` |`),
    '',
    '| node | id | replication address |',
    '|---|---|---|',
    ...t.nodes.map((n) => `| ${n.name} | ${n.id} | ${n.address} |`),
    '',
  ];
}

function cutover(plan: MigrationPlan): string[] {
  const steps: { title: string; commands: string[]; check: string }[] = [];
  const add = (title: string, commands: string[], check: string): void => {
    steps.push({ title, commands, check });
  };
  const apps = Object.entries(plan.groupTargets).filter(([, target]) => plan.promotedWith[target]);
  const nodes = plan.pcmk.nodes;
  // the current Primary: where hastatus shows an application group online, else SystemList's first
  const primary = apps.map(([g]) => plan.onlineOn[g]).find((n) => n !== undefined) ?? nodes[0] ?? 'PRIMARY';
  const secondary = nodes.find((n) => n !== primary) ?? 'OTHER-NODE';
  add('Record the current state on the VCS Primary site', ['hastatus -sum', ...plan.tandem.flatMap((t) => [`vradmin -g ${t.diskGroup} -l repstatus ${t.rvg}`, `vradmin -g ${t.diskGroup} printvol ${t.rvg}`])],
    'every system RUNNING, no group FAULTED; Data status "consistent, up-to-date" and "behind by 0h 0m 0s" on every Secondary.');
  add('Prepare the target data layer on every node (VxVM stays untouched, so roll-back stays possible)', plan.tandem.flatMap((t) => [
    `vgcreate ${t.diskGroup} /dev/CHANGE-ME    # spare disks, not those of VxVM disk group ${t.diskGroup}`,
    ...t.volumes.map((v) => `lvcreate -n ${v.vxvmVolume} -L ${v.sizeBytes ?? 'SIZE'}b ${t.diskGroup}    # on spare disks, same size on every node`),
    `install -m 600 tandem/${t.name}.ini /etc/tandem/    # on every node: same file, same secret; fill in the CHECK placeholders first`,
    'tandem config check',
  ]), '`tandem config check` exits 0 on every node; `lvs` shows the volumes with identical sizes.');
  add('Stop the applications under VCS', apps.map(([g]) => `hagrp -offline ${g} -any`),
    `\`hastatus -sum\` shows ${apps.map(([g]) => g).join(', ') || 'the application groups'} OFFLINE everywhere; nothing writes to the replicated volumes.`);
  add('Stop replication cleanly once the Secondaries have everything', plan.tandem.flatMap((t) => [`vradmin -g ${t.diskGroup} -l repstatus ${t.rvg}    # wait for "behind by 0h 0m 0s"`, `vradmin -g ${t.diskGroup} stoprep ${t.rvg}`]),
    'repstatus shows replication stopped with data status "consistent, up-to-date"; `vxprint -Pl` flags show detached, consistent.');
  add('Verify both sides hold the same data', plan.tandem.flatMap((t) => t.volumes.map((v) => `sha256sum /dev/vx/rdsk/${t.diskGroup}/${v.vxvmVolume}    # on the Primary and on each Secondary`)),
    'the checksums are identical on every node; if not, do not continue: restart replication (`vradmin startrep`) and start again.');
  add('Stop VCS and keep it from starting', ['hastop -all', 'systemctl disable vcs vxfen gab llt    # unit names vary by release'], '`hastatus` reports the engine is not running on any node.');
  add('Initial copy and sync: copy the VxVM data into the Tandem volumes on the Primary only, then let Tandem make the Secondaries identical with a full sync (safe; the checksums above let you skip nothing silently)', plan.tandem.flatMap((t) => [
    `tandem up ${t.name}    # on every node`,
    `tandem primary ${t.name} --force    # on ${primary} (the VVR Primary) only: first promotion of a new resource`,
    ...t.volumes.map((v) => `dd if=/dev/vx/rdsk/${t.diskGroup}/${v.vxvmVolume} of=/dev/tandem/${t.name}/${v.index} bs=4M oflag=direct status=progress    # on ${primary}, through the NBD export`),
    `tandem status ${t.name}    # wait for every peer UpToDate (resync shows rate and ETA)`,
    `tandem secondary ${t.name}; tandem down ${t.name}    # Pacemaker takes over from here`,
  ]), 'every peer UpToDate; sha256sum of each Tandem volume equals the VxVM checksum of step 5.');
  add('Load the Pacemaker configuration', ['pcs cluster cib new.xml', 'sh pcs.sh new.xml    # or: crm configure load update crm.txt', 'crm_verify -x new.xml -V', 'pcs cluster cib-push new.xml --config', ...(plan.booth ? ['install booth.conf on every site and the arbitrator; grant each ticket to the site that should run it'] : [])],
    `\`crm_mon -1\` shows one Promoted instance of ${plan.tandem.map((t) => t.cloneId).join(', ') || 'each replica clone'} and ${apps.map(([, target]) => target).join(', ') || 'the applications'} started on that node.`);
  add('Switch roles once, as a rehearsal', apps.map(([, target]) => `pcs resource move ${plan.promotedWith[target]} ${secondary} --promoted    # the application follows; then: pcs resource clear ${plan.promotedWith[target]}`),
    `\`crm_mon -1\` shows the Promoted instance and ${apps.map(([, target]) => target).join(', ') || 'the applications'} on ${secondary}; \`tandem status\` shows the old Primary Secondary and UpToDate.`);
  add('Roll back (if a check after step 6 fails)', ['pcs cluster stop --all', ...plan.tandem.flatMap((t) => t.volumes.map((v) => `dd if=${v.disk} of=/dev/vx/rdsk/${t.diskGroup}/${v.vxvmVolume} bs=4M    # on the last Tandem Primary, only if applications wrote after the cut-over`)), 'systemctl enable vcs; hastart    # on every node', ...plan.tandem.map((t) => `vradmin -g ${t.diskGroup} -a startrep ${t.rvg}    # autosync the Secondaries`), ...apps.map(([g]) => `hagrp -online ${g} -sys ${primary}`)],
    'hastatus shows the groups ONLINE; repstatus shows replication resumed. Writes made under Tandem are kept only if copied back with the dd lines above.');
  const out = ['## Cut-over plan', ''];
  steps.forEach((s, i) => {
    out.push(`${i + 1}. **${s.title}**`, '', '   ```sh', ...s.commands.map((c) => `   ${c}`), '   ```', '', `   Check: ${s.check}`, '');
  });
  return out;
}
