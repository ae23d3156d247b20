// Builds the single `tandem` executable: esbuild bundles the built CLI (dist/: run `npm run
// build:ts` first), every oclif command included through a generated command map, into one
// CommonJS file; Node turns it into a SEA blob, and postject injects the blob into a copy of this
// machine's node. The pkg family cannot do this offline (it downloads base binaries). Native
// addons cannot live in the blob, so the libpmem and io_uring addons are copied beside the
// binary, where src/lib/native-addon.ts looks first.
//
//   node packaging/build-binary.mjs [--out DIR]      → DIR/tandem, DIR/tandem_pmem.node, DIR/tandem_uring.node
import { build } from 'esbuild';
import { inject } from 'postject';
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const COMMANDS_DIR = join(ROOT, 'dist/cli/commands');
const ADDONS = [join(ROOT, 'src/meta/native/build/Release/tandem_pmem.node'), join(ROOT, 'src/platform/node/native/build/Release/tandem_uring.node')];
// The fuse Node's SEA support looks for; fixed for every Node release with SEA.
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

/** Command ids as oclif's pattern strategy derives them: md/size.js → md:size, x/index.js → x. */
function commandFiles(dir = COMMANDS_DIR) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return commandFiles(path);
    if (!e.name.endsWith('.js')) return [];
    const id = relative(COMMANDS_DIR, path).slice(0, -'.js'.length).split(sep).join(':').replace(/(^|:)index$/, '');
    return [{ id, path }];
  });
}

/** The module `tandem:commands`: the explicit command map (id → command class) oclif runs from. */
function commandMapSource() {
  const files = commandFiles();
  if (files.length === 0) throw new Error(`no commands under ${COMMANDS_DIR}`);
  const imports = files.map((f, i) => `import c${i} from ${JSON.stringify(f.path)};`);
  const entries = files.map((f, i) => `  ${JSON.stringify(f.id)}: c${i},`);
  return `${imports.join('\n')}\nexport default {\n${entries.join('\n')}\n};\n`;
}

const commandMapPlugin = {
  name: 'tandem-commands',
  setup(b) {
    b.onResolve({ filter: /^tandem:commands$/ }, () => ({ path: 'commands', namespace: 'tandem' }));
    b.onLoad({ filter: /.*/, namespace: 'tandem' }, () => ({ contents: commandMapSource(), loader: 'js', resolveDir: ROOT }));
  },
};

// Sets up require and the modules' import.meta.url inside the binary.
const PRELUDE = readFileSync(join(ROOT, 'packaging/single-binary/prelude.cjs'), 'utf8');

async function bundle(outfile) {
  const result = await build({
    entryPoints: [join(ROOT, 'packaging/single-binary/main.mjs')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    outfile,
    define: { 'import.meta.url': '__tandemModuleUrl' },
    banner: { js: PRELUDE },
    plugins: [commandMapPlugin],
    // oclif loads typescript only to read a tsconfig in development; never in the binary
    external: ['typescript'],
    logLevel: 'warning',
    metafile: true,
  });
  return Object.keys(result.metafile.inputs).length;
}

function seaBlob(main, blob) {
  const config = join(dirname(blob), 'sea-config.json');
  writeFileSync(config, JSON.stringify({ main, output: blob, disableExperimentalSEAWarning: true, useCodeCache: true }));
  execFileSync(process.execPath, ['--experimental-sea-config', config], { stdio: 'pipe' });
}

async function buildBinary(outDir) {
  if (!existsSync(COMMANDS_DIR)) throw new Error(`${COMMANDS_DIR} is missing: run 'npm run build:ts' first`);
  for (const addon of ADDONS) {
    if (!existsSync(addon)) throw new Error(`${addon} is missing: run 'npm run build:native' first (needs libpmem-dev and liburing-dev)`);
  }
  const work = join(outDir, '.work');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const main = join(work, 'tandem.cjs');
  const modules = await bundle(main);
  seaBlob(main, join(work, 'sea-prep.blob'));
  const binary = join(outDir, 'tandem');
  rmSync(binary, { force: true });
  copyFileSync(process.execPath, binary);
  chmodSync(binary, 0o755);
  // postject's wasm prints "Can't find string offset for section name" for node's ELF notes on
  // stderr (harmless); a failed injection throws.
  const warn = console.warn;
  console.warn = () => {};
  try {
    await inject(binary, 'NODE_SEA_BLOB', readFileSync(join(work, 'sea-prep.blob')), { sentinelFuse: SEA_FUSE });
  } finally {
    console.warn = warn;
  }
  for (const addon of ADDONS) {
    copyFileSync(addon, join(outDir, basename(addon)));
    chmodSync(join(outDir, basename(addon)), 0o644);
  }
  rmSync(work, { recursive: true, force: true });
  return { binary, modules };
}

const { values } = parseArgs({ options: { out: { type: 'string', default: join(ROOT, 'build/package') } } });
const outDir = resolve(values.out);
mkdirSync(outDir, { recursive: true });
const started = Date.now();
const { binary, modules } = await buildBinary(outDir);
console.log(`${binary}: ${modules} modules bundled, ${Date.now() - started} ms`);
