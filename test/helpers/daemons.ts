// Real tandemd processes for tests: each node gets its own TANDEM_NODE and run directory on one
// machine, sharing one configuration directory, exactly as the demo and an administrator would.
import { execa, type ResultPromise } from 'execa';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { releaseFrontends } from '../../src/platform/node/frontend/attach.js';
import { TANDEM_BIN, tandem, tandemJson } from './cli.js';

export interface DaemonNode {
  name: string;
  env: Record<string, string>;
  process: ResultPromise | null;
  /** everything this run of the daemon wrote to stderr (structured log lines) */
  log: string[];
}

export class TestCluster {
  readonly root: string;
  readonly configDir: string;
  readonly nodes = new Map<string, DaemonNode>();
  /** every log line of every run of each node's daemon, a marker line between runs */
  readonly logHistory = new Map<string, string[]>();

  constructor(prefix = 'tandem-test-') {
    this.root = mkdtempSync(join(process.env.TANDEM_TEST_TMP ?? '/dev/shm', prefix));
    this.configDir = join(this.root, 'etc');
    mkdirSync(this.configDir);
  }

  writeConfig(file: string, text: string): string {
    const path = join(this.configDir, file);
    writeFileSync(path, text);
    return path;
  }

  /** Give one node a configuration directory of its own (as a separate machine has). */
  writeNodeConfig(node: string, file: string, text: string): void {
    const dir = join(this.root, `etc-${node}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, file), text);
    this.nodeConfigDirs.set(node, dir);
  }

  private readonly nodeConfigDirs = new Map<string, string>();

  envFor(name: string): Record<string, string> {
    return {
      TANDEM_NODE: name,
      TANDEM_CONFIG_DIR: this.nodeConfigDirs.get(name) ?? this.configDir,
      TANDEM_RUN_DIR: join(this.root, 'run'),
      // block devices of a Primary (frontend) per node: nodes share this machine's /dev
      TANDEM_DEV_DIR: join(this.root, 'dev', name),
      TANDEM_LOG_LEVEL: process.env.TANDEM_LOG_LEVEL ?? 'info',
    };
  }

  /** Start tandemd for a node and wait until its control socket answers. */
  async start(name: string, wrap: string[] = []): Promise<DaemonNode> {
    const env = this.envFor(name);
    const argv = [...wrap, process.execPath, TANDEM_BIN, 'daemon'];
    const child = execa(argv[0], argv.slice(1), { env, reject: false, stdin: 'ignore', buffer: false });
    const node: DaemonNode = { name, env, process: child, log: [] };
    const history = this.logHistory.get(name) ?? [];
    if (history.length > 0) history.push(`--- tandemd ${name} restarted at ${new Date().toISOString()}`);
    this.logHistory.set(name, history);
    // a chunk may end in the middle of a line: keep the tail until its newline arrives
    let partial = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      const complete = lines.filter(Boolean);
      node.log.push(...complete);
      history.push(...complete);
    });
    this.nodes.set(name, node);
    await this.waitReady(node);
    return node;
  }

  private async waitReady(node: DaemonNode): Promise<void> {
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      if (node.process?.exitCode !== null && node.process?.exitCode !== undefined) {
        throw new Error(`tandemd ${node.name} exited: ${node.log.join('\n')}`);
      }
      const r = await tandem(['status', '--json'], node.env);
      if (r.exitCode === 0) return;
      await sleep(50);
    }
    throw new Error(`tandemd ${node.name} did not come up: ${node.log.join('\n')}`);
  }

  cli(name: string, args: string[]) {
    return tandem(args, this.envFor(name));
  }

  cliJson<T = unknown>(name: string, args: string[]) {
    return tandemJson<T>(args, this.envFor(name));
  }

  /** kill -9, as a crash. */
  async kill(name: string): Promise<void> {
    const node = this.nodes.get(name);
    if (!node?.process) return;
    node.process.kill('SIGKILL');
    await node.process.catch(() => undefined);
    node.process = null;
  }

  async stop(name: string): Promise<void> {
    const node = this.nodes.get(name);
    if (!node?.process) return;
    node.process.kill('SIGTERM');
    const done = await Promise.race([node.process.then(() => true, () => true), sleep(10_000).then(() => false)]);
    if (!done) node.process.kill('SIGKILL');
    await node.process.catch(() => undefined);
    node.process = null;
  }

  /** The last `lines` log lines of every node (across restarts), for a failing test's report. */
  logTails(lines = 25): string {
    return [...this.logHistory].map(([name, log]) => `--- tandemd ${name} (last ${Math.min(lines, log.length)} of ${log.length} lines)\n${log.slice(-lines).join('\n')}`).join('\n');
  }

  async destroy(): Promise<void> {
    for (const name of this.nodes.keys()) await this.kill(name);
    // killed daemons leave their frontends (loop devices, nbdfuse) as a crash does: undo them
    for (const name of this.nodes.keys()) {
      const stateDir = join(this.root, 'run', `${name}.frontends`);
      for (const res of existsSync(stateDir) ? readdirSync(stateDir) : []) await releaseFrontends({ stateDir }, res).catch(() => undefined);
    }
    if (!process.env.TANDEM_KEEP_TEST_DIRS) rmSync(this.root, { recursive: true, force: true });
  }

  exists(path: string): boolean {
    return existsSync(path);
  }
}
