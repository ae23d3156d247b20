// How two nodes agree on link security, end to end over TCP: settings that differ are refused on
// both sides with a reason naming both; the secret can be rotated one node at a time
// (previous-secret); TLS with certificates (openssl makes a CA and node certificates) links nodes
// whose certificates are signed by tls-ca and name them, and refuses anything else.
import t, { type Test } from 'tap';
import { execa } from 'execa';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../src/lib/log.js';
import type { SecuritySettings, TlsCertificateFiles } from '../../src/transport/security.js';
import { TcpTransport, type TcpTransportOptions } from '../../src/transport/tcp.js';
import type { PeerLink, Refusal } from '../../src/transport/transport.js';
import { freePort } from '../transport/peer.js';

const quiet = createLogger({}, 'error');
const TLS: SecuritySettings = { mode: 'tls', dataIntegrity: 'none', certificates: null };

interface Node {
  transport: TcpTransport;
  links: PeerLink[];
  refusals: Refusal[];
}

type Side = Partial<TcpTransportOptions> & { name?: string };

/** Nodes 1 (alpha) and 2 (bravo) on 127.0.0.1, each with its own settings. */
async function pair(t: Test, one: Side, two: Side): Promise<[Node, Node]> {
  const [p1, p2] = [await freePort(), await freePort()];
  const make = (nodeId: number, listen: number, peer: number, peerName: string, side: Side): Node => {
    const transport = new TcpTransport({
      resource: 'r-hs', secret: 'current-secret-1', security: TLS, reconnectMinMs: 50, reconnectMaxMs: 200, logger: quiet,
      nodeId, listen: `127.0.0.1:${listen}`, peers: [{ nodeId: 3 - nodeId, address: `127.0.0.1:${peer}`, name: peerName }], ...side,
    });
    const node: Node = { transport, links: [], refusals: [] };
    transport.on('link', (l) => node.links.push(l));
    transport.on('refused', (r) => node.refusals.push(r));
    t.teardown(() => transport.stop());
    return node;
  };
  const nodes: [Node, Node] = [make(1, p1, p2, 'bravo', one), make(2, p2, p1, 'alpha', two)];
  await Promise.all(nodes.map((n) => n.transport.start()));
  return nodes;
}

async function until(what: string, condition: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function linked(a: Node, b: Node): Promise<void> {
  const refusals = (): string => JSON.stringify([...a.refusals, ...b.refusals].slice(0, 4));
  await until('a link on both sides', () => a.links.some((l) => !l.closed) && b.links.some((l) => !l.closed)).catch((err: Error) => {
    throw new Error(`${err.message}; refusals: ${refusals()}`);
  });
}

/** Both sides refuse with `code`; returns every reason either side gave. */
async function refusedBoth(t: Test, a: Node, b: Node, code: string): Promise<string> {
  await until(`'${code}' refusals on both sides`, () => [a, b].every((n) => n.refusals.some((r) => r.code === code)));
  await new Promise((r) => setTimeout(r, 300));
  t.equal(a.links.length + b.links.length, 0, 'no link was formed');
  return [...a.refusals, ...b.refusals].map((r) => `${r.by}: ${r.reason}`).join('\n');
}

t.test('different transport-security is refused on both sides, naming both settings', async (t) => {
  const [a, b] = await pair(t, {}, { security: { ...TLS, mode: 'integrity' } });
  const reasons = await refusedBoth(t, a, b, 'security');
  t.match(reasons, /transport-security differs: node [12] uses (tls|integrity), node [12] uses (integrity|tls); both ends must agree/);
  t.ok(a.refusals.some((r) => r.by === 'remote') || b.refusals.some((r) => r.by === 'remote'), 'the dialer heard the reason from the acceptor');
});

t.test('different data-integrity-alg is refused the same way', async (t) => {
  const [a, b] = await pair(t, { security: { ...TLS, dataIntegrity: 'crc32c' } }, {});
  t.match(await refusedBoth(t, a, b, 'security'), /data-integrity-alg differs: node [12] uses (crc32c|none), node [12] uses (none|crc32c)/);
});

t.test('different csums-alg is refused on both sides with its own code, naming both digests', async (t) => {
  const [a, b] = await pair(t, { csumsAlg: 'sha256' }, {});
  t.match(await refusedBoth(t, a, b, 'csums-alg'), /csums-alg differs: node [12] uses (sha256|none), node [12] uses (none|sha256); both ends must agree/);
  const [c, d] = await pair(t, { csumsAlg: 'sha256' }, { csumsAlg: 'sha256' });
  await linked(c, d);
  t.pass('the same csums-alg on both ends links');
});

t.test('every mode links with itself, with and without payload checksums', async (t) => {
  for (const mode of ['tls', 'integrity', 'none'] as const) {
    for (const dataIntegrity of ['none', 'crc32c'] as const) {
      const security = { mode, dataIntegrity, certificates: null };
      const [a, b] = await pair(t, { security }, { security });
      await linked(a, b);
      const link = a.links.find((l) => !l.closed)!;
      t.ok((await link.ping()) < 2000, `${mode}, data-integrity-alg ${dataIntegrity}: linked, pings answered`);
      await a.transport.stop();
      await b.transport.stop();
    }
  }
});

t.test('rotating the secret one node at a time: old and new are both accepted during the window', async (t) => {
  // step 1: alpha has the new secret and keeps the old one as previous-secret; bravo still has the old one
  const [a1, b1] = await pair(t, { secret: 'new-secret-2', previousSecret: 'current-secret-1' }, {});
  await linked(a1, b1);
  t.pass('new+previous on alpha links with the old secret on bravo');
  await a1.transport.stop();
  await b1.transport.stop();
  // step 2: bravo moves too (new + previous); both hold the new one, which is chosen
  const [a2, b2] = await pair(t, { secret: 'new-secret-2', previousSecret: 'current-secret-1' }, { secret: 'new-secret-2', previousSecret: 'current-secret-1' });
  await linked(a2, b2);
  await a2.transport.stop();
  await b2.transport.stop();
  // step 3: previous-secret removed on alpha first, then on bravo: still linked at each step
  const [a3, b3] = await pair(t, { secret: 'new-secret-2' }, { secret: 'new-secret-2', previousSecret: 'current-secret-1' });
  await linked(a3, b3);
  await a3.transport.stop();
  await b3.transport.stop();
  t.pass('each step of the rotation keeps the nodes linked');
  // a node that skipped the rotation is refused with the key ids named
  const [a4, b4] = await pair(t, { secret: 'new-secret-2' }, {});
  t.match(await refusedBoth(t, a4, b4, 'auth'), /no secret in common: node [12] holds secret id [0-9a-f]{16}, node [12] holds [0-9a-f]{16} \(key ids, not the secrets\)/);
});

/** A CA and certificates made with openssl: alpha and bravo by the CA, mallory by another CA. */
async function certificates(t: Test): Promise<{ dir: string; files: (node: string, ca?: string) => TlsCertificateFiles }> {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-certs-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const ssl = (...args: string[]) => execa('openssl', args, { cwd: dir });
  for (const ca of ['ca', 'other-ca']) {
    await ssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${ca}.key`, '-out', `${ca}.crt`, '-days', '2', '-subj', `/CN=tandem test ${ca}`);
  }
  for (const [node, ca, name] of [['alpha', 'ca', 'alpha'], ['bravo', 'ca', 'bravo'], ['charlie', 'ca', 'charlie'], ['mallory', 'other-ca', 'bravo']]) {
    writeFileSync(join(dir, `${node}.ext`), `subjectAltName = DNS:${name}\n`);
    await ssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${node}.key`, '-out', `${node}.csr`, '-subj', `/CN=${name}`);
    await ssl('x509', '-req', '-in', `${node}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${node}.crt`, '-days', '2', '-extfile', `${node}.ext`);
  }
  return { dir, files: (node, ca = 'ca') => ({ cert: join(dir, `${node}.crt`), key: join(dir, `${node}.key`), ca: join(dir, `${ca}.crt`) }) };
}

t.test('TLS with certificates: signed by tls-ca and naming the node, or refused', async (t) => {
  const pki = await certificates(t);
  const withCert = (node: string): Side => ({ security: { ...TLS, certificates: pki.files(node) } });
  const [a, b] = await pair(t, withCert('alpha'), withCert('bravo'));
  await linked(a, b);
  t.ok((await a.links.find((l) => !l.closed)!.ping()) < 2000, 'alpha and bravo link with their certificates');
  await a.transport.stop();
  await b.transport.stop();

  const [c, m] = await pair(t, withCert('alpha'), withCert('mallory'));
  const foreign = await refusedBoth(t, c, m, 'security');
  t.match(foreign, /TLS handshake with certificates with node 2 failed: .*(unable to verify|unknown ca|self.signed|certificate)/i, 'a certificate from another CA is refused');

  const [d, e] = await pair(t, withCert('alpha'), withCert('charlie'));
  const misnamed = await refusedBoth(t, d, e, 'security');
  t.match(misnamed, /certificate \(CN=charlie, DNS:charlie\) names none of bravo, 127\.0\.0\.1/, 'a certificate of the CA that names another node is refused');

  const [f, g] = await pair(t, withCert('alpha'), {});
  t.match(await refusedBoth(t, f, g, 'security'), /TLS authentication differs: node [12] uses (certificates|a key derived)/, 'certificates on one node only');
});

t.test('unreadable certificate files stop the transport from starting, naming the file', async (t) => {
  const transport = new TcpTransport({
    resource: 'r-hs', secret: 's', nodeId: 1, listen: '127.0.0.1:0', peers: [], logger: quiet,
    security: { ...TLS, certificates: { cert: '/nonexistent/alpha.crt', key: '/nonexistent/alpha.key', ca: '/nonexistent/ca.crt' } },
  });
  await t.rejects(transport.start(), { code: 'TANDEM_E_CONFIG', message: /cannot read tls-(cert|key|ca) \/nonexistent\// });
});
