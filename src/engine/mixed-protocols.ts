// What protocols mixed per connection change in the generation handshake (docs/ARCHITECTURE.md,
// sections 4 and 6a).
//
// Equal generations, one side crashed as Primary, their connection on A: DRBD makes the crashed
// Primary the SyncSource of its AL extents, since under A acknowledged writes may exist only
// there. When that Primary also had a B or C connection to another diskful node, that node holds
// every write the Primary acknowledged, while the Primary's own disk may have lost some (a power
// loss takes its volatile cache) and the A peer may lack some (they sat in a send queue). Neither
// end of the A connection holds what the other needs then: the crashed Primary as source would
// spread its stale extents to the A peer (which is then called UpToDate without acknowledged
// writes), the A peer as source would overwrite them on the Primary. Both ends wait instead, until
// the crashed Primary has been resynced from a synchronous peer (which clears its crash flag): its
// State changes and the handshake runs again; the Primary's crash left its AL extents marked out
// of sync for every peer, so what the A peer lacks stays marked until a Primary resyncs it.
import { connectionProtocol } from '../config/connections.js';
import type { VolumeView } from './generation-handshake.js';
import type { Peer } from './peer.js';
import { sameGeneration } from './sync-decision.js';
import type { Volume } from './volume.js';

/**
 * Why this connection must wait for the crashed Primary's resync from a synchronous peer (null:
 * the usual rules apply). The same answer on both ends: it depends only on the shared
 * configuration and on which side crashed.
 */
export function waitForSynchronousCopy(peer: Peer, volume: Volume, view: VolumeView): string | null {
  const meta = volume.meta;
  if (!meta || peer.protocol !== 'A' || !sameGeneration(meta.current(), view.current)) return null;
  const localCrashed = meta.flags.crashedPrimary;
  if (localCrashed === view.flags.crashedPrimary) return null;
  const r = peer.resource;
  const crashed = localCrashed ? r.local.name : peer.node.name;
  const other = localCrashed ? peer.node.name : r.local.name;
  const synchronous = r.config.nodes.filter((n) => n.name !== crashed && n.name !== other
    && n.volumes.some((v) => v.disk !== null) && connectionProtocol(r.config, crashed, n.name) !== 'A');
  if (synchronous.length === 0) return null;
  return `${crashed} crashed as Primary; this connection is on protocol A and ${synchronous.map((n) => n.name).join(', ')} `
    + `(on ${synchronous.map((n) => connectionProtocol(r.config, crashed, n.name)).join(', ')}) holds every write it acknowledged: `
    + `waiting until ${crashed} is resynced from there`;
}

/**
 * The peer may hold writes a Primary acknowledged: some connection of it (to any node that may
 * have been Primary) is on B or C. The protocol of our own link to it says nothing when we were a
 * Secondary: the writes reached it from the Primary (sim seed 30216: a Secondary back from a power
 * loss, on A to a peer that was on C to the Primary, was confirmed UpToDate as another node's
 * source without hearing that peer, and spread the blocks its cache had lost).
 */
export function mayHoldAcknowledgedWrites(peer: Peer): boolean {
  const config = peer.resource.config;
  return config.nodes.some((n) => n.name !== peer.node.name && connectionProtocol(config, peer.node.name, n.name) !== 'A');
}
