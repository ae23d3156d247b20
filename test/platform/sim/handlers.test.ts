// The in-memory CIB and the fence handlers follow DRBD's fence-peer contract as
// src/cluster/fence-handler.ts implements it with cibadmin: exit codes, the constraint they place
// and lift, and what the cluster manager may promote meanwhile.
import t from 'tap';
import { SimCib, SimHandlerRunner } from '../../../src/platform/sim/handlers.js';
import { Random } from '../../../src/platform/sim/random.js';
import { Owner, Scheduler } from '../../../src/platform/sim/scheduler.js';

const env = (local: string, upToDate: string[], peer?: string): Record<string, string> => ({
  DRBD_RESOURCE: 'r0', TANDEM_RESOURCE: 'r0', TANDEM_NODE: local, DRBD_NODE_ID_0: 'n0', DRBD_NODE_ID_1: 'n1', DRBD_NODE_ID_2: 'n2',
  TANDEM_UP_TO_DATE_NODES: upToDate.join(','), ...(peer ? { DRBD_PEER_NODE_ID: peer.slice(1) } : {}),
});

function cib(): SimCib {
  const c = new SimCib('r0', ['n0', 'n1', 'n2'], ['n0', 'n1'], () => undefined);
  for (const n of ['n0', 'n1', 'n2']) c.members.set(n, { up: true, expectedDown: false });
  return c;
}

t.test('fence-peer places tandem-fence-<res> allowing only UpToDate nodes; the answer says what became of the peer', async (t) => {
  const c = cib();
  t.equal(c.fencePeer(env('n0', ['n0'], 'n1')).exitCode, 4, 'peer online: outdated');
  t.same(c.constraints.get('tandem-fence-r0')?.allowed, ['n0']);
  t.notOk(c.allows('n1'));
  t.ok(c.allows('n0'));
  c.members.set('n1', { up: false, expectedDown: true });
  t.equal(c.fencePeer(env('n0', ['n0'], 'n1')).exitCode, 7, 'peer gone as expected: fenced');
  c.members.set('n1', { up: false, expectedDown: false });
  t.equal(c.fencePeer(env('n0', ['n0'], 'n1')).exitCode, 5, 'peer gone unexpectedly: unreachable');
});

t.test('fence-peer without the resource\'s quorum here (TANDEM_QUORUM=no) steps aside: 8, its own constraint lifted, none placed', async (t) => {
  const c = cib();
  t.equal(c.fencePeer(env('n0', ['n0', 'n1'], 'n2')).exitCode, 4, 'with quorum: placed');
  t.same(c.constraints.get('tandem-fence-r0')?.allowed, ['n0', 'n1']);
  t.equal(c.fencePeer({ ...env('n0', ['n0'], 'n1'), TANDEM_QUORUM: 'no' }).exitCode, 8, 'the loss that takes quorum away');
  t.notOk(c.constraints.has('tandem-fence-r0'), 'the constraint that allowed this node is lifted: the majority decides');
  c.constraints.set('tandem-fence-r0', { resource: 'r0', allowed: ['n1'] });
  t.equal(c.fencePeer({ ...env('n0', ['n0'], 'n1'), TANDEM_QUORUM: 'no' }).exitCode, 8);
  t.same(c.constraints.get('tandem-fence-r0')?.allowed, ['n1'], 'a constraint of the majority (not allowing this node) stays');
});

t.test('fence-peer refuses for a node that is not UpToDate, without quorum, and against a Promoted rival', async (t) => {
  const c = cib();
  t.equal(c.fencePeer(env('n0', ['n1'], 'n1')).exitCode, 1);
  c.promoted = 'n1';
  t.equal(c.fencePeer(env('n0', ['n0'], 'n1')).exitCode, 6);
  c.promoted = null;
  c.members.set('n1', { up: false, expectedDown: true });
  c.members.set('n2', { up: false, expectedDown: true });
  t.equal(c.fencePeer(env('n0', ['n0'], 'n1')).exitCode, 1, 'one of three members is no quorum');
  t.equal(c.constraints.size, 0, 'nothing placed by a refusal');
});

t.test('unfence-peer lifts once every diskful node is UpToDate, and widens the constraint before that', async (t) => {
  const c = cib();
  t.equal(c.unfencePeer(env('n0', ['n0'])).exitCode, 0, 'nothing to lift');
  c.fencePeer(env('n0', ['n0'], 'n1'));
  t.equal(c.unfencePeer(env('n0', ['n0', 'n2'])).exitCode, 2, 'n1 not UpToDate yet');
  t.same(c.constraints.get('tandem-fence-r0')?.allowed, ['n0', 'n2']);
  t.equal(c.unfencePeer(env('n0', ['n0', 'n1'])).exitCode, 0);
  t.equal(c.constraints.size, 0);
  t.ok(c.allows('n1'));
});

t.test('the handler runner answers after a while; injected faults fail or time out', async (t) => {
  const c = cib();
  const s = new Scheduler();
  const runner = new SimHandlerRunner(c, s, new Owner('n0#1'), new Random(1));
  const answers: number[] = [];
  void runner.run('tandem-fence-peer', env('n0', ['n0'], 'n1'), 90_000).then((r) => answers.push(r.exitCode));
  t.same(answers, []);
  await s.run(1000);
  t.same(answers, [4]);
  t.same(await runner.fenceConstraints('r0'), ['tandem-fence-r0']);
  c.handlerFault = 'timeout';
  void runner.run('tandem-unfence-peer', env('n0', ['n0', 'n1']), 5000).then((r) => answers.push(r.exitCode));
  await s.run(s.now() + 4999);
  t.same(answers, [4], 'not before the timeout');
  await s.run(s.now() + 2);
  t.same(answers, [4, -1]);
  t.equal(c.constraints.size, 1, 'a handler that timed out changed nothing');
});
