// One resource file → one ResourceConfig, checked against the schema: sections, keys, values,
// volume numbering, nodes, per-node volume overrides and per-connection settings. Every problem
// is recorded (not thrown) so that one run of `tandem config check` shows them all.
import type { IniFile, IniSection } from './ini-file.js';
import { connectionKey, joins } from './connections.js';
import type { ConnectionConfig, NodeConfig, Origin, ResourceConfig, VolumeConfig } from './model.js';
import { badValue, problemAt, type ConfigProblem, type Place } from './problems.js';
import { CONNECTION_KEYS, MAX_NODES, MAX_VOLUMES, NODE_KEYS, NODE_OVERRIDE_KEYS, RESOURCE_KEYS, VOLUME_KEYS, type KeySpec, type OverrideKey } from './schema.js';
import { didYouMean } from './suggest.js';
import { NODE_NAME_ALLOWED, formatHostPort, isNodeName } from './values.js';
import { assert } from '../lib/assert.js';

type Table = Record<string, KeySpec<any>>; // eslint-disable-line @typescript-eslint/no-explicit-any
type ValueOf<S> = S extends KeySpec<infer T> ? T : never;
type Settings<T extends Table> = { [K in keyof T]?: { value: ValueOf<T[K]>; origin: Origin } };

interface Sections {
  resource: IniSection | null;
  volumes: Map<number, IniSection>;
  nodes: Map<string, IniSection>;
  connections: IniSection[];
}

/** The sections a resource file may have, as "allowed:" names them. */
const SECTIONS_ALLOWED = '[resource], [volume.N], [node.NAME], [connection.NAME.NAME]';

const OVERRIDE_KEY = /^volume\.(\d+)\.([a-z-]+)$/;

export function readResourceFile(doc: IniFile, problems: ConfigProblem[]): ResourceConfig | null {
  const before = problems.length;
  const sections = classify(doc, problems);
  if (sections.resource === null) {
    problems.push(problemAt({ file: doc.file, line: null, section: null }, 'no [resource] section; allowed: one [resource] section with at least name = <resource name>', { hint: 'every resource file starts with [resource] and name = …' }));
    return null;
  }
  const res = readSection(doc.file, sections.resource, RESOURCE_KEYS, problems);
  const volumeSettings = readVolumes(doc.file, sections.volumes, problems);
  const nodes = readNodes(doc.file, sections, volumeSettings, problems);
  const connections = readConnections(doc.file, sections, problems);
  if (problems.length > before) return null;

  const config = assemble(doc.file, res, volumeSettings, nodes, connections);
  checkResource(config, sections, problems);
  return problems.length > before ? null : config;
}

/** The ResourceConfig of a file whose sections all read without problems. */
function assemble(file: string, res: Settings<typeof RESOURCE_KEYS>, volumes: Settings<typeof VOLUME_KEYS>[], nodes: NodeRead[], connections: ConnectionRead[]): ResourceConfig {
  const value = <K extends keyof typeof RESOURCE_KEYS>(k: K) => {
    const setting = res[k];
    assert(setting !== undefined, `resource key '${k}' has a value or a default once read without problems`);
    return setting.value as ValueOf<(typeof RESOURCE_KEYS)[K]>;
  };
  const origins: Record<string, Origin> = {};
  for (const [k, s] of Object.entries(res)) origins[`resource.${k}`] = s!.origin;
  volumes.forEach((vs, i) => { for (const [k, s] of Object.entries(vs)) origins[`volume.${i}.${k}`] = s!.origin; });
  for (const n of nodes) Object.assign(origins, n.origins);
  for (const c of connections) Object.assign(origins, c.origins);
  return {
    name: value('name'), file, protocol: value('protocol'), secret: value('secret'), fencing: value('fencing'),
    quorum: value('quorum'), onNoQuorum: value('on-no-quorum'), onIoError: value('on-io-error'), afterSb0pri: value('after-sb-0pri').policy,
    afterSb1pri: value('after-sb-1pri'), afterSb2pri: value('after-sb-2pri'), alExtents: value('al-extents'),
    resyncRate: value('resync-rate'), pingIntervalMs: value('ping-interval'), pingTimeoutMs: value('ping-timeout'),
    standalone: value('standalone'), discardNode: value('after-sb-0pri').node,
    transportSecurity: value('transport-security'), previousSecret: value('previous-secret'), dataIntegrityAlg: value('data-integrity-alg'), csumsAlg: value('csums-alg'),
    tlsCert: value('tls-cert'), tlsKey: value('tls-key'), tlsCa: value('tls-ca'), exportTlsPsk: value('export-tls-psk'), exportInsecure: value('export-insecure'),
    frontend: value('frontend'),
    nodes: nodes.map((n) => n.node), connections: connections.map((c) => c.connection), origins,
  };
}

function classify(doc: IniFile, problems: ConfigProblem[]): Sections {
  const out: Sections = { resource: null, volumes: new Map(), nodes: new Map(), connections: [] };
  for (const s of doc.sections) {
    const place = { file: doc.file, line: s.line, section: s.name };
    const volume = /^volume\.(.*)$/.exec(s.name);
    const node = /^node\.(.*)$/.exec(s.name);
    if (s.name === 'resource') {
      out.resource = s;
    } else if (volume) {
      if (!/^(0|[1-9]\d*)$/.test(volume[1]) || Number(volume[1]) >= MAX_VOLUMES) {
        problems.push(problemAt(place, `section [${s.name}]: '${volume[1]}' is not a volume number; allowed: 0..${MAX_VOLUMES - 1}`, { value: volume[1], allowed: `0..${MAX_VOLUMES - 1}` }));
      } else {
        out.volumes.set(Number(volume[1]), s);
      }
    } else if (node) {
      const clash = [...out.nodes.keys()].find((n) => n.toLowerCase() === node[1].toLowerCase());
      if (!isNodeName(node[1])) {
        problems.push(problemAt(place, `section [${s.name}]: '${node[1]}' is not a node name; allowed: ${NODE_NAME_ALLOWED}`, { value: node[1], allowed: NODE_NAME_ALLOWED }));
      } else if (clash !== undefined) {
        problems.push(problemAt(place, `section [${s.name}]: node '${node[1]}' is the same host name as [node.${clash}] (line ${out.nodes.get(clash)!.line}); allowed: unique node names (host names ignore case)`, { value: node[1] }));
      } else {
        out.nodes.set(node[1], s);
      }
    } else if (s.name.startsWith('connection.')) {
      out.connections.push(s);
    } else {
      const rest = s.name.includes('.') ? s.name.slice(s.name.indexOf('.') + 1) : '<name>';
      const hint = didYouMean(s.name, ['resource', `volume.${/^\d+$/.test(rest) ? rest : 0}`, `node.${rest}`, `connection.${rest}`]);
      problems.push(problemAt(place, `unknown section [${s.name}];${hint} allowed: ${SECTIONS_ALLOWED}`, { value: s.name, allowed: SECTIONS_ALLOWED }));
    }
  }
  return out;
}

interface ExtraKeys {
  /** keys another reader handles */
  handled: (key: string) => boolean;
  /** how they are named in "allowed:" */
  names: string[];
}

/** Values of a section's keys against one schema table; defaults for keys not set. */
function readSection<T extends Table>(file: string, section: IniSection, table: T, problems: ConfigProblem[], extra: ExtraKeys = { handled: () => false, names: [] }): Settings<T> {
  const place: Place = { file, line: section.line, section: section.name };
  const out: Settings<T> = {};
  for (const entry of section.entries.values()) {
    const spec = Object.hasOwn(table, entry.key) ? table[entry.key] : undefined;
    const at = { ...place, line: entry.line };
    if (spec === undefined) {
      if (!extra.handled(entry.key)) unknownKey(at, entry.key, entry.value, [...Object.keys(table), ...extra.names], problems);
      continue;
    }
    const parsed = spec.type.parse(entry.value);
    if (parsed.ok) out[entry.key as keyof T] = { value: parsed.value, origin: { source: 'file', file, line: entry.line } };
    else problems.push(badValue(at, entry.key, entry.value, parsed.problem, spec.type.allowed));
  }
  for (const [key, spec] of Object.entries(table)) {
    if (section.entries.has(key)) continue;
    if (spec.required) {
      problems.push(problemAt(place, `[${section.name}] has no '${key}'; allowed: ${spec.type.allowed}`, { key, allowed: spec.type.allowed, hint: `add '${key} = …' to [${section.name}] (${spec.description})` }));
    } else if (spec.default !== undefined) {
      const parsed = spec.type.parse(spec.default);
      if (parsed.ok) out[key as keyof T] = { value: parsed.value, origin: { source: 'default' } };
    }
  }
  return out;
}

function unknownKey(at: Place, key: string, value: string, known: string[], problems: ConfigProblem[]): void {
  problems.push(problemAt(at, `unknown key '${key}' in [${at.section}];${didYouMean(key, known)} allowed: ${known.join(', ')}`, {
    key, value, allowed: known.join(', '), hint: "use one of the keys listed after 'allowed:'; once the file loads, 'tandem config explain <resource>' describes each",
  }));
}

function readVolumes(file: string, volumes: Map<number, IniSection>, problems: ConfigProblem[]): Settings<typeof VOLUME_KEYS>[] {
  const numbers = [...volumes.keys()].sort((a, b) => a - b);
  if (numbers.length === 0) {
    problems.push(problemAt({ file, line: null, section: null }, 'no [volume.N] section; allowed: volumes [volume.0], [volume.1], … numbered from 0', { hint: 'add a [volume.0] section' }));
  }
  numbers.forEach((n, i) => {
    if (n !== i) {
      const s = volumes.get(n)!;
      problems.push(problemAt({ file, line: s.line, section: s.name }, `section [${s.name}]: volume ${n} follows volume ${i - 1 < 0 ? 'none' : numbers[i - 1]}; allowed: volumes numbered 0, 1, 2, … without gaps`, { value: String(n), allowed: 'volumes numbered 0, 1, 2, … without gaps', hint: `add [volume.${i}] or renumber the volumes` }));
    }
  });
  return numbers.map((n) => readSection(file, volumes.get(n)!, VOLUME_KEYS, problems));
}

interface NodeRead {
  node: NodeConfig;
  origins: Record<string, Origin>;
}

function readNodes(file: string, sections: Sections, volumes: Settings<typeof VOLUME_KEYS>[], problems: ConfigProblem[]): NodeRead[] {
  const nodes = sections.nodes;
  const numbers = [...sections.volumes.keys()].sort((a, b) => a - b);
  if (nodes.size > MAX_NODES) {
    problems.push(problemAt({ file, line: null, section: null }, `${nodes.size} nodes; allowed: at most ${MAX_NODES}`));
  }
  const out: NodeRead[] = [];
  for (const [name, section] of nodes) {
    const own = readSection(file, section, NODE_KEYS, problems, {
      handled: (k) => OVERRIDE_KEY.test(k),
      names: numbers.flatMap((n) => NODE_OVERRIDE_KEYS.map((k) => `volume.${n}.${k}`)),
    });
    const overrides = readOverrides(file, section, numbers, problems);
    if (!own.id || !own.address) continue;
    const origins: Record<string, Origin> = { [`node.${name}.id`]: own.id.origin, [`node.${name}.address`]: own.address.origin };
    const effective = volumes.map((shared, index) => {
      const declared = (k: OverrideKey) => section.entries.has(`volume.${index}.${k}`) || sections.volumes.get(numbers[index])!.entries.has(k);
      return effectiveVolume(file, section, index, { shared, own: overrides[index], declared }, origins, problems);
    });
    out.push({ node: { name, id: own.id.value, address: own.address.value, volumes: effective }, origins });
  }
  checkNodeIdentity(file, nodes, out, problems);
  return out;
}

interface ConnectionRead {
  connection: ConnectionConfig;
  origins: Record<string, Origin>;
}

/**
 * [connection.<a>.<b>] sections: two different nodes of this resource, each pair once (in either
 * order), with the keys of CONNECTION_KEYS.
 */
function readConnections(file: string, sections: Sections, problems: ConfigProblem[]): ConnectionRead[] {
  const names = [...sections.nodes.keys()];
  const allowed = `[connection.<node>.<node>] naming two different nodes of this resource: ${names.length === 0 ? '(none defined)' : names.join(', ')}`;
  const out: ConnectionRead[] = [];
  const seen: Array<{ pair: [string, string]; section: IniSection }> = [];
  for (const s of sections.connections) {
    const place = { file, line: s.line, section: s.name };
    const parts = s.name.slice('connection.'.length).split('.');
    const settings = readSection(file, s, CONNECTION_KEYS, problems);
    if (parts.length !== 2) {
      problems.push(problemAt(place, `section [${s.name}]: '${parts.join('.')}' is not two node names; allowed: ${allowed}`, { value: s.name, allowed }));
      continue;
    }
    const unknown = parts.filter((p) => !sections.nodes.has(p));
    if (unknown.length > 0) {
      const hint = didYouMean(unknown[0], names);
      problems.push(problemAt(place, `section [${s.name}]: no node ${unknown.map((u) => `'${u}'`).join(' or ')} in this resource;${hint} allowed: ${allowed}`, { value: unknown[0], allowed }));
      continue;
    }
    const pair = parts as [string, string];
    if (pair[0] === pair[1]) {
      problems.push(problemAt(place, `section [${s.name}]: node '${pair[0]}' is paired with itself; allowed: ${allowed}`, { value: s.name, allowed }));
      continue;
    }
    const earlier = seen.find((e) => joins({ nodes: e.pair, protocol: null }, ...pair));
    if (earlier) {
      problems.push(problemAt(place, `section [${s.name}]: the connection between ${pair[0]} and ${pair[1]} is already set in [${earlier.section.name}] (line ${earlier.section.line}); allowed: one [connection] section per pair of nodes, in either order`, { value: s.name, allowed: 'one [connection] section per pair of nodes' }));
      continue;
    }
    seen.push({ pair, section: s });
    const connection: ConnectionConfig = { nodes: pair, protocol: settings.protocol?.value ?? null };
    const origins: Record<string, Origin> = {};
    for (const [k, setting] of Object.entries(settings)) origins[connectionKey(connection, k)] = setting!.origin;
    out.push({ connection, origins });
  }
  return out;
}

type Overrides = Settings<typeof VOLUME_KEYS>;

/** volume.N.disk / .meta / .export inside [node.X], per volume number. */
function readOverrides(file: string, section: IniSection, numbers: number[], problems: ConfigProblem[]): Overrides[] {
  const out: Overrides[] = numbers.map(() => ({}));
  for (const entry of section.entries.values()) {
    const m = OVERRIDE_KEY.exec(entry.key);
    if (!m) continue;
    const at = { file, line: entry.line, section: section.name };
    const index = numbers.indexOf(Number(m[1]));
    const key = m[2] as OverrideKey;
    if (!(NODE_OVERRIDE_KEYS as readonly string[]).includes(key)) {
      unknownKey(at, entry.key, entry.value, [...Object.keys(NODE_KEYS), ...NODE_OVERRIDE_KEYS.map((k) => `volume.${m[1]}.${k}`)], problems);
      continue;
    }
    if (!/^(0|[1-9]\d*)$/.test(m[1]) || index < 0) {
      const defined = numbers.length === 0 ? 'none' : numbers.join(', ');
      problems.push(problemAt(at, `key '${entry.key}' in [${section.name}]: volume '${m[1]}' has no [volume.${m[1]}] section; allowed: volumes defined in this file: ${defined}`, { key: entry.key, value: m[1], allowed: defined }));
      continue;
    }
    const spec = VOLUME_KEYS[key];
    const parsed = spec.type.parse(entry.value);
    if (!parsed.ok) {
      problems.push(badValue(at, entry.key, entry.value, parsed.problem, spec.type.allowed));
      continue;
    }
    (out[index] as Record<string, unknown>)[key] = { value: parsed.value, origin: { source: 'node-override', file, line: entry.line } };
  }
  return out;
}

interface VolumeSources {
  shared: Overrides;
  own: Overrides;
  /** whether the key is written anywhere (an invalid value is reported already, not as missing) */
  declared: (key: OverrideKey) => boolean;
}

/** A node's volume: its own override, else the [volume.N] value; diskless volumes need no meta. */
function effectiveVolume(file: string, section: IniSection, index: number, { shared, own, declared }: VolumeSources, origins: Record<string, Origin>, problems: ConfigProblem[]): VolumeConfig {
  const node = section.name.slice('node.'.length);
  const pick = <K extends OverrideKey>(k: K) => own[k] ?? shared[k];
  const place = { file, line: section.line, section: section.name };
  const disk = pick('disk');
  const meta = pick('meta');
  const exp = pick('export');
  if (disk === undefined) {
    if (!declared('disk')) problems.push(problemAt(place, `node '${node}' has no disk for volume ${index}; allowed: disk in [volume.${index}] or volume.${index}.disk in [node.${node}] (a path, or none for diskless)`, { key: `volume.${index}.disk`, hint: `set volume.${index}.disk = <device> (or none) in [node.${node}]` }));
  } else if (disk.value !== null && meta === undefined) {
    if (!declared('meta')) problems.push(problemAt(place, `node '${node}' has no metadata placement for volume ${index} on ${disk.value}; allowed: meta in [volume.${index}] or volume.${index}.meta in [node.${node}] (pmem:<path> or block:<path>)`, { key: `volume.${index}.meta`, hint: `set volume.${index}.meta = pmem:<path> or block:<path>` }));
  } else if (disk.value === null && own.meta !== undefined) {
    problems.push(problemAt({ ...place, line: own.meta.origin.line ?? null }, `key 'volume.${index}.meta' in [${section.name}]: a diskless volume (disk = none) has no metadata; allowed: remove the key, or give the volume a disk`, { key: `volume.${index}.meta`, value: `${own.meta.value.kind}:${own.meta.value.path}` }));
  }
  const diskless = disk?.value === null;
  const prefix = `node.${node}.volume.${index}`;
  if (disk) origins[`${prefix}.disk`] = disk.origin;
  if (meta && !diskless) origins[`${prefix}.meta`] = meta.origin;
  if (exp) origins[`${prefix}.export`] = exp.origin;
  if (shared.size) origins[`${prefix}.size`] = shared.size.origin;
  return {
    index,
    disk: disk?.value ?? null,
    meta: diskless ? null : meta?.value ?? null,
    export: exp?.value ?? null,
    size: shared.size?.value ?? null,
  };
}

/** Node ids and addresses are unique within a resource. */
function checkNodeIdentity(file: string, sections: Map<string, IniSection>, nodes: NodeRead[], problems: ConfigProblem[]): void {
  const seenId = new Map<number, string>();
  const seenAddress = new Map<string, string>();
  for (const { node } of nodes) {
    const section = sections.get(node.name)!;
    const idEntry = section.entries.get('id')!;
    const addrEntry = section.entries.get('address')!;
    const at = (line: number) => ({ file, line, section: section.name });
    const otherId = seenId.get(node.id);
    if (otherId !== undefined) {
      problems.push(badValue(at(idEntry.line), 'id', idEntry.value, `is not unique: node '${otherId}' has id ${node.id}`, 'a node id from 0 to 31 that no other node of the resource uses'));
    }
    const addr = formatHostPort(node.address);
    const otherAddr = seenAddress.get(addr);
    if (otherAddr !== undefined) {
      problems.push(badValue(at(addrEntry.line), 'address', addrEntry.value, `is not unique: node '${otherAddr}' listens on ${addr}`, 'an address:port that no other node of the resource uses'));
    }
    seenId.set(node.id, node.name);
    seenAddress.set(addr, node.name);
  }
}

/** Checks across keys of one resource: node count, quorum reachability, named nodes, disks. */
function checkResource(r: ResourceConfig, sections: Sections, problems: ConfigProblem[]): void {
  const resSection = sections.resource!;
  const at = (key: string): Place => ({ file: r.file, line: resSection.entries.get(key)?.line ?? resSection.line, section: 'resource' });
  const raw = (key: string) => resSection.entries.get(key)?.value ?? String((RESOURCE_KEYS as Table)[key].default);
  const n = r.nodes.length;
  if (r.standalone && n !== 1) {
    problems.push(badValue(at('standalone'), 'standalone', raw('standalone'), `is not possible with ${n} nodes`, 'yes only with exactly one [node.NAME] section'));
  } else if (!r.standalone && n < 2) {
    problems.push(problemAt({ file: r.file, line: resSection.line, section: 'resource' }, `resource '${r.name}' has ${n} node${n === 1 ? '' : 's'}; allowed: at least 2 [node.NAME] sections, or standalone = yes with exactly 1`, { hint: 'add the peer as [node.NAME] with id and address' }));
  }
  if (typeof r.quorum === 'number' && r.quorum > n) {
    problems.push(badValue(at('quorum'), 'quorum', raw('quorum'), `is not reachable: the resource has ${n} nodes`, `off, majority, all, or a number from 1 to ${n}`));
  }
  if (r.discardNode !== null && !r.nodes.some((x) => x.name === r.discardNode)) {
    problems.push(badValue(at('after-sb-0pri'), 'after-sb-0pri', raw('after-sb-0pri'), `is not a policy of this resource: no node '${r.discardNode}'`, `discard-node-<name> with a node of this resource: ${r.nodes.map((x) => x.name).join(', ')}`));
  }
  const tlsFiles = (['tls-cert', 'tls-key', 'tls-ca'] as const).filter((k) => resSection.entries.get(k)?.value);
  if (tlsFiles.length > 0 && tlsFiles.length < 3) {
    const missing = ['tls-cert', 'tls-key', 'tls-ca'].filter((k) => !(tlsFiles as readonly string[]).includes(k));
    problems.push(badValue(at(tlsFiles[0]), tlsFiles[0], raw(tlsFiles[0]), `is set without ${missing.join(' and ')}`, 'tls-cert, tls-key and tls-ca together (certificates), or none of them (TLS with a key derived from the secret)'));
  }
  const exportTls = r.exportTlsPsk !== null || tlsFiles.length === 3;
  const insecure = new Set<string>();
  for (const node of r.nodes) {
    for (const v of node.volumes) {
      if (v.export?.kind !== 'tcp' || exportTls || r.exportInsecure) continue;
      const origin = r.origins[`node.${node.name}.volume.${v.index}.export`];
      const override = origin?.source === 'node-override';
      const place = { file: r.file, line: origin?.line ?? resSection.line, section: override ? `node.${node.name}` : `volume.${v.index}` };
      if (insecure.has(`${place.section}:${place.line}`)) continue; // one error per line, not per node using it
      insecure.add(`${place.section}:${place.line}`);
      problems.push(badValue(place, override ? `volume.${v.index}.export` : 'export', VOLUME_KEYS.export.type.format(v.export),
        'is an NBD export on TCP without TLS: anyone who reaches the port could read and write the volume',
        'a Unix socket path; or tcp:<host>:<port> with export-tls-psk or tls-cert/tls-key/tls-ca in [resource], or with export-insecure = yes'));
    }
  }
  for (let i = 0; i < (r.nodes[0]?.volumes.length ?? 0); i++) {
    if (r.nodes.every((x) => x.volumes[i].disk === null)) {
      const s = sections.volumes.get(i)!;
      problems.push(problemAt({ file: r.file, line: s.line, section: s.name }, `volume ${i} is diskless on every node; allowed: at least one node with a disk for each volume`, { hint: 'give at least one node a backing disk for this volume' }));
    }
  }
}
