// Where a process spent its CPU: self time per function from a V8 .cpuprofile (node --cpu-prof),
// grouped by function and source line, largest first.
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  /** µs on one clock: when profiling started, and when the process exited */
  startTime: number;
  endTime: number;
}

/** A span of the profile, as milliseconds before the process exited (profiles end at exit). */
export interface Window {
  fromMsBeforeExit: number;
  toMsBeforeExit: number;
}

export interface HotSpot {
  where: string;
  selfMs: number;
  percent: number;
}

/** Self time per function within `window` (start-up and shutdown are not the data path). */
export function hotSpots(file: string, top: number, window: Window): HotSpot[] {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const label = new Map(profile.nodes.map((n) => [n.id, describe(n)]));
  const selfUs = new Map<string, number>();
  const from = profile.endTime - window.fromMsBeforeExit * 1000;
  const to = profile.endTime - window.toMsBeforeExit * 1000;
  let at = profile.startTime; // each sample's time is the sum of the deltas before it
  let totalUs = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    at += dt;
    if (at < from || at > to) return;
    const where = label.get(id) ?? '(unknown)';
    selfUs.set(where, (selfUs.get(where) ?? 0) + dt);
    totalUs += dt;
  });
  return [...selfUs.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([where, us]) => ({ where, selfMs: us / 1000, percent: totalUs > 0 ? (100 * us) / totalUs : 0 }));
}

function describe(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const name = functionName || '(anonymous)';
  if (!url) return name;
  const file = url.replace(/^file:\/\//, '').replace(/^.*\/(dist|node_modules)\//, '$1/');
  return `${name} ${file}:${lineNumber + 1}`;
}
