// VVR → Tandem (docs/MIGRATION.md §3): each RVG becomes one Tandem resource (an INI file) whose nodes
// are the peers of its topology. Every RLINK is mapped on its own: its protocol, and what Tandem
// does instead of srlprot, latencyprot, synchronous=fail, UDP, bandwidth limits and compression,
// said per link.
import { randomBytes } from 'node:crypto';
import { formatSize } from '../../lib/units.js';
import { rateBytes } from '../link-rate.js';
import { geometry } from '../../meta/layout.js';
import { scalarAttr } from '../vcs/model.js';
import { compresses, isBunkerTarget } from '../vvr/vxprint.js';
import { printVolRvg, SECTOR_BYTES } from '../vvr/printvol.js';
import type { Warnings } from '../warnings.js';
import type { Connection, TandemNode, TandemResource, TandemVolume } from './plan.js';
import type { Link, Peer, Topology, VvrReports } from './topology.js';

export const TANDEM_PORT_BASE = 7789;

export function resourceName(rvg: string): string {
  return rvg.replace(/[^A-Za-z0-9_.-]/g, '_').replace(/^[.-]/, '_');
}

export function tandemResourceFor(topo: Topology, index: number, reports: VvrReports, warnings: Warnings): TandemResource {
  const name = resourceName(topo.rvg);
  const notes = [`replaces VVR RVG ${topo.rvg} in disk group ${topo.diskGroup} (VCS resource ${topo.places.map((p) => `${p.resource.name} in ${p.site.cluster}`).join(', ')})`];
  for (const n of topo.notes) warnings.add('replication', `${name}.nodes`, n);
  ensurePeer(topo, name, warnings);
  const connections = topo.links.map((l) => connectionOf(l, topo.rvg, topo.primary, warnings));
  const { protocol, pairs } = protocolsOf(topo.primary.name, topo.peers.map((p) => p.name), connections, notes);
  const nodes = topo.peers.map((p, id) => nodeOf(p, id, index, name, warnings));
  const res: TandemResource = {
    name,
    rvgResource: topo.places[0].resource.name,
    rvg: topo.rvg,
    diskGroup: topo.diskGroup,
    protocol,
    secret: randomBytes(18).toString('base64url'),
    fencing: 'resource-only',
    quorum: nodes.length >= 3 ? 'majority' : 'off',
    nodes,
    primary: topo.primary.name,
    connections,
    pairs,
    volumes: volumesOf(topo, name, nodes.length, reports, warnings),
    cloneId: `tandem-${name}-clone`,
    notes,
  };
  notes.push(`node ${topo.primary.name} is VVR Primary today (${topo.primaryFrom})`);
  if (nodes.length < 3) notes.push('quorum = off with two nodes: split brain is prevented by fencing = resource-only under Pacemaker');
  for (const n of nodes.filter((x) => x.sharedStorage)) {
    notes.push(`node ${n.name} is a site: it runs on ${n.hosts.join(' or ')}, which share its disks; set TANDEM_NODE=${n.name} in /etc/default/tandemd on each of them`);
  }
  warnings.add('secret', name, `a new random secret was generated for ${name}.ini; copy the same file to every node and keep it private`);
  const limited = connections.filter((c) => c.bandwidthBytesPerSec !== undefined);
  if (limited.length > 0) {
    const slowest = limited.reduce((a, b) => (a.bandwidthBytesPerSec! <= b.bandwidthBytesPerSec! ? a : b));
    res.resyncRate = `${Math.max(1, Math.floor(slowest.bandwidthBytesPerSec! / 1024))}K`;
    warnings.add('replication', `${topo.rvg}.bandwidth_limit`, `VVR bandwidth_limit ${limited.map((c) => `${c.bandwidth} to ${c.to}`).join(', ')} limited all replication; Tandem limits only resynchronisation (resync-rate = ${res.resyncRate}, the slowest link's); normal replication is not throttled`);
  }
  srlWarning(topo.rvg, reports, warnings);
  return res;
}

/** A resource needs a second node: when nothing names the other copy, say so and write a placeholder. */
function ensurePeer(topo: Topology, name: string, warnings: Warnings): void {
  if (topo.peers.length > 1) return;
  const peer: Peer = { name: 'dr-site', hosts: [], shared: false, bunker: false, aliases: new Set() };
  topo.peers.push(peer);
  topo.links.push({ peer });
  warnings.add('placeholder', `${name}.node.dr-site`, `only ${topo.primary.name} holds RVG ${topo.rvg} in the inputs given, and no VVR report names its Secondary: node dr-site is a placeholder. Give the DR site's main.cf (--main-cf twice) and vxprint -Pl, or edit the node section`);
}

function nodeOf(p: Peer, id: number, index: number, name: string, warnings: Warnings): TandemNode {
  const port = TANDEM_PORT_BASE + index;
  let host = p.address;
  if (!host) {
    host = `192.0.2.${id + 1}`;
    warnings.add('placeholder', `${name}.node.${p.name}.address`, `no replication address known for node ${p.name} (no IP resource Address in its replication group, no matching vxprint/printrvg host); placeholder ${host} written`);
  }
  if (!p.site && p.name !== 'dr-site') {
    warnings.add('replication', `${name}.node.${p.name}`, p.bunker
      ? `node ${p.name} was VVR's bunker (an SRL-only copy near the Primary); Tandem has no SRL-only copy: it becomes a full copy (volumes of the data's size) replicated like the others. Join it to the Primary site's cluster, or remove its node section to drop it`
      : `node ${p.name} (${p.address ?? '?'}) comes only from the VVR reports: its site's main.cf was not given, so its cluster is not migrated; give it with a second --main-cf, or configure that site by hand`);
  }
  return {
    name: p.name, id, address: `${host.includes(':') ? `[${host}]` : host}:${port}`,
    ...(p.address ? {} : { placeholder: true }),
    hosts: p.hosts, ...(p.site ? { site: p.site.cluster } : {}), sharedStorage: p.shared, ...(p.bunker ? { bunker: true } : {}),
  };
}

/** RLINK bandwidth_limit (`30m`, `none`) or repstatus's `30.00 Mbps` (`N/A`) → bytes per second. */
export function bandwidthBytes(text: string | undefined): number | undefined {
  return text ? rateBytes(text) : undefined;
}

/** One link's facts, its protocol, and a warning for every behaviour that differs. */
function connectionOf(l: Link, rvg: string, primary: Peer, warnings: Warnings): Connection {
  const r = l.rlink;
  const s = l.repstatus;
  const subject = `${rvg} ${primary.name}→${l.peer.name}${r ? ` (RLINK ${r.name})` : ''}`;
  const mode = s?.['Configured mode'];
  const synchronous = r?.attrs.synchronous ?? (mode === 'synchronous' ? 'override' : mode === 'asynchronous' ? 'off' : undefined);
  const bunker = (r ? isBunkerTarget(r) : false) || l.peer.bunker;
  const c: Connection = {
    to: l.peer.name,
    protocol: synchronous === 'override' || synchronous === 'fail' || bunker ? 'C' : 'A',
    ...(r ? { rlink: r.name } : {}),
    ...(synchronous ? { synchronous } : {}),
    ...(r?.attrs.srlprot ?? s?.['SRL protection'] ? { srlprot: r?.attrs.srlprot ?? s?.['SRL protection'] } : {}),
    ...(r?.attrs.latencyprot ?? s?.['Latency protection'] ? { latencyprot: r?.attrs.latencyprot ?? s?.['Latency protection'] } : {}),
    ...(r?.protocol ? { transport: r.protocol } : {}),
    ...(bunker ? { bunker } : {}),
  };
  const bw = r?.attrs.bandwidth_limit && r.attrs.bandwidth_limit !== 'none' ? r.attrs.bandwidth_limit : s?.['Bandwidth Limit'] !== 'N/A' ? s?.['Bandwidth Limit'] : undefined;
  if (bw && bandwidthBytes(bw) !== undefined) Object.assign(c, { bandwidth: bw, bandwidthBytesPerSec: bandwidthBytes(bw) });
  if ((r && compresses(r)) || /^on$/i.test(s?.['Compression Mode'] ?? '')) c.compression = true;
  if (!synchronous && !bunker) {
    warnings.add('replication', subject, 'no RLINK facts for this link (give vxprint -Pl or repstatus): protocol A assumed, VVR\'s default synchronous=off; confirm with vxprint -Pl');
  }
  if (synchronous === 'fail') {
    warnings.add('replication', subject, 'synchronous=fail: VVR failed application writes while this Secondary was unreachable. Tandem protocol C keeps writing (like synchronous=override) and records the changes in its bitmap; the Secondary is outdated by the fence-peer handler (fencing = resource-only), so it cannot be promoted with stale data. What you lose: the guarantee that no write completes without this copy');
  }
  if (bunker) {
    warnings.add('replication', subject, `${l.peer.name} was a bunker (${r ? 'bunker_target' : 'bunker'}): replicated synchronously (protocol C) as VVR did, but as a full copy; there is no "activatebunker" replay: after losing the Primary, promote the bunker or let it resync the DR node`);
  }
  srlprotWarning(subject, c.srlprot, warnings);
  latencyWarning(subject, c.latencyprot, r?.attrs, warnings);
  if (c.transport && !c.transport.startsWith('TCP')) {
    warnings.add('replication', subject, `RLINK protocol ${c.transport}: Tandem replicates over TCP only (with TLS)${r?.attrs.packet_size ? `; packet_size=${r.attrs.packet_size} does not apply` : ''}; open TCP port of the node address in the firewall`);
  }
  if (c.compression) {
    warnings.add('replication', subject, 'VVR compressed this link; Tandem does not compress replication traffic: check that the link has the bandwidth (the cut-over plan estimates the initial sync at the link rate)');
  }
  return c;
}

/**
 * What Tandem has instead of an SRL: a transfer log per peer, bounded (in bytes, in memory), whose
 * being full makes new writes wait. Its size is the engine's business; the report says what it means.
 */
const WINDOW = 'only a bounded transfer log of writes in flight per peer, in memory (no SRL)';

function srlprotWarning(subject: string, srlprot: string | undefined, warnings: Warnings): void {
  if (!srlprot) return;
  const what: Record<string, string> = {
    autodcm: `srlprot=autodcm: VVR switched to DCM logging when the SRL filled, so writes never waited. Tandem keeps ${WINDOW}: while the peer is connected but slower than the writes, application writes wait when that log is full (like srlprot=dcm); while it is unreachable, writes go to the bitmap (like DCM) and are resynced later`,
    dcm: `srlprot=dcm: VVR stalled writes while connected until the SRL drained, and used DCM when disconnected. Tandem does the same, but keeps ${WINDOW}: writes wait much sooner than when an SRL of gigabytes filled`,
    override: `srlprot=override: VVR stalled writes while connected and let the SRL overflow (a full resync) when disconnected. Tandem keeps ${WINDOW}; when the peer is unreachable Tandem uses its bitmap, so a long outage costs a bitmap resync, not a full one`,
    fail: `srlprot=fail: VVR failed new writes that would overflow the SRL while connected. Tandem never fails a write for a slow link: it keeps ${WINDOW} and makes further writes wait`,
    off: `srlprot=off: VVR let the SRL overflow and detached the RLINK (a full resync). Tandem never overflows: it keeps ${WINDOW} (writes wait) and uses its bitmap while the peer is away`,
  };
  warnings.add('replication', subject, what[srlprot] ?? `srlprot=${srlprot} is not a value VVR documents; Tandem keeps ${WINDOW}, bitmap while the peer is away`);
}

function latencyWarning(subject: string, latencyprot: string | undefined, attrs: Record<string, string> | undefined, warnings: Warnings): void {
  if (!latencyprot || latencyprot === 'off') return;
  const marks = `high ${attrs?.latency_high_mark ?? '?'}, low ${attrs?.latency_low_mark ?? '?'}`;
  warnings.add('replication', subject, latencyprot === 'fail'
    ? `latencyprot=fail (${marks}): VVR failed writes beyond the high mark. Tandem keeps ${WINDOW}: beyond it writes wait instead of failing`
    : `latencyprot=${latencyprot} (${marks}): VVR stalled writes at the high mark until the backlog fell to the low mark. Tandem keeps ${WINDOW}, which acts as a fixed high mark (there is no separate low mark); when the peer is unreachable there is no limit (the bitmap takes over), as with override`);
}

/**
 * Each RLINK keeps its protocol as the protocol of its connection (DRBD 9 style). A pair of
 * Secondaries (a bunker and the DR site, two DR hosts) replicates only after one of them is
 * promoted: C only when both were synchronous to the Primary (close to it, so to each other),
 * else A. The resource's protocol is the one most connections use (C on a tie); the others get a
 * [connection.<a>.<b>] section.
 */
function protocolsOf(primary: string, peers: string[], connections: Connection[], notes: string[]): Pick<TandemResource, 'protocol' | 'pairs'> {
  const linkProtocol = (node: string): 'A' | 'C' => connections.find((c) => c.to === node)?.protocol ?? 'A';
  const all: TandemResource['pairs'] = [];
  for (let i = 0; i < peers.length; i++) {
    for (let j = i + 1; j < peers.length; j++) {
      const [a, b] = [peers[i], peers[j]];
      const protocol = a === primary ? linkProtocol(b) : b === primary ? linkProtocol(a) : linkProtocol(a) === 'C' && linkProtocol(b) === 'C' ? 'C' : 'A';
      all.push({ nodes: [a, b], protocol });
    }
  }
  const countA = all.filter((p) => p.protocol === 'A').length;
  const protocol = countA > all.length - countA ? 'A' : 'C';
  const pairs = all.filter((p) => p.protocol !== protocol);
  const describe = connections.map((c) => `${c.to}: ${c.protocol} (${c.bunker ? 'bunker' : `synchronous=${c.synchronous ?? 'off, assumed'}`})`).join(', ');
  notes.push(pairs.length === 0
    ? `protocol ${protocol}: ${describe || 'no link facts'}`
    : `protocol ${protocol}, per connection as VVR's links: ${describe}; ${pairs.map((p) => `${p.nodes.join(' - ')} ${p.protocol}`).join(', ')} in [connection] sections`);
  return { protocol, pairs };
}

function srlWarning(rvg: string, reports: VvrReports, warnings: Warnings): void {
  const status = reports.repstatus.find((s) => s.rds === rvg);
  const srlSize = status?.primary['SRL size'];
  const srlName = status?.primary['SRL name'] ?? reports.printrvg.find((p) => p.rds === rvg)?.primary?.details.srl;
  if (srlName || srlSize) {
    warnings.add('replication', `${rvg}.srl`, `SRL ${srlName ?? ''}${srlSize ? ` (${srlSize})` : ''} is not carried over: Tandem keeps its activity log and dirty bitmap in its metadata; an outage longer than the SRL absorbed now means a bitmap resync instead of an SRL overflow`);
  }
}

/** Data volumes: printvol, else the Mounts and Volumes of the RVG's disk group in main.cf. */
function volumesOf(topo: Topology, name: string, nodeCount: number, reports: VvrReports, warnings: Warnings): TandemVolume[] {
  const pv = reports.printvol.find((p) => printVolRvg(p) === topo.rvg);
  let vols: { vxvm: string; size?: number }[];
  if (pv) {
    vols = pv.volumes.map((v) => ({ vxvm: v.names[0], size: v.sizeSectors[0] === undefined ? undefined : v.sizeSectors[0] * SECTOR_BYTES }));
    for (const v of pv.volumes) {
      if (new Set(v.sizeSectors).size > 1) warnings.add('data-layer', `${topo.rvg}/${v.names[0]}`, `Primary and Secondary sizes differ (${v.sizeSectors.join(' vs ')} sectors); Tandem volumes must be the same size on every node`);
    }
  } else {
    vols = volumesInMainCf(topo).map((vxvm) => ({ vxvm }));
    if (vols.length > 0) {
      warnings.add('placeholder', `${topo.rvg}.volumes`, `volume names from main.cf (${vols.map((v) => v.vxvm).join(', ')}: Mounts and Volumes of disk group ${topo.diskGroup}); sizes unknown: give --printvol, or check that no data volume of the RVG is missing`);
    } else {
      const count = Number(reports.printrvg.find((p) => p.rds === topo.rvg)?.primary?.details.datavol_cnt ?? reports.repstatus.find((s) => s.rds === topo.rvg)?.primary['Data volumes'] ?? 1);
      vols = Array.from({ length: Math.max(1, count) }, (_, i) => ({ vxvm: `datavol${i}` }));
      warnings.add('placeholder', `${topo.rvg}.volumes`, `data volume names and sizes unknown (give --printvol): ${vols.length} volume(s) with placeholder names written`);
    }
  }
  const shared = topo.peers.some((p) => p.shared);
  if (shared) {
    warnings.add('data-layer', `${name}.meta`, `metadata on block devices in volume group ${topo.diskGroup} (…_tmeta logical volumes): a site's hosts share its disks, so the metadata must move with them (PMEM is local to one host)`);
  } else {
    warnings.add('placeholder', `${name}.meta`, 'PMEM metadata paths are placeholders (pmem:/mnt/pmem0/tandem/<resource>-<volume>.meta); set them to this host\'s PMEM namespace');
  }
  return vols.map((v, index) => ({
    index,
    vxvmVolume: v.vxvm,
    disk: `/dev/${topo.diskGroup}/${v.vxvm}`,
    meta: shared ? `block:/dev/${topo.diskGroup}/${v.vxvm}_tmeta` : `pmem:/mnt/pmem0/tandem/${name}-${index}.meta`,
    export: `/run/tandem/${name}-${index}.nbd`,
    ...(v.size === undefined ? {} : { sizeBytes: v.size }),
    ...(shared && v.size !== undefined ? { metaBytes: geometry(v.size, Math.max(1, nodeCount - 1)).areaLength } : {}),
  }));
}

/** `/dev/vx/dsk/<dg>/<vol>` or `/dev/vx/rdsk/…` → [dg, vol] */
export function vxvmPath(path: string): [string, string] | undefined {
  const m = /^\/dev\/vx\/r?dsk\/([^/]+)\/([^/]+)$/.exec(path.trim());
  return m ? [m[1], m[2]] : undefined;
}

function volumesInMainCf(topo: Topology): string[] {
  const out: string[] = [];
  for (const site of new Set(topo.places.map((p) => p.site))) {
    for (const g of site.vcs.config.groups) {
      for (const r of g.resources) {
        const vol = r.type === 'Mount' ? vxvmPath(scalarAttr(r.attrs, 'BlockDevice') ?? '') : r.type === 'Volume' ? [scalarAttr(r.attrs, 'DiskGroup') ?? '', scalarAttr(r.attrs, 'Volume') ?? ''] : undefined;
        if (vol && vol[0] === topo.diskGroup && vol[1] !== '' && !out.includes(vol[1])) out.push(vol[1]);
      }
    }
  }
  return out;
}

export function volumeSizeNote(v: TandemVolume): string {
  return v.sizeBytes === undefined ? 'size unknown' : `${formatSize(v.sizeBytes)} (${v.sizeBytes} bytes)`;
}

