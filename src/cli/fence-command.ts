// `tandem fence peer|unfence|primary-lost|quorum-lost`: the handlers tandemd runs (through the
// agents/tandem-* shims) when a Primary loses a peer, when peers are UpToDate again, when a
// Secondary loses its Primary, and when a Primary loses its quorum.
// Input is the handler environment; flags override it for a manual run. The exit code is the
// handler's contract (DRBD's), so every unexpected failure exits 1 ("broken"), never a Tandem code.
import { Flags } from '@oclif/core';
import { Cib } from '../cluster/cib.js';
import { fencePeer, requestFromEnv, unfencePeer, type HandlerResult } from '../cluster/fence-handler.js';
import { recheckLostPrimary } from '../cluster/primary-lost.js';
import { withdrawPromotionScore } from '../cluster/quorum-lost.js';
import { TandemCommand } from './base.js';

const NOTICE_TIMEOUT_SEC = 10;
const HANDLERS = { fence: fencePeer, unfence: unfencePeer, 'primary-lost': recheckLostPrimary, 'quorum-lost': withdrawPromotionScore } as const;
const NAMES = { fence: 'tandem-fence-peer', unfence: 'tandem-unfence-peer', 'primary-lost': 'tandem-primary-lost', 'quorum-lost': 'tandem-quorum-lost' } as const;

export function fenceCommand(kind: keyof typeof HANDLERS, description: string) {
  return class extends TandemCommand {
    static override description = description;
    static override flags = {
      resource: Flags.string({ description: 'resource name [env: TANDEM_RESOURCE or DRBD_RESOURCE]' }),
      'up-to-date': Flags.string({ description: 'comma-separated nodes known UpToDate [env: TANDEM_UP_TO_DATE_NODES or UP_TO_DATE_NODES mask]' }),
      peer: Flags.string({ description: 'the peer that was lost [env: DRBD_PEER_NODE_ID]' }),
      timeout: Flags.integer({ description: 'give up after this many seconds (tandemd kills the handler at 90)', default: 60, min: 1 }),
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
      // the two notices only speed Pacemaker up: they must never hang on a cluster that is busy failing over
      const seconds = kind === 'primary-lost' || kind === 'quorum-lost' ? Math.min(flags.timeout, NOTICE_TIMEOUT_SEC) : flags.timeout;
      const cib = new Cib({ deadlineMs: seconds * 1000 });
      const result = await HANDLERS[kind](cib, req);
      // Pacemaker-style log line; tandemd copies the handler's stderr into its own log
      process.stderr.write(`${NAMES[kind]} ${req.resource}: ${result.message} (exit ${result.exitCode})\n`);
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
