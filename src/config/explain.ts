// `tandem config explain`: every effective value of a resource with where it came from (default,
// file:line, per-node override, inherited from [resource]) and what it means, for the resource,
// each node and each connection.
import type { Origin, ResourceConfig, VolumeConfig, Warning } from './model.js';
import { effectiveConnections } from './connections.js';
import { CONNECTION_KEYS, NODE_KEYS, RESOURCE_FIELDS, RESOURCE_KEYS, VOLUME_KEYS, type KeySpec, type ResourceKey } from './schema.js';
import { address } from './values.js';

export interface ExplainedValue {
  key: string;
  value: string;
  origin: Origin;
  description: string;
}

export interface ExplainedNode {
  name: string;
  id: number;
  local: boolean;
  settings: ExplainedValue[];
}

/** One connection (pair of nodes) with its effective settings. */
export interface ExplainedConnection {
  nodes: [string, string];
  /** the local node is one of the two */
  local: boolean;
  settings: ExplainedValue[];
}

export interface Explanation {
  resource: string;
  file: string;
  localNode: string | null;
  settings: ExplainedValue[];
  nodes: ExplainedNode[];
  connections: ExplainedConnection[];
  warnings: Warning[];
}

const DEFAULT: Origin = { source: 'default' };

function format(spec: KeySpec, value: unknown): string {
  return (spec as KeySpec<unknown>).type.format(value);
}

/** Secrets are never printed: only whether they are set and how long they are. */
function shown(key: string, text: string): string {
  if (key !== 'secret' && key !== 'previous-secret') return text;
  return text === '' ? '(not set)' : `(set, ${text.length} characters)`;
}

function volumeValues(v: VolumeConfig): Record<keyof typeof VOLUME_KEYS, string> {
  return {
    disk: format(VOLUME_KEYS.disk, v.disk),
    meta: v.meta === null ? (v.disk === null ? '(none: diskless)' : '(not set)') : format(VOLUME_KEYS.meta, v.meta),
    export: v.export === null ? '(not exported)' : format(VOLUME_KEYS.export, v.export),
    size: v.size === null ? '(size of the disk)' : format(VOLUME_KEYS.size, v.size),
  };
}

export function explainResource(r: ResourceConfig, localNode: string | null, warnings: Warning[]): Explanation {
  const settings = (Object.keys(RESOURCE_KEYS) as ResourceKey[]).map((key) => ({
    key,
    value: shown(key, format(RESOURCE_KEYS[key], RESOURCE_FIELDS[key](r))),
    origin: r.origins[`resource.${key}`] ?? DEFAULT,
    description: RESOURCE_KEYS[key].description,
  }));
  const nodes = r.nodes.map((n) => {
    const origin = (key: string) => r.origins[`node.${n.name}.${key}`] ?? DEFAULT;
    const own: ExplainedValue[] = [
      { key: 'id', value: String(n.id), origin: origin('id'), description: NODE_KEYS.id.description },
      { key: 'address', value: address.format(n.address), origin: origin('address'), description: NODE_KEYS.address.description },
    ];
    const volumes = n.volumes.flatMap((v) => Object.entries(volumeValues(v)).map(([key, value]) => ({
      key: `volume.${v.index}.${key}`, value, origin: origin(`volume.${v.index}.${key}`), description: VOLUME_KEYS[key as keyof typeof VOLUME_KEYS].description,
    })));
    return { name: n.name, id: n.id, local: n.name === localNode, settings: [...own, ...volumes] };
  });
  nodes.sort((a, b) => Number(b.local) - Number(a.local) || a.id - b.id);
  const connections = effectiveConnections(r).map((c) => ({
    nodes: c.nodes,
    local: localNode !== null && c.nodes.includes(localNode),
    settings: [{ key: 'protocol', value: c.protocol, origin: c.origin, description: CONNECTION_KEYS.protocol.description }],
  }));
  connections.sort((a, b) => Number(b.local) - Number(a.local));
  return { resource: r.name, file: r.file, localNode, settings, nodes, connections, warnings: warnings.filter((w) => w.resource === r.name || w.file === r.file) };
}

function describeOrigin(o: Origin): string {
  const at = `${o.file}:${o.line}`;
  if (o.source === 'default') return 'default';
  if (o.source === 'resource') return o.line === undefined ? '[resource] default' : `[resource] ${at}`;
  return o.source === 'node-override' ? `node override ${at}` : at;
}

export function renderExplanation(e: Explanation): string {
  const all = [...e.settings, ...e.nodes.flatMap((n) => n.settings), ...e.connections.flatMap((c) => c.settings)];
  const width = Math.max(...all.map((s) => s.key.length));
  const valueWidth = Math.max(...all.map((s) => s.value.length));
  const originWidth = Math.max(...all.map((s) => describeOrigin(s.origin).length));
  const row = (s: ExplainedValue) => `  ${s.key.padEnd(width)}  ${s.value.padEnd(valueWidth)}  ${describeOrigin(s.origin).padEnd(originWidth)}  ${s.description}`;
  const lines = [`resource ${e.resource} (${e.file})`, ...e.settings.map(row)];
  if (e.localNode !== null && !e.nodes.some((n) => n.local)) lines.push(`local node ${e.localNode} is not a node of this resource`);
  for (const n of e.nodes) lines.push(`node ${n.name}${n.local ? ' (local)' : ''}`, ...n.settings.map(row));
  for (const c of e.connections) lines.push(`connection ${c.nodes[0]} - ${c.nodes[1]}${c.local ? ' (local)' : ''}`, ...c.settings.map(row));
  for (const w of e.warnings) lines.push(`warning ${w.code}: ${w.message}`);
  return lines.join('\n');
}
