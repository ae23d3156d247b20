// `hastatus -sum`: `A` rows (system, state, frozen) and `B` rows (group, system, probed,
// autodisabled, state). Column widths differ between releases, so rows are split on blanks.
import { contentLines, lineError, parseLines, type IgnoredLine } from './report-lines.js';

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
  file: string;
  systems: SystemState[];
  groups: GroupState[];
  /** rows of other sections (failed resources, WAN heartbeats, remote clusters), verbatim */
  otherRows: string[];
  /** command echo, prompts and trailing lines that were skipped */
  ignored: IgnoredLine[];
}

export function parseHaStatus(text: string, file: string): HaStatus {
  const out: HaStatus = { file, systems: [], groups: [], otherRows: [], ignored: [] };
  out.ignored = parseLines(contentLines(text, ['hastatus']), (line) => {
    const cols = line.text.trim().split(/\s+/);
    if (cols[0] === '--') return undefined;
    if (cols[0] === 'A' && cols.length === 4) {
      out.systems.push({ system: cols[1], state: cols[2], frozen: cols[3] !== '0' });
    } else if (cols[0] === 'B' && cols.length === 6 && yn(cols[3]) !== undefined && yn(cols[4]) !== undefined) {
      out.groups.push({ group: cols[1], system: cols[2], probed: yn(cols[3])!, autoDisabled: yn(cols[4])!, state: cols[5] });
    } else if (/^[C-Z]$/.test(cols[0])) {
      out.otherRows.push(line.text.trim());
    } else {
      const err = lineError(file, line, `not a hastatus -sum row: '${line.text.trim()}'`, "expected 'A <system> <state> <frozen>' or 'B <group> <system> <Y|N> <Y|N> <state>'");
      return cols[0] === 'A' || cols[0] === 'B' ? { malformed: err } : { unknown: err };
    }
    return undefined;
  });
  if (out.systems.length === 0) throw lineError(file, { text: '', no: 1, col: 1 }, 'no system rows (A …) found', 'give the output of hastatus -sum');
  return out;
}

function yn(s: string): boolean | undefined {
  return s === 'Y' ? true : s === 'N' ? false : undefined;
}
