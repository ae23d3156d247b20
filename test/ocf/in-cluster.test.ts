// ocf:tandem:replica driven by a real Pacemaker: a 3-node cluster (test/harness/pcmk) runs the
// clone configured by `tandem pacemaker config`; each node's tandemd is scripted (the real control
// server, answering from a role table in this process; its socket path is visible in every node).
// Pacemaker must start all three Secondary, promote exactly one, see monitor 8 there, move
// promotion when the Promoted node dies, obey the fence constraint and its lifting.
import t from 'tap';
import { join } from 'node:path';
import { userInfo } from 'node:os';
import { REPO_ROOT, TANDEM_BIN } from '../helpers/cli.js';
import { PcmkCluster } from '../harness/pcmk/cluster.js';
import { ScriptedDaemon, sandbox } from './helpers.js';
import { tandem } from '../helpers/cli.js';

const CLONE = 'tandem-r0-clone';

if (userInfo().uid !== 0) {
  t.skip('needs root: network namespaces, corosync and pacemaker');
} else {
  t.test('Pacemaker runs the agent: one Promoted, failover, fence constraint honoured', async (t) => {
    const nodes = ['node1', 'node2', 'node3'];
    const box = sandbox('ocf-cluster', nodes);
    const daemons = new Map(nodes.map((n) => [n, new ScriptedDaemon(join(box.runDir, `${n}.ctl`), n)]));
    for (const d of daemons.values()) await d.listen();
    const c = await PcmkCluster.start({ nodes: 3, ocfProviders: { tandem: `${REPO_ROOT}ocf` } });
    t.teardown(async () => {
      await c.stop(true);
      for (const d of daemons.values()) await d.close();
      box.remove();
    });

    // the configuration exactly as an administrator would load it, with the agent's parameters
    const cib = await tandem(['pacemaker', 'config', 'r0', '--format', 'cib'], { TANDEM_CONFIG_DIR: box.configDir });
    t.equal(cib.exitCode, 0, String(cib.stderr));
    const withParams = String(cib.stdout).replace('<nvpair id="tandem-r0-instance_attributes-resource" name="resource" value="r0"/>',
      '<nvpair id="tandem-r0-instance_attributes-resource" name="resource" value="r0"/>'
      + `<nvpair id="tandem-r0-ia-config_dir" name="config_dir" value="${box.configDir}"/>`
      + `<nvpair id="tandem-r0-ia-run_dir" name="run_dir" value="${box.runDir}"/>`);
    for (const section of ['resources', 'constraints']) {
      const fragment = new RegExp(`<${section}>[\\s\\S]*</${section}>|<${section}/>`).exec(withParams.split('<configuration>')[1])![0];
      const r = await c.exec('node1', ['cibadmin', '--modify', '--allow-create', '-o', section, '-X', fragment]);
      t.equal(r.exitCode, 0, `load ${section}: ${r.stderr}`);
    }

    // settled: crm_mon lists it Promoted (not "Promoting") and that node's tandemd is Primary
    const settled = async (from: string): Promise<string | null> => {
      const m = /\* Promoted: \[ (\S+) \]/.exec((await c.exec(from, ['crm_mon', '-1'])).stdout);
      return m && daemons.get(m[1])?.state?.role === 'Primary' ? m[1] : null;
    };
    await c.waitFor(async () => (await settled('node1')) !== null, 60_000, 'one Promoted instance');
    const first = (await settled('node1'))!;
    t.same(await c.promoted(CLONE), [first]);
    const roles = Object.fromEntries([...daemons].map(([n, d]) => [n, d.state?.role ?? 'down']));
    t.same(roles, Object.fromEntries(nodes.map((n) => [n, n === first ? 'Primary' : 'Secondary'])), 'only that node\'s tandemd is Primary, the others were started Secondary');
    const score = await c.exec(first, ['crm_attribute', '--promotion=tandem-r0', '-l', 'reboot', '-G', '-q']);
    t.equal(score.stdout.trim(), '10064', 'the agent published its promotion score (the Primary\'s: the best plus the tie-break range)');
    const mon = await c.exec(first, ['crm_mon', '-1', '--output-as=xml']);
    t.match(mon.stdout, /<resource id="tandem-r0" resource_agent="ocf:tandem:replica"\s+role="Promoted"[^>]*failed="false"/, 'crm_mon: Promoted, not failed');
    t.notMatch(mon.stdout, /<failure /, 'no failed operations');

    // the Primary's fence-peer handler, run on its node, forbids promotion of everyone else
    const survivors = nodes.filter((n) => n !== first);
    const fence = await c.exec(first, ['node', TANDEM_BIN, 'fence', 'peer', '--resource', 'r0', '--node', first,
      '--up-to-date', first, '--peer', survivors[0]]);
    t.equal(fence.exitCode, 4, fence.stderr);

    // the Primary dies: the outdated survivors must not be promoted while the constraint stands
    await c.killNode(first);
    await daemons.get(first)!.close();
    await c.waitFor(async () => (await c.onlineNodes(survivors[0])).join() === survivors.join(), 30_000, `${first} seen offline`);
    const samples: string[] = [];
    for (let i = 0; i < 10; i++) {
      samples.push(...await c.promoted(CLONE, survivors[0]));
      await new Promise((r) => setTimeout(r, 500));
    }
    t.same(samples, [], 'no survivor promoted during 5 s while fenced');

    // their data is UpToDate again: unfence lifts the constraint, and a survivor is promoted
    const unfence = await c.exec(survivors[0], ['node', TANDEM_BIN, 'fence', 'unfence', '--resource', 'r0', '--node', survivors[0],
      '--up-to-date', nodes.join(','), '--config-dir', box.configDir]);
    t.equal(unfence.exitCode, 0, unfence.stderr);
    await c.waitFor(async () => survivors.includes((await settled(survivors[0])) ?? ''), 60_000, 'a survivor promoted after unfence');
    t.notMatch((await c.exec(survivors[0], ['cibadmin', '-Q', '-o', 'constraints'])).stdout, /tandem-fence-r0/, 'no constraint left behind');
  });
}
