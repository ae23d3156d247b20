// The two-site test of issue 12, as an administrator runs it: two main.cf files (a VCS global
// cluster: New York, the Primary site, and London, the DR site, each with shared disks and VVR
// between them) and both sites' reports in; one INI with both sites out, which `tandem config
// check` accepts for either site; a CIB per site that crm_verify accepts and crm_simulate runs
// (the application on the Promoted replica at the Primary site); each site's pcs script applied to a
// file CIB by pcs -f without an error (two-site-pcs.test.ts: pcs is slow); a booth.conf boothd reads; `tandem pacemaker config` writing
// the same replica clone for the INI; and a cut-over plan that covers both sites in order.
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import ini from 'ini';
import xml2js from 'xml2js';
import { tandem, tandemJson } from '../../helpers/cli.js';
import { placement } from '../../cluster/pacemaker-model/file-cluster.js';
import { runningCib } from '../../migrate/emit/simulation.js';

const FIX = fileURLToPath(new URL('../../fixtures/migrate/gco/', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'tandem-migrate-two-site-'));
t.teardown(() => rmSync(tmp, { recursive: true, force: true }));
const env = { CIB_shadow_dir: tmp };
const out = join(tmp, 'out');

const ARGS = [
  'migrate', 'vcs', '--main-cf', `${FIX}nyc/main.cf`, '--main-cf', `${FIX}lon/main.cf`,
  '--vxprint', `${FIX}nyc/vxprint-Pl.txt`, '--vxprint', `${FIX}lon/vxprint-Pl.txt`, '--printvol', `${FIX}printvol.txt`,
  '--repstatus', `${FIX}nyc/repstatus.txt`, '--hastatus', `${FIX}nyc/hastatus-sum.txt`, '--hastatus', `${FIX}lon/hastatus-sum.txt`,
  '--arbitrator', '10.30.0.5', '--link-rate', '1Gbit', '--out', out,
];

interface Summary {
  clusters: string[];
  files: string[];
  tandemResources: { name: string; protocol: string; nodes: string[]; primary: string; clone: string }[];
  pacemaker: { cluster: string; dir: string }[];
  warnings: { code: string; subject: string; message: string }[];
}

const migrated = tandemJson<Summary>(ARGS);

t.test('two main.cf in: one Tandem resource for the RVG, a Pacemaker configuration per site, booth, report', async (t) => {
  const { result, json } = await migrated;
  t.equal(result.exitCode, 0, String(result.stderr));
  t.same(json.clusters, ['nyc_clu', 'lon_clu']);
  t.same(json.files, ['tandem/pay_rvg.ini', 'nyc_clu/pcs.sh', 'nyc_clu/crm.txt', 'nyc_clu/cib.xml', 'lon_clu/pcs.sh', 'lon_clu/crm.txt', 'lon_clu/cib.xml', 'booth.conf', 'report.md']);
  t.match(json.tandemResources, [{ name: 'pay_rvg', protocol: 'A', nodes: ['nyc_clu', 'lon_clu'], primary: 'nyc_clu', clone: 'tandem-pay_rvg-clone' }]);
});

t.test('one INI with both sites, which config check accepts for each site', async (t) => {
  await migrated;
  const cfg = ini.parse(readFileSync(join(out, 'tandem', 'pay_rvg.ini'), 'utf8'));
  t.same(cfg.node.nyc_clu, { id: '0', address: '10.10.1.100:7789' });
  t.same(cfg.node.lon_clu, { id: '1', address: '10.20.1.100:7789' });
  t.match(cfg.resource, { name: 'pay_rvg', protocol: 'A', fencing: 'resource-only' });
  t.same(cfg.volume['0'].meta, 'block:/dev/paydg/pay_data_tmeta');
  for (const node of ['nyc_clu', 'lon_clu']) {
    const check = await tandem(['config', 'check', '--config-dir', join(out, 'tandem'), '--node', node]);
    t.equal(check.exitCode, 0, `${node}: ${check.stdout}${check.stderr}`);
  }
});

t.test('each site\'s CIB passes crm_verify', async (t) => {
  await migrated;
  for (const site of ['nyc_clu', 'lon_clu']) {
    const r = await execa('crm_verify', ['-x', join(out, site, 'cib.xml'), '-V'], { reject: false, env });
    t.equal(r.exitCode, 0, `${site}: ${r.stdout}${r.stderr}`);
  }
});

t.test('crm_simulate: the application runs on the Promoted replica at the Primary site (the one holding the ticket)', async (t) => {
  await migrated;
  const up = { 'master-tandem-pay_rvg': '100', 'ethmonitor-eth0': '1', 'ethmonitor-eth1': '1' };
  const sim = await runningCib(readFileSync(join(out, 'nyc_clu', 'cib.xml'), 'utf8'), ['nyc1', 'nyc2'], { nyc1: up, nyc2: up }, join(tmp, 'nyc-sim.xml'));
  const settled = join(tmp, 'nyc-settled.xml');
  await execa('crm_simulate', ['-x', sim, '-S', '-O', settled, '--ticket-grant', 'ticket-pay-app'], { env });
  const where = await placement(settled, env);
  const promoted = where.get('tandem-pay_rvg')?.find((x) => x.role === 'Promoted')?.node;
  t.equal(promoted, 'nyc1');
  for (const m of ['pay_data_mnt', 'pay_arch_mnt', 'pay_ora', 'pay_lsnr', 'pay_svcip']) t.same(where.get(m), [{ role: 'Started', node: 'nyc1' }], `${m} with the Promoted replica`);
  const failed = join(tmp, 'nyc-failed.xml');
  await execa('crm_simulate', ['-x', settled, '-S', '--node-fail', 'nyc1', '-O', failed], { env });
  const after = await placement(failed, env);
  t.equal(after.get('tandem-pay_rvg')?.find((x) => x.role === 'Promoted')?.node, 'nyc2', 'within the site, the other host takes over the disks and the replica');
  t.same(after.get('pay_ora'), [{ role: 'Started', node: 'nyc2' }]);
});

t.test('tandem pacemaker config for the migrated INI writes the same replica clone (one model)', async (t) => {
  await migrated;
  const gen = await tandem(['pacemaker', 'config', 'pay_rvg', '--format', 'cib', '--config-dir', join(out, 'tandem'), '--site', 'nyc_clu', '--agent-param', 'auto_takeover=true', '--agent-param', 'auto_resync=false']);
  t.equal(gen.exitCode, 0, String(gen.stderr));
  const cloneOf = async (text: string): Promise<string> => {
    const doc = await xml2js.parseStringPromise(text);
    const clone = doc.cib.configuration[0].resources[0].clone.find((c: { $: { id: string } }) => c.$.id === 'tandem-pay_rvg-clone');
    return new xml2js.Builder({ headless: true }).buildObject({ clone });
  };
  t.equal(await cloneOf(String(gen.stdout)), await cloneOf(readFileSync(join(out, 'nyc_clu', 'cib.xml'), 'utf8')), 'same primitive, parameters, operations and clone meta, byte for byte');
});

t.test('booth.conf: every site and the arbitrator, each ticket; boothd reads it without a configuration error', async (t) => {
  await migrated;
  const conf = readFileSync(join(out, 'booth.conf'), 'utf8');
  t.match(conf, /^site = 10\.10\.0\.50$/m);
  t.match(conf, /^site = 10\.20\.0\.50$/m);
  t.match(conf, /^arbitrator = 10\.30\.0\.5$/m);
  t.match(conf, /^ticket = "ticket-pay-app"\n {4}expire = 600\n {4}mode = manual$/m);
  t.notMatch(conf, /^\S+ = \S+[ \t]+#/m, 'no comment after a value (booth would read it as part of the value)');
  // boothd reads the file, then looks for its own address: in an empty network namespace it finds
  // none and says so, which is only reached once every line was accepted
  const key = join(tmp, 'authkey');
  await execa('booth-keygen', [key]);
  const local = join(tmp, 'booth.conf');
  writeFileSync(local, conf.replace('authfile = /etc/booth/authkey', `authfile = ${key}`));
  const ns = `tandem-booth-${process.pid}`;
  await execa('ip', ['netns', 'add', ns]);
  t.teardown(() => execa('ip', ['netns', 'del', ns], { reject: false }));
  const r = await execa('ip', ['netns', 'exec', ns, 'timeout', '10', 'boothd', 'daemon', '-S', '-c', local], { reject: false, all: true });
  t.match(String(r.all), /Cannot find myself in the configuration/);
  t.notMatch(String(r.all), /in config file line|cannot read config/);
  // the check can fail: a comment after a site address, as the generated file had before
  writeFileSync(local, conf.replace('authfile = /etc/booth/authkey', `authfile = ${key}`).replace('site = 10.10.0.50', 'site = 10.10.0.50    # VCS cluster nyc_clu'));
  const bad = await execa('ip', ['netns', 'exec', ns, 'timeout', '10', 'boothd', 'daemon', '-S', '-c', local], { reject: false, all: true });
  t.match(String(bad.all), /Address string "10\.10\.0\.50 {4}# VCS cluster nyc_clu" is bad/);
});

t.test('the cut-over plan covers both sites in order, with the file copy, the sync estimate and a rollback across the file system change', async (t) => {
  await migrated;
  const report = readFileSync(join(out, 'report.md'), 'utf8');
  const plan = report.slice(report.indexOf('## Cut-over plan'));
  const at = (s: string): number => {
    const i = plan.indexOf(s);
    t.ok(i >= 0, `plan has: ${s}`);
    return i;
  };
  t.ok(at('hagrp -offline pay_app -any    # on nyc_clu') < at('vradmin -g paydg stoprep pay_rvg'), 'applications stop before replication stops');
  t.ok(at('hastop -all    # on a node of lon_clu') < at('hastop -all    # on a node of nyc_clu'), 'the DR site stops first, so it cannot take over');
  t.ok(at('tandem primary pay_rvg --force --node nyc_clu') < at('mkfs.xfs /dev/tandem/pay_rvg/0'), 'the Primary site is loaded first');
  at('mount -t vxfs -o ro /dev/vx/dsk/paydg/pay_data /mnt/vcs-pay_data_mnt');
  at('rsync -aHAXSn --numeric-ids --checksum --delete --itemize-changes /mnt/vcs-pay_data_mnt/ /mnt/tandem-pay_data_mnt/    # check: prints nothing');
  t.notOk(/dd if=\/dev\/vx\/rdsk\/paydg\/pay_data of=/.test(plan), 'no block copy of a vxfs image');
  t.notOk(plan.includes('Seed the copies'), 'a volume copied file by file into a new file system is not seeded from the DR site\'s vxfs copy: another layout');
  t.ok(at('250GiB at 119.21MiB/s (--link-rate): about 36 min per peer') < at('tandem up pay_rvg --node lon_clu    # on lon1'), 'the DR site syncs after the load, with an estimate');
  at('booth grant -s 10.10.0.50 ticket-pay-app');
  at('booth revoke ticket-pay-app; booth grant -s 10.20.0.50 ticket-pay-app');
  at('rsync -aHAXS --numeric-ids --delete /mnt/tandem-pay_data_mnt/ /mnt/vcs-pay_data_mnt/');
  at('vradmin -g paydg -a startrep pay_rvg');
  t.match(report, /\| nyc_clu → lon_clu \(rlk_lon-pay-rep_pay_rvg\) \| synchronous=off, srlprot=autodcm, latencyprot=off, TCP\/IP \| protocol A, TCP \| no SRL/);
});
