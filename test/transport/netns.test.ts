// The TCP transport between two network namespaces joined by a veth pair (two "hosts" on a
// private /24 that exists only inside them): link, data and acks across, then a cut link is
// detected by ping timeout on both sides and the link comes back when it is restored.
import t from 'tap';
import { execa } from 'execa';
import { randomInt } from 'node:crypto';
import { PeerProcess } from './peer.js';

const isRoot = process.getuid?.() === 0;

t.test('two namespaces: link, writes and acks, cut and heal', { skip: isRoot ? false : 'needs root to create network namespaces' }, async (t) => {
  const id = randomInt(0x1000, 0xffff).toString(16);
  const subnet = `10.${200 + randomInt(0, 56)}.${randomInt(0, 256)}`;
  const ns = { a: `twire${id}a`, b: `twire${id}b` };
  const ip = (...args: string[]) => execa('ip', args, { stdin: 'ignore' });
  t.teardown(async () => {
    await ip('netns', 'del', ns.a).catch(() => undefined);
    await ip('netns', 'del', ns.b).catch(() => undefined);
  });
  await ip('netns', 'add', ns.a);
  await ip('netns', 'add', ns.b);
  await ip('link', 'add', `tw${id}a`, 'netns', ns.a, 'type', 'veth', 'peer', 'name', `tw${id}b`, 'netns', ns.b);
  for (const [side, n] of [['a', 1], ['b', 2]] as const) {
    await ip('-n', ns[side], 'addr', 'add', `${subnet}.${n}/24`, 'dev', `tw${id}${side}`);
    await ip('-n', ns[side], 'link', 'set', `tw${id}${side}`, 'up');
    await ip('-n', ns[side], 'link', 'set', 'lo', 'up');
  }

  const common = { resource: 'r-ns', secret: 'ns-secret', pingIntervalMs: 200, pingTimeoutMs: 500, reconnectMinMs: 50, reconnectMaxMs: 300 };
  const a = new PeerProcess({ ...common, nodeId: 1, listen: `${subnet}.1:7789`, peers: [{ nodeId: 2, address: `${subnet}.2:7789` }] }, ['ip', 'netns', 'exec', ns.a]);
  const b = new PeerProcess({ ...common, nodeId: 2, listen: `${subnet}.2:7789`, peers: [{ nodeId: 1, address: `${subnet}.1:7789` }] }, ['ip', 'netns', 'exec', ns.b]);
  t.teardown(() => Promise.all([a.stop(), b.stop()]));

  const linkA = await a.wait('link in a', (e) => e.event === 'link');
  const linkB = await b.wait('link in b', (e) => e.event === 'link');
  t.equal(linkA.connectionId, linkB.connectionId, `one link across ${subnet}.0/24`);

  a.send('send-writes', { count: 64, size: 64 * 1024 });
  await b.wait('b received 64 writes', (e) => e.event === 'writes' && e.count === 64 && e.inOrder === true);
  await a.wait('a got 64 acks', () => a.events.filter((e) => e.event === 'message' && e.type === 'WriteAck' && e.stream === 'control').length === 64);
  t.pass('64 writes of 64 KiB crossed, in order, and 64 WriteAcks came back on the control socket');

  await ip('-n', ns.b, 'link', 'set', `tw${id}b`, 'down');
  const closeA = await a.wait('a sees the cut', (e) => e.event === 'close', 10_000);
  const closeB = await b.wait('b sees the cut', (e) => e.event === 'close', 10_000);
  t.match(closeA.reason, /ping timeout/, `a: ${closeA.reason}`);
  t.match(closeB.reason, /ping timeout|socket/, `b: ${closeB.reason}`);

  const before = a.of('link').length;
  await ip('-n', ns.b, 'link', 'set', `tw${id}b`, 'up');
  await a.wait('a relinks', () => a.of('link').length > before, 15_000);
  t.pass('the link is back after the interface came up');
});
