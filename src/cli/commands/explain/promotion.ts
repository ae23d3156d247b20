import { Args, Flags } from '@oclif/core';
import { Cib } from '../../../cluster/cib.js';
import { primitiveId } from '../../../cluster/pacemaker-config.js';
import {
  RULES, inputsFromStatus, promotionScore, type PromotionDecision, type PromotionInputs, type RuleId,
} from '../../../cluster/promotion-score.js';
import { TandemError } from '../../../lib/errors.js';
import { controlSocketPath } from '../../../lib/env.js';
import { SocketDaemonClient } from '../../../ocf/daemon-client.js';
import { pacemakerBoolean } from '../../../ocf/params.js';
import { TandemCommand } from '../../base.js';

interface Explanation {
  resource: string;
  node: string;
  inputs: PromotionInputs;
  decision: PromotionDecision;
  /** the score Pacemaker holds for this node now (null: none, or Pacemaker not reachable) */
  published: number | null;
  rules: { id: RuleId; score: number | null; fired: boolean }[];
}

export default class ExplainPromotion extends TandemCommand {
  static override description = "explain this node's promotion score for a resource: the inputs, the rule that fired and the score "
    + '(the function the OCF agent publishes with crm_attribute --promotion)';

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
    const autoTakeover = flags['auto-takeover'] ?? await autoTakeoverInCib(cib, primitiveId(args.resource));
    const inputs = inputsFromStatus(status, autoTakeover);
    const decision = promotionScore(inputs);
    const published = await cib.getPromotionScore(primitiveId(args.resource)).catch(() => null);
    const result: Explanation = {
      resource: args.resource, node: env.node, inputs, decision, published,
      rules: RULES.map((r) => ({ id: r.id, score: r.score, fired: r.id === decision.rule })),
    };
    this.say(render(result));
    return result;
  }
}

/** The primitive's auto_takeover parameter as Pacemaker holds it; true when unset or unreachable. */
async function autoTakeoverInCib(cib: Cib, primitive: string): Promise<boolean> {
  const xml = await cib.query(`//primitive[@id='${primitive}']/instance_attributes/nvpair[@name='auto_takeover']`).catch(() => null);
  const value = xml?.match(/value="([^"]*)"/)?.[1];
  return value === undefined ? true : pacemakerBoolean(value) ?? true;
}

function render(e: Explanation): string {
  const i = e.inputs;
  const score = (s: number | null): string => (s === null ? 'none (not promotable)' : String(s));
  return [
    `promotion score of ${e.resource} on ${e.node}: ${score(e.decision.score)}`,
    `  because: ${e.decision.because} (rule ${e.decision.rule})`,
    `  published in Pacemaker: ${e.published === null ? 'none or unknown' : e.published}`,
    'inputs:',
    `  role ${i.role}, local disks ${i.localDisks.join(', ') || 'none'}, quorum ${i.quorum ? 'yes' : 'no'}, data generation vs peers: ${i.generation}`,
    `  auto_takeover ${i.autoTakeover ? 'true' : 'false'}${i.held ? ', held StandAlone for an operator' : ''}`,
    ...(i.peers.length === 0 ? ['  no diskful peers'] : i.peers.map((p) => `  peer ${p.name}: ${p.connected ? 'connected' : 'not connected'}, disks ${p.diskStates.join(', ')}`)),
    'rules (first match wins):',
    ...e.rules.map((r) => `  ${r.fired ? '→' : ' '} ${r.id.padEnd(22)} ${score(r.score)}`),
  ].join('\n');
}
