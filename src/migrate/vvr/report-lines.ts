// Shared by the report parsers: numbered lines, and what administrators paste around a tool's
// output. The hints say "give the output unmodified", so what a terminal shows around it is
// accepted: the command line itself (bare, after a prompt, or as `# command`), shell prompts, and
// lines after the output ends (a prompt, "You have new mail", …). Each is skipped with a note.
// An unknown line followed by more output is refused: then the output itself was altered.
import { parseError } from '../vcs/lexer.js';
import type { TandemError } from '../../lib/errors.js';

export interface Line {
  text: string;
  no: number;
  /** 1-based column of the first non-blank character */
  col: number;
}

/** A line a parser skipped, with why: shown in the report, never silently dropped. */
export interface IgnoredLine {
  no: number;
  text: string;
  why: string;
}

export interface ReportLines {
  lines: Line[];
  ignored: IgnoredLine[];
}

const PROMPT = /^(?:\[[^\]]*\][#$]|[\w.-]+@[\w.-]+(?::\S*)?[#$]|[#$%>])\s*/;

/**
 * Non-blank lines without the copied command line and shell prompts. `commands` are the program
 * names of this report (hastatus, vradmin, …): a line starting with one, after an optional prompt,
 * path or sudo, is the command echo.
 */
export function contentLines(text: string, commands: string[]): ReportLines {
  const lines: Line[] = [];
  const ignored: IgnoredLine[] = [];
  const command = new RegExp(`^(?:sudo\\s+)?(?:\\S*/)?(?:${commands.join('|')})(?:\\s|$)`);
  text.split(/\r?\n/).forEach((raw, idx) => {
    const trimmed = raw.trim();
    if (trimmed === '') return;
    const afterPrompt = trimmed.replace(PROMPT, '');
    if (command.test(afterPrompt)) {
      ignored.push({ no: idx + 1, text: trimmed, why: 'the command line' });
    } else if (afterPrompt !== trimmed && afterPrompt === '') {
      ignored.push({ no: idx + 1, text: trimmed, why: 'a shell prompt' });
    } else if (/^#/.test(trimmed) || /^\[[^\]]*\][#$]/.test(trimmed)) {
      ignored.push({ no: idx + 1, text: trimmed, why: 'a shell prompt or comment' });
    } else {
      lines.push({ text: raw.replace(/\s+$/, ''), no: idx + 1, col: raw.length - raw.trimStart().length + 1 });
    }
  });
  return { lines, ignored };
}

export function lineError(file: string, line: Line, message: string, hint: string): TandemError {
  return parseError({ file, line: line.no, col: line.col }, message, hint);
}

/** What a parser says about a line it cannot take: not its output at all, or its output damaged. */
export type Refusal = { unknown: TandemError } | { malformed: TandemError };

/**
 * Feed lines to `step`. A malformed line (the report's own shape, broken) is an error wherever it
 * is. Unknown lines at the end are trailing output (ignored, noted); an unknown line followed by a
 * recognised one means the output was altered in the middle, and is an error.
 */
export function parseLines(r: ReportLines, step: (line: Line) => Refusal | undefined): IgnoredLine[] {
  const pending: { line: Line; err: TandemError }[] = [];
  for (const line of r.lines) {
    const refusal = step(line);
    if (refusal && 'malformed' in refusal) throw refusal.malformed;
    if (refusal) pending.push({ line, err: refusal.unknown });
    else if (pending.length > 0) throw pending[0].err;
  }
  const trailing = pending.map((p) => ({ no: p.line.no, text: p.line.text.trim(), why: 'after the end of the output' }));
  return [...r.ignored, ...trailing].sort((a, b) => a.no - b.no);
}
