import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { buildModel, parseFsSpec, parseIpSpec, render } from '../../src/cluster/pacemaker-config.js';
import { ACTIONS } from '../../src/ocf/metadata.js';
import { resourceConfig } from './fixture-config.js';
import { clusterCibText, promotedAfterSimulation, run, scratch } from './pcmk-tools.js';

const s = scratch('pcmk-config');
t.teardown(() => s.remove());

const stack = { fs: [parseFsSpec('0:/srv/data:ext4')], ip: parseIpSpec('192.0.2.10/24') };

t.test('model: promotable clone over the diskful nodes, notify, the operations of the agent\'s meta-data', async (t) => {
  const m = buildModel(resourceConfig('r0', ['alpha', 'bravo', 'charlie'], ['charlie']));
  t.same(m.config.clones.map((c) => [c.id, c.child, c.promotable]), [['tandem-r0-clone', 'tandem-r0', true]]);
  t.same(Object.fromEntries(m.config.clones[0].meta), { promotable: 'true', 'promoted-max': '1', 'promoted-node-max': '1', 'clone-max': '2', 'clone-node-max': '1', notify: 'true' });
  const ops = m.config.primitives[0].ops;
  const scheduled = ACTIONS.filter((a) => a.name !== 'meta-data' && a.name !== 'validate-all');
  t.same(ops.map((o) => [o.name, o.intervalSec, o.timeoutSec, o.role]), scheduled.map((a) => [a.name, a.intervalSec ?? 0, a.timeoutSec, a.role]));
  const monitors = ops.filter((o) => o.name === 'monitor');
  t.same(monitors.map((o) => o.role).sort(), ['Promoted', 'Unpromoted']);
  t.not(monitors[0].intervalSec, monitors[1].intervalSec);
  t.equal(m.services, null);
});

t.test('file systems sit on the volumes\' block devices, in a group ordered after the promotion', async (t) => {
  const m = buildModel(resourceConfig('r0', ['alpha', 'bravo']), stack);
  t.equal(m.services, 'tandem-r0-services');
  t.same(m.config.groups, [{ id: 'tandem-r0-services', members: ['tandem-r0-fs0', 'tandem-r0-ip'], meta: [] }]);
  t.same(m.config.primitives.find((p) => p.id === 'tandem-r0-fs0')?.params, [['device', '/dev/tandem/r0/0'], ['directory', '/srv/data'], ['fstype', 'ext4']]);
  t.same(m.config.constraints.map((c) => c.kind), ['colocation', 'order']);
  t.throws(() => buildModel(resourceConfig('r0', ['alpha', 'bravo']), { fs: [parseFsSpec('1:/srv/x:xfs')] }), { code: 'TANDEM_E_USAGE', message: /names volume 1/ });
});

t.test('bad --with-fs / --with-ip are usage errors that say what is allowed', async (t) => {
  t.same(parseFsSpec('/srv/data:xfs'), { volume: 0, directory: '/srv/data', fstype: 'xfs' }, 'volume 0 when left out');
  t.throws(() => parseFsSpec('/dev/nbd0:/srv:ext4'), { code: 'TANDEM_E_USAGE', message: /names a device/ });
  t.throws(() => parseFsSpec('0:/srv'), { code: 'TANDEM_E_USAGE', message: /\[VOL:\]MOUNT:FSTYPE/ });
  t.throws(() => parseFsSpec('x:/srv:ext4'), { code: 'TANDEM_E_USAGE' });
  t.throws(() => parseIpSpec('192.0.2.300/24'), { code: 'TANDEM_E_USAGE', message: /IPv4/ });
  t.throws(() => parseIpSpec('192.0.2.1'), { code: 'TANDEM_E_USAGE' });
  t.throws(() => buildModel(resourceConfig('r9', ['a', 'b'], ['a', 'b'])), { code: 'TANDEM_E_CONFIG', message: /no node with a disk/ });
});

/** The documented way to apply the CIB output: merge its two sections into the cluster's CIB. */
async function mergeInto(base: string, generated: string): Promise<void> {
  for (const section of ['resources', 'constraints']) {
    const fragment = await run('xmllint', ['--xpath', `/cib/configuration/${section}`, generated]);
    const merged = await run('cibadmin', ['--modify', '--allow-create', '-o', section, '-X', String(fragment.stdout)], { ...s.env, CIB_file: base });
    if (merged.exitCode !== 0) throw new Error(`cibadmin: ${merged.stderr}`);
  }
}

async function clusterCib(name: string): Promise<string> {
  const file = s.file(name);
  writeFileSync(file, String((await run('cibadmin', ['--empty'])).stdout));
  // a cluster that holds data has STONITH; crm_verify rightly refuses a CIB without it
  const fence = await run('cibadmin', ['--create', '-o', 'resources', '-X', '<primitive id="fence-all" class="stonith" type="fence_dummy"/>'], { ...s.env, CIB_file: file });
  if (fence.exitCode !== 0) throw new Error(fence.stderr as string);
  return file;
}

for (const withStack of [false, true]) {
  t.test(`CIB passes crm_verify once merged into a cluster CIB (${withStack ? 'with' : 'without'} Filesystem + IPaddr2)`, async (t) => {
    const m = buildModel(resourceConfig('r0', ['alpha', 'bravo']), withStack ? stack : {});
    const generated = s.file(`gen-${withStack}.xml`);
    writeFileSync(generated, render(m, 'cib'));
    const base = await clusterCib(`cluster-${withStack}.xml`);
    await mergeInto(base, generated);
    await mergeInto(base, generated); // applying twice changes nothing
    const v = await run('crm_verify', ['-V', '-x', base], s.env);
    t.equal(v.exitCode, 0, `crm_verify: ${v.stderr}`);
    const text = readFileSync(base, 'utf8');
    t.equal(text.split('id="tandem-r0-clone"').length - 1, 1, 'one clone after two merges');
    t.equal(text.includes('tandem-r0-services-with-tandem-r0-clone-promoted'), withStack);
  });
}

t.test('crm_simulate on the generated CIB promotes the best-scored node and starts the stack there', async (t) => {
  const m = buildModel(resourceConfig('r0', ['alpha', 'bravo']), stack);
  const file = s.file('sim.xml');
  writeFileSync(file, clusterCibText(render(m, 'cib'), { alpha: 10000, bravo: 1000 }, 'master-tandem-r0'));
  const sim = await run('crm_simulate', ['-x', file, '-S'], s.env);
  t.equal(sim.exitCode, 0, String(sim.stderr));
  t.match(sim.stdout, /Promote\s+tandem-r0:\d\s+\(\s*Stopped -> Promoted alpha\s*\)/);
  t.match(sim.stdout, /Start\s+tandem-r0-fs0\s+\(\s*alpha\s*\)/);
  t.match(sim.stdout, /Start\s+tandem-r0-ip\s+\(\s*alpha\s*\)/);
  t.notMatch(sim.stdout, /blocked/);
  t.same(await promotedAfterSimulation(file, s.env), ['alpha']);
});
