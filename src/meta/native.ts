// The one place that loads the libpmem addon. It is looked for beside this module's source tree
// (development, npm installs) and beside process.execPath (the single-binary package ships it
// there, because addons cannot live inside a SEA blob).
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TandemError } from '../lib/errors.js';

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

const ADDON_FILE = 'tandem_pmem.node';

function candidatePaths(): string[] {
  // An explicit override is the only candidate: a wrong path must fail, not fall back silently.
  if (process.env.TANDEM_PMEM_ADDON) return [process.env.TANDEM_PMEM_ADDON];
  // Beside the binary first: what a package ships wins over a build tree that happens to exist.
  const paths = [join(dirname(process.execPath), ADDON_FILE)];
  try {
    // src/meta/native.ts and dist/meta/native.js are both two levels below the package root.
    const root = fileURLToPath(new URL('../..', import.meta.url));
    paths.push(join(root, 'src/meta/native/build/Release', ADDON_FILE));
  } catch {
    // bundled into a CommonJS single binary: import.meta.url is not available there
  }
  return paths;
}

let loaded: PmemAddon | undefined;

export function pmemAddon(): PmemAddon {
  if (loaded) return loaded;
  const paths = candidatePaths();
  const found = paths.find((p) => existsSync(p));
  if (!found) {
    throw new TandemError('TANDEM_E_NATIVE', `the libpmem addon ${ADDON_FILE} was not found (looked in: ${paths.join(', ')})`, {
      hint: "build it with 'npm run build:native' (needs libpmem-dev), or place tandem_pmem.node beside the tandem binary",
    });
  }
  try {
    loaded = createRequire(join(dirname(process.execPath), 'x'))(found) as PmemAddon;
  } catch (err) {
    throw new TandemError('TANDEM_E_NATIVE', `the libpmem addon ${found} failed to load: ${(err as Error).message}`, {
      hint: "rebuild it with 'npm run build:native' for this Node version, and check that libpmem is installed",
      cause: err,
    });
  }
  return loaded;
}
