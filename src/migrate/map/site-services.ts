// Service groups → Pacemaker groups or clones of mapped primitives (docs/MIGRATION.md §4), members in
// dependency order, placement from SystemList, failure handling from the group attributes.
import type { Op, Primitive } from '../../cluster/pacemaker-model/model.js';
import { deviceOf } from '../../cluster/pacemaker-model/replica.js';
import { attrValue, scalarAttr, valueText, type Group, type Resource } from '../vcs/model.js';
import { mapAgent, SPECIAL_TYPES, unconsumed, type AgentContext } from './agents.js';
import { dependencyOrder, groupSettings, isChain, locations, scoreRange, systemList } from './groups.js';
import { linkFor } from './network.js';
import { vxvmPath } from './replication.js';
import { promoteWith } from './site-replication.js';
import type { SiteState } from './site.js';

const NOT_MIGRATED_TYPES = new Set(['NotifierMngr', 'wac']);
const CVR_TYPES = new Set(['RVGShared', 'RVGLogowner', 'RVGSharedPri', 'RVGSnapshot', 'CVMCluster', 'CVMVolDg', 'CFSMount', 'CFSfsckd', 'CVMVxconfigd']);
const RESOURCE_META_ATTRS = new Set(['Critical', 'Enabled', 'MonitorInterval']);

/**
 * Map the members of `g` (those `include` accepts) into one Pacemaker group placed by SystemList.
 * A service group becomes the target constraints name; `purpose` marks a helper group (the site
 * storage of a replication group), which is not. Returns the group id, if anything was mapped.
 */
export function serviceGroup(st: SiteState, g: Group, include: (r: Resource) => boolean = () => true, purpose?: string): string | undefined {
  const ctx = agentContext(st, g);
  const settings = groupSettings(g, st.nodes, st.warnings);
  const memberIds: string[] = [];
  for (const name of dependencyOrder(g)) {
    const res = g.resources.find((r) => r.name === name)!;
    if (!include(res)) continue;
    const id = mapResource(st, res, ctx, settings.blockOnFailure);
    if (id) memberIds.push(id);
  }
  const parallel = scalarAttr(g.attrs, 'Parallel') ?? '0';
  if (parallel === '2') st.warnings.add('approximate', `${g.name}.Parallel`, 'Parallel = 2 (hybrid / replicated data cluster) is mapped as a failover group', g.pos);
  if (memberIds.length === 0) {
    const links = g.resources.filter((r) => st.links.has(r.name));
    if (links.length > 0 && !purpose) {
      st.groupTargets.set(g.name, linkFor(st, links[0].name).clone);
      st.mapping({ vcs: g.name, vcsKind: parallel === '1' ? 'parallel group' : 'group', target: `clone ${linkFor(st, links[0].name).clone} (ethmonitor)`, note: 'a group that only watched network links' });
    } else if (!purpose) {
      st.mapping({ vcs: g.name, vcsKind: 'group', target: '(nothing to run)', note: 'no member maps to a Pacemaker resource' });
    }
    return undefined;
  }
  const groupId = st.ids.take(g.name);
  st.pcmk.groups.push({ id: groupId, members: memberIds, meta: parallel === '1' ? [] : settings.meta, comment: `group ${g.name}${purpose ? ` (${purpose})` : ''}` });
  const mappedNames = dependencyOrder(g).filter((n) => st.resourceIds.has(n));
  if (!isChain(g, mappedNames)) st.mapping({ vcs: `${g.name} dependencies`, vcsKind: 'resource DAG', target: `group order ${memberIds.join(' → ')}`, note: 'the dependency tree was sorted into one chain; the group adds ordering between independent branches' });
  let target = groupId;
  if (parallel === '1') {
    target = st.ids.take(`${groupId}-clone`);
    st.pcmk.clones.push({ id: target, child: groupId, promotable: false, meta: [...settings.meta, ['clone-max', String(systemList(g, st.nodes).length)], ['clone-node-max', '1']] });
  }
  if (!purpose) st.groupTargets.set(g.name, target);
  st.pcmk.constraints.push(...locations(target, g, st.nodes, st.ids));
  st.maxScoreRange = Math.max(st.maxScoreRange, scoreRange(g, st.nodes));
  if (!purpose) st.mapping({ vcs: g.name, vcsKind: parallel === '1' ? 'parallel group' : 'failover group', target: parallel === '1' ? `clone ${target} of group ${groupId}` : `group ${groupId}`, note: `members ${memberIds.join(', ')}` });
  return target;
}

/** One resource of a service group; returns its primitive id when it became one. */
function mapResource(st: SiteState, res: Resource, ctx: AgentContext, blockOnFailure: boolean): string | undefined {
  if (res.type === 'RVGPrimary' || res.type === 'Proxy') return undefined; // promotion.ts and dependencies.ts
  if (NOT_MIGRATED_TYPES.has(res.type) || CVR_TYPES.has(res.type)) {
    st.mapping({ vcs: res.name, vcsKind: res.type, target: '(not mapped)' });
    st.warnings.add('not-mapped', res.name, CVR_TYPES.has(res.type) ? `${res.type} (CVM/CFS/CVR, fire drill) has no automatic mapping; it needs a design decision (cloned LVM/gfs2, snapshot procedure)` : `${res.type} is not migrated`, res.pos);
    return undefined;
  }
  const result = SPECIAL_TYPES.has(res.type) ? undefined : mapAgent(res, ctx);
  if (!result) {
    st.mapping({ vcs: res.name, vcsKind: res.type, target: '(not mapped)' });
    st.warnings.add('not-mapped', res.name, `no mapping for resource type ${res.type}; original: ${res.type} ${res.name} ( ${res.attrs.map((a) => `${a.name}${a.system ? ` @${a.system}` : ''} = ${valueText(a.value)}`).join('; ')} )`, res.pos);
    return undefined;
  }
  warnLeftovers(st, res, result.consumed);
  if (result.kind === 'dropped') {
    st.handled.set(res.name, result.note);
    st.mapping({ vcs: res.name, vcsKind: res.type, target: '(no resource)', note: result.note });
    return undefined;
  }
  if (result.kind === 'link') {
    const link = linkFor(st, res.name, result.device);
    st.handled.set(res.name, `link monitor ${link.clone}`);
    st.mapping({ vcs: res.name, vcsKind: res.type, target: `clone ${link.clone} (ocf:heartbeat:ethmonitor interface=${result.device}) + location rules on ${link.attribute}`, note: result.note });
    return undefined;
  }
  const id = st.ids.take(res.name);
  const p: Primitive = { id, comment: `${res.type} ${res.name}`, ...result.primitive, meta: [...result.primitive.meta] };
  resourceMeta(st, res, p, blockOnFailure);
  st.pcmk.primitives.push(p);
  st.resourceIds.set(res.name, id);
  if (result.mount) {
    const m = result.mount;
    st.mounts.push({ site: st.site.cluster, mount: res.name, resource: m.replicated.resource, volume: m.replicated.volume, directory: m.directory, vxvmDevice: m.vxvmDevice, oldFsType: m.oldFsType, newFsType: m.newFsType, copy: m.oldFsType === m.newFsType ? 'blocks' : 'files' });
  }
  st.mapping({ vcs: res.name, vcsKind: res.type, target: `${id} (${p.agent.class}:${p.agent.provider ? `${p.agent.provider}:` : ''}${p.agent.type})`, ...(result.note ? { note: result.note } : {}) });
  return id;
}

/** Every attribute the mapping did not use gets a warning with its original text. */
export function warnLeftovers(st: SiteState, res: Resource, consumed: string[]): void {
  for (const a of unconsumed(res.attrs, [...consumed, ...RESOURCE_META_ATTRS])) {
    st.warnings.add('not-mapped', `${res.name}.${a.name}`, `attribute ${a.name}${a.system ? ` @${a.system}` : ''} = ${valueText(a.value)} of ${res.type} ${res.name} is not mapped`, a.pos);
  }
}

function resourceMeta(st: SiteState, res: Resource, p: Primitive, blockOnFailure: boolean): void {
  if (scalarAttr(res.attrs, 'Enabled') === '0') p.meta.push(['target-role', 'Stopped']);
  const interval = scalarAttr(res.attrs, 'MonitorInterval');
  const block = (o: Op): Op => (blockOnFailure && (o.name === 'start' || o.name === 'monitor') ? { ...o, onFail: 'block' } : o);
  p.ops = p.ops.map((o) => block(o.name === 'monitor' && interval && /^\d+$/.test(interval) ? { ...o, intervalSec: Number(interval) } : o));
  const critical = attrValue(res.attrs, 'Critical');
  if (critical?.kind === 'scalar' && critical.text === '0') {
    st.warnings.add('approximate', `${res.name}.Critical`, 'Critical = 0 (a fault does not fail the group over) has no exact equivalent: in a Pacemaker group a failed member is restarted and, after migration-threshold failures, moves the group; consider taking it out of the group', critical.pos);
  }
}

function agentContext(st: SiteState, g: Group): AgentContext {
  const order = systemList(g, st.nodes).map(([n]) => n);
  const trimmed = (res: Resource, name: string, text: string, pos: Resource['pos']): string => {
    const t = text.trim();
    if (t !== text) st.warnings.add('approximate', `${res.name}.${name}`, `${name} = ${JSON.stringify(text)} has leading or trailing blanks; ${JSON.stringify(t)} is used (VCS agents split their arguments on blanks)`, pos);
    return t;
  };
  return {
    warnings: st.warnings,
    groupResources: g.resources,
    value(res, name) {
      const global = attrValue(res.attrs, name);
      if (global?.kind === 'scalar') return trimmed(res, name, global.text, global.pos);
      if (global) return undefined;
      const per = res.attrs.filter((a) => a.name === name && a.system !== undefined && a.value.kind === 'scalar');
      if (per.length === 0) return undefined;
      const texts = new Set(per.map((a) => (a.value as { text: string }).text));
      const chosen = per.find((a) => a.system === order[0]) ?? per[0];
      if (texts.size > 1) {
        st.warnings.add('per-system', `${res.name}.${name}`, `${name} differs per system (${per.map((a) => `@${a.system} = ${valueText(a.value)}`).join(', ')}); ${valueText(chosen.value)} of ${chosen.system} was used — express the others with per-node rules (pcs resource update … with a rule, or node attributes)`, chosen.pos);
      }
      return trimmed(res, name, (chosen.value as { text: string }).text, chosen.pos);
    },
    replicatedDevice(path) {
      const vx = vxvmPath(path);
      if (!vx) return undefined;
      for (const { resource: t } of st.rvgs.values()) {
        const v = t.volumes.find((x) => t.diskGroup === vx[0] && x.vxvmVolume === vx[1]);
        if (v) return { resource: t.name, volume: v.index, device: deviceOf(t.name, v.index) };
      }
      return undefined;
    },
  };
}

/**
 * A file system on a Tandem device exists only where, and after, that resource is Promoted. When
 * no RVGPrimary said so (none in the group, or it named an unknown RVG), the constraints are added
 * here rather than leaving a mount with no order against any promotion.
 */
export function ensurePromotionOrder(st: SiteState): void {
  for (const g of st.site.vcs.config.groups) {
    const target = st.groupTargets.get(g.name);
    if (!target) continue;
    const members = st.pcmk.groups.find((x) => x.id === target || st.pcmk.clones.some((c) => c.id === target && c.child === x.id))?.members ?? [];
    const devices = st.pcmk.primitives.filter((p) => members.includes(p.id) && p.agent.type === 'Filesystem')
      .map((p) => /^\/dev\/tandem\/([^/]+)\/\d+$/.exec(p.params.find(([k]) => k === 'device')?.[1] ?? '')?.[1]).filter((r): r is string => r !== undefined);
    for (const res of new Set(devices)) {
      const clone = `tandem-${res}-clone`;
      if (st.promotedWith.get(target) === clone || !st.pcmk.clones.some((c) => c.id === clone)) continue;
      promoteWith(st, target, clone);
      st.mapping({ vcs: `${g.name} (mounts a replicated volume)`, vcsKind: 'dependency', target: `colocation ${target} with ${clone} Promoted + order promote ${clone} then start ${target}`, note: 'added: no RVGPrimary in the group tied it to the promotion' });
      st.warnings.add('approximate', g.name, `group ${g.name} mounts a volume of ${res} but has no RVGPrimary for it: it is now placed with, and started after, the promotion of ${clone} (the device exists only there)`, g.pos);
    }
  }
}
