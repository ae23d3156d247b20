// `tandem pacemaker config` end to end: the real CLI on a real configuration directory; the pcs
// script run by pcs, the crm script loaded by crmsh and the CIB merged by cibadmin must give the
// same Pacemaker configuration, and crm_verify must accept each. The pcs script changes a cluster
// in one step, so no service ever runs on a node where the replica is not Promoted.
import t from 'tap';
import { writeFileSync, readFileSync } from 'node:fs';
import { parseStringPromise } from 'xml2js';
import { execa } from 'execa';
import { tandem, tandemJson } from '../../helpers/cli.js';
import { installAgent } from '../../helpers/ocf-agent.js';
import { run, scratch } from '../../cluster/pcmk-tools.js';
import { fileCluster, runsOffPromoted } from '../../cluster/pacemaker-model/file-cluster.js';
import { renderCib } from '../../../src/cluster/pacemaker-model/cib.js';
import { emptyConfig } from '../../../src/cluster/pacemaker-model/model.js';

const s = scratch('cli-pcmk');
const uninstall = installAgent();
t.teardown(() => { uninstall(); s.remove(); });

writeFileSync(s.file('r0.ini'), `[resource]
name = r0
secret = s3cret-value-1
fencing = resource-only

[volume.0]
size = 16MiB

[node.alpha]
id = 0
address = 127.0.0.1:7789
volume.0.disk = /srv/tandem/r0-a.img
volume.0.meta = pmem:/dev/shm/r0-a.meta

[node.bravo]
id = 1
address = 127.0.0.1:7790
volume.0.disk = /srv/tandem/r0-b.img
volume.0.meta = pmem:/dev/shm/r0-b.meta

[node.charlie]
id = 2
address = 127.0.0.1:7791
volume.0.disk = none
`);
const env = { TANDEM_CONFIG_DIR: s.dir };
const stackFlags = ['--with-fs', '0:/srv/data:ext4', '--with-ip', '192.0.2.10/24'];

/** A cluster CIB with a STONITH device, as any cluster holding data has. */
async function clusterCib(name: string): Promise<string> {
  const file = s.file(name);
  writeFileSync(file, String((await run('cibadmin', ['--empty'])).stdout));
  const r = await run('cibadmin', ['--create', '-o', 'resources', '-X', '<primitive id="fence-all" class="stonith" type="fence_dummy"/>'], { ...s.env, CIB_file: file });
  if (r.exitCode !== 0) throw new Error(String(r.stderr));
  return file;
}

/** A generated script; pcs takes a second or two per command and the machine may be loaded. */
const runScript = (file: string, e: Record<string, string>, ...args: string[]) => execa('sh', [file, ...args], { reject: false, env: e, timeout: 240_000 });

type Node = { $?: Record<string, string> } & Record<string, unknown>;
const kids = (n: Node, name: string): Node[] => (n[name] as Node[] | undefined) ?? [];

/** The configuration's meaning, without ids of nvpairs/ops, order of attributes, or the fence device. */
async function meaning(file: string): Promise<unknown> {
  const doc = await parseStringPromise(readFileSync(file, 'utf8'));
  const conf = doc.cib.configuration[0] as Node;
  const res = kids(conf, 'resources')[0] as Node;
  const primitive = (p: Node) => ({
    id: p.$!.id, agent: `${p.$!.class}:${p.$!.provider}:${p.$!.type}`,
    params: kids(kids(p, 'instance_attributes')[0] ?? {}, 'nvpair').map((n) => `${n.$!.name}=${n.$!.value}`).sort(),
    ops: kids(kids(p, 'operations')[0] ?? {}, 'op').map((o) => `${o.$!.name}/${parseInt(o.$!.interval, 10)}/${o.$!.role ?? ''}/${o.$!.timeout}`).sort(),
  });
  const cons = kids(conf, 'constraints')[0] as Node;
  return {
    clones: kids(res, 'clone').map((c) => ({
      id: c.$!.id, primitive: kids(c, 'primitive').map(primitive),
      meta: kids(kids(c, 'meta_attributes')[0], 'nvpair').map((n) => `${n.$!.name}=${n.$!.value}`).sort(),
    })),
    groups: kids(res, 'group').map((g) => ({ id: g.$!.id, members: kids(g, 'primitive').map(primitive) })),
    colocations: kids(cons, 'rsc_colocation').map((c) => ({ ...c.$, 'rsc-role': c.$!['rsc-role'] ?? 'Started' })),
    orders: kids(cons, 'rsc_order').map((o) => o.$),
  };
}

t.test('pcs, crm and cib outputs configure the same thing, and crm_verify accepts each', async (t) => {
  const pcs = await tandem(['pacemaker', 'config', 'r0', '--format', 'pcs', ...stackFlags], env);
  const crm = await tandem(['pacemaker', 'config', 'r0', '--format', 'crm', ...stackFlags], env);
  const cib = await tandem(['pacemaker', 'config', 'r0', '--format', 'cib', ...stackFlags], env);
  for (const r of [pcs, crm, cib]) t.equal(r.exitCode, 0, String(r.stderr));

  const viaPcs = await clusterCib('via-pcs.xml');
  writeFileSync(s.file('r0.pcs.sh'), String(pcs.stdout));
  const p = await runScript(s.file('r0.pcs.sh'), s.env, viaPcs);
  t.equal(p.exitCode, 0, `pcs script: ${p.stderr}`);

  const viaCrm = await clusterCib('via-crm.xml');
  writeFileSync(s.file('r0.crm'), String(crm.stdout));
  const c = await run('crm', ['configure', 'load', 'update', s.file('r0.crm')], { ...s.env, CIB_file: viaCrm });
  t.equal(c.exitCode, 0, `crm load: ${c.stderr}`);

  const viaCib = await clusterCib('via-cib.xml');
  writeFileSync(s.file('r0.cib.xml'), String(cib.stdout));
  for (const section of ['resources', 'constraints']) {
    const fragment = await run('xmllint', ['--xpath', `/cib/configuration/${section}`, s.file('r0.cib.xml')]);
    const m = await run('cibadmin', ['--modify', '--allow-create', '-o', section, '-X', String(fragment.stdout)], { ...s.env, CIB_file: viaCib });
    t.equal(m.exitCode, 0, `cibadmin ${section}: ${m.stderr}`);
  }

  for (const file of [viaPcs, viaCrm, viaCib]) {
    const v = await run('crm_verify', ['-V', '-x', file], s.env);
    t.equal(v.exitCode, 0, `crm_verify ${file}: ${v.stderr}`);
  }
  const expected = await meaning(viaCib);
  t.same(await meaning(viaPcs), expected, 'pcs result = CIB output');
  t.same(await meaning(viaCrm), expected, 'crm result = CIB output');
  t.match(expected, { clones: [{ id: 'tandem-r0-clone', meta: ['clone-max=2', 'clone-node-max=1', 'notify=true', 'promotable=true', 'promoted-max=1', 'promoted-node-max=1'] }] },
    'clone-max counts the two diskful nodes, not the diskless one');
  t.match(expected, { groups: [{ id: 'tandem-r0-services', members: [{ id: 'tandem-r0-fs0', params: ['device=/dev/tandem/r0/0', 'directory=/srv/data', 'fstype=ext4'] }, { id: 'tandem-r0-ip' }] }] },
    'the Filesystem sits on the block device the Promoted node has for volume 0');
});

t.test("operation timeouts are those of the agent's meta-data as Pacemaker reads it", async (t) => {
  const md = await run('crm_resource', ['--show-metadata', 'ocf:tandem:replica']);
  t.equal(md.exitCode, 0, String(md.stderr));
  const advertised = (await parseStringPromise(String(md.stdout)))['resource-agent'].actions[0].action
    .filter((a: Node) => !['meta-data', 'validate-all'].includes(a.$!.name))
    .map((a: Node) => `${a.$!.name}/${parseInt(a.$!.interval ?? '0', 10)}/${a.$!.role ?? ''}/${a.$!.timeout}`).sort();
  const cib = await tandem(['pacemaker', 'config', 'r0', '--format', 'cib'], env);
  writeFileSync(s.file('timeouts.xml'), String(cib.stdout));
  const generated = (await meaning(s.file('timeouts.xml')) as { clones: { primitive: { ops: string[] }[] }[] }).clones[0].primitive[0].ops;
  t.same(generated, advertised);
  t.ok(advertised.some((o: string) => /^start\/0\/\/(\d+)s$/.test(o) && Number(/(\d+)s$/.exec(o)![1]) > 20), 'start gets more than Pacemaker\'s 20 s default');
});

t.test('the pcs script applies the whole configuration in one step: no service runs off the Promoted node at any transition', async (t) => {
  const pcs = await tandem(['pacemaker', 'config', 'r0', '--format', 'pcs', ...stackFlags], env);
  t.equal(pcs.exitCode, 0, String(pcs.stderr));
  const script = String(pcs.stdout);
  const base = renderCib(emptyConfig(), []);
  // bravo is the better node to promote; with equal placement scores otherwise, Pacemaker puts an
  // unconstrained group on the first node, alpha: the symptom of the command-by-command script
  const scores = { alpha: 1000, bravo: 10000 };
  const members = ['tandem-r0-fs0', 'tandem-r0-ip'];

  const live = fileCluster(s, 'one-step', base, scores, 'master-tandem-r0');
  writeFileSync(s.file('one-step.sh'), script);
  const r = await runScript(s.file('one-step.sh'), live.env);
  t.equal(r.exitCode, 0, `${r.stdout}${r.stderr}`);
  t.equal(live.states().length, 1, 'the cluster changed once (cib-push diff-against)');
  t.same(await runsOffPromoted(live.states(), 'tandem-r0', members, live.env), []);
  const sim = readFileSync(live.states()[0].replace(/xml$/, 'txt'), 'utf8');
  t.match(sim, /Promote\s+tandem-r0:\d\s+\(\s*Stopped -> Promoted bravo\s*\)/);
  t.match(sim, /Start\s+tandem-r0-fs0\s+\(\s*bravo\s*\)/);

  // the check can fail: the same commands run one by one against the live cluster (what the
  // script did before) start the group before its constraints exist
  const stepwise = fileCluster(s, 'step-by-step', base, scores, 'master-tandem-r0');
  writeFileSync(s.file('step-by-step.sh'), script.replaceAll('pcs -f "$NEW"', 'pcs'));
  const bad = await runScript(s.file('step-by-step.sh'), stepwise.env);
  t.equal(bad.exitCode, 0, `${bad.stdout}${bad.stderr}`);
  t.ok(stepwise.states().length > 3, 'one transition per command');
  const offPromoted = await runsOffPromoted(stepwise.states(), 'tandem-r0', members, stepwise.env);
  t.ok(offPromoted.length > 0, `step by step, a service ran off the Promoted node: ${offPromoted.join('; ')}`);
});

t.test('--agent-param: parameters from the meta-data only, typed', async (t) => {
  const ok = await tandemJson<{ text: string }>(['pacemaker', 'config', 'r0', '--format', 'crm', '--agent-param', 'auto_resync=false', '--agent-param', 'node=alpha'], env);
  t.equal(ok.result.exitCode, 0, String(ok.result.stderr));
  t.match(ok.json.text, /params resource=r0 node=alpha auto_resync=false/, 'in the order of the meta-data');
  const unknown = await tandem(['pacemaker', 'config', 'r0', '--agent-param', 'bogus=1'], env);
  t.equal(unknown.exitCode, 2);
  t.match(unknown.stderr, /ocf:tandem:replica has no parameter 'bogus'/);
  const typed = await tandem(['pacemaker', 'config', 'r0', '--agent-param', 'auto_takeover=maybe'], env);
  t.equal(typed.exitCode, 2);
  t.match(typed.stderr, /auto_takeover is a boolean/);
});

t.test('--json carries the text and the model', async (t) => {
  const { result, json } = await tandemJson<{ format: string; text: string; model: { clone: string } }>(['pacemaker', 'config', 'r0', '--format', 'crm'], env);
  t.equal(result.exitCode, 0);
  t.equal(json.format, 'crm');
  t.match(json.text, /^primitive tandem-r0 ocf:tandem:replica/m);
  t.equal(json.model.clone, 'tandem-r0-clone');
});

t.test('errors: unknown resource, bad --with-ip, bad --format, a device or unknown volume in --with-fs', async (t) => {
  const missing = await tandem(['pacemaker', 'config', 'r7'], env);
  t.equal(missing.exitCode, 4);
  t.match(missing.stderr, /TANDEM_E_NOT_FOUND: no resource 'r7'.*\nhint: resources defined there: r0/);
  const ip = await tandem(['pacemaker', 'config', 'r0', '--with-ip', '10.0.0.1'], env);
  t.equal(ip.exitCode, 2);
  t.match(ip.stderr, /TANDEM_E_USAGE.*--with-ip '10.0.0.1'/);
  const fmt = await tandem(['pacemaker', 'config', 'r0', '--format', 'xml'], env);
  t.equal(fmt.exitCode, 2);
  const device = await tandem(['pacemaker', 'config', 'r0', '--with-fs', '/dev/nbd0:/srv/data:ext4'], env);
  t.equal(device.exitCode, 2);
  t.match(device.stderr, /names a device; the file system must be on the volume's replicated device \/dev\/tandem\/<resource>\/<volume>/);
  const volume = await tandem(['pacemaker', 'config', 'r0', '--with-fs', '3:/srv/data:ext4'], env);
  t.equal(volume.exitCode, 2);
  t.match(volume.stderr, /names volume 3, but resource 'r0' has volume\(s\) 0/);
});

t.test("Pacemaker reads the agent's meta-data and runs its validate-all", async (t) => {
  const md = await run('crm_resource', ['--show-metadata', 'ocf:tandem:replica']);
  t.equal(md.exitCode, 0, String(md.stderr));
  t.match(md.stdout, /<version>1\.1<\/version>/, 'Pacemaker announces OCF 1.1 and gets the 1.1 rendering');
  t.match(md.stdout, /<action name="reload-agent"/);
  const ok = await run('crm_resource', ['--validate', '--class', 'ocf', '--provider', 'tandem', '--agent', 'replica',
    '--option', 'resource=r0', '--option', `config_dir=${s.dir}`, '--option', 'node=alpha']);
  t.equal(ok.exitCode, 0, String(ok.stdout) + String(ok.stderr));
  const bad = await run('crm_resource', ['--validate', '--class', 'ocf', '--provider', 'tandem', '--agent', 'replica',
    '--option', 'resource=r0', '--option', `config_dir=${s.dir}`, '--option', 'node=zulu']);
  t.equal(bad.exitCode, 5);
  t.match(bad.stdout, /no \[node\.zulu\] section/);
});

t.test('pacemaker constraints lists the fence constraints Tandem owns, and only those', async (t) => {
  const file = await clusterCib('constraints.xml');
  const gen = await tandem(['pacemaker', 'config', 'r0', '--format', 'cib'], env);
  writeFileSync(s.file('r0-plain.xml'), String(gen.stdout));
  const fragment = await run('xmllint', ['--xpath', '/cib/configuration/resources', s.file('r0-plain.xml')]);
  t.equal((await run('cibadmin', ['--modify', '--allow-create', '-o', 'resources', '-X', String(fragment.stdout)], { ...s.env, CIB_file: file })).exitCode, 0);
  const none = await tandem(['pacemaker', 'constraints'], { ...s.env, CIB_file: file });
  t.equal(none.exitCode, 0, String(none.stderr));
  t.match(none.stdout, /no Tandem constraints in the CIB/);
  writeFileSync(file, readFileSync(file, 'utf8').replace('<cib ', '<cib have-quorum="1" ')); // as a quorate cluster's CIB
  const fence = await tandem(['fence', 'peer', '--resource', 'r0', '--node', 'alpha', '--up-to-date', 'alpha'], { ...env, ...s.env, CIB_file: file });
  t.equal(fence.exitCode, 5, String(fence.stderr));
  t.match(fence.stderr, /allows promotion only on alpha; bravo unreachable/, 'the peer comes from the configuration (charlie is diskless)');
  await run('cibadmin', ['--create', '-o', 'constraints', '-X', '<rsc_location id="admin-pref" rsc="tandem-r0-clone" node="alpha" score="50"/>'], { ...s.env, CIB_file: file });
  const { json } = await tandemJson<{ constraints: unknown[] }>(['pacemaker', 'constraints'], { ...s.env, CIB_file: file });
  t.same(json.constraints, [{ id: 'tandem-fence-r0', resource: 'r0', rsc: 'tandem-r0-clone', allowed: ['alpha'] }]);
  const text = await tandem(['pacemaker', 'constraints'], { ...s.env, CIB_file: file });
  t.match(text.stdout, /^tandem-fence-r0: r0 may be promoted only on alpha \(constrains tandem-r0-clone\)$/m);
});
