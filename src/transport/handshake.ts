// The per-socket handshake: versioned Hello, then mutual HMAC challenge-response with the
// resource secret. It runs on each of the two sockets of a connection attempt; only when both
// have passed does the transport form a link, so no data message is ever delivered unauthenticated.
//
//   dialer                                     acceptor
//   Hello(versions, ids, role, nonce)  ───▶    checks resource, ids, versions, admission
//   AuthChallenge(Cd)                  ───▶    ◀─── Hello(versions, ids, role, nonce)  (or Refuse)
//                                              ◀─── AuthChallenge(Ca)
//   AuthResponse(mac(Ca…))             ───▶    ◀─── AuthResponse(mac(Cd…))
//   AuthResult(ok | refused, reason)   ───▶    ◀─── AuthResult(ok | refused, reason)
//
// mac(C) = HMAC-SHA256(secret, label ‖ C ‖ responder's own challenge ‖ responder id ‖
// challenger id ‖ socket role ‖ connection nonce ‖ resource): bound to both nonces and to the
// direction, so a response can be neither replayed nor reflected back to its sender.
// Any step may instead receive Refuse (code, text): the attempt fails with the peer's reason.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { TandemError } from '../lib/errors.js';
import type { MessageOf, WireMessage } from '../wire/messages.js';
import { fitText, HANDSHAKE_MESSAGES, type REFUSE_CODES, type SOCKET_ROLES } from '../wire/messages.js';
import { MAX_PAYLOAD_BYTES, negotiateVersion, type VersionRange } from '../wire/version.js';
import type { Clock } from './clock.js';
import type { FramedSocket } from './framed-socket.js';

export type RefuseCode = (typeof REFUSE_CODES)[number];
export type SocketRole = (typeof SOCKET_ROLES)[number];

const MAC_LABEL = Buffer.from('tandem-peer-auth-v1');

export interface LocalIdentity {
  resource: string;
  nodeId: number;
  secret: Buffer;
  versions: VersionRange;
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
    case 'auth': return "set the same 'secret' in [resource] on both nodes";
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

export async function dial(sock: FramedSocket, local: LocalIdentity, params: DialParams, clock: Clock, timeoutMs: number): Promise<HandshakeResult> {
  return withDeadline(sock, clock, timeoutMs, params.peerNodeId, async () => {
    sendHello(sock, local, params.peerNodeId, params.role, params.connectionNonce);
    const challenge = randomBytes(32);
    sock.send({ type: 'AuthChallenge', nonce: challenge });
    const hello = await expect(sock, 'Hello', params.peerNodeId);
    const mismatch = checkReply(hello, local, params);
    if (mismatch) refuse(sock, mismatch.code, mismatch.reason, params.peerNodeId);
    const version = agreeVersion(sock, local, hello);
    await authenticate(sock, local, { ...params, challenge });
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
    // Admission last: it may give up our own outgoing attempt, so only for a Hello we can accept.
    const verdict = admit(hello);
    if (verdict) refuse(sock, verdict.code, verdict.reason, hello.senderNodeId);
    peerNodeId = hello.senderNodeId;
    sendHello(sock, local, hello.senderNodeId, hello.socketRole, hello.connectionNonce);
    const challenge = randomBytes(32);
    sock.send({ type: 'AuthChallenge', nonce: challenge });
    const params = { peerNodeId: hello.senderNodeId, role: hello.socketRole, connectionNonce: Buffer.from(hello.connectionNonce) };
    await authenticate(sock, local, { ...params, challenge });
    return { ...params, protocolVersion: version };
  });
}

function sendHello(sock: FramedSocket, local: LocalIdentity, peerNodeId: number, role: SocketRole, nonce: Buffer): void {
  sock.send({
    type: 'Hello', versionMin: local.versions.min, versionMax: local.versions.max, resource: local.resource,
    senderNodeId: local.nodeId, peerNodeId, socketRole: role, connectionNonce: nonce,
  });
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

function agreeVersion(sock: FramedSocket, local: LocalIdentity, hello: MessageOf<'Hello'>): number {
  const remote = { min: hello.versionMin, max: hello.versionMax };
  const version = negotiateVersion(local.versions, remote);
  if (version === null) {
    refuse(sock, 'version', `no common protocol version: this node speaks ${local.versions.min}..${local.versions.max}, ` +
      `node ${hello.senderNodeId} speaks ${remote.min}..${remote.max}`, hello.senderNodeId);
  }
  return version;
}

interface AuthParams extends DialParams {
  challenge: Buffer;
}

async function authenticate(sock: FramedSocket, local: LocalIdentity, p: AuthParams): Promise<void> {
  const theirs = await expect(sock, 'AuthChallenge', p.peerNodeId);
  sock.send({ type: 'AuthResponse', mac: mac(local, theirs.nonce, p.challenge, local.nodeId, p.peerNodeId, p) });
  const response = await expect(sock, 'AuthResponse', p.peerNodeId);
  const expected = mac(local, p.challenge, theirs.nonce, p.peerNodeId, local.nodeId, p);
  if (!timingSafeEqual(expected, response.mac)) {
    sock.send({ type: 'AuthResult', ok: false, reason: `node ${local.nodeId} rejected the HMAC response: the shared secret differs` });
    throw new HandshakeFailure('auth', 'local', `node ${p.peerNodeId} failed authentication: its HMAC response does not match this node's secret`, p.peerNodeId);
  }
  // Verified: from here on this peer may send full-size frames.
  sock.raiseFrameLimit(MAX_PAYLOAD_BYTES);
  sock.send({ type: 'AuthResult', ok: true, reason: '' });
  const result = await expect(sock, 'AuthResult', p.peerNodeId);
  if (!result.ok) throw new HandshakeFailure('auth', 'remote', result.reason, p.peerNodeId);
}

function mac(local: LocalIdentity, challenge: Buffer, responderChallenge: Buffer, responderId: number, challengerId: number, p: DialParams): Buffer {
  const ids = Buffer.from([responderId, challengerId, p.role === 'data' ? 0 : 1]);
  return createHmac('sha256', local.secret)
    .update(MAC_LABEL).update(challenge).update(responderChallenge).update(ids)
    .update(p.connectionNonce).update(local.resource, 'utf8')
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
