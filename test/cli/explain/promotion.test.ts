// `tandem explain promotion` through the real CLI and control socket, with a scripted tandemd.
import t from 'tap';
import { join } from 'node:path';
import { tandem, tandemJson } from '../../helpers/cli.js';
import { writeFileSync } from 'node:fs';
import { fenceConstraintXml } from '../../../src/cluster/constraints.js';
import { buildModel, render } from '../../../src/cluster/pacemaker-config.js';
import { resourceConfig } from '../../cluster/fixture-config.js';
import { clusterCibText, run } from '../../cluster/pcmk-tools.js';
import { ScriptedDaemon, sandbox } from '../../ocf/helpers.js';

const box = sandbox('explain');
const daemon = new ScriptedDaemon(join(box.runDir, 'alpha.ctl'), 'alpha');
await daemon.listen();
t.teardown(async () => { await daemon.close(); box.remove(); });
const env = { TANDEM_NODE: 'alpha', TANDEM_RUN_DIR: box.runDir, TANDEM_CONFIG_DIR: box.configDir, CIB_file: join(box.dir, 'none.xml') };

t.test('prints inputs, the rule that fired and the score', async (t) => {
  daemon.state = { role: 'Secondary', disk: 'UpToDate' };
  const r = await tandem(['explain', 'promotion', 'r0'], env);
  t.equal(r.exitCode, 0, String(r.stderr));
  t.match(r.stdout, /promotion score of r0 on alpha: 10031 \(tie-break \+31: node id 0\)\n  because: UpToDate, and every diskful peer is connected \(rule uptodate-peers-known\)/);
  t.match(r.stdout, /peer bravo: connected, disks UpToDate/);
  t.match(r.stdout, /adjust_master_score 0 10 1000 10000, promotion_preference \(none: node id order\)/);
  t.match(r.stdout, /→ uptodate-peers-known\s+10000/);
  t.match(r.stdout, /  primary\s+10064/);
});

t.test('--json: an Outdated disk is not promotable', async (t) => {
  daemon.state = { role: 'Secondary', disk: 'Outdated' };
  const { result, json } = await tandemJson<{ decision: { score: null; rule: string }; inputs: { localDisks: string[] }; rules: { fired: boolean; id: string }[] }>(['explain', 'promotion', 'r0'], env);
  t.equal(result.exitCode, 0);
  t.same(json.decision, { score: null, rule: 'local-outdated', because: 'a local volume is Outdated', tieBreak: 0 });
  t.same(json.inputs.localDisks, ['Outdated']);
  t.same(json.rules.filter((r) => r.fired).map((r) => r.id), ['local-outdated']);
});

t.test('not up: TANDEM_E_NOT_FOUND; no daemon: TANDEM_E_DAEMON', async (t) => {
  daemon.state = null;
  const down = await tandem(['explain', 'promotion', 'r0'], env);
  t.equal(down.exitCode, 4);
  t.match(down.stderr, /TANDEM_E_NOT_FOUND: resource 'r0' is not up on node alpha/);
  const gone = await tandem(['explain', 'promotion', 'r0'], { ...env, TANDEM_NODE: 'bravo' });
  t.equal(gone.exitCode, 7);
  t.match(gone.stderr, /TANDEM_E_DAEMON/);
});

t.test('constraints are folded in: a tandem-fence constraint that excludes this node makes it -INFINITY; the agent parameters come from the CIB', async (t) => {
  daemon.state = { role: 'Secondary', disk: 'UpToDate' };
  const cib = join(box.dir, 'cib-explain.xml');
  const generated = render(buildModel(resourceConfig('r0', ['alpha', 'bravo'])), 'cib')
    .replace('<nvpair id="tandem-r0-instance_attributes-resource" name="resource" value="r0"/>',
      '<nvpair id="tandem-r0-instance_attributes-resource" name="resource" value="r0"/><nvpair id="tandem-r0-ia-pref" name="promotion_preference" value="alpha"/>');
  writeFileSync(cib, clusterCibText(generated, { alpha: 10063, bravo: 10030 }, 'master-tandem-r0'));
  const cibEnv = { ...env, CIB_file: cib, CIB_shadow_dir: box.dir };
  const plain = await tandemJson<{ decision: { score: number; tieBreak: number }; effective: number; constraints: unknown[]; published: number }>(['explain', 'promotion', 'r0'], cibEnv);
  t.equal(plain.json.decision.score, 10063, 'promotion_preference read from the primitive in the CIB: first in the list');
  t.equal(plain.json.published, 10063, 'the published score');
  t.same(plain.json.constraints, [], 'no constraint bears on alpha');
  t.equal(plain.json.effective, 10063);

  await run('cibadmin', ['--create', '-o', 'constraints', '-X', fenceConstraintXml({ resource: 'r0', rsc: 'tandem-r0-clone', allowed: ['bravo'] })], { CIB_file: cib });
  await run('cibadmin', ['--create', '-o', 'constraints', '-X', '<rsc_location id="cli-prefer-tandem-r0-clone" rsc="tandem-r0-clone" role="Promoted" node="alpha" score="50"/>'], { CIB_file: cib });
  const fenced = await tandem(['explain', 'promotion', 'r0'], cibEnv);
  t.equal(fenced.exitCode, 0, String(fenced.stderr));
  t.match(fenced.stdout, /promotion score of r0 on alpha: 10063 \(tie-break \+63: position 1 in promotion_preference\)/);
  t.match(fenced.stdout, /with constraints: -INFINITY: Pacemaker never promotes this node while the constraints below stand\n    tandem-fence-r0: -INFINITY, Tandem's fence constraint allows promotion only on bravo\n    cli-prefer-tandem-r0-clone: \+50, a location constraint for the Promoted role on alpha \(score 50\)/);
  const json = await tandemJson<{ effective: string; constraints: Array<{ id: string; score: string | number }> }>(['explain', 'promotion', 'r0'], cibEnv);
  t.equal(json.json.effective, '-INFINITY');
  t.same(json.json.constraints.map((c) => [c.id, c.score]), [['tandem-fence-r0', '-INFINITY'], ['cli-prefer-tandem-r0-clone', 50]]);

  await run('cibadmin', ['--delete', '-o', 'constraints', '-X', '<rsc_location id="tandem-fence-r0"/>'], { CIB_file: cib });
  const preferred = await tandemJson<{ effective: number }>(['explain', 'promotion', 'r0'], cibEnv);
  t.equal(preferred.json.effective, 10113, 'without the fence: the score plus the +50 preference');
});
