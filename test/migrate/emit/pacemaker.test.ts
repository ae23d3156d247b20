// The Pacemaker configurations migrate vcs writes, checked with the real tools: crm_verify, crmsh
// against CIB files (the crm script configures what the CIB says; pcs -f: pcs.test.ts), and crm_simulate for
// the behaviour: the application follows the Promoted replica, a global group runs only at the site
// holding its ticket, AutoFailOver = 0 keeps a failed group where it is.
import t from 'tap';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { execa } from 'execa';
import { planFor, ONE_CLUSTER_REPORTS, GCO_MAIN, GCO_REPORTS, site } from '../helpers.js';
import { renderCib } from '../../../src/cluster/pacemaker-model/cib.js';
import { renderPcs } from '../../../src/cluster/pacemaker-model/pcs.js';
import { renderCrm } from '../../../src/cluster/pacemaker-model/crm.js';
import type { SitePlan } from '../../../src/migrate/map/plan.js';
import { scratch } from '../../cluster/pcmk-tools.js';
import { placement } from '../../cluster/pacemaker-model/file-cluster.js';
import { normalize, runningCib } from './simulation.js';

const s = scratch('migrate-pcmk');
t.teardown(() => s.remove());
const env = s.env;

function write(name: string, text: string): string {
  writeFileSync(s.file(name), text);
  return s.file(name);
}

async function emptyCib(name: string): Promise<string> {
  const { stdout } = await execa('cibadmin', ['--empty']);
  return write(name, stdout);
}

const gco = planFor(GCO_MAIN, GCO_REPORTS);
const SITES: [string, SitePlan][] = [
  ['one-cluster', site(planFor('one-cluster/main.cf', ONE_CLUSTER_REPORTS))],
  ['corners', site(planFor('corners/main.cf'))],
  ['gco-nyc', site(gco, 'nyc_clu')],
  ['gco-lon', site(gco, 'lon_clu')],
];

for (const [name, sp] of SITES) {
  t.test(`${name}: the CIB passes crm_verify`, async (t) => {
    const r = await execa('crm_verify', ['-x', write(`${name}-cib.xml`, renderCib(sp.pcmk, [])), '-V'], { reject: false, env });
    t.equal(r.exitCode, 0, `${r.stdout}${r.stderr}`);
  });

  t.test(`${name}: crm configure load on an empty CIB builds the same configuration`, async (t) => {
    const cib = write(`${name}-cib.xml`, renderCib(sp.pcmk, []));
    const script = write(`${name}-crm.txt`, renderCrm(sp.pcmk, []));
    const target = await emptyCib(`${name}-crm-cib.xml`);
    const r = await execa('crm', ['-F', 'configure', 'load', 'update', script], { reject: false, env: { ...env, CIB_file: target } });
    t.equal(r.exitCode, 0, r.stderr);
    t.same(await normalize(target), await normalize(cib));
  });
}

t.test('a malformed configuration is caught by crm_verify (the check can fail)', async (t) => {
  const broken = structuredClone(SITES[0][1].pcmk);
  broken.constraints.push({ kind: 'colocation', id: 'dangling', rsc: 'ledger_app', withRsc: 'no-such-resource', score: 'INFINITY' });
  const r = await execa('crm_verify', ['-x', write('broken.xml', renderCib(broken, []))], { reject: false, env });
  t.not(r.exitCode, 0);
});

t.test('defect 4: booth ticket names pcs accepts (letters, digits, dashes), whatever the group is called', async (t) => {
  const { ticketName } = await import('../../../src/migrate/map/cluster.js');
  for (const [group, want] of [['pay_app', 'ticket-pay-app'], ['web.sg__1', 'ticket-web-sg-1'], ['x'.repeat(80), `ticket-${'x'.repeat(56)}`]]) {
    t.equal(ticketName(group), want);
    t.match(ticketName(group), /^[A-Za-z0-9-]{1,63}$/);
  }
  // and pcs itself takes the GCO site's ticket constraints (it refused ticket_pay_app before)
  const target = await emptyCib('tickets.xml');
  const r = await execa('sh', [write('tickets.sh', renderPcs(site(gco, 'nyc_clu').pcmk, [])), target], { reject: false, env });
  t.equal(r.exitCode, 0, r.stderr);
  t.match((await normalize(target)).constraints.filter((c: string) => c.startsWith('rsc_ticket')), [/ticket=ticket-pay-app/, /ticket=ticket-pay-app/]);
});

t.test('crm_simulate (one cluster): the application group runs where the replica is promoted, and moves with it', async (t) => {
  const sp = SITES[0][1];
  const sim = await runningCib(renderCib(sp.pcmk, []), sp.nodes, { alpha: { 'master-tandem-ledger_rvg': '100' }, bravo: { 'master-tandem-ledger_rvg': '50' } }, s.file('sim.xml'));
  const settled = s.file('settled.xml');
  const first = await execa('crm_simulate', ['-x', sim, '-S', '-O', settled], { env });
  t.match(first.stdout, /Promote\s+tandem-ledger_rvg:\d\s+\(\s*Stopped -> Promoted alpha\s*\)/);
  let where = await placement(settled, env);
  for (const m of ['ledger_mnt', 'ledger_svc', 'ledger_svcip']) t.same(where.get(m), [{ role: 'Started', node: 'alpha' }], `${m} on the Promoted node`);
  const failed = s.file('failed.xml');
  const second = await execa('crm_simulate', ['-x', settled, '-S', '--node-fail', 'alpha', '-O', failed], { env });
  t.match(second.stdout, /(?:Promote|Restart)\s+tandem-ledger_rvg:\d\s+\(\s*Unpromoted -> Promoted bravo\s*\)/);
  where = await placement(failed, env);
  for (const m of ['ledger_mnt', 'ledger_svc', 'ledger_svcip']) t.same(where.get(m), [{ role: 'Started', node: 'bravo' }], `${m} followed the promotion`);
});

t.test('defect 5: crm_simulate — a failed monitor of an AutoFailOver = 0 group leaves it blocked in place, not failed over', async (t) => {
  const sp = SITES[1][1];
  const up = { 'ethmonitor-ens3': '1' };
  const sim = await runningCib(renderCib(sp.pcmk, []), sp.nodes, { 'east-1': up, 'east-2': up }, s.file('corners-sim.xml'));
  const settled = s.file('corners-settled.xml');
  await execa('crm_simulate', ['-x', sim, '-S', '-O', settled, '--ticket-grant', 'ticket-web-sg'], { env });
  t.same((await placement(settled, env)).get('web_proc'), [{ role: 'Started', node: 'east-1' }]);
  const failed = await execa('crm_simulate', ['-x', settled, '-S', '-i', 'web_proc_monitor_30000@east-1=1'], { env });
  t.notMatch(failed.stdout, /(Move|Start|Recover)\s+(web_proc|SG-ip|ora_db)\s+\(.*east-2/, 'nothing of web-sg goes to east-2');
  t.match(failed.stdout, /web_proc\s+\(ocf:heartbeat:anything\):\s+FAILED east-1 \(blocked\)/, 'the failed resource stays, blocked');
  // the same failure without AutoFailOver = 0 recovers (the check can fail)
  const plain = structuredClone(sp.pcmk);
  for (const p of plain.primitives) p.ops = p.ops.map(({ onFail, ...o }) => o); // eslint-disable-line @typescript-eslint/no-unused-vars
  const sim2 = await runningCib(renderCib(plain, []), sp.nodes, { 'east-1': up, 'east-2': up }, s.file('corners-plain.xml'));
  const settled2 = s.file('corners-plain-settled.xml');
  await execa('crm_simulate', ['-x', sim2, '-S', '-O', settled2, '--ticket-grant', 'ticket-web-sg'], { env });
  const recovered = await execa('crm_simulate', ['-x', settled2, '-S', '-i', 'web_proc_monitor_30000@east-1=1'], { env });
  t.match(recovered.stdout, /Recover\s+web_proc/);
});

t.test('crm_simulate (two sites): the application runs on the Promoted replica at the site holding the ticket, and nowhere else', async (t) => {
  const attrs = (promoted: string, other: string): Record<string, Record<string, string>> => ({
    [promoted]: { 'master-tandem-pay_rvg': '100', 'ethmonitor-eth0': '1', 'ethmonitor-eth1': '1' },
    [other]: { 'master-tandem-pay_rvg': '100', 'ethmonitor-eth0': '1', 'ethmonitor-eth1': '1' },
  });
  const nyc = site(gco, 'nyc_clu');
  const sim = await runningCib(renderCib(nyc.pcmk, []), nyc.nodes, attrs('nyc1', 'nyc2'), s.file('nyc-sim.xml'));
  const settled = s.file('nyc-settled.xml');
  const run = await execa('crm_simulate', ['-x', sim, '-S', '-O', settled, '--ticket-grant', 'ticket-pay-app'], { env });
  t.match(run.stdout, /Promote\s+tandem-pay_rvg:0\s+\(\s*Stopped -> Promoted nyc1\s*\)/);
  const where = await placement(settled, env);
  t.same(where.get('tandem-pay_rvg'), [{ role: 'Promoted', node: 'nyc1' }], 'one replica instance, Promoted, where the site storage runs');
  for (const m of ['pay_dg', 'pay_repip', 'pay_data_mnt', 'pay_arch_mnt', 'pay_ora', 'pay_svcip', 'pay_lsnr']) t.same(where.get(m), [{ role: 'Started', node: 'nyc1' }], `${m} on nyc1`);

  // the same site without its ticket: the replica is not promoted and the application stays down
  const lon = site(gco, 'lon_clu');
  const dr = await runningCib(renderCib(lon.pcmk, []), lon.nodes, attrs('lon1', 'lon2'), s.file('lon-sim.xml'));
  const drSettled = s.file('lon-settled.xml');
  await execa('crm_simulate', ['-x', dr, '-S', '-O', drSettled], { env });
  const drWhere = await placement(drSettled, env);
  t.same(drWhere.get('tandem-pay_rvg'), [{ role: 'Unpromoted', node: 'lon1' }]);
  t.equal(drWhere.get('pay_ora'), undefined, 'the DR site runs no application without the ticket');
  const granted = await execa('crm_simulate', ['-x', drSettled, '-S', '--ticket-grant', 'ticket-pay-app'], { env });
  t.match(granted.stdout, /(?:Promote|Restart)\s+tandem-pay_rvg:0\s+\(\s*Unpromoted -> Promoted lon1\s*\)/, 'granting the ticket at the DR site promotes it');
  t.match(granted.stdout, /Start\s+pay_ora\s+\(\s*lon1\s*\)/);

  // the replication network's link is down on nyc1: storage, replica and application go to nyc2
  const cut = await runningCib(renderCib(nyc.pcmk, []), nyc.nodes, { nyc1: { ...attrs('nyc1', 'nyc2').nyc1, 'ethmonitor-eth1': '0' }, nyc2: attrs('nyc1', 'nyc2').nyc2 }, s.file('nyc-cut.xml'));
  const cutSettled = s.file('nyc-cut-settled.xml');
  await execa('crm_simulate', ['-x', cut, '-S', '-O', cutSettled, '--ticket-grant', 'ticket-pay-app'], { env });
  const w = await placement(cutSettled, env);
  for (const m of ['pay_repip', 'tandem-pay_rvg', 'pay_ora']) t.equal(w.get(m)?.[0]?.node, 'nyc2', `${m} avoids nyc1, whose replication link is down`);
});
