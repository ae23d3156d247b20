// What a disk detached on an I/O error claims when it comes back (docs/ARCHITECTURE.md §9): the
// metadata keeps what it may honestly claim, as DRBD leaves it. A Secondary's disk not known to
// hold the only copy is Consistent (DISK_FAILED), never UpToDate without a handshake and never
// Inconsistent (sim seeds 20068, 20457: the only good copy marked Inconsistent left nobody
// UpToDate); a Primary's disk that its peers went on without is Outdated. One that failed on
// reads alone lost no write (READ_ERRORS_ONLY), and weighs as a disk that kept them (seed 30719).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { VolumeMeta } from '../../../src/engine/metadata.js';
import { Resource } from '../../../src/engine/resource.js';
import { Volume } from '../../../src/engine/volume.js';
import { VolumeMetadata } from '../../../src/meta/volume-metadata.js';
import { runSeed } from '../../../src/platform/sim/runner.js';
import { parseStoredScenario } from '../../../src/platform/sim/workload.js';
import { MiB, tempDir } from '../../meta/fixtures/helpers.js';

t.test('disk state at attach: a failed disk whose flags say UpToDate is Consistent; the other flags are kept', (t) => {
  const state = (consistent: boolean, wasUpToDate: boolean, diskFailed: boolean) => Volume.diskStateFromFlags({ consistent, wasUpToDate, diskFailed });
  t.equal(state(true, true, false), 'UpToDate');
  t.equal(state(true, true, true), 'Consistent', 'failed, not known the only copy: a handshake decides');
  t.equal(state(true, false, true), 'Outdated', 'Outdated stays Outdated');
  t.equal(state(false, false, true), 'Inconsistent', 'an interrupted resync target stays Inconsistent');
  t.end();
});

t.test('DISK_FAILED is persisted, and cleared with the next UpToDate claim', (t) => {
  const path = `pmem:${join(tempDir(t), 'md')}`;
  const sink = { generationChanged: () => undefined };
  const md = VolumeMetadata.create(path, { volumeSize: 8 * MiB, maxPeers: 2, nodeId: 0 });
  const meta = new VolumeMeta(md, sink);
  meta.setFlags({ consistent: true, wasUpToDate: true });
  meta.setFlags({ diskFailed: true });
  meta.close();
  const failed = new VolumeMeta(VolumeMetadata.open(path), sink);
  t.equal(Volume.diskStateFromFlags(failed.flags), 'Consistent', 'after a restart too');
  failed.setFlags({ consistent: true, wasUpToDate: true, diskFailed: false }); // what confirmUpToDate writes
  failed.close();
  t.equal(Volume.diskStateFromFlags(new VolumeMeta(VolumeMetadata.open(path), sink).flags), 'UpToDate');
  t.end();
});

t.test('READ_ERRORS_ONLY is persisted, and goes with DISK_FAILED', (t) => {
  const path = `pmem:${join(tempDir(t), 'md')}`;
  const sink = { generationChanged: () => undefined };
  const meta = new VolumeMeta(VolumeMetadata.create(path, { volumeSize: 8 * MiB, maxPeers: 2, nodeId: 0 }), sink);
  meta.setFlags({ consistent: true, wasUpToDate: true });
  meta.setFlags({ diskFailed: true, readErrorsOnly: true });
  meta.close();
  const failed = new VolumeMeta(VolumeMetadata.open(path), sink);
  t.same([failed.flags.diskFailed, failed.flags.readErrorsOnly], [true, true], 'after a restart too');
  t.equal(Volume.diskStateFromFlags(failed.flags), 'Consistent', 'still Consistent until a handshake: its peers may have gone on without it');
  failed.setFlags({ consistent: true, wasUpToDate: true, diskFailed: false }); // what confirmUpToDate writes
  failed.close();
  t.equal(new VolumeMeta(VolumeMetadata.open(path), sink).flags.readErrorsOnly, false, 'the next UpToDate claim clears it with DISK_FAILED');
  t.end();
});

// Sim seed 30719 (protocol B, 3 nodes): n2 holds the only copy of write 85 when the Primary n0 and
// n1 lose power. As n0's SyncSource its reads fail (injected read EIO); the second time n1 is out
// of reach, so n2's disk is not known to be the only copy: DISK_FAILED, on reads alone. Attached
// again at quiescence it is Consistent and still the source of the crashed Primary.
t.test('a Secondary disk that failed on reads alone comes back Consistent and is the crashed Primary\'s source', async (t) => {
  const scenario = parseStoredScenario(readFileSync(new URL('./regressions/seed-30719-read-failed-survivor-loses-claim.json', import.meta.url), 'utf8'));
  const factory = (c: ConstructorParameters<typeof Resource>[0], n: string, p: ConstructorParameters<typeof Resource>[2]) => new Resource(c, n, p);
  const r = await runSeed({ seed: 30719, scenario, factory, traceKeep: Infinity });
  const line = (re: RegExp) => r.trace.find((l) => re.test(l));
  t.ok(line(/n2#2 \| error local disk failed.*read of/), 'a read failed on n2');
  t.ok(line(/n2#2 \| info the failed disk lost no write/), 'n2 records that it lost no write');
  t.ok(line(/n2#2 \| info disk attached .*"diskState":"Consistent"/), 'back Consistent');
  t.ok(line(/n0#2 \| info handshake .*"peer":"n2".*"decision":"target".*the peer's disk kept all it stored/), 'the crashed Primary n0 is its target');
  t.same(r.violations.map((v) => `${v.checker}: ${v.message}`), [], 'no checker fires: write 85 survives');
});

// Protocol C, 3 nodes. The Primary n0's disk fails (ENOSPC) and it goes on through n1 and n2. A
// write then fails on n2 (ENOSPC): n1 stores it, n0 acknowledges it. n2's disk is not the only
// copy (n1 is UpToDate): it keeps its flags, marked DISK_FAILED. n1 is then disconnected. At
// quiescence n2 comes back Consistent, in a generation older than n1's, and finds n0's disk
// (Outdated) behind it: it is no source while n1, a peer of its generation that may hold the
// write it failed to store, is unheard (or it hears n1 first and is its target). n0, resynced from n1, then finds n2 behind it; n0 had
// paused n2 as its source meanwhile, and now becomes its source (the pause is lifted).
t.test('a failed Secondary disk comes back Consistent and waits for the peer that holds the write it lost', async (t) => {
  const scenario = parseStoredScenario(readFileSync(new URL('./fixtures/failed-disk-write-held-by-peer.json', import.meta.url), 'utf8'));
  const factory = (c: ConstructorParameters<typeof Resource>[0], n: string, p: ConstructorParameters<typeof Resource>[2]) => new Resource(c, n, p);
  const r = await runSeed({ seed: scenario.seed, scenario, factory, traceKeep: Infinity });
  const line = (re: RegExp) => r.trace.find((l) => re.test(l));
  t.ok(line(/n2#1 \| error local disk failed.*ENOSPC/), 'a write failed on n2');
  t.ok(line(/n0#1 \| info disk attached .*"diskState":"Outdated"/), 'the Primary\'s failed disk, which its peers went on without, is Outdated');
  t.ok(line(/n2#1 \| info disk attached .*"diskState":"Consistent"/), 'n2\'s failed disk comes back Consistent');
  // n2 decides on n0 only once n1 is heard: it waits for n1, or n1's State came first (the
  // engine's timing decides which; both keep n2 from being a source on data it may lack)
  const attached = r.trace.findIndex((l) => /n2#1 \| info disk attached .*"diskState":"Consistent"/.test(l));
  const firstDecision = r.trace.slice(attached).find((l) => /n2#1 \| info handshake/.test(l)) ?? '';
  t.ok(line(/n2#1 \| info disk stays Consistent: a peer of its generation.*"waitingFor":"n1"/) || /"peer":"n1"/.test(firstDecision), `n2 is no source while n1 is unheard (first decision: ${firstDecision})`);
  t.notOk(line(/n2#1 \| info disk confirmed UpToDate/), 'n2 never claims UpToDate on its own data: it is resynced');
  t.same(r.violations.map((v) => `${v.checker}: ${v.message}`), [], 'no checker fires: every node converges on the acknowledged data');
});
