// Value types of the configuration: each turns the text of one INI value into a typed value or
// says precisely what is wrong with it ("is not …") and what is allowed. The schema (schema.ts)
// names one of these for every key.
import { isIPv4, isIPv6 } from 'node:net';
import { isAbsolute } from 'node:path';
import type { ExportAddress, HostPort, MetaPlacement, Quorum } from './model.js';
import { closest } from './suggest.js';
import { GiB, KiB, MiB, SIZE_SYNTAX, TiB, tryParseSize } from '../lib/units.js';

export type Parsed<T> = { ok: true; value: T } | { ok: false; problem: string };

export interface ValueType<T> {
  /** what is allowed, shown after "allowed:" in errors and by explain */
  allowed: string;
  parse(text: string): Parsed<T>;
  /** the value as an administrator would write it */
  format(value: T): string;
}

/** A Unix socket path must fit sockaddr_un.sun_path (108 bytes with the terminating NUL). */
const MAX_UNIX_SOCKET_PATH = 107;

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = <T>(problem: string): Parsed<T> => ({ ok: false, problem });

export function enumOf<T extends string>(noun: string, values: readonly T[]): ValueType<T> {
  return {
    allowed: values.join(', '),
    parse(text) {
      if ((values as readonly string[]).includes(text)) return ok(text as T);
      const guess = closest(text, values);
      return bad(guess === undefined ? `is not ${noun}` : `is not ${noun} (did you mean '${guess}'?)`);
    },
    format: (v) => v,
  };
}

export function integer(min: number, max: number): ValueType<number> {
  return {
    allowed: `an integer from ${min} to ${max}`,
    parse(text) {
      if (!/^\d+$/.test(text)) return bad('is not an integer');
      const n = Number(text);
      return n >= min && n <= max ? ok(n) : bad(`is not within ${min}..${max}`);
    },
    format: String,
  };
}

/** A size in the largest binary unit that divides it exactly (8GiB, 1536KiB, 1000), so it parses back. */
function exactSize(bytes: number): string {
  for (const [name, unit] of [['TiB', TiB], ['GiB', GiB], ['MiB', MiB], ['KiB', KiB]] as const) {
    if (bytes > 0 && bytes % unit === 0) return `${bytes / unit}${name}`;
  }
  return `${bytes}`;
}

export function size(min: number, multipleOf: number): ValueType<number> {
  return {
    allowed: `${SIZE_SYNTAX}; at least ${min} bytes and a multiple of ${multipleOf}`,
    parse(text) {
      const n = tryParseSize(text);
      if (n === undefined) return bad('is not a size');
      if (n < min) return bad(`is smaller than ${min} bytes`);
      return n % multipleOf === 0 ? ok(n) : bad(`is not a multiple of ${multipleOf} bytes`);
    },
    format: exactSize,
  };
}

/** Bytes per second: 0 (unlimited) or a size, optionally followed by "/s" (64M, 64MiB/s). */
export const rate: ValueType<number> = {
  allowed: `0 (unlimited) or ${SIZE_SYNTAX}, optionally followed by /s`,
  parse(text) {
    const n = tryParseSize(text.replace(/\/s$/i, ''));
    return n === undefined ? bad('is not a rate') : ok(n);
  },
  format: (n) => (n === 0 ? '0' : `${exactSize(n)}/s`),
};

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000 };

/** A duration with an explicit unit: DRBD mixes seconds and tenths of seconds, so we never guess. */
export function duration(minMs: number, maxMs: number): ValueType<number> {
  return {
    allowed: `a duration with a unit (ms, s, m), from ${minMs}ms to ${maxMs}ms, e.g. 500ms or 10s`,
    parse(text) {
      const m = /^(\d+)\s*(ms|s|m)$/.exec(text);
      if (!m) return bad('is not a duration with a unit');
      const ms = Number(m[1]) * DURATION_UNITS[m[2]];
      return ms >= minMs && ms <= maxMs ? ok(ms) : bad(`is not within ${minMs}ms..${maxMs}ms`);
    },
    format: (ms) => (ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`),
  };
}

export const bool: ValueType<boolean> = {
  allowed: 'yes, no, true, false',
  parse(text) {
    if (text === 'yes' || text === 'true') return ok(true);
    if (text === 'no' || text === 'false') return ok(false);
    return bad('is not a boolean');
  },
  format: (b) => (b ? 'yes' : 'no'),
};

export const quorum: ValueType<Quorum> = {
  allowed: 'off, majority, all, or a number of nodes from 1 to 32',
  parse(text) {
    if (text === 'off' || text === 'majority' || text === 'all') return ok(text);
    if (!/^\d+$/.test(text)) return bad('is not a quorum setting');
    const n = Number(text);
    return n >= 1 && n <= 32 ? ok(n) : bad('is not within 1..32');
  },
  format: String,
};

/** Resource names become file, socket and Pacemaker ids, so they stay plain. */
export const resourceName: ValueType<string> = {
  allowed: 'letters, digits, _ . - (at most 63 characters, not starting with . or -)',
  parse(text) {
    if (text.length > 63) return bad('is longer than 63 characters');
    return /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(text) ? ok(text) : bad('is not a valid resource name');
  },
  format: (s) => s,
};

/** Node names are host names (the short name, as `uname -n` without the domain). */
export const NODE_NAME_ALLOWED = 'a host name: letters, digits, - and _ (at most 63 characters, starting with a letter or digit)';
export function isNodeName(text: string): boolean {
  return text.length <= 63 && /^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(text);
}

export const text: ValueType<string> = {
  allowed: 'any text',
  parse: (s) => ok(s),
  format: (s) => s,
};

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** host:port where host is IPv4, [IPv6] or a host name. */
function parseHostPort(text: string): Parsed<HostPort> {
  const m = /^\[([^\]]*)\]:(\d+)$/.exec(text) ?? /^([^:[\]]+):(\d+)$/.exec(text);
  if (!m) {
    if (isIPv6(text) || /^[^[].*:.*:/.test(text)) return bad('is not an address: an IPv6 address needs brackets, [addr]:port');
    return bad('is not an address with a port');
  }
  const [, host, portText] = m;
  const bracketed = text.startsWith('[');
  if (bracketed ? !isIPv6(host) : !(isIPv4(host) || (HOSTNAME.test(host) && !/^[\d.]+$/.test(host)))) {
    return bad(`is not an address: '${host}' is not ${bracketed ? 'an IPv6 address' : 'an IPv4 address or host name'}`);
  }
  const port = Number(portText);
  if (port < 1 || port > 65535) return bad(`is not an address: port ${portText} is not within 1..65535`);
  return ok({ host, port });
}

export function formatHostPort(a: HostPort): string {
  return isIPv6(a.host) ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

export const address: ValueType<HostPort> = {
  allowed: 'IPv4:port, [IPv6]:port or hostname:port, port 1..65535',
  parse: parseHostPort,
  format: formatHostPort,
};

function absolutePath(text: string): boolean {
  return isAbsolute(text) && !text.includes('\0');
}

/** A backing disk: an absolute path, or "none" for a diskless node. */
export const disk: ValueType<string | null> = {
  allowed: 'an absolute path of a block device or file, or none (diskless)',
  parse(text) {
    if (text === 'none') return ok(null);
    return absolutePath(text) ? ok(text) : bad('is not an absolute path');
  },
  format: (d) => d ?? 'none',
};

/** A file this node reads, or nothing (the empty default: not set). */
export const optionalPath: ValueType<string | null> = {
  allowed: 'an absolute path of a file, or nothing',
  parse(text) {
    if (text === '') return ok(null);
    return absolutePath(text) ? ok(text) : bad('is not an absolute path');
  },
  format: (p) => p ?? '',
};

export const meta: ValueType<MetaPlacement> = {
  allowed: 'pmem:<absolute path of a file or devdax> or block:<absolute path of a device or file>',
  parse(text) {
    const m = /^(pmem|block):(.*)$/.exec(text);
    if (!m) return bad('is not a metadata placement');
    return absolutePath(m[2]) ? ok({ kind: m[1] as 'pmem' | 'block', path: m[2] }) : bad(`is not a metadata placement: '${m[2]}' is not an absolute path`);
  },
  format: (p) => `${p.kind}:${p.path}`,
};

export const exportAddress: ValueType<ExportAddress> = {
  allowed: `an absolute Unix socket path (at most ${MAX_UNIX_SOCKET_PATH} bytes) or tcp:<host>:<port>`,
  parse(text) {
    if (text.startsWith('tcp:')) {
      const hp = parseHostPort(text.slice(4));
      return hp.ok ? ok({ kind: 'tcp', ...hp.value }) : bad(`is not an NBD export: '${text.slice(4)}' ${hp.problem}`);
    }
    if (!absolutePath(text)) return bad('is not an NBD export');
    if (Buffer.byteLength(text) > MAX_UNIX_SOCKET_PATH) return bad(`is not an NBD export: the socket path is longer than ${MAX_UNIX_SOCKET_PATH} bytes`);
    return ok({ kind: 'unix', path: text });
  },
  format: (e) => (e.kind === 'unix' ? e.path : `tcp:${formatHostPort(e)}`),
};
