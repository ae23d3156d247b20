// `tandem config explain` run for real: effective values with origins, for the local node first.
import t from 'tap';
import { tandem, tandemJson } from '../../helpers/cli.js';
import type { Explanation } from '../../../src/config/explain.js';
import { configDir, withAppended } from '../../fixtures/config/ini.js';

const TEXT = withAppended('volume.0.disk = /dev/vg1/r0');

t.test('--json: every resource key and every node value with its origin; the secret is not shown', async (t) => {
  const dir = configDir(t, { 'r0.ini': TEXT });
  const file = `${dir}/r0.ini`;
  const { result, json } = await tandemJson<Explanation>(['config', 'explain', 'r0', '--config-dir', dir, '--node', 'bravo']);
  t.equal(result.exitCode, 0, String(result.stderr));
  t.equal(json.resource, 'r0');
  t.equal(json.localNode, 'bravo');
  const setting = (list: Explanation['settings'], key: string) => list.find((s) => s.key === key);
  t.same(json.settings.map((s) => s.key), ['name', 'protocol', 'secret', 'fencing', 'quorum', 'on-no-quorum', 'after-sb-0pri', 'after-sb-1pri', 'after-sb-2pri', 'al-extents', 'resync-rate', 'ping-interval', 'ping-timeout', 'standalone', 'transport-security', 'previous-secret', 'data-integrity-alg', 'tls-cert', 'tls-key', 'tls-ca', 'export-tls-psk', 'export-insecure']);
  t.match(setting(json.settings, 'protocol'), { value: 'C', origin: { source: 'file', file, line: 3 }, description: /acknowledged/ });
  t.match(setting(json.settings, 'ping-timeout'), { value: '500ms', origin: { source: 'default' } });
  t.match(setting(json.settings, 'secret'), { value: '(set, 21 characters)' });
  t.notOk(JSON.stringify(json).includes('correct-horse-battery'), 'the secret never appears');
  t.same(json.nodes.map((n) => [n.name, n.id, n.local]), [['bravo', 1, true], ['alpha', 0, false]], 'local node first');
  const [bravo, alpha] = json.nodes;
  t.same(bravo.settings.map((s) => s.key), ['id', 'address', 'volume.0.disk', 'volume.0.meta', 'volume.0.export', 'volume.0.size']);
  t.match(setting(bravo.settings, 'volume.0.disk'), { value: '/dev/vg1/r0', origin: { source: 'node-override', file, line: 19 } });
  t.match(setting(alpha.settings, 'volume.0.disk'), { value: '/dev/vg0/r0', origin: { source: 'file', file, line: 8 } });
  t.match(setting(alpha.settings, 'volume.0.size'), { value: '(size of the disk)', origin: { source: 'default' } });
  t.same(json.warnings, []);
});

t.test('text: one line per value with its origin', async (t) => {
  const dir = configDir(t, { 'r0.ini': TEXT });
  const file = `${dir}/r0.ini`;
  const result = await tandem(['config', 'explain', 'r0', '--config-dir', dir], { TANDEM_NODE: 'alpha' });
  t.equal(result.exitCode, 0);
  const lines = String(result.stdout).split('\n');
  t.equal(lines[0], `resource r0 (${file})`);
  t.match(lines.find((l) => l.trim().startsWith('protocol')), new RegExp(`^  protocol +C +${file}:3 +when a write is acknowledged`));
  t.match(lines.find((l) => l.trim().startsWith('quorum')), /^ {2}quorum +off +default +nodes that must be reachable/);
  t.ok(lines.includes('node alpha (local)'));
  const bravoAt = lines.indexOf('node bravo');
  t.ok(bravoAt > lines.indexOf('node alpha (local)'));
  t.match(lines.slice(bravoAt).find((l) => l.includes('volume.0.disk')), new RegExp(`/dev/vg1/r0 +node override ${file}:19`));
});

t.test('the warnings of the resource come with the explanation', async (t) => {
  const dir = configDir(t, { 'r0.ini': TEXT.replace('fencing = resource-only', 'fencing = dont-care') });
  const { result, json } = await tandemJson<Explanation>(['config', 'explain', 'r0', '--config-dir', dir, '--node', 'alpha']);
  t.equal(result.exitCode, 0);
  t.same(json.warnings.map((w) => [w.code, w.line]), [['TANDEM_W_FENCING_DONT_CARE', 5]]);
  t.match(json.settings.find((s) => s.key === 'fencing'), { value: 'dont-care', origin: { source: 'file', line: 5 } });
});

t.test('an unknown resource is not found (exit 4) and names the defined ones', async (t) => {
  const dir = configDir(t, { 'r0.ini': TEXT });
  const { result, json } = await tandemJson<{ error: { code: string; message: string; hint: string } }>(['config', 'explain', 'r9', '--config-dir', dir]);
  t.equal(result.exitCode, 4);
  t.same([json.error.code, json.error.message, json.error.hint], ['TANDEM_E_NOT_FOUND', `no resource 'r9' in ${dir}`, 'resources defined there: r0']);
});

t.test('a local node outside the resource is said so, and explain still works', async (t) => {
  const dir = configDir(t, { 'r0.ini': TEXT });
  const result = await tandem(['config', 'explain', 'r0', '--config-dir', dir, '--node', 'zulu']);
  t.equal(result.exitCode, 0);
  t.ok(String(result.stdout).includes('local node zulu is not a node of this resource'));
});
