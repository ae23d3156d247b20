// `tandem pacemaker config`: one model of the Pacemaker objects a resource needs (promotable
// clone of ocf:tandem:replica, optional Filesystem + IPaddr2 group on the Promoted node), and
// three emitters of that same model (pcs script, crm script, CIB XML), so they are equivalent.
import type { ResourceConfig } from '../config/model.js';
import { TandemError } from '../lib/errors.js';
import { ACTIONS, AGENT_SPEC } from '../ocf/metadata.js';
import { el } from './xml.js';

export type ConfigFormat = 'pcs' | 'crm' | 'cib';

export interface FsSpec { device: string; directory: string; fstype: string }
export interface IpSpec { ip: string; cidrNetmask: number }

export interface Op { name: string; intervalSec: number; timeoutSec: number; role?: 'Promoted' | 'Unpromoted' }

export interface Primitive {
  id: string;
  /** class:provider:type */
  agent: string;
  params: [string, string][];
  ops: Op[];
}

export interface PacemakerModel {
  resource: string;
  primitive: Primitive;
  clone: { id: string; meta: [string, string][] };
  services: null | {
    group: string;
    members: Primitive[];
    colocation: string;
    order: string;
  };
  /** nodes that hold a disk: clone-max counts them */
  nodes: string[];
}

export function primitiveId(resource: string): string {
  return `tandem-${resource}`;
}

export function cloneId(resource: string): string {
  return `tandem-${resource}-clone`;
}

export function buildModel(config: ResourceConfig, opts: { fs?: FsSpec; ip?: IpSpec } = {}): PacemakerModel {
  const diskful = config.nodes.filter((n) => n.volumes.some((v) => v.disk !== null)).map((n) => n.name);
  if (diskful.length === 0) {
    throw new TandemError('TANDEM_E_CONFIG', `resource '${config.name}' (${config.file}) has no node with a disk`, {
      hint: 'give at least one [node.NAME] a volume.N.disk that is not "none"',
    });
  }
  const res = config.name;
  const primitive: Primitive = {
    id: primitiveId(res),
    agent: AGENT_SPEC,
    params: [['resource', res]],
    ops: ACTIONS.filter((a) => a.name !== 'meta-data' && a.name !== 'validate-all').map((a) => ({
      name: a.name, intervalSec: a.intervalSec ?? 0, timeoutSec: a.timeoutSec, role: a.role,
    })),
  };
  // one diskless node may run the clone too, but promotion needs local data: count diskful nodes only
  const meta: [string, string][] = [
    ['promotable', 'true'], ['promoted-max', '1'], ['promoted-node-max', '1'],
    ['clone-max', String(diskful.length)], ['clone-node-max', '1'], ['notify', 'true'],
  ];
  const members: Primitive[] = [];
  if (opts.fs) {
    members.push({
      id: `tandem-${res}-fs`, agent: 'ocf:heartbeat:Filesystem',
      params: [['device', opts.fs.device], ['directory', opts.fs.directory], ['fstype', opts.fs.fstype]],
      ops: [{ name: 'monitor', intervalSec: 20, timeoutSec: 40 }, { name: 'start', intervalSec: 0, timeoutSec: 60 }, { name: 'stop', intervalSec: 0, timeoutSec: 60 }],
    });
  }
  if (opts.ip) {
    members.push({
      id: `tandem-${res}-ip`, agent: 'ocf:heartbeat:IPaddr2',
      params: [['ip', opts.ip.ip], ['cidr_netmask', String(opts.ip.cidrNetmask)]],
      ops: [{ name: 'monitor', intervalSec: 10, timeoutSec: 20 }, { name: 'start', intervalSec: 0, timeoutSec: 20 }, { name: 'stop', intervalSec: 0, timeoutSec: 20 }],
    });
  }
  return {
    resource: res,
    primitive,
    clone: { id: cloneId(res), meta },
    services: members.length === 0 ? null : {
      group: `tandem-${res}-services`, members,
      colocation: `tandem-${res}-services-with-promoted`, order: `tandem-${res}-promote-before-services`,
    },
    nodes: diskful,
  };
}

/** DEV:MOUNT:FSTYPE, e.g. /dev/nbd0:/srv/data:ext4 */
export function parseFsSpec(text: string): FsSpec {
  const parts = text.split(':');
  if (parts.length !== 3 || !parts[0].startsWith('/') || !parts[1].startsWith('/') || !/^[a-z0-9_.]+$/.test(parts[2])) {
    throw new TandemError('TANDEM_E_USAGE', `--with-fs '${text}' is not DEV:MOUNT:FSTYPE`, {
      hint: 'for example --with-fs /dev/nbd0:/srv/data:ext4 (absolute device and mount point, a file system type)',
    });
  }
  return { device: parts[0], directory: parts[1], fstype: parts[2] };
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

export function render(model: PacemakerModel, format: ConfigFormat): string {
  switch (format) {
    case 'pcs': return renderPcs(model);
    case 'crm': return renderCrm(model);
    case 'cib': return renderCib(model);
  }
}

// --- pcs -----------------------------------------------------------------------------------------

function renderPcs(m: PacemakerModel): string {
  const lines = [
    '#!/bin/sh',
    `# Pacemaker configuration for Tandem resource ${m.resource} (generated by tandem pacemaker config).`,
    '# Run it on a cluster node, or against a CIB file first: CIB=cib.xml sh SCRIPT && crm_verify -x cib.xml',
    'set -e',
    'PCS="pcs${CIB:+ -f $CIB}"',
    `$PCS resource create ${m.primitive.id} ${m.primitive.agent} ${pcsParams(m.primitive)} ${pcsOps(m.primitive)} \\`,
    `  promotable ${m.clone.meta.filter(([k]) => k !== 'promotable').map(([k, v]) => `${k}=${v}`).join(' ')}`,
  ];
  const s = m.services;
  if (s) {
    for (const p of s.members) {
      lines.push(`$PCS resource create ${p.id} ${p.agent} ${pcsParams(p)} ${pcsOps(p)} --group ${s.group}`);
    }
    lines.push(`$PCS constraint colocation add ${s.group} with Promoted ${m.clone.id} INFINITY id=${s.colocation}`);
    lines.push(`$PCS constraint order promote ${m.clone.id} then start ${s.group} kind=Mandatory id=${s.order}`);
  }
  return lines.join('\n') + '\n';
}

function pcsParams(p: Primitive): string {
  return p.params.map(([k, v]) => `${k}=${shellQuote(v)}`).join(' ');
}

function pcsOps(p: Primitive): string {
  return 'op ' + p.ops.map((o) => `${o.name} interval=${o.intervalSec}s timeout=${o.timeoutSec}s${o.role ? ` role=${o.role}` : ''}`).join(' \\\n    ');
}

function shellQuote(v: string): string {
  return /^[A-Za-z0-9_./:@%+=-]+$/.test(v) ? v : `'${v.replace(/'/g, `'\\''`)}'`;
}

// --- crm -----------------------------------------------------------------------------------------

function renderCrm(m: PacemakerModel): string {
  const lines = [
    `# Pacemaker configuration for Tandem resource ${m.resource} (generated by tandem pacemaker config).`,
    '# Load with: crm configure load update FILE',
    crmPrimitive(m.primitive),
    `clone ${m.clone.id} ${m.primitive.id} \\\n\tmeta ${m.clone.meta.map(([k, v]) => `${k}=${v}`).join(' ')}`,
  ];
  const s = m.services;
  if (s) {
    for (const p of s.members) lines.push(crmPrimitive(p));
    lines.push(`group ${s.group} ${s.members.map((p) => p.id).join(' ')}`);
    lines.push(`colocation ${s.colocation} inf: ${s.group} ${m.clone.id}:Promoted`);
    lines.push(`order ${s.order} Mandatory: ${m.clone.id}:promote ${s.group}:start`);
  }
  return lines.join('\n') + '\n';
}

function crmPrimitive(p: Primitive): string {
  const params = p.params.map(([k, v]) => `${k}=${crmQuote(v)}`).join(' ');
  const ops = p.ops.map((o) => `\top ${o.name} interval=${o.intervalSec}s timeout=${o.timeoutSec}s${o.role ? ` role=${o.role}` : ''}`);
  return [`primitive ${p.id} ${p.agent} \\`, `\tparams ${params} \\`, ops.join(' \\\n')].join('\n');
}

function crmQuote(v: string): string {
  return /^[A-Za-z0-9_./:@%+=-]+$/.test(v) ? v : `"${v.replace(/(["\\])/g, '\\$1')}"`;
}

// --- CIB XML -------------------------------------------------------------------------------------

/** Pacemaker 2.1 names: roles Promoted/Unpromoted need schema 3.7 or later. */
export const CIB_SCHEMA = 'pacemaker-3.7';

export function resourcesXml(m: PacemakerModel): string[] {
  const clone = el('clone', { id: m.clone.id }, [
    primitiveXml(m.primitive),
    el('meta_attributes', { id: `${m.clone.id}-meta_attributes` },
      m.clone.meta.map(([k, v]) => el('nvpair', { id: `${m.clone.id}-meta_attributes-${k}`, name: k, value: v }))),
  ]);
  const out = [clone];
  if (m.services) out.push(el('group', { id: m.services.group }, m.services.members.map(primitiveXml)));
  return out;
}

export function constraintsXml(m: PacemakerModel): string[] {
  const s = m.services;
  if (!s) return [];
  return [
    el('rsc_colocation', { id: s.colocation, rsc: s.group, 'rsc-role': 'Started', 'with-rsc': m.clone.id, 'with-rsc-role': 'Promoted', score: 'INFINITY' }),
    el('rsc_order', { id: s.order, first: m.clone.id, 'first-action': 'promote', then: s.group, 'then-action': 'start', kind: 'Mandatory' }),
  ];
}

function renderCib(m: PacemakerModel): string {
  const lines = [
    `<!-- Pacemaker configuration for Tandem resource ${m.resource} (generated by tandem pacemaker config).`,
    '     Check it with crm_verify, then merge its resources and constraints sections into the cluster',
    "     CIB with cibadmin's modify + allow-create (idempotent): see the examples in 'tandem pacemaker config -h'.",
    '     A cluster with shared data needs STONITH: this file does not configure it. -->',
    `<cib validate-with="${CIB_SCHEMA}" epoch="1" num_updates="0" admin_epoch="0">`,
    '  <configuration>',
    '    <crm_config/>',
    '    <nodes/>',
    '    <resources>',
    ...resourcesXml(m).map((x) => `      ${x}`),
    '    </resources>',
    '    <constraints>',
    ...constraintsXml(m).map((x) => `      ${x}`),
    '    </constraints>',
    '  </configuration>',
    '  <status/>',
    '</cib>',
  ];
  return lines.join('\n') + '\n';
}

function primitiveXml(p: Primitive): string {
  const [klass, provider, type] = p.agent.split(':');
  const ops = p.ops.map((o) => el('op', {
    id: `${p.id}-${o.name}-interval-${o.intervalSec}s`, name: o.name,
    interval: `${o.intervalSec}s`, timeout: `${o.timeoutSec}s`, role: o.role,
  }));
  return el('primitive', { id: p.id, class: klass, provider, type }, [
    el('instance_attributes', { id: `${p.id}-instance_attributes` },
      p.params.map(([k, v]) => el('nvpair', { id: `${p.id}-instance_attributes-${k}`, name: k, value: v }))),
    el('operations', {}, ops),
  ]);
}
