// Quoting for the generated scripts: shell words for pcs, crmsh's own key="value" syntax.

/** A shell word: bare when safe, otherwise single-quoted. */
export function sh(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./#-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** key=value as one shell word. */
export function shKv(key: string, value: string): string {
  return sh(`${key}=${value}`);
}

/** key=value for crmsh: bare when safe, otherwise double-quoted with \" and \\ escaped. */
export function crmKv(key: string, value: string): string {
  return /^[A-Za-z0-9_@%+:,./#-]+$/.test(value) ? `${key}=${value}` : `${key}="${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}
