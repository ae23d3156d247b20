// `vxprint -g <dg> -Pl` RLINK records: label lines (`info:`, `state:`, `assoc:` …) whose
// continuation lines start with blanks, each holding key=value tokens.
import { contentLines, lineError, parseLines, type IgnoredLine, type Line, type Refusal } from './report-lines.js';

export interface RlinkEnd {
  host: string;
  ip?: string;
  port?: number;
}

export interface RlinkRecord {
  name: string;
  diskGroup?: string;
  /** every key=value token, except the host/IP/port triples below */
  attrs: Record<string, string>;
  local?: RlinkEnd;
  remote?: RlinkEnd;
  /** 'TCP/IP' | 'UDP/IP' | 'STORAGE' */
  protocol?: string;
  flags: string[];
}

export interface VxprintReport {
  file: string;
  rlinks: RlinkRecord[];
  ignored: IgnoredLine[];
}

/** VVR compresses this RLINK's traffic: `compression=on`, or the `compression` flag. */
export function compresses(r: RlinkRecord): boolean {
  return /^on$/i.test(r.attrs.compression ?? '') || r.flags.includes('compression');
}

/** The RLINK leads from a Primary to its bunker (`bunker_target` flag or attribute). */
export function isBunkerTarget(r: RlinkRecord): boolean {
  return r.flags.includes('bunker_target') || /^(on|yes|1)$/i.test(r.attrs.bunker_target ?? '') || r.protocol === 'STORAGE';
}

const LABEL = /^([A-Za-z_ ]+):\s*(.*)$/;
/** Labels whose fields are always key=value tokens; others (checkpoint, …) may hold text. */
const KEY_VALUE_LABELS = new Set(['info', 'state', 'assoc']);

export function parseVxprintRlinks(text: string, file: string): VxprintReport {
  const records: RlinkRecord[] = [];
  let diskGroup: string | undefined;
  let current: RlinkRecord | undefined;
  let label = '';
  const ignored = parseLines(contentLines(text, ['vxprint']), (line): Refusal | undefined => {
    const continued = /^\s/.test(line.text) && label !== '';
    const m = continued ? null : LABEL.exec(line.text);
    if (!continued && !m) return { unknown: lineError(file, line, `not a vxprint -Pl line: '${line.text.trim()}'`, 'give the output of vxprint -g <dg> -Pl (RLINK records)') };
    if (m) {
      label = m[1].trim();
      if (label === 'Disk group') {
        diskGroup = m[2].trim();
        label = '';
        return undefined;
      }
      if (label === 'Rlink') {
        current = { name: m[2].trim(), ...(diskGroup ? { diskGroup } : {}), attrs: {}, flags: [] };
        records.push(current);
        return undefined;
      }
    }
    if (!current) return { unknown: lineError(file, line, 'RLINK field before any "Rlink:" line', 'give complete vxprint -Pl records') };
    return addField(current, label, m ? m[2] : line.text.trim(), file, line);
  });
  if (records.length === 0) throw lineError(file, { text: '', no: 1, col: 1 }, 'no RLINK record ("Rlink:" line) found', 'give the output of vxprint -g <dg> -Pl');
  return { file, rlinks: records, ignored };
}

function addField(rec: RlinkRecord, label: string, body: string, file: string, line: Line): Refusal | undefined {
  if (label === 'protocol') {
    rec.protocol = body.trim();
    return undefined;
  }
  if (label === 'flags') {
    rec.flags.push(...body.split(/\s+/).filter(Boolean));
    return undefined;
  }
  let end: RlinkEnd | undefined;
  for (const token of body.split(/\s+/).filter(Boolean)) {
    const eq = token.indexOf('=');
    if (eq <= 0 && !KEY_VALUE_LABELS.has(label)) {
      rec.attrs[label] = rec.attrs[label] ? `${rec.attrs[label]} ${token}` : token;
      continue;
    }
    if (eq <= 0) return { malformed: lineError(file, line, `expected key=value in the ${label}: field, found '${token}'`, 'give unmodified vxprint -Pl output') };
    const key = token.slice(0, eq);
    const value = token.slice(eq + 1);
    if (key === 'remote_host' || key === 'local_host') {
      end = { host: value };
      rec[key === 'remote_host' ? 'remote' : 'local'] = end;
    } else if (end && key === 'IP_addr') {
      end.ip = value;
    } else if (end && key === 'port') {
      end.port = Number(value);
    } else {
      rec.attrs[key] = value;
    }
  }
  return undefined;
}
