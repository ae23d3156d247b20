// `vradmin -l repstatus`: `Key: value` lines under Primary: and one Secondary: block per
// Secondary. The key is split at the first colon; the field set differs between releases, so
// every field is kept by its printed name.
import { contentLines, lineError } from './report-lines.js';

export interface RepStatus {
  rds: string;
  primary: Record<string, string>;
  secondaries: Record<string, string>[];
  /** lines inside a block that are not `Key: value` (release-specific notes), verbatim */
  otherLines: string[];
}

export function parseRepStatus(text: string, file: string): RepStatus {
  let status: RepStatus | undefined;
  let block: Record<string, string> | undefined;
  for (const line of contentLines(text)) {
    const t = line.text.trim();
    const colon = t.indexOf(':');
    const key = colon > 0 ? t.slice(0, colon).trim() : '';
    const value = colon > 0 ? t.slice(colon + 1).trim() : '';
    if (key === 'Replicated Data Set') {
      status = { rds: value, primary: {}, secondaries: [], otherLines: [] };
    } else if (!status) {
      throw lineError(file, line, `expected 'Replicated Data Set: <rvg>', found '${t}'`, 'give the output of vradmin -g <dg> -l repstatus <rvg>');
    } else if (t === 'Primary:') {
      block = status.primary;
    } else if (t === 'Secondary:') {
      block = {};
      status.secondaries.push(block);
    } else if (!block) {
      throw lineError(file, line, `expected 'Primary:' or 'Secondary:' before '${t}'`, 'give unmodified repstatus output');
    } else if (colon <= 0) {
      status.otherLines.push(t);
    } else {
      block[key] = value;
    }
  }
  if (!status) throw lineError(file, { text: '', no: 1, col: 1 }, 'no "Replicated Data Set:" line found', 'give the output of vradmin -l repstatus');
  return status;
}
