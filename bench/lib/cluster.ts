// Tandem nodes for a benchmark: a resource INI with sparse backing files, `tandem md create`,
// one real tandemd per node (optionally inside a network namespace, optionally under
// node --cpu-prof), driven through the real CLI.
import { execa, type ResultPromise } from 'execa';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, ftruncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { VolumeMetadata } from '../../src/meta/volume-metadata.js';
import type { NodeStatus, ResourceStatus } from '../../src/engine/states.js';
import type { Cleanup } from './cleanup.js';
import { layOutFile } from './disk.js';

export interface BenchNode {
  name: string;
  /** host:port the node listens on for its peers */
  address: string;
  /** command prefix that runs a process on this node's host (ip netns exec …), empty on this host */
  wrap: string[];
}

export interface BenchResourceSpec {
  nodes: BenchNode[];
  protocol: 'A' | 'B' | 'C';
  sizeBytes: number;
  /** pmem: metadata on dataDir (tmpfs), block: metadata in blockDir (a real disk) */
  meta: 'pmem' | 'block';
  dataDir: string;
  blockDir: string;
  /** where the backing files go (dataDir unless said): the real-disk rows put them on /var/tmp */
  diskDir?: string;
  /** lay the backing files out with data written (layOutFile), not sparse: reads then reach the disk */
  filledDisks?: boolean;
  /** extra environment for the daemons (TANDEM_BENCH_NO_METADATA) */
  daemonEnv?: Record<string, string>;
  /** write a V8 CPU profile per daemon into this directory */
  cpuProfDir?: string;
  /** the resource's transport-security (default: the configuration's default, tls) */
  transportSecurity?: 'tls' | 'integrity' | 'none';
}

export const RESOURCE = 'bench';

export class BenchCluster {
  private readonly daemons = new Map<string, ResultPromise>();
  /** Date.now() when each daemon had exited: its CPU profile ends there */
  readonly exitedAt = new Map<string, number>();
  private readonly configDir: string;
  private readonly runDir: string;

  constructor(private readonly spec: BenchResourceSpec, private readonly repoRoot: string, private readonly cleanup: Cleanup) {
    this.configDir = join(spec.dataDir, 'etc');
    this.runDir = join(spec.dataDir, 'run');
    mkdirSync(this.configDir, { recursive: true });
  }

  disk(node: string): string {
    return join(this.spec.diskDir ?? this.spec.dataDir, `${node}.img`);
  }

  socket(node: string): string {
    return join(this.spec.dataDir, `${node}.nbd`);
  }

  uri(node: string): string {
    return `nbd+unix:///?socket=${this.socket(node)}`;
  }

  metaPlacement(node: string): string {
    return this.spec.meta === 'pmem' ? `pmem:${join(this.spec.dataDir, `${node}.pmem`)}` : `block:${join(this.spec.blockDir, `${node}.meta`)}`;
  }

  /** Config, disks (sparse, or laid out) and fresh metadata for every node. */
  async create(): Promise<void> {
    const lines = ['[resource]', `name = ${RESOURCE}`, `protocol = ${this.spec.protocol}`, `secret = ${randomBytes(12).toString('hex')}`,
      'fencing = dont-care', 'frontend = none', ...(this.spec.transportSecurity ? [`transport-security = ${this.spec.transportSecurity}`] : []),
      '', '[volume.0]', `size = ${this.spec.sizeBytes}`, ''];
    for (const n of this.spec.nodes) {
      if (this.spec.filledDisks) await layOutFile(this.disk(n.name), this.spec.sizeBytes);
      else sparseFile(this.disk(n.name), this.spec.sizeBytes);
    }
    this.spec.nodes.forEach((n, id) => {
      lines.push(`[node.${n.name}]`, `id = ${id}`, `address = ${n.address}`, `volume.0.disk = ${this.disk(n.name)}`,
        `volume.0.meta = ${this.metaPlacement(n.name)}`, `volume.0.export = ${this.socket(n.name)}`, '');
    });
    writeFileSync(join(this.configDir, `${RESOURCE}.ini`), lines.join('\n'));
    for (const n of this.spec.nodes) await this.cli(n.name, ['md', 'create', RESOURCE, '--force']);
  }

  /**
   * Skip the initial full sync, as an administrator does for brand-new zeroed disks (DRBD's
   * new-current-uuid --clear-bitmap): every node's metadata gets one shared generation and is
   * marked UpToDate. True here because the backing files are all fresh sparse (all-zero) files or
   * all laid out with the same pattern (layOutFile).
   */
  declareIdentical(): void {
    // bit 0 clear: not made by a Primary; bit 8 set: never 0 (none) or 4 (just created)
    const generation = (randomBytes(8).readBigUInt64BE() | 0x100n) & ~1n;
    for (const n of this.spec.nodes) {
      const meta = VolumeMetadata.open(this.metaPlacement(n.name));
      try {
        meta.setCurrentGeneration(generation);
        meta.setDeviceFlags(['CONSISTENT', 'WAS_UP_TO_DATE']);
      } finally {
        meta.close();
      }
    }
  }

  async start(node: string): Promise<void> {
    const n = this.node(node);
    const prof = this.spec.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${this.spec.cpuProfDir}`, `--cpu-prof-name=${node}.cpuprofile`] : [];
    const argv = [...n.wrap, process.execPath, ...prof, join(this.repoRoot, 'bin/tandem.js'), 'daemon'];
    const child = execa(argv[0], argv.slice(1), {
      env: { ...this.env(node), TANDEM_LOG_LEVEL: 'warn', ...this.spec.daemonEnv }, reject: false, stdin: 'ignore', stdout: 'ignore', stderr: 'pipe',
    });
    this.daemons.set(node, child);
    this.cleanup.add(`stop tandemd ${node}`, () => this.stop(node));
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`tandemd ${node} exited: ${String((await child).stderr)}`);
      const r = await execa(process.execPath, [join(this.repoRoot, 'bin/tandem.js'), 'status', '--json'], { env: this.env(node), reject: false, stdin: 'ignore' });
      if (r.exitCode === 0) return;
      await sleep(50);
    }
    throw new Error(`tandemd ${node} did not answer on its control socket within 20 s`);
  }

  pid(node: string): number {
    const pid = this.daemons.get(node)?.pid;
    if (pid === undefined) throw new Error(`tandemd ${node} is not running`);
    return pid;
  }

  /** SIGTERM (a clean shutdown writes the CPU profile), SIGKILL after 10 s. */
  async stop(node: string): Promise<void> {
    const child = this.daemons.get(node);
    if (!child) return;
    this.daemons.delete(node);
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await child;
    this.exitedAt.set(node, Date.now());
    clearTimeout(timer);
  }

  async stopAll(): Promise<void> {
    for (const node of [...this.daemons.keys()]) await this.stop(node);
  }

  async cli(node: string, args: string[]): Promise<string> {
    const r = await execa(process.execPath, [join(this.repoRoot, 'bin/tandem.js'), ...args], { env: this.env(node), reject: false, stdin: 'ignore', timeout: 60_000 });
    if (r.exitCode !== 0) throw new Error(`tandem ${args.join(' ')} on ${node} failed (exit ${r.exitCode}): ${String(r.stderr || r.stdout)}`);
    return String(r.stdout);
  }

  async status(node: string): Promise<ResourceStatus> {
    const s = JSON.parse(await this.cli(node, ['status', RESOURCE, '--json'])) as NodeStatus;
    const r = s.resources.find((x) => x.name === RESOURCE);
    if (!r) throw new Error(`${node} does not run ${RESOURCE}`);
    return r;
  }

  async waitFor(node: string, what: string, ok: (s: ResourceStatus) => boolean, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last: ResourceStatus | undefined;
    while (Date.now() < deadline) {
      last = await this.status(node);
      if (ok(last)) return;
      await sleep(100);
    }
    throw new Error(`${node}: ${what} not reached within ${timeoutMs} ms; last status ${JSON.stringify(last)}`);
  }

  private node(name: string): BenchNode {
    const n = this.spec.nodes.find((x) => x.name === name);
    if (!n) throw new Error(`no bench node ${name}`);
    return n;
  }

  private env(node: string): Record<string, string> {
    return { TANDEM_NODE: node, TANDEM_CONFIG_DIR: this.configDir, TANDEM_RUN_DIR: this.runDir };
  }
}

/** A file of `size` bytes that costs nothing until written (tmpfs allocates on first touch). */
export function sparseFile(path: string, size: number): void {
  const fd = openSync(path, 'w');
  try {
    ftruncateSync(fd, size);
  } finally {
    closeSync(fd);
  }
}

export const peerEstablished = (peer: string) => (s: ResourceStatus): boolean =>
  s.volumes.every((v) => v.diskState === 'UpToDate') &&
  s.connections.some((c) => c.peer === peer && c.connectionState === 'Connected' &&
    c.volumes.every((v) => v.replicationState === 'Established' && v.peerDiskState === 'UpToDate'));
