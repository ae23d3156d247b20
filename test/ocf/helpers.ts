// Running ocf/replica the way pacemaker-execd does: a clean environment with OCF_ROOT,
// OCF_RESOURCE_INSTANCE, OCF_RESKEY_* parameters and CRM_meta_* context, cwd /var/lib/pacemaker/cores.
// And a scripted tandemd: the real control server (src/daemon/control-server.ts) answering the
// agent's operations from a small role/disk-state table, so every exit code can be produced.
import { execa } from 'execa';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlServer } from '../../src/daemon/control-server.js';
import { TandemError } from '../../src/lib/errors.js';
import type { DiskState, ResourceStatus, Role } from '../../src/engine/states.js';
import { REPO_ROOT } from '../helpers/cli.js';

export const AGENT = `${REPO_ROOT}ocf/replica`;

export interface AgentRun { rc: number; stdout: string; stderr: string; reason: string | null }

export async function runAgent(action: string, env: Record<string, string | undefined>): Promise<AgentRun> {
  const clean = Object.fromEntries(Object.entries({
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C', OCF_ROOT: '/usr/lib/ocf',
    OCF_RA_VERSION_MAJOR: '1', OCF_RA_VERSION_MINOR: '1', OCF_EXIT_REASON_PREFIX: 'ocf-exit-reason:',
    OCF_RESOURCE_INSTANCE: 'tandem-r0', OCF_RESOURCE_TYPE: 'replica', OCF_RESOURCE_PROVIDER: 'tandem',
    OCF_RESKEY_CRM_meta_timeout: '20000', ...env,
  }).filter(([, v]) => v !== undefined)) as Record<string, string>;
  const cwd = existsSync('/var/lib/pacemaker/cores') ? '/var/lib/pacemaker/cores' : '/';
  const r = await execa(AGENT, [action], { env: clean, extendEnv: false, reject: false, stdin: 'ignore', cwd, timeout: 90_000 });
  const stderr = String(r.stderr);
  const reason = /^ocf-exit-reason:(.*)$/m.exec(stderr)?.[1] ?? null;
  return { rc: r.exitCode ?? -1, stdout: String(r.stdout), stderr, reason };
}

/** Run at most `limit` at once: each agent run is a node process, and the test machine has 2 cores. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** The environment of a process started from a test, without the test runner's own variables. */
export const CLEAN_ENV = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' };

export interface Sandbox { dir: string; configDir: string; runDir: string; remove(): void }

/** A config dir with resource r0 on the given nodes (default alpha, bravo), and a run dir for sockets. */
export function sandbox(prefix: string, nodes = ['alpha', 'bravo']): Sandbox {
  const dir = mkdtempSync(join(tmpdir(), `tandem-${prefix}-`));
  const configDir = join(dir, 'etc');
  const runDir = join(dir, 'run');
  mkdirSync(configDir, { recursive: true });
  writeFileSync(join(configDir, 'r0.ini'), ['[resource]', 'name = r0', 'secret = s3cret-value-1', 'fencing = resource-only', '',
    '[volume.0]', 'size = 16MiB', '',
    ...nodes.flatMap((n, id) => [`[node.${n}]`, `id = ${id}`, `address = 127.0.0.1:${7789 + id}`,
      `volume.0.disk = ${dir}/${n}.img`, `volume.0.meta = pmem:${dir}/${n}.meta`, '']),
  ].join('\n'));
  return { dir, configDir, runDir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface ScriptedState { role: Role; disk: DiskState; refusePromote?: string; peerRole?: Role; failed?: string }

/** tandemd's control protocol, answered from `state` (null = the resource is down). */
export class ScriptedDaemon {
  state: ScriptedState | null = null;
  /** what the next `up` leaves */
  upDisk: DiskState = 'UpToDate';
  readonly ops: string[] = [];
  private readonly server: ControlServer;

  constructor(socketPath: string, private readonly node: string) {
    this.server = new ControlServer(socketPath, async (req) => this.handle(req.op, req.resource));
  }

  listen(): Promise<void> { return this.server.listen(); }
  close(): Promise<void> { return this.server.close(); }

  private handle(op: string, resource?: string): unknown {
    this.ops.push(op);
    switch (op) {
      case 'status':
        if (!this.state) throw new TandemError('TANDEM_E_NOT_FOUND', `resource '${resource}' is not up on node ${this.node}`);
        return { schemaVersion: 1, node: this.node, resources: [this.status(resource ?? 'r0')] };
      case 'up': this.state ??= { role: 'Secondary', disk: this.upDisk }; return this.status(resource ?? 'r0');
      case 'down': this.state = null; return { name: resource, down: true };
      case 'primary':
        if (this.state?.refusePromote) throw new TandemError('TANDEM_E_STATE', this.state.refusePromote);
        if (this.state?.peerRole === 'Primary') throw new TandemError('TANDEM_E_STATE', `cannot promote ${resource}: bravo is Primary`);
        this.state!.role = 'Primary'; return this.status(resource ?? 'r0');
      case 'secondary': this.state!.role = 'Secondary'; return this.status(resource ?? 'r0');
      case 'outdate': this.state!.disk = 'Outdated'; return this.status(resource ?? 'r0');
      default: throw new TandemError('TANDEM_E_USAGE', `unexpected op ${op}`);
    }
  }

  private status(name: string): ResourceStatus {
    const s = this.state!;
    return {
      name, role: s.role, quorum: true, suspended: false, constraints: [], held: null, ...(s.failed ? { failed: s.failed } : {}),
      volumes: [{ volume: 0, diskState: s.disk, sizeBytes: 16 << 20, export: s.role === 'Primary' ? '/run/x.nbd' : null, device: null, currentGeneration: 'a1' }],
      connections: [{
        peer: 'bravo', nodeId: 1, connectionState: 'Connected', peerRole: s.peerRole ?? 'Secondary',
        volumes: [{ volume: 0, replicationState: 'Established', peerDiskState: 'UpToDate', outOfSyncBytes: 0, resync: null }],
      }],
    };
  }
}
