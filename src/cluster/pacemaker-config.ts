// `tandem pacemaker config`: the Pacemaker objects one resource needs (promotable clone of
// ocf:tandem:replica; optionally Filesystems on its volumes' block devices and an IPaddr2, as a
// group on the Promoted node), built with the shared model of src/cluster/pacemaker-model/ that
// `tandem migrate vcs` uses too, and rendered by its pcs, crm or CIB renderer.
import type { ResourceConfig } from '../config/model.js';
import { TandemError } from '../lib/errors.js';
import { renderCib } from './pacemaker-model/cib.js';
import { renderCrm } from './pacemaker-model/crm.js';
import { emptyConfig, type NvPairs, type PacemakerConfig, type Primitive } from './pacemaker-model/model.js';
import { operationsFor } from './pacemaker-model/operations.js';
import { renderPcs } from './pacemaker-model/pcs.js';
import { cloneId, deviceOf, filesystemOn, replicaClone, runsWherePromoted } from './pacemaker-model/replica.js';

export { cloneId, primitiveId } from './pacemaker-model/replica.js';

export type ConfigFormat = 'pcs' | 'crm' | 'cib';

/** A file system on one volume's block device: VOL:MOUNT:FSTYPE. */
export interface FsSpec { volume: number; directory: string; fstype: string }
export interface IpSpec { ip: string; cidrNetmask: number }

export interface PacemakerModel {
  resource: string;
  config: PacemakerConfig;
  clone: string;
  /** the group of file systems and address that runs on the Promoted node, when asked for */
  services: string | null;
}

export interface ModelOptions {
  fs?: FsSpec[];
  ip?: IpSpec;
  /** ocf:tandem:replica parameters beyond resource=, checked against its meta-data */
  agentParams?: NvPairs;
  /**
   * The Pacemaker cluster of one site whose hosts share the disks of Tandem node `site` (as
   * `migrate vcs` writes for a VCS global cluster): one clone instance, acting as that node.
   */
  site?: string;
}

export function buildModel(config: ResourceConfig, opts: ModelOptions = {}): PacemakerModel {
  const diskful = config.nodes.filter((n) => n.volumes.some((v) => v.disk !== null)).map((n) => n.name);
  if (diskful.length === 0) {
    throw new TandemError('TANDEM_E_CONFIG', `resource '${config.name}' (${config.file}) has no node with a disk`, {
      hint: 'give at least one [node.NAME] a volume.N.disk that is not "none"',
    });
  }
  const res = config.name;
  const cfg = emptyConfig();
  const node = (opts.agentParams ?? []).find(([k]) => k === 'node')?.[1];
  if (opts.site !== undefined && node !== undefined && node !== opts.site) {
    throw new TandemError('TANDEM_E_USAGE', `--site ${opts.site} and --agent-param node=${node} contradict each other`, { hint: '--site sets node= itself; leave the agent parameter out' });
  }
  if (opts.site !== undefined && !diskful.includes(opts.site)) {
    throw new TandemError('TANDEM_E_USAGE', `--site ${opts.site}: resource '${res}' has no diskful node ${opts.site}`, { hint: `its diskful nodes: ${diskful.join(', ')}` });
  }
  // a diskless node may run the clone too, but promotion needs local data: count diskful nodes only
  const replica = opts.site === undefined
    ? replicaClone(res, diskful.length, opts.agentParams ?? [])
    : replicaClone(res, 1, [['node', opts.site], ...(opts.agentParams ?? []).filter(([k]) => k !== 'node')]);
  cfg.primitives.push(replica.primitive);
  cfg.clones.push(replica.clone);
  const members = [...(opts.fs ?? []).map((fs) => filesystem(config, fs)), ...(opts.ip ? [address(res, opts.ip)] : [])];
  if (members.length === 0) return { resource: res, config: cfg, clone: replica.clone.id, services: null };
  const group = `tandem-${res}-services`;
  cfg.primitives.push(...members);
  cfg.groups.push({ id: group, members: members.map((m) => m.id), meta: [] });
  cfg.constraints.push(...runsWherePromoted(group, cloneId(res)));
  return { resource: res, config: cfg, clone: replica.clone.id, services: group };
}

function filesystem(config: ResourceConfig, fs: FsSpec): Primitive {
  const volumes = [...new Set(config.nodes.flatMap((n) => n.volumes.map((v) => v.index)))].sort((a, b) => a - b);
  if (!volumes.includes(fs.volume)) {
    throw new TandemError('TANDEM_E_USAGE', `--with-fs names volume ${fs.volume}, but resource '${config.name}' has volume(s) ${volumes.join(', ')}`, {
      hint: `for example --with-fs ${volumes[0]}:${fs.directory}:${fs.fstype}`,
    });
  }
  return filesystemOn(`tandem-${config.name}-fs${fs.volume}`, config.name, fs.volume, fs.directory, fs.fstype);
}

function address(res: string, ip: IpSpec): Primitive {
  const agent = { class: 'ocf' as const, provider: 'heartbeat', type: 'IPaddr2' };
  return { id: `tandem-${res}-ip`, agent, params: [['ip', ip.ip], ['cidr_netmask', String(ip.cidrNetmask)]], meta: [], ops: operationsFor(agent) };
}

/**
 * [VOL:]MOUNT:FSTYPE, e.g. 0:/srv/data:ext4 (volume 0 when left out). The device is always the
 * volume's replicated block device; a file system on anything else would bypass replication.
 */
export function parseFsSpec(text: string): FsSpec {
  const parts = text.split(':');
  const [vol, directory, fstype] = parts.length === 2 ? ['0', ...parts] : parts;
  if (parts.length === 3 && parts[0].startsWith('/dev/')) {
    throw new TandemError('TANDEM_E_USAGE', `--with-fs '${text}' names a device; the file system must be on the volume's replicated device ${deviceOf('<resource>', '<volume>')}`, {
      hint: `give the volume number instead: --with-fs 0:${parts[1]}:${parts[2]}`,
    });
  }
  if (parts.length < 2 || parts.length > 3 || !/^\d+$/.test(vol) || !directory.startsWith('/') || !/^[a-z0-9_.]+$/.test(fstype ?? '')) {
    throw new TandemError('TANDEM_E_USAGE', `--with-fs '${text}' is not [VOL:]MOUNT:FSTYPE`, {
      hint: 'for example --with-fs 0:/srv/data:ext4 (volume number, absolute mount point, file system type)',
    });
  }
  return { volume: Number(vol), directory, fstype };
}

/** IPv4/CIDR, e.g. 192.0.2.10/24 */
export function parseIpSpec(text: string): IpSpec {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text);
  const ok = m !== null && m.slice(1, 5).every((o) => Number(o) <= 255) && Number(m[5]) <= 32;
  if (!ok) {
    throw new TandemError('TANDEM_E_USAGE', `--with-ip '${text}' is not an IPv4 address with a prefix length`, {
      hint: 'for example --with-ip 192.0.2.10/24',
    });
  }
  return { ip: text.split('/')[0], cidrNetmask: Number(m[5]) };
}

/** NAME=VALUE of an agent parameter. */
export function parseAgentParam(text: string): [string, string] {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new TandemError('TANDEM_E_USAGE', `--agent-param '${text}' is not NAME=VALUE`, { hint: 'for example --agent-param auto_resync=false' });
  return [text.slice(0, eq), text.slice(eq + 1)];
}

export function render(model: PacemakerModel, format: ConfigFormat): string {
  const title = [`Pacemaker configuration for Tandem resource ${model.resource} (generated by tandem pacemaker config).`];
  switch (format) {
    case 'pcs': return renderPcs(model.config, title);
    case 'crm': return renderCrm(model.config, title);
    case 'cib': return renderCib(model.config, [
      ...title,
      'Check it with crm_verify, then merge its resources and constraints sections into the cluster',
      "CIB with cibadmin's modify + allow-create (idempotent): see the examples in 'tandem pacemaker config -h'.",
      'A cluster with shared data needs STONITH: this file does not configure it.',
    ]);
  }
}
