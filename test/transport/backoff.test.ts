// Reconnect timing on a manual clock: a peer that refuses every connection is retried after
// 250, 500, 1000, … ms up to the cap, with the jitter source injected so the schedule is exact.
import t from 'tap';
import { createServer, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '../../src/lib/log.js';
import { ManualClock } from '../../src/transport/clock.js';
import { TcpTransport } from '../../src/transport/tcp.js';

t.test('exponential backoff, capped, jitter from the injected source', async (t) => {
  let connections = 0;
  const sockets: Socket[] = [];
  const peer = createServer((s) => { connections++; sockets.push(s); s.destroy(); });
  await new Promise<void>((resolve) => peer.listen(0, '127.0.0.1', () => resolve()));
  t.teardown(() => new Promise<void>((resolve) => peer.close(() => resolve())));
  const clock = new ManualClock();
  let jitter = 0.5; // the middle of the ±25 % band: delays are exactly the base
  const transport = new TcpTransport({
    resource: 'r-bo', secret: 'x', nodeId: 1, listen: '127.0.0.1:0',
    peers: [{ nodeId: 2, address: `127.0.0.1:${(peer.address() as { port: number }).port}` }],
    reconnectMinMs: 250, reconnectMaxMs: 2000, clock, random: () => jitter, logger: createLogger({}, 'error'),
  });
  t.teardown(() => transport.stop());
  await transport.start();

  const settle = async (expected: number): Promise<void> => {
    // settled: the attempt's sockets arrived and failed, and only the retry timer is armed
    for (let i = 0; i < 400 && !(connections >= expected && clock.pendingTimers === 1); i++) await sleep(5);
  };
  await settle(2);
  t.equal(connections, 2, 'first attempt at once: a data and a control socket');
  for (const [attempt, delayMs] of [[2, 250], [3, 500], [4, 1000], [5, 2000], [6, 2000]] as const) {
    clock.advance(delayMs - 1);
    await sleep(30);
    t.equal(connections, 2 * (attempt - 1), `attempt ${attempt} not before ${delayMs} ms`);
    if (attempt === 6) jitter = 0; // attempt 6 fails and schedules attempt 7 with the lowest jitter
    clock.advance(1);
    await settle(2 * attempt);
    t.equal(connections, 2 * attempt, `attempt ${attempt} after ${delayMs} ms`);
  }
  clock.advance(1499);
  await sleep(30);
  t.equal(connections, 12, 'with the lowest jitter: not before 75 % of the cap');
  clock.advance(1);
  await settle(14);
  t.equal(connections, 14, 'with the lowest jitter: at 75 % of the cap');
});
