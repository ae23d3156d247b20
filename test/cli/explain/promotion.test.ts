// `tandem explain promotion` through the real CLI and control socket, with a scripted tandemd.
import t from 'tap';
import { join } from 'node:path';
import { tandem, tandemJson } from '../../helpers/cli.js';
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
  t.match(r.stdout, /promotion score of r0 on alpha: 10000\n  because: UpToDate, and every diskful peer is connected \(rule uptodate-peers-known\)/);
  t.match(r.stdout, /peer bravo: connected, disks UpToDate/);
  t.match(r.stdout, /→ uptodate-peers-known\s+10000/);
});

t.test('--json: an Outdated disk is not promotable', async (t) => {
  daemon.state = { role: 'Secondary', disk: 'Outdated' };
  const { result, json } = await tandemJson<{ decision: { score: null; rule: string }; inputs: { localDisks: string[] }; rules: { fired: boolean; id: string }[] }>(['explain', 'promotion', 'r0'], env);
  t.equal(result.exitCode, 0);
  t.same(json.decision, { score: null, rule: 'local-outdated', because: 'a local volume is Outdated' });
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
