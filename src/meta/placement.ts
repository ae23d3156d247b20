// Placement addresses, as written in `meta =` and on the md command line:
//   pmem:<file or devdax>            the whole file/device is one volume's metadata area
//   block:<file or block device>     same, written with pwrite + fdatasync
//   pmem:<namespace>#<name>          the area named <name> (e.g. r0/0) inside a namespace shared by
//                                    many volumes through the allocator (allocator.ts); block: too
import { closeSync, ftruncateSync, openSync, statSync } from 'node:fs';
import { TandemError } from '../lib/errors.js';
import { Allocator, DATA_START, type AreaEntry } from './allocator.js';
import { BlockStore } from './block.js';
import { PmemStore } from './pmem.js';
import { WindowStore, type MetaStore, type PlacementKind } from './store.js';

export interface Placement {
  kind: PlacementKind;
  path: string;
  area?: string;
  text: string;
}

export const PLACEMENT_SYNTAX = 'pmem:<file|devdax>[#<resource>/<volume>] or block:<file|device>[#<resource>/<volume>]';

export function parsePlacement(text: string): Placement {
  const m = /^(pmem|block):([^#]+)(?:#(.+))?$/.exec(text.trim());
  if (!m) {
    throw new TandemError('TANDEM_E_USAGE', `invalid metadata placement '${text}'`, { hint: `write ${PLACEMENT_SYNTAX}` });
  }
  return { kind: m[1] as PlacementKind, path: m[2], area: m[3], text };
}

/** The store of an existing placement. */
export function openPlacement(p: Placement): MetaStore {
  if (p.area === undefined) return openWhole(p);
  const ns = openNamespace(p);
  const entry = Allocator.open(ns.directory, ns.length, p.path).find(p.area);
  if (!entry) {
    ns.close();
    throw new TandemError('TANDEM_E_NOT_FOUND', `${p.path}: no metadata area named '${p.area}'`, {
      hint: `create it with 'tandem md create --meta ${p.text} …'`,
    });
  }
  return ns.area(entry);
}

export interface CreateOptions {
  /** Size of a namespace file created to hold `#area` placements. */
  namespaceSize?: number;
  /** Replace an existing area that is too small. */
  force?: boolean;
}

/** A store of at least `length` bytes for new metadata (created, sized or allocated as needed). */
export function createPlacement(p: Placement, length: number, opts: CreateOptions = {}): MetaStore {
  if (p.area === undefined) return createWhole(p, length);
  if (!exists(p.path)) createSparse(p.path, opts.namespaceSize);
  const ns = openNamespace(p);
  try {
    const allocator = Allocator.openOrFormat(ns.directory, ns.length, p.path);
    let entry = allocator.find(p.area);
    if (entry && entry.length < length) {
      if (!opts.force) {
        throw new TandemError('TANDEM_E_META_SPACE', `${p.path}: area '${p.area}' has ${entry.length} bytes, ${length} are needed`, {
          hint: 'use --force to free and reallocate it (its metadata is lost)',
        });
      }
      allocator.free(p.area);
      entry = undefined;
    }
    return ns.area(entry ?? allocator.allocate(p.area, length));
  } catch (err) {
    ns.close();
    throw err;
  }
}

/** Namespace members, with their areas in their own mappings (pmem) or windows of one fd (block). */
export function openNamespace(p: Placement): { length: number; directory: MetaStore; area(e: AreaEntry): MetaStore; close(): void } {
  if (p.kind === 'pmem') {
    const length = PmemStore.size(p.path);
    const directory = PmemStore.openRange(p.path, 0, Math.min(length, DATA_START));
    return { length, directory, area: (e) => PmemStore.openRange(p.path, e.offset, e.length), close: () => directory.close() };
  }
  const whole = BlockStore.open(p.path);
  return {
    length: whole.length,
    directory: new WindowStore(whole, 0, Math.min(whole.length, DATA_START)),
    area: (e) => new WindowStore(whole, e.offset, e.length),
    close: () => whole.close(),
  };
}

function openWhole(p: Placement): MetaStore {
  return p.kind === 'pmem' ? PmemStore.open(p.path) : BlockStore.open(p.path);
}

function createWhole(p: Placement, length: number): MetaStore {
  if (isDevice(p.path)) {
    const store = openWhole(p);
    if (store.length < length) {
      store.close();
      throw new TandemError('TANDEM_E_META_SPACE', `${p.path} has ${store.length} bytes, the metadata needs ${length}`, {
        hint: "run 'tandem md size' and use a larger device, or share a namespace with #<name> areas",
      });
    }
    return store;
  }
  return p.kind === 'pmem' ? PmemStore.open(p.path, length) : BlockStore.open(p.path, length);
}

/** A namespace file starts sparse; each area is preallocated when its metadata is formatted. */
function createSparse(path: string, size: number | undefined): void {
  if (size === undefined) {
    throw new TandemError('TANDEM_E_NOT_FOUND', `namespace ${path} does not exist`, {
      hint: 'give --namespace-size to create a namespace file, or name an existing devdax/file',
    });
  }
  const fd = openSync(path, 'wx', 0o600);
  try {
    ftruncateSync(fd, size);
  } finally {
    closeSync(fd);
  }
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

function isDevice(path: string): boolean {
  try {
    const st = statSync(path);
    return st.isBlockDevice() || st.isCharacterDevice();
  } catch {
    return false;
  }
}
