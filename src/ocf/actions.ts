// ocf:tandem:replica's actions. Each is idempotent, bounded by Pacemaker's timeout for it, and
// answers with one OCF code plus a reason. State comes only from tandemd (DaemonClient); the
// promotion score is published on every state-relevant action and removed on stop.
//
// Codes beyond the obvious ones:
//   config directory missing, resource not defined there, node not in the resource  → 5 (not installed here)
//   configuration invalid, clone meta unsuitable, required parameter missing        → 6
//   malformed parameter value                                                       → 2
// tandemd not running (killed, crashed, not started after a reboot) is never a hard error:
//   start    starts it (systemd unit, else directly), then as usual; 1 with the reason if it cannot
//   stop, demote  undo the block devices it left (1 while one is still mounted or open), remove
//            this node's score, 0: nothing of the resource runs here
//   monitor  remove the score (nothing here can be promoted), 7; promote 1; notify 0
import { existsSync } from 'node:fs';
import type { ResourceConfig } from '../config/model.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { promotionScore, inputsFromStatus, type ScoreSettings } from '../cluster/promotion-score.js';
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
  /** start tandemd on this node; resolves (with how) once it answers */
  startDaemon(params: AgentParams, deadlineMs: number): Promise<string>;
  /** undo the block devices a dead tandemd left for the resource; TANDEM_E_BUSY while one is used */
  releaseDevices(params: AgentParams): Promise<string[]>;
  /** lift the resource's fence constraint if every diskful node is UpToDate (unfence-peer); says what it did */
  unfence(params: AgentParams, upToDate: string[], nodes: string[]): Promise<string>;
  log(message: string): void;
}

interface Call {
  params: AgentParams;
  ctx: OperationContext;
  daemon: DaemonClient;
  deps: AgentDeps;
  deadline: number;
  /** the resource's configuration, once read (validate reads it) */
  config?: ResourceConfig;
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
  c.config = checkConfig(c);
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
  const decision = s === null ? null : promotionScore(inputsFromStatus(s, scoreSettings(c)));
  try {
    await c.deps.scores(c.params, c.ctx).publish(decision?.score ?? null);
    if (decision) c.deps.log(`promotion score ${decision.score ?? 'removed'} (rule ${decision.rule}: ${decision.because})`);
  } catch (err) {
    c.deps.log(`could not publish the promotion score: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** The agent's parameters the score depends on, and who this node is (its id breaks ties). */
function scoreSettings(c: Call): ScoreSettings {
  let id = 31; // unknown: the lowest tie-break
  try {
    c.config ??= c.deps.loadResource(c.params);
    id = c.config.nodes.find((n) => n.name === c.params.node)?.id ?? id;
  } catch { /* validate reports a bad configuration; the score only loses its tie-break */ }
  return { autoTakeover: c.params.autoTakeover, self: { name: c.params.node, id }, preference: c.params.preference, ladder: c.params.ladder };
}

async function start(c: Call): Promise<OcfResult> {
  try {
    let s = await status(c).catch(async (err: unknown) => {
      if (!daemonDown(err)) throw err;
      await startDaemon(c);
      return status(c);
    });
    if (s === null) {
      await c.daemon.up(c.params.resource, left(c), { holdFormerPrimary: !c.params.autoResync });
      s = await status(c);
    }
    if (s?.role === 'Primary') { // start leaves the resource Secondary
      await c.daemon.secondary(c.params.resource, left(c));
      s = await status(c);
    }
    if (s === null) throw new OcfExit(OCF.ERR_GENERIC, `tandemd did not bring ${c.params.resource} up`);
    await publishScore(c, await waitForPeers(c, s));
    return ocfResult(OCF.SUCCESS);
  } catch (err) {
    throw failure(err, `start of ${c.params.resource} failed`);
  }
}

/** tandemd is not running here: start it (a soft error with the reason if that fails, never a ban). */
async function startDaemon(c: Call): Promise<void> {
  try {
    c.deps.log(`tandemd is not running: ${await c.deps.startDaemon(c.params, left(c))}`);
  } catch (err) {
    throw new OcfExit(OCF.ERR_GENERIC, `tandemd is not running on node ${c.params.node} and could not be started: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** wfc_timeout: give the peers a moment to connect, so the first score knows them. */
async function waitForPeers(c: Call, s: ResourceStatus): Promise<ResourceStatus> {
  const until = Math.min(Date.now() + c.params.wfcTimeoutSec * 1000, c.deadline - 1000);
  let last = s;
  while (!last.held && last.connections.some((p) => p.connectionState !== 'Connected') && Date.now() < until) {
    await sleep(200);
    last = (await status(c)) ?? last;
  }
  return last;
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
    else if (s !== null && c.params.stopOutdatesSecondary && peerPrimary(s)) {
      await c.daemon.outdate(c.params.resource, left(c));
      c.deps.log(`outdated the local data: ${peerPrimary(s)} is Primary and stop_outdates_secondary is set`);
    }
    if (s !== null) await c.daemon.down(c.params.resource, left(c));
  } catch (err) {
    if (!daemonDown(err)) throw failure(err, `stop of ${c.params.resource} failed`);
    await releaseDevices(c, 'stop'); // no daemon: only the block devices it left can still be here
  }
  await publishScore(c, null);
  return ocfResult(OCF.SUCCESS);
}

/** The connected peer that is Primary, if any. */
function peerPrimary(s: ResourceStatus): string | undefined {
  return s.connections.find((p) => p.connectionState === 'Connected' && p.peerRole === 'Primary')?.peer;
}

/** A dead tandemd's block devices: undone unless in use (then the action fails with the reason, naming it). */
async function releaseDevices(c: Call, action: string): Promise<void> {
  try {
    const released = await c.deps.releaseDevices(c.params);
    if (released.length > 0) c.deps.log(`tandemd is gone; removed the block devices it left: ${released.join(', ')}`);
  } catch (err) {
    throw new OcfExit(OCF.ERR_GENERIC, `${action} of ${c.params.resource}: tandemd is not running, and ${err instanceof Error ? err.message : String(err)}`);
  }
}

async function monitor(c: Call, env: NodeJS.ProcessEnv): Promise<OcfResult> {
  checkConfig(c);
  if (!c.ctx.probe) checkCloneMeta(env);
  let s: ResourceStatus | null;
  try {
    s = await status(c, c.params.statusTimeoutSec * 1000);
  } catch (err) {
    if (!daemonDown(err)) throw failure(err, 'monitor');
    await publishScore(c, null); // a stale score would name this node best while nothing runs here
    return c.ctx.probe ? ocfResult(OCF.NOT_RUNNING) : ocfResult(OCF.NOT_RUNNING, `tandemd is not running on node ${c.params.node}`);
  }
  if (s === null) {
    await publishScore(c, null);
    return c.ctx.probe ? ocfResult(OCF.NOT_RUNNING) : ocfResult(OCF.NOT_RUNNING, `${c.params.resource} is not up on node ${c.params.node}`);
  }
  await publishScore(c, s);
  if (s.role === 'Primary' && c.params.unfenceIfAllUpToDate) await unfenceIfAllUpToDate(c, s);
  const problem = healthProblem(s, c.ctx.checkLevel);
  if (s.role === 'Primary') return problem ? ocfResult(OCF.FAILED_PROMOTED, problem) : ocfResult(OCF.RUNNING_PROMOTED);
  return problem ? ocfResult(OCF.ERR_GENERIC, problem) : ocfResult(OCF.SUCCESS);
}

/**
 * Depth 0: the resource stopped on an invariant (status.failed, from the engine that reports it),
 * a failed local disk. Depth 10 adds: a Primary exports every volume.
 */
function healthProblem(s: ResourceStatus & { failed?: string | null }, level: number): string | null {
  if (s.failed) return `${s.name} stopped on this node: ${s.failed}`;
  const failed = s.volumes.find((v) => v.diskState === 'Failed');
  if (failed) return `volume ${failed.volume} of ${s.name}: local disk Failed`;
  if (level >= 10 && s.role === 'Primary') {
    const unexported = s.volumes.find((v) => v.export === null);
    if (unexported) return `volume ${unexported.volume} of ${s.name} is not exported`;
  }
  return null;
}

/** unfence_if_all_uptodate: a Primary whose diskful peers are all connected and UpToDate needs no fence constraint. */
async function unfenceIfAllUpToDate(c: Call, s: ResourceStatus): Promise<void> {
  const inputs = inputsFromStatus(s, scoreSettings(c));
  if (!inputs.peers.every((p) => p.connected && p.diskStates.every((d) => d === 'UpToDate'))) return;
  try {
    const said = await c.deps.unfence(c.params, [c.params.node, ...inputs.peers.map((p) => p.name)], [c.params.node, ...inputs.peers.map((p) => p.name)]);
    if (!/nothing to do/.test(said)) c.deps.log(`unfence_if_all_uptodate: ${said}`);
  } catch (err) {
    c.deps.log(`unfence_if_all_uptodate: ${err instanceof Error ? err.message : String(err)}`);
  }
}

async function promote(c: Call): Promise<OcfResult> {
  try {
    let s = await status(c);
    if (s === null) throw new OcfExit(OCF.ERR_GENERIC, `cannot promote ${c.params.resource}: it is not started on node ${c.params.node}`);
    if (s.role !== 'Primary' && !c.params.failPromoteEarlyIfPeerPrimary) s = await waitWhilePeerPrimary(c, s);
    if (s.role !== 'Primary') await c.daemon.primary(c.params.resource, left(c));
    await publishScore(c, await status(c));
    return ocfResult(OCF.SUCCESS);
  } catch (err) {
    throw failure(err, `promotion of ${c.params.resource} refused`);
  }
}

/**
 * In a switch-over Pacemaker promotes right after the old Primary's demote returned; that node's
 * new role may reach this one a moment later. Wait for it (fail_promote_early_if_peer_primary=false),
 * leaving a second to answer within the timeout; the daemon refuses if the peer stays Primary.
 */
async function waitWhilePeerPrimary(c: Call, s: ResourceStatus): Promise<ResourceStatus> {
  let last = s;
  while (peerPrimary(last) && c.deadline - Date.now() > 1500) {
    await sleep(200);
    last = (await status(c)) ?? last;
  }
  return last;
}

async function demote(c: Call): Promise<OcfResult> {
  try {
    const s = await status(c);
    if (s === null) return ocfResult(OCF.NOT_RUNNING, `${c.params.resource} is not started on node ${c.params.node}`);
    if (s.role === 'Primary') await c.daemon.secondary(c.params.resource, left(c));
    await publishScore(c, await status(c));
    return ocfResult(OCF.SUCCESS);
  } catch (err) {
    if (!daemonDown(err)) throw failure(err, `demotion of ${c.params.resource} failed`);
    // no daemon, so no Primary here: undo its block devices; the next monitor reports it stopped
    await releaseDevices(c, 'demote');
    await publishScore(c, null);
    c.deps.log(`demote: tandemd is not running on node ${c.params.node}; nothing is Primary here`);
    return ocfResult(OCF.SUCCESS);
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
