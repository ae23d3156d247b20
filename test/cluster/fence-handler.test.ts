// The fence-peer / unfence-peer handlers as tandemd runs them: the agents/ shims with DRBD's
// handler environment, against CIB files (CIB_file) whose node states model each situation;
// crm_simulate then shows whom Pacemaker would promote.
import t from 'tap';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { once } from 'node:events';
import { join } from 'node:path';
import { buildModel, render } from '../../src/cluster/pacemaker-config.js';
import { REPO_ROOT } from '../helpers/cli.js';
import { resourceConfig } from './fixture-config.js';
import { clusterCibText, promotedAfterSimulation, run, scratch } from './pcmk-tools.js';

const s = scratch('fence');
t.teardown(() => s.remove());

const generated = render(buildModel(resourceConfig('r0', ['alpha', 'bravo', 'charlie'])), 'cib');
const scores = { alpha: 1000, bravo: 10000, charlie: 5000 };
let n = 0;
function cluster(opts: Parameters<typeof clusterCibText>[3] = {}): string {
  const file = s.file(`cib-${n++}.xml`);
  writeFileSync(file, clusterCibText(generated, scores, 'master-tandem-r0', opts));
  return file;
}

/** DRBD 9 handler environment as tandemd sets it (src/engine/fencing.ts), alpha Primary. */
function drbdEnv(cib: string, upToDateMask: number, peerId: number | null): Record<string, string> {
  return {
    ...s.env, CIB_file: cib,
    DRBD_RESOURCE: 'r0', DRBD_MY_NODE_ID: '0', DRBD_NODE_ID_0: 'alpha', DRBD_NODE_ID_1: 'bravo', DRBD_NODE_ID_2: 'charlie',
    UP_TO_DATE_NODES: `0x${upToDateMask.toString(16).padStart(8, '0')}`,
    ...(peerId === null ? {} : { DRBD_PEER_NODE_ID: String(peerId) }),
  };
}
const handler = (name: string, env: Record<string, string>) => run(`${REPO_ROOT}agents/${name}`, [], env);
const fences = (file: string): number => readFileSync(file, 'utf8').split('id="tandem-fence-r0"').length - 1;
const offline = 'in_ccm="false" crmd="offline" join="down"';

t.test('peer still a member: exit 4, the constraint bans promotion of the outdated nodes', async (t) => {
  const cib = cluster();
  t.same(await promotedAfterSimulation(cib, s.env), ['bravo'], 'control: bravo has the best score');
  const r = await handler('tandem-fence-peer', drbdEnv(cib, 0b001, 1));
  t.equal(r.exitCode, 4, String(r.stderr));
  t.match(r.stderr, /tandem-fence-peer r0: constraint placed: tandem-fence-r0 allows promotion only on alpha; bravo online, now outdated \(exit 4\)/);
  t.same(await promotedAfterSimulation(cib, s.env), ['alpha']);
  const again = await handler('tandem-fence-peer', drbdEnv(cib, 0b001, 1));
  t.equal(again.exitCode, 4, 'idempotent');
  t.match(again.stderr, /constraint already in place/);
  t.equal(fences(cib), 1);
});

t.test('peer fenced (left as expected): exit 7; peer unclean: exit 5; both place the constraint', async (t) => {
  const fenced = cluster({ nodeState: { bravo: `${offline} expected="down"` } });
  const r7 = await handler('tandem-fence-peer', drbdEnv(fenced, 0b101, 1));
  t.equal(r7.exitCode, 7, String(r7.stderr));
  t.equal(fences(fenced), 1);
  const unclean = cluster({ nodeState: { bravo: `${offline} expected="member"` } });
  const r5 = await handler('tandem-fence-peer', drbdEnv(unclean, 0b101, 1));
  t.equal(r5.exitCode, 5, String(r5.stderr));
  t.match(r5.stderr, /bravo unreachable/);
  t.same(await promotedAfterSimulation(unclean, s.env), ['charlie'], 'charlie is UpToDate and allowed; bravo is not');
});

t.test('refusals: no quorum, local node not UpToDate, peer Promoted; none places anything', async (t) => {
  const noQuorum = cluster({ quorum: false });
  const q = await handler('tandem-fence-peer', drbdEnv(noQuorum, 0b001, 1));
  t.equal(q.exitCode, 1);
  t.match(q.stderr, /no quorum/);
  t.equal(fences(noQuorum), 0);

  const stale = cluster();
  const st = await handler('tandem-fence-peer', drbdEnv(stale, 0b010, 1));
  t.equal(st.exitCode, 1);
  t.match(st.stderr, /alpha is not UpToDate/);
  t.equal(fences(stale), 0);

  const before = cluster();
  const running = s.file('running.xml');
  const sim = await run('crm_simulate', ['-x', before, '-S', '-O', running], s.env);
  t.equal(sim.exitCode, 0, String(sim.stderr));
  const r6 = await handler('tandem-fence-peer', drbdEnv(running, 0b001, 1));
  t.equal(r6.exitCode, 6, String(r6.stderr));
  t.match(r6.stderr, /bravo is Promoted in Pacemaker/);
  t.equal(fences(running), 0);
});

t.test('unfence: narrows while a node is behind (2), lifts once all are UpToDate (0), then nothing to do (0)', async (t) => {
  const cib = cluster();
  t.equal((await handler('tandem-fence-peer', drbdEnv(cib, 0b001, null))).exitCode, 4);
  const partial = await handler('tandem-unfence-peer', drbdEnv(cib, 0b011, null));
  t.equal(partial.exitCode, 2, String(partial.stderr));
  t.match(partial.stderr, /charlie not UpToDate yet; promotion allowed on alpha, bravo/);
  t.same(await promotedAfterSimulation(cib, s.env), ['bravo']);
  const all = await handler('tandem-unfence-peer', drbdEnv(cib, 0b111, null));
  t.equal(all.exitCode, 0, String(all.stderr));
  t.match(all.stderr, /removed constraint tandem-fence-r0/);
  t.equal(fences(cib), 0);
  const none = await handler('tandem-unfence-peer', drbdEnv(cib, 0b111, null));
  t.equal(none.exitCode, 0);
  t.match(none.stderr, /nothing to do/);
});

t.test('by hand with flags and --json; a broken environment exits 1, never a Tandem code', async (t) => {
  const cib = cluster();
  const r = await run(process.execPath, [`${REPO_ROOT}bin/tandem.js`, 'fence', 'peer', '--resource', 'r0', '--node', 'alpha',
    '--up-to-date', 'alpha,charlie', '--peer', 'bravo', '--json'], { ...s.env, CIB_file: cib });
  t.equal(r.exitCode, 4, String(r.stderr));
  t.match(JSON.parse(String(r.stdout)), { exitCode: 4, constraint: 'tandem-fence-r0' });
  const broken = await handler('tandem-fence-peer', { ...s.env, CIB_file: cib });
  t.equal(broken.exitCode, 1);
  t.match(broken.stderr, /TANDEM_RESOURCE \/ DRBD_RESOURCE is not set/);
});

t.test('a Primary without quorum (TANDEM_QUORUM=no) steps aside: exit 8, places nothing, lifts its own earlier constraint', async (t) => {
  const noQuorum = (cib: string, mask: number, peer: number) => ({ ...drbdEnv(cib, mask, peer), TANDEM_QUORUM: 'no' });
  const clean = cluster();
  const r = await handler('tandem-fence-peer', noQuorum(clean, 0b001, 1));
  t.equal(r.exitCode, 8, String(r.stderr));
  t.match(r.stderr, /alpha has no quorum for r0: the majority decides who is promoted; no constraint placed \(exit 8\)/);
  t.equal(fences(clean), 0, 'nothing placed');
  t.same(await promotedAfterSimulation(clean, s.env), ['bravo'], 'the best-scored node of the majority can be promoted');

  // bravo was lost first (quorum kept: constraint allows alpha and charlie), then charlie (quorum lost)
  const earlier = cluster();
  t.equal((await handler('tandem-fence-peer', drbdEnv(earlier, 0b101, 1))).exitCode, 4);
  t.same(await promotedAfterSimulation(earlier, s.env), ['charlie'], 'control: the constraint keeps bravo from promotion');
  const lifted = await handler('tandem-fence-peer', noQuorum(earlier, 0b001, 2));
  t.equal(lifted.exitCode, 8, String(lifted.stderr));
  t.match(lifted.stderr, /no quorum for r0: the majority decides who is promoted; lifted tandem-fence-r0/);
  t.equal(fences(earlier), 0, 'the constraint is gone');
  t.same(await promotedAfterSimulation(earlier, s.env), ['bravo'], 'the majority promotes as its scores say');
});

/** A configuration directory where bravo's tandemd listens on a local port (or does not): the handler probes it. */
async function bravoAt(port: number): Promise<string> {
  const dir = s.file(`etc-${port}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'r0.ini'), ['[resource]', 'name = r0', 'secret = primary-lost-test', '', '[volume.0]', 'size = 1MiB', '',
    ...['alpha', 'bravo', 'charlie'].flatMap((n, id) => [`[node.${n}]`, `id = ${id}`, `address = 127.0.0.1:${n === 'bravo' ? port : 7000 + id}`,
      `volume.0.disk = ${dir}/${n}.img`, `volume.0.meta = pmem:${dir}/${n}.meta`, '']),
  ].join('\n'), { mode: 0o600 });
  return dir;
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

t.test('primary-lost: re-probes a Promoted peer whose tandemd is gone (port refused) while the node stays an online member', async (t) => {
  const configDir = await bravoAt(await freePort()); // nothing listens there: tandemd is gone
  const env = (cib: string) => ({ ...drbdEnv(cib, 0b101, 1), TANDEM_CONFIG_DIR: configDir, TANDEM_LOST_REASON: 'control socket: peer closed the connection' });
  const gone = cluster({ nodeState: { bravo: `${offline} expected="member"` } });
  const r1 = await handler('tandem-primary-lost', env(gone));
  t.equal(r1.exitCode, 0, String(r1.stderr));
  t.match(r1.stderr, /bravo is not an online cluster member: Pacemaker recovers it/);

  const member = cluster();
  const r2 = await handler('tandem-primary-lost', env(member));
  t.equal(r2.exitCode, 0, String(r2.stderr));
  t.match(r2.stderr, /tandem-r0-clone is not Promoted on bravo in Pacemaker: nothing to re-check/);

  const running = s.file('promoted-bravo.xml');
  t.equal((await run('crm_simulate', ['-x', cluster(), '-S', '-O', running], s.env)).exitCode, 0);
  const r3 = await handler('tandem-primary-lost', env(running));
  // a CIB file has no controller to take the refresh: the attempt is what shows the decision
  // (test/cluster-scenarios/filesystem-failover.test.ts has the real re-probe on a live cluster)
  t.equal(r3.exitCode, 1, String(r3.stderr));
  t.match(r3.stderr, /could not ask Pacemaker to re-check bravo: crm_resource --refresh --resource tandem-r0-clone --node bravo failed/);

  // charlie lost bravo too, and sees alpha UpToDate: alpha asks, charlie does not (one re-probe)
  const r4 = await handler('tandem-primary-lost', { ...env(running), TANDEM_NODE: 'charlie', DRBD_MY_NODE_ID: '2' });
  t.equal(r4.exitCode, 0, String(r4.stderr));
  t.match(r4.stderr, /alpha asks Pacemaker to re-check bravo \(one survivor asks, the first by name\)/);
});

t.test('primary-lost leaves alone a peer whose tandemd still listens (only the link broke) and a link that went silent', async (t) => {
  const running = s.file('promoted-bravo-2.xml');
  t.equal((await run('crm_simulate', ['-x', cluster(), '-S', '-O', running], s.env)).exitCode, 0);
  const listener = createServer((c) => c.destroy()).listen(0, '127.0.0.1');
  await once(listener, 'listening');
  t.teardown(() => listener.close());
  const configDir = await bravoAt((listener.address() as AddressInfo).port);
  const open = await handler('tandem-primary-lost', { ...drbdEnv(running, 0b101, 1), TANDEM_CONFIG_DIR: configDir, TANDEM_LOST_REASON: 'data socket: socket error: read ECONNRESET' });
  t.equal(open.exitCode, 0, String(open.stderr));
  t.match(open.stderr, /bravo's tandemd port still accepts connections: tandemd runs, only the link broke/);
  const silent = await handler('tandem-primary-lost', { ...drbdEnv(running, 0b101, 1), TANDEM_CONFIG_DIR: configDir, TANDEM_LOST_REASON: 'ping timeout: no PingAck from node 1 within 500 ms' });
  t.equal(silent.exitCode, 0, String(silent.stderr));
  t.match(silent.stderr, /the link to bravo went silent \(ping timeout: no PingAck from node 1 within 500 ms\): corosync and fencing decide about that node/);
});

t.test('quorum-lost withdraws this node\'s promotion score', async (t) => {
  const cib = cluster();
  const score = async (node: string) => (await run('crm_attribute', ['--promotion=tandem-r0', '-l', 'reboot', '-N', node, '-G', '-q'], { ...s.env, CIB_file: cib })).stdout.trim();
  t.equal(await score('alpha'), '1000', 'control: alpha has a score');
  const r = await handler('tandem-quorum-lost', { ...drbdEnv(cib, 0b001, null), TANDEM_QUORUM: 'no' });
  t.equal(r.exitCode, 0, String(r.stderr));
  t.match(r.stderr, /alpha lost quorum for r0: promotion score withdrawn, so Pacemaker can promote a node of the majority/);
  t.equal(await score('alpha'), '', 'alpha has no score any more');
  t.equal(await score('bravo'), '10000', 'the others keep theirs');
});
