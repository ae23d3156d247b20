// Service groups → Pacemaker groups or clones (docs/MIGRATION.md §4): members in dependency order,
// SystemList → location scores, group attributes → meta attributes or warnings.
import { TandemError } from '../../lib/errors.js';
import { attrValue, valueText, type Attr, type Group } from '../vcs/model.js';
import type { Warnings } from '../warnings.js';
import type { Location, NvPairs } from '../../cluster/pacemaker-model/model.js';
import type { IdSpace } from './ids.js';

/** Group attributes read by the mapping itself (placement, parallelism, GCO). */
const PLACEMENT_ATTRS = new Set(['SystemList', 'AutoStartList', 'Parallel', 'ClusterList', 'ClusterFailOverPolicy', 'Authority']);

/** SystemList as [node, priority] pairs; a keylist gives priorities in list order. */
export function systemList(group: Group, allNodes: string[]): [string, number][] {
  const v = attrValue(group.attrs, 'SystemList');
  if (!v) return allNodes.map((n, i) => [n, i]);
  if (v.kind === 'assoc') return v.entries.map((e) => [e.key.text, Number(e.value.text)]);
  if (v.kind === 'list') return v.items.map((x, i) => [x.text, i]);
  return [[v.text, 0]];
}

/** Location constraints: lower VCS priority → higher score; nodes outside SystemList banned. */
export function locations(rsc: string, group: Group, allNodes: string[], ids: IdSpace): Location[] {
  const list = systemList(group, allNodes);
  const max = Math.max(...list.map(([, p]) => p));
  const out: Location[] = list.map(([node, prio]) => ({ kind: 'location', id: ids.take(`loc-${rsc}-${node}`), rsc, node, score: String((max - prio + 1) * 100) }));
  for (const node of allNodes) {
    if (!list.some(([n]) => n === node)) out.push({ kind: 'location', id: ids.take(`loc-${rsc}-${node}`), rsc, node, score: '-INFINITY' });
  }
  return out;
}

/** The largest difference between location scores, so stickiness can outweigh it. */
export function scoreRange(group: Group, allNodes: string[]): number {
  const prios = systemList(group, allNodes).map(([, p]) => p);
  return (Math.max(...prios) - Math.min(...prios) + 1) * 100;
}

/** Every `parent requires child` edge of a group, `atleast` ones included. */
export function dependencyEdges(group: Group): { parent: string; child: string; pos: Group['pos'] }[] {
  return [...group.resourceDeps, ...group.atLeastDeps.flatMap((a) => a.children.map((child) => ({ parent: a.parent, child, pos: a.pos })))];
}

/** Resources in an order where every child comes before its parents (stable by declaration). */
export function dependencyOrder(group: Group): string[] {
  const names = group.resources.map((r) => r.name);
  const edges = dependencyEdges(group);
  const children = new Map(names.map((n) => [n, edges.filter((d) => d.parent === n).map((d) => d.child)]));
  const done = new Set<string>();
  const visiting = new Set<string>();
  const out: string[] = [];
  const visit = (n: string, path: string[]): void => {
    if (done.has(n)) return;
    if (visiting.has(n)) {
      const dep = edges.find((d) => d.parent === n)!;
      throw new TandemError('TANDEM_E_PARSE', `${dep.pos.file}:${dep.pos.line}:${dep.pos.col}: resource dependencies of group ${group.name} form a cycle: ${[...path, n].join(' requires ')}`, { hint: 'VCS requires a dependency tree without cycles; fix main.cf', details: { file: dep.pos.file, line: dep.pos.line, col: dep.pos.col } });
    }
    visiting.add(n);
    for (const c of children.get(n) ?? []) visit(c, [...path, n]);
    visiting.delete(n);
    done.add(n);
    out.push(n);
  };
  for (const n of names) visit(n, []);
  return out;
}

/** A DAG that is not a simple chain gains ordering a Pacemaker group imposes. */
export function isChain(group: Group, members: string[]): boolean {
  const edges = dependencyEdges(group);
  return members.every((m, i) => i === 0 || edges.some((d) => d.parent === m && d.child === members[i - 1]));
}

export interface GroupSettings {
  meta: NvPairs;
  /** AutoFailOver = 0: a failed member is left where it is, blocked, until an operator acts */
  blockOnFailure: boolean;
}

/** Group attributes → meta attributes and failure handling; everything not representable is a warning. */
export function groupSettings(group: Group, nodes: string[], warnings: Warnings): GroupSettings {
  const meta: NvPairs = [];
  let blockOnFailure = false;
  const warn = (a: Attr, msg: string): void => warnings.add('approximate', `${group.name}.${a.name}`, msg, a.pos);
  for (const a of group.attrs) {
    const text = valueText(a.value);
    const v = a.value.kind === 'scalar' ? a.value.text : text;
    if (PLACEMENT_ATTRS.has(a.name)) continue;
    switch (a.name) {
      case 'AutoStart':
        if (v === '0') meta.push(['target-role', 'Stopped']);
        break;
      case 'AutoFailOver':
        if (v === '0') {
          blockOnFailure = true;
          warn(a, 'AutoFailOver = 0 (the operator fails the group over): every member\'s start and monitor get on-fail=block, so a failure leaves the group where it is, marked failed and unmanaged, until an operator moves it (pcs resource move) or clears it (pcs resource cleanup). Unlike VCS, Pacemaker still recovers the group elsewhere when its whole node is lost (and fenced)');
        }
        break;
      case 'OnlineRetryLimit':
        meta.push(['migration-threshold', String(Number(v) + 1)]);
        break;
      case 'FailOverPolicy':
        if (v !== 'Priority') warn(a, `FailOverPolicy = ${v} has no direct equivalent; Priority order is used. Pacemaker's placement-strategy with utilization attributes is the closest (manual review)`);
        break;
      case 'Frozen':
      case 'TFrozen':
        if (v === '1') {
          meta.push(['is-managed', 'false']);
          warn(a, `${a.name} = 1: the group is emitted unmanaged (is-managed=false); set it to true when the freeze is over`);
        }
        break;
      default:
        warnings.add('not-mapped', `${group.name}.${a.name}`, `group attribute ${a.name} = ${text} is not mapped (ManageFaults, FaultPropagation, SystemZones, Limits, Prerequisites, triggers and similar need manual review)`, a.pos);
    }
  }
  autoStartListWarning(group, nodes, warnings);
  return { meta: dedupe(meta), blockOnFailure };
}

function autoStartListWarning(group: Group, nodes: string[], warnings: Warnings): void {
  const asl = attrValue(group.attrs, 'AutoStartList');
  if (!asl) return;
  const start = asl.kind === 'list' ? asl.items.map((i) => i.text) : asl.kind === 'scalar' ? [asl.text] : asl.entries.map((e) => e.key.text);
  const missing = systemList(group, nodes).map(([n]) => n).filter((n) => !start.includes(n));
  if (missing.length > 0) {
    warnings.add('approximate', `${group.name}.AutoStartList`, `AutoStartList leaves out ${missing.join(', ')}: Pacemaker may start the group on any node of SystemList at cluster start (scores prefer the first)`, asl.pos);
  }
}

function dedupe(pairs: NvPairs): NvPairs {
  const m = new Map(pairs);
  return [...m.entries()];
}
