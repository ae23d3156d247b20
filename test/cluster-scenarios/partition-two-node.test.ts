// 2 nodes, no STONITH, fencing = resource-only: the Secondary is cut off on both links (corosync
// and replication). With two_node quorum each side keeps quorum, so Pacemaker may promote the
// isolated node too: that is the known danger. What must never happen is two diverged Primaries
// going unnoticed: either only one side is ever Primary, or, when the partition heals, tandemd
// detects the split brain, reports it (events, log) and refuses to connect rather than silently
// syncing one side's acknowledged writes away.
import t from 'tap';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AckedWrites, BLOCK, EventLog } from './acked-writes.js';
import { promotedCluster, VOLUME_BYTES } from './failover-scenario.js';
import { TandemCluster } from './tandem-cluster.js';

const skip = userInfo().uid === 0 ? false : 'needs root: network namespaces, corosync and pacemaker';

t.test('2-node partition without STONITH: no unnoticed diverged Primaries', { skip }, async (t) => {
  const tc = await TandemCluster.start({ nodes: 2, fencing: 'resource-only' });
  t.teardown(() => tc.stop());
  t.teardown(() => { if (!t.passing()) t.comment(tc.diagnostics()); });
  const primary = await promotedCluster(tc);
  const other = tc.names.find((n) => n !== primary)!;
  const logs = Object.fromEntries(await Promise.all(tc.names.map(async (n) =>
    [n, await new EventLog(join(tc.c.node(n).dir, 'run/tandem', `${n}.ctl`)).open()] as const)));
  t.teardown(() => { for (const l of Object.values(logs)) l.stop(); });
  const writes = new AckedWrites(VOLUME_BYTES - BLOCK);
  t.equal((await writes.write(tc.socket(primary), { count: 50 })).error, null, 'writes before the partition');

  await tc.c.cutLink(other, 'cluster');
  await tc.c.cutLink(other, 'data');
  // both sides keep writing where they are Primary, for as long as Pacemaker lets them
  const primaries = new Set<string>();
  const until = Date.now() + 25_000;
  while (Date.now() < until) {
    for (const n of tc.names) if ((await tc.status(n))?.role === 'Primary') primaries.add(n);
    if (primaries.size === 2) break;
    await sleep(500);
  }
  t.comment(`Primary during the partition: ${[...primaries].join(', ')}`);
  const sideWrites = new Map<string, AckedWrites>();
  for (const n of primaries) {
    const w = n === primary ? writes : new AckedWrites(VOLUME_BYTES - BLOCK);
    const r = await w.write(tc.socket(n), { count: 40 });
    t.equal(r.error, null, `${n} acknowledged writes while partitioned`);
    sideWrites.set(n, w);
  }
  const fence = logs[primary].first((e) => e.kind === 'fencing' && e.exitCode !== undefined);
  t.ok(fence, `${primary} ran its fence-peer handler when it lost ${other} (${JSON.stringify(fence)})`);

  await tc.c.restoreLink(other, 'cluster');
  await tc.c.restoreLink(other, 'data');
  await tc.c.waitFor(async () => (await tc.c.onlineNodes(primary)).length === 2, 60_000, 'membership merged');
  if (primaries.size === 2) {
    await tc.c.waitFor(async () => Object.values(logs).some((l) => l.first(splitBrainNoticed)), 60_000, 'split brain reported');
    const noticed = Object.values(logs).flatMap((l) => l.events.filter(splitBrainNoticed));
    t.ok(noticed.length > 0, `split brain reported: ${JSON.stringify(noticed[0])}`);
    await sleep(3000);
    for (const n of tc.names) {
      const s = await tc.status(n);
      const peer = s?.connections[0];
      t.not(peer?.connectionState === 'Connected' && peer.volumes[0].replicationState !== 'Off' && peer.volumes[0].outOfSyncBytes === 0, true,
        `${n} did not silently resync over the other side (${peer?.connectionState}/${peer?.volumes[0].replicationState})`);
    }
    const logText = tc.names.map((n) => tc.daemonLog(n)).join('\n');
    t.match(logText, /split brain|both nodes are Primary/i, 'the daemon log says so');
    for (const [n, w] of sideWrites) {
      const role = (await tc.status(n))?.role;
      if (role === 'Primary') t.same(await w.lost(tc.socket(n), tc.dir), [], `${n} (still Primary) kept its acknowledged writes`);
      else t.same(w.lostInFile(tc.disk(n)), [], `${n} (demoted) still holds its acknowledged writes: nothing was synced over them`);
    }
  } else {
    t.same([...primaries], [primary], 'only the original Primary was ever Primary');
  }
  const promoted = await tc.c.promoted('tandem-r0-clone', primary);
  t.ok(promoted.length <= 1, `after the heal Pacemaker has at most one Promoted: ${promoted.join(', ')}`);
});

function splitBrainNoticed(e: { kind: string; [k: string]: unknown }): boolean {
  return e.kind === 'split-brain' || (e.kind === 'connection' && /split brain|both nodes are Primary/i.test(String(e.reason ?? '')));
}
