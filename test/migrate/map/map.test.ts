import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planFor, ALL_REPORTS } from '../helpers.js';
import type { Constraint, MigrationPlan } from '../../../src/migrate/map/plan.js';

const tmp = mkdtempSync(join(tmpdir(), 'tandem-migrate-map-'));
t.teardown(() => import('node:fs').then((fs) => fs.rmSync(tmp, { recursive: true, force: true })));

function mainCf(name: string, text: string): string {
  const path = join(tmp, `${name}.cf`);
  writeFileSync(path, text);
  return path;
}

const codes = (plan: MigrationPlan): string[] => plan.warnings.map((w) => `${w.code} ${w.subject}`);
const find = (plan: MigrationPlan, kind: Constraint['kind'], pred: (c: Constraint) => boolean = () => true): Constraint[] => plan.pcmk.constraints.filter((c) => c.kind === kind && pred(c));

t.test('two-site VVR: RVG → Tandem resource from the RLINK facts', async (t) => {
  const plan = planFor('two-site/main.cf', ALL_REPORTS);
  t.equal(plan.tandem.length, 1);
  const r = plan.tandem[0];
  t.match(r, { name: 'ledger_rvg', rvg: 'ledger_rvg', diskGroup: 'ledgerdg', protocol: 'C', fencing: 'resource-only', quorum: 'off', resyncRate: '4882K', cloneId: 'ledger_rvg_res-clone' });
  t.same(r.nodes, [{ name: 'alpha', id: 0, address: '192.168.50.11:7789' }, { name: 'bravo', id: 1, address: '192.168.50.12:7789' }], 'per-system replication IPs become node addresses');
  t.same(r.volumes.map((v) => [v.index, v.vxvmVolume, v.disk, v.sizeBytes, v.export]), [
    [0, 'ledger_data', '/dev/ledgerdg/ledger_data', 41943040 * 512, '/run/tandem/ledger_rvg-0.nbd'],
    [1, 'ledger_logs', '/dev/ledgerdg/ledger_logs', 4194304 * 512, '/run/tandem/ledger_rvg-1.nbd'],
  ]);
  t.ok(r.secret.length >= 20);
  t.not(planFor('two-site/main.cf', ALL_REPORTS).tandem[0].secret, r.secret, 'a fresh secret per run');
  for (const w of ['replication ledger_rvg.bandwidth_limit', 'replication ledger_rvg.srlprot', 'replication ledger_rvg.protocol', 'replication ledger_rvg.compression', 'replication ledger_rvg.srl', 'secret ledger_rvg', 'placeholder ledger_rvg.meta']) {
    t.ok(codes(plan).includes(w), `warning ${w}`);
  }
  t.ok(codes(plan).includes('report-input bravo'), 'hastatus: EXITED, frozen system');
  t.notOk(plan.warnings.some((w) => w.code === 'replication' && /not a system of this main\.cf/.test(w.message)), 'report hosts alpha-rep/bravo-rep match systems alpha/bravo');
  t.notOk(codes(plan).includes('replication ledger_rep'), 'a parallel replication group is one copy per node');
  t.ok(codes(plan).includes('report-input ledger_rep@bravo'), 'hastatus: faulted group');
});

t.test('two-site VVR: promotable clone, application group promoted with it, ClusterService left out', async (t) => {
  const plan = planFor('two-site/main.cf', ALL_REPORTS);
  const clone = plan.pcmk.clones.find((c) => c.id === 'ledger_rvg_res-clone')!;
  t.match(Object.fromEntries(clone.meta), { promotable: 'true', 'promoted-max': '1', 'clone-max': '2', notify: 'true' });
  const replica = plan.pcmk.primitives.find((p) => p.id === 'ledger_rvg_res')!;
  t.match(replica, { class: 'ocf', provider: 'tandem', type: 'replica' });
  t.same(Object.fromEntries(replica.params), { resource: 'ledger_rvg', config_dir: '/etc/tandem', auto_takeover: 'true', auto_resync: 'false' });
  t.same(plan.pcmk.groups.map((g) => [g.id, g.members]), [['ledger_app', ['ledger_mnt', 'ledger_svc', 'ledger_svcip']]], 'RVGPrimary leaves the chain, the rest keeps dependency order');
  t.same(find(plan, 'colocation'), [{ kind: 'colocation', id: 'col-ledger_app-with-ledger_rvg_res-clone-promoted', rsc: 'ledger_app', withRsc: 'ledger_rvg_res-clone', withRole: 'Promoted', score: 'INFINITY' }]);
  t.same(find(plan, 'order'), [{ kind: 'order', id: 'ord-ledger_rvg_res-clone-promote-then-ledger_app', first: 'ledger_rvg_res-clone', firstAction: 'promote', then: 'ledger_app', thenAction: 'start', orderKind: 'Mandatory' }]);
  t.same(find(plan, 'location').map((c) => c.kind === 'location' && `${c.rsc}@${c.node}=${c.score}`), ['ledger_rvg_res-clone@alpha=200', 'ledger_rvg_res-clone@bravo=100', 'ledger_app@alpha=200', 'ledger_app@bravo=100']);
  t.same(plan.pcmk.rscDefaults, [['resource-stickiness', '1000']], 'stickiness outweighs the 100-point preference: no failback');
  t.notOk(plan.pcmk.primitives.some((p) => ['webip', 'csgnic', 'ntfr'].includes(p.id)), 'ClusterService not migrated');
  t.ok(codes(plan).includes('not-mapped ClusterService'));
  const mnt = plan.pcmk.primitives.find((p) => p.id === 'ledger_mnt')!;
  t.same(Object.fromEntries(mnt.params), { device: '/dev/tandem/ledger_rvg/0', directory: '/srv/ledger', fstype: 'xfs', options: 'rw,noatime' });
  t.match(plan.pcmk.primitives.find((p) => p.id === 'ledger_svc'), { class: 'systemd', type: 'ledger_svc' });
  t.match(plan.warnings.find((w) => w.subject === 'ledger_svc')?.message, /StartProgram = "\/opt\/ledger\/bin\/ledgerctl start".*PidFiles = \{ "\/var\/run\/ledger\/ledger\.pid" \}/);
  t.same(Object.fromEntries(plan.pcmk.primitives.find((p) => p.id === 'ledger_svcip')!.params), { ip: '10.20.0.60', cidr_netmask: '24', nic: 'eth0' });
  t.match(plan.pcmk.primitives.find((p) => p.class === 'stonith'), { type: 'fence_scsi' });
  t.same(plan.pcmk.properties, [['stonith-enabled', 'true']]);
  t.same(plan.promotedWith, { ledger_app: 'ledger_rvg_res-clone' });
  t.ok(plan.mappings.some((m) => m.vcs === 'ledger_app: requires group ledger_rep online local hard' && /promotion constraints/.test(m.target)));
  for (const w of ['data-layer ledger_dg', 'data-layer ledger_mnt', 'placeholder ledger_mnt.BlockDevice', 'placeholder ledger_svc', 'approximate ledger_app.AutoStartList', 'fencing fence-scsi', 'secret cluster ledger_clu.UserNames', 'not-mapped cluster ledger_clu.ClusterAddress']) {
    t.ok(codes(plan).includes(w), `warning ${w}`);
  }
  t.notMatch(JSON.stringify(plan), /Xq3mLp0WzRt9Vb/, 'the encrypted VCS password is never copied');
});

t.test('without VVR reports: defaults and placeholders, each with a warning', async (t) => {
  const plan = planFor('two-site/main.cf');
  const r = plan.tandem[0];
  t.equal(r.protocol, 'A');
  t.equal(r.volumes.length, 1);
  t.equal(r.resyncRate, undefined);
  t.ok(codes(plan).includes('replication ledger_rvg.synchronous'));
  t.ok(codes(plan).includes('placeholder ledger_rvg.volumes'));
  t.same(r.nodes.map((n) => n.address), ['192.168.50.11:7789', '192.168.50.12:7789'], 'addresses still known from main.cf');
});

t.test('repstatus alone gives the mode and bandwidth', async (t) => {
  const r = planFor('two-site/main.cf', ['repstatus']).tandem[0];
  t.equal(r.protocol, 'C', 'Configured mode: synchronous');
  t.equal(r.resyncRate, '4882K', '40.00 Mbps = 5,000,000 bytes/s');
  t.equal(r.volumes.length, 2, 'Data volumes: 2 (names unknown)');
});

t.test('corners: every dependency kind, GCO, Proxy, per-system values, unmappable constructs warned', async (t) => {
  const plan = planFor('corners/main.cf');
  t.same(plan.pcmk.groups.map((g) => [g.id, g.members, g.meta]), [
    ['web-sg', ['SG-ip', 'web_proc'], [['migration-threshold', '1']]],
    ['batch-sg', ['batch_job'], [['is-managed', 'false']]],
  ]);
  t.same(find(plan, 'colocation').map((c) => c.kind === 'colocation' && `${c.rsc}>${c.withRsc}=${c.score}`), ['web-sg>batch-sg=-INFINITY', 'batch-sg>web-sg=-INFINITY'], 'offline local and online remote are anti-affinity');
  t.same(find(plan, 'order').map((c) => c.kind === 'order' && `${c.first}>${c.then}:${c.orderKind}`), ['web-sg>batch-sg:Mandatory']);
  t.same(find(plan, 'ticket'), [{ kind: 'ticket', id: 'tkt-web-sg', ticket: 'ticket-web-sg', rsc: 'web-sg', lossPolicy: 'stop' }]);
  t.same(plan.booth, { sites: [{ cluster: 'east_clu', address: '172.16.1.10' }, { cluster: 'west_clu', address: '172.17.1.10' }], tickets: [{ name: 'ticket-web-sg', group: 'web-sg', policy: 'Manual' }] });
  t.same(Object.fromEntries(plan.pcmk.primitives.find((p) => p.id === 'web_proc')!.params), { binfile: '/usr/sbin/httpd', cmdline_options: '-k start -f /etc/httpd/conf/httpd.conf', pidfile: ' /run/httpd.pid' });
  t.same(find(plan, 'location', (c) => c.kind === 'location' && c.rsc === 'batch-sg').map((c) => c.kind === 'location' && `${c.node}=${c.score}`), ['east-1=100', 'east-2=200']);
  for (const w of [
    'not-mapped ora_db', 'unknown-type ora_db', 'missing-include OracleTypes.cf', 'approximate web_proc.Critical', 'approximate web-sg.AutoFailOver',
    'approximate web-sg.FailOverPolicy', 'approximate batch-sg.Frozen', 'not-mapped web-sg: requires group net-sg online global soft',
    'global-cluster heartbeat Icmp', 'global-cluster web-sg.ClusterFailOverPolicy', 'global-cluster web-sg.Authority', 'global-cluster booth',
    'not-mapped cluster east_clu.Administrators', 'not-mapped cluster east_clu.Guests',
  ]) t.ok(codes(plan).includes(w), `warning ${w}`);
  t.ok(plan.warnings.find((w) => w.subject === 'ora_db' && w.code === 'not-mapped')?.message.includes('Sid @east-1 = ORCL1'), 'the unmapped resource is quoted in full');
  t.ok(plan.mappings.some((m) => m.vcs === 'nic_proxy' && m.vcsKind === 'Proxy'));
});

t.test('DAG sorted into a chain, online local soft/firm, parallel groups, per-system values, CVR, AutoTakeover=0', async (t) => {
  const path = mainCf('dag', `
system n1 ( Capacity = 100 )
group base ( SystemList = { n1 = 0, n2 = 1, n3 = 2 } Parallel = 1 )
Process agent ( PathName = "/bin/agent" )
group app ( SystemList = { n1 = 0, n2 = 1 } OnlineRetryLimit = 2 ManageFaults = NONE )
IP vip ( Address @n1 = "10.0.0.1" Address @n2 = "10.0.0.2" PrefixLen = 16 )
Process a ( PathName = "/bin/a" )
Process b ( PathName = "/bin/b" )
Process top ( PathName = "/bin/top" Bogus = 1 )
top requires a
top requires b
a requires vip
b requires vip
requires group base online local firm
group rep ( SystemList = { n1 = 0, n2 = 1 } )
RVG r ( RVG = datarvg DiskGroup = datadg StorageRVG = bunker_rvg )
RVGSnapshot snap ( RvgResourceName = r )
group app2 ( SystemList = { n1 = 0, n2 = 1 } )
RVGPrimary p2 ( RvgResourceName = r AutoTakeover = 0 AutoResync = 1 BunkerSyncTimeOut = "" BunkerSyncElapsedTime = 0 )
Process ap2 ( PathName = "/bin/ap2" )
ap2 requires p2
requires group rep online local soft
requires group app online local soft
`);
  const plan = planFor(path);
  const app = plan.pcmk.groups.find((g) => g.id === 'app')!;
  t.same(app.members, ['vip', 'a', 'b', 'top'], 'children before parents');
  t.same(app.meta, [['migration-threshold', '3']]);
  t.ok(plan.mappings.some((m) => m.vcsKind === 'resource DAG'), 'the added ordering is reported');
  t.same(plan.pcmk.clones.find((c) => c.id === 'base-clone'), { id: 'base-clone', child: 'base', promotable: false, meta: [['clone-max', '3'], ['clone-node-max', '1']], source: 'group base' });
  t.same(find(plan, 'colocation', (c) => c.kind === 'colocation' && c.rsc === 'app').map((c) => c.kind === 'colocation' && `${c.withRsc}=${c.score}`), ['base-clone=INFINITY']);
  t.same(find(plan, 'colocation', (c) => c.kind === 'colocation' && c.rsc === 'app2').map((c) => c.kind === 'colocation' && `${c.withRsc}:${c.withRole ?? ''}=${c.score}`), ['r-clone:Promoted=INFINITY', 'app:=500']);
  t.same(find(plan, 'order', (c) => c.kind === 'order' && c.then === 'app2').map((c) => c.kind === 'order' && `${c.first}:${c.firstAction}:${c.orderKind}`), ['r-clone:promote:Mandatory', 'app:start:Optional']);
  t.same(Object.fromEntries(plan.pcmk.primitives.find((p) => p.id === 'r')!.params), { resource: 'datarvg', config_dir: '/etc/tandem', auto_takeover: 'false', auto_resync: 'true' });
  t.equal(Object.fromEntries(plan.pcmk.primitives.find((p) => p.id === 'vip')!.params).ip, '10.0.0.1');
  for (const w of ['per-system vip.Address', 'not-mapped top.Bogus', 'not-mapped app.ManageFaults', 'approximate app: requires group base online local firm', 'approximate app2: requires group app online local soft',
    'approximate app2: requires group rep online local soft', 'approximate p2.AutoTakeover', 'replication rep', 'not-mapped p2.BunkerSyncTimeOut', 'not-mapped snap', 'not-mapped system n1.Capacity', 'not-mapped r.StorageRVG', 'not-mapped p2.BunkerSyncElapsedTime', 'placeholder datarvg.node.n1.address']) {
    t.ok(codes(plan).includes(w), `warning ${w}`);
  }
});

t.test('replication hosts from the reports that are not systems here (another GCO site) are warned', async (t) => {
  const plan = planFor(mainCf('site-a', 'system alpha ( )\ngroup rep ( SystemList = { alpha = 0 } Parallel = 1 )\nRVG r ( RVG = ledger_rvg DiskGroup = ledgerdg )\n'), ['vxprint', 'printrvg']);
  t.same(plan.tandem[0].nodes, [{ name: 'alpha', id: 0, address: '192.168.50.11:7789' }]);
  t.ok(codes(plan).includes('replication bravo-rep'));
  t.ok(codes(plan).includes('replication bravo-rep (192.168.50.12)'));
});

t.test('a dependency cycle is an error naming the line', async (t) => {
  const path = mainCf('cycle', 'group g ( )\nProcess a ( PathName = x )\nProcess b ( PathName = y )\na requires b\nb requires a\n');
  t.throws(() => planFor(path), { code: 'TANDEM_E_PARSE', message: /cycle\.cf:4:1: resource dependencies of group g form a cycle: a requires b requires a/ });
});

t.test('main.cf fragment: a group alone, no cluster or system lines', async (t) => {
  const path = mainCf('fragment', 'group SG ( SystemList = { verclus01 = 0, verclus02 = 1 } )\nIP SG-ip ( Device = eth0 Address = "192.168.9.150" NetMask = "255.255.255.0" )\n');
  const plan = planFor(path);
  t.equal(plan.cluster, 'migrated');
  t.same(plan.pcmk.nodes, ['verclus01', 'verclus02']);
  t.same(plan.pcmk.groups.map((g) => g.members), [['SG-ip']]);
});

t.test('report lines kept verbatim by the parsers become warnings', async (t) => {
  const { loadVcs } = await import('../../../src/migrate/vcs/load.js');
  const { mapVcs } = await import('../../../src/migrate/map/index.js');
  const { Warnings } = await import('../../../src/migrate/warnings.js');
  const { parsePrintVol } = await import('../../../src/migrate/vvr/printvol.js');
  const { parseRepStatus } = await import('../../../src/migrate/vvr/repstatus.js');
  const w = new Warnings();
  const vcs = loadVcs(mainCf('leftover', 'group rep ( SystemList = { a = 0, b = 1 } )\nRVG r ( RVG = rv DiskGroup = dg )\n'), [], w);
  const plan = mapVcs({
    vcs, files: [],
    printvol: parsePrintVol('rv rv rv\nv d1 d1\nsz 2048 4096\nvs set1 set1\n', 'pv'),
    repstatus: parseRepStatus('Replicated Data Set: rv\nPrimary:\n  Host name: a\n  Note without colon\n', 'rs'),
  }, w);
  t.ok(plan.warnings.some((x) => x.code === 'report-input' && x.message.includes('vs set1 set1')));
  t.ok(plan.warnings.some((x) => x.code === 'report-input' && x.message.includes('Note without colon')));
  t.ok(plan.warnings.some((x) => x.code === 'data-layer' && x.subject === 'rv/d1'), 'sizes that differ between sides are flagged');
  t.equal(plan.tandem[0].volumes[0].sizeBytes, 2048 * 512);
});
