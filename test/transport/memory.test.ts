// The in-memory transport on a manual clock: links form, messages keep their order per stream,
// and the faults (delay, drop, cut/heal) and back-pressure behave as a simulation needs.
import t from 'tap';
import { ManualClock } from '../../src/transport/clock.js';
import { MemoryNetwork } from '../../src/transport/memory.js';
import type { PeerLink, StreamName } from '../../src/transport/transport.js';
import type { WireMessage } from '../../src/wire/messages.js';

const write = (seq: number, size = 4096): WireMessage => ({
  type: 'Write', volume: 0, seq, epoch: 1, offset: seq * size, flags: { fua: false, flush: false }, missing: 0, data: Buffer.alloc(size, seq & 0xff),
});

async function pair(options: ConstructorParameters<typeof MemoryNetwork>[1] = {}) {
  const clock = new ManualClock();
  const net = new MemoryNetwork(clock, options);
  const a = net.transport(1, [2]);
  const b = net.transport(2, [1]);
  const links: { a: PeerLink[]; b: PeerLink[] } = { a: [], b: [] };
  a.on('link', (l) => links.a.push(l));
  b.on('link', (l) => links.b.push(l));
  await a.start();
  await b.start();
  clock.advance(10);
  const received: Array<{ msg: WireMessage; stream: StreamName }> = [];
  const listen = (link: PeerLink) => link.on('message', (msg, stream) => received.push({ msg, stream }));
  b.on('link', listen);
  if (links.b[0]) listen(links.b[0]);
  return { clock, net, a, b, links, received };
}

t.test('a link forms and delivers in order, decoded from the wire encoding', async (t) => {
  const { clock, links, received } = await pair();
  t.equal(links.a.length, 1);
  t.equal(links.b.length, 1);
  t.equal(links.a[0].stats().connectionId, links.b[0].stats().connectionId);
  const data = Buffer.alloc(512, 7);
  links.a[0].sendData({ ...write(1), data } as WireMessage);
  data.fill(9); // the sender reuses its buffer: what was sent is what arrives
  for (let seq = 2; seq <= 5; seq++) links.a[0].sendData(write(seq));
  links.a[0].sendControl({ type: 'WriteAck', volume: 0, seq: 99 });
  t.equal(received.length, 0, 'nothing arrives before the clock moves');
  clock.advance(0);
  t.same(received.map((r) => (r.msg as { seq: number }).seq), [1, 2, 3, 4, 5, 99]);
  t.equal((received[0].msg as { data: Buffer }).data[0], 7);
  t.equal(received[5].stream, 'control');
});

t.test('delay holds messages for the simulated time; a ping measures it', async (t) => {
  const { clock, net, links, received } = await pair();
  net.delay(1, 2, 5);
  net.delay(2, 1, 5);
  links.a[0].sendData(write(1));
  clock.advance(4);
  t.equal(received.length, 0);
  clock.advance(1);
  t.equal(received.length, 1);
  const rtt = links.a[0].ping();
  clock.advance(10);
  t.equal(await rtt, 10);
});

t.test('drop loses exactly the matching messages', async (t) => {
  const { clock, net, links, received } = await pair();
  net.drop(1, 2, (msg) => msg.type === 'Write' && msg.seq % 2 === 0);
  for (let seq = 1; seq <= 6; seq++) links.a[0].sendData(write(seq));
  clock.advance(1);
  t.same(received.map((r) => (r.msg as { seq: number }).seq), [1, 3, 5]);
});

t.test('cut closes both ends; heal reconnects', async (t) => {
  const { clock, net, a, links } = await pair();
  const reasons: string[] = [];
  links.a[0].on('close', (r) => reasons.push(`a:${r}`));
  links.b[0].on('close', (r) => reasons.push(`b:${r}`));
  net.cut(1, 2);
  t.same(reasons.sort(), ['a:network cut', 'b:network cut']);
  t.notOk(links.a[0].sendData(write(1)), 'a closed link takes nothing');
  clock.advance(100);
  t.equal(a.link(2), null, 'no link while cut');
  net.heal(1, 2);
  clock.advance(10);
  t.equal(links.a.length, 2, 'a new link after heal');
  t.equal(links.b.length, 2);
  t.notOk(links.a[1].closed);
});

t.test('back-pressure: a paused receiver fills the bound, sendData says false, drain follows', async (t) => {
  const { clock, links, received } = await pair({ queuedBytesMax: 64 * 1024 });
  links.b[0].pauseData();
  let sent = 0;
  while (links.a[0].sendData(write(sent + 1))) sent++;
  sent++;
  t.equal(sent, 16, '16 writes of 4 KiB reach the 64 KiB bound');
  clock.advance(1);
  t.equal(received.length, 0, 'paused: nothing delivered');
  let drained = false;
  links.a[0].on('drain', () => { drained = true; });
  const rtt = links.a[0].ping();
  clock.advance(0);
  t.equal(await rtt, 0, 'control traffic is not held behind paused data');
  links.b[0].resumeData();
  t.ok(drained);
  t.same(received.map((r) => (r.msg as { seq: number }).seq), Array.from({ length: 16 }, (_, i) => i + 1));
});

t.test('disconnect keeps a node StandAlone until connect', async (t) => {
  const { clock, a, b, links } = await pair();
  a.disconnect(2, 'admin');
  clock.advance(10);
  t.ok(links.b[0].closed);
  t.equal(b.link(1), null);
  a.connect(2);
  clock.advance(10);
  t.ok(b.link(1));
  t.throws(() => a.connect(3), { code: 'TANDEM_E_NOT_FOUND' });
});
