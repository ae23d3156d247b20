// One INI file as sections of keys with values and line numbers. Values come from the `ini`
// package (quoting, escapes, inline comments); the package drops line numbers and silently
// merges repeated sections and keys, so a scan of the raw text recovers each line and flags
// what `ini` would hide.
import ini from 'ini';
import { problemAt, type ConfigProblem } from './problems.js';

export interface IniEntry {
  key: string;
  value: string;
  line: number;
}

export interface IniSection {
  name: string;
  line: number;
  entries: Map<string, IniEntry>;
}

export interface IniFile {
  file: string;
  sections: IniSection[];
}

// the same section pattern as the ini package's decoder
const SECTION_LINE = /^\[([^\]]*)\]\s*$/;

export function parseIni(file: string, raw: string, problems: ConfigProblem[]): IniFile {
  const text = raw.replace(/^\uFEFF/, ''); // a byte-order mark some editors write
  const decoded = ini.decode(text) as Record<string, unknown>;
  const sections: IniSection[] = [];
  let current: IniSection | null = null;
  text.split(/\r\n|\r|\n/).forEach((lineText, i) => {
    const line = i + 1;
    const place = { file, line, section: current?.name ?? null };
    const trimmed = lineText.trim();
    if (trimmed === '' || /^[;#]/.test(trimmed)) return;
    const header = SECTION_LINE.exec(lineText);
    if (header) {
      current = openSection(file, header[1].trim(), line, sections, problems);
      return;
    }
    if (trimmed.startsWith('[')) {
      problems.push(problemAt(place, `'${trimmed}' is not a section header; allowed: a header alone on its line, e.g. [resource], starting in column 1`));
      current = { name: trimmed, line, entries: new Map() }; // its keys are not read: they would only add noise
      return;
    }
    const eq = lineText.indexOf('=');
    const key = eq < 0 ? '' : lineText.slice(0, eq).trim();
    if (key === '') {
      problems.push(problemAt(place, `'${trimmed}' is not a setting; allowed: key = value`));
      return;
    }
    if (current === null) {
      problems.push(problemAt(place, `key '${key}' is outside any section; allowed: keys after a section header such as [resource]`, { key }));
      return;
    }
    const previous = current.entries.get(key);
    if (previous) {
      problems.push(problemAt(place, `key '${key}' in [${current.name}] is set twice (first on line ${previous.line}); allowed: one value per key`, { key }));
      return;
    }
    current.entries.set(key, { key, line, value: decodedValue(decoded, current.name, key) ?? lineText.slice(eq + 1).trim() });
  });
  return { file, sections };
}

function openSection(file: string, name: string, line: number, sections: IniSection[], problems: ConfigProblem[]): IniSection {
  const previous = sections.find((s) => s.name === name);
  if (previous) {
    problems.push(problemAt({ file, line, section: name }, `section [${name}] appears twice (first on line ${previous.line}); allowed: each section once`, {
      hint: 'merge the two sections into one',
    }));
  }
  const section: IniSection = { name, line, entries: new Map() };
  if (!previous) sections.push(section);
  return section;
}

/** The value the ini package decoded, which nests dotted section names ([node.a] → node.a). */
function decodedValue(decoded: Record<string, unknown>, section: string, key: string): string | undefined {
  let node: unknown = decoded;
  for (const part of section.split('.')) {
    if (typeof node !== 'object' || node === null || !Object.hasOwn(node, part)) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  if (typeof node !== 'object' || node === null || !Object.hasOwn(node, key)) return undefined;
  const value = (node as Record<string, unknown>)[key];
  return typeof value === 'string' || typeof value === 'boolean' ? String(value) : undefined;
}
