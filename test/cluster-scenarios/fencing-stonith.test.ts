// fencing = resource-and-stonith on a 3-node cluster with (simulated) STONITH: the Primary's
// replication link is cut; its writes freeze until the fence-peer handler answers, then the same
// as resource-only (fencing-scenario.ts). Nobody is shot: every node stays a cluster member.
import t from 'tap';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { EventLog } from './acked-writes.js';
import { cutReplicationLinkOfPrimary } from './fencing-scenario.js';
import { TandemCluster } from './tandem-cluster.js';

const skip = userInfo().uid === 0 ? false : 'needs root: network namespaces, corosync and pacemaker';

t.test('resource-and-stonith: I/O frozen until the handler answers, constraint placed and lifted', { skip }, async (t) => {
  const tc = await TandemCluster.start({ nodes: 3, fencing: 'resource-and-stonith', stonith: true });
  t.teardown(() => tc.stop());
  t.teardown(() => { if (!t.passing()) t.comment(tc.diagnostics()); });
  const logs = await Promise.all(tc.names.map((n) => new EventLog(join(tc.c.node(n).dir, 'run/tandem', `${n}.ctl`)).open()));
  t.teardown(() => { for (const l of logs) l.stop(); });

  await cutReplicationLinkOfPrimary(t, tc);

  // the Primary lost two peers: one freeze per fence-peer handler; the two losses may overlap (one
  // resume) or not (a resume after each), but I/O never resumes while a handler is still running
  const primary = logs.find((l) => l.first((e) => e.kind === 'suspended'));
  const frozen = primary?.events.filter((e) => e.kind === 'suspended') ?? [];
  t.equal(frozen.filter((e) => e.suspended).length, 2, 'the Primary froze I/O for each lost peer');
  t.equal(frozen.at(-1)?.suspended, false, 'and resumed in the end');
  t.ok(frozen.every((e) => String(e.reason).startsWith('fencing')), 'frozen for fencing');
  const answers = primary?.events.filter((e) => e.kind === 'fencing' && e.exitCode !== undefined) ?? [];
  const answeredBefore = (at: number): number => answers.filter((a) => a.at <= at).length;
  const freezesBefore = (i: number): number => frozen.slice(0, i).filter((f) => f.suspended).length;
  t.ok(frozen.every((e, i) => e.suspended || answeredBefore(e.at) >= freezesBefore(i)),
    `writes resumed only after every running handler had answered (${frozen.map((e) => (e.suspended ? 'freeze' : 'resume')).join(', ')})`);
  const history = await tc.c.exec(tc.names[0], ['stonith_admin', '--history', '*']);
  t.notMatch(history.stdout, /reboot|off of/, 'no node was shot: the cluster link stayed up');
  t.same(await tc.c.onlineNodes(tc.names[0]), tc.names, 'every node still online');
});
