// Shared by the report parsers: numbered lines, shell prompts and blank lines skipped, and one
// way to fail on a line nobody recognised.
import { parseError } from '../vcs/lexer.js';
import type { TandemError } from '../../lib/errors.js';

export interface Line {
  text: string;
  no: number;
  /** 1-based column of the first non-blank character */
  col: number;
}

/** Non-blank lines that are not a copied shell prompt or command (`# vradmin …`, `[root@x]# …`). */
export function contentLines(text: string): Line[] {
  const out: Line[] = [];
  text.split(/\r?\n/).forEach((raw, idx) => {
    const trimmed = raw.trim();
    if (trimmed === '' || /^#|^\[[^\]]*\][#$]/.test(trimmed)) return;
    out.push({ text: raw.replace(/\s+$/, ''), no: idx + 1, col: raw.length - raw.trimStart().length + 1 });
  });
  return out;
}

export function lineError(file: string, line: Line, message: string, hint: string): TandemError {
  return parseError({ file, line: line.no, col: line.col }, message, hint);
}
