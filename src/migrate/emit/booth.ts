// booth.conf for a global cluster: one site per VCS cluster, an arbitrator, one ticket per global
// group. The same file goes to every site and to the arbitrator. booth takes comments only on
// lines of their own (a `# …` after a value becomes part of it).
import type { BoothPlan } from '../map/plan.js';

export const BOOTH_AUTHFILE = '/etc/booth/authkey';

export function emitBooth(b: BoothPlan): string {
  const lines = [
    '# booth.conf written by tandem migrate vcs (replaces GCO: wac, remotecluster, heartbeat, steward)',
    '# Copy it unchanged to /etc/booth/booth.conf on every node of every site and on the arbitrator.',
    'transport = UDP',
    'port = 9929',
    `# create once with booth-keygen ${BOOTH_AUTHFILE}, then copy it (mode 0600) next to this file everywhere`,
    `authfile = ${BOOTH_AUTHFILE}`,
  ];
  for (const s of b.sites) lines.push(`# VCS cluster ${s.cluster}${s.placeholder ? ': CHANGE-ME, no ClusterAddress known' : ''}`, `site = ${s.address}`);
  lines.push(b.arbitrator ? '# a third location (the steward\'s role)' : '# CHANGE-ME: a third location, required for automatic ticket handover and for grants without -F');
  lines.push(`arbitrator = ${b.arbitrator ?? 'CHANGE-ME'}`);
  for (const t of b.tickets) {
    lines.push('', `# group ${t.group}, ClusterFailOverPolicy ${t.policy}`, `ticket = "${t.name}"`, '    expire = 600');
    if (t.policy === 'Manual') lines.push('    mode = manual');
    else lines.push('    acquire-after = 60', '    timeout = 10', '    retries = 5', '    renewal-freq = 60');
  }
  return `${lines.join('\n')}\n`;
}
