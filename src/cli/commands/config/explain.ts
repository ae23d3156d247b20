import { Args } from '@oclif/core';
import { TandemCommand } from '../../base.js';
import { explainResource, renderExplanation, type Explanation } from '../../../config/explain.js';
import { findResource, loadConfig } from '../../../config/load.js';

export default class ConfigExplain extends TandemCommand {
  static override description = 'show every effective setting of a resource, where it came from (default, file:line, per-node override) and what it means';

  static override examples = [
    '<%= config.bin %> config explain r0',
    '<%= config.bin %> config explain r0 --node bravo --json',
  ];

  static override args = {
    resource: Args.string({ description: 'resource name', required: true }),
  };

  async run(): Promise<Explanation> {
    const { args, flags } = await this.parse(ConfigExplain);
    const env = this.envFrom(flags);
    const config = loadConfig(env.configDir, { node: env.node });
    const explanation = explainResource(findResource(config, args.resource), env.node, config.warnings);
    this.say(renderExplanation(explanation));
    return explanation;
  }
}
