// The TCP transport between two processes on 127.0.0.1: this test process is node 1, a child
// process (fixtures/peer-process.ts) is node 2. Handshake and authentication, refusals, control
// traffic overtaking bulk data, ping timeout, reconnect after kill -9, simultaneous connect.
import t, { type Test } from 'tap';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '../../src/lib/log.js';
import type { ReplicationProtocol } from '../../src/transport/handshake.js';
import { TcpTransport, type TcpTransportOptions } from '../../src/transport/tcp.js';
import type { PeerLink, Refusal } from '../../src/transport/transport.js';
import type { WireMessage } from '../../src/wire/messages.js';
import { freePort, PeerProcess } from './peer.js';

const RESOURCE = 'r-wire';
const quiet = createLogger({}, 'error');

interface Pair {
  local: TcpTransport;
  child: PeerProcess;
  links: PeerLink[];
  refusals: Refusal[];
}

/** overrides.protocols: each end's replication protocol for the connection (default C) */
async function pair(t: Test, overrides: { local?: Partial<TcpTransportOptions>; child?: Partial<TcpTransportOptions>; protocols?: { local: ReplicationProtocol; child: ReplicationProtocol } } = {}): Promise<Pair & { spawnChild(): Promise<PeerProcess> }> {
  const [localPort, childPort] = [await freePort(), await freePort()];
  const base = { resource: RESOURCE, secret: 'shared-secret', reconnectMinMs: 50, reconnectMaxMs: 400 };
  const spawnChild = async (): Promise<PeerProcess> => {
    const child = new PeerProcess({
      ...base, nodeId: 2, listen: `127.0.0.1:${childPort}`, peers: [{ nodeId: 1, address: `127.0.0.1:${localPort}`, protocol: overrides.protocols?.child }], ...overrides.child,
    });
    t.teardown(() => child.stop());
    await child.wait('child listening', (e) => e.event === 'listening');
    return child;
  };
  const child = await spawnChild();
  const local = new TcpTransport({
    ...base, nodeId: 1, listen: `127.0.0.1:${localPort}`, peers: [{ nodeId: 2, address: `127.0.0.1:${childPort}`, protocol: overrides.protocols?.local }], logger: quiet, ...overrides.local,
  });
  t.teardown(() => local.stop());
  const links: PeerLink[] = [];
  const refusals: Refusal[] = [];
  local.on('link', (l) => links.push(l));
  local.on('refused', (r) => refusals.push(r));
  await local.start();
  return { local, child, links, refusals, spawnChild };
}

async function until(what: string, condition: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

const write = (seq: number, size: number): WireMessage => ({
  type: 'Write', volume: 0, seq, epoch: 1, offset: seq * size, flags: { fua: seq % 2 === 0, flush: false }, missing: 0, data: Buffer.alloc(size, seq & 0xff),
});

t.test('handshake and authentication, then data out and acks back on the control socket', async (t) => {
  const { child, links } = await pair(t);
  const remote = await child.wait('child link', (e) => e.event === 'link');
  await until('local link', () => links.length === 1);
  const link = links[0];
  t.equal(link.peerNodeId, 2);
  t.equal(link.protocolVersion, 3);
  t.equal(remote.connectionId, link.stats().connectionId, 'both ends use the same pair of sockets');
  const acks: number[] = [];
  link.on('message', (msg, stream) => {
    if (msg.type === 'WriteAck' && stream === 'control') acks.push(msg.seq);
  });
  for (let seq = 1; seq <= 32; seq++) link.sendData(write(seq, 4096));
  await until('32 acks', () => acks.length === 32);
  t.same(acks, Array.from({ length: 32 }, (_, i) => i + 1), 'acks in order, one per write');
  const report = await child.wait('child saw writes', (e) => e.event === 'writes' && e.count === 32);
  t.equal(report.inOrder, true);
  t.ok(await link.ping() < 1000, 'a ping is answered');
  t.equal(links.length, 1, 'exactly one link');
  link.close(`administrator: ${'a very long reason '.repeat(100)}`);
  const closed = await child.wait('child sees the disconnect', (e) => e.event === 'close');
  t.match(closed.reason, /^node 1 disconnected: administrator: a very long reason .*…$/, 'a long reason arrives, cut to fit');
});

t.test('a wrong secret is refused on both sides; no data message is delivered', async (t) => {
  const { child, links, refusals } = await pair(t, { child: { secret: 'another-secret' } });
  await until('local refusal', () => refusals.some((r) => r.code === 'auth'));
  await child.wait('child refusal', (e) => e.event === 'refused' && e.code === 'auth');
  await sleep(500);
  const local = refusals.find((r) => r.code === 'auth' && r.by === 'local');
  t.match(local?.reason, /no secret in common: node 2 holds secret id [0-9a-f]{16}, node 1 holds [0-9a-f]{16} \(key ids, not the secrets\)/);
  t.ok(child.of('refused').some((e) => e.code === 'auth' && e.by === 'local'), 'the child refused us too');
  t.match(child.stderr, /refused a connection.*"code":"auth"/, 'the child logged it');
  t.equal(links.length, 0, 'no link here');
  t.equal(child.of('link').length, 0, 'no link there');
  t.equal(child.of('message').length + child.of('writes').length, 0, 'no message delivered');
});

t.test('no common protocol version is refused with the versions named, on both sides', async (t) => {
  const { child, links, refusals } = await pair(t, { child: { versions: { min: 4, max: 5 } } });
  await until('local refusal', () => refusals.some((r) => r.code === 'version'));
  const childRefusal = await child.wait('child refusal', (e) => e.event === 'refused' && e.code === 'version');
  const all = [...refusals.map((r) => r.reason), String(childRefusal.reason)].join('\n');
  t.match(all, /this node speaks 3\.\.3, node 2 speaks 4\.\.5|this node speaks 4\.\.5, node 1 speaks 3\.\.3/);
  t.equal(links.length, 0);
  t.equal(child.of('link').length, 0);
});

t.test('a connection whose two ends state different replication protocols is refused on both sides (replication-protocol)', async (t) => {
  const { child, links, refusals } = await pair(t, { protocols: { local: 'C', child: 'A' } });
  await until('local refusal', () => refusals.some((r) => r.code === 'replication-protocol'));
  const childRefusal = await child.wait('child refusal', (e) => e.event === 'refused' && e.code === 'replication-protocol');
  const all = [...refusals.map((r) => r.reason), String(childRefusal.reason)].join('\n');
  // whichever end compares first words it (with csums-alg in Security the dialer may be the one): both protocols named
  t.match(all, /the replication protocol of the connection between node (1 and node 2 differs: node 1 uses C, node 2 uses A|2 and node 1 differs: node 2 uses A, node 1 uses C); both ends must agree/);
  await sleep(500);
  t.equal(links.length, 0, 'no link here');
  t.equal(child.of('link').length, 0, 'no link there');
});

t.test('the same protocol other than C at both ends connects', async (t) => {
  const { child, links } = await pair(t, { protocols: { local: 'A', child: 'A' } });
  await until('local link', () => links.length === 1);
  await child.wait('child link', (e) => e.event === 'link');
  t.equal(links[0].protocolVersion, 3);
});

t.test('acks and pings overtake megabytes of queued bulk data', async (t) => {
  const queuedBytesMax = 8 * 1024 * 1024;
  const { child, links } = await pair(t, { local: { queuedBytesMax } });
  await until('link', () => links.length === 1);
  await child.wait('child link', (e) => e.event === 'link');
  const link = links[0];
  child.send('pause-data');
  await child.wait('paused', (e) => e.event === 'done' && e.cmd === 'pause-data');
  let sent = 0;
  while (link.sendData(write(sent + 1, 1024 * 1024))) sent++;
  sent++;
  const queued = link.stats().data.queuedBytes;
  t.ok(queued >= queuedBytesMax, `sendData said false with ${queued} bytes queued after ${sent} MiB`);
  const rtts: number[] = [];
  for (let i = 0; i < 5; i++) rtts.push(await link.ping());
  t.ok(Math.max(...rtts) < 250, `pings answered in ${rtts.map((r) => r.toFixed(1)).join(', ')} ms behind ${sent} MiB of data`);
  t.ok(link.stats().data.queuedBytes > 0, 'the data is still queued while the pings come back');
  const drained = once(link, 'drain');
  child.send('resume-data');
  await drained;
  const allArrived = (e: { event: string; count?: unknown }): boolean => e.event === 'writes' && e.count === sent;
  await until('the child received every write', () => {
    child.send('report');
    return child.events.some(allArrived);
  });
  const report = await child.wait('all writes', allArrived);
  t.equal(report.inOrder, true, `all ${sent} writes arrived in order`);
});

t.test('a stopped peer (SIGSTOP) is declared dead by ping timeout; it comes back after SIGCONT', async (t) => {
  const { child, links } = await pair(t, { local: { pingIntervalMs: 100, pingTimeoutMs: 300 } });
  await until('link', () => links.length === 1);
  await child.wait('child link', (e) => e.event === 'link');
  const closed = once(links[0], 'close');
  const stoppedAt = Date.now();
  child.signal('SIGSTOP');
  const [reason] = await closed;
  const detectMs = Date.now() - stoppedAt;
  t.match(reason, /ping timeout: no PingAck from node 2 within 300 ms/);
  t.ok(detectMs < 2000, `detected after ${detectMs} ms`);
  child.signal('SIGCONT');
  await until('a new link', () => links.length === 2 && !links[1].closed);
  t.pass('reconnected after the peer resumed');
});

t.test('probes of a stopped peer: as many as asked, one ping in flight, the link closes by its deadline', async (t) => {
  // a long ping interval: only the probes ask (a state change probes every peer, maybe often)
  const { child, links } = await pair(t, { local: { pingIntervalMs: 60_000, pingTimeoutMs: 300 } });
  await until('link', () => links.length === 1);
  await child.wait('child link', (e) => e.event === 'link');
  const closed = once(links[0], 'close');
  child.signal('SIGSTOP');
  t.teardown(() => child.signal('SIGCONT'));
  const stoppedAt = Date.now();
  for (let i = 0; i < 200; i++) links[0].probe(); // more than the transport's bound on pings in flight
  const [reason] = await closed;
  t.match(reason, /ping timeout: no PingAck from node 2 within 300 ms/);
  t.ok(Date.now() - stoppedAt < 2000, 'closed within the ping timeout of the first probe');
});

t.test('reconnect after the peer is killed with SIGKILL and restarted', async (t) => {
  const { child, links, spawnChild } = await pair(t);
  await until('link', () => links.length === 1);
  const closed = once(links[0], 'close');
  child.signal('SIGKILL');
  const [reason] = await closed;
  t.match(reason, /socket|closed/, `link closed: ${reason}`);
  const again = await spawnChild();
  const remote = await again.wait('restarted child link', (e) => e.event === 'link');
  await until('a new local link', () => links.length === 2 && !links[1].closed);
  t.equal(links[1].stats().connectionId, remote.connectionId, 'the new link pairs with the restarted process');
});

t.test('both processes dial at once, repeatedly: each round ends with exactly one link', async (t) => {
  const { local, child, links } = await pair(t, { local: { connectOnStart: false }, child: { connectOnStart: false } });
  for (let round = 0; round < 4; round++) {
    const fromLocal = links.length;
    const fromChild = child.of('link').length;
    child.send('connect');
    local.connect(2);
    await until(`round ${round}: links on both sides`, () => links.length > fromLocal && child.of('link').length > fromChild);
    await sleep(300);
    const remote = child.of('link').slice(fromChild);
    t.equal(links.length - fromLocal, 1, `round ${round}: one link here`);
    t.equal(remote.length, 1, `round ${round}: one link in the child`);
    t.equal(remote[0].connectionId, links[fromLocal].stats().connectionId, `round ${round}: the same sockets`);
    t.notOk(links[fromLocal].closed, `round ${round}: still up`);
    local.disconnect(2, 'next round');
    child.send('disconnect');
    await child.wait('child StandAlone', (e) => e.event === 'done' && e.cmd === 'disconnect', 5000, child.events.length - 1);
    await until('link closed', () => links[fromLocal].closed);
  }
});

t.test('a stall of our own event loop is not mistaken for a dead peer', async (t) => {
  const { child, links } = await pair(t, { local: { pingIntervalMs: 50, pingTimeoutMs: 100 } });
  await until('link', () => links.length === 1);
  await child.wait('child link', (e) => e.event === 'link');
  for (let stall = 0; stall < 5; stall++) {
    await sleep(20);
    // Stall in the check phase, as after an I/O callback: the next loop turn runs timers first.
    const rtt = await new Promise<number>((resolve, reject) => setImmediate(() => {
      links[0].ping().then(resolve, reject);
      const end = Date.now() + 400;
      while (Date.now() < end) { /* busy: the ping's timeout falls due while its PingAck lands in the socket */ }
    }));
    // the stall is timed with Date.now (whole ms), the round trip with the link's clock: allow 1 ms
    t.ok(rtt >= 399, `ping ${stall} answered (${rtt.toFixed(1)} ms, our own stall included)`);
  }
  t.notOk(links[0].closed, 'the link survived five 400 ms stalls with a 100 ms ping timeout');
  t.equal(links.length, 1);
});
