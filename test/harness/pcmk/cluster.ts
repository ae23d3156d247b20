// A real Pacemaker + Corosync cluster of N nodes on this machine, for tests.
//
// Each node is a network namespace (eth0 = cluster link for corosync, eth1 = a separate data
// link for tandemd) plus mount/UTS/PID namespaces whose PID 1 (the "holder") keeps per-node
// /etc/corosync, /var/lib/{corosync,pacemaker}, /var/log/{corosync,pacemaker}, /run and
// /dev/shm. libqb's IPC uses abstract unix sockets, which are per network namespace, so a tool
// run on a node (exec) talks only to that node's daemons. Nothing is written to the host's /etc,
// /var or /run. A "switch" namespace holds one bridge per link.
//
// Simulated STONITH (stonith: true): a fence agent (fence-agent.sh, mounted over /usr/sbin in every
// node) drops a request file; this process kills the victim node (and restarts it for a reboot).
//
// Typical use:
//   const c = await PcmkCluster.start({ nodes: 3 });
//   await c.exec('node1', ['crm_mon', '-1']);
//   await c.waitFor(async () => (await c.promoted('tandem-r0-clone')).length === 1, 20_000, 'one Promoted');
//   await c.cutLink('node2', 'cluster');
//   await c.stop();
import { execa } from 'execa';
import { spawn } from 'node:child_process';
import {
  chownSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync,
  renameSync, rmSync, statSync, symlinkSync, writeFileSync,
} from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

export type Link = 'cluster' | 'data';

export interface ClusterOptions {
  nodes: number;
  /** simulated STONITH device that kills (and for reboot restarts) the victim node */
  stonith?: boolean;
  /** OCF providers visible in every node: { tandem: '/abs/dir/with/agents' } */
  ocfProviders?: Record<string, string>;
  /** bound on start (namespaces, daemons, quorum): default 90 s */
  startTimeoutMs?: number;
  /** keep the state directory (logs) after stop, for diagnosis */
  keep?: boolean;
  /**
   * Directories each node gets a private, empty tmpfs at, as a machine has its own /dev: e.g.
   * ['/dev/tandem'] for the Primary's block devices. The directory is created on the host
   * (empty) when missing, as the mount point.
   */
  privateDirs?: string[];
  /**
   * killNode (and STONITH) behaves like a machine that crashes: its links go silent first (no
   * FIN or RST reaches the peers, whose TCP connections just stop answering), then every process
   * and the node's namespaces die, so its mounts go too; startNode builds them again and brings the
   * links back. Without it a killed node's kernel-side state (sockets closed with FIN, mounts) stays
   * as if only its processes had died.
   */
  crashLikeMachine?: boolean;
  /** a simulated STONITH reboot brings the node back after this long (default 2000 ms; a real machine takes far longer) */
  rebootDelayMs?: number;
  /** the fence agent script (default: fence-agent.sh beside this file; a bundled bench passes its path in the repository) */
  fenceAgent?: string;
}

export interface NodeInfo { name: string; index: number; ns: string; dir: string; clusterAddr: string; dataAddr: string }

export interface ExecResult { exitCode: number; stdout: string; stderr: string }

const HOLDER_SLEEP = 86399;
const CLEAN_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const FENCE_AGENT = fileURLToPath(new URL('./fence-agent.sh', import.meta.url));

export class PcmkCluster {
  readonly nodes: NodeInfo[];
  private readonly switchNs: string;
  private fenceTimer: NodeJS.Timeout | null = null;
  /** the overlay mounts every node's holder makes (kept to rebuild a node after a crash) */
  private overlays: string[] = [];
  private stopped = false;

  private constructor(readonly dir: string, readonly prefix: string, readonly options: ClusterOptions) {
    this.switchNs = `${prefix}-sw`;
    this.nodes = Array.from({ length: options.nodes }, (_, i) => ({
      name: `node${i + 1}`, index: i + 1, ns: `${prefix}-n${i + 1}`, dir: join(dir, `node${i + 1}`),
      clusterAddr: `10.213.0.${i + 1}`, dataAddr: `10.214.0.${i + 1}`,
    }));
  }

  /** Build the namespaces, start corosync and pacemaker everywhere, wait for DC + quorum + all online. */
  static async start(options: ClusterOptions): Promise<PcmkCluster> {
    if (userInfo().uid !== 0) throw new Error('a Pacemaker test cluster needs root (namespaces, corosync)');
    if (options.nodes < 1 || options.nodes > 9) throw new Error('nodes must be 1..9');
    const dir = mkdtempSync(join(tmpdir(), 'tandem-pcmk-'));
    const prefix = `tpk${process.pid % 10000}${Math.floor(Math.random() * 100)}`;
    const c = new PcmkCluster(dir, prefix, options);
    try {
      await c.build();
      for (const n of c.nodes) await c.startNode(n.name);
      await c.waitFor(() => c.ready(), options.startTimeoutMs ?? 90_000, 'cluster online with quorum');
      return c;
    } catch (err) {
      const logs = c.logTails();
      await c.stop(true);
      throw new Error(`${err instanceof Error ? err.message : String(err)}\n${logs}`);
    }
  }

  node(name: string): NodeInfo {
    const n = this.nodes.find((x) => x.name === name);
    if (!n) throw new Error(`no node ${name} (nodes: ${this.nodes.map((x) => x.name).join(', ')})`);
    return n;
  }

  /** Run a command inside a node (its network, mount, UTS and PID namespaces). Never throws on exit code. */
  async exec(name: string, argv: string[], opts: { env?: Record<string, string>; timeoutMs?: number; input?: string } = {}): Promise<ExecResult> {
    const holder = this.holderPid(this.node(name));
    const r = await execa('nsenter', ['-t', String(holder), '-m', '-u', '-n', '-p', '--', 'env', `PATH=${CLEAN_PATH}`,
      ...Object.entries(opts.env ?? {}).map(([k, v]) => `${k}=${v}`), ...argv], {
      reject: false, timeout: opts.timeoutMs ?? 30_000, input: opts.input, stdin: opts.input === undefined ? 'ignore' : undefined,
    });
    return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
  }

  /**
   * Poll `condition` every 200 ms until true; fail with `what` after `timeoutMs`. The error carries
   * the tails of every node's logs: a cluster that does not converge says why only there.
   */
  async waitFor(condition: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      if (await condition().catch(() => false)) return;
      if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}\n${this.logTails(25)}`);
      await sleep(200);
    }
  }

  /** crm_mon's XML as seen from a node ('' when it cannot answer). */
  async monXml(name = this.firstAlive()): Promise<string> {
    const r = await this.exec(name, ['crm_mon', '-1', '--output-as=xml'], { timeoutMs: 10_000 });
    return r.exitCode === 0 ? r.stdout : '';
  }

  /** Names of the nodes crm_mon on `from` shows online. */
  async onlineNodes(from = this.firstAlive()): Promise<string[]> {
    const xml = await this.monXml(from);
    return [...xml.matchAll(/<node name="([^"]+)"[^>]*\bonline="true"/g)].map((m) => m[1]).sort();
  }

  async hasQuorum(from = this.firstAlive()): Promise<boolean> {
    return /with_quorum="true"/.test(await this.monXml(from));
  }

  /** Nodes where a clone instance runs Promoted (crm_resource --locate). */
  async promoted(clone: string, from = this.firstAlive()): Promise<string[]> {
    const r = await this.exec(from, ['crm_resource', '--locate', '--resource', clone]);
    return [...r.stdout.matchAll(/is running on: (\S+) (?:Promoted|Master)/g)].map((m) => m[1]).sort();
  }

  /** Take a node's link down (cluster: corosync's eth0; data: eth1 for replication traffic). */
  async cutLink(name: string, link: Link): Promise<void> {
    await this.ip(['-n', this.node(name).ns, 'link', 'set', link === 'cluster' ? 'eth0' : 'eth1', 'down']);
  }

  async restoreLink(name: string, link: Link): Promise<void> {
    await this.ip(['-n', this.node(name).ns, 'link', 'set', link === 'cluster' ? 'eth0' : 'eth1', 'up']);
  }

  /** Crash a node: SIGKILL everything in it but its namespace holder (crashLikeMachine: links silent first, the holder too). */
  async killNode(name: string): Promise<void> {
    const n = this.node(name);
    if (this.options.crashLikeMachine) for (const link of ['cluster', 'data'] as const) await this.cutLink(name, link);
    const holder = this.options.crashLikeMachine ? this.readPid(n, 'holder') : null;
    const pids = [...this.nodePids(n), ...(holder ? [holder] : [])];
    for (const pid of pids) signal(pid, 'SIGKILL');
    await this.waitFor(async () => pids.every((p) => !alive(p)), 10_000, `${name} processes gone`);
  }

  /** Start corosync then pacemakerd on a node (after start or killNode). Returns once corosync answers. */
  async startNode(name: string): Promise<void> {
    const n = this.node(name);
    const holder = this.readPid(n, 'holder');
    if (!holder || !alive(holder)) await this.startHolder(n, this.overlays); // its namespaces died with it
    if (this.options.crashLikeMachine) for (const link of ['cluster', 'data'] as const) await this.restoreLink(name, link);
    await this.daemon(n, 'corosync', ['corosync', '-f']);
    await this.waitFor(async () => (await this.exec(name, ['corosync-cfgtool', '-s'], { timeoutMs: 5000 })).exitCode === 0,
      30_000, `corosync on ${name}`);
    await this.daemon(n, 'pacemakerd', ['env', 'PCMK_logfacility=none', 'PCMK_logfile=/var/log/pacemaker/pacemaker.log', 'pacemakerd']);
  }

  /** Stop Pacemaker alone on a node, gracefully (its resources are stopped or moved first); corosync stays. */
  async stopPacemaker(name: string, timeoutMs = 60_000): Promise<void> {
    await this.stopDaemon(this.node(name), 'pacemakerd', timeoutMs);
  }

  /** Start Pacemaker again on a node whose corosync runs. */
  async startPacemaker(name: string): Promise<void> {
    await this.daemon(this.node(name), 'pacemakerd', ['env', 'PCMK_logfacility=none', 'PCMK_logfile=/var/log/pacemaker/pacemaker.log', 'pacemakerd']);
  }

  /** The PID (as this machine sees it) of the node's namespace holder, to enter the node with nsenter. */
  holder(name: string): number {
    return this.holderPid(this.node(name));
  }

  /** Graceful stop of every node, then the namespaces and (unless keep) the state directory. */
  async stop(force = false): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.fenceTimer) clearInterval(this.fenceTimer);
    if (!force) {
      await Promise.all(this.nodes.map((n) => this.stopDaemon(n, 'pacemakerd', 30_000)));
      await Promise.all(this.nodes.map((n) => this.stopDaemon(n, 'corosync', 10_000)));
    }
    for (const n of this.nodes) {
      const holder = this.readPid(n, 'holder');
      // killing a PID namespace's init kills every process of that namespace
      if (holder && alive(holder)) signal(holder, 'SIGKILL');
    }
    for (const n of this.nodes) await this.waitFor(async () => this.nodePids(n).length === 0, 10_000, `${n.name} empty`).catch(() => undefined);
    for (const ns of [...this.nodes.map((n) => n.ns), this.switchNs]) await execa('ip', ['netns', 'del', ns], { reject: false });
    if (!this.options.keep) rmSync(this.dir, { recursive: true, force: true });
  }

  /** Last lines of every node's logs, for a failure message. */
  logTails(lines = 15): string {
    const out: string[] = [];
    for (const n of this.nodes) {
      for (const f of ['var-log-pacemaker/pacemaker.log', 'var-log-corosync/corosync.log', 'holder.log', 'corosync.out', 'pacemakerd.out']) {
        const path = join(n.dir, f);
        if (existsSync(path) && statSync(path).size > 0) out.push(`--- ${n.name} ${f}`, ...readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines));
      }
    }
    return out.join('\n');
  }

  // --- building ------------------------------------------------------------------------------

  private async build(): Promise<void> {
    const multi = this.nodes.length > 1;
    if (multi) {
      await this.ip(['netns', 'add', this.switchNs]);
      for (const br of ['br0', 'br1']) {
        await this.ip(['-n', this.switchNs, 'link', 'add', br, 'type', 'bridge']);
        await this.ip(['-n', this.switchNs, 'link', 'set', br, 'up']);
      }
    }
    const overlays = this.prepareOverlays();
    this.overlays = overlays;
    for (const n of this.nodes) {
      this.prepareNodeDir(n);
      await this.ip(['netns', 'add', n.ns]);
      await this.ip(['-n', n.ns, 'link', 'set', 'lo', 'up']);
      if (multi) {
        for (const [eth, br, addr, port] of [['eth0', 'br0', n.clusterAddr, `vc${n.index}`], ['eth1', 'br1', n.dataAddr, `vd${n.index}`]]) {
          await this.ip(['-n', this.switchNs, 'link', 'add', port, 'type', 'veth', 'peer', 'name', eth, 'netns', n.ns]);
          await this.ip(['-n', this.switchNs, 'link', 'set', port, 'master', br, 'up']);
          await this.ip(['-n', n.ns, 'addr', 'add', `${addr}/24`, 'dev', eth]);
          await this.ip(['-n', n.ns, 'link', 'set', eth, 'up']);
        }
      }
      await this.startHolder(n, overlays);
    }
    if (this.options.stonith) this.fenceTimer = setInterval(() => void this.serveFencing(), 100);
  }

  private prepareNodeDir(n: NodeInfo): void {
    for (const d of ['etc-corosync', 'var-lib-corosync', 'var-log-corosync', 'run', 'var-lib-pacemaker/cib', 'var-lib-pacemaker/pengine',
      'var-lib-pacemaker/blackbox', 'var-lib-pacemaker/cores', 'var-log-pacemaker']) mkdirSync(join(n.dir, d), { recursive: true });
    const { uid, gid } = pacemakerIds();
    for (const d of ['var-lib-pacemaker', 'var-lib-pacemaker/cib', 'var-lib-pacemaker/pengine', 'var-lib-pacemaker/blackbox',
      'var-lib-pacemaker/cores', 'var-log-pacemaker']) chownSync(join(n.dir, d), uid, gid);
    writeFileSync(join(n.dir, 'etc-corosync/corosync.conf'), this.corosyncConf());
    const cib = join(n.dir, 'var-lib-pacemaker/cib/cib.xml');
    writeFileSync(cib, this.initialCib(), { mode: 0o600 });
    chownSync(cib, uid, gid);
  }

  private corosyncConf(): string {
    const single = this.nodes.length === 1;
    return [
      'totem {', '  version: 2', `  cluster_name: ${this.prefix}`, '  transport: knet', '  crypto_cipher: none', '  crypto_hash: none', '  token: 1000', '}',
      'quorum {', '  provider: corosync_votequorum', ...(this.nodes.length === 2 ? ['  two_node: 1'] : []), '}',
      'logging {', '  to_logfile: yes', '  logfile: /var/log/corosync/corosync.log', '  to_stderr: no', '  to_syslog: no', '  timestamp: on', '}',
      'nodelist {',
      ...this.nodes.flatMap((n) => ['  node {', `    ring0_addr: ${single ? '127.0.0.1' : n.clusterAddr}`, `    name: ${n.name}`, `    nodeid: ${n.index}`, '  }']),
      '}', '',
    ].join('\n');
  }

  /** dc-deadtime 2 s instead of 20 s: the cluster forms in seconds. */
  private initialCib(): string {
    const stonith = this.options.stonith === true;
    const device = stonith ? `<primitive id="fence-test" class="stonith" type="fence_tandemtest"><instance_attributes id="fence-test-ia">`
      + `<nvpair id="fence-test-hosts" name="pcmk_host_list" value="${this.nodes.map((n) => n.name).join(' ')}"/>`
      + '<nvpair id="fence-test-check" name="pcmk_host_check" value="static-list"/></instance_attributes>'
      + '<operations><op id="fence-test-monitor" name="monitor" interval="60s"/></operations></primitive>' : '';
    return `<cib crm_feature_set="3.16.1" validate-with="pacemaker-3.9" epoch="1" num_updates="0" admin_epoch="0">
  <configuration>
    <crm_config><cluster_property_set id="cib-bootstrap-options">
      <nvpair id="opt-stonith-enabled" name="stonith-enabled" value="${stonith}"/>
      <nvpair id="opt-dc-deadtime" name="dc-deadtime" value="2s"/>
      <nvpair id="opt-cluster-name" name="cluster-name" value="${this.prefix}"/>
    </cluster_property_set></crm_config>
    <nodes/>
    <resources>${device}</resources>
    <constraints/>
  </configuration>
  <status/>
</cib>
`;
  }

  /** Read-only overlays: extra OCF providers over resource.d, the fence agent over /usr/sbin. */
  private prepareOverlays(): string[] {
    const mounts: string[] = [];
    const providers = Object.entries(this.options.ocfProviders ?? {});
    if (providers.length > 0) {
      const layer = join(this.dir, 'ocf-layer');
      for (const [provider, src] of providers) {
        mkdirSync(join(layer, provider), { recursive: true });
        // links, not copies: an agent may find its installation relative to its real path
        for (const f of readdirSync(src)) symlinkSync(join(src, f), join(layer, provider, f));
      }
      mounts.push(`mount -n -t overlay overlay -o lowerdir=${layer}:/usr/lib/ocf/resource.d /usr/lib/ocf/resource.d`);
    }
    if (this.options.stonith) {
      const layer = join(this.dir, 'sbin-layer');
      mkdirSync(layer);
      mkdirSync(join(this.dir, 'fence'));
      const text = readFileSync(this.options.fenceAgent ?? FENCE_AGENT, 'utf8').replaceAll('@FENCE_DIR@', join(this.dir, 'fence'))
        .replaceAll('@NODES@', this.nodes.map((n) => n.name).join(' '));
      writeFileSync(join(layer, 'fence_tandemtest'), text, { mode: 0o755 });
      mounts.push(`mount -n -t overlay overlay -o lowerdir=${layer}:/usr/sbin /usr/sbin`);
    }
    return mounts;
  }

  private async startHolder(n: NodeInfo, overlays: string[]): Promise<void> {
    const script = [
      'set -e', `hostname ${n.name}`,
      // -n: no mount table updates, so nothing lands in the host's /run
      `mount -n --bind ${n.dir}/run /run`,
      `mount -n --bind ${n.dir}/etc-corosync /etc/corosync`,
      `mount -n --bind ${n.dir}/var-lib-corosync /var/lib/corosync`,
      `mount -n --bind ${n.dir}/var-log-corosync /var/log/corosync`,
      `mount -n --bind ${n.dir}/var-lib-pacemaker /var/lib/pacemaker`,
      `mount -n --bind ${n.dir}/var-log-pacemaker /var/log/pacemaker`,
      'mount -n -t tmpfs -o mode=1777,size=256m tmpfs /dev/shm',
      ...(this.options.privateDirs ?? []).map((d) => `mkdir -p ${d} && mount -n -t tmpfs -o mode=0755,size=1m tmpfs ${d}`),
      ...overlays,
      `touch ${n.dir}/holder.ready`,
      'set +e', "trap 'exit 0' TERM",
      `while :; do sleep ${HOLDER_SLEEP} & wait $!; done`,
    ].join('\n');
    rmSync(join(n.dir, 'holder.ready'), { force: true });
    const log = openSync(join(n.dir, 'holder.log'), 'a');
    const child = spawn('ip', ['netns', 'exec', n.ns, 'unshare', '--mount', '--uts', '--pid', '--fork', '--mount-proc',
      '--propagation', 'private', '--', 'bash', '-c', script], { detached: true, stdio: ['ignore', log, log] });
    closeSync(log);
    child.unref();
    await this.waitFor(async () => existsSync(join(n.dir, 'holder.ready')), 10_000, `namespaces of ${n.name}`);
    // ip netns exec execs unshare, which forks the holder: its child is PID 1 of the node
    const holder = childOf(child.pid!);
    if (!holder) throw new Error(`no namespace holder for ${n.name}`);
    writeFileSync(join(n.dir, 'holder.pid'), String(holder));
  }

  // --- daemons -------------------------------------------------------------------------------

  private async daemon(n: NodeInfo, what: string, argv: string[]): Promise<void> {
    const out = openSync(join(n.dir, `${what}.out`), 'a');
    // a clean, systemd-like environment: agents must not see the test runner's variables
    const child = spawn('nsenter', ['-t', String(this.holderPid(n)), '-m', '-u', '-n', '-p', '--',
      'env', '-i', `PATH=${CLEAN_PATH}`, 'LANG=C.UTF-8', 'setsid', ...argv], { detached: true, stdio: ['ignore', out, out] });
    closeSync(out);
    child.unref();
    let pid: number | null = null;
    await this.waitFor(async () => (pid = childOf(child.pid!)) !== null, 5000, `${what} on ${n.name} to start`);
    writeFileSync(join(n.dir, `${what}.pid`), String(pid));
  }

  private async stopDaemon(n: NodeInfo, what: string, timeoutMs: number): Promise<void> {
    const pid = this.readPid(n, what);
    if (!pid || !alive(pid)) return;
    signal(pid, 'SIGTERM');
    await this.waitFor(async () => !alive(pid), timeoutMs, `${what} on ${n.name} to stop`).catch(() => signal(pid, 'SIGKILL'));
  }

  // --- simulated STONITH ---------------------------------------------------------------------

  private serving = false;

  /** Requests fence-agent.sh left: "<action> <target> <requester>" in <id>.req, answered in <id>.done. */
  private async serveFencing(): Promise<void> {
    if (this.serving || this.stopped) return;
    this.serving = true;
    try {
      const dir = join(this.dir, 'fence');
      for (const f of readdirSync(dir).filter((x) => x.endsWith('.req'))) {
        const [action, target] = readFileSync(join(dir, f), 'utf8').trim().split(/\s+/);
        rmSync(join(dir, f));
        const rc = await this.fence(action, target).catch(() => 1);
        writeFileSync(join(dir, `${f}.tmp`), String(rc));
        renameSync(join(dir, `${f}.tmp`), join(dir, f.replace(/\.req$/, '.done')));
      }
    } finally {
      this.serving = false;
    }
  }

  private async fence(action: string, target: string): Promise<number> {
    const n = this.nodes.find((x) => x.name === target);
    if (!n) return 1;
    const up = this.nodePids(n).length > 0;
    switch (action) {
      case 'off': await this.killNode(target); return 0;
      case 'reboot':
        await this.killNode(target);
        setTimeout(() => void this.startNode(target).catch(() => undefined), this.options.rebootDelayMs ?? 2000);
        return 0;
      case 'on': if (!up) await this.startNode(target); return 0;
      case 'status': case 'monitor': return up ? 0 : 2;
      default: return 1;
    }
  }

  // --- small helpers -------------------------------------------------------------------------

  private async ready(): Promise<boolean> {
    const xml = await this.monXml(this.nodes[0].name);
    if (!/<current_dc present="true"/.test(xml) || !/with_quorum="true"/.test(xml)) return false;
    return (await this.onlineNodes(this.nodes[0].name)).length === this.nodes.length;
  }

  private firstAlive(): string {
    return (this.nodes.find((n) => this.nodePids(n).length > 0) ?? this.nodes[0]).name;
  }

  private holderPid(n: NodeInfo): number {
    const pid = this.readPid(n, 'holder');
    if (!pid || !alive(pid)) throw new Error(`${n.name} has no running namespace holder`);
    return pid;
  }

  private readPid(n: NodeInfo, what: string): number | null {
    const f = join(n.dir, `${what}.pid`);
    return existsSync(f) ? Number(readFileSync(f, 'utf8')) : null;
  }

  /** Every live process of the node except its holder and the holder's idle sleep. */
  private nodePids(n: NodeInfo): number[] {
    const holder = this.readPid(n, 'holder');
    let pids: number[] = [];
    try {
      pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p)).map(Number).filter((p) => inNamespace(p, this.nsInode(n)));
    } catch {
      return [];
    }
    return pids.filter((p) => p !== holder && alive(p) && !(ppid(p) === holder && cmdline(p) === `sleep ${HOLDER_SLEEP}`));
  }

  private readonly nsInodes = new Map<string, number>();

  private nsInode(n: NodeInfo): number | null {
    if (!this.nsInodes.has(n.ns)) {
      const path = `/run/netns/${n.ns}`;
      if (!existsSync(path)) return null;
      this.nsInodes.set(n.ns, statSync(path).ino);
    }
    return this.nsInodes.get(n.ns)!;
  }

  private async ip(args: string[]): Promise<void> {
    const r = await execa('ip', args, { reject: false });
    if (r.exitCode !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
  }
}

function pacemakerIds(): { uid: number; gid: number } {
  const passwd = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('hacluster:'));
  const group = readFileSync('/etc/group', 'utf8').split('\n').find((l) => l.startsWith('haclient:'));
  if (!passwd || !group) throw new Error('user hacluster / group haclient missing: is pacemaker installed?');
  return { uid: Number(passwd.split(':')[2]), gid: Number(group.split(':')[2]) };
}

/** A process may exit between listing and signalling it: that is success. */
function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

/** Alive unless gone or a zombie (PID 1 of this machine may reap late). */
function alive(pid: number): boolean {
  try {
    const state = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ')[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

function ppid(pid: number): number | null {
  try {
    return Number(readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ')[1]);
  } catch {
    return null;
  }
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
  } catch {
    return '';
  }
}

function childOf(pid: number): number | null {
  try {
    const c = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/)[0];
    return c ? Number(c) : null;
  } catch {
    return null;
  }
}

function inNamespace(pid: number, inode: number | null): boolean {
  if (inode === null) return false;
  try {
    return statSync(`/proc/${pid}/ns/net`).ino === inode;
  } catch {
    return false;
  }
}

