// The directory Tandem is installed in: the repository root in development (this module is
// dist/lib/package-root.js), or the directory of the single binary, whose bundle poses as
// dist/bundle/tandem.cjs (packaging/single-binary/prelude.cjs). Files shipped beside the code
// (agents/, native addons) are found from here. Keep this module two levels below the root.
import { fileURLToPath } from 'node:url';

export const PACKAGE_ROOT = fileURLToPath(new URL('../..', import.meta.url));
