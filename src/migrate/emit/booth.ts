// booth.conf for a global cluster: one site per VCS cluster, one ticket per global group.
import type { BoothPlan } from '../map/plan.js';

export function emitBooth(b: BoothPlan): string {
  const lines = [
    '# booth.conf written by tandem migrate vcs (replaces GCO: wac, remotecluster, heartbeat)',
    'transport = UDP',
    'port = 9929',
    ...b.sites.map((s) => `site = ${s.address}    # VCS cluster ${s.cluster}`),
    '# arbitrator = CHANGE-ME    # a third location; required for automatic ticket failover',
  ];
  for (const t of b.tickets) {
    lines.push('', `ticket = "${t.name}"    # group ${t.group}, ClusterFailOverPolicy ${t.policy}`, '    expire = 600');
    if (t.policy === 'Manual') lines.push('    mode = manual');
  }
  return `${lines.join('\n')}\n`;
}
