// The engine owns no I/O (src/engine/platform.ts): everything it does to the world goes through
// the Platform, so the simulator can run the same code deterministically. This test reads every
// engine file and fails on an import or a global that reaches around the Platform.
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const ENGINE = new URL('../../src/engine/', import.meta.url).pathname;

const FORBIDDEN_IMPORTS = ['node:fs', 'node:fs/promises', 'node:net', 'node:tls', 'node:child_process', 'node:timers', 'node:timers/promises', 'node:crypto', 'node:dgram', 'node:worker_threads', 'execa'];
const FORBIDDEN_GLOBALS = [/\bDate\.now\b/, /\bnew Date\b/, /\bsetTimeout\b/, /\bsetInterval\b/, /\bsetImmediate\b/, /\bprocess\.(env|hrtime|nextTick|exit)\b/, /\brandomBytes\b/, /\bMath\.random\b/, /\bperformance\.now\b/];
/** Modules outside the engine it may import: pure code (no I/O at import or call time). */
const ALLOWED_OUTSIDE = [/^\.\.\/lib\/(assert|errors|log)\.js$/, /^\.\.\/meta\/layout\.js$/, /^\.\.\/wire\/(messages|version)\.js$/, /^\.\.\/config\/(model|connections)\.js$/];

function engineFiles(): string[] {
  return readdirSync(ENGINE).filter((f) => f.endsWith('.ts')).map((f) => join(ENGINE, f));
}

function imports(source: string): Array<{ spec: string; typeOnly: boolean }> {
  const out: Array<{ spec: string; typeOnly: boolean }> = [];
  for (const m of source.matchAll(/^import\s+(type\s+)?[^'"]*?from\s+['"]([^'"]+)['"]/gm)) out.push({ spec: m[2], typeOnly: m[1] !== undefined });
  for (const m of source.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) out.push({ spec: m[1], typeOnly: false });
  return out;
}

/** Comments and string contents are not code (a comment may name setTimeout to say why it is not used). */
function codeOnly(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '').replace(/'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`/g, "''");
}

t.test('every engine file stays behind the Platform', async (t) => {
  const files = engineFiles();
  t.ok(files.length >= 15, `the engine's files are found (${files.length})`);
  for (const file of files) {
    const source = readFileSync(file, 'utf8');
    const name = file.slice(ENGINE.length);
    for (const { spec, typeOnly } of imports(source)) {
      t.notOk(FORBIDDEN_IMPORTS.includes(spec), `${name} does not import ${spec}`);
      if (typeOnly || spec.startsWith('./')) continue;
      t.ok(ALLOWED_OUTSIDE.some((re) => re.test(spec)), `${name}: ${spec} is pure code the engine may import (or a type-only import)`);
    }
    const code = codeOnly(source);
    for (const re of FORBIDDEN_GLOBALS) t.notOk(re.test(code), `${name} does not use ${re.source.replace(/\\b|\\/g, '')}`);
  }
});

t.test('the check itself catches what it forbids', async (t) => {
  const bad = "import { readFileSync } from 'node:fs';\nconst t0 = Date.now();\nsetTimeout(() => {}, 1);\nconst s = process.env.X;\n";
  t.ok(imports(bad).some((i) => FORBIDDEN_IMPORTS.includes(i.spec)), 'a node:fs import is seen');
  const code = codeOnly(bad);
  t.ok(FORBIDDEN_GLOBALS.filter((re) => re.test(code)).length >= 3, 'Date.now, setTimeout and process.env are seen');
  t.notOk(FORBIDDEN_GLOBALS.some((re) => re.test(codeOnly('// setTimeout is not used here\nconst x = 1;\n'))), 'a comment naming one is not code');
});
