// The per-socket handshake: versioned Hello, the security negotiation, TLS when agreed, then
// mutual HMAC challenge-response with the resource secret. It runs on each of the two sockets of
// a connection attempt; only when both have passed does the transport form a link, so no data
// message is ever delivered unauthenticated.
//
//   dialer                                      acceptor
//   Hello(versions, ids, role, nonce)   ───▶
//   Security(mode, tls auth, alg, protocol, key ids) ─▶  checks resource, ids, versions, security,
//                                               the connection's replication protocol, admission
//                                        ◀───   Hello, Security(…, the key id both hold)  (or Refuse)
//   ── transport-security = tls: TLS 1.3 from here on (dialer = client; PSK or certificates) ──
//   AuthChallenge(Cd)                   ───▶    ◀─── AuthChallenge(Ca)
//   AuthResponse(mac(Ca…))              ───▶    ◀─── AuthResponse(mac(Cd…))
//   AuthResult(ok | refused, reason)    ───▶    ◀─── AuthResult(ok | refused, reason)
//   ── frames after each side's AuthResult carry the agreed trailers (frame-seal.ts) ──
//
// mac(C) = HMAC-SHA256(secret, label ‖ C ‖ responder's own challenge ‖ responder id ‖
// challenger id ‖ socket role ‖ connection nonce ‖ resource ‖ transcript): bound to both nonces
// and to the direction, so a response can be neither replayed nor reflected back to its sender,
// and to the transcript (SHA-256 of the four clear Hello and Security frames), so nothing said
// in clear can have been changed on the way. The secret is the one both hold (key ids), which
// lets a node accept its previous secret while the secret is rotated one node at a time.
// Any step may instead receive Refuse (code, text): the attempt fails with the peer's reason.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { TandemError } from '../lib/errors.js';
import { encodeFrame } from '../wire/codec.js';
import { FrameOpener, FrameSealer } from '../wire/frame-seal.js';
import type { MessageOf, WireMessage } from '../wire/messages.js';
import { fitText, HANDSHAKE_MESSAGES, type CSUMS_ALGS, type REFUSE_CODES, type REPLICATION_PROTOCOLS, type SOCKET_ROLES } from '../wire/messages.js';
import { MAX_PAYLOAD_BYTES, negotiateVersion, type VersionRange } from '../wire/version.js';
import type { Clock } from './clock.js';
import type { FramedSocket } from './framed-socket.js';
import { frameMacKeys, tlsPsk, type PeerSecret } from './secrets.js';
import { certificateNames, nameMismatch, tlsClient, tlsServer, type LinkSecurity, type TlsAuth } from './security.js';

export type RefuseCode = (typeof REFUSE_CODES)[number];
export type SocketRole = (typeof SOCKET_ROLES)[number];
export type CsumsAlg = (typeof CSUMS_ALGS)[number];
export type ReplicationProtocol = (typeof REPLICATION_PROTOCOLS)[number];

const MAC_LABEL = Buffer.from('tandem-peer-auth-v2');

export interface LocalIdentity {
  resource: string;
  nodeId: number;
  /** the secrets this node accepts: the current one first, then the previous one during a rotation */
  secrets: PeerSecret[];
  versions: VersionRange;
  security: LinkSecurity;
  /** csums-alg: both ends of a link resync with the same digest (checked with the security settings) */
  csumsAlg: CsumsAlg;
  /** names a peer's certificate may carry (its node name, its address): certificate checks */
  peerNames(peerNodeId: number): string[];
  /** this node's replication protocol for its connection to a peer (both ends must agree) */
  replicationProtocol(peerNodeId: number): ReplicationProtocol;
}

export interface HandshakeResult {
  peerNodeId: number;
  role: SocketRole;
  connectionNonce: Buffer;
  protocolVersion: number;
}

/** A handshake that did not succeed: who refused, with which code, and why. */
export class HandshakeFailure extends TandemError {
  /** RefuseCode, or 'closed' when the connection broke before the handshake finished */
  constructor(readonly refuseCode: RefuseCode | 'closed', readonly by: 'local' | 'remote', reason: string, readonly peerNodeId: number | null) {
    super(refuseCode === 'auth' ? 'TANDEM_E_AUTH' : 'TANDEM_E_PROTOCOL',
      `${by === 'remote' ? 'refused by peer' : refuseCode === 'closed' || refuseCode === 'timeout' ? 'handshake failed' : 'refused peer'}: ${reason}`,
      { hint: hintFor(refuseCode), details: { refuseCode, by, peerNodeId } });
  }
}

function hintFor(code: RefuseCode | 'closed'): string {
  switch (code) {
    case 'auth': return "set the same 'secret' in [resource] on both nodes (during a rotation: the old one as 'previous-secret')";
    case 'security': return "set the same transport-security, data-integrity-alg and TLS authentication (tls-cert/tls-key/tls-ca, or none of them) on every node of the resource";
    case 'csums-alg': return 'set the same csums-alg on every node of the resource (tandem config explain <res> shows it), then tandem down and tandem up the resource where the file changed';
    case 'replication-protocol': return "give both nodes the same resource file: the connection's protocol is [connection.<a>.<b>] protocol, else [resource] protocol ('tandem config explain <res>' shows it per connection)";
    case 'version': return 'upgrade the older node so both speak a common protocol version';
    case 'resource': case 'node-id': return "check the [node.*] sections (ids and addresses) on both nodes";
    default: return 'the transport retries by itself';
  }
}

export interface DialParams {
  peerNodeId: number;
  role: SocketRole;
  connectionNonce: Buffer;
}

/** Admission of an incoming Hello by the transport (known peer, race rule); null admits. */
export type Admit = (hello: MessageOf<'Hello'>) => { code: RefuseCode; reason: string } | null;

type Security = MessageOf<'Security'>;

export async function dial(sock: FramedSocket, local: LocalIdentity, params: DialParams, clock: Clock, timeoutMs: number): Promise<HandshakeResult> {
  return withDeadline(sock, clock, timeoutMs, params.peerNodeId, async () => {
    const myHello = helloFor(local, params.peerNodeId, params.role, params.connectionNonce);
    const myOffer = securityOf(local, local.secrets.map((s) => s.id), params.peerNodeId);
    sock.send(myHello);
    sock.send(myOffer);
    const hello = await expect(sock, 'Hello', params.peerNodeId);
    const mismatch = checkReply(hello, local, params);
    if (mismatch) refuse(sock, mismatch.code, mismatch.reason, params.peerNodeId);
    const version = agreeVersion(sock, local, hello);
    const answer = await expect(sock, 'Security', params.peerNodeId);
    const problem = checkSecurity(local, answer, params.peerNodeId) ?? checkReplicationProtocol(local, answer, params.peerNodeId);
    if (problem) refuse(sock, problem.code, problem.reason, params.peerNodeId);
    const secret = local.secrets.find((s) => s.id.equals(answer.keyIds[0]));
    if (answer.keyIds.length !== 1 || !secret) refuse(sock, 'protocol', 'the peer chose a secret this node did not offer', params.peerNodeId);
    const transcript = transcriptOf(myHello, myOffer, hello, answer);
    if (local.security.mode === 'tls') await startTls(sock, local, secret, params.peerNodeId, true);
    await authenticate(sock, local, { ...params, secret, transcript, dialer: true });
    return { peerNodeId: params.peerNodeId, role: params.role, connectionNonce: params.connectionNonce, protocolVersion: version };
  });
}

export async function accept(sock: FramedSocket, local: LocalIdentity, admit: Admit, clock: Clock, timeoutMs: number): Promise<HandshakeResult> {
  let peerNodeId: number | null = null;
  return withDeadline(sock, clock, timeoutMs, () => peerNodeId, async () => {
    const hello = await expect(sock, 'Hello', null);
    const problem = checkHello(hello, local);
    if (problem) refuse(sock, problem.code, problem.reason, hello.senderNodeId);
    const version = agreeVersion(sock, local, hello);
    const offer = await expect(sock, 'Security', hello.senderNodeId);
    const mismatch = checkSecurity(local, offer, hello.senderNodeId) ?? checkReplicationProtocol(local, offer, hello.senderNodeId);
    if (mismatch) refuse(sock, mismatch.code, mismatch.reason, hello.senderNodeId);
    const secret = commonSecret(sock, local, offer, hello.senderNodeId);
    // Admission last: it may give up our own outgoing attempt, so only for a Hello we can accept.
    const verdict = admit(hello);
    if (verdict) refuse(sock, verdict.code, verdict.reason, hello.senderNodeId);
    peerNodeId = hello.senderNodeId;
    const myHello = helloFor(local, hello.senderNodeId, hello.socketRole, hello.connectionNonce);
    const myAnswer = securityOf(local, [secret.id], hello.senderNodeId);
    sock.send(myHello);
    sock.send(myAnswer);
    const transcript = transcriptOf(hello, offer, myHello, myAnswer);
    const params = { peerNodeId: hello.senderNodeId, role: hello.socketRole, connectionNonce: Buffer.from(hello.connectionNonce) };
    if (local.security.mode === 'tls') await startTls(sock, local, secret, hello.senderNodeId, false);
    await authenticate(sock, local, { ...params, secret, transcript, dialer: false });
    return { ...params, protocolVersion: version };
  });
}

function helloFor(local: LocalIdentity, peerNodeId: number, role: SocketRole, nonce: Buffer): MessageOf<'Hello'> {
  return {
    type: 'Hello', versionMin: local.versions.min, versionMax: local.versions.max, resource: local.resource,
    senderNodeId: local.nodeId, peerNodeId, socketRole: role, connectionNonce: nonce,
  };
}

function securityOf(local: LocalIdentity, keyIds: Buffer[], peerNodeId: number): Security {
  const { mode, dataIntegrity, certificates } = local.security;
  return { type: 'Security', mode, tlsAuth: certificates ? 'certificate' : 'psk', dataIntegrity, replicationProtocol: local.replicationProtocol(peerNodeId), keyIds, csumsAlg: local.csumsAlg };
}

/** What an acceptor checks in any Hello before admission. */
function checkHello(hello: MessageOf<'Hello'>, local: LocalIdentity): { code: RefuseCode; reason: string } | null {
  if (hello.resource !== local.resource) {
    return { code: 'resource', reason: `resource '${hello.resource}' is not configured here (this is '${local.resource}')` };
  }
  if (hello.peerNodeId !== local.nodeId) {
    return { code: 'node-id', reason: `node ${hello.senderNodeId} dialed node id ${hello.peerNodeId}, but this is node ${local.nodeId}` };
  }
  return null;
}

/** What a dialer checks in the acceptor's Hello. */
function checkReply(hello: MessageOf<'Hello'>, local: LocalIdentity, params: DialParams): { code: RefuseCode; reason: string } | null {
  const basic = checkHello(hello, local);
  if (basic) return basic;
  if (hello.senderNodeId !== params.peerNodeId) {
    return { code: 'node-id', reason: `expected node ${params.peerNodeId} at this address, node ${hello.senderNodeId} answered` };
  }
  if (hello.socketRole !== params.role || !hello.connectionNonce.equals(params.connectionNonce)) {
    return { code: 'protocol', reason: 'the peer answered for another socket or connection attempt' };
  }
  return null;
}

/** Both ends must protect the link (and compare resync blocks) the same way: a difference is refused, naming both settings. */
function checkSecurity(local: LocalIdentity, theirs: Security, peerNodeId: number): { code: RefuseCode; reason: string } | null {
  const mine = securityOf(local, [], peerNodeId);
  const differs = (what: string, a: string, b: string): { code: RefuseCode; reason: string } => ({
    code: 'security', reason: `${what} differs: node ${local.nodeId} uses ${a}, node ${peerNodeId} uses ${b}; both ends must agree`,
  });
  if (theirs.mode !== mine.mode) return differs('transport-security', mine.mode, theirs.mode);
  if (mine.mode === 'tls' && theirs.tlsAuth !== mine.tlsAuth) {
    const what = (auth: string): string => (auth === 'psk' ? 'a key derived from the secret (no tls-cert)' : 'certificates (tls-cert, tls-key, tls-ca)');
    return differs('TLS authentication', what(mine.tlsAuth), what(theirs.tlsAuth));
  }
  if (theirs.dataIntegrity !== mine.dataIntegrity) return differs('data-integrity-alg', mine.dataIntegrity, theirs.dataIntegrity);
  // a resync compares blocks by the source's digest: both ends must compute the same one
  if (theirs.csumsAlg !== mine.csumsAlg) return { ...differs('csums-alg', mine.csumsAlg, theirs.csumsAlg), code: 'csums-alg' };
  return null;
}

/**
 * Both ends of a connection must wait for the same thing (DRBD refuses differing net options
 * too): one end on A while the other believes C would leave each wrong about what a peer holds
 * after a failover.
 */
function checkReplicationProtocol(local: LocalIdentity, theirs: Security, peerNodeId: number): { code: RefuseCode; reason: string } | null {
  const mine = local.replicationProtocol(peerNodeId);
  if (theirs.replicationProtocol === mine) return null;
  return {
    code: 'replication-protocol',
    reason: `the replication protocol of the connection between node ${local.nodeId} and node ${peerNodeId} differs: node ${local.nodeId} uses ${mine}, node ${peerNodeId} uses ${theirs.replicationProtocol}; both ends must agree`,
  };
}

/** The first of the dialer's secrets (newest first) that this node holds too. */
function commonSecret(sock: FramedSocket, local: LocalIdentity, offer: Security, peerNodeId: number): PeerSecret {
  for (const id of offer.keyIds) {
    const secret = local.secrets.find((s) => s.id.equals(id));
    if (secret) return secret;
  }
  const ids = (list: Buffer[]): string => list.map((id) => id.toString('hex')).join(' and ');
  return refuse(sock, 'auth', `no secret in common: node ${peerNodeId} holds secret id ${ids(offer.keyIds)}, node ${local.nodeId} ` +
    `holds ${ids(local.secrets.map((s) => s.id))} (key ids, not the secrets)`, peerNodeId);
}

function transcriptOf(...messages: WireMessage[]): Buffer {
  const hash = createHash('sha256');
  for (const msg of messages) for (const buffer of encodeFrame(msg)) hash.update(buffer);
  return hash.digest();
}

function agreeVersion(sock: FramedSocket, local: LocalIdentity, hello: MessageOf<'Hello'>): number {
  const remote = { min: hello.versionMin, max: hello.versionMax };
  const version = negotiateVersion(local.versions, remote);
  if (version === null) {
    refuse(sock, 'version', `no common protocol version: this node speaks ${local.versions.min}..${local.versions.max}, ` +
      `node ${hello.senderNodeId} speaks ${remote.min}..${remote.max}`, hello.senderNodeId);
  }
  return version;
}

/** STARTTLS on this socket; a failed TLS handshake is refused as 'security' (or 'auth' for a PSK). */
async function startTls(sock: FramedSocket, local: LocalIdentity, secret: PeerSecret, peerNodeId: number, dialer: boolean): Promise<void> {
  const peerNames = local.peerNames(peerNodeId);
  const auth: TlsAuth = local.security.certificates ? { certificates: local.security.certificates, peerNames } : tlsPsk(secret, local.resource);
  let tls: TLSSocket;
  try {
    tls = await sock.startTls((tcp) => (dialer ? tlsClient(tcp, auth) : tlsServer(tcp, auth)));
  } catch (err) {
    const how = 'psk' in auth ? 'with the key derived from the secret' : 'with certificates';
    throw new HandshakeFailure('psk' in auth ? 'auth' : 'security', 'local', `TLS handshake ${how} with node ${peerNodeId} failed: ${(err as Error).message}`, peerNodeId);
  }
  if (!dialer && !('psk' in auth)) {
    // the client's certificate is verified against tls-ca by TLS; its name is ours to check
    const cert = tls.getPeerCertificate();
    if (!certificateNames(cert, peerNames)) {
      tls.destroy();
      throw new HandshakeFailure('security', 'local', `node ${peerNodeId}: ${nameMismatch(cert, peerNames).message}`, peerNodeId);
    }
  }
}

interface AuthParams extends DialParams {
  secret: PeerSecret;
  transcript: Buffer;
  dialer: boolean;
}

async function authenticate(sock: FramedSocket, local: LocalIdentity, p: AuthParams): Promise<void> {
  const challenge = randomBytes(32);
  sock.send({ type: 'AuthChallenge', nonce: challenge });
  const theirs = await expect(sock, 'AuthChallenge', p.peerNodeId);
  sock.send({ type: 'AuthResponse', mac: mac(local, p, theirs.nonce, challenge, local.nodeId, p.peerNodeId) });
  const response = await expect(sock, 'AuthResponse', p.peerNodeId);
  const expected = mac(local, p, challenge, theirs.nonce, p.peerNodeId, local.nodeId);
  if (!timingSafeEqual(expected, response.mac)) {
    sock.send({ type: 'AuthResult', ok: false, reason: `node ${local.nodeId} rejected the HMAC response: the shared secret differs` });
    throw new HandshakeFailure('auth', 'local', `node ${p.peerNodeId} failed authentication: its HMAC response does not match this node's secret`, p.peerNodeId);
  }
  // Verified: from here on this peer may send full-size frames.
  sock.raiseFrameLimit(MAX_PAYLOAD_BYTES);
  sock.send({ type: 'AuthResult', ok: true, reason: '' });
  const [dialerChallenge, acceptorChallenge] = p.dialer ? [challenge, theirs.nonce] : [theirs.nonce, challenge];
  const protection = protectionOf(local, p, dialerChallenge, acceptorChallenge);
  if (protection) sock.protectSending(new FrameSealer(protection.send));
  const result = await expect(sock, 'AuthResult', p.peerNodeId);
  if (!result.ok) throw new HandshakeFailure('auth', 'remote', result.reason, p.peerNodeId);
  if (protection) sock.protectReceiving(new FrameOpener(protection.receive));
}

/** The frame trailers both ends agreed on, per direction, or null when frames carry none. */
function protectionOf(local: LocalIdentity, p: AuthParams, dialerChallenge: Buffer, acceptorChallenge: Buffer) {
  const payloadChecksum = local.security.dataIntegrity === 'crc32c';
  const keys = local.security.mode === 'integrity' ? frameMacKeys(p.secret, p.transcript, dialerChallenge, acceptorChallenge, p.dialer) : null;
  if (!payloadChecksum && keys === null) return null;
  return {
    send: { payloadChecksum, macKey: keys?.send ?? null },
    receive: { payloadChecksum, macKey: keys?.receive ?? null },
  };
}

function mac(local: LocalIdentity, p: AuthParams, challenge: Buffer, responderChallenge: Buffer, responderId: number, challengerId: number): Buffer {
  const ids = Buffer.from([responderId, challengerId, p.role === 'data' ? 0 : 1]);
  return createHmac('sha256', p.secret.key)
    .update(MAC_LABEL).update(challenge).update(responderChallenge).update(ids)
    .update(p.connectionNonce).update(local.resource, 'utf8').update(p.transcript)
    .digest();
}

/** The next message, which must be `type` (a Refuse ends the handshake with the peer's reason). */
async function expect<N extends WireMessage['type']>(sock: FramedSocket, type: N, peerNodeId: number | null): Promise<Extract<WireMessage, { type: N }>> {
  const msg = await sock.next();
  if (msg.type === 'Refuse') throw new HandshakeFailure(msg.code, 'remote', msg.text, peerNodeId);
  if (msg.type === 'AuthResult' && !msg.ok) throw new HandshakeFailure('auth', 'remote', msg.reason, peerNodeId);
  if (msg.type !== type) {
    const what = HANDSHAKE_MESSAGES.has(msg.type) ? 'out of order' : 'before authentication';
    refuse(sock, 'protocol', `expected ${type}, got ${msg.type} ${what}`, peerNodeId);
  }
  return msg as Extract<WireMessage, { type: N }>;
}

function refuse(sock: FramedSocket, code: RefuseCode, reason: string, peerNodeId: number | null): never {
  sock.send({ type: 'Refuse', code, text: fitText(reason) });
  throw new HandshakeFailure(code, 'local', reason, peerNodeId);
}

async function withDeadline<T>(sock: FramedSocket, clock: Clock, timeoutMs: number, peer: number | null | (() => number | null), body: () => Promise<T>): Promise<T> {
  const peerNodeId = (): number | null => (typeof peer === 'function' ? peer() : peer);
  let timedOut = false;
  const timer = clock.setTimer(timeoutMs, () => {
    timedOut = true;
    sock.destroy(`handshake did not finish within ${timeoutMs} ms`);
  });
  try {
    return await body();
  } catch (err) {
    if (err instanceof HandshakeFailure) throw err;
    const reason = timedOut ? `handshake did not finish within ${timeoutMs} ms` : (err as Error).message;
    throw new HandshakeFailure(timedOut ? 'timeout' : 'closed', 'local', reason, peerNodeId());
  } finally {
    timer.cancel();
  }
}
