// The agent's entries: ocf/replica runs bin/tandem-ocf.js (no CLI framework to load); `tandem ocf`
// is the same agent. Both give the same output, exit code and one-line exit reason.
import t from 'tap';
import { execa } from 'execa';
import { REPO_ROOT } from '../helpers/cli.js';

const PATH = process.env.PATH ?? '/usr/bin:/bin';
const viaShim = (action: string, env: Record<string, string>) => execa(`${REPO_ROOT}ocf/replica`, [action], { env: { PATH, ...env }, extendEnv: false, reject: false });
const viaCli = (action: string, env: Record<string, string>) => execa(process.execPath, [`${REPO_ROOT}bin/tandem.js`, 'ocf', action], { env: { PATH, ...env }, extendEnv: false, reject: false });
const viaEntry = (action: string, env: Record<string, string>) => execa(process.execPath, [`${REPO_ROOT}bin/tandem-ocf.js`, action], { env: { PATH, ...env }, extendEnv: false, reject: false });

t.test('meta-data, a missing configuration and an unknown action: the same answer from every entry', async (t) => {
  const cases: Array<[string, Record<string, string>]> = [
    ['meta-data', {}],
    ['monitor', { OCF_RESKEY_resource: 'r0', OCF_RESKEY_config_dir: '/nonexistent/tandem', OCF_RESKEY_node: 'a' }],
    ['frobnicate', {}],
  ];
  for (const [action, env] of cases) {
    const [shim, cli, entry] = await Promise.all([viaShim(action, env), viaCli(action, env), viaEntry(action, env)]);
    t.equal(shim.exitCode, cli.exitCode, `${action}: same exit code (${cli.exitCode})`);
    t.equal(entry.exitCode, cli.exitCode, `${action}: bin/tandem-ocf.js too`);
    t.equal(shim.stdout, cli.stdout, `${action}: same output`);
    t.equal(shim.stderr, cli.stderr, `${action}: same exit reason (${cli.stderr || 'none'})`);
  }
});
