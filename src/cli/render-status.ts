// Human rendering of status, close to `drbdadm status` so DRBD administrators read it at a glance.
import type { ConnectionStatus, NodeStatus, ResourceStatus } from '../engine/states.js';
import { formatSize } from '../lib/units.js';

export function renderNode(status: NodeStatus): string {
  if (status.resources.length === 0) return `no resources are up on ${status.node}`;
  return status.resources.map(renderResource).join('\n\n');
}

export function renderResource(r: ResourceStatus): string {
  const flags = [!r.quorum ? 'quorum:no' : '', r.suspended ? 'suspended:yes' : ''].filter(Boolean).join(' ');
  const lines = [`${r.name} role:${r.role}${flags ? ' ' + flags : ''}`];
  for (const v of r.volumes) {
    const where = `${v.device ? ` device:${v.device}` : ''}${v.export ? ` export:${v.export}` : ''}${v.io ? ` io:${v.io.replace(/ /g, '-')}` : ''}`;
    lines.push(`  volume:${v.volume} disk:${v.diskState} size:${formatSize(v.sizeBytes)}${where}`);
  }
  for (const c of r.connections) lines.push(...renderConnection(c));
  for (const id of r.constraints) lines.push(`  constraint:${id}`);
  if (r.held) lines.push(`  held: ${r.held}`);
  if (r.failed) lines.push(`  failed: ${r.failed} (stopped on this node; tandem down and up recover it)`);
  return lines.join('\n');
}

function renderConnection(c: ConnectionStatus): string[] {
  const lines = [`  ${c.peer} connection:${c.connectionState}${c.connectionState === 'Connected' ? ` role:${c.peerRole}` : ''} protocol:${c.protocol}`];
  for (const v of c.volumes) {
    let line = `    volume:${v.volume} replication:${v.replicationState} peer-disk:${v.peerDiskState}`;
    if (v.outOfSyncBytes > 0) line += ` out-of-sync:${formatSize(v.outOfSyncBytes)}`;
    if (v.resync) {
      const eta = v.resync.etaSeconds === null ? '?' : `${Math.ceil(v.resync.etaSeconds)}s`;
      line += ` done:${v.resync.percent.toFixed(1)}% rate:${formatSize(v.resync.rateBytesPerSec)}/s eta:${eta}`;
      // checksum-based: how much was verified equal (not sent) and how much travelled as data
      if (v.resync.csumsAlg !== 'none') line += ` csums:${v.resync.csumsAlg} same:${formatSize(v.resync.sameBytes)} sent:${formatSize(v.resync.transferredBytes)}`;
    }
    lines.push(line);
  }
  return lines;
}
