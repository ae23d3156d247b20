// Who replicates with whom: for one RVG, the Tandem peers, which one is VVR Primary today, and the
// facts of each link (RLINK) from it. A peer is a host with its own disks, or a whole site when
// the RVG's group is a failover group over several systems: they share the site's SAN and VCS
// moves the disk group, the replication IP and the RVG between them (docs/MIGRATION.md §2). Hosts that
// only the VVR reports name (the DR site when its main.cf was not given, a bunker) become peers
// too, so the other side of the replication is never left out.
import { attrValue, scalarAttr, type Group, type Resource } from '../vcs/model.js';
import type { LoadedVcs } from '../vcs/load.js';
import type { HaStatus } from '../vvr/hastatus.js';
import { isBunkerTarget, type RlinkRecord } from '../vvr/vxprint.js';
import type { PrintRvg } from '../vvr/printrvg.js';
import type { RepStatus } from '../vvr/repstatus.js';
import type { PrintVol } from '../vvr/printvol.js';
import { systemList } from './groups.js';

/** One VCS cluster given with --main-cf, with the reports that belong to it. */
export interface Site {
  cluster: string;
  mainCf: string;
  vcs: LoadedVcs;
  systems: string[];
  hastatus?: HaStatus;
}

export interface VvrReports {
  vxprint: RlinkRecord[];
  printrvg: PrintRvg[];
  repstatus: RepStatus[];
  printvol: PrintVol[];
}

/** An RVG resource in one site's main.cf. */
export interface RvgPlace {
  site: Site;
  group: Group;
  resource: Resource;
}

export interface Peer {
  name: string;
  hosts: string[];
  site?: Site;
  place?: RvgPlace;
  shared: boolean;
  bunker: boolean;
  /** the replication address (IP or host name) and where it came from */
  address?: string;
  addressFrom?: string;
  /** every name and address the reports may use for it */
  aliases: Set<string>;
}

export interface Link {
  peer: Peer;
  /** the RLINK record from the Primary to this peer (or back), when vxprint was given */
  rlink?: RlinkRecord;
  /** this peer's Secondary block of repstatus */
  repstatus?: Record<string, string>;
}

export interface Topology {
  rvg: string;
  diskGroup: string;
  places: RvgPlace[];
  peers: Peer[];
  primary: Peer;
  primaryFrom: string;
  links: Link[];
  /** guesses made while matching report hosts to peers, for warnings */
  notes: string[];
}

/** alpha-rep, alpha.example.com and alpha all name system alpha. */
export const matchesHost = (reported: string, system: string): boolean =>
  reported === system || reported.startsWith(`${system}-`) || reported.startsWith(`${system}.`);

function matches(peer: Peer, host: string | undefined, ip?: string): boolean {
  if (!host && !ip) return false;
  if ((host && peer.aliases.has(host)) || (ip && peer.aliases.has(ip))) return true;
  return host !== undefined && peer.hosts.some((h) => matchesHost(host, h));
}

export function rvgOf(r: RlinkRecord): string | undefined {
  return r.attrs.rvg;
}

export function buildTopology(places: RvgPlace[], reports: VvrReports, remoteClusters: string[]): Topology {
  const first = places[0];
  const rvg = scalarAttr(first.resource.attrs, 'RVG') ?? first.resource.name;
  const diskGroup = scalarAttr(first.resource.attrs, 'DiskGroup') ?? 'unknown-dg';
  const rlinks = reports.vxprint.filter((r) => rvgOf(r) === rvg || (rvgOf(r) === undefined && reports.vxprint.every((x) => rvgOf(x) === undefined)));
  const peers = places.flatMap(peersOf);
  for (const r of rlinks) {
    for (const end of [r.local, r.remote]) {
      const p = end && peers.find((x) => (end.ip !== undefined && x.address === end.ip) || matches(x, end.host));
      if (p && end) {
        p.aliases.add(end.host);
        if (end.ip) p.aliases.add(end.ip);
        if (!p.address && end.ip) Object.assign(p, { address: end.ip, addressFrom: `vxprint ${r.name}` });
      }
    }
  }
  const notes: string[] = [];
  addReportedPeers(peers, rvg, rlinks, reports, remoteClusters, notes);
  const { primary, from } = primaryOf(peers, rvg, places, reports);
  const links = peers.filter((p) => p !== primary).map((peer) => linkTo(primary, peer, rvg, rlinks, reports));
  for (const l of links) if (l.rlink && isBunkerTarget(l.rlink)) l.peer.bunker = true;
  return { rvg, diskGroup, places, peers: [primary, ...peers.filter((p) => p !== primary)], primary, primaryFrom: from, links, notes };
}

function peersOf(place: RvgPlace): Peer[] {
  const { site, group } = place;
  const systems = systemList(group, site.systems).map(([n]) => n);
  const parallel = (scalarAttr(group.attrs, 'Parallel') ?? '0') === '1';
  const ip = group.resources.find((r) => r.type === 'IP' || r.type === 'IPMultiNIC');
  if (!parallel && systems.length > 1) {
    const address = ip ? scalarAttr(ip.attrs, 'Address') : undefined;
    return [{
      name: site.cluster, hosts: systems, site, place, shared: true, bunker: false,
      ...(address ? { address, addressFrom: `${ip!.type} ${ip!.name} (the replication address VCS moved with the disk group)` } : {}),
      aliases: new Set([site.cluster, ...systems, ...(address ? [address] : [])]),
    }];
  }
  return systems.map((system) => {
    const perSys = ip?.attrs.find((a) => a.name === 'Address' && a.system === system);
    const address = perSys?.value.kind === 'scalar' ? perSys.value.text : undefined;
    return {
      name: system, hosts: [system], site, place, shared: false, bunker: false,
      ...(address ? { address, addressFrom: `${ip!.type} ${ip!.name} @${system}` } : {}),
      aliases: new Set([system, ...(address ? [address] : [])]),
    };
  });
}

/** Hosts the VVR reports name for this RVG that no main.cf given accounts for. */
function addReportedPeers(peers: Peer[], rvg: string, rlinks: RlinkRecord[], reports: VvrReports, remoteClusters: string[], notes: string[]): void {
  const ends: { host: string; ip?: string; from: string }[] = [
    ...rlinks.flatMap((r) => [r.local, r.remote].flatMap((e) => (e ? [{ host: e.host, ip: e.ip, from: `vxprint ${r.name}` }] : []))),
    ...reports.printrvg.filter((p) => p.rds === rvg).flatMap((p) => [p.primary, ...p.secondaries]).flatMap((s) => (s ? [{ host: s.host, from: 'printrvg' }] : [])),
    ...reports.repstatus.filter((s) => s.rds === rvg).flatMap((s) => [s.primary, ...s.secondaries]).flatMap((b) => (b['Host name'] ? [{ host: b['Host name'], from: 'repstatus' }] : [])),
  ];
  const external: Peer[] = [];
  for (const e of ends) {
    if (peers.some((p) => matches(p, e.host, e.ip)) || external.some((p) => matches(p, e.host, e.ip))) {
      const known = external.find((p) => matches(p, e.host, e.ip));
      if (known && e.ip && !known.address) Object.assign(known, { address: e.ip, addressFrom: e.from });
      if (known && e.ip) known.aliases.add(e.ip);
      continue;
    }
    external.push({
      name: e.host, hosts: [], shared: false, bunker: false,
      ...(e.ip ? { address: e.ip, addressFrom: e.from } : { address: e.host, addressFrom: `${e.from} (host name)` }),
      aliases: new Set([e.host, ...(e.ip ? [e.ip] : [])]),
    });
  }
  pairByName(peers, external, notes);
  // the DR site of a global cluster whose main.cf was not given: name it after its cluster
  const missing = remoteClusters.filter((c) => !peers.some((p) => p.site?.cluster === c));
  if (external.length === 1 && missing.length === 1) external[0].name = missing[0];
  for (const p of external) p.name = p.name.replace(/[^A-Za-z0-9_-]/g, '-').replace(/^[^A-Za-z0-9]+/, '') || 'peer';
  peers.push(...external);
}

/**
 * Report hosts (replication host names such as nyc-pay-rep) that match no peer by name or address,
 * while peers of the main.cf files are named by no report: the same copies under other names.
 * They are paired by the longest common name prefix, and the pairing is said out loud.
 */
function pairByName(peers: Peer[], external: Peer[], notes: string[]): void {
  const unnamed = (p: Peer): boolean => [...p.aliases].every((a) => a === p.name || p.hosts.includes(a) || a === p.address);
  const lonely = peers.filter((p) => p.site && unnamed(p));
  if (lonely.length === 0 || lonely.length !== external.length) return;
  const prefix = (a: string, b: string): number => { let i = 0; while (i < a.length && i < b.length && a[i] === b[i]) i++; return i; };
  const score = (p: Peer, e: Peer): number => Math.max(...[p.name, ...p.hosts].map((n) => prefix(n, e.name)));
  for (const e of [...external]) {
    const best = [...lonely].sort((a, b) => score(b, e) - score(a, e))[0];
    if (!best || score(best, e) === 0) continue;
    for (const a of e.aliases) best.aliases.add(a);
    if (!best.address && e.address !== e.name) Object.assign(best, { address: e.address, addressFrom: e.addressFrom });
    lonely.splice(lonely.indexOf(best), 1);
    external.splice(external.indexOf(e), 1);
    notes.push(`the VVR reports name host ${e.name}, which is no system of the main.cf files: taken as ${best.name} (${best.hosts.join(', ')}) by its name; check it`);
  }
}

function primaryOf(peers: Peer[], rvg: string, places: RvgPlace[], reports: VvrReports): { primary: Peer; from: string } {
  const find = (host: string | undefined): Peer | undefined => peers.find((p) => matches(p, host));
  const printrvg = reports.printrvg.find((p) => p.rds === rvg)?.primary?.host;
  if (find(printrvg)) return { primary: find(printrvg)!, from: `vradmin printrvg shows ${printrvg} as Primary` };
  const repstatus = reports.repstatus.find((s) => s.rds === rvg)?.primary['Host name'];
  if (find(repstatus)) return { primary: find(repstatus)!, from: `vradmin repstatus shows ${repstatus} as Primary` };
  for (const place of places) {
    const rvgRes = place.resource.name;
    const appGroups = place.site.vcs.config.groups.filter((g) => g.resources.some((r) => r.type === 'RVGPrimary' && scalarAttr(r.attrs, 'RvgResourceName') === rvgRes));
    const online = place.site.hastatus?.groups.find((g) => appGroups.some((a) => a.name === g.group) && g.state === 'ONLINE');
    const p = online && peers.find((x) => x.hosts.includes(online.system));
    if (p) return { primary: p, from: `hastatus -sum shows ${online!.group} ONLINE on ${online!.system}` };
  }
  for (const place of places) {
    for (const g of place.site.vcs.config.groups) {
      const list = attrValue(g.attrs, 'ClusterList');
      if (list?.kind !== 'assoc' || !g.resources.some((r) => r.type === 'RVGPrimary' && scalarAttr(r.attrs, 'RvgResourceName') === place.resource.name)) continue;
      const preferred = [...list.entries].sort((a, b) => Number(a.value.text) - Number(b.value.text))[0]?.key.text;
      const p = peers.find((x) => x.site?.cluster === preferred);
      if (p) return { primary: p, from: `${g.name}.ClusterList prefers ${preferred}` };
    }
  }
  return { primary: peers[0], from: 'no report names the Primary: the first system of SystemList was taken' };
}

function linkTo(primary: Peer, peer: Peer, rvg: string, rlinks: RlinkRecord[], reports: VvrReports): Link {
  const forward = rlinks.find((r) => matches(primary, r.local?.host, r.local?.ip) && matches(peer, r.remote?.host, r.remote?.ip));
  const backward = rlinks.find((r) => matches(peer, r.local?.host, r.local?.ip) && matches(primary, r.remote?.host, r.remote?.ip));
  // only one RLINK and no end given in it: it is the link of a two-peer RDS
  const only = rlinks.length === 1 && !rlinks[0].local && !rlinks[0].remote ? rlinks[0] : undefined;
  const repstatus = reports.repstatus.find((s) => s.rds === rvg)?.secondaries.find((b) => matches(peer, b['Host name']));
  const rlink = forward ?? backward ?? only;
  return { peer, ...(rlink ? { rlink } : {}), ...(repstatus ? { repstatus } : {}) };
}
