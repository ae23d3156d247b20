// One simulated cluster: the scheduler, the network, the nodes with their media, the cluster
// manager and its CIB, the NBD client, the reference model and the checkers, wired together.
// runner.ts builds one per seed, plays the scenario's actions into it (faults.ts), then drives
// it to quiescence and asks the checkers for their verdict.
import { geometry } from '../../meta/layout.js';
import { VolumeMetadata } from '../../meta/volume-metadata.js';
import { Checkers, type Violation } from './checkers.js';
import { Client } from './client.js';
import { ClusterManager } from './crm.js';
import { SimDisk } from './disk.js';
import type { EngineFactory } from './engine.js';
import { SimCib } from './handlers.js';
import { MetaMedium } from './meta-store.js';
import { DataModel } from './model.js';
import { SimNetwork, DEFAULT_NETWORK } from './network.js';
import { SimNode, type CrashKind } from './node.js';
import { generationId, stringify } from './platform.js';
import { Random } from './random.js';
import { Scheduler, WORLD } from './scheduler.js';
import { Trace } from './trace.js';
import type { Scenario } from './workload.js';

/** The sides of a split brain: each has its own model until an operator keeps one. */
export const MAIN_SIDE = 'main';

export class SimWorld {
  readonly scheduler: Scheduler;
  readonly random: Random;
  readonly network: SimNetwork;
  readonly cib: SimCib;
  readonly nodes: SimNode[];
  readonly client: Client;
  readonly crm: ClusterManager;
  readonly checkers: Checkers;
  readonly violations: Violation[] = [];
  readonly models = new Map<string, DataModel>();
  readonly sideOf = new Map<string, string>();
  private writeIds = 0;
  /** the generation every node starts in when the scenario skips the initial sync */
  private readonly firstGeneration: bigint;
  /** operator promotions with --force so far (the first makes the new cluster's data) */
  forcedPromotions = 0;
  /** nodes whose promotion is under way (name → --force), for what the engine persists meanwhile */
  readonly promoting = new Map<string, boolean>();
  /** ends a promotion under way when its node dies (the engine's promise never settles then) */
  private readonly promotionAborts = new Map<string, () => void>();
  /** an operator's takeover made two sides at some point */
  everSplit = false;

  constructor(readonly scenario: Scenario, factory: EngineFactory, opts: { traceKeep?: number } = {}) {
    const config = scenario.config;
    this.scheduler = new Scheduler(new Trace(opts.traceKeep ?? 400));
    this.random = new Random(scenario.seed).fork('world');
    this.scheduler.setErrorHandler((err, event) => this.engineError(err, `${event.owner} ${event.kind} ${event.detail}`));
    this.network = new SimNetwork(this.scheduler, this.random.fork('network'), DEFAULT_NETWORK, config);
    const diskful = config.nodes.filter((n) => n.volumes.some((v) => v.disk !== null)).map((n) => n.name);
    this.cib = new SimCib(config.name, config.nodes.map((n) => n.name), diskful, (what) => this.note(`cib: ${what}`));
    this.firstGeneration = generationId(this.random.fork('first-generation'), false);
    const sizes = config.nodes[0].volumes.map((v) => v.size!);
    this.models.set(MAIN_SIDE, new DataModel(sizes));
    this.client = new Client({
      now: () => this.scheduler.now(),
      modelOf: (node) => this.modelOf(node),
      nextWriteId: () => ++this.writeIds,
      note: (text) => this.note(text),
      acked: (w, node) => this.checkers.writeAcked(w, node),
      readChecked: (node, volume, offset, problems) => this.checkers.readChecked(node, volume, offset, problems),
    });
    this.nodes = config.nodes.map((n) => {
      this.sideOf.set(n.name, MAIN_SIDE);
      const rnd = this.random.fork(`node-${n.name}`);
      const disks = n.volumes.map((v) => (v.disk ? new SimDisk(v.disk, v.size!, rnd.fork(`disk${v.index}`), undefined, (c, m) => this.violation(c, m)) : null));
      const metas = n.volumes.map((v) => (v.meta ? this.formatMetadata(n.id, v.size!, scenario.metaKinds[n.name], rnd.fork(`meta${v.index}`)) : null));
      return new SimNode(config, n.name, n.id, disks, metas, this.network, this.scheduler, this.cib, rnd, factory, {
        event: (node, event) => this.checkers.engineEvent(node, event),
        crashed: (node, how, lost) => this.crashed(node, how, lost),
        exportChanged: (node, volume, backend) => this.client.exportChanged(node.name, volume, backend),
        violation: (c, m) => this.violation(c, m),
      });
    });
    this.crm = new ClusterManager(this.nodes, this.cib, scenario.autoTakeover, {
      now: () => this.scheduler.now(),
      note: (text) => this.note(text),
      promote: (node, force, why) => this.promote(node, force, why),
    });
    this.checkers = new Checkers(this);
    this.network.observe((from, to, msg, stream, linkId, sentAt) => this.checkers.delivered(from, to, msg, stream, linkId, sentAt));
  }

  get config(): Scenario['config'] {
    return this.scenario.config;
  }

  now(): number {
    return this.scheduler.now();
  }

  note(text: string): void {
    this.scheduler.trace.note(this.scheduler.now(), 'sim', text);
  }

  violation(checker: string, message: string): void {
    this.note(`VIOLATION ${checker}: ${message}`);
    this.violations.push({ checker, message, time: this.scheduler.now() });
  }

  node(name: string): SimNode {
    return this.nodes.find((n) => n.name === name)!;
  }

  nodeById(id: number): SimNode | undefined {
    return this.nodes.find((n) => n.id === id);
  }

  modelOf(node: string): DataModel {
    return this.models.get(this.sideOf.get(node) ?? MAIN_SIDE)!;
  }

  /** The engine threw out of an event, or rejected a Promise nobody handled. */
  engineError(err: unknown, where: string): void {
    if ((err as Error)?.name === 'SimCrash') return; // a crash injected into a metadata update
    const code = (err as { code?: string })?.code;
    const checker = code === 'TANDEM_E_INTERNAL' ? 'engine-assertion' : 'engine-exception';
    this.violation(checker, `${where}: ${err instanceof Error ? err.stack?.split('\n').slice(0, 4).join(' | ') : String(err)}`);
  }

  // ---- the cluster's life ---------------------------------------------------------------------

  /** Start every node, let them connect, and give the first diskful node the data (primary --force). */
  async setup(): Promise<void> {
    for (const node of this.nodes) this.startNode(node, false);
    await this.scheduler.run(this.now() + 50);
    // the new cluster's data is made once everybody is connected (quorum may require it)
    await this.runUntil(() => this.nodes.every((n) => n.status()?.connections.every((c) => c.connectionState === 'Connected')), 5000);
    const first = this.nodes.find((n) => n.diskful);
    if (first && this.scenario.initialSync) await this.settle(this.promote(first, true, 'initial primary --force (new cluster)'), 10_000);
    else await this.settle(this.crm.evaluate(), 10_000);
    this.crm.refreshPromoted();
  }

  startNode(node: SimNode, holdFormerPrimary: boolean): void {
    if (node.running) return;
    this.crm.started(node);
    node.start(holdFormerPrimary).then(
      () => this.note(`${node.name} is up`),
      (err) => this.note(`${node.name} did not come up: ${String(err)}`),
    );
  }

  crash(node: SimNode, how: CrashKind): void {
    if (!node.running) return;
    node.crash(how);
  }

  private crashed(node: SimNode, how: CrashKind, lost: Map<number, Map<number, Buffer>>): void {
    this.client.nodeDied(node.name);
    this.promotionAborts.get(node.name)?.();
    this.checkers.crashed(node, how, lost);
    this.crm.crashed(node);
    this.scheduler.after(this.random.real(500, 2000), WORLD, 'crm', `notices ${node.name} is gone`, () => this.crm.noticed(node));
  }

  /** Promote through the engine (cluster manager or operator); checks the new Primary's data. */
  async promote(node: SimNode, force: boolean, why: string): Promise<boolean> {
    const inc = node.incarnation;
    if (!inc?.ready) return false;
    this.note(`${why}: ${node.name} primary${force ? ' --force' : ''}`);
    this.promoting.set(node.name, force);
    // A node that dies during its promotion (in the promotion's flush, say) never answers: the
    // promote action fails, as Pacemaker's does when its node is lost, so the cluster manager
    // goes on promoting (it held the cluster without a Primary for ever: seed 30255)
    const died = new Promise<never>((_, reject) => this.promotionAborts.set(node.name, () => reject(new Error(`${node.name} died during its promotion`))));
    try {
      await Promise.race([inc.engine.control('primary', force ? { force: true } : {}), died]);
    } catch (err) {
      if (!inc.owner.alive) return false;
      this.note(`${node.name} refused primary: ${String((err as Error)?.message ?? err)}`);
      if ((err as { code?: string })?.code === 'TANDEM_E_INTERNAL') this.engineError(err, `${node.name} primary`);
      return false;
    } finally {
      this.promoting.delete(node.name);
      this.promotionAborts.delete(node.name);
    }
    if (!inc.owner.alive || node.status()?.role !== 'Primary') return false;
    this.checkers.promoted(node, force);
    return true;
  }

  /** An operator verb through the engine's control; refusals are part of life. */
  async control(node: SimNode, op: string, args: Record<string, unknown> = {}): Promise<boolean> {
    const inc = node.incarnation;
    if (!inc?.ready) return false;
    this.note(`operator: ${node.name} ${op} ${Object.keys(args).length > 0 ? stringify(args) : ''}`.trim());
    this.checkers.operatorActed(node);
    try {
      await inc.engine.control(op, args);
      return true;
    } catch (err) {
      if (!inc.owner.alive) return false;
      this.note(`${node.name} refused ${op}: ${String((err as Error)?.message ?? err)}`);
      if ((err as { code?: string })?.code === 'TANDEM_E_INTERNAL') this.engineError(err, `${node.name} ${op}`);
      return false;
    }
  }

  /**
   * Wait for something the engine does (a control operation) while the world goes on: the
   * scheduler runs until it settles or `ms` of simulated time have passed. Awaiting an engine
   * Promise without running the scheduler would wait forever for the events it needs.
   */
  async settle<T>(work: Promise<T>, ms: number): Promise<T | undefined> {
    let done = false;
    let value: T | undefined;
    void work.then((v) => { value = v; }, () => undefined).finally(() => { done = true; });
    await this.runUntil(() => done, ms, 5);
    return value;
  }

  /** Run events until `done()` or `ms` of simulated time have passed; true if done. */
  async runUntil(done: () => boolean, ms: number, stepMs = 25): Promise<boolean> {
    const end = this.now() + ms;
    while (this.now() < end) {
      if (done()) return true;
      await this.scheduler.run(Math.min(end, this.now() + stepMs));
    }
    return done();
  }

  /** `tandem md create`; without an initial sync, also what skipping it leaves: UpToDate, one generation. */
  private formatMetadata(nodeId: number, volumeSize: number, kind: 'pmem' | 'block', rnd: Random): MetaMedium {
    const maxPeers = Math.max(1, this.config.nodes.length - 1);
    const medium = new MetaMedium(kind, geometry(volumeSize, maxPeers, this.config.alExtents).areaLength, rnd);
    const meta = VolumeMetadata.create(medium.open(() => true), {
      volumeSize, maxPeers, nodeId, alExtents: this.config.alExtents, newGenerationId: (primary) => generationId(rnd, primary),
    });
    if (!this.scenario.initialSync) {
      meta.setCurrentGeneration(this.firstGeneration);
      meta.setDeviceFlags(['CONSISTENT', 'WAS_UP_TO_DATE']);
    }
    meta.close();
    return medium;
  }
}

export type { Violation };
