import { TandemCommand } from '../../base.js';
import { loadConfig } from '../../../config/load.js';
import type { Warning } from '../../../config/model.js';
import { localNodeWarnings } from '../../../config/warnings.js';
import { frontendWarnings } from '../../../platform/node/frontend/choose.js';

interface CheckResult {
  ok: true;
  dir: string;
  files: string[];
  resources: Array<{ name: string; file: string; nodes: string[]; volumes: number }>;
  warnings: Warning[];
}

export default class ConfigCheck extends TandemCommand {
  static override description = 'validate every resource file of the configuration directory; warnings do not fail the check';

  static override examples = [
    '<%= config.bin %> config check',
    '<%= config.bin %> config check --config-dir /etc/tandem --json',
  ];

  async run(): Promise<CheckResult> {
    const { flags } = await this.parse(ConfigCheck);
    const env = this.envFrom(flags);
    const config = loadConfig(env.configDir, { node: env.node });
    const resources = config.resources.map((r) => ({ name: r.name, file: r.file, nodes: r.nodes.map((n) => n.name), volumes: r.nodes[0].volumes.length }));
    const warnings = [...config.warnings, ...localNodeWarnings(config, env.node), ...await frontendWarnings(config.resources, env.node)];
    const names = resources.map((r) => r.name).join(', ');
    const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
    this.say(`ok: ${plural(resources.length, 'resource')}${names ? ` (${names})` : ''} in ${plural(config.files.length, 'file')} of ${config.dir}, ${plural(warnings.length, 'warning')}`);
    for (const w of warnings) this.say(`warning ${w.code}: ${w.file}${w.line === undefined ? '' : `:${w.line}`}: ${w.message}`);
    return { ok: true, dir: config.dir, files: config.files, resources, warnings };
  }
}
