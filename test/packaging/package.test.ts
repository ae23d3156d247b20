// The packaged artefacts, built once here from the current dist/ and the libpmem addon: the single
// binary (packaging/build-binary.mjs) and the Debian package (packaging/build-deb.sh). The .deb is
// inspected with dpkg-deb, extracted with dpkg -x, and everything runs from that root: the binary,
// the OCF shim, the fence handlers, tandemd with a PMEM (tmpfs) resource, and the systemd unit.
import t from 'tap';
import { execa, type Result, type ResultPromise } from 'execa';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { clusterCibText } from '../cluster/pcmk-tools.js';
import { REPO_ROOT, tandem as devTandem } from '../helpers/cli.js';
import { freePorts } from '../helpers/resource-config.js';
import type { NodeStatus } from '../../src/engine/states.js';

const VERSION = (JSON.parse(readFileSync(`${REPO_ROOT}package.json`, 'utf8')) as { version: string }).version;
const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

const work = mkdtempSync(join(tmpdir(), 'tandem-pkg-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

async function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<Result> {
  return execa(cmd, args, { reject: false, env: { PATH, ...env }, extendEnv: false, stdin: 'ignore', timeout: 60_000 });
}

async function mustRun(cmd: string, args: string[]): Promise<string> {
  const r = await run(cmd, args);
  if (r.exitCode !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.exitCode}): ${r.stderr}`);
  return String(r.stdout);
}

// Build once for the whole file: binary, .deb, and a root the .deb is extracted into.
const binDir = join(work, 'bin');
const root = join(work, 'root');
await mustRun(process.execPath, [`${REPO_ROOT}packaging/build-binary.mjs`, '--out', binDir]);
const deb = (await mustRun('bash', [`${REPO_ROOT}packaging/build-deb.sh`, binDir, join(work, 'out')])).trim();
await mustRun('dpkg', ['-x', deb, root]);
const TANDEM = join(root, 'usr/bin/tandem');
const TANDEMD = join(root, 'usr/sbin/tandemd');

t.test('dpkg-deb --info: control fields, conffiles and maintainer scripts', async (t) => {
  const field = async (name: string) => (await mustRun('dpkg-deb', ['--field', deb, name])).trim();
  t.equal(await field('Package'), 'tandem');
  t.equal(await field('Version'), VERSION);
  t.equal(await field('Architecture'), (await mustRun('dpkg', ['--print-architecture'])).trim());
  const depends = await field('Depends');
  t.match(depends, /(^|, )libpmem1 \(>= [\d.]+\)/, 'the addon links libpmem');
  t.match(depends, /(^|, )liburing2 \(>= [\d.]+\)/, 'the io_uring addon links liburing');
  t.match(depends, /(^|, )libc6 \(>= [\d.]+\)/, 'node links glibc');
  t.match(depends, /(^|, )libstdc\+\+6/);
  t.same((await field('Recommends')).split(', ').sort(), ['corosync', 'pacemaker', 'pacemaker-cli-utils', 'resource-agents']);
  t.equal((await mustRun('dpkg-deb', ['--info', deb, 'conffiles'])).trim(), '/etc/default/tandemd');
  const control = join(work, 'control');
  await mustRun('dpkg-deb', ['--control', deb, control]);
  t.same(readdirSync(control).sort(), ['conffiles', 'control', 'postinst', 'postrm', 'prerm']);
  for (const script of ['postinst', 'prerm', 'postrm']) {
    const r = await run('sh', ['-n', join(control, script)]);
    t.equal(r.exitCode, 0, `${script} is valid sh: ${r.stderr}`);
  }
  const postinst = readFileSync(join(control, 'postinst'), 'utf8').split('\n').filter((l) => !l.startsWith('#'));
  t.notMatch(postinst.join('\n'), /systemctl (enable|start|restart)/, 'installing does not start or restart tandemd');
});

t.test('dpkg-deb --contents: every file, link and mode', async (t) => {
  const listing = await mustRun('dpkg-deb', ['--contents', deb]);
  const entries = new Map(listing.trim().split('\n').map((line) => {
    const [mode, owner, , , , path, , target] = line.split(/\s+/);
    return [path, { mode, owner, target }] as const;
  }));
  const expected: Record<string, string> = {
    './': 'drwxr-xr-x',
    './usr/lib/tandem/tandem': '-rwxr-xr-x',
    './usr/lib/tandem/tandem_pmem.node': '-rw-r--r--',
    './usr/lib/tandem/tandem_uring.node': '-rw-r--r--',
    './usr/lib/tandem/tandemd-wait-ready': '-rwxr-xr-x',
    './usr/lib/tandem/agents/tandem-fence-peer': '-rwxr-xr-x',
    './usr/lib/tandem/agents/tandem-unfence-peer': '-rwxr-xr-x',
    './usr/lib/tandem/agents/tandem-primary-lost': '-rwxr-xr-x',
    './usr/lib/tandem/agents/tandem-quorum-lost': '-rwxr-xr-x',
    './usr/bin/tandem': 'lrwxrwxrwx ../lib/tandem/tandem',
    './usr/sbin/tandemd': 'lrwxrwxrwx ../lib/tandem/tandem',
    './usr/lib/ocf/resource.d/tandem/replica': '-rwxr-xr-x',
    './lib/systemd/system/tandemd.service': '-rw-r--r--',
    './etc/tandem/': 'drwx------',
    './etc/default/tandemd': '-rw-r--r--',
    './usr/share/doc/tandem/copyright': '-rw-r--r--',
    './usr/share/doc/tandem/examples/r0.ini': '-rw-r--r--',
  };
  for (const [path, want] of Object.entries(expected)) {
    const e = entries.get(path);
    t.equal(e ? [e.mode, e.target].filter(Boolean).join(' ') : 'missing', want, path);
  }
  const files = [...entries.keys()].filter((p) => !p.endsWith('/'));
  t.same(files.filter((p) => !(p in expected)), [], 'nothing else is shipped');
  t.same([...new Set([...entries.values()].map((e) => e.owner))], ['root/root']);
});

t.test('the binary from the package: --version, tandemd, md size as the dev CLI computes it', async (t) => {
  const version = await run(TANDEM, ['--version']);
  t.equal(version.exitCode, 0);
  t.match(version.stdout, new RegExp(`^tandem/${VERSION.replaceAll('.', '\\.')} linux-x64 node-v20\\.`));
  t.equal(version.stderr, '', 'no warning from the SEA require or oclif');
  t.equal(readlinkSync(TANDEMD), '../lib/tandem/tandem');
  const daemonHelp = await run(TANDEMD, ['--help']);
  t.equal(daemonHelp.exitCode, 0);
  t.match(daemonHelp.stdout, /run tandemd in the foreground[\s\S]*\$ tandem daemon/, 'invoked as tandemd it is tandem daemon');

  const args = ['md', 'size', '--volume', '1TiB', '--peers', '2', '--json'];
  const packaged = await run(TANDEM, args);
  t.equal(packaged.exitCode, 0, String(packaged.stderr));
  const size = JSON.parse(String(packaged.stdout)) as { bytes: number };
  t.ok(size.bytes <= 64.1 * 1024 * 1024, `metadata for 1 TiB and 2 peers: ${size.bytes} bytes`);
  t.same(size, JSON.parse(String((await devTandem(args)).stdout)), 'same answer as node bin/tandem.js');
});

/** Command ids of the built CLI, as oclif's pattern strategy names them (md/size.js → md:size). */
function commandIds(dir = `${REPO_ROOT}dist/cli/commands`, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => e.isDirectory()
    ? commandIds(join(dir, e.name), base)
    : e.name.endsWith('.js') ? [relative(base, join(dir, e.name)).slice(0, -3).split(sep).join(':')] : []);
}

t.test('every command of dist/cli/commands is in the binary', async (t) => {
  const ids = commandIds();
  t.ok(ids.length >= 20, `${ids.length} commands`);
  const queue = [...ids];
  const worker = async () => {
    for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
      const r = await run(TANDEM, [...id.split(':'), '--help']);
      t.equal(r.exitCode, 0, `${id} --help: ${r.stderr}`);
      t.match(r.stdout, `$ tandem ${id.split(':').join(' ')}`, id);
    }
  };
  await Promise.all([worker(), worker(), worker()]);
});

/** A PATH with only the tools the shims use: no node, no tandem. */
function barePath(): string {
  const dir = join(work, 'bare-path');
  mkdirSync(dir, { recursive: true });
  for (const tool of ['readlink', 'dirname']) symlinkSync(`/usr/bin/${tool}`, join(dir, tool));
  return dir;
}

t.test('the OCF shim and the fence handlers find the packaged binary (no node, no tandem on PATH)', async (t) => {
  const bare = barePath();
  const shim = join(root, 'usr/lib/ocf/resource.d/tandem/replica');
  const meta = await run(shim, ['meta-data'], { PATH: bare });
  t.equal(meta.exitCode, 0, String(meta.stderr));
  t.match(meta.stdout, /<resource-agent name="replica"/);
  t.equal(meta.stdout, (await devTandem(['ocf', 'meta-data'])).stdout, 'the same meta-data as the dev CLI');

  // control: the same shim without the package beside it has nothing to run
  const alone = join(work, 'alone/lib/ocf/resource.d/tandem');
  mkdirSync(alone, { recursive: true });
  copyFileSync(shim, join(alone, 'replica'));
  const missing = await run('/bin/sh', [join(alone, 'replica'), 'meta-data'], { PATH: bare });
  t.equal(missing.exitCode, 5, 'OCF_ERR_INSTALLED');
  t.match(missing.stderr, /tandem is not installed/);

  for (const [handler, verb] of [['tandem-fence-peer', 'fence peer'], ['tandem-unfence-peer', 'fence unfence'], ['tandem-primary-lost', 'fence primary-lost'], ['tandem-quorum-lost', 'fence quorum-lost']]) {
    const r = await run(join(root, 'usr/lib/tandem/agents', handler), [], { PATH: bare });
    t.equal(r.exitCode, 1, `${handler} ran '${verb}' of the binary, which wants the handler environment (1: handler broken)`);
    t.match(r.stderr, /TANDEM_E_USAGE: no resource: TANDEM_RESOURCE \/ DRBD_RESOURCE is not set/);
  }
});

t.test('config check accepts the example shipped in /usr/share/doc', async (t) => {
  const dir = join(work, 'example-etc');
  mkdirSync(dir);
  copyFileSync(join(root, 'usr/share/doc/tandem/examples/r0.ini'), join(dir, 'r0.ini'));
  chmodSync(join(dir, 'r0.ini'), 0o600);
  const r = await run(TANDEM, ['config', 'check', '--config-dir', dir, '--node', 'alpha', '--json']);
  t.equal(r.exitCode, 0, String(r.stdout));
  const check = JSON.parse(String(r.stdout)) as { ok: boolean; resources: { name: string; nodes: string[] }[]; warnings: unknown[] };
  t.equal(check.ok, true);
  t.same(check.resources.map((x) => [x.name, x.nodes]), [['r0', ['alpha', 'bravo']]]);
  t.same(check.warnings, [], 'copied with mode 0600 (as the example says): no warning');
});

t.test('the packaged io_uring addon loads into this Node and reads a file through its ring', async (t) => {
  const file = join(work, 'uring-probe.img');
  writeFileSync(file, Buffer.alloc(8192, 0x5a));
  const script = `const a = require(${JSON.stringify(join(root, 'usr/lib/tandem/tandem_uring.node'))});
    const done = new Float64Array(8);
    a.init(done, (n) => { console.log(JSON.stringify({ n, result: done[1], byte: buf[100] })); process.exit(0); }, 8);
    const buf = Buffer.alloc(4096);
    a.open(${JSON.stringify(file)}, false, (err, f) => { if (err) throw err; a.read(1, f.fd, buf, 4096); });`;
  const r = await run(process.execPath, ['-e', script]);
  t.equal(r.exitCode, 0, String(r.stderr));
  t.same(JSON.parse(String(r.stdout)), { n: 1, result: 4096, byte: 0x5a }, 'one completion: 4096 bytes read');
});

t.test('without tandem_pmem.node beside it the binary names where it looked', async (t) => {
  const lonely = join(work, 'lonely');
  mkdirSync(lonely);
  copyFileSync(join(root, 'usr/lib/tandem/tandem'), join(lonely, 'tandem'));
  const r = await run(join(lonely, 'tandem'), ['md', 'create', '--meta', `pmem:${join(lonely, 'meta')}`, '--volume-size', '16MiB']);
  t.equal(r.exitCode, 6, 'TANDEM_E_NATIVE');
  t.match(r.stderr, `TANDEM_E_NATIVE: the libpmem addon tandem_pmem.node was not found (looked in: ${lonely}/tandem_pmem.node`);
});

t.test('packaged tandemd: readiness check, addon loaded beside the binary, status --json, fence handler', async (t) => {
  const dir = mkdtempSync(join('/dev/shm', 'tandem-pkg-'));
  const daemons: ResultPromise[] = [];
  t.teardown(async () => {
    for (const d of daemons) d.kill('SIGKILL');
    await Promise.allSettled(daemons);
    rmSync(dir, { recursive: true, force: true });
  });
  const [pa, pb] = await freePorts(2);
  mkdirSync(join(dir, 'etc'));
  for (const n of ['alpha', 'bravo']) {
    writeFileSync(join(dir, `${n}.img`), '');
    truncateSync(join(dir, `${n}.img`), 16 << 20);
  }
  writeFileSync(join(dir, 'etc/r0.ini'), [
    '[resource]', 'name = r0', 'secret = package-test-secret', 'fencing = resource-only', '',
    '[volume.0]', 'size = 16MiB', '',
    '[node.alpha]', 'id = 0', `address = 127.0.0.1:${pa}`, `volume.0.disk = ${dir}/alpha.img`, `volume.0.meta = pmem:${dir}/alpha.meta`, '',
    '[node.bravo]', 'id = 1', `address = 127.0.0.1:${pb}`, `volume.0.disk = ${dir}/bravo.img`, `volume.0.meta = pmem:${dir}/bravo.meta`, '',
  ].join('\n'), { mode: 0o600 });
  // The fence handler's Pacemaker tools work on a CIB file of a 2-node cluster, never a live CIB.
  const cib = join(dir, 'cib.xml');
  const env = (node: string) => ({
    TANDEM_NODE: node, TANDEM_CONFIG_DIR: join(dir, 'etc'), TANDEM_RUN_DIR: join(dir, 'run'),
    CIB_file: cib, CIB_shadow_dir: dir,
  });
  const generated = await run(TANDEM, ['pacemaker', 'config', 'r0', '--format', 'cib'], env('alpha'));
  t.equal(generated.exitCode, 0, String(generated.stderr));
  writeFileSync(cib, clusterCibText(String(generated.stdout), { alpha: 10000, bravo: 10000 }, 'master-tandem-r0'));
  for (const n of ['alpha', 'bravo']) {
    const md = await run(TANDEM, ['md', 'create', 'r0', '--json'], env(n));
    t.equal(md.exitCode, 0, `md create on ${n}: ${md.stderr}`);
  }

  // tandemd.service's ExecStartPost: waits while no tandemd answers, returns once one does
  const ready = execa(join(root, 'usr/lib/tandem/tandemd-wait-ready'), [], { env: { PATH, ...env('alpha') }, extendEnv: false, reject: false });
  await sleep(800);
  t.equal(ready.exitCode, null, 'still waiting: no tandemd yet');
  const alphaLog: string[] = [];
  for (const n of ['alpha', 'bravo']) {
    const d = execa(TANDEMD, [], { env: { PATH, ...env(n) }, extendEnv: false, reject: false, stdin: 'ignore', buffer: false });
    if (n === 'alpha') d.stderr?.on('data', (chunk: Buffer) => alphaLog.push(chunk.toString()));
    daemons.push(d);
  }
  const readyResult = await Promise.race([ready, sleep(15_000).then(() => null)]);
  t.equal(readyResult?.exitCode, 0, 'tandemd-wait-ready returned once tandemd answered');
  if (!readyResult) ready.kill();

  for (const n of ['alpha', 'bravo']) t.equal((await run(TANDEM, ['up', 'r0'], env(n))).exitCode, 0, `up on ${n}`);
  t.equal((await run(TANDEM, ['primary', '--force', 'r0'], env('alpha'))).exitCode, 0, 'primary --force');
  const status = await waitForStatus(env('alpha'), (s) => s.resources[0]?.connections[0]?.volumes[0]?.peerDiskState === 'UpToDate');
  const r0 = status.resources[0];
  t.same([r0.role, r0.volumes[0].diskState, r0.connections[0].connectionState], ['Primary', 'UpToDate', 'Connected']);

  const pid = daemons[0].pid!;
  t.equal(readlinkSync(`/proc/${pid}/exe`), join(root, 'usr/lib/tandem/tandem'));
  const maps = readFileSync(`/proc/${pid}/maps`, 'utf8');
  t.match(maps, `${join(root, 'usr/lib/tandem/tandem_pmem.node')}\n`, 'the libpmem addon mapped from beside the binary');
  t.match(maps, `${join(root, 'usr/lib/tandem/tandem_uring.node')}\n`, 'the io_uring addon mapped from beside the binary (the backing disks go through it)');

  // bravo crashes: alpha (Primary, fencing = resource-only) runs the packaged fence-peer handler
  daemons[1].kill('SIGKILL');
  const deadline = Date.now() + 20_000;
  while (!alphaLog.join('').includes('fence-peer handler finished') && Date.now() < deadline) await sleep(100);
  const finished = alphaLog.join('').split('\n').find((l) => l.includes('fence-peer handler finished'));
  t.match(finished, /"exitCode":4,"outcome":"peer-outdated"/, 'bravo still a cluster member: outdated (exit 4)');
  t.match(readFileSync(cib, 'utf8'), /id="tandem-fence-r0"/, 'the handler placed its constraint (in the CIB file)');

  daemons[0].kill('SIGTERM');
  const stopped = await daemons[0];
  t.equal(stopped.exitCode, 0, 'SIGTERM: tandemd brings r0 down and exits 0');
});

async function waitForStatus(env: Record<string, string>, predicate: (s: NodeStatus) => boolean): Promise<NodeStatus> {
  const deadline = Date.now() + 30_000;
  let last = '';
  while (Date.now() < deadline) {
    const r = await run(TANDEM, ['status', '--json'], env);
    last = String(r.stdout || r.stderr);
    if (r.exitCode === 0 && predicate(JSON.parse(last) as NodeStatus)) return JSON.parse(last) as NodeStatus;
    await sleep(200);
  }
  throw new Error(`status did not reach the expected state; last: ${last}`);
}

t.test('systemd-analyze verify accepts tandemd.service in the extracted root', async (t) => {
  const r = await run('systemd-analyze', ['verify', '--recursive-errors=no', `--root=${root}`, 'tandemd.service']);
  t.equal(r.exitCode, 0, String(r.stderr));
  t.equal(r.stderr, '', 'no warning either');
  const unit = readFileSync(join(root, 'lib/systemd/system/tandemd.service'), 'utf8');
  t.match(unit, /^Before=pacemaker\.service$/m, 'the agent finds tandemd running; pacemaker stops first');
  t.match(unit, /^RuntimeDirectory=tandem$/m, '/run/tandem, where the control socket lives');
  t.notMatch(unit, /^(PrivateDevices|DevicePolicy|ProtectClock|MemoryDenyWriteExecute|PrivateTmp)=/m, 'nothing that breaks disks, PMEM or V8');
});
