// What the TCP transport lets in, tested in one process with raw sockets as strangers: nothing
// but a proper Hello gets an answer, bad Hellos get a Refuse with the reason, and two nodes that
// dial each other in the same instant end up with exactly one link.
import t from 'tap';
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '../../src/lib/log.js';
import { keyId } from '../../src/transport/secrets.js';
import { TcpTransport, type TcpTransportOptions } from '../../src/transport/tcp.js';
import type { PeerLink } from '../../src/transport/transport.js';
import { encodeFrame, HEADER_BYTES } from '../../src/wire/codec.js';
import { FrameReader } from '../../src/wire/frame-reader.js';
import type { WireMessage } from '../../src/wire/messages.js';
import { MAX_PAYLOAD_BYTES } from '../../src/wire/version.js';

const quiet = createLogger({}, 'error');

async function node(t: Tap, nodeId: number, peers: TcpTransportOptions['peers'], extra: Partial<TcpTransportOptions> = {}): Promise<TcpTransport> {
  const transport = new TcpTransport({ resource: 'r-adm', secret: 'pw', nodeId, listen: '127.0.0.1:0', peers, logger: quiet, ...extra });
  t.teardown(() => transport.stop());
  await transport.start();
  return transport;
}
type Tap = Parameters<Parameters<typeof t.test>[1]>[0];

/** Connect a raw socket, send `bytes`, and collect what comes back until the server closes. */
async function stranger(port: number, bytes: Buffer[]): Promise<{ messages: WireMessage[]; closed: boolean }> {
  const socket: Socket = connect(port, '127.0.0.1');
  const reader = new FrameReader(MAX_PAYLOAD_BYTES);
  const messages: WireMessage[] = [];
  socket.on('data', (chunk) => messages.push(...reader.push(chunk)));
  for (const b of bytes) socket.write(b);
  const closed = await new Promise<boolean>((resolve) => {
    socket.on('close', () => resolve(true));
    socket.on('error', () => undefined);
    setTimeout(() => resolve(false), 3000).unref();
  });
  socket.destroy();
  return { messages, closed };
}

const hello = (over: Partial<Extract<WireMessage, { type: 'Hello' }>> = {}): Buffer[] => encodeFrame({
  type: 'Hello', versionMin: 3, versionMax: 3, resource: 'r-adm', senderNodeId: 2, peerNodeId: 1, socketRole: 'data',
  connectionNonce: Buffer.alloc(16, 3), ...over,
});
/** Security as a node of the default settings says it, holding the secret 'pw' (its key id is public). */
const security = (over: Partial<Extract<WireMessage, { type: 'Security' }>> = {}): Buffer[] => encodeFrame({
  type: 'Security', mode: 'tls', tlsAuth: 'psk', dataIntegrity: 'none', replicationProtocol: 'C', keyIds: [keyId(Buffer.from('pw'), 'r-adm')], csumsAlg: 'none', ...over,
});

t.test('strangers and bad Hellos are refused, nothing reaches a link', async (t) => {
  const server = await node(t, 1, [{ nodeId: 2, address: '127.0.0.1:9' }], { reconnectMinMs: 60_000, reconnectMaxMs: 60_000 });
  const port = server.address().port;
  let links = 0;
  server.on('link', () => { links++; });

  const early = await stranger(port, encodeFrame({ type: 'Write', volume: 0, seq: 1, epoch: 1, offset: 0, flags: { fua: false, flush: false }, missing: 0, data: Buffer.alloc(8192) }));
  t.ok(early.closed, 'a Write before the handshake: dropped');
  t.equal(early.messages.length, 0, 'an 8 KiB frame exceeds the pre-auth frame limit: dropped without reading it');

  const smallEarly = await stranger(port, encodeFrame({ type: 'WriteAck', volume: 0, seq: 1 }));
  t.ok(smallEarly.closed);
  t.match(smallEarly.messages, [{ type: 'Refuse', code: 'protocol', text: /expected Hello, got WriteAck before authentication/ }]);

  const huge = Buffer.alloc(HEADER_BYTES);
  huge.set(encodeFrame({ type: 'Ping', id: 1 })[0].subarray(0, HEADER_BYTES));
  huge.writeUInt32BE(0x7fff_ffff, 12);
  t.ok((await stranger(port, [huge])).closed, 'a corrupt header (bad CRC after the length changed): dropped');

  const wrongResource = await stranger(port, hello({ resource: 'other' }));
  t.match(wrongResource.messages, [{ type: 'Refuse', code: 'resource', text: /resource 'other' is not configured here/ }]);
  const oldVersion = await stranger(port, hello({ versionMin: 1, versionMax: 1 }));
  t.match(oldVersion.messages, [{ type: 'Refuse', code: 'version', text: /this node speaks 3\.\.3, node 2 speaks 1\.\.1/ }], 'a version-1 node (no transport security) is refused');
  const version2 = await stranger(port, hello({ versionMin: 2, versionMax: 2 }));
  t.match(version2.messages, [{ type: 'Refuse', code: 'version', text: /this node speaks 3\.\.3, node 2 speaks 2\.\.2/ }], 'a version-2 node (Security without csums-alg or the per-connection protocol) is refused before its Security is read');
  const unknownNode = await stranger(port, [...hello({ senderNodeId: 7 }), ...security()]);
  t.match(unknownNode.messages, [{ type: 'Refuse', code: 'node-id', text: /node 7 is not a peer/ }]);
  const wrongTarget = await stranger(port, hello({ peerNodeId: 5 }));
  t.match(wrongTarget.messages, [{ type: 'Refuse', code: 'node-id', text: /dialed node id 5, but this is node 1/ }]);

  const clear = await stranger(port, [...hello(), ...security({ mode: 'none' })]);
  t.match(clear.messages, [{ type: 'Refuse', code: 'security', text: 'transport-security differs: node 1 uses tls, node 2 uses none; both ends must agree' }]);
  const certificates = await stranger(port, [...hello(), ...security({ tlsAuth: 'certificate' })]);
  t.match(certificates.messages, [{ type: 'Refuse', code: 'security', text: /TLS authentication differs: node 1 uses a key derived from the secret \(no tls-cert\), node 2 uses certificates/ }]);
  const checksums = await stranger(port, [...hello(), ...security({ dataIntegrity: 'crc32c' })]);
  t.match(checksums.messages, [{ type: 'Refuse', code: 'security', text: 'data-integrity-alg differs: node 1 uses none, node 2 uses crc32c; both ends must agree' }]);
  const csums = await stranger(port, [...hello(), ...security({ csumsAlg: 'sha256' })]);
  t.match(csums.messages, [{ type: 'Refuse', code: 'csums-alg', text: 'csums-alg differs: node 1 uses none, node 2 uses sha256; both ends must agree' }]);
  const noSecret = await stranger(port, [...hello(), ...security({ keyIds: [Buffer.alloc(8, 1)] })]);
  t.match(noSecret.messages, [{ type: 'Refuse', code: 'auth', text: /no secret in common: node 2 holds secret id 0101010101010101, node 1 holds [0-9a-f]{16}/ }]);
  const twice = await Promise.all([stranger(port, [...hello({ connectionNonce: Buffer.alloc(16, 9) }), ...security()]), stranger(port, [...hello({ connectionNonce: Buffer.alloc(16, 9) }), ...security()])]);
  t.match(twice.flatMap((s) => s.messages).filter((m) => m.type === 'Refuse'), [{ code: 'protocol', text: /a second data socket for one connection attempt/ }]);
  t.equal(links, 0, 'no link was formed');
});

t.test('a stranger who replays a key id it saw still cannot answer the challenge (transport-security = none)', async (t) => {
  const server = await node(t, 1, [{ nodeId: 2, address: '127.0.0.1:9' }], { reconnectMinMs: 60_000, reconnectMaxMs: 60_000, security: { mode: 'none', dataIntegrity: 'none', certificates: null } });
  const replay = await stranger(server.address().port, [...hello(), ...security({ mode: 'none' }),
    ...encodeFrame({ type: 'AuthChallenge', nonce: Buffer.alloc(32) }), ...encodeFrame({ type: 'AuthResponse', mac: Buffer.alloc(32) })]);
  t.match(replay.messages.map((m) => m.type), ['Hello', 'Security', 'AuthChallenge', 'AuthResponse', 'AuthResult']);
  t.match(replay.messages[4], { type: 'AuthResult', ok: false, reason: /shared secret differs/ });
});

t.test('silent sockets are bounded and time out', async (t) => {
  const server = await node(t, 1, [{ nodeId: 2, address: '127.0.0.1:9' }], { handshakeTimeoutMs: 300, connectOnStart: false });
  const port = server.address().port;
  const openedAt = Date.now();
  const silent = Array.from({ length: 16 }, () => connect(port, '127.0.0.1').on('error', () => undefined));
  t.teardown(() => silent.forEach((s) => s.destroy()));
  await sleep(100);
  t.ok((await stranger(port, [])).closed, 'the 17th unidentified socket is closed at once');
  const closedAt = await Promise.all(silent.map((s) => new Promise<number>((resolve) => s.on('close', () => resolve(Date.now())))));
  const waitedMs = closedAt.map((at) => at - openedAt);
  t.ok(Math.min(...waitedMs) >= 250 && Math.max(...waitedMs) < 3000, `silent sockets closed at the 300 ms handshake deadline (${Math.min(...waitedMs)}..${Math.max(...waitedMs)} ms)`);
});

t.test('two nodes dialing each other in the same instant end with exactly one link', async (t) => {
  for (let round = 0; round < 5; round++) {
    const lines: string[] = [];
    const capture = createLogger({}, 'debug', (line) => lines.push(line));
    const b = await node(t, 2, [], { connectOnStart: false, logger: capture });
    const portB = b.address().port;
    const a = await node(t, 1, [{ nodeId: 2, address: `127.0.0.1:${portB}` }], { connectOnStart: false, logger: capture });
    await b.stop();
    // b again, now knowing a's port, on the same port as before
    const b2 = await node(t, 2, [{ nodeId: 1, address: `127.0.0.1:${a.address().port}` }], { connectOnStart: false, logger: capture, listen: `127.0.0.1:${portB}` });
    const linksA: PeerLink[] = [];
    const linksB: PeerLink[] = [];
    a.on('link', (l) => linksA.push(l));
    b2.on('link', (l) => linksB.push(l));
    a.connect(2);
    b2.connect(1);
    const deadline = Date.now() + 5000;
    while ((linksA.length === 0 || linksB.length === 0) && Date.now() < deadline) await sleep(10);
    await sleep(300);
    t.equal(linksA.length, 1, `round ${round}: one link on node 1`);
    t.equal(linksB.length, 1, `round ${round}: one link on node 2`);
    t.equal(linksA[0]?.stats().connectionId, linksB[0]?.stats().connectionId, `round ${round}: the same connection`);
    t.notOk(linksA[0]?.closed || linksB[0]?.closed, `round ${round}: and it stays up`);
    t.ok(lines.some((l) => /simultaneous connect/.test(l)), `round ${round}: the race happened and was resolved`);
    await a.stop();
    await b2.stop();
  }
});

t.test('a peer that comes back while its old link still looks alive replaces that link', async (t) => {
  const b = await node(t, 2, [], { connectOnStart: false });
  const a = await node(t, 1, [{ nodeId: 2, address: `127.0.0.1:${b.address().port}` }], { reconnectMinMs: 20 });
  const linksA: PeerLink[] = [];
  a.on('link', (l) => linksA.push(l));
  // b learns a's port only now; it is StandAlone, so a's own dialing is refused until b connects
  await b.stop();
  // (the first incarnation plays dead afterwards: it does not dial again within the test)
  const first = await node(t, 2, [{ nodeId: 1, address: `127.0.0.1:${a.address().port}` }], { reconnectMinMs: 60_000, reconnectMaxMs: 60_000 });
  for (let i = 0; i < 200 && linksA.length === 0; i++) await sleep(10);
  t.equal(linksA.length, 1, 'linked to the first incarnation of node 2');
  const oldClosed = new Promise<string>((resolve) => linksA[0].once('close', resolve));
  // A second incarnation of node 2 (as after a crash whose FIN never reached node 1) dials in.
  const second = await node(t, 2, [{ nodeId: 1, address: `127.0.0.1:${a.address().port}` }], {});
  t.equal(await oldClosed, 'replaced by a new connection from the peer');
  for (let i = 0; i < 200 && (linksA.length < 2 || !second.link(1)); i++) await sleep(10);
  await sleep(100);
  t.equal(linksA.length, 2, 'the new incarnation has the link');
  t.equal(linksA[1].stats().connectionId, second.link(1)?.stats().connectionId);
  t.equal(first.link(1)?.closed ?? true, true, 'the old incarnation lost its link');
});

t.test('IPv6: a link over [::1]', async (t) => {
  const probe = await new Promise<boolean>((resolve) => {
    const s = connect({ host: '::1', port: 9 }).on('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED')).on('connect', () => { s.destroy(); resolve(true); });
  });
  if (!probe) return t.skip('no IPv6 loopback here');
  const b = await node(t, 2, [], { listen: '[::1]:0', connectOnStart: false });
  const portB = b.address().port;
  const a = await node(t, 1, [{ nodeId: 2, address: `[::1]:${portB}` }], { listen: '[::1]:0', connectOnStart: false });
  await b.stop();
  const b2 = await node(t, 2, [{ nodeId: 1, address: `[::1]:${a.address().port}` }], { listen: `[::1]:${portB}` });
  a.connect(2);
  for (let i = 0; i < 300 && !(a.link(2) && b2.link(1)); i++) await sleep(10);
  t.equal(a.link(2)?.stats().connectionId, b2.link(1)?.stats().connectionId);
  t.ok(a.link(2), 'linked over IPv6');
});
