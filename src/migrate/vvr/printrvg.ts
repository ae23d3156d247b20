// `vradmin [-l] printrvg`: one Primary and any number of Secondary blocks of `Key: value` lines.
// `-l` adds detail lines (datavol_cnt, srl, an RLinks list); they are kept by name.
import { contentLines, lineError, parseLines, type IgnoredLine } from './report-lines.js';

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

export interface PrintRvgReport {
  file: string;
  sets: PrintRvg[];
  ignored: IgnoredLine[];
}

export function parsePrintRvg(text: string, file: string): PrintRvgReport {
  const out: PrintRvg[] = [];
  let rds: PrintRvg | undefined;
  let side: RvgSide | undefined;
  let inRlinks = false;
  const ignored = parseLines(contentLines(text, ['vradmin']), (line) => {
    const t = line.text.trim();
    const m = /^([^:=]+):\s*(.*)$/.exec(t);
    if (m && m[1] === 'Replicated Data Set') {
      rds = { rds: m[2], secondaries: [], otherLines: [] };
      side = undefined;
      out.push(rds);
    } else if (!rds) {
      return { unknown: lineError(file, line, `expected 'Replicated Data Set: <rvg>', found '${t}'`, 'give the output of vradmin -g <dg> [-l] printrvg <rvg>') };
    } else if (t === 'Primary:' || t === 'Secondary:') {
      side = { host: '', localhost: false, rvg: '', diskGroup: '', details: {}, rlinks: [] };
      if (t === 'Primary:') rds.primary = side;
      else rds.secondaries.push(side);
      inRlinks = false;
    } else if (!side) {
      return { unknown: lineError(file, line, `expected 'Primary:' or 'Secondary:', found '${t}'`, 'give unmodified printrvg output') };
    } else if (inRlinks && /^name=/.test(t)) {
      side.rlinks.push(Object.fromEntries(t.split(/,\s*/).map((kv): [string, string] => {
        const eq = kv.indexOf('=');
        return eq < 0 ? [kv, ''] : [kv.slice(0, eq), kv.slice(eq + 1)];
      })));
    } else if (!m) {
      rds.otherLines.push(t);
    } else {
      inRlinks = m[1] === 'RLinks';
      setField(side, m[1], m[2]);
    }
    return undefined;
  });
  if (out.length === 0) throw lineError(file, { text: '', no: 1, col: 1 }, "no 'Replicated Data Set:' line found", 'give the output of vradmin -g <dg> [-l] printrvg <rvg>');
  for (const r of out) {
    if (!r.primary?.host) throw lineError(file, { text: '', no: 1, col: 1 }, `replicated data set ${r.rds} has no Primary block with a HostName`, 'give complete printrvg output');
  }
  return { file, sets: out, ignored };
}

function setField(side: RvgSide, key: string, value: string): void {
  if (key === 'HostName') {
    side.host = value.replace('<localhost>', '').trim();
    side.localhost = value.includes('<localhost>');
  } else if (key === 'RvgName') side.rvg = value;
  else if (key === 'DgName') side.diskGroup = value;
  else if (key !== 'RLinks') side.details[key] = value;
}
