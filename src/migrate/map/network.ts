// NIC resources (and Proxies of them) → link monitoring. VCS faulted a NIC when its link died,
// and the groups that needed it failed over. IPaddr2 does not look at carrier, so each device gets
// an ethmonitor clone (it sets the node attribute ethmonitor-<device> to 1 while the link is up)
// and every group that needed the NIC gets a location rule keeping it off nodes where it is not 1.
import { operationsFor } from '../../cluster/pacemaker-model/operations.js';
import { scalarAttr } from '../vcs/model.js';
import type { SiteState } from './site.js';

export interface Link {
  clone: string;
  /** the node attribute ethmonitor sets: 1 while the link is up */
  attribute: string;
}

/** The ethmonitor clone of a device (created once per site), recorded for the NIC `nic`. */
export function linkFor(st: SiteState, nic: string, device?: string): Link {
  const known = st.links.get(nic);
  if (known) return known;
  if (device === undefined) throw new Error(`no link recorded for ${nic}`);
  let link = st.linkByDevice.get(device);
  if (!link) {
    const agent = { class: 'ocf' as const, provider: 'heartbeat', type: 'ethmonitor' };
    const id = st.ids.take(`ethmonitor-${device}`);
    const clone = st.ids.take(`${id}-clone`);
    st.pcmk.primitives.push({ id, agent, params: [['interface', device]], meta: [], ops: operationsFor(agent), comment: `link of ${device} (VCS NIC ${nic})` });
    st.pcmk.clones.push({ id: clone, child: id, promotable: false, meta: [] });
    link = { clone, attribute: `ethmonitor-${device}` };
    st.linkByDevice.set(device, link);
  }
  st.links.set(nic, link);
  return link;
}

/** Location rules for every group that contained, or proxied, a monitored NIC. */
export function linkRules(st: SiteState): void {
  const nicOwner = new Map<string, string>();
  for (const g of st.site.vcs.config.groups) for (const r of g.resources) if (st.links.has(r.name)) nicOwner.set(r.name, g.name);
  for (const g of st.site.vcs.config.groups) {
    // a site's replication address lives in its storage group: the rule belongs there
    const target = st.storageGroups.get(g.name) ?? st.groupTargets.get(g.name);
    if (!target || [...st.linkByDevice.values()].some((l) => l.clone === target)) continue;
    const needed = new Set<string>();
    for (const r of g.resources) {
      if (st.links.has(r.name)) needed.add(r.name);
      const proxied = r.type === 'Proxy' ? scalarAttr(r.attrs, 'TargetResName') : undefined;
      if (proxied && st.links.has(proxied)) needed.add(proxied);
    }
    for (const attribute of new Set([...needed].map((n) => st.links.get(n)!.attribute))) {
      const id = st.ids.take(`${target}-needs-${attribute}`);
      st.pcmk.constraints.push({ kind: 'location-rule', id, rsc: target, score: '-INFINITY', booleanOp: 'or', expressions: [{ attribute, operation: 'not_defined' }, { attribute, operation: 'ne', value: '1' }] });
      const nics = [...needed].filter((n) => st.links.get(n)!.attribute === attribute);
      st.mapping({ vcs: `${g.name} needs ${nics.join(', ')}${nics.some((n) => nicOwner.get(n) !== g.name) ? ' (Proxy)' : ''}`, vcsKind: 'NIC dependency', target: `location ${id}: ${target} never where ${attribute} is not 1 (link down)` });
    }
  }
}
