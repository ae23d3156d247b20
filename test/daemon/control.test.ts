// The control socket of a real tandemd: root-only permissions, errors with codes, deadlines,
// malformed requests answered without harm, and a client that never hangs on a dead daemon.
import t from 'tap';
import { statSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { TestCluster } from '../helpers/daemons.js';
import { ControlClient } from '../../src/daemon/control-client.js';

function rawExchange(path: string, payload: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(path, () => s.write(payload));
    let out = '';
    s.on('data', (d) => { out += d.toString(); if (out.includes('\n')) { s.destroy(); resolve(out); } });
    s.on('error', reject);
    s.on('close', () => resolve(out));
  });
}

t.test('control socket', async (t) => {
  const cluster = new TestCluster();
  t.teardown(() => cluster.destroy());
  await cluster.start('n1');
  const socket = join(cluster.root, 'run', 'n1.ctl');

  t.equal(statSync(socket).mode & 0o777, 0o600, 'only root may talk to the daemon');

  const status = await cluster.cliJson<{ schemaVersion: number; node: string; resources: unknown[] }>('n1', ['status']);
  t.same(status.json, { schemaVersion: 1, node: 'n1', resources: [] });

  const missing = await cluster.cli('n1', ['up', 'nope']);
  t.equal(missing.exitCode, 4);
  t.match(String(missing.stderr), /TANDEM_E_NOT_FOUND: no resource 'nope'/);

  const notUp = await cluster.cli('n1', ['primary', 'r9']);
  t.equal(notUp.exitCode, 4);
  t.match(String(notUp.stderr), /resource 'r9' is not up on node n1\nhint: run 'tandem up r9' first/);

  t.match(await rawExchange(socket, 'this is not json\n'), /"ok":false.*TANDEM_E_PROTOCOL/);
  t.match(await rawExchange(socket, '{"id":7,"op":"format-disk"}\n'), /"id":7,"ok":false.*TANDEM_E_USAGE.*unknown control operation/);
  const huge = await rawExchange(socket, 'x'.repeat(2 * 1024 * 1024));
  t.match(huge, /TANDEM_E_PROTOCOL.*longer than/, 'an endless line is cut off, not buffered');

  const ping = await new ControlClient(socket).call<{ node: string }>('ping');
  t.equal(ping.node, 'n1', 'the daemon still answers after bad clients');
});

t.test('a client never hangs: no daemon, and a daemon that does not answer', async (t) => {
  const cluster = new TestCluster();
  t.teardown(() => cluster.destroy());
  const r = await cluster.cli('ghost', ['status']);
  t.equal(r.exitCode, 7);
  t.match(String(r.stderr), /TANDEM_E_DAEMON: tandemd is not running/);

  const node = await cluster.start('n2');
  node.process!.kill('SIGSTOP');
  t.teardown(() => node.process?.kill('SIGCONT'));
  const started = Date.now();
  const hung = await cluster.cli('n2', ['status', '--timeout', '1']).catch((e) => e);
  t.ok(Date.now() - started < 15_000, 'the CLI gave up on a stopped daemon');
  t.not(hung.exitCode, 0);
});
