// renderResourceIni writes INI that loads back into the same configuration.
import t, { type Test } from 'tap';
import { writeFileSync } from 'node:fs';
import { loadConfig } from '../../src/config/load.js';
import type { ResourceConfig } from '../../src/config/model.js';
import { renderResourceIni } from '../../src/config/render.js';
import { TWO_NODES, configDir, withAppended, withLine } from '../fixtures/config/ini.js';

const withoutSource = ({ file: _file, origins: _origins, ...rest }: ResourceConfig) => rest;

function roundTrip(t: Test, text: string): { first: ResourceConfig; again: ResourceConfig; rendered: string } {
  const first = loadConfig(configDir(t, { 'r.ini': text })).resources[0];
  const rendered = renderResourceIni(first);
  const again = loadConfig(configDir(t, { 'r.ini': rendered })).resources[0];
  return { first, again, rendered };
}

t.test('the base two-node resource: defaults are left out', async (t) => {
  const { first, again, rendered } = roundTrip(t, TWO_NODES);
  t.same(withoutSource(again), withoutSource(first));
  t.equal(rendered, [
    '[resource]', 'name = r0', 'secret = correct-horse-battery', 'fencing = resource-only', '',
    '[volume.0]', 'disk = /dev/vg0/r0', 'meta = pmem:/dev/dax0.0', 'export = /run/tandem/r0-0.nbd', '',
    '[node.alpha]', 'id = 0', 'address = 10.0.0.1:7789', '',
    '[node.bravo]', 'id = 1', 'address = 10.0.0.2:7789', '',
  ].join('\n'));
});

t.test('every non-default setting, overrides, a diskless node, TCP and IPv6 survive', async (t) => {
  const text = withLine(6, [
    'protocol = A', 'quorum = 2', 'on-no-quorum = io-error', 'after-sb-0pri = discard-node-bravo', 'after-sb-1pri = consensus',
    'after-sb-2pri = call-pri-lost-after-sb', 'al-extents = 4000', 'resync-rate = 40M', 'ping-interval = 1500ms', 'ping-timeout = 1s',
    'transport-security = integrity', 'previous-secret = old-secret-1', 'data-integrity-alg = crc32c', 'csums-alg = sha256', 'tls-cert = /etc/tandem/n.crt',
    'tls-key = /etc/tandem/n.key', 'tls-ca = /etc/tandem/ca.crt', 'export-tls-psk = /etc/tandem/r0.psk', 'export-insecure = yes',
  ].join('\n'), TWO_NODES.replace('secret = correct-horse-battery', 'secret = " a;b#c=d "').replace('protocol = C', '').replace('export = /run/tandem/r0-0.nbd', 'export = tcp:[::1]:10809\nsize = 8GiB'))
    .replace('address = 10.0.0.2:7789', 'address = [fd00::2]:7789\nvolume.0.disk = none') + '[node.charlie]\nid = 5\naddress = charlie:7789\nvolume.0.meta = block:/dev/sdc1\nvolume.0.export = /run/c.nbd\n';
  const { first, again, rendered } = roundTrip(t, text);
  t.same(withoutSource(again), withoutSource(first));
  t.equal(again.secret, ' a;b#c=d ');
  t.equal(again.nodes[1].volumes[0].disk, null);
  t.match(rendered, /\nresync-rate = 40MiB\/s\n/);
  t.match(rendered, /\ncsums-alg = sha256\n/);
  t.match(rendered, /\[volume\.0\]\nsize = 8GiB\n/);
  t.match(rendered, /\[node\.bravo\]\nid = 1\naddress = "\[fd00::2\]:7789"\nvolume\.0\.disk = none\nvolume\.0\.export = tcp:\[::1\]:10809\n/, 'no meta for the diskless node');
  t.match(rendered, /\[node\.charlie\]\nid = 5\naddress = charlie:7789\nvolume\.0\.disk = \/dev\/vg0\/r0\nvolume\.0\.meta = block:\/dev\/sdc1\nvolume\.0\.export = \/run\/c\.nbd\n/);
});

t.test('a rendered file passes the loader next to others', async (t) => {
  const dir = configDir(t, { 'r0.ini': withAppended('volume.0.disk = /dev/vg1/r0') });
  const r0 = loadConfig(dir).resources[0];
  const nodes = r0.nodes.map((n) => ({ ...n, address: { ...n.address, port: 7800 }, volumes: n.volumes.map((v) => ({ ...v, disk: `${v.disk}-r1`, export: null })) }));
  writeFileSync(`${dir}/r1.ini`, renderResourceIni({ ...r0, name: 'r1', nodes }));
  t.same(loadConfig(dir).resources.map((r) => r.name), ['r0', 'r1']);
});
