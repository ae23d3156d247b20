// The cluster manager's state as the fence handlers see it (an in-memory CIB), and the handler
// runner the engine calls. The handlers follow the contract of src/cluster/fence-handler.ts,
// computed on this model instead of with cibadmin:
//   fence-peer: without the resource's quorum on the local node (TANDEM_QUORUM=no) it steps
//     aside (8: lifts a constraint that allows the local node, places none); the local node must
//     be UpToDate (else 1, nothing placed) and the cluster quorate (else 1); a rival Promoted node refuses (6); otherwise tandem-fence-<res> allows promotion
//     only on the UpToDate nodes, and the answer says what became of the lost peer: 4 a member
//     (now outdated), 7 left the cluster as expected (fenced), 5 unreachable or unknown.
//   unfence-peer: no constraint → 0; every diskful node UpToDate → lifted, 0; otherwise the
//     constraint is widened to the UpToDate nodes and the answer is 2 (still fenced).
//   primary-lost, quorum-lost: they only make Pacemaker look again sooner; the simulated cluster
//     manager looks at every step anyway, so they answer 0 and change nothing.
// Handlers take a random time; a fault can make one fail (1) or time out (-1).
import type { HandlerResult, HandlerRunner } from '../../engine/platform.js';
import { requestFromEnv } from '../../cluster/fence-handler.js';
import type { Random } from './random.js';
import type { Owner, Scheduler } from './scheduler.js';

export const FENCE_PREFIX = 'tandem-fence-';

export interface Member {
  /** tandemd runs there (the cluster manager sees the node) */
  up: boolean;
  /** it went down as the cluster expected (fenced by STONITH, or shut down) */
  expectedDown: boolean;
}

export class SimCib {
  /** constraint id → nodes allowed to be promoted */
  readonly constraints = new Map<string, { resource: string; allowed: string[] }>();
  readonly members = new Map<string, Member>();
  /** the node the cluster manager runs Promoted, if any */
  promoted: string | null = null;
  /** handler runs from now on fail this way (a broken handler or a CIB that does not answer) */
  handlerFault: 'fail' | 'timeout' | null = null;

  constructor(readonly resource: string, nodes: string[], readonly diskful: string[], private readonly onChange: (what: string) => void) {
    for (const n of nodes) this.members.set(n, { up: false, expectedDown: true });
  }

  /** Cluster membership quorum: a majority of the nodes; a two-node cluster runs with
   *  corosync's two_node, where one node alone is quorate. */
  get quorate(): boolean {
    const up = [...this.members.values()].filter((m) => m.up).length;
    return this.members.size === 2 ? up >= 1 : up > this.members.size / 2;
  }

  /** May the cluster manager promote `node`? (no fence constraint forbids it) */
  allows(node: string): boolean {
    for (const c of this.constraints.values()) if (c.resource === this.resource && !c.allowed.includes(node)) return false;
    return true;
  }

  fencePeer(env: Record<string, string>): { exitCode: number; message: string } {
    const req = requestFromEnv(env);
    const id = FENCE_PREFIX + req.resource;
    if (!req.quorate) {
      const ours = this.constraints.get(id);
      if (ours && ours.resource === req.resource && ours.allowed.includes(req.localNode)) {
        this.constraints.delete(id);
        this.onChange(`constraint ${id} lifted: ${req.localNode} has no quorum`);
      }
      return { exitCode: 8, message: `${req.localNode} has no quorum: the majority decides` };
    }
    if (!req.upToDate.includes(req.localNode)) return { exitCode: 1, message: `${req.localNode} is not UpToDate: nothing placed` };
    if (!this.quorate) return { exitCode: 1, message: 'no quorum: nothing placed' };
    if (this.promoted !== null && this.promoted !== req.localNode) return { exitCode: 6, message: `${this.promoted} is Promoted: refusing` };
    this.constraints.set(id, { resource: req.resource, allowed: [...req.upToDate].sort() });
    this.onChange(`constraint ${id} placed: promotion only on ${req.upToDate.join(',')}`);
    const fenced = req.peer ? [req.peer] : this.diskful.filter((n) => !req.upToDate.includes(n));
    if (fenced.length === 0) return { exitCode: 5, message: 'no peer known' };
    const states = fenced.map((n) => this.members.get(n) ?? { up: false, expectedDown: false });
    if (states.every((s) => s.up)) return { exitCode: 4, message: `${fenced.join(',')} online, now outdated` };
    if (states.every((s) => s.up || s.expectedDown)) return { exitCode: 7, message: `${fenced.join(',')} fenced` };
    return { exitCode: 5, message: `${fenced.join(',')} unreachable` };
  }

  unfencePeer(env: Record<string, string>): { exitCode: number; message: string } {
    const req = requestFromEnv(env);
    const id = FENCE_PREFIX + req.resource;
    const existing = this.constraints.get(id);
    if (!existing) return { exitCode: 0, message: 'no constraint' };
    const missing = this.diskful.filter((n) => !req.upToDate.includes(n));
    if (missing.length === 0) {
      this.constraints.delete(id);
      this.onChange(`constraint ${id} lifted`);
      return { exitCode: 0, message: 'lifted' };
    }
    const allowed = [...new Set([...existing.allowed, ...req.upToDate])].sort();
    this.constraints.set(id, { resource: req.resource, allowed });
    this.onChange(`constraint ${id} kept: promotion only on ${allowed.join(',')}`);
    return { exitCode: 2, message: `still fenced: ${missing.join(',')} not UpToDate` };
  }
}

export class SimHandlerRunner implements HandlerRunner {
  constructor(
    private readonly cib: SimCib,
    private readonly scheduler: Scheduler,
    private readonly owner: Owner,
    private readonly random: Random,
  ) {}

  run(name: string, env: Record<string, string>, timeoutMs: number): Promise<HandlerResult> {
    const fault = this.cib.handlerFault;
    const took = fault === 'timeout' ? timeoutMs : this.random.real(20, 400);
    return new Promise((resolve) => {
      this.scheduler.after(took, this.owner, 'handler', name, () => {
        if (fault === 'timeout') { resolve({ exitCode: -1, stdout: '', stderr: `${name} timed out (injected)` }); return; }
        if (fault === 'fail') { resolve({ exitCode: 1, stdout: '', stderr: `${name} failed (injected)` }); return; }
        const out = name === 'tandem-fence-peer' ? this.cib.fencePeer(env)
          : name === 'tandem-unfence-peer' ? this.cib.unfencePeer(env)
            : name === 'tandem-primary-lost' || name === 'tandem-quorum-lost' ? { exitCode: 0, message: 'nothing to do here' }
            : { exitCode: 127, message: `no handler ${name}` };
        resolve({ exitCode: out.exitCode, stdout: out.message, stderr: '' });
      });
    });
  }

  async fenceConstraints(resource: string): Promise<string[]> {
    return [...this.cib.constraints.entries()].filter(([, c]) => c.resource === resource).map(([id]) => id);
  }
}
