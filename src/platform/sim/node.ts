// One simulated machine: its disks and metadata media (they outlive crashes) and the incarnation
// of tandemd running on it, if any (the engine, its platform, what it exported). A crash ends
// the incarnation: its events are dropped, its links vanish, and the media keep what a killed
// process or a power loss leaves (disk.ts, meta-store.ts). A restart is a new incarnation that
// opens the same media.
import type { ResourceConfig } from '../../config/model.js';
import type { VolumeMetadata } from '../../meta/volume-metadata.js';
import type { NbdBackend } from '../../nbd/backend.js';
import type { ResourceStatus } from '../../engine/states.js';
import type { SimDisk } from './disk.js';
import type { EngineFactory, EngineResource } from './engine.js';
import { SimHandlerRunner, type SimCib } from './handlers.js';
import type { MetaMedium, SimMetaStore } from './meta-store.js';
import type { SimNetwork } from './network.js';
import { SimPlatform, stringify, type EngineEvent } from './platform.js';
import type { Random } from './random.js';
import { Owner, type Scheduler } from './scheduler.js';

export type CrashKind = 'killed' | 'power';

export interface Incarnation {
  owner: Owner;
  engine: EngineResource;
  /** up() has resolved: the resource is up and status() means something */
  ready: boolean;
  exports: Map<number, { backend: NbdBackend; handle: object }>;
  metadata: Map<number, VolumeMetadata>;
  /** the metadata stores it opened (a fault can crash the node inside an update) */
  stores: SimMetaStore[];
}

export interface NodeHooks {
  event(node: SimNode, event: EngineEvent): void;
  crashed(node: SimNode, how: CrashKind, lost: Map<number, Map<number, Buffer>>): void;
  exportChanged(node: SimNode, volume: number, backend: NbdBackend | null): void;
  violation(checker: string, message: string): void;
}

export class SimNode {
  incarnation: Incarnation | null = null;
  private generation = 0;
  /** machine boots so far: a power loss is a new boot, a killed process is not */
  private boots = 1;

  constructor(
    readonly config: ResourceConfig,
    readonly name: string,
    readonly id: number,
    private readonly disks: Array<SimDisk | null>,
    private readonly metas: Array<MetaMedium | null>,
    readonly network: SimNetwork,
    private readonly scheduler: Scheduler,
    private readonly cib: SimCib,
    private readonly random: Random,
    private readonly factory: EngineFactory,
    private readonly hooks: NodeHooks,
  ) {}

  get diskful(): boolean {
    return this.disks.some((d) => d !== null);
  }

  /** This machine's boot id as Linux shows it (a UUID): new after every power loss. */
  get bootId(): string {
    const hex = (n: number, width: number): string => n.toString(16).padStart(width, '0');
    return `${hex(this.id + 1, 8)}-0000-4000-8000-${hex(this.boots, 12)}`;
  }

  get running(): boolean {
    return this.incarnation !== null;
  }

  disk(volume: number): SimDisk | null {
    return this.disks[volume] ?? null;
  }

  metaMedium(volume: number): MetaMedium | null {
    return this.metas[volume] ?? null;
  }

  /** The engine's status, when an incarnation is up (null while down or starting). */
  status(): ResourceStatus | null {
    const inc = this.incarnation;
    if (!inc?.ready) return null;
    return inc.engine.status();
  }

  /** Start tandemd and `tandem up` the resource. Resolves when up() settles. */
  async start(holdFormerPrimary: boolean): Promise<void> {
    if (this.incarnation) return;
    const owner = new Owner(`${this.name}#${++this.generation}`);
    const handlers = new SimHandlerRunner(this.cib, this.scheduler, owner, this.random.fork(`handlers${this.generation}`));
    const platform = new SimPlatform(this, owner, this.scheduler, this.random.fork(`platform${this.generation}`), handlers);
    const engine = this.factory(this.config, this.name, platform);
    const inc: Incarnation = { owner, engine, ready: false, exports: new Map(), metadata: new Map(), stores: [] };
    this.incarnation = inc;
    this.cib.members.set(this.name, { up: true, expectedDown: false });
    this.scheduler.trace.note(this.scheduler.now(), owner.name, `start (holdFormerPrimary=${holdFormerPrimary})`);
    try {
      await engine.up({ holdFormerPrimary });
      if (owner.alive) inc.ready = true;
    } catch (err) {
      if (!owner.alive) return;
      this.scheduler.trace.note(this.scheduler.now(), owner.name, `up failed: ${String(err)}`);
      this.incarnation = null;
      owner.alive = false;
      this.network.nodeDied(this.id, 'killed');
      throw err;
    }
  }

  /** The machine (power) or the process (killed) dies now. */
  crash(how: CrashKind): void {
    const inc = this.incarnation;
    if (!inc) return;
    inc.owner.alive = false;
    this.incarnation = null;
    this.scheduler.trace.note(this.scheduler.now(), inc.owner.name, `CRASH (${how})`);
    this.network.nodeDied(this.id, how);
    const lost = new Map<number, Map<number, Buffer>>();
    this.disks.forEach((d, v) => {
      if (!d) return;
      if (how === 'power') lost.set(v, d.powerLoss());
      else d.processKilled();
    });
    if (how === 'power') for (const m of this.metas) m?.powerLoss();
    if (how === 'power') this.boots++;
    for (const v of inc.exports.keys()) this.hooks.exportChanged(this, v, null);
    this.cib.members.set(this.name, { up: false, expectedDown: true });
    this.hooks.crashed(this, how, lost);
  }

  /** `tandem down` and a daemon stop; the node is down afterwards (a failing down is a kill). */
  async stop(): Promise<void> {
    const inc = this.incarnation;
    if (!inc) return;
    try {
      await inc.engine.down();
    } catch (err) {
      this.scheduler.trace.note(this.scheduler.now(), inc.owner.name, `down failed: ${String(err)}`);
    }
    if (this.incarnation !== inc) return;
    for (const v of inc.exports.keys()) this.hooks.exportChanged(this, v, null);
    for (let v = 0; v < this.disks.length; v++) this.disks[v]?.processKilled();
    inc.owner.alive = false;
    this.incarnation = null;
    this.network.nodeDied(this.id, 'killed');
    this.cib.members.set(this.name, { up: false, expectedDown: true });
  }

  // ---- called by SimPlatform ------------------------------------------------------------------

  engineEvent(event: EngineEvent): void {
    this.hooks.event(this, event);
  }

  metadataOpened(volume: number, meta: VolumeMetadata, store: SimMetaStore): void {
    this.incarnation?.metadata.set(volume, meta);
    this.incarnation?.stores.push(store);
  }

  exported(volume: number, backend: NbdBackend): object {
    const handle = {};
    const inc = this.incarnation;
    if (!inc) return handle;
    inc.exports.set(volume, { backend, handle });
    this.hooks.exportChanged(this, volume, backend);
    return handle;
  }

  unexported(volume: number, handle: object): void {
    const inc = this.incarnation;
    if (!inc || inc.exports.get(volume)?.handle !== handle) return;
    inc.exports.delete(volume);
    this.hooks.exportChanged(this, volume, null);
  }

  describe(): string {
    const s = this.status();
    if (!s) return `${this.name}: ${this.incarnation ? 'starting' : 'down'}`;
    return `${this.name}: ${stringify({ role: s.role, disks: s.volumes.map((v) => v.diskState), quorum: s.quorum, suspended: s.suspended,
      peers: s.connections.map((c) => `${c.peer}:${c.connectionState}:${c.peerRole}:${c.volumes.map((v) => `${v.replicationState}/${v.peerDiskState}/${v.outOfSyncBytes}`).join(',')}`) })}`;
  }
}
