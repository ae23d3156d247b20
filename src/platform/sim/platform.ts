// The simulation Platform: what one running incarnation of a node's tandemd gets from the
// simulated world. Time, timers and deferred calls are events of the shared scheduler owned by
// the incarnation (a crash drops them); disks, metadata, links and handlers are the simulated
// ones; an export hands the engine's NbdBackend to the workload instead of serving NBD.
import { createHash } from 'node:crypto';
import type { ExportAddress, ResourceConfig, VolumeConfig } from '../../config/model.js';
import type {
  BlockDevice, Clock, DigestAlg, ExportPort, ExportRequest, HandlerRunner, PeerConnectorPort, Platform, PlatformSettings,
} from '../../engine/platform.js';
import type { Logger } from '../../lib/log.js';
import { VolumeMetadata } from '../../meta/volume-metadata.js';
import type { NbdBackend } from '../../nbd/backend.js';
import type { SimNode } from './node.js';
import type { Random } from './random.js';
import type { Owner, Scheduler } from './scheduler.js';

export interface EngineEvent {
  kind: string;
  resource: string;
  [field: string]: unknown;
}

export class SimPlatform implements Platform {
  readonly clock: Clock;
  readonly log: Logger;
  readonly handlers: HandlerRunner;
  readonly settings: PlatformSettings = { configDir: '/sim/etc/tandem', skipMetadataUpdates: false };
  /** digest latencies: a stream of its own, so runs without csums-alg draw the same numbers as before */
  private readonly digestRandom: Random;

  constructor(
    private readonly node: SimNode,
    private readonly owner: Owner,
    private readonly scheduler: Scheduler,
    private readonly random: Random,
    handlers: HandlerRunner,
  ) {
    this.handlers = handlers;
    this.digestRandom = random.fork('digest');
    this.clock = {
      now: () => scheduler.now(),
      setTimer: (delayMs, fire) => scheduler.after(delayMs, owner, 'timer', '', fire),
    };
    this.log = simLogger(scheduler, owner, node.name, {});
  }

  defer(fn: () => void): void {
    this.scheduler.after(0, this.owner, 'defer', '', fn);
  }

  randomU64(): bigint {
    return this.random.u64();
  }

  /**
   * The real digest (deterministic), delivered as an event of this incarnation after a random
   * latency like a disk read: other events interleave with it, and a crash drops it.
   */
  digest(alg: DigestAlg, data: Buffer): Promise<Buffer> {
    const value = createHash(alg).update(data).digest();
    const latencyMs = this.digestRandom.real(0.01, 0.3);
    return new Promise((resolve) => { this.scheduler.after(latencyMs, this.owner, 'digest', `${data.length} bytes`, () => resolve(value)); });
  }

  /** The machine's boot: a power loss starts a new one, a kill does not (SimNode.bootId). */
  bootId(): Promise<string | null> {
    return Promise.resolve(this.node.bootId);
  }

  emit(event: EngineEvent): void {
    if (!this.owner.alive) return;
    this.scheduler.trace.note(this.scheduler.now(), this.owner.name, `event ${stringify(event)}`);
    this.node.engineEvent(event);
  }

  async openDisk(volume: VolumeConfig): Promise<BlockDevice> {
    const disk = this.node.disk(volume.index);
    if (!disk) throw Object.assign(new Error(`node ${this.node.name} has no disk for volume ${volume.index}`), { code: 'ENOENT' });
    return disk.open(this.scheduler, this.owner);
  }

  openMetadata(volume: VolumeConfig): VolumeMetadata {
    const medium = this.node.metaMedium(volume.index);
    if (!medium) throw Object.assign(new Error(`node ${this.node.name} has no metadata for volume ${volume.index}`), { code: 'ENOENT' });
    const store = medium.open(() => this.owner.alive);
    const meta = VolumeMetadata.open(store, { newGenerationId: (primary) => generationId(this.random, primary), defer: (fn) => this.defer(fn) });
    this.node.metadataOpened(volume.index, meta, store);
    return meta;
  }

  connector(config: ResourceConfig, localNode: string, opts: { connectOnStart: boolean }): PeerConnectorPort {
    return this.node.network.connector(config, localNode, opts, this.owner);
  }

  async startExport(address: ExportAddress | null, name: string, backend: NbdBackend, request: ExportRequest): Promise<ExportPort> {
    const where = address === null ? `private/${name}` : address.kind === 'unix' ? address.path : `${address.host}:${address.port}`;
    const handle = this.node.exported(request.volume, backend);
    return {
      address: `sim:${where}`,
      device: null,
      busy: async () => null,
      close: async () => { this.node.unexported(request.volume, handle); },
    };
  }
}

/** A generation id as src/meta/generations.ts makes them (bit 0: created while Primary), seeded. */
export function generationId(random: Random, primary: boolean): bigint {
  let id = random.u64() & ~1n;
  if (id === 0n) id = 2n;
  return primary ? id | 1n : id;
}

function simLogger(scheduler: Scheduler, owner: Owner, node: string, base: Record<string, unknown>): Logger {
  const line = (level: string) => (msg: string, fields?: Record<string, unknown>): void => {
    if (!owner.alive) return;
    const all = { ...base, ...fields };
    scheduler.trace.note(scheduler.now(), owner.name, `${level} ${msg}${Object.keys(all).length > 0 ? ' ' + stringify(all) : ''}`);
  };
  return {
    debug: () => undefined,
    info: line('info'),
    warn: line('warn'),
    error: line('error'),
    child: (fields) => simLogger(scheduler, owner, node, { ...base, ...fields }),
  };
}

export function stringify(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString(16) : v));
}
