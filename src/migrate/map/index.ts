// The whole mapping of vvr-facts §6 and §8.3, from parsed inputs to a MigrationPlan:
// replication groups → Tandem resources + promotable clones, service groups → groups/clones,
// RVGPrimary → promotion constraints, group dependencies → order/colocation, GCO → tickets.
import { attrValue, scalarAttr, valueText, type Group, type Resource } from '../vcs/model.js';
import type { LoadedVcs } from '../vcs/load.js';
import type { HaStatus } from '../vvr/hastatus.js';
import type { Warnings } from '../warnings.js';
import { IdSpace } from './ids.js';
import { mapAgent, SPECIAL_TYPES, unconsumed, type AgentContext } from './agents.js';
import { dependencyOrder, groupMeta, isChain, locations, scoreRange, systemList } from './groups.js';
import { tandemResourceFor, type VvrReports } from './replication.js';
import { mapGroupDeps, mapProxies } from './dependencies.js';
import { mapCluster } from './cluster.js';
import type { Mapping, MigrationPlan, PcmkConfig, Primitive, TandemResource } from './plan.js';

export interface MigrationInputs extends VvrReports {
  vcs: LoadedVcs;
  hastatus?: HaStatus;
  /** every input file, for the report */
  files: string[];
}

const NOT_MIGRATED_TYPES = new Set(['NotifierMngr', 'wac']);
const CVR_TYPES = new Set(['RVGShared', 'RVGLogowner', 'RVGSharedPri', 'RVGSnapshot', 'CVMCluster', 'CVMVolDg', 'CFSMount', 'CFSfsckd', 'CVMVxconfigd']);
const RESOURCE_META_ATTRS = new Set(['Critical', 'Enabled', 'MonitorInterval']);

/** Shared state of one mapping run. */
export interface MapState {
  inputs: MigrationInputs;
  warnings: Warnings;
  ids: IdSpace;
  nodes: string[];
  pcmk: PcmkConfig;
  tandem: TandemResource[];
  mappings: Mapping[];
  /** VCS resource → Pacemaker id of the primitive it became */
  resourceIds: Map<string, string>;
  /** VCS group → the Pacemaker id constraints should name (group, clone or replica clone) */
  groupTargets: Map<string, string>;
  /** VCS RVG resource → the promotable clone id */
  rvgClones: Map<string, string>;
  /** application group target → replica clone it is promoted with */
  promotedWith: Map<string, string>;
  maxScoreRange: number;
}

export function mapVcs(inputs: MigrationInputs, warnings: Warnings): MigrationPlan {
  const { config } = inputs.vcs;
  const nodes = nodeNames(inputs);
  const clusterName = config.cluster?.name ?? 'migrated';
  const st: MapState = {
    inputs, warnings, ids: new IdSpace(), nodes,
    pcmk: { clusterName, nodes, properties: [], rscDefaults: [], primitives: [], groups: [], clones: [], constraints: [] },
    tandem: [], mappings: [], resourceIds: new Map(), groupTargets: new Map(), rvgClones: new Map(), promotedWith: new Map(), maxScoreRange: 100,
  };
  for (const s of config.systems) {
    st.mappings.push({ vcs: s.name, vcsKind: 'system', target: `node ${s.name}`, note: 'must equal the host\'s uname -n' });
    for (const a of s.attrs) st.warnings.add('not-mapped', `system ${s.name}.${a.name}`, `system attribute ${a.name} = ${valueText(a.value)} is not mapped (capacities and zones become node utilization or attributes by hand)`, a.pos);
  }
  for (const g of config.groups) {
    if (g.name === 'ClusterService') notMigratedGroup(st, g);
    else if (g.resources.some((r) => r.type === 'RVG')) replicationGroup(st, g);
  }
  for (const g of config.groups) {
    if (g.name !== 'ClusterService' && !g.resources.some((r) => r.type === 'RVG')) serviceGroup(st, g);
  }
  for (const g of config.groups) promotion(st, g);
  mapProxies(st);
  mapGroupDeps(st);
  const booth = mapCluster(st);
  st.pcmk.rscDefaults.push(['resource-stickiness', String(Math.max(1000, st.maxScoreRange + 100))]);
  st.mappings.push({ vcs: 'no automatic failback', vcsKind: 'behaviour', target: `rsc_defaults resource-stickiness=${Math.max(1000, st.maxScoreRange + 100)}`, note: 'larger than any location score difference, so nothing moves back on its own' });
  if (inputs.hastatus) stateWarnings(inputs.hastatus, warnings);
  unusedReportLines(inputs, warnings);
  return {
    cluster: clusterName,
    inputs: inputs.files,
    pcmk: st.pcmk,
    tandem: st.tandem,
    ...(booth ? { booth } : {}),
    mappings: st.mappings,
    warnings: warnings.list,
    groupTargets: Object.fromEntries(st.groupTargets),
    promotedWith: Object.fromEntries(st.promotedWith),
    onlineOn: Object.fromEntries((inputs.hastatus?.groups ?? []).filter((g) => g.state === 'ONLINE').map((g) => [g.group, g.system])),
  };
}

function nodeNames(inputs: MigrationInputs): string[] {
  const { config } = inputs.vcs;
  const names = config.systems.map((s) => s.name);
  for (const g of config.groups) for (const [n] of systemList(g, [])) if (!names.includes(n)) names.push(n);
  return names;
}

function notMigratedGroup(st: MapState, g: Group): void {
  st.mappings.push({ vcs: g.name, vcsKind: 'group', target: '(not migrated)', note: 'ClusterService (wac, notifier, cluster IP) is replaced by booth and Pacemaker alerts' });
  st.warnings.add('not-mapped', g.name, `group ClusterService (${g.resources.map((r) => `${r.type} ${r.name}`).join(', ')}) is not migrated: cluster-to-cluster traffic becomes booth, notification becomes Pacemaker alerts (configure them by hand)`, g.pos);
}

function replicationGroup(st: MapState, g: Group): void {
  const groupNodes = systemList(g, st.nodes).map(([n]) => n);
  const rvgs = g.resources.filter((r) => r.type === 'RVG');
  const ipRes = g.resources.filter((r) => r.type === 'IP');
  for (const rvgRes of rvgs) {
    const tres = tandemResourceFor(rvgRes, g, groupNodes, st.tandem.length, st.inputs, st.warnings);
    st.tandem.push(tres);
    const primitive: Primitive = {
      id: st.ids.take(rvgRes.name),
      class: 'ocf', provider: 'tandem', type: 'replica',
      params: [['resource', tres.name], ['config_dir', '/etc/tandem']],
      meta: [],
      ops: [
        { name: 'monitor', interval: '10s', timeout: '20s', role: 'Promoted' },
        { name: 'monitor', interval: '20s', timeout: '20s', role: 'Unpromoted' },
      ],
      source: `RVG ${rvgRes.name}`,
    };
    const cloneId = st.ids.take(`${primitive.id}-clone`);
    tres.cloneId = cloneId;
    st.pcmk.primitives.push(primitive);
    st.pcmk.clones.push({
      id: cloneId, child: primitive.id, promotable: true, source: `group ${g.name}`,
      meta: [['promotable', 'true'], ['promoted-max', '1'], ['promoted-node-max', '1'], ['clone-max', String(groupNodes.length)], ['clone-node-max', '1'], ['notify', 'true']],
    });
    st.pcmk.constraints.push(...locations(cloneId, g, st.nodes, st.ids));
    st.maxScoreRange = Math.max(st.maxScoreRange, scoreRange(g, st.nodes));
    warnLeftovers(st, rvgRes, ['RVG', 'DiskGroup']);
    st.rvgClones.set(rvgRes.name, cloneId);
    st.resourceIds.set(rvgRes.name, cloneId);
    if (!st.groupTargets.has(g.name)) st.groupTargets.set(g.name, cloneId);
    st.mappings.push({ vcs: `${rvgRes.name} (RVG ${tres.rvg})`, vcsKind: 'RVG', target: `Tandem resource ${tres.name} (tandem/${tres.name}.ini) + promotable clone ${cloneId} of ocf:tandem:replica`, note: `${tres.volumes.length} volume(s), protocol ${tres.protocol}` });
  }
  if (rvgs.length > 1) st.warnings.add('approximate', g.name, `group holds ${rvgs.length} RVGs; constraints naming this group use the first (${st.groupTargets.get(g.name)})`, g.pos);
  for (const r of g.resources) {
    if (r.type === 'RVG') continue;
    if (r.type === 'IP' || r.type === 'NIC') {
      st.mappings.push({ vcs: r.name, vcsKind: r.type, target: ipRes.includes(r) ? 'node addresses in the Tandem INI' : '(dropped)', note: 'the replication address becomes each node\'s static address; configure it on the host, not as a cluster resource' });
    } else if (r.type === 'DiskGroup') {
      st.mappings.push({ vcs: r.name, vcsKind: r.type, target: 'Tandem volume backing devices (disk = …)', note: `VxVM disk group ${scalarAttr(r.attrs, 'DiskGroup') ?? ''} → an LVM VG of the same name holding the data volumes` });
      st.warnings.add('data-layer', r.name, `disk group ${scalarAttr(r.attrs, 'DiskGroup') ?? ''}: build an LVM VG with one LV per data volume on every node (sizes in report); VxVM, its DCM logs and the SRL do not exist on the target`, r.pos);
    } else {
      st.mappings.push({ vcs: r.name, vcsKind: r.type, target: '(not mapped)' });
      st.warnings.add('not-mapped', r.name, `resource ${r.type} ${r.name} in replication group ${g.name} is not mapped; re-create it next to the replica clone if it is still needed`, r.pos);
    }
  }
  for (const a of g.attrs.filter((x) => !['SystemList', 'AutoStartList', 'Parallel'].includes(x.name))) {
    st.warnings.add('not-mapped', `${g.name}.${a.name}`, `attribute ${a.name} = ${valueText(a.value)} of replication group ${g.name} is not mapped (the replica clone runs on every node of SystemList)`, a.pos);
  }
}

function serviceGroup(st: MapState, g: Group): void {
  const ctx = agentContext(st, g);
  const memberIds: string[] = [];
  for (const name of dependencyOrder(g)) {
    const res = g.resources.find((r) => r.name === name)!;
    const id = mapResource(st, res, ctx);
    if (id) memberIds.push(id);
  }
  const parallel = scalarAttr(g.attrs, 'Parallel') ?? '0';
  if (parallel === '2') st.warnings.add('approximate', `${g.name}.Parallel`, 'Parallel = 2 (hybrid / replicated data cluster) is mapped as a failover group', g.pos);
  if (memberIds.length === 0) {
    groupMeta(g, st.nodes, st.warnings);
    st.mappings.push({ vcs: g.name, vcsKind: 'group', target: '(nothing to run)', note: 'no member maps to a Pacemaker resource' });
    return;
  }
  const meta = groupMeta(g, st.nodes, st.warnings);
  const groupId = st.ids.take(g.name);
  st.pcmk.groups.push({ id: groupId, members: memberIds, meta: parallel === '1' ? [] : meta, source: `group ${g.name}` });
  const mappedNames = dependencyOrder(g).filter((n) => st.resourceIds.has(n));
  if (!isChain(g, mappedNames)) st.mappings.push({ vcs: `${g.name} dependencies`, vcsKind: 'resource DAG', target: `group order ${memberIds.join(' → ')}`, note: 'the dependency tree was sorted into one chain; the group adds ordering between independent branches' });
  let target = groupId;
  if (parallel === '1') {
    target = st.ids.take(`${groupId}-clone`);
    st.pcmk.clones.push({ id: target, child: groupId, promotable: false, meta: [...meta, ['clone-max', String(systemList(g, st.nodes).length)], ['clone-node-max', '1']], source: `group ${g.name}` });
  }
  st.groupTargets.set(g.name, target);
  st.pcmk.constraints.push(...locations(target, g, st.nodes, st.ids));
  st.maxScoreRange = Math.max(st.maxScoreRange, scoreRange(g, st.nodes));
  st.mappings.push({ vcs: g.name, vcsKind: parallel === '1' ? 'parallel group' : 'failover group', target: parallel === '1' ? `clone ${target} of group ${groupId}` : `group ${groupId}`, note: `members ${memberIds.join(', ')}` });
}

/** One resource of a service group; returns its primitive id when it became one. */
function mapResource(st: MapState, res: Resource, ctx: AgentContext): string | undefined {
  if (res.type === 'RVGPrimary') {
    st.mappings.push({ vcs: res.name, vcsKind: 'RVGPrimary', target: `promotion of ${st.rvgClones.get(scalarAttr(res.attrs, 'RvgResourceName') ?? '') ?? '(unknown RVG)'}` });
    return undefined;
  }
  if (res.type === 'Proxy') return undefined; // becomes a dependency in mapProxies
  if (NOT_MIGRATED_TYPES.has(res.type) || CVR_TYPES.has(res.type)) {
    st.mappings.push({ vcs: res.name, vcsKind: res.type, target: '(not mapped)' });
    st.warnings.add('not-mapped', res.name, CVR_TYPES.has(res.type) ? `${res.type} (CVM/CFS/CVR, fire drill) has no automatic mapping; it needs a design decision (cloned LVM/gfs2, snapshot procedure)` : `${res.type} is not migrated`, res.pos);
    return undefined;
  }
  const result = SPECIAL_TYPES.has(res.type) ? undefined : mapAgent(res, ctx);
  if (!result) {
    st.mappings.push({ vcs: res.name, vcsKind: res.type, target: '(not mapped)' });
    st.warnings.add('not-mapped', res.name, `no mapping for resource type ${res.type}; original: ${res.type} ${res.name} ( ${res.attrs.map((a) => `${a.name}${a.system ? ` @${a.system}` : ''} = ${valueText(a.value)}`).join('; ')} )`, res.pos);
    return undefined;
  }
  warnLeftovers(st, res, result.consumed);
  if (result.kind === 'dropped') {
    st.mappings.push({ vcs: res.name, vcsKind: res.type, target: '(no resource)', note: result.note });
    return undefined;
  }
  const id = st.ids.take(res.name);
  const p: Primitive = { id, source: `${res.type} ${res.name}`, ...result.primitive, meta: [...result.primitive.meta] };
  resourceMeta(st, res, p);
  st.pcmk.primitives.push(p);
  st.resourceIds.set(res.name, id);
  st.mappings.push({ vcs: res.name, vcsKind: res.type, target: `${id} (${p.class}:${p.provider ? `${p.provider}:` : ''}${p.type})`, ...(result.note ? { note: result.note } : {}) });
  return id;
}

/** Every attribute the mapping did not use gets a warning with its original text. */
function warnLeftovers(st: MapState, res: Resource, consumed: string[]): void {
  for (const a of unconsumed(res.attrs, [...consumed, ...RESOURCE_META_ATTRS])) {
    st.warnings.add('not-mapped', `${res.name}.${a.name}`, `attribute ${a.name}${a.system ? ` @${a.system}` : ''} = ${valueText(a.value)} of ${res.type} ${res.name} is not mapped`, a.pos);
  }
}

function resourceMeta(st: MapState, res: Resource, p: Primitive): void {
  if (scalarAttr(res.attrs, 'Enabled') === '0') p.meta.push(['target-role', 'Stopped']);
  const interval = scalarAttr(res.attrs, 'MonitorInterval');
  if (interval) p.ops = p.ops.map((o) => (o.name === 'monitor' ? { ...o, interval: `${interval}s` } : o));
  const critical = attrValue(res.attrs, 'Critical');
  if (critical?.kind === 'scalar' && critical.text === '0') {
    st.warnings.add('approximate', `${res.name}.Critical`, 'Critical = 0 (a fault does not fail the group over) has no exact equivalent: in a Pacemaker group a failed member is restarted and, after migration-threshold failures, moves the group; consider taking it out of the group', critical.pos);
  }
}

function agentContext(st: MapState, g: Group): AgentContext {
  const order = systemList(g, st.nodes).map(([n]) => n);
  return {
    warnings: st.warnings,
    value(res, name) {
      const global = scalarAttr(res.attrs, name);
      if (global !== undefined) return global;
      const per = res.attrs.filter((a) => a.name === name && a.system !== undefined && a.value.kind === 'scalar');
      if (per.length === 0) return undefined;
      const texts = new Set(per.map((a) => (a.value as { text: string }).text));
      const chosen = per.find((a) => a.system === order[0]) ?? per[0];
      if (texts.size > 1) {
        st.warnings.add('per-system', `${res.name}.${name}`, `${name} differs per system (${per.map((a) => `@${a.system} = ${valueText(a.value)}`).join(', ')}); ${valueText(chosen.value)} of ${chosen.system} was used — express the others with per-node rules (pcs resource update … with a rule, or node attributes)`, chosen.pos);
      }
      return (chosen.value as { text: string }).text;
    },
    replicatedDevice(path) {
      for (const t of st.tandem) {
        const v = t.volumes.find((x) => path === `/dev/vx/dsk/${t.diskGroup}/${x.vxvmVolume}` || path === `/dev/vx/rdsk/${t.diskGroup}/${x.vxvmVolume}`);
        if (v) return `/dev/tandem/${t.name}/${v.index}`;
      }
      return undefined;
    },
  };
}

/** RVGPrimary → application group colocated with, and started after promotion of, the clone. */
function promotion(st: MapState, g: Group): void {
  for (const res of g.resources.filter((r) => r.type === 'RVGPrimary')) {
    const rvgName = scalarAttr(res.attrs, 'RvgResourceName') ?? '';
    const clone = st.rvgClones.get(rvgName);
    const app = st.groupTargets.get(g.name);
    if (!clone) {
      st.warnings.add('not-mapped', res.name, `RVGPrimary ${res.name} names RvgResourceName ${rvgName}, which is not an RVG resource of this main.cf; no promotion constraint emitted`, res.pos);
      continue;
    }
    agentSettings(st, res, clone);
    warnLeftovers(st, res, ['RvgResourceName', 'AutoTakeover', 'AutoResync', 'BunkerSyncTimeOut']);
    if (!app) continue;
    st.promotedWith.set(app, clone);
    st.pcmk.constraints.push(
      { kind: 'colocation', id: st.ids.take(`col-${app}-with-${clone}-promoted`), rsc: app, withRsc: clone, withRole: 'Promoted', score: 'INFINITY' },
      { kind: 'order', id: st.ids.take(`ord-${clone}-promote-then-${app}`), first: clone, firstAction: 'promote', then: app, thenAction: 'start', orderKind: 'Mandatory' },
    );
    st.mappings.push({ vcs: `${g.name} ⟶ ${res.name}`, vcsKind: 'RVGPrimary', target: `colocation ${app} with ${clone} Promoted + order promote ${clone} then start ${app}` });
  }
}

function agentSettings(st: MapState, res: Resource, cloneId: string): void {
  const clone = st.pcmk.clones.find((c) => c.id === cloneId)!;
  const primitive = st.pcmk.primitives.find((p) => p.id === clone.child)!;
  const takeover = scalarAttr(res.attrs, 'AutoTakeover') ?? '1';
  const resync = scalarAttr(res.attrs, 'AutoResync') ?? '0';
  primitive.params.push(['auto_takeover', takeover === '0' ? 'false' : 'true'], ['auto_resync', resync === '0' ? 'false' : 'true']);
  st.mappings.push({ vcs: `${res.name}.AutoTakeover/AutoResync`, vcsKind: 'RVGPrimary', target: `${primitive.id} auto_takeover=${takeover === '0' ? 'false' : 'true'} auto_resync=${resync === '0' ? 'false' : 'true'}`, note: 'auto_takeover=false: no automatic promotion while a diskful peer cannot be seen; auto_resync=false: a former Primary that crashed starts StandAlone until tandem connect' });
  if (takeover === '0') {
    st.warnings.add('approximate', `${res.name}.AutoTakeover`, 'AutoTakeover = 0: auto_takeover=false withholds the promotion score whenever a diskful peer cannot be seen, '
      + `also when a cluster starts with a node missing; an operator authorises a takeover with pcs resource update ${primitive.id} auto_takeover=true`, res.pos);
  }
  const bunker = attrValue(res.attrs, 'BunkerSyncTimeOut');
  if (bunker) st.warnings.add('not-mapped', `${res.name}.BunkerSyncTimeOut`, `bunker replication (BunkerSyncTimeOut = ${valueText(bunker)}) is not supported by Tandem`, bunker.pos);
}

/** Report lines kept verbatim because their layout is release-specific: shown, never dropped. */
function unusedReportLines(inputs: MigrationInputs, warnings: Warnings): void {
  const kept: [string, string[]][] = [
    ['printvol', inputs.printvol?.otherRows ?? []],
    ['repstatus', inputs.repstatus?.otherLines ?? []],
    ['printrvg', inputs.printrvg?.flatMap((p) => p.otherLines) ?? []],
  ];
  for (const [report, lines] of kept) {
    for (const line of lines) warnings.add('report-input', report, `${report} line not used by the mapping: ${line}`);
  }
}

function stateWarnings(h: HaStatus, warnings: Warnings): void {
  for (const s of h.systems.filter((x) => x.state !== 'RUNNING' || x.frozen)) {
    warnings.add('report-input', s.system, `hastatus: system ${s.system} is ${s.state}${s.frozen ? ' and frozen' : ''}; bring it to RUNNING before cut-over`);
  }
  for (const g of h.groups.filter((x) => /FAULTED|PARTIAL/.test(x.state) || x.autoDisabled)) {
    warnings.add('report-input', `${g.group}@${g.system}`, `hastatus: group ${g.group} is ${g.state}${g.autoDisabled ? ' (autodisabled)' : ''} on ${g.system}; clear it before cut-over`);
  }
  for (const row of h.otherRows) warnings.add('report-input', 'hastatus', `hastatus row not used by the mapping: ${row}`);
}
