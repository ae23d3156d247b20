// What Pacemaker hands the agent: OCF_RESKEY_<param> values (defaults from metadata.ts) and the
// CRM_meta_* operation context. Bad parameters end the action here with OCF's codes:
// a missing required parameter is ERR_CONFIGURED (6), a malformed value is ERR_ARGS (2).
import { hostname } from 'node:os';
import { OCF, OcfExit } from './exit-codes.js';
import { TIE_BREAK_RANGE, type Ladder } from '../cluster/promotion-score.js';
import { PARAMETERS, actionTimeoutSec, type ActionDef } from './metadata.js';

export interface AgentParams {
  resource: string;
  configDir: string;
  node: string;
  runDir: string;
  statusTimeoutSec: number;
  autoTakeover: boolean;
  autoResync: boolean;
  ladder: Ladder;
  preference: string[];
  wfcTimeoutSec: number;
  failPromoteEarlyIfPeerPrimary: boolean;
  stopOutdatesSecondary: boolean;
  unfenceIfAllUpToDate: boolean;
}

export interface OperationContext {
  /** interval 0 monitor: Pacemaker asks what runs here, nothing is expected to */
  probe: boolean;
  /** OCF_CHECK_LEVEL: 0 status only, 10 also the volumes' health and exports */
  checkLevel: number;
  /** time the action may take (OCF_RESKEY_CRM_meta_timeout), less a margin to answer in */
  budgetMs: number;
  /** the clone instance whose promotion score this node publishes */
  instance: string | undefined;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function reskey(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[`OCF_RESKEY_${name}`];
  const def = PARAMETERS.find((p) => p.name === name)?.default ?? '';
  return value === undefined || value === '' ? def : value;
}

export function readParams(env: NodeJS.ProcessEnv): AgentParams {
  const resource = reskey(env, 'resource');
  if (resource === '') throw new OcfExit(OCF.ERR_CONFIGURED, "required parameter 'resource' is not set");
  if (!NAME.test(resource)) {
    throw new OcfExit(OCF.ERR_ARGS, `parameter resource='${resource}' is not a resource name (letters, digits, . _ -)`);
  }
  const node = reskey(env, 'node') || env.OCF_RESKEY_CRM_meta_on_node || hostname().split('.')[0];
  if (!NAME.test(node)) throw new OcfExit(OCF.ERR_ARGS, `parameter node='${node}' is not a node name`);
  const configDir = reskey(env, 'config_dir');
  const runDir = reskey(env, 'run_dir');
  for (const [key, value] of [['config_dir', configDir], ['run_dir', runDir]]) {
    if (!value.startsWith('/')) throw new OcfExit(OCF.ERR_ARGS, `parameter ${key}='${value}' must be an absolute path`);
  }
  const timeout = reskey(env, 'status_timeout');
  if (!/^[1-9][0-9]{0,3}$/.test(timeout)) {
    throw new OcfExit(OCF.ERR_ARGS, `parameter status_timeout='${timeout}' must be a whole number of seconds, 1 to 9999`);
  }
  const wfc = reskey(env, 'wfc_timeout');
  if (!/^[0-9]{1,3}$/.test(wfc)) throw new OcfExit(OCF.ERR_ARGS, `parameter wfc_timeout='${wfc}' must be a whole number of seconds, 0 to 999`);
  return {
    resource, configDir, node, runDir, statusTimeoutSec: Number(timeout),
    autoTakeover: booleanParam(env, 'auto_takeover'), autoResync: booleanParam(env, 'auto_resync'),
    ladder: ladderParam(reskey(env, 'adjust_master_score')), preference: preferenceParam(reskey(env, 'promotion_preference')),
    wfcTimeoutSec: Number(wfc), failPromoteEarlyIfPeerPrimary: booleanParam(env, 'fail_promote_early_if_peer_primary'),
    stopOutdatesSecondary: booleanParam(env, 'stop_outdates_secondary'), unfenceIfAllUpToDate: booleanParam(env, 'unfence_if_all_uptodate'),
  };
}

/** Four non-decreasing integers; positive ones at least TIE_BREAK_RANGE apart so a tie-break never reorders them. */
export function ladderParam(text: string): Ladder {
  const values = text.trim().split(/\s+/);
  const bad = (why: string): never => {
    throw new OcfExit(OCF.ERR_ARGS, `parameter adjust_master_score='${text}' ${why}; for example '0 10 1000 10000'`);
  };
  if (values.length !== 4 || !values.every((v) => /^-?[0-9]{1,6}$/.test(v))) bad('must be four integers');
  const n = values.map(Number);
  const positive = n.filter((v) => v > 0);
  if (n.some((v, i) => i > 0 && v < n[i - 1])) bad('must not decrease');
  if (positive.some((v, i) => i > 0 && v - positive[i - 1] < TIE_BREAK_RANGE)) bad(`must keep its positive values at least ${TIE_BREAK_RANGE} apart (the tie-break between equally good nodes stays below ${TIE_BREAK_RANGE})`);
  if (n[3] + TIE_BREAK_RANGE >= 1_000_000) bad('must stay below INFINITY (1000000) with the Primary\'s margin');
  return { consistentOnly: n[0], remoteOnly: n[1], peerUnknown: n[2], best: n[3] };
}

function preferenceParam(text: string): string[] {
  const names = text.split(/[\s,]+/).filter(Boolean);
  const bad = names.find((n) => !NAME.test(n));
  if (bad !== undefined) throw new OcfExit(OCF.ERR_ARGS, `parameter promotion_preference='${text}': '${bad}' is not a node name`);
  return names;
}

// Pacemaker's own spelling of booleans (crm_is_true): yes/no, true/false, on/off, 1/0, y/n.
const TRUE = new Set(['true', 'yes', 'on', '1', 'y']);
const FALSE = new Set(['false', 'no', 'off', '0', 'n']);

/** true or false in any of Pacemaker's spellings; null for anything else. */
export function pacemakerBoolean(text: string): boolean | null {
  const value = text.toLowerCase();
  return TRUE.has(value) ? true : FALSE.has(value) ? false : null;
}

function booleanParam(env: NodeJS.ProcessEnv, name: string): boolean {
  const value = pacemakerBoolean(reskey(env, name));
  if (value !== null) return value;
  throw new OcfExit(OCF.ERR_ARGS, `parameter ${name}='${reskey(env, name)}' must be true or false (also yes/no, on/off, 1/0)`);
}

/** The clone settings the agent relies on; checked everywhere but on stop. */
export function checkCloneMeta(env: NodeJS.ProcessEnv): void {
  const meta = (name: string, legacy?: string): string | undefined =>
    env[`OCF_RESKEY_CRM_meta_${name}`] ?? (legacy ? env[`OCF_RESKEY_CRM_meta_${legacy}`] : undefined);
  if (meta('clone_max') === undefined) return; // run by hand or by ocf-tester, not as a clone
  if (meta('notify') !== 'true') throw new OcfExit(OCF.ERR_CONFIGURED, 'the clone needs meta attribute notify=true');
  if (Number(meta('promoted_max', 'master_max') ?? '1') > 1) {
    throw new OcfExit(OCF.ERR_CONFIGURED, 'promoted-max must be 1: a Tandem resource has one Primary');
  }
  if (Number(meta('clone_node_max') ?? '1') !== 1) throw new OcfExit(OCF.ERR_CONFIGURED, 'clone-node-max must be 1');
  if (Number(meta('promoted_node_max', 'master_node_max') ?? '1') !== 1) throw new OcfExit(OCF.ERR_CONFIGURED, 'promoted-node-max must be 1');
}

export function readContext(action: string, env: NodeJS.ProcessEnv): OperationContext {
  const fallback = (ACTION_NAMES.has(action) ? actionTimeoutSec(action as ActionDef['name']) : 20) * 1000;
  const timeoutMs = Number(env.OCF_RESKEY_CRM_meta_timeout) || fallback;
  return {
    probe: action === 'monitor' && env.OCF_RESKEY_CRM_meta_interval === '0',
    checkLevel: Number(env.OCF_CHECK_LEVEL ?? '0') || 0,
    budgetMs: Math.max(1000, Math.floor(timeoutMs * 0.9) - 500),
    instance: env.OCF_RESOURCE_INSTANCE || undefined,
  };
}

const ACTION_NAMES = new Set(['start', 'stop', 'promote', 'demote', 'notify', 'monitor', 'meta-data', 'validate-all', 'reload-agent']);
