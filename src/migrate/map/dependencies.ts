// Group dependencies (`requires group C category location rigidity`) and Proxy resources →
// order and colocation constraints, following the table of vvr-facts §6.1.
import { scalarAttr, type GroupDep } from '../vcs/model.js';
import type { MapState } from './index.js';
import type { Constraint } from './plan.js';

export function mapGroupDeps(st: MapState): void {
  for (const g of st.inputs.vcs.config.groups) {
    for (const dep of g.groupDeps) mapGroupDep(st, dep);
  }
}

function mapGroupDep(st: MapState, dep: GroupDep): void {
  const text = `requires group ${dep.child} ${dep.category} ${dep.location} ${dep.rigidity}`;
  const subject = `${dep.parent}: ${text}`;
  const parent = st.groupTargets.get(dep.parent);
  const child = st.groupTargets.get(dep.child);
  if (!parent || !child) {
    st.warnings.add('not-mapped', subject, `dependency not mapped: group ${!parent ? dep.parent : dep.child} has no Pacemaker counterpart${st.inputs.vcs.config.groups.some((g) => g.name === dep.child) ? '' : ' (not defined in this main.cf)'}`, dep.pos);
    return;
  }
  if (st.promotedWith.get(parent) === child) {
    st.mappings.push({ vcs: subject, vcsKind: 'group dependency', target: `the promotion constraints of ${child}`, note: 'the application group runs where the replicated resource is Promoted and starts after promotion' });
    if (dep.rigidity !== 'hard' || dep.location !== 'local') st.warnings.add('approximate', subject, `${dep.category} ${dep.location} ${dep.rigidity} to a replication group is mapped like online local hard (colocated with the Promoted instance)`, dep.pos);
    return;
  }
  const isReplica = st.pcmk.clones.some((c) => c.id === child && c.promotable);
  const cs = constraintsFor(st, dep, parent, child);
  if (cs === undefined) {
    st.warnings.add('not-mapped', subject, `${dep.category} ${dep.location} dependencies have no Pacemaker equivalent; review by hand`, dep.pos);
    return;
  }
  st.pcmk.constraints.push(...cs);
  st.mappings.push({ vcs: subject, vcsKind: 'group dependency', target: cs.map(describe).join(' + ') || '(none)', ...(isReplica ? { note: 'child is a replication group: the dependency follows the replica clone\'s started instances' } : {}) });
  if (dep.category === 'online' && dep.location === 'local' && dep.rigidity === 'firm') {
    st.warnings.add('approximate', subject, 'online local firm: mapped like hard (mandatory colocation + order); Pacemaker cannot express that the child may fail over without the parent', dep.pos);
  }
  if (dep.rigidity === 'soft' && dep.category === 'online') {
    st.warnings.add('approximate', subject, `online ${dep.location} soft: the child is needed only to start the parent; mapped to an optional order${dep.location === 'local' ? ' and an advisory colocation (score 500)' : ''}`, dep.pos);
  }
}

function constraintsFor(st: MapState, dep: GroupDep, parent: string, child: string): Constraint[] | undefined {
  const ids = st.ids;
  const orderKind = dep.rigidity === 'soft' ? 'Optional' : 'Mandatory';
  const order = (): Constraint => ({ kind: 'order', id: ids.take(`ord-${child}-then-${parent}`), first: child, firstAction: 'start', then: parent, thenAction: 'start', orderKind });
  const coloc = (score: string): Constraint => ({ kind: 'colocation', id: ids.take(`col-${parent}-with-${child}`), rsc: parent, withRsc: child, score });
  if (dep.category === 'online') {
    if (dep.location === 'local') return [coloc(dep.rigidity === 'soft' ? '500' : 'INFINITY'), order()];
    if (dep.location === 'global') return [order()];
    return [coloc('-INFINITY'), order()];
  }
  if (dep.location === 'local') return [coloc('-INFINITY')];
  return undefined;
}

function describe(c: Constraint): string {
  switch (c.kind) {
    case 'colocation': return `colocation ${c.rsc} with ${c.withRsc}${c.withRole ? ` ${c.withRole}` : ''} (${c.score})`;
    case 'order': return `order ${c.firstAction} ${c.first} then ${c.thenAction} ${c.then}${c.orderKind === 'Optional' ? ' (optional)' : ''}`;
    case 'location': return `location ${c.rsc} ${c.node} ${c.score}`;
    case 'ticket': return `ticket ${c.ticket} for ${c.rsc}`;
  }
}

/** A Proxy mirrors a resource of another group: its parents depend on that resource's group. */
export function mapProxies(st: MapState): void {
  for (const g of st.inputs.vcs.config.groups) {
    for (const proxy of g.resources.filter((r) => r.type === 'Proxy')) {
      const targetName = scalarAttr(proxy.attrs, 'TargetResName') ?? '';
      const targetGroup = st.inputs.vcs.config.groups.find((x) => x.resources.some((r) => r.name === targetName));
      const parentTarget = st.groupTargets.get(g.name);
      if (scalarAttr(proxy.attrs, 'TargetSysName')) st.warnings.add('approximate', `${proxy.name}.TargetSysName`, 'TargetSysName (mirror the resource on one named system) is not mapped', proxy.pos);
      if (!targetGroup) {
        st.warnings.add('not-mapped', proxy.name, `Proxy target ${targetName} is not defined in this main.cf`, proxy.pos);
        continue;
      }
      const target = st.resourceIds.has(targetName) ? st.groupTargets.get(targetGroup.name) : undefined;
      if (!target || !parentTarget || target === parentTarget) {
        st.mappings.push({ vcs: proxy.name, vcsKind: 'Proxy', target: '(no constraint)', note: `mirrors ${targetName}, which has no Pacemaker resource of its own (its checks are done by the resources that use it)` });
        continue;
      }
      st.pcmk.constraints.push(
        { kind: 'colocation', id: st.ids.take(`col-${parentTarget}-with-${target}`), rsc: parentTarget, withRsc: target, score: 'INFINITY' },
        { kind: 'order', id: st.ids.take(`ord-${target}-then-${parentTarget}`), first: target, firstAction: 'start', then: parentTarget, thenAction: 'start', orderKind: 'Mandatory' },
      );
      st.mappings.push({ vcs: proxy.name, vcsKind: 'Proxy', target: `colocation + order of ${parentTarget} after ${target}`, note: `mirrors ${targetName}` });
    }
  }
}
