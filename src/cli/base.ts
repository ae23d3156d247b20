// The one base class of every tandem command: global flags, one way to print results (text or
// --json), and one way to fail (code, message, hint, stable exit code).
import { Command, Flags, Interfaces } from '@oclif/core';
import { TandemError, toTandemError } from '../lib/errors.js';
import { resolveEnv, type TandemEnv } from '../lib/env.js';

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof TandemCommand)['baseFlags'] & T['flags']>;

export abstract class TandemCommand extends Command {
  static override enableJsonFlag = true;

  static override baseFlags = {
    'config-dir': Flags.string({
      description: 'directory of resource INI files [env: TANDEM_CONFIG_DIR, default: /etc/tandem]',
      helpGroup: 'GLOBAL',
    }),
    node: Flags.string({
      description: 'act as this node [env: TANDEM_NODE, default: host name]',
      helpGroup: 'GLOBAL',
    }),
  };

  /** Configuration directory, node name and run directory from the parsed global flags. */
  protected envFrom(flags: { 'config-dir'?: string; node?: string }): TandemEnv {
    return resolveEnv({ configDir: flags['config-dir'], node: flags.node });
  }

  /** Print human text unless --json was given (oclif then prints the value returned by run()). */
  protected say(text: string): void {
    if (!this.jsonEnabled()) this.log(text);
  }

  protected override async catch(err: Error & { exitCode?: number; oclif?: { exit?: number } }): Promise<unknown> {
    // oclif's own parse errors (unknown flag, missing arg) become usage errors with exit code 2.
    const isParseError = err?.oclif?.exit === 2 || /Unexpected argument|Missing required|Nonexistent flag|Expected --/.test(err?.message ?? '');
    if (err?.oclif?.exit === 0) throw err; // --help / --version exits
    const terr = isParseError
      ? new TandemError('TANDEM_E_USAGE', err.message.split('\n')[0])
      : toTandemError(err);
    if (this.jsonEnabled()) {
      process.stdout.write(JSON.stringify({ error: terr.toJSON() }, null, 2) + '\n');
    } else {
      process.stderr.write(`error ${terr.code}: ${terr.message}\nhint: ${terr.hint}\n`);
      if (terr.code === 'TANDEM_E_INTERNAL' && process.env.TANDEM_DEBUG) process.stderr.write(`${err.stack}\n`);
    }
    process.exitCode = terr.exitCode;
    return undefined;
  }
}
