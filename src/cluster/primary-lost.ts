// The primary-lost handler: a Secondary's tandemd lost its connection to the Primary. If that
// node is still a healthy cluster member, only its tandemd may be gone (killed, crashed): the
// node itself is fine, so corosync notices nothing, and Pacemaker would learn it only at the
// next monitor of the Promoted instance (10 s later, then recover). Here Pacemaker is asked to
// re-probe that one instance now (crm_resource --refresh): the probe is the agent on that node,
// so it answers the truth, and Pacemaker fails over at once when tandemd is gone.
//
// Only when tandemd is known gone from a running machine: its replication port refuses a
// connection (the kernel answers for a dead process). A link that went silent (ping timeout, or a
// port that does not answer) may be a node that is crashing, which corosync and fencing handle:
// re-probing it hangs, and deleting the history of an unclean node could make its resources look
// stopped. A port that accepts means tandemd runs and only the link broke (say, it is resyncing a
// returning node under load): re-probing then would only churn Pacemaker. A node that left the
// membership is not touched either. (A Primary cut off on its replication link withdraws its own
// score: the quorum-lost handler.)
//
// Every Secondary loses the Primary at the same moment; one re-probe is enough, and each one
// more cost seconds (crm_resource --refresh clears the history of every clone instance, and
// Pacemaker computes nothing until the refreshes stop: 4 s in the file-system failover test).
// So only the first survivor by name among the UpToDate nodes this one sees asks.
import { connect } from 'node:net';
import { loadResource } from '../config/load.js';
import type { Cib } from './cib.js';
import { findClone } from './constraints.js';
import { nodeState, promotedNodes, type FenceRequest, type HandlerResult } from './fence-handler.js';

/** How the link ended when the peer stopped answering rather than closing it. */
const SILENT = /ping timeout|timed out/i;
const PORT_PROBE_MS = 1000;

export async function recheckLostPrimary(cib: Cib, req: FenceRequest): Promise<HandlerResult> {
  const done = (message: string): HandlerResult => ({ exitCode: 0, constraint: null, message });
  if (!req.peer) return done('no peer named (DRBD_PEER_NODE_ID): nothing to re-check');
  if (SILENT.test(req.lostReason ?? '')) return done(`the link to ${req.peer} went silent (${req.lostReason}): corosync and fencing decide about that node`);
  const asker = req.upToDate.filter((n) => n !== req.peer).sort()[0] ?? req.localNode;
  if (asker !== req.localNode) return done(`${asker} asks Pacemaker to re-check ${req.peer} (one survivor asks, the first by name)`);
  const port = await tandemdPort(req);
  if (port !== 'refused') return done(`${req.peer}'s tandemd port ${port === 'open' ? 'still accepts connections: tandemd runs, only the link broke' : `does not answer (${port}): corosync and fencing decide about that node`}`);
  try {
    const state = await nodeState(cib, req.peer);
    if (!state.member) return done(`${req.peer} is not an online cluster member: Pacemaker recovers it`);
    const clone = await findClone(cib, req.resource);
    if (!(await promotedNodes(cib, clone)).includes(req.peer)) return done(`${clone} is not Promoted on ${req.peer} in Pacemaker: nothing to re-check`);
    await cib.tool('crm_resource', ['--refresh', '--resource', clone, '--node', req.peer], [0]);
    return done(`${req.peer}'s tandemd is gone (its port refuses connections): asked Pacemaker to re-probe ${clone} there`);
  } catch (err) {
    return { exitCode: 1, constraint: null, message: `could not ask Pacemaker to re-check ${req.peer}: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/** Does the peer's tandemd listen on its replication address: 'open', 'refused', or why not known. */
async function tandemdPort(req: FenceRequest): Promise<string> {
  let address: { host: string; port: number } | undefined;
  try {
    address = loadResource(req.configDir ?? '/etc/tandem', req.resource).nodes.find((n) => n.name === req.peer)?.address;
  } catch (err) {
    return `configuration unreadable: ${err instanceof Error ? err.message : String(err)}`;
  }
  if (!address) return `no address for ${req.peer} in the configuration`;
  return new Promise((resolve) => {
    const socket = connect({ host: address.host, port: address.port });
    const finish = (outcome: string): void => { socket.destroy(); resolve(outcome); };
    socket.setTimeout(PORT_PROBE_MS, () => finish(`no answer within ${PORT_PROBE_MS} ms`));
    socket.once('connect', () => finish('open'));
    socket.once('error', (err: NodeJS.ErrnoException) => finish(err.code === 'ECONNREFUSED' ? 'refused' : err.code ?? err.message));
  });
}
