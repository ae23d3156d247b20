// The README's first command ends with `tandem demo`: three daemons, kill -9 of the Primary,
// failover, verification. Its JSON summary must show no lost write and identical survivors,
// and it must leave nothing behind.
import t from 'tap';
import { readdirSync } from 'node:fs';
import { tandemJson } from '../helpers/cli.js';

t.test('tandem demo', async (t) => {
  const before = readdirSync('/dev/shm').filter((f) => f.startsWith('tandem-demo-'));
  const { result, json } = await tandemJson<{ acknowledgedWrites: number; lostWrites: number; blocksVerified: number; blocksChecked: number; survivorsIdentical: boolean }>(['demo', '--seconds', '1', '--volume-mib', '32']);
  t.equal(result.exitCode, 0, String(result.stderr));
  t.ok(json.acknowledgedWrites > 0, `${json.acknowledgedWrites} writes acknowledged before the kill`);
  t.equal(json.lostWrites, 0);
  t.equal(json.blocksVerified, json.blocksChecked);
  t.equal(json.survivorsIdentical, true);
  const after = readdirSync('/dev/shm').filter((f) => f.startsWith('tandem-demo-'));
  t.same(after, before, 'the demo removed its directory');
});
