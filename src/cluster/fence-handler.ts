// The fence-peer / unfence-peer handlers (DRBD's resource-level fencing contract), run by tandemd
// through agents/tandem-fence-peer and agents/tandem-unfence-peer.
//
// fence-peer: a Primary lost a peer. Forbid the Promoted role on every node not known UpToDate
// (constraint tandem-fence-<res>), then answer with DRBD's exit codes:
//   4  constraint in place and the peer is a cluster member: it cannot be promoted (outdated)
//   5  constraint in place, the peer is unreachable (state unknown to Pacemaker)
//   6  refused: the peer is Promoted; this node must not continue as Primary
//   7  constraint in place and the peer left the membership as expected (fenced or shut down)
//   8  (Tandem) this node's resource has no quorum: the majority decides who is promoted, so no
//      constraint is placed and one this node placed earlier is lifted (a cut-off Primary must
//      never block the majority); tandemd leaves I/O to its quorum policy
//   1  nothing decided (Pacemaker partition without quorum, this node not UpToDate, CIB unreachable): I/O stays frozen
// unfence-peer: once every diskful node is UpToDate, lift the constraint (exit 0); while some are
// not, narrow it to the UpToDate ones (exit 2: still fenced).
import { loadResource } from '../config/load.js';
import { TandemError } from '../lib/errors.js';
import type { Cib } from './cib.js';
import { fenceId, findClone, liftConstraint, listConstraints, placeConstraint } from './constraints.js';

export const FENCE = { PEER_OUTDATED: 4, PEER_UNREACHABLE: 5, REFUSED: 6, PEER_FENCED: 7, NO_QUORUM: 8, BROKEN: 1 } as const;
export const UNFENCE = { LIFTED: 0, STILL_FENCED: 2, BROKEN: 1 } as const;

export interface FenceRequest {
  resource: string;
  localNode: string;
  /** nodes known UpToDate (the local node among them when it has good data) */
  upToDate: string[];
  /** the peer that was lost (null when the daemon did not say) */
  peer: string | null;
  /** every node of the resource by DRBD node id */
  nodes: string[];
  configDir: string | null;
  /** false when tandemd says the resource lost its quorum on this node (TANDEM_QUORUM=no); true when not said */
  quorate: boolean;
  /** why the link to the peer ended (TANDEM_LOST_REASON), when tandemd says */
  lostReason?: string;
}

/** DRBD-compatible environment (DRBD_*, UP_TO_DATE_NODES mask) plus Tandem's own names. */
export function requestFromEnv(env: NodeJS.ProcessEnv): FenceRequest {
  const resource = env.TANDEM_RESOURCE ?? env.DRBD_RESOURCE;
  if (!resource) {
    throw new TandemError('TANDEM_E_USAGE', 'no resource: TANDEM_RESOURCE / DRBD_RESOURCE is not set', {
      hint: 'tandemd sets the handler environment; by hand pass --resource, --node and --up-to-date',
    });
  }
  const byId = new Map<number, string>();
  for (const [key, value] of Object.entries(env)) {
    const m = /^DRBD_NODE_ID_(\d+)$/.exec(key);
    if (m && value) byId.set(Number(m[1]), value);
  }
  const name = (id: string | undefined): string | null => (id === undefined ? null : byId.get(Number(id)) ?? null);
  const localNode = env.TANDEM_NODE ?? name(env.DRBD_MY_NODE_ID);
  if (!localNode) throw new TandemError('TANDEM_E_USAGE', 'no local node: TANDEM_NODE / DRBD_MY_NODE_ID is not set');
  let upToDate: string[];
  if (env.TANDEM_UP_TO_DATE_NODES !== undefined) {
    upToDate = env.TANDEM_UP_TO_DATE_NODES.split(',').filter(Boolean);
  } else {
    const mask = Number.parseInt(env.UP_TO_DATE_NODES ?? '0', 16);
    upToDate = [...byId].filter(([id]) => (mask >> id) & 1).map(([, n]) => n);
  }
  return {
    resource, localNode, upToDate: [...new Set(upToDate)].sort(), peer: name(env.DRBD_PEER_NODE_ID),
    nodes: [...byId.values()], configDir: env.TANDEM_CONFIG_DIR ?? null, quorate: env.TANDEM_QUORUM !== 'no',
    ...(env.TANDEM_LOST_REASON ? { lostReason: env.TANDEM_LOST_REASON } : {}),
  };
}

export interface HandlerResult { exitCode: number; message: string; constraint: string | null }

export interface NodeState { member: boolean; expectedDown: boolean }

export async function fencePeer(cib: Cib, req: FenceRequest): Promise<HandlerResult> {
  const id = fenceId(req.resource);
  if (!req.quorate) return stepAside(cib, req);
  if (!req.upToDate.includes(req.localNode)) {
    return { exitCode: FENCE.BROKEN, constraint: null, message: `${req.localNode} is not UpToDate: it cannot decide who may be promoted; nothing placed` };
  }
  try {
    if (!(await hasQuorum(cib))) {
      return { exitCode: FENCE.BROKEN, constraint: null, message: 'this partition has no quorum: did not place the constraint' };
    }
    const clone = await findClone(cib, req.resource);
    const promoted = await promotedNodes(cib, clone);
    const rival = promoted.find((n) => n !== req.localNode);
    if (rival) {
      return { exitCode: FENCE.REFUSED, constraint: null, message: `${rival} is Promoted in Pacemaker: refusing to fence it; this node must step down` };
    }
    const outcome = await placeConstraint(cib, req.resource, req.upToDate);
    const fenced = req.peer ? [req.peer] : diskfulNodes(req).filter((n) => !req.upToDate.includes(n));
    const states = await Promise.all(fenced.map((n) => nodeState(cib, n)));
    const what = `${outcome === 'already-placed' ? 'constraint already in place' : `constraint ${outcome}`}: ${id} allows promotion only on ${req.upToDate.join(', ')}`;
    if (fenced.length === 0) return { exitCode: FENCE.PEER_UNREACHABLE, constraint: id, message: `${what}; no peer is known, so none is known outdated` };
    if (states.every((s) => s.member)) return { exitCode: FENCE.PEER_OUTDATED, constraint: id, message: `${what}; ${fenced.join(', ')} online, now outdated` };
    if (states.every((s) => s.member || s.expectedDown)) return { exitCode: FENCE.PEER_FENCED, constraint: id, message: `${what}; ${fenced.join(', ')} left the cluster as expected (fenced)` };
    return { exitCode: FENCE.PEER_UNREACHABLE, constraint: id, message: `${what}; ${fenced.join(', ')} unreachable` };
  } catch (err) {
    return { exitCode: FENCE.BROKEN, constraint: null, message: `DATA INTEGRITY at risk: could not place ${id}: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/**
 * A Primary without quorum (it reaches a minority of the resource's nodes) cannot acknowledge
 * writes, so the majority holds everything acknowledged and decides who is promoted: a constraint
 * from this side would only block it. Lift ours (one that allows this node), place none.
 */
async function stepAside(cib: Cib, req: FenceRequest): Promise<HandlerResult> {
  const id = fenceId(req.resource);
  try {
    const ours = (await listConstraints(cib)).find((c) => c.resource === req.resource && c.allowed.includes(req.localNode));
    if (ours) await liftConstraint(cib, req.resource);
    return {
      exitCode: FENCE.NO_QUORUM, constraint: null,
      message: `${req.localNode} has no quorum for ${req.resource}: the majority decides who is promoted; ${ours ? `lifted ${id}` : 'no constraint placed'}`,
    };
  } catch (err) {
    return { exitCode: FENCE.BROKEN, constraint: null, message: `no quorum, and could not lift ${id}: ${err instanceof Error ? err.message : String(err)}` };
  }
}

export async function unfencePeer(cib: Cib, req: FenceRequest): Promise<HandlerResult> {
  const id = fenceId(req.resource);
  const diskful = diskfulNodes(req);
  const missing = diskful.filter((n) => !req.upToDate.includes(n));
  try {
    const existing = (await listConstraints(cib)).find((c) => c.resource === req.resource);
    if (!existing) return { exitCode: UNFENCE.LIFTED, constraint: null, message: `no constraint ${id} in place, nothing to do` };
    if (missing.length === 0) {
      await liftConstraint(cib, req.resource);
      return { exitCode: UNFENCE.LIFTED, constraint: null, message: `removed constraint ${id}: every node (${diskful.join(', ')}) is UpToDate` };
    }
    const allowed = [...new Set([...existing.allowed, ...req.upToDate])];
    await placeConstraint(cib, req.resource, allowed);
    return { exitCode: UNFENCE.STILL_FENCED, constraint: id, message: `${id} kept: ${missing.join(', ')} not UpToDate yet; promotion allowed on ${allowed.sort().join(', ')}` };
  } catch (err) {
    return { exitCode: UNFENCE.BROKEN, constraint: id, message: `could not lift ${id}: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/** Diskful nodes from the configuration when readable, else every node the daemon named. */
function diskfulNodes(req: FenceRequest): string[] {
  if (req.configDir) {
    try {
      const config = loadResource(req.configDir, req.resource);
      return config.nodes.filter((n) => n.volumes.some((v) => v.disk !== null)).map((n) => n.name);
    } catch {
      // fall back to the daemon's list: lifting later is safe, lifting too early is not
    }
  }
  return req.nodes.length > 0 ? req.nodes : req.upToDate;
}

async function hasQuorum(cib: Cib): Promise<boolean> {
  const root = await cib.query('/cib', ['--no-children']);
  return /\bhave-quorum="(1|true)"/.test(root ?? '');
}

export async function promotedNodes(cib: Cib, clone: string): Promise<string[]> {
  const r = await cib.tool('crm_resource', ['--locate', '--resource', clone], [0, 6, 105]);
  return [...r.stdout.matchAll(/is running on: (\S+) (?:Promoted|Master)/g)].map((m) => m[1]);
}

export async function nodeState(cib: Cib, node: string): Promise<NodeState> {
  const xml = await cib.query(`//status/node_state[@uname='${node}']`, ['--no-children']);
  if (xml === null) return { member: false, expectedDown: false };
  const attr = (name: string): string | undefined => new RegExp(`\\b${name}="([^"]*)"`).exec(xml)?.[1];
  return {
    member: attr('in_ccm') !== 'false' && attr('in_ccm') !== undefined && attr('crmd') === 'online',
    expectedDown: attr('expected') === 'down' && attr('join') === 'down',
  };
}

