import t from 'tap';
import { tandem, tandemJson } from '../helpers/cli.js';

t.test('flags and environment choose node, config dir and run dir', async (t) => {
  const { result, json } = await tandemJson<Record<string, string>>(['env', '--node', 'n7'], {
    TANDEM_CONFIG_DIR: '/tmp/tandem-cfg',
    TANDEM_RUN_DIR: '/tmp/tandem-run',
  });
  t.equal(result.exitCode, 0);
  t.same(json, {
    node: 'n7',
    configDir: '/tmp/tandem-cfg',
    runDir: '/tmp/tandem-run',
    controlSocket: '/tmp/tandem-run/n7.ctl',
  });
});

t.test('an unknown flag is a usage error with code, hint and exit 2', async (t) => {
  const result = await tandem(['env', '--bogus']);
  t.equal(result.exitCode, 2);
  t.match(String(result.stderr), /^error TANDEM_E_USAGE: Nonexistent flag: --bogus\nhint: /);
});

t.test('with --json an error is a JSON object on stdout', async (t) => {
  const { result, json } = await tandemJson<{ error: { code: string; hint: string } }>(['env', '--bogus']);
  t.equal(result.exitCode, 2);
  t.equal(json.error.code, 'TANDEM_E_USAGE');
  t.ok(json.error.hint.length > 0);
});
