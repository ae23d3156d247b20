// The scheduler orders every event by (time, sequence), runs each event's microtasks to the end
// before the next event, drops a dead owner's events, and hashes the trace it runs.
import t from 'tap';
import { Owner, Scheduler, WORLD } from '../../../src/platform/sim/scheduler.js';

t.test('events run in time order, ties in the order they were queued', async (t) => {
  const s = new Scheduler();
  const ran: string[] = [];
  s.after(5, WORLD, 'e', 'b', () => ran.push('b@5'));
  s.after(1, WORLD, 'e', 'a', () => ran.push('a@1'));
  s.after(5, WORLD, 'e', 'c', () => ran.push('c@5'));
  s.after(0, WORLD, 'e', 'z', () => ran.push('z@0'));
  await s.run(10);
  t.same(ran, ['z@0', 'a@1', 'b@5', 'c@5']);
  t.equal(s.now(), 10, 'the clock ends at the bound');
  t.equal(s.events, 4);
});

t.test("an event's promise chain finishes before the next event starts", async (t) => {
  const s = new Scheduler();
  const ran: string[] = [];
  s.after(1, WORLD, 'e', 'first', () => {
    void (async () => {
      await null;
      await Promise.resolve();
      await new Promise<void>((r) => queueMicrotask(r));
      ran.push('first: end of its chain');
    })();
  });
  s.after(1, WORLD, 'e', 'second', () => ran.push('second'));
  await s.run(5);
  t.same(ran, ['first: end of its chain', 'second']);
});

t.test('a deferred call (delay 0) runs after the current event, before anything later', async (t) => {
  const s = new Scheduler();
  const ran: string[] = [];
  s.after(2, WORLD, 'e', 'later', () => ran.push('later'));
  s.after(1, WORLD, 'e', 'now', () => {
    s.after(0, WORLD, 'defer', '', () => ran.push('deferred'));
    ran.push('now');
  });
  await s.run(5);
  t.same(ran, ['now', 'deferred', 'later']);
});

t.test("a dead owner's events never run", async (t) => {
  const s = new Scheduler();
  const node = new Owner('n0#1');
  const ran: string[] = [];
  s.after(1, node, 'timer', '', () => ran.push('n0 timer'));
  s.after(2, WORLD, 'e', 'crash', () => { node.alive = false; });
  s.after(3, node, 'disk', '', () => ran.push('n0 disk completion'));
  const handle = s.after(4, WORLD, 'e', '', () => ran.push('cancelled'));
  handle.cancel();
  await s.run(10);
  t.same(ran, ['n0 timer']);
});

t.test('an exception in an event goes to the error handler and the run goes on', async (t) => {
  const s = new Scheduler();
  const errors: string[] = [];
  s.setErrorHandler((err, e) => errors.push(`${e.kind}: ${(err as Error).message}`));
  s.after(1, WORLD, 'boom', '', () => { throw new Error('bad'); });
  let after = false;
  s.after(2, WORLD, 'e', '', () => { after = true; });
  await s.run(5);
  t.same(errors, ['boom: bad']);
  t.ok(after);
});

t.test('the trace hash depends on what ran and when, and only on that', async (t) => {
  const play = async (delays: number[]): Promise<string> => {
    const s = new Scheduler();
    for (const d of delays) s.after(d, WORLD, 'e', `at ${d}`, () => undefined);
    await s.run(100);
    return s.trace.hash();
  };
  t.equal(await play([1, 2, 3]), await play([1, 2, 3]));
  t.not(await play([1, 2, 3]), await play([1, 2, 4]));
  t.match(await play([1]), /^[0-9a-f]{16}$/);
});
