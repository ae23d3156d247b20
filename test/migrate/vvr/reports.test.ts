// The VVR/VCS report parsers on real samples (test/fixtures/migrate/samples: verbatim public
// output) and on outputs written in the documented layouts, as an administrator pastes them:
// with the command line, prompts and whatever the terminal printed after the output.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compresses, isBunkerTarget, parseVxprintRlinks } from '../../../src/migrate/vvr/vxprint.js';
import { parsePrintRvg } from '../../../src/migrate/vvr/printrvg.js';
import { parseRepStatus } from '../../../src/migrate/vvr/repstatus.js';
import { parsePrintVol, printVolRvg } from '../../../src/migrate/vvr/printvol.js';
import { parseHaStatus } from '../../../src/migrate/vvr/hastatus.js';

const FIX = fileURLToPath(new URL('../../fixtures/migrate/', import.meta.url));
const read = (name: string): string => readFileSync(FIX + name, 'utf8');

t.test('vxprint -Pl: RLINK attributes, both ends, protocol and flags', async (t) => {
  const { rlinks: [r], ignored } = parseVxprintRlinks(read('reports/vxprint-Pl.txt'), 'vx.txt');
  t.equal(r.name, 'rlk_bravo_ledger_rvg');
  t.equal(r.diskGroup, 'ledgerdg');
  t.match(r.attrs, { synchronous: 'override', srlprot: 'dcm', latencyprot: 'off', bandwidth_limit: '40m', packet_size: '8400', rvg: 'ledger_rvg', remote_dg: 'ledgerdg', latency_high_mark: '10000' });
  t.same(r.remote, { host: 'bravo-rep', ip: '192.168.50.12', port: 4145 });
  t.same(r.local, { host: 'alpha-rep', ip: '192.168.50.11', port: 4145 });
  t.equal(r.protocol, 'UDP/IP');
  t.same(r.flags, ['write', 'enabled', 'attached', 'consistent', 'connected', 'synchronous']);
  t.same(ignored, []);
});

t.test('vxprint -Pl: several records, and malformed lines', async (t) => {
  const two = 'Rlink: a\nstate: synchronous=off\nRlink: b\nstate: synchronous=fail\nprotocol: TCP/IP\n';
  t.same(parseVxprintRlinks(two, 'x').rlinks.map((r) => [r.name, r.attrs.synchronous, r.protocol]), [['a', 'off', undefined], ['b', 'fail', 'TCP/IP']]);
  t.throws(() => parseVxprintRlinks('Rlink: a\nstate: synchronous\n', 'vx.txt'), { code: 'TANDEM_E_PARSE', message: /^vx\.txt:2:1: expected key=value in the state: field, found 'synchronous'/ });
  t.throws(() => parseVxprintRlinks('info: timeout=5\nRlink: a\n', 'vx.txt'), { message: /vx\.txt:1:1: RLINK field before any "Rlink:" line/ });
  t.throws(() => parseVxprintRlinks('garbage here\nRlink: a\n', 'vx.txt'), { message: /vx\.txt:1:1: not a vxprint -Pl line/ });
  t.throws(() => parseVxprintRlinks('Disk group: dg\n', 'vx.txt'), { message: /no RLINK record/ });
  const ckpt = parseVxprintRlinks('Rlink: a\ncheckpoint: ckpt_0101 attached\n', 'x');
  t.equal(ckpt.rlinks[0].attrs.checkpoint, 'ckpt_0101 attached', 'free text under other labels is kept');
});

t.test('defect 8: compression shown as a flag counts, as does compression=on; bunker_target is recognised', async (t) => {
  const flag = parseVxprintRlinks('Rlink: a\nflags:    write enabled attached consistent connected asynchronous compression\n', 'x').rlinks[0];
  t.ok(compresses(flag), 'the flags: line says compression');
  t.ok(compresses(parseVxprintRlinks('Rlink: a\ninfo: compression=on\n', 'x').rlinks[0]));
  t.notOk(compresses(parseVxprintRlinks('Rlink: a\nflags: write enabled\n', 'x').rlinks[0]));
  t.ok(isBunkerTarget(parseVxprintRlinks('Rlink: b\nflags: write enabled attached bunker_target\n', 'x').rlinks[0]));
  t.ok(isBunkerTarget(parseVxprintRlinks('Rlink: b\nprotocol: STORAGE\n', 'x').rlinks[0]), 'a STORAGE link leads to a bunker');
});

t.test('real sample D03: printrvg as pasted, command line first', async (t) => {
  const { sets: [s], ignored } = parsePrintRvg(read('samples/D03-vradmin-printrvg.txt'), 'D03');
  t.equal(s.rds, 'apache_rvg');
  t.match(s.primary, { host: 'node05-rep', localhost: true, rvg: 'apache_rvg', diskGroup: 'apache' });
  t.same(s.secondaries.map((x) => [x.host, x.localhost, x.diskGroup]), [['node06-rep', false, 'apache']]);
  t.same(ignored.map((i) => [i.no, i.why]), [[1, 'the command line']]);
});

t.test('printrvg -l form', async (t) => {
  const { sets: [l] } = parsePrintRvg(read('reports/printrvg-l.txt'), 'p.txt');
  t.same(l.primary?.details, { datavol_cnt: '2', vset_cnt: '0', srl: 'ledger_srl' });
  t.same(l.secondaries[0].rlinks, [{ name: 'rlk_alpha_ledger_rvg', detached: 'off', synchronous: 'override' }]);
  t.throws(() => parsePrintRvg('HostName: x\nReplicated Data Set: r\n', 'p.txt'), { message: /p\.txt:1:1: expected 'Replicated Data Set/ });
  t.throws(() => parsePrintRvg('Replicated Data Set: r\n  HostName: x\nPrimary:\n', 'p.txt'), { message: /p\.txt:2:3: expected 'Primary:' or 'Secondary:'/ });
  t.throws(() => parsePrintRvg('Replicated Data Set: r\nSecondary:\n  HostName: x\n', 'p.txt'), { message: /has no Primary block/ });
  const odd = parsePrintRvg('Replicated Data Set: r\nPrimary:\n  HostName: h\n  Config Errors\n', 'p.txt');
  t.same(odd.sets[0].otherLines, ['Config Errors'], 'unknown -l lines are kept verbatim');
});

t.test('repstatus -l: every field by name, one block per Secondary, several data sets', async (t) => {
  const { sets: [r] } = parseRepStatus(read('reports/repstatus.txt'), 'r.txt');
  t.equal(r.rds, 'ledger_rvg');
  t.match(r.primary, { 'Host name': 'alpha-rep', 'SRL size': '8.00 G', 'Data volumes': '2', 'RVG state': 'enabled for I/O' });
  t.equal(r.secondaries.length, 1);
  t.match(r.secondaries[0], { 'Configured mode': 'synchronous', 'SRL protection': 'dcm', 'Bandwidth Limit': '40.00 Mbps', 'Compression Mode': 'On', 'Timestamp Information': 'behind by  0h 0m 0s', 'Data status': 'consistent, up-to-date' });
  t.same(parseRepStatus('Replicated Data Set: r\nPrimary:\n  no colon here\n', 'r.txt').sets[0].otherLines, ['no colon here']);
  t.same(parseRepStatus('Replicated Data Set: a\nPrimary:\n  Host name: x\nReplicated Data Set: b\nPrimary:\n  Host name: y\n', 'r.txt').sets.map((s) => [s.rds, s.primary['Host name']]), [['a', 'x'], ['b', 'y']],
    'a second data set is a second entry, not an overwrite');
  t.throws(() => parseRepStatus('Replicated Data Set: r\n  Host name: x\nPrimary:\n', 'r.txt'), { message: /r\.txt:2:3: expected 'Primary:' or 'Secondary:' before 'Host name: x'/ });
  t.throws(() => parseRepStatus('Host name: x\nReplicated Data Set: r\n', 'r.txt'), { message: /r\.txt:1:1: expected 'Replicated Data Set/ });
});

t.test('printvol: volumes with sizes per side and flags', async (t) => {
  const { sets: [v] } = parsePrintVol(read('reports/printvol.txt'), 'v.txt');
  t.same(v.hosts, ['alpha-rep', 'bravo-rep']);
  t.same(v.rvgs, ['ledger_rvg', 'ledger_rvg']);
  t.same(v.volumes.map((x) => [x.names[0], x.sizeSectors[0], x.flags[0]]), [['ledger_data', 41943040, 'DCM'], ['ledger_logs', 4194304, 'DCM']]);
  t.throws(() => parsePrintVol('v a a\nsz 1k 1\n', 'v.txt'), { message: /v\.txt:2:1: sizes must be sector counts/ });
  t.same(parsePrintVol('v a a\nvs x y\n', 'v.txt').sets[0].otherRows, ['vs x y'], 'unknown row types of other releases kept');
  t.throws(() => parsePrintVol('v a a\n12345 x\nv b b\n', 'v.txt'), { message: /v\.txt:2:1: not a printvol row: '12345 x'/ });
  t.throws(() => parsePrintVol('h a b\n', 'v.txt'), { message: /v\.txt:1:1: no volume \(v\) rows found/ });
});

t.test('defect 7: printvol as vradmin prints it — its "Replicated Data Set:" header, the command line, trailing lines', async (t) => {
  const r = parsePrintVol(read('gco/printvol.txt'), 'pv.txt');
  t.same(r.sets.map((p) => [p.rds, printVolRvg(p), p.volumes.map((v) => v.names[0])]), [['pay_rvg', 'pay_rvg', ['pay_data', 'pay_arch']]]);
  t.same(r.ignored.map((i) => [i.no, i.why]), [[1, 'the command line']]);
  const two = parsePrintVol('Replicated Data Set: a\nv x x\nReplicated Data Set: b\nv y y\n[root@n1 ~]#\nlogout\n', 'pv.txt');
  t.same(two.sets.map((p) => [p.rds, p.volumes[0].names[0]]), [['a', 'x'], ['b', 'y']]);
  t.same(two.ignored.map((i) => [i.no, i.why]), [[5, 'a shell prompt'], [6, 'after the end of the output']]);
  t.throws(() => parsePrintVol('Replicated Data Set: a\nrv b b\nv x x\n', 'pv.txt'), { message: /header says replicated data set a but its rv row names b/ });
});

t.test('real sample D04: hastatus -sum with its prompt and command line', async (t) => {
  const h = parseHaStatus(read('samples/D04-linbit-hastatus-sum-infoscale.txt'), 'D04');
  t.same(h.systems.map((s) => `${s.system}:${s.state}`), ['infoscale01:RUNNING', 'infoscale02:RUNNING']);
  t.same(h.groups.map((g) => `${g.group}@${g.system}=${g.state}`), ['configure@infoscale01=ONLINE', 'configure@infoscale02=ONLINE', 'primary@infoscale01=ONLINE', 'primary@infoscale02=OFFLINE']);
  t.same(h.ignored.map((i) => [i.no, i.why]), [[1, 'the command line']]);
});

t.test('defect 7: hastatus -sum with a bare command line, GCO sections, and lines after the table', async (t) => {
  const h = parseHaStatus(read('gco/nyc/hastatus-sum.txt'), 'h.txt');
  t.same(h.systems.map((s) => s.system), ['nyc1', 'nyc2']);
  t.equal(h.groups.length, 6);
  t.equal(h.otherRows.length, 6, 'WAN heartbeat, remote cluster, remote system and remote group rows kept');
  t.same(h.ignored.map((i) => [i.no, i.text, i.why]), [[1, 'hastatus -sum', 'the command line'], [40, 'You have new mail in /var/spool/mail/root', 'after the end of the output']]);
  const { systems } = parseHaStatus('$ sudo /opt/VRTSvcs/bin/hastatus -sum\n-- SYSTEM STATE\nA  n1  RUNNING  0\n', 'h.txt');
  t.same(systems.map((s) => s.system), ['n1'], 'a prompt, sudo and the full path are the command line too');
});

t.test('defect 7: what is truly ambiguous is still refused', async (t) => {
  t.throws(() => parseHaStatus('A  n1  RUNNING  0\nsomething else\nA  n2  RUNNING  0\n', 'h.txt'), { message: /h\.txt:2:1: not a hastatus -sum row: 'something else'/ }, 'an unknown line between rows: the output was altered');
  t.throws(() => parseHaStatus('A  n1  RUNNING  0\nB  g  n1  maybe  N  ONLINE\n', 'h.txt'), { message: /h\.txt:2:1: not a hastatus -sum row/ }, 'a broken row, even at the end');
  t.throws(() => parseHaStatus('-- SYSTEM STATE\n', 'h.txt'), { message: /no system rows/ });
});
