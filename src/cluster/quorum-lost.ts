// The quorum-lost handler (DRBD 9 has one by that name): this node's resource lost its quorum
// while Primary. It cannot acknowledge writes any more (on-no-quorum), so it must not stay the
// one Pacemaker keeps Promoted: its promotion score is withdrawn at once, as the agent's next
// monitor would do (rule no-quorum), and Pacemaker demotes it and promotes a node of the majority
// without waiting for that monitor. The Pacemaker node name is taken to be the Tandem node name.
import type { Cib } from './cib.js';
import type { FenceRequest, HandlerResult } from './fence-handler.js';
import { primitiveId } from './pacemaker-config.js';

export async function withdrawPromotionScore(cib: Cib, req: FenceRequest): Promise<HandlerResult> {
  try {
    await cib.setPromotionScore(primitiveId(req.resource), null, req.localNode);
    return { exitCode: 0, constraint: null, message: `${req.localNode} lost quorum for ${req.resource}: promotion score withdrawn, so Pacemaker can promote a node of the majority` };
  } catch (err) {
    return { exitCode: 1, constraint: null, message: `could not withdraw the promotion score of ${req.localNode}: ${err instanceof Error ? err.message : String(err)}` };
  }
}
