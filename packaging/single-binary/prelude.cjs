// Prepended to the bundle that runs as the binary's SEA main script (see build-binary.mjs).

// The SEA main script's require reaches Node's built-in modules only, and warns on stderr at the
// first other name it is asked for (oclif probes its own package.json at start-up, in a
// try/catch). Every module of Tandem is in the bundle, so any other name fails here, quietly.
// eslint-disable-next-line no-global-assign
require = ((seaRequire) => (id) => {
  if (seaRequire('node:module').isBuiltin(id)) return seaRequire(id);
  throw Object.assign(new Error(`Cannot find module '${id}': the tandem binary holds only its bundled modules`), { code: 'MODULE_NOT_FOUND' });
})(require);

// Modules that locate files with import.meta.url (the libpmem addon, agents/) see the binary's
// directory as the package root: <dir of the binary>/dist/bundle/tandem.cjs lies two levels below
// it, as dist/<dir>/<module>.js does in the source tree.
const __tandemModuleUrl = require('node:url').pathToFileURL(
  require('node:path').join(require('node:path').dirname(process.execPath), 'dist', 'bundle', 'tandem.cjs'),
).href;
