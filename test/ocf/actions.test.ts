// Every action and exit code of ocf:tandem:replica, the real shim run with Pacemaker's
// environment: first with no daemon at all, then against a scripted tandemd (the real control
// server answering from a role/disk table) for the running states.
import t from 'tap';
import { join } from 'node:path';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { execa } from 'execa';
import { buildModel, render } from '../../src/cluster/pacemaker-config.js';
import { resourceConfig } from '../cluster/fixture-config.js';
import { clusterCibText, run } from '../cluster/pcmk-tools.js';
import { AGENT, ScriptedDaemon, mapLimit, runAgent, sandbox } from './helpers.js';

const box = sandbox('ocf-actions');
t.teardown(() => box.remove());

const params = (over: Record<string, string | undefined> = {}) => ({
  OCF_RESKEY_resource: 'r0', OCF_RESKEY_config_dir: box.configDir, OCF_RESKEY_run_dir: box.runDir,
  OCF_RESKEY_CRM_meta_on_node: 'alpha', OCF_RESKEY_CRM_meta_interval: '10000', ...over,
});
const clone = { OCF_RESKEY_CRM_meta_clone_max: '2', OCF_RESKEY_CRM_meta_notify: 'true', OCF_RESKEY_CRM_meta_promoted_max: '1', OCF_RESKEY_CRM_meta_clone_node_max: '1' };

t.test('validate-all: 0, bad values 2, missing or unsuitable configuration 6, not installed here 5', async (t) => {
  const cases: [string, Record<string, string | undefined>, number, RegExp | null][] = [
    ['good', {}, 0, null],
    ['good, as a clone', clone, 0, null],
    ['resource missing', { OCF_RESKEY_resource: undefined }, 6, /required parameter 'resource' is not set/],
    ['resource malformed', { OCF_RESKEY_resource: 'r0;rm' }, 2, /resource='r0;rm' is not a resource name/],
    ['status_timeout malformed', { OCF_RESKEY_status_timeout: 'soon' }, 2, /status_timeout='soon' must be a whole number/],
    ['auto_takeover in Pacemaker spelling', { OCF_RESKEY_auto_takeover: 'no', OCF_RESKEY_auto_resync: 'Off' }, 0, null],
    ['auto_takeover malformed', { OCF_RESKEY_auto_takeover: 'maybe' }, 2, /auto_takeover='maybe' must be true or false/],
    ['auto_resync malformed', { OCF_RESKEY_auto_resync: '2' }, 2, /auto_resync='2' must be true or false/],
    ['ocf:linbit:drbd parameters', { OCF_RESKEY_adjust_master_score: '0 10 500 20000', OCF_RESKEY_promotion_preference: 'bravo alpha', OCF_RESKEY_wfc_timeout: '0', OCF_RESKEY_stop_outdates_secondary: 'yes', OCF_RESKEY_fail_promote_early_if_peer_primary: 'true', OCF_RESKEY_unfence_if_all_uptodate: 'false' }, 0, null],
    ['adjust_master_score not four', { OCF_RESKEY_adjust_master_score: '0 10 1000' }, 2, /adjust_master_score='0 10 1000' must be four integers/],
    ['adjust_master_score decreasing', { OCF_RESKEY_adjust_master_score: '0 10 10000 1000' }, 2, /must not decrease/],
    ['adjust_master_score too close for the tie-break', { OCF_RESKEY_adjust_master_score: '0 10 9990 10000' }, 2, /at least 64 apart/],
    ['promotion_preference with a bad name', { OCF_RESKEY_promotion_preference: 'alpha b;c' }, 2, /'b;c' is not a node name/],
    ['wfc_timeout malformed', { OCF_RESKEY_wfc_timeout: 'soon' }, 2, /wfc_timeout='soon' must be a whole number of seconds/],
    ['relative config_dir', { OCF_RESKEY_config_dir: 'etc/tandem' }, 2, /config_dir='etc\/tandem' must be an absolute path/],
    ['config dir missing', { OCF_RESKEY_config_dir: '/nonexistent/tandem' }, 5, /configuration directory \/nonexistent\/tandem does not exist/],
    ['resource not defined', { OCF_RESKEY_resource: 'r9' }, 5, /resource r9 is not defined in/],
    ['node not in the resource', { OCF_RESKEY_CRM_meta_on_node: 'zulu' }, 5, /has no \[node\.zulu\] section/],
    ['explicit node parameter wins', { OCF_RESKEY_CRM_meta_on_node: 'zulu', OCF_RESKEY_node: 'bravo' }, 0, null],
    ['clone without notify', { ...clone, OCF_RESKEY_CRM_meta_notify: 'false' }, 6, /notify=true/],
    ['two promoted', { ...clone, OCF_RESKEY_CRM_meta_promoted_max: '2' }, 6, /promoted-max must be 1/],
    ['legacy master_max', { ...clone, OCF_RESKEY_CRM_meta_promoted_max: undefined, OCF_RESKEY_CRM_meta_master_max: '2' }, 6, /promoted-max must be 1/],
  ];
  const runs = await mapLimit(cases, 3, ([, over]) => runAgent('validate-all', params(over)));
  for (const [i, [name, , rc, reason]] of cases.entries()) {
    const r = runs[i];
    t.equal(r.rc, rc, `${name}: rc (${r.stderr.trim()})`);
    if (reason) t.match(r.reason, reason, `${name}: exit reason`);
  }
});

t.test('invalid configuration file: 6 with the loader message', async (t) => {
  const bad = sandbox('ocf-badconf');
  t.teardown(() => bad.remove());
  writeFileSync(join(bad.configDir, 'r0.ini'), '[resource]\nname = r0\nprotocol = Z\n');
  const r = await runAgent('validate-all', params({ OCF_RESKEY_config_dir: bad.configDir }));
  t.equal(r.rc, 6);
  t.match(r.reason, /^configuration of r0 is invalid: 2 configuration errors in .*; .*r0\.ini:3: key 'protocol' in \[resource\]: 'Z' is not a replication protocol/);
});

t.test('no daemon: probe 7 without a reason, monitor 7 with one, start 1 when tandemd cannot be started, stop/notify/demote 0, promote 1', async (t) => {
  const calls: [string, Record<string, string | undefined>][] = [
    ['monitor', { OCF_RESKEY_CRM_meta_interval: '0' }],
    ['monitor', {}],
    // a run directory that cannot be created: the agent's attempt to start tandemd fails
    ['start', { OCF_RESKEY_run_dir: '/dev/null/run' }],
    ['stop', {}],
    ['notify', { OCF_RESKEY_CRM_meta_notify_type: 'post', OCF_RESKEY_CRM_meta_notify_operation: 'start' }],
    ['promote', {}],
    ['demote', {}],
    ['monitor', { OCF_RESKEY_CRM_meta_interval: '0', OCF_RESKEY_config_dir: '/nonexistent' }],
    ['monitor', { OCF_RESKEY_resource: undefined }],
  ];
  const [probe, mon, start, stop, notify, promote, demote, probeNoConf, noParam] = await mapLimit(calls, 3, ([a, over]) => runAgent(a, params(over)));
  t.equal(probe.rc, 7);
  t.equal(probe.reason, null, 'probes report no failure reason');
  t.equal(mon.rc, 7);
  t.match(mon.reason, /tandemd is not running on node alpha/);
  t.equal(start.rc, 1, 'a soft error, never 5 (not installed: a ban of the node)');
  t.match(start.reason, /^tandemd is not running on node alpha and could not be started: ENOTDIR/);
  t.equal(stop.rc, 0, 'stop of what is not running succeeds');
  t.equal(notify.rc, 0);
  t.equal(promote.rc, 1);
  t.equal(demote.rc, 0, 'demote without a daemon: nothing is Primary here');
  t.equal(probeNoConf.rc, 5, 'a probe on a node without configuration: not installed here');
  t.equal(noParam.rc, 6);
});

t.test('other actions: reload-agent and reload 0, unknown 3', async (t) => {
  const [reloadAgent, reload, unknown] = await mapLimit(['reload-agent', 'reload', 'migrate_to'], 3, (a) => runAgent(a, params()));
  t.equal(reloadAgent.rc, 0);
  t.equal(reload.rc, 0);
  t.equal(unknown.rc, 3);
  t.match(unknown.reason, /not implemented/);
});

t.test('lifecycle against the daemon: start leaves Secondary (0), promote → monitor 8, demote → 0, stop → 7; scores in the CIB', async (t) => {
  const daemon = new ScriptedDaemon(join(box.runDir, 'alpha.ctl'), 'alpha');
  await daemon.listen();
  t.teardown(() => daemon.close());
  const cib = join(box.dir, 'cib.xml');
  writeFileSync(cib, clusterCibText(render(buildModel(resourceConfig('r0', ['alpha', 'bravo'])), 'cib'), { alpha: 1, bravo: 1 }, 'master-tandem-r0'));
  const env = (over: Record<string, string | undefined> = {}) => params({ ...clone, CIB_file: cib, CIB_shadow_dir: box.dir, ...over });
  const score = async () => {
    const r = await run('crm_attribute', ['--promotion=tandem-r0', '-l', 'reboot', '-N', 'alpha', '-G', '-q'], { CIB_file: cib });
    return r.exitCode === 0 ? String(r.stdout).trim() : null;
  };
  const step = async (action: string, rc: number, over: Record<string, string | undefined> = {}) => {
    const r = await runAgent(action, env(over));
    t.equal(r.rc, rc, `${action} → ${rc} (${r.stderr.trim()})`);
    return r;
  };

  await step('monitor', 7, { OCF_RESKEY_CRM_meta_interval: '0' });
  await step('start', 0);
  t.match(daemon.state, { role: 'Secondary' });
  t.equal(await score(), '10031', 'UpToDate Secondary with every peer connected: 10000, plus the tie-break of node id 0');
  await step('start', 0);
  t.equal(daemon.ops.filter((o) => o === 'up').length, 1, 'start of a started resource does not bring it up again');
  await step('monitor', 0);
  await step('demote', 0, {}); // demote of an unpromoted instance succeeds
  await step('promote', 0);
  t.match(daemon.state, { role: 'Primary' });
  await step('promote', 0);
  await step('monitor', 8);
  await step('monitor', 8, { OCF_RESKEY_CRM_meta_interval: '0' });
  await step('monitor', 8, { OCF_CHECK_LEVEL: '10' });
  await step('demote', 0);
  await step('monitor', 0);
  await step('stop', 0);
  t.equal(daemon.state, null);
  t.equal(await score(), null, 'stop removes the promotion score');
  await step('stop', 0);
  await step('monitor', 7);
});

t.test('failure states: failed disk 1 / 9, refused promotion 1 with the reason, Primary at start is demoted', async (t) => {
  const daemon = new ScriptedDaemon(join(box.runDir, 'bravo.ctl'), 'bravo');
  await daemon.listen();
  t.teardown(() => daemon.close());
  const env = (over: Record<string, string | undefined> = {}) => params({ ...clone, OCF_RESKEY_CRM_meta_on_node: 'bravo', ...over });

  daemon.state = { role: 'Primary', disk: 'UpToDate' };
  t.equal((await runAgent('start', env())).rc, 0);
  t.match(daemon.state, { role: 'Secondary' }, 'start leaves the resource Secondary');

  daemon.state = { role: 'Secondary', disk: 'Outdated', refusePromote: 'cannot promote r0: volume 0 is Outdated and no UpToDate data is reachable' };
  const refused = await runAgent('promote', env());
  t.equal(refused.rc, 1);
  t.match(refused.reason, /promotion of r0 refused: cannot promote r0: volume 0 is Outdated/);

  daemon.state = { role: 'Secondary', disk: 'Failed' };
  const failed = await runAgent('monitor', env());
  t.equal(failed.rc, 1);
  t.match(failed.reason, /local disk Failed/);
  daemon.state = { role: 'Primary', disk: 'Failed' };
  const failedPromoted = await runAgent('monitor', env());
  t.equal(failedPromoted.rc, 9);
  t.match(failedPromoted.reason, /local disk Failed/);
  daemon.state = { role: 'Secondary', disk: 'UpToDate', failed: 'invariant violated: apply queue out of order' };
  const stopped = await runAgent('monitor', env());
  t.equal(stopped.rc, 1, 'a resource the engine stopped on an invariant is a failure Pacemaker recovers');
  t.match(stopped.reason, /r0 stopped on this node: invariant violated: apply queue out of order/);
});

t.test('ocf:linbit:drbd parameters: stop_outdates_secondary, fail_promote_early_if_peer_primary, promotion_preference, adjust_master_score', async (t) => {
  const daemon = new ScriptedDaemon(join(box.runDir, 'alpha.ctl'), 'alpha');
  await daemon.listen();
  t.teardown(() => daemon.close());
  const cib = join(box.dir, 'cib-params.xml');
  writeFileSync(cib, clusterCibText(render(buildModel(resourceConfig('r0', ['alpha', 'bravo'])), 'cib'), { alpha: 1, bravo: 1 }, 'master-tandem-r0'));
  const env = (over: Record<string, string | undefined> = {}) => params({ ...clone, CIB_file: cib, CIB_shadow_dir: box.dir, ...over });
  const score = async () => {
    const r = await run('crm_attribute', ['--promotion=tandem-r0', '-l', 'reboot', '-N', 'alpha', '-G', '-q'], { CIB_file: cib });
    return r.exitCode === 0 ? String(r.stdout).trim() : null;
  };

  daemon.state = { role: 'Secondary', disk: 'UpToDate' };
  t.equal((await runAgent('monitor', env({ OCF_RESKEY_promotion_preference: 'bravo alpha' }))).rc, 0);
  t.equal(await score(), '10062', 'second in promotion_preference: 10000 + 32 + 30');
  t.equal((await runAgent('monitor', env({ OCF_RESKEY_adjust_master_score: '0 10 500 5000' }))).rc, 0);
  t.equal(await score(), '5031', 'the ladder of adjust_master_score, plus the node-id tie-break');

  daemon.state = { role: 'Secondary', disk: 'UpToDate', peerRole: 'Primary' };
  const early = Date.now();
  const refused = await runAgent('promote', env({ OCF_RESKEY_fail_promote_early_if_peer_primary: 'true' }));
  t.equal(refused.rc, 1, 'fail_promote_early_if_peer_primary=true: refused at once');
  t.match(refused.reason, /cannot promote r0: bravo is Primary/);
  t.ok(Date.now() - early < 5000, 'without waiting');
  setTimeout(() => { daemon.state!.peerRole = 'Secondary'; }, 1500); // the peer's demotion arrives late
  const waited = Date.now();
  const promoted = await runAgent('promote', env());
  t.equal(promoted.rc, 0, `the default waits for the peer to become Secondary, then promotes (${promoted.stderr.trim()})`);
  t.ok(Date.now() - waited >= 1400, `it waited (${Date.now() - waited} ms)`);

  daemon.state = { role: 'Secondary', disk: 'UpToDate', peerRole: 'Primary' };
  t.equal((await runAgent('stop', env())).rc, 0);
  t.notOk(daemon.ops.includes('outdate'), 'by default stop leaves the data as it is');
  daemon.state = { role: 'Secondary', disk: 'UpToDate', peerRole: 'Primary' };
  const outdating = daemon.state;
  const stopped = await runAgent('stop', env({ OCF_RESKEY_stop_outdates_secondary: 'true' }));
  t.equal(stopped.rc, 0);
  t.ok(daemon.ops.includes('outdate'), 'stop_outdates_secondary: outdated before down');
  t.equal(outdating.disk, 'Outdated', 'the local data is Outdated');
  t.match(stopped.stderr, /outdated the local data: bravo is Primary and stop_outdates_secondary is set/);
});

t.test('a dead daemon leaves no promotion score behind: monitor removes it', async (t) => {
  const cib = join(box.dir, 'cib-dead.xml');
  writeFileSync(cib, clusterCibText(render(buildModel(resourceConfig('r0', ['alpha', 'bravo'])), 'cib'), { alpha: 10031, bravo: 10030 }, 'master-tandem-r0'));
  const env = params({ ...clone, CIB_file: cib, CIB_shadow_dir: box.dir, OCF_RESKEY_CRM_meta_interval: '0' });
  const r = await runAgent('monitor', env);
  t.equal(r.rc, 7);
  const left = await run('crm_attribute', ['--promotion=tandem-r0', '-l', 'reboot', '-N', 'alpha', '-G', '-q'], { CIB_file: cib });
  t.not(left.exitCode, 0, `alpha's score is gone (${String(left.stdout).trim()})`);
});

t.test('a pre-notification is answered by the shim alone (no node process per node and transition)', async (t) => {
  // a copy of the shim where no tandem can be found: only what the shim itself answers succeeds
  const alone = join(box.dir, 'alone');
  mkdirSync(alone, { recursive: true });
  copyFileSync(AGENT, join(alone, 'replica'));
  const shim = (type: string) => execa('/bin/sh', [join(alone, 'replica'), 'notify'], {
    env: { PATH: '/nonexistent', OCF_RESKEY_CRM_meta_notify_type: type }, extendEnv: false, reject: false,
  });
  t.equal((await shim('pre')).exitCode, 0, 'pre: 0 without running tandem');
  const post = await shim('post');
  t.equal(post.exitCode, 5, 'post: runs tandem (not found here: 5)');
  t.match(String(post.stderr), /tandem is not installed/);
});
