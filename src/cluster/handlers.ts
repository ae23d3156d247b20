// The handlers tandemd runs (agents/tandem-*): fence-peer when a Primary loses a peer,
// unfence-peer when peers are UpToDate again, primary-lost when a Secondary loses its Primary,
// quorum-lost when a Primary loses its quorum. Input is the handler environment (DRBD's names
// plus Tandem's); the exit code is the handler's contract (DRBD's). Run by `tandem fence <kind>`
// and, without the CLI framework, by bin/tandem-handler.js (what the agents/ shims prefer).
import { Cib } from './cib.js';
import { fencePeer, requestFromEnv, unfencePeer, type FenceRequest, type HandlerResult } from './fence-handler.js';
import { recheckLostPrimary } from './primary-lost.js';
import { withdrawPromotionScore } from './quorum-lost.js';

export const HANDLERS = { fence: fencePeer, unfence: unfencePeer, 'primary-lost': recheckLostPrimary, 'quorum-lost': withdrawPromotionScore } as const;
export const HANDLER_NAMES = { fence: 'tandem-fence-peer', unfence: 'tandem-unfence-peer', 'primary-lost': 'tandem-primary-lost', 'quorum-lost': 'tandem-quorum-lost' } as const;
export type HandlerKind = keyof typeof HANDLERS;

/** tandemd kills a handler at 90 s; one left to itself gives up before that */
export const HANDLER_TIMEOUT_SEC = 60;
/** the two notices only speed Pacemaker up: they must never hang on a cluster that is busy failing over */
const NOTICE_TIMEOUT_SEC = 10;

export function isHandlerKind(kind: string): kind is HandlerKind {
  return Object.hasOwn(HANDLERS, kind);
}

/** Run one handler; its Pacemaker-style line goes to stderr (tandemd copies it into its log). */
export async function runHandler(kind: HandlerKind, req: FenceRequest, timeoutSec = HANDLER_TIMEOUT_SEC): Promise<HandlerResult> {
  const seconds = kind === 'primary-lost' || kind === 'quorum-lost' ? Math.min(timeoutSec, NOTICE_TIMEOUT_SEC) : timeoutSec;
  const result = await HANDLERS[kind](new Cib({ deadlineMs: seconds * 1000 }), req);
  process.stderr.write(`${HANDLER_NAMES[kind]} ${req.resource}: ${result.message} (exit ${result.exitCode})\n`);
  return result;
}

/** bin/tandem-handler.js: the handler environment only; anything unexpected is "broken" (1). */
export async function runHandlerFromEnv(kind: string, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  try {
    if (!isHandlerKind(kind)) throw new Error(`unknown handler '${kind}' (one of ${Object.keys(HANDLERS).join(', ')})`);
    return (await runHandler(kind, requestFromEnv(env))).exitCode;
  } catch (err) {
    process.stderr.write(`tandem handler ${kind}: ${err instanceof Error ? err.message : String(err)} (exit 1)\n`);
    return 1;
  }
}
