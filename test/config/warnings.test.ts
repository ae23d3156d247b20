// Known-unsafe but valid combinations load, with a coded warning that says what can go wrong.
import t, { type Test } from 'tap';
import { chmodSync, symlinkSync, writeFileSync } from 'node:fs';
import { loadConfig } from '../../src/config/load.js';
import type { Warning } from '../../src/config/model.js';
import { TWO_NODES, configDir, withAppended, withLine } from '../fixtures/config/ini.js';

const THIRD_NODE = ['[node.charlie]', 'id = 2', 'address = 10.0.0.3:7789'];

function warnings(t: Test, files: Record<string, string>): { dir: string; list: Warning[] } {
  const dir = configDir(t, files);
  return { dir, list: loadConfig(dir).warnings };
}

t.test('the base configuration has no warnings', async (t) => {
  t.same(warnings(t, { 'r0.ini': TWO_NODES }).list, []);
});

t.test('fencing = dont-care with two nodes and no quorum', async (t) => {
  const { dir, list } = warnings(t, { 'r0.ini': withLine(5, 'fencing = dont-care') });
  t.same(list, [{
    code: 'TANDEM_W_FENCING_DONT_CARE', file: `${dir}/r0.ini`, line: 5, key: 'fencing', resource: 'r0',
    message: "resource 'r0': fencing = dont-care without quorum: if the nodes lose sight of each other, Pacemaker can promote both and the writes of one side are lost in the split brain; use fencing = resource-only or resource-and-stonith, or quorum with 3+ nodes",
  }]);
  const withQuorum = warnings(t, { 'r0.ini': withLine(5, 'fencing = dont-care\nquorum = majority\non-no-quorum = io-error') + '\n' + THIRD_NODE.join('\n') });
  t.same(withQuorum.list, [], 'quorum with three nodes prevents split brain without fencing');
});

t.test('after-sb policies that discard writes', async (t) => {
  const least = warnings(t, { 'r0.ini': withLine(6, 'after-sb-0pri = discard-least-changes') }).list;
  t.same(least.map((w) => [w.code, w.line, w.key]), [['TANDEM_W_AFTER_SB_DISCARDS_WRITES', 6, 'after-sb-0pri'], ['TANDEM_W_AFTER_SB_MANUAL', 6, 'after-sb-0pri']]);
  t.match(least[0].message, /throws away one side's writes after a split brain without asking, including writes that were acknowledged/);
  const node = warnings(t, { 'r0.ini': withLine(6, 'after-sb-0pri = discard-node-bravo') }).list;
  t.match(node[0], { code: 'TANDEM_W_AFTER_SB_DISCARDS_WRITES', message: /after-sb-0pri = discard-node-bravo throws away/ });
  const zero = warnings(t, { 'r0.ini': withLine(6, 'after-sb-0pri = discard-zero-changes') }).list;
  t.same(zero.map((w) => w.code), ['TANDEM_W_AFTER_SB_MANUAL'], 'discard-zero-changes loses nothing, but is not automatic yet');
  t.match(zero[0].message, /after-sb-0pri = discard-zero-changes: automatic split-brain recovery is not implemented in this version; .*tandem connect r0 --discard-my-data/);
});

t.test("after-sb policies that discard a Primary's data", async (t) => {
  const { list } = warnings(t, { 'r0.ini': withLine(6, 'after-sb-1pri = violently-as0p\nafter-sb-2pri = call-pri-lost-after-sb') });
  t.same(list.map((w) => [w.code, w.line, w.key]), [
    ['TANDEM_W_AFTER_SB_DISCARDS_PRIMARY', 6, 'after-sb-1pri'],
    ['TANDEM_W_AFTER_SB_DISCARDS_PRIMARY', 7, 'after-sb-2pri'],
    ['TANDEM_W_AFTER_SB_MANUAL', 6, 'after-sb-1pri'],
  ]);
  t.match(list[0].message, /can discard the data of a Primary after a split brain, so writes already acknowledged to applications are lost/);
});

t.test('protocol A or B with resource-and-stonith', async (t) => {
  const { list } = warnings(t, { 'r0.ini': withLine(3, 'protocol = A').replace('fencing = resource-only', 'fencing = resource-and-stonith') });
  t.same(list.map((w) => [w.code, w.line]), [['TANDEM_W_ASYNC_FENCING', 3]]);
  t.match(list[0].message, /acknowledged before the peer has it on disk, so after STONITH and failover the new Primary lacks acknowledged writes/);
  t.same(warnings(t, { 'r0.ini': TWO_NODES.replace('fencing = resource-only', 'fencing = resource-and-stonith') }).list, [], 'protocol C is safe');
});

t.test('quorum off with three nodes', async (t) => {
  const { list } = warnings(t, { 'r0.ini': withAppended(...THIRD_NODE) });
  t.same(list.map((w) => [w.code, w.line, w.key]), [['TANDEM_W_QUORUM_OFF', undefined, 'quorum']]);
  t.match(list[0].message, /quorum = off with 3 nodes: a partitioned minority can keep writing and diverge/);
});

t.test('quorum that cannot survive the loss of a node', async (t) => {
  const two = warnings(t, { 'r0.ini': withLine(6, 'quorum = majority') }).list;
  t.same(two.map((w) => [w.code, w.line]), [['TANDEM_W_QUORUM_NO_NODE_LOSS', 6]]);
  t.match(two[0].message, /quorum = majority with 2 nodes needs all 2 nodes: losing any node stops I\/O on the survivors; add a third/);
  const all = warnings(t, { 'r0.ini': withLine(6, 'quorum = all\non-no-quorum = io-error') + '\n' + THIRD_NODE.join('\n') }).list;
  t.same(all.map((w) => w.code), ['TANDEM_W_QUORUM_NO_NODE_LOSS']);
  t.same(warnings(t, { 'r0.ini': withLine(6, 'quorum = 2\non-no-quorum = io-error') + '\n' + THIRD_NODE.join('\n') }).list, [], '2 of 3 survives a node loss');
});

t.test('quorum with on-no-quorum = suspend-io: a cut-off Primary cannot be demoted under Pacemaker', async (t) => {
  const { dir, list } = warnings(t, { 'r0.ini': withLine(6, 'quorum = majority') + '\n' + THIRD_NODE.join('\n') });
  t.same(list.map((w) => [w.code, w.line, w.key]), [['TANDEM_W_QUORUM_SUSPEND_IO', undefined, 'on-no-quorum']], 'the default suspend-io is named');
  t.equal(list[0].file, `${dir}/r0.ini`);
  t.match(list[0].message, /quorum = majority with on-no-quorum = suspend-io: a Primary cut off from the majority freezes its I\/O, so Pacemaker cannot unmount its file system to demote it/);
  t.match(list[0].message, /use quorum = majority, on-no-quorum = io-error, fencing = resource-only \(with STONITH in Pacemaker\)$/, 'with the recommended combination');
  const explicit = warnings(t, { 'r0.ini': withLine(6, 'quorum = majority\non-no-quorum = suspend-io') + '\n' + THIRD_NODE.join('\n') }).list;
  t.same(explicit.map((w) => [w.code, w.line]), [['TANDEM_W_QUORUM_SUSPEND_IO', 7]], 'the line when it is written');
  t.same(warnings(t, { 'r0.ini': withLine(6, 'quorum = majority\non-no-quorum = io-error') + '\n' + THIRD_NODE.join('\n') }).list, [], 'the recommended combination has no warning');
});

t.test('a quorum below a majority lets two partitions both write', async (t) => {
  const { list } = warnings(t, { 'r0.ini': withLine(6, 'quorum = 1\non-no-quorum = io-error') + '\n' + THIRD_NODE.join('\n') });
  t.same(list.map((w) => [w.code, w.line]), [['TANDEM_W_QUORUM_BELOW_MAJORITY', 6]]);
  t.match(list[0].message, /quorum = 1 is less than a majority of 3 nodes \(2\): two partitions can both have quorum and diverge/);
});

t.test('a missing or short secret', async (t) => {
  const missing = warnings(t, { 'r0.ini': withLine(4, '') }).list;
  t.same(missing.map((w) => [w.code, w.line]), [['TANDEM_W_NO_SECRET', undefined]]);
  t.match(missing[0].message, /any host that reaches a node's port can connect as a peer/);
  const short = warnings(t, { 'r0.ini': withLine(4, 'secret = abc1234') }).list;
  t.same(short.map((w) => [w.code, w.line]), [['TANDEM_W_SHORT_SECRET', 4]]);
  t.same(warnings(t, { 'r0.ini': withLine(4, 'secret = abcd1234') }).list, [], '8 characters are enough');
});

t.test('transport-security = none, a TCP export without TLS, a rotation left open', async (t) => {
  const none = warnings(t, { 'r0.ini': withLine(6, 'transport-security = none') }).list;
  t.same(none.map((w) => [w.code, w.line, w.key]), [['TANDEM_W_TRANSPORT_INSECURE', 6, 'transport-security']]);
  t.match(none[0].message, /replicated data crosses the network in clear and unauthenticated after the handshake; anyone on the path can read every block and change a replica's data unnoticed; use tls/);
  t.same(warnings(t, { 'r0.ini': withLine(6, 'transport-security = integrity') }).list, [], 'integrity protects every frame');
  const insecure = warnings(t, { 'r0.ini': withLine(6, 'export-insecure = yes', withLine(10, 'export = tcp:10.0.0.9:10809')) }).list;
  t.same(insecure.map((w) => [w.code, w.line]), [['TANDEM_W_EXPORT_INSECURE', 6]]);
  t.match(insecure[0].message, /the TCP exports \(alpha volume 0, bravo volume 0\) have no TLS; anyone who reaches their port can read and overwrite the volume/);
  t.same(warnings(t, { 'r0.ini': withLine(6, 'export-insecure = yes') }).list, [], 'no TCP export: nothing is exposed');
  const rotation = warnings(t, { 'r0.ini': withLine(6, 'previous-secret = old-horse-battery') }).list;
  t.same(rotation.map((w) => [w.code, w.line]), [['TANDEM_W_PREVIOUS_SECRET', 6]]);
  t.match(rotation[0].message, /peers holding the old secret are still accepted; once every node has the new secret, remove previous-secret/);
});

t.test('a secret in a file other users can read', async (t) => {
  const dir = configDir(t, { 'r0.ini': TWO_NODES });
  chmodSync(`${dir}/r0.ini`, 0o644);
  const list = loadConfig(dir).warnings;
  t.same(list.map((w) => [w.code, w.line]), [['TANDEM_W_SECRET_READABLE', 4]]);
  t.equal(list[0].message, `resource 'r0': ${dir}/r0.ini holds the secret and is readable by other users (mode 0644): any local user can read it and connect as a peer; chmod 600 it`);
  chmodSync(`${dir}/r0.ini`, 0o640);
  t.same(loadConfig(dir).warnings.map((w) => w.code), ['TANDEM_W_SECRET_READABLE'], 'group-readable too');
  chmodSync(`${dir}/r0.ini`, 0o600);
  t.same(loadConfig(dir).warnings, []);
});

t.test('metadata on the data device, also through a symlink', async (t) => {
  const direct = warnings(t, { 'r0.ini': withLine(9, 'meta = block:/dev/vg0/r0') });
  t.same(direct.list.map((w) => [w.code, w.node, w.line, w.key]), [
    ['TANDEM_W_META_ON_DATA', 'alpha', 9, 'volume.0.meta'],
    ['TANDEM_W_META_ON_DATA', 'bravo', 9, 'volume.0.meta'],
  ]);
  t.match(direct.list[0].message, /metadata and data are both on \/dev\/vg0\/r0: metadata updates overwrite data blocks/);
  const dir = configDir(t);
  writeFileSync(`${dir}/disk.img`, '');
  symlinkSync(`${dir}/disk.img`, `${dir}/alias.img`);
  writeFileSync(`${dir}/r0.ini`, withLine(8, `disk = ${dir}/disk.img`).replace('meta = pmem:/dev/dax0.0', `meta = pmem:${dir}/alias.img`), { mode: 0o600 });
  t.same(loadConfig(dir).warnings.map((w) => w.code), ['TANDEM_W_META_ON_DATA', 'TANDEM_W_META_ON_DATA']);
});

t.test('two volumes on one disk, in one resource or across resources', async (t) => {
  const two = warnings(t, { 'r0.ini': withLine(11, '[volume.1]\ndisk = /dev/vg0/r0\nmeta = pmem:/dev/dax0.0\n') }).list;
  t.same(two.map((w) => [w.code, w.node, w.line]), [['TANDEM_W_SHARED_DISK', 'alpha', 12], ['TANDEM_W_SHARED_DISK', 'bravo', 12]]);
  t.match(two[0].message, /node alpha: \/dev\/vg0\/r0 backs both resource 'r0' volume 0 and resource 'r0' volume 1: each overwrites the other's data/);
  const across = warnings(t, { 'r0.ini': TWO_NODES, 'r1.ini': TWO_NODES.replace('name = r0', 'name = r1').replace(/7789/g, '7790').replace('r0-0.nbd', 'r1-0.nbd') }).list;
  t.same(across.map((w) => [w.code, w.resource, w.node]), [['TANDEM_W_SHARED_DISK', 'r1', 'alpha'], ['TANDEM_W_SHARED_DISK', 'r1', 'bravo']]);
});
