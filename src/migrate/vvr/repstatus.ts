// `vradmin -l repstatus`: `Key: value` lines under Primary: and one Secondary: block per
// Secondary. The key is split at the first colon; the field set differs between releases, so
// every field is kept by its printed name.
import { contentLines, lineError, parseLines, type IgnoredLine } from './report-lines.js';

export interface RepStatus {
  rds: string;
  primary: Record<string, string>;
  secondaries: Record<string, string>[];
  /** lines inside a block that are not `Key: value` (release-specific notes), verbatim */
  otherLines: string[];
}

export interface RepStatusReport {
  file: string;
  sets: RepStatus[];
  ignored: IgnoredLine[];
}

export function parseRepStatus(text: string, file: string): RepStatusReport {
  const sets: RepStatus[] = [];
  let status: RepStatus | undefined;
  let block: Record<string, string> | undefined;
  const ignored = parseLines(contentLines(text, ['vradmin']), (line) => {
    const t = line.text.trim();
    const colon = t.indexOf(':');
    const key = colon > 0 ? t.slice(0, colon).trim() : '';
    const value = colon > 0 ? t.slice(colon + 1).trim() : '';
    if (key === 'Replicated Data Set') {
      status = { rds: value, primary: {}, secondaries: [], otherLines: [] };
      block = undefined;
      sets.push(status);
    } else if (!status) {
      return { unknown: lineError(file, line, `expected 'Replicated Data Set: <rvg>', found '${t}'`, 'give the output of vradmin -g <dg> -l repstatus <rvg>') };
    } else if (t === 'Primary:') {
      block = status.primary;
    } else if (t === 'Secondary:') {
      block = {};
      status.secondaries.push(block);
    } else if (!block) {
      return { unknown: lineError(file, line, `expected 'Primary:' or 'Secondary:' before '${t}'`, 'give unmodified repstatus output') };
    } else if (colon <= 0) {
      status.otherLines.push(t);
    } else {
      block[key] = value;
    }
    return undefined;
  });
  if (sets.length === 0) throw lineError(file, { text: '', no: 1, col: 1 }, 'no "Replicated Data Set:" line found', 'give the output of vradmin -l repstatus');
  return { file, sets, ignored };
}
