// 3 nodes, real Pacemaker and real tandemd on each: one Promoted, data written through its NBD
// export; the Promoted node is killed mid-stream and Pacemaker promotes a survivor, whose export
// returns every acknowledged write (checksums, read back with nbdcopy).
import t from 'tap';
import { userInfo } from 'node:os';
import { killPrimaryDuringWrites, promotedCluster } from './failover-scenario.js';
import { TandemCluster } from './tandem-cluster.js';

const skip = userInfo().uid === 0 ? false : 'needs root: network namespaces, corosync and pacemaker';

t.test('the Promoted node dies: a survivor is promoted and no acknowledged write is lost', { skip }, async (t) => {
  const tc = await TandemCluster.start({ nodes: 3, fencing: 'resource-only' });
  t.teardown(() => tc.stop());
  t.teardown(() => { if (t.passing()) return; t.comment(tc.diagnostics()); });

  for (const n of tc.c.nodes) {
    const listening = await tc.c.exec(n.name, ['ss', '-ltnH']);
    t.match(listening.stdout, new RegExp(`${n.dataAddr.replaceAll('.', '\\.')}:7789\\b`), `${n.name}: tandemd listens on its data link (${n.dataAddr})`);
  }
  const primary = await promotedCluster(tc);
  const roles = Object.fromEntries(await Promise.all(tc.names.map(async (n) => [n, (await tc.status(n))?.role])));
  t.same(roles, Object.fromEntries(tc.names.map((n) => [n, n === primary ? 'Primary' : 'Secondary'])), 'exactly the Promoted node is Primary');
  t.same(await tc.c.promoted('tandem-r0-clone'), [primary], 'Pacemaker: one Promoted instance');

  const out = await killPrimaryDuringWrites(tc, primary);
  t.comment(`timeline (ms after kill): ${JSON.stringify(out.timeline)}`);
  t.ok(out.ackedBeforeKill >= 200, `${out.ackedBeforeKill} writes acknowledged before the kill`);
  t.ok(out.ackedTotal > out.ackedBeforeKill, `${out.ackedTotal - out.ackedBeforeKill} more acknowledged while the node was being killed`);
  t.ok(out.writerError, `the write stream to the dead node ended with an error (${out.writerError})`);
  t.not(out.timeline.promoted, primary, `${out.timeline.promoted} promoted, not the dead ${primary}`);
  t.same(out.lost, [], `all ${out.ackedTotal} acknowledged writes read back from ${out.timeline.promoted}`);
  t.equal(Object.values(out.rolesAfter).filter((r) => r === 'Primary').length, 1, `one Primary among the survivors: ${JSON.stringify(out.rolesAfter)}`);
  t.ok(out.timeline.firstWrite >= out.timeline.primary, 'writes are served only once the new node is Primary');
});
