import t from 'tap';
import { changedOnlyUnacknowledged, decideSync, inconsistentSideTakes, keptItsWrites, neitherHoldsData, UUID_JUST_CREATED, type GenerationView, type SyncDecision } from '../../src/engine/sync-decision.js';

const view = (current: bigint, bitmapForPeer = 0n, history: bigint[] = [], crashedPrimary = false): GenerationView =>
  ({ current, bitmapForPeer, history, crashedPrimary });

const A = 0xa000n, B = 0xb000n, C = 0xc000n, D = 0xd000n;

t.test('freshly created metadata', async (t) => {
  t.match(decideSync(view(UUID_JUST_CREATED), view(UUID_JUST_CREATED), true), { kind: 'no-sync' });
  t.match(decideSync(view(UUID_JUST_CREATED), view(A), true), { kind: 'target', full: true });
  t.match(decideSync(view(A), view(UUID_JUST_CREATED), true), { kind: 'source', full: true });
});

t.test('an interrupted initial sync resumes from the bitmap', async (t) => {
  t.match(decideSync(view(A, UUID_JUST_CREATED), view(UUID_JUST_CREATED), true), { kind: 'source', full: false });
  t.match(decideSync(view(UUID_JUST_CREATED), view(A, UUID_JUST_CREATED), true), { kind: 'target', full: false });
});

t.test('equal generations: no sync, unless one side crashed as Primary', async (t) => {
  t.match(decideSync(view(A), view(A), true), { kind: 'no-sync' });
  t.match(decideSync(view(A | 1n), view(A), true), { kind: 'no-sync' }, 'the Primary bit is ignored');
  t.match(decideSync(view(A, 0n, [], true), view(A), true), { kind: 'source', full: false });
  t.match(decideSync(view(A), view(A, 0n, [], true), true), { kind: 'target', full: false });
  t.match(decideSync(view(A, 0n, [], true), view(A, 0n, [], true), true), { kind: 'source' });
  t.match(decideSync(view(A, 0n, [], true), view(A, 0n, [], true), false), { kind: 'target' });
});

t.test('a crashed Primary against a peer that holds every write it acknowledged (B or C)', async (t) => {
  const crashed = (bitmapForPeer = 0n): GenerationView => ({ ...view(A, bitmapForPeer, [], true) });
  const survivor: GenerationView = { ...view(A), survivedPrimaryLoss: true };
  const kept: GenerationView = { ...view(A), keptItsWrites: true };
  for (const protocol of ['B', 'C'] as const) {
    t.match(decideSync(crashed(), survivor, true, protocol), { kind: 'target' }, `${protocol}: a peer that stayed up is the source`);
    t.match(decideSync(survivor, crashed(), true, protocol), { kind: 'source' }, `${protocol}: the same from the survivor's side`);
    t.match(decideSync(crashed(), kept, true, protocol), { kind: 'target', overOutdated: true }, `${protocol}: a peer whose disk kept the whole generation is the source, Outdated or not`);
    t.match(decideSync(kept, crashed(), true, protocol), { kind: 'source', overOutdated: true }, `${protocol}: the same from that peer's side`);
    t.match(decideSync(crashed(B), kept, true, protocol), { kind: 'source' }, `${protocol}: a peer that left the generation (a bitmap id kept for it) holds nothing the crash lost`);
    t.match(decideSync(kept, crashed(B), true, protocol), { kind: 'target' }, `${protocol}: the same from that peer's side`);
  }
  t.match(decideSync(crashed(), kept, true, 'A'), { kind: 'source' }, 'A: acknowledged writes may exist only on the crashed Primary');
  t.match(decideSync(crashed(), survivor, true, 'A'), { kind: 'source' }, 'A: even against a peer that stayed up');
  t.match(decideSync(crashed(), view(A), true, 'C'), { kind: 'source' }, 'C: a peer that may have lost its own cache is no better');
});

// Sim seed 30719: the survivor holding the only copy of an acknowledged write failed on reads as
// the crashed Primary's SyncSource; back Consistent (DISK_FAILED), it claimed nothing, and the
// crashed Primary, which had lost the write, became its source.
t.test('a disk kept its writes: UpToDate or Outdated, not back from a crash, or back from a failure on reads alone', async (t) => {
  const kept = (diskState: string, crashed = false, readErrorsOnly = false) => keptItsWrites({ diskState, crashed, readErrorsOnly });
  t.ok(kept('UpToDate'));
  t.ok(kept('Outdated'), 'detached (or outdated) before it noticed its Primary\'s loss');
  t.notOk(kept('UpToDate', true), 'back from a crash: its cache may have lost writes');
  t.notOk(kept('Consistent'), 'Consistent for another reason (a failed write or flush, a Primary\'s re-attached disk)');
  t.ok(kept('Consistent', false, true), 'back from a failure on reads alone: a read changes nothing on the disk');
  t.notOk(kept('Consistent', true, true), 'a crash since the failure may have lost writes');
  t.notOk(kept('Inconsistent', false, true), 'a resync target since: no longer the data it held');
  t.notOk(kept('Diskless'));
  const readFailed: GenerationView = { ...view(A), keptItsWrites: kept('Consistent', false, true) };
  t.match(decideSync(view(A, 0n, [], true), readFailed, true, 'B'), { kind: 'target', overOutdated: true }, 'the crashed Primary is its target');
  t.match(decideSync(readFailed, view(A, 0n, [], true), true, 'C'), { kind: 'source', overOutdated: true }, 'the same from the failed disk\'s side');
});

t.test('bitmap-based resync when one side kept a bitmap since the other left', async (t) => {
  // Primary moved from A to B while the peer (still at A) was away: Primary's bitmap id for it is A.
  t.match(decideSync(view(B, A, [A]), view(A), true), { kind: 'source', full: false });
  t.match(decideSync(view(A), view(B, A, [A]), true), { kind: 'target', full: false });
});

t.test('full sync when only the history relates the two', async (t) => {
  t.match(decideSync(view(C, 0n, [B, A]), view(A), true), { kind: 'source', full: true });
  t.match(decideSync(view(A), view(C, 0n, [B, A]), true), { kind: 'target', full: true });
});

t.test('split brain when both sides moved on from the same generation', async (t) => {
  t.match(decideSync(view(B, A, [A]), view(C, A, [A]), true), { kind: 'split-brain', autoRecoverable: true });
  t.match(decideSync(view(B, 0n, [D, A]), view(C, 0n, [A]), true), { kind: 'split-brain', autoRecoverable: false });
});

t.test('unrelated data is refused', async (t) => {
  t.match(decideSync(view(A), view(B), true), { kind: 'unrelated' });
});

t.test('both moved on during the initial sync between them: a split brain, not unrelated data', async (t) => {
  // A was syncing the other from a new volume (its bits for it are against JUST_CREATED); the
  // other, half-synced, was promoted with --force (a takeover) and wrote in a generation of its own
  t.match(decideSync(view(B, UUID_JUST_CREATED, [A]), view(C), true), { kind: 'split-brain', autoRecoverable: false });
  t.match(decideSync(view(C), view(B, UUID_JUST_CREATED, [A]), false), { kind: 'split-brain', autoRecoverable: false });
  t.match(decideSync(view(A), view(B), true), { kind: 'unrelated' }, 'without that bitmap, still unrelated');
});

t.test('a side that acknowledged nothing since the two last shared data may be discarded', async (t) => {
  const E = 0xe000n;
  // A Primary in A lost its peer, started B at its next write, and answered nothing since (claim: A)
  const side = { current: B, history: [A, D], unacknowledgedSince: A };
  t.ok(changedOnlyUnacknowledged(side, A), 'the other left it in A, the claimed one');
  t.ok(changedOnlyUnacknowledged({ current: C, history: [B, A, D], unacknowledgedSince: A }, A), 'a claim over two generations (seed 20434)');
  t.ok(changedOnlyUnacknowledged({ current: C, history: [B, A, D], unacknowledgedSince: A }, B | 1n), 'the other left it later, in B (the Primary bit aside)');
  t.notOk(changedOnlyUnacknowledged({ current: C, history: [B, A, D], unacknowledgedSince: B }, A), 'it may have answered writes in B that the other, left in A, lacks');
  t.notOk(changedOnlyUnacknowledged({ ...side, unacknowledgedSince: null }, A), 'no claim');
  t.notOk(changedOnlyUnacknowledged(side, 0n), 'the other keeps no bitmap id for it: nothing ties its bits to a generation');
  t.notOk(changedOnlyUnacknowledged(side, E), 'a generation not in its lineage');
  t.notOk(changedOnlyUnacknowledged(side, B), 'its current generation (a plain bitmap resync, never a split brain)');
});

t.test('a resync target that adopted a claimer\'s generations carries its claim (seed 1621432225)', async (t) => {
  // n0, Primary in A, cut off, started B, D, C and answered nothing (claim: A); n2 resynced from
  // it and adopted C with n0's history; n3 followed the Primary promoted meanwhile (E from A)
  const E = 0xe000n;
  const n2 = { current: C, history: [B, D, A], unacknowledgedSince: A };
  t.match(decideSync(view(E, A, [A]), view(C, 0n, [B, D, A]), true), { kind: 'split-brain', autoRecoverable: false }, 'the generations alone: a split brain');
  t.ok(changedOnlyUnacknowledged(n2, A), 'with the claim, n2\'s changes since A are discarded');
  t.notOk(changedOnlyUnacknowledged({ ...n2, unacknowledgedSince: null }, A), 'without it (main before the fix), the split brain stands');
});

t.test('a split brain with one Inconsistent side: it becomes the SyncTarget (DRBD: due to disk states; seed 81634270)', async (t) => {
  const auto: SyncDecision = { kind: 'split-brain', autoRecoverable: true, rule: 'both changed data from the same generation' };
  const ambiguous: SyncDecision = { kind: 'split-brain', autoRecoverable: false, rule: 'shared history, ambiguous ancestry' };
  const inconsistent = { diskState: 'Inconsistent', primary: false };
  const upToDate = { diskState: 'UpToDate', primary: false };
  t.match(inconsistentSideTakes(auto, inconsistent, upToDate), { kind: 'target', full: false, rule: /local disk is Inconsistent/ }, 'bitmaps since the same generation: the bits both keep');
  t.match(inconsistentSideTakes(auto, upToDate, inconsistent), { kind: 'source', full: false, rule: /the peer's disk is Inconsistent/ });
  t.match(inconsistentSideTakes(ambiguous, inconsistent, { diskState: 'Consistent', primary: false }), { kind: 'target', full: true }, 'no common bitmap: the whole volume');
  t.match(inconsistentSideTakes(ambiguous, upToDate, { diskState: 'Inconsistent', primary: false }), { kind: 'source', full: true });
  t.same(inconsistentSideTakes(auto, upToDate, upToDate), auto, 'both hold data: still a split brain');
  t.same(inconsistentSideTakes(auto, inconsistent, inconsistent), auto, 'both Inconsistent: no source');
  t.same(inconsistentSideTakes(auto, inconsistent, { diskState: 'Outdated', primary: false }), auto, 'an Outdated side may lack writes: not a source');
  t.same(inconsistentSideTakes(auto, { diskState: 'Inconsistent', primary: true }, upToDate), auto, 'a Primary serves its disk: the operator decides');
  t.same(inconsistentSideTakes(auto, upToDate, { diskState: 'Inconsistent', primary: true }), auto);
  const unrelated: SyncDecision = { kind: 'unrelated', rule: 'no common generation' };
  t.same(inconsistentSideTakes(unrelated, inconsistent, upToDate), unrelated, 'unrelated data stays refused');
  const target: SyncDecision = { kind: 'target', full: false, rule: 'x' };
  t.same(inconsistentSideTakes(target, inconsistent, upToDate), target, 'any other decision is left alone');
});

t.test('a split brain between two Inconsistent disks: neither holds data to keep, both wait (seed 81634270)', async (t) => {
  const auto: SyncDecision = { kind: 'split-brain', autoRecoverable: true, rule: 'both changed data from the same generation' };
  const inconsistent = { diskState: 'Inconsistent', primary: false };
  t.ok(neitherHoldsData(auto, inconsistent, inconsistent), 'two SyncTargets of one Primary, in diverged generations');
  t.notOk(neitherHoldsData(auto, inconsistent, { diskState: 'UpToDate', primary: false }), 'one holds data: inconsistentSideTakes resyncs the other');
  t.notOk(neitherHoldsData(auto, inconsistent, { diskState: 'Outdated', primary: false }), 'an Outdated disk holds data: still a split brain');
  t.notOk(neitherHoldsData(auto, inconsistent, { diskState: 'Inconsistent', primary: true }), 'a Primary serves its disk: the operator decides');
  t.notOk(neitherHoldsData({ kind: 'unrelated', rule: 'no common generation' }, inconsistent, inconsistent), 'unrelated data stays refused');
  t.notOk(neitherHoldsData({ kind: 'no-sync', rule: 'equal generations' }, inconsistent, inconsistent), 'not a split brain: adjustForDiskStates decides');
});

t.test('equal generations, a crashed Primary: who holds every acknowledged write (stayed up, or a restart in the same boot)', async (t) => {
  const crashed = (intact: boolean): GenerationView => ({ ...view(A, 0n, [], true), crashedPrimaryIntact: intact });
  const secondary = (claims: boolean): GenerationView => ({ ...view(A), survivedPrimaryLoss: claims });
  // the crashed Primary may have lost power: a Secondary that holds what it acknowledged leads on B and C, not on A
  t.match(decideSync(secondary(true), crashed(false), false, 'C'), { kind: 'source', rule: /this node stayed up or only its process restarted \(protocol C/ });
  t.match(decideSync(crashed(false), secondary(true), true, 'C'), { kind: 'target' });
  t.match(decideSync(secondary(true), crashed(false), false, 'B'), { kind: 'source' });
  t.match(decideSync(secondary(true), crashed(false), false, 'A'), { kind: 'target' }, 'on A the crashed Primary may hold acknowledged writes the peer lacks');
  t.match(decideSync(secondary(false), crashed(false), false, 'C'), { kind: 'target', rule: 'equal generations, peer crashed as Primary' }, "a restart after a power loss claims nothing: DRBD's rule");
  // the crashed Primary only lost its process (same boot): it lost nothing and stays the source, whatever the peer claims
  for (const protocol of ['A', 'B', 'C'] as const) {
    t.match(decideSync(crashed(true), secondary(true), true, protocol), { kind: 'source', rule: /only its process/ }, `protocol ${protocol}`);
    t.match(decideSync(secondary(true), crashed(true), false, protocol), { kind: 'target', rule: /only its process/ }, `protocol ${protocol}, the other side`);
  }
  t.match(decideSync(crashed(true), crashed(false), false, 'C'), { kind: 'target', rule: /both crashed as Primary, lower node id wins/ }, 'both crashed as Primary: unchanged');
  // a survivor's claim is no intact crash: a crashed Primary that says survivedPrimaryLoss (its ranges of a lost Primary) is not made the source by it
  t.match(decideSync({ ...crashed(false), survivedPrimaryLoss: true }, secondary(true), true, 'C'), { kind: 'target', rule: /the peer stayed up/ });
});
