// Only the Primary's replication link (eth1) is cut; corosync (eth0) still sees every node. The
// Primary's tandemd runs its fence-peer handler, which forbids promotion everywhere else; the
// peers, now outdated, must not be promoted even when they publish a higher promotion score. When
// the link heals, the peers resync and the Primary's tandemd lifts the constraint by itself.
import type { Test } from 'tap';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { AckedWrites, BLOCK, EventLog } from './acked-writes.js';
import { promotedCluster, VOLUME_BYTES } from './failover-scenario.js';
import { CLONE, RES, TandemCluster, upToDate } from './tandem-cluster.js';

export async function cutReplicationLinkOfPrimary(t: Test, tc: TandemCluster): Promise<void> {
  const primary = await promotedCluster(tc);
  const peers = tc.names.filter((n) => n !== primary);
  const events = await new EventLog(join(tc.c.node(primary).dir, 'run/tandem', `${primary}.ctl`)).open();
  t.teardown(() => events.stop());
  const writes = new AckedWrites(VOLUME_BYTES - BLOCK);
  t.equal((await writes.write(tc.socket(primary), { count: 50 })).error, null, 'writes before the cut');

  await tc.c.cutLink(primary, 'data');
  const cutAt = Date.now();
  // these writes find the peers gone: acknowledged once the Primary has settled what to do
  const during = await writes.write(tc.socket(primary), { count: 100 });
  t.equal(during.error, null, `writes during the cut acknowledged (${during.ok}, first batch after ${Date.now() - cutAt} ms)`);

  // one fence-peer run per lost peer, one after the other
  const answered = (): typeof events.events => events.events.filter((e) => e.kind === 'fencing' && e.exitCode !== undefined);
  await tc.c.waitFor(async () => answered().length === peers.length, 60_000, 'a fence-peer answer for each peer');
  t.same(answered().map((e) => e.peer).sort(), peers, 'a fence-peer handler ran for each lost peer');
  t.ok(answered().every((e) => e.outcome === 'peer-outdated' && e.exitCode === 4), 'fence-peer handler: peers are cluster members, now outdated');
  t.same(await tc.fenceConstraints(peers[0]), [`tandem-fence-${RES}`], `constraint placed, visible from ${peers[0]}`);
  const cib = (await tc.c.exec(peers[0], ['cibadmin', '-Q', '-o', 'constraints'])).stdout;
  t.same([...cib.matchAll(/operation="ne" value="([^"]+)"/g)].map((m) => m[1]), [primary], `promotion allowed only on ${primary}`);
  const held = await tc.status(primary);
  t.same(held?.constraints, [`tandem-fence-${RES}`], "the Primary's status shows the constraint it holds");
  t.equal(held?.suspended, false, 'writes are not frozen once the handler answered');
  t.ok(held?.connections.every((c) => c.connectionState !== 'Connected' && c.volumes[0].outOfSyncBytes > 0), 'peers disconnected, with blocks to resync');

  // an outdated peer with a far higher score: Pacemaker must keep the Promoted role where it is
  for (const p of peers) await tc.setScore(peers[0], p, 1_000_000);
  const seen = new Set<string>();
  for (let i = 0; i < 10; i++) {
    for (const n of await tc.c.promoted(CLONE, peers[0])) seen.add(n);
    for (const p of peers) seen.add(`${p}:${(await tc.status(p))?.role}`);
    await sleep(400);
  }
  t.same([...seen].sort(), [primary, ...peers.map((p) => `${p}:Secondary`)].sort(), 'no outdated peer promoted in 4+ s despite score 1000000');
  // the forged scores go again (the peers' agents publish their own at their next monitor);
  // left in place they would rightly move promotion once the constraint is lifted
  for (const p of peers) await tc.setScore(peers[0], p, null);

  await tc.c.restoreLink(primary, 'data');
  await tc.waitStatus(primary, 'peers resynced and UpToDate', upToDate(peers), 60_000);
  await tc.c.waitFor(async () => (await tc.fenceConstraints(peers[0])).length === 0, 30_000, 'constraint lifted');
  t.pass('after resync the constraint disappeared by itself');
  // the handler removes the constraint before it exits; tandemd reports once it has its exit code
  t.ok(await waitEvent(tc, events, (e) => e.kind === 'fencing' && e.outcome === 'unfenced', 30_000), 'tandemd reported the unfence');
  t.same((await tc.status(primary))?.constraints, [], 'status: no constraint held');
  t.same(await tc.c.promoted(CLONE, peers[0]), [primary], 'the Primary stayed Promoted throughout');

  t.same(await writes.lost(tc.socket(primary), tc.dir), [], `all ${writes.acked.size} acknowledged writes readable`);
  await execa('qemu-io', ['-f', 'raw', '-c', 'flush', `nbd:unix:${tc.socket(primary)}`]);
  const sums = tc.names.map((n) => createHash('sha256').update(readFileSync(tc.disk(n))).digest('hex'));
  t.same(new Set(sums).size, 1, 'all replicas identical after resync');
}

async function waitEvent(tc: TandemCluster, log: EventLog, match: Parameters<EventLog['first']>[0], timeoutMs: number) {
  await tc.c.waitFor(async () => log.first(match) !== undefined, timeoutMs, 'event');
  return log.first(match)!;
}
