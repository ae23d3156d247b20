// Valid configurations load into the typed model with every value and its origin.
import t from 'tap';
import { findResource, loadConfig, loadResource } from '../../src/config/load.js';
import type { ResourceConfig } from '../../src/config/model.js';
import { GiB, MiB } from '../../src/lib/units.js';
import { TWO_NODES, configDir, withAppended, withLine } from '../fixtures/config/ini.js';

const THREE_NODES = `
; three nodes: two with disks, one diskless tiebreaker; IPv6, host names, TCP export
[resource]
name = db.prod-1
protocol = B
secret = "s3cret;with#hash"
fencing = resource-and-stonith
quorum = majority
on-no-quorum = io-error
after-sb-0pri = discard-zero-changes
after-sb-1pri = discard-secondary
al-extents = 6433
resync-rate = 100MiB/s
ping-interval = 2s
ping-timeout = 300ms
export-tls-psk = /etc/tandem/db.psk

[volume.0]
disk = /dev/vg0/db0
meta = block:/dev/vg0/db0-md
size = 1GiB

[volume.1]
disk = /dev/vg0/db1
meta = pmem:/dev/dax0.0
export = tcp:127.0.0.1:10809

[node.alpha]
id = 0
address = [fd00::1]:7789
volume.0.export = /run/tandem/db-0.nbd

[node.bravo]
id = 7
address = bravo.example.com:7790
volume.0.disk = /dev/vg1/db0
volume.0.meta = pmem:/dev/dax1.0
volume.1.export = tcp:[::1]:10810

[node.charlie]
id = 31
address = 192.168.1.3:7789
volume.0.disk = none
volume.1.disk = none
`;

t.test('the two-node sketch loads with every value typed', async (t) => {
  const dir = configDir(t, { 'r0.ini': withAppended('volume.0.disk = /dev/vg1/r0') });
  const config = loadConfig(dir, { node: 'alpha' });
  t.same(config.files, [`${dir}/r0.ini`]);
  t.equal(config.localNode, 'alpha');
  t.same(config.warnings, []);
  const [r] = config.resources;
  t.match(r, {
    name: 'r0', file: `${dir}/r0.ini`, protocol: 'C', secret: 'correct-horse-battery', fencing: 'resource-only', quorum: 'off',
    onNoQuorum: 'suspend-io', onIoError: 'detach', afterSb0pri: 'disconnect', afterSb1pri: 'disconnect', afterSb2pri: 'disconnect', alExtents: 1237,
    resyncRate: 0, pingIntervalMs: 10_000, pingTimeoutMs: 500, standalone: false, discardNode: null, frontend: 'auto',
  });
  t.same(r.nodes, [
    { name: 'alpha', id: 0, address: { host: '10.0.0.1', port: 7789 }, volumes: [{ index: 0, disk: '/dev/vg0/r0', meta: { kind: 'pmem', path: '/dev/dax0.0' }, export: { kind: 'unix', path: '/run/tandem/r0-0.nbd' }, size: null }] },
    { name: 'bravo', id: 1, address: { host: '10.0.0.2', port: 7789 }, volumes: [{ index: 0, disk: '/dev/vg1/r0', meta: { kind: 'pmem', path: '/dev/dax0.0' }, export: { kind: 'unix', path: '/run/tandem/r0-0.nbd' }, size: null }] },
  ]);
});

t.test('origins say default, file:line or node override for every effective value', async (t) => {
  const dir = configDir(t, { 'r0.ini': withAppended('volume.0.disk = /dev/vg1/r0') });
  const r = loadConfig(dir).resources[0];
  const file = `${dir}/r0.ini`;
  t.same(r.origins['resource.protocol'], { source: 'file', file, line: 3 });
  t.same(r.origins['resource.quorum'], { source: 'default' });
  t.same(r.origins['volume.0.meta'], { source: 'file', file, line: 9 });
  t.same(r.origins['node.alpha.id'], { source: 'file', file, line: 13 });
  t.same(r.origins['node.alpha.volume.0.disk'], { source: 'file', file, line: 8 });
  t.same(r.origins['node.bravo.volume.0.disk'], { source: 'node-override', file, line: 19 });
  t.same(r.origins['node.bravo.volume.0.meta'], { source: 'file', file, line: 9 });
  t.notOk('node.bravo.volume.0.size' in r.origins, 'no origin for a value nobody set');
});

t.test('three nodes with a diskless tiebreaker, IPv6, host names, TCP exports and per-node overrides', async (t) => {
  const dir = configDir(t, { 'db.conf': THREE_NODES });
  const r = loadConfig(dir).resources[0];
  t.match(r, {
    name: 'db.prod-1', protocol: 'B', secret: 's3cret;with#hash', fencing: 'resource-and-stonith', quorum: 'majority', onNoQuorum: 'io-error', onIoError: 'detach',
    afterSb0pri: 'discard-zero-changes', afterSb1pri: 'discard-secondary', afterSb2pri: 'disconnect', alExtents: 6433,
    resyncRate: 100 * MiB, pingIntervalMs: 2000, pingTimeoutMs: 300,
  });
  const [alpha, bravo, charlie] = r.nodes;
  t.same(alpha.address, { host: 'fd00::1', port: 7789 });
  t.same(alpha.volumes, [
    { index: 0, disk: '/dev/vg0/db0', meta: { kind: 'block', path: '/dev/vg0/db0-md' }, export: { kind: 'unix', path: '/run/tandem/db-0.nbd' }, size: GiB },
    { index: 1, disk: '/dev/vg0/db1', meta: { kind: 'pmem', path: '/dev/dax0.0' }, export: { kind: 'tcp', host: '127.0.0.1', port: 10809 }, size: null },
  ]);
  t.same([bravo.id, bravo.address], [7, { host: 'bravo.example.com', port: 7790 }]);
  t.same(bravo.volumes, [
    { index: 0, disk: '/dev/vg1/db0', meta: { kind: 'pmem', path: '/dev/dax1.0' }, export: null, size: GiB },
    { index: 1, disk: '/dev/vg0/db1', meta: { kind: 'pmem', path: '/dev/dax0.0' }, export: { kind: 'tcp', host: '::1', port: 10810 }, size: null },
  ]);
  t.same(charlie.volumes, [
    { index: 0, disk: null, meta: null, export: null, size: GiB },
    { index: 1, disk: null, meta: null, export: { kind: 'tcp', host: '127.0.0.1', port: 10809 }, size: null },
  ], 'diskless: no metadata even where [volume.N] has meta');
  t.equal(charlie.id, 31);
  t.notOk('node.charlie.volume.0.meta' in r.origins);
  t.same(r.origins['node.bravo.volume.1.export'], { source: 'node-override', file: `${dir}/db.conf`, line: 38 });
  t.same(loadConfig(dir).warnings.map((w) => w.code), ['TANDEM_W_AFTER_SB_MANUAL', 'TANDEM_W_ASYNC_FENCING'],
    'protocol B with STONITH is the one unsafe choice here; the after-sb policies are not automatic yet');
});

t.test('a standalone resource has one node', async (t) => {
  const text = TWO_NODES.split('\n').slice(0, 15).join('\n').replace('fencing = resource-only', 'standalone = yes');
  const r = loadConfig(configDir(t, { 'r0.ini': text })).resources[0];
  t.equal(r.standalone, true);
  t.same(r.nodes.map((n) => n.name), ['alpha']);
});

t.test('after-sb-0pri = discard-node-<name> names the node whose data is discarded', async (t) => {
  const r = loadConfig(configDir(t, { 'r0.ini': withLine(6, 'after-sb-0pri = discard-node-bravo') })).resources[0];
  t.equal(r.afterSb0pri, 'discard-node');
  t.equal(r.discardNode, 'bravo');
});

t.test('INI syntax: CRLF, comments, spacing, quoting, values ini would turn into booleans', async (t) => {
  const text = [
    '# comment', '[resource]', '  name=r0   ; trailing comment', 'protocol   =   A', "secret = 'true'", '', '; another',
    '[volume.0]', 'disk = /srv/disk with spaces.img', 'meta = block:/srv/r0.md', '[node.alpha]', 'id = 0', 'address = 127.0.0.1:7000',
    '[node.bravo]', 'id = 1', 'address = localhost:7001', '',
  ].join('\r\n');
  const r = loadConfig(configDir(t, { 'r0.ini': text })).resources[0];
  t.equal(r.name, 'r0');
  t.equal(r.protocol, 'A');
  t.equal(r.secret, 'true');
  t.equal(r.nodes[0].volumes[0].disk, '/srv/disk with spaces.img');
  t.same(r.origins['resource.protocol'], { source: 'file', file: r.file, line: 4 });
  t.same(r.nodes[1].address, { host: 'localhost', port: 7001 });
});

t.test('a byte-order mark at the start of a file is ignored', async (t) => {
  t.equal(loadConfig(configDir(t, { 'r0.ini': `\uFEFF${TWO_NODES}` })).resources[0].name, 'r0');
});

t.test('every *.ini and *.conf is read in name order; other files are ignored', async (t) => {
  const other = (name: string, port: number) => TWO_NODES.replace(/r0/g, name).replace(/\/dev\/vg0/g, `/dev/${name}`).replace(/7789/g, String(port));
  const dir = configDir(t, {
    'b.conf': other('rb', 7790), 'a.ini': other('ra', 7791), 'r0.ini.bak': 'not ini at all [', '.hidden.ini': '[', 'README': 'x', 'old.ini/r9.ini': '[',
  });
  const config = loadConfig(dir);
  t.same(config.files, [`${dir}/a.ini`, `${dir}/b.conf`]);
  t.same(config.resources.map((r) => r.name), ['ra', 'rb']);
});

t.test('an empty directory has no resources', async (t) => {
  const config = loadConfig(configDir(t));
  t.same([config.resources, config.warnings], [[], []]);
});

t.test('a resource that does not name the local node is fine until it is asked for', async (t) => {
  const dir = configDir(t, { 'r0.ini': TWO_NODES });
  t.equal(loadConfig(dir, { node: 'zulu' }).resources.length, 1);
  t.throws(() => loadResource(dir, 'r0', { node: 'zulu' }), {
    code: 'TANDEM_E_CONFIG', message: `${dir}/r0.ini: resource 'r0' has no [node.zulu] section; its nodes: alpha, bravo`,
  });
  t.throws(() => loadResource(dir, 'r9'), { code: 'TANDEM_E_NOT_FOUND', message: `no resource 'r9' in ${dir}` });
  const r: ResourceConfig = loadResource(dir, 'r0', { node: 'bravo' });
  t.equal(r.name, 'r0');
  t.equal(findResource(loadConfig(dir), 'r0', 'alpha').file, `${dir}/r0.ini`);
  t.throws(() => findResource(loadConfig(dir), 'r0', 'zulu'), { code: 'TANDEM_E_CONFIG' });
});

t.test('an error in another file fails loadResource too: the directory is one configuration', async (t) => {
  const dir = configDir(t, { 'r0.ini': TWO_NODES, 'r1.ini': 'protocol = C\n' });
  t.throws(() => loadResource(dir, 'r0'), { code: 'TANDEM_E_CONFIG', message: `${dir}/r1.ini:1: key 'protocol' is outside any section; allowed: keys after a section header such as [resource]` });
});

t.test('the format the test clusters and the demo write loads (size per volume, disks per node)', async (t) => {
  const text = ['[resource]', 'name = s1', 'protocol = C', 'secret = test-secret-123', 'fencing = dont-care', 'resync-rate = 64M', '',
    '[volume.0]', 'size = 16777216', '',
    '[node.a]', 'id = 0', 'address = 127.0.0.1:40001', 'volume.0.disk = /tmp/s1-a-0.img', 'volume.0.meta = pmem:/tmp/s1-a-0.meta', 'volume.0.export = /tmp/s1-a-0.nbd', '',
    '[node.b]', 'id = 1', 'address = 127.0.0.1:40002', 'volume.0.disk = none', 'volume.0.export = /tmp/s1-b-0.nbd', ''].join('\n');
  const r = loadResource(configDir(t, { 's1.ini': text }), 's1', { node: 'a' });
  t.equal(r.resyncRate, 64 * MiB);
  t.same(r.nodes.map((n) => n.volumes[0]), [
    { index: 0, disk: '/tmp/s1-a-0.img', meta: { kind: 'pmem', path: '/tmp/s1-a-0.meta' }, export: { kind: 'unix', path: '/tmp/s1-a-0.nbd' }, size: 16 * MiB },
    { index: 0, disk: null, meta: null, export: { kind: 'unix', path: '/tmp/s1-b-0.nbd' }, size: 16 * MiB },
  ]);
});
