// The one definition of the agent's parameters and actions. The meta-data XML, the parameter
// reader (actions.ts) and the generated Pacemaker configuration (src/cluster/pacemaker-config.ts)
// all derive from these tables, so they cannot drift apart.
//
// Two renderings of the same definition: OCF 1.1 (what Pacemaker asks for: it announces
// OCF_RA_VERSION_MAJOR/MINOR = 1/1) and OCF 1.0 for callers that announce nothing, such as
// ocf-tester, whose check is the old ra-api-1.dtd (no reload-agent, reloadable or unique-group).
import { el, esc } from '../cluster/xml.js';

export const AGENT_NAME = 'replica';
export const AGENT_PROVIDER = 'tandem';
export const AGENT_SPEC = `ocf:${AGENT_PROVIDER}:${AGENT_NAME}`;
export const AGENT_VERSION = '1.0';

export interface ParameterDef {
  name: string;
  type: 'string' | 'integer' | 'boolean';
  required: boolean;
  /** unique across all instances of the agent (OCF 1.1 unique-group of its own) */
  unique: boolean;
  /** changed without a restart (reload-agent re-reads it) */
  reloadable: boolean;
  default?: string;
  shortdesc: string;
  longdesc: string;
}

export const PARAMETERS: readonly ParameterDef[] = [
  {
    name: 'resource', type: 'string', required: true, unique: true, reloadable: false,
    shortdesc: 'Tandem resource name',
    longdesc: 'Name of the Tandem resource ([resource] name in its INI file) that this clone manages. '
      + 'Letters, digits, dot, dash and underscore only.',
  },
  {
    name: 'config_dir', type: 'string', required: false, unique: false, reloadable: false, default: '/etc/tandem',
    shortdesc: 'Configuration directory',
    longdesc: 'Directory holding the resource INI files; must be the one the tandemd daemon on this node reads.',
  },
  {
    name: 'node', type: 'string', required: false, unique: false, reloadable: false, default: '',
    shortdesc: 'Tandem node name',
    longdesc: 'Name of this node in the resource configuration ([node.NAME]). Empty means the Pacemaker node name.',
  },
  {
    name: 'run_dir', type: 'string', required: false, unique: false, reloadable: false, default: '/run/tandem',
    shortdesc: 'Run directory of tandemd',
    longdesc: 'Directory of the daemon control socket (<run_dir>/<node>.ctl).',
  },
  {
    name: 'status_timeout', type: 'integer', required: false, unique: false, reloadable: true, default: '10',
    shortdesc: 'Seconds a monitor waits for the daemon',
    longdesc: 'Upper bound in seconds for one status request to tandemd during monitor; the action timeout '
      + 'bounds it further. A daemon that does not answer in time makes the monitor fail with an exit reason.',
  },
  {
    name: 'auto_takeover', type: 'boolean', required: false, unique: false, reloadable: true, default: 'true',
    shortdesc: 'Promote automatically when a peer is lost',
    longdesc: 'true: a node with UpToDate data that cannot see every diskful peer still gets a (lower) promotion '
      + 'score, so Pacemaker promotes it when the Primary is lost. false (VVR AutoTakeover=0): such a node gets no '
      + 'score; a takeover waits for an operator, who sets auto_takeover=true (a reload, no restart) or promotes by hand.',
  },
  {
    name: 'auto_resync', type: 'boolean', required: false, unique: false, reloadable: true, default: 'true',
    shortdesc: 'Resync a returning former Primary automatically',
    longdesc: 'true: a node that went away as Primary (crashed, or was cut off while a peer took over) connects on start '
      + 'and is resynced from the current Primary, losing the writes the others never received. false (VVR AutoResync=0): '
      + 'such a node starts StandAlone, is never promoted, and waits for an operator to inspect it and run '
      + "'tandem connect RESOURCE' (or to stop and discard it).",
  },
  {
    name: 'adjust_master_score', type: 'string', required: false, unique: false, reloadable: true, default: '0 10 1000 10000',
    shortdesc: 'Promotion scores for the four situations (as ocf:linbit:drbd)',
    longdesc: 'Four non-decreasing integers, as in ocf:linbit:drbd: the score of a node whose data is only Consistent '
      + '(0 = never promoted automatically), of a node with only a remote UpToDate disk (accepted for compatibility: Tandem '
      + 'never promotes a node without local data), of an UpToDate node that cannot see every diskful peer, and of an UpToDate '
      + "node that sees every peer. 0 or less removes the score. A Primary publishes the last value plus 64, and equally good nodes add "
      + 'a tie-break below 64 (see promotion_preference), so positive values must be at least 64 apart. '
      + "'tandem explain promotion RESOURCE' shows the rule and the score.",
  },
  {
    name: 'promotion_preference', type: 'string', required: false, unique: false, reloadable: true, default: '',
    shortdesc: 'Preferred nodes among equally good ones',
    longdesc: 'Tandem node names separated by spaces, most preferred first (like the order of a VCS SystemList). Among nodes '
      + 'that earn the same score, a listed node beats an unlisted one and an earlier one a later one; unlisted nodes are '
      + 'ordered by node id, lowest first. It only breaks ties: it never moves the Promoted role from a running Primary.',
  },
  {
    name: 'wfc_timeout', type: 'integer', required: false, unique: false, reloadable: true, default: '5',
    shortdesc: 'Seconds start waits for the peers to connect',
    longdesc: 'After bringing the resource up, start waits up to this many seconds (within its own timeout) for every peer to '
      + 'connect, so that the first promotion score it publishes knows the peers (as wfc_timeout in ocf:linbit:drbd). 0: do not wait.',
  },
  {
    name: 'fail_promote_early_if_peer_primary', type: 'boolean', required: false, unique: false, reloadable: true, default: 'false',
    shortdesc: 'Fail promote at once while a peer is Primary',
    longdesc: 'false: while a connected peer is still Primary (its demotion has not reached this node yet, as in a switch-over), '
      + 'promote waits for it to become Secondary, within the promote timeout. true: promote fails at once.',
  },
  {
    name: 'stop_outdates_secondary', type: 'boolean', required: false, unique: false, reloadable: true, default: 'false',
    shortdesc: 'Stopping a Secondary while a Primary runs marks it Outdated',
    longdesc: 'true: stop of a Secondary whose peer is Primary outdates the local data before taking the resource down, so it '
      + 'cannot be promoted later (say, after the whole cluster went down) until it has resynced from the Primary.',
  },
  {
    name: 'unfence_if_all_uptodate', type: 'boolean', required: false, unique: false, reloadable: true, default: 'true',
    shortdesc: 'Lift the fence constraint once every node is UpToDate',
    longdesc: 'true: monitor of the Primary removes the tandem-fence-RESOURCE constraint when every diskful peer is connected and '
      + 'UpToDate (tandemd does so itself; this also catches one left by a Primary that crashed or moved). The default is true, '
      + 'unlike ocf:linbit:drbd, so no constraint outlives the recovery.',
  },
];

export interface ActionDef {
  name: 'start' | 'stop' | 'promote' | 'demote' | 'notify' | 'monitor' | 'meta-data' | 'validate-all' | 'reload-agent';
  timeoutSec: number;
  intervalSec?: number;
  role?: 'Promoted' | 'Unpromoted';
  depth?: number;
}

// Monitor intervals differ per role so Pacemaker can tell the two recurring operations apart.
export const ACTIONS: readonly ActionDef[] = [
  { name: 'start', timeoutSec: 90 },
  { name: 'stop', timeoutSec: 100 },
  { name: 'promote', timeoutSec: 90 },
  { name: 'demote', timeoutSec: 90 },
  { name: 'notify', timeoutSec: 90 },
  { name: 'monitor', timeoutSec: 20, intervalSec: 10, role: 'Promoted', depth: 0 },
  { name: 'monitor', timeoutSec: 20, intervalSec: 20, role: 'Unpromoted', depth: 0 },
  { name: 'meta-data', timeoutSec: 5 },
  { name: 'validate-all', timeoutSec: 30 },
  { name: 'reload-agent', timeoutSec: 30 },
];

export type OcfVersion = '1.0' | '1.1';

const LONGDESC = 'Manages one Tandem replicated block-storage resource as a promotable clone. '
  + 'Start brings the resource up as Secondary, promote makes this node Primary (the only one that '
  + 'accepts writes), demote returns it to Secondary. The promotion score is computed by tandem from '
  + "disk, peer, quorum and generation state; 'tandem explain promotion RESOURCE' shows why. "
  + 'Requires the tandemd daemon on every node and notify=true on the clone.';

export function metadataXml(version: OcfVersion): string {
  const header = version === '1.0' ? '<?xml version="1.0"?>\n<!DOCTYPE resource-agent SYSTEM "ra-api-1.dtd">\n' : '<?xml version="1.0"?>\n';
  const body = el('resource-agent', { name: AGENT_NAME, version: AGENT_VERSION }, [
    `\n<version>${version}</version>\n`,
    `<longdesc lang="en">${esc(LONGDESC)}</longdesc>\n`,
    '<shortdesc lang="en">Tandem replicated block storage (promotable)</shortdesc>\n',
    el('parameters', {}, ['\n', ...PARAMETERS.map((p) => parameterXml(p, version) + '\n')]),
    '\n',
    el('actions', {}, ['\n', ...actionsFor(version).map((a) => actionXml(a) + '\n')]),
    '\n',
  ]);
  return `${header}${body}\n`;
}

/** OCF 1.0 has no reload-agent; its `reload` runs the same code. */
export function actionsFor(version: OcfVersion): ActionDef[] {
  if (version === '1.1') return [...ACTIONS];
  return ACTIONS.map((a) => (a.name === 'reload-agent' ? { ...a, name: 'reload' as ActionDef['name'] } : a));
}

function parameterXml(p: ParameterDef, version: OcfVersion): string {
  const attrs: Record<string, string | undefined> = { name: p.name, required: p.required ? '1' : '0' };
  if (version === '1.1') {
    if (p.unique) attrs['unique-group'] = p.name;
    if (p.reloadable) attrs.reloadable = '1';
  } else if (p.unique) {
    attrs.unique = '1';
  }
  return el('parameter', attrs, [
    `<longdesc lang="en">${esc(p.longdesc)}</longdesc>`,
    `<shortdesc lang="en">${esc(p.shortdesc)}</shortdesc>`,
    el('content', { type: p.type, default: p.default }),
  ]);
}

function actionXml(a: ActionDef): string {
  return el('action', {
    name: a.name,
    timeout: `${a.timeoutSec}s`,
    interval: a.intervalSec === undefined ? undefined : `${a.intervalSec}s`,
    depth: a.depth,
    role: a.role,
  });
}

export function actionTimeoutSec(name: ActionDef['name']): number {
  const a = ACTIONS.find((x) => x.name === name);
  if (!a) throw new Error(`no action ${name}`);
  return a.timeoutSec;
}
