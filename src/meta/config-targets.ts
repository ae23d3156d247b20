// The metadata of a resource's volumes on this node, from its configuration: what `tandem md
// create r0` formats and `md show|dump|check r0` inspect.
import { openSync, closeSync } from 'node:fs';
import { TandemError } from '../lib/errors.js';
import { loadResource } from '../config/load.js';
import type { ResourceConfig } from '../config/model.js';
import { sizeOf } from './device-size.js';

export interface VolumeTarget {
  resource: string;
  volume: number;
  placement: string;
  /** Only for create: the size of the volume the metadata tracks. */
  volumeSize: () => number;
  maxPeers: number;
  nodeId: number;
  alExtents: number;
}

export function volumeTargets(configDir: string, node: string, resourceName: string, volume?: number): VolumeTarget[] {
  const resource = loadResource(configDir, resourceName, { node });
  const local = resource.nodes.find((n) => n.name === node)!;
  const volumes = local.volumes.filter((v) => volume === undefined || v.index === volume);
  if (volumes.length === 0) {
    throw new TandemError('TANDEM_E_NOT_FOUND', `resource '${resourceName}' has no volume ${volume} on node ${node}`, {
      hint: `its volumes: ${local.volumes.map((v) => v.index).join(', ')}`,
    });
  }
  return volumes.filter((v) => v.meta !== null).map((v) => ({
    resource: resource.name,
    volume: v.index,
    placement: `${v.meta!.kind}:${v.meta!.path}`,
    volumeSize: () => v.size ?? diskSize(v.disk!, resource),
    maxPeers: diskfulPeers(resource, node, v.index),
    nodeId: local.id,
    alExtents: resource.alExtents,
  }));
}

/** DRBD's create-md default: one bitmap slot per peer that has a disk, at least one. */
function diskfulPeers(resource: ResourceConfig, node: string, volume: number): number {
  const peers = resource.nodes.filter((n) => n.name !== node && n.volumes.some((v) => v.index === volume && v.disk !== null));
  return Math.max(1, peers.length);
}

function diskSize(disk: string, resource: ResourceConfig): number {
  let fd: number;
  try {
    fd = openSync(disk, 'r');
  } catch (err) {
    throw new TandemError('TANDEM_E_NOT_FOUND', `${resource.file}: the backing disk ${disk} cannot be opened (${(err as Error).message}), so the volume size is unknown`, {
      hint: 'create the backing device first, or set size = <size> in the [volume.N] section', cause: err,
    });
  }
  try {
    return sizeOf(fd, disk);
  } finally {
    closeSync(fd);
  }
}

/** The placements a md command acts on: `--meta <placement>`, or a resource's volumes. */
export function placementsFor(opts: { resource?: string; meta?: string; volume?: number; configDir: string; node: string }): string[] {
  if (opts.meta !== undefined && opts.resource !== undefined) {
    throw new TandemError('TANDEM_E_USAGE', 'give either a resource or --meta, not both', { hint: 'tandem md show r0, or tandem md show --meta pmem:/dev/dax0.0' });
  }
  if (opts.meta !== undefined) return [opts.meta];
  if (opts.resource === undefined) {
    throw new TandemError('TANDEM_E_USAGE', 'name a resource or give --meta <placement>', { hint: 'tandem md show r0, or tandem md show --meta pmem:/dev/dax0.0' });
  }
  return volumeTargets(opts.configDir, opts.node, opts.resource, opts.volume).map((t) => t.placement);
}
