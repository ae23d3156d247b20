import t from 'tap';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseVxprintRlinks } from '../../../src/migrate/vvr/vxprint.js';
import { parsePrintRvg } from '../../../src/migrate/vvr/printrvg.js';
import { parseRepStatus } from '../../../src/migrate/vvr/repstatus.js';
import { parsePrintVol } from '../../../src/migrate/vvr/printvol.js';
import { parseHaStatus } from '../../../src/migrate/vvr/hastatus.js';

const FIX = fileURLToPath(new URL('../../fixtures/migrate/reports/', import.meta.url));
const read = (name: string): string => readFileSync(FIX + name, 'utf8');

t.test('vxprint -Pl: RLINK attributes, both ends, protocol and flags', async (t) => {
  const [r] = parseVxprintRlinks(read('vxprint-Pl.txt'), 'vx.txt');
  t.equal(r.name, 'rlk_bravo_ledger_rvg');
  t.equal(r.diskGroup, 'ledgerdg');
  t.match(r.attrs, { synchronous: 'override', srlprot: 'dcm', latencyprot: 'off', bandwidth_limit: '40m', packet_size: '8400', rvg: 'ledger_rvg', remote_dg: 'ledgerdg', latency_high_mark: '10000' });
  t.same(r.remote, { host: 'bravo-rep', ip: '192.168.50.12', port: 4145 });
  t.same(r.local, { host: 'alpha-rep', ip: '192.168.50.11', port: 4145 });
  t.equal(r.protocol, 'UDP/IP');
  t.same(r.flags, ['write', 'enabled', 'attached', 'consistent', 'connected', 'synchronous']);
});

t.test('vxprint -Pl: several records, and malformed lines', async (t) => {
  const two = 'Rlink: a\nstate: synchronous=off\nRlink: b\nstate: synchronous=fail\nprotocol: TCP/IP\n';
  t.same(parseVxprintRlinks(two, 'x').map((r) => [r.name, r.attrs.synchronous, r.protocol]), [['a', 'off', undefined], ['b', 'fail', 'TCP/IP']]);
  t.throws(() => parseVxprintRlinks('Rlink: a\nstate: synchronous\n', 'vx.txt'), { code: 'TANDEM_E_PARSE', message: /^vx\.txt:2:1: expected key=value in the state: field, found 'synchronous'/ });
  t.throws(() => parseVxprintRlinks('info: timeout=5\n', 'vx.txt'), { message: /vx\.txt:1:1: RLINK field before any "Rlink:" line/ });
  t.throws(() => parseVxprintRlinks('garbage here\n', 'vx.txt'), { message: /vx\.txt:1:1: not a vxprint -Pl line/ });
  const ckpt = parseVxprintRlinks('Rlink: a\ncheckpoint: ckpt_0101 attached\n', 'x');
  t.equal(ckpt[0].attrs.checkpoint, 'ckpt_0101 attached', 'free text under other labels is kept');
});

t.test('printrvg short form (own sample of the D03 shape) and -l form', async (t) => {
  const [s] = parsePrintRvg(read('printrvg.txt'), 'p.txt');
  t.equal(s.rds, 'ledger_rvg');
  t.match(s.primary, { host: 'alpha-rep', localhost: true, rvg: 'ledger_rvg', diskGroup: 'ledgerdg' });
  t.same(s.secondaries.map((x) => [x.host, x.localhost, x.diskGroup]), [['bravo-rep', false, 'ledgerdg']]);
  const [l] = parsePrintRvg(read('printrvg-l.txt'), 'p.txt');
  t.same(l.primary?.details, { datavol_cnt: '2', vset_cnt: '0', srl: 'ledger_srl' });
  t.same(l.secondaries[0].rlinks, [{ name: 'rlk_alpha_ledger_rvg', detached: 'off', synchronous: 'override' }]);
  t.throws(() => parsePrintRvg('HostName: x\n', 'p.txt'), { message: /p\.txt:1:1: expected 'Replicated Data Set/ });
  t.throws(() => parsePrintRvg('Replicated Data Set: r\n  HostName: x\n', 'p.txt'), { message: /p\.txt:2:3: expected 'Primary:' or 'Secondary:'/ });
  t.throws(() => parsePrintRvg('Replicated Data Set: r\nSecondary:\n  HostName: x\n', 'p.txt'), { message: /has no Primary block/ });
  const odd = parsePrintRvg('Replicated Data Set: r\nPrimary:\n  HostName: h\n  Config Errors\n', 'p.txt');
  t.same(odd[0].otherLines, ['Config Errors'], 'unknown -l lines are kept verbatim');
});

t.test('repstatus -l: every field by name, one block per Secondary', async (t) => {
  const r = parseRepStatus(read('repstatus.txt'), 'r.txt');
  t.equal(r.rds, 'ledger_rvg');
  t.match(r.primary, { 'Host name': 'alpha-rep', 'SRL size': '8.00 G', 'Data volumes': '2', 'RVG state': 'enabled for I/O' });
  t.equal(r.secondaries.length, 1);
  t.match(r.secondaries[0], { 'Configured mode': 'synchronous', 'SRL protection': 'dcm', 'Bandwidth Limit': '40.00 Mbps', 'Compression Mode': 'On', 'Timestamp Information': 'behind by  0h 0m 0s', 'Data status': 'consistent, up-to-date' });
  t.same(parseRepStatus('Replicated Data Set: r\nPrimary:\n  no colon here\n', 'r.txt').otherLines, ['no colon here']);
  t.throws(() => parseRepStatus('Replicated Data Set: r\n  Host name: x\n', 'r.txt'), { message: /r\.txt:2:3: expected 'Primary:' or 'Secondary:' before 'Host name: x'/ });
  t.throws(() => parseRepStatus('Host name: x\n', 'r.txt'), { message: /r\.txt:1:1: expected 'Replicated Data Set/ });
});

t.test('printvol: volumes with sizes per side and flags', async (t) => {
  const v = parsePrintVol(read('printvol.txt'), 'v.txt');
  t.same(v.hosts, ['alpha-rep', 'bravo-rep']);
  t.same(v.rvgs, ['ledger_rvg', 'ledger_rvg']);
  t.same(v.volumes.map((x) => [x.names[0], x.sizeSectors[0], x.flags[0]]), [['ledger_data', 41943040, 'DCM'], ['ledger_logs', 4194304, 'DCM']]);
  t.throws(() => parsePrintVol('v a a\nsz 1k 1\n', 'v.txt'), { message: /v\.txt:2:1: sizes must be sector counts/ });
  t.same(parsePrintVol('v a a\nvs x y\n', 'v.txt').otherRows, ['vs x y'], 'unknown row types of other releases kept');
  t.throws(() => parsePrintVol('v a a\n12345 x\n', 'v.txt'), { message: /v\.txt:2:1: not a printvol row: '12345 x'/ });
  t.throws(() => parsePrintVol('h a b\n', 'v.txt'), { message: /v\.txt:1:1: no volume \(v\) rows found/ });
});

t.test('hastatus -sum: variable column widths, states, other sections kept', async (t) => {
  const h = parseHaStatus(read('hastatus-sum.txt'), 'h.txt');
  t.same(h.systems, [{ system: 'alpha', state: 'RUNNING', frozen: false }, { system: 'bravo', state: 'EXITED', frozen: true }]);
  t.same(h.groups.map((g) => `${g.group}@${g.system}=${g.state}`), ['ledger_app@alpha=ONLINE', 'ledger_app@bravo=OFFLINE', 'ledger_rep@alpha=ONLINE', 'ledger_rep@bravo=PARTIAL|FAULTED']);
  // the D04 shape: a shell prompt line, two nodes and two groups
  const d04 = '[root@n1 x]# hastatus -sum\n\n-- SYSTEM STATE\nA  n1   RUNNING   0\nA  n2 RUNNING 0\n\n-- GROUP STATE\nB  cfg  n1  Y  N  ONLINE\nB  cfg  n2  Y  N  ONLINE\n\n-- RESOURCES FAILED\nC  cfg  Proxy  p1  n2\n';
  const d = parseHaStatus(d04, 'd.txt');
  t.equal(d.systems.length, 2);
  t.equal(d.groups.length, 2);
  t.same(d.otherRows, ['C  cfg  Proxy  p1  n2']);
  t.throws(() => parseHaStatus('B  g  n1  maybe  N  ONLINE\n', 'h.txt'), { message: /h\.txt:1:1: not a hastatus -sum row/ });
});
