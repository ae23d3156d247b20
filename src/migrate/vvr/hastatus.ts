// `hastatus -sum`: `A` rows (system, state, frozen) and `B` rows (group, system, probed,
// autodisabled, state). Column widths differ between releases, so rows are split on blanks.
import { contentLines, lineError } from './report-lines.js';

export interface SystemState {
  system: string;
  state: string;
  frozen: boolean;
}

export interface GroupState {
  group: string;
  system: string;
  probed: boolean;
  autoDisabled: boolean;
  state: string;
}

export interface HaStatus {
  systems: SystemState[];
  groups: GroupState[];
  /** rows of other sections (failed resources, WAN heartbeats, remote clusters), verbatim */
  otherRows: string[];
}

export function parseHaStatus(text: string, file: string): HaStatus {
  const out: HaStatus = { systems: [], groups: [], otherRows: [] };
  for (const line of contentLines(text)) {
    const cols = line.text.trim().split(/\s+/);
    if (cols[0] === '--') continue;
    if (cols[0] === 'A' && cols.length === 4) {
      out.systems.push({ system: cols[1], state: cols[2], frozen: cols[3] !== '0' });
    } else if (cols[0] === 'B' && cols.length === 6 && yn(cols[3]) !== undefined && yn(cols[4]) !== undefined) {
      out.groups.push({ group: cols[1], system: cols[2], probed: yn(cols[3])!, autoDisabled: yn(cols[4])!, state: cols[5] });
    } else if (/^[C-Z]$/.test(cols[0])) {
      out.otherRows.push(line.text.trim());
    } else {
      throw lineError(file, line, `not a hastatus -sum row: '${line.text.trim()}'`, "expected 'A <system> <state> <frozen>' or 'B <group> <system> <Y|N> <Y|N> <state>'");
    }
  }
  return out;
}

function yn(s: string): boolean | undefined {
  return s === 'Y' ? true : s === 'N' ? false : undefined;
}
