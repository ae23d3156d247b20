// A seed becomes a scenario: the cluster (2–5 nodes, some diskless, 1–2 volumes of 8–64 MiB),
// its configuration (protocol, fencing, quorum, metadata placement, activity-log size) and a
// schedule of timed actions: NBD-level I/O on whichever node is Primary, faults, cluster-manager
// and operator actions. The schedule is fixed by the seed before the run starts, so a failing run
// can be shrunk by cutting it (runner.ts); what an action does is decided when it runs, from the
// state then and the action's own random stream (its `pick` seed), so a cut changes nothing
// before the cut.
import type { ConnectionConfig, NodeConfig, Protocol, ResourceConfig, VolumeConfig } from '../../config/model.js';
import { Random } from './random.js';

export type IoOp = 'write' | 'zero' | 'trim' | 'flush' | 'read';

export type Action =
  | { at: number; kind: 'io'; op: IoOp; volume: number; offset: number; length: number; fua: boolean }
  /** kill the process or cut the power of a node, now or at the next moment `when` matches */
  | { at: number; kind: 'crash'; target: Target; how: 'killed' | 'power'; when: 'now' | 'resync' | 'handshake' | 'metadata' }
  | { at: number; kind: 'restart'; target: Target }
  | { at: number; kind: 'partition'; target: Target; other: Target; oneWay: boolean }
  | { at: number; kind: 'isolate'; target: Target }
  | { at: number; kind: 'heal' }
  | { at: number; kind: 'reset'; target: Target; other: Target }
  | { at: number; kind: 'slow-link'; target: Target; other: Target }
  | { at: number; kind: 'disk-fault'; target: Target; fault: 'EIO' | 'ENOSPC' | 'read-EIO' | 'slow' | 'clear' }
  | { at: number; kind: 'handler-fault'; fault: 'fail' | 'timeout' | null }
  /** the cluster manager looks: promote the best-scored node if none is Primary */
  | { at: number; kind: 'crm' }
  /** a planned switchover: demote the Primary; the cluster manager promotes the best node */
  | { at: number; kind: 'switchover' }
  | { at: number; kind: 'operator'; op: OperatorOp; target: Target }
  /** DR takeover: the operator forces a cut-off Secondary to Primary while the old one runs on */
  | { at: number; kind: 'force-split' }
  /** stop issuing I/O for a moment; when the nodes are quiet, compare bitmaps with the data */
  | { at: number; kind: 'checkpoint' };

export type OperatorOp = 'disconnect' | 'connect' | 'invalidate' | 'outdate' | 'detach' | 'attach' | 'secondary';

/** Whom an action is about, resolved when it runs. */
export type Target = { pick: number; role: 'primary' | 'secondary' | 'any' | 'down' | 'diskful' };

export interface Scenario {
  seed: number;
  config: ResourceConfig;
  /** per node: metadata kind */
  metaKinds: Record<string, 'pmem' | 'block'>;
  /**
   * true: the cluster starts as `tandem md create` leaves it (every node Inconsistent, the first
   * diskful node is promoted with --force and fully syncs the others); false: it starts in sync
   * (every diskful node UpToDate in one generation, zeros everywhere), as after a skipped
   * initial sync, and the cluster manager promotes a node.
   */
  initialSync: boolean;
  /** the agent's auto_resync / auto_takeover parameters */
  autoResync: boolean;
  autoTakeover: boolean;
  actions: Action[];
  /** simulated time the schedule spans (ms) */
  activeMs: number;
}

/**
 * A scenario stored by --save (a regression's JSON), with the settings added to the
 * configuration since it was saved at their defaults: it replays as it played then.
 */
export function parseStoredScenario(text: string): Scenario {
  const stored = JSON.parse(text) as Scenario;
  return { ...stored, config: { ...stored.config, csumsAlg: stored.config.csumsAlg ?? 'none' } };
}

export interface ScenarioOptions {
  /** exact number of nodes (2–5); otherwise drawn from the seed */
  nodes?: number;
}

const MiB = 1024 * 1024;

export function generateScenario(seed: number, opts: ScenarioOptions = {}): Scenario {
  const rnd = new Random(seed).fork('scenario');
  const nodeCount = opts.nodes ?? rnd.pick([2, 2, 3, 3, 3, 4, 5]);
  const disklessCount = nodeCount >= 3 ? rnd.pick([0, 0, 1, 1, 2].filter((d) => nodeCount - d >= 2)) : rnd.chance(0.15) ? 1 : 0;
  const names = Array.from({ length: nodeCount }, (_, i) => `n${i}`);
  // diskless nodes are the last ones (a 2-node cluster with one diskless node has one replica)
  const diskless = new Set(names.slice(nodeCount - disklessCount));
  const volumeCount = rnd.chance(0.25) ? 2 : 1;
  // small volumes keep seeds fast (resyncs copy whole extents); 32 and 64 MiB ones exceed a
  // 7-extent activity log, so extents are evicted
  const sizes = Array.from({ length: volumeCount }, () => Number(rnd.weighted({ 8: 4, 16: 3, 32: 1, 64: 1 })) * MiB);
  const diskfulCount = nodeCount - disklessCount;
  const quorum = nodeCount >= 3 && rnd.chance(0.6) ? 'majority' as const : 'off' as const;
  // Every configuration is one that promises not to lose acknowledged writes on failover:
  // fencing, or quorum with three or more nodes (dont-care without quorum is warned against).
  const fencing = quorum === 'majority' && rnd.chance(0.3) ? 'dont-care' as const
    : rnd.chance(0.5) ? 'resource-and-stonith' as const : 'resource-only' as const;
  const metaKinds: Record<string, 'pmem' | 'block'> = {};
  const nodes: NodeConfig[] = names.map((name, id) => {
    metaKinds[name] = rnd.chance(0.5) ? 'pmem' : 'block';
    const volumes: VolumeConfig[] = sizes.map((size, index) => ({
      index,
      disk: diskless.has(name) ? null : `/sim/${name}/disk${index}`,
      meta: diskless.has(name) ? null : { kind: metaKinds[name], path: `/sim/${name}/meta${index}` },
      export: { kind: 'unix', path: `/sim/${name}/r0-${index}.nbd` },
      size,
    }));
    return { name, id, address: { host: `10.0.0.${id + 1}`, port: 7789 }, volumes };
  });
  const pingIntervalMs = rnd.pick([300, 500, 1000, 2000]);
  const config: ResourceConfig = {
    name: 'r0',
    file: 'sim:r0.ini',
    protocol: rnd.weighted({ C: 5, B: 2, A: 2 }),
    secret: 'sim-secret',
    fencing,
    quorum,
    onNoQuorum: rnd.chance(0.5) ? 'io-error' : 'suspend-io',
    onIoError: 'detach',
    afterSb0pri: 'disconnect',
    afterSb1pri: 'disconnect',
    afterSb2pri: 'disconnect',
    alExtents: rnd.pick([7, 8, 16, 1237]),
    resyncRate: rnd.chance(0.2) ? rnd.pick([20, 50, 100]) * MiB : 0,
    pingIntervalMs,
    pingTimeoutMs: rnd.pick([200, 500]),
    standalone: false,
    // the link's protection is the transport's business (TLS, integrity): the simulated network
    // carries decoded frames, so these settings change nothing here
    transportSecurity: 'none',
    previousSecret: '',
    dataIntegrityAlg: 'none',
    // checksum-based resync in half the scenarios (a stream of its own: the other draws stay as they were)
    csumsAlg: rnd.fork('csums-alg').chance(0.5) ? 'sha256' : 'none',
    tlsCert: null,
    tlsKey: null,
    tlsCa: null,
    exportTlsPsk: null,
    exportInsecure: true,
    frontend: 'none', // the simulated client drives the export's backend: no block device on top
    discardNode: null,
    nodes,
    connections: [],
    origins: {},
  };
  // from a stream of its own, so that the draws above (and every seed's schedule) stay as they were
  config.connections = connectionProtocols(new Random(seed).fork('connections'), names, config.protocol);
  const activeMs = rnd.between(2000, 12000);
  const actions = schedule(rnd.fork('schedule'), { sizes, nodeCount, diskfulCount, activeMs, quorum: quorum !== 'off' });
  return { seed, config, metaKinds, initialSync: rnd.chance(0.2), autoResync: rnd.chance(0.8), autoTakeover: true, actions, activeMs };
}

/**
 * Some clusters of 3+ nodes mix protocols per connection, as a Primary with a synchronous local
 * peer and an asynchronous DR peer does: each pair may get its own protocol.
 */
function connectionProtocols(rnd: Random, names: string[], resourceProtocol: Protocol): ConnectionConfig[] {
  if (names.length < 3 || !rnd.chance(0.4)) return [];
  const out: ConnectionConfig[] = [];
  for (let i = 0; i < names.length; i++) {
    for (let j = i + 1; j < names.length; j++) {
      if (!rnd.chance(0.5)) continue;
      const protocol = rnd.weighted<Protocol>({ C: 3, B: 1, A: 2 });
      if (protocol !== resourceProtocol) out.push({ nodes: [names[i], names[j]], protocol });
    }
  }
  return out;
}

interface Shape {
  sizes: number[];
  nodeCount: number;
  diskfulCount: number;
  activeMs: number;
  quorum: boolean;
}

function schedule(rnd: Random, shape: Shape): Action[] {
  const actions: Action[] = [];
  const target = (role: Target['role']): Target => ({ pick: rnd.u32(), role });
  // I/O: a client that issues requests at a steady random rate
  // at most about 300 requests per seed: enough to have writes in flight at every fault
  const ioRateMs = Math.max(rnd.pick([5, 10, 20, 40]), shape.activeMs / 300);
  for (let at = 50; at < shape.activeMs; at += rnd.real(0.2, 2) * ioRateMs) actions.push(io(rnd, at, shape.sizes));
  // faults and operations, at random moments
  const faults = Math.max(1, Math.round(shape.activeMs / rnd.pick([300, 600, 1200])));
  for (let i = 0; i < faults; i++) {
    const at = rnd.real(100, shape.activeMs);
    const kind = rnd.weighted({
      crash: 6, restart: 6, partition: 5, isolate: 2, heal: 5, reset: 3, 'slow-link': 2, 'disk-fault': 2,
      'handler-fault': 1, crm: 6, switchover: 2, operator: 4, 'force-split': shape.quorum ? 0 : 1, checkpoint: 3,
    });
    actions.push(fault(rnd, at, kind, target));
    // most faults heal again after a while, so that more happens than one long outage
    if ((kind === 'partition' || kind === 'isolate' || kind === 'slow-link') && rnd.chance(0.7)) {
      actions.push({ at: at + rnd.real(50, 3000), kind: 'heal' });
    }
    if (kind === 'crash' && rnd.chance(0.7)) actions.push({ at: at + rnd.real(200, 4000), kind: 'restart', target: target('down') });
    if (kind === 'crash' || kind === 'switchover') actions.push({ at: at + rnd.real(500, 3000), kind: 'crm' });
    if (kind === 'force-split') {
      // a takeover happens when the Primary is cut off: the partition comes first, writes on both
      // sides follow, and the sides meet again later
      actions.push({ at: Math.max(0, at - rnd.real(2500, 4000)), kind: 'isolate', target: target('primary') });
      actions.push({ at: at + rnd.real(1500, 5000), kind: 'heal' });
    }
  }
  return actions.sort((a, b) => a.at - b.at);
}

function fault(rnd: Random, at: number, kind: Action['kind'], target: (role: Target['role']) => Target): Action {
  switch (kind) {
    case 'crash':
      return {
        at, kind, target: target(rnd.weighted({ primary: 3, secondary: 2, any: 2 })), how: rnd.chance(0.5) ? 'power' : 'killed',
        when: rnd.weighted({ now: 6, resync: 2, handshake: 2, metadata: 1 }),
      };
    case 'restart': return { at, kind, target: target('down') };
    case 'partition': return { at, kind, target: target('any'), other: target('any'), oneWay: rnd.chance(0.3) };
    case 'isolate': return { at, kind, target: target(rnd.chance(0.5) ? 'primary' : 'any') };
    case 'heal': return { at, kind };
    case 'reset': return { at, kind, target: target('any'), other: target('any') };
    case 'slow-link': return { at, kind, target: target('any'), other: target('any') };
    case 'disk-fault':
      return { at, kind, target: target('diskful'), fault: rnd.weighted({ EIO: 1, ENOSPC: 1, 'read-EIO': 1, slow: 2, clear: 3 }) };
    case 'handler-fault': return { at, kind, fault: rnd.weighted({ fail: 1, timeout: 1, none: 2 }) === 'none' ? null : rnd.pick(['fail', 'timeout'] as const) };
    case 'crm': return { at, kind };
    case 'switchover': return { at, kind };
    case 'operator': {
      const op = rnd.weighted<OperatorOp>({ disconnect: 2, connect: 3, invalidate: 1, outdate: 1, detach: 1, attach: 2, secondary: 1 });
      return { at, kind, op, target: target(op === 'secondary' ? 'primary' : 'secondary') };
    }
    case 'force-split': return { at, kind };
    case 'checkpoint': return { at, kind };
    default: return { at, kind: 'heal' };
  }
}

function io(rnd: Random, at: number, sizes: number[]): Action {
  const volume = rnd.int(sizes.length);
  const size = sizes[volume];
  const op = rnd.weighted<IoOp>({ write: 12, read: 5, zero: 1, trim: 1, flush: 2 });
  if (op === 'flush') return { at, kind: 'io', op, volume, offset: 0, length: 0, fua: false };
  const length = ioLength(rnd, size, op);
  const align = rnd.chance(0.8) ? 4096 : 512;
  const offset = Math.floor(rnd.int(Math.max(1, (size - length) / align + 1))) * align;
  return { at, kind: 'io', op, volume, offset: Math.min(offset, size - length), length, fua: op !== 'read' && rnd.chance(0.1) };
}

/** Mostly small, sometimes large, rarely beyond one 1 MiB wire frame up to NBD's 32 MiB. */
function ioLength(rnd: Random, volumeSize: number, op: IoOp): number {
  // mean ~130 KiB: the simulator's cost is mostly copying bytes, and bugs hide in edges and
  // interleavings more than in volume; large and huge requests still come every few seeds
  const bucket = rnd.weighted({ tiny: 2, small: 10, medium: 3, large: op === 'read' ? 0.1 : 0.2, huge: 0.03 });
  let length: number;
  switch (bucket) {
    case 'tiny': length = 512 * rnd.between(1, 7); break;
    case 'small': length = 4096 * rnd.between(1, 16); break;
    case 'medium': length = 4096 * rnd.between(17, 64); break;
    case 'large': length = MiB * rnd.between(1, 4) + 4096 * rnd.int(64); break;
    default: length = MiB * rnd.between(5, 32);
  }
  return Math.min(length, volumeSize / 2);
}
