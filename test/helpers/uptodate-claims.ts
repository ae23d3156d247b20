// Catching a node called UpToDate before it is (issue 8, defect 5), from outside: sample every
// node's status (from the control socket, as `tandem status --json` gets it, but many times a
// second) in turn and look at each observer's claims about its peers.
//  - A connection that is SyncSource/SyncTarget (or paused) with peerDiskState UpToDate is a
//    contradiction inside one status.
//  - If observer O says peer S is UpToDate, and S's own status, asked AFTER O answered, says its
//    disk is not UpToDate, O called S UpToDate before it was: a disk does not go from UpToDate
//    back to Inconsistent on its own. Unless S lost a connection or a resync to S started in
//    between (the daemons' logs say so): then S may have been UpToDate and be resyncing again.
// Each subject's own answers are kept as a timeline, so that other claims (a fence handler's
// UP_TO_DATE_NODES) can be checked against what the node itself said at the time.
import type { TandemEvent } from '../../src/daemon/events.js';
import type { TestCluster } from './daemons.js';
import { statusViaSocket } from './control-socket.js';
import { parseDaemonLog, type DaemonLogLine } from './daemon-log.js';
import type { status } from './wait.js';

type ResourceStatus = Awaited<ReturnType<typeof status>>;

const DISTURBANCE = /^(resync (started|resumed) as SyncSource|peer connection lost)/;
const RESYNCING = new Set(['SyncSource', 'SyncTarget', 'PausedSyncS', 'PausedSyncT']);

export class UpToDateClaims {
  readonly violations: string[] = [];
  samples = 0;
  /** per subject, what its own status said about its disk, in time order */
  private readonly own = new Map<string, Array<{ at: number; upToDate: boolean }>>();

  constructor(private readonly cluster: TestCluster, private readonly res: string) {}

  /** One round: each observer's status, then each subject's own status, in that order. */
  async sample(observers: string[], subjects: string[]): Promise<void> {
    const claims: Array<{ observer: string; subject: string; at: number }> = [];
    for (const o of observers) {
      const s = await statusViaSocket(this.cluster, o, this.res).catch(() => null);
      if (!s) continue;
      const at = Date.now();
      this.checkInside(o, s);
      for (const c of s.connections) {
        if (subjects.includes(c.peer) && c.volumes.some((v) => v.peerDiskState === 'UpToDate')) claims.push({ observer: o, subject: c.peer, at });
      }
    }
    for (const subject of subjects) {
      const own = await statusViaSocket(this.cluster, subject, this.res).catch(() => null);
      if (!own) continue;
      const notUpToDate = own.volumes.filter((v) => v.diskState !== 'UpToDate').map((v) => v.diskState);
      this.record(subject, Date.now(), notUpToDate.length === 0);
      if (notUpToDate.length === 0) continue;
      for (const c of claims.filter((x) => x.subject === subject)) {
        if (this.subjectDisturbed(subject, c.at - 100, Date.now())) continue;
        this.violations.push(`${c.observer} said ${subject} is UpToDate; ${subject} itself said ${notUpToDate.join(',')} ${Date.now() - c.at} ms later`);
      }
    }
    this.samples++;
  }

  /** A connection of `subject` lost, or a resync to it started, between `from` and `to` (by the logs). */
  private subjectDisturbed(subject: string, from: number, to: number): boolean {
    for (const [node, raw] of this.cluster.logHistory) {
      const seen = this.disturbances.get(node) ?? { lines: 0, found: [] };
      seen.found.push(...parseDaemonLog(raw.slice(seen.lines)).filter((l) => DISTURBANCE.test(l.msg)));
      seen.lines = raw.length;
      this.disturbances.set(node, seen);
      if (seen.found.some((l) => (node === subject || l.peer === subject) && Date.parse(l.ts) >= from && Date.parse(l.ts) <= to)) return true;
    }
    return false;
  }

  /** per node: how many of its log lines were read, and the disturbances among them */
  private readonly disturbances = new Map<string, { lines: number; found: DaemonLogLine[] }>();

  /** The node was killed (or otherwise lost its disk state) at `at`. */
  down(node: string, at: number): void {
    this.record(node, at, false);
  }

  /**
   * Was the node surely not UpToDate at `at`: its own last answer before said so, and so did its
   * first answer after `at + slackMs` (so a switch to UpToDate around `at` is not counted).
   */
  surelyNotUpToDate(node: string, at: number, slackMs: number): boolean {
    const timeline = this.own.get(node) ?? [];
    const before = timeline.filter((x) => x.at <= at).at(-1);
    const after = timeline.find((x) => x.at >= at + slackMs);
    return before !== undefined && !before.upToDate && after !== undefined && !after.upToDate;
  }

  private record(node: string, at: number, upToDate: boolean): void {
    const timeline = this.own.get(node) ?? [];
    timeline.push({ at, upToDate });
    timeline.sort((x, y) => x.at - y.at);
    this.own.set(node, timeline);
  }

  private checkInside(observer: string, s: ResourceStatus): void {
    for (const c of s.connections) {
      for (const v of c.volumes) {
        if (RESYNCING.has(v.replicationState) && v.peerDiskState === 'UpToDate') {
          this.violations.push(`${observer}'s status: ${c.peer} is ${v.replicationState} and peer disk UpToDate at once`);
        }
      }
    }
  }

  /** The same contradiction in published events ('replication' events name a peer's state). */
  checkEvents(observer: string, events: readonly TandemEvent[]): void {
    for (const e of events) {
      if (e.kind !== 'replication') continue;
      const volumes = Array.isArray(e.volumes) ? e.volumes as Array<Record<string, unknown>> : [e as Record<string, unknown>];
      for (const v of volumes) {
        if (RESYNCING.has(String(v.replicationState)) && v.peerDiskState === 'UpToDate') {
          this.violations.push(`${observer}'s event at ${e.time}: ${String(e.peer)} ${String(v.replicationState)} with peer disk UpToDate`);
        }
      }
    }
  }
}
