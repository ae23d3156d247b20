// `vradmin printvol`: per replicated data set an optional `Replicated Data Set: <rvg>` header,
// then rows `TY PRIMARY SECONDARY…`; h/dg/rv head rows, then per volume a `v` row followed by its
// `sz` (sectors), `pn` and `fl` rows. Columns are split on blanks.
import { contentLines, lineError, parseLines, type IgnoredLine } from './report-lines.js';

export interface PrintVolVolume {
  /** the volume name on each column (Primary first) */
  names: string[];
  sizeSectors: number[];
  flags: string[];
}

export interface PrintVol {
  /** from the `Replicated Data Set:` header, when printed */
  rds?: string;
  hosts: string[];
  diskGroups: string[];
  rvgs: string[];
  volumes: PrintVolVolume[];
  /** rows of a type this parser does not know (other releases add some), verbatim */
  otherRows: string[];
}

export interface PrintVolReport {
  file: string;
  sets: PrintVol[];
  ignored: IgnoredLine[];
}

export const SECTOR_BYTES = 512;

/** One PrintVol per replicated data set in the output. */
export function parsePrintVol(text: string, file: string): PrintVolReport {
  const out: PrintVol[] = [];
  let pv: PrintVol | undefined;
  let vol: PrintVolVolume | undefined;
  const start = (rds?: string): PrintVol => {
    pv = { ...(rds ? { rds } : {}), hosts: [], diskGroups: [], rvgs: [], volumes: [], otherRows: [] };
    vol = undefined;
    out.push(pv);
    return pv;
  };
  const ignored = parseLines(contentLines(text, ['vradmin']), (line) => {
    const header = /^Replicated Data Set:\s*(\S+)\s*$/.exec(line.text.trim());
    if (header) {
      start(header[1]);
      return undefined;
    }
    const [ty, ...cols] = line.text.trim().split(/\s+/);
    const cur = pv ?? start();
    switch (ty) {
      case 'TY': return undefined;
      case 'h': cur.hosts = cols; return undefined;
      case 'dg': cur.diskGroups = cols; return undefined;
      case 'rv': cur.rvgs = cols; return undefined;
      case 'v':
        vol = { names: cols, sizeSectors: [], flags: [] };
        cur.volumes.push(vol);
        return undefined;
      case 'sz':
      case 'pn':
      case 'fl':
        if (!vol) return { malformed: lineError(file, line, `'${ty}' row before any 'v' row`, 'give unmodified vradmin printvol output') };
        if (ty === 'sz') {
          if (!cols.every((c) => /^\d+$/.test(c))) return { malformed: lineError(file, line, `sizes must be sector counts, found '${cols.join(' ')}'`, 'give unmodified vradmin printvol output') };
          vol.sizeSectors = cols.map(Number);
        }
        if (ty === 'fl') vol.flags = cols;
        return undefined;
      default:
        if (!/^[a-z]{1,3}$/.test(ty) || cols.length === 0) return { unknown: lineError(file, line, `not a printvol row: '${line.text.trim()}' (rows start with a type: TY h dg rv v sz pn fl)`, 'give unmodified vradmin printvol output') };
        cur.otherRows.push(line.text.trim());
        return undefined;
    }
  });
  if (out.length === 0 || out.every((p) => p.volumes.length === 0)) throw lineError(file, { text: '', no: 1, col: 1 }, 'no volume (v) rows found', 'give the output of vradmin -g <dg> printvol <rvg>');
  for (const p of out) {
    if (p.volumes.length === 0) throw lineError(file, { text: '', no: 1, col: 1 }, `replicated data set ${p.rds ?? '?'} has no volume (v) rows`, 'give complete vradmin printvol output');
    if (p.rds && p.rvgs.length > 0 && !p.rvgs.includes(p.rds)) throw lineError(file, { text: '', no: 1, col: 1 }, `header says replicated data set ${p.rds} but its rv row names ${p.rvgs.join(', ')}`, 'give unmodified vradmin printvol output');
  }
  return { file, sets: out, ignored };
}

/** The RVG a printvol table is about: its header, else its Primary's rv column. */
export function printVolRvg(p: PrintVol): string | undefined {
  return p.rds ?? p.rvgs[0];
}
