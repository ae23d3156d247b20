// ocf:tandem:replica's actions. Each is idempotent, bounded by Pacemaker's timeout for it, and
// answers with one OCF code plus a reason. State comes only from tandemd (DaemonClient); the
// promotion score is published on every state-relevant action and removed on stop.
//
// Codes beyond the obvious ones:
//   config directory missing, resource not defined there, node not in the resource  → 5 (not installed here)
//   configuration invalid, clone meta unsuitable, required parameter missing        → 6
//   malformed parameter value                                                       → 2
//   tandemd not running: start → 5, monitor → 7, stop/notify → 0 (nothing runs)
import { existsSync } from 'node:fs';
import type { ResourceConfig } from '../config/model.js';
import { promotionScore, inputsFromStatus } from '../cluster/promotion-score.js';
import { TandemError } from '../lib/errors.js';
import type { ResourceStatus } from '../engine/states.js';
import type { DaemonClient } from './daemon-client.js';
import { OCF, OcfExit, ocfResult, type OcfResult } from './exit-codes.js';
import { metadataXml } from './metadata.js';
import { checkCloneMeta, readContext, readParams, type AgentParams, type OperationContext } from './params.js';

export interface ScorePublisher {
  /** publish this node's promotion score; null removes it */
  publish(score: number | null): Promise<void>;
}

export interface AgentDeps {
  daemon(params: AgentParams): DaemonClient;
  scores(params: AgentParams, ctx: OperationContext): ScorePublisher;
  loadResource(params: AgentParams): ResourceConfig;
  log(message: string): void;
}

interface Call {
  params: AgentParams;
  ctx: OperationContext;
  daemon: DaemonClient;
  deps: AgentDeps;
  deadline: number;
}

export async function runAction(action: string, env: NodeJS.ProcessEnv, deps: AgentDeps): Promise<OcfResult> {
  try {
    switch (action) {
      case 'meta-data': {
        const v11 = Number(env.OCF_RA_VERSION_MAJOR) === 1 && Number(env.OCF_RA_VERSION_MINOR) >= 1;
        return { rc: OCF.SUCCESS, stdout: metadataXml(v11 ? '1.1' : '1.0') };
      }
      case 'validate-all': return validate(call(action, env, deps), env);
      case 'reload-agent':
      case 'reload': return await reload(call(action, env, deps));
      case 'start': return await start(validate(call(action, env, deps), env));
      case 'stop': return await stop(call(action, env, deps));
      case 'monitor': return await monitor(call(action, env, deps), env);
      case 'promote': return await promote(validate(call(action, env, deps), env));
      case 'demote': return await demote(validate(call(action, env, deps), env));
      case 'notify': return await notify(call(action, env, deps), env.OCF_RESKEY_CRM_meta_notify_type);
      default: return ocfResult(OCF.ERR_UNIMPLEMENTED, `action '${action}' is not implemented`);
    }
  } catch (err) {
    if (err instanceof OcfExit) return ocfResult(err.rc, err.reason);
    return ocfResult(OCF.ERR_GENERIC, err instanceof Error ? err.message : String(err));
  }
}

function call(action: string, env: NodeJS.ProcessEnv, deps: AgentDeps): Call {
  const params = readParams(env);
  const ctx = readContext(action, env);
  return { params, ctx, deps, daemon: deps.daemon(params), deadline: Date.now() + ctx.budgetMs };
}

function validate<T extends Call>(c: T, env: NodeJS.ProcessEnv): T & OcfResult {
  checkConfig(c);
  checkCloneMeta(env);
  return Object.assign(c, { rc: OCF.SUCCESS });
}

function checkConfig(c: Call): ResourceConfig {
  const { params } = c;
  if (!existsSync(params.configDir)) {
    throw new OcfExit(OCF.ERR_INSTALLED, `configuration directory ${params.configDir} does not exist on this node`);
  }
  let config: ResourceConfig;
  try {
    config = c.deps.loadResource(params);
  } catch (err) {
    const e = err instanceof TandemError ? err : null;
    if (e?.code === 'TANDEM_E_NOT_FOUND') throw new OcfExit(OCF.ERR_INSTALLED, `resource ${params.resource} is not defined in ${params.configDir}`);
    if (e?.code === 'TANDEM_E_IO') throw new OcfExit(OCF.ERR_INSTALLED, e.message);
    throw new OcfExit(OCF.ERR_CONFIGURED, `configuration of ${params.resource} is invalid: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!config.nodes.some((n) => n.name === params.node)) {
    throw new OcfExit(OCF.ERR_INSTALLED, `resource ${params.resource} has no [node.${params.node}] section in ${config.file}`);
  }
  return config;
}

const left = (c: Call): number => Math.max(1, c.deadline - Date.now());

/** The daemon's view of the resource (null: not up), within the action's remaining time and `bound`. */
async function status(c: Call, bound = left(c)): Promise<ResourceStatus | null> {
  return c.daemon.status(c.params.resource, Math.min(bound, left(c)));
}

function daemonDown(err: unknown): boolean {
  return err instanceof TandemError && err.code === 'TANDEM_E_DAEMON';
}

function failure(err: unknown, what: string): OcfExit {
  if (err instanceof OcfExit) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new OcfExit(OCF.ERR_GENERIC, `${what}: ${message}`);
}

/** Publish the score the daemon's state earns; a score that cannot be written is logged, not fatal. */
async function publishScore(c: Call, s: ResourceStatus | null): Promise<void> {
  const decision = s === null ? null : promotionScore(inputsFromStatus(s, c.params.autoTakeover));
  try {
    await c.deps.scores(c.params, c.ctx).publish(decision?.score ?? null);
    if (decision) c.deps.log(`promotion score ${decision.score ?? 'removed'} (rule ${decision.rule}: ${decision.because})`);
  } catch (err) {
    c.deps.log(`could not publish the promotion score: ${err instanceof Error ? err.message : String(err)}`);
  }
}

async function start(c: Call): Promise<OcfResult> {
  try {
    let s = await status(c);
    if (s === null) {
      await c.daemon.up(c.params.resource, left(c), { holdFormerPrimary: !c.params.autoResync });
      s = await status(c);
    }
    if (s?.role === 'Primary') { // start leaves the resource Secondary
      await c.daemon.secondary(c.params.resource, left(c));
      s = await status(c);
    }
    if (s === null) throw new OcfExit(OCF.ERR_GENERIC, `tandemd did not bring ${c.params.resource} up`);
    await publishScore(c, s);
    return ocfResult(OCF.SUCCESS);
  } catch (err) {
    if (daemonDown(err)) throw new OcfExit(OCF.ERR_INSTALLED, `tandemd is not running on node ${c.params.node}: start it first`);
    throw failure(err, `start of ${c.params.resource} failed`);
  }
}

/** A reloadable parameter changed (auto_takeover, say): the score it shapes is published again. */
async function reload(c: Call): Promise<OcfResult> {
  try {
    const s = await status(c);
    if (s !== null) await publishScore(c, s);
  } catch (err) {
    if (!daemonDown(err)) throw failure(err, `reload of ${c.params.resource}`);
  }
  return ocfResult(OCF.SUCCESS);
}

async function stop(c: Call): Promise<OcfResult> {
  try {
    const s = await status(c);
    if (s?.role === 'Primary') await c.daemon.secondary(c.params.resource, left(c));
    if (s !== null) await c.daemon.down(c.params.resource, left(c));
  } catch (err) {
    if (!daemonDown(err)) throw failure(err, `stop of ${c.params.resource} failed`);
    // no daemon: nothing of this resource runs here
  }
  await publishScore(c, null);
  return ocfResult(OCF.SUCCESS);
}

async function monitor(c: Call, env: NodeJS.ProcessEnv): Promise<OcfResult> {
  checkConfig(c);
  if (!c.ctx.probe) checkCloneMeta(env);
  let s: ResourceStatus | null;
  try {
    s = await status(c, c.params.statusTimeoutSec * 1000);
  } catch (err) {
    if (daemonDown(err)) return c.ctx.probe ? ocfResult(OCF.NOT_RUNNING) : ocfResult(OCF.NOT_RUNNING, `tandemd is not running on node ${c.params.node}`);
    throw failure(err, 'monitor');
  }
  if (s === null) return c.ctx.probe ? ocfResult(OCF.NOT_RUNNING) : ocfResult(OCF.NOT_RUNNING, `${c.params.resource} is not up on node ${c.params.node}`);
  await publishScore(c, s);
  const problem = healthProblem(s, c.ctx.checkLevel);
  if (s.role === 'Primary') return problem ? ocfResult(OCF.FAILED_PROMOTED, problem) : ocfResult(OCF.RUNNING_PROMOTED);
  return problem ? ocfResult(OCF.ERR_GENERIC, problem) : ocfResult(OCF.SUCCESS);
}

/** Depth 0: a failed local disk. Depth 10 adds: a Primary exports every volume. */
function healthProblem(s: ResourceStatus, level: number): string | null {
  const failed = s.volumes.find((v) => v.diskState === 'Failed');
  if (failed) return `volume ${failed.volume} of ${s.name}: local disk Failed`;
  if (level >= 10 && s.role === 'Primary') {
    const unexported = s.volumes.find((v) => v.export === null);
    if (unexported) return `volume ${unexported.volume} of ${s.name} is not exported`;
  }
  return null;
}

async function promote(c: Call): Promise<OcfResult> {
  try {
    const s = await status(c);
    if (s === null) throw new OcfExit(OCF.ERR_GENERIC, `cannot promote ${c.params.resource}: it is not started on node ${c.params.node}`);
    if (s.role !== 'Primary') await c.daemon.primary(c.params.resource, left(c));
    await publishScore(c, await status(c));
    return ocfResult(OCF.SUCCESS);
  } catch (err) {
    throw failure(err, `promotion of ${c.params.resource} refused`);
  }
}

async function demote(c: Call): Promise<OcfResult> {
  try {
    const s = await status(c);
    if (s === null) return ocfResult(OCF.NOT_RUNNING, `${c.params.resource} is not started on node ${c.params.node}`);
    if (s.role === 'Primary') await c.daemon.secondary(c.params.resource, left(c));
    await publishScore(c, await status(c));
    return ocfResult(OCF.SUCCESS);
  } catch (err) {
    if (daemonDown(err)) return ocfResult(OCF.NOT_RUNNING, `tandemd is not running on node ${c.params.node}`);
    throw failure(err, `demotion of ${c.params.resource} failed`);
  }
}

/**
 * Peers started, stopped or changed role: the score's inputs may have changed. Only after the
 * fact: a score changed in a pre-notification (say, from 10000 to 1000 because the lost Primary is
 * now unknown) aborts the transition Pacemaker is running and can flip its choice between
 * survivors, which delayed failover by seconds.
 */
async function notify(c: Call, type: string | undefined): Promise<OcfResult> {
  if (type === 'pre') return ocfResult(OCF.SUCCESS);
  try {
    const s = await status(c);
    if (s !== null) await publishScore(c, s);
  } catch (err) {
    c.deps.log(`notify: ${err instanceof Error ? err.message : String(err)}`);
  }
  return ocfResult(OCF.SUCCESS);
}
