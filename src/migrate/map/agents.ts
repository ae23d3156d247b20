// One VCS resource → its Pacemaker counterpart (docs/MIGRATION.md §5). Each mapper names the
// attributes it consumed; the caller warns about every other attribute, so nothing is lost.
// Operations come from the target agent's advertised meta-data (cluster/pacemaker-model).
import type { AgentRef, NvPairs, Primitive } from '../../cluster/pacemaker-model/model.js';
import { operationsFor } from '../../cluster/pacemaker-model/operations.js';
import { valueText, type Attr, type Resource } from '../vcs/model.js';
import type { Warnings } from '../warnings.js';
import { vxvmPath } from './replication.js';

export interface ReplicatedVolume {
  resource: string;
  volume: number;
  device: string;
}

export interface AgentContext {
  warnings: Warnings;
  /** the value of an attribute for this migration: global value, or a per-system one (warned), trimmed */
  value(res: Resource, name: string): string | undefined;
  /** a VxVM device path → the Tandem volume that replaces it, if it is a replicated volume */
  replicatedDevice(path: string): ReplicatedVolume | undefined;
  /** the other resources of the same service group */
  groupResources: Resource[];
}

export type AgentResult =
  | { kind: 'primitive'; primitive: Omit<Primitive, 'id' | 'comment'>; consumed: string[]; note?: string; mount?: MountFacts }
  | { kind: 'link'; device: string; consumed: string[]; note: string }
  | { kind: 'dropped'; consumed: string[]; note: string };

/** A file system that moves onto a Tandem volume: the cut-over plan copies its data. */
export interface MountFacts {
  replicated: ReplicatedVolume;
  directory: string;
  vxvmDevice: string;
  oldFsType: string;
  newFsType: string;
}

type Mapper = (res: Resource, ctx: AgentContext) => AgentResult;

function primitive(agent: AgentRef, params: NvPairs, consumed: string[], note?: string): AgentResult {
  return {
    kind: 'primitive',
    primitive: { agent, params: params.filter(([, v]) => v !== ''), meta: [], ops: operationsFor(agent) },
    consumed,
    ...(note ? { note } : {}),
  };
}

const heartbeat = (type: string): AgentRef => ({ class: 'ocf', provider: 'heartbeat', type });

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
  return primitive(heartbeat('IPaddr2'), params, ['Address', 'NetMask', 'PrefixLen', 'Device']);
};

/**
 * A NIC watched the link of its device; its parents failed over when the link died. IPaddr2 does
 * not check carrier, so the link is watched by an ethmonitor clone and the groups that needed the
 * NIC get a location rule on its node attribute (network.ts builds both).
 */
const nic: Mapper = (res, ctx) => {
  const device = ctx.value(res, 'Device') ?? '';
  const hosts = res.attrs.find((a) => a.name === 'NetworkHosts');
  if (hosts) ctx.warnings.add('approximate', `${res.name}.NetworkHosts`, `NetworkHosts ${valueText(hosts.value)} (the NIC pinged them) is not mapped: ethmonitor checks the link only; for the same reachability check add an ocf:pacemaker:ping clone (host_list) and a location rule on its pingd attribute`, hosts.pos);
  if (!device) return { kind: 'dropped', consumed: ['Device'], note: 'NIC without a Device: nothing to monitor' };
  return { kind: 'link', device, consumed: ['Device', 'NetworkHosts', 'PingOptimize', 'Mii', 'NetworkType'], note: `link of ${device} watched by an ethmonitor clone; resources that needed ${res.name} move away from a node whose link is down` };
};

/** Mount options only VxFS knows: carried onto another file system they make mount fail. */
const VXFS_ONLY = /^(largefiles|nolargefiles|delaylog|tmplog|log|blkclear|datainlog|nodatainlog|qio|noqio|cio|nocio|crw|seconly|cluster|mntlock|mincache=.*|convosync=.*|logiosize=.*|ioerror=.*|ckpt=.*|snapof=.*|snapsize=.*|mntunlock=.*|lazyio.*|nomtime|tranflush)$/;

const mount: Mapper = (res, ctx) => {
  const device = ctx.value(res, 'BlockDevice') ?? '';
  const replicated = ctx.replicatedDevice(device);
  const oldFsType = ctx.value(res, 'FSType') ?? '';
  const fstype = oldFsType === 'vxfs' ? 'xfs' : oldFsType;
  const given = (ctx.value(res, 'MountOpt') ?? '').split(',').filter((o) => o !== '');
  const vxfsOnly = given.filter((o) => VXFS_ONLY.test(o));
  const options = given.filter((o) => !VXFS_ONLY.test(o));
  if (oldFsType === 'vxfs') {
    ctx.warnings.add('data-layer', res.name, `FSType vxfs does not exist on the target: ${replicated ? `${replicated.device} gets a new xfs file system and the files are copied into it (cut-over plan)` : 'the file system must be recreated (xfs) and its files copied'}; a block copy of a vxfs image would not mount as xfs`, res.pos);
  }
  if (vxfsOnly.length > 0) {
    ctx.warnings.add('approximate', `${res.name}.MountOpt`, `VxFS-only mount options ${vxfsOnly.join(',')} dropped (${fstype} would refuse to mount with them); kept: ${options.join(',') || 'none'}`, res.pos);
  }
  let target = device;
  const vx = vxvmPath(device);
  if (replicated) {
    target = replicated.device;
  } else if (vx) {
    target = `/dev/${vx[0]}/${vx[1]}`;
    ctx.warnings.add('data-layer', `${res.name}.BlockDevice`, `${device} is a VxVM volume outside any RVG (VVR did not replicate it): it becomes the LVM logical volume ${target}, not replicated by Tandem either; its data is copied in the cut-over like the others`, res.pos);
  }
  const params: NvPairs = [['device', target], ['directory', ctx.value(res, 'MountPoint') ?? ''], ['fstype', fstype], ['options', options.join(',')]];
  const fsck = ctx.value(res, 'FsckOpt');
  const note = fsck ? `FsckOpt ${fsck}: Filesystem runs fsck itself when needed (run_fsck=auto)` : undefined;
  const result = primitive(heartbeat('Filesystem'), params, ['MountPoint', 'BlockDevice', 'FSType', 'MountOpt', 'FsckOpt', 'SnapUmount', 'CkptUmount', 'CreateMntPt', 'VxFSMountLock'], note);
  if (replicated && result.kind === 'primitive') {
    result.mount = { replicated, directory: ctx.value(res, 'MountPoint') ?? '', vxvmDevice: device, oldFsType, newFsType: fstype };
  }
  return result;
};

const diskGroup: Mapper = (res, ctx) => {
  const dg = ctx.value(res, 'DiskGroup') ?? '';
  ctx.warnings.add('data-layer', res.name, `VxVM disk group ${dg} must be rebuilt as an LVM volume group (same name assumed) before cut-over`, res.pos);
  return primitive(heartbeat('LVM-activate'), [['vgname', dg], ['vg_access_mode', 'system_id']], ['DiskGroup', 'StartVolumes', 'StopVolumes', 'MonitorReservation', 'Reservation', 'PanicSystemOnDGLoss', 'ClearClone', 'tempUseFence']);
};

const volume: Mapper = () => ({ kind: 'dropped', consumed: ['Volume', 'DiskGroup'], note: 'an LVM logical volume is activated with its volume group; no separate resource' });

const application: Mapper = (res, ctx) => {
  const unit = res.name.toLowerCase().replace(/[^a-z0-9_.-]/g, '-');
  const consumed = ['StartProgram', 'StopProgram', 'CleanProgram', 'MonitorProgram', 'User', 'PidFiles', 'MonitorProcesses', 'EnvFile', 'UseSUDash'];
  const given = res.attrs.filter((a) => consumed.includes(a.name)).map((a) => `${a.name}${a.system ? ` @${a.system}` : ''} = ${valueText(a.value)}`);
  ctx.warnings.add('placeholder', res.name, `Application (${given.join(', ')}) becomes systemd unit ${unit}.service, which must be written: ExecStart/ExecStop from the programs, User=, PIDFile=`, res.pos);
  return primitive({ class: 'systemd', type: unit }, [], consumed);
};

const process: Mapper = (res, ctx) =>
  primitive(heartbeat('anything'), [['binfile', ctx.value(res, 'PathName') ?? ''], ['cmdline_options', ctx.value(res, 'Arguments') ?? ''], ['pidfile', ctx.value(res, 'PidFile') ?? '']], ['PathName', 'Arguments', 'PidFile']);

const phantom: Mapper = () => ({ kind: 'dropped', consumed: [], note: 'a Phantom only gives a NIC-only group a state; Pacemaker needs none' });

/** VCS stores database passwords encrypted (vcsencrypt): never copied, always a warning. */
function passwords(res: Resource, ctx: AgentContext, names: string[], what: string): void {
  for (const a of res.attrs.filter((x) => names.includes(x.name))) {
    ctx.warnings.add('secret', `${res.name}.${a.name}`, `${a.name} (encrypted by VCS) is not copied: ${what}`, a.pos);
  }
}

/** VCS ShutDownOpt → ocf:heartbeat:oracle shutdown_method (its default is checkpoint/abort). */
const ORACLE_SHUTDOWN: Record<string, string> = { IMMEDIATE: 'immediate', TRANSACTIONAL: 'immediate', SRVCTLSTOP: 'immediate', ABORT: 'checkpoint/abort' };

const oracle: Mapper = (res, ctx) => {
  const params: NvPairs = [['sid', ctx.value(res, 'Sid') ?? ''], ['home', ctx.value(res, 'Home') ?? ''], ['user', ctx.value(res, 'Owner') ?? '']];
  const shutdown = (ctx.value(res, 'ShutDownOpt') ?? '').toUpperCase();
  if (shutdown && ORACLE_SHUTDOWN[shutdown]) params.push(['shutdown_method', ORACLE_SHUTDOWN[shutdown]]);
  else if (shutdown) ctx.warnings.add('approximate', `${res.name}.ShutDownOpt`, `ShutDownOpt ${shutdown}: ocf:heartbeat:oracle stops with checkpoint + shutdown abort (its default) or shutdown immediate; custom shutdown scripts are not run`, res.pos);
  if (ctx.value(res, 'AutoEndBkup') === '1') params.push(['clear_backupmode', 'true']);
  const start = (ctx.value(res, 'StartUpOpt') ?? 'STARTUP').toUpperCase();
  if (!['STARTUP', 'STARTUP_FORCE', 'SRVCTLSTART'].includes(start)) ctx.warnings.add('approximate', `${res.name}.StartUpOpt`, `StartUpOpt ${start}: ocf:heartbeat:oracle always runs startup (open); ${start} is not available`, res.pos);
  const pfile = ctx.value(res, 'Pfile');
  if (pfile) ctx.warnings.add('approximate', `${res.name}.Pfile`, `Pfile ${pfile}: ocf:heartbeat:oracle starts with the instance's default parameter file (spfile/init<SID>.ora in $ORACLE_HOME/dbs); link or convert ${pfile} there`, res.pos);
  const env = ctx.value(res, 'EnvFile');
  if (env) ctx.warnings.add('approximate', `${res.name}.EnvFile`, `EnvFile ${env} is not read by ocf:heartbeat:oracle: set what it exports in the oracle user's profile`, res.pos);
  const detail = ['User', 'Table', 'MonScript', 'DetailMonitor', 'MonitorOption'].filter((n) => ctx.value(res, n) !== undefined);
  if (detail.length > 0) ctx.warnings.add('approximate', `${res.name}.${detail[0]}`, `detail monitoring (${detail.join(', ')}) is not carried over: ocf:heartbeat:oracle monitors through its own monitoring user (monuser, created by the agent)`, res.pos);
  passwords(res, ctx, ['Pword', 'DBAPword'], 'ocf:heartbeat:oracle connects as sysdba through the OS user; set monpassword by hand if you set monuser');
  return primitive(heartbeat('oracle'), params, ['Sid', 'Home', 'Owner', 'ShutDownOpt', 'StartUpOpt', 'AutoEndBkup', 'Pfile', 'EnvFile', 'User', 'Table', 'MonScript', 'DetailMonitor', 'MonitorOption', 'Pword', 'DBAPword', 'DBAUser', 'AgentDebug', 'Encoding', 'IntentionalOffline', 'ManagedBy']);
};

const netlsnr: Mapper = (res, ctx) => {
  // oralsnr finds ORACLE_HOME from a SID: the Oracle instance this listener serves (same group)
  const db = ctx.groupResources.find((r) => r.type === 'Oracle');
  const sid = db ? ctx.value(db, 'Sid') : undefined;
  if (!sid) ctx.warnings.add('placeholder', `${res.name}.sid`, 'ocf:heartbeat:oralsnr needs the SID of an instance this listener serves; none in the group: set sid= by hand', res.pos);
  const params: NvPairs = [['sid', sid ?? ''], ['home', ctx.value(res, 'Home') ?? ''], ['user', ctx.value(res, 'Owner') ?? ''], ['listener', ctx.value(res, 'Listener') ?? ''], ['tns_admin', ctx.value(res, 'TnsAdmin') ?? '']];
  const env = ctx.value(res, 'EnvFile');
  if (env) ctx.warnings.add('approximate', `${res.name}.EnvFile`, `EnvFile ${env} is not read by ocf:heartbeat:oralsnr: set what it exports in the oracle user's profile`, res.pos);
  passwords(res, ctx, ['LsnrPwd'], 'a password-protected listener needs it in listener.ora/sqlnet.ora; ocf:heartbeat:oralsnr has no password parameter');
  return primitive(heartbeat('oralsnr'), params, ['Home', 'Owner', 'Listener', 'TnsAdmin', 'EnvFile', 'LsnrPwd', 'MonScript', 'AgentDebug', 'Encoding', 'IntentionalOffline']);
};

const sybase: Mapper = (res, ctx) => {
  const version = ctx.value(res, 'Version');
  const params: NvPairs = [
    ['server_name', ctx.value(res, 'Server') ?? ''], ['sybase_home', ctx.value(res, 'Home') ?? ''], ['sybase_user', ctx.value(res, 'Owner') ?? ''],
    ['db_user', ctx.value(res, 'SA') ?? 'sa'], ['interfaces_file', ctx.value(res, 'interfaces_File') ?? ''],
  ];
  if (version) params.push(['sybase_ase', `ASE-${version.replace(/\./g, '_')}`]);
  ctx.warnings.add('placeholder', `${res.name}.db_passwd`, `ocf:heartbeat:sybaseASE logs in as ${ctx.value(res, 'SA') ?? 'sa'} to check and stop the server; its password (SApswd, encrypted by VCS) is not copied: set db_passwd (pcs resource update … db_passwd=…)`, res.pos);
  if (version) ctx.warnings.add('approximate', `${res.name}.Version`, `Version ${version} → sybase_ase=ASE-${version.replace(/\./g, '_')} (the ASE directory under sybase_home): check the name; sybase_ocs (OCS-…) is left to its default`, res.pos);
  const run = ctx.value(res, 'Run_ServerFile');
  if (run) ctx.warnings.add('approximate', `${res.name}.Run_ServerFile`, `Run_ServerFile ${run}: ocf:heartbeat:sybaseASE starts $sybase_home/$sybase_ase/install/RUN_<server_name>; put or link the file there`, res.pos);
  const detail = ['User', 'Db', 'Table', 'Monscript', 'DetailMonitor'].filter((n) => ctx.value(res, n) !== undefined);
  if (detail.length > 0) ctx.warnings.add('approximate', `${res.name}.${detail[0]}`, `detail monitoring (${detail.join(', ')}) is not carried over: sybaseASE's deep monitor (OCF_CHECK_LEVEL 10) runs its own query`, res.pos);
  passwords(res, ctx, ['SApswd', 'UPword'], 'set db_passwd on the primitive by hand');
  return primitive(heartbeat('sybaseASE'), params, ['Server', 'Home', 'Owner', 'SA', 'Version', 'interfaces_File', 'Run_ServerFile', 'User', 'Db', 'Table', 'Monscript', 'DetailMonitor', 'SApswd', 'UPword', 'ShutdownWaitLimit', 'DelayAfterOnline', 'DelayAfterOffline', 'AgentDebug', 'Encoding']);
};

const db2: Mapper = (res, ctx) => {
  const params: NvPairs = [['instance', ctx.value(res, 'DB2InstOwner') ?? ''], ['dblist', ctx.value(res, 'DatabaseName') ?? ''], ['dbpartitionnum', ctx.value(res, 'NodeNumber') ?? '']];
  if (ctx.value(res, 'IndepthMonitor') === '1') ctx.warnings.add('approximate', `${res.name}.IndepthMonitor`, 'IndepthMonitor = 1: ocf:heartbeat:db2 checks that each database in dblist answers a query; custom in-depth scripts are not run', res.pos);
  const opts = ['StartUpOpt', 'ShutDownOpt'].filter((n) => ctx.value(res, n) !== undefined);
  if (opts.length > 0) ctx.warnings.add('approximate', `${res.name}.${opts[0]}`, `${opts.join(', ')}: ocf:heartbeat:db2 starts with db2start and activates the databases of dblist; custom start/stop options are not available`, res.pos);
  return primitive(heartbeat('db2'), params, ['DB2InstOwner', 'DB2InstHome', 'DatabaseName', 'NodeNumber', 'IndepthMonitor', 'StartUpOpt', 'ShutDownOpt', 'UseDB2start', 'AgentDebug', 'Encoding', 'WarnOnlyIfDBQueryFailed', 'LastWarningDay']);
};

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
  Oracle: oracle,
  Netlsnr: netlsnr,
  Sybase: sybase,
  Db2udb: db2,
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
