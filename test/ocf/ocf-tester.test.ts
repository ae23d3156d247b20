// resource-agents' ocf-tester on the real shim: meta-data DTD check, permissions, meta-data as
// nobody, validate-all, start/stop/monitor idempotence, probes, and the promote/demote sequence
// (demote, promote, demote twice, promote twice, …) against a scripted tandemd.
import t from 'tap';
import { execa } from 'execa';
import { join } from 'node:path';
import { AGENT, CLEAN_ENV, ScriptedDaemon, sandbox } from './helpers.js';

const box = sandbox('ocf-tester');
const daemon = new ScriptedDaemon(join(box.runDir, 'alpha.ctl'), 'alpha');
await daemon.listen();
t.teardown(async () => { await daemon.close(); box.remove(); });

t.test('ocf-tester passes every test', async (t) => {
  // env -i: tap instruments node children through the environment; ocf-tester also runs the agent as nobody
  const r = await execa('env', ['-i', `PATH=${CLEAN_ENV.PATH}`, 'ocf-tester', '-n', 'tandem-r0', '-o', 'resource=r0', '-o', `config_dir=${box.configDir}`,
    '-o', `run_dir=${box.runDir}`, '-o', 'node=alpha', AGENT], { reject: false, stdin: 'ignore', timeout: 240_000, all: true });
  t.equal(r.exitCode, 0, String(r.all));
  t.match(String(r.all), /passed all tests/);
  t.notMatch(String(r.all), /does not support the (promote|demote|notify)/, 'promotable: promote, demote and notify were exercised');
  t.ok(daemon.ops.includes('primary') && daemon.ops.includes('secondary'), 'the daemon saw promotions and demotions');
  t.equal(daemon.state, null, 'ocf-tester ends with the resource stopped');
});
