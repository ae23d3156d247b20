// One VCS resource → its Pacemaker counterpart (vvr-facts §4.2). Each mapper names the
// attributes it consumed; the caller warns about every other attribute, so nothing is lost.
import { valueText, type Attr, type Resource } from '../vcs/model.js';
import type { Warnings } from '../warnings.js';
import type { NvPairs, Op, Primitive } from './plan.js';

export interface AgentContext {
  warnings: Warnings;
  /** the value of an attribute for this migration: global value, or a per-system one (warned) */
  value(res: Resource, name: string): string | undefined;
  /** a VxVM device path → the Tandem device that replaces it, if it is a replicated volume */
  replicatedDevice(path: string): string | undefined;
}

export type AgentResult =
  | { kind: 'primitive'; primitive: Omit<Primitive, 'id' | 'source'>; consumed: string[]; note?: string }
  | { kind: 'dropped'; consumed: string[]; note: string };

type Mapper = (res: Resource, ctx: AgentContext) => AgentResult;

const MONITOR: Op = { name: 'monitor', interval: '30s', timeout: '60s' };

function primitive(cls: Primitive['class'], provider: string | undefined, type: string, params: NvPairs, consumed: string[], note?: string): AgentResult {
  return {
    kind: 'primitive',
    primitive: { class: cls, ...(provider ? { provider } : {}), type, params: params.filter(([, v]) => v !== ''), meta: [], ops: [{ ...MONITOR }] },
    consumed,
    ...(note ? { note } : {}),
  };
}

/** 255.255.255.0 → 24; undefined when not a contiguous IPv4 mask */
export function netmaskToPrefix(mask: string): number | undefined {
  const parts = mask.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return undefined;
  const bits = parts.map((p) => p.toString(2).padStart(8, '0')).join('');
  return /^1*0*$/.test(bits) ? bits.indexOf('0') === -1 ? 32 : bits.indexOf('0') : undefined;
}

const ip: Mapper = (res, ctx) => {
  const params: NvPairs = [['ip', ctx.value(res, 'Address') ?? '']];
  const mask = ctx.value(res, 'NetMask');
  const prefixLen = ctx.value(res, 'PrefixLen');
  if (mask) {
    const prefix = netmaskToPrefix(mask);
    if (prefix === undefined) ctx.warnings.add('approximate', `${res.name}.NetMask`, `NetMask ${mask} is not a contiguous IPv4 mask; cidr_netmask left out, IPaddr2 will guess it`, res.pos);
    else params.push(['cidr_netmask', String(prefix)]);
  } else if (prefixLen && prefixLen !== '1000') {
    params.push(['cidr_netmask', prefixLen]);
  }
  const dev = ctx.value(res, 'Device');
  if (dev) params.push(['nic', dev]);
  if (!ctx.value(res, 'Address')) ctx.warnings.add('placeholder', res.name, 'IP resource has no Address; ip= must be filled in', res.pos);
  return primitive('ocf', 'heartbeat', 'IPaddr2', params, ['Address', 'NetMask', 'PrefixLen', 'Device']);
};

const nic: Mapper = (res, ctx) => {
  const hosts = res.attrs.find((a) => a.name === 'NetworkHosts');
  if (hosts) ctx.warnings.add('approximate', `${res.name}.NetworkHosts`, `NetworkHosts ${valueText(hosts.value)} is not mapped; for the same check add an ocf:pacemaker:ping clone (host_list) and a location rule on pingd`, hosts.pos);
  return { kind: 'dropped', consumed: ['Device', 'NetworkHosts', 'PingOptimize', 'Mii', 'NetworkType'], note: 'IPaddr2 monitors the link of its own interface; no separate NIC resource' };
};

const mount: Mapper = (res, ctx) => {
  const device = ctx.value(res, 'BlockDevice') ?? '';
  const replicated = ctx.replicatedDevice(device);
  let fstype = ctx.value(res, 'FSType') ?? '';
  if (fstype === 'vxfs') {
    ctx.warnings.add('data-layer', res.name, `FSType vxfs does not exist on the target; the file system must be recreated (xfs assumed) and its data copied (see the cut-over plan)`, res.pos);
    fstype = 'xfs';
  }
  if (replicated) {
    ctx.warnings.add('placeholder', `${res.name}.BlockDevice`, `${device} is a replicated VxVM volume; it becomes ${replicated}, the block device attached to Tandem's NBD export of that volume on the Primary — check the path`, res.pos);
  } else if (device.startsWith('/dev/vx/')) {
    ctx.warnings.add('data-layer', `${res.name}.BlockDevice`, `${device} is a VxVM volume; replace it with the LVM logical volume that replaces it`, res.pos);
  }
  const params: NvPairs = [['device', replicated ?? device], ['directory', ctx.value(res, 'MountPoint') ?? ''], ['fstype', fstype], ['options', ctx.value(res, 'MountOpt') ?? '']];
  const fsck = ctx.value(res, 'FsckOpt');
  const note = fsck ? `FsckOpt ${fsck}: Filesystem runs fsck itself when needed (run_fsck=auto)` : undefined;
  return primitive('ocf', 'heartbeat', 'Filesystem', params, ['MountPoint', 'BlockDevice', 'FSType', 'MountOpt', 'FsckOpt', 'SnapUmount', 'CkptUmount', 'CreateMntPt', 'VxFSMountLock'], note);
};

const diskGroup: Mapper = (res, ctx) => {
  const dg = ctx.value(res, 'DiskGroup') ?? '';
  ctx.warnings.add('data-layer', res.name, `VxVM disk group ${dg} must be rebuilt as an LVM volume group (same name assumed) before cut-over`, res.pos);
  return primitive('ocf', 'heartbeat', 'LVM-activate', [['vgname', dg], ['vg_access_mode', 'system_id']], ['DiskGroup', 'StartVolumes', 'StopVolumes', 'MonitorReservation', 'Reservation', 'PanicSystemOnDGLoss', 'ClearClone', 'tempUseFence']);
};

const volume: Mapper = () => ({ kind: 'dropped', consumed: ['Volume', 'DiskGroup'], note: 'an LVM logical volume is activated with its volume group; no separate resource' });

const application: Mapper = (res, ctx) => {
  const unit = res.name.toLowerCase().replace(/[^a-z0-9_.-]/g, '-');
  const consumed = ['StartProgram', 'StopProgram', 'CleanProgram', 'MonitorProgram', 'User', 'PidFiles', 'MonitorProcesses', 'EnvFile', 'UseSUDash'];
  const given = res.attrs.filter((a) => consumed.includes(a.name)).map((a) => `${a.name}${a.system ? ` @${a.system}` : ''} = ${valueText(a.value)}`);
  ctx.warnings.add('placeholder', res.name, `Application (${given.join(', ')}) becomes systemd unit ${unit}.service, which must be written: ExecStart/ExecStop from the programs, User=, PIDFile=`, res.pos);
  return primitive('systemd', undefined, unit, [], consumed);
};

const process: Mapper = (res, ctx) =>
  primitive('ocf', 'heartbeat', 'anything', [['binfile', ctx.value(res, 'PathName') ?? ''], ['cmdline_options', ctx.value(res, 'Arguments') ?? ''], ['pidfile', ctx.value(res, 'PidFile') ?? '']], ['PathName', 'Arguments', 'PidFile']);

const phantom: Mapper = () => ({ kind: 'dropped', consumed: [], note: 'a Phantom only gives a NIC-only group a state; Pacemaker needs none' });

const MAPPERS: Record<string, Mapper> = {
  IP: ip,
  IPMultiNIC: ip,
  NIC: nic,
  MultiNICA: nic,
  Mount: mount,
  DiskGroup: diskGroup,
  Volume: volume,
  Application: application,
  Process: process,
  Phantom: phantom,
};

/** Types handled elsewhere (replication, dependencies) or deliberately not migrated. */
export const SPECIAL_TYPES = new Set(['RVG', 'RVGPrimary', 'Proxy']);

export function mapAgent(res: Resource, ctx: AgentContext): AgentResult | undefined {
  return MAPPERS[res.type]?.(res, ctx);
}

/** Attributes left after a mapper: each gets a warning with its original text. */
export function unconsumed(attrs: Attr[], consumed: string[]): Attr[] {
  return attrs.filter((a) => !consumed.includes(a.name));
}
