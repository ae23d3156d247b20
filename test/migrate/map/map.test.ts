// The mapping from VCS/VVR to Tandem + Pacemaker, on fixtures and on main.cf texts written for
// one behaviour each. The defects of issue 12 each have a test named after their number.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { effectiveConnections } from '../../../src/config/connections.js';
import { loadConfig } from '../../../src/config/load.js';
import { emitIni } from '../../../src/migrate/emit/ini.js';
import { emitReport } from '../../../src/migrate/emit/report.js';
import { configDir } from '../../fixtures/config/ini.js';
import { planFor, ONE_CLUSTER_REPORTS, GCO_MAIN, GCO_REPORTS, codes, site, constraintsOf, scratchCf } from '../helpers.js';

const cf = scratchCf('migrate-map');
t.teardown(() => cf.remove());

t.test('one cluster, each node with its own disks (parallel replication group): RVG → Tandem resource from the RLINK facts', async (t) => {
  const plan = planFor('one-cluster/main.cf', ONE_CLUSTER_REPORTS);
  t.equal(plan.tandem.length, 1);
  const r = plan.tandem[0];
  t.match(r, { name: 'ledger_rvg', rvg: 'ledger_rvg', diskGroup: 'ledgerdg', protocol: 'C', fencing: 'resource-only', quorum: 'off', resyncRate: '4882K', cloneId: 'tandem-ledger_rvg-clone', primary: 'alpha' });
  t.same(r.nodes.map((n) => [n.name, n.id, n.address, n.sharedStorage, n.hosts]), [['alpha', 0, '192.168.50.11:7789', false, ['alpha']], ['bravo', 1, '192.168.50.12:7789', false, ['bravo']]], 'per-system replication IPs become node addresses');
  t.same(r.volumes.map((v) => [v.index, v.vxvmVolume, v.disk, v.sizeBytes, v.export]), [
    [0, 'ledger_data', '/dev/ledgerdg/ledger_data', 41943040 * 512, '/run/tandem/ledger_rvg-0.nbd'],
    [1, 'ledger_logs', '/dev/ledgerdg/ledger_logs', 4194304 * 512, '/run/tandem/ledger_rvg-1.nbd'],
  ]);
  t.ok(r.secret.length >= 20);
  t.not(planFor('one-cluster/main.cf', ONE_CLUSTER_REPORTS).tandem[0].secret, r.secret, 'a fresh secret per run');
  const link = 'ledger_rvg alpha→bravo (RLINK rlk_bravo_ledger_rvg)';
  for (const w of [`replication ${link}`, 'replication ledger_rvg.bandwidth_limit', 'replication ledger_rvg.srl', 'secret ledger_rvg', 'placeholder ledger_rvg.meta']) {
    t.ok(codes(plan).includes(w), `warning ${w}`);
  }
  t.ok(plan.warnings.some((w) => w.subject === link && /UDP\/IP: Tandem replicates over TCP only/.test(w.message)));
  t.ok(plan.warnings.some((w) => w.subject === link && /compressed this link/.test(w.message)));
  t.ok(plan.warnings.some((w) => w.subject === link && /^srlprot=dcm/.test(w.message)));
  t.ok(codes(plan).includes('report-input bravo'), 'hastatus: EXITED, frozen system');
  t.ok(codes(plan).includes('report-input ledger_rep@bravo'), 'hastatus: faulted group');
  t.notOk(plan.warnings.some((w) => /comes only from the VVR reports/.test(w.message)), 'report hosts alpha-rep/bravo-rep match systems alpha/bravo');
});

t.test('one cluster: promotable clone with the agent\'s operations, application group promoted with it, ClusterService left out', async (t) => {
  const plan = planFor('one-cluster/main.cf', ONE_CLUSTER_REPORTS);
  const s = site(plan);
  const clone = s.pcmk.clones.find((c) => c.id === 'tandem-ledger_rvg-clone')!;
  t.match(Object.fromEntries(clone.meta), { promotable: 'true', 'promoted-max': '1', 'clone-max': '2', notify: 'true' });
  const replica = s.pcmk.primitives.find((p) => p.id === 'tandem-ledger_rvg')!;
  t.match(replica.agent, { class: 'ocf', provider: 'tandem', type: 'replica' });
  t.same(replica.params, [['resource', 'ledger_rvg'], ['auto_takeover', 'true'], ['auto_resync', 'false']]);
  t.same(replica.ops.filter((o) => ['start', 'stop', 'promote', 'demote'].includes(o.name)).map((o) => `${o.name}/${o.timeoutSec}`), ['start/90', 'stop/100', 'promote/90', 'demote/90'], 'not Pacemaker\'s 20 s default');
  t.same(s.pcmk.groups.map((g) => [g.id, g.members]), [['ledger_app', ['ledger_mnt', 'ledger_svc', 'ledger_svcip']]], 'RVGPrimary leaves the chain, the rest keeps dependency order');
  t.same(constraintsOf(s, 'colocation'), [{ kind: 'colocation', id: 'ledger_app-with-tandem-ledger_rvg-clone-promoted', rsc: 'ledger_app', withRsc: 'tandem-ledger_rvg-clone', withRole: 'Promoted', score: 'INFINITY' }]);
  t.same(constraintsOf(s, 'order'), [{ kind: 'order', id: 'tandem-ledger_rvg-clone-promote-then-ledger_app', first: 'tandem-ledger_rvg-clone', firstAction: 'promote', then: 'ledger_app', thenAction: 'start', orderKind: 'Mandatory' }]);
  t.same(constraintsOf(s, 'location').map((c) => `${c.rsc}@${c.node}=${c.score}`), ['tandem-ledger_rvg-clone@alpha=200', 'tandem-ledger_rvg-clone@bravo=100', 'ledger_app@alpha=200', 'ledger_app@bravo=100']);
  t.same(s.pcmk.rscDefaults, [['resource-stickiness', '1000']], 'stickiness outweighs the 100-point preference: no failback');
  t.notOk(s.pcmk.primitives.some((p) => ['webip', 'csgnic', 'ntfr'].includes(p.id)), 'ClusterService not migrated (no global cluster)');
  const mnt = s.pcmk.primitives.find((p) => p.id === 'ledger_mnt')!;
  t.same(mnt.params, [['device', '/dev/tandem/ledger_rvg/0'], ['directory', '/srv/ledger'], ['fstype', 'xfs'], ['options', 'rw,noatime']]);
  t.match(s.pcmk.primitives.find((p) => p.id === 'ledger_svc'), { agent: { class: 'systemd', type: 'ledger_svc' } });
  t.same(s.pcmk.primitives.find((p) => p.id === 'ledger_svcip')!.params, [['ip', '10.20.0.60'], ['cidr_netmask', '24'], ['nic', 'eth0']]);
  t.same(s.pcmk.properties, [['stonith-enabled', 'true']]);
  t.same(s.promotedWith, { ledger_app: 'tandem-ledger_rvg-clone' });
  t.ok(plan.mappings.some((m) => m.vcs === 'ledger_app: requires group ledger_rep online local hard' && /promotion constraints/.test(m.target)));
  t.notMatch(JSON.stringify(plan), /Xq3mLp0WzRt9Vb/, 'the encrypted VCS password is never copied');
});

t.test('without VVR reports: defaults and placeholders, each with a warning', async (t) => {
  const plan = planFor('one-cluster/main.cf');
  const r = plan.tandem[0];
  t.equal(r.protocol, 'A');
  t.equal(r.resyncRate, undefined);
  t.ok(codes(plan).includes('replication ledger_rvg alpha→bravo'), 'no RLINK facts: protocol A assumed, said so');
  t.same(r.nodes.map((n) => n.address), ['192.168.50.11:7789', '192.168.50.12:7789'], 'addresses still known from main.cf');
});

t.test('defect 3: without --printvol the volumes come from main.cf\'s Mounts and Volumes of the replicated disk group', async (t) => {
  const plan = planFor('one-cluster/main.cf');
  t.same(plan.tandem[0].volumes.map((v) => [v.index, v.vxvmVolume, v.disk]), [[0, 'ledger_data', '/dev/ledgerdg/ledger_data']]);
  t.ok(plan.warnings.some((w) => w.subject === 'ledger_rvg.volumes' && /volume names from main\.cf \(ledger_data/.test(w.message)), 'sizes unknown, said so');
  const mnt = site(plan).pcmk.primitives.find((p) => p.id === 'ledger_mnt')!;
  t.equal(mnt.params.find(([k]) => k === 'device')?.[1], '/dev/tandem/ledger_rvg/0', 'the Mount uses the replicated device, not /dev/vx/dsk/…');
  t.notOk(plan.warnings.some((w) => /replace it with the LVM logical volume/.test(w.message)), 'no advice that bypasses replication');
  // a volume of a disk group that holds no RVG is not replicated: the LVM volume is right, and said so
  const path = cf.write('plain-vx.cf', 'group g ( SystemList = { a = 0, b = 1 } )\nMount m ( MountPoint = "/srv" BlockDevice = "/dev/vx/dsk/localdg/vol1" FSType = ext4 )\n');
  const plain = planFor(path);
  t.same(site(plain).pcmk.primitives.find((p) => p.id === 'm')!.params[0], ['device', '/dev/localdg/vol1']);
  t.match(plain.warnings.find((w) => w.subject === 'm.BlockDevice')?.message, /outside any RVG \(VVR did not replicate it\)/);
});

t.test('repstatus alone gives the mode and bandwidth', async (t) => {
  const r = planFor('one-cluster/main.cf', { repstatus: ['reports/repstatus.txt'] }).tandem[0];
  t.equal(r.protocol, 'C', 'Configured mode: synchronous');
  t.equal(r.resyncRate, '4882K', '40.00 Mbps = 5,000,000 bytes/s');
});

t.test('defect 2: vxfs becomes xfs on the Tandem device with a file copy; vxfs-only mount options are dropped, with a warning', async (t) => {
  const plan = planFor(GCO_MAIN, GCO_REPORTS);
  const s = site(plan, 'nyc_clu');
  const data = s.pcmk.primitives.find((p) => p.id === 'pay_data_mnt')!;
  t.same(data.params, [['device', '/dev/tandem/pay_rvg/0'], ['directory', '/u02/oradata'], ['fstype', 'xfs'], ['options', 'rw']]);
  t.match(plan.warnings.find((w) => w.subject === 'pay_data_mnt.MountOpt')?.message, /VxFS-only mount options largefiles,delaylog,mincache=direct,convosync=direct dropped/);
  t.same(plan.mounts.filter((m) => m.site === 'nyc_clu').map((m) => [m.mount, m.volume, m.oldFsType, m.newFsType, m.copy]), [['pay_data_mnt', 0, 'vxfs', 'xfs', 'files'], ['pay_arch_mnt', 1, 'vxfs', 'xfs', 'files']]);
  const keep = planFor(cf.write('ext4.cf', 'group rep ( SystemList = { a = 0, b = 1 } Parallel = 1 )\nRVG r ( RVG = rv DiskGroup = dg )\ngroup app ( SystemList = { a = 0, b = 1 } )\nRVGPrimary p ( RvgResourceName = r )\nMount m ( MountPoint = "/d" BlockDevice = "/dev/vx/dsk/dg/v0" FSType = ext4 MountOpt = "rw,noatime" )\nm requires p\n'));
  t.same(keep.mounts.map((m) => [m.newFsType, m.copy]), [['ext4', 'blocks']], 'a file system Linux has keeps its type: a block copy');
});

t.test('defect 5: AutoFailOver = 0 blocks on failure instead of failing over after one', async (t) => {
  const plan = planFor('corners/main.cf');
  const s = site(plan);
  const web = s.pcmk.groups.find((g) => g.id === 'web-sg')!;
  t.notOk(web.meta.some(([k]) => k === 'migration-threshold'), 'no migration-threshold=1');
  for (const id of web.members) {
    const ops = s.pcmk.primitives.find((p) => p.id === id)!.ops;
    t.same(ops.filter((o) => o.name === 'start' || o.name === 'monitor').map((o) => o.onFail), ['block', 'block'], `${id}: start and monitor on-fail=block`);
    t.equal(ops.find((o) => o.name === 'stop')?.onFail, undefined, 'stop keeps the default (fence)');
  }
  t.match(plan.warnings.find((w) => w.subject === 'web-sg.AutoFailOver')?.message, /on-fail=block.*Unlike VCS, Pacemaker still recovers the group elsewhere when its whole node is lost/);
});

t.test('defect 6: NICs become ethmonitor clones with location rules; a parallel NIC group is a clone; nothing is dropped with a false note', async (t) => {
  const plan = planFor('corners/main.cf');
  const s = site(plan);
  t.same(s.pcmk.primitives.filter((p) => p.agent.type === 'ethmonitor').map((p) => [p.id, p.params]), [['ethmonitor-ens3', [['interface', 'ens3']]]]);
  t.same(s.pcmk.clones.filter((c) => c.child === 'ethmonitor-ens3').map((c) => c.id), ['ethmonitor-ens3-clone'], 'the parallel NIC group net-sg becomes the clone');
  t.same(s.groupTargets['net-sg'], 'ethmonitor-ens3-clone');
  t.same(constraintsOf(s, 'location-rule'), [{ kind: 'location-rule', id: 'web-sg-needs-ethmonitor-ens3', rsc: 'web-sg', score: '-INFINITY', booleanOp: 'or', expressions: [{ attribute: 'ethmonitor-ens3', operation: 'not_defined' }, { attribute: 'ethmonitor-ens3', operation: 'ne', value: '1' }] }], 'web-sg (which proxied the NIC) stays off nodes whose link is down');
  t.notOk(JSON.stringify(plan).includes('IPaddr2 monitors the link'), 'the false note is gone');
  const g = planFor(GCO_MAIN, GCO_REPORTS);
  t.same(constraintsOf(site(g, 'nyc_clu'), 'location-rule').map((c) => `${c.rsc}:${c.expressions[0].attribute}`), ['booth-nyc_clu:ethmonitor-eth0', 'pay_rep:ethmonitor-eth1', 'pay_app:ethmonitor-eth0'],
    'the replication NIC guards the site storage group; the Proxy of ClusterService\'s NIC guards the application');
});

t.test('defect 9: a quoted value with a leading blank is trimmed (with a warning) before the VxVM path check', async (t) => {
  const path = cf.write('blank.cf', 'group rep ( SystemList = { a = 0, b = 1 } Parallel = 1 )\nRVG r ( RVG = rv DiskGroup = dg )\ngroup app ( SystemList = { a = 0, b = 1 } )\nRVGPrimary p ( RvgResourceName = r )\nMount m ( MountPoint = "/d" BlockDevice = " /dev/vx/dsk/dg/v0" FSType = ext4 )\nm requires p\n');
  const plan = planFor(path);
  t.same(plan.tandem[0].volumes.map((v) => v.vxvmVolume), ['v0'], 'the volume is found in main.cf');
  t.equal(site(plan).pcmk.primitives.find((p) => p.id === 'm')!.params[0][1], '/dev/tandem/rv/0', 'the device maps to the replicated volume');
  t.match(plan.warnings.find((w) => w.subject === 'm.BlockDevice')?.message, /has leading or trailing blanks; "\/dev\/vx\/dsk\/dg\/v0" is used/);
  t.same(site(planFor('corners/main.cf')).pcmk.primitives.find((p) => p.id === 'web_proc')!.params.find(([k]) => k === 'pidfile'), ['pidfile', '/run/httpd.pid']);
});

t.test('defect 10: every dependency edge that is not carried is named; a mount is never left without an order against the promotion', async (t) => {
  const path = cf.write('edges.cf', `group rep ( SystemList = { a = 0, b = 1 } Parallel = 1 )
RVG r ( RVG = rv DiskGroup = dg )
group app ( SystemList = { a = 0, b = 1 } )
RVGPrimary p ( RvgResourceName = r )
Mount m ( MountPoint = "/d" BlockDevice = "/dev/vx/dsk/dg/v0" FSType = ext4 )
Custom c ( X = 1 )
Process w ( PathName = "/bin/w" )
m requires p
w requires c
w requires m
group other ( SystemList = { a = 0, b = 1 } )
Mount m2 ( MountPoint = "/e" BlockDevice = "/dev/vx/dsk/dg/v1" FSType = ext4 )
`);
  const plan = planFor(path);
  const s = site(plan);
  t.match(plan.warnings.find((w) => w.subject === 'app: w requires c')?.message, /dependency dropped: c has no Pacemaker resource, so w is no longer ordered after c/);
  t.ok(plan.mappings.some((m) => m.vcs === 'app: m requires p' && /carried by promotion of tandem-rv-clone/.test(m.target)), 'the edge to RVGPrimary is carried by the promotion order, and said so');
  t.same(constraintsOf(s, 'order', (c) => c.then === 'other').map((c) => `${c.first}:${c.firstAction}`), ['tandem-rv-clone:promote'], 'group other mounts a replicated volume without RVGPrimary: ordered after the promotion');
  t.same(constraintsOf(s, 'colocation', (c) => c.rsc === 'other').map((c) => `${c.withRsc}:${c.withRole}`), ['tandem-rv-clone:Promoted']);
  t.ok(codes(plan).includes('approximate other'));
});

t.test('defect 12: fence_scsi only where VCS used SCSI-3 fencing and the nodes share disks; else one fence device per node', async (t) => {
  const rdc = site(planFor('one-cluster/main.cf', ONE_CLUSTER_REPORTS));
  t.same(rdc.pcmk.primitives.filter((p) => p.agent.class === 'stonith').map((p) => [p.id, p.agent.type, Object.fromEntries(p.params).pcmk_host_list]), [['fence-alpha', 'fence_ipmilan', 'alpha'], ['fence-bravo', 'fence_ipmilan', 'bravo']], 'UseFence = SCSI3 but each node has its own disks: no shared LUN to reserve');
  const none = planFor(cf.write('nofence.cf', 'cluster c ( )\nsystem a ( )\nsystem b ( )\ngroup g ( SystemList = { a = 0, b = 1 } )\nProcess p ( PathName = "/bin/p" )\n'));
  t.notOk(site(none).pcmk.primitives.some((p) => p.agent.type === 'fence_scsi'), 'no UseFence: fence_scsi is not proposed');
  t.match(none.warnings.find((w) => w.code === 'fencing')?.message, /VCS had no I\/O fencing configured/);
  const gco = site(planFor(GCO_MAIN, GCO_REPORTS), 'nyc_clu');
  t.same(gco.pcmk.primitives.filter((p) => p.agent.class === 'stonith').map((p) => [p.agent.type, Object.fromEntries(p.meta).provides]), [['fence_scsi', 'unfencing']], 'a site that shares its disks and used SCSI-3 fencing keeps SCSI-3 reservations');
});

t.test('defect 13: every RLINK is mapped on its own; protocol per link; bunker_target recognised', async (t) => {
  const path = cf.write('three.cf', 'cluster nyc ( )\nsystem n1 ( )\ngroup rep ( SystemList = { n1 = 0 } )\nRVG r ( RVG = rv DiskGroup = dg )\nIP rip ( Address = "10.0.0.1" )\n');
  const vx = cf.write('three-vx.txt', `Disk group: dg

Rlink:    rlk_bunker_rv
state:    synchronous=override latencyprot=off srlprot=autodcm
assoc:    rvg=rv
          remote_host=bunker-rep IP_addr=10.0.0.2 port=4145
          local_host=n1-rep IP_addr=10.0.0.1 port=4145
protocol: TCP/IP
flags:    write enabled attached consistent connected synchronous bunker_target

Rlink:    rlk_dr_rv
info:     latency_high_mark=10000 latency_low_mark=9950 bandwidth_limit=100m
state:    synchronous=fail latencyprot=override srlprot=override
assoc:    rvg=rv
          remote_host=dr-rep IP_addr=10.9.0.1 port=4145
          local_host=n1-rep IP_addr=10.0.0.1 port=4145
protocol: UDP/IP
flags:    write enabled attached consistent connected
`);
  const plan = planFor(path, { vxprint: [vx] });
  const r = plan.tandem[0];
  t.same(r.nodes.map((n) => [n.name, n.address, n.bunker ?? false]), [['n1', '10.0.0.1:7789', false], ['bunker-rep', '10.0.0.2:7789', true], ['dr-rep', '10.9.0.1:7789', false]]);
  t.same(r.connections.map((c) => [c.to, c.rlink, c.protocol, c.synchronous, c.srlprot, c.latencyprot, c.transport, c.bunker ?? false]), [
    ['bunker-rep', 'rlk_bunker_rv', 'C', 'override', 'autodcm', 'off', 'TCP/IP', true],
    ['dr-rep', 'rlk_dr_rv', 'C', 'fail', 'override', 'override', 'UDP/IP', false],
  ], 'each link keeps its own facts');
  const dr = 'rv n1→dr-rep (RLINK rlk_dr_rv)';
  for (const re of [/^synchronous=fail/, /^srlprot=override/, /^latencyprot=override \(high 10000, low 9950\)/, /UDP\/IP: Tandem replicates over TCP only/]) {
    t.ok(plan.warnings.some((w) => w.subject === dr && re.test(w.message)), `${re} named for ${dr}`);
  }
  t.ok(plan.warnings.some((w) => w.subject === 'rv n1→bunker-rep (RLINK rlk_bunker_rv)' && /was a bunker \(bunker_target\)/.test(w.message)));
  t.equal(r.resyncRate, '12207K', 'resync limited like the only limited link (100m)');
  t.same(r.seed?.peers, ['dr-rep'], 'the DR Secondary starts from its own copy (csums-alg); the bunker, which held only the SRL, does not');

  t.equal(r.protocol, 'C', 'both links synchronous: C for the resource');
  t.same(r.pairs, [], 'and no connection of its own');

  // a synchronous bunker and an asynchronous DR link: each link keeps its protocol, as its connection's
  const mixed = cf.write('mixed-vx.txt', readFileSync(vx, 'utf8').replace('synchronous=fail', 'synchronous=off'));
  const m = planFor(path, { vxprint: [mixed] });
  const rm = m.tandem[0];
  t.same(rm.connections.map((c) => c.protocol), ['C', 'A']);
  t.equal(rm.protocol, 'A', 'two of the three connections are asynchronous (n1 - dr-rep, and bunker-rep - dr-rep): A is the default');
  t.same(rm.pairs, [{ nodes: ['n1', 'bunker-rep'], protocol: 'C' }], 'the bunker link keeps C in a connection of its own');
  t.notOk(m.warnings.some((w) => w.subject === 'rv.protocol'), 'no warning that links were collapsed into one protocol');
  t.ok(rm.notes.some((n) => /protocol A, per connection as VVR's links: bunker-rep: C \(bunker\), dr-rep: A \(synchronous=off\); n1 - bunker-rep C in \[connection\] sections/.test(n)));
  const ini = emitIni(rm);
  t.match(ini, /\n; replaces RLINK rlk_bunker_rv \(bunker\)\n\[connection\.n1\.bunker-rep\]\nprotocol = C\n/);
  const loaded = loadConfig(configDir(t, { 'rv.ini': ini })).resources[0];
  t.same(effectiveConnections(loaded).map((c) => [c.nodes.join('-'), c.protocol]), [['n1-bunker-rep', 'C'], ['n1-dr-rep', 'A'], ['bunker-rep-dr-rep', 'A']], 'the INI loads with each connection\'s protocol');
  const report = emitReport(m, ['tandem/rv.ini']);
  t.match(report, /\| n1 → bunker-rep \(rlk_bunker_rv\) \| bunker, synchronous=override, srlprot=autodcm, latencyprot=off, TCP\/IP \| protocol C \(\[connection\.n1\.bunker-rep\]\), TCP \|/);
  t.match(report, /\| n1 → dr-rep \(rlk_dr_rv\) \| synchronous=off, srlprot=override, latencyprot=override, UDP\/IP, bandwidth 100m \| protocol A, TCP \| no SRL/);
  t.match(report, /Connections between Secondaries \(VVR had no link there; used once one of them is promoted; C only when both links from n1 are synchronous\): bunker-rep - dr-rep: protocol A\./);
});

t.test('Oracle, Netlsnr, Sybase and Db2udb map to ocf:heartbeat:oracle, oralsnr, sybaseASE and db2 where their attributes carry over', async (t) => {
  const path = cf.write('db.cf', `group ora ( SystemList = { a = 0, b = 1 } )
Oracle o ( Sid = PAY Owner = oracle Home = "/u01/app/oracle/19c" ShutDownOpt = IMMEDIATE AutoEndBkup = 1 Pfile = "/u01/init.ora" Pword = xyzENCRYPTED User = mon Table = t1 )
Netlsnr l ( Owner = oracle Home = "/u01/app/oracle/19c" TnsAdmin = "/u01/net" Listener = LISTENER_PAY LsnrPwd = abcENCRYPTED )
l requires o
group syb ( SystemList = { a = 0, b = 1 } )
Sybase s ( Server = PAYSRV Owner = sybase Home = "/opt/sybase" Version = 16.0 SA = sa SApswd = encENCRYPTED interfaces_File = "/opt/sybase/interfaces" )
group db2 ( SystemList = { a = 0, b = 1 } )
Db2udb d ( DB2InstOwner = db2inst1 DB2InstHome = "/db2home/db2inst1" DatabaseName = PAYDB IndepthMonitor = 1 )
`);
  const plan = planFor(path);
  const s = site(plan);
  const p = (id: string): [string, Record<string, string>] => { const x = s.pcmk.primitives.find((y) => y.id === id)!; return [x.agent.type, Object.fromEntries(x.params)]; };
  t.same(p('o'), ['oracle', { sid: 'PAY', home: '/u01/app/oracle/19c', user: 'oracle', shutdown_method: 'immediate', clear_backupmode: 'true' }]);
  t.same(p('l'), ['oralsnr', { sid: 'PAY', home: '/u01/app/oracle/19c', user: 'oracle', listener: 'LISTENER_PAY', tns_admin: '/u01/net' }], 'the listener takes the SID of the instance in its group');
  t.same(p('s'), ['sybaseASE', { server_name: 'PAYSRV', sybase_home: '/opt/sybase', sybase_user: 'sybase', db_user: 'sa', interfaces_file: '/opt/sybase/interfaces', sybase_ase: 'ASE-16_0' }]);
  t.same(p('d'), ['db2', { instance: 'db2inst1', dblist: 'PAYDB' }]);
  t.same(s.pcmk.primitives.find((x) => x.id === 'o')!.ops.map((o) => `${o.name}/${o.timeoutSec}`), ['start/120', 'stop/120', 'monitor/30'], 'the agent\'s advertised timeouts');
  for (const w of ['secret o.Pword', 'secret l.LsnrPwd', 'secret s.SApswd', 'placeholder s.db_passwd', 'approximate o.Pfile', 'approximate o.User', 'approximate d.IndepthMonitor', 'approximate s.Version']) t.ok(codes(plan).includes(w), `warning ${w}`);
  t.notMatch(JSON.stringify(site(plan).pcmk), /ENCRYPTED/, 'no encrypted password copied into the configuration');
});

t.test('two sites: one Tandem resource whose nodes are the sites, addresses that move with the disks, protocol from the DR link', async (t) => {
  const plan = planFor(GCO_MAIN, GCO_REPORTS);
  t.same(plan.sites.map((s) => [s.cluster, s.nodes]), [['nyc_clu', ['nyc1', 'nyc2']], ['lon_clu', ['lon1', 'lon2']]]);
  t.equal(plan.tandem.length, 1);
  const r = plan.tandem[0];
  t.match(r, { name: 'pay_rvg', protocol: 'A', primary: 'nyc_clu', quorum: 'off' });
  t.same(r.nodes.map((n) => [n.name, n.id, n.address, n.hosts, n.sharedStorage, n.site]), [
    ['nyc_clu', 0, '10.10.1.100:7789', ['nyc1', 'nyc2'], true, 'nyc_clu'],
    ['lon_clu', 1, '10.20.1.100:7789', ['lon1', 'lon2'], true, 'lon_clu'],
  ], 'each site is one node; its address is the replication IP (vxprint local_host) that VCS moved with the disk group');
  t.same(r.volumes.map((v) => [v.vxvmVolume, v.sizeBytes, v.meta]), [['pay_data', 419430400 * 512, 'block:/dev/paydg/pay_data_tmeta'], ['pay_arch', 104857600 * 512, 'block:/dev/paydg/pay_arch_tmeta']], 'metadata on the shared disks, so it moves with them');
  t.same(r.connections.map((c) => [c.to, c.protocol, c.synchronous, c.srlprot]), [['lon_clu', 'A', 'off', 'autodcm']]);
  for (const cluster of ['nyc_clu', 'lon_clu']) {
    const s = site(plan, cluster);
    const replica = s.pcmk.primitives.find((p) => p.id === 'tandem-pay_rvg')!;
    t.same(replica.params, [['resource', 'pay_rvg'], ['node', cluster], ['auto_takeover', 'true'], ['auto_resync', 'false']], `${cluster}: the agent acts as the site's node`);
    t.equal(Object.fromEntries(s.pcmk.clones.find((c) => c.id === 'tandem-pay_rvg-clone')!.meta)['clone-max'], '1', `${cluster}: one instance per site`);
    t.same(s.pcmk.groups.find((g) => g.id === 'pay_rep')?.members, ['pay_dg', 'pay_repip'], `${cluster}: volume group and replication address move together`);
    t.same(constraintsOf(s, 'colocation', (c) => c.rsc === 'tandem-pay_rvg-clone').map((c) => c.withRsc), ['pay_rep']);
    t.same(constraintsOf(s, 'ticket').map((c) => [c.ticket, c.rsc, c.role ?? '', c.lossPolicy]), [['ticket-pay-app', 'pay_app', '', 'stop'], ['ticket-pay-app', 'tandem-pay_rvg-clone', 'Promoted', 'demote']]);
    t.same(s.pcmk.groups.find((g) => g.id === `booth-${cluster}`)?.members, [`booth-${cluster}-ip`, `booth-${cluster}-service`], `${cluster}: booth site address and daemon`);
  }
  t.same(plan.booth, { sites: [{ cluster: 'nyc_clu', address: '10.10.0.50' }, { cluster: 'lon_clu', address: '10.20.0.50' }], arbitrator: '10.30.0.5', tickets: [{ name: 'ticket-pay-app', group: 'pay_app', policy: 'Manual' }] });
});

t.test('two sites with printrvg only: the replication host names are paired with the sites by name, and said so', async (t) => {
  const rvg = cf.write('gco-printrvg.txt', 'Replicated Data Set: pay_rvg\nPrimary:\n        HostName: lon-pay-rep    <localhost>\n        RvgName: pay_rvg\n        DgName: paydg\nSecondary:\n        HostName: nyc-pay-rep\n        RvgName: pay_rvg\n        DgName: paydg\n');
  const plan = planFor(GCO_MAIN, { printrvg: [rvg] });
  t.same(plan.tandem[0].nodes.map((n) => n.name), ['lon_clu', 'nyc_clu'], 'two nodes, not four; the Primary printrvg shows comes first');
  t.equal(plan.tandem[0].primary, 'lon_clu');
  t.same(plan.warnings.filter((w) => w.subject === 'pay_rvg.nodes').map((w) => w.message), [
    'the VVR reports name host lon-pay-rep, which is no system of the main.cf files: taken as lon_clu (lon1, lon2) by its name; check it',
    'the VVR reports name host nyc-pay-rep, which is no system of the main.cf files: taken as nyc_clu (nyc1, nyc2) by its name; check it',
  ]);
});

t.test('one site of a global cluster given alone: the DR site comes from the VVR reports, named after the remote cluster', async (t) => {
  const plan = planFor('gco/nyc/main.cf', { vxprint: ['gco/nyc/vxprint-Pl.txt'] });
  t.same(plan.tandem[0].nodes.map((n) => [n.name, n.address, n.site ?? null]), [['nyc_clu', '10.10.1.100:7789', 'nyc_clu'], ['lon_clu', '10.20.1.100:7789', null]]);
  t.match(plan.warnings.find((w) => w.subject === 'pay_rvg.node.lon_clu')?.message, /comes only from the VVR reports: its site's main\.cf was not given/);
  const alone = planFor('gco/nyc/main.cf');
  t.same(alone.tandem[0].nodes.map((n) => n.name), ['nyc_clu', 'dr-site']);
  t.ok(codes(alone).includes('placeholder pay_rvg.node.dr-site'), 'nothing names the Secondary: a placeholder node, said so');
});

t.test('corners: every dependency kind, GCO, Proxy, per-system values, unmappable constructs warned', async (t) => {
  const plan = planFor('corners/main.cf');
  const s = site(plan);
  t.same(s.pcmk.groups.map((g) => [g.id, g.members, g.meta]), [
    ['booth-east_clu', ['booth-east_clu-ip', 'booth-east_clu-service'], []],
    ['web-sg', ['SG-ip', 'web_proc', 'ora_db'], []],
    ['batch-sg', ['batch_job'], [['is-managed', 'false']]],
  ]);
  t.same(constraintsOf(s, 'colocation').map((c) => `${c.rsc}>${c.withRsc}=${c.score}`), ['web-sg>batch-sg=-INFINITY', 'batch-sg>web-sg=-INFINITY'], 'offline local and online remote are anti-affinity');
  t.same(constraintsOf(s, 'order').map((c) => `${c.first}>${c.then}:${c.orderKind}`), ['ethmonitor-ens3-clone>web-sg:Optional', 'web-sg>batch-sg:Mandatory']);
  t.same(constraintsOf(s, 'ticket'), [{ kind: 'ticket', id: 'tkt-web-sg', ticket: 'ticket-web-sg', rsc: 'web-sg', lossPolicy: 'stop' }]);
  t.same(plan.booth, { sites: [{ cluster: 'east_clu', address: '172.16.1.10' }, { cluster: 'west_clu', address: '172.17.1.10' }], tickets: [{ name: 'ticket-web-sg', group: 'web-sg', policy: 'Manual' }] });
  t.same(Object.fromEntries(s.pcmk.primitives.find((p) => p.id === 'web_proc')!.params), { binfile: '/usr/sbin/httpd', cmdline_options: '-k start -f /etc/httpd/conf/httpd.conf', pidfile: '/run/httpd.pid' });
  t.same(constraintsOf(s, 'location', (c) => c.rsc === 'batch-sg').map((c) => `${c.node}=${c.score}`), ['east-1=100', 'east-2=200']);
  for (const w of [
    'unknown-type ora_db', 'missing-include OracleTypes.cf', 'per-system ora_db.Sid', 'approximate web_proc.Critical', 'approximate web-sg.AutoFailOver',
    'approximate web-sg.FailOverPolicy', 'approximate batch-sg.Frozen', 'approximate web-sg: requires group net-sg online global soft',
    'global-cluster web-sg.ClusterFailOverPolicy', 'global-cluster web-sg.Authority', 'global-cluster booth', 'global-cluster booth.arbitrator',
    'not-mapped cluster east_clu.Administrators', 'not-mapped cluster east_clu.Guests',
  ]) t.ok(codes(plan).includes(w), `warning ${w}`);
  t.ok(plan.mappings.some((m) => m.vcs === 'web-sg needs shared_nic (Proxy)'), 'the Proxy of the NIC became the link rule');
});

t.test('DAG sorted into a chain, online local soft/firm, parallel groups, per-system values, CVR, AutoTakeover=0, atleast', async (t) => {
  const path = cf.write('dag.cf', `
system n1 ( Capacity = 100 )
group base ( SystemList = { n1 = 0, n2 = 1, n3 = 2 } Parallel = 1 )
Process agent ( PathName = "/bin/agent" )
group app ( SystemList = { n1 = 0, n2 = 1 } OnlineRetryLimit = 2 ManageFaults = NONE )
IP vip ( Address @n1 = "10.0.0.1" Address @n2 = "10.0.0.2" PrefixLen = 16 )
Process a ( PathName = "/bin/a" )
Process b ( PathName = "/bin/b" )
Process top ( PathName = "/bin/top" Bogus = 1 )
top requires atleast 1 from a, b
a requires vip
b requires vip
requires group base online local firm
group rep ( SystemList = { n1 = 0, n2 = 1 } Parallel = 1 )
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
  const s = site(plan);
  const app = s.pcmk.groups.find((g) => g.id === 'app')!;
  t.same(app.members, ['vip', 'a', 'b', 'top'], 'children before parents');
  t.same(app.meta, [['migration-threshold', '3']]);
  t.ok(plan.mappings.some((m) => m.vcsKind === 'resource DAG'), 'the added ordering is reported');
  t.same(s.pcmk.clones.find((c) => c.id === 'base-clone'), { id: 'base-clone', child: 'base', promotable: false, meta: [['clone-max', '3'], ['clone-node-max', '1']] });
  t.same(constraintsOf(s, 'colocation', (c) => c.rsc === 'app').map((c) => `${c.withRsc}=${c.score}`), ['base-clone=INFINITY']);
  t.same(constraintsOf(s, 'colocation', (c) => c.rsc === 'app2').map((c) => `${c.withRsc}:${c.withRole ?? ''}=${c.score}`), ['tandem-datarvg-clone:Promoted=INFINITY', 'app:=500']);
  t.same(constraintsOf(s, 'order', (c) => c.then === 'app2').map((c) => `${c.first}:${c.firstAction}:${c.orderKind}`), ['tandem-datarvg-clone:promote:Mandatory', 'app:start:Optional']);
  t.same(s.pcmk.primitives.find((p) => p.id === 'tandem-datarvg')!.params, [['resource', 'datarvg'], ['auto_takeover', 'false'], ['auto_resync', 'true']]);
  t.equal(Object.fromEntries(s.pcmk.primitives.find((p) => p.id === 'vip')!.params).ip, '10.0.0.1');
  for (const w of ['per-system vip.Address', 'not-mapped top.Bogus', 'not-mapped app.ManageFaults', 'approximate app: requires group base online local firm', 'approximate app2: requires group app online local soft',
    'approximate app2: requires group rep online local soft', 'approximate p2.AutoTakeover', 'not-mapped p2.BunkerSyncTimeOut', 'not-mapped snap', 'not-mapped system n1.Capacity', 'not-mapped r.StorageRVG', 'not-mapped p2.BunkerSyncElapsedTime', 'placeholder datarvg.node.n1.address',
    'approximate app: top requires atleast 1']) {
    t.ok(codes(plan).includes(w), `warning ${w}`);
  }
});

t.test('defect 1: offline local without a rigidity maps to anti-affinity', async (t) => {
  const path = cf.write('offline.cf', 'group a ( SystemList = { n1 = 0, n2 = 1 } )\nProcess pa ( PathName = "/bin/a" )\nrequires group b offline local\ngroup b ( SystemList = { n1 = 1, n2 = 0 } )\nProcess pb ( PathName = "/bin/b" )\n');
  const plan = planFor(path);
  t.same(constraintsOf(site(plan), 'colocation').map((c) => `${c.rsc}>${c.withRsc}=${c.score}`), ['a>b=-INFINITY']);
  t.same(constraintsOf(site(plan), 'order'), [], 'no order: offline dependencies only keep the groups apart');
});

t.test('a dependency cycle is an error naming the line', async (t) => {
  const path = cf.write('cycle.cf', 'group g ( )\nProcess a ( PathName = x )\nProcess b ( PathName = y )\na requires b\nb requires a\n');
  t.throws(() => planFor(path), { code: 'TANDEM_E_PARSE', message: /cycle\.cf:4:1: resource dependencies of group g form a cycle: a requires b requires a/ });
});

t.test('main.cf fragment: a group alone, no cluster or system lines', async (t) => {
  const path = cf.write('fragment.cf', 'group SG ( SystemList = { verclus01 = 0, verclus02 = 1 } )\nIP SG-ip ( Device = eth0 Address = "192.168.9.150" NetMask = "255.255.255.0" )\n');
  const plan = planFor(path);
  t.equal(plan.sites[0].cluster, 'migrated');
  t.same(plan.sites[0].nodes, ['verclus01', 'verclus02']);
  t.same(plan.sites[0].pcmk.groups.map((g) => g.members), [['SG-ip']]);
});

t.test('report lines kept verbatim by the parsers become warnings', async (t) => {
  const path = cf.write('leftover.cf', 'group rep ( SystemList = { a = 0, b = 1 } )\nRVG r ( RVG = rv DiskGroup = dg )\n');
  const pv = cf.write('leftover-pv.txt', 'rv rv rv\nv d1 d1\nsz 2048 4096\nvs set1 set1\n');
  const rs = cf.write('leftover-rs.txt', 'Replicated Data Set: rv\nPrimary:\n  Host name: a\n  Note without colon\n');
  const plan = planFor(path, { printvol: [pv], repstatus: [rs] });
  t.ok(plan.warnings.some((x) => x.code === 'report-input' && x.message.includes('vs set1 set1')));
  t.ok(plan.warnings.some((x) => x.code === 'report-input' && x.message.includes('Note without colon')));
  t.ok(plan.warnings.some((x) => x.code === 'data-layer' && x.subject === 'rv/d1'), 'sizes that differ between sides are flagged');
  t.equal(plan.tandem[0].volumes[0].sizeBytes, 2048 * 512);
});

t.test('defect 11: reports that do not belong to the main.cf given are refused', async (t) => {
  const rs = cf.write('other-rs.txt', 'Replicated Data Set: other_rvg\nPrimary:\n  Host name: x\n');
  t.throws(() => planFor('one-cluster/main.cf', { repstatus: [rs] }), { code: 'TANDEM_E_USAGE', message: /other-rs\.txt: repstatus is about RVG other_rvg, which no main\.cf given has \(RVGs there: ledger_rvg\)/ });
  const pv = cf.write('other-pv.txt', 'Replicated Data Set: other_rvg\nv a a\n');
  t.throws(() => planFor('one-cluster/main.cf', { printvol: [pv] }), { message: /printvol is about RVG other_rvg/ });
  t.throws(() => planFor('one-cluster/main.cf', { hastatus: ['samples/D04-linbit-hastatus-sum-infoscale.txt'] }), { code: 'TANDEM_E_USAGE', message: /hastatus shows system\(s\) infoscale01, infoscale02, which no main\.cf given has/ });
  t.throws(() => planFor(['gco/nyc/main.cf', 'gco/nyc/main.cf']), { message: /two main\.cf files describe cluster nyc_clu/ });
  const vx = cf.write('other-vx.txt', 'Rlink: r1\nassoc: rvg=other_rvg\n');
  t.ok(codes(planFor('one-cluster/main.cf', { vxprint: [vx] })).some((c) => /other-vx\.txt: r1$/.test(c)), 'an RLINK of another RVG in the same disk group is left out with a note');
});
