// Many volumes' metadata in one PMEM namespace (or one file): a small directory at the start of
// the namespace maps names ("r0/0") to [offset, offset + length). The directory is a dual-copy
// record (two 16 KiB copies, sequence number, CRC32C), so every update is atomic.
//
// Directory copy: 0 u64 magic "TNDMNSDR"  8 u32 version  12 u32 crc32c  16 u64 sequence
//   24 u32 entry count  28 u32 reserved  32 u64 namespace length  40..63 reserved
//   64 entries[] × 96 B: name (64 B, UTF-8, zero padded), u64 offset, u64 length, 16 B reserved
// Areas start after the directory (DATA_START) and are 4 KiB aligned, allocated first fit.
import { TandemError } from '../lib/errors.js';
import { formatSize } from '../lib/units.js';
import { readDualCopy, writeDualCopy } from './dual-copy.js';
import { BLOCK, alignUp } from './layout.js';
import type { MetaStore } from './store.js';

export const DIRECTORY_MAGIC = 0x5244534e4d444e54n; // "TNDMNSDR"
const DIRECTORY_VERSION = 1;
const COPY_SIZE = 16 * 1024;
const OFFSETS = [0, COPY_SIZE];
export const DATA_START = 2 * COPY_SIZE;
const ENTRY_START = 64;
const ENTRY_SIZE = 96;
const NAME_BYTES = 64;
export const MAX_ENTRIES = Math.floor((COPY_SIZE - ENTRY_START) / ENTRY_SIZE);

export interface AreaEntry {
  name: string;
  offset: number;
  length: number;
}

export class Allocator {
  private entries: AreaEntry[];
  private seq: number;
  private copy: number | undefined;

  /** `store` holds the directory (its first DATA_START bytes); the namespace is `nsLength` bytes. */
  private constructor(private readonly store: MetaStore, private readonly nsLength: number, private readonly where: string, entries: AreaEntry[], seq: number, copy: number | undefined) {
    this.entries = entries;
    this.seq = seq;
    this.copy = copy;
  }

  /** Write an empty directory. Refuses a namespace holding anything unless `force`. */
  static format(store: MetaStore, nsLength: number, where: string, force = false): Allocator {
    if (nsLength < DATA_START + BLOCK) {
      throw new TandemError('TANDEM_E_META_SPACE', `${where}: ${nsLength} bytes is too small for a namespace`, { hint: `give it at least ${DATA_START + BLOCK} bytes` });
    }
    const { copies } = readDualCopy(store, OFFSETS, COPY_SIZE, DIRECTORY_MAGIC, DIRECTORY_VERSION);
    if (!force && copies.some((c) => c.status !== 'empty')) {
      throw new TandemError('TANDEM_E_META', `${where}: the namespace already holds data (${copies.map((c) => c.status).join(', ')})`, {
        hint: 'use --force to format it anyway, destroying every volume metadata area in it',
      });
    }
    const allocator = new Allocator(store, nsLength, where, [], 0, undefined);
    allocator.save();
    return allocator;
  }

  static open(store: MetaStore, nsLength: number, where: string): Allocator {
    const { best, copies } = readDualCopy(store, OFFSETS, COPY_SIZE, DIRECTORY_MAGIC, DIRECTORY_VERSION);
    if (!best) {
      const what = copies.every((c) => c.status === 'empty') ? 'no namespace directory (never formatted)'
        : `no valid namespace directory (${copies.map((c) => `copy ${c.copy}: ${c.status}`).join(', ')})`;
      throw new TandemError('TANDEM_E_META', `${where}: ${what}`, {
        hint: "'tandem md create --meta pmem:<path>#<resource>/<volume>' formats an empty namespace", details: { copies },
      });
    }
    return new Allocator(store, nsLength, where, decodeEntries(best.bytes), best.seq, best.copy);
  }

  /** Open the directory, formatting it first when the namespace is still all zeros. */
  static openOrFormat(store: MetaStore, nsLength: number, where: string): Allocator {
    const { copies } = readDualCopy(store, OFFSETS, COPY_SIZE, DIRECTORY_MAGIC, DIRECTORY_VERSION);
    return copies.every((c) => c.status === 'empty') ? Allocator.format(store, nsLength, where) : Allocator.open(store, nsLength, where);
  }

  list(): AreaEntry[] {
    return this.entries.map((e) => ({ ...e }));
  }

  find(name: string): AreaEntry | undefined {
    return this.entries.find((e) => e.name === name);
  }

  /** Reserve `length` bytes under `name` (first fit); persisted before return. */
  allocate(name: string, length: number): AreaEntry {
    checkName(name);
    if (this.find(name)) throw new TandemError('TANDEM_E_STATE', `${this.where}: an area named '${name}' already exists`, { hint: 'free it first, or use another name' });
    if (this.entries.length >= MAX_ENTRIES) {
      throw new TandemError('TANDEM_E_META_SPACE', `${this.where}: the namespace directory is full (${MAX_ENTRIES} areas)`, { hint: 'use another namespace' });
    }
    const size = alignUp(length, BLOCK);
    const offset = this.firstFit(size);
    if (offset === undefined) {
      throw new TandemError('TANDEM_E_META_SPACE', `${this.where}: no free range of ${formatSize(size)} for '${name}' (${formatSize(this.freeBytes())} free in total)`, {
        hint: "run 'tandem md size' to see what each volume needs; use a larger namespace or fewer peers", details: { needed: size, free: this.freeBytes() },
      });
    }
    const entry = { name, offset, length: size };
    this.entries = [...this.entries, entry].sort((a, b) => a.offset - b.offset);
    this.save();
    return { ...entry };
  }

  free(name: string): void {
    if (!this.find(name)) throw new TandemError('TANDEM_E_NOT_FOUND', `${this.where}: no area named '${name}'`, { hint: 'list the areas with tandem md show --meta <namespace>' });
    this.entries = this.entries.filter((e) => e.name !== name);
    this.save();
  }

  freeBytes(): number {
    return this.nsLength - DATA_START - this.entries.reduce((sum, e) => sum + e.length, 0);
  }

  private firstFit(size: number): number | undefined {
    let cursor = DATA_START;
    for (const e of this.entries) {
      if (e.offset - cursor >= size) return cursor;
      cursor = Math.max(cursor, e.offset + e.length);
    }
    return this.nsLength - cursor >= size ? cursor : undefined;
  }

  private save(): void {
    const bytes = new Uint8Array(COPY_SIZE);
    const v = new DataView(bytes.buffer);
    v.setBigUint64(0, DIRECTORY_MAGIC, true);
    v.setUint32(8, DIRECTORY_VERSION, true);
    v.setUint32(24, this.entries.length, true);
    v.setBigUint64(32, BigInt(this.nsLength), true);
    this.entries.forEach((e, i) => {
      const at = ENTRY_START + i * ENTRY_SIZE;
      bytes.set(new TextEncoder().encode(e.name), at);
      v.setBigUint64(at + NAME_BYTES, BigInt(e.offset), true);
      v.setBigUint64(at + NAME_BYTES + 8, BigInt(e.length), true);
    });
    this.seq += 1;
    this.copy = writeDualCopy(this.store, OFFSETS, bytes, this.seq, this.copy);
  }
}

function decodeEntries(bytes: Uint8Array): AreaEntry[] {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = Math.min(v.getUint32(24, true), MAX_ENTRIES);
  return Array.from({ length: count }, (_, i) => {
    const at = ENTRY_START + i * ENTRY_SIZE;
    const raw = bytes.subarray(at, at + NAME_BYTES);
    const end = raw.indexOf(0);
    return {
      name: new TextDecoder().decode(raw.subarray(0, end < 0 ? NAME_BYTES : end)),
      offset: Number(v.getBigUint64(at + NAME_BYTES, true)),
      length: Number(v.getBigUint64(at + NAME_BYTES + 8, true)),
    };
  });
}

function checkName(name: string): void {
  if (!/^[A-Za-z0-9_.:/-]+$/.test(name) || new TextEncoder().encode(name).length >= NAME_BYTES) {
    throw new TandemError('TANDEM_E_USAGE', `invalid area name '${name}'`, {
      hint: `use <resource>/<volume> made of letters, digits and _ . : - /, shorter than ${NAME_BYTES} bytes`,
    });
  }
}
