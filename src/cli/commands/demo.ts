import { Flags } from '@oclif/core';
import { fileURLToPath } from 'node:url';
import { runDemo, type DemoSummary } from '../../demo/demo.js';
import { TandemError } from '../../lib/errors.js';
import { MiB } from '../../lib/units.js';
import { TandemCommand } from '../base.js';

export default class Demo extends TandemCommand {
  static override description = 'run a throwaway 3-node cluster on this machine: write, kill -9 the Primary, fail over, verify every acknowledged write, clean up';
  static override flags = {
    'volume-mib': Flags.integer({ description: 'volume size in MiB', default: 64, min: 8, max: 4096 }),
    seconds: Flags.integer({ description: 'seconds of writes before the Primary is killed', default: 3, min: 1, max: 600 }),
    keep: Flags.boolean({ description: 'keep the demo directory for inspection', default: false }),
  };

  async run(): Promise<DemoSummary> {
    const { flags } = await this.parse(Demo);
    const summary = await runDemo({
      cli: tandemCli(),
      volumeBytes: flags['volume-mib'] * MiB,
      writeSeconds: flags.seconds,
      keep: flags.keep,
      say: (line) => this.say(line),
    });
    if (summary.lostWrites > 0 || !summary.survivorsIdentical) {
      throw new TandemError('TANDEM_E_INTERNAL', `demo found ${summary.lostWrites} lost writes; survivors identical: ${summary.survivorsIdentical}`, { details: { ...summary } });
    }
    this.say(`ok: ${summary.acknowledgedWrites} acknowledged writes, none lost; failover took ${summary.failoverMs} ms; survivors identical`);
    return summary;
  }
}

/** How to run this same CLI as a child process: the single binary, or node + bin/tandem.js. */
function tandemCli(): string[] {
  if (process.argv[1] === undefined || process.execPath.endsWith('/tandem')) return [process.execPath];
  return [process.execPath, fileURLToPath(new URL('../../../bin/tandem.js', import.meta.url))];
}
