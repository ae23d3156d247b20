// The resource secret and everything derived from it. The secret itself never leaves this
// process: peers see only HMACs made with it, a key id, and TLS's proof of the derived PSK.
//
//   key id     HMAC-SHA256(secret, "tandem-key-id-v1" ‖ resource), first 8 bytes: names a secret
//              in Security without revealing it, so two nodes can find the secret they share while
//              one of them rotates (secret and previous-secret)
//   TLS PSK    HKDF-SHA256(secret, salt resource, info "tandem-tls-psk-v1"), 32 bytes, identity
//              "tandem/<resource>/<key id>"; TLS 1.3 mixes it with an ephemeral key exchange, so
//              every connection has its own keys
//   frame MACs HKDF-SHA256(secret, salt transcript ‖ both challenges, info direction), one key per
//              socket and direction (transport-security = integrity)
//
// A secret given as text is used as its UTF-8 bytes, as the HMAC handshake always did.
import { createHash, createHmac, createSecretKey, hkdfSync, type KeyObject } from 'node:crypto';
import { KEY_ID_BYTES } from '../wire/messages.js';

export interface PeerSecret {
  readonly key: Buffer;
  /** KEY_ID_BYTES naming this secret for this resource */
  readonly id: Buffer;
  /** 'secret' or 'previous-secret': for messages, never the value */
  readonly label: string;
}

/** The secrets a node holds: the current one first, then the previous one during a rotation. */
export function peerSecrets(resource: string, current: string, previous?: string): PeerSecret[] {
  const secrets = [{ text: current, label: 'secret' }];
  if (previous !== undefined && previous !== '' && previous !== current) secrets.push({ text: previous, label: 'previous-secret' });
  return secrets.map(({ text, label }) => {
    const key = Buffer.from(text, 'utf8');
    return { key, id: keyId(key, resource), label };
  });
}

export function keyId(key: Buffer, resource: string): Buffer {
  return createHmac('sha256', key).update('tandem-key-id-v1').update(resource, 'utf8').digest().subarray(0, KEY_ID_BYTES);
}

export function tlsPsk(secret: PeerSecret, resource: string): { psk: Buffer; identity: string } {
  const psk = Buffer.from(hkdfSync('sha256', secret.key, Buffer.from(resource, 'utf8'), 'tandem-tls-psk-v1', 32));
  return { psk, identity: `tandem/${resource}/${secret.id.toString('hex')}` };
}

/** The MAC keys of one socket (transport-security = integrity): one per direction. */
export function frameMacKeys(secret: PeerSecret, transcript: Buffer, dialerChallenge: Buffer, acceptorChallenge: Buffer, dialer: boolean): { send: KeyObject; receive: KeyObject } {
  const salt = createHash('sha256').update(transcript).update(dialerChallenge).update(acceptorChallenge).digest();
  const key = (direction: string): KeyObject => createSecretKey(Buffer.from(hkdfSync('sha256', secret.key, salt, `tandem-frame-mac-v1 ${direction}`, 32)));
  const toAcceptor = key('dialer to acceptor');
  const toDialer = key('acceptor to dialer');
  return dialer ? { send: toAcceptor, receive: toDialer } : { send: toDialer, receive: toAcceptor };
}
