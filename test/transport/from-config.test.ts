// Transport settings derived from a resource's effective configuration.
import t from 'tap';
import type { NodeConfig, ResourceConfig } from '../../src/config/model.js';
import { tcpTransportOptions } from '../../src/transport/from-config.js';
import { parseAddress } from '../../src/transport/tcp.js';

const node = (name: string, id: number, host: string, port: number): NodeConfig => ({ name, id, address: { host, port }, volumes: [] });

const resource = {
  name: 'r0', file: '/etc/tandem/r0.res', secret: 's3cret', previousSecret: '', pingIntervalMs: 10_000, pingTimeoutMs: 500,
  transportSecurity: 'tls', dataIntegrityAlg: 'none', csumsAlg: 'none', tlsCert: null, tlsKey: null, tlsCa: null,
  protocol: 'C', origins: {},
  nodes: [node('alpha', 0, '10.0.0.1', 7789), node('bravo', 1, 'fd00::2', 7790), node('charlie', 2, '10.0.0.3', 7791)],
  connections: [{ nodes: ['charlie', 'bravo'], protocol: 'A' }],
} as unknown as ResourceConfig;

t.test('listen on the own address, dial the others, each connection with its protocol', async (t) => {
  t.same(tcpTransportOptions(resource, 'bravo'), {
    resource: 'r0', nodeId: 1, secret: 's3cret', listen: '[fd00::2]:7790', pingIntervalMs: 10_000, pingTimeoutMs: 500,
    security: { mode: 'tls', dataIntegrity: 'none', certificates: null }, csumsAlg: 'none',
    peers: [{ nodeId: 0, address: '10.0.0.1:7789', name: 'alpha', protocol: 'C' }, { nodeId: 2, address: '10.0.0.3:7791', name: 'charlie', protocol: 'A' }],
  });
  t.same(tcpTransportOptions(resource, 'charlie').peers.map((p) => [p.name, p.protocol]), [['alpha', 'C'], ['bravo', 'A']], 'the same connection, seen from its other end');
  t.same(parseAddress('[fd00::2]:7790'), { host: 'fd00::2', port: 7790 }, 'IPv6 addresses round-trip');
});

t.test('transport security, certificates and the previous secret come from the resource', async (t) => {
  const rotating = { ...resource, previousSecret: 'old', transportSecurity: 'integrity', dataIntegrityAlg: 'crc32c', csumsAlg: 'sha256', tlsCert: '/c', tlsKey: '/k', tlsCa: '/ca' } as ResourceConfig;
  t.match(tcpTransportOptions(rotating, 'alpha'), {
    secret: 's3cret', previousSecret: 'old', csumsAlg: 'sha256',
    security: { mode: 'integrity', dataIntegrity: 'crc32c', certificates: { cert: '/c', key: '/k', ca: '/ca' } },
  });
});

t.test('a node that is not part of the resource is a configuration error', async (t) => {
  t.throws(() => tcpTransportOptions(resource, 'delta'), {
    code: 'TANDEM_E_CONFIG', message: /node 'delta' has no \[node\.delta\] section in resource r0/,
    hint: /alpha, bravo, charlie/,
  });
});

t.test('addresses that are not host:port are refused with the value named', async (t) => {
  for (const bad of ['10.0.0.1', '10.0.0.1:70000', ':7789', 'fd00::1:7789']) {
    t.throws(() => parseAddress(bad), { code: 'TANDEM_E_CONFIG', message: new RegExp(`invalid address '${bad.replace(/[.[\]]/g, '\\$&')}'`) }, bad);
  }
});
