// `tandem demo`: a throwaway 3-node cluster on this machine (separate daemon processes on
// loopback, disks and PMEM metadata as files on tmpfs). It writes through NBD, kills the Primary
// with SIGKILL in the middle of the write stream, promotes another node, checks that every
// acknowledged write is there, compares the survivors' data by checksum, and cleans up.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa, type ResultPromise } from 'execa';
import { TandemError } from '../lib/errors.js';
import { MiB } from '../lib/units.js';
import { NbdClient } from './nbd-client.js';
import type { NodeStatus } from '../engine/states.js';

export interface DemoOptions {
  /** tandem CLI entry (bin/tandem.js or the single binary) */
  cli: string[];
  volumeBytes: number;
  writeSeconds: number;
  say: (line: string) => void;
  keep: boolean;
}

export interface DemoSummary {
  nodes: string[];
  /** writes the Primary acknowledged before it was killed */
  acknowledgedWrites: number;
  /** distinct blocks written; each must hold its last acknowledged (or its in-flight) data */
  blocksChecked: number;
  blocksVerified: number;
  lostWrites: number;
  failoverMs: number;
  survivorsIdentical: boolean;
  sha256: Record<string, string>;
}

const NODES = ['n1', 'n2', 'n3'];
const BLOCK = 64 * 1024;

export async function runDemo(opts: DemoOptions): Promise<DemoSummary> {
  const cluster = await DemoCluster.create(opts);
  try {
    return await cluster.run();
  } finally {
    await cluster.destroy();
  }
}

class DemoCluster {
  private readonly daemons = new Map<string, ResultPromise>();

  private constructor(private readonly opts: DemoOptions, private readonly root: string) {}

  static async create(opts: DemoOptions): Promise<DemoCluster> {
    const root = mkdtempSync('/dev/shm/tandem-demo-');
    const cluster = new DemoCluster(opts, root);
    await cluster.writeConfig();
    return cluster;
  }

  async run(): Promise<DemoSummary> {
    const say = this.opts.say;
    say(`1. three nodes on loopback, data and PMEM metadata on tmpfs under ${this.root}`);
    for (const n of NODES) await this.cli(n, ['md', 'create', 'demo', '--force']);
    for (const n of NODES) await this.startDaemon(n);
    for (const n of NODES) await this.cli(n, ['up', 'demo']);
    say('2. n1 becomes Primary (--force: first promotion); n2 and n3 run their initial full sync');
    await this.cli('n1', ['primary', 'demo', '--force']);
    await this.waitUpToDate('n1', ['n2', 'n3']);
    say(`3. writing ${BLOCK / 1024} KiB blocks through n1's NBD export, then kill -9 of n1 mid-stream`);
    const { acceptable: acked, acknowledged } = await this.writeAndKill('n1');
    say(`   ${acknowledged} writes acknowledged to ${acked.size} distinct blocks before the crash`);
    const t0 = Date.now();
    await this.cli('n2', ['primary', 'demo']);
    const failoverMs = Date.now() - t0;
    say(`4. n2 promoted in ${failoverMs} ms; verifying every acknowledged write through n2's export`);
    const verified = await this.verify('n2', acked);
    await this.waitUpToDate('n2', ['n3']);
    const sha256 = Object.fromEntries(['n2', 'n3'].map((n) => [n, this.checksum(n)]));
    const identical = sha256.n2 === sha256.n3;
    say(`5. ${verified}/${acked.size} acknowledged writes verified; n2 and n3 data ${identical ? 'identical' : 'DIFFERENT'} (sha256 ${sha256.n2.slice(0, 16)}…)`);
    return { nodes: NODES, acknowledgedWrites: acknowledged, blocksChecked: acked.size, blocksVerified: verified, lostWrites: acked.size - verified, failoverMs, survivorsIdentical: identical, sha256 };
  }

  async destroy(): Promise<void> {
    for (const d of this.daemons.values()) d.kill('SIGKILL');
    await Promise.allSettled([...this.daemons.values()]);
    if (!this.opts.keep) rmSync(this.root, { recursive: true, force: true });
  }

  private env(node: string): Record<string, string> {
    return { TANDEM_NODE: node, TANDEM_CONFIG_DIR: join(this.root, 'etc'), TANDEM_RUN_DIR: join(this.root, 'run') };
  }

  private async writeConfig(): Promise<void> {
    mkdirSync(join(this.root, 'etc'));
    const ports = await freePorts(NODES.length);
    const lines = [
      '[resource]', 'name = demo', 'protocol = C', `secret = ${randomBytes(12).toString('hex')}`, 'fencing = dont-care',
      // three nodes share this machine's /dev: the demo writes through the NBD exports instead
      'frontend = none', '',
      '[volume.0]', `size = ${this.opts.volumeBytes}`, '',
    ];
    NODES.forEach((n, i) => {
      const disk = join(this.root, `${n}-disk.img`);
      writeFileSync(disk, Buffer.alloc(this.opts.volumeBytes));
      lines.push(`[node.${n}]`, `id = ${i}`, `address = 127.0.0.1:${ports[i]}`,
        `volume.0.disk = ${disk}`, `volume.0.meta = pmem:${join(this.root, `${n}-meta.pmem`)}`,
        `volume.0.export = ${join(this.root, `${n}-demo-0.nbd`)}`, '');
    });
    writeFileSync(join(this.root, 'etc', 'demo.ini'), lines.join('\n'));
  }

  private async cli(node: string, args: string[]): Promise<string> {
    const [cmd, ...pre] = this.opts.cli;
    const r = await execa(cmd, [...pre, ...args], { env: this.env(node), reject: false, stdin: 'ignore', timeout: 60_000 });
    if (r.exitCode !== 0) {
      throw new TandemError('TANDEM_E_STATE', `demo step 'tandem ${args.join(' ')}' on ${node} failed: ${r.stderr || r.stdout}`);
    }
    return String(r.stdout);
  }

  private async startDaemon(node: string): Promise<void> {
    const [cmd, ...pre] = this.opts.cli;
    const child = execa(cmd, [...pre, 'daemon'], { env: { ...this.env(node), TANDEM_LOG_LEVEL: 'warn' }, reject: false, stdin: 'ignore', stdout: 'ignore', stderr: 'ignore' });
    this.daemons.set(node, child);
    for (let i = 0; i < 200; i++) {
      const r = await execa(cmd, [...pre, 'status', '--json'], { env: this.env(node), reject: false, stdin: 'ignore' });
      if (r.exitCode === 0) return;
      await sleep(50);
    }
    throw new TandemError('TANDEM_E_DAEMON', `tandemd for ${node} did not start`);
  }

  private async status(node: string): Promise<NodeStatus> {
    return JSON.parse(await this.cli(node, ['status', 'demo', '--json'])) as NodeStatus;
  }

  /** Wait until `node` sees each of `peers` Connected, Established and UpToDate. */
  private async waitUpToDate(node: string, peers: string[]): Promise<void> {
    const deadline = Date.now() + 120_000;
    let last = '';
    while (Date.now() < deadline) {
      const s = (await this.status(node)).resources[0];
      const ok = peers.every((p) => s.connections.some((c) => c.peer === p && c.connectionState === 'Connected' &&
        c.volumes.every((v) => v.replicationState === 'Established' && v.peerDiskState === 'UpToDate')));
      if (ok) return;
      const sync = s.connections.flatMap((c) => c.volumes.map((v) => v.resync ? `${c.peer} ${v.resync.percent.toFixed(0)}% at ${(v.resync.rateBytesPerSec / MiB).toFixed(1)} MiB/s` : `${c.peer} ${v.replicationState}`)).join(', ');
      if (sync !== last) { this.opts.say(`   ${sync}`); last = sync; }
      await sleep(200);
    }
    throw new TandemError('TANDEM_E_TIMEOUT', `peers ${peers.join(', ')} of ${node} did not become UpToDate`);
  }

  /**
   * Random block writes at QD8, then SIGKILL of the Primary while writes are in flight. Each
   * worker owns its own blocks, so a block has at most one write in flight: after the crash it
   * must hold either its last acknowledged data or the data of that unacknowledged write.
   */
  private async writeAndKill(node: string): Promise<{ acceptable: Map<number, string[]>; acknowledged: number }> {
    const client = await NbdClient.open(join(this.root, `${node}-demo-0.nbd`));
    const workers = 8;
    const blocks = Math.floor(client.size / BLOCK / workers);
    const acceptable = new Map<number, string[]>();
    const stopAt = Date.now() + this.opts.writeSeconds * 1000;
    let stopped = false;
    let acknowledged = 0;
    const worker = async (w: number): Promise<void> => {
      while (!stopped) {
        const offset = (Math.floor(Math.random() * blocks) * workers + w) * BLOCK;
        const data = randomBytes(BLOCK);
        const before = acceptable.get(offset);
        acceptable.set(offset, [...(before ?? []).slice(0, 1), sha(data)]); // acked-or-in-flight
        try {
          await client.write(offset, data);
        } catch {
          if (!before) acceptable.set(offset, [sha(Buffer.alloc(BLOCK)), sha(data)]);
          return; // the Primary died: this write was never acknowledged
        }
        acceptable.set(offset, [sha(data)]);
        acknowledged++;
      }
    };
    const running = Array.from({ length: workers }, (_, w) => worker(w));
    while (Date.now() < stopAt) await sleep(20);
    this.daemons.get(node)!.kill('SIGKILL');
    stopped = true;
    await Promise.all(running);
    client.close();
    return { acceptable, acknowledged };
  }

  private async verify(node: string, acceptable: Map<number, string[]>): Promise<number> {
    const client = await NbdClient.open(join(this.root, `${node}-demo-0.nbd`));
    let ok = 0;
    for (const [offset, digests] of acceptable) if (digests.includes(sha(await client.read(offset, BLOCK)))) ok++;
    client.close();
    return ok;
  }

  private checksum(node: string): string {
    return sha(readFileSync(join(this.root, `${node}-disk.img`)));
  }
}

function sha(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

async function freePorts(n: number): Promise<number[]> {
  const ports: number[] = [];
  for (let i = 0; i < n; i++) {
    ports.push(await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const port = (s.address() as { port: number }).port;
        s.close(() => resolve(port));
      });
    }));
  }
  return ports;
}
