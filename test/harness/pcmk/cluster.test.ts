// The harness itself: a 3-node Pacemaker + Corosync cluster in network namespaces comes up with
// quorum, runs tools per node, survives a crashed node, and leaves nothing behind.
import t from 'tap';
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { PcmkCluster } from './cluster.js';

if (userInfo().uid !== 0) {
  t.skip('needs root: network namespaces, corosync and pacemaker');
} else {
  t.test('3 nodes: online with quorum, per-node tools, a crash, a rejoin, clean teardown', async (t) => {
    const started = Date.now();
    const c = await PcmkCluster.start({ nodes: 3 });
    t.teardown(() => c.stop(true));
    t.comment(`cluster up in ${Date.now() - started} ms`);
    t.same(await c.onlineNodes('node2'), ['node1', 'node2', 'node3'], 'crm_mon on node2 shows all three online');
    t.ok(await c.hasQuorum('node3'), 'partition with quorum');
    t.equal((await c.exec('node2', ['uname', '-n'])).stdout.trim(), 'node2', 'exec runs in the node (own UTS namespace)');
    t.equal((await c.exec('node3', ['crm_node', '-n'])).stdout.trim(), 'node3', "Pacemaker tools reach the node's own daemons");
    const addr = await c.exec('node1', ['ip', '-4', '-o', 'addr', 'show', 'eth1']);
    t.match(addr.stdout, /10\.214\.0\.1\/24/, 'a separate data link for replication traffic');
    t.not((await execa('crm_mon', ['-1'], { reject: false })).exitCode, 0, 'the host sees no cluster');

    await c.killNode('node3');
    await c.waitFor(async () => (await c.onlineNodes('node1')).join() === 'node1,node2', 30_000, 'node3 seen offline');
    t.ok(await c.hasQuorum('node1'), 'two of three keep quorum');
    await c.startNode('node3');
    await c.waitFor(async () => (await c.onlineNodes('node1')).length === 3, 30_000, 'node3 back online');
    t.pass('node3 rejoined');

    await c.cutLink('node2', 'cluster');
    await c.waitFor(async () => !(await c.hasQuorum('node2')), 30_000, 'node2 alone loses quorum');
    await c.restoreLink('node2', 'cluster');
    await c.waitFor(async () => (await c.onlineNodes('node2')).length === 3 && await c.hasQuorum('node2'), 90_000, 'node2 merged back');
    t.pass('partition and heal');

    const stopping = Date.now();
    await c.stop();
    t.comment(`stopped in ${Date.now() - stopping} ms`);
    const netns = await execa('ip', ['netns', 'list']);
    t.notMatch(netns.stdout, new RegExp(c.prefix), 'namespaces removed');
    t.notOk(existsSync(c.dir), 'state directory removed');
  });

  t.test('simulated STONITH: fencing a node kills it and, for a reboot, brings it back', async (t) => {
    const c = await PcmkCluster.start({ nodes: 2, stonith: true });
    t.teardown(() => c.stop(true));
    const before = (await c.exec('node2', ['pgrep', '-x', 'corosync'])).stdout.trim();
    const fence = await c.exec('node1', ['stonith_admin', '--reboot', 'node2', '--timeout', '60'], { timeoutMs: 70_000 });
    t.equal(fence.exitCode, 0, fence.stderr);
    const history = await c.exec('node1', ['stonith_admin', '--history', 'node2']);
    t.match(history.stdout, /reboot of node2 successful/);
    await c.waitFor(async () => (await c.onlineNodes('node1')).length === 2, 45_000, 'node2 back after the reboot');
    const after = (await c.exec('node2', ['pgrep', '-x', 'corosync'])).stdout.trim();
    t.ok(before && after && before !== after, `node2 runs a new corosync (${before} → ${after}): it was killed and restarted`);
    await c.stop();
  });
}
