// The whole mapping of docs/MIGRATION.md §2–§7, from parsed inputs to a MigrationPlan: every RVG
// (across the sites given) → one Tandem resource whose nodes are its peers; every VCS cluster →
// the Pacemaker configuration of its site; GCO → booth.
import { scalarAttr } from '../vcs/model.js';
import type { Warnings } from '../warnings.js';
import type { IgnoredLine } from '../vvr/report-lines.js';
import { boothPlan } from './cluster.js';
import { mapSite, type SiteRvg } from './site.js';
import { tandemResourceFor } from './replication.js';
import { buildTopology, type RvgPlace, type Site, type VvrReports } from './topology.js';
import type { BoothSite, Mapping, MigrationPlan, MountMove, TandemResource } from './plan.js';

export interface MigrationInputs extends VvrReports {
  sites: Site[];
  /** lines of the reports that were skipped (command echo, prompts, trailing output) */
  ignored: { file: string; lines: IgnoredLine[] }[];
  /** every input file, for the report */
  files: string[];
  arbitrator?: string;
  /** link rate for the initial sync estimate when VVR had no bandwidth limit, bytes/s */
  linkRate?: number;
}

export function mapVcs(inputs: MigrationInputs, warnings: Warnings): MigrationPlan {
  const remoteClusters = [...new Set(inputs.sites.flatMap((s) => s.vcs.config.remoteClusters.map((r) => r.name)))];
  const tandem: TandemResource[] = [];
  const perSite = new Map<Site, Map<string, SiteRvg>>(inputs.sites.map((s) => [s, new Map()]));
  for (const places of rvgPlaces(inputs.sites)) {
    const topo = buildTopology(places, inputs, remoteClusters);
    const res = tandemResourceFor(topo, tandem.length, inputs, warnings);
    tandem.push(res);
    for (const place of places) {
      const peers = topo.peers.filter((p) => p.place === place);
      perSite.get(place.site)!.set(place.resource.name, { resource: res, peers: peers.map((p) => p.name), shared: peers.some((p) => p.shared) });
    }
  }
  const mappings: Mapping[] = [];
  const mounts: MountMove[] = [];
  const results = inputs.sites.map((site) => mapSite(site, perSite.get(site)!, mounts, mappings, warnings, inputs.sites.length > 1));
  for (const t of tandem) seedFromSecondaries(t, mounts);
  const boothSites = results.flatMap((r) => (r.booth ? [r.booth] : []));
  const tickets = dedupeTickets(results.flatMap((r) => r.tickets));
  const global = boothSites.length > 0 || tickets.length > 0;
  if (global && !inputs.arbitrator) warnings.add('global-cluster', 'booth.arbitrator', 'no --arbitrator given: booth.conf has a placeholder; booth needs a third member (an arbitrator at a third location, the steward\'s role) to hand tickets over automatically and to grant them without -F');
  const missing = remoteClusters.filter((c) => !inputs.sites.some((s) => s.cluster === c));
  if (global && missing.length > 0) warnings.add('global-cluster', 'booth', `remote cluster(s) ${missing.join(', ')}: their main.cf was not given, so only their booth site line is written; migrate them with a second --main-cf`);
  const remote = inputs.sites.flatMap((s) => s.vcs.config.remoteClusters.map((r) => ({ cluster: r.name, address: scalarAttr(r.attrs, 'ClusterAddress') })));
  const linkRate = rateOf(tandem, inputs.linkRate);
  unusedReportLines(inputs, warnings);
  return {
    sites: results.map((r) => r.plan),
    tandem,
    mounts,
    ...(global ? { booth: boothPlan(boothSites as BoothSite[], remote, tickets, inputs.arbitrator) } : {}),
    ...(linkRate ? { linkRate } : {}),
    inputs: inputs.files,
    mappings,
    warnings: warnings.list,
  };
}

/**
 * A VVR Secondary holds a copy of the data volumes (a bunker holds only the SRL): once
 * replication stopped clean, each such peer can start from a local copy of its own volumes, which
 * the initial sync then verifies block by block (csums-alg) instead of sending it over the link.
 */
function seedFromSecondaries(t: TandemResource, mounts: MountMove[]): void {
  const peers = t.connections.filter((c) => !c.bunker && c.to !== t.primary).map((c) => c.to);
  const fileCopied = (v: number): boolean => mounts.some((m) => m.resource === t.name && m.volume === v && m.copy === 'files');
  const volumes = t.volumes.map((v) => v.index).filter((v) => !fileCopied(v));
  if (peers.length > 0 && volumes.length > 0) t.seed = { peers, volumes };
}

/** RVG resources grouped by the RVG they replicate (the same names at every site of a GCO). */
function rvgPlaces(sites: Site[]): RvgPlace[][] {
  const byRvg = new Map<string, RvgPlace[]>();
  for (const site of sites) {
    for (const group of site.vcs.config.groups) {
      for (const resource of group.resources.filter((r) => r.type === 'RVG')) {
        const key = `${scalarAttr(resource.attrs, 'DiskGroup') ?? ''}/${scalarAttr(resource.attrs, 'RVG') ?? resource.name}`;
        byRvg.set(key, [...(byRvg.get(key) ?? []), { site, group, resource }]);
      }
    }
  }
  return [...byRvg.values()];
}

function dedupeTickets(list: { name: string; group: string; policy: string }[]): { name: string; group: string; policy: string }[] {
  return [...new Map(list.map((t) => [t.name, t])).values()];
}

/** The slowest VVR bandwidth limit, else the rate given on the command line. */
function rateOf(tandem: TandemResource[], given: number | undefined): MigrationPlan['linkRate'] {
  if (given !== undefined) return { bytesPerSec: given, source: '--link-rate' };
  const limits = tandem.flatMap((t) => t.connections).filter((c) => c.bandwidthBytesPerSec !== undefined);
  if (limits.length === 0) return undefined;
  const slowest = limits.reduce((a, b) => (a.bandwidthBytesPerSec! <= b.bandwidthBytesPerSec! ? a : b));
  return { bytesPerSec: slowest.bandwidthBytesPerSec!, source: `VVR bandwidth_limit ${slowest.bandwidth} to ${slowest.to}` };
}

/** Report lines kept verbatim or skipped: shown, never dropped. */
function unusedReportLines(inputs: MigrationInputs, warnings: Warnings): void {
  const kept: [string, string[]][] = [
    ['printvol', inputs.printvol.flatMap((p) => p.otherRows)],
    ['repstatus', inputs.repstatus.flatMap((s) => s.otherLines)],
    ['printrvg', inputs.printrvg.flatMap((p) => p.otherLines)],
  ];
  for (const [report, lines] of kept) {
    for (const line of lines) warnings.add('report-input', report, `${report} line not used by the mapping: ${line}`);
  }
  for (const { file, lines } of inputs.ignored) {
    for (const l of lines) warnings.add('report-input', `${file}:${l.no}`, `skipped ${l.why}: ${l.text}`);
  }
}
