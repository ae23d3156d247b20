// The libpmem addon (src/meta/native/pmem.c), loaded by the one addon loader (src/lib/native-addon.ts):
// beside process.execPath first (the single-binary package ships it there), then the build tree.
import { loadAddon } from '../lib/native-addon.js';

export interface PmemMapping {
  buffer: ArrayBuffer;
  isPmem: boolean;
  length: number;
}

export interface PmemAddon {
  /** Map [offset, offset + length) of an existing file or devdax. */
  mapRange(path: string, offset: number, length: number): PmemMapping;
  persist(buffer: ArrayBuffer, offset: number, length: number, isPmem: boolean): void;
}

let loaded: PmemAddon | undefined;

export function pmemAddon(): PmemAddon {
  loaded ??= loadAddon<PmemAddon>({
    file: 'tandem_pmem.node', envVar: 'TANDEM_PMEM_ADDON', buildDir: 'src/meta/native/build/Release',
    what: 'the libpmem addon', devPackage: 'libpmem-dev', library: 'libpmem',
  });
  return loaded;
}
