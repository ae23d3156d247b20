// The primary-lost handler: a Secondary's tandemd lost its connection to the Primary. If that
// node is still a healthy cluster member, only its tandemd may be gone (killed, crashed): the
// node itself is fine, so corosync notices nothing, and Pacemaker would learn it only at the
// next monitor of the Promoted instance (10 s later, then recover in place). Here Pacemaker is
// asked to re-probe that one instance now (crm_resource --refresh): the probe is the agent on that
// node, so it answers the truth — 8 if its tandemd is alive and Primary (the replication link was
// cut: nothing changes), 7 if it is gone, and Pacemaker fails over at once.
// Only when the peer closed the connection (its process ended on a running machine): a link that
// went silent (ping timeout) may be a node that is crashing, which corosync and fencing handle;
// re-probing it then hangs, and deleting the history of an unclean node could make its resources
// look stopped. A node that left the membership is not touched either. (A Primary cut off on its
// replication link withdraws its own score: the quorum-lost handler.)
import type { Cib } from './cib.js';
import { findClone } from './constraints.js';
import { nodeState, promotedNodes, type FenceRequest, type HandlerResult } from './fence-handler.js';

/** How the link ended when the peer stopped answering rather than closing it. */
const SILENT = /ping timeout|timed out/i;

export async function recheckLostPrimary(cib: Cib, req: FenceRequest): Promise<HandlerResult> {
  const done = (message: string): HandlerResult => ({ exitCode: 0, constraint: null, message });
  if (!req.peer) return done('no peer named (DRBD_PEER_NODE_ID): nothing to re-check');
  if (SILENT.test(req.lostReason ?? '')) return done(`the link to ${req.peer} went silent (${req.lostReason}): corosync and fencing decide about that node`);
  try {
    const state = await nodeState(cib, req.peer);
    if (!state.member) return done(`${req.peer} is not an online cluster member: Pacemaker recovers it`);
    const clone = await findClone(cib, req.resource);
    if (!(await promotedNodes(cib, clone)).includes(req.peer)) return done(`${clone} is not Promoted on ${req.peer} in Pacemaker: nothing to re-check`);
    await cib.tool('crm_resource', ['--refresh', '--resource', clone, '--node', req.peer], [0]);
    return done(`asked Pacemaker to re-probe ${clone} on ${req.peer} (its tandemd may be gone while the node stays a member)`);
  } catch (err) {
    return { exitCode: 1, constraint: null, message: `could not ask Pacemaker to re-check ${req.peer}: ${err instanceof Error ? err.message : String(err)}` };
  }
}
