import { TandemCommand } from '../base.js';
import { controlSocketPath, type TandemEnv } from '../../lib/env.js';

export default class Env extends TandemCommand {
  static override description = 'show which node, configuration directory and run directory this invocation uses';

  static override examples = ['TANDEM_NODE=n1 <%= config.bin %> env --json'];

  async run(): Promise<TandemEnv & { controlSocket: string }> {
    const { flags } = await this.parse(Env);
    const env = this.envFrom(flags);
    const result = { ...env, controlSocket: controlSocketPath(env) };
    this.say(`node ${env.node}\nconfig-dir ${env.configDir}\nrun-dir ${env.runDir}\ncontrol-socket ${result.controlSocket}`);
    return result;
  }
}
