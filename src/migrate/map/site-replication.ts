// Replication groups (RVG, its disk group and replication address) and RVGPrimary → the replica
// clone of each Tandem resource at this site, the promotion constraints of the application groups,
// and the booth tickets of global groups (docs/MIGRATION.md §7).
import { replicaClone, replicaParams, runsWherePromoted } from '../../cluster/pacemaker-model/replica.js';
import { attrValue, scalarAttr, valueText, type Group, type Resource } from '../vcs/model.js';
import { locations, scoreRange } from './groups.js';
import { globalGroups, ticketName } from './cluster.js';
import { serviceGroup, warnLeftovers } from './site-services.js';
import type { SiteState } from './site.js';

export function replicationGroup(st: SiteState, g: Group): void {
  const rvgs = g.resources.filter((r) => r.type === 'RVG');
  for (const rvgRes of rvgs) {
    const sr = st.rvgs.get(rvgRes.name)!;
    const res = sr.resource;
    const { primitive, clone } = replicaClone(res.name, sr.shared ? 1 : sr.peers.length, sr.shared ? [['node', sr.peers[0]]] : [], `RVG ${rvgRes.name} (group ${g.name})`);
    st.ids.reserve(primitive.id);
    st.ids.reserve(clone.id);
    st.pcmk.primitives.push(primitive);
    st.pcmk.clones.push(clone);
    st.rvgClones.set(rvgRes.name, clone.id);
    st.resourceIds.set(rvgRes.name, clone.id);
    if (!st.groupTargets.has(g.name)) st.groupTargets.set(g.name, clone.id);
    warnLeftovers(st, rvgRes, ['RVG', 'DiskGroup']);
    st.mapping({ vcs: `${rvgRes.name} (RVG ${res.rvg})`, vcsKind: 'RVG', target: `Tandem resource ${res.name} (tandem/${res.name}.ini) + promotable clone ${clone.id} of ocf:tandem:replica`, note: `${res.volumes.length} volume(s), protocol ${res.protocol}${res.pairs.map((c) => `, ${c.nodes.join('-')} ${c.protocol}`).join('')}${sr.shared ? `; Tandem node ${sr.peers[0]} = this site (${st.nodes.join(', ')} share its disks)` : ''}` });
    if (sr.shared) siteStorage(st, g, clone.id, sr.peers[0]);
    else {
      st.pcmk.constraints.push(...locations(clone.id, g, st.nodes, st.ids));
      st.maxScoreRange = Math.max(st.maxScoreRange, scoreRange(g, st.nodes));
      ownDisks(st, g);
    }
  }
  if (rvgs.length > 1) st.warnings.add('approximate', g.name, `group holds ${rvgs.length} RVGs; constraints naming this group use the first (${st.groupTargets.get(g.name)})`, g.pos);
  if (st.storageGroups.has(g.name)) return; // its attributes went to the site storage group
  for (const a of g.attrs.filter((x) => !['SystemList', 'AutoStartList', 'Parallel'].includes(x.name))) {
    st.warnings.add('not-mapped', `${g.name}.${a.name}`, `attribute ${a.name} = ${valueText(a.value)} of replication group ${g.name} is not mapped`, a.pos);
  }
}

/**
 * The site's shared disks: the disk group becomes an LVM volume group activated on one node at a
 * time, the replication IP follows it, and the site's one replica instance runs with them.
 */
function siteStorage(st: SiteState, g: Group, clone: string, node: string): void {
  const group = serviceGroup(st, g, (r) => r.type !== 'RVG', 'site storage');
  if (!group) return;
  st.storageGroups.set(g.name, group);
  st.pcmk.constraints.push(
    { kind: 'colocation', id: st.ids.take(`${clone}-with-${group}`), rsc: clone, withRsc: group, score: 'INFINITY' },
    { kind: 'order', id: st.ids.take(`${group}-then-${clone}`), first: group, firstAction: 'start', then: clone, thenAction: 'start', orderKind: 'Mandatory' },
  );
  st.mapping({ vcs: `${g.name} (failover, shared disks)`, vcsKind: 'replication group', target: `group ${group} (volume group + replication address) with ${clone} on the same node, started first`, note: `Tandem node ${node} moves between ${st.nodes.join(' and ')} with the disks, as VCS moved the RVG` });
}

/** Each node has its own disks (a parallel replication group): the group's resources are host setup. */
function ownDisks(st: SiteState, g: Group): void {
  for (const r of g.resources.filter((x) => x.type !== 'RVG')) {
    if (r.type === 'IP' || r.type === 'NIC') {
      st.handled.set(r.name, 'host network');
      st.mapping({ vcs: r.name, vcsKind: r.type, target: r.type === 'IP' ? 'node addresses in the Tandem INI' : '(host network)', note: 'each node replicates from its own static address; configure it on the host, not as a cluster resource' });
    } else if (r.type === 'DiskGroup') {
      st.handled.set(r.name, 'host storage');
      st.mapping({ vcs: r.name, vcsKind: r.type, target: 'Tandem volume backing devices (disk = …)', note: `VxVM disk group ${scalarAttr(r.attrs, 'DiskGroup') ?? ''} → an LVM VG of the same name on each node's own disks` });
      st.warnings.add('data-layer', r.name, `disk group ${scalarAttr(r.attrs, 'DiskGroup') ?? ''}: build an LVM VG with one LV per data volume on every node (sizes in report); VxVM, its DCM logs and the SRL do not exist on the target`, r.pos);
    } else {
      st.mapping({ vcs: r.name, vcsKind: r.type, target: '(not mapped)' });
      st.warnings.add('not-mapped', r.name, `resource ${r.type} ${r.name} in replication group ${g.name} is not mapped; re-create it next to the replica clone if it is still needed`, r.pos);
    }
  }
}

/** RVGPrimary → the application group runs where the replica is Promoted, after the promotion. */
export function promotion(st: SiteState, g: Group): void {
  for (const res of g.resources.filter((r) => r.type === 'RVGPrimary')) {
    const rvgName = scalarAttr(res.attrs, 'RvgResourceName') ?? '';
    const clone = st.rvgClones.get(rvgName);
    if (!clone) {
      st.warnings.add('not-mapped', res.name, `RVGPrimary ${res.name} names RvgResourceName ${rvgName}, which is not an RVG resource of this main.cf: no promotion constraint, so ${g.name} is not tied to any replica (add them by hand)`, res.pos);
      continue;
    }
    st.handled.set(res.name, `promotion of ${clone}`);
    agentSettings(st, res, clone);
    warnLeftovers(st, res, ['RvgResourceName', 'AutoTakeover', 'AutoResync', 'BunkerSyncTimeOut']);
    const app = st.groupTargets.get(g.name);
    if (!app) continue;
    promoteWith(st, app, clone);
    st.mapping({ vcs: `${g.name} ⟶ ${res.name}`, vcsKind: 'RVGPrimary', target: `colocation ${app} with ${clone} Promoted + order promote ${clone} then start ${app}` });
  }
}

export function promoteWith(st: SiteState, app: string, clone: string): void {
  st.promotedWith.set(app, clone);
  st.pcmk.constraints.push(...runsWherePromoted(app, clone).map((c) => ({ ...c, id: st.ids.take(c.id) })));
}

function agentSettings(st: SiteState, res: Resource, cloneId: string): void {
  const clone = st.pcmk.clones.find((c) => c.id === cloneId)!;
  const primitive = st.pcmk.primitives.find((p) => p.id === clone.child)!;
  const takeover = scalarAttr(res.attrs, 'AutoTakeover') ?? '1';
  const resync = scalarAttr(res.attrs, 'AutoResync') ?? '0';
  const settings: [string, string][] = [['auto_takeover', takeover === '0' ? 'false' : 'true'], ['auto_resync', resync === '0' ? 'false' : 'true']];
  const resource = primitive.params.find(([k]) => k === 'resource')![1];
  primitive.params = replicaParams(resource, [...primitive.params.filter(([k]) => k !== 'resource'), ...settings]);
  st.mapping({ vcs: `${res.name}.AutoTakeover/AutoResync`, vcsKind: 'RVGPrimary', target: `${primitive.id} ${settings.map(([k, v]) => `${k}=${v}`).join(' ')}`, note: 'auto_takeover=false: no automatic promotion while a diskful peer cannot be seen; auto_resync=false: a former Primary that crashed starts StandAlone until tandem connect' });
  if (takeover === '0') {
    st.warnings.add('approximate', `${res.name}.AutoTakeover`, 'AutoTakeover = 0: auto_takeover=false withholds the promotion score whenever a diskful peer cannot be seen, '
      + `also when a cluster starts with a node missing; an operator authorises a takeover with pcs resource update ${primitive.id} auto_takeover=true`, res.pos);
  }
  const bunker = attrValue(res.attrs, 'BunkerSyncTimeOut');
  if (bunker) st.warnings.add('not-mapped', `${res.name}.BunkerSyncTimeOut`, `BunkerSyncTimeOut = ${valueText(bunker)}: there is no bunker replay before a takeover in Tandem (a bunker is a full synchronous copy)`, bunker.pos);
}

/** Global groups (ClusterList) run only while their site holds the group's booth ticket. */
export function tickets(st: SiteState): { name: string; group: string; policy: string }[] {
  const out: { name: string; group: string; policy: string }[] = [];
  for (const g of globalGroups(st.site)) {
    const target = st.groupTargets.get(g.name);
    const policy = scalarAttr(g.attrs, 'ClusterFailOverPolicy') ?? 'Manual';
    const ticket = ticketName(g.name);
    out.push({ name: ticket, group: g.name, policy });
    if (!target) continue;
    st.pcmk.constraints.push({ kind: 'ticket', id: st.ids.take(`tkt-${target}`), ticket, rsc: target, lossPolicy: 'stop' });
    const clone = st.promotedWith.get(target);
    if (clone) st.pcmk.constraints.push({ kind: 'ticket', id: st.ids.take(`tkt-${clone}`), ticket, rsc: clone, role: 'Promoted', lossPolicy: 'demote' });
    st.mapping({ vcs: `${g.name}.ClusterList`, vcsKind: 'global group', target: `booth ticket ${ticket} + rsc_ticket for ${target}${clone ? ` and ${clone} (Promoted)` : ''}` });
    st.warnings.add('global-cluster', `${g.name}.ClusterFailOverPolicy`, policy === 'Manual'
      ? `ClusterFailOverPolicy = Manual: the site runs the group only while it holds ${ticket}; grant it by hand (booth grant -s <site address> ${ticket})`
      : `ClusterFailOverPolicy = ${policy}: booth hands ${ticket} over automatically only with an arbitrator (the steward's role); booth cannot tell a network split from a site loss the way Connected does`, attrValue(g.attrs, 'ClusterFailOverPolicy')?.pos ?? g.pos);
    const authority = attrValue(g.attrs, 'Authority');
    if (authority) st.warnings.add('global-cluster', `${g.name}.Authority`, `Authority = ${valueText(authority)}: the site that first holds ${ticket} is chosen when booth is set up (the cut-over plan grants it to the Primary site)`, authority.pos);
  }
  return out;
}
