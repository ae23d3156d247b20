// `tandem config check` run for real: exit codes, text and --json output.
import t from 'tap';
import { existsSync } from 'node:fs';
import { tandem, tandemJson } from '../../helpers/cli.js';
import { TWO_NODES, configDir, withLine } from '../../fixtures/config/ini.js';

t.test('a valid directory: ok line, warnings, exit 0', async (t) => {
  const dir = configDir(t, { 'r0.ini': TWO_NODES, 'r1.ini': withLine(2, 'name = r1').replace(/7789/g, '7790').replace(/vg0/g, 'vg1').replace('r0-0.nbd', 'r1-0.nbd').replace('fencing = resource-only', 'fencing = dont-care') });
  const result = await tandem(['config', 'check', '--config-dir', dir, '--node', 'alpha']);
  t.equal(result.exitCode, 0, String(result.stderr));
  t.equal(String(result.stdout), [
    `ok: 2 resources (r0, r1) in 2 files of ${dir}, 1 warning`,
    `warning TANDEM_W_FENCING_DONT_CARE: ${dir}/r1.ini:5: resource 'r1': fencing = dont-care without quorum: if the nodes lose sight of each other, Pacemaker can promote both and the writes of one side are lost in the split brain; use fencing = resource-only or resource-and-stonith, or quorum with 3+ nodes`,
  ].join('\n'));
});

t.test('TANDEM_CONFIG_DIR chooses the directory; --json has the documented shape', async (t) => {
  const dir = configDir(t, { 'r0.ini': TWO_NODES });
  const { result, json } = await tandemJson<Record<string, unknown>>(['config', 'check'], { TANDEM_CONFIG_DIR: dir, TANDEM_NODE: 'bravo' });
  t.equal(result.exitCode, 0);
  t.same(json, {
    ok: true, dir, files: [`${dir}/r0.ini`],
    resources: [{ name: 'r0', file: `${dir}/r0.ini`, nodes: ['alpha', 'bravo'], volumes: 1 }],
    warnings: [],
  });
});

t.test('a host that is no node of any resource is warned about (host-name mismatch)', async (t) => {
  const dir = configDir(t, { 'r0.ini': TWO_NODES });
  const { result, json } = await tandemJson<{ warnings: Array<{ code: string; node: string }> }>(['config', 'check', '--config-dir', dir, '--node', 'alpha2']);
  t.equal(result.exitCode, 0);
  t.same(json.warnings.map((w) => [w.code, w.node]), [['TANDEM_W_NODE_NOT_CONFIGURED', 'alpha2']]);
});

t.test('errors: exit 3 with every error listed and a hint', async (t) => {
  const dir = configDir(t, { 'r0.ini': withLine(3, 'protocol = D').replace('id = 1', 'id = 99') });
  const result = await tandem(['config', 'check', '--config-dir', dir]);
  t.equal(result.exitCode, 3);
  t.equal(String(result.stdout), '');
  const expected = [
    `error TANDEM_E_CONFIG: 2 configuration errors in ${dir}:`,
    `  ${dir}/r0.ini:3: key 'protocol' in [resource]: 'D' is not a replication protocol; allowed: A, B, C`,
    `  ${dir}/r0.ini:17: key 'id' in [node.bravo]: '99' is not within 0..31; allowed: an integer from 0 to 31`,
    "hint: fix each line named above, then run 'tandem config check'",
  ].join('\n');
  t.ok(String(result.stderr).includes(expected), String(result.stderr));
});

t.test('errors with --json: code, message, hint and each error with its fields', async (t) => {
  const dir = configDir(t, { 'r0.ini': withLine(14, 'address = 10.0.0.1:0') });
  const { result, json } = await tandemJson<{ error: { code: string; message: string; hint: string; details: Record<string, unknown> } }>(['config', 'check', '--config-dir', dir]);
  t.equal(result.exitCode, 3);
  t.equal(json.error.code, 'TANDEM_E_CONFIG');
  t.equal(json.error.message, `${dir}/r0.ini:14: key 'address' in [node.alpha]: '10.0.0.1:0' is not an address: port 0 is not within 1..65535; allowed: IPv4:port, [IPv6]:port or hostname:port, port 1..65535`);
  t.match(json.error.details, { file: `${dir}/r0.ini`, line: 14, section: 'node.alpha', key: 'address', value: '10.0.0.1:0', allowed: 'IPv4:port, [IPv6]:port or hostname:port, port 1..65535' });
  t.equal((json.error.details.errors as unknown[]).length, 1);
});

t.test('a missing directory fails with exit 3', async (t) => {
  const dir = `${configDir(t)}/absent`;
  const result = await tandem(['config', 'check', '--config-dir', dir]);
  t.equal(result.exitCode, 3);
  t.ok(String(result.stderr).includes(`error TANDEM_E_CONFIG: configuration directory ${dir} does not exist`));
});

t.test('a frontend this node cannot run is warned about (the promotion would fail here)', {
  skip: existsSync('/sys/module/nbd') ? 'the nbd module is loaded on this machine' : false,
}, async (t) => {
  const dir = configDir(t, { 'r0.ini': withLine(6, 'frontend = nbd') });
  const { result, json } = await tandemJson<{ warnings: Array<{ code: string; node: string; line: number; key: string; message: string }> }>(['config', 'check', '--config-dir', dir, '--node', 'alpha']);
  t.equal(result.exitCode, 0, 'a warning, not an error');
  t.same(json.warnings.map((w) => [w.code, w.node, w.line, w.key]), [['TANDEM_W_FRONTEND_UNAVAILABLE', 'alpha', 6, 'frontend']]);
  t.match(json.warnings[0].message, /^resource 'r0': frontend = nbd cannot run on node alpha \(nbd: the kernel NBD driver is not loaded on this node .*\): promoting it here will fail/);
  const other = await tandemJson<{ warnings: unknown[] }>(['config', 'check', '--config-dir', dir, '--node', 'charlie']);
  t.same(other.json.warnings.map((w) => (w as { code: string }).code), ['TANDEM_W_NODE_NOT_CONFIGURED'], 'only for resources of this node');
});
