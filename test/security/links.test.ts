// Peer links under attack: two TCP transports whose every connection passes a recording proxy.
// Under tls a capture holds no plaintext of what was written; under tls and integrity a proxy
// that flips, drops, replays or injects bytes makes the link drop, and the receiver is never
// handed a write it was not sent (each write's data is a function of its sequence number). The
// same attacks under none show the test can see tampering when nothing stops it, and that
// data-integrity-alg = crc32c alone catches a flipped bit.
import t, { type Test } from 'tap';
import { createLogger } from '../../src/lib/log.js';
import type { SecuritySettings } from '../../src/transport/security.js';
import { TcpTransport } from '../../src/transport/tcp.js';
import type { PeerLink } from '../../src/transport/transport.js';
import { encodeFrame, FRAME_FLAG } from '../../src/wire/codec.js';
import type { WireMessage } from '../../src/wire/messages.js';
import { freePort } from '../transport/peer.js';
import { RecordingProxy, type Tamper } from './proxy.js';

const quiet = createLogger({}, 'error');
const CANARY = Buffer.from('ZEBRA-CANARY-7f3a-');
const BLOCK = 4096;

/** The data of write `seq`: the canary repeated, the sequence number in the first 8 bytes. */
function dataOf(seq: number): Buffer {
  const data = Buffer.alloc(BLOCK);
  for (let i = 0; i < BLOCK; i += CANARY.length) CANARY.copy(data, i);
  data.writeDoubleBE(seq, 0);
  return data;
}

const write = (seq: number): WireMessage => ({ type: 'Write', volume: 0, seq, epoch: 1, offset: seq * BLOCK, flags: { fua: false, flush: false }, missing: 0, data: dataOf(seq) });

interface Setup {
  sender: TcpTransport;
  receiver: TcpTransport;
  proxies: RecordingProxy[];
  /** every link the receiver got, with what it was handed */
  received: Array<{ link: PeerLink; seqs: number[]; bad: string[]; closed: string | null }>;
  senderLinks: PeerLink[];
  acks: number;
}

/**
 * Two listen ports and the two proxies between them. A proxy listens on an ephemeral port, which
 * the kernel may hand out again right after freePort() released it: then the transport's listen
 * fails with EADDRINUSE (seen once in CI), so such a draw is thrown back.
 */
async function portsAndProxies(): Promise<{ p1: number; p2: number; proxies: RecordingProxy[]; to1: number; to2: number }> {
  for (;;) {
    const [p1, p2] = [await freePort(), await freePort()];
    const proxies = [new RecordingProxy(p2), new RecordingProxy(p1)];
    const [to2, to1] = [await proxies[0].start(), await proxies[1].start()];
    if (p1 !== p2 && ![to1, to2].some((p) => p === p1 || p === p2)) return { p1, p2, proxies, to1, to2 };
    for (const p of proxies) await p.stop();
  }
}

async function setup(t: Test, security: SecuritySettings, pingIntervalMs?: number): Promise<Setup> {
  const { p1, p2, proxies, to1, to2 } = await portsAndProxies();
  const common = { resource: 'r-sec', secret: 'a-long-shared-secret', security, reconnectMinMs: 50, reconnectMaxMs: 200, logger: quiet, pingIntervalMs };
  const sender = new TcpTransport({ ...common, nodeId: 1, listen: `127.0.0.1:${p1}`, peers: [{ nodeId: 2, address: `127.0.0.1:${to2}` }] });
  const receiver = new TcpTransport({ ...common, nodeId: 2, listen: `127.0.0.1:${p2}`, peers: [{ nodeId: 1, address: `127.0.0.1:${to1}` }] });
  const s: Setup = { sender, receiver, proxies, received: [], senderLinks: [], acks: 0 };
  receiver.on('link', (link) => {
    const entry = { link, seqs: [] as number[], bad: [] as string[], closed: null as string | null };
    s.received.push(entry);
    link.on('close', (reason) => { entry.closed = reason; });
    link.on('message', (msg) => {
      if (msg.type !== 'Write') return;
      entry.seqs.push(msg.seq);
      if (!msg.data.equals(dataOf(msg.seq))) entry.bad.push(`write ${msg.seq}: data differs from what was sent`);
      link.sendControl({ type: 'WriteAck', volume: 0, seq: msg.seq });
    });
  });
  sender.on('link', (link) => {
    s.senderLinks.push(link);
    link.on('close', (reason) => senderClosed.set(link, reason));
    link.on('message', (msg) => { if (msg.type === 'WriteAck') s.acks++; });
  });
  t.teardown(async () => {
    await sender.stop();
    await receiver.stop();
    for (const p of proxies) await p.stop();
  });
  await Promise.all([sender.start(), receiver.start()]);
  await until('first link', () => s.received.length === 1 && s.senderLinks.length === 1);
  return s;
}

async function until(what: string, condition: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

let nextSeq = 1;
const senderClosed = new WeakMap<PeerLink, string>();
/** Send `count` writes on the sender's current link and wait for their acks. */
async function writeAndAck(s: Setup, count: number): Promise<void> {
  const link = s.senderLinks[s.senderLinks.length - 1];
  const want = s.acks + count;
  for (let i = 0; i < count; i++) link.sendData(write(nextSeq++));
  await until(`${count} acks`, () => s.acks >= want);
}

const MODES: Array<[string, SecuritySettings]> = [
  ['tls', { mode: 'tls', dataIntegrity: 'none', certificates: null }],
  ['integrity', { mode: 'integrity', dataIntegrity: 'none', certificates: null }],
  ['none', { mode: 'none', dataIntegrity: 'none', certificates: null }],
];

t.test('a capture of the link holds the written data in clear only without tls', async (t) => {
  for (const [name, security] of MODES) {
    const s = await setup(t, security);
    await writeAndAck(s, 64);
    const capture = Buffer.concat(s.proxies.map((p) => p.capture()));
    const seen = capture.indexOf(CANARY) >= 0;
    t.ok(capture.length > 64 * BLOCK, `${name}: the capture holds the traffic (${capture.length} bytes)`);
    if (name === 'tls') t.notOk(seen, 'tls: no trace of the 64 canary blocks in the capture');
    else t.ok(seen, `${name}: the canary is readable in the capture (frames travel in clear)`);
    await s.sender.stop();
    await s.receiver.stop();
  }
});

/** A well-formed Write frame an attacker could build, with a random MAC when frames carry one. */
function forgedWrite(mode: string): Buffer {
  const forged: WireMessage = { ...write(999_999), data: Buffer.alloc(BLOCK, 0x66) } as WireMessage;
  if (mode === 'integrity') return Buffer.concat([...encodeFrame(forged, FRAME_FLAG.mac), Buffer.alloc(16, 0x5a)]);
  if (mode === 'none') return Buffer.concat(encodeFrame(forged));
  return Buffer.alloc(200, 0x17); // under TLS: bytes that look like a TLS record type
}

async function attack(t: Test, name: string, security: SecuritySettings, kind: Tamper): Promise<Setup> {
  const s = await setup(t, security);
  await writeAndAck(s, 16);
  for (const p of s.proxies) p.arm({ kind, afterBytes: 0, injected: forgedWrite(security.mode) });
  // the next big chunk is one of these writes: tampered on the way
  const link = s.senderLinks[0];
  for (let i = 0; i < 32; i++) link.sendData(write(nextSeq++));
  await until(`${name}/${kind}: the proxy tampered`, () => s.proxies.some((p) => p.tampered !== null));
  return s;
}

const ATTACKS: Tamper[] = ['flip', 'drop', 'replay', 'inject'];

for (const [name, security] of MODES.filter(([n]) => n !== 'none')) {
  t.test(`${name}: flipped, dropped, replayed or injected bytes drop the link; nothing false is delivered`, async (t) => {
    for (const kind of ATTACKS) {
      const s = await attack(t, name, security, kind);
      const what = s.proxies.map((p) => p.tampered).find((x) => x !== null);
      await until(`${kind}: the receiver's link drops`, () => s.received[0].closed !== null || s.senderLinks[0].closed);
      await until(`${kind}: a new link`, () => s.received.length >= 2 && s.senderLinks.length >= 2 && !s.senderLinks[s.senderLinks.length - 1].closed);
      await writeAndAck(s, 16);
      const first = s.received[0];
      t.same(s.received.flatMap((r) => r.bad), [], `${kind} (${what}): no write was delivered with other data than sent`);
      t.ok(first.seqs.every((seq, i) => i === 0 || seq === first.seqs[i - 1] + 1), `${kind}: what the first link delivered is in order, without repeats`);
      t.notOk(first.seqs.includes(999_999), `${kind}: no injected write was delivered`);
      t.match(first.closed, /^data socket: (socket error: .*(bad record mac|wrong version number)|protocol error: .*fails its MAC)/, `${kind}: the receiver saw it itself`);
      t.comment(`${name}/${kind}: ${what}; receiver's link closed: ${first.closed}; sender's: ${senderClosed.get(s.senderLinks[0])}`);
      await s.sender.stop();
      await s.receiver.stop();
    }
  });
}

t.test('bytes cut from the last frame before a pause: the data-socket keepalive completes it and its check fails', async (t) => {
  // One write, then silence (a Primary at QD1 waits for its ack): without keepalives on the data
  // socket the receiver would wait for the missing bytes forever while pings keep the link up.
  for (const [name, security] of MODES.filter(([n]) => n !== 'none')) {
    const s = await setup(t, security, 300);
    await writeAndAck(s, 4);
    for (const p of s.proxies) p.arm({ kind: 'drop', afterBytes: 0 });
    s.senderLinks[0].sendData({ ...write(nextSeq++), data: Buffer.concat([dataOf(nextSeq - 1), Buffer.alloc(60 * 1024)]) } as WireMessage);
    const started = Date.now();
    await until(`${name}: the receiver's link drops`, () => s.received[0].closed !== null, 5000);
    t.match(s.received[0].closed, /bad record mac|fails its MAC/, `${name}: dropped ${Date.now() - started} ms after the cut: ${s.received[0].closed?.slice(0, 120)}`);
    t.same(s.received.flatMap((r) => r.bad), [], `${name}: nothing false delivered`);
    await s.sender.stop();
    await s.receiver.stop();
  }
});

t.test('none: the same attacks reach the receiver (the test sees tampering when nothing stops it)', async (t) => {
  const flip = await attack(t, 'none', MODES[2][1], 'flip');
  await until('the flipped write arrives', () => flip.received.some((r) => r.bad.length > 0 || r.closed !== null));
  t.ok(flip.received[0].bad.length > 0, `a flipped bit changed the data the receiver was handed: ${flip.received[0].bad[0]}`);
  await flip.sender.stop();
  await flip.receiver.stop();
  const inject = await attack(t, 'none', MODES[2][1], 'inject');
  await until('the injected write arrives', () => inject.received[0].seqs.includes(999_999));
  t.pass('an injected Write was delivered as if the peer had sent it');
});

t.test('none with data-integrity-alg = crc32c: a flipped bit is caught and never delivered', async (t) => {
  const s = await attack(t, 'none+crc32c', { mode: 'none', dataIntegrity: 'crc32c', certificates: null }, 'flip');
  await until('the link drops', () => s.received[0].closed !== null);
  t.match(s.received[0].closed, /payload checksum mismatch|protocol error/, `closed: ${s.received[0].closed}`);
  t.same(s.received.flatMap((r) => r.bad), [], 'the bad write was not delivered');
  await until('a new link', () => s.received.length >= 2 && s.senderLinks.length >= 2 && !s.senderLinks[s.senderLinks.length - 1].closed);
  await writeAndAck(s, 8);
  t.pass('the link came back and carries writes');
});
