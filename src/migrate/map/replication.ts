// VVR → Tandem (vvr-facts §6.2): each RVG resource becomes one Tandem resource (an INI file)
// and a promotable clone of ocf:tandem:replica. RLINK facts come from the VVR reports; what
// Tandem cannot honour exactly is a warning with the fallback chosen.
import { randomBytes } from 'node:crypto';
import { formatSize } from '../../lib/units.js';
import { scalarAttr, type Group, type Resource } from '../vcs/model.js';
import type { Warnings } from '../warnings.js';
import type { RlinkRecord } from '../vvr/vxprint.js';
import type { PrintRvg } from '../vvr/printrvg.js';
import type { RepStatus } from '../vvr/repstatus.js';
import { SECTOR_BYTES, type PrintVol } from '../vvr/printvol.js';
import type { TandemNode, TandemResource, TandemVolume } from './plan.js';

export interface VvrReports {
  vxprint?: RlinkRecord[];
  printrvg?: PrintRvg[];
  repstatus?: RepStatus;
  printvol?: PrintVol;
}

export const TANDEM_PORT_BASE = 7789;

export function tandemResourceFor(rvgRes: Resource, group: Group, nodes: string[], index: number, reports: VvrReports, warnings: Warnings): TandemResource {
  const rvg = scalarAttr(rvgRes.attrs, 'RVG') ?? rvgRes.name;
  const diskGroup = scalarAttr(rvgRes.attrs, 'DiskGroup') ?? 'unknown-dg';
  const name = rvg.replace(/[^A-Za-z0-9_-]/g, '_');
  const rlink = reports.vxprint?.find((r) => r.attrs.rvg === rvg) ?? (reports.vxprint?.length === 1 ? reports.vxprint[0] : undefined);
  const repSec = reports.repstatus?.rds === rvg ? reports.repstatus.secondaries[0] : undefined;
  const notes: string[] = [`replaces VVR RVG ${rvg} in disk group ${diskGroup} (VCS resource ${rvgRes.name}, group ${group.name})`];
  const res: TandemResource = {
    name,
    rvgResource: rvgRes.name,
    rvg,
    diskGroup,
    protocol: protocolOf(rlink, repSec, name, warnings, notes),
    secret: randomBytes(18).toString('base64url'),
    fencing: 'resource-only',
    quorum: nodes.length >= 3 ? 'majority' : 'off',
    nodes: nodeAddresses(group, nodes, index, rlink, reports, name, warnings),
    volumes: volumesOf(name, rvg, diskGroup, reports, warnings),
    cloneId: `${rvgRes.name}-clone`,
    notes,
  };
  if (nodes.length < 3) notes.push('quorum = off with two nodes: split brain is prevented by fencing = resource-only under Pacemaker');
  warnings.add('secret', name, `a new random secret was generated for ${name}.ini; copy the same file to every node and keep it private`);
  const bw = bandwidthOf(rlink, repSec);
  if (bw) {
    res.resyncRate = bw.rate;
    warnings.add('replication', `${rvg}.bandwidth_limit`, `VVR bandwidth_limit ${bw.text} limits all replication; Tandem limits only resynchronisation (resync-rate = ${bw.rate}); normal replication is not throttled`);
  }
  rlinkWarnings(rvg, rlink, repSec, reports, warnings);
  topologyWarnings(group, nodes, rlink, reports, warnings);
  return res;
}

function protocolOf(rlink: RlinkRecord | undefined, repSec: Record<string, string> | undefined, name: string, warnings: Warnings, notes: string[]): 'A' | 'C' {
  const sync = rlink?.attrs.synchronous ?? (repSec?.['Configured mode'] === 'synchronous' ? 'override' : repSec?.['Configured mode'] === 'asynchronous' ? 'off' : undefined);
  switch (sync) {
    case 'off':
      notes.push('protocol A: the RLINK was asynchronous (synchronous=off)');
      return 'A';
    case 'override':
      notes.push('protocol C: the RLINK was synchronous=override (synchronous while connected, writes continue when the Secondary is away)');
      return 'C';
    case 'fail':
      warnings.add('replication', `${name}.synchronous`, 'synchronous=fail fails application writes when the Secondary is unreachable; Tandem protocol C keeps writing (like synchronous=override) and the peer is outdated by fencing instead');
      return 'C';
    default:
      warnings.add('replication', `${name}.synchronous`, 'no RLINK facts (give --vxprint or --repstatus): protocol A assumed, VVR\'s default synchronous=off; confirm with vxprint -Pl');
      return 'A';
  }
}

const BIT_UNITS: Record<string, number> = { k: 1e3, m: 1e6, g: 1e9 };

/** RLINK bandwidth_limit (`30m`, `none`) or repstatus's `30.00 Mbps` → a resync-rate value. */
function bandwidthOf(rlink: RlinkRecord | undefined, repSec: Record<string, string> | undefined): { text: string; rate: string } | undefined {
  const raw = rlink?.attrs.bandwidth_limit;
  const fromRlink = raw ? /^(\d+(?:\.\d+)?)([kmg])?$/i.exec(raw) : null;
  if (raw && fromRlink) return { text: raw, rate: bitsToRate(Number(fromRlink[1]) * BIT_UNITS[(fromRlink[2] ?? 'm').toLowerCase()]) };
  const shown = repSec?.['Bandwidth Limit'];
  const fromStatus = shown ? /^(\d+(?:\.\d+)?)\s*([KMG])bps$/i.exec(shown) : null;
  if (shown && fromStatus) return { text: shown, rate: bitsToRate(Number(fromStatus[1]) * BIT_UNITS[fromStatus[2].toLowerCase()]) };
  return undefined;
}

/** bits per second → a resync-rate value in KiB/s (the unit suffix the config loader accepts) */
function bitsToRate(bitsPerSecond: number): string {
  return `${Math.max(1, Math.floor(bitsPerSecond / 8 / 1024))}K`;
}

function rlinkWarnings(rvg: string, rlink: RlinkRecord | undefined, repSec: Record<string, string> | undefined, reports: VvrReports, warnings: Warnings): void {
  const srlprot = rlink?.attrs.srlprot ?? repSec?.['SRL protection'];
  if (srlprot && srlprot !== 'autodcm') {
    warnings.add('replication', `${rvg}.srlprot`, `srlprot=${srlprot}: Tandem never stalls or fails writes when its log fills; it always switches to its dirty bitmap (like autodcm) and resyncs later`);
  }
  const latencyprot = rlink?.attrs.latencyprot ?? repSec?.['Latency protection'];
  if (latencyprot && latencyprot !== 'off') {
    warnings.add('replication', `${rvg}.latencyprot`, `latencyprot=${latencyprot} (high ${rlink?.attrs.latency_high_mark ?? '?'}, low ${rlink?.attrs.latency_low_mark ?? '?'}) has no Tandem equivalent; protocol A's transfer log is bounded instead`);
  }
  if (rlink?.protocol && !rlink.protocol.startsWith('TCP')) {
    warnings.add('replication', `${rvg}.protocol`, `RLINK protocol ${rlink.protocol}: Tandem replicates over TCP only${rlink.attrs.packet_size ? `; packet_size=${rlink.attrs.packet_size} does not apply` : ''}`);
  }
  const compression = repSec?.['Compression Mode'] ?? rlink?.attrs.compression;
  if (compression && /^on$/i.test(compression)) {
    warnings.add('replication', `${rvg}.compression`, 'VVR compression was on; Tandem does not compress replication traffic: check that the link has the bandwidth');
  }
  const srlSize = reports.repstatus?.rds === rvg ? reports.repstatus.primary['SRL size'] : undefined;
  const srlName = reports.repstatus?.primary['SRL name'] ?? reports.printrvg?.find((p) => p.rds === rvg)?.primary?.details.srl;
  if (srlName || srlSize) {
    warnings.add('replication', `${rvg}.srl`, `SRL ${srlName ?? ''}${srlSize ? ` (${srlSize})` : ''} is not carried over: Tandem keeps its activity log and dirty bitmap on PMEM; an outage longer than the SRL absorbed now means a bitmap resync instead of SRL overflow`);
  }
}

const matchesNode = (host: string, node: string): boolean => host === node || host.startsWith(`${node}-`) || host.startsWith(`${node}.`);

/** Facts that do not fit Tandem's model of one backing disk per node, said out loud. */
function topologyWarnings(group: Group, nodes: string[], rlink: RlinkRecord | undefined, reports: VvrReports, warnings: Warnings): void {
  if ((scalarAttr(group.attrs, 'Parallel') ?? '0') !== '1' && nodes.length > 1) {
    warnings.add('replication', group.name, `replication group ${group.name} is a failover group over ${nodes.join(', ')}: its disk group moves between them on shared storage. Tandem gives every node its own backing disk and replicates between all of them; review whether these systems are one site (shared disks) or separate copies`, group.pos);
  }
  const hosts = [
    ...(reports.printrvg?.flatMap((p) => [p.primary, ...p.secondaries]).flatMap((s) => (s ? [s.host] : [])) ?? []),
    ...[rlink?.local, rlink?.remote].flatMap((e) => (e ? [`${e.host}${e.ip ? ` (${e.ip})` : ''}`] : [])),
  ];
  for (const host of new Set(hosts)) {
    if (!nodes.some((n) => matchesNode(host.split(' ')[0], n))) {
      warnings.add('replication', host, `replication host ${host} from the VVR reports is not a system of this main.cf (another site of a global cluster?); add it as a [node.…] section with its uname -n, or migrate that site's main.cf and merge the node sections`);
    }
  }
}

/** Each node's replication address: per-system IP in the group, the RLINK ends, or a placeholder. */
function nodeAddresses(group: Group, nodes: string[], index: number, rlink: RlinkRecord | undefined, reports: VvrReports, name: string, warnings: Warnings): TandemNode[] {
  const port = TANDEM_PORT_BASE + index;
  const ipRes = group.resources.find((r) => r.type === 'IP');
  const ends = [rlink?.local, rlink?.remote].filter((e): e is NonNullable<typeof e> => e !== undefined);
  const hosts = reports.printrvg?.flatMap((p) => [p.primary, ...p.secondaries]).filter((s) => s !== undefined).map((s) => s!.host) ?? [];
  return nodes.map((node, id) => {
    const perSys = ipRes?.attrs.find((a) => a.name === 'Address' && a.system === node);
    let host = perSys?.value.kind === 'scalar' ? perSys.value.text : undefined;
    host ??= ends.find((e) => matchesNode(e.host, node))?.ip;
    host ??= hosts.find((h) => matchesNode(h, node));
    const placeholder = host === undefined;
    if (!host) {
      host = `192.0.2.${id + 1}`;
      warnings.add('placeholder', `${name}.node.${node}.address`, `no replication address known for node ${node} (no per-system IP Address, no matching vxprint/printrvg host); placeholder ${host} written`);
    }
    return { name: node, id, address: `${host.includes(':') ? `[${host}]` : host}:${port}`, ...(placeholder ? { placeholder } : {}) };
  });
}

function volumesOf(name: string, rvg: string, dg: string, reports: VvrReports, warnings: Warnings): TandemVolume[] {
  const pv = reports.printvol && (reports.printvol.rvgs.length === 0 || reports.printvol.rvgs.includes(rvg)) ? reports.printvol : undefined;
  let vols: { vxvm: string; size?: number }[];
  if (pv) {
    vols = pv.volumes.map((v) => ({ vxvm: v.names[0], size: v.sizeSectors[0] === undefined ? undefined : v.sizeSectors[0] * SECTOR_BYTES }));
    for (const v of pv.volumes) {
      if (new Set(v.sizeSectors).size > 1) warnings.add('data-layer', `${rvg}/${v.names[0]}`, `Primary and Secondary sizes differ (${v.sizeSectors.join(' vs ')} sectors); Tandem volumes must be the same size on every node`);
    }
  } else {
    const count = Number(reports.printrvg?.find((p) => p.rds === rvg)?.primary?.details.datavol_cnt ?? (reports.repstatus?.rds === rvg ? reports.repstatus.primary['Data volumes'] : undefined) ?? 1);
    vols = Array.from({ length: Math.max(1, count) }, (_, i) => ({ vxvm: `datavol${i}` }));
    warnings.add('placeholder', `${rvg}.volumes`, `data volume names and sizes unknown (give --printvol): ${vols.length} volume(s) with placeholder names written`);
  }
  warnings.add('placeholder', `${name}.meta`, 'PMEM metadata paths are placeholders (pmem:/mnt/pmem0/tandem/<resource>-<volume>.meta); set them to this host\'s PMEM namespace');
  return vols.map((v, index) => ({
    index,
    vxvmVolume: v.vxvm,
    disk: `/dev/${dg}/${v.vxvm}`,
    meta: `pmem:/mnt/pmem0/tandem/${name}-${index}.meta`,
    export: `/run/tandem/${name}-${index}.nbd`,
    ...(v.size === undefined ? {} : { sizeBytes: v.size }),
  }));
}

export function volumeSizeNote(v: TandemVolume): string {
  return v.sizeBytes === undefined ? 'size unknown' : `${formatSize(v.sizeBytes)} (${v.sizeBytes} bytes)`;
}
