// Test helper: run a transport endpoint in a child process (fixtures/peer-process.ts, bundled
// with esbuild) and wait for the events it reports.
import { spawn, type ChildProcess } from 'node:child_process';
import { buildSync } from 'esbuild';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { TcpTransportOptions } from '../../src/transport/tcp.js';

const SCRIPT = fileURLToPath(new URL('./fixtures/peer-process.ts', import.meta.url));
let bundled: string | null = null;

/** The fixture bundled once per test process: a child then starts in ~0.1 s, not seconds. */
function bundle(): string {
  if (bundled) return bundled;
  const dir = mkdtempSync(join(tmpdir(), 'tandem-peer-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const outfile = join(dir, 'peer-process.mjs');
  buildSync({ entryPoints: [SCRIPT], outfile, bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'error' });
  bundled = outfile;
  return outfile;
}

export type PeerEvent = { event: string } & Record<string, unknown>;

export class PeerProcess {
  readonly events: PeerEvent[] = [];
  stderr = '';
  private readonly child: ChildProcess;
  private waiters: Array<() => void> = [];
  readonly exited: Promise<void>;

  constructor(options: Omit<TcpTransportOptions, 'logger' | 'clock' | 'random'>, wrap: string[] = []) {
    const argv = [...wrap, process.execPath, bundle(), JSON.stringify(options)];
    this.child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      this.events.push(JSON.parse(line) as PeerEvent);
      for (const wake of this.waiters.splice(0)) wake();
    });
    this.child.stderr!.on('data', (chunk: Buffer) => { this.stderr += chunk.toString(); });
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
  }

  get pid(): number {
    return this.child.pid!;
  }

  send(cmd: string, args: Record<string, unknown> = {}): void {
    this.child.stdin!.write(JSON.stringify({ cmd, ...args }) + '\n');
  }

  of(event: string): PeerEvent[] {
    return this.events.filter((e) => e.event === event);
  }

  /** The first event (from index `from`) matching, or a rejection naming what was seen. */
  async wait(what: string, match: (e: PeerEvent) => boolean, timeoutMs = 15_000, from = 0): Promise<PeerEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.slice(from).find(match);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; events: ${JSON.stringify(this.events)}\nstderr: ${this.stderr}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => { clearTimeout(timer); resolve(); });
      });
    }
  }

  signal(sig: NodeJS.Signals): void {
    this.child.kill(sig);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }
}

/** A port that was free a moment ago (for endpoints that must know each other's port up front). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
