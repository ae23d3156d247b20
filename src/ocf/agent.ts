// The agent's real dependencies: tandemd over its control socket (and starting it), crm_attribute
// for the score, cibadmin for a stale fence constraint, the block devices a dead tandemd left, the
// configuration loader, and stderr (Pacemaker logs what an agent writes there).
import { Cib } from '../cluster/cib.js';
import { loadResource } from '../config/load.js';
import { primitiveId } from '../cluster/pacemaker-config.js';
import { unfencePeer } from '../cluster/fence-handler.js';
import { controlSocketPath, frontendDirs } from '../lib/env.js';
import { releaseFrontends } from '../platform/node/frontend/attach.js';
import { startTandemd } from './daemon-start.js';
import { runAction, type AgentDeps } from './actions.js';
import { SocketDaemonClient } from './daemon-client.js';

/** crm_attribute gets a few seconds; a score that cannot be written must not fail the action */
const SCORE_DEADLINE_MS = 5000;

export function realDeps(action: string): AgentDeps {
  return {
    daemon: (p) => new SocketDaemonClient(controlSocketPath({ configDir: p.configDir, node: p.node, runDir: p.runDir })),
    scores: (p, ctx) => {
      const cib = new Cib({ deadlineMs: SCORE_DEADLINE_MS });
      // the Pacemaker node name, which may differ from the Tandem node name (parameter node)
      const pacemakerNode = process.env.OCF_RESKEY_CRM_meta_on_node || undefined;
      return { publish: (score) => cib.setPromotionScore(ctx.instance ?? primitiveId(p.resource), score, pacemakerNode) };
    },
    loadResource: (p) => loadResource(p.configDir, p.resource),
    startDaemon: (p, deadlineMs) => startTandemd(p, deadlineMs),
    releaseDevices: (p) => releaseFrontends(frontendDirs({ configDir: p.configDir, node: p.node, runDir: p.runDir }), p.resource),
    unfence: async (p, upToDate, nodes) => (await unfencePeer(new Cib({ deadlineMs: SCORE_DEADLINE_MS }), {
      resource: p.resource, localNode: p.node, upToDate, nodes, peer: null, configDir: p.configDir, quorate: true,
    })).message,
    log: (message) => process.stderr.write(`tandem-ocf ${action}: ${message}\n`),
  };
}

/**
 * One action as ocf/replica runs it: what it prints on stdout, one line of exit reason on stderr
 * (Pacemaker shows one line: multi-line messages, config errors, are joined), the OCF code to exit with.
 */
export async function runAgentAction(action: string, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const result = await runAction(action, env, realDeps(action));
  if (result.stdout) process.stdout.write(result.stdout);
  if (result.reason) process.stderr.write(`${env.OCF_EXIT_REASON_PREFIX ?? 'ocf-exit-reason:'}${result.reason.replace(/\s*\n\s*/g, '; ')}\n`);
  return result.rc;
}
