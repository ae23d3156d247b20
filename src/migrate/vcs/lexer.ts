// Tokens of the VCS configuration language. Comments (`//…`, `/* … */`) are skipped; strings keep
// their exact contents (only \" and \\ are unescaped, as hacf writes them). A `#` outside a string
// is an error at its own position (shell-style comments are not main.cf syntax).
import { TandemError } from '../../lib/errors.js';
import type { Pos } from './model.js';

export type TokenKind = 'word' | 'string' | 'punct' | 'eof';

export interface Token {
  kind: TokenKind;
  text: string;
  pos: Pos;
}

const PUNCT = new Set(['(', ')', '{', '}', '=', ',', ';', '@', '[', ']']);

export function parseError(pos: Pos, message: string, hint: string): TandemError {
  return new TandemError('TANDEM_E_PARSE', `${pos.file}:${pos.line}:${pos.col}: ${message}`, {
    hint,
    details: { file: pos.file, line: pos.line, col: pos.col },
  });
}

export function tokenize(text: string, file: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const here = (): Pos => ({ file, line, col: i - lineStart + 1 });
  const newline = (): void => {
    line++;
    lineStart = i + 1;
  };
  while (i < text.length) {
    const c = text[i];
    if (c === '\n') {
      newline();
      i++;
    } else if (c === ' ' || c === '\t' || c === '\r' || c === '\f') {
      i++;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '/' && text[i + 1] === '*') {
      const start = here();
      i += 2;
      while (i < text.length && !(text[i] === '*' && text[i + 1] === '/')) {
        if (text[i] === '\n') newline();
        i++;
      }
      if (i >= text.length) throw parseError(start, 'comment opened with /* is never closed', 'add the closing */');
      i += 2;
    } else if (c === '#') {
      // not main.cf syntax; left to the parser it would fail later, at a line that is not this one
      throw parseError(here(), "'#' does not start a comment in main.cf", "comments are written // … or /* … */ (hacf writes //); remove the line or change '#' to '//'");
    } else if (c === '"') {
      tokens.push(readString());
    } else if (PUNCT.has(c)) {
      tokens.push({ kind: 'punct', text: c, pos: here() });
      i++;
    } else {
      const pos = here();
      const start = i;
      while (i < text.length && !isWordEnd(text, i)) i++;
      tokens.push({ kind: 'word', text: text.slice(start, i), pos });
    }
  }
  tokens.push({ kind: 'eof', text: '', pos: here() });
  return tokens;

  function readString(): Token {
    const pos = here();
    let value = '';
    i++;
    for (;;) {
      if (i >= text.length || text[i] === '\n') {
        throw parseError(pos, 'string opened with " is not closed on the same line', 'close the string with a double quote');
      }
      const ch = text[i];
      if (ch === '"') break;
      if (ch === '\\' && (text[i + 1] === '"' || text[i + 1] === '\\')) {
        value += text[i + 1];
        i += 2;
        continue;
      }
      value += ch;
      i++;
    }
    i++;
    return { kind: 'string', text: value, pos };
  }
}

function isWordEnd(text: string, i: number): boolean {
  const c = text[i];
  if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '"' || PUNCT.has(c)) return true;
  return c === '/' && (text[i + 1] === '/' || text[i + 1] === '*');
}
