// FramedSocket over a real TCP connection on 127.0.0.1: frames sent in one tick are held corked
// and leave together when the tick ends, in order and intact; sendNow (liveness) does not wait
// for the tick; a frame sent just before end() or destroy() still arrives.
import t, { type Test } from 'tap';
import { once } from 'node:events';
import { createServer, connect, type Socket } from 'node:net';
import { FramedSocket } from '../../src/transport/framed-socket.js';
import type { WireMessage } from '../../src/wire/messages.js';
import { MAX_PAYLOAD_BYTES } from '../../src/wire/version.js';
import { SAMPLES } from '../wire/samples.js';

async function socketPair(t: Test): Promise<[Socket, Socket]> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  const accepted = once(server, 'connection');
  const client = connect(port, '127.0.0.1');
  await once(client, 'connect');
  const [peer] = (await accepted) as [Socket];
  t.teardown(() => { client.destroy(); peer.destroy(); server.close(); });
  return [client, peer];
}

function collect(framed: FramedSocket, count: number): Promise<WireMessage[]> {
  const got: WireMessage[] = [];
  return new Promise((resolve) => framed.attach((msg) => { got.push(msg); if (got.length === count) resolve(got); }));
}

const nextTick = (): Promise<void> => new Promise((resolve) => process.nextTick(resolve));

t.test('frames of one tick are corked until the tick ends, then arrive in order', async (t) => {
  const [a, b] = await socketPair(t);
  const sender = new FramedSocket(a, MAX_PAYLOAD_BYTES);
  const receiver = new FramedSocket(b, MAX_PAYLOAD_BYTES);
  const count = 64;
  const arrived = collect(receiver, 2 * count);
  const sent: WireMessage[] = [];
  for (let seq = 0; seq < count; seq++) {
    const data = Buffer.alloc(4096, seq);
    sent.push({ ...SAMPLES.Write, seq, offset: seq * 4096, data });
    sent.push({ type: 'WriteAck', volume: 0, seq });
  }
  for (const msg of sent) sender.send(msg);
  t.equal(a.writableCorked, 1, 'one cork for the whole tick');
  t.ok(a.writableLength >= count * 4096, 'nothing was handed to the kernel yet');
  await nextTick();
  t.equal(a.writableCorked, 0, 'uncorked when the tick ended');
  t.same(await arrived, sent, 'every frame arrived, in order, with its data');
  t.equal(sender.stats().framesSent, 2 * count);
});

t.test('sendNow hands what the tick queued, then its own frame, to the kernel at once', async (t) => {
  const [a, b] = await socketPair(t);
  const sender = new FramedSocket(a, MAX_PAYLOAD_BYTES);
  const receiver = new FramedSocket(b, MAX_PAYLOAD_BYTES);
  const arrived = collect(receiver, 3);
  const sent: WireMessage[] = [{ type: 'WriteAck', volume: 0, seq: 1 }, { type: 'Ping', id: 9 }, { type: 'WriteAck', volume: 0, seq: 2 }];
  sender.send(sent[0]);
  t.equal(a.writableCorked, 1);
  sender.sendNow(sent[1]);
  t.equal(a.writableCorked, 0, 'uncorked by sendNow');
  t.equal(a.writableLength, 0, 'both frames went to the kernel');
  sender.send(sent[2]);
  t.equal(a.writableCorked, 1, 'a later send in the same tick corks again');
  await nextTick();
  t.equal(a.writableCorked, 0, 'and is uncorked when the tick ends');
  t.same(await arrived, sent, 'in the order they were sent');
});

t.test('a frame sent just before end() still arrives', async (t) => {
  const [a, b] = await socketPair(t);
  const sender = new FramedSocket(a, MAX_PAYLOAD_BYTES);
  const receiver = new FramedSocket(b, MAX_PAYLOAD_BYTES);
  const arrived = collect(receiver, 1);
  sender.send({ type: 'Disconnect', reason: 'bye' });
  sender.end('closing');
  t.same(await arrived, [{ type: 'Disconnect', reason: 'bye' }]);
});

t.test('a frame sent just before destroy() still arrives (a refusal before the close)', async (t) => {
  const [a, b] = await socketPair(t);
  const sender = new FramedSocket(a, MAX_PAYLOAD_BYTES);
  const receiver = new FramedSocket(b, MAX_PAYLOAD_BYTES);
  const arrived = collect(receiver, 1);
  sender.send({ type: 'Disconnect', reason: 'split brain' });
  sender.destroy('refused');
  t.same(await arrived, [{ type: 'Disconnect', reason: 'split brain' }]);
});
