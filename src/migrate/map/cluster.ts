// Cluster-level objects: properties, STONITH in place of VCS I/O fencing, and global clusters
// (remotecluster, heartbeat, ClusterList) → booth tickets with rsc_ticket constraints.
import { attrValue, scalarAttr, valueText } from '../vcs/model.js';
import type { MapState } from './index.js';
import type { BoothPlan } from './plan.js';

const FENCE_DEVICE_PLACEHOLDER = '/dev/disk/by-id/CHANGE-ME';

export function mapCluster(st: MapState): BoothPlan | undefined {
  const { config } = st.inputs.vcs;
  st.pcmk.properties.push(['stonith-enabled', 'true']);
  stonith(st);
  for (const a of config.cluster?.attrs ?? []) {
    const subject = `cluster ${config.cluster!.name}.${a.name}`;
    if (a.name === 'UserNames') st.warnings.add('secret', subject, 'VCS users and their encrypted passwords are not copied; create pcsd/hacluster users and ACLs by hand', a.pos);
    else if (a.name === 'UseFence') continue;
    else if (a.name === 'ClusterAddress' && isGlobal(st)) continue;
    else st.warnings.add('not-mapped', subject, `cluster attribute ${a.name} = ${valueText(a.value)} is not mapped`, a.pos);
  }
  return globalClusters(st);
}

function stonith(st: MapState): void {
  const useFence = scalarAttr(st.inputs.vcs.config.cluster?.attrs ?? [], 'UseFence');
  const id = st.ids.take('fence-scsi');
  st.pcmk.primitives.push({
    id, class: 'stonith', type: 'fence_scsi',
    params: [['devices', FENCE_DEVICE_PLACEHOLDER], ['pcmk_host_list', st.nodes.join(' ')]],
    meta: [['provides', 'unfencing']],
    ops: [{ name: 'monitor', interval: '60s', timeout: '60s' }],
    source: useFence ? `UseFence = ${useFence}` : 'no VCS fencing configured',
  });
  st.mappings.push({ vcs: useFence ? `UseFence = ${useFence}` : '(no UseFence)', vcsKind: 'cluster', target: `stonith ${id} (fence_scsi)`, note: 'SCSI-3 persistent reservations, as VCS I/O fencing used' });
  st.warnings.add('fencing', id, `STONITH device ${id} has placeholder devices=${FENCE_DEVICE_PLACEHOLDER}: list the shared disks (or replace it with fence_ipmilan/sbd) before pushing; never run with stonith-enabled=false`);
}

function isGlobal(st: MapState): boolean {
  const { config } = st.inputs.vcs;
  return config.remoteClusters.length > 0 || config.groups.some((g) => attrValue(g.attrs, 'ClusterList'));
}

function globalClusters(st: MapState): BoothPlan | undefined {
  const { config } = st.inputs.vcs;
  const globalGroups = config.groups.filter((g) => attrValue(g.attrs, 'ClusterList'));
  if (!isGlobal(st)) return undefined;
  const here = config.cluster ? [{ cluster: config.cluster.name, address: scalarAttr(config.cluster.attrs, 'ClusterAddress') ?? 'CHANGE-ME' }] : [];
  const booth: BoothPlan = {
    sites: [...here, ...config.remoteClusters.map((r) => ({ cluster: r.name, address: scalarAttr(r.attrs, 'ClusterAddress') ?? 'CHANGE-ME' }))],
    tickets: [],
  };
  for (const r of config.remoteClusters) {
    st.mappings.push({ vcs: r.name, vcsKind: 'remotecluster', target: 'booth site', note: scalarAttr(r.attrs, 'ClusterAddress') });
    for (const a of r.attrs.filter((x) => x.name !== 'ClusterAddress')) st.warnings.add('not-mapped', `remotecluster ${r.name}.${a.name}`, `remote cluster attribute ${a.name} = ${valueText(a.value)} is not mapped`, a.pos);
  }
  for (const hb of config.heartbeats) {
    st.mappings.push({ vcs: `heartbeat ${hb.name}`, vcsKind: 'heartbeat', target: 'booth (site-to-site messaging)' });
    st.warnings.add('global-cluster', `heartbeat ${hb.name}`, `inter-cluster heartbeat ${hb.name} is replaced by booth's own messaging between sites; its intervals are not carried over`, hb.pos);
  }
  for (const g of globalGroups) {
    const target = st.groupTargets.get(g.name);
    const policy = scalarAttr(g.attrs, 'ClusterFailOverPolicy') ?? 'Manual';
    const ticket = `ticket-${g.name}`;
    booth.tickets.push({ name: ticket, group: g.name, policy });
    if (!target) continue;
    st.pcmk.constraints.push({ kind: 'ticket', id: st.ids.take(`tkt-${target}`), ticket, rsc: target, lossPolicy: 'stop' });
    const clone = st.promotedWith.get(target);
    if (clone) st.pcmk.constraints.push({ kind: 'ticket', id: st.ids.take(`tkt-${clone}`), ticket, rsc: clone, role: 'Promoted', lossPolicy: 'demote' });
    st.mappings.push({ vcs: `${g.name}.ClusterList`, vcsKind: 'global group', target: `booth ticket ${ticket} + rsc_ticket for ${target}${clone ? ` and ${clone} (Promoted)` : ''}` });
    st.warnings.add('global-cluster', `${g.name}.ClusterFailOverPolicy`, policy === 'Manual'
      ? `ClusterFailOverPolicy = Manual: the site runs the group only while it holds ${ticket}; grant it by hand (booth client grant -t ${ticket})`
      : `ClusterFailOverPolicy = ${policy}: booth hands ${ticket} over automatically only with an arbitrator (the steward's role); add one, and note booth cannot tell a network split from a site loss the way Connected does`, attrValue(g.attrs, 'ClusterFailOverPolicy')?.pos ?? g.pos);
    const authority = attrValue(g.attrs, 'Authority');
    if (authority) st.warnings.add('global-cluster', `${g.name}.Authority`, `Authority = ${valueText(authority)}: the site that first holds ${ticket} must be chosen when booth is set up`, authority.pos);
  }
  st.warnings.add('global-cluster', 'booth', 'global cluster: each site becomes its own Pacemaker cluster plus booth (sites and tickets in booth.conf); run this migration once per site\'s main.cf and add an arbitrator');
  return booth;
}
