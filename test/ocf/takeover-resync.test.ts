// The agent parameters migrated from VVR's AutoTakeover/AutoResync, against real tandemd processes
// (two nodes on loopback): auto_takeover=false withholds the survivor's promotion score until an
// operator allows it; auto_resync=false keeps a crashed former Primary StandAlone, unpromotable,
// until `tandem connect`, after which it is resynced from the new Primary.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { NbdClient } from '../../src/demo/nbd-client.js';
import { peersUpToDate, readRange, sha256File, status, waitFor } from '../helpers/wait.js';
import { agentCluster } from './agent-cluster.js';
import { runAgent } from './helpers.js';

const BLOCK = 64 * 1024;
const { cluster, files, score, params } = await agentCluster('tandem-ocf-takeover-');
t.teardown(() => cluster.destroy());
const manual = { OCF_RESKEY_auto_takeover: 'false', OCF_RESKEY_auto_resync: 'false' };

async function write(node: string, offset: number): Promise<Buffer> {
  const client = await NbdClient.open(files.socket(node));
  const data = randomBytes(BLOCK);
  await client.write(offset, data);
  client.close();
  return data;
}

t.test('auto_takeover=false: no score for the survivor until the operator allows the takeover', async (t) => {
  for (const n of ['alpha', 'bravo']) t.equal((await runAgent('start', params(n, manual))).rc, 0, `start on ${n}`);
  t.equal((await cluster.cli('alpha', ['primary', 'r0', '--force'])).exitCode, 0, 'first promotion, forced');
  await waitFor(cluster, 'alpha', 'r0', 'bravo UpToDate', peersUpToDate(['bravo']));
  await write('alpha', 0);
  t.equal((await runAgent('monitor', params('bravo', manual))).rc, 0);
  t.equal(await score('bravo'), '10030', 'with every peer connected, auto_takeover=false changes nothing (10000, tie-break of node id 1)');

  await cluster.kill('alpha');
  await waitFor(cluster, 'bravo', 'r0', 'alpha lost', (s) => s.connections[0].connectionState !== 'Connected');
  const withheld = await runAgent('monitor', params('bravo', manual));
  t.equal(withheld.rc, 0, 'bravo still runs unpromoted');
  t.match(withheld.stderr, /promotion score removed \(rule takeover-withheld: .*alpha cannot be seen and auto_takeover=false/);
  t.equal(await score('bravo'), null, 'no score: Pacemaker will not promote bravo on its own');
  const explained = await cluster.cliJson<{ decision: { rule: string } }>('bravo', ['explain', 'promotion', 'r0', '--no-auto-takeover']);
  t.equal(explained.json.decision.rule, 'takeover-withheld', 'explain promotion shows the same rule');

  const allowed = await runAgent('reload-agent', params('bravo', { ...manual, OCF_RESKEY_auto_takeover: 'true' }));
  t.equal(allowed.rc, 0, 'the operator sets auto_takeover=true: Pacemaker reloads the agent');
  t.equal(await score('bravo'), '1030', 'the reload publishes the takeover score');
  t.equal((await runAgent('promote', params('bravo', manual))).rc, 0, 'bravo is promoted');
  t.equal((await runAgent('monitor', params('bravo', manual))).rc, 8);
});

t.test('auto_resync=false: the crashed former Primary is held StandAlone until tandem connect', async (t) => {
  const onlyOnBravo = await write('bravo', BLOCK);
  await cluster.start('alpha');
  const started = await runAgent('start', params('alpha', manual));
  t.equal(started.rc, 0, `start on alpha: ${started.stderr}`);
  const held = await status(cluster, 'alpha', 'r0');
  t.match(held.held, /went away as Primary .*tandem connect r0/, 'status says why it is held and what to do');
  t.equal(held.connections[0].connectionState, 'StandAlone');
  const text = await cluster.cli('alpha', ['status', 'r0']);
  t.match(String(text.stdout), /held: went away as Primary/, 'the human status shows it too');
  t.equal((await runAgent('monitor', params('alpha', manual))).rc, 0);
  t.equal(await score('alpha'), null, 'held: never promoted by Pacemaker');
  await sleep(1500); // several reconnect attempts of bravo's
  t.not((await status(cluster, 'bravo', 'r0')).connections[0].connectionState, 'Connected', 'bravo cannot connect to the held node');

  t.equal((await cluster.cli('alpha', ['connect', 'r0'])).exitCode, 0, 'the operator connects');
  await waitFor(cluster, 'bravo', 'r0', 'alpha resynced from bravo', peersUpToDate(['alpha']));
  t.equal((await status(cluster, 'alpha', 'r0')).held, null, 'no longer held');
  t.equal((await runAgent('demote', params('bravo', manual))).rc, 0);
  t.equal(sha256File(files.disk('alpha')), sha256File(files.disk('bravo')), 'identical data after the resync');
  t.same(readRange(files.disk('alpha'), BLOCK, BLOCK), onlyOnBravo, "alpha now holds the write made while it was away");

  await cluster.kill('alpha'); // a crash as Secondary, after the resync
  await cluster.start('alpha');
  t.equal((await runAgent('start', params('alpha', manual))).rc, 0);
  t.equal((await status(cluster, 'alpha', 'r0')).held, null, 'resynced once: not held again on the next start');
  await waitFor(cluster, 'bravo', 'r0', 'alpha back', peersUpToDate(['alpha']));
});

t.test('auto_resync=true (default): a crashed former Primary connects and is resynced on its own', async (t) => {
  t.equal((await runAgent('promote', params('alpha'))).rc, 0, 'alpha is Primary again');
  await waitFor(cluster, 'alpha', 'r0', 'bravo UpToDate', peersUpToDate(['bravo']));
  await cluster.kill('alpha');
  t.equal((await runAgent('promote', params('bravo'))).rc, 0, 'bravo takes over (auto_takeover defaults to true)');
  await write('bravo', 2 * BLOCK);
  await cluster.start('alpha');
  t.equal((await runAgent('start', params('alpha'))).rc, 0);
  t.equal((await status(cluster, 'alpha', 'r0')).held, null, 'not held');
  await waitFor(cluster, 'bravo', 'r0', 'alpha resynced on its own', peersUpToDate(['alpha']));
  t.equal((await runAgent('demote', params('bravo'))).rc, 0);
  t.equal(sha256File(files.disk('alpha')), sha256File(files.disk('bravo')), 'identical data');
  for (const n of ['alpha', 'bravo']) t.equal((await runAgent('stop', params(n))).rc, 0, `stop on ${n}`);
});
