// The one addon loader, for the io_uring addon: the override is the only candidate, a file that
// is not an addon fails with the path and a hint, and the build tree is found otherwise.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const URING = fileURLToPath(new URL('../../dist/platform/node/uring.js', import.meta.url));
const PROBE = `import(${JSON.stringify(URING)}).then((m) => {
  try { console.log(JSON.stringify({ ok: typeof m.uringAddon().read === 'function' })); }
  catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message, hint: e.hint })); }
})`;

function probe(env: Record<string, string>): { ok?: boolean; code?: string; message?: string; hint?: string } {
  const clean: Record<string, string | undefined> = { ...process.env, ...env };
  if (!('TANDEM_URING_ADDON' in env)) delete clean.TANDEM_URING_ADDON;
  return JSON.parse(execFileSync(process.execPath, ['-e', PROBE], { env: clean, encoding: 'utf8' }).trim());
}

t.test('the io_uring addon: override, broken file, build tree', async (t) => {
  const dir = mkdtempSync('/dev/shm/tandem-addon-test-');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const missing = join(dir, 'nowhere.node');
  t.match(probe({ TANDEM_URING_ADDON: missing }), {
    code: 'TANDEM_E_NATIVE', message: `the io_uring addon tandem_uring.node was not found (looked in: ${missing})`, hint: /needs liburing-dev/,
  });
  const broken = join(dir, 'tandem_uring.node');
  writeFileSync(broken, 'not an ELF object');
  t.match(probe({ TANDEM_URING_ADDON: broken }), { code: 'TANDEM_E_NATIVE', message: new RegExp(`${broken} failed to load`), hint: /liburing2 is installed/ });
  t.same(probe({}), { ok: true }, 'found in the build tree');
});
