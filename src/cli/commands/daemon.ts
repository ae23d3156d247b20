import { runDaemon } from '../../daemon/main.js';
import { TandemCommand } from '../base.js';

export default class Daemon extends TandemCommand {
  static override description = 'run tandemd in the foreground (the replication daemon of this node)';
  static override enableJsonFlag = false;
  static override examples = ['TANDEM_NODE=n1 TANDEM_CONFIG_DIR=/tmp/demo <%= config.bin %> daemon'];

  async run(): Promise<void> {
    const { flags } = await this.parse(Daemon);
    await runDaemon(this.envFrom(flags));
  }
}
