// Issue 12, defect 13, as an administrator runs it: the two-site estate of two-site.test.ts plus a
// synchronous bunker RLINK at the Primary site. Each RLINK keeps its protocol as its connection's:
// the INI has [connection.<primary>.<bunker>] protocol = C under a resource on A (the DR link),
// `tandem config check` accepts it for every node, and `tandem config explain` shows the protocol
// of each connection with its origin.
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Explanation } from '../../../src/config/explain.js';
import { tandem, tandemJson } from '../../helpers/cli.js';

const FIX = fileURLToPath(new URL('../../fixtures/migrate/gco/', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'tandem-migrate-conn-'));
t.teardown(() => rmSync(tmp, { recursive: true, force: true }));
const out = join(tmp, 'out');

/** New York's vxprint -Pl with a bunker RLINK (synchronous, bunker_target) before the DR one. */
function withBunker(): string {
  const text = readFileSync(`${FIX}nyc/vxprint-Pl.txt`, 'utf8');
  const bunker = [
    'Rlink:    rlk_nyc-bunker-rep_pay_rvg',
    'info:     timeout=500 packet_size=8400 rid=0.1078',
    'state:    state=ACTIVE',
    '          synchronous=override latencyprot=off srlprot=autodcm',
    'assoc:    rvg=pay_rvg',
    '          remote_host=nyc-bunker-rep IP_addr=10.10.2.50 port=4145',
    '          local_host=nyc-pay-rep IP_addr=10.10.1.100 port=4145',
    'protocol: TCP/IP',
    'flags:    write enabled attached consistent connected synchronous bunker_target',
    '', '',
  ].join('\n');
  const at = text.indexOf('Rlink:');
  const file = join(tmp, 'nyc-vxprint-Pl.txt');
  writeFileSync(file, text.slice(0, at) + bunker + text.slice(at));
  return file;
}

const migrated = tandemJson<{ tandemResources: Array<{ name: string; protocol: string; connections: Array<{ nodes: string[]; protocol: string }> }> }>([
  'migrate', 'vcs', '--main-cf', `${FIX}nyc/main.cf`, '--main-cf', `${FIX}lon/main.cf`,
  '--vxprint', withBunker(), '--vxprint', `${FIX}lon/vxprint-Pl.txt`, '--printvol', `${FIX}printvol.txt`,
  '--repstatus', `${FIX}nyc/repstatus.txt`, '--hastatus', `${FIX}nyc/hastatus-sum.txt`, '--hastatus', `${FIX}lon/hastatus-sum.txt`,
  '--arbitrator', '10.30.0.5', '--out', out,
]);

t.test('the bunker link keeps C in a connection section, the DR link A as the resource default', async (t) => {
  const { result, json } = await migrated;
  t.equal(result.exitCode, 0, String(result.stderr));
  t.match(json.tandemResources, [{ name: 'pay_rvg', protocol: 'A', connections: [{ nodes: ['nyc_clu', 'nyc-bunker-rep'], protocol: 'C' }] }]);
  const text = readFileSync(join(out, 'tandem', 'pay_rvg.ini'), 'utf8');
  t.match(text, /\nprotocol = A\n/);
  t.match(text, /\n; replaces RLINK rlk_nyc-bunker-rep_pay_rvg \(bunker\)\n\[connection\.nyc_clu\.nyc-bunker-rep\]\nprotocol = C\n/);
  const report = readFileSync(join(out, 'report.md'), 'utf8');
  t.match(report, /\| nyc_clu → nyc-bunker-rep \(rlk_nyc-bunker-rep_pay_rvg\) \| bunker, synchronous=override, srlprot=autodcm, latencyprot=off, TCP\/IP \| protocol C \(\[connection\.nyc_clu\.nyc-bunker-rep\]\), TCP \|/);
  t.match(report, /\| nyc_clu → lon_clu \(rlk_lon-pay-rep_pay_rvg\) \| synchronous=off, srlprot=autodcm, latencyprot=off, TCP\/IP \| protocol A, TCP \|/);
  t.match(report, /lon_clu - nyc-bunker-rep: protocol A\./, 'the pair of Secondaries is said');
  t.match(report, /srlprot=autodcm: VVR switched to DCM logging when the SRL filled/, 'what srlprot becomes is said per link');
  t.notMatch(report, /one protocol per resource/);
});

t.test('config check accepts the INI on every node; explain shows each connection\'s protocol and origin', async (t) => {
  await migrated;
  const dir = join(out, 'tandem');
  for (const node of ['nyc_clu', 'lon_clu', 'nyc-bunker-rep']) {
    const check = await tandem(['config', 'check', '--config-dir', dir, '--node', node]);
    t.equal(check.exitCode, 0, `${node}: ${check.stdout}${check.stderr}`);
  }
  const { json } = await tandemJson<Explanation>(['config', 'explain', 'pay_rvg', '--config-dir', dir, '--node', 'nyc_clu']);
  t.same(json.connections.map((c) => [c.nodes.join('-'), c.settings[0].value, c.settings[0].origin.source]), [
    ['nyc_clu-lon_clu', 'A', 'resource'],
    ['nyc_clu-nyc-bunker-rep', 'C', 'file'],
    ['lon_clu-nyc-bunker-rep', 'A', 'resource'],
  ]);
});
