// Sizes as administrators write them: 512, 4K, 4KiB, 1GiB, 1TiB, 10M. Binary multiples always
// (as DRBD and LVM do); an explicit decimal suffix (KB, MB, GB, TB) means powers of ten.
import { TandemError } from './errors.js';

export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;
export const TiB = 1024 * GiB;

const BINARY: Record<string, number> = { '': 1, b: 1, k: KiB, kib: KiB, m: MiB, mib: MiB, g: GiB, gib: GiB, t: TiB, tib: TiB, p: TiB * 1024, pib: TiB * 1024 };
const DECIMAL: Record<string, number> = { kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, pb: 1e15 };

export const SIZE_SYNTAX = 'a whole number of bytes, optionally with a unit: K/KiB, M/MiB, G/GiB, T/TiB (binary) or KB, MB, GB, TB (decimal)';

/** Parse a size; returns undefined when the text is not a size, so callers can build a precise error. */
export function tryParseSize(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  if (!m) return undefined;
  const unit = m[2].toLowerCase();
  const factor = BINARY[unit] ?? DECIMAL[unit];
  if (factor === undefined) return undefined;
  const value = Number(m[1]) * factor;
  if (!Number.isSafeInteger(value)) return undefined;
  return value;
}

export function parseSize(text: string, what = 'size'): number {
  const value = tryParseSize(text);
  if (value === undefined) {
    throw new TandemError('TANDEM_E_USAGE', `invalid ${what} '${text}'`, { hint: `write ${SIZE_SYNTAX}` });
  }
  return value;
}

/** Human-readable binary size, exact when possible (1TiB, 64.03MiB). */
export function formatSize(bytes: number): string {
  const units: Array<[string, number]> = [['TiB', TiB], ['GiB', GiB], ['MiB', MiB], ['KiB', KiB]];
  for (const [name, factor] of units) {
    if (bytes >= factor) {
      const v = bytes / factor;
      return `${Number.isInteger(v) ? v : v.toFixed(2)}${name}`;
    }
  }
  return `${bytes}B`;
}
