// Kill or power loss (docs/ARCHITECTURE.md §5): kill -9 of the Primary and its Secondary while
// writes are in flight and unflushed, both restarted on the same machine boot. The page cache kept
// every write each daemon issued, and the boot id in the metadata says so: the Secondary comes back
// claiming what it acknowledged (protocol C), so it is the source of the crashed Primary's
// activity log rather than its target (the source DRBD would pick). Both end UpToDate, identical,
// with every acknowledged write. (A power loss cannot be made here; the simulator covers it.)
import t from 'tap';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { summarize } from '../../src/meta/inspect.js';
import { normalizeBootId } from '../../src/meta/superblock.js';
import { logLinesSince, logMark } from '../helpers/daemon-log.js';
import { checkRecovered, restartAndUp, writeInBackground } from '../helpers/crash-recovery.js';
import { openCluster } from '../helpers/scenario.js';

const SIZE = 64 * 1024 * 1024;
const nodes = ['a', 'b'];
const BOOT_ID = '/proc/sys/kernel/random/boot_id';

t.test('kill -9 of Primary and Secondary during unflushed writes, same boot: the Secondary claims its data', async (t) => {
  const { cluster, files } = await openCluster(t, 'tandem-sameboot-', { name: 'sb', nodes, sizeBytes: SIZE, primary: 'a', peers: ['b'] });
  const boot = normalizeBootId(readFileSync(BOOT_ID, 'utf8'));
  t.ok(boot, `this machine has a boot id (${BOOT_ID})`);

  const mark = logMark(cluster);
  const writes = writeInBackground(files.socket('a'), SIZE);
  await sleep(1500);
  await Promise.all(nodes.map((n) => cluster.kill(n))); // no FLUSH since the writes began
  const written = await writes.stop();
  t.ok(written.ok > 100, `${written.ok} writes acknowledged before the kill, none flushed`);
  let upAt = 0;
  for (const n of nodes) upAt = await restartAndUp(cluster, n, 'sb');

  const restarted = (n: string) => logLinesSince(cluster, mark, n, /^back from a process crash in the same boot/);
  t.match(restarted('b'), [{ volume: 0, claimsAcknowledged: true }], 'b: same boot, it holds what it acknowledged');
  t.match(restarted('a'), [{ volume: 0, claimsAcknowledged: false }], 'a: same boot; as the crashed Primary it keeps its own rule');
  t.same(logLinesSince(cluster, mark, 'b', /^back from a crash in another boot/), [], 'no power loss is assumed');
  await checkRecovered(t, { cluster, res: 'sb', files, nodes, upAt, mark, acked: writes.acked });
  const handshakes = logLinesSince(cluster, mark, 'b', /^handshake$/).filter((l) => l.peer === 'a');
  t.match(handshakes[0], { decision: 'source', rule: /the peer crashed as Primary, this node stayed up or only its process restarted \(protocol C/ },
    'b is the source of the crashed Primary');
  for (const n of nodes) t.equal(summarize(`pmem:${files.meta(n)}`).bootId, boot, `${n}'s metadata records this boot (md show)`);
});
