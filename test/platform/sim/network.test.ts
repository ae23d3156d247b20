// The simulated network: links form when both sides want them, every message crosses the real
// codec, order holds per stream and control overtakes data, back-pressure and receiver pause work,
// partitions stall traffic (delivered after a heal, or the link dies by ping timeout), a Disconnect
// closes the other side, and a crashed node's peers see their link close.
import t from 'tap';
import type { ResourceConfig } from '../../../src/config/model.js';
import type { PeerLinkPort } from '../../../src/engine/platform.js';
import { SimNetwork, type SimConnector } from '../../../src/platform/sim/network.js';
import { Random } from '../../../src/platform/sim/random.js';
import { Owner, Scheduler } from '../../../src/platform/sim/scheduler.js';
import type { WireMessage } from '../../../src/wire/messages.js';

const config = {
  name: 'r0',
  nodes: [0, 1, 2].map((id) => ({ name: `n${id}`, id, address: { host: 'x', port: 1 }, volumes: [] })),
} as unknown as ResourceConfig;

interface End { connector: SimConnector; links: PeerLinkPort[]; got: Array<{ from: number; msg: WireMessage }>; closed: string[] }

async function net(opts: { queuedBytesMax?: number } = {}) {
  const s = new Scheduler();
  const network = new SimNetwork(s, new Random(7), { queuedBytesMax: opts.queuedBytesMax ?? 1 << 20, connectMs: [1, 2], latencyMs: [0.1, 0.2] }, { pingIntervalMs: 1000, pingTimeoutMs: 500 });
  const ends: End[] = [];
  for (let id = 0; id < 2; id++) {
    const owner = new Owner(`n${id}#1`);
    const end: End = { connector: network.connector(config, `n${id}`, { connectOnStart: true }, owner), links: [], got: [], closed: [] };
    await end.connector.start((link) => {
      end.links.push(link);
      link.onMessage((msg) => end.got.push({ from: link.peerNodeId, msg }));
      link.onClose((reason) => end.closed.push(reason));
    });
    ends.push(end);
  }
  await s.run(10);
  return { s, network, a: ends[0], b: ends[1] };
}

const write = (seq: number, size = 4096): WireMessage => ({
  type: 'Write', volume: 0, seq, epoch: 0, offset: seq * size, flags: { fua: false, flush: false }, missing: 0, data: Buffer.alloc(size, seq & 0xff),
});

t.test('a link forms between two nodes that want it; messages arrive decoded, in order per stream', async (t) => {
  const { s, a, b } = await net();
  t.equal(a.links.length, 1);
  t.equal(b.links.length, 1);
  const data = Buffer.alloc(512, 1);
  a.links[0].sendData({ ...write(1), data } as WireMessage);
  data.fill(9); // the sender reuses its buffer
  for (let i = 2; i <= 5; i++) a.links[0].sendData(write(i));
  a.links[0].sendControl({ type: 'WriteAck', volume: 0, seq: 99 });
  await s.run(s.now() + 10);
  const types = b.got.map((g) => (g.msg.type === 'Write' ? `W${g.msg.seq}` : g.msg.type));
  t.same(types.filter((x) => /^W\d/.test(x)), ['W1', 'W2', 'W3', 'W4', 'W5']);
  t.ok(types.indexOf('WriteAck') < types.indexOf('W5'), 'control is not queued behind data');
  const first = b.got.find((g) => g.msg.type === 'Write')!.msg as Extract<WireMessage, { type: 'Write' }>;
  t.same(first.data, Buffer.alloc(512, 1), 'what was sent is what arrives');
});

t.test('back-pressure: sendData says false at the bound, drain comes once the receiver consumed', async (t) => {
  const { s, a, b } = await net({ queuedBytesMax: 64 * 1024 });
  let drained = 0;
  a.links[0].onDrain(() => drained++);
  b.links[0].pauseData();
  let accepted = 0;
  while (a.links[0].sendData(write(accepted + 1, 8192))) accepted++;
  await s.run(s.now() + 10);
  t.equal(b.got.length, 0, 'a paused receiver takes nothing');
  t.equal(drained, 0);
  b.links[0].resumeData();
  t.equal(b.got.length, accepted + 1, 'everything arrives in order once resumed');
  t.equal(drained, 1, 'and the sender may go on');
});

t.test('a partition stalls traffic; a short one delivers it after the heal, a long one ends the link', async (t) => {
  const { s, network, a, b } = await net();
  network.block(0, 1);
  a.links[0].sendData(write(1));
  await s.run(s.now() + 100);
  t.equal(b.got.length, 0, 'nothing crosses a partition');
  network.unblock(0, 1);
  await s.run(s.now() + 10);
  t.equal(b.got.length, 1, 'TCP retransmits after the heal');
  network.block(0, 1); // one way only: both ends still time out (pings or their answers are lost)
  await s.run(s.now() + 2000);
  t.match(a.closed, [/ping timeout/]);
  t.match(b.closed, [/ping timeout/]);
  await s.run(s.now() + 1000);
  t.equal(a.links.length, 1, 'no new link while one direction is blocked');
  network.unblock(0, 1);
  await s.run(s.now() + 10);
  t.equal(a.links.length, 2, 'the link forms again after the heal');
});

// TCP delivers a stream in order: a message already on its way when the partition heals arrives
// after those that stalled, though its own flight ends first (seed 30540: an older write landed
// over a newer one on the Secondary).
t.test('after a heal, what stalled arrives before what was on its way', async (t) => {
  const { s, network, a, b } = await net();
  network.setProfile(0, 1, { latencyMs: [50, 50], bytesPerMs: 1e6 });
  network.block(0, 1);
  a.links[0].sendData(write(1));
  await s.run(s.now() + 100);
  a.links[0].sendData(write(2)); // arrives 10 ms after the heal; W1 is released 50 ms after it
  await s.run(s.now() + 40);
  network.unblock(0, 1);
  await s.run(s.now() + 200);
  t.same(b.got.map((g) => (g.msg.type === 'Write' ? g.msg.seq : g.msg.type)), [1, 2], 'in the order sent');
});

t.test('closing says goodbye: the other side closes with the reason; disconnect stops redialing', async (t) => {
  const { s, a, b } = await net();
  a.links[0].close('refused: split brain');
  t.same(a.closed, ['refused: split brain'], 'the closing side sees its own close');
  await s.run(s.now() + 10);
  t.same(b.closed, ['node 0 disconnected: refused: split brain']);
  await s.run(s.now() + 10);
  t.equal(a.links.length, 2, 'both still want each other: the link forms again');
  a.connector.disconnect(1);
  await s.run(s.now() + 100);
  t.equal(a.links.length, 2, 'a disconnected peer is not dialed again');
  t.equal(b.closed.length, 2);
});

t.test("a crashed node's peer sees its link close: at once if killed, by ping timeout if powered off", async (t) => {
  for (const how of ['killed', 'power'] as const) {
    const { s, network, b } = await net();
    const t0 = s.now();
    network.nodeDied(0, how);
    await s.run(s.now() + 2000);
    t.equal(b.closed.length, 1, `${how}: closed`);
    t.match(b.closed[0], how === 'killed' ? /reset/ : /ping timeout/);
    t.ok(how === 'killed' ? s.now() - t0 >= 0 : true);
  }
});

t.test('a link whose other end is gone is not quiet until this end sees it close', async (t) => {
  const { s, network, b } = await net();
  t.ok(network.quiet(), 'an idle link is quiet');
  network.nodeDied(0, 'power');
  t.notOk(network.quiet(), 'the survivor has not noticed: what it sent may be lost, and it has settled nothing');
  await s.run(s.now() + 2000);
  t.match(b.closed, [/ping timeout/]);
  t.ok(network.quiet(), 'quiet once the survivor closed its end');
});

t.test('a reset closes both ends now', async (t) => {
  const { s, network, a, b } = await net();
  network.reset(0, 1);
  t.same(a.closed, ['connection reset']);
  t.same(b.closed, ['connection reset']);
  await s.run(s.now() + 10);
  t.equal(a.links.length, 2, 'and they reconnect');
});
