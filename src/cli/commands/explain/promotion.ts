import { Args, Flags } from '@oclif/core';
import { Cib } from '../../../cluster/cib.js';
import { cloneId, primitiveId } from '../../../cluster/pacemaker-config.js';
import { promotionConstraints, type PromotionConstraint } from '../../../cluster/constraints.js';
import {
  RULES, inputsFromStatus, promotionScore, stepScore, type PromotionDecision, type PromotionInputs, type RuleId,
} from '../../../cluster/promotion-score.js';
import { loadResource } from '../../../config/load.js';
import { TandemError } from '../../../lib/errors.js';
import { controlSocketPath } from '../../../lib/env.js';
import { SocketDaemonClient } from '../../../ocf/daemon-client.js';
import { OcfExit } from '../../../ocf/exit-codes.js';
import { readParams, type AgentParams } from '../../../ocf/params.js';
import { TandemCommand } from '../../base.js';

interface Explanation {
  resource: string;
  node: string;
  inputs: PromotionInputs;
  decision: PromotionDecision;
  /** the score Pacemaker holds for this node now (null: none, or Pacemaker not reachable) */
  published: number | null;
  /** constraints that add to (or forbid) this node's promotion in Pacemaker */
  constraints: PromotionConstraint[];
  /** what Pacemaker ranks this node by: the score plus the constraints ('-INFINITY': never promoted here; null: no score) */
  effective: number | '-INFINITY' | null;
  /** agent parameters that could not be read from the CIB (defaults used instead) */
  parameterProblem: string | null;
  rules: { id: RuleId; score: number | null; fired: boolean }[];
}

export default class ExplainPromotion extends TandemCommand {
  static override description = "explain this node's promotion score for a resource: the inputs, the rule that fired, the score "
    + '(the function the OCF agent publishes with crm_attribute --promotion), and the constraints Pacemaker adds to it';

  static override examples = ['<%= config.bin %> explain promotion r0', '<%= config.bin %> explain promotion r0 --json'];

  static override args = { resource: Args.string({ description: 'resource name', required: true }) };

  static override flags = {
    timeout: Flags.integer({ description: 'give up after this many seconds', default: 10, min: 1 }),
    'auto-takeover': Flags.boolean({
      description: "the agent's auto_takeover setting to explain with (default: the resource's parameter in the CIB, else true)",
      allowNo: true,
    }),
  };

  async run(): Promise<Explanation> {
    const { args, flags } = await this.parse(ExplainPromotion);
    const env = this.envFrom(flags);
    const status = await new SocketDaemonClient(controlSocketPath(env)).status(args.resource, flags.timeout * 1000);
    if (!status) {
      throw new TandemError('TANDEM_E_NOT_FOUND', `resource '${args.resource}' is not up on node ${env.node}`, {
        hint: `a resource that is not up has no promotion score; run 'tandem up ${args.resource}' (Pacemaker's start does)`,
      });
    }
    const cib = new Cib({ deadlineMs: 3000 });
    const { params, problem } = await agentParamsInCib(cib, args.resource, env.node);
    const id = nodeId(env.configDir, args.resource, env.node);
    const inputs = inputsFromStatus(status, {
      autoTakeover: flags['auto-takeover'] ?? params.autoTakeover, self: { name: env.node, id }, preference: params.preference, ladder: params.ladder,
    });
    const decision = promotionScore(inputs);
    const published = await cib.getPromotionScore(primitiveId(args.resource), env.node).catch(() => null);
    const constraints = await promotionConstraints(cib, args.resource, cloneId(args.resource), env.node).catch(() => []);
    const result: Explanation = {
      resource: args.resource, node: env.node, inputs, decision, published, constraints,
      effective: effectiveScore(decision.score, constraints), parameterProblem: problem,
      rules: RULES.map((r) => ({ id: r.id, score: stepScore(r.step, inputs.ladder), fired: r.id === decision.rule })),
    };
    this.say(render(result));
    return result;
  }
}

/** The agent's parameters as Pacemaker holds them on the primitive, read the way the agent reads them. */
async function agentParamsInCib(cib: Cib, resource: string, node: string): Promise<{ params: AgentParams; problem: string | null }> {
  const xml = await cib.query(`//primitive[@id='${primitiveId(resource)}']/instance_attributes/nvpair`).catch(() => null);
  const vars: NodeJS.ProcessEnv = { OCF_RESKEY_resource: resource, OCF_RESKEY_node: node };
  for (const m of (xml ?? '').matchAll(/<nvpair\b[^>]*\bname="([^"]+)"[^>]*\bvalue="([^"]*)"/g)) vars[`OCF_RESKEY_${m[1]}`] ??= m[2];
  try {
    return { params: readParams(vars), problem: null };
  } catch (err) {
    const problem = err instanceof OcfExit ? err.reason : String(err);
    return { params: readParams({ OCF_RESKEY_resource: resource, OCF_RESKEY_node: node }), problem };
  }
}

/** This node's id in the resource (the tie-break); 31, the lowest tie-break, when unknown. */
function nodeId(configDir: string, resource: string, node: string): number {
  try {
    return loadResource(configDir, resource).nodes.find((n) => n.name === node)?.id ?? 31;
  } catch {
    return 31;
  }
}

function effectiveScore(score: number | null, constraints: PromotionConstraint[]): number | '-INFINITY' | null {
  if (constraints.some((c) => c.score === '-INFINITY')) return '-INFINITY';
  if (score === null) return null;
  return constraints.reduce((sum, c) => sum + (c.score as number), score);
}

function render(e: Explanation): string {
  const i = e.inputs;
  const score = (s: number | null): string => (s === null ? 'none (not promotable)' : String(s));
  const tie = e.decision.tieBreak > 0 ? ` (tie-break +${e.decision.tieBreak}: ${i.preference.includes(e.node) ? `position ${i.preference.indexOf(e.node) + 1} in promotion_preference` : `node id ${i.self.id}`})` : '';
  const effective = e.effective === '-INFINITY' ? '-INFINITY: Pacemaker never promotes this node while the constraints below stand'
    : e.effective === null ? 'none' : String(e.effective);
  return [
    `promotion score of ${e.resource} on ${e.node}: ${score(e.decision.score)}${tie}`,
    `  because: ${e.decision.because} (rule ${e.decision.rule})`,
    `  published in Pacemaker: ${e.published === null ? 'none or unknown' : e.published}`,
    ...(e.constraints.length === 0 ? [] : [
      `  with constraints: ${effective}`,
      ...e.constraints.map((c) => `    ${c.id}: ${c.score === '-INFINITY' ? '-INFINITY' : `${c.score >= 0 ? '+' : ''}${c.score}`}, ${c.because}`),
    ]),
    ...(e.parameterProblem ? [`  agent parameters in the CIB could not be read (${e.parameterProblem}): defaults used`] : []),
    'inputs:',
    `  role ${i.role}, local disks ${i.localDisks.join(', ') || 'none'}, quorum ${i.quorum ? 'yes' : 'no'}, data generation vs peers: ${i.generation}`,
    `  auto_takeover ${i.autoTakeover ? 'true' : 'false'}${i.held ? ', held StandAlone for an operator' : ''}, adjust_master_score `
      + `${i.ladder.consistentOnly} ${i.ladder.remoteOnly} ${i.ladder.peerUnknown} ${i.ladder.best}, promotion_preference ${i.preference.join(' ') || '(none: node id order)'}`,
    ...(i.peers.length === 0 ? ['  no diskful peers'] : i.peers.map((p) => `  peer ${p.name}: ${p.connected ? 'connected' : 'not connected'}, disks ${p.diskStates.join(', ')}`)),
    'rules (first match wins):',
    ...e.rules.map((r) => `  ${r.fired ? '→' : ' '} ${r.id.padEnd(22)} ${score(r.score)}`),
  ].join('\n');
}
