// `tandem invalidate` discards this node's data for a full sync from a peer. It never discards the
// only good copy (sim seed 20856): while no connected peer has UpToDate data it is refused with
// TANDEM_E_STATE and the disk stays as it was (also when the peer's link looks up but the peer
// no longer answers); connected to an UpToDate peer it resyncs in full, to identical data.
import t from 'tap';
import { execa } from 'execa';
import { TestCluster } from '../helpers/daemons.js';
import { bringUp, promoteAndSync } from '../helpers/scenario.js';
import { writeResource } from '../helpers/resource-config.js';
import { peersUpToDate, sha256File, status, waitFor } from '../helpers/wait.js';

t.test('invalidate: refused without an UpToDate peer in reach, a full sync with one', async (t) => {
  const cluster = new TestCluster('tandem-invalidate-');
  t.teardown(() => cluster.destroy());
  const files = await writeResource(cluster, { name: 'iv', nodes: ['a', 'b'], sizeBytes: 8 * 1024 * 1024 });
  await bringUp(cluster, 'iv', ['a', 'b']);
  await promoteAndSync(cluster, 'iv', 'a', ['b']);
  await execa('qemu-io', ['-f', 'raw', '-c', 'write -P 0x5a 1M 256k', `nbd:unix:${files.socket('a')}`]);
  await waitFor(cluster, 'a', 'iv', 'b in sync', peersUpToDate(['b']));

  t.equal((await cluster.cli('b', ['disconnect', 'iv'])).exitCode, 0);
  const refused = await cluster.cli('b', ['invalidate', 'iv']);
  t.not(refused.exitCode, 0, 'invalidate without a connected peer fails');
  t.match(`${refused.stdout}${refused.stderr}`, /TANDEM_E_STATE/, 'with its stable code');
  t.match(`${refused.stdout}${refused.stderr}`, /no connected peer has UpToDate data of volume 0/, 'and says why');
  t.equal((await status(cluster, 'b', 'iv')).volumes[0].diskState, 'UpToDate', 'b keeps its data');

  t.equal((await cluster.cli('b', ['connect', 'iv'])).exitCode, 0);
  await waitFor(cluster, 'a', 'iv', 'b back', peersUpToDate(['b']));
  const accepted = await cluster.cli('b', ['invalidate', 'iv']);
  t.equal(accepted.exitCode, 0, `invalidate with an UpToDate peer connected: ${accepted.stderr}`);
  await waitFor(cluster, 'a', 'iv', 'b resynced in full', peersUpToDate(['b']));
  await cluster.cli('a', ['secondary', 'iv']);
  t.equal(sha256File(files.disk('b')), sha256File(files.disk('a')), 'identical after the full sync');

  // An UpToDate peer whose link still looks up but that answers nothing (stopped, as a machine
  // that hangs or lost power; sim seed 40218): invalidate asks it first, its link closes at
  // ping-timeout, and the refusal follows; without the question, b discarded its data at once.
  const a = cluster.nodes.get('a')!.process!;
  a.kill('SIGSTOP');
  t.teardown(() => { a.kill('SIGCONT'); });
  const unanswered = await cluster.cli('b', ['invalidate', 'iv']);
  a.kill('SIGCONT');
  t.not(unanswered.exitCode, 0, 'invalidate counting on a peer that does not answer fails');
  t.match(`${unanswered.stdout}${unanswered.stderr}`, /no connected peer has UpToDate data of volume 0/, 'and says why');
  t.equal((await status(cluster, 'b', 'iv')).volumes[0].diskState, 'UpToDate', 'b keeps its data');
});
