// --link-rate for the initial sync estimate: network rates in bits (100Mbit, 1Gbit, VVR's 40m)
// or byte rates (50MB/s, 120MiB/s).
import { TandemError } from '../lib/errors.js';

const BITS: Record<string, number> = { k: 1e3, m: 1e6, g: 1e9 };
const BYTES: Record<string, number> = { k: 1e3, m: 1e6, g: 1e9, ki: 1024, mi: 1024 ** 2, gi: 1024 ** 3 };

/** bytes per second, or undefined when `text` is not a rate (VVR's `none`, repstatus's `N/A`) */
export function rateBytes(text: string): number | undefined {
  const bits = /^(\d+(?:\.\d+)?)\s*([kmg])(?:bit(?:\/s)?|bps)?$/i.exec(text.trim());
  if (bits) return (Number(bits[1]) * BITS[bits[2].toLowerCase()]) / 8;
  const bytes = /^(\d+(?:\.\d+)?)\s*([kmg]i?)B\/s$/i.exec(text.trim());
  if (bytes) return Number(bytes[1]) * BYTES[bytes[2].toLowerCase()];
  return undefined;
}

/** --link-rate: bytes per second */
export function parseLinkRate(text: string): number {
  const rate = rateBytes(text);
  if (rate !== undefined && rate > 0) return rate;
  throw new TandemError('TANDEM_E_USAGE', `--link-rate '${text}' is not a rate`, { hint: 'for example --link-rate 1Gbit, 200Mbit, 40m (as VVR writes bandwidth_limit) or 50MB/s' });
}
