// Known-unsafe combinations that are valid but can lose data or availability. Each warning has
// a stable code and says what can go wrong; warnings never fail `tandem config check`.
import { realpathSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { connectionKey, effectiveConnections } from './connections.js';
import type { ClusterConfig, ResourceConfig, Warning } from './model.js';

type Check = (r: ResourceConfig) => Warning[];

function at(r: ResourceConfig, key: string, code: string, message: string, node?: string): Warning {
  const origin = r.origins[key];
  const line = origin?.source === 'default' ? undefined : origin?.line;
  return { code, file: r.file, ...(line === undefined ? {} : { line }), key: key.replace(/^resource\./, '').replace(/^node\.[^.]+\./, '').replace(/^connection\.[^.]+\.[^.]+\./, ''), resource: r.name, ...(node ? { node } : {}), message };
}

const fencingDontCare: Check = (r) =>
  r.nodes.length >= 2 && r.fencing === 'dont-care' && r.quorum === 'off'
    ? [at(r, 'resource.fencing', 'TANDEM_W_FENCING_DONT_CARE', `resource '${r.name}': fencing = dont-care without quorum: if the nodes lose sight of each other, Pacemaker can promote both and the writes of one side are lost in the split brain; use fencing = resource-only or resource-and-stonith, or quorum with 3+ nodes`)]
    : [];

const afterSbDiscards: Check = (r) => {
  const out: Warning[] = [];
  if (['discard-younger-primary', 'discard-older-primary', 'discard-least-changes', 'discard-node'].includes(r.afterSb0pri)) {
    out.push(at(r, 'resource.after-sb-0pri', 'TANDEM_W_AFTER_SB_DISCARDS_WRITES', `resource '${r.name}': after-sb-0pri = ${r.afterSb0pri}${r.discardNode ? `-${r.discardNode}` : ''} throws away one side's writes after a split brain without asking, including writes that were acknowledged; disconnect or discard-zero-changes keep them`));
  }
  for (const [key, policy] of [['after-sb-1pri', r.afterSb1pri], ['after-sb-2pri', r.afterSb2pri]] as const) {
    if (policy === 'violently-as0p' || policy === 'call-pri-lost-after-sb') {
      out.push(at(r, `resource.${key}`, 'TANDEM_W_AFTER_SB_DISCARDS_PRIMARY', `resource '${r.name}': ${key} = ${policy} can discard the data of a Primary after a split brain, so writes already acknowledged to applications are lost; use disconnect and resolve by hand ('tandem connect ${r.name} --discard-my-data' on the node whose writes are to go)`));
    }
  }
  return out;
};

/** after-sb-* are parsed for DRBD compatibility, but this version recovers from no split brain on its own. */
const afterSbManual: Check = (r) => {
  const set = ([['after-sb-0pri', r.afterSb0pri], ['after-sb-1pri', r.afterSb1pri], ['after-sb-2pri', r.afterSb2pri]] as const)
    .filter(([, policy]) => policy !== 'disconnect');
  if (set.length === 0) return [];
  const what = set.map(([key, policy]) => `${key} = ${policy}${key === 'after-sb-0pri' && r.discardNode ? `-${r.discardNode}` : ''}`).join(', ');
  return [at(r, `resource.${set[0][0]}`, 'TANDEM_W_AFTER_SB_MANUAL', `resource '${r.name}': ${what}: automatic split-brain recovery is not implemented in this version; `
    + `tandemd detects the split brain, refuses the connection and waits for an operator ('tandem connect ${r.name} --discard-my-data' on the node whose writes are to go), as with disconnect`)];
};

/** Per connection: a peer reached under A or B may be promoted after STONITH without acknowledged writes. */
const asyncWithStonith: Check = (r) => {
  if (r.fencing !== 'resource-and-stonith') return [];
  const out: Warning[] = [];
  if (r.protocol !== 'C' && effectiveConnections(r).some((c) => c.origin.source === 'resource')) {
    out.push(at(r, 'resource.protocol', 'TANDEM_W_ASYNC_FENCING', `resource '${r.name}': protocol ${r.protocol} with fencing = resource-and-stonith: a write is acknowledged before the peer has it on disk, so after STONITH and failover the new Primary lacks acknowledged writes; use protocol C`));
  }
  for (const c of r.connections) {
    if (c.protocol === null || c.protocol === 'C') continue;
    out.push(at(r, connectionKey(c, 'protocol'), 'TANDEM_W_ASYNC_FENCING', `resource '${r.name}': connection ${c.nodes[0]} - ${c.nodes[1]} uses protocol ${c.protocol} with fencing = resource-and-stonith: `
      + `a write is acknowledged before the other end has it on disk, so a failover from one of them to the other after STONITH lacks acknowledged writes; promote a node reached under protocol C, or use protocol C on this connection`));
  }
  return out;
};

const quorum: Check = (r) => {
  const n = r.nodes.length;
  if (r.quorum === 'off') {
    return n >= 3 ? [at(r, 'resource.quorum', 'TANDEM_W_QUORUM_OFF', `resource '${r.name}': quorum = off with ${n} nodes: a partitioned minority can keep writing and diverge (split brain); use quorum = majority`)] : [];
  }
  const majority = Math.floor(n / 2) + 1;
  const needed = r.quorum === 'majority' ? majority : r.quorum === 'all' ? n : r.quorum;
  if (needed < majority) {
    return [at(r, 'resource.quorum', 'TANDEM_W_QUORUM_BELOW_MAJORITY', `resource '${r.name}': quorum = ${r.quorum} is less than a majority of ${n} nodes (${majority}): two partitions can both have quorum and diverge (split brain); use quorum = majority`)];
  }
  return n >= 2 && needed >= n
    ? [at(r, 'resource.quorum', 'TANDEM_W_QUORUM_NO_NODE_LOSS', `resource '${r.name}': quorum = ${r.quorum} with ${n} nodes needs all ${n} nodes: losing any node stops I/O on the survivors${n === 2 ? '; add a third (possibly diskless) node as a tiebreaker' : ''}`)]
    : [];
};

/** What a resource of 3+ nodes under Pacemaker should use: the majority decides, and a cut-off Primary can be demoted. */
export const RECOMMENDED_QUORUM = 'quorum = majority, on-no-quorum = io-error, fencing = resource-only (with STONITH in Pacemaker)';

/**
 * suspend-io under quorum: a Primary cut off from the majority freezes I/O, so Pacemaker cannot
 * unmount its file system to demote it (umount waits on the frozen device); the stop times out and
 * only STONITH ends it (without STONITH, nothing is promoted until the links heal).
 */
const quorumSuspendIo: Check = (r) =>
  r.quorum !== 'off' && r.onNoQuorum === 'suspend-io' && r.nodes.length >= 3
    ? [at(r, 'resource.on-no-quorum', 'TANDEM_W_QUORUM_SUSPEND_IO', `resource '${r.name}': quorum = ${r.quorum} with on-no-quorum = suspend-io: a Primary cut off from the majority freezes its I/O, `
      + 'so Pacemaker cannot unmount its file system to demote it (umount waits on the frozen device), no other node is promoted until the stop times out and STONITH '
      + `reboots that node, and without STONITH not until the links heal; use ${RECOMMENDED_QUORUM}`)]
    : [];

const secret: Check = (r) => {
  if (r.nodes.length < 2) return [];
  if (r.secret === '') return [at(r, 'resource.secret', 'TANDEM_W_NO_SECRET', `resource '${r.name}': no secret: any host that reaches a node's port can connect as a peer and receive or overwrite the data; set secret = <at least 8 characters>`)];
  if (r.secret.length < 8) return [at(r, 'resource.secret', 'TANDEM_W_SHORT_SECRET', `resource '${r.name}': the secret has ${r.secret.length} characters (fewer than 8) and can be guessed; use a long random secret`)];
  return [];
};

/** Anyone who can read the secret can join the replication as a peer. */
const secretReadable: Check = (r) => {
  if (r.secret === '') return [];
  const mode = statSync(r.file).mode & 0o777;
  return (mode & 0o044) !== 0
    ? [at(r, 'resource.secret', 'TANDEM_W_SECRET_READABLE', `resource '${r.name}': ${r.file} holds the secret and is readable by other users (mode ${mode.toString(8).padStart(4, '0')}): any local user can read it and connect as a peer; chmod 600 it`)]
    : [];
};

/** transport-security = none: the handshake proves the secret, then anyone on the path reads and changes the data. */
const transportInsecure: Check = (r) =>
  r.nodes.length >= 2 && r.transportSecurity === 'none'
    ? [at(r, 'resource.transport-security', 'TANDEM_W_TRANSPORT_INSECURE', `resource '${r.name}': transport-security = none: replicated data crosses the network in clear and unauthenticated after the handshake; anyone on the path can read every block and change a replica's data unnoticed; use tls (the default) or at least integrity`)]
    : [];

const exportInsecure: Check = (r) => {
  if (!r.exportInsecure || r.exportTlsPsk !== null || r.tlsCert !== null) return [];
  const tcp = r.nodes.flatMap((n) => n.volumes.filter((v) => v.export?.kind === 'tcp').map((v) => `${n.name} volume ${v.index}`));
  return tcp.length > 0
    ? [at(r, 'resource.export-insecure', 'TANDEM_W_EXPORT_INSECURE', `resource '${r.name}': export-insecure = yes: the TCP exports (${tcp.join(', ')}) have no TLS; anyone who reaches their port can read and overwrite the volume; set export-tls-psk or tls-cert/tls-key/tls-ca, or export on a Unix socket`)]
    : [];
};

/** A rotation left half done keeps a secret valid that was meant to be retired. */
const previousSecret: Check = (r) =>
  r.previousSecret !== ''
    ? [at(r, 'resource.previous-secret', 'TANDEM_W_PREVIOUS_SECRET', `resource '${r.name}': previous-secret is set: peers holding the old secret are still accepted; once every node has the new secret, remove previous-secret on each node (README: Rotating the secret) to finish the rotation`)]
    : [];

function samePath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

const metaOnData: Check = (r) =>
  r.nodes.flatMap((n) => n.volumes
    .filter((v) => v.disk !== null && v.meta !== null && samePath(v.disk) === samePath(v.meta.path))
    .map((v) => at(r, `node.${n.name}.volume.${v.index}.meta`, 'TANDEM_W_META_ON_DATA', `resource '${r.name}', node ${n.name}, volume ${v.index}: metadata and data are both on ${v.disk}: metadata updates overwrite data blocks; put metadata on its own device or file`, n.name)));

/** Two volumes (of any resources) on one node backed by the same disk corrupt each other. */
function sharedDisks(resources: ResourceConfig[]): Warning[] {
  const seen = new Map<string, string>();
  const out: Warning[] = [];
  for (const r of resources) {
    for (const n of r.nodes) {
      for (const v of n.volumes) {
        if (v.disk === null) continue;
        const id = `${n.name}\0${samePath(v.disk)}`;
        const first = seen.get(id);
        if (first !== undefined) {
          out.push(at(r, `node.${n.name}.volume.${v.index}.disk`, 'TANDEM_W_SHARED_DISK', `node ${n.name}: ${v.disk} backs both ${first} and resource '${r.name}' volume ${v.index}: each overwrites the other's data`, n.name));
        } else {
          seen.set(id, `resource '${r.name}' volume ${v.index}`);
        }
      }
    }
  }
  return out;
}

const CHECKS: Check[] = [fencingDontCare, afterSbDiscards, afterSbManual, asyncWithStonith, quorum, quorumSuspendIo, secret, secretReadable, metaOnData, transportInsecure, exportInsecure, previousSecret];

export function warningsFor(resources: ResourceConfig[]): Warning[] {
  return [...resources.flatMap((r) => CHECKS.flatMap((check) => check(r))), ...sharedDisks(resources)];
}

/** For `config check` on a host: a node name that matches no [node.X] usually means a host-name mismatch. */
export function localNodeWarnings(config: ClusterConfig, node: string): Warning[] {
  if (config.resources.length === 0 || config.resources.some((r) => r.nodes.some((n) => n.name === node))) return [];
  return [{
    code: 'TANDEM_W_NODE_NOT_CONFIGURED', file: config.dir, node,
    message: `this host acts as node '${node}' (--node, TANDEM_NODE or the host name), which no resource names: tandemd here would bring nothing up; name the [node.X] sections after 'uname -n' or set TANDEM_NODE`,
  }];
}
