// One VCS cluster (a site) → the Pacemaker configuration of the cluster that replaces it. The
// Tandem resources are shared by every site (built before, from the RVG topologies); here each
// site gets its replica clone(s), services, constraints, fencing and booth pieces.
import { emptyConfig, type PacemakerConfig } from '../../cluster/pacemaker-model/model.js';
import { scalarAttr, valueText } from '../vcs/model.js';
import type { HaStatus } from '../vvr/hastatus.js';
import type { Warnings } from '../warnings.js';
import { IdSpace } from './ids.js';
import { boothSite, clusterProperties, isGlobal, stonith } from './cluster.js';
import { mapGroupDeps, mapProxies, reportDroppedEdges } from './dependencies.js';
import { linkFor, linkRules, type Link } from './network.js';
import { promotion, replicationGroup, tickets } from './site-replication.js';
import { ensurePromotionOrder, serviceGroup } from './site-services.js';
import type { BoothSite, Mapping, MountMove, SitePlan, TandemResource } from './plan.js';
import type { Site } from './topology.js';

/** The Tandem resource an RVG resource of this site became, and this site's peers of it. */
export interface SiteRvg {
  resource: TandemResource;
  /** node names of this site in the resource (one when the site shares its disks) */
  peers: string[];
  shared: boolean;
}

export interface SiteState {
  site: Site;
  warnings: Warnings;
  ids: IdSpace;
  nodes: string[];
  pcmk: PacemakerConfig;
  /** VCS RVG resource name → its Tandem resource */
  rvgs: Map<string, SiteRvg>;
  mounts: MountMove[];
  mapping(m: Mapping): void;
  /** VCS resource → Pacemaker id of the primitive it became */
  resourceIds: Map<string, string>;
  /** VCS resources that became something other than a primitive, and what */
  handled: Map<string, string>;
  /** VCS group → the Pacemaker id constraints should name (group, clone or replica clone) */
  groupTargets: Map<string, string>;
  /** replication group → the group of its site storage (volume group, replication address) */
  storageGroups: Map<string, string>;
  /** VCS RVG resource → the promotable clone id */
  rvgClones: Map<string, string>;
  /** application group target → replica clone it is promoted with */
  promotedWith: Map<string, string>;
  /** NIC resource → the ethmonitor clone watching its device */
  links: Map<string, Link>;
  linkByDevice: Map<string, Link>;
  maxScoreRange: number;
}

export interface SiteResult {
  plan: SitePlan;
  booth?: BoothSite;
  tickets: { name: string; group: string; policy: string }[];
}

export function mapSite(site: Site, rvgs: Map<string, SiteRvg>, mounts: MountMove[], mappings: Mapping[], warnings: Warnings, multiSite: boolean): SiteResult {
  const st: SiteState = {
    site, warnings, ids: new IdSpace(), nodes: site.systems, pcmk: emptyConfig(), rvgs, mounts,
    mapping: (m) => mappings.push(multiSite ? { ...m, vcs: `${site.cluster}: ${m.vcs}` } : m),
    resourceIds: new Map(), handled: new Map(), groupTargets: new Map(), storageGroups: new Map(), rvgClones: new Map(), promotedWith: new Map(), links: new Map(), linkByDevice: new Map(), maxScoreRange: 100,
  };
  const { config } = site.vcs;
  for (const s of config.systems) {
    st.mapping({ vcs: s.name, vcsKind: 'system', target: `node ${s.name}`, note: 'must equal the host\'s uname -n' });
    for (const a of s.attrs) warnings.add('not-mapped', `system ${s.name}.${a.name}`, `system attribute ${a.name} = ${valueText(a.value)} is not mapped (capacities and zones become node utilization or attributes by hand)`, a.pos);
  }
  // a global cluster's site talks to the others through booth on its cluster address (wac's job)
  const boothGroup = isGlobal(site) ? boothSite(st) : undefined;
  for (const g of config.groups) {
    if (g.name === 'ClusterService') {
      if (boothGroup) {
        st.groupTargets.set(g.name, boothGroup.group);
        // its NIC is proxied by service groups (and watched for the booth address)
        for (const nic of g.resources.filter((r) => r.type === 'NIC' && scalarAttr(r.attrs, 'Device'))) linkFor(st, nic.name, scalarAttr(nic.attrs, 'Device')!);
      }
      notMigrated(st, g.name, g.resources.map((r) => `${r.type} ${r.name}`), boothGroup !== undefined, g.pos);
    } else if (g.resources.some((r) => r.type === 'RVG')) {
      replicationGroup(st, g);
    }
  }
  for (const g of config.groups) {
    if (g.name !== 'ClusterService' && !g.resources.some((r) => r.type === 'RVG')) serviceGroup(st, g);
  }
  for (const g of config.groups) promotion(st, g);
  ensurePromotionOrder(st);
  mapProxies(st);
  linkRules(st);
  mapGroupDeps(st);
  reportDroppedEdges(st);
  const siteTickets = tickets(st);
  clusterProperties(st);
  stonith(st, [...rvgs.values()].some((r) => r.shared));
  const stickiness = String(Math.max(1000, st.maxScoreRange + 100));
  st.pcmk.rscDefaults.push(['resource-stickiness', stickiness]);
  st.mapping({ vcs: 'no automatic failback', vcsKind: 'behaviour', target: `rsc_defaults resource-stickiness=${stickiness}`, note: 'larger than any location score difference, so nothing moves back on its own' });
  if (site.hastatus) stateWarnings(site.hastatus, warnings);
  return {
    plan: {
      cluster: site.cluster, mainCf: site.mainCf, nodes: st.nodes, pcmk: st.pcmk,
      groupTargets: Object.fromEntries(st.groupTargets), promotedWith: Object.fromEntries(st.promotedWith),
      onlineOn: Object.fromEntries((site.hastatus?.groups ?? []).filter((g) => g.state === 'ONLINE').map((g) => [g.group, g.system])),
    },
    ...(boothGroup ? { booth: boothGroup.site } : {}),
    tickets: siteTickets,
  };
}

function notMigrated(st: SiteState, group: string, members: string[], boothTook: boolean, pos: Site['vcs']['config']['groups'][number]['pos']): void {
  if (!boothTook) st.mapping({ vcs: group, vcsKind: 'group', target: '(not migrated)', note: 'ClusterService (wac, notifier, cluster IP) is replaced by booth and Pacemaker alerts' });
  st.warnings.add('not-mapped', group, boothTook
    ? `group ClusterService (${members.join(', ')}): its cluster address and wac became the booth site group; notification (NotifierMngr) becomes Pacemaker alerts, configured by hand`
    : `group ClusterService (${members.join(', ')}) is not migrated: cluster-to-cluster traffic becomes booth, notification becomes Pacemaker alerts (configure them by hand)`, pos);
}

function stateWarnings(h: HaStatus, warnings: Warnings): void {
  for (const s of h.systems.filter((x) => x.state !== 'RUNNING' || x.frozen)) {
    warnings.add('report-input', s.system, `hastatus: system ${s.system} is ${s.state}${s.frozen ? ' and frozen' : ''}; bring it to RUNNING before cut-over`);
  }
  for (const g of h.groups.filter((x) => /FAULTED|PARTIAL/.test(x.state) || x.autoDisabled)) {
    warnings.add('report-input', `${g.group}@${g.system}`, `hastatus: group ${g.group} is ${g.state}${g.autoDisabled ? ' (autodisabled)' : ''} on ${g.system}; clear it before cut-over`);
  }
  if (h.otherRows.length > 0) warnings.add('report-input', h.file, `hastatus rows not used by the mapping (other sections: remote clusters, heartbeats, failed resources): ${h.otherRows.map((r) => r.replace(/\s+/g, ' ')).join('; ')}`);
}
