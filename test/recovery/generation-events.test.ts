// Issue 8, defect 11: every change of a node's data generation is an event with its reason (the
// lead's contract, bulletin 01:35: `{kind:'generation', resource, volume, generation:<hex>,
// previous:<hex>, reason:<text>}`, and a log line 'new data generation' or 'generation adopted'
// naming it).
// 2 nodes, protocol C. `tandem events --json` on a shows one when a is promoted (with b away, as
// DRBD makes a new generation for sure then), b shows one when it adopts a's generation at the
// end of its resync, and a shows one when, Primary, it loses b. Each names the volume, the
// generation `tandem status` then reports, the one before, and a reason (promotion and peer loss
// give different reasons).
// As in DRBD the new generation may be made lazily, at the first write after the change: the test
// writes 4 KiB after each change before looking. Generations are compared as numbers, ignoring
// bit 0 (DRBD's "made while Primary" flag).
import t, { type Test } from 'tap';
import { execa } from 'execa';
import { EventLog } from '../cluster-scenarios/acked-writes.js';
import { TestCluster } from '../helpers/daemons.js';
import { logLines, printLogsOnFailure } from '../helpers/daemon-log.js';
import { waitConverged } from '../helpers/convergence.js';
import { controlSocketOf } from '../helpers/control-socket.js';

import { CliEventStream, type StreamedEvent } from '../helpers/event-stream.js';
import { writeResource } from '../helpers/resource-config.js';
import { bringUp, promoteAndSync, must } from '../helpers/scenario.js';
import { status, waitFor } from '../helpers/wait.js';

const same = (x: unknown, y: string | null): boolean =>
  typeof x === 'string' && y !== null && /^[0-9a-f]+$/i.test(x) && (BigInt(`0x${x}`) | 1n) === (BigInt(`0x${y}`) | 1n);

t.test('generation changes are events with a reason', async (t) => {
  const cluster = new TestCluster('tandem-genevents-');
  t.teardown(() => cluster.destroy());
  printLogsOnFailure(t, cluster);
  const files = await writeResource(cluster, { name: 'ge', nodes: ['a', 'b'], sizeBytes: 16 * 1024 * 1024 });
  await bringUp(cluster, 'ge', ['a', 'b']);
  await promoteAndSync(cluster, 'ge', 'a', ['b']);
  const write = async (offset: number): Promise<void> => {
    await execa('qemu-io', ['-f', 'raw', '-c', `write -P 7 ${offset} 4k`, `nbd:unix:${files.socket('a')}`]);
  };
  const generation = async (node: string): Promise<string | null> => (await status(cluster, node, 'ge')).volumes[0].currentGeneration;
  const events = new CliEventStream(cluster, 'a');
  t.teardown(() => events.stop());
  // a role change proves the stream live; the CLI may start slowly, so toggle until one shows
  let primary = true;
  const toggle = async (): Promise<void> => { await must(cluster, 'a', [primary ? 'secondary' : 'primary', 'ge']); primary = !primary; };
  await events.live(toggle, (e) => e.kind === 'role');
  if (primary) await toggle();

  // promotion, with b away (DRBD makes a new generation then, so that a bitmap tracks what b misses)
  await cluster.kill('b');
  await waitFor(cluster, 'a', 'ge', 'b lost', (s) => s.connections[0].connectionState !== 'Connected', 20_000);
  const beforePromotion = await generation('a');
  await must(cluster, 'a', ['primary', 'ge']);
  await write(0);
  const afterPromotion = await generation('a');
  t.not(afterPromotion, beforePromotion, `promotion made a new generation (${beforePromotion} → ${afterPromotion})`);
  const promoted = await eventFor(events.events, afterPromotion);
  checkEvent(t, 'promotion', promoted, beforePromotion, afterPromotion);

  // b comes back, resyncs and adopts a's generation
  await cluster.start('b');
  const bEvents = await new EventLog(controlSocketOf(cluster, 'b')).open();
  t.teardown(() => bEvents.stop());
  await must(cluster, 'b', ['up', 'ge']);
  await waitConverged(cluster, 'ge', ['a', 'b'], 60_000).catch((err: Error) => t.fail(err.message));
  const bAfter = await generation('b');
  t.ok(same(bAfter ?? '', afterPromotion), `b now has a's generation (${bAfter})`);
  const adopted = await eventFor(bEvents.events as StreamedEvent[], afterPromotion);
  checkEvent(t, "b's adoption", adopted, beforePromotion, afterPromotion);
  t.ok(loggedGeneration(cluster, 'b', afterPromotion), `b logs the adopted generation ${afterPromotion}`);

  // the Primary loses its peer
  await cluster.kill('b');
  await waitFor(cluster, 'a', 'ge', 'b lost', (s) => s.connections[0].connectionState !== 'Connected', 20_000);
  await write(4096);
  const afterLoss = await generation('a');
  t.not(afterLoss, afterPromotion, `losing b made a new generation (${afterPromotion} → ${afterLoss})`);
  const lost = await eventFor(events.events, afterLoss);
  checkEvent(t, 'peer loss', lost, afterPromotion, afterLoss);
  t.ok(promoted && lost && promoted.reason !== lost.reason, `promotion and peer loss give different reasons ("${String(promoted?.reason)}", "${String(lost?.reason)}")`);
  t.ok(loggedGeneration(cluster, 'a', afterPromotion) && loggedGeneration(cluster, 'a', afterLoss), "a logs 'new data generation' for each");
});

/** A log line 'new data generation' or 'generation adopted' (the bulletin's wordings) naming `generation`. */
function loggedGeneration(cluster: TestCluster, node: string, generation: string | null): boolean {
  return logLines(cluster, node, /^(new data generation|generation adopted)/).some((l) => same(l.generation, generation));
}

/** The generation event announcing `generation`, waiting up to 3 s for it. */
async function eventFor(events: readonly StreamedEvent[], generation: string | null): Promise<StreamedEvent | undefined> {
  for (let i = 0; i < 30; i++) {
    const e = events.find((x) => x.kind === 'generation' && same(x.generation, generation));
    if (e) return e;
    await new Promise((r) => setTimeout(r, 100));
  }
  return undefined;
}

function checkEvent(t: Test, what: string, e: StreamedEvent | undefined, previous: string | null, generation: string | null): void {
  t.ok(e, `a 'generation' event for the ${what} (${e ? JSON.stringify(e) : `none announces ${generation}`})`);
  if (!e) return;
  t.equal(e.volume, 0, `${what}: the event names volume 0`);
  t.ok(same(e.previous, previous), `${what}: previous ${String(e.previous)} is the generation before (${previous})`);
  t.ok(typeof e.reason === 'string' && e.reason.length > 0, `${what}: a reason ("${String(e.reason)}")`);
}
