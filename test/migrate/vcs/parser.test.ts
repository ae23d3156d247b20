import t from 'tap';
import { fileURLToPath } from 'node:url';
import { parseVcs } from '../../../src/migrate/vcs/parser.js';
import { loadVcs } from '../../../src/migrate/vcs/load.js';
import { Warnings } from '../../../src/migrate/warnings.js';
import { attrValue, valueText } from '../../../src/migrate/vcs/model.js';

const FIX = fileURLToPath(new URL('../../fixtures/migrate/', import.meta.url));

t.test('one-cluster main.cf: includes, cluster, systems, groups, resources, dependencies', async (t) => {
  const w = new Warnings();
  const { config, types, files } = loadVcs(`${FIX}one-cluster/main.cf`, [], w);
  t.same(config.includes.map((i) => i.path), ['types.cf', 'VVRTypes.cf']);
  t.equal(files.length, 3);
  t.equal(config.cluster?.name, 'ledger_clu');
  t.same(config.systems.map((s) => s.name), ['alpha', 'bravo']);
  t.same(config.systems.map((s) => s.attrs.length), [0, 0]);
  t.same(config.groups.map((g) => g.name), ['ClusterService', 'ledger_rep', 'ledger_app']);
  const rep = config.groups[1];
  t.same(rep.resources.map((r) => `${r.type}:${r.name}`), ['DiskGroup:ledger_dg', 'IP:ledger_repip', 'NIC:ledger_repnic', 'RVG:ledger_rvg_res']);
  t.same(rep.resourceDeps.map((d) => `${d.parent}>${d.child}`), ['ledger_repip>ledger_repnic', 'ledger_rvg_res>ledger_repip', 'ledger_rvg_res>ledger_dg']);
  const ip = rep.resources[1];
  t.same(ip.attrs.filter((a) => a.name === 'Address').map((a) => [a.system, valueText(a.value)]), [['alpha', '"192.168.50.11"'], ['bravo', '"192.168.50.12"']]);
  const app = config.groups[2];
  t.same(app.groupDeps.map((d) => [d.child, d.category, d.location, d.rigidity]), [['ledger_rep', 'online', 'local', 'hard']]);
  t.equal(app.groupDeps[0].pos.line, 120);
  const users = attrValue(config.cluster!.attrs, 'UserNames');
  t.equal(users?.kind, 'assoc');
  // types: both statement styles, static/temp, vectors, keylists, associations
  t.ok(types.get('RVGPrimary'));
  const dg = types.get('DiskGroup')!;
  t.match(dg.attrs.find((a) => a.name === 'tempUseFence'), { temp: true, static: false, dimension: 'scalar' });
  t.match(dg.attrs.find((a) => a.name === 'SupportedActions'), { static: true, dimension: 'keylist' });
  t.match(types.get('NotifierMngr')!.attrs.find((a) => a.name === 'SmtpRecipients'), { dimension: 'assoc' });
  t.match(types.get('RVGPrimary')!.attrs.find((a) => a.name === 'ArgList'), { dimension: 'vector', static: true });
  t.same(w.list, [], 'a complete configuration with its types gives no warnings');
});

t.test('syntax corners: comments, spacing, empty blocks, GCO objects, every dependency kind', async (t) => {
  const w = new Warnings();
  const { config } = loadVcs(`${FIX}corners/main.cf`, [], w);
  t.same(config.remoteClusters.map((r) => r.name), ['west_clu']);
  t.equal(config.heartbeats[0].name, 'Icmp');
  const args = config.heartbeats[0].attrs.find((a) => a.name === 'Arguments');
  t.equal(args?.system, 'west_clu');
  t.same(config.systems.map((s) => s.name), ['east-1', 'east-2']);
  const web = config.groups[0];
  t.equal(valueText(attrValue(web.attrs, 'SystemList')!), '{ east-1 = 0, east-2 = 1 }');
  t.equal(valueText(attrValue(web.attrs, 'AutoStartList')!), '{ east-1 }');
  const proc = web.resources.find((r) => r.name === 'web_proc')!;
  const pid = attrValue(proc.attrs, 'PidFile');
  t.same(pid, { kind: 'scalar', text: ' /run/httpd.pid', quoted: true, pos: pid!.pos }, 'leading blank kept');
  t.same(web.groupDeps.map((d) => `${d.child} ${d.category} ${d.location} ${d.rigidity}`), ['net-sg online global soft', 'batch-sg offline local soft']);
  t.same(config.groups[2].groupDeps.map((d) => `${d.child} ${d.category} ${d.location} ${d.rigidity}`), ['web-sg online remote firm']);
  t.same(attrValue(config.cluster!.attrs, 'Administrators'), { kind: 'list', items: [], pos: attrValue(config.cluster!.attrs, 'Administrators')!.pos });
  t.same(w.list.map((x) => `${x.code} ${x.subject}`).sort(), ['missing-include OracleTypes.cf', 'unknown-type ora_db']);
  t.match(w.list.find((x) => x.code === 'missing-include')?.at, /corners\/main\.cf:2:1$/);
});

t.test('quoted strings keep their exact bytes; escapes as hacf writes them', async (t) => {
  const c = parseVcs('group g (\n)\nX r (\n A = "a \\"b\\" = @{c}, // not a comment"\n B = -12\n C = ""\n)\n', 'm.cf');
  const attrs = c.groups[0].resources[0].attrs;
  t.equal((attrs[0].value as { text: string }).text, 'a "b" = @{c}, // not a comment');
  t.same(attrs.map((a) => a.value.kind === 'scalar' && a.value.quoted), [true, false, true]);
  t.equal((attrs[1].value as { text: string }).text, '-12');
  t.equal((attrs[2].value as { text: string }).text, '');
});

t.test('types files with and without ;, and a custom agent type', async (t) => {
  const c = parseVcs('type ReplicaPromote (\n\tstatic str ArgList[] = { ReplicaName };\n\tstr ReplicaName;\n)\ntype T2 ( static int X = 3 str Y{} = { a = 1 } keylist Z = { } )\n', 't.cf');
  t.same(c.types.map((x) => x.name), ['ReplicaPromote', 'T2']);
  t.same(c.types[1].attrs.map((a) => `${a.static ? 'static ' : ''}${a.dataType} ${a.name} ${a.dimension}`), ['static int X scalar', 'str Y assoc', 'keylist Z keylist']);
  const w = new Warnings();
  const { types } = loadVcs(`${FIX}one-cluster/main.cf`, [`${FIX}reports/custom-types.cf`], w);
  t.ok(types.get('ReplicaPromote'), '--types files are read too');
});

t.test('a byte-order mark and CRLF line ends are accepted', async (t) => {
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const dir = mkdtempSync('/tmp/tandem-migrate-bom-');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(`${dir}/main.cf`, '\uFEFFgroup g (\r\n  SystemList = { a = 0 }\r\n)\r\n');
  const { config } = loadVcs(`${dir}/main.cf`, [], new Warnings());
  t.same(config.groups.map((g) => g.name), ['g']);
});

t.test('statements ended with ; are accepted', async (t) => {
  const c = parseVcs('include "types.cf";\ncluster c ( );\ngroup g ( );\nIP a ( Address = "1.1.1.1"; );\n', 'm.cf');
  t.same([c.includes.length, c.cluster?.name, c.groups[0].resources[0].name], [1, 'c', 'a']);
});

t.test('per-system association values and a per-system attribute on any type', async (t) => {
  const c = parseVcs('group g ( SystemList = { a = 0, b = 1 } )\nDiskGroup d (\n ActivationMode @a = { shdg = sw }\n ActivationMode @b = { shdg = sr }\n)\n', 'm.cf');
  const am = c.groups[0].resources[0].attrs;
  t.same(am.map((a) => [a.system, valueText(a.value)]), [['a', '{ shdg = sw }'], ['b', '{ shdg = sr }']]);
});

const BAD: [string, string, RegExp][] = [
  ['unclosed string', 'group g (\n A = "abc\n)\n', /m\.cf:2:6: string opened with " is not closed/],
  ['unclosed block comment', 'group g ( )\n/* x\n', /m\.cf:2:1: comment opened/],
  ['missing =', 'group g (\n SystemList { a = 0 }\n)\n', /m\.cf:2:13: expected '=', found '\{'/],
  ['resource before group', 'IP ip1 ( Address = "1.2.3.4" )\n', /m\.cf:1:1: resource ip1 appears before any group/],
  ['bad rigidity', 'group g ( )\nrequires group h online local stiff\n', /m\.cf:2:31: expected a dependency rigidity \(soft \| firm \| hard\), found 'stiff'/],
  ['bad category', 'group g ( )\nrequires group h sometimes local hard\n', /m\.cf:2:18: expected a dependency category/],
  ['dangling dependency', 'group g ( )\nIP a ( )\na requires b\n', /m\.cf:3:1: dependency 'a requires b' names resource b/],
  ['dependency across groups', 'group g ( )\nIP a ( )\ngroup h ( )\nNIC b ( )\nb requires a\n', /m\.cf:5:1: dependency 'b requires a' is under group h, but a belongs to another group/],
  ['duplicate resource', 'group g ( )\nIP a ( )\ngroup h ( )\nNIC a ( )\n', /m\.cf:4:1: resource a is defined twice \(first at line 2\)/],
  ['duplicate group', 'group g ( )\ngroup g ( )\n', /m\.cf:2:7: group g is defined twice/],
  ['two clusters', 'cluster a ( )\ncluster b ( )\n', /m\.cf:2:1: second cluster definition/],
  ['unterminated block', 'group g (\n A = 1\n', /m\.cf:3:1: expected an attribute name or '\)', found end of file/],
  ['unterminated list', 'group g ( A = { x, y )\n', /m\.cf:1:22: expected '\}', found '\)'/],
  ['assoc missing value', 'group g ( A = { x = , y = 1 } )\n', /m\.cf:1:21: expected a value for key x, found ','/],
  ['stray brace', '}\n', /m\.cf:1:1: expected a statement/],
  ['include without quotes', 'include types.cf\n', /m\.cf:1:9: expected a quoted file name/],
  ['bad type data type', 'type T ( string X )\n', /m\.cf:1:10: unknown attribute data type 'string'/],
  ['atleast that cannot be met', 'group g ( )\nIP a ( )\nIP b ( )\na requires atleast 2 from b\n', /m\.cf:4:12: requires atleast 2 from 1 resource\(s\) can never be met/],
  ['atleast naming an unknown resource', 'group g ( )\nIP a ( )\na requires atleast 1 from b, c\n', /m\.cf:3:1: dependency 'a requires b' names resource b/],
  // defect 11: a shell-style comment used to fail later, at the wrong line and column
  ['# comment line', 'group g (\n  SystemList = { a = 0 }\n  )\n# the web tier\nIP ip1 (\n  Address = "10.0.0.1"\n  )\n', /m\.cf:4:1: '#' does not start a comment in main\.cf/],
  ['# comment at the end', 'group g ( )\n#end of file\n\n\n', /m\.cf:2:1: '#' does not start a comment/],
];

for (const [name, text, re] of BAD) {
  t.test(`malformed: ${name}`, async (t) => {
    t.throws(() => parseVcs(text, 'm.cf'), { code: 'TANDEM_E_PARSE', message: re });
  });
}

t.test('defect 1: `offline local` without a rigidity (as hacf writes it) parses; a rigidity after it on the same line must be one', async (t) => {
  const c = parseVcs('group web ( )\nrequires group batch offline local\nIP ip1 ( Address = "10.0.0.1" )\ngroup batch ( )\n', 'm.cf');
  t.same(c.groups[0].groupDeps.map((d) => [d.child, d.category, d.location, d.rigidity]), [['batch', 'offline', 'local', undefined]]);
  t.same(c.groups[0].resources.map((r) => r.name), ['ip1'], 'the next line is the next statement');
  t.throws(() => parseVcs('group g ( )\nrequires group h online local stiff\n', 'm.cf'), { message: /m\.cf:2:31: expected a dependency rigidity \(soft \| firm \| hard\), found 'stiff'/ });
});

t.test('defect 1: `requires atleast N from …` parses (a warning later, not an error)', async (t) => {
  const c = parseVcs('group g ( )\nProcess app ( PathName = "/bin/app" )\nIP a ( )\nIP b ( )\nIP c ( )\napp requires atleast 2 from a, b, c\n', 'm.cf');
  t.same(c.groups[0].atLeastDeps.map((d) => [d.parent, d.min, d.children]), [['app', 2, ['a', 'b', 'c']]]);
  t.same(c.groups[0].resourceDeps, []);
});

t.test('defect 11: a types file given as main.cf is refused, naming what it is', async (t) => {
  t.throws(() => loadVcs(`${FIX}samples/D02-linbit-DRBDPrimaryTypes.cf`, [], new Warnings()), {
    code: 'TANDEM_E_USAGE', message: /D02-linbit-DRBDPrimaryTypes\.cf has no cluster, system or group \(it defines resource types: DRBDPrimary\): it is not a main\.cf/,
  });
});

t.test('real sample D02: a types file in the ; style (LINBIT drbd-utils)', async (t) => {
  const { readFileSync } = await import('node:fs');
  const c = parseVcs(readFileSync(`${FIX}samples/D02-linbit-DRBDPrimaryTypes.cf`, 'utf8'), 'D02');
  t.same(c.types.map((x) => [x.name, x.attrs.map((a) => `${a.static ? 'static ' : ''}${a.dataType} ${a.name} ${a.dimension}`)]), [['DRBDPrimary', ['static str ArgList vector', 'str ResName scalar']]]);
});

t.test('parse errors carry file, line and column for --json', async (t) => {
  try {
    parseVcs('group g (\n  X = {\n', '/etc/x/main.cf');
    t.fail('should throw');
  } catch (err) {
    t.match((err as { details: unknown }).details, { file: '/etc/x/main.cf', line: 3, col: 1 });
  }
});
