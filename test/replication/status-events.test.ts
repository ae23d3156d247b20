// `tandem status --json` follows its documented JSON schema in every state a test can reach
// (idle, syncing with progress, Primary, disconnected), and `tandem events --json` prints one
// line per state change.
import t from 'tap';
import { Ajv } from 'ajv';
import { execa } from 'execa';
import { readFileSync } from 'node:fs';
import { TANDEM_BIN } from '../helpers/cli.js';
import { TestCluster } from '../helpers/daemons.js';
import { writeResource } from '../helpers/resource-config.js';
import { peersUpToDate, waitFor } from '../helpers/wait.js';

const schema = JSON.parse(readFileSync(new URL('../../src/engine/status.schema.json', import.meta.url), 'utf8'));

t.test('status JSON schema and the event stream', async (t) => {
  const validate = new Ajv({ allErrors: true }).compile(schema);
  const cluster = new TestCluster();
  t.teardown(() => cluster.destroy());
  await writeResource(cluster, { name: 'ev', nodes: ['a', 'b'], sizeBytes: 128 * 1024 * 1024, extra: ['resync-rate = 32M'] });
  for (const n of ['a', 'b']) {
    await cluster.cli(n, ['md', 'create', 'ev']);
    await cluster.start(n);
  }
  const events = execa(process.execPath, [TANDEM_BIN, 'events', '--json'], { env: cluster.envFor('a'), reject: false, stdin: 'ignore' });
  t.teardown(() => events.kill());
  await new Promise((r) => setTimeout(r, 1500));

  const check = async (what: string): Promise<void> => {
    const { json } = await cluster.cliJson('a', ['status']);
    t.ok(validate(json), `status while ${what} follows the schema ${JSON.stringify(validate.errors)}`);
  };
  await check('no resource is up');
  for (const n of ['a', 'b']) await cluster.cli(n, ['up', 'ev']);
  await check('Secondary');
  await cluster.cli('a', ['primary', 'ev', '--force']);
  const syncing = await waitFor(cluster, 'a', 'ev', 'resync progress', (s) => (s.connections[0].volumes[0].resync?.doneBytes ?? 0) > 0);
  const progress = syncing.connections[0].volumes[0].resync!;
  t.ok(progress.rateBytesPerSec > 0 && progress.etaSeconds !== null, `resync shows rate ${progress.rateBytesPerSec} B/s and ETA ${progress.etaSeconds} s`);
  await check('syncing');
  await waitFor(cluster, 'a', 'ev', 'in sync', peersUpToDate(['b']), 60_000);
  await check('Primary and in sync');
  await cluster.kill('b');
  await waitFor(cluster, 'a', 'ev', 'b gone', (s) => s.connections[0].connectionState !== 'Connected');
  await check('disconnected');

  events.kill('SIGINT');
  const lines = String((await events).stdout).trim().split('\n').map((l) => JSON.parse(l) as { kind: string; resource: string; time: string });
  const kinds = new Set(lines.map((e) => e.kind));
  for (const k of ['disk', 'connection', 'role', 'replication', 'resync-progress']) t.ok(kinds.has(k), `an event of kind ${k}`);
  t.ok(lines.every((e) => e.resource === 'ev' && !Number.isNaN(Date.parse(e.time))), 'every event names its resource and time');
});
