// One Tandem INI file per migrated RVG, in the resource-file format of the README's "Configuration"
// (keys: src/config/schema.ts; the `ini` package reads it).
import { formatSize } from '../../lib/units.js';
import { volumeSizeNote } from '../map/replication.js';
import type { TandemNode, TandemResource } from '../map/plan.js';

export function emitIni(res: TandemResource): string {
  const lines: string[] = [
    `; ${res.name}.ini — written by tandem migrate vcs; lines marked CHECK hold placeholders`,
    ...res.notes.map((n) => `; ${n}`),
    '',
    '[resource]',
    `name = ${res.name}`,
    `protocol = ${res.protocol}`,
    `secret = ${res.secret}`,
    `fencing = ${res.fencing}`,
    `quorum = ${res.quorum}`,
    'on-no-quorum = io-error',
    'after-sb-0pri = disconnect',
    'after-sb-1pri = disconnect',
    'after-sb-2pri = disconnect',
  ];
  if (res.resyncRate) lines.push(`resync-rate = ${res.resyncRate}`);
  if (res.seed) {
    const who = `${res.seed.peers.join(', ')} ${res.seed.peers.length === 1 ? 'starts' : 'start'}`;
    lines.push(`csums-alg = sha256    ; ${who} from a copy of its VVR Secondary volumes: resyncs compare every block by digest and send only those that differ`);
  }
  for (const v of res.volumes) {
    const metaNote = v.meta.startsWith('block:')
      ? `    ; CHECK: an LV of ${v.metaBytes === undefined ? 'tandem md size bytes' : `${v.metaBytes} bytes (${formatSize(v.metaBytes)})`} in the same VG, so it moves with the disks`
      : "    ; CHECK: this host's PMEM";
    lines.push(
      '',
      `; volume ${v.index} replaces VxVM volume ${res.diskGroup}/${v.vxvmVolume}, ${volumeSizeNote(v)}`,
      `[volume.${v.index}]`,
      `disk = ${v.disk}    ; CHECK: the LVM volume you create`,
      `meta = ${v.meta}${metaNote}`,
      `export = ${v.export}`,
    );
  }
  for (const n of res.nodes) {
    lines.push('', ...nodeComment(n), `[node.${n.name}]`, `id = ${n.id}`, `address = ${n.address}${n.placeholder ? '    ; CHECK: placeholder, no replication address was known' : ''}`);
  }
  for (const p of res.pairs) {
    lines.push('', `; ${connectionComment(res, p.nodes)}`, `[connection.${p.nodes[0]}.${p.nodes[1]}]`, `protocol = ${p.protocol}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Why a connection has its own protocol: the RLINK it replaces, or the two links it lies between. */
function connectionComment(res: TandemResource, nodes: [string, string]): string {
  const other = nodes[0] === res.primary ? nodes[1] : nodes[1] === res.primary ? nodes[0] : null;
  const link = (to: string) => res.connections.find((c) => c.to === to);
  if (other !== null) {
    const c = link(other);
    return `replaces RLINK ${c?.rlink ?? `to ${other}`} (${c?.bunker ? 'bunker' : `synchronous=${c?.synchronous ?? 'off, assumed'}`})`;
  }
  return `between two Secondaries (used once one is promoted): C only when both links from ${res.primary} are synchronous`;
}

function nodeComment(n: TandemNode): string[] {
  if (n.sharedStorage) return [`; site ${n.name}: runs on ${n.hosts.join(' or ')} (they share its disks; TANDEM_NODE=${n.name} on each), address = the replication IP that moves with them`];
  if (n.bunker) return ['; the former VVR bunker: a full copy here'];
  if (!n.site) return [`; known only from the VVR reports (its cluster's main.cf was not given)`];
  return [];
}
