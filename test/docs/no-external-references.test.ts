// The repository must build, run and be understood from its own files: code, tests, benchmarks,
// agents, packaging and docs may not cite a design document or research notes that live outside
// it, nor read anything from a sibling "shared" directory. A fact they need is stated where it is
// used, or in docs/ (ARCHITECTURE.md, MIGRATION.md), README.md or bench/README.md. This test reads
// every text file under those roots and fails with file, line and text of each such reference.
import t from 'tap';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SELF = fileURLToPath(import.meta.url);
const ROOTS = ['src', 'test', 'bench', 'ocf', 'agents', 'packaging', 'docs', '.ci', 'README.md'];
/** Generated or installed trees: not ours to word. */
const SKIP_DIRS = new Set(['node_modules', 'build', 'dist', '.git']);
const MAX_BYTES = 4 * 1024 * 1024;

const EXTERNAL: Array<{ re: RegExp; what: string }> = [
  { re: /\bDESIGN(?:\.md\b|\s*§|\s+(?:invariant|section)\b)/, what: 'the external design document' },
  { re: /\.\.\/shared\//, what: 'a path into ../shared' },
  { re: /\/work\/shared\b/, what: 'a path into /work/shared' },
  { re: /\b(?:vvr-facts|drbd-facts|style-anchors|stack-feasibility|user-asks)\b/, what: 'an external research note' },
];

interface Hit { file: string; line: number; text: string; what: string }

function* textFiles(path: string): Generator<string> {
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) return;
  if (st.isFile()) {
    yield path;
    return;
  }
  if (!st.isDirectory()) return;
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    if (entry.isDirectory() && SKIP_DIRS.has(entry.name)) continue;
    if (entry.isSymbolicLink()) continue;
    yield* textFiles(join(path, entry.name));
  }
}

function referencesIn(file: string, text: string): Hit[] {
  const hits: Hit[] = [];
  text.split('\n').forEach((line, i) => {
    for (const { re, what } of EXTERNAL) if (re.test(line)) hits.push({ file, line: i + 1, text: line.trim().slice(0, 160), what });
  });
  return hits;
}

t.test('no file of the repository cites or reads a document outside it', async (t) => {
  let scanned = 0;
  const hits: Hit[] = [];
  for (const root of ROOTS) {
    for (const file of textFiles(join(ROOT, root))) {
      if (file === SELF || statSync(file).size > MAX_BYTES) continue;
      const buf = readFileSync(file);
      if (buf.includes(0)) continue; // binary (a built addon, an image)
      scanned++;
      hits.push(...referencesIn(relative(ROOT, file), buf.toString('utf8')));
    }
  }
  t.ok(scanned > 200, `the repository's files are found (${scanned} scanned)`);
  t.same(hits.map((h) => `${h.file}:${h.line}: ${h.what}: ${h.text}`), [],
    'state the fact in our own words, or point to docs/ARCHITECTURE.md, docs/MIGRATION.md, README.md or bench/README.md');
});

t.test('the check itself catches what it forbids', async (t) => {
  const sample = [
    '// the AL is persisted first (DESIGN §3 invariant 1)',
    '// as DESIGN.md says',
    '// persisted before acknowledged: DESIGN invariant 3',
    "const samples = '../shared/samples/vvr';",
    "readFileSync('/work/shared/reference/x.md')",
    '// mapping of vvr-facts §6.1',
    '// metadata invariants: M1 in docs/ARCHITECTURE.md §3',
    '// a design decision; the shared disks of a site',
  ].join('\n');
  const hits = referencesIn('sample.ts', sample);
  t.same(hits.map((h) => h.line), [1, 2, 3, 4, 5, 6], 'each external reference is found, and the repo-local pointer and ordinary words are not');
});
