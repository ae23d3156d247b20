// A file system that fails over: ext4 on /dev/tandem/r0/0 (the fuse frontend), mounted by
// Pacemaker's Filesystem resource on the Promoted node, under the configuration `tandem pacemaker
// config --with-fs` generates; an application writes and fsyncs files and records what was
// acknowledged. One fault at a time, then: where is the file system mounted and how long did it
// take, is every acknowledged file there, is e2fsck clean after unmount, and once the faulted
// node is back: every node UpToDate, no tandem-fence-* constraint left, the clone running
// everywhere (no ban). Shared by the test (which asserts) and bench/failover-fs.ts (which records).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ControlClient } from '../../src/daemon/control-client.js';
import { CLONE, RES, TandemCluster, upToDate } from './tandem-cluster.js';

export const DEVICE = `/dev/tandem/${RES}/0`;
export const FS_RESOURCE = `tandem-${RES}-fs0`;
const WRITER = fileURLToPath(new URL('./fixtures/fs-writer.mjs', import.meta.url));

export const FAULTS = ['kill -9 tandemd', 'stop pacemaker', 'STONITH reboot', 'cut replication link', 'pcs resource move --promoted'] as const;
export type Fault = (typeof FAULTS)[number];

export interface FaultOutcome {
  fault: Fault;
  /** the Promoted node the fault hit */
  from: string;
  /** where the file system was mounted next */
  to: string;
  faultToMountedMs: number;
  /** files the writer had acknowledged when the fault hit, and in all */
  ackedAtFault: number;
  acked: number;
  /** what `sha256sum -c` said of the acknowledged files on the new Promoted node (empty: all OK) */
  damaged: string;
  fsckExit: number;
  fsckOutput: string;
  /** after the faulted node is back: every node UpToDate, fence constraints left, clone instances */
  backMs: number;
  /** what never happened while waiting for the node to be back (null: it came back whole) */
  backProblem: string | null;
  /** when it did not come back: what the operator's `split-brain resolve --keep <to>` left (null: back then) */
  afterResolve: string | null;
  constraintsLeft: string[];
  cloneRunningOn: string[];
  writerEnd: string;
}

/** The 3-node cluster with the recommended quorum settings, the fuse frontend, STONITH. */
export function startFsCluster(opts: { repoRoot?: string } = {}): Promise<TandemCluster> {
  return TandemCluster.start({
    // a rebooted node stays away 15 s (a real machine, more): the survivors take over meanwhile
    nodes: 3, fencing: 'resource-only', stonith: true, frontend: 'fuse', repoRoot: opts.repoRoot, rebootDelayMs: 15_000, sizeBytes: 32 * 1024 * 1024,
    // ping-timeout 2 s: a loaded CI machine (load 20 on 2 cores here) misses 500 ms ones and flaps links
    settings: ['quorum = majority', 'on-no-quorum = io-error', 'ping-timeout = 2s'],
  });
}

export class FsFailover {
  readonly mnt: string;
  private round = 0;

  /** `writer`: fixtures/fs-writer.mjs (a bundled bench passes its path in the repository) */
  constructor(readonly tc: TandemCluster, private readonly writer = WRITER) {
    this.mnt = join(tc.dir, 'mnt');
  }

  /** Initial sync, ext4 made on node1's device, the generated configuration applied: returns the node that mounted it. */
  async setUp(): Promise<string> {
    const tc = this.tc;
    mkdirSync(this.mnt, { recursive: true });
    const first = tc.names[0];
    await tc.must(first, ['primary', RES, '--force']);
    const peers = tc.names.filter((n) => n !== first);
    await tc.waitStatus(first, `${peers.join(', ')} UpToDate`, upToDate(peers), 60_000);
    await this.mustExec(first, ['mkfs.ext4', '-q', '-F', DEVICE]);
    await tc.must(first, ['secondary', RES]);
    await tc.applyPacemakerPcs(['--with-fs', `0:${this.mnt}:ext4`]);
    return this.waitMounted(() => true, 90_000).then((m) => m.node);
  }

  /** Where the file system is mounted now (first node found), and as which device. */
  async mountedOn(): Promise<{ node: string; source: string } | null> {
    const found = await Promise.all(this.tc.names.map(async (n) => {
      const r = await this.tc.c.exec(n, ['findmnt', '-n', '-o', 'SOURCE', '--mountpoint', this.mnt], { timeoutMs: 5000 }).catch(() => null);
      return r && r.exitCode === 0 && r.stdout.trim() ? { node: n, source: r.stdout.trim() } : null;
    }));
    return found.find((f) => f !== null) ?? null;
  }

  /** Poll until `ok` accepts the node it is mounted on; `unmounted` is told whenever it is mounted nowhere. */
  async waitMounted(ok: (node: string) => boolean, timeoutMs: number, unmounted: () => void = () => undefined): Promise<{ node: string; at: number }> {
    let at = 0;
    let node = '';
    await this.tc.c.waitFor(async () => {
      const m = await this.mountedOn();
      if (!m) unmounted();
      if (!m || !ok(m.node)) return false;
      [at, node] = [Date.now(), m.node];
      return true;
    }, timeoutMs, 'the file system mounted');
    return { node, at };
  }

  /** Inject one fault on the Promoted node while the writer runs there, and check everything after it. */
  async run(fault: Fault): Promise<FaultOutcome> {
    const tc = this.tc;
    const from = (await this.mountedOn())?.node;
    if (!from) throw new Error('the file system is not mounted anywhere before the fault');
    const round = ++this.round;
    const journal = join(tc.dir, `acked-${round}.txt`);
    const stopFile = join(tc.dir, `stop-${round}`);
    writeFileSync(journal, '');
    const writer = tc.c.exec(from, [process.execPath, this.writer, join(this.mnt, `w${round}`), journal, stopFile], { timeoutMs: 600_000 });
    await tc.c.waitFor(async () => this.ackedIn(journal) >= 30, 30_000, 'the writer acknowledged 30 files');

    const ackedAtFault = this.ackedIn(journal);
    const faultAt = Date.now();
    const recover = await this.inject(fault, from);
    // a mount on another node, or on the same one after its old mount went away (recovery in place)
    let oldMountGone = false;
    const mounted = await this.waitMounted((n) => {
      if (n === from && !oldMountGone) return false;
      return true;
    }, 180_000, () => { oldMountGone = true; }).catch((err: Error) => { throw new Error(`${fault}: ${err.message}`); });
    const faultToMountedMs = mounted.at - faultAt;
    writeFileSync(stopFile, '');
    const writerEnd = (await writer).stdout.trim();
    const to = mounted.node;

    const acked = this.ackedIn(journal);
    const check = await tc.c.exec(to, ['sh', '-c', `cd ${join(this.mnt, `w${round}`)} && sha256sum --quiet -c ${journal}`], { timeoutMs: 60_000 });
    const damaged = check.exitCode === 0 ? '' : `${check.stdout}${check.stderr}`.trim() || `sha256sum exit ${check.exitCode}`;
    const fsck = await this.fsckUnmounted(to);

    await recover();
    const backAt = Date.now();
    const backProblem = await this.waitAllBack(to).then(() => null, (err: Error) => err.message.split('\n')[0]);
    // what an operator does about a node that stays out (a split brain): the next fault starts whole
    const afterResolve = backProblem === null ? null : await this.resolveKeeping(to);
    await tc.c.waitFor(async () => (await tc.fenceConstraints(to)).length === 0, 60_000, 'no tandem-fence constraint left').catch(() => undefined);
    await tc.c.waitFor(async () => (await this.cloneRunningOn(to)).length === tc.names.length, 90_000, 'the clone running on every node').catch(() => undefined);
    const outcome: FaultOutcome = {
      fault, from, to, faultToMountedMs, ackedAtFault, acked, damaged, fsckExit: fsck.exitCode, fsckOutput: fsck.output,
      backMs: Date.now() - backAt, backProblem, afterResolve, constraintsLeft: await tc.fenceConstraints(to), cloneRunningOn: await this.cloneRunningOn(to), writerEnd,
    };
    // failures of the fault (a monitor that saw tandemd gone, say) are history now: start the next round clean
    await tc.c.exec(to, ['crm_resource', '--cleanup'], { timeoutMs: 60_000 });
    await this.waitMounted(() => true, 60_000);
    return outcome;
  }

  /**
   * The Primary sees every node Connected, UpToDate and in sync; every other node sees every peer
   * Connected with UpToDate data (two Secondaries that refused each other would leave the next
   * fault without a quorum). Secondaries' own out-of-sync counts toward each other are not
   * required to be 0: they are only what each may have to resync, and the Primary's count decides.
   */
  private async waitAllBack(primary: string): Promise<void> {
    const tc = this.tc;
    await tc.waitStatus(primary, 'every peer back, UpToDate and in sync', upToDate(tc.names.filter((x) => x !== primary)), 180_000);
    for (const n of tc.names.filter((x) => x !== primary)) {
      await tc.waitStatus(n, 'every peer Connected and UpToDate', (s) => s.connections.length === tc.names.length - 1
        && s.connections.every((c) => c.connectionState === 'Connected' && c.volumes.every((v) => v.peerDiskState === 'UpToDate'))
        && s.volumes.every((v) => v.diskState === 'UpToDate'), 120_000);
    }
  }

  /** `tandem split-brain resolve r0 --keep <keep>` on every node, then every node back (null) or what is still missing. */
  private async resolveKeeping(keep: string): Promise<string | null> {
    for (const n of this.tc.names) await this.tc.cli(n, ['split-brain', 'resolve', RES, '--keep', keep]);
    return this.waitAllBack(keep).then(() => null, (err: Error) => err.message.split('\n')[0]);
  }

  /** Inject the fault; returns how to bring the faulted node back. */
  private async inject(fault: Fault, node: string): Promise<() => Promise<void>> {
    const tc = this.tc;
    const other = tc.names.find((n) => n !== node)!;
    switch (fault) {
      case 'kill -9 tandemd': {
        // its pid inside the node (its own PID namespace), from tandemd itself
        const { pid } = await new ControlClient(join(tc.c.node(node).dir, 'run/tandem', `${node}.ctl`)).call<{ pid: number }>('ping');
        await this.mustExec(node, ['kill', '-9', String(pid)]);
        return async () => undefined; // Pacemaker's recovery starts it again through the agent
      }
      case 'stop pacemaker': {
        // Pacemaker moves everything off the node first, then exits
        const stopped = tc.c.stopPacemaker(node, 120_000);
        return async () => {
          await stopped;
          await tc.c.startPacemaker(node);
        };
      }
      case 'STONITH reboot': {
        const r = await tc.c.exec(other, ['stonith_admin', '--reboot', node, '--timeout', '60'], { timeoutMs: 90_000 });
        if (r.exitCode !== 0) throw new Error(`stonith_admin --reboot ${node}: ${r.stderr}`);
        return async () => undefined; // the simulated device brings it back, the agent starts tandemd
      }
      case 'cut replication link':
        await tc.c.cutLink(node, 'data');
        return () => tc.c.restoreLink(node, 'data');
      case 'pcs resource move --promoted': {
        const r = await tc.c.exec(other, ['pcs', 'resource', 'move', CLONE, '--promoted'], { timeoutMs: 90_000 });
        if (r.exitCode !== 0) throw new Error(`pcs resource move: ${r.stderr}${r.stdout}`);
        return async () => { await tc.c.exec(other, ['pcs', 'resource', 'clear', CLONE], { timeoutMs: 60_000 }); };
      }
    }
  }

  /** Unmount through Pacemaker (disable the Filesystem resource), e2fsck -fn, mount again. */
  private async fsckUnmounted(node: string): Promise<{ exitCode: number; output: string }> {
    const tc = this.tc;
    await this.mustExec(node, ['pcs', 'resource', 'disable', FS_RESOURCE, '--wait=90'], 120_000);
    await tc.c.waitFor(async () => (await this.mountedOn()) === null, 30_000, 'unmounted');
    const fsck = await tc.c.exec(node, ['e2fsck', '-fn', DEVICE], { timeoutMs: 120_000 });
    await this.mustExec(node, ['pcs', 'resource', 'enable', FS_RESOURCE, '--wait=90'], 120_000);
    await this.waitMounted((n) => n === node, 60_000);
    return { exitCode: fsck.exitCode, output: `${fsck.stdout}${fsck.stderr}`.trim() };
  }

  async cloneRunningOn(from: string): Promise<string[]> {
    const xml = await this.tc.c.monXml(from);
    const clone = new RegExp(`<clone id="${CLONE}"[\\s\\S]*?</clone>`).exec(xml)?.[0] ?? '';
    return [...clone.matchAll(/<resource id="tandem-r0"[^>]*role="(?:Promoted|Unpromoted)"[^>]*>\s*<node name="([^"]+)"/g)].map((m) => m[1]).sort();
  }

  private ackedIn(journal: string): number {
    return existsSync(journal) ? readFileSync(journal, 'utf8').split('\n').filter(Boolean).length : 0;
  }

  private async mustExec(node: string, argv: string[], timeoutMs = 60_000): Promise<string> {
    const r = await this.tc.c.exec(node, argv, { timeoutMs });
    if (r.exitCode !== 0) throw new Error(`${argv.join(' ')} on ${node} failed (${r.exitCode}): ${r.stderr}${r.stdout}`);
    return r.stdout;
  }
}
