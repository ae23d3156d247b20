// Cluster-level objects of one site: properties, STONITH in place of VCS I/O fencing, and the
// global-cluster pieces (remotecluster, heartbeat, ClusterList, ClusterService's wac and address)
// → a booth site (its address and booth-site daemon as Pacemaker resources) and tickets.
import { operationsFor } from '../../cluster/pacemaker-model/operations.js';
import { attrValue, scalarAttr, valueText, type Group } from '../vcs/model.js';
import type { Site } from './topology.js';
import type { SiteState } from './site.js';
import type { BoothPlan, BoothSite } from './plan.js';
import { netmaskToPrefix } from './agents.js';

const PLACEHOLDER = 'CHANGE-ME';

export function clusterProperties(st: SiteState): void {
  const { config } = st.site.vcs;
  st.pcmk.properties.push(['stonith-enabled', 'true']);
  for (const a of config.cluster?.attrs ?? []) {
    const subject = `cluster ${config.cluster!.name}.${a.name}`;
    if (a.name === 'UserNames') st.warnings.add('secret', subject, 'VCS users and their encrypted passwords are not copied; create pcsd/hacluster users and ACLs by hand', a.pos);
    else if (a.name === 'UseFence') continue;
    else if (a.name === 'ClusterAddress' && isGlobal(st.site)) continue;
    else st.warnings.add('not-mapped', subject, `cluster attribute ${a.name} = ${valueText(a.value)} is not mapped`, a.pos);
  }
}

/**
 * STONITH. fence_scsi (SCSI-3 reservations, VCS's I/O fencing) needs LUNs every node sees: it is
 * proposed only when VCS used SCSI-3 fencing and this site's nodes share their disks. A shared-
 * nothing pair has no such LUN: each node is fenced through its BMC (fence_ipmilan), one device
 * per node, with placeholders to fill in.
 */
export function stonith(st: SiteState, sharedStorage: boolean): void {
  const useFence = scalarAttr(st.site.vcs.config.cluster?.attrs ?? [], 'UseFence');
  const source = useFence ? `UseFence = ${useFence}` : '(no UseFence)';
  if (useFence === 'SCSI3' && sharedStorage) {
    const id = st.ids.take('fence-scsi');
    const agent = { class: 'stonith' as const, type: 'fence_scsi' };
    st.pcmk.primitives.push({ id, agent, params: [['devices', `/dev/disk/by-id/${PLACEHOLDER}`], ['pcmk_host_list', st.nodes.join(' ')]], meta: [['provides', 'unfencing']], ops: operationsFor(agent), comment: source });
    st.mapping({ vcs: source, vcsKind: 'cluster', target: `stonith ${id} (fence_scsi)`, note: 'SCSI-3 persistent reservations on the site\'s shared LUNs, as VCS I/O fencing used' });
    st.warnings.add('fencing', id, `STONITH device ${id}: list the site's shared LUNs (the new LVM physical volumes) in devices= before pushing; never run with stonith-enabled=false`);
    return;
  }
  const why = useFence === 'SCSI3'
    ? 'VCS used SCSI-3 I/O fencing, but these nodes share no LUN under Tandem (each has its own disks), so fence_scsi cannot fence them'
    : 'VCS had no I/O fencing configured (no UseFence); Pacemaker must be able to fence a node before it recovers its resources';
  for (const node of st.nodes) {
    const id = st.ids.take(`fence-${node}`);
    const agent = { class: 'stonith' as const, type: 'fence_ipmilan' };
    st.pcmk.primitives.push({
      id, agent, params: [['ip', `${PLACEHOLDER}-bmc-of-${node}`], ['username', PLACEHOLDER], ['password', PLACEHOLDER], ['lanplus', '1'], ['pcmk_host_list', node]],
      meta: [], ops: operationsFor(agent), comment: `fences ${node} (${source})`,
    });
  }
  st.mapping({ vcs: source, vcsKind: 'cluster', target: `stonith ${st.nodes.map((n) => `fence-${n}`).join(', ')} (fence_ipmilan)`, note: why });
  st.warnings.add('fencing', `fence-${st.nodes[0] ?? 'node'}`, `${why}: one fence_ipmilan device per node is proposed with placeholders (ip, username, password of each node's BMC); fill them in, or use another fence agent (fence_sbd with a watchdog, a PDU). Never run with stonith-enabled=false`);
}

export function isGlobal(site: Site): boolean {
  const { config } = site.vcs;
  return config.remoteClusters.length > 0 || config.groups.some((g) => attrValue(g.attrs, 'ClusterList'));
}

export function globalGroups(site: Site): Group[] {
  return site.vcs.config.groups.filter((g) => attrValue(g.attrs, 'ClusterList'));
}

/** booth and pcs accept ticket names of letters, digits and dashes, at most 63 characters. */
export function ticketName(group: string): string {
  const name = `ticket-${group}`.replace(/[^A-Za-z0-9-]+/g, '-').replace(/-+/g, '-').replace(/-$/, '');
  return name.slice(0, 63);
}

/** The booth site of this cluster: ClusterAddress (ClusterService's IP) and booth-site, as one group. */
export function boothSite(st: SiteState): { site: BoothSite; group: string } {
  const { config } = st.site.vcs;
  const address = scalarAttr(config.cluster?.attrs ?? [], 'ClusterAddress');
  const csIp = config.groups.find((g) => g.name === 'ClusterService')?.resources.find((r) => r.type === 'IP' && scalarAttr(r.attrs, 'Address') === address);
  const prefix = csIp ? netmaskToPrefix(scalarAttr(csIp.attrs, 'NetMask') ?? '') ?? Number(scalarAttr(csIp.attrs, 'PrefixLen') ?? NaN) : NaN;
  const group = st.ids.take(`booth-${st.site.cluster}`);
  const ipAgent = { class: 'ocf' as const, provider: 'heartbeat', type: 'IPaddr2' };
  const boothAgent = { class: 'ocf' as const, provider: 'pacemaker', type: 'booth-site' };
  const ipId = st.ids.take(`${group}-ip`);
  const boothId = st.ids.take(`${group}-service`);
  st.pcmk.primitives.push(
    { id: ipId, agent: ipAgent, params: [['ip', address ?? PLACEHOLDER], ...(Number.isFinite(prefix) ? [['cidr_netmask', String(prefix)] as [string, string]] : []), ...(csIp && scalarAttr(csIp.attrs, 'Device') ? [['nic', scalarAttr(csIp.attrs, 'Device')!] as [string, string]] : [])], meta: [], ops: operationsFor(ipAgent), comment: `booth site address (VCS ClusterAddress${csIp ? `, IP ${csIp.name}` : ''})` },
    { id: boothId, agent: boothAgent, params: [['config', '/etc/booth/booth.conf']], meta: [], ops: operationsFor(boothAgent), comment: 'booth daemon of this site (replaces the wide-area connector wac)' },
  );
  st.pcmk.groups.push({ id: group, members: [ipId, boothId], meta: [], comment: `booth site ${st.site.cluster}` });
  st.mapping({ vcs: 'ClusterService (wac, ClusterAddress)', vcsKind: 'group', target: `group ${group}: IPaddr2 ${address ?? PLACEHOLDER} + booth-site`, note: 'booth talks between sites over the cluster address, as wac did' });
  if (!address) st.warnings.add('placeholder', `cluster ${st.site.cluster}.ClusterAddress`, `no ClusterAddress: the booth site address of ${st.site.cluster} is a placeholder`);
  return { site: { cluster: st.site.cluster, address: address ?? PLACEHOLDER, ...(address ? {} : { placeholder: true }) }, group };
}

/** Tickets for the global groups of every site, and the booth members. */
export function boothPlan(sites: BoothSite[], remote: { cluster: string; address?: string }[], tickets: BoothPlan['tickets'], arbitrator: string | undefined): BoothPlan {
  const all = [...sites, ...remote.filter((r) => !sites.some((s) => s.cluster === r.cluster)).map((r) => ({ cluster: r.cluster, address: r.address ?? PLACEHOLDER, ...(r.address ? {} : { placeholder: true }) }))];
  return { sites: all, ...(arbitrator ? { arbitrator } : {}), tickets };
}
