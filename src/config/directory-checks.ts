// Checks across the files of a configuration directory: what one node listens on must be unique
// over all its resources, as drbdadm insists, or the second resource fails at 'up' with
// EADDRINUSE instead of at 'config check'.
import type { ExportAddress, Origin, ResourceConfig } from './model.js';
import { problemAt, type ConfigProblem } from './problems.js';
import { address, exportAddress } from './values.js';

export function checkDirectory(resources: ResourceConfig[], problems: ConfigProblem[]): void {
  checkUniqueNames(resources, problems);
  checkAddresses(resources, problems);
  checkExports(resources, problems);
}

function at(o: Origin | undefined): string {
  return o?.line === undefined ? '' : ` (${o.file}:${o.line})`;
}

/** Resource names name sockets, metadata and Pacemaker ids. */
function checkUniqueNames(resources: ResourceConfig[], problems: ConfigProblem[]): void {
  const first = new Map<string, ResourceConfig>();
  for (const r of resources) {
    const other = first.get(r.name);
    if (!other) {
      first.set(r.name, r);
      continue;
    }
    const line = r.origins['resource.name'].line ?? null;
    const otherAt = `${other.file}:${other.origins['resource.name'].line}`;
    problems.push(problemAt({ file: r.file, line, section: 'resource' }, `key 'name' in [resource]: '${r.name}' is not unique: ${otherAt} defines it too; allowed: a resource name no other file uses`, {
      key: 'name', value: r.name, allowed: 'a resource name no other file uses', hint: 'rename one of the resources, or delete the stale file',
    }));
  }
}

/** Each resource listens for its peers on its node's address:port. */
function checkAddresses(resources: ResourceConfig[], problems: ConfigProblem[]): void {
  const first = new Map<string, string>();
  for (const r of resources) {
    for (const n of r.nodes) {
      const text = address.format(n.address);
      const id = `${n.name}\0${text}`;
      const origin = r.origins[`node.${n.name}.address`];
      const other = first.get(id);
      if (other === undefined) {
        first.set(id, `resource '${r.name}'${at(origin)}`);
        continue;
      }
      const allowed = `an address:port no other resource of node ${n.name} uses`;
      problems.push(problemAt({ file: r.file, line: origin?.line ?? null, section: `node.${n.name}` }, `key 'address' in [node.${n.name}]: '${text}' is not free: ${other} listens there on node ${n.name} too; allowed: ${allowed}`, {
        key: 'address', value: text, allowed, hint: 'give each resource its own port (DRBD convention: 7789, 7790, …)',
      }));
    }
  }
}

/** Two NBD exports on one socket or port of one node cannot both listen. */
function checkExports(resources: ResourceConfig[], problems: ConfigProblem[]): void {
  const first = new Map<string, string>();
  const reported = new Set<string>();
  for (const r of resources) {
    for (const n of r.nodes) {
      for (const v of n.volumes) {
        if (v.export === null) continue;
        const text = exportAddress.format(v.export as ExportAddress);
        const id = `${n.name}\0${text}`;
        const origin = r.origins[`node.${n.name}.volume.${v.index}.export`];
        const other = first.get(id);
        if (other === undefined) {
          first.set(id, `resource '${r.name}' volume ${v.index}${at(origin)}`);
          continue;
        }
        const override = origin?.source === 'node-override';
        const place = `${r.file}:${origin?.line}:${text}`;
        if (reported.has(place)) continue; // a shared [volume.N] export clashes on every node: say it once
        reported.add(place);
        const section = override ? `node.${n.name}` : `volume.${v.index}`;
        const key = override ? `volume.${v.index}.export` : 'export';
        const allowed = `an NBD export no other volume of node ${n.name} uses`;
        problems.push(problemAt({ file: r.file, line: origin?.line ?? null, section }, `key '${key}' in [${section}]: '${text}' is not free: ${other} is exported there on node ${n.name} too; allowed: ${allowed}`, {
          key, value: text, allowed, hint: 'give each volume its own socket path or port, e.g. /run/tandem/<resource>-<volume>.nbd',
        }));
      }
    }
  }
}
