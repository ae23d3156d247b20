// `vradmin printvol`: rows `TY PRIMARY SECONDARY…`; h/dg/rv head rows, then per volume a `v`
// row followed by its `sz` (sectors), `pn` and `fl` rows. Columns are split on blanks.
import { contentLines, lineError } from './report-lines.js';

export interface PrintVolVolume {
  /** the volume name on each column (Primary first) */
  names: string[];
  sizeSectors: number[];
  flags: string[];
}

export interface PrintVol {
  hosts: string[];
  diskGroups: string[];
  rvgs: string[];
  volumes: PrintVolVolume[];
  /** rows of a type this parser does not know (other releases add some), verbatim */
  otherRows: string[];
}

export const SECTOR_BYTES = 512;

export function parsePrintVol(text: string, file: string): PrintVol {
  const out: PrintVol = { hosts: [], diskGroups: [], rvgs: [], volumes: [], otherRows: [] };
  let vol: PrintVolVolume | undefined;
  for (const line of contentLines(text)) {
    const [ty, ...cols] = line.text.trim().split(/\s+/);
    switch (ty) {
      case 'TY': break;
      case 'h': out.hosts = cols; break;
      case 'dg': out.diskGroups = cols; break;
      case 'rv': out.rvgs = cols; break;
      case 'v':
        vol = { names: cols, sizeSectors: [], flags: [] };
        out.volumes.push(vol);
        break;
      case 'sz':
      case 'pn':
      case 'fl':
        if (!vol) throw lineError(file, line, `'${ty}' row before any 'v' row`, 'give unmodified vradmin printvol output');
        if (ty === 'sz') {
          if (!cols.every((c) => /^\d+$/.test(c))) throw lineError(file, line, `sizes must be sector counts, found '${cols.join(' ')}'`, 'give unmodified vradmin printvol output');
          vol.sizeSectors = cols.map(Number);
        }
        if (ty === 'fl') vol.flags = cols;
        break;
      default:
        if (!/^[a-z]{1,3}$/.test(ty) || cols.length === 0) throw lineError(file, line, `not a printvol row: '${line.text.trim()}' (rows start with a type: TY h dg rv v sz pn fl)`, 'give unmodified vradmin printvol output');
        out.otherRows.push(line.text.trim());
    }
  }
  if (out.volumes.length === 0) throw lineError(file, { text: '', no: 1, col: 1 }, 'no volume (v) rows found', 'give the output of vradmin -g <dg> printvol <rvg>');
  return out;
}
