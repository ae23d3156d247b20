// `vradmin [-l] printrvg`: one Primary and any number of Secondary blocks of `Key: value` lines.
// `-l` adds detail lines (datavol_cnt, srl, an RLinks list); they are kept by name.
import { contentLines, lineError } from './report-lines.js';

export interface RvgSide {
  host: string;
  /** printrvg marks the host it ran on with <localhost> */
  localhost: boolean;
  rvg: string;
  diskGroup: string;
  details: Record<string, string>;
  rlinks: Record<string, string>[];
}

export interface PrintRvg {
  rds: string;
  primary?: RvgSide;
  secondaries: RvgSide[];
  /** lines of the -l form this parser does not know (configuration errors, notes), verbatim */
  otherLines: string[];
}

export function parsePrintRvg(text: string, file: string): PrintRvg[] {
  const out: PrintRvg[] = [];
  let rds: PrintRvg | undefined;
  let side: RvgSide | undefined;
  let inRlinks = false;
  for (const line of contentLines(text)) {
    const t = line.text.trim();
    const m = /^([^:=]+):\s*(.*)$/.exec(t);
    if (m && m[1] === 'Replicated Data Set') {
      rds = { rds: m[2], secondaries: [], otherLines: [] };
      side = undefined;
      out.push(rds);
    } else if (!rds) {
      throw lineError(file, line, `expected 'Replicated Data Set: <rvg>', found '${t}'`, 'give the output of vradmin -g <dg> [-l] printrvg <rvg>');
    } else if (t === 'Primary:' || t === 'Secondary:') {
      side = { host: '', localhost: false, rvg: '', diskGroup: '', details: {}, rlinks: [] };
      if (t === 'Primary:') rds.primary = side;
      else rds.secondaries.push(side);
      inRlinks = false;
    } else if (!side) {
      throw lineError(file, line, `expected 'Primary:' or 'Secondary:', found '${t}'`, 'give unmodified printrvg output');
    } else if (inRlinks && /^name=/.test(t)) {
      side.rlinks.push(Object.fromEntries(t.split(/,\s*/).map((kv) => kv.split('=', 2) as [string, string])));
    } else if (!m) {
      rds.otherLines.push(t);
    } else {
      inRlinks = m[1] === 'RLinks';
      setField(side, m[1], m[2]);
    }
  }
  for (const r of out) {
    if (!r.primary?.host) throw lineError(file, { text: '', no: 1, col: 1 }, `replicated data set ${r.rds} has no Primary block with a HostName`, 'give complete printrvg output');
  }
  return out;
}

function setField(side: RvgSide, key: string, value: string): void {
  if (key === 'HostName') {
    side.host = value.replace('<localhost>', '').trim();
    side.localhost = value.includes('<localhost>');
  } else if (key === 'RvgName') side.rvg = value;
  else if (key === 'DgName') side.diskGroup = value;
  else if (key !== 'RLinks') side.details[key] = value;
}
