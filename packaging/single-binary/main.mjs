// Entry of the single `tandem` binary (bundled by packaging/build-binary.mjs into one CommonJS
// file that runs from a Node SEA blob). oclif normally finds commands as files under
// dist/cli/commands; inside the binary there are no such files, so the root plugin uses oclif's
// explicit strategy with the command map already in memory.
import { Plugin, execute, handle } from '@oclif/core';
import { basename, dirname } from 'node:path';
import COMMANDS from 'tandem:commands';
import pjson from '../../package.json' with { type: 'json' };

/** Invoked as `tandemd` (a link to the binary), it is `tandem daemon`. */
function commandLine() {
  const args = process.argv.slice(2);
  return basename(process.argv0) === 'tandemd' ? ['daemon', ...args] : args;
}

async function main() {
  // The binary's directory stands for the package root: the addon and agents/ live beside it.
  const root = dirname(process.execPath);
  const oclif = { ...pjson.oclif, commands: { strategy: 'explicit', target: 'tandem:commands', identifier: 'default' } };
  const plugin = new Plugin({ isRoot: true, ignoreManifest: true, pjson: { ...pjson, oclif }, root });
  // oclif would import the explicit target from disk; handing it the map skips that import.
  plugin.commandCache = COMMANDS;
  await plugin.load();
  await execute({ args: commandLine(), loadOptions: { root, pjson: plugin.pjson, plugins: new Map([[plugin.name, plugin]]) } });
}

// CommonJS (the SEA main must be) has no top-level await.
main().catch(handle);
