// Kill or power loss: what a node back from a crash may claim about its disk (docs/ARCHITECTURE.md
// §5, "Kill or power loss").
//
// A crash of tandemd alone (kill -9, a daemon bug) keeps the OS page cache: every write the daemon
// issued to its backing disk is there, flushed or not (attach flushes it before anything else). A
// power loss may drop whatever the disk had not made durable. The metadata records the machine's
// boot id while the disk is known to hold every write issued to it; at attach, the same boot id
// says only the process went down. DRBD has no such record: it assumes the worst (its crashed
// Primary is the source of its activity log, and a restarted Secondary claims nothing).
//
// What the record means is kept exact: it is written when the disk holds every write issued to it
// and its state is sound (a clean attach, an attach in the same boot, a disk made UpToDate by a
// handshake or a resync, a promotion), and cleared by an attach after a crash in another (or an
// unknown) boot: that disk may lack writes its flags do not show, and a later kill in the same
// boot must not turn it into one that holds everything.
import { normalizeBootId } from '../meta/layout.js';
import type { Peer } from './peer.js';
import type { Resource } from './resource.js';
import type { VolumeMeta } from './metadata.js';
import { sameGeneration } from './sync-decision.js';
import type { Volume } from './volume.js';

/**
 * At attach (after the flush that makes an earlier run's writes durable): was the last run's end a
 * process crash only? Records this boot when the disk holds every write issued to it, and marks
 * the volume's claim (Volume.intactRestart). Returns what happened, for the log.
 */
export function classifyAttach(r: Resource, v: Volume, meta: VolumeMeta, bootId: string | null): 'clean' | 'same-boot' | 'other-boot' | 'unknown-boot' {
  v.intactRestart = null;
  if (!meta.crashed) {
    meta.recordBoot(bootId);
    return 'clean';
  }
  const recorded = meta.bootId;
  if (bootId === null || recorded === null || recorded !== normalizeBootId(bootId)) {
    meta.recordBoot(null); // until a handshake, a resync or a promotion vouches for this disk again
    return bootId === null || recorded === null ? 'unknown-boot' : 'other-boot';
  }
  meta.recordBoot(bootId);
  const f = meta.flags;
  // only data that was UpToDate (flags as DRBD derives the disk state) held what it acknowledged
  if (f.consistent && f.wasUpToDate && !f.diskFailed && [...r.peers.values()].some((p) => p.diskful)) v.intactRestart = meta.current();
  return 'same-boot';
}

/** The disk holds the newest data now (handshake, resync, promotion): a later kill loses none of it. */
export function diskVouchedFor(r: Resource, v: Volume): void {
  if (r.bootId !== null) v.meta?.recordBoot(r.bootId);
}

/**
 * Does this node hold every write it acknowledged to `peer` (as that peer's Secondary) in its
 * current generation? A survivor that stayed up when its Primary vanished does (survivors.ts); so
 * does a Secondary back from a process crash in the same boot, over protocol B or C: it issued
 * each write to its disk before its RecvAck (B, secondary.ts) or stored it before its WriteAck
 * (C), and the page cache kept it. Not over A: nothing was acknowledged. A crashed Primary back in
 * the same boot claims something else (intactCrashedPrimary): it survived no Primary, and a peer
 * must never weigh it as a fellow survivor.
 */
export function holdsAcknowledgedWrites(r: Resource, v: Volume, peer: Peer): boolean {
  if (r.reconcileRanges.has(v.index)) return true;
  return peer.protocol !== 'A' && intactRestartHolds(v) && !v.meta!.flags.crashedPrimary;
}

/**
 * A crashed Primary back from a process crash in the same boot (over any protocol): it holds every
 * write it made, so it stays the source of its activity log (sync-decision.ts), as in DRBD. Sent
 * as a flag of its own (crashedPrimaryIntact): a receiver reading it as a survivor's claim kept an
 * empty survivor claim after its resync from it, which kept stale bits toward a third node for ever
 * (test/recovery/crash-rejoin-source).
 */
export function intactCrashedPrimary(v: Volume): boolean {
  return intactRestartHolds(v) && v.meta!.flags.crashedPrimary;
}

/** The disk back from a process crash in the same boot still holds the data of that restart. */
function intactRestartHolds(v: Volume): boolean {
  const meta = v.meta;
  if (v.intactRestart === null || meta === null) return false;
  return (v.diskState === 'Consistent' || v.diskState === 'UpToDate') && sameGeneration(meta.current(), v.intactRestart);
}
