// The one way Tandem loads its native addons (libpmem, io_uring). An addon is looked for beside
// process.execPath first (the single-binary package ships it there, because addons cannot live
// inside a SEA blob), then in its build tree below the package root (development, npm installs).
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TandemError } from './errors.js';

export interface AddonSpec {
  /** the file name, e.g. tandem_pmem.node */
  file: string;
  /** an environment variable that, when set, names the only candidate path */
  envVar: string;
  /** its node-gyp build directory, relative to the package root */
  buildDir: string;
  /** what it is, for messages: e.g. 'the libpmem addon' */
  what: string;
  /** the Debian package its build needs, for the hint */
  devPackage: string;
  /** the shared library it links, for the hint */
  library: string;
}

function candidatePaths(spec: AddonSpec): string[] {
  // An explicit override is the only candidate: a wrong path must fail, not fall back silently.
  const override = process.env[spec.envVar];
  if (override) return [override];
  // Beside the binary first: what a package ships wins over a build tree that happens to exist.
  const paths = [join(dirname(process.execPath), spec.file)];
  try {
    // src/lib/native-addon.ts and dist/lib/native-addon.js are both two levels below the package root.
    const root = fileURLToPath(new URL('../..', import.meta.url));
    paths.push(join(root, spec.buildDir, spec.file));
  } catch {
    // bundled into a CommonJS single binary: import.meta.url is not available there
  }
  return paths;
}

export function loadAddon<T>(spec: AddonSpec): T {
  const paths = candidatePaths(spec);
  const found = paths.find((p) => existsSync(p));
  if (!found) {
    throw new TandemError('TANDEM_E_NATIVE', `${spec.what} ${spec.file} was not found (looked in: ${paths.join(', ')})`, {
      hint: `build it with 'npm run build:native' (needs ${spec.devPackage}), or place ${spec.file} beside the tandem binary`,
    });
  }
  try {
    return createRequire(join(dirname(process.execPath), 'x'))(found) as T;
  } catch (err) {
    throw new TandemError('TANDEM_E_NATIVE', `${spec.what} ${found} failed to load: ${(err as Error).message}`, {
      hint: `rebuild it with 'npm run build:native' for this Node version, and check that ${spec.library} is installed`,
      cause: err,
    });
  }
}
