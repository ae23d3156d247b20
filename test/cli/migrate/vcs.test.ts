// tandem migrate vcs as an administrator runs it: real CLI, real files, real crm_verify.
import t from 'tap';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import ini from 'ini';
import { tandem, tandemJson } from '../../helpers/cli.js';
import { loadConfig } from '../../../src/config/load.js';

const FIX = fileURLToPath(new URL('../../fixtures/migrate/', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'tandem-migrate-cli-'));
t.teardown(() => rmSync(tmp, { recursive: true, force: true }));

const REPORTS = ['--vxprint', `${FIX}reports/vxprint-Pl.txt`, '--printvol', `${FIX}reports/printvol.txt`, '--repstatus', `${FIX}reports/repstatus.txt`, '--printrvg', `${FIX}reports/printrvg-l.txt`, '--hastatus', `${FIX}reports/hastatus-sum.txt`];

interface Summary {
  clusters: string[];
  files: string[];
  tandemResources: { name: string; protocol: string; volumes: number; nodes: string[]; primary: string; clone: string }[];
  pacemaker: { cluster: string; dir: string; primitives: number; constraints: number }[];
  mappings: { vcs: string; target: string }[];
  warnings: { code: string; subject: string; message: string; at?: string }[];
}

t.test('one cluster, every report: every output written, --json summary', async (t) => {
  const out = join(tmp, 'one-cluster');
  const { result, json } = await tandemJson<Summary>(['migrate', 'vcs', '--main-cf', `${FIX}one-cluster/main.cf`, ...REPORTS, '--out', out]);
  t.equal(result.exitCode, 0, String(result.stderr));
  t.same(json.clusters, ['ledger_clu']);
  t.same(json.files, ['tandem/ledger_rvg.ini', 'pcs.sh', 'crm.txt', 'cib.xml', 'report.md']);
  t.same(readdirSync(out, { recursive: true }).filter((f) => f !== 'tandem').sort(), [...json.files].sort());
  t.match(json.tandemResources, [{ name: 'ledger_rvg', protocol: 'C', volumes: 2, nodes: ['alpha', 'bravo'], primary: 'alpha', clone: 'tandem-ledger_rvg-clone' }]);
  t.ok(json.warnings.length >= 15);
  t.ok(json.warnings.every((w) => w.code && w.subject && w.message));

  // the INI follows the resource-file format (README "Configuration") and keeps its secret private
  // (the ini package nests [volume.0] as volume → 0)
  const text = readFileSync(join(out, 'tandem', 'ledger_rvg.ini'), 'utf8');
  t.equal(statSync(join(out, 'tandem', 'ledger_rvg.ini')).mode & 0o777, 0o600);
  const cfg = ini.parse(text);
  t.match(cfg.resource, { name: 'ledger_rvg', protocol: 'C', fencing: 'resource-only', quorum: 'off', 'resync-rate': '4882K', 'csums-alg': 'sha256' });
  t.match(cfg.resource.secret, /^[A-Za-z0-9_-]{24}$/);
  t.same(cfg.volume['0'], { disk: '/dev/ledgerdg/ledger_data', meta: 'pmem:/mnt/pmem0/tandem/ledger_rvg-0.meta', export: '/run/tandem/ledger_rvg-0.nbd' });
  t.same(cfg.volume['1'].export, '/run/tandem/ledger_rvg-1.nbd');
  t.same(cfg.node.alpha, { id: '0', address: '192.168.50.11:7789' });
  t.same(cfg.node.bravo, { id: '1', address: '192.168.50.12:7789' });

  // report.md: mapping table, every warning, numbered cut-over plan with checks
  const report = readFileSync(join(out, 'report.md'), 'utf8');
  t.match(report, /\| ledger_rvg_res \(RVG ledger_rvg\) \| RVG \| Tandem resource ledger_rvg/);
  json.warnings.forEach((w, i) => t.ok(report.includes(`| W${i + 1} | ${w.code} | ${w.subject.replace(/\|/g, '\\|')} |`), `warning ${w.subject} in the report`));
  const steps = [...report.matchAll(/^(\d+)\. \*\*(.+)\*\*$/gm)].map((m) => Number(m[1]));
  t.same(steps, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  t.equal((report.match(/^ {3}Check: /gm) ?? []).length, 12, 'a check after every step');
  // bravo (the VVR Secondary) starts from its own volumes, copied locally, verified by digest
  const plan = report.slice(report.indexOf('## Cut-over plan'));
  const at = (s: string): number => { const i = plan.indexOf(s); t.ok(i >= 0, `plan has: ${s}`); return i; };
  t.ok(at('**Seed the copies at the other sites from their own VxVM volumes') > at('tandem primary ledger_rvg --force'), 'the DR copy is seeded after the Primary is loaded');
  // volume 0 (vxfs → xfs) is a file copy: a new file system whose layout the old copy does not share
  t.notOk(/dd if=\/dev\/vx\/rdsk\/ledgerdg\/ledger_data of=\/dev\/ledgerdg\/ledger_data/.test(plan), 'a file-copied volume is not seeded');
  t.ok(at('dd if=/dev/vx/rdsk/ledgerdg/ledger_logs of=/dev/ledgerdg/ledger_logs bs=4M oflag=direct status=progress') < at('tandem up ledger_rvg    # on bravo: sync from alpha starts, verifying the seeded copy (csums-alg = sha256)'),
    'the copy is made before the resource comes up there');
  at('vxvol -g ledgerdg stopall && vxdg deport ledgerdg    # the VxVM copy stays as it was, for a rollback');
  t.match(plan, /# ledger_rvg: seeded peers \(bravo\): 2GiB of seeded volumes read and compared on both sides, at the slower disk's read rate .* not at the link rate; the link carries about 896KiB of digests \(under a minute at 4\.77MiB\/s\), plus any block that differs, at the link rate; the 20GiB of file-copied volumes cross the link in full \(about 1 h 12 min at 4\.77MiB\/s\)\. Without the seed, or to peers not seeded: 22GiB at 4\.77MiB\/s/, 'the estimate says what bounds a verified sync');
  t.match(plan, /Without the seed, or to peers not seeded: /, 'and what a full sync would take');
  for (const cmd of ['# ledger_rvg: on alpha', 'vradmin -g ledgerdg stoprep ledger_rvg', 'sha256sum /dev/vx/rdsk/ledgerdg/ledger_data', 'tandem primary ledger_rvg --force', 'pcs resource move tandem-ledger_rvg-clone bravo --promoted', 'vradmin -g ledgerdg -a startrep ledger_rvg']) {
    t.ok(report.includes(cmd), `plan runs ${cmd}`);
  }
  t.notMatch(json.files.map((f) => readFileSync(join(out, f), 'utf8')).join('\n'), /Xq3mLp0WzRt9Vb/, 'VCS password copied nowhere');
  t.notOk(report.includes(cfg.resource.secret) || JSON.stringify(json).includes(cfg.resource.secret), 'the new secret is only in the INI file');
  const verify = await execa('crm_verify', ['-x', join(out, 'cib.xml')], { reject: false });
  t.equal(verify.exitCode, 0, verify.stderr);
});

t.test('the emitted INI passes tandem config check and loads into the expected model', async (t) => {
  const out = join(tmp, 'check');
  const run = await tandem(['migrate', 'vcs', '--main-cf', `${FIX}one-cluster/main.cf`, ...REPORTS, '--out', out]);
  t.equal(run.exitCode, 0, String(run.stderr));
  for (const node of ['alpha', 'bravo']) {
    const check = await tandem(['config', 'check', '--config-dir', join(out, 'tandem'), '--node', node]);
    t.equal(check.exitCode, 0, `${check.stdout}${check.stderr}`);
  }
  const cfg = loadConfig(join(out, 'tandem'), { node: 'alpha' });
  const r = cfg.resources[0];
  t.match(r, { name: 'ledger_rvg', protocol: 'C', fencing: 'resource-only', quorum: 'off', resyncRate: 4882 * 1024, csumsAlg: 'sha256' });
  t.same(r.nodes.map((n) => [n.name, n.id, n.address.host, n.address.port]), [['alpha', 0, '192.168.50.11', 7789], ['bravo', 1, '192.168.50.12', 7789]]);
  t.same(r.nodes[0].volumes.map((v) => [v.index, v.disk, v.meta?.kind, v.meta?.path]), [[0, '/dev/ledgerdg/ledger_data', 'pmem', '/mnt/pmem0/tandem/ledger_rvg-0.meta'], [1, '/dev/ledgerdg/ledger_logs', 'pmem', '/mnt/pmem0/tandem/ledger_rvg-1.meta']]);

  // one model: tandem pacemaker config for the migrated INI writes the replica clone migrate wrote
  const gen = await tandem(['pacemaker', 'config', 'ledger_rvg', '--format', 'cib', '--config-dir', join(out, 'tandem'), '--agent-param', 'auto_takeover=true', '--agent-param', 'auto_resync=false']);
  t.equal(gen.exitCode, 0, String(gen.stderr));
  const cloneOf = (text: string): string => /<clone id="tandem-ledger_rvg-clone">[\s\S]*?<\/clone>/.exec(text)?.[0].replace(/^\s+/gm, '') ?? 'no clone';
  t.equal(cloneOf(String(gen.stdout)), cloneOf(readFileSync(join(out, 'cib.xml'), 'utf8')), 'the same clone element, byte for byte (indentation aside)');
});

t.test('the cut-over plan starts from the node hastatus shows as the current Primary', async (t) => {
  const hs = join(tmp, 'hastatus-bravo.txt');
  writeFileSync(hs, '-- SYSTEM STATE\nA  alpha  RUNNING  0\nA  bravo  RUNNING  0\n-- GROUP STATE\nB  ledger_app  alpha  Y  N  OFFLINE\nB  ledger_app  bravo  Y  N  ONLINE\n');
  const out = join(tmp, 'from-bravo');
  const r = await tandem(['migrate', 'vcs', '--main-cf', `${FIX}one-cluster/main.cf`, '--hastatus', hs, '--out', out]);
  t.equal(r.exitCode, 0, String(r.stderr));
  const report = readFileSync(join(out, 'report.md'), 'utf8');
  t.ok(report.includes('# ledger_rvg: on bravo'), 'the initial copy runs on the Primary');
  t.ok(report.includes('tandem up ledger_rvg    # on alpha: full sync from bravo starts'));
  t.ok(report.includes('pcs resource move tandem-ledger_rvg-clone alpha --promoted'));
  t.ok(report.includes('hagrp -online ledger_app -sys bravo'));
});

t.test('human output lists what was written and every warning', async (t) => {
  const r = await tandem(['migrate', 'vcs', '--main-cf', `${FIX}corners/main.cf`, '--out', join(tmp, 'corners')]);
  t.equal(r.exitCode, 0, String(r.stderr));
  t.match(String(r.stdout), /cluster east_clu: \d+ primitive\(s\)/);
  t.match(String(r.stdout), /0 replicated resource\(s\)/);
  t.match(String(r.stdout), /wrote pcs\.sh, crm\.txt, cib\.xml, booth\.conf, report\.md/);
  t.match(String(r.stdout), /warning \[per-system\] ora_db\.Sid: Sid differs per system/);
  const booth = readFileSync(join(tmp, 'corners', 'booth.conf'), 'utf8');
  t.match(booth, /^site = 172\.16\.1\.10$/m);
  t.match(booth, /^site = 172\.17\.1\.10$/m);
  t.match(booth, /^ticket = "ticket-web-sg"$/m);
});

t.test('extra --types files are read', async (t) => {
  const main = join(tmp, 'custom.cf');
  writeFileSync(main, 'group g ( SystemList = { a = 0 } )\nReplicaPromote rp ( ReplicaName = r0 Other = 1 )\n');
  const { json } = await tandemJson<Summary>(['migrate', 'vcs', '--main-cf', main, '--types', `${FIX}reports/custom-types.cf`, '--out', join(tmp, 'custom')]);
  t.ok(json.warnings.some((w) => w.code === 'unknown-attribute' && w.subject === 'rp.Other'), 'the type is known, its unknown attribute is flagged');
  t.notOk(json.warnings.some((w) => w.code === 'unknown-type'));
  t.ok(json.warnings.some((w) => w.code === 'not-mapped' && w.subject === 'rp'));
});

t.test('malformed main.cf: exit 12, error names file, line and column', async (t) => {
  const bad = join(tmp, 'bad.cf');
  writeFileSync(bad, 'group g (\n  SystemList = { a = 0, b = 1 }\n)\nIP ip1 (\n  Address = "10.0.0.1\n)\n');
  const r = await tandem(['migrate', 'vcs', '--main-cf', bad, '--out', join(tmp, 'bad')]);
  t.equal(r.exitCode, 12);
  t.match(String(r.stderr), new RegExp(`error TANDEM_E_PARSE: ${bad.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:5:13: string opened with " is not closed`));
  t.match(String(r.stderr), /hint: /);
  const { json } = await tandemJson<{ error: { code: string; details: { line: number; col: number } } }>(['migrate', 'vcs', '--main-cf', bad, '--out', join(tmp, 'bad')]);
  t.match(json.error, { code: 'TANDEM_E_PARSE', details: { line: 5, col: 13 } });
});

t.test('defect 11: inputs that do not belong together are refused with exit 2; a types file as main.cf too', async (t) => {
  const types = await tandem(['migrate', 'vcs', '--main-cf', `${FIX}samples/D02-linbit-DRBDPrimaryTypes.cf`, '--out', join(tmp, 'types')]);
  t.equal(types.exitCode, 2);
  t.match(String(types.stderr), /error TANDEM_E_USAGE: .*D02-linbit-DRBDPrimaryTypes\.cf has no cluster, system or group .* it is not a main\.cf\nhint: give it with --types/);
  const hs = await tandem(['migrate', 'vcs', '--main-cf', `${FIX}one-cluster/main.cf`, '--hastatus', `${FIX}samples/D04-linbit-hastatus-sum-infoscale.txt`, '--out', join(tmp, 'hs')]);
  t.equal(hs.exitCode, 2);
  t.match(String(hs.stderr), /hastatus shows system\(s\) infoscale01, infoscale02, which no main\.cf given has/);
  const rs = await tandem(['migrate', 'vcs', '--main-cf', `${FIX}one-cluster/main.cf`, '--repstatus', `${FIX}gco/nyc/repstatus.txt`, '--out', join(tmp, 'rs')]);
  t.equal(rs.exitCode, 2);
  t.match(String(rs.stderr), /repstatus is about RVG pay_rvg, which no main\.cf given has \(RVGs there: ledger_rvg\)/);
});

t.test('malformed report and missing inputs', async (t) => {
  const badVx = join(tmp, 'vx.txt');
  writeFileSync(badVx, 'Rlink: r\nstate: synchronous\n');
  const r = await tandem(['migrate', 'vcs', '--main-cf', `${FIX}one-cluster/main.cf`, '--vxprint', badVx, '--out', join(tmp, 'x')]);
  t.equal(r.exitCode, 12);
  t.match(String(r.stderr), /vx\.txt:2:1: expected key=value in the state: field/);
  const missing = await tandem(['migrate', 'vcs', '--main-cf', join(tmp, 'nope.cf'), '--out', join(tmp, 'x')]);
  t.equal(missing.exitCode, 4);
  t.match(String(missing.stderr), /TANDEM_E_NOT_FOUND: cannot read .*nope\.cf/);
  const usage = await tandem(['migrate', 'vcs', '--main-cf', `${FIX}one-cluster/main.cf`]);
  t.equal(usage.exitCode, 2);
});

t.test('long inputs show progress with rate and ETA; short ones do not', async (t) => {
  const big = join(tmp, 'big.cf');
  const groups: string[] = ['cluster big ( )', 'system n1 ( )', 'system n2 ( )'];
  for (let i = 0; groups.join('\n').length < 1.2 * 1024 * 1024; i++) {
    groups.push(`group g${i} (\n\tSystemList = { n1 = 0, n2 = 1 }\n\t)\n\tIP ip${i} (\n\t\tDevice = eth0\n\t\tAddress = "10.${i >> 16 & 255}.${i >> 8 & 255}.${i & 255}"\n\t\tNetMask = "255.255.0.0"\n\t\t// padding comment to make the file long enough for progress output ...........\n\t\t)\n\tProcess p${i} ( PathName = "/opt/app/bin/worker" Arguments = "--id ${i}" )\n\tp${i} requires ip${i}\n`);
  }
  writeFileSync(big, groups.join('\n'));
  const r = await tandem(['migrate', 'vcs', '--main-cf', big, '--out', join(tmp, 'big')]);
  t.equal(r.exitCode, 0, String(r.stderr));
  t.match(String(r.stderr), /migrate: parsed big\.cf and 0 types file\(s\): [\d.]+MiB\/[\d.]+MiB \(100%\), [\d.]+\S+\/s, ETA [\d.]+s/);
  const small = await tandem(['migrate', 'vcs', '--main-cf', `${FIX}corners/main.cf`, '--out', join(tmp, 'small')]);
  t.notMatch(String(small.stderr), /ETA/);
});
