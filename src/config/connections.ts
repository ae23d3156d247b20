// The effective settings of each connection of a resource (DRBD 9: a resource has one connection
// per pair of nodes, and each may set its own net options). Today one setting is per connection:
// the replication protocol, from the pair's [connection.<a>.<b>] section, else from [resource].
// Both ends of a connection read the same file, so both compute the same value; the transport
// handshake checks that they do (src/transport/handshake.ts).
import type { ConnectionConfig, Origin, Protocol, ResourceConfig } from './model.js';

export interface EffectiveConnection {
  /** the two nodes, in the resource's node order */
  nodes: [string, string];
  protocol: Protocol;
  /** where the protocol comes from: the section's key, or [resource] (source 'resource') */
  origin: Origin;
}

/** Does this section name the connection between a and b (in either order)? */
export function joins(c: ConnectionConfig, a: string, b: string): boolean {
  return (c.nodes[0] === a && c.nodes[1] === b) || (c.nodes[0] === b && c.nodes[1] === a);
}

/** The origins key of a connection setting, as the section names the pair. */
export function connectionKey(c: ConnectionConfig, key: string): string {
  return `connection.${c.nodes[0]}.${c.nodes[1]}.${key}`;
}

/** The protocol of the connection between nodes a and b, with where it comes from. */
export function connectionProtocolOf(r: ResourceConfig, a: string, b: string): { protocol: Protocol; origin: Origin } {
  const own = r.connections.find((c) => joins(c, a, b) && c.protocol !== null);
  if (own) return { protocol: own.protocol!, origin: r.origins[connectionKey(own, 'protocol')] ?? { source: 'file', file: r.file } };
  const inherited = r.origins['resource.protocol'];
  return { protocol: r.protocol, origin: { ...inherited, source: 'resource' } };
}

export function connectionProtocol(r: ResourceConfig, a: string, b: string): Protocol {
  return connectionProtocolOf(r, a, b).protocol;
}

/** Every connection of the resource (each pair of nodes once), in node order. */
export function effectiveConnections(r: ResourceConfig): EffectiveConnection[] {
  const out: EffectiveConnection[] = [];
  for (let i = 0; i < r.nodes.length; i++) {
    for (let j = i + 1; j < r.nodes.length; j++) {
      const nodes: [string, string] = [r.nodes[i].name, r.nodes[j].name];
      out.push({ nodes, ...connectionProtocolOf(r, ...nodes) });
    }
  }
  return out;
}
