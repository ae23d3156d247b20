// `tandem fence peer|unfence|primary-lost|quorum-lost`: the handlers tandemd runs (through the
// agents/tandem-* shims) when a Primary loses a peer, when peers are UpToDate again, when a
// Secondary loses its Primary, and when a Primary loses its quorum.
// Input is the handler environment; flags override it for a manual run. The exit code is the
// handler's contract (DRBD's), so every unexpected failure exits 1 ("broken"), never a Tandem code.
import { Flags } from '@oclif/core';
import { requestFromEnv, type HandlerResult } from '../cluster/fence-handler.js';
import { HANDLER_TIMEOUT_SEC, runHandler, type HandlerKind } from '../cluster/handlers.js';
import { TandemCommand } from './base.js';

export function fenceCommand(kind: HandlerKind, description: string) {
  return class extends TandemCommand {
    static override description = description;
    static override flags = {
      resource: Flags.string({ description: 'resource name [env: TANDEM_RESOURCE or DRBD_RESOURCE]' }),
      'up-to-date': Flags.string({ description: 'comma-separated nodes known UpToDate [env: TANDEM_UP_TO_DATE_NODES or UP_TO_DATE_NODES mask]' }),
      peer: Flags.string({ description: 'the peer that was lost [env: DRBD_PEER_NODE_ID]' }),
      timeout: Flags.integer({ description: 'give up after this many seconds (tandemd kills the handler at 90)', default: HANDLER_TIMEOUT_SEC, min: 1 }),
    };

    async run(): Promise<HandlerResult> {
      const { flags } = await this.parse(this.ctor as never) as unknown as {
        flags: { resource?: string; 'up-to-date'?: string; peer?: string; timeout: number; node?: string; 'config-dir'?: string };
      };
      const env = { ...process.env };
      if (flags.resource) env.TANDEM_RESOURCE = flags.resource;
      if (flags.node) env.TANDEM_NODE = flags.node;
      if (flags['up-to-date'] !== undefined) env.TANDEM_UP_TO_DATE_NODES = flags['up-to-date'];
      if (flags['config-dir']) env.TANDEM_CONFIG_DIR = flags['config-dir'];
      const req = requestFromEnv(env);
      if (flags.peer) req.peer = flags.peer;
      const result = await runHandler(kind, req, flags.timeout);
      process.exitCode = result.exitCode;
      return result;
    }

    protected override async catch(err: Error): Promise<unknown> {
      await super.catch(err);
      process.exitCode = 1; // a handler that could not run is "broken" in DRBD's contract
      return undefined;
    }
  };
}
