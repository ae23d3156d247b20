// ocf:tandem:replica against real tandemd processes (two nodes on loopback, PMEM metadata on
// tmpfs): the agent's lifecycle with the daemon's own answers, and the promotion score it earns.
import t from 'tap';
import { run } from '../cluster/pcmk-tools.js';
import { agentCluster } from './agent-cluster.js';
import { runAgent } from './helpers.js';

const { cluster, score, params } = await agentCluster('tandem-ocf-real-');
t.teardown(() => cluster.destroy());
const cib = params('alpha').CIB_file;

t.test('probe 7, start Secondary on both, promote one: 8 there, 0 on the peer; demote; stop; probe 7', async (t) => {
  t.equal((await runAgent('monitor', params('alpha', { OCF_RESKEY_CRM_meta_interval: '0' }))).rc, 7);
  for (const n of ['alpha', 'bravo']) {
    const r = await runAgent('start', params(n));
    t.equal(r.rc, 0, `start on ${n}: ${r.stderr}`);
  }
  const status = await cluster.cliJson<{ resources: { role: string }[] }>('alpha', ['status', 'r0']);
  t.equal(status.json.resources[0].role, 'Secondary', 'start leaves the resource Secondary');
  t.equal(await score('alpha'), null, 'new, Inconsistent data earns no promotion score');
  let promote = await runAgent('promote', params('alpha'));
  // a fresh resource has no UpToDate data until one side is forced Primary once (as with drbdadm)
  if (promote.rc !== 0) {
    t.match(promote.reason, /promotion of r0 refused/, `refusal has a reason: ${promote.reason}`);
    const forced = await cluster.cli('alpha', ['primary', 'r0', '--force']);
    t.equal(forced.exitCode, 0, String(forced.stderr));
    promote = await runAgent('promote', params('alpha'));
  }
  t.equal(promote.rc, 0, String(promote.stderr));
  t.equal((await runAgent('monitor', params('alpha'))).rc, 8, 'monitor after promote: running promoted');
  t.equal(await score('alpha'), '10064', 'the Primary publishes the best score, above any tie-break');
  t.equal((await runAgent('monitor', params('alpha', { OCF_CHECK_LEVEL: '10' }))).rc, 8, 'depth 10: volumes exported');
  t.equal((await runAgent('monitor', params('bravo'))).rc, 0, 'the peer is running unpromoted');
  // only a post-notification republishes a score: changing it in a pre-notification would abort
  // the transition Pacemaker is running (a failover stalled for seconds that way)
  await run('crm_attribute', ['--promotion=tandem-r0', '-l', 'reboot', '-N', 'bravo', '-D'], { CIB_file: cib, CIB_shadow_dir: cluster.root });
  const notify = (type: string) => runAgent('notify', params('bravo', { OCF_RESKEY_CRM_meta_notify_type: type, OCF_RESKEY_CRM_meta_notify_operation: 'promote' }));
  t.equal((await notify('pre')).rc, 0);
  t.equal(await score('bravo'), null, 'a pre-notification leaves the score alone');
  t.equal((await notify('post')).rc, 0);
  t.not(await score('bravo'), null, 'a post-notification publishes it again');
  const refused = await runAgent('promote', params('bravo'));
  t.equal(refused.rc, 1, 'a second Primary is refused');
  t.match(refused.reason, /refused/);
  const demote = await runAgent('demote', params('alpha'));
  t.equal(demote.rc, 0, `demote: ${demote.stderr}`);
  const after = await runAgent('monitor', params('alpha'));
  t.equal(after.rc, 0, `monitor after demote: ${after.stderr}`);
  for (const n of ['alpha', 'bravo']) t.equal((await runAgent('stop', params(n))).rc, 0, `stop on ${n}`);
  t.equal(await score('alpha'), null, 'stop removes the score');
  t.equal((await runAgent('monitor', params('alpha', { OCF_RESKEY_CRM_meta_interval: '0' }))).rc, 7);
});
