// Handler programs (agents/: tandem-fence-peer, tandem-unfence-peer) run with execa, never
// synchronously, and the cluster's fence constraints read from the CIB.
import { execa } from 'execa';
import { join } from 'node:path';
import { Cib } from '../../cluster/cib.js';
import { listConstraints } from '../../cluster/constraints.js';
import type { HandlerResult, HandlerRunner } from '../../engine/platform.js';

export class ExecaHandlerRunner implements HandlerRunner {
  constructor(private readonly handlerDir: string) {}

  async run(name: string, env: Record<string, string>, timeoutMs: number): Promise<HandlerResult> {
    const result = await execa(join(this.handlerDir, name), [], { env, reject: false, timeout: timeoutMs, stdin: 'ignore' });
    return {
      exitCode: result.timedOut ? -1 : result.exitCode ?? -1,
      stdout: String(result.stdout ?? ''),
      stderr: String(result.stderr ?? ''),
    };
  }

  async fenceConstraints(resource: string): Promise<string[]> {
    const found = await listConstraints(new Cib({ deadlineMs: 5_000 }));
    return found.filter((c) => c.resource === resource).map((c) => c.id);
  }
}
