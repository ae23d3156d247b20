// The addon loader: beside process.execPath (how the single binary ships it), else the build tree.
import t from 'tap';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { tempDir } from './fixtures/helpers.js';

const NATIVE = fileURLToPath(new URL('../../dist/meta/native.js', import.meta.url));
const BUILT = fileURLToPath(new URL('../../src/meta/native/build/Release/tandem_pmem.node', import.meta.url));
const PROBE = `import(${JSON.stringify(NATIVE)}).then((m) => {
  try { console.log(JSON.stringify({ ok: typeof m.pmemAddon().mapRange === 'function' })); }
  catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message, hint: e.hint })); }
})`;

function probe(node: string, env: Record<string, string> = {}): { ok?: boolean; code?: string; message?: string; hint?: string } {
  const clean = { ...process.env, ...env };
  if (!('TANDEM_PMEM_ADDON' in env)) delete clean.TANDEM_PMEM_ADDON;
  return JSON.parse(execFileSync(node, ['-e', PROBE], { env: clean, encoding: 'utf8' }).trim());
}

t.test('an addon beside the node binary is the one loaded', async (t) => {
  const dir = tempDir(t);
  const node = join(dir, 'node');
  copyFileSync(process.execPath, node); // execPath is the resolved binary, so a symlink would not do
  writeFileSync(join(dir, 'tandem_pmem.node'), 'not an ELF object');
  t.match(probe(node), { code: 'TANDEM_E_NATIVE', message: new RegExp(`${dir}/tandem_pmem\\.node failed to load`), hint: /npm run build:native/ });
  copyFileSync(BUILT, join(dir, 'tandem_pmem.node'));
  t.same(probe(node), { ok: true });
  t.same(probe(process.execPath), { ok: true }, 'the build tree otherwise');
});

t.test('TANDEM_PMEM_ADDON names the only candidate', async (t) => {
  const missing = join(tempDir(t), 'nowhere.node');
  t.match(probe(process.execPath, { TANDEM_PMEM_ADDON: missing }), { code: 'TANDEM_E_NATIVE', message: new RegExp(`not found \\(looked in: ${missing}\\)`) });
});
