// Malformed configurations: each names file, line, key, the bad value and what is allowed.
import t, { type Test } from 'tap';
import { loadConfig } from '../../src/config/load.js';
import { RESOURCE_KEYS as RESOURCE_KEY_SPECS } from '../../src/config/schema.js';
import { TandemError } from '../../src/lib/errors.js';
import { SIZE_SYNTAX } from '../../src/lib/units.js';
import { TWO_NODES, configDir, withAppended, withLine } from '../fixtures/config/ini.js';

const ADDRESS = 'IPv4:port, [IPv6]:port or hostname:port, port 1..65535';
const EXPORT = 'an absolute Unix socket path (at most 107 bytes) or tcp:<host>:<port>';
const META = 'pmem:<absolute path of a file or devdax> or block:<absolute path of a device or file>';
// the allowed keys as the schema declares them, in its order (the message lists them all)
const RESOURCE_KEYS = Object.keys(RESOURCE_KEY_SPECS).join(', ');

function loadError(dir: string): TandemError {
  try {
    loadConfig(dir);
  } catch (err) {
    if (err instanceof TandemError) return err;
    throw err;
  }
  throw new Error(`no error for ${dir}`);
}

/** Loads one file r0.ini and expects exactly these errors (F = the file's path). */
function expectErrors(t: Test, text: string, expected: (F: string) => string[]): void {
  const dir = configDir(t, { 'r0.ini': text });
  const err = loadError(dir);
  const want = expected(`${dir}/r0.ini`);
  t.equal(err.code, 'TANDEM_E_CONFIG');
  t.equal(err.exitCode, 3);
  t.same((err.details.errors as Array<{ message: string }>).map((e) => e.message), want);
  if (want.length === 1) t.equal(err.message, want[0]);
  else t.equal(err.message, `${want.length} configuration errors in ${dir}:\n${want.map((m) => `  ${m}`).join('\n')}`);
}

const CASES: Array<[string, string, (F: string) => string[]]> = [
  ['bad protocol', withLine(3, 'protocol = D'), (F) => [`${F}:3: key 'protocol' in [resource]: 'D' is not a replication protocol; allowed: A, B, C`]],
  ['enumeration value with a typo', withLine(5, 'fencing = resource_only'), (F) => [`${F}:5: key 'fencing' in [resource]: 'resource_only' is not a fencing policy (did you mean 'resource-only'?); allowed: dont-care, resource-only, resource-and-stonith`]],
  ['bad fencing', withLine(5, 'fencing = maybe'), (F) => [`${F}:5: key 'fencing' in [resource]: 'maybe' is not a fencing policy; allowed: dont-care, resource-only, resource-and-stonith`]],
  ['bad quorum word', withLine(6, 'quorum = most'), (F) => [`${F}:6: key 'quorum' in [resource]: 'most' is not a quorum setting; allowed: off, majority, all, or a number of nodes from 1 to 32`]],
  ['quorum above node count', withLine(6, 'quorum = 3'), (F) => [`${F}:6: key 'quorum' in [resource]: '3' is not reachable: the resource has 2 nodes; allowed: off, majority, all, or a number from 1 to 2`]],
  ['bad on-no-quorum', withLine(6, 'on-no-quorum = panic'), (F) => [`${F}:6: key 'on-no-quorum' in [resource]: 'panic' is not an on-no-quorum policy; allowed: io-error, suspend-io`]],
  ['discard-node names no node', withLine(6, 'after-sb-0pri = discard-node-charlie'), (F) => [`${F}:6: key 'after-sb-0pri' in [resource]: 'discard-node-charlie' is not a policy of this resource: no node 'charlie'; allowed: discard-node-<name> with a node of this resource: alpha, bravo`]],
  ['bad after-sb-0pri', withLine(6, 'after-sb-0pri = discard-node'), (F) => [`${F}:6: key 'after-sb-0pri' in [resource]: 'discard-node' is not a split-brain policy; allowed: disconnect, discard-younger-primary, discard-older-primary, discard-zero-changes, discard-least-changes, discard-node-<node name>`]],
  ['bad after-sb-1pri', withLine(6, 'after-sb-1pri = discard-primary'), (F) => [`${F}:6: key 'after-sb-1pri' in [resource]: 'discard-primary' is not a split-brain policy; allowed: disconnect, consensus, discard-secondary, call-pri-lost-after-sb, violently-as0p`]],
  ['csums-alg crc32c: too weak to call blocks equal', withLine(6, 'csums-alg = crc32c'), (F) => [`${F}:6: key 'csums-alg' in [resource]: 'crc32c' is too weak for csums-alg: equal crc32c values do not show two blocks are equal (crc32c suits data-integrity-alg, which only detects damage); allowed: none, sha256 (a strong digest: blocks with equal digests are taken as equal and not sent; crc32c is too weak for that)`]],
  ['csums-alg with a typo', withLine(6, 'csums-alg = SHA-256'), (F) => [`${F}:6: key 'csums-alg' in [resource]: 'SHA-256' is not a csums algorithm (did you mean 'sha256'?); allowed: none, sha256 (a strong digest: blocks with equal digests are taken as equal and not sent; crc32c is too weak for that)`]],
  ['bad after-sb-2pri', withLine(6, 'after-sb-2pri = discard-secondary'), (F) => [`${F}:6: key 'after-sb-2pri' in [resource]: 'discard-secondary' is not a split-brain policy; allowed: disconnect, call-pri-lost-after-sb, violently-as0p`]],
  ['al-extents out of range', withLine(6, 'al-extents = 3'), (F) => [`${F}:6: key 'al-extents' in [resource]: '3' is not within 7..65534; allowed: an integer from 7 to 65534`]],
  ['al-extents not a number', withLine(6, 'al-extents = many'), (F) => [`${F}:6: key 'al-extents' in [resource]: 'many' is not an integer; allowed: an integer from 7 to 65534`]],
  ['bad resync-rate', withLine(6, 'resync-rate = fast'), (F) => [`${F}:6: key 'resync-rate' in [resource]: 'fast' is not a rate; allowed: 0 (unlimited) or ${SIZE_SYNTAX}, optionally followed by /s`]],
  ['duration without unit', withLine(6, 'ping-timeout = 5'), (F) => [`${F}:6: key 'ping-timeout' in [resource]: '5' is not a duration with a unit; allowed: a duration with a unit (ms, s, m), from 100ms to 30000ms, e.g. 500ms or 10s`]],
  ['duration out of range', withLine(6, 'ping-interval = 5m'), (F) => [`${F}:6: key 'ping-interval' in [resource]: '5m' is not within 100ms..120000ms; allowed: a duration with a unit (ms, s, m), from 100ms to 120000ms, e.g. 500ms or 10s`]],
  ['bad resource name', withLine(2, 'name = r/0'), (F) => [`${F}:2: key 'name' in [resource]: 'r/0' is not a valid resource name; allowed: letters, digits, _ . - (at most 63 characters, not starting with . or -)`]],
  ['resource name too long', withLine(2, `name = ${'x'.repeat(64)}`), (F) => [`${F}:2: key 'name' in [resource]: '${'x'.repeat(64)}' is longer than 63 characters; allowed: letters, digits, _ . - (at most 63 characters, not starting with . or -)`]],
  ['missing name', withLine(2, ''), (F) => [`${F}:1: [resource] has no 'name'; allowed: letters, digits, _ . - (at most 63 characters, not starting with . or -)`]],
  ['volume key without volume.N. in a node section', withLine(17, 'id = 1\ndisk = /dev/sdb'), (F) => [`${F}:18: unknown key 'disk' in [node.bravo]; allowed: id, address, volume.0.disk, volume.0.meta, volume.0.export`]],
  ['a key named like an Object property', withLine(6, 'constructor = x'), (F) => [`${F}:6: unknown key 'constructor' in [resource]; allowed: ${RESOURCE_KEYS}`]],
  ['misspelt key', withLine(3, 'protocl = C'), (F) => [`${F}:3: unknown key 'protocl' in [resource]; did you mean 'protocol'? allowed: ${RESOURCE_KEYS}`]],
  ['misspelt section', withLine(7, '[volumes.0]'), (F) => [
    `${F}: no [volume.N] section; allowed: volumes [volume.0], [volume.1], … numbered from 0`,
    `${F}:7: unknown section [volumes.0]; did you mean 'volume.0'? allowed: [resource], [volume.N], [node.NAME], [connection.NAME.NAME]`]],
  ['bad volume number', withLine(7, '[volume.x]'), (F) => [
    `${F}: no [volume.N] section; allowed: volumes [volume.0], [volume.1], … numbered from 0`,
    `${F}:7: section [volume.x]: 'x' is not a volume number; allowed: 0..63`]],
  ['gap in volume numbers', withAppended('[volume.2]', 'disk = /dev/vg0/r0b', 'meta = pmem:/dev/dax0.0'), (F) => [`${F}:19: section [volume.2]: volume 2 follows volume 0; allowed: volumes numbered 0, 1, 2, … without gaps`]],
  ['relative disk path', withLine(8, 'disk = dev/vg0/r0'), (F) => [`${F}:8: key 'disk' in [volume.0]: 'dev/vg0/r0' is not an absolute path; allowed: an absolute path of a block device or file, or none (diskless)`]],
  ['meta without placement kind', withLine(9, 'meta = /dev/dax0.0'), (F) => [`${F}:9: key 'meta' in [volume.0]: '/dev/dax0.0' is not a metadata placement; allowed: ${META}`]],
  ['meta with relative path', withLine(9, 'meta = pmem:dax0.0'), (F) => [`${F}:9: key 'meta' in [volume.0]: 'pmem:dax0.0' is not a metadata placement: 'dax0.0' is not an absolute path; allowed: ${META}`]],
  ['tcp export without port', withLine(10, 'export = tcp:10.0.0.1'), (F) => [`${F}:10: key 'export' in [volume.0]: 'tcp:10.0.0.1' is not an NBD export: '10.0.0.1' is not an address with a port; allowed: ${EXPORT}`]],
  ['socket path too long', withLine(10, `export = /run/${'x'.repeat(110)}`), (F) => [`${F}:10: key 'export' in [volume.0]: '/run/${'x'.repeat(110)}' is not an NBD export: the socket path is longer than 107 bytes; allowed: ${EXPORT}`]],
  ['relative socket path', withLine(10, 'export = r0.sock'), (F) => [`${F}:10: key 'export' in [volume.0]: 'r0.sock' is not an NBD export; allowed: ${EXPORT}`]],
  ['size not a size', withLine(10, 'size = 1Q'), (F) => [`${F}:10: key 'size' in [volume.0]: '1Q' is not a size; allowed: ${SIZE_SYNTAX}; at least 4096 bytes and a multiple of 512`]],
  ['size not sector aligned', withLine(10, 'size = 10000'), (F) => [`${F}:10: key 'size' in [volume.0]: '10000' is not a multiple of 512 bytes; allowed: ${SIZE_SYNTAX}; at least 4096 bytes and a multiple of 512`]],
  ['size too small', withLine(10, 'size = 1K'), (F) => [`${F}:10: key 'size' in [volume.0]: '1K' is smaller than 4096 bytes; allowed: ${SIZE_SYNTAX}; at least 4096 bytes and a multiple of 512`]],
  ['node id out of range', withLine(13, 'id = 32'), (F) => [`${F}:13: key 'id' in [node.alpha]: '32' is not within 0..31; allowed: an integer from 0 to 31`]],
  ['duplicate node id', withLine(17, 'id = 0'), (F) => [`${F}:17: key 'id' in [node.bravo]: '0' is not unique: node 'alpha' has id 0; allowed: a node id from 0 to 31 that no other node of the resource uses`]],
  ['address without port', withLine(14, 'address = 10.0.0.1'), (F) => [`${F}:14: key 'address' in [node.alpha]: '10.0.0.1' is not an address with a port; allowed: ${ADDRESS}`]],
  ['bad IPv4 address', withLine(14, 'address = 10.0.0.300:7789'), (F) => [`${F}:14: key 'address' in [node.alpha]: '10.0.0.300:7789' is not an address: '10.0.0.300' is not an IPv4 address or host name; allowed: ${ADDRESS}`]],
  ['IPv6 without brackets', withLine(14, 'address = fe80::1:7789'), (F) => [`${F}:14: key 'address' in [node.alpha]: 'fe80::1:7789' is not an address: an IPv6 address needs brackets, [addr]:port; allowed: ${ADDRESS}`]],
  ['bad IPv6 address', withLine(14, 'address = [fe80::zz]:7789'), (F) => [`${F}:14: key 'address' in [node.alpha]: '[fe80::zz]:7789' is not an address: 'fe80::zz' is not an IPv6 address; allowed: ${ADDRESS}`]],
  ['port out of range', withLine(14, 'address = alpha.example.com:70000'), (F) => [`${F}:14: key 'address' in [node.alpha]: 'alpha.example.com:70000' is not an address: port 70000 is not within 1..65535; allowed: ${ADDRESS}`]],
  ['duplicate address', withLine(18, 'address = 10.0.0.1:7789'), (F) => [`${F}:18: key 'address' in [node.bravo]: '10.0.0.1:7789' is not unique: node 'alpha' listens on 10.0.0.1:7789; allowed: an address:port that no other node of the resource uses`]],
  ['missing address', withLine(18, ''), (F) => [`${F}:16: [node.bravo] has no 'address'; allowed: ${ADDRESS}`]],
  ['one node only', TWO_NODES.split('\n').slice(0, 15).join('\n'), (F) => [`${F}:1: resource 'r0' has 1 node; allowed: at least 2 [node.NAME] sections, or standalone = yes with exactly 1`]],
  ['standalone with two nodes', withLine(6, 'standalone = yes'), (F) => [`${F}:6: key 'standalone' in [resource]: 'yes' is not possible with 2 nodes; allowed: yes only with exactly one [node.NAME] section`]],
  ['bad boolean', withLine(6, 'standalone = maybe'), (F) => [`${F}:6: key 'standalone' in [resource]: 'maybe' is not a boolean; allowed: yes, no, true, false`]],
  ['key set twice', withLine(6, 'protocol = A'), (F) => [`${F}:6: key 'protocol' in [resource] is set twice (first on line 3); allowed: one value per key`]],
  ['section twice', withAppended('[node.alpha]', 'id = 5'), (F) => [`${F}:19: section [node.alpha] appears twice (first on line 12); allowed: each section once`]],
  ['key before any section', `protocol = C\n${TWO_NODES}`, (F) => [`${F}:1: key 'protocol' is outside any section; allowed: keys after a section header such as [resource]`]],
  ['line without =', withLine(6, 'protocol C'), (F) => [`${F}:6: 'protocol C' is not a setting; allowed: key = value`]],
  ['header with a trailing comment', withLine(7, '[volume.0]  # data'), (F) => [
    `${F}: no [volume.N] section; allowed: volumes [volume.0], [volume.1], … numbered from 0`,
    `${F}:7: '[volume.0]  # data' is not a section header; allowed: a header alone on its line, e.g. [resource], starting in column 1`]],
  ['override of an undefined volume', withAppended('volume.1.disk = /dev/x'), (F) => [`${F}:19: key 'volume.1.disk' in [node.bravo]: volume '1' has no [volume.1] section; allowed: volumes defined in this file: 0`]],
  ['override of a key that cannot be overridden', withAppended('volume.0.size = 1G'), (F) => [`${F}:19: unknown key 'volume.0.size' in [node.bravo]; allowed: id, address, volume.0.disk, volume.0.meta, volume.0.export`]],
  ['meta for a diskless node', withAppended('volume.0.disk = none', 'volume.0.meta = pmem:/dev/dax0.1'), (F) => [`${F}:20: key 'volume.0.meta' in [node.bravo]: a diskless volume (disk = none) has no metadata; allowed: remove the key, or give the volume a disk`]],
  ['no disk anywhere', withLine(8, ''), (F) => [
    `${F}:12: node 'alpha' has no disk for volume 0; allowed: disk in [volume.0] or volume.0.disk in [node.alpha] (a path, or none for diskless)`,
    `${F}:16: node 'bravo' has no disk for volume 0; allowed: disk in [volume.0] or volume.0.disk in [node.bravo] (a path, or none for diskless)`]],
  ['no metadata', withLine(9, ''), (F) => [
    `${F}:12: node 'alpha' has no metadata placement for volume 0 on /dev/vg0/r0; allowed: meta in [volume.0] or volume.0.meta in [node.alpha] (pmem:<path> or block:<path>)`,
    `${F}:16: node 'bravo' has no metadata placement for volume 0 on /dev/vg0/r0; allowed: meta in [volume.0] or volume.0.meta in [node.bravo] (pmem:<path> or block:<path>)`]],
  ['diskless everywhere', withLine(8, 'disk = none'), (F) => [`${F}:7: volume 0 is diskless on every node; allowed: at least one node with a disk for each volume`]],
  ['bad node name', withLine(16, '[node.a.b]'), (F) => [
    `${F}:16: section [node.a.b]: 'a.b' is not a node name; allowed: a host name: letters, digits, - and _ (at most 63 characters, starting with a letter or digit)`]],
  ['node names differing in case', withLine(16, '[node.ALPHA]'), (F) => [
    `${F}:16: section [node.ALPHA]: node 'ALPHA' is the same host name as [node.alpha] (line 12); allowed: unique node names (host names ignore case)`]],
  ['a TCP export without TLS', withLine(10, 'export = tcp:10.0.0.9:10809'), (F) => [
    `${F}:10: key 'export' in [volume.0]: 'tcp:10.0.0.9:10809' is an NBD export on TCP without TLS: anyone who reaches the port could read and write the volume; allowed: a Unix socket path; or tcp:<host>:<port> with export-tls-psk or tls-cert/tls-key/tls-ca in [resource], or with export-insecure = yes`]],
  ['a TCP export of one node, without TLS', withAppended('volume.0.export = tcp:10.0.0.2:10809'), (F) => [
    `${F}:19: key 'volume.0.export' in [node.bravo]: 'tcp:10.0.0.2:10809' is an NBD export on TCP without TLS: anyone who reaches the port could read and write the volume; allowed: a Unix socket path; or tcp:<host>:<port> with export-tls-psk or tls-cert/tls-key/tls-ca in [resource], or with export-insecure = yes`]],
  ['a certificate without its key and CA', withLine(6, 'tls-cert = /etc/tandem/alpha.crt'), (F) => [
    `${F}:6: key 'tls-cert' in [resource]: '/etc/tandem/alpha.crt' is set without tls-key and tls-ca; allowed: tls-cert, tls-key and tls-ca together (certificates), or none of them (TLS with a key derived from the secret)`]],
  ['an unknown transport security', withLine(6, 'transport-security = ssl'), (F) => [
    `${F}:6: key 'transport-security' in [resource]: 'ssl' is not a transport security; allowed: tls, integrity, none`]],
  ['a relative PSK file', withLine(6, 'export-tls-psk = r0.psk'), (F) => [
    `${F}:6: key 'export-tls-psk' in [resource]: 'r0.psk' is not an absolute path; allowed: an absolute path of a file, or nothing`]],
  ['no [resource] section', TWO_NODES.split('\n').slice(6).join('\n'), (F) => [`${F}: no [resource] section; allowed: one [resource] section with at least name = <resource name>`]],
];

for (const [name, text, expected] of CASES) {
  t.test(name, async (t) => expectErrors(t, text, expected));
}

t.test('a single error carries file, line, section, key, value and allowed in details', async (t) => {
  const dir = configDir(t, { 'r0.ini': withLine(3, 'protocol = D') });
  const err = loadError(dir);
  t.match(err.details, { file: `${dir}/r0.ini`, line: 3, section: 'resource', key: 'protocol', value: 'D', allowed: 'A, B, C' });
  t.equal(err.hint, "fix the line named above, then run 'tandem config check'");
});

t.test('every error of every file is reported, in file and line order', async (t) => {
  const dir = configDir(t, {
    'a.ini': withLine(13, 'id = 99'),
    'b.conf': withLine(2, 'name = r1').replace('protocol = C', 'protocol = Z'),
    'c.ini': withLine(2, 'name = r0'),
  });
  const err = loadError(dir);
  const errors = err.details.errors as Array<{ file: string; line: number; key: string; value: string }>;
  t.same(errors.map((e) => [e.file, e.line, e.key, e.value]), [
    [`${dir}/a.ini`, 13, 'id', '99'],
    [`${dir}/b.conf`, 3, 'protocol', 'Z'],
  ]);
  t.match(err.message, new RegExp(`^2 configuration errors in ${dir}:\n`));
});

t.test('resource names are unique across files', async (t) => {
  const dir = configDir(t, { 'r0.ini': TWO_NODES, 'r1.ini': TWO_NODES.replace(/r0/g, 'r1').replace('name = r1', 'name = r0').replace(/7789/g, '7790') });
  const err = loadError(dir);
  t.equal(err.message, `${dir}/r1.ini:2: key 'name' in [resource]: 'r0' is not unique: ${dir}/r0.ini:2 defines it too; allowed: a resource name no other file uses`);
});

t.test('a node listens on one address:port per resource', async (t) => {
  const dir = configDir(t, { 'r0.ini': TWO_NODES, 'r1.ini': TWO_NODES.replace(/r0/g, 'r1').replace('10.0.0.2:7789', '10.0.0.2:7790') });
  const err = loadError(dir);
  t.equal(err.message, `${dir}/r1.ini:14: key 'address' in [node.alpha]: '10.0.0.1:7789' is not free: resource 'r0' (${dir}/r0.ini:14) listens there on node alpha too; allowed: an address:port no other resource of node alpha uses`);
  t.equal(err.hint, 'give each resource its own port (DRBD convention: 7789, 7790, …)');
});

t.test('a node exports each socket or port once, across volumes and resources', async (t) => {
  const dir = configDir(t, {
    'r0.ini': withLine(6, 'export-insecure = yes', withAppended('volume.0.export = tcp:[::1]:10809')),
    'r1.ini': withLine(6, 'export-insecure = yes', TWO_NODES.replace(/r0/g, 'r1').replace(/7789/g, '7790').replace('/run/tandem/r1-0.nbd', '/run/tandem/r0-0.nbd') + 'volume.0.export = tcp:[::1]:10809\n'),
  });
  const errors = (loadError(dir).details.errors as Array<{ message: string }>).map((e) => e.message);
  t.same(errors, [
    `${dir}/r1.ini:10: key 'export' in [volume.0]: '/run/tandem/r0-0.nbd' is not free: resource 'r0' volume 0 (${dir}/r0.ini:10) is exported there on node alpha too; allowed: an NBD export no other volume of node alpha uses`,
    `${dir}/r1.ini:19: key 'volume.0.export' in [node.bravo]: 'tcp:[::1]:10809' is not free: resource 'r0' volume 0 (${dir}/r0.ini:19) is exported there on node bravo too; allowed: an NBD export no other volume of node bravo uses`,
  ]);
});

t.test('a file too large to be a resource file', async (t) => {
  const dir = configDir(t, { 'big.ini': `; ${'x'.repeat(1024 * 1024)}\n` });
  t.throws(() => loadConfig(dir), { code: 'TANDEM_E_CONFIG', message: `${dir}/big.ini: is 1048579 bytes; allowed: at most 1048576 bytes for a resource file` });
});

t.test('a missing directory is a configuration error that names it', async (t) => {
  const dir = `${configDir(t)}/nope`;
  t.throws(() => loadConfig(dir), { code: 'TANDEM_E_CONFIG', message: `configuration directory ${dir} does not exist` });
});
