// The TCP transport's settings for one node of a resource, taken from the effective
// configuration: its own [node.*] address to listen on, the other nodes as peers, the secret
// (and the previous one during a rotation), transport security, each connection's replication
// protocol (checked against the peer's at the handshake) and DRBD-style ping timings.
import { TandemError } from '../lib/errors.js';
import { connectionProtocol } from '../config/connections.js';
import type { HostPort, ResourceConfig } from '../config/model.js';
import type { TcpTransportOptions } from './tcp.js';

export function tcpTransportOptions(resource: ResourceConfig, localNode: string): TcpTransportOptions {
  const self = resource.nodes.find((n) => n.name === localNode);
  if (!self) {
    throw new TandemError('TANDEM_E_CONFIG', `node '${localNode}' has no [node.${localNode}] section in resource ${resource.name}`, {
      hint: `add [node.${localNode}] with id and address to ${resource.file}, or run as one of: ${resource.nodes.map((n) => n.name).join(', ')}`,
      details: { file: resource.file, resource: resource.name, node: localNode },
    });
  }
  return {
    resource: resource.name,
    nodeId: self.id,
    secret: resource.secret,
    ...(resource.previousSecret === '' ? {} : { previousSecret: resource.previousSecret }),
    security: {
      mode: resource.transportSecurity,
      dataIntegrity: resource.dataIntegrityAlg,
      certificates: resource.tlsCert && resource.tlsKey && resource.tlsCa ? { cert: resource.tlsCert, key: resource.tlsKey, ca: resource.tlsCa } : null,
    },
    csumsAlg: resource.csumsAlg,
    listen: formatHostPort(self.address),
    peers: resource.nodes.filter((n) => n !== self).map((n) => ({ nodeId: n.id, address: formatHostPort(n.address), name: n.name, protocol: connectionProtocol(resource, self.name, n.name) })),
    pingIntervalMs: resource.pingIntervalMs,
    pingTimeoutMs: resource.pingTimeoutMs,
  };
}

export function formatHostPort(address: HostPort): string {
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}
