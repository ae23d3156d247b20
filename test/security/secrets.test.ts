// The secret and the previous secret never show outside the configuration file: two real tandemd
// nodes log at debug level through a refused connection (b has another secret), a rotation (b
// gets the new secret and keeps a's as previous-secret), replication and status; then every
// daemon log line, every event, `status --json`, `config explain --json`, and the command lines
// and environments of the daemons (what ps and a core dump's environment show) are searched
// for both secrets and for the TLS key derived from them.
import t from 'tap';
import { execa } from 'execa';
import { readFileSync } from 'node:fs';
import { TestCluster } from '../helpers/daemons.js';
import { bringUp } from '../helpers/scenario.js';
import { writeResource } from '../helpers/resource-config.js';
import { peersUpToDate, waitFor } from '../helpers/wait.js';
import { TANDEM_BIN } from '../helpers/cli.js';
import { peerSecrets, tlsPsk } from '../../src/transport/secrets.js';

const OLD = 'SEKRET-old-3f9a1c88d2';
const NEW = 'SEKRET-new-77be20c4aa';

t.test('secrets appear in no log line, event, status, explain output, command line or environment', async (t) => {
  process.env.TANDEM_LOG_LEVEL = 'debug';
  t.teardown(() => { delete process.env.TANDEM_LOG_LEVEL; });
  const cluster = new TestCluster();
  t.teardown(() => cluster.destroy());
  const files = await writeResource(cluster, { name: 'hy', nodes: ['a', 'b'], secret: OLD, secrets: { b: NEW } });
  await bringUp(cluster, 'hy', ['a', 'b']);
  const events = execa(process.execPath, [TANDEM_BIN, 'events', '--json'], { env: cluster.envFor('a'), reject: false, buffer: false });
  let eventText = '';
  events.stdout!.on('data', (chunk: Buffer) => { eventText += chunk.toString(); });
  t.teardown(() => { events.kill('SIGTERM'); });
  await cluster.cli('a', ['primary', 'hy', '--force']);
  const refusalEvent = /"kind":"connection"[^\n]*"refused":"auth"/;
  for (let i = 0; i < 300 && !refusalEvent.test(eventText); i++) await new Promise((r) => setTimeout(r, 100));
  t.match(eventText, refusalEvent, 'b with another secret is refused (an event says so)');
  t.ok(cluster.nodes.get('a')!.log.some((l) => /no secret in common/.test(l)), 'and the log names the key ids');

  // rotation on b: the new secret, and a's (old) one as previous-secret; a down/up applies it
  const text = readFileSync(`${cluster.configDir}/hy.ini`, 'utf8');
  cluster.writeNodeConfig('b', 'hy.ini', text.replace(`secret = ${OLD}`, `secret = ${NEW}\nprevious-secret = ${OLD}`));
  t.equal((await cluster.cli('b', ['down', 'hy'])).exitCode, 0);
  t.equal((await cluster.cli('b', ['up', 'hy'])).exitCode, 0);
  await waitFor(cluster, 'a', 'hy', 'b UpToDate', peersUpToDate(['b']));
  await execa('qemu-io', ['-f', 'raw', '-c', 'write -P 0x5a 0 1M', `nbd:unix:${files.socket('a')}`]);

  const outputs: Record<string, string> = {};
  for (const n of ['a', 'b']) {
    outputs[`status ${n}`] = (await cluster.cli(n, ['status', 'hy', '--json'])).stdout;
    outputs[`explain ${n}`] = (await cluster.cli(n, ['config', 'explain', 'hy', '--json', '--node', n])).stdout;
    outputs[`explain text ${n}`] = (await cluster.cli(n, ['config', 'explain', 'hy', '--node', n])).stdout;
    outputs[`config check ${n}`] = (await cluster.cli(n, ['config', 'check', '--json'])).stdout;
    outputs[`log ${n}`] = cluster.nodes.get(n)!.log.join('\n');
    const pid = cluster.nodes.get(n)!.process!.pid!;
    outputs[`cmdline ${n}`] = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    outputs[`environ ${n}`] = readFileSync(`/proc/${pid}/environ`, 'utf8');
  }
  events.kill('SIGTERM');
  await events;
  outputs.events = eventText;
  t.match(outputs['log a'], /"level":"debug"/, 'the logs are at debug level');
  t.match(outputs['explain text b'], /previous-secret\s+\(set, 21 characters\)/, 'explain shows that previous-secret is set, not what it is');

  const forbidden = [OLD, NEW, ...peerSecrets('hy', NEW, OLD).map((s) => tlsPsk(s, 'hy').psk.toString('hex'))];
  for (const [where, text] of Object.entries(outputs)) {
    const found = forbidden.filter((s) => text.includes(s));
    t.same(found, [], `${where} (${text.length} bytes): no secret`);
  }
});
