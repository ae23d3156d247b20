// ResourceConfig → INI text that loads back into the same configuration: for generators (the
// VCS migration) and for round-trip tests. Values every node shares go into [volume.N]; values
// that differ become volume.N.<key> overrides in [node.X]; [connection.A.B] sections follow the
// nodes. Defaults are left out.
import ini from 'ini';
import type { NodeConfig, ResourceConfig, VolumeConfig } from './model.js';
import { CONNECTION_KEYS, NODE_KEYS, NODE_OVERRIDE_KEYS, RESOURCE_FIELDS, RESOURCE_KEYS, VOLUME_KEYS, type KeySpec, type OverrideKey, type ResourceKey } from './schema.js';

function format(spec: KeySpec, value: unknown): string {
  return (spec as KeySpec<unknown>).type.format(value);
}

/** key = value, quoted or escaped as the ini package reads it back (; and # start comments). */
function setting(key: string, text: string): string {
  return `${key} = ${ini.safe(text)}`;
}

/** The default in the form format() writes it; undefined when the key has none. */
function defaultText(spec: KeySpec): string | undefined {
  if (spec.default === undefined) return undefined;
  const parsed = spec.type.parse(spec.default);
  return parsed.ok ? format(spec, parsed.value) : undefined;
}

/** The text of a volume key on one node; undefined when the node has no value to write. */
function volumeText(v: VolumeConfig, key: OverrideKey): string | undefined {
  switch (key) {
    case 'disk': return format(VOLUME_KEYS.disk, v.disk);
    case 'meta': return v.meta === null ? undefined : format(VOLUME_KEYS.meta, v.meta);
    case 'export': return v.export === null ? undefined : format(VOLUME_KEYS.export, v.export);
  }
}

/** The one value all nodes that need this key agree on, if any. Diskless nodes need no meta. */
function sharedValue(nodes: NodeConfig[], index: number, key: OverrideKey): string | undefined {
  const relevant = nodes.filter((n) => key !== 'meta' || n.volumes[index].disk !== null);
  const texts = new Set(relevant.map((n) => volumeText(n.volumes[index], key)));
  const [only] = texts;
  return texts.size === 1 ? only : undefined;
}

export function renderResourceIni(r: ResourceConfig): string {
  const lines = ['[resource]'];
  for (const key of Object.keys(RESOURCE_KEYS) as ResourceKey[]) {
    const spec: KeySpec = RESOURCE_KEYS[key];
    const text = format(spec, RESOURCE_FIELDS[key](r));
    if (text !== defaultText(spec)) lines.push(setting(key, text));
  }
  const volumeCount = r.nodes[0]?.volumes.length ?? 0;
  const shared = Array.from({ length: volumeCount }, (_, i) => new Map(NODE_OVERRIDE_KEYS.map((k) => [k, sharedValue(r.nodes, i, k)])));
  shared.forEach((keys, i) => {
    lines.push('', `[volume.${i}]`);
    for (const [k, text] of keys) if (text !== undefined) lines.push(setting(k, text));
    const size = r.nodes[0].volumes[i].size;
    if (size !== null) lines.push(setting('size', format(VOLUME_KEYS.size, size)));
  });
  for (const n of r.nodes) {
    lines.push('', `[node.${n.name}]`, setting('id', format(NODE_KEYS.id, n.id)), setting('address', format(NODE_KEYS.address, n.address)));
    n.volumes.forEach((v, i) => {
      for (const k of NODE_OVERRIDE_KEYS) {
        const text = volumeText(v, k);
        if (text !== undefined && shared[i].get(k) === undefined) lines.push(setting(`volume.${i}.${k}`, text));
      }
    });
  }
  for (const c of r.connections) {
    lines.push('', `[connection.${c.nodes[0]}.${c.nodes[1]}]`);
    if (c.protocol !== null) lines.push(setting('protocol', format(CONNECTION_KEYS.protocol, c.protocol)));
  }
  return lines.join('\n') + '\n';
}
