// Dependencies: group dependencies (`requires group C category location [rigidity]`) and Proxy
// resources → order and colocation constraints (docs/MIGRATION.md §6); and every resource dependency
// edge the Pacemaker groups do not carry is named, never dropped in silence.
import type { Constraint } from '../../cluster/pacemaker-model/model.js';
import { scalarAttr, type GroupDep } from '../vcs/model.js';
import { dependencyEdges } from './groups.js';
import type { SiteState } from './site.js';

export function mapGroupDeps(st: SiteState): void {
  for (const g of st.site.vcs.config.groups) {
    for (const dep of g.groupDeps) mapGroupDep(st, dep);
  }
}

function depText(dep: GroupDep): string {
  return `requires group ${dep.child} ${dep.category} ${dep.location}${dep.rigidity ? ` ${dep.rigidity}` : ''}`;
}

function mapGroupDep(st: SiteState, dep: GroupDep): void {
  const subject = `${dep.parent}: ${depText(dep)}`;
  const parent = st.groupTargets.get(dep.parent);
  const child = st.groupTargets.get(dep.child);
  if (!parent || !child) {
    const missing = !parent ? dep.parent : dep.child;
    const defined = st.site.vcs.config.groups.some((g) => g.name === missing);
    st.warnings.add('not-mapped', subject, `dependency dropped: group ${missing} has no Pacemaker counterpart${defined ? '' : ' (not defined in this main.cf)'}, so ${dep.parent} is no longer ordered after or placed with ${dep.child}; add the constraint by hand if it still matters`, dep.pos);
    return;
  }
  if (st.promotedWith.get(parent) === child) {
    st.mapping({ vcs: subject, vcsKind: 'group dependency', target: `the promotion constraints of ${child}`, note: 'the application group runs where the replicated resource is Promoted and starts after promotion' });
    if (dep.rigidity !== 'hard' || dep.location !== 'local') st.warnings.add('approximate', subject, `${dep.category} ${dep.location} ${dep.rigidity ?? '(no rigidity)'} to a replication group is mapped like online local hard (colocated with the Promoted instance)`, dep.pos);
    return;
  }
  if (dep.category === 'online' && !dep.rigidity) {
    st.warnings.add('approximate', subject, 'online dependency without a rigidity: mapped as firm (VCS\'s default)', dep.pos);
  }
  const isReplica = st.pcmk.clones.some((c) => c.id === child && c.promotable);
  const cs = constraintsFor(st, dep, parent, child);
  if (cs === undefined) {
    st.warnings.add('not-mapped', subject, `${dep.category} ${dep.location} dependencies have no Pacemaker equivalent; review by hand`, dep.pos);
    return;
  }
  st.pcmk.constraints.push(...cs);
  st.mapping({ vcs: subject, vcsKind: 'group dependency', target: cs.map(describe).join(' + ') || '(none)', ...(isReplica ? { note: 'child is a replication group: the dependency follows the replica clone\'s started instances' } : {}) });
  if (dep.category === 'online' && dep.location === 'local' && (dep.rigidity ?? 'firm') === 'firm') {
    st.warnings.add('approximate', subject, 'online local firm: mapped like hard (mandatory colocation + order); Pacemaker cannot express that the child may fail over without the parent', dep.pos);
  }
  if (dep.rigidity === 'soft' && dep.category === 'online') {
    st.warnings.add('approximate', subject, `online ${dep.location} soft: the child is needed only to start the parent; mapped to an optional order${dep.location === 'local' ? ' and an advisory colocation (score 500)' : ''}`, dep.pos);
  }
}

function constraintsFor(st: SiteState, dep: GroupDep, parent: string, child: string): Constraint[] | undefined {
  const ids = st.ids;
  const orderKind = dep.rigidity === 'soft' ? 'Optional' : 'Mandatory';
  const order = (): Constraint => ({ kind: 'order', id: ids.take(`ord-${child}-then-${parent}`), first: child, firstAction: 'start', then: parent, thenAction: 'start', orderKind });
  const coloc = (score: string): Constraint => ({ kind: 'colocation', id: ids.take(`col-${parent}-with-${child}`), rsc: parent, withRsc: child, score });
  if (dep.category === 'online') {
    if (dep.location === 'local') return [coloc(dep.rigidity === 'soft' ? '500' : 'INFINITY'), order()];
    if (dep.location === 'global') return [order()];
    return [coloc('-INFINITY'), order()];
  }
  // offline local (hacf writes it without a rigidity): never on the same node
  if (dep.location === 'local') return [coloc('-INFINITY')];
  return undefined;
}

function describe(c: Constraint): string {
  switch (c.kind) {
    case 'colocation': return `colocation ${c.rsc} with ${c.withRsc}${c.withRole ? ` ${c.withRole}` : ''} (${c.score})`;
    case 'order': return `order ${c.firstAction} ${c.first} then ${c.thenAction} ${c.then}${c.orderKind === 'Optional' ? ' (optional)' : ''}`;
    case 'location': return `location ${c.rsc} ${c.node} ${c.score}`;
    case 'location-rule': return `location rule ${c.id} for ${c.rsc}`;
    case 'ticket': return `ticket ${c.ticket} for ${c.rsc}`;
  }
}

/** A Proxy mirrors a resource of another group: its parents depend on that resource's group. */
export function mapProxies(st: SiteState): void {
  for (const g of st.site.vcs.config.groups) {
    for (const proxy of g.resources.filter((r) => r.type === 'Proxy')) {
      const targetName = scalarAttr(proxy.attrs, 'TargetResName') ?? '';
      const targetGroup = st.site.vcs.config.groups.find((x) => x.resources.some((r) => r.name === targetName));
      const parentTarget = st.groupTargets.get(g.name);
      if (scalarAttr(proxy.attrs, 'TargetSysName')) st.warnings.add('approximate', `${proxy.name}.TargetSysName`, 'TargetSysName (mirror the resource on one named system) is not mapped', proxy.pos);
      if (!targetGroup) {
        st.warnings.add('not-mapped', proxy.name, `Proxy target ${targetName} is not defined in this main.cf: ${g.name} loses its dependency on it`, proxy.pos);
        continue;
      }
      if (st.links.has(targetName)) {
        st.handled.set(proxy.name, `location rule on ${st.links.get(targetName)!.attribute}`);
        continue; // a NIC: network.ts keeps the group where the link is up
      }
      const target = st.resourceIds.has(targetName) ? st.groupTargets.get(targetGroup.name) : undefined;
      if (!target || !parentTarget || target === parentTarget) {
        st.handled.set(proxy.name, 'no constraint');
        st.mapping({ vcs: proxy.name, vcsKind: 'Proxy', target: '(no constraint)', note: `mirrors ${targetName}, which has no Pacemaker resource of its own (its checks are done by the resources that use it)` });
        continue;
      }
      st.handled.set(proxy.name, `constraints on ${target}`);
      st.pcmk.constraints.push(
        { kind: 'colocation', id: st.ids.take(`col-${parentTarget}-with-${target}`), rsc: parentTarget, withRsc: target, score: 'INFINITY' },
        { kind: 'order', id: st.ids.take(`ord-${target}-then-${parentTarget}`), first: target, firstAction: 'start', then: parentTarget, thenAction: 'start', orderKind: 'Mandatory' },
      );
      st.mapping({ vcs: proxy.name, vcsKind: 'Proxy', target: `colocation + order of ${parentTarget} after ${target}`, note: `mirrors ${targetName}` });
    }
  }
}

/**
 * `parent requires child` edges inside a group are carried by the Pacemaker group's order only
 * when both ends became members. Every other edge is reported: as what replaced it (promotion,
 * link rule, Proxy constraints), or as a warning that its ordering is lost.
 */
export function reportDroppedEdges(st: SiteState): void {
  for (const g of st.site.vcs.config.groups.filter((x) => x.name !== 'ClusterService')) {
    for (const a of g.atLeastDeps) {
      st.warnings.add('approximate', `${g.name}: ${a.parent} requires atleast ${a.min}`, `${a.parent} requires atleast ${a.min} from ${a.children.join(', ')}: Pacemaker has no N-of-M dependency; the children are ordered before ${a.parent} like plain requires, so ${a.parent} now needs all ${a.children.length} of them (put the optional ones in their own group or clone if that matters)`, a.pos);
    }
    for (const e of dependencyEdges(g)) {
      if (st.resourceIds.has(e.parent) && st.resourceIds.has(e.child)) continue;
      const edge = `${e.parent} requires ${e.child}`;
      const end = !st.resourceIds.has(e.child) ? e.child : e.parent;
      const replaced = st.handled.get(end);
      if (replaced) {
        st.mapping({ vcs: `${g.name}: ${edge}`, vcsKind: 'resource dependency', target: `carried by ${replaced}`, note: `${end} has no primitive of its own` });
      } else {
        st.warnings.add('not-mapped', `${g.name}: ${edge}`, `dependency dropped: ${end} has no Pacemaker resource, so ${e.parent} is no longer ordered after ${e.child}; add an order constraint by hand if ${end} is re-created`, e.pos);
      }
    }
  }
}
