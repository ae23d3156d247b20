// A real Pacemaker + Corosync cluster (test/harness/pcmk) running the REAL tandemd on every node:
// each daemon lives in its node's namespaces (network, mount, UTS, PID), listens on the node's
// data-link address (eth1, 10.214.0.N) while corosync uses eth0, and its control socket is the
// node's own /run/tandem (a per-node bind mount, readable from this process). Backing files,
// metadata and the NBD unix sockets live in one shared temp directory, so the test reads and
// writes every export directly. Pacemaker runs ocf:tandem:replica from this repository.
import { execa, type Result } from 'execa';
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import type { NodeStatus, ResourceStatus } from '../../src/engine/states.js';
import { PcmkCluster } from '../harness/pcmk/cluster.js';

export const RES = 'r0';
export const CLONE = `tandem-${RES}-clone`;
const CLEAN_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const SIZE = 16 * 1024 * 1024;
/** TANDEM_SCENARIO_KEEP=1 keeps the cluster's and the daemons' logs and data after the test */
const KEEP = process.env.TANDEM_SCENARIO_KEEP === '1';

export interface ScenarioOptions {
  nodes: number;
  fencing: 'dont-care' | 'resource-only' | 'resource-and-stonith';
  stonith?: boolean;
  /** repository root with bin/ and ocf/ (a bundled bench passes its own) */
  repoRoot?: string;
  /** the resource's frontend (default none: the scenarios that mount a file system ask for fuse) */
  frontend?: 'auto' | 'nbd' | 'fuse' | 'none';
  /** more [resource] settings, or other values for the defaults here, e.g. 'quorum = majority' */
  settings?: string[];
  /** how long a STONITH reboot keeps the node away (the harness's default is 2 s) */
  rebootDelayMs?: number;
  /** volume size (default 16 MiB) */
  sizeBytes?: number;
}

export class TandemCluster {
  readonly configDir: string;
  private readonly bin: string;
  private readonly daemons = new Map<string, number>();

  private constructor(readonly c: PcmkCluster, readonly dir: string, readonly names: string[], private readonly root: string) {
    this.configDir = join(dir, 'etc');
    this.bin = join(root, 'bin/tandem.js');
  }

  /** Cluster up, metadata created, tandemd running and r0 up on every node; nothing Primary yet. */
  static async start(opts: ScenarioOptions): Promise<TandemCluster> {
    const root = opts.repoRoot ?? fileURLToPath(new URL('../..', import.meta.url));
    // /tmp is shared by the nodes (their /dev/shm is private): data and sockets go there
    const dir = mkdtempSync(join(tmpdir(), 'tandem-scn-'));
    // a block device per Primary: each node its own /dev/tandem, and a crash loses its mounts (and
    // goes silent on its links first, as a machine does)
    const devices = (opts.frontend ?? 'none') !== 'none';
    const c = await PcmkCluster.start({
      nodes: opts.nodes, stonith: opts.stonith, ocfProviders: { tandem: join(root, 'ocf') }, keep: KEEP,
      fenceAgent: join(root, 'test/harness/pcmk/fence-agent.sh'),
      ...(devices ? { privateDirs: ['/dev/tandem'], crashLikeMachine: true } : {}), rebootDelayMs: opts.rebootDelayMs,
    })
      .catch((err) => { rmSync(dir, { recursive: true, force: true }); throw err; });
    const t = new TandemCluster(c, dir, c.nodes.map((n) => n.name), root);
    try {
      t.writeConfig(opts);
      for (const n of t.names) await t.must(n, ['md', 'create', RES]);
      for (const n of t.names) await t.startDaemon(n);
      for (const n of t.names) await t.must(n, ['up', RES]);
      return t;
    } catch (err) {
      await t.stop();
      throw err;
    }
  }

  disk(node: string): string { return join(this.dir, `${RES}-${node}.img`); }
  socket(node: string): string { return join(this.dir, `${RES}-${node}.nbd`); }
  /** tandemd's log on a node: the one this test started, then one the agent started (after a crash) */
  daemonLog(node: string): string {
    const files = [join(this.dir, `tandemd-${node}.log`), join(this.c.node(node).dir, 'run/tandem', `${node}.tandemd.log`)];
    return files.filter((f) => existsSync(f)).map((f) => readFileSync(f, 'utf8')).join('');
  }

  private writeConfig(opts: ScenarioOptions): void {
    mkdirSync(this.configDir);
    const settings = new Map([['protocol', 'C'], ['secret', 'scenario-secret-7781'], ['fencing', opts.fencing],
      ['ping-interval', '1s'], ['ping-timeout', '500ms'], ['frontend', opts.frontend ?? 'none']]);
    for (const line of opts.settings ?? []) settings.set(line.split('=')[0].trim(), line.split('=').slice(1).join('=').trim());
    const size = opts.sizeBytes ?? SIZE;
    const lines = ['[resource]', `name = ${RES}`, ...[...settings].map(([k, v]) => `${k} = ${v}`), '', '[volume.0]', `size = ${size}`, ''];
    for (const [i, n] of this.c.nodes.entries()) {
      writeFileSync(this.disk(n.name), Buffer.alloc(size));
      lines.push(`[node.${n.name}]`, `id = ${i}`, `address = ${n.dataAddr}:7789`, `volume.0.disk = ${this.disk(n.name)}`,
        `volume.0.meta = pmem:${join(this.dir, `${RES}-${n.name}.meta`)}`, `volume.0.export = ${this.socket(n.name)}`, '');
    }
    writeFileSync(join(this.configDir, `${RES}.ini`), lines.join('\n'), { mode: 0o600 });
  }

  /** The CLI from this process, against the node's daemon (its run dir seen from the host). */
  cli(node: string, args: string[]): Promise<Result> {
    return execa(process.execPath, [this.bin, ...args], {
      reject: false, stdin: 'ignore', timeout: 60_000, extendEnv: false,
      env: { PATH: CLEAN_PATH, TANDEM_NODE: node, TANDEM_CONFIG_DIR: this.configDir, TANDEM_RUN_DIR: join(this.c.node(node).dir, 'run/tandem') },
    });
  }

  async must(node: string, args: string[]): Promise<Result> {
    const r = await this.cli(node, args);
    if (r.exitCode !== 0) throw new Error(`tandem ${args.join(' ')} on ${node} failed (${r.exitCode}): ${r.stderr}`);
    return r;
  }

  /** r0's status from the node's tandemd, or null when it does not answer. */
  async status(node: string): Promise<ResourceStatus | null> {
    const r = await this.cli(node, ['status', RES, '--json']);
    if (r.exitCode !== 0) return null;
    return (JSON.parse(String(r.stdout)) as NodeStatus).resources[0] ?? null;
  }

  /** tandemd inside the node, with the clean environment an init system gives it. */
  async startDaemon(node: string): Promise<void> {
    const holder = Number(readFileSync(join(this.c.node(node).dir, 'holder.pid'), 'utf8'));
    const log = openSync(join(this.dir, `tandemd-${node}.log`), 'a');
    const child = spawn('nsenter', ['-t', String(holder), '-m', '-u', '-n', '-p', '--', 'env', '-i', `PATH=${CLEAN_PATH}`, 'LANG=C.UTF-8',
      `TANDEM_CONFIG_DIR=${this.configDir}`, 'TANDEM_LOG_LEVEL=info', process.execPath, this.bin, 'daemon'],
    { detached: true, stdio: ['ignore', log, log] });
    closeSync(log);
    child.unref();
    this.daemons.set(node, child.pid!);
    await this.c.waitFor(async () => (await this.cli(node, ['status', '--json'])).exitCode === 0, 20_000, `tandemd on ${node}`)
      .catch((err) => { throw new Error(`${err.message}\n${this.daemonLog(node)}`); });
  }

  /** First promotion of the new resource outside Pacemaker, initial sync, then back to Secondary. */
  async initialSync(primary: string): Promise<void> {
    await this.must(primary, ['primary', RES, '--force']);
    const peers = this.names.filter((n) => n !== primary);
    await this.waitStatus(primary, `${peers.join(', ')} UpToDate`, upToDate(peers), 60_000);
    await this.must(primary, ['secondary', RES]);
  }

  /** The clone as `tandem pacemaker config` prints it, with this cluster's config_dir. */
  async loadPacemaker(): Promise<void> {
    const cib = await this.must(this.names[0], ['pacemaker', 'config', RES, '--format', 'cib']);
    const param = `<nvpair id="tandem-${RES}-ia-config_dir" name="config_dir" value="${this.configDir}"/>`;
    const text = String(cib.stdout).replace('</instance_attributes>', `${param}</instance_attributes>`);
    for (const section of ['resources', 'constraints']) {
      const fragment = new RegExp(`<${section}>[\\s\\S]*</${section}>|<${section}/>`).exec(text.split('<configuration>')[1])![0];
      const r = await this.c.exec(this.names[0], ['cibadmin', '--modify', '--allow-create', '-o', section, '-X', fragment]);
      if (r.exitCode !== 0) throw new Error(`load ${section}: ${r.stderr}`);
    }
  }

  /**
   * The configuration `tandem pacemaker config --format pcs` prints, applied in one step: the
   * script runs against a copy of the CIB (pcs -f), config_dir is added, and the whole
   * configuration is pushed at once, so nothing starts before its constraints exist.
   */
  async applyPacemakerPcs(extraArgs: string[]): Promise<string> {
    const n1 = this.names[0];
    const script = String((await this.must(n1, ['pacemaker', 'config', RES, '--format', 'pcs', ...extraArgs])).stdout);
    writeFileSync(join(this.dir, 'pacemaker.sh'), script);
    const cib = join(this.dir, 'cib-new.xml');
    const steps: Array<[string, string[], Record<string, string>?]> = [
      ['copy the CIB', ['sh', '-c', `cibadmin --query > ${cib}`]],
      ['run the generated script on the copy', ['sh', join(this.dir, 'pacemaker.sh'), cib]],
      ['point the agent at this test\'s configuration', ['pcs', '-f', cib, 'resource', 'update', `tandem-${RES}`, `config_dir=${this.configDir}`]],
      ['push it in one step', ['pcs', 'cluster', 'cib-push', cib, '--config']],
    ];
    for (const [what, argv, env] of steps) {
      const r = await this.c.exec(n1, argv, { env, timeoutMs: 60_000 });
      if (r.exitCode !== 0) throw new Error(`${what}: ${argv.join(' ')} failed (${r.exitCode}): ${r.stderr}${r.stdout}`);
    }
    return script;
  }

  /** The node crm_mon (on `from`) shows Promoted, if its tandemd is Primary too. */
  async settledPrimary(from: string): Promise<string | null> {
    const m = /\* Promoted: \[ (\S+) \]/.exec((await this.c.exec(from, ['crm_mon', '-1'])).stdout);
    return m && (await this.status(m[1]))?.role === 'Primary' ? m[1] : null;
  }

  async waitPrimary(from: string, timeoutMs: number, among = this.names): Promise<string> {
    let found: string | null = null;
    await this.c.waitFor(async () => among.includes((found = await this.settledPrimary(from)) ?? ''), timeoutMs, `one of ${among.join(', ')} Promoted and Primary`);
    return found!;
  }

  async waitStatus(node: string, what: string, ok: (s: ResourceStatus) => boolean, timeoutMs: number): Promise<ResourceStatus> {
    let last: ResourceStatus | null = null;
    await this.c.waitFor(async () => (last = await this.status(node)) !== null && ok(last), timeoutMs, `${node}: ${what}`)
      .catch((err) => { throw new Error(`${err.message}\nlast status: ${JSON.stringify(last)}`); });
    return last!;
  }

  /** Constraint ids with Tandem's prefix in the CIB as `from` sees it. */
  async fenceConstraints(from: string): Promise<string[]> {
    const r = await this.c.exec(from, ['cibadmin', '-Q', '-o', 'constraints']);
    return [...r.stdout.matchAll(/<rsc_location[^>]*\bid="(tandem-fence-[^"]+)"/g)].map((m) => m[1]);
  }

  /** Publish a promotion score for a node as an administrator would (crm_attribute --promotion). */
  /** Set (or with null delete) a node's promotion score, as a misbehaving agent might. */
  async setScore(from: string, node: string, score: number | null): Promise<void> {
    const value = score === null ? ['-D'] : ['-v', String(score)];
    const r = await this.c.exec(from, ['crm_attribute', `--promotion=tandem-${RES}`, '-N', node, '-l', 'reboot', ...value]);
    if (r.exitCode !== 0) throw new Error(`crm_attribute: ${r.stderr}`);
  }

  /**
   * Loop devices outlive the nodes (the kernel is shared). The frontends' state records (under
   * each node's /run, kept on this machine) name the devices; once the nodes are gone (their mount
   * namespaces, and with them the file systems and FUSE mounts), each recorded device still backed
   * by the recorded FUSE file is detached (the kernel detaches a device still held when its last
   * user goes: autoclear).
   */
  private recordedDevices(): Array<{ device: string; file: string }> {
    const out: Array<{ device: string; file: string }> = [];
    for (const n of this.names) {
      const state = join(this.c.node(n).dir, 'run/tandem', `${n}.frontends`, RES);
      for (const volume of existsSync(state) ? readdirSync(state) : []) {
        const record = join(state, volume, 'state.json');
        if (!existsSync(record)) continue;
        const r = JSON.parse(readFileSync(record, 'utf8')) as { device: string; mountpoint?: string };
        if (r.mountpoint) out.push({ device: r.device, file: join(r.mountpoint, 'volume') });
      }
    }
    return out;
  }

  private async releaseDevices(recorded: Array<{ device: string; file: string }>): Promise<void> {
    for (const { device, file } of recorded) {
      const backing = (() => {
        try { return readFileSync(`/sys/block/${device.replace('/dev/', '')}/loop/backing_file`, 'utf8').trim(); } catch { return null; }
      })();
      // a dead FUSE mount shows as its file name alone
      if (backing === file || backing === '/volume') await execa('losetup', ['-d', device], { reject: false });
    }
  }

  diagnostics(): string {
    return [this.c.logTails(10), ...this.names.map((n) => `--- tandemd ${n}\n${this.daemonLog(n).trimEnd().split('\n').slice(-20).join('\n')}`)].join('\n');
  }

  async stop(): Promise<void> {
    const devices = this.recordedDevices();
    // the nodes' PID namespaces die with their holders, taking every tandemd with them
    await this.c.stop(true);
    await this.releaseDevices(devices);
    for (const pid of this.daemons.values()) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    await sleep(100);
    if (KEEP) process.stderr.write(`kept: ${this.c.dir} ${this.dir}\n`);
    else rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Every listed peer Connected, Established, UpToDate and nothing out of sync. */
export function upToDate(peers: string[]) {
  return (s: ResourceStatus): boolean => peers.every((p) => s.connections.some((c) => c.peer === p && c.connectionState === 'Connected'
    && c.volumes.every((v) => v.replicationState === 'Established' && v.peerDiskState === 'UpToDate' && v.outOfSyncBytes === 0)));
}
