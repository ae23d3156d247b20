// Configuration errors: each names file, line, section, key, the bad value and what is allowed.
// The loader collects all of them for a directory and throws one TandemError listing them.
import type { Warning } from './model.js';
import { TandemError } from '../lib/errors.js';

export interface ConfigProblem {
  file: string;
  line: number | null;
  section: string | null;
  key: string | null;
  value: string | null;
  allowed: string | null;
  /** the full text, starting with file:line */
  message: string;
  hint: string;
}

export interface Place {
  file: string;
  line: number | null;
  section: string | null;
}

const DEFAULT_HINT = "fix the line named above, then run 'tandem config check'";

function where(p: Place): string {
  return p.line === null ? p.file : `${p.file}:${p.line}`;
}

/** A value that does not fit its key: "<file>:<line>: key 'k' in [s]: 'v' is not …; allowed: …". */
export function badValue(p: Place, key: string, value: string, problem: string, allowed: string, hint = DEFAULT_HINT): ConfigProblem {
  return {
    ...p, key, value, allowed, hint,
    message: `${where(p)}: key '${key}' in [${p.section}]: '${value}' ${problem}; allowed: ${allowed}`,
  };
}

/** Any other problem at a place (a key, a section or a line). */
export function problemAt(p: Place, text: string, extra: { key?: string; value?: string; allowed?: string; hint?: string } = {}): ConfigProblem {
  return {
    ...p, key: extra.key ?? null, value: extra.value ?? null, allowed: extra.allowed ?? null, hint: extra.hint ?? DEFAULT_HINT,
    message: `${where(p)}: ${text}`,
  };
}

/** One error for all problems of a directory; details.errors lists each with its fields. */
export function configError(dir: string, problems: ConfigProblem[], warnings: Warning[]): TandemError {
  const errors = problems.map(({ file, line, section, key, value, allowed, message, hint }) => ({ file, line, section, key, value, allowed, message, hint }));
  if (problems.length === 1) {
    const [only] = errors;
    return new TandemError('TANDEM_E_CONFIG', only.message, { hint: only.hint, details: { ...only, errors, warnings } });
  }
  const list = problems.map((p) => `  ${p.message}`).join('\n');
  return new TandemError('TANDEM_E_CONFIG', `${problems.length} configuration errors in ${dir}:\n${list}`, {
    hint: "fix each line named above, then run 'tandem config check'",
    details: { dir, errors, warnings },
  });
}
