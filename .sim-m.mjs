// src/platform/sim/main.ts
import { isMainThread } from "node:worker_threads";

// src/lib/errors.ts
var ERROR_CODES = {
  TANDEM_E_USAGE: { exit: 2, summary: "bad command-line usage" },
  TANDEM_E_CONFIG: { exit: 3, summary: "configuration is invalid" },
  TANDEM_E_NOT_FOUND: { exit: 4, summary: "named object does not exist" },
  TANDEM_E_META: { exit: 5, summary: "metadata is missing, corrupt or foreign" },
  TANDEM_E_META_SPACE: { exit: 5, summary: "metadata area is too small" },
  TANDEM_E_IO: { exit: 6, summary: "I/O error on a disk or file" },
  TANDEM_E_NATIVE: { exit: 6, summary: "native addon is missing or failed" },
  TANDEM_E_DAEMON: { exit: 7, summary: "daemon is not reachable" },
  TANDEM_E_TIMEOUT: { exit: 8, summary: "operation did not finish before its deadline" },
  TANDEM_E_STATE: { exit: 9, summary: "operation not allowed in the current state" },
  TANDEM_E_PROTOCOL: { exit: 10, summary: "peer or client broke the protocol" },
  TANDEM_E_AUTH: { exit: 11, summary: "peer authentication failed" },
  TANDEM_E_PARSE: { exit: 12, summary: "input file could not be parsed" },
  TANDEM_E_PACEMAKER: { exit: 13, summary: "Pacemaker tool failed" },
  TANDEM_E_BUSY: { exit: 14, summary: "a device is in use (open or mounted)" },
  TANDEM_E_FRONTEND: { exit: 15, summary: "the block-device frontend could not be attached" },
  TANDEM_E_INTERNAL: { exit: 70, summary: "internal error (a bug): please report it" }
};
var TandemError = class extends Error {
  code;
  hint;
  details;
  constructor(code, message, options = {}) {
    super(message, options.cause === void 0 ? void 0 : { cause: options.cause });
    this.name = "TandemError";
    this.code = code;
    this.hint = options.hint ?? defaultHint(code);
    this.details = options.details ?? {};
  }
  get exitCode() {
    return ERROR_CODES[this.code].exit;
  }
  toJSON() {
    return { code: this.code, message: this.message, hint: this.hint, details: this.details };
  }
};
function defaultHint(code) {
  switch (code) {
    case "TANDEM_E_USAGE":
      return "run the command with --help to see its arguments and flags";
    case "TANDEM_E_CONFIG":
      return "fix the file named above, then run 'tandem config check'";
    case "TANDEM_E_DAEMON":
      return "start the daemon with 'tandem daemon' (or 'systemctl start tandemd')";
    case "TANDEM_E_INTERNAL":
      return "please report this with the output of tandem status --json";
    default:
      return "see 'tandem --help' and the README";
  }
}

// src/lib/assert.ts
function assert(condition, invariant) {
  if (!condition) throw new TandemError("TANDEM_E_INTERNAL", `invariant violated: ${invariant}`);
}

// src/engine/sync-decision.ts
var UUID_JUST_CREATED = 4n;
var GENERATION_PRIMARY = 1n;
var PRIMARY_BIT = GENERATION_PRIMARY;
var strip = (u) => u & ~PRIMARY_BIT;
var sameGeneration = (a, b) => strip(a) === strip(b);
function decideSync(local, peer, localIsLowerNodeId, protocol = "C") {
  const self = strip(local.current);
  const other = strip(peer.current);
  if (self === other) return equalGenerations(local, peer, localIsLowerNodeId, protocol);
  if (strip(peer.bitmapForPeer) === self && self !== 0n) return { kind: "target", full: false, rule: "peer bitmap generation is local current" };
  if (strip(local.bitmapForPeer) === other && other !== 0n) return { kind: "source", full: false, rule: "local bitmap generation is peer current" };
  if (self === UUID_JUST_CREATED) return { kind: "target", full: true, rule: "local just created" };
  if (other === UUID_JUST_CREATED) return { kind: "source", full: true, rule: "peer just created" };
  const inPeerHistory = peer.history.some((h) => strip(h) === self);
  const inLocalHistory = local.history.some((h) => strip(h) === other);
  if (inPeerHistory && !inLocalHistory) return { kind: "target", full: true, rule: "local current in peer history" };
  if (inLocalHistory && !inPeerHistory) return { kind: "source", full: true, rule: "peer current in local history" };
  const lb = strip(local.bitmapForPeer);
  if (lb !== 0n && lb === strip(peer.bitmapForPeer)) {
    return { kind: "split-brain", autoRecoverable: true, rule: "both changed data from the same generation" };
  }
  if (lb === UUID_JUST_CREATED || strip(peer.bitmapForPeer) === UUID_JUST_CREATED) {
    return { kind: "split-brain", autoRecoverable: false, rule: "both changed data since the initial sync between them" };
  }
  const shared = local.history.some((h) => h !== 0n && peer.history.some((p) => strip(p) === strip(h)));
  if (shared) return { kind: "split-brain", autoRecoverable: false, rule: "shared history, ambiguous ancestry" };
  return { kind: "unrelated", rule: "no common generation" };
}
function changedOnlyUnacknowledged(side, sharedAt) {
  if (side.unacknowledgedSince === null || strip(sharedAt) === 0n) return false;
  const lineage = [side.current, ...side.history].map(strip);
  const since = lineage.indexOf(strip(side.unacknowledgedSince));
  const shared = lineage.indexOf(strip(sharedAt));
  return since > 0 && shared > 0 && shared <= since;
}
function equalGenerations(local, peer, localIsLowerNodeId, protocol) {
  if (strip(local.current) === UUID_JUST_CREATED) return { kind: "no-sync", rule: "both just created" };
  if (local.crashedPrimary && !peer.crashedPrimary) {
    if (protocol !== "A" && peer.survivedPrimaryLoss) return { kind: "target", full: false, rule: `equal generations, local crashed as Primary, the peer stayed up (protocol ${protocol}: it holds every acknowledged write)` };
    if (protocol !== "A" && holdsTheGeneration(peer, local)) return { kind: "target", full: false, overOutdated: true, rule: `equal generations, local crashed as Primary, the peer's disk kept all it stored of this generation (protocol ${protocol}: every acknowledged write)` };
    return { kind: "source", full: false, rule: "equal generations, local crashed as Primary" };
  }
  if (peer.crashedPrimary && !local.crashedPrimary) {
    if (protocol !== "A" && local.survivedPrimaryLoss) return { kind: "source", full: false, rule: `equal generations, the peer crashed as Primary, this node stayed up (protocol ${protocol}: it holds every acknowledged write)` };
    if (protocol !== "A" && holdsTheGeneration(local, peer)) return { kind: "source", full: false, overOutdated: true, rule: `equal generations, the peer crashed as Primary, this disk kept all it stored of this generation (protocol ${protocol}: every acknowledged write)` };
    return { kind: "target", full: false, rule: "equal generations, peer crashed as Primary" };
  }
  if (local.crashedPrimary && peer.crashedPrimary) {
    return localIsLowerNodeId ? { kind: "source", full: false, rule: "both crashed as Primary, lower node id wins" } : { kind: "target", full: false, rule: "both crashed as Primary, lower node id wins" };
  }
  return { kind: "no-sync", rule: "equal generations" };
}
function holdsTheGeneration(holder, crashed) {
  return holder.keptItsWrites === true && strip(crashed.bitmapForPeer) === 0n;
}

// src/engine/exposed-generation.ts
function isServer(peer, volume) {
  const view = peer.volumes.get(volume.index)?.view;
  if (!peer.connected || !peer.peerUpToDate(volume.index) || !view) return false;
  return !missesWrites(peer, volume, view.current);
}
function missesWrites(peer, volume, current2) {
  if (volume.exposed.length === 0 || sameGeneration(current2, volume.exposed[0]) || volume.followers.has(peer.node.id)) return false;
  const index = volume.exposed.findIndex((g) => sameGeneration(g, current2));
  return index < 1 || writtenElsewhere(volume, index, peer.node.id);
}
function writtenElsewhere(volume, index, nodeId) {
  return volume.exposedData.slice(0, index).some((d) => [...d.writers].some((id) => id !== nodeId) || d.ownDiskWith !== null && !d.ownDiskWith.has(nodeId));
}
function servers(resource, volume) {
  return [...resource.peers.values()].filter((p) => isServer(p, volume));
}
function rotateExposedGeneration(resource, volume, fresh) {
  if (volume.meta || volume.exposed.length === 0) return;
  const following = servers(resource, volume);
  volume.exposed = [fresh, ...volume.exposed].slice(0, 32);
  volume.exposedData = [{ writers: /* @__PURE__ */ new Set(), ownDiskWith: null }, ...volume.exposedData].slice(0, 32);
  volume.followers.clear();
  for (const p of following) volume.followers.add(p.node.id);
  resource.generationChanged(volume, { generation: fresh, previous: volume.exposed[1], reason: "a diskful peer was lost (diskless Primary)" });
}
function adoptUnwrittenSince(volume, peer, current2) {
  const index = volume.exposed.findIndex((g) => sameGeneration(g, current2));
  if (index < 2 || writtenElsewhere(volume, index, peer.node.id)) return false;
  const since = volume.exposedData.slice(0, index);
  const writers = new Set(since.flatMap((d) => [...d.writers]));
  const ownDiskWith = since.reduce((acc, d) => d.ownDiskWith === null ? acc : acc === null ? d.ownDiskWith : new Set([...acc].filter((id) => d.ownDiskWith.has(id))), null);
  volume.exposed = [volume.exposed[0], ...volume.exposed.slice(index)];
  volume.exposedData = [{ writers, ownDiskWith }, ...volume.exposedData.slice(index)];
  return true;
}
function ownData(resource, volume) {
  const meta2 = volume.meta;
  if (!meta2 || !volume.usable) return null;
  const peersWithIt = /* @__PURE__ */ new Set();
  for (const p of resource.peers.values()) if (holdsOwnData(p, volume, meta2)) peersWithIt.add(p.node.id);
  return { generation: meta2.current(), peersWithIt };
}
function holdsOwnData(peer, volume, meta2) {
  const view = peer.volumes.get(volume.index)?.view;
  if (!peer.connected || !peer.peerUpToDate(volume.index) || !view || meta2.outOfSyncBytes(peer.node.id) !== 0) return false;
  if (sameGeneration(view.current, meta2.current())) return true;
  const replaced = meta2.history()[0];
  return replaced !== void 0 && sameGeneration(view.current, replaced) && meta2.bitmapGeneration(peer.node.id) === 0n;
}
function exposeGeneration(resource, volume, fresh, selfMisses, own = null) {
  volume.exposed = own ? [fresh(), own.generation] : chooseExposedGeneration(resource, volume, fresh, selfMisses);
  volume.exposedData = volume.exposed.map((_, i) => ({ writers: /* @__PURE__ */ new Set(), ownDiskWith: own && i === 0 ? own.peersWithIt : null }));
  volume.followers.clear();
  if (volume.exposed.length < 2) return;
  for (const p of resource.peers.values()) {
    const view = p.volumes.get(volume.index)?.view;
    const inReplaced = own ? own.peersWithIt.has(p.node.id) : view !== null && view !== void 0 && sameGeneration(view.current, volume.exposed[1]);
    if (p.connected && p.peerUpToDate(volume.index) && inReplaced) volume.followers.add(p.node.id);
  }
  resource.generationChanged(volume, { generation: volume.exposed[0], previous: volume.exposed[1], reason: "a Primary without a local disk writes a new generation" });
}
function chooseExposedGeneration(resource, volume, fresh, selfMisses) {
  const views = [...resource.peers.values()].filter((p) => p.connected && p.peerUpToDate(volume.index)).map((p) => p.volumes.get(volume.index)?.view).filter((v) => v !== null && v !== void 0);
  const newest = views.find((v) => !views.some((o) => o !== v && o.history.some((h) => sameGeneration(h, v.current))));
  if (!newest) return [];
  const everyone = [...resource.peers.values()].filter((p) => p.diskful).every((p) => p.connected && sameGeneration(p.volumes.get(volume.index)?.view?.current ?? 0n, newest.current) && p.peerUpToDate(volume.index));
  return everyone && !selfMisses ? [newest.current] : [fresh(), newest.current];
}
function missingMask(resource, volume, targets) {
  let missing = 0;
  for (const peer of resource.peers.values()) if (peer.diskful && !targets.includes(peer)) missing |= 1 << peer.node.id;
  if (volume.diskful && !volume.usable) missing |= 1 << resource.local.id;
  return missing >>> 0;
}

// src/engine/fencing.ts
var FENCE_TIMEOUT_MS = 9e4;
var OUTCOMES = { 3: "peer-inconsistent", 4: "peer-outdated", 5: "peer-unreachable", 6: "refused", 7: "peer-stonithed", 8: "no-quorum" };
var Fencing = class {
  constructor(resource) {
    this.resource = resource;
  }
  resource;
  /** constraint ids this node placed and has not lifted */
  held = /* @__PURE__ */ new Set();
  running = null;
  /** fence-peer runs one at a time (as crm-fence-peer's flock does): concurrent runs raced on
   *  creating the same constraint, and one computed UpToDate nodes before a second loss was seen */
  fenceQueue = Promise.resolve();
  get constraintId() {
    return `tandem-fence-${this.resource.name}`;
  }
  /** Losing a peer now freezes I/O until the fence-peer handler settles it (resource-and-stonith). */
  get freezes() {
    return this.resource.role === "Primary" && this.resource.config.fencing === "resource-and-stonith";
  }
  /** Called when a Primary lost `peer`. Resolves once the question is settled. */
  async peerLost(peer) {
    const r = this.resource;
    if (r.config.fencing === "dont-care" || r.role !== "Primary") return;
    const freeze = this.freezes;
    const reason = `fencing ${peer.node.name}`;
    if (freeze) r.suspend(reason);
    try {
      const turn = this.fenceQueue.then(() => this.runHandler("tandem-fence-peer", peer));
      this.fenceQueue = turn.catch(() => void 0);
      const code = await turn;
      const outcome = OUTCOMES[code] ?? "handler-broken";
      r.log.warn("fence-peer handler finished", { peer: peer.node.name, exitCode: code, outcome });
      r.emit("fencing", { peer: peer.node.name, exitCode: code, outcome });
      if (outcome === "no-quorum") {
        this.held.delete(this.constraintId);
        if (freeze) r.resume(reason);
        return;
      }
      if (outcome === "handler-broken" || outcome === "refused") {
        r.log.error("fencing did not succeed: writes stay frozen until the administrator resumes them", { outcome });
        return;
      }
      if (outcome !== "peer-unreachable" || this.held.size === 0) this.held.add(this.constraintId);
      if (freeze) r.resume(reason);
      this.reconcile();
    } catch (err) {
      r.log.error("fence-peer handler failed to run", { error: String(err) });
    }
  }
  /**
   * At start: a constraint for this resource left by an earlier run (the daemon crashed or was
   * restarted while fenced) is ours again, so it is shown and lifted once peers are UpToDate.
   * Without a running cluster (no CIB) there is nothing to adopt.
   */
  async adopt() {
    if (this.resource.config.fencing === "dont-care") return;
    try {
      const found = await this.resource.platform.handlers.fenceConstraints(this.resource.name);
      if (found.length > 0) {
        this.held.add(this.constraintId);
        this.resource.log.info("adopted an existing fence constraint", { constraint: this.constraintId });
        this.reconcile();
      }
    } catch (err) {
      this.resource.log.debug("no CIB to adopt fence constraints from", { error: String(err) });
    }
  }
  /**
   * Called whenever peers may have become UpToDate. A freeze for a lost peer ends once that peer
   * is connected and UpToDate again (its data is no longer in question, as DRBD clears susp-fen);
   * our constraint is lifted once every diskful peer is.
   */
  reconcile() {
    const r = this.resource;
    for (const peer of r.peers.values()) if (holdsOurData(r, peer)) r.resume(`fencing ${peer.node.name}`);
    if (this.held.size === 0 || this.running) return;
    const all = [...r.peers.values()].filter((p) => p.diskful).every((p) => holdsOurData(r, p));
    if (!all) return;
    this.running = this.runHandler("tandem-unfence-peer", null).then((code) => {
      r.log.info("unfence-peer handler finished", { exitCode: code });
      if (code === 0) {
        this.held.delete(this.constraintId);
        r.emit("fencing", { outcome: "unfenced", constraint: this.constraintId });
      }
    }, (err) => r.log.error("unfence-peer handler failed to run", { error: String(err) })).finally(() => {
      this.running = null;
    });
  }
  /** This Secondary lost its Primary peer: the primary-lost handler has Pacemaker re-check that node now. */
  recheckPrimary(peer, reason) {
    this.runQuietly("tandem-primary-lost", peer, { TANDEM_LOST_REASON: reason });
  }
  /** This Primary lost its quorum: the quorum-lost handler withdraws its promotion score at once. */
  quorumLost() {
    this.runQuietly("tandem-quorum-lost", null, {});
  }
  runQuietly(name, peer, extra) {
    void this.runHandler(name, peer, extra).then(
      (code) => this.resource.log.info(`${name} handler finished`, { peer: peer?.node.name, exitCode: code }),
      (err) => this.resource.log.error(`${name} handler failed to run`, { error: String(err) })
    );
  }
  async runHandler(name, peer, extra = {}) {
    const r = this.resource;
    const upToDate = [r.local, ...[...r.peers.values()].filter((p) => holdsOurData(r, p)).map((p) => p.node)];
    const mask = upToDate.reduce((m, n) => m | 1 << n.id, 0);
    const env = {
      DRBD_RESOURCE: r.name,
      DRBD_MY_NODE_ID: String(r.local.id),
      UP_TO_DATE_NODES: `0x${mask.toString(16).padStart(8, "0")}`,
      TANDEM_RESOURCE: r.name,
      TANDEM_NODE: r.local.name,
      TANDEM_CONFIG_DIR: r.platform.settings.configDir,
      TANDEM_UP_TO_DATE_NODES: upToDate.map((n) => n.name).join(","),
      TANDEM_QUORUM: r.status().quorum ? "yes" : "no",
      ...extra
    };
    for (const n of r.config.nodes) env[`DRBD_NODE_ID_${n.id}`] = n.name;
    if (peer) env.DRBD_PEER_NODE_ID = String(peer.node.id);
    const result = await r.platform.handlers.run(name, env, FENCE_TIMEOUT_MS);
    if (result.stdout) r.log.info(`${name} said`, { output: result.stdout.slice(0, 2e3) });
    if (result.stderr) r.log.warn(`${name} said`, { output: result.stderr.slice(0, 2e3) });
    return result.exitCode;
  }
};
function holdsOurData(r, peer) {
  if (!peer.connected) return false;
  return r.volumes.every((v) => v.usable ? peer.peerUpToDate(v.index) : isServer(peer, v));
}

// src/config/connections.ts
function joins(c, a, b) {
  return c.nodes[0] === a && c.nodes[1] === b || c.nodes[0] === b && c.nodes[1] === a;
}
function connectionKey(c, key) {
  return `connection.${c.nodes[0]}.${c.nodes[1]}.${key}`;
}
function connectionProtocolOf(r, a, b) {
  const own = r.connections.find((c) => joins(c, a, b) && c.protocol !== null);
  if (own) return { protocol: own.protocol, origin: r.origins[connectionKey(own, "protocol")] ?? { source: "file", file: r.file } };
  const inherited = r.origins["resource.protocol"];
  return { protocol: r.protocol, origin: { ...inherited, source: "resource" } };
}
function connectionProtocol(r, a, b) {
  return connectionProtocolOf(r, a, b).protocol;
}

// src/engine/apply-queue.ts
var APPLY_QUEUE_BYTES = 32 * 1024 * 1024;
var ApplyQueue = class {
  constructor(link, apply, lockOf2, onError) {
    this.link = link;
    this.apply = apply;
    this.lockOf = lockOf2;
    this.onError = onError;
  }
  link;
  apply;
  lockOf;
  onError;
  pending = [];
  running = 0;
  barrierRunning = false;
  bytes = 0;
  paused = false;
  abandoned = false;
  get queuedBytes() {
    return this.bytes;
  }
  push(msg) {
    if (this.abandoned) return;
    const bytes2 = sizeOf(msg);
    this.pending.push({ msg, bytes: bytes2, need: this.lockOf(msg) });
    this.bytes += bytes2;
    if (!this.paused && this.bytes > APPLY_QUEUE_BYTES) {
      this.paused = true;
      this.link.pauseData();
    }
    this.pump();
  }
  /**
   * The link is gone. Writes that arrived are still applied, in their order: under protocol B the
   * Primary answered its client when they arrived (DRBD's receiver has submitted them by then), and
   * a diskless Primary has no other copy. Everything else that has not started is dropped (the
   * sender resyncs what it did not see acknowledged).
   */
  abandon() {
    this.abandoned = true;
    const writes = this.pending.filter((e) => e.msg.type === "Write" || e.msg.type === "WriteZeroes");
    for (const e of this.pending) if (!writes.includes(e)) this.bytes -= e.bytes;
    this.pending.length = 0;
    this.pending.push(...writes);
    this.pump();
  }
  pump() {
    while (this.pending.length > 0 && !this.barrierRunning) {
      const next = this.pending[0];
      if (next.need === null && this.running > 0) return;
      this.pending.shift();
      this.start(next);
    }
  }
  start(entry) {
    this.running++;
    const need = entry.need;
    if (need === null) {
      this.barrierRunning = true;
      this.run(entry, null);
      return;
    }
    const locked = need.lock.acquire(need.offset, need.length);
    if (locked instanceof Promise) void locked.then((range2) => this.run(entry, range2));
    else this.run(entry, locked);
  }
  run(entry, range2) {
    let result;
    try {
      result = this.apply(entry.msg, this.abandoned);
    } catch (err) {
      this.onError(err, entry.msg);
      result = void 0;
    }
    if (result instanceof Promise) {
      result.then(() => this.done(entry, range2), (err) => {
        try {
          this.onError(err, entry.msg);
        } finally {
          this.done(entry, range2);
        }
      });
    } else {
      this.done(entry, range2);
    }
  }
  done(entry, range2) {
    if (range2) entry.need.lock.release(range2);
    this.running--;
    if (entry.need === null) this.barrierRunning = false;
    this.bytes -= entry.bytes;
    if (this.paused && this.bytes < APPLY_QUEUE_BYTES / 2 && !this.abandoned) {
      this.paused = false;
      this.link.resumeData();
    }
    this.pump();
  }
};
function sizeOf(msg) {
  if (msg.type === "Write" || msg.type === "ResyncData") return msg.data.length + 64;
  if (msg.type === "ResyncChecksum") return msg.length + 64;
  return 64;
}

// src/engine/rate-meter.ts
var RateMeter = class {
  constructor(clock, windowMs = 2e3) {
    this.clock = clock;
    this.windowMs = windowMs;
  }
  clock;
  windowMs;
  samples = [];
  add(bytes2) {
    const t = this.clock.now();
    this.samples.push({ t, bytes: bytes2 });
    this.trim(t);
  }
  rate() {
    const t = this.clock.now();
    this.trim(t);
    if (this.samples.length === 0) return 0;
    const total = this.samples.reduce((sum, s) => sum + s.bytes, 0);
    const span = Math.max(t - this.samples[0].t, 100);
    return total * 1e3 / span;
  }
  trim(t) {
    while (this.samples.length > 0 && t - this.samples[0].t > this.windowMs) this.samples.shift();
  }
};

// src/engine/resync-source.ts
var RESYNC_CHUNK = 256 * 1024;
var RESYNC_WINDOW = 32;
var DIGEST_BYTES = { sha256: 32 };
var PROGRESS_EVENT_MS = 1e3;
var ResyncSource = class {
  constructor(peer, volume, pv) {
    this.peer = peer;
    this.volume = volume;
    this.pv = pv;
    this.meter = new RateMeter(peer.resource.platform.clock);
    this.linkMeter = new RateMeter(peer.resource.platform.clock);
    const alg = peer.resource.config.csumsAlg;
    this.csums = alg === "none" ? null : alg;
  }
  peer;
  volume;
  pv;
  cursor = 0;
  inFlight = /* @__PURE__ */ new Map();
  stopped = false;
  totalBytes = 0;
  doneBytes = 0;
  /** of doneBytes: verified equal by digest (not sent), and sent as data */
  sameBytes = 0;
  transferredBytes = 0;
  /** the digest blocks are compared by first; null: every block is sent (csums-alg = none) */
  csums;
  /** progress, verified and sent: the rate and ETA shown */
  meter;
  /** bytes of data sent: what resync-rate limits (equal blocks cost the link a digest only) */
  linkMeter;
  throttle = null;
  lastEvent = -Infinity;
  /** resumed: a resync paused on this link goes on (PausedSyncS → SyncSource), not a new one */
  start(resumed) {
    this.totalBytes = this.volume.meta.outOfSyncBytes(this.peer.node.id);
    this.peer.resource.log.info(resumed ? "resync resumed as SyncSource" : "resync started as SyncSource", { peer: this.peer.node.name, volume: this.volume.index, bytes: this.totalBytes, csumsAlg: this.csums ?? "none" });
    this.peer.sendState();
    this.pump();
  }
  stop() {
    this.stopped = true;
    this.throttle?.cancel();
    this.throttle = null;
  }
  /** Send blocks while the window, the link and the rate limit allow. */
  pump() {
    while (!this.stopped && this.throttle === null && this.inFlight.size < RESYNC_WINDOW && this.peer.canSend) {
      if (this.overRate()) return;
      const run = this.nextRun();
      if (!run) {
        this.maybeFinish();
        return;
      }
      const id = this.peer.nextResyncRequestId();
      const phase = this.csums ? "checksum" : "data";
      this.inFlight.set(id, { offset: run.offset, length: run.length, phase });
      void this.send(id, run.offset, run.length, phase);
    }
  }
  /** The target stored the block we sent (acknowledged data is what the rate limit counts). */
  onAck(msg) {
    this.settle(msg, "data");
  }
  /** csums: the target's block has our digest; it cleared its bits for us, we clear ours. */
  onInSync(msg) {
    this.settle(msg, "checksum");
  }
  /** csums: the target's block differs from our digest: send the block, read again under the lock. */
  onDataRequest(msg) {
    const sent = this.answered(msg, "checksum");
    if (!sent) return;
    sent.phase = "data";
    void this.send(msg.requestId, sent.offset, sent.length, "data");
  }
  /** The block in flight that this answer is for, in the phase it answers; undefined for a stale or stray answer. */
  answered(msg, phase) {
    const sent = this.inFlight.get(msg.requestId);
    if (!sent || sent.offset !== msg.offset || sent.length !== msg.length || sent.phase !== phase || this.stopped || !this.volume.meta) return void 0;
    return sent;
  }
  /** The block is the same on the target now: its bits are cleared unless it changed meanwhile. */
  settle(msg, phase) {
    const sent = this.answered(msg, phase);
    if (!sent) return;
    this.inFlight.delete(msg.requestId);
    if (!sent.stale) this.volume.meta.markInSync(this.peer.node.id, sent.offset, sent.length);
    this.doneBytes += sent.length;
    this.meter.add(sent.length);
    if (phase === "data") {
      this.transferredBytes += sent.length;
      this.linkMeter.add(sent.length);
    } else {
      this.sameBytes += sent.length;
    }
    this.reportProgress();
    this.pump();
  }
  /**
   * The range changed here after blocks of it were read (a write the target misses, or one it
   * gets from the Primary on another link): those in flight keep their bits and are sent again.
   */
  noteDirtied(offset, length) {
    for (const sent of this.inFlight.values()) {
      if (sent.offset < offset + length && offset < sent.offset + sent.length) sent.stale = true;
    }
  }
  progress() {
    const rate2 = this.meter.rate();
    const left = Math.max(0, this.totalBytes - this.doneBytes);
    return {
      doneBytes: this.doneBytes,
      totalBytes: this.totalBytes,
      percent: this.totalBytes === 0 ? 100 : Math.min(100, 100 * this.doneBytes / this.totalBytes),
      rateBytesPerSec: Math.round(rate2),
      etaSeconds: rate2 > 0 ? left / rate2 : null,
      csumsAlg: this.csums ?? "none",
      sameBytes: this.sameBytes,
      transferredBytes: this.transferredBytes
    };
  }
  /**
   * Read under the range lock (and, for a checksum, hash it under the lock too), then send once
   * the link takes it. The message goes out in the same turn as the lock is released, or first
   * in line for the link's drain: a write to the range that takes the lock next goes after it.
   */
  async send(id, offset, length, phase) {
    const volume = this.volume;
    const lock = volume.locks.acquire(offset, length);
    const range2 = lock instanceof Promise ? await lock : lock;
    let data = null;
    let msg = null;
    const disk2 = this.stopped ? null : volume.disk;
    if (disk2) volume.beginActivity();
    try {
      if (disk2) data = await disk2.read(offset, length);
    } catch (err) {
      volume.endActivity();
      volume.locks.release(range2);
      this.stop();
      this.peer.resource.localDiskFailed(volume, err, null);
      return;
    }
    try {
      if (data && phase === "data") msg = { type: "ResyncData", volume: volume.index, requestId: id, offset, data };
      if (data && phase === "checksum") {
        const digest = await this.peer.resource.platform.digest(this.csums, data);
        msg = { type: "ResyncChecksum", volume: volume.index, requestId: id, offset, length, digest };
      }
    } finally {
      if (disk2) volume.endActivity();
      volume.locks.release(range2);
    }
    while (!this.stopped && this.peer.link && !this.peer.canSend) await this.peer.whenCanSend();
    if (this.stopped || msg === null || !this.inFlight.has(id)) return;
    this.peer.sendData(msg);
  }
  /** The next out-of-sync run not already in flight: from the cursor on, then from the start. */
  nextRun() {
    const meta2 = this.volume.meta;
    for (const from of [this.cursor, 0]) {
      let pos = from;
      for (let run = meta2.nextOutOfSync(this.peer.node.id, pos, RESYNC_CHUNK); run; run = meta2.nextOutOfSync(this.peer.node.id, pos, RESYNC_CHUNK)) {
        const busy = this.overlapping(run.offset, run.length);
        if (!busy) {
          this.cursor = run.offset + run.length;
          return run;
        }
        pos = Math.max(run.offset + run.length, busy.offset + busy.length);
      }
    }
    return null;
  }
  overlapping(offset, length) {
    for (const s of this.inFlight.values()) if (s.offset < offset + length && offset < s.offset + s.length) return s;
    return void 0;
  }
  maybeFinish() {
    if (this.inFlight.size > 0 || this.stopped) return;
    const meta2 = this.volume.meta;
    if (meta2.outOfSyncBytes(this.peer.node.id) > 0) return;
    this.stopped = true;
    meta2.setBitmapGeneration(this.peer.node.id, 0n);
    this.peer.sendData({ type: "ResyncDone", volume: this.volume.index, current: meta2.current(), history: meta2.history().slice(0, 32) });
    this.pv.replicationState = "Established";
    this.pv.resync = null;
    this.pv.syncEnding = true;
    this.peer.resource.log.info("resync finished as SyncSource", {
      peer: this.peer.node.name,
      volume: this.volume.index,
      bytes: this.doneBytes,
      csumsAlg: this.csums ?? "none",
      sameBytes: this.sameBytes,
      transferredBytes: this.transferredBytes
    });
    this.lastEvent = -Infinity;
    this.reportProgress();
    this.peer.resource.emit("replication", { peer: this.peer.node.name, volume: this.volume.index, replicationState: "Established", peerDiskState: this.pv.peerDiskState });
  }
  /**
   * Fixed rate limit (resync-rate) on the resync data sent; 0 means as fast as the link and disks go.
   * Blocks found equal by digest cost the link a digest only and do not count against it.
   */
  overRate() {
    const limit = this.peer.resource.config.resyncRate;
    if (limit <= 0 || this.linkMeter.rate() <= limit) return false;
    this.throttle = this.peer.resource.platform.clock.setTimer(20, () => {
      this.throttle = null;
      this.peer.resource.guard(() => this.pump());
    });
    return true;
  }
  reportProgress() {
    const now = this.peer.resource.platform.clock.now();
    if (now - this.lastEvent < PROGRESS_EVENT_MS) return;
    this.lastEvent = now;
    this.peer.resource.emit("resync-progress", { peer: this.peer.node.name, volume: this.volume.index, ...this.progress() });
  }
};

// src/wire/version.ts
var FRAME_MAGIC = 1413566020;
var FRAME_FORMAT = 1;
var MAX_DATA_BYTES = 1024 * 1024;
var MAX_FIELDS_BYTES = 256 * 1024;
var MAX_PAYLOAD_BYTES = MAX_DATA_BYTES + MAX_FIELDS_BYTES;

// src/engine/survivors.ts
function survivedPrimaryLoss(r, lost) {
  r.reconcileFrom = lost.node.id;
  let kept = false;
  for (const v of r.volumes) {
    if (!v.meta || v.diskState !== "UpToDate") continue;
    kept = true;
    const ranges = v.meta.activeExtents();
    r.reconcileRanges.set(v.index, ranges);
    for (const other of r.peers.values()) {
      if (other === lost || !other.diskful) continue;
      for (const range2 of ranges) v.meta.markOutOfSync(other.node.id, range2.offset, range2.length);
    }
  }
  if (!kept) return;
  for (const other of r.peers.values()) if (other !== lost) other.sendState();
}
function lateWriteOfLostPrimary(from, volume, offset, length) {
  const r = from.resource;
  const ranges = r.reconcileRanges.get(volume.index);
  if (!volume.meta || !ranges || r.reconcileFrom !== from.node.id) return;
  for (const other of r.peers.values()) if (other !== from && other.diskful) volume.meta.markOutOfSync(other.node.id, offset, length);
  if (ranges.some((x) => x.offset <= offset && offset + length <= x.offset + x.length)) return;
  ranges.push({ offset, length });
  for (const other of r.peers.values()) if (other !== from) other.sendState();
}
function leads(r, lost, a, b) {
  const sa = holdsAcknowledged(r, lost, a);
  const sb = holdsAcknowledged(r, lost, b);
  if (sa !== sb) return sa;
  return a < b;
}
function holdsAcknowledged(r, lost, node) {
  const name = (id) => r.config.nodes.find((n) => n.id === id)?.name;
  const a = name(lost);
  const b = name(node);
  return a !== void 0 && b !== void 0 && connectionProtocol(r.config, a, b) !== "A";
}
function unreconciledSurvivor(peer, volume) {
  return fellowSecondary(peer, volume) && peer.volumes.get(volume.index).view.flags.survivedPrimaryLoss;
}
function fellowSecondary(peer, volume) {
  const view = peer.volumes.get(volume.index)?.view;
  return peer.connected && peer.peerRole !== "Primary" && view !== null && view !== void 0 && view.diskState === "UpToDate" && volume.meta !== null && sameGeneration(volume.meta.current(), view.current);
}
function reconcileSurvivor(peer, volume, pv) {
  const r = peer.resource;
  const lost = r.reconcileFrom;
  const meta2 = volume.meta;
  const own = r.reconcileRanges.get(volume.index);
  if (!meta2 || !own || lost === null || r.role === "Primary" || volume.diskState !== "UpToDate") return false;
  if (pv.replicationState !== "Established" || pv.resync || pv.syncEnding || pv.reconciled || !unreconciledSurvivor(peer, volume)) return false;
  if ([...r.peers.values()].some((p) => p.connected && p.peerRole === "Primary")) return false;
  if ([...r.peers.values()].some((p) => p.connected && p.diskful && !p.volumes.get(volume.index)?.view)) return false;
  if (!holdsAcknowledged(r, lost, r.local.id) && !holdsAcknowledged(r, lost, peer.node.id)) return false;
  if (!leads(r, lost, r.local.id, peer.node.id)) return false;
  for (const other of r.peers.values()) {
    if (other !== peer && fellowSecondary(other, volume) && leads(r, lost, other.node.id, r.local.id)) return false;
  }
  for (const range2 of own) meta2.markOutOfSync(peer.node.id, range2.offset, range2.length);
  for (const range2 of pv.view?.reconcile ?? []) meta2.markOutOfSync(peer.node.id, range2.offset, range2.length);
  pv.reconciled = true;
  if (meta2.outOfSyncBytes(peer.node.id) === 0) return false;
  const lostName = r.config.nodes.find((n) => n.id === lost)?.name ?? String(lost);
  r.log.info("reconciling with a survivor of the lost Primary", { peer: peer.node.name, volume: volume.index, lostPrimary: lostName, outOfSyncBytes: meta2.outOfSyncBytes(peer.node.id) });
  r.emit("reconcile", { peer: peer.node.name, volume: volume.index, lostPrimary: lostName });
  peer.startResync(volume);
  return true;
}
function reconcileSurvivors(peers, except) {
  for (const peer of peers) {
    if (peer === except || !peer.connected) continue;
    for (const [index, pv] of peer.volumes) {
      const volume = peer.resource.volume(index);
      if (volume) reconcileSurvivor(peer, volume, pv);
    }
  }
}

// src/engine/secondary.ts
function lockedRange(peer, msg) {
  switch (msg.type) {
    case "Write":
    case "ResyncData":
      return lockOf(peer, msg.volume, msg.offset, msg.data.length);
    case "WriteZeroes":
    case "ReadRequest":
    case "ResyncChecksum":
      return lockOf(peer, msg.volume, msg.offset, msg.length);
    default:
      return null;
  }
}
function lockOf(peer, index, offset, length) {
  const volume = peer.resource.volume(index);
  return volume ? { lock: volume.locks, offset, length } : null;
}
function applyMessage(peer, msg, late = false) {
  const m = msg;
  if (m.type === "State") return peer.onState(m);
  if (m.type === "Flush") return flushAll(peer, m.id);
  const volume = peer.resource.volume(m.volume);
  if (!volume) return peer.resource.protocolError(peer, `message for unknown volume ${m.volume}`);
  switch (m.type) {
    case "Write":
      return applyWrite(peer, volume, { seq: m.seq, offset: m.offset, length: m.data.length, fua: m.flags.fua || m.flags.flush, missing: m.missing, data: m.data, late });
    case "WriteZeroes":
      return applyWrite(peer, volume, { seq: m.seq, offset: m.offset, length: m.length, fua: m.flags.fua || m.flags.flush, missing: m.missing, data: null, late });
    case "OutOfSync":
      return applyOutOfSync(peer, volume, m);
    case "ResyncData":
      return applyResyncData(peer, volume, m);
    case "ResyncChecksum":
      return compareResyncChecksum(peer, volume, m);
    case "ResyncDone":
      return endResync(peer, volume, m);
    case "ReadRequest":
      return serveRead(peer, volume, m);
  }
}
function applyWrite(peer, volume, w) {
  const r = peer.resource;
  if (r.role === "Primary") {
    if (w.late) return;
    return r.protocolError(peer, "received a replicated write while Primary");
  }
  if (w.offset + w.length > volume.sizeBytes && volume.attached) {
    if (!w.late) r.protocolError(peer, `write beyond the end of volume ${volume.index}`);
    return;
  }
  const meta2 = volume.meta;
  const disk2 = volume.disk;
  if (!meta2 || !disk2) {
    answerWrite(peer, w, { type: "NegAck", volume: volume.index, seq: w.seq, errno: 5 });
    return;
  }
  meta2.endUnacknowledged();
  volume.beginActivity();
  let al;
  try {
    al = meta2.beginWrite(w.offset, w.length);
  } catch (err) {
    volume.endActivity();
    throw err;
  }
  if (al === null) return storeWrite(peer, volume, meta2, disk2, w);
  return al.then(() => storeWrite(peer, volume, meta2, disk2, w), (err) => {
    volume.endActivity();
    throw err;
  });
}
function storeWrite(peer, volume, meta2, disk2, w) {
  let io2;
  try {
    io2 = w.data ? disk2.write(w.offset, w.data, w.fua) : disk2.writeZeroes(w.offset, w.length, w.fua);
  } catch (err) {
    io2 = Promise.reject(err);
  }
  return io2.then(() => {
    settleWrite(peer, volume, meta2, w);
    staleResyncBlocks(peer, volume, w.offset, w.length);
    if (w.late && peer.lostWhilePrimary) lateWriteOfLostPrimary(peer, volume, w.offset, w.length);
    answerWrite(peer, w, { type: "WriteAck", volume: volume.index, seq: w.seq });
  }, (err) => {
    answerWrite(peer, w, { type: "NegAck", volume: volume.index, seq: w.seq, errno: errnoOf(err) });
    try {
      peer.resource.localDiskFailed(volume, err, { offset: w.offset, length: w.length }, meta2);
    } finally {
      settleWrite(peer, volume, meta2, w);
    }
  });
}
function settleWrite(peer, volume, meta2, w) {
  try {
    if (w.missing !== 0) markMissing(peer, volume, w.missing, w.offset, w.length, true);
    meta2.endWrite(w.offset, w.length);
  } finally {
    volume.endActivity();
  }
}
function staleResyncBlocks(from, volume, offset, length) {
  for (const other of from.resource.peers.values()) {
    if (other !== from) other.volumes.get(volume.index)?.resync?.noteDirtied(offset, length);
  }
}
function answerWrite(peer, w, msg) {
  if (!w.late) peer.sendControl(msg);
}
function applyOutOfSync(peer, volume, m) {
  if (!volume.meta) return;
  if (m.offset + m.length > volume.sizeBytes) return peer.resource.protocolError(peer, "out-of-sync range beyond the end of the volume");
  markMissing(peer, volume, m.missing, m.offset, m.length, false);
}
function markMissing(from, volume, missing, offset, length, duringWrite) {
  const meta2 = volume.meta;
  if (!meta2) return;
  const r = from.resource;
  for (const other of r.peers.values()) {
    if (!other.diskful || (missing & 1 << other.node.id) === 0) continue;
    if (meta2.bitmapGeneration(other.node.id) === 0n) meta2.setBitmapGeneration(other.node.id, meta2.history()[0] ?? meta2.current());
    meta2.markOutOfSync(other.node.id, offset, length, duringWrite);
    const pv = other.volumes.get(volume.index);
    pv?.resync?.noteDirtied(offset, length);
    pv?.resync?.pump();
    const primaryDiskless = from.peerRole === "Primary" && from.isDisklessFor(volume.index);
    if (primaryDiskless && other !== from && other.connected && volume.diskState === "UpToDate" && pv?.replicationState === "Established") other.startResync(volume);
  }
}
async function flushAll(peer, id) {
  for (const v of peer.resource.volumes) {
    if (!v.disk) continue;
    v.beginActivity();
    try {
      await v.disk.flush();
    } catch (err) {
      peer.resource.localDiskFailed(v, err, null);
    } finally {
      v.endActivity();
    }
  }
  peer.sendControl({ type: "FlushAck", id });
}
function takesResyncFrom(peer, volume, offset, length) {
  const r = peer.resource;
  if (!volume.attached || r.role === "Primary" && volume.usable) {
    r.protocolError(peer, "resync data sent to a node that cannot be SyncTarget");
    return false;
  }
  if (offset + length > volume.sizeBytes) {
    r.protocolError(peer, "resync data beyond the end of the volume");
    return false;
  }
  const pv = peer.volumes.get(volume.index);
  if (peer.sendsStaleResync(volume.index)) return false;
  if (pv.replicationState === "SyncSource") return false;
  if (r.syncingFromAnother(volume, peer)) {
    peer.pauseAsSource(volume.index);
    r.log.info("resync paused: resync data comes from another node first", { peer: peer.node.name, volume: volume.index, source: volume.syncSource });
    peer.sendState();
    return false;
  }
  volume.syncSource = peer.node.id;
  if (pv.replicationState !== "SyncTarget") r.becomeSyncTarget(peer, volume);
  return true;
}
async function endResync(peer, volume, msg) {
  const r = peer.resource;
  const pv = peer.volumes.get(volume.index);
  if (pv.replicationState !== "SyncTarget" && r.role === "Primary" && volume.usable) return;
  if (!takesResyncFrom(peer, volume, 0, 0)) return;
  await r.finishResyncAsTarget(peer, volume, msg.current, msg.history);
}
async function applyResyncData(peer, volume, msg) {
  const r = peer.resource;
  if (!takesResyncFrom(peer, volume, msg.offset, msg.data.length)) return;
  if (volume.untouchedTarget) {
    volume.untouchedTarget = null;
    volume.meta?.setFlags({ consistent: false, wasUpToDate: false });
  }
  volume.meta?.endUnacknowledged();
  markOthersOutOfSync(peer, volume, msg.offset, msg.data.length);
  pendingUntilDurable(peer, volume, msg.offset, msg.data.length);
  volume.beginActivity();
  try {
    await volume.disk.write(msg.offset, msg.data, false);
  } catch (err) {
    r.localDiskFailed(volume, err, { offset: msg.offset, length: msg.data.length });
    return;
  } finally {
    volume.endActivity();
  }
  resolvedByResync(peer, volume, msg.offset, msg.data.length);
  peer.sendControl({ type: "ResyncAck", volume: volume.index, requestId: msg.requestId, offset: msg.offset, length: msg.data.length });
}
async function compareResyncChecksum(peer, volume, msg) {
  const r = peer.resource;
  const alg = r.config.csumsAlg;
  if (alg === "none") return r.protocolError(peer, "a resync checksum arrived, but csums-alg is none here");
  if (msg.digest.length !== DIGEST_BYTES[alg]) return r.protocolError(peer, `a resync checksum of ${msg.digest.length} bytes: ${alg} digests have ${DIGEST_BYTES[alg]}`);
  if (msg.length === 0 || msg.length > MAX_DATA_BYTES) return r.protocolError(peer, `a resync checksum over ${msg.length} bytes: 1 to ${MAX_DATA_BYTES} (what one ResyncData carries)`);
  if (!takesResyncFrom(peer, volume, msg.offset, msg.length)) return;
  const link = peer.link;
  let ours;
  volume.beginActivity();
  try {
    ours = await volume.disk.read(msg.offset, msg.length);
  } catch (err) {
    r.localDiskFailed(volume, err, null);
    return;
  } finally {
    volume.endActivity();
  }
  const same = (await r.platform.digest(alg, ours)).equals(msg.digest);
  if (peer.link !== link || !volume.meta) return;
  const range2 = { volume: volume.index, requestId: msg.requestId, offset: msg.offset, length: msg.length };
  if (!same) {
    peer.sendControl({ type: "ResyncRequest", ...range2 });
    return;
  }
  pendingUntilDurable(peer, volume, msg.offset, msg.length);
  resolvedByResync(peer, volume, msg.offset, msg.length);
  peer.sendControl({ type: "ResyncInSync", ...range2 });
}
function markOthersOutOfSync(source, volume, offset, length) {
  const meta2 = volume.meta;
  if (!meta2) return;
  const sourceView = source.volumes.get(volume.index)?.view;
  const sourceCurrent = sourceView?.current;
  const reconciling = sourceView?.flags.survivedPrimaryLoss === true && source.resource.reconcileRanges.has(volume.index);
  for (const other of source.resource.peers.values()) {
    if (other === source || !other.diskful) continue;
    const opv = other.volumes.get(volume.index);
    const holdsIt = !reconciling && other.connected && opv?.replicationState === "Established" && opv.peerDiskState === "UpToDate" && sourceCurrent !== void 0 && opv.view !== null && sameGeneration(opv.view.current, sourceCurrent);
    if (!holdsIt) meta2.markOutOfSync(other.node.id, offset, length);
  }
}
function pendingUntilDurable(source, volume, offset, length) {
  volume.meta?.markOutOfSync(source.node.id, offset, length);
}
function resolvedByResync(peer, volume, offset, length) {
  const meta2 = volume.meta;
  const disk2 = volume.disk;
  if (!meta2 || !disk2) return;
  const pending = volume.resyncDurability;
  pending.add(meta2, peer, offset, length);
  if (!pending.due) return;
  volume.beginActivity();
  pending.settle(disk2).catch((err) => peer.resource.localDiskFailed(volume, err, null)).finally(() => volume.endActivity());
}
async function serveRead(peer, volume, msg) {
  if (msg.length > MAX_DATA_BYTES) return peer.resource.protocolError(peer, `read request of ${msg.length} bytes: at most ${MAX_DATA_BYTES} fit one reply`);
  const ok2 = volume.disk !== null && volume.diskState === "UpToDate" && msg.offset + msg.length <= volume.sizeBytes;
  let data = Buffer.alloc(0);
  let errno2 = ok2 ? 0 : 5;
  if (ok2) {
    volume.beginActivity();
    try {
      data = await volume.disk.read(msg.offset, msg.length);
    } catch (err) {
      errno2 = errnoOf(err);
      peer.resource.localDiskFailed(volume, err, null);
    } finally {
      volume.endActivity();
    }
  }
  while (peer.link && !peer.canSend) await peer.whenCanSend();
  peer.sendData({ type: "ReadReply", volume: volume.index, requestId: msg.requestId, errno: errno2, data: errno2 === 0 ? data : Buffer.alloc(0) });
}
var ERRNO = { EIO: 5, ENOSPC: 28, EROFS: 30, EPERM: 1 };
function errnoOf(err) {
  const code = err?.code;
  return typeof code === "string" ? ERRNO[code] ?? 5 : 5;
}

// src/engine/transfer-log.ts
var TRANSFER_LOG_BYTES = 64 * 1024 * 1024;
var TRANSFER_LOG_ENTRIES = 4096;
var TransferLog = class {
  writes = /* @__PURE__ */ new Map();
  flushes = /* @__PURE__ */ new Map();
  roomWaiters = [];
  nextFlushId = 1;
  bytes = 0;
  get size() {
    return this.writes.size;
  }
  get sizeBytes() {
    return this.bytes;
  }
  /** A write of `length` bytes fits (an empty log always takes one, however large). */
  hasRoom(length) {
    if (this.writes.size === 0) return true;
    return this.writes.size < TRANSFER_LOG_ENTRIES && this.bytes + length <= TRANSFER_LOG_BYTES;
  }
  /** Resolves when an entry leaves the log (check hasRoom again). */
  waitForRoom() {
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }
  add(seq, write, callbacks) {
    assert(!this.writes.has(seq), "sequence numbers are unique per resource");
    assert(this.hasRoom(write.length), "the transfer log has room for what is added (the sender waited)");
    this.writes.set(seq, { volume: write.volume, offset: write.offset, length: write.length, received: callbacks.received, settled: callbacks.settled });
    this.bytes += write.length;
  }
  /** Some write of `volume` is unconfirmed (bounded: the log holds TRANSFER_LOG_ENTRIES at most). */
  hasUnconfirmed(volume) {
    for (const entry of this.writes.values()) if (entry.volume === volume) return true;
    return false;
  }
  /** A flush sent to the peer: resolved true on its FlushAck, false when the link is lost first. */
  addFlush() {
    const id = this.nextFlushId++;
    return { id, done: new Promise((resolve) => this.flushes.set(id, resolve)) };
  }
  onFlushAck(id) {
    this.flushes.get(id)?.(true);
    this.flushes.delete(id);
  }
  onRecvAck(seq) {
    const entry = this.writes.get(seq);
    if (entry) received(entry);
  }
  /** WriteAck (stored) or NegAck (not stored). A late ack after a reset finds nothing. */
  onWriteAck(seq, stored) {
    const entry = this.writes.get(seq);
    if (!entry) return;
    this.remove(seq, entry);
    settle(entry, stored);
  }
  /** The link is gone: every unconfirmed write is returned (to be resynced), nothing waits any more. */
  failAll() {
    const lost = [...this.writes.values()];
    this.writes.clear();
    this.bytes = 0;
    for (const entry of lost) settle(entry, false);
    for (const done of this.flushes.values()) done(false);
    this.flushes.clear();
    this.wakeRoomWaiters();
    return lost.map(({ volume, offset, length }) => ({ volume, offset, length }));
  }
  remove(seq, entry) {
    this.writes.delete(seq);
    this.bytes -= entry.length;
    this.wakeRoomWaiters();
  }
  wakeRoomWaiters() {
    if (this.roomWaiters.length === 0) return;
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const w of waiters) w();
  }
};
function received(entry) {
  const fn = entry.received;
  entry.received = void 0;
  fn?.();
}
function settle(entry, stored) {
  entry.received = void 0;
  entry.settled(stored);
}

// src/engine/peer.ts
var MAX_REPORTED_RANGES = 4096;
var REFUSAL = "refused: ";
var Peer = class {
  constructor(resource, node) {
    this.resource = resource;
    this.node = node;
    this.protocol = connectionProtocol(resource.config, resource.local.name, node.name);
    for (const v of node.volumes) this.volumes.set(v.index, { replicationState: "Off", peerDiskState: "DUnknown", view: null, resync: null, syncEnding: false, pausesSent: 0, pausesSeen: 0, resyncWasPaused: false, reconciled: false });
  }
  resource;
  node;
  link = null;
  connectionState = "Connecting";
  peerRole = "Unknown";
  volumes = /* @__PURE__ */ new Map();
  transfer = new TransferLog();
  /** the replication protocol of this connection ([connection.<a>.<b>], else the resource's) */
  protocol;
  /** the peer was Primary when its link broke: its last writes may differ between survivors */
  lostWhilePrimary = false;
  /** resync request ids, unique across the resyncs on one link: a late answer to a paused or
   *  stopped resync never matches a block of the next one */
  resyncRequestId = 0;
  /** sendData returned false: bulk senders wait for the link's drain */
  saturated = false;
  drainWaiters = [];
  applyQueue = null;
  get connected() {
    return this.link !== null && this.connectionState === "Connected";
  }
  /** configured with a disk for some volume (it may be detached now) */
  get diskful() {
    return this.node.volumes.some((v) => v.disk !== null);
  }
  /** The local metadata that keeps a bitmap for this peer: none for a diskless peer or volume. */
  bitmapOf(volume) {
    return this.diskful ? volume?.meta ?? null : null;
  }
  /** Does a Primary's write to this volume go to this peer? */
  replicatingTo(volume) {
    const pv = this.volumes.get(volume);
    if (!this.connected || !pv || !hasDisk(pv.peerDiskState)) return false;
    return pv.replicationState === "Established" || pv.replicationState === "SyncSource";
  }
  /** The peer has no disk for this volume now (a diskless client, or detached). */
  isDisklessFor(volume) {
    return this.volumes.get(volume)?.peerDiskState === "Diskless";
  }
  peerUpToDate(volume) {
    const list = volume === void 0 ? [...this.volumes.values()] : [this.volumes.get(volume)];
    return list.every((pv) => pv !== void 0 && pv.peerDiskState === "UpToDate" && pv.replicationState === "Established");
  }
  // ---- link lifecycle -------------------------------------------------------------------------
  attachLink(link) {
    if (this.link) this.closeLink("replaced by a new connection");
    this.link = link;
    this.connectionState = "Connected";
    this.lostWhilePrimary = false;
    this.saturated = false;
    this.resyncRequestId = 0;
    const queue = new ApplyQueue(link, (msg, late) => applyMessage(this, msg, late), (msg) => lockedRange(this, msg), (err, msg) => this.resource.onApplyError(this, msg, err));
    this.applyQueue = queue;
    link.onMessage((msg) => this.resource.guard(() => this.onMessage(msg, queue)));
    link.onClose((reason) => this.resource.guard(() => this.onLinkClosed(link, reason)));
    link.onDrain(() => this.resource.guard(() => this.onDrain(link)));
    for (const v of this.resource.volumes) this.bitmapOf(v)?.setPeerConnected(this.node.id, true);
    this.resource.log.info("peer connected", { peer: this.node.name });
    this.resource.emit("connection", { peer: this.node.name, connectionState: "Connected" });
    this.sendState();
  }
  closeLink(reason) {
    const link = this.link;
    if (!link) return;
    link.close(reason);
    this.onLinkClosed(link, reason);
  }
  /**
   * Stop talking to this peer until the administrator connects again. The peer is told, and goes
   * StandAlone too (as both DRBD nodes do after a split brain): our Disconnect can overtake our
   * State on the other socket, so it may not have reached the same verdict by itself.
   */
  refuse(reason) {
    this.resource.log.warn("connection refused", { peer: this.node.name, reason });
    this.resource.emit("connection", { peer: this.node.name, connectionState: "StandAlone", reason });
    this.link?.sendControl({ type: "Disconnect", reason: `${REFUSAL}${reason}`.slice(0, 500) });
    this.closeLink(reason);
    this.connectionState = "StandAlone";
    this.resource.stopDialing(this.node.id);
  }
  onLinkClosed(link, reason) {
    if (this.link !== link) return;
    this.link = null;
    this.applyQueue?.abandon();
    this.applyQueue = null;
    const wasPrimary = this.peerRole === "Primary";
    const replicated = [...this.volumes].some(([index, pv]) => pv.replicationState === "Established" || this.sameGenerationTarget(index, pv));
    const unconfirmed = this.transfer.failAll();
    for (const [index, pv] of this.volumes) {
      const volume = this.resource.volume(index);
      if (pv.replicationState === "SyncTarget" && volume) this.resource.sourceLostBeforeData(this, volume);
    }
    for (const pv of this.volumes.values()) {
      pv.resync?.stop();
      pv.resync = null;
      pv.replicationState = "Off";
      pv.peerDiskState = "DUnknown";
      pv.view = null;
      pv.syncEnding = false;
      pv.pausesSent = 0;
      pv.pausesSeen = 0;
      pv.resyncWasPaused = false;
      pv.reconciled = false;
    }
    for (const v of this.resource.volumes) if (v.syncSource === this.node.id) v.syncSource = null;
    this.peerRole = "Unknown";
    this.lostWhilePrimary = wasPrimary;
    this.wakeSenders();
    if (reason.includes(`disconnected: ${REFUSAL}`)) {
      this.connectionState = "StandAlone";
      this.resource.stopDialing(this.node.id);
    }
    for (const v of this.resource.volumes) this.bitmapOf(v)?.setPeerConnected(this.node.id, false);
    if (this.connectionState !== "StandAlone") this.connectionState = "Connecting";
    this.resource.log.warn("peer connection lost", { peer: this.node.name, reason });
    this.resource.emit("connection", { peer: this.node.name, connectionState: this.connectionState, reason });
    this.resource.onPeerLost(this, { wasPrimary, replicated, unconfirmed, reason });
  }
  /** Our SyncTarget whose last State named our current generation (a resync within one generation). */
  sameGenerationTarget(index, pv) {
    const meta2 = this.resource.volume(index)?.meta;
    return pv.replicationState === "SyncSource" && pv.view !== null && meta2 !== null && meta2 !== void 0 && sameGeneration(pv.view.current, meta2.current());
  }
  // ---- sending --------------------------------------------------------------------------------
  /** The link takes bulk data now (connected and below its byte bound). */
  get canSend() {
    return this.link !== null && !this.saturated;
  }
  /** Resolves when the link drained or closed (check canSend again). */
  whenCanSend() {
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }
  /** Bulk data (a Write, ResyncData, ReadReply): the caller checked canSend. */
  sendData(msg) {
    if (this.link && !this.link.sendData(msg)) this.saturated = true;
  }
  sendControl(msg) {
    this.link?.sendControl(msg);
  }
  onDrain(link) {
    if (this.link !== link) return;
    this.saturated = false;
    this.wakeSenders();
    for (const pv of this.volumes.values()) pv.resync?.pump();
  }
  wakeSenders() {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w();
  }
  /** Our view of every volume (small: it goes out whatever the link's fill, as DRBD's state packets). */
  sendState() {
    if (!this.link) return;
    const r = this.resource;
    const volumes = r.volumes.map((v) => volumeView(this, v));
    if (!this.link.sendData({ type: "State", role: r.role, volumes })) this.saturated = true;
  }
  // ---- receiving ------------------------------------------------------------------------------
  onMessage(msg, queue) {
    switch (msg.type) {
      case "RecvAck":
        return this.transfer.onRecvAck(msg.seq);
      case "WriteAck":
        return this.transfer.onWriteAck(msg.seq, true);
      case "NegAck":
        return this.onNegAck(msg);
      case "FlushAck":
        return this.transfer.onFlushAck(msg.id);
      case "ResyncAck":
        return this.volumes.get(msg.volume)?.resync?.onAck(msg);
      case "ResyncInSync":
        return this.volumes.get(msg.volume)?.resync?.onInSync(msg);
      case "ResyncRequest":
        return this.volumes.get(msg.volume)?.resync?.onDataRequest(msg);
      case "ReadReply":
        return this.resource.reads.onReply(this, msg);
      case "Disconnect":
        return this.refuse(`peer disconnected: ${msg.reason}`);
      case "Write":
      case "WriteZeroes":
        if (this.protocol === "B") this.sendControl({ type: "RecvAck", volume: msg.volume, seq: msg.seq });
        return queue.push(msg);
      case "State":
      case "OutOfSync":
      case "Flush":
      case "ResyncData":
      case "ResyncChecksum":
      case "ResyncDone":
      case "ReadRequest":
        return queue.push(msg);
      default:
        return this.resource.protocolError(this, `unexpected ${msg.type} message after the handshake`);
    }
  }
  onNegAck(msg) {
    this.resource.log.warn("peer failed to store a replicated write: its blocks stay out of sync for it", { peer: this.node.name, volume: msg.volume, errno: msg.errno });
    const pv = this.volumes.get(msg.volume);
    if (pv?.peerDiskState === "UpToDate") pv.peerDiskState = "Inconsistent";
    this.transfer.onWriteAck(msg.seq, false);
  }
  nextResyncRequestId() {
    this.resyncRequestId = this.resyncRequestId + 1 >>> 0 || 1;
    return this.resyncRequestId;
  }
  /** As this node knows it: a diskless Primary's writes that miss an UpToDate peer make it Outdated. */
  knownDiskState(volume, pv) {
    const v = this.resource.volume(volume);
    return pv.peerDiskState === "UpToDate" && v && missesOurDisklessWrites(this, v) ? "Outdated" : pv.peerDiskState;
  }
  /** Take no resync data from this peer for now: another node's resync to us runs (our State tells it). */
  pauseAsSource(volume) {
    const pv = this.volumes.get(volume);
    if (pv.replicationState === "PausedSyncT") return;
    pv.replicationState = "PausedSyncT";
    pv.pausesSent++;
  }
  /** Resync blocks from this peer were sent before it read our State that paused it (see PeerVolume). */
  sendsStaleResync(volume) {
    const pv = this.volumes.get(volume);
    return pv !== void 0 && (pv.replicationState === "PausedSyncT" || pv.pausesSent > (pv.view?.resyncPausesSeen ?? 0));
  }
  /** Become SyncSource for a volume if this peer has out-of-sync blocks and is not syncing yet. */
  startResync(volume) {
    const pv = this.volumes.get(volume.index);
    if (!pv || !this.connected || pv.resync || !volume.meta || volume.diskState !== "UpToDate") return;
    if (pv.replicationState !== "Established" && pv.replicationState !== "Off" && pv.replicationState !== "PausedSyncS") return;
    if (!hasDisk(pv.peerDiskState) || pv.view?.flags.resyncPaused) return;
    if (pv.view && volume.meta.bitmapGeneration(this.node.id) === 0n) volume.meta.setBitmapGeneration(this.node.id, pv.view.current);
    pv.replicationState = "SyncSource";
    if (pv.peerDiskState === "UpToDate") pv.peerDiskState = "Inconsistent";
    pv.resync = new ResyncSource(this, volume, pv);
    pv.resync.start(pv.resyncWasPaused);
    pv.resyncWasPaused = false;
  }
  /** Our disk for this volume is going away: a resync from it ends (the peer keeps its bits). */
  stopResync(volume) {
    const pv = this.volumes.get(volume);
    if (!pv?.resync) return;
    pv.resync.stop();
    pv.resync = null;
    pv.replicationState = "Established";
  }
  /** The State message, applied in stream order (see apply-queue.ts). */
  onState(msg) {
    onPeerState(this, msg.role === "Unknown" ? "Secondary" : msg.role, msg.volumes);
  }
  status() {
    return {
      peer: this.node.name,
      nodeId: this.node.id,
      connectionState: this.connectionState,
      protocol: this.protocol,
      peerRole: this.peerRole,
      volumes: [...this.volumes.entries()].map(([volume, pv]) => ({
        volume,
        replicationState: pv.replicationState,
        peerDiskState: this.knownDiskState(volume, pv),
        outOfSyncBytes: this.bitmapOf(this.resource.volume(volume))?.outOfSyncBytes(this.node.id) ?? 0,
        resync: pv.resync?.progress() ?? null
      }))
    };
  }
};
function hasDisk(state) {
  return state !== "Diskless" && state !== "Failed" && state !== "DUnknown" && state !== "Attaching";
}
function missesOurDisklessWrites(peer, v) {
  const view = peer.volumes.get(v.index)?.view;
  if (peer.resource.role !== "Primary" || v.meta || !peer.diskful || !view || !hasDisk(view.diskState)) return false;
  return missesWrites(peer, v, view.current);
}
function disklessBitmapFor(peer, v) {
  return missesOurDisklessWrites(peer, v) ? peer.volumes.get(v.index).view.current : 0n;
}
function volumeView(peer, v) {
  const r = peer.resource;
  const bitmap = peer.bitmapOf(v);
  const syncingFromIt = peer.volumes.get(v.index)?.replicationState === "SyncTarget";
  const ranges = syncingFromIt ? [] : [...r.reconcileRanges.get(v.index) ?? [], ...bitmap?.outOfSyncRanges(peer.node.id, MAX_REPORTED_RANGES) ?? []];
  return {
    volume: v.index,
    diskState: v.diskState,
    sizeBytes: v.sizeBytes,
    current: v.meta?.current() ?? v.exposed[0] ?? 0n,
    // a diskless Primary tells the generation it writes
    bitmapForReceiver: bitmap?.bitmapGeneration(peer.node.id) ?? disklessBitmapFor(peer, v),
    history: v.meta?.history() ?? v.exposed.slice(1, 33),
    flags: {
      crashedPrimary: v.meta?.flags.crashedPrimary ?? false,
      wasUpToDate: v.meta?.flags.wasUpToDate ?? false,
      consistent: v.meta?.flags.consistent ?? false,
      discardMyData: r.discardMyData,
      newDataGeneration: false,
      survivedPrimaryLoss: r.reconcileRanges.has(v.index),
      primaryLostQuorum: v.meta?.flags.primaryLostQuorum ?? false,
      resyncPaused: peer.volumes.get(v.index)?.replicationState === "PausedSyncT",
      diskCrashed: v.meta?.crashed ?? false
    },
    resyncPauses: peer.volumes.get(v.index)?.pausesSent ?? 0,
    resyncPausesSeen: peer.volumes.get(v.index)?.pausesSeen ?? 0,
    outOfSyncBits: Math.ceil((bitmap?.outOfSyncBytes(peer.node.id) ?? 0) / 4096),
    unacknowledgedSince: v.meta?.unacknowledgedSince() ?? 0n,
    reconcile: ranges.slice(0, 8192)
  };
}

// src/engine/mixed-protocols.ts
function waitForSynchronousCopy(peer, volume, view) {
  const meta2 = volume.meta;
  if (!meta2 || peer.protocol !== "A" || !sameGeneration(meta2.current(), view.current)) return null;
  const localCrashed = meta2.flags.crashedPrimary;
  if (localCrashed === view.flags.crashedPrimary) return null;
  const r = peer.resource;
  const crashed = localCrashed ? r.local.name : peer.node.name;
  const other = localCrashed ? peer.node.name : r.local.name;
  const synchronous = r.config.nodes.filter((n) => n.name !== crashed && n.name !== other && n.volumes.some((v) => v.disk !== null) && connectionProtocol(r.config, crashed, n.name) !== "A");
  if (synchronous.length === 0) return null;
  return `${crashed} crashed as Primary; this connection is on protocol A and ${synchronous.map((n) => n.name).join(", ")} (on ${synchronous.map((n) => connectionProtocol(r.config, crashed, n.name)).join(", ")}) holds every write it acknowledged: waiting until ${crashed} is resynced from there`;
}

// src/engine/generation-handshake.ts
function onPeerState(peer, role, views) {
  const r = peer.resource;
  const becamePrimary = role === "Primary" && peer.peerRole !== "Primary";
  for (const view of views) {
    if (!peer.volumes.has(view.volume)) {
      peer.refuse(`the peer has volume ${view.volume}, this node does not`);
      return;
    }
  }
  peer.peerRole = role;
  const before2 = [...peer.volumes.values()].map((pv) => pv.replicationState);
  let diskReturned = false;
  let pausedByPeer = false;
  for (const view of views) {
    const pv = peer.volumes.get(view.volume);
    const previous = pv.view;
    pv.view = view;
    if (view.resyncPauses > pv.pausesSeen) {
      pv.pausesSeen = view.resyncPauses;
      pausedByPeer = true;
    }
    if (view.diskState === "UpToDate" || !hasDisk(view.diskState)) pv.syncEnding = false;
    pv.peerDiskState = reportedDiskState(pv, view.diskState);
    const volume = r.volume(view.volume);
    if (volume && diskWentAway(previous, view)) {
      peer.stopResync(view.volume);
      r.peerDiskLost(peer, volume);
    }
    if (diskCameBack(previous, view, pv)) {
      pv.replicationState = "Off";
      diskReturned = true;
    }
    handshakeVolume(peer, view.volume, pv);
    if (peer.connectionState === "StandAlone") return;
  }
  if (role === "Primary" && r.role === "Primary") {
    peer.refuse("both nodes are Primary and their data did not diverge: demote one of them before they connect");
    return;
  }
  if (r.discardMyData && [...peer.volumes.values()].some((pv) => pv.replicationState === "SyncTarget")) r.discardMyData = false;
  const changed = [...peer.volumes.values()].some((pv, i) => pv.replicationState !== before2[i]);
  if (changed || diskReturned || pausedByPeer || becamePrimary && r.reconcileRanges.size > 0) peer.sendState();
  if (r.reconcileRanges.size > 0 && r.role !== "Primary") reconcileSurvivors(r.peers.values(), peer);
  for (const other of r.peers.values()) {
    if (other === peer || !other.connected) continue;
    for (const [index, opv] of other.volumes) if ((opv.replicationState === "Off" || opv.replicationState === "PausedSyncT") && opv.view) handshakeVolume(other, index, opv);
  }
  r.fencing.reconcile();
  r.emit("replication", { peer: peer.node.name, role, volumes: [...peer.volumes.entries()].map(([v, pv]) => ({ volume: v, replicationState: pv.replicationState, peerDiskState: pv.peerDiskState })) });
}
function reportedDiskState(pv, reported) {
  if (pv.replicationState === "SyncSource" && reported === "UpToDate") return "Inconsistent";
  return reported;
}
function diskCameBack(previous, view, pv) {
  if (!previous || pv.replicationState === "Off") return false;
  return !hasDisk(previous.diskState) && hasDisk(view.diskState);
}
function diskWentAway(previous, view) {
  return previous !== null && hasDisk(previous.diskState) && !hasDisk(view.diskState);
}
function handshakeVolume(peer, index, pv) {
  const paused = pv.replicationState === "PausedSyncT";
  decideVolume(peer, index, pv);
  if (paused !== (pv.replicationState === "PausedSyncT") && peer.connected) peer.sendState();
}
function stopResyncToPrimary(peer, volume) {
  peer.stopResync(volume.index);
  peer.resource.log.info("resync stopped: the peer is Primary now and resyncs this node itself", { peer: peer.node.name, volume: volume.index, outOfSyncBytes: volume.meta?.outOfSyncBytes(peer.node.id) ?? 0 });
  peer.sendState();
}
function pauseForTarget(peer, volume, pv) {
  pv.resync?.stop();
  pv.resync = null;
  pv.replicationState = "PausedSyncS";
  pv.resyncWasPaused = true;
  peer.resource.log.info("resync paused: the peer takes resync data from another node first", { peer: peer.node.name, volume: volume.index, outOfSyncBytes: volume.meta?.outOfSyncBytes(peer.node.id) ?? 0 });
}
function decideVolume(peer, index, pv) {
  const volume = peer.resource.volume(index);
  const view = pv.view;
  if (!volume) return;
  if ((pv.replicationState === "SyncSource" || pv.replicationState === "Established") && view.flags.resyncPaused && volume.meta) {
    pauseForTarget(peer, volume, pv);
    return;
  }
  if (pv.replicationState === "SyncSource" && pv.resync && peer.peerRole === "Primary" && view.diskState === "UpToDate" && peer.resource.role !== "Primary") stopResyncToPrimary(peer, volume);
  if (pv.replicationState === "Established" || pv.replicationState === "SyncSource") {
    followPeer(peer, volume, view, pv);
    return;
  }
  if (pv.replicationState === "SyncTarget") {
    if (hasDisk(view.diskState)) return;
    peer.resource.sourceLostBeforeData(peer, volume);
    if (volume.syncSource === peer.node.id) volume.syncSource = null;
    pv.replicationState = "Off";
  }
  if (!volume.meta || !hasDisk(view.diskState)) {
    pv.replicationState = "Established";
    if (!volume.diskful && view.sizeBytes > 0) volume.sizeBytes = view.sizeBytes;
    if (!volume.meta && peer.resource.role === "Primary" && view.diskState === "UpToDate" && adoptUnwrittenSince(volume, peer, view.current)) {
      peer.resource.log.info("generations replaced without a write dropped: the peer holds all of the data", { peer: peer.node.name, volume: index });
      for (const p of peer.resource.peers.values()) p.sendState();
    }
    if (volume.meta && peer.resource.role === "Primary") followPeer(peer, volume, view, pv);
    if (volume.meta && missedDisklessWrites(peer, volume, view)) outdateBehind(peer, volume);
    return;
  }
  if (volume.meta.sizeBytes !== view.sizeBytes && view.sizeBytes > 0) {
    peer.refuse(`volume ${index} size differs: local ${volume.meta.sizeBytes} bytes, peer ${view.sizeBytes} bytes`);
    return;
  }
  const owed = waitForSynchronousCopy(peer, volume, view);
  const resolved = resolveByLostQuorum(resolveByUnacknowledged(resolveByDiscard(decide(peer, volume, view), peer, view), peer, volume, view), volume, view);
  act(peer, volume, pv, owed ? { kind: "wait", rule: owed } : adjustForDiskStates(resolved, volume, view));
}
function resolveByUnacknowledged(d, peer, volume, view) {
  if (d.kind !== "split-brain") return d;
  const meta2 = volume.meta;
  const r = peer.resource;
  const local = r.role !== "Primary" && changedOnlyUnacknowledged({ current: meta2.current(), history: meta2.history(), unacknowledgedSince: meta2.unacknowledgedSince() }, view.bitmapForReceiver);
  const remote = peer.peerRole !== "Primary" && changedOnlyUnacknowledged({ current: view.current, history: view.history, unacknowledgedSince: view.unacknowledgedSince === 0n ? null : view.unacknowledgedSince }, meta2.bitmapGeneration(peer.node.id));
  if (!local && !remote) return d;
  const keepLocal = local && remote ? r.local.id < peer.node.id : remote;
  const why = local && remote ? "neither side acknowledged a write since they diverged" : local ? "this node acknowledged no write since they diverged" : "the peer acknowledged no write since they diverged";
  return keepLocal ? { kind: "source", full: false, rule: `${d.rule}; ${why}` } : { kind: "target", full: false, rule: `${d.rule}; ${why}` };
}
function resolveByLostQuorum(d, volume, view) {
  if (d.kind !== "split-brain") return d;
  const local = volume.meta.flags.primaryLostQuorum;
  if (local && !view.flags.primaryLostQuorum) return { kind: "target", full: false, rule: `${d.rule}; this node lost quorum as Primary, so nothing it wrote since was acknowledged` };
  if (view.flags.primaryLostQuorum && !local) return { kind: "source", full: false, rule: `${d.rule}; the peer lost quorum as Primary, so nothing it wrote since was acknowledged` };
  return d;
}
function resolveByDiscard(d, peer, view) {
  if (d.kind !== "split-brain") return d;
  const local = peer.resource.discardMyData;
  if (local && !view.flags.discardMyData) return { kind: "target", full: false, rule: `${d.rule}; local data discarded (connect --discard-my-data)` };
  if (view.flags.discardMyData && !local) return { kind: "source", full: false, rule: `${d.rule}; the peer discards its data (connect --discard-my-data)` };
  return d;
}
function decide(peer, volume, view) {
  const meta2 = volume.meta;
  const r = peer.resource;
  const kept = (diskState, crashed) => !crashed && (diskState === "UpToDate" || diskState === "Outdated");
  return decideSync(
    { current: meta2.current(), bitmapForPeer: meta2.bitmapGeneration(peer.node.id), history: meta2.history(), crashedPrimary: meta2.flags.crashedPrimary, survivedPrimaryLoss: r.reconcileRanges.has(volume.index), keptItsWrites: kept(volume.diskState, meta2.crashed) },
    { current: view.current, bitmapForPeer: view.bitmapForReceiver, history: view.history, crashedPrimary: view.flags.crashedPrimary, survivedPrimaryLoss: view.flags.survivedPrimaryLoss, keptItsWrites: kept(view.diskState, view.flags.diskCrashed) },
    r.local.id < peer.node.id,
    peer.protocol
  );
}
function adjustForDiskStates(d, volume, view) {
  const local = volume.diskState;
  const remote = view.diskState;
  if (d.kind === "split-brain" || d.kind === "unrelated") return d;
  if ((d.kind === "source" || d.kind === "target") && d.overOutdated) return d;
  if (local === "Inconsistent" && remote === "Inconsistent") return { kind: "no-sync", rule: "both Inconsistent: waiting for a primary --force" };
  const newer = !sameGeneration(volume.meta.current(), view.current) && view.current !== UUID_JUST_CREATED && volume.meta.current() !== UUID_JUST_CREATED;
  if ((local === "Inconsistent" || local === "Outdated") && d.kind === "source" && newer) {
    return { kind: "wait", rule: `local disk is ${local} and its generation is newer than the peer's (${d.rule}): waiting for a node that holds it` };
  }
  if (remote === "Outdated" && d.kind === "target" && newer) {
    return { kind: "wait", rule: `the peer's disk is Outdated and its generation is newer (${d.rule}): waiting for a node that holds it` };
  }
  if (remote === "Inconsistent" && d.kind === "target" && newer) {
    return { kind: "wait", rule: `the peer's disk is Inconsistent and its generation is newer (${d.rule}): waiting for a node that holds it`, peerNewer: true };
  }
  if ((local === "UpToDate" || local === "Consistent") && (remote === "Inconsistent" || remote === "Outdated") && d.kind !== "source") {
    return { kind: "source", full: remote === "Inconsistent" && d.kind !== "no-sync", rule: `peer is ${remote}` };
  }
  if ((local === "Inconsistent" || local === "Outdated") && (remote === "UpToDate" || remote === "Consistent") && d.kind !== "target") {
    return { kind: "target", full: local === "Inconsistent" && d.kind !== "no-sync", rule: `local disk is ${local}` };
  }
  return d;
}
function act(peer, volume, pv, d) {
  const r = peer.resource;
  const meta2 = volume.meta;
  const view = pv.view;
  r.log.info("handshake", { peer: peer.node.name, volume: volume.index, decision: d.kind, rule: d.rule });
  switch (d.kind) {
    case "wait":
      pv.replicationState = "Off";
      if (d.peerNewer) outdateBehind(peer, volume);
      return;
    case "no-sync":
      pv.replicationState = "Established";
      if (volume.diskState === "Consistent" && pv.view.diskState === "UpToDate" && sameGeneration(meta2.current(), pv.view.current)) {
        if (r.role !== "Primary" && meta2.outOfSyncBytes(peer.node.id) > 0) {
          r.log.info("disk stays Consistent: blocks marked out of sync since the crash wait for a resync", { peer: peer.node.name, volume: volume.index, outOfSyncBytes: meta2.outOfSyncBytes(peer.node.id) });
        } else {
          r.confirmUpToDate(volume, `same data generation as ${peer.node.name}, which is UpToDate`, pv.view.current);
        }
      }
      forgetStaleBits(peer, volume, pv.view);
      if (r.role === "Primary") mergeAndResync(peer, volume, pv.view.reconcile);
      else if (volume.diskState === "Consistent") leadConsistentPeers(peer.resource, volume);
      else reconcileSurvivor(peer, volume, pv);
      return;
    case "source":
      if (r.role !== "Primary" && [...r.peers.values()].some((p) => p !== peer && p.connected && p.peerRole === "Primary" && p.volumes.get(volume.index)?.peerDiskState === "UpToDate")) {
        pv.replicationState = "PausedSyncS";
        return;
      }
      if (r.role !== "Primary" && [...r.peers.values()].some((p) => p !== peer && p.connected && !p.volumes.get(volume.index)?.view)) {
        pv.replicationState = "Off";
        return;
      }
      if (volume.diskState === "Consistent") {
        const holder = mayHoldWhatTheCrashLost(peer, volume);
        if (holder) {
          pv.replicationState = "Off";
          r.log.info("disk stays Consistent: a peer of its generation, not heard since the crash or disk failure, may hold writes this disk lost", { peer: peer.node.name, volume: volume.index, waitingFor: holder.node.name });
          return;
        }
        r.confirmUpToDate(volume, `the handshake with ${peer.node.name} makes this node the SyncSource (${d.rule})`);
      } else if (volume.diskState === "Outdated" && d.overOutdated) {
        r.confirmUpToDate(volume, `the handshake with ${peer.node.name}, a crashed Primary of this generation, makes this node the SyncSource (${d.rule})`, view.current);
      }
      if (view.flags.resyncPaused) {
        pauseForTarget(peer, volume, pv);
        return;
      }
      if (d.full) meta2.markAllOutOfSync(peer.node.id);
      for (const range2 of pv.view?.reconcile ?? []) meta2.markOutOfSync(peer.node.id, range2.offset, range2.length);
      if (pv.replicationState === "PausedSyncT") pv.replicationState = "Off";
      peer.startResync(volume);
      return;
    case "target":
      if (r.role === "Primary" && volume.usable) {
        peer.refuse(`this node is Primary and would have to become SyncTarget of ${peer.node.name} (${d.rule})`);
        return;
      }
      if (r.syncingFromAnother(volume, peer)) {
        peer.pauseAsSource(volume.index);
        return;
      }
      if (replicatesFromPrimary(peer, volume)) {
        peer.pauseAsSource(volume.index);
        return;
      }
      if (d.full) meta2.markAllOutOfSync(peer.node.id);
      r.becomeSyncTarget(peer, volume);
      return;
    case "split-brain":
      r.emit("split-brain", { peer: peer.node.name, volume: volume.index, autoRecoverable: d.autoRecoverable, localOutOfSyncBytes: meta2.outOfSyncBytes(peer.node.id), peerOutOfSyncBytes: pv.view.outOfSyncBits * 4096, rule: d.rule });
      peer.refuse(`split brain detected on volume ${volume.index} (${d.rule}); keep one node's data: run 'tandem split-brain resolve ${r.name} --keep <node>' on each node (or, on the node whose writes are discarded, 'tandem secondary ${r.name}' and 'tandem connect ${r.name} --discard-my-data')`);
      return;
    case "unrelated":
      peer.refuse(`no common data generation on volume ${volume.index}: ${describeGenerations(meta2, pv.view, peer)}. These nodes never shared data, or their metadata was re-created; check which node holds the data to keep before any full sync (tandem md show)`);
      return;
  }
}
function leadConsistentPeers(r, volume) {
  const meta2 = volume.meta;
  if (!meta2 || r.role === "Primary" || volume.diskState !== "Consistent" || meta2.flags.crashedPrimary) return;
  const peers = [];
  for (const p of r.peers.values()) {
    if (!p.node.volumes.find((v) => v.index === volume.index)?.disk) continue;
    const pv = p.volumes.get(volume.index);
    const view = pv?.view;
    if (!p.connected || !view || pv.replicationState !== "Established" || p.peerRole === "Primary" || p.node.id < r.local.id) return;
    if (view.diskState !== "Consistent" || view.flags.crashedPrimary || !sameGeneration(view.current, meta2.current())) return;
    peers.push(p);
  }
  if (peers.length === 0) return;
  r.confirmUpToDate(volume, "every diskful node is Consistent in one generation and none is Primary: the lowest node id is the source");
  for (const p of peers) mergeAndResync(p, volume, p.volumes.get(volume.index).view.reconcile);
}
function replicatesFromPrimary(peer, volume) {
  for (const p of peer.resource.peers.values()) {
    if (p === peer || !p.connected || p.peerRole !== "Primary") continue;
    const pv = p.volumes.get(volume.index);
    if (pv?.peerDiskState === "UpToDate" && (pv.replicationState === "Established" || pv.replicationState === "SyncTarget")) return true;
  }
  return false;
}
function mayHoldWhatTheCrashLost(target, volume) {
  const meta2 = volume.meta;
  if (!meta2.crashed && !meta2.flags.diskFailed) return void 0;
  return [...target.resource.peers.values()].find((p) => p !== target && p.diskful && p.protocol !== "A" && meta2.bitmapGeneration(p.node.id) === 0n && !heardWithDisk(p, volume));
}
function heardWithDisk(peer, volume) {
  const view = peer.connected ? peer.volumes.get(volume.index)?.view : void 0;
  return !!view && hasDisk(view.diskState);
}
function outdateBehind(peer, volume) {
  const r = peer.resource;
  if (r.role === "Primary" || volume.diskState !== "UpToDate" && volume.diskState !== "Consistent") return;
  volume.meta.setFlags({ consistent: true, wasUpToDate: false });
  volume.diskState = "Outdated";
  r.log.warn("disk outdated: a peer holds a newer data generation", { peer: peer.node.name, volume: volume.index });
  r.emit("disk", { volume: volume.index, diskState: "Outdated", reason: `${peer.node.name} holds a newer data generation` });
  for (const p of r.peers.values()) if (p !== peer) p.sendState();
}
function describeGenerations(meta2, view, peer) {
  const hex = (g) => g.toString(16);
  return `local current ${hex(meta2.current())}, history [${meta2.history().map(hex).join(" ")}], bitmap for ${peer.node.name} ${hex(meta2.bitmapGeneration(peer.node.id))}; ${peer.node.name} current ${hex(view.current)}, history [${view.history.map(hex).join(" ")}], bitmap for us ${hex(view.bitmapForReceiver)}`;
}
function forgetStaleBits(peer, volume, view) {
  const meta2 = volume.meta;
  if (volume.diskState !== "UpToDate" || view.diskState !== "UpToDate" || !sameGeneration(meta2.current(), view.current)) return;
  if (peer.resource.role === "Primary" || view.flags.survivedPrimaryLoss || peer.resource.reconcileRanges.has(volume.index)) return;
  if (meta2.outOfSyncBytes(peer.node.id) === 0 && meta2.bitmapGeneration(peer.node.id) === 0n) return;
  meta2.markInSync(peer.node.id, 0, meta2.sizeBytes);
  meta2.setBitmapGeneration(peer.node.id, 0n);
  peer.resource.log.info("stale out-of-sync bits dropped: same generation, both UpToDate", { peer: peer.node.name, volume: volume.index });
}
function mergeAndResync(peer, volume, ranges) {
  const meta2 = volume.meta;
  if (!meta2 || volume.diskState !== "UpToDate") return;
  for (const range2 of ranges) meta2.markOutOfSync(peer.node.id, range2.offset, range2.length);
  if (meta2.outOfSyncBytes(peer.node.id) > 0) peer.startResync(volume);
}
function followPeer(peer, volume, view, pv) {
  const meta2 = volume.meta;
  if (!meta2) return;
  const r = peer.resource;
  if (missedDisklessWrites(peer, volume, view)) outdateBehind(peer, volume);
  if (peer.peerRole === "Primary" && volume.diskState === "UpToDate" && followsPrimary(meta2, view)) {
    meta2.followCurrent(view.current, `following ${peer.node.name}, the Primary${view.diskState === "Diskless" ? " (diskless)" : ""}`);
    if (view.diskState === "Diskless") for (const p of r.peers.values()) p.sendState();
  }
  if (peer.peerRole === "Primary" && pv.replicationState === "Established") endReconciledSurvival(peer, volume);
  if (peer.peerRole === "Primary" && pv.replicationState === "Established") endCrashedPrimary(peer, volume, view);
  if (pv.replicationState === "Established" && !pv.resync && !pv.syncEnding) {
    forgetStaleBits(peer, volume, view);
    if (volume.diskState === "Consistent" && view.diskState === "UpToDate" && sameGeneration(meta2.current(), view.current) && meta2.outOfSyncBytes(peer.node.id) === 0) {
      r.confirmUpToDate(volume, `same data generation as ${peer.node.name}, which became UpToDate`, view.current);
    }
  }
  if (r.role !== "Primary" && reconcileSurvivor(peer, volume, pv)) return;
  if (r.role !== "Primary" || !hasDisk(view.diskState) || pv.replicationState !== "Established" || pv.resync || pv.syncEnding) return;
  if (volume.diskState === "UpToDate" && (view.diskState === "Inconsistent" || view.diskState === "Outdated")) {
    pv.replicationState = "Off";
    handshakeVolume(peer, volume.index, pv);
    return;
  }
  const idle = !pv.resync;
  mergeAndResync(peer, volume, view.reconcile);
  if (idle && pv.resync && view.flags.survivedPrimaryLoss && !pv.reconciled) lateSurvivorReconciled(peer, volume, pv);
}
function lateSurvivorReconciled(peer, volume, pv) {
  pv.reconciled = true;
  peer.resource.log.info("reconciling the ranges a survivor of the old Primary reported", { peer: peer.node.name, volume: volume.index });
  peer.resource.emit("reconcile", { peer: peer.node.name, volume: volume.index });
}
function endReconciledSurvival(primary, volume) {
  const r = primary.resource;
  if (r.reconcileRanges.get(volume.index)?.length !== 0) return;
  if ((volume.meta?.outOfSyncBytes(primary.node.id) ?? 0) > 0) return;
  r.reconcileRanges.delete(volume.index);
  for (const p of r.peers.values()) p.sendState();
}
function endCrashedPrimary(primary, volume, view) {
  const meta2 = volume.meta;
  if (!meta2?.flags.crashedPrimary || volume.diskState !== "UpToDate" || !sameGeneration(meta2.current(), view.current)) return;
  meta2.setFlags({ crashedPrimary: false });
  primary.resource.log.info("crashed-Primary flag cleared: a Primary writes this generation now", { peer: primary.node.name, volume: volume.index });
  for (const p of primary.resource.peers.values()) p.sendState();
}
function missedDisklessWrites(peer, volume, view) {
  return peer.peerRole === "Primary" && !hasDisk(view.diskState) && view.bitmapForReceiver !== 0n && volume.meta !== null && !sameGeneration(view.current, volume.meta.current());
}
function followsPrimary(meta2, view) {
  if (view.current === 0n || sameGeneration(view.current, meta2.current())) return false;
  return view.history.length > 0 && sameGeneration(view.history[0], meta2.current());
}
function dropStaleBits(peers, volume) {
  for (const peer of peers) {
    const pv = peer.volumes.get(volume.index);
    if (peer.connected && pv?.view && pv.replicationState === "Established" && !pv.resync && !pv.syncEnding) forgetStaleBits(peer, volume, pv.view);
  }
}
function reevaluatePeers(peers) {
  for (const peer of peers) {
    if (!peer.connected) continue;
    for (const [index, pv] of peer.volumes) {
      if (!pv.view) continue;
      if (pv.replicationState === "PausedSyncS") pv.replicationState = "Off";
      if (pv.replicationState === "Off" || pv.replicationState === "PausedSyncT" || pv.replicationState === "Established" || pv.replicationState === "SyncSource") handshakeVolume(peer, index, pv);
    }
  }
}

// src/meta/layout.ts
var FORMAT_VERSION = 2;
var MIN_FORMAT_VERSION = 2;
var MAGIC = 0x4154454d4d444e54n;
var BLOCK = 4096;
var SUPERBLOCK_COPIES = 2;
var AL_OFFSET = SUPERBLOCK_COPIES * BLOCK;
var AL_LENGTH = 32 * 1024;
var BITMAP_OFFSET = AL_OFFSET + AL_LENGTH;
var BYTES_PER_BIT = 4096;
var AL_EXTENT_SHIFT = 22;
var AL_EXTENT_BYTES = 2 ** AL_EXTENT_SHIFT;
var DEFAULT_AL_EXTENTS = 1237;
var MIN_AL_EXTENTS = 7;
var MAX_PEERS = 31;
var BITMAP_PAGE = 8192;
var BITMAP_CRC_BYTES = 4;
var HISTORY_LENGTH = 32;
var NO_NODE = 4294967295;
var FREE_EXTENT = 4294967295;
var AL_FORMAT = { pmem: 1, block: 2 };
var AL_RING_BLOCKS = AL_LENGTH / BLOCK;
var AL_TX_MAGIC = 1279348308;
var AL_TX_UPDATES_MAX = 64;
var AL_TX_CONTEXT_OFFSET = 32 + AL_TX_UPDATES_MAX * 8;
var CONTEXT_PER_TRANSACTION = (BLOCK - AL_TX_CONTEXT_OFFSET) / 4;
var MAX_AL_EXTENTS = Math.min(AL_LENGTH / 8, CONTEXT_PER_TRANSACTION * (AL_RING_BLOCKS - 2));
var DEVICE_FLAGS = {
  CONSISTENT: 1 << 0,
  PRIMARY_IND: 1 << 1,
  WAS_UP_TO_DATE: 1 << 4,
  CRASHED_PRIMARY: 1 << 6,
  AL_CLEAN: 1 << 7,
  AL_DISABLED: 1 << 8,
  PRIMARY_LOST_QUORUM: 1 << 9,
  HAVE_QUORUM: 1 << 10,
  /** Tandem's own: detached after an I/O error while not known to hold the only copy of the data
   *  (docs/ARCHITECTURE.md §9). Attached again, data the other flags call UpToDate is Consistent
   *  until a handshake decides; cleared once the disk is UpToDate again. Bit 11 is left to the
   *  survivor claim of the unmerged wip/s6-survived branch. */
  DISK_FAILED: 1 << 12
};
var PEER_FLAGS = {
  PEER_CONNECTED: 1 << 0,
  PEER_OUTDATED: 1 << 1,
  PEER_FENCING: 1 << 2,
  PEER_FULL_SYNC: 1 << 3,
  PEER_DEVICE_SEEN: 1 << 4,
  NODE_EXISTS: 1 << 16
};
function geometry(volumeSize, maxPeers, alExtents = DEFAULT_AL_EXTENTS) {
  checkGeometryInputs(volumeSize, maxPeers, alExtents);
  const bitsPerSlot = Math.ceil(Math.ceil(volumeSize / BYTES_PER_BIT) / 64) * 64;
  const bmLength = alignUp(bitsPerSlot / 8 * maxPeers, BLOCK);
  const bmPages = Math.ceil(bmLength / BITMAP_PAGE);
  const bmCrcLength = alignUp(bmPages * BITMAP_CRC_BYTES, BLOCK);
  return {
    volumeSize,
    maxPeers,
    alExtents,
    bitsPerSlot,
    alOffset: AL_OFFSET,
    alLength: AL_LENGTH,
    bmOffset: BITMAP_OFFSET,
    bmLength,
    bmCrcOffset: BITMAP_OFFSET + bmLength,
    bmCrcLength,
    bmPages,
    areaLength: BITMAP_OFFSET + bmLength + bmCrcLength
  };
}
function extentCount(volumeSize) {
  return Math.ceil(volumeSize / AL_EXTENT_BYTES);
}
function alignUp(n, to) {
  return Math.ceil(n / to) * to;
}
function checkGeometryInputs(volumeSize, maxPeers, alExtents) {
  if (!Number.isSafeInteger(volumeSize) || volumeSize <= 0 || volumeSize % 512 !== 0) {
    throw new TandemError("TANDEM_E_USAGE", `invalid volume size ${volumeSize}`, {
      hint: "the volume size must be a positive multiple of 512 bytes, e.g. 1GiB"
    });
  }
  if (!Number.isInteger(maxPeers) || maxPeers < 1 || maxPeers > MAX_PEERS) {
    throw new TandemError("TANDEM_E_USAGE", `invalid number of peers ${maxPeers}`, {
      hint: `peers (bitmap slots) must be between 1 and ${MAX_PEERS}; a 3-node cluster needs 2`
    });
  }
  if (!Number.isInteger(alExtents) || alExtents < MIN_AL_EXTENTS || alExtents > MAX_AL_EXTENTS) {
    throw new TandemError("TANDEM_E_USAGE", `invalid AL extents ${alExtents}`, {
      hint: `al-extents must be between ${MIN_AL_EXTENTS} and ${MAX_AL_EXTENTS} (default ${DEFAULT_AL_EXTENTS})`
    });
  }
}

// src/engine/metadata.ts
var fromMeta = (g) => g === 0n ? UUID_JUST_CREATED : g;
var toMeta = (g) => g === UUID_JUST_CREATED ? 0n : g;
var FLAG_NAMES = { consistent: "CONSISTENT", wasUpToDate: "WAS_UP_TO_DATE", primary: "PRIMARY_IND", crashedPrimary: "CRASHED_PRIMARY", primaryLostQuorum: "PRIMARY_LOST_QUORUM", diskFailed: "DISK_FAILED" };
var VolumeMeta = class {
  /**
   * skipUpdates is benchmark-only (TANDEM_BENCH_NO_METADATA=1, bench/datapath.ts): writes skip the
   * activity log and bitmap marking, to measure what metadata updates cost. Never crash-safe.
   */
  constructor(md, sink, skipUpdates = false) {
    this.md = md;
    this.sink = sink;
    this.skipUpdates = skipUpdates;
    this.flags = {
      consistent: md.hasDeviceFlag("CONSISTENT"),
      wasUpToDate: md.hasDeviceFlag("WAS_UP_TO_DATE"),
      primary: md.hasDeviceFlag("PRIMARY_IND"),
      crashedPrimary: md.recovery.crashed && md.hasDeviceFlag("PRIMARY_IND"),
      primaryLostQuorum: md.hasDeviceFlag("PRIMARY_LOST_QUORUM"),
      diskFailed: md.hasDeviceFlag("DISK_FAILED")
    };
    if (this.flags.crashedPrimary) {
      md.setDeviceFlags(["CRASHED_PRIMARY"], ["PRIMARY_IND"]);
      this.flags.primary = false;
    } else {
      this.flags.crashedPrimary = md.hasDeviceFlag("CRASHED_PRIMARY");
    }
  }
  md;
  sink;
  skipUpdates;
  flags;
  /** cached runs for resync walks, per peer: recomputed when exhausted */
  runCache = /* @__PURE__ */ new Map();
  get sizeBytes() {
    return this.md.superblock.volumeSize;
  }
  /** The metadata was not closed cleanly: this node went down without a clean detach. */
  get crashed() {
    return this.md.recovery.crashed;
  }
  /** The metadata was not closed cleanly: the AL extents were set out of sync for every peer. */
  get recoveredExtents() {
    return this.md.recovery.crashed ? this.md.recovery.extents.length : 0;
  }
  // ---- activity log ---------------------------------------------------------------------------
  /** Make the AL cover [offset, offset+length), durably. null: already covered (no Promise). */
  beginWrite(offset, length) {
    if (this.skipUpdates) return null;
    let wait = null;
    for (let e = firstExtent(offset); e <= lastExtent(offset, length); e++) {
      const r = this.md.activate(e);
      if (r !== true) wait = wait ? wait.then(() => r) : r;
    }
    return wait;
  }
  /** The write on that range is settled locally and for every peer it went to. */
  endWrite(offset, length) {
    if (this.skipUpdates) return;
    for (let e = firstExtent(offset); e <= lastExtent(offset, length); e++) this.md.complete(e);
  }
  /** Every AL extent of the range is pinned by a write in flight (M1, docs/ARCHITECTURE.md). */
  isPinned(offset, length) {
    if (this.skipUpdates) return true;
    for (let e = firstExtent(offset); e <= lastExtent(offset, length); e++) if (this.md.pinned(e) === 0) return false;
    return true;
  }
  activeExtents() {
    return this.md.hotExtents().map((e) => ({ offset: e * AL_EXTENT_BYTES, length: Math.min(AL_EXTENT_BYTES, this.sizeBytes - e * AL_EXTENT_BYTES) }));
  }
  // ---- bitmap ---------------------------------------------------------------------------------
  /** `duringWrite`: the range's AL extents are pinned by a write in flight (persisted on eviction) */
  markOutOfSync(peer, offset, length, duringWrite = false) {
    if (this.skipUpdates) return;
    this.md.setOutOfSync(peer, offset, length, { coveredByAl: duringWrite });
  }
  markInSync(peer, offset, length) {
    this.md.setInSync(peer, offset, length);
  }
  markAllOutOfSync(peer) {
    this.md.setOutOfSync(peer, 0, this.sizeBytes);
    this.runCache.delete(peer);
  }
  outOfSyncBytes(peer) {
    return this.md.outOfSyncBytes(peer);
  }
  isOutOfSync(peer, offset) {
    return this.md.isOutOfSync(peer, offset);
  }
  /** The first run of out-of-sync bytes at or after `from` for that peer (at most maxLength), or null. */
  nextOutOfSync(peer, from, maxLength) {
    const fromBit = Math.floor(from / BYTES_PER_BIT);
    for (let pass = 0; pass < 2; pass++) {
      for (const [a, b] of this.runs(peer, pass === 1)) {
        if (b <= fromBit) continue;
        const start = Math.max(a, fromBit);
        if (!this.md.isOutOfSync(peer, start * BYTES_PER_BIT)) continue;
        const end = Math.min(b, start + Math.max(1, Math.floor(maxLength / BYTES_PER_BIT)));
        return { offset: start * BYTES_PER_BIT, length: Math.min((end - start) * BYTES_PER_BIT, this.sizeBytes - start * BYTES_PER_BIT) };
      }
      if (this.md.outOfSyncBytes(peer) === 0) return null;
    }
    return null;
  }
  /** This peer's out-of-sync bytes as at most maxRanges ranges (neighbours merged: a superset). */
  outOfSyncRanges(peer, maxRanges) {
    if (this.md.outOfSyncBytes(peer) === 0) return [];
    let runs = this.md.bitmap.runs(this.md.peerSlot(peer));
    while (runs.length > maxRanges) runs = mergeNeighbours(runs);
    return runs.map(([a, b]) => ({ offset: a * BYTES_PER_BIT, length: Math.min(b * BYTES_PER_BIT, this.sizeBytes) - a * BYTES_PER_BIT }));
  }
  /** A connected, in-sync peer gets every write: an evicted AL extent needs no bits for it. */
  setPeerInSync(peer, inSync) {
    this.md.setPeerInSync(peer, inSync);
  }
  setPeerConnected(peer, connected) {
    this.md.setPeerFlags(peer, connected ? ["PEER_CONNECTED"] : [], connected ? [] : ["PEER_CONNECTED"]);
  }
  runs(peer, refresh) {
    let runs = this.runCache.get(peer);
    if (!runs || refresh) {
      runs = this.md.bitmap.runs(this.md.peerSlot(peer));
      this.runCache.set(peer, runs);
    }
    return runs;
  }
  // ---- generations ----------------------------------------------------------------------------
  current() {
    return fromMeta(this.md.superblock.currentGeneration);
  }
  history() {
    return this.md.superblock.history.filter((h) => h !== 0n);
  }
  /** 0 is "no bitmap generation"; a bitmap kept against a just-created peer stores JUST_CREATED itself */
  bitmapGeneration(peer) {
    return this.md.superblock.peers.find((x) => x.nodeId === peer)?.bitmapGeneration ?? 0n;
  }
  /**
   * Start a new data generation `fresh` (persisted on return, before any write of it is
   * acknowledged: M3, docs/ARCHITECTURE.md); absent peers keep the old one as their bitmap id.
   * `unacknowledged`: this Primary acknowledged no write since the generation it leaves (nor since
   * an older claim still standing), and the new one claims so until its first acknowledgement.
   */
  newCurrent(fresh, absentPeers, reason, unacknowledged) {
    for (const id of absentPeers) this.setPeerConnected(id, false);
    const since = unacknowledged ? this.md.unacknowledgedSince || toMeta(this.current()) : 0n;
    this.change(() => this.md.followGeneration(fresh, since), reason);
  }
  /**
   * The generation of our lineage since which this node acknowledged no write, having started every
   * generation after it as Primary (null: no such claim). The generation handshake discards such
   * a node's changes since then rather than calling a split brain (generation-handshake.ts).
   */
  unacknowledgedSince() {
    const g = this.md.unacknowledgedSince;
    return g === 0n ? null : g;
  }
  /**
   * Before a write is acknowledged, or another node's data enters this disk: the claim above ends,
   * durably (the superblock is written once per claim: a check of a field on every other write).
   */
  endUnacknowledged() {
    if (this.md.unacknowledgedSince !== 0n) this.md.clearUnacknowledged();
  }
  /** Take a Primary's new generation as if started here (history and absent peers' bitmap ids). */
  followCurrent(generation, reason) {
    if (sameGeneration(generation, this.current())) return;
    this.change(() => this.md.followGeneration(toMeta(generation)), reason);
  }
  /** As a resync target that finished: the source's generation and history. */
  adoptAfterResync(generation, sourceHistory, reason) {
    this.change(() => this.md.adoptGeneration(toMeta(generation), sourceHistory.map(toMeta)), reason);
  }
  setBitmapGeneration(peer, generation) {
    if (generation === 0n) this.md.retireBitmapGeneration(peer);
    else this.md.setBitmapGeneration(peer, generation);
  }
  change(apply, reason) {
    const previous = this.current();
    apply();
    const generation = this.current();
    assert(!this.history().some((h) => sameGeneration(h, generation)), "the current generation is not in its own history");
    if (generation !== previous) this.sink.generationChanged({ generation, previous, reason });
  }
  // ---- flags ----------------------------------------------------------------------------------
  setFlags(flags) {
    const set = [];
    const clear = [];
    for (const [k, v] of Object.entries(flags)) {
      if (this.flags[k] === v) continue;
      (v ? set : clear).push(FLAG_NAMES[k]);
      this.flags[k] = v;
    }
    if (set.length + clear.length > 0) this.md.setDeviceFlags(set, clear);
  }
  close() {
    this.md.close();
  }
};
var firstExtent = (offset) => Math.floor(offset / AL_EXTENT_BYTES);
var lastExtent = (offset, length) => Math.floor((offset + Math.max(length, 1) - 1) / AL_EXTENT_BYTES);
function mergeNeighbours(runs) {
  const out = [];
  for (let i = 0; i < runs.length; i += 2) out.push(i + 1 < runs.length ? [runs[i][0], runs[i + 1][1]] : runs[i]);
  return out;
}

// src/engine/io-error.ts
function ioError(errno2, message) {
  return new TandemError("TANDEM_E_STATE", message, { details: { errno: errno2 } });
}

// src/engine/peer-reads.ts
var PeerReads = class {
  constructor(clock) {
    this.clock = clock;
  }
  clock;
  pending = /* @__PURE__ */ new Map();
  nextId = 1;
  /** A read of any size: one ReadRequest per frame's worth of data, answered in parallel. */
  async read(peer, volume, offset, length, timeoutMs) {
    if (length <= MAX_DATA_BYTES) return this.readOne(peer, volume, offset, length, timeoutMs);
    const parts = [];
    for (let done = 0; done < length; done += MAX_DATA_BYTES) parts.push(this.readOne(peer, volume, offset + done, Math.min(MAX_DATA_BYTES, length - done), timeoutMs));
    return Buffer.concat(await Promise.all(parts));
  }
  async readOne(peer, volume, offset, length, timeoutMs) {
    while (peer.link && !peer.canSend) await peer.whenCanSend();
    if (!peer.link) throw ioError("EIO", `read of volume ${volume} through ${peer.node.name} failed: not connected`);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = this.clock.setTimer(timeoutMs, () => this.fail(id, "timed out"));
      this.pending.set(id, { peer, length, timer, resolve, reject });
      peer.sendData({ type: "ReadRequest", volume, requestId: id, offset, length });
    });
  }
  onReply(peer, msg) {
    const read = this.pending.get(msg.requestId);
    if (!read || read.peer !== peer) return;
    if (msg.errno !== 0) return this.fail(msg.requestId, `the peer answered errno ${msg.errno}`);
    if (msg.data.length !== read.length) return this.fail(msg.requestId, `the peer answered ${msg.data.length} bytes for ${read.length}`);
    this.pending.delete(msg.requestId);
    read.timer.cancel();
    read.resolve(msg.data);
  }
  /** Every read waiting on this peer fails (its link is gone). */
  failPeer(peer) {
    for (const [id, read] of this.pending) if (read.peer === peer) this.fail(id, "the link was lost");
  }
  fail(id, why) {
    const read = this.pending.get(id);
    if (!read) return;
    this.pending.delete(id);
    read.timer.cancel();
    read.reject(ioError("EIO", `read through ${read.peer.node.name} failed: ${why}`));
  }
};

// src/engine/write-pipeline.ts
var WRITE_CHUNK_BYTES = MAX_DATA_BYTES;
var ZEROES_CHUNK_BYTES = AL_EXTENT_BYTES;
var WritePipeline = class {
  constructor(resource, volume) {
    this.resource = resource;
    this.volume = volume;
  }
  resource;
  volume;
  write(offset, data, fua) {
    if (Math.floor(offset / WRITE_CHUNK_BYTES) === Math.floor((offset + data.length - 1) / WRITE_CHUNK_BYTES)) return this.start({ offset, length: data.length, data, fua });
    return this.runAll(chunks(offset, data.length, WRITE_CHUNK_BYTES, (o, l) => ({ offset: o, length: l, data: data.subarray(o - offset, o - offset + l), fua })));
  }
  writeZeroes(offset, length, fua) {
    const list = chunks(offset, length, ZEROES_CHUNK_BYTES, (o, l) => ({ offset: o, length: l, data: null, fua }));
    return list.length === 1 ? this.start(list[0]) : this.runAll(list);
  }
  /**
   * One chunk, start to answer. A write that needs to wait for nothing (no suspension, its blocks
   * free, its AL extents active, room on every link: most writes) is admitted and sent in this
   * turn without an async frame; one that must wait takes the async path.
   */
  start(c) {
    let a;
    try {
      a = this.admit(c);
    } catch (err) {
      return Promise.reject(err);
    }
    if (!(a instanceof Promise) && !this.startsGeneration(a)) return this.submit(c, a);
    return this.submitWhenRoom(c, a).then((s) => s.done);
  }
  /** Chunks are admitted one after another (in order), then complete in parallel. */
  async runAll(list) {
    const completions = [];
    let failure = null;
    for (const chunk of list) {
      try {
        completions.push((await this.submitWhenRoom(chunk, this.admit(chunk))).done);
      } catch (err) {
        failure = err;
        break;
      }
    }
    const results = await Promise.allSettled(completions);
    if (failure !== null) throw failure;
    for (const r of results) if (r.status === "rejected") throw r.reason;
  }
  /**
   * Send once admitted: the room seen in admit may have been taken meanwhile by another request
   * admitted in the same turn, so it is checked again with nothing awaited between that check and
   * the sends (the link's queue bound holds however many requests are in flight).
   */
  async submitWhenRoom(c, admitting) {
    const a = await admitting;
    for (; ; ) {
      const generation = this.startsGeneration(a);
      const wait = generation ? this.resource.newGenerationDurable(this.volume) : this.roomFor(c, a);
      if (!wait) return { done: this.submit(c, a) };
      await wait;
      try {
        this.checkWritable();
        if (a.meta !== (this.volume.usable ? this.volume.meta : null)) throw ioError("EIO", `volume ${this.volume.index} of ${this.resource.name} changed its disk while the write waited`);
        if (generation) a.targets = this.targets();
      } catch (err) {
        this.unadmit(c, a.range, a.meta, a.meta !== null);
        throw err;
      }
    }
  }
  /**
   * Steps 1 to 4: everything that may wait, before anything is written or sent. Synchronous
   * (no promise) when nothing had to wait; a throw before anything was taken.
   */
  admit(c) {
    if (this.resource.isSuspended || this.volume.failing) return this.admitAfterWaiting(c);
    this.checkWritable();
    const lock = this.volume.locks.acquire(c.offset, c.length);
    return lock instanceof Promise ? lock.then((range2) => this.admitLocked(c, range2)) : this.admitLocked(c, lock);
  }
  async admitAfterWaiting(c) {
    while (this.resource.isSuspended) await this.resource.whenResumed();
    while (this.volume.failing) await this.volume.failing;
    return this.admit(c);
  }
  /** The blocks are locked: pin the AL extents (durably), then wait for room on every link. */
  admitLocked(c, range2) {
    const meta2 = this.volume.usable ? this.volume.meta : null;
    if (meta2) this.volume.beginActivity();
    let al;
    try {
      al = meta2 ? meta2.beginWrite(c.offset, c.length) : null;
    } catch (err) {
      this.unadmit(c, range2, meta2, false);
      throw err;
    }
    if (al === null) {
      const targets = this.targets();
      if (blockedTarget(targets, c.length) === null) return this.admitted(c, range2, meta2, targets);
    }
    return this.admitWhenReady(c, range2, meta2, al);
  }
  async admitWhenReady(c, range2, meta2, al) {
    let targets;
    try {
      if (al) await al;
      targets = await this.waitForRoom(c.length);
    } catch (err) {
      this.unadmit(c, range2, meta2, meta2 !== null);
      throw err;
    }
    return this.admitted(c, range2, meta2, targets);
  }
  /** The last checks, in the turn the write is admitted; a throw undoes the admission first. */
  admitted(c, range2, meta2, targets) {
    try {
      this.checkWritable();
      if (meta2 !== (this.volume.usable ? this.volume.meta : null)) throw ioError("EIO", `volume ${this.volume.index} of ${this.resource.name} changed its disk while the write waited`);
    } catch (err) {
      this.unadmit(c, range2, meta2, meta2 !== null);
      throw err;
    }
    if (!meta2 && targets.length > 0) this.volume.wroteWithoutDisk = true;
    return { range: range2, meta: meta2, targets };
  }
  /** Undoes an admission that failed: the AL pin (if taken), the activity, the lock. */
  unadmit(c, range2, meta2, pinned) {
    if (pinned) meta2.endWrite(c.offset, c.length);
    if (meta2) this.volume.endActivity();
    this.volume.locks.release(range2);
  }
  /** A write with the local disk after a lost peer: it starts the new data generation first. */
  startsGeneration(a) {
    return a.meta !== null && this.volume.pendingNewGeneration.length > 0;
  }
  /** Room on every link the chunk goes to, or what to wait for first. */
  roomFor(c, a) {
    const blocked = a.targets.find((p) => p.connected && (!p.canSend || !p.transfer.hasRoom(c.length)));
    if (!blocked) return null;
    return blocked.canSend ? blocked.transfer.waitForRoom() : blocked.whenCanSend();
  }
  async waitForRoom(length) {
    for (; ; ) {
      const targets = this.targets();
      const blocked = blockedTarget(targets, length);
      if (!blocked) return targets;
      await (blocked.canSend ? blocked.transfer.waitForRoom() : blocked.whenCanSend());
    }
  }
  /** Steps 5 to 7 (nothing here waits before the chunk is sent and submitted). */
  submit(c, a) {
    const r = this.resource;
    const v = this.volume;
    if (!a.targets.every(isConnected)) a.targets = a.targets.filter(isConnected);
    if (!a.meta && a.targets.length === 0) {
      v.locks.release(a.range);
      return Promise.reject(ioError("EIO", `volume ${v.index} of ${r.name}: every peer that would store this write was lost before it was sent`));
    }
    const seq = r.nextSeq();
    const missing = missingMask(r, v, a.targets);
    if (a.meta) {
      for (const peer of r.peers.values()) if (peer.diskful && !a.targets.includes(peer)) a.meta.markOutOfSync(peer.node.id, c.offset, c.length, true);
    }
    if (a.meta) assert(a.meta.isPinned(c.offset, c.length), "a write sent to peers is covered by a pinned AL extent");
    if (!a.meta) for (const p of a.targets) v.exposedData[0]?.writers.add(p.node.id);
    const write = new ReplicatedWrite(r, v, c, a, !a.meta);
    if (!a.meta && v.attached) write.trackOffDisk(seq);
    const flags = c.fua ? FUA : NO_FLAGS;
    for (const peer of a.targets) {
      peer.transfer.add(seq, { volume: v.index, offset: c.offset, length: c.length }, write.peerCallbacks(peer));
      if (c.data) peer.sendData({ type: "Write", volume: v.index, seq, epoch: 0, offset: c.offset, flags, missing, data: c.data });
      else peer.sendData({ type: "WriteZeroes", volume: v.index, seq, epoch: 0, offset: c.offset, length: c.length, flags, missing });
    }
    write.sent();
    if (!a.meta || !v.disk) {
      write.localDone(null);
    } else {
      const local = c.data ? v.disk.write(c.offset, c.data, c.fua) : v.disk.writeZeroes(c.offset, c.length, c.fua);
      v.beginLocalWrite();
      void local.then(() => {
        v.endLocalWrite();
        write.localDone(null);
      }, (err) => {
        v.endLocalWrite();
        write.localDone(err);
      });
    }
    return write.done;
  }
  /** Peers that get this volume's writes: the replicating ones, or, without a local disk, the servers. */
  targets() {
    const v = this.volume;
    const out = [];
    for (const p of this.resource.peers.values()) if (v.usable ? p.replicatingTo(v.index) : isServer(p, v)) out.push(p);
    return out;
  }
  checkWritable() {
    const r = this.resource;
    const v = this.volume;
    if (r.role !== "Primary") throw ioError("ESHUTDOWN", `${r.name} is no longer Primary on this node`);
    if (r.failsWritesWithoutQuorum) throw ioError("EIO", `${r.name} has no quorum (on-no-quorum = io-error)`);
    if (v.usable) return;
    if (this.targets().length > 0) return;
    throw ioError("EIO", `volume ${v.index} of ${r.name} is ${v.diskState} and no UpToDate peer is reachable`);
  }
};
var ReplicatedWrite = class {
  constructor(resource, volume, chunk, admitted, allC) {
    this.resource = resource;
    this.volume = volume;
    this.chunk = chunk;
    this.admitted = admitted;
    this.allC = allC;
    this.unsettled = admitted.targets.length;
    this.clientWaits = 0;
    for (const p of admitted.targets) if (this.protocolOf(p) !== "A") this.clientWaits++;
    this.done = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }
  resource;
  volume;
  chunk;
  admitted;
  allC;
  done;
  resolve;
  reject;
  localPending = true;
  localError = null;
  unsettled;
  stored = 0;
  /** protocol-C peers that stored it and were UpToDate: a copy that can stand in for a failed local write */
  storedUpToDate = 0;
  /** peers the client waits for: those on protocol B or C (A answers once sent) */
  clientWaits;
  answered = false;
  /** protocol B and C peers that got the data (RecvAck, or stored) */
  receivedBy = 0;
  /** drops this write from Volume.writesOffDisk once every peer settled it */
  offDisk = null;
  /** a peer did not store it: the answer waits until that loss is handled (quorum, fencing) */
  missed = "no";
  /** What the answer waits for from this peer: its connection's protocol. */
  protocolOf(peer) {
    return this.allC ? "C" : peer.protocol;
  }
  /**
   * Each peer counts toward the answer per its connection's protocol: A not at all, B when it
   * has the data in memory (RecvAck), C when it has stored it. A peer lost before then never got
   * it: it still counts toward the answer (it will never send one), but not as a copy; a write no
   * B or C peer received fails when the Primary has no disk of its own. A C peer counts once its
   * settlement is booked (the answer sees whether it stored it); a B peer's WriteAck without a
   * RecvAck counts as its arrival, before the booking, as it always has.
   */
  peerCallbacks(peer) {
    const protocol = this.protocolOf(peer);
    let counted = false;
    const count = (arrived) => {
      if (counted) return;
      counted = true;
      if (arrived) this.receivedBy++;
      this.clientStep();
    };
    return {
      received: protocol === "B" ? () => count(true) : void 0,
      settled: (stored) => {
        if (protocol === "B") count(stored);
        this.settled(peer, stored, protocol);
        if (protocol === "C") count(stored);
      }
    };
  }
  sent() {
    this.maybeAnswer();
  }
  /** Kept (a copy of its data) until every peer settled it: see Volume.writesOffDisk. */
  trackOffDisk(seq) {
    if (this.unsettled === 0) return;
    const c = this.chunk;
    let settle2;
    const entry = { seq, offset: c.offset, length: c.length, data: c.data ? Buffer.from(c.data) : null, settled: new Promise((resolve) => {
      settle2 = resolve;
    }) };
    this.volume.writesOffDisk.add(entry);
    this.offDisk = () => {
      this.volume.writesOffDisk.delete(entry);
      settle2();
    };
  }
  localDone(err) {
    this.localPending = false;
    this.volume.locks.release(this.admitted.range);
    if (err) {
      this.localError = err;
      this.resource.localDiskFailed(this.volume, err, { offset: this.chunk.offset, length: this.chunk.length }, this.admitted.meta);
    }
    this.maybeAnswer();
    this.maybeRelease();
  }
  settled(peer, stored, protocol) {
    if (!stored && this.missed === "no") this.missed = "yes";
    if (stored) {
      this.stored++;
      if (protocol === "C" && peer.volumes.get(this.volume.index)?.peerDiskState === "UpToDate") this.storedUpToDate++;
    } else if (this.admitted.meta) {
      this.admitted.meta.markOutOfSync(peer.node.id, this.chunk.offset, this.chunk.length, true);
      if (this.volume.meta !== this.admitted.meta) this.volume.failedDiskMissedBy.add(peer.node.id);
    } else {
      this.resource.unconfirmedByPeer(peer, this.volume.index, this.chunk.offset, this.chunk.length);
    }
    this.unsettled--;
    assert(this.unsettled >= 0, "a write settles once per peer");
    if (this.unsettled === 0) this.offDisk?.();
    this.maybeAnswer();
    this.maybeRelease();
  }
  clientStep() {
    if (this.clientWaits > 0) this.clientWaits--;
    this.maybeAnswer();
  }
  maybeAnswer() {
    if (this.answered || this.localPending || this.clientWaits > 0) return;
    if (this.missed === "yes") {
      this.missed = "checking";
      this.resource.platform.defer(() => this.afterPeerMissed());
    }
    if (this.missed === "checking") return;
    this.answered = true;
    if (this.localError !== null && this.storedUpToDate === 0) {
      this.reject(ioError("EIO", `local write to volume ${this.volume.index} of ${this.resource.name} failed: ${String(this.localError)}`));
    } else if (!this.admitted.meta && this.waitsForPeers && this.stored === 0 && this.receivedBy === 0) {
      this.reject(ioError("EIO", `no peer ${this.allC || this.admitted.targets.every((p) => p.protocol === "C") ? "stored" : "received"} the write to volume ${this.volume.index} of ${this.resource.name}`));
    } else {
      this.beforeAcknowledging();
      this.resolve();
    }
  }
  /**
   * A generation this Primary started claims that nothing was acknowledged since (the generation
   * handshake discards such changes instead of calling a split brain): the claim ends, durably,
   * before the first answer in it. One superblock write per claim; a field test on every other
   * write. An answer while a lost peer's new generation is pending is one that peer lacks, in
   * the generation it shared: the new one then claims nothing.
   */
  beforeAcknowledging() {
    const meta2 = this.admitted.meta;
    if (!meta2 || meta2 !== this.volume.meta) return;
    meta2.endUnacknowledged();
    if (this.volume.pendingNewGeneration.length > 0) this.volume.acknowledgedBeforeNewGeneration = true;
  }
  /** Some peer is on protocol B or C: without a local disk, the answer needs one of their copies. */
  get waitsForPeers() {
    return this.admitted.targets.some((p) => this.protocolOf(p) !== "A");
  }
  afterPeerMissed() {
    const r = this.resource;
    if (r.isSuspended) {
      void r.whenResumed().then(() => r.guard(() => this.afterPeerMissed()));
      return;
    }
    if (r.role !== "Primary" || r.failsWritesWithoutQuorum) {
      this.missed = "checked";
      this.answered = true;
      const why = r.role !== "Primary" ? `${r.name} was demoted` : `${r.name} lost quorum (on-no-quorum = io-error)`;
      this.reject(ioError(r.role !== "Primary" ? "ESHUTDOWN" : "EIO", `${why} while a peer had not stored the write to volume ${this.volume.index}`));
      return;
    }
    if (this.admitted.meta && this.volume.meta === this.admitted.meta && this.volume.usable && this.volume.pendingNewGeneration.length > 0) {
      void r.newGenerationDurable(this.volume).then(() => r.guard(() => this.afterPeerMissed()));
      return;
    }
    this.missed = "checked";
    this.maybeAnswer();
  }
  /** The AL extent stays pinned until the write is settled locally and for every peer. */
  maybeRelease() {
    if (this.localPending || this.unsettled > 0 || !this.admitted.meta) return;
    this.admitted.meta.endWrite(this.chunk.offset, this.chunk.length);
    this.volume.endActivity();
  }
};
var isConnected = (p) => p.connected;
var FUA = Object.freeze({ fua: true, flush: false });
var NO_FLAGS = Object.freeze({ fua: false, flush: false });
function blockedTarget(targets, length) {
  for (const p of targets) if (!p.canSend || !p.transfer.hasRoom(length)) return p;
  return null;
}
function chunks(offset, length, size2, make) {
  const out = [];
  for (let o = offset; o < offset + length || length === 0 && out.length === 0; ) {
    const end = Math.min(offset + length, (Math.floor(o / size2) + 1) * size2);
    out.push(make(o, end - o));
    if (end === o) break;
    o = end;
  }
  return out;
}

// src/engine/primary-backend.ts
var PEER_READ_TIMEOUT_MS = 3e4;
var PrimaryBackend = class {
  constructor(resource, volume) {
    this.resource = resource;
    this.volume = volume;
    this.pipeline = new WritePipeline(resource, volume);
  }
  resource;
  volume;
  readOnly = false;
  canMultiConn = true;
  pipeline;
  get size() {
    return this.volume.sizeBytes;
  }
  read(offset, length) {
    return this.resource.guardAsync(() => this.readFrom(offset, length));
  }
  write(offset, data, fua) {
    return this.resource.guardAsync(() => this.pipeline.write(offset, data, fua));
  }
  writeZeroes(offset, length, fua) {
    return this.resource.guardAsync(() => this.pipeline.writeZeroes(offset, length, fua));
  }
  trim() {
    if (this.resource.role !== "Primary") throw ioError("ESHUTDOWN", `${this.resource.name} is no longer Primary on this node`);
  }
  flush() {
    return this.resource.guardAsync(() => this.flushAll());
  }
  async readFrom(offset, length) {
    const v = this.volume;
    const disk2 = v.disk;
    if (disk2 && v.diskState === "UpToDate") {
      v.beginActivity();
      try {
        return await disk2.read(offset, length);
      } catch (err) {
        this.resource.localDiskFailed(v, err, null);
      } finally {
        v.endActivity();
      }
    }
    const peer = servers(this.resource, v)[0];
    if (!peer) throw ioError("EIO", `volume ${v.index} of ${this.resource.name} is ${v.diskState} and no UpToDate peer is reachable`);
    return this.resource.reads.read(peer, v.index, offset, length, PEER_READ_TIMEOUT_MS);
  }
  /**
   * FLUSH makes every acknowledged write durable somewhere: on the local disk when it is usable
   * (every write is on it), otherwise on every peer that gets the writes. A peer lost before its
   * FlushAck leaves that unknown, so without a usable local disk the flush fails (EIO). Every peer
   * is sent the Flush; with a usable local disk the answer waits for the peers on protocol B or C
   * only: a connection on A acknowledges once sent, a flush as much as a write (else every fsync
   * of the application would wait for the DR link).
   */
  async flushAll() {
    const v = this.volume;
    const disk2 = v.usable ? v.disk : null;
    const waits = [];
    for (const peer of this.pipeline.targets()) {
      const flush = peer.transfer.addFlush();
      peer.sendData({ type: "Flush", id: flush.id });
      if (!disk2 || peer.protocol !== "A") waits.push(flush.done);
    }
    if (disk2) {
      v.beginActivity();
      try {
        await disk2.flush();
      } catch (err) {
        this.resource.localDiskFailed(v, err, null);
        throw ioError("EIO", `flush of volume ${v.index} of ${this.resource.name} failed on the local disk: ${String(err)}`);
      } finally {
        v.endActivity();
      }
    } else if (waits.length === 0) {
      throw ioError("EIO", `volume ${v.index} of ${this.resource.name} has no disk and no UpToDate peer to flush`);
    }
    const flushed = await Promise.all(waits);
    if (!disk2 && flushed.includes(false)) {
      throw ioError("EIO", `flush of volume ${v.index} of ${this.resource.name} failed: a peer holding its writes was lost before it flushed`);
    }
  }
};

// src/engine/quorum.ts
function quorumNeeded(setting, total) {
  assert(total >= 1, "a resource has at least one node");
  if (setting === "off") return 0;
  if (setting === "majority") return Math.floor(total / 2) + 1;
  if (setting === "all") return total;
  return Math.min(setting, total);
}
function hasQuorum(setting, total, reachable) {
  assert(reachable >= 1 && reachable <= total, "reachable nodes within the resource");
  return reachable >= quorumNeeded(setting, total);
}

// src/engine/range-lock.ts
var LOCK_BLOCK = 4096;
var RangeLock = class {
  held = /* @__PURE__ */ new Set();
  waiters = [];
  get size() {
    return this.held.size;
  }
  /** The range, locked; a Promise only when it must wait (no allocation on the fast path). */
  acquire(offset, length) {
    const range2 = rounded(offset, length);
    if (!this.conflicts(range2, this.waiters.length)) {
      this.held.add(range2);
      return range2;
    }
    return new Promise((grant) => this.waiters.push({ ...range2, grant }));
  }
  release(range2) {
    assert(this.held.delete(range2), "a released range was held");
    if (this.waiters.length > 0) this.grantWaiters();
  }
  grantWaiters() {
    const still = [];
    for (const w of this.waiters) {
      if (this.conflicts(w, 0) || still.some((s) => overlaps(s, w))) {
        still.push(w);
        continue;
      }
      const range2 = { start: w.start, end: w.end };
      this.held.add(range2);
      w.grant(range2);
    }
    this.waiters = still;
  }
  /** Overlaps a held range, or one of the first `waiting` waiters. */
  conflicts(range2, waiting) {
    for (const h of this.held) if (overlaps(h, range2)) return true;
    for (let i = 0; i < waiting; i++) if (overlaps(this.waiters[i], range2)) return true;
    return false;
  }
};
function rounded(offset, length) {
  const start = Math.floor(offset / LOCK_BLOCK) * LOCK_BLOCK;
  const end = Math.ceil((offset + Math.max(length, 1)) / LOCK_BLOCK) * LOCK_BLOCK;
  return { start, end };
}
function overlaps(a, b) {
  return a.start < b.end && b.start < a.end;
}

// src/engine/resync-durability.ts
var RESYNC_FLUSH_BYTES = 16 * 1024 * 1024;
var ResyncDurability = class {
  constructor(volume) {
    this.volume = volume;
  }
  volume;
  written = [];
  bytes = 0;
  /** the metadata the pending ranges belong to (a re-attached disk starts afresh) */
  meta = null;
  /** the batches settle in order: a later flush never clears bits before an earlier one */
  settling = Promise.resolve();
  /** Resync data (or a block found equal by its digest) from `source` is on the disk, maybe in its cache. */
  add(meta2, source, offset, length) {
    if (this.meta !== meta2) this.drop();
    this.meta = meta2;
    this.written.push({ source, link: source.link, offset, length });
    this.bytes += length;
  }
  /** Enough is waiting that a flush is due (the caller runs settle()). */
  get due() {
    return this.bytes >= RESYNC_FLUSH_BYTES;
  }
  /**
   * Flush the disk, then clear the bits of everything written before the flush began. Rejects
   * when the flush fails (the bits stay set). Waits for earlier batches first.
   */
  settle(disk2) {
    const batch = this.written;
    const meta2 = this.meta;
    this.written = [];
    this.bytes = 0;
    const run = this.settling.then(async () => {
      await disk2.flush();
      if (!meta2 || this.meta !== meta2) return;
      for (const w of batch) if (this.stillTaking(w)) meta2.markInSync(w.source.node.id, w.offset, w.length);
    });
    this.settling = run.catch(() => void 0);
    return run;
  }
  stillTaking(w) {
    return w.source.link === w.link && w.source.connected && w.source.volumes.get(this.volume)?.replicationState === "SyncTarget";
  }
  /** The disk goes away: its pending bits stay set (the data will be resent). */
  drop() {
    this.written = [];
    this.bytes = 0;
    this.meta = null;
  }
};

// src/engine/volume.ts
var Volume = class {
  constructor(config) {
    this.config = config;
    this.resyncDurability = new ResyncDurability(config.index);
  }
  config;
  diskState = "Diskless";
  disk = null;
  meta = null;
  export = null;
  /** known size: local disk's, or learned from a diskful peer when diskless */
  sizeBytes = 0;
  /** writes, resync reads and applied messages in flight on this volume, per 4 KiB block */
  locks = new RangeLock();
  /**
   * Primary without a local disk only: the data generation it writes (DRBD's exposed data UUID),
   * newest first with the ones it replaced. Peers in this generation get its writes; the others
   * are "missing".
   */
  exposed = [];
  /** the peer whose resync data this node is taking now (node id; set by its first ResyncData), one at a time */
  syncSource = null;
  /**
   * SyncTarget of `source` in the generation this disk already had, no resync data taken yet: the
   * disk still holds what it held (wasUpToDate: its flag then). If the source goes away first,
   * the disk is Consistent again, not Inconsistent (Resource.sourceLostBeforeData).
   */
  untouchedTarget = null;
  /** peers that were in the generation a diskless Primary just replaced and follow it (link kept) */
  followers = /* @__PURE__ */ new Set();
  /**
   * Diskless Primary, one entry per generation of `exposed`: who may hold data written in it. A
   * peer in an older generation misses writes only if another node may hold data written since
   * (exposed-generation.ts, missesWrites).
   */
  exposedData = [];
  /**
   * Primary with an attached disk it does not serve from (re-attached, resyncing as SyncTarget):
   * its writes that went to the peers only, until every peer settled them. A resync that ends
   * while one is on its way may not hold it, so finishResyncAsTarget writes them to the disk.
   */
  writesOffDisk = /* @__PURE__ */ new Set();
  /**
   * A Primary whose disk stopped serving has sent writes to its peers since: the disk, when it is
   * attached again, may be behind them. False again once the disk serves.
   */
  wroteWithoutDisk = false;
  /**
   * Primary: a peer it replicated to was lost with nothing unconfirmed, so the data has not moved
   * on yet; the new data generation starts with the next write (write-pipeline.ts), as DRBD makes
   * its new current UUID lazily. A Primary that crashes or is demoted before writing again keeps
   * the generation its peers know, and meeting them later is no split brain. The reasons, for the
   * generation event.
   */
  pendingNewGeneration = [];
  /**
   * The lost peer may lack writes already (some were unconfirmed): its new generation starts as
   * soon as the flush before it is done, with no write needed, and a demotion does not cancel it.
   */
  newGenerationUrgent = false;
  /**
   * A write was acknowledged that a lost peer lacks, in the generation that peer shared: one
   * answered while its new generation was pending, or one it never confirmed on protocol A or B.
   * The new generation then claims nothing (VolumeMeta.newCurrent): that peer's data is no longer
   * all that was acknowledged up to it.
   */
  acknowledgedBeforeNewGeneration = false;
  /** Primary: the flush the pending new generation waits for (Resource.newGenerationDurable), while it runs */
  newGenerationReady = null;
  /**
   * The local disk failed and the requests it took are settling (Resource.localDiskFailed): a
   * Primary's new writes wait for this, since the peers it may go on through are known only then.
   */
  failing = null;
  /** peers that did not store a write the failed disk had taken: they lack data it may hold alone */
  failedDiskMissedBy = /* @__PURE__ */ new Set();
  /** SyncTarget: resync data written, its bits cleared once a flush made it durable */
  resyncDurability;
  /** requests using the disk or pinning the AL (a detach waits for them before closing either) */
  activity = new InFlight("volume activity ends once per begin");
  /** a Primary's writes submitted to the local disk and not completed yet */
  localWrites = new InFlight("a local write ends once per begin");
  get index() {
    return this.config.index;
  }
  /** configured with a disk (it may be detached now: see `attached`) */
  get diskful() {
    return this.config.disk !== null;
  }
  /** a local disk and its metadata are in use */
  get attached() {
    return this.disk !== null && this.meta !== null;
  }
  /** the local disk serves I/O (attached and UpToDate); otherwise a Primary goes through its peers */
  get usable() {
    return this.attached && this.diskState === "UpToDate";
  }
  /** The local disk serves this Primary's writes (again): no exposed generation, nothing written past the disk. */
  servesOwnDisk() {
    this.exposed = [];
    this.followers.clear();
    this.wroteWithoutDisk = false;
    this.exposedData = [];
  }
  beginActivity() {
    this.activity.begin();
  }
  endActivity() {
    this.activity.end();
  }
  beginLocalWrite() {
    this.localWrites.begin();
  }
  endLocalWrite() {
    this.localWrites.end();
  }
  /** Every local write submitted until now has completed (a flush then covers them). */
  whenLocalWritesDone() {
    return this.localWrites.whenNone();
  }
  whenIdle() {
    return this.activity.whenNone();
  }
  /**
   * Disk state derived from the metadata flags at attach (DRBD's disk_state_from_md). A disk that
   * failed without being known the only copy holds what it held (Consistent), but peers may have
   * gone on without it, or hold what it failed to write: a handshake decides whether it is current.
   */
  static diskStateFromFlags(flags) {
    if (!flags.consistent) return "Inconsistent";
    if (!flags.wasUpToDate) return "Outdated";
    return flags.diskFailed ? "Consistent" : "UpToDate";
  }
};
var InFlight = class {
  constructor(unbalanced) {
    this.unbalanced = unbalanced;
  }
  unbalanced;
  count = 0;
  waiters = [];
  begin() {
    this.count++;
  }
  end() {
    assert(this.count > 0, this.unbalanced);
    if (--this.count > 0) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
  whenNone() {
    if (this.count === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }
};

// src/engine/resource.ts
var NO_QUORUM = "no quorum";
var Resource = class {
  constructor(config, nodeName, platform) {
    this.config = config;
    this.platform = platform;
    const local = config.nodes.find((n) => n.name === nodeName);
    if (!local) throw new TandemError("TANDEM_E_CONFIG", `node ${nodeName} is not part of resource ${config.name}`);
    this.local = local;
    this.log = platform.log.child({ resource: config.name });
    this.reads = new PeerReads(platform.clock);
    this.volumes = local.volumes.map((v) => new Volume(v));
    for (const node of config.nodes) {
      if (node.id !== local.id) this.peers.set(node.id, new Peer(this, node));
    }
  }
  config;
  platform;
  role = "Secondary";
  local;
  volumes;
  peers = /* @__PURE__ */ new Map();
  log;
  fencing = new Fencing(this);
  reads;
  /** AL-covered ranges per volume, kept since a Primary peer vanished, until resynced */
  reconcileRanges = /* @__PURE__ */ new Map();
  /** the Primary whose loss left those ranges (survivors.ts weighs each survivor's link to it) */
  reconcileFrom = null;
  /** the next split brain is resolved by resyncing this node from the peer (connect --discard-my-data) */
  discardMyData = false;
  /** the invariant that stopped this resource on this node (null while it runs) */
  failed = null;
  /** resource-wide write sequence: one order across all volumes */
  seq = 0;
  connector = null;
  suspended = /* @__PURE__ */ new Set();
  resumeWaiters = [];
  /** why this node does not connect until `tandem connect` (null: it connects on its own) */
  held = null;
  /** this node reaches enough nodes to write or be promoted (always true with quorum = off) */
  quorate = true;
  /** a diskless Primary's writes a peer did not confirm, until the other peers are told (onPeerLost) */
  unconfirmed = [];
  get name() {
    return this.config.name;
  }
  volume(index) {
    return this.volumes.find((v) => v.index === index);
  }
  nextSeq() {
    return ++this.seq;
  }
  emit(kind, fields) {
    this.platform.emit({ kind, resource: this.name, ...fields });
  }
  /** A fresh data generation id (bit 0 marks one made while Primary, as DRBD's UUID_PRIMARY). */
  freshGeneration() {
    let id = this.platform.randomU64() & ~GENERATION_PRIMARY;
    if (id === 0n || id === 4n) id = 2n;
    return this.role === "Primary" ? id | GENERATION_PRIMARY : id;
  }
  generationChanged(volume, change) {
    const fields = { volume: volume.index, generation: change.generation.toString(16), previous: change.previous.toString(16), reason: change.reason };
    this.log.info("new data generation", fields);
    this.emit("generation", fields);
  }
  // ---- crash policy -----------------------------------------------------------------------------
  /** Run engine code from an event (a message, a timer, a link change): a throw stops the resource. */
  guard(fn) {
    try {
      fn();
    } catch (err) {
      this.fail(err);
    }
  }
  /** A client request: an I/O error goes back to the client; a bug stops the resource. */
  guardAsync(fn) {
    if (this.failed) return Promise.reject(new TandemError("TANDEM_E_STATE", `${this.name} is stopped on this node: ${this.failed}`, { details: { errno: "ESHUTDOWN" } }));
    try {
      return fn().catch(this.onClientError);
    } catch (err) {
      return Promise.reject(err).catch(this.onClientError);
    }
  }
  onClientError = (err) => {
    if (isBug(err)) this.fail(err);
    throw err;
  };
  /** A message from a peer failed to apply. */
  onApplyError(peer, msg, err) {
    if (isBug(err)) {
      this.fail(err);
      return;
    }
    this.log.error("failed to apply a peer message", { peer: peer.node.name, type: msg.type, error: String(err) });
    if (msg.type === "Write" || msg.type === "WriteZeroes") peer.sendControl({ type: "NegAck", volume: msg.volume, seq: msg.seq, errno: 5 });
    peer.closeLink(`could not apply ${msg.type}: ${String(err)}`);
  }
  protocolError(peer, message) {
    this.log.error("peer protocol error", { peer: peer.node.name, message });
    peer.closeLink(new TandemError("TANDEM_E_PROTOCOL", message).message);
  }
  /** Stop this resource on this node: it just proved its own state wrong. */
  fail(err) {
    if (this.failed) return;
    this.failed = err instanceof Error ? err.message : String(err);
    this.log.error("resource stopped on this node: an invariant was violated", { invariant: this.failed, stack: err instanceof Error ? err.stack : void 0 });
    this.emit("failed", { reason: this.failed });
    for (const v of this.volumes) {
      v.diskState = "Failed";
      void v.export?.close();
      v.export = null;
    }
    for (const peer of this.peers.values()) peer.closeLink(`resource stopped on ${this.local.name}`);
    void this.connector?.stop();
    this.connector = null;
    this.resume(NO_QUORUM);
  }
  get isFailed() {
    return this.failed !== null;
  }
  // ---- lifecycle ------------------------------------------------------------------------------
  /**
   * Attach the disks and start connecting. With holdFormerPrimary (the agent's auto_resync=false,
   * VVR's AutoResync=0), a node that went away as Primary (crashed: its metadata still says
   * Primary) stays StandAlone: its peers may have taken over, and connecting would resync it and
   * throw away the writes only it has. The operator looks first, then runs `tandem connect`.
   */
  async up(opts = {}) {
    for (const v of this.volumes) if (v.diskful) await this.attachVolume(v);
    if (opts.holdFormerPrimary && this.volumes.some((v) => v.meta?.flags.crashedPrimary)) {
      this.held = `went away as Primary (crashed) and auto_resync is off: inspect the data, then run tandem connect ${this.name} to resync it from the current Primary`;
      for (const peer of this.peers.values()) peer.connectionState = "StandAlone";
      this.log.warn("held StandAlone", { reason: this.held });
    }
    const connector = this.platform.connector(this.config, this.local.name, { connectOnStart: this.held === null });
    this.connector = connector;
    this.updateQuorum();
    await connector.start((link) => this.guard(() => this.onLink(link)));
    void this.fencing.adopt();
    this.log.info("resource up", { role: this.role, volumes: this.volumes.map((v) => v.diskState) });
  }
  async down() {
    if (this.role === "Primary") await this.demote();
    await this.connector?.stop();
    this.connector = null;
    for (const peer of this.peers.values()) peer.closeLink("resource going down");
    for (const v of this.volumes) await this.detachVolume(v);
    this.log.info("resource down");
  }
  async attachVolume(v) {
    if (v.attached) return;
    v.diskState = "Attaching";
    const disk2 = await this.platform.openDisk(v.config);
    let meta2;
    try {
      await disk2.flush();
      meta2 = this.openMeta(v, disk2);
    } catch (err) {
      await disk2.close();
      v.diskState = "Diskless";
      throw err;
    }
    v.disk = disk2;
    v.meta = meta2;
    v.sizeBytes = Math.min(disk2.sizeBytes, meta2.sizeBytes);
    v.diskState = Volume.diskStateFromFlags(meta2.flags);
    if (v.diskState === "UpToDate" && meta2.crashed && [...this.peers.values()].some((p) => p.diskful)) v.diskState = "Consistent";
    if (v.diskState === "UpToDate" && this.role === "Primary" && v.exposed.length > 0) {
      if (!v.wroteWithoutDisk && v.exposed.length > 1 && sameGeneration(v.exposed[1], meta2.current())) this.resumeOwnDisk(v, meta2);
      else v.diskState = "Consistent";
    }
    this.log.info("disk attached", { volume: v.index, diskState: v.diskState, io: disk2.ioMode });
    this.emit("disk", { volume: v.index, diskState: v.diskState });
  }
  /** The re-attached disk of a Primary that wrote nothing without it: current again, in the generation it exposed. */
  resumeOwnDisk(v, meta2) {
    meta2.followCurrent(v.exposed[0], "the disk is attached again; nothing was written without it");
    v.servesOwnDisk();
    this.log.info("disk attached again to a Primary that wrote nothing without it: it serves at once", { volume: v.index });
    for (const p of this.peers.values()) p.sendState();
  }
  openMeta(v, disk2) {
    const md = this.platform.openMetadata(v.config);
    md.flushDataDiskWith(() => disk2.flush().catch((err) => {
      this.localDiskFailed(v, err, null);
      throw err;
    }));
    if (md.superblock.nodeId !== this.local.id) {
      md.close();
      throw new TandemError("TANDEM_E_META", `metadata of volume ${v.index} belongs to node id ${md.superblock.nodeId}, this node is ${this.local.id}`, {
        hint: `recreate it with 'tandem md create ${this.name} --force' on this node`
      });
    }
    const meta2 = new VolumeMeta(md, { generationChanged: (c) => this.generationChanged(v, c) }, this.platform.settings.skipMetadataUpdates);
    const damage = md.damageReport();
    if (damage) this.log.error("metadata failed its checksums: the damaged ranges are marked out of sync for every peer (md check says more)", { volume: v.index, ...damage });
    if (meta2.recoveredExtents > 0) {
      this.log.warn("metadata was not closed cleanly: activity-log extents marked out of sync for every peer", { volume: v.index, extents: meta2.recoveredExtents });
    }
    if (this.platform.settings.skipMetadataUpdates) this.log.warn("TANDEM_BENCH_NO_METADATA=1: activity log and bitmap are NOT updated; writes are not crash-safe (benchmark only)", { volume: v.index });
    for (const peer of this.peers.values()) if (peer.diskful) meta2.setPeerInSync(peer.node.id, true);
    return meta2;
  }
  /**
   * Close the disk and metadata once nothing uses them. Closing the metadata clean (AL_CLEAN: no
   * replay after a crash) is only true once every write the AL covered is durable: the disk is
   * flushed first, and if it cannot be, every block counts as out of sync for every peer.
   */
  async detachVolume(v, onIdle) {
    const meta2 = v.meta;
    const disk2 = v.disk;
    v.meta = null;
    v.disk = null;
    v.resyncDurability.drop();
    if (meta2 || disk2) await v.whenIdle();
    if (meta2 && onIdle) onIdle(meta2);
    if (meta2 && disk2) {
      try {
        await disk2.flush();
      } catch (err) {
        this.log.warn("the disk could not be flushed before detach: every block is kept out of sync for every peer", { volume: v.index, error: String(err) });
        for (const peer of this.peers.values()) if (peer.diskful) meta2.markAllOutOfSync(peer.node.id);
      }
    }
    meta2?.close();
    await disk2?.close();
    if (v.diskState !== "Diskless") {
      v.diskState = "Diskless";
      this.emit("disk", { volume: v.index, diskState: v.diskState });
    }
  }
  onLink(link) {
    const peer = this.peers.get(link.peerNodeId);
    if (!peer) {
      link.close(`node id ${link.peerNodeId} is not a peer of ${this.name}`);
      return;
    }
    if (this.failed) {
      link.close(`resource stopped on ${this.local.name}`);
      return;
    }
    peer.attachLink(link);
    this.updateQuorum();
  }
  // ---- a local disk failed ----------------------------------------------------------------------
  /**
   * A read, write or flush on the local disk failed (on-io-error = detach, DRBD's default): the
   * disk goes Failed, then Diskless once its requests are done. Its blocks stay out of sync for
   * every peer (the failed range; everything when what is on the disk is unknown), so it is
   * resynced when attached again; a Primary goes on through its UpToDate peers.
   */
  localDiskFailed(v, err, range2, pinned = null) {
    const meta2 = v.meta ?? pinned;
    if (!meta2) return;
    if (v.diskState === "Failed" || v.meta === null) {
      if (range2) {
        for (const peer of this.peers.values()) if (peer.diskful) meta2.markOutOfSync(peer.node.id, range2.offset, range2.length);
      }
      return;
    }
    const errno2 = err?.code ?? "EIO";
    this.log.error("local disk failed: detaching it (on-io-error = detach)", { volume: v.index, errno: errno2, error: String(err), range: range2 });
    const own = ownData(this, v);
    const primary = this.role === "Primary";
    const secondaryOnlyCopy = !primary && this.secondaryHoldsOnlyCopy(v);
    for (const peer of this.peers.values()) {
      if (!peer.diskful) continue;
      if (range2) meta2.markOutOfSync(peer.node.id, range2.offset, range2.length);
      else meta2.markAllOutOfSync(peer.node.id);
    }
    v.diskState = "Failed";
    v.pendingNewGeneration = [];
    v.newGenerationUrgent = false;
    v.acknowledgedBeforeNewGeneration = false;
    for (const peer of this.peers.values()) peer.stopResync(v.index);
    this.emit("disk", { volume: v.index, diskState: "Failed", errno: errno2 });
    v.failedDiskMissedBy.clear();
    v.failing = this.detachVolume(v, (m) => this.settleFailedDisk(v, m, primary ? own : null, secondaryOnlyCopy)).then(() => {
      for (const p of this.peers.values()) p.sendState();
    }, (e) => this.fail(e)).finally(() => {
      v.failing = null;
    });
    for (const p of this.peers.values()) p.sendState();
  }
  /**
   * Every request the failed disk took has settled. A Primary goes on through the peers that held
   * all of its data (connected, UpToDate, same generation, no bits out of sync when the disk
   * failed) and stored every write it had taken since (sim seeds 20304, 20351: a partition
   * swallowed writes the failed disk had). The blocks the disk may lack or hold wrongly are out of
   * sync for every peer already (localDiskFailed), so the metadata keeps what it may honestly
   * claim of the rest, as DRBD leaves a disk detached on an I/O error (an interrupted resync
   * target stays Inconsistent in every case):
   * - the only copy of the newest data stays UpToDate: the Primary's I/O fails until it is back,
   *   and it becomes the others' source again;
   * - a Primary's disk its peers go on without is behind them from now on: Outdated, as after
   *   `tandem detach` on a Primary;
   * - a Secondary's disk that a peer out of reach may or may not have overtaken is Consistent
   *   when attached again (DISK_FAILED), and the generation handshake decides. Marked
   *   Inconsistent, it lost the data whenever it was the only good copy after all: nobody was
   *   UpToDate again (sim seeds 20068, 20457).
   */
  settleFailedDisk(v, meta2, own, secondaryOnlyCopy) {
    const missed = new Set(v.failedDiskMissedBy);
    v.failedDiskMissedBy.clear();
    const held = own && { generation: own.generation, peersWithIt: new Set([...own.peersWithIt].filter((id) => !missed.has(id) && this.peers.get(id)?.connected)) };
    const onlyCopy = held !== null && held.peersWithIt.size === 0 || secondaryOnlyCopy;
    if (onlyCopy) this.log.error("the failed disk holds the only copy of the newest data: I/O fails until it is attached again", { volume: v.index });
    else if (this.role === "Primary") meta2.setFlags({ wasUpToDate: false });
    else meta2.setFlags({ diskFailed: true });
    if (this.role === "Primary" && (held || v.exposed.length === 0)) {
      v.wroteWithoutDisk = false;
      exposeGeneration(this, v, () => this.freshGeneration(), true, held);
    }
  }
  /**
   * A Secondary's UpToDate disk is the only copy of the newest data while every diskful peer is
   * connected and none holds UpToDate (or maybe-UpToDate, Consistent) data: a diskless Primary
   * wrote through this node alone (sim seed 20991). A write it fails is answered EIO, since
   * without a usable disk of its own the Primary answers only what a peer stored; everything
   * answered is on it. A diskful peer out of reach may be UpToDate: then the disk is not known to
   * be the only copy.
   */
  secondaryHoldsOnlyCopy(v) {
    if (v.diskState !== "UpToDate") return false;
    return [...this.peers.values()].filter((p) => p.diskful).every((p) => {
      const pv = p.volumes.get(v.index);
      return p.connected && pv !== void 0 && pv.view !== null && pv.peerDiskState !== "UpToDate" && pv.peerDiskState !== "Consistent";
    });
  }
  /**
   * A peer's disk went away (Failed, detached) while connected: as if that peer were lost, for
   * that volume. As for a lost link (onPeerLost), the new generation starts at the next write, or
   * once our disk is flushed when writes to that disk were unconfirmed (it may lack them): made at
   * once, a crash right after left survivors that had not followed it and this node in a
   * generation nothing was written in, which looked like a split brain (sim seed 20426).
   */
  peerDiskLost(peer, v) {
    if (this.role !== "Primary" || !peer.diskful) return;
    this.log.warn("peer lost its disk: its blocks are kept out of sync for it from now on", { peer: peer.node.name, volume: v.index });
    if (!v.meta) {
      rotateExposedGeneration(this, v, this.freshGeneration());
      for (const p of this.peers.values()) if (p !== peer) p.sendState();
      return;
    }
    v.pendingNewGeneration.push(`${peer.node.name} lost its disk`);
    if (peer.protocol !== "C" && peer.transfer.hasUnconfirmed(v.index)) v.acknowledgedBeforeNewGeneration = true;
    if (peer.transfer.hasUnconfirmed(v.index)) {
      v.newGenerationUrgent = true;
      void this.newGenerationDurable(v);
    }
  }
  // ---- control operations ---------------------------------------------------------------------
  async control(op, args) {
    if (this.failed && op !== "secondary") {
      throw new TandemError("TANDEM_E_STATE", `${this.name} is stopped on this node: ${this.failed}`, {
        hint: `run 'tandem down ${this.name}' and 'tandem up ${this.name}' (Pacemaker does this when it recovers the resource)`
      });
    }
    switch (op) {
      case "primary":
        await this.promote(args.force === true);
        break;
      case "secondary":
        await this.demote();
        break;
      case "connect":
        this.connectAll(args.discardMyData === true);
        break;
      case "disconnect":
        this.disconnectAll();
        break;
      case "attach":
        await this.attachAll();
        break;
      case "detach":
        await this.detachAll();
        break;
      case "outdate":
        this.outdate();
        break;
      case "invalidate":
        this.invalidate();
        break;
      case "resume-io":
        this.resumeIo();
        break;
      default:
        throw new TandemError("TANDEM_E_USAGE", `'${op}' is not supported yet by this daemon`, {
          hint: "see tandem --help for the verbs this version implements"
        });
    }
    if (op === "outdate") for (const peer of this.peers.values()) peer.sendState();
    return this.status();
  }
  /** A refused peer stays StandAlone (as DRBD's): no redial until `tandem connect`. */
  stopDialing(peerNodeId) {
    this.connector?.disconnect(peerNodeId);
  }
  /**
   * discardMyData (DRBD's connect --discard-my-data): this node volunteers as the victim of a split
   * brain; its peers resync it from their data, covering both sides' out-of-sync blocks.
   */
  connectAll(discardMyData = false) {
    if (discardMyData && this.role === "Primary") {
      throw new TandemError("TANDEM_E_STATE", `cannot discard the data of ${this.name}: this node is Primary`, {
        hint: `run 'tandem secondary ${this.name}' first (stop what uses the volume)`
      });
    }
    if (discardMyData) this.discardMyData = true;
    this.held = null;
    for (const [id, peer] of this.peers) {
      if (peer.connectionState === "StandAlone") peer.connectionState = "Connecting";
      this.connector?.connect(id);
    }
  }
  disconnectAll() {
    for (const [id, peer] of this.peers) {
      this.connector?.disconnect(id);
      peer.closeLink("disconnected by administrator");
      peer.connectionState = "StandAlone";
    }
  }
  async attachAll() {
    const detached = this.volumes.filter((v) => v.diskful && !v.attached && v.diskState !== "Failed");
    for (const v of detached) await this.attachVolume(v);
    if (detached.length === 0) return;
    for (const peer of this.peers.values()) this.renegotiate(peer);
  }
  async detachAll() {
    if (this.role === "Primary" && !this.hasUpToDatePeer()) {
      throw new TandemError("TANDEM_E_STATE", `cannot detach ${this.name}: it is Primary and no peer is UpToDate`, {
        hint: "demote it first, or wait until a peer is UpToDate"
      });
    }
    for (const v of this.volumes) {
      if (this.role === "Primary" && v.meta) {
        const own = ownData(this, v);
        v.meta.setFlags({ consistent: true, wasUpToDate: false });
        exposeGeneration(this, v, () => this.freshGeneration(), true, own);
      } else if (v.meta && v.diskState === "UpToDate" && [...this.peers.values()].some((p) => p.diskful)) {
        v.meta.setFlags({ consistent: true, wasUpToDate: false });
      }
      await this.detachVolume(v);
    }
    for (const peer of this.peers.values()) peer.sendState();
  }
  /** Run the handshake again with this peer for every volume (after attach or invalidate). */
  renegotiate(peer) {
    for (const [index, pv] of peer.volumes) {
      if (pv.replicationState === "SyncSource") continue;
      pv.replicationState = "Off";
      if (pv.view && !hasDisk(pv.peerDiskState) && peer.connected) handshakeVolume(peer, index, pv);
    }
    peer.sendState();
  }
  outdate() {
    if (this.role === "Primary") throw new TandemError("TANDEM_E_STATE", "a Primary cannot be outdated", { hint: "demote it first" });
    for (const v of this.volumes) {
      if (!v.meta || v.diskState !== "UpToDate") continue;
      v.meta.setFlags({ wasUpToDate: false });
      v.diskState = "Outdated";
      this.emit("disk", { volume: v.index, diskState: v.diskState });
    }
  }
  /** DRBD's resume-io: the administrator ends a freeze (fencing that did not succeed, or no quorum). */
  resumeIo() {
    const reasons = [...this.suspended];
    if (reasons.length === 0) return;
    this.log.warn("I/O resumed by the administrator", { reasons });
    for (const reason of reasons) this.resume(reason);
  }
  /**
   * DRBD's invalidate: this node's data is to be replaced by a peer's. Every bit is set for every
   * diskful peer (a full sync whoever the source is), and the connections start again, so the
   * handshake that follows sees it.
   */
  invalidate() {
    if (this.role === "Primary") throw new TandemError("TANDEM_E_STATE", "a Primary cannot invalidate its own data", { hint: "demote it first" });
    const only = this.volumes.filter((v) => v.meta && (v.diskState === "UpToDate" || v.diskState === "Consistent") && !this.hasUpToDatePeer(v.index));
    if (only.length > 0) {
      throw new TandemError("TANDEM_E_STATE", `cannot invalidate ${this.name}: no connected peer has UpToDate data of volume ${only.map((v) => v.index).join(", ")} to resync it from, and this node's ${only[0].diskState} data may be the only good copy`, {
        hint: `connect a peer whose volume is UpToDate first ('tandem status ${this.name}' shows each peer's disk state)`
      });
    }
    for (const v of this.volumes) {
      if (!v.meta) continue;
      for (const peer of this.peers.values()) if (peer.diskful) v.meta.markAllOutOfSync(peer.node.id);
      v.meta.setFlags({ consistent: false, wasUpToDate: false });
      v.diskState = "Inconsistent";
      this.emit("disk", { volume: v.index, diskState: v.diskState });
    }
    for (const peer of this.peers.values()) peer.closeLink("invalidated: reconnecting for a full sync");
  }
  // ---- roles ----------------------------------------------------------------------------------
  async promote(force) {
    if (this.role === "Primary") return;
    const otherPrimary = [...this.peers.values()].find((p) => p.connected && p.peerRole === "Primary");
    if (otherPrimary) {
      throw new TandemError("TANDEM_E_STATE", `cannot promote ${this.name}: ${otherPrimary.node.name} is Primary`, {
        hint: `demote it first with 'tandem secondary ${this.name}' on ${otherPrimary.node.name}`
      });
    }
    this.checkQuorum();
    this.checkPromotableDisks(force);
    this.role = "Primary";
    for (const v of this.volumes) this.promoteVolume(v, force);
    this.reconcileAfterPrimaryLoss();
    try {
      await this.startExports();
    } catch (err) {
      await this.demote();
      throw err;
    }
    for (const peer of this.peers.values()) peer.sendState();
    reevaluatePeers(this.peers.values());
    for (const peer of this.peers.values()) if (peer.diskful && !peer.connected) void this.fencing.peerLost(peer);
    this.emit("role", { role: this.role });
    this.log.info("promoted", { force });
  }
  /** Even --force does not override quorum: it is the one guard a partitioned minority has. */
  checkQuorum() {
    if (this.quorate) return;
    const needed = quorumNeeded(this.config.quorum, this.config.nodes.length);
    throw new TandemError("TANDEM_E_STATE", `cannot promote ${this.name}: no quorum (reaches ${this.reachableNodes()} of ${this.config.nodes.length} nodes, needs ${needed})`, {
      hint: "reconnect the other nodes; only if they are known to be down, lower quorum in the configuration and run tandem down/up",
      details: { reachable: this.reachableNodes(), needed }
    });
  }
  checkPromotableDisks(force) {
    for (const v of this.volumes) {
      if (v.usable) continue;
      if (this.hasUpToDatePeer(v.index)) continue;
      if (v.attached && force) continue;
      throw new TandemError("TANDEM_E_STATE", `cannot promote ${this.name}: volume ${v.index} is ${v.diskState} and no UpToDate data is reachable`, {
        hint: v.attached ? `use 'tandem primary ${this.name} --force' only if this node's data is the one to keep` : "connect to an UpToDate peer first",
        details: { volume: v.index, diskState: v.diskState }
      });
    }
  }
  promoteVolume(v, force) {
    if (!v.meta || !v.usable && !force) {
      exposeGeneration(this, v, () => this.freshGeneration(), v.diskful);
      return;
    }
    const absent = [...this.peers.values()].filter((p) => p.diskful && !p.replicatingTo(v.index)).map((p) => p.node.id);
    if (absent.length > 0 || force || v.diskState !== "UpToDate") {
      v.meta.newCurrent(this.freshGeneration(), absent, force ? "promoted with --force" : "promoted while some peers are away", true);
      for (const id of absent) if (force && v.diskState !== "UpToDate") v.meta.markAllOutOfSync(id);
    }
    v.meta.setFlags({ consistent: true, wasUpToDate: true, primary: true, crashedPrimary: false, primaryLostQuorum: false, diskFailed: false });
    if (v.diskState !== "UpToDate") {
      v.diskState = "UpToDate";
      this.emit("disk", { volume: v.index, diskState: v.diskState });
    }
  }
  /**
   * The new generation a lost peer calls for (Volume.pendingNewGeneration) starts once every write
   * the disk took before it is durable: the lost peer may hold them, and a power loss here after
   * the new generation was persisted would make this disk, newer, the source of blocks its cache
   * lost, over that peer's copy (seeds 20007, 20279). DRBD writes a new current UUID with a flush
   * before it. Writes wait for this before they are sent (write-pipeline.ts).
   */
  newGenerationDurable(v) {
    v.newGenerationReady ??= this.flushThenStartGeneration(v).finally(() => {
      v.newGenerationReady = null;
    });
    return v.newGenerationReady;
  }
  async flushThenStartGeneration(v) {
    const disk2 = v.disk;
    await v.whenLocalWritesDone();
    if (!disk2 || v.disk !== disk2 || !v.usable) return;
    try {
      await disk2.flush();
    } catch (err) {
      this.localDiskFailed(v, err, null);
      return;
    }
    if (v.disk === disk2 && v.usable) this.guard(() => this.startPendingGeneration(v));
  }
  /**
   * The new data generation starts (Volume.pendingNewGeneration): the peers still away keep the
   * old one as their bitmap generation, the others follow on our State, which reaches each link
   * before the next write does. Nobody away any more: none is needed.
   */
  startPendingGeneration(v) {
    const reasons = v.pendingNewGeneration;
    if (reasons.length === 0 || !v.meta) return;
    const reason = v.newGenerationUrgent ? reasons.join("; ") : `first write after: ${reasons.join("; ")}`;
    const acknowledged = v.acknowledgedBeforeNewGeneration;
    v.pendingNewGeneration = [];
    v.newGenerationUrgent = false;
    v.acknowledgedBeforeNewGeneration = false;
    const absent = [...this.peers.values()].filter((p) => p.diskful && !p.replicatingTo(v.index));
    if (absent.length === 0) return;
    v.meta.newCurrent(this.freshGeneration(), absent.map((p) => p.node.id), reason, !acknowledged);
    for (const p of absent) if (p.connected) v.meta.setPeerConnected(p.node.id, true);
    for (const peer of this.peers.values()) peer.sendState();
  }
  /** The AL ranges kept since our Primary vanished may differ on the survivors: resync them to everyone. */
  reconcileAfterPrimaryLoss() {
    for (const v of this.volumes) {
      const own = this.reconcileRanges.get(v.index);
      if (!own || !v.meta) continue;
      for (const peer of this.peers.values()) {
        if (!peer.diskful || peer.volumes.get(v.index)?.reconciled) continue;
        for (const r of own) v.meta.markOutOfSync(peer.node.id, r.offset, r.length);
        if (v.meta.outOfSyncBytes(peer.node.id) === 0) continue;
        if (peer.replicatingTo(v.index) && peer.volumes.get(v.index)?.replicationState === "Established") peer.startResync(v);
      }
      this.reconcileRanges.delete(v.index);
    }
    this.reconcileFrom = null;
  }
  async demote() {
    if (this.role !== "Primary") return;
    for (const v of this.volumes) {
      const busy = await v.export?.busy();
      if (busy) {
        throw new TandemError("TANDEM_E_BUSY", `cannot demote ${this.name}: volume ${v.index} is in use (${busy})`, {
          hint: `unmount or close ${v.export?.device ?? "the device"} first (Pacemaker stops what uses it before demoting)`,
          details: { volume: v.index, device: v.export?.device ?? null }
        });
      }
    }
    for (const v of this.volumes) if (v.newGenerationUrgent && v.meta) await this.newGenerationDurable(v);
    this.role = "Secondary";
    for (const v of this.volumes) if (!v.newGenerationUrgent) {
      v.pendingNewGeneration = [];
      v.acknowledgedBeforeNewGeneration = false;
    }
    const frozen2 = [...this.suspended];
    if (frozen2.length > 0) this.log.warn("demoted while I/O was frozen: the frozen writes fail", { reasons: frozen2 });
    for (const reason of frozen2) this.resume(reason);
    this.unconfirmed = [];
    for (const v of this.volumes) {
      await v.export?.close();
      v.export = null;
      v.servesOwnDisk();
      if (v.disk) await v.disk.flush().catch((err) => this.localDiskFailed(v, err, null));
      v.meta?.setFlags({ primary: false });
    }
    for (const peer of this.peers.values()) peer.sendState();
    this.emit("role", { role: this.role });
    this.log.info("demoted");
  }
  async startExports() {
    for (const v of this.volumes) {
      if (!v.config.export && this.config.frontend === "none") continue;
      v.export = await this.platform.startExport(v.config.export, `${this.name}/${v.index}`, new PrimaryBackend(this, v), {
        resource: this.config,
        volume: v.index,
        frontend: this.config.frontend
      });
    }
  }
  // ---- peers ----------------------------------------------------------------------------------
  /**
   * A peer's link broke. As Primary, a new data generation starts (its old one becomes that peer's
   * bitmap generation), the survivors follow it, and they learn which of our last writes the lost
   * peer did not confirm. A lost Primary leaves its last in-flight writes possibly on some
   * survivors only: the AL-covered areas are resynced when one of them is promoted.
   */
  onPeerLost(peer, lost) {
    const { wasPrimary, unconfirmed } = lost;
    this.reads.failPeer(peer);
    for (const v of this.volumes) v.followers.delete(peer.node.id);
    this.updateQuorum();
    const primaryLostDisk = this.role === "Primary" && peer.diskful;
    const generations = [];
    if (primaryLostDisk && lost.replicated) {
      for (const v of this.volumes) {
        if (v.meta) {
          v.pendingNewGeneration.push(`lost the connection to ${peer.node.name}`);
          if (peer.protocol !== "C" && unconfirmed.some((w) => w.volume === v.index)) v.acknowledgedBeforeNewGeneration = true;
          if (unconfirmed.some((w) => w.volume === v.index)) {
            v.newGenerationUrgent = true;
            if (!this.fencing.freezes) generations.push(this.newGenerationDurable(v));
          }
        } else {
          rotateExposedGeneration(this, v, this.freshGeneration());
          const unconfirmedHere = unconfirmed.some((w) => w.volume === v.index) || this.unconfirmed.some((u) => u.volume === v.index);
          if (unconfirmedHere) for (const s of servers(this, v)) v.exposedData[0]?.writers.add(s.node.id);
        }
      }
      for (const other of this.peers.values()) other.sendState();
    }
    if (primaryLostDisk) {
      if (generations.length === 0) this.tellUnconfirmed(peer.node.id, unconfirmed);
      else void Promise.all(generations).then(() => this.guard(() => this.tellUnconfirmed(peer.node.id, unconfirmed)));
      this.tellUnconfirmedDiskless();
      if (lost.replicated) void this.fencing.peerLost(peer);
    }
    if (wasPrimary && this.role === "Secondary") {
      this.fencing.recheckPrimary(peer, lost.reason);
      survivedPrimaryLoss(this, peer);
    }
    reevaluatePeers(this.peers.values());
  }
  /**
   * Writes a lost peer did not confirm: every other peer that got them keeps their blocks out of
   * sync for it (our own bitmap has them already), so whichever node the lost one meets next
   * resyncs them, even if this Primary is gone by then.
   */
  tellUnconfirmed(lostId, writes) {
    for (const w of writes) {
      const v = this.volume(w.volume);
      if (!v) continue;
      for (const other of this.peers.values()) {
        if (other.node.id === lostId || !(v.usable ? other.replicatingTo(v.index) : isServer(other, v))) continue;
        other.sendData({ type: "OutOfSync", volume: w.volume, offset: w.offset, length: w.length, missing: 1 << lostId >>> 0 });
      }
    }
  }
  /** A write without a local disk that a peer did not confirm (link lost, or a NegAck). */
  unconfirmedByPeer(peer, volume, offset, length) {
    this.unconfirmed.push({ nodeId: peer.node.id, volume, offset, length });
    if (peer.connected) this.platform.defer(() => this.guard(() => peer.closeLink("a replicated write failed on the peer")));
  }
  tellUnconfirmedDiskless() {
    const pending = this.unconfirmed;
    this.unconfirmed = [];
    for (const u of pending) this.tellUnconfirmed(u.nodeId, [u]);
  }
  /** A Consistent disk (after a crash) that a handshake showed to hold the newest data. */
  confirmUpToDate(volume, reason, peerGeneration) {
    if (peerGeneration !== void 0) assert(volume.meta !== null && sameGeneration(volume.meta.current(), peerGeneration), "a disk confirmed UpToDate by a peer shares its generation");
    volume.meta?.setFlags({ consistent: true, wasUpToDate: true, diskFailed: false });
    volume.diskState = "UpToDate";
    volume.servesOwnDisk();
    this.log.info("disk confirmed UpToDate", { volume: volume.index, reason });
    this.emit("disk", { volume: volume.index, diskState: "UpToDate", reason });
    dropStaleBits(this.peers.values(), volume);
    for (const p of this.peers.values()) p.sendState();
  }
  /** Another connected peer is sending us resync data for this volume now (one source at a time). */
  syncingFromAnother(volume, peer) {
    if (volume.syncSource === null || volume.syncSource === peer.node.id) return false;
    const other = this.peers.get(volume.syncSource);
    return other !== void 0 && other.connected && other.volumes.get(volume.index)?.replicationState === "SyncTarget";
  }
  /** Decided (or found by its data) to take resync data from this peer; its first data sets syncSource. */
  becomeSyncTarget(peer, volume) {
    const pv = peer.volumes.get(volume.index);
    const sameData = (volume.diskState === "Consistent" || volume.diskState === "UpToDate") && pv.view !== null && sameGeneration(volume.meta.current(), pv.view.current);
    volume.untouchedTarget = sameData ? { source: peer.node.id, wasUpToDate: volume.meta.flags.wasUpToDate } : null;
    pv.replicationState = "SyncTarget";
    if (!sameData) volume.meta.setFlags({ consistent: false, wasUpToDate: false });
    if (volume.diskState !== "Inconsistent") {
      volume.diskState = "Inconsistent";
      this.emit("disk", { volume: volume.index, diskState: volume.diskState });
      for (const p of this.peers.values()) if (p !== peer) p.sendState();
    }
  }
  /**
   * The source of a resync decided in our own generation went away before it sent a block: the
   * disk holds what it held when the handshake ran (a crashed Primary's data, say, whose survivor
   * lost power just then), and its metadata still says so. It is Consistent again, so the next
   * handshake weighs that data (the crashed-Primary rule) instead of taking a peer's as if this
   * disk had been overwritten.
   */
  sourceLostBeforeData(peer, volume) {
    const untouched = volume.untouchedTarget;
    if (!untouched || untouched.source !== peer.node.id || !volume.meta) return;
    volume.untouchedTarget = null;
    volume.meta.setFlags({ consistent: true, wasUpToDate: untouched.wasUpToDate });
    volume.diskState = "Consistent";
    this.log.info("disk Consistent again: its resync source went away before sending any data", { peer: peer.node.name, volume: volume.index });
    this.emit("disk", { volume: volume.index, diskState: volume.diskState, reason: `${peer.node.name} went away before the resync sent any data` });
  }
  /** The source sent and saw acknowledged every block: take its generation; UpToDate now. */
  async finishResyncAsTarget(peer, volume, current2, history) {
    const pv = peer.volumes.get(volume.index);
    const meta2 = volume.meta;
    const disk2 = volume.disk;
    if (!meta2 || !disk2 || pv.replicationState !== "SyncTarget") return;
    const lock = volume.locks.acquire(0, volume.sizeBytes);
    const whole = lock instanceof Promise ? await lock : lock;
    volume.beginActivity();
    try {
      await writeCrossingWrites(volume, disk2);
      await volume.resyncDurability.settle(disk2);
    } catch (err) {
      this.localDiskFailed(volume, err, null);
      return;
    } finally {
      volume.endActivity();
      volume.locks.release(whole);
    }
    if (volume.meta !== meta2 || !peer.connected || pv.replicationState !== "SyncTarget") return;
    const fromSurvivor = pv.view?.flags.survivedPrimaryLoss === true && this.reconcileRanges.has(volume.index) && sameGeneration(meta2.current(), current2);
    meta2.adoptAfterResync(current2, history, `resync from ${peer.node.name} finished`);
    assert(sameGeneration(meta2.current(), current2), "a SyncTarget that finished holds the source's generation before it claims UpToDate");
    if (pv.view) pv.view = { ...pv.view, current: current2, history, diskState: "UpToDate" };
    if (meta2.bitmapGeneration(peer.node.id) !== 0n) meta2.setBitmapGeneration(peer.node.id, 0n);
    meta2.setFlags({ consistent: true, wasUpToDate: true, crashedPrimary: false, primaryLostQuorum: false, diskFailed: false });
    volume.diskState = "UpToDate";
    pv.replicationState = "Established";
    volume.syncSource = null;
    volume.untouchedTarget = null;
    volume.servesOwnDisk();
    if (fromSurvivor) this.reconcileRanges.set(volume.index, []);
    else this.reconcileRanges.delete(volume.index);
    this.emit("disk", { volume: volume.index, diskState: "UpToDate" });
    this.log.info("resync finished as SyncTarget", { peer: peer.node.name, volume: volume.index });
    for (const other of this.peers.values()) {
      const opv = other.volumes.get(volume.index);
      if (other !== peer && opv?.replicationState === "SyncTarget") opv.replicationState = "Off";
    }
    reevaluatePeers(this.peers.values());
    for (const other of this.peers.values()) other.sendState();
    dropStaleBits(this.peers.values(), volume);
    this.fencing.reconcile();
  }
  // ---- quorum ---------------------------------------------------------------------------------
  /** Writes fail at once without quorum under on-no-quorum = io-error (suspend-io makes them wait). */
  get failsWritesWithoutQuorum() {
    return !this.quorate && this.config.onNoQuorum === "io-error";
  }
  reachableNodes() {
    return 1 + [...this.peers.values()].filter((p) => p.connected).length;
  }
  /** Re-count after every link change; a Primary that lost quorum freezes or fails its writes. */
  updateQuorum() {
    const quorate = hasQuorum(this.config.quorum, this.config.nodes.length, this.reachableNodes());
    if (quorate === this.quorate) return;
    this.quorate = quorate;
    this.log[quorate ? "info" : "warn"](quorate ? "quorum regained" : "quorum lost", { reachable: this.reachableNodes() });
    this.emit("quorum", { quorum: quorate, reachable: this.reachableNodes() });
    if (!quorate && this.role === "Primary") this.markPrimaryLostQuorum();
    if (quorate) this.resume(NO_QUORUM);
    else if (this.role === "Primary" && this.config.onNoQuorum === "suspend-io") this.suspend(NO_QUORUM);
    if (!quorate && this.role === "Primary") this.fencing.quorumLost();
  }
  /**
   * A Primary without quorum acknowledges no write (they fail or stay frozen until it is demoted),
   * while the majority may promote another node. Persisted first, so that when this node meets that
   * one again, its divergent generation is known to hold nothing acknowledged: it becomes the
   * SyncTarget instead of a split brain (generation-handshake.ts, resolveByLostQuorum). Cleared
   * only by a promotion or a finished resync: regaining quorum while still Primary does not clear
   * it, since the majority may have promoted another node meanwhile, and the flag is consulted only
   * when the two meet as a split brain.
   */
  markPrimaryLostQuorum() {
    for (const v of this.volumes) if (v.meta && !v.meta.flags.primaryLostQuorum) v.meta.setFlags({ primaryLostQuorum: true });
  }
  // ---- queries --------------------------------------------------------------------------------
  hasUpToDatePeer(volume) {
    return [...this.peers.values()].some((p) => p.connected && p.peerUpToDate(volume));
  }
  /** Frozen I/O waits here (fencing, no quorum with suspend-io). */
  get isSuspended() {
    return this.suspended.size > 0 && !this.failed;
  }
  suspend(reason) {
    this.suspended.add(reason);
    this.emit("suspended", { suspended: true, reason });
  }
  resume(reason) {
    const was = this.suspended.delete(reason);
    if (this.isSuspended) return;
    if (was) this.emit("suspended", { suspended: false, reason });
    if (this.role === "Primary") {
      for (const v of this.volumes) if (v.newGenerationUrgent) void this.newGenerationDurable(v);
    }
    const waiters = this.resumeWaiters;
    this.resumeWaiters = [];
    for (const w of waiters) w();
  }
  whenResumed() {
    return new Promise((resolve) => this.resumeWaiters.push(resolve));
  }
  status() {
    return {
      name: this.name,
      role: this.role,
      quorum: this.quorate,
      suspended: this.isSuspended,
      failed: this.failed,
      volumes: this.volumes.map((v) => ({
        volume: v.index,
        diskState: v.diskState,
        sizeBytes: v.sizeBytes,
        export: v.export?.address ?? null,
        device: v.export?.device ?? null,
        currentGeneration: v.meta ? v.meta.current().toString(16) : null,
        io: v.disk?.ioMode ?? null
      })),
      connections: [...this.peers.values()].map((p) => p.status()),
      constraints: [...this.fencing.held],
      held: this.held
    };
  }
};
function isBug(err) {
  if (!(err instanceof TandemError)) return !(err instanceof Error && typeof err.code === "string");
  return err.code === "TANDEM_E_INTERNAL";
}
async function writeCrossingWrites(volume, disk2) {
  const crossing = [...volume.writesOffDisk].sort((a, b) => a.seq - b.seq);
  await Promise.all(crossing.map((w) => w.settled));
  for (const w of crossing) await (w.data ? disk2.write(w.offset, w.data, false) : disk2.writeZeroes(w.offset, w.length, false));
}

// src/platform/sim/cli.ts
import { randomInt } from "node:crypto";
import { readFileSync as readFileSync2, writeFileSync } from "node:fs";
import { Worker, parentPort, workerData } from "node:worker_threads";

// src/platform/sim/random.ts
var Random = class _Random {
  a;
  b;
  c;
  d;
  constructor(seed) {
    let s = typeof seed === "number" ? seed >>> 0 : hashString(seed);
    const next = () => {
      s = s + 2654435769 >>> 0;
      let z = s;
      z = Math.imul(z ^ z >>> 16, 2246822507);
      z = Math.imul(z ^ z >>> 13, 3266489909);
      return (z ^ z >>> 16) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    for (let i = 0; i < 12; i++) this.u32();
  }
  /** an independent stream derived from this one's seed material and a label */
  fork(label) {
    return new _Random(`${this.a}:${this.b}:${this.c}:${this.d}:${label}`);
  }
  u32() {
    const t = (this.a + this.b >>> 0) + this.d >>> 0;
    this.d = this.d + 1 >>> 0;
    this.a = this.b ^ this.b >>> 9;
    this.b = this.c + (this.c << 3) >>> 0;
    this.c = (this.c << 21 | this.c >>> 11) >>> 0;
    this.c = this.c + t >>> 0;
    return t;
  }
  /** uniform in [0, 1) */
  float() {
    return this.u32() / 4294967296;
  }
  /** uniform integer in [0, n) */
  int(n) {
    return Math.floor(this.float() * n);
  }
  /** uniform integer in [lo, hi] */
  between(lo, hi) {
    return lo + this.int(hi - lo + 1);
  }
  /** uniform real in [lo, hi) */
  real(lo, hi) {
    return lo + this.float() * (hi - lo);
  }
  chance(p) {
    return this.float() < p;
  }
  pick(items) {
    if (items.length === 0) throw new RangeError("pick from an empty list");
    return items[this.int(items.length)];
  }
  /** one of the keys, with probability proportional to its weight */
  weighted(weights) {
    const entries = Object.entries(weights);
    const total = entries.reduce((sum, [, w]) => sum + w, 0);
    let x = this.float() * total;
    for (const [key, w] of entries) {
      if (x < w) return key;
      x -= w;
    }
    return entries[entries.length - 1][0];
  }
  u64() {
    return BigInt(this.u32()) << 32n | BigInt(this.u32());
  }
};
function hashString(text2) {
  let h = 2166136261;
  for (let i = 0; i < text2.length; i++) h = Math.imul(h ^ text2.charCodeAt(i), 16777619);
  return h >>> 0;
}

// src/platform/sim/workload.ts
function parseStoredScenario(text2) {
  const stored = JSON.parse(text2);
  return { ...stored, config: { ...stored.config, csumsAlg: stored.config.csumsAlg ?? "none" } };
}
var MiB = 1024 * 1024;
function generateScenario(seed, opts = {}) {
  const rnd = new Random(seed).fork("scenario");
  const nodeCount = opts.nodes ?? rnd.pick([2, 2, 3, 3, 3, 4, 5]);
  const disklessCount = nodeCount >= 3 ? rnd.pick([0, 0, 1, 1, 2].filter((d) => nodeCount - d >= 2)) : rnd.chance(0.15) ? 1 : 0;
  const names = Array.from({ length: nodeCount }, (_, i) => `n${i}`);
  const diskless = new Set(names.slice(nodeCount - disklessCount));
  const volumeCount = rnd.chance(0.25) ? 2 : 1;
  const sizes = Array.from({ length: volumeCount }, () => Number(rnd.weighted({ 8: 4, 16: 3, 32: 1, 64: 1 })) * MiB);
  const diskfulCount = nodeCount - disklessCount;
  const quorum2 = nodeCount >= 3 && rnd.chance(0.6) ? "majority" : "off";
  const fencing = quorum2 === "majority" && rnd.chance(0.3) ? "dont-care" : rnd.chance(0.5) ? "resource-and-stonith" : "resource-only";
  const metaKinds = {};
  const nodes = names.map((name, id) => {
    metaKinds[name] = rnd.chance(0.5) ? "pmem" : "block";
    const volumes = sizes.map((size2, index) => ({
      index,
      disk: diskless.has(name) ? null : `/sim/${name}/disk${index}`,
      meta: diskless.has(name) ? null : { kind: metaKinds[name], path: `/sim/${name}/meta${index}` },
      export: { kind: "unix", path: `/sim/${name}/r0-${index}.nbd` },
      size: size2
    }));
    return { name, id, address: { host: `10.0.0.${id + 1}`, port: 7789 }, volumes };
  });
  const pingIntervalMs = rnd.pick([300, 500, 1e3, 2e3]);
  const config = {
    name: "r0",
    file: "sim:r0.ini",
    protocol: rnd.weighted({ C: 5, B: 2, A: 2 }),
    secret: "sim-secret",
    fencing,
    quorum: quorum2,
    onNoQuorum: rnd.chance(0.5) ? "io-error" : "suspend-io",
    onIoError: "detach",
    afterSb0pri: "disconnect",
    afterSb1pri: "disconnect",
    afterSb2pri: "disconnect",
    alExtents: rnd.pick([7, 8, 16, 1237]),
    resyncRate: rnd.chance(0.2) ? rnd.pick([20, 50, 100]) * MiB : 0,
    pingIntervalMs,
    pingTimeoutMs: rnd.pick([200, 500]),
    standalone: false,
    // the link's protection is the transport's business (TLS, integrity): the simulated network
    // carries decoded frames, so these settings change nothing here
    transportSecurity: "none",
    previousSecret: "",
    dataIntegrityAlg: "none",
    // checksum-based resync in half the scenarios (a stream of its own: the other draws stay as they were)
    csumsAlg: rnd.fork("csums-alg").chance(0.5) ? "sha256" : "none",
    tlsCert: null,
    tlsKey: null,
    tlsCa: null,
    exportTlsPsk: null,
    exportInsecure: true,
    frontend: "none",
    // the simulated client drives the export's backend: no block device on top
    discardNode: null,
    nodes,
    connections: [],
    origins: {}
  };
  config.connections = connectionProtocols(new Random(seed).fork("connections"), names, config.protocol);
  const activeMs = rnd.between(2e3, 12e3);
  const actions = schedule(rnd.fork("schedule"), { sizes, nodeCount, diskfulCount, activeMs, quorum: quorum2 !== "off" });
  return { seed, config, metaKinds, initialSync: rnd.chance(0.2), autoResync: rnd.chance(0.8), autoTakeover: true, actions, activeMs };
}
function connectionProtocols(rnd, names, resourceProtocol) {
  if (names.length < 3 || !rnd.chance(0.4)) return [];
  const out = [];
  for (let i = 0; i < names.length; i++) {
    for (let j = i + 1; j < names.length; j++) {
      if (!rnd.chance(0.5)) continue;
      const protocol = rnd.weighted({ C: 3, B: 1, A: 2 });
      if (protocol !== resourceProtocol) out.push({ nodes: [names[i], names[j]], protocol });
    }
  }
  return out;
}
function schedule(rnd, shape) {
  const actions = [];
  const target = (role) => ({ pick: rnd.u32(), role });
  const ioRateMs = Math.max(rnd.pick([5, 10, 20, 40]), shape.activeMs / 300);
  for (let at = 50; at < shape.activeMs; at += rnd.real(0.2, 2) * ioRateMs) actions.push(io(rnd, at, shape.sizes));
  const faults = Math.max(1, Math.round(shape.activeMs / rnd.pick([300, 600, 1200])));
  for (let i = 0; i < faults; i++) {
    const at = rnd.real(100, shape.activeMs);
    const kind = rnd.weighted({
      crash: 6,
      restart: 6,
      partition: 5,
      isolate: 2,
      heal: 5,
      reset: 3,
      "slow-link": 2,
      "disk-fault": 2,
      "handler-fault": 1,
      crm: 6,
      switchover: 2,
      operator: 4,
      "force-split": shape.quorum ? 0 : 1,
      checkpoint: 3
    });
    actions.push(fault(rnd, at, kind, target));
    if ((kind === "partition" || kind === "isolate" || kind === "slow-link") && rnd.chance(0.7)) {
      actions.push({ at: at + rnd.real(50, 3e3), kind: "heal" });
    }
    if (kind === "crash" && rnd.chance(0.7)) actions.push({ at: at + rnd.real(200, 4e3), kind: "restart", target: target("down") });
    if (kind === "crash" || kind === "switchover") actions.push({ at: at + rnd.real(500, 3e3), kind: "crm" });
    if (kind === "force-split") {
      actions.push({ at: Math.max(0, at - rnd.real(2500, 4e3)), kind: "isolate", target: target("primary") });
      actions.push({ at: at + rnd.real(1500, 5e3), kind: "heal" });
    }
  }
  return actions.sort((a, b) => a.at - b.at);
}
function fault(rnd, at, kind, target) {
  switch (kind) {
    case "crash":
      return {
        at,
        kind,
        target: target(rnd.weighted({ primary: 3, secondary: 2, any: 2 })),
        how: rnd.chance(0.5) ? "power" : "killed",
        when: rnd.weighted({ now: 6, resync: 2, handshake: 2, metadata: 1 })
      };
    case "restart":
      return { at, kind, target: target("down") };
    case "partition":
      return { at, kind, target: target("any"), other: target("any"), oneWay: rnd.chance(0.3) };
    case "isolate":
      return { at, kind, target: target(rnd.chance(0.5) ? "primary" : "any") };
    case "heal":
      return { at, kind };
    case "reset":
      return { at, kind, target: target("any"), other: target("any") };
    case "slow-link":
      return { at, kind, target: target("any"), other: target("any") };
    case "disk-fault":
      return { at, kind, target: target("diskful"), fault: rnd.weighted({ EIO: 1, ENOSPC: 1, "read-EIO": 1, slow: 2, clear: 3 }) };
    case "handler-fault":
      return { at, kind, fault: rnd.weighted({ fail: 1, timeout: 1, none: 2 }) === "none" ? null : rnd.pick(["fail", "timeout"]) };
    case "crm":
      return { at, kind };
    case "switchover":
      return { at, kind };
    case "operator": {
      const op = rnd.weighted({ disconnect: 2, connect: 3, invalidate: 1, outdate: 1, detach: 1, attach: 2, secondary: 1 });
      return { at, kind, op, target: target(op === "secondary" ? "primary" : "secondary") };
    }
    case "force-split":
      return { at, kind };
    case "checkpoint":
      return { at, kind };
    default:
      return { at, kind: "heal" };
  }
}
function io(rnd, at, sizes) {
  const volume = rnd.int(sizes.length);
  const size2 = sizes[volume];
  const op = rnd.weighted({ write: 12, read: 5, zero: 1, trim: 1, flush: 2 });
  if (op === "flush") return { at, kind: "io", op, volume, offset: 0, length: 0, fua: false };
  const length = ioLength(rnd, size2, op);
  const align = rnd.chance(0.8) ? 4096 : 512;
  const offset = Math.floor(rnd.int(Math.max(1, (size2 - length) / align + 1))) * align;
  return { at, kind: "io", op, volume, offset: Math.min(offset, size2 - length), length, fua: op !== "read" && rnd.chance(0.1) };
}
function ioLength(rnd, volumeSize, op) {
  const bucket = rnd.weighted({ tiny: 2, small: 10, medium: 3, large: op === "read" ? 0.1 : 0.2, huge: 0.03 });
  let length;
  switch (bucket) {
    case "tiny":
      length = 512 * rnd.between(1, 7);
      break;
    case "small":
      length = 4096 * rnd.between(1, 16);
      break;
    case "medium":
      length = 4096 * rnd.between(17, 64);
      break;
    case "large":
      length = MiB * rnd.between(1, 4) + 4096 * rnd.int(64);
      break;
    default:
      length = MiB * rnd.between(5, 32);
  }
  return Math.min(length, volumeSize / 2);
}

// src/platform/sim/trace.ts
var Trace = class {
  /** keep: how many of the last lines to keep (Infinity: all) */
  constructor(keep = 400) {
    this.keep = keep;
  }
  keep;
  h1 = 3735928559;
  h2 = 1103547991;
  lines = [];
  /** lines recorded so far */
  count = 0;
  event(time, owner, kind, detail) {
    this.line(`${formatTime(time)} ${owner} ${kind}${detail ? " " + detail : ""}`);
  }
  note(time, owner, text2) {
    this.line(`${formatTime(time)} ${owner} | ${text2}`);
  }
  line(text2) {
    let h1 = this.h1;
    let h2 = this.h2;
    for (let i = 0; i < text2.length; i++) {
      const c = text2.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 2654435761);
      h2 = Math.imul(h2 ^ c, 1597334677);
    }
    this.h1 = Math.imul(h1 ^ 10, 2654435761);
    this.h2 = Math.imul(h2 ^ 10, 1597334677);
    this.count++;
    if (this.keep === 0) return;
    this.lines.push(text2);
    if (this.lines.length > this.keep * 2) {
      this.lines.splice(0, this.lines.length - this.keep);
    }
  }
  /** the run's fingerprint: 16 hex digits */
  hash() {
    const a = Math.imul(this.h1 ^ this.h1 >>> 16, 2246822507) ^ Math.imul(this.h2 ^ this.h2 >>> 13, 3266489909);
    const b = Math.imul(this.h2 ^ this.h2 >>> 16, 2246822507) ^ Math.imul(this.h1 ^ this.h1 >>> 13, 3266489909);
    return (a >>> 0).toString(16).padStart(8, "0") + (b >>> 0).toString(16).padStart(8, "0");
  }
  /** the kept lines (the last `keep` of them) */
  tail() {
    return this.keep === Infinity ? [...this.lines] : this.lines.slice(-this.keep);
  }
};
function formatTime(ms) {
  return (Math.round(ms * 1e3) / 1e3).toFixed(3).padStart(10, " ");
}

// src/platform/sim/scheduler.ts
var Owner = class {
  constructor(name) {
    this.name = name;
  }
  name;
  alive = true;
};
var WORLD = new Owner("world");
var Scheduler = class {
  time = 0;
  seq = 0;
  heap = [];
  /** events run so far */
  events = 0;
  trace;
  onError = (err) => {
    throw err;
  };
  constructor(trace = new Trace()) {
    this.trace = trace;
  }
  now() {
    return this.time;
  }
  setErrorHandler(handler) {
    this.onError = handler;
  }
  /** Queue `fire` to run `delay` ms from now (0: after everything already queued for now). */
  after(delay, owner, kind, detail, fire) {
    return this.at(this.time + Math.max(0, delay), owner, kind, detail, fire);
  }
  at(time, owner, kind, detail, fire) {
    const event = {
      time: Math.max(time, this.time),
      seq: this.seq++,
      owner,
      kind,
      detail,
      fire,
      cancelled: false,
      cancel() {
        this.cancelled = true;
      }
    };
    this.push(event);
    return event;
  }
  /** Events still queued (cancelled and dead ones included until they are popped). */
  get queued() {
    return this.heap.length;
  }
  /** The time of the next live event, or null when nothing is queued. */
  nextTime() {
    this.dropDead();
    return this.heap.length > 0 ? this.heap[0].time : null;
  }
  /**
   * Run events in order while their time is at most `until` and `stop()` says go on. Returns
   * with the clock at `until` (or at the event after which stop() said true).
   */
  async run(until, stop = () => false) {
    for (; ; ) {
      this.dropDead();
      const next = this.heap[0];
      if (next === void 0 || next.time > until) break;
      this.pop();
      this.time = next.time;
      this.events++;
      this.trace.event(next.time, next.owner.name, next.kind, next.detail);
      try {
        next.fire();
      } catch (err) {
        this.onError(err, { owner: next.owner.name, kind: next.kind, detail: next.detail });
      }
      await drainMicrotasks();
      if (stop()) return;
    }
    if (until > this.time && Number.isFinite(until)) this.time = until;
  }
  dropDead() {
    while (this.heap.length > 0 && (this.heap[0].cancelled || !this.heap[0].owner.alive)) this.pop();
  }
  // ---- binary heap on (time, seq) -------------------------------------------------------------
  push(e) {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const parent = i - 1 >> 1;
      if (!before(h[i], h[parent])) break;
      [h[i], h[parent]] = [h[parent], h[i]];
      i = parent;
    }
  }
  pop() {
    const h = this.heap;
    const last = h.pop();
    if (h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (; ; ) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && before(h[l], h[m])) m = l;
      if (r < h.length && before(h[r], h[m])) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m], h[i]];
      i = m;
    }
  }
};
function before(a, b) {
  return a.time < b.time || a.time === b.time && a.seq < b.seq;
}
function drainMicrotasks() {
  return new Promise((resolve) => setImmediate(resolve));
}

// src/meta/volume-metadata.ts
import { randomBytes as randomBytes2 } from "node:crypto";

// src/meta/crc32c.ts
var POLY = 2197175160;
var TABLES = (() => {
  const tables = Array.from({ length: 8 }, () => new Uint32Array(256));
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? c >>> 1 ^ POLY : c >>> 1;
    tables[0][n] = c >>> 0;
  }
  for (let n = 0; n < 256; n++) {
    for (let k = 1; k < 8; k++) tables[k][n] = (tables[0][tables[k - 1][n] & 255] ^ tables[k - 1][n] >>> 8) >>> 0;
  }
  return tables;
})();
var TABLE = TABLES[0];
var [T0, T1, T2, T3, T4, T5, T6, T7] = TABLES;
function crc32c(data, seed = 0) {
  let crc = ~seed >>> 0;
  let i = 0;
  const end8 = data.length - data.length % 8;
  for (; i < end8; i += 8) {
    const lo = (crc ^ (data[i] | data[i + 1] << 8 | data[i + 2] << 16 | data[i + 3] << 24)) >>> 0;
    crc = T7[lo & 255] ^ T6[lo >>> 8 & 255] ^ T5[lo >>> 16 & 255] ^ T4[lo >>> 24] ^ T3[data[i + 4]] ^ T2[data[i + 5]] ^ T1[data[i + 6]] ^ T0[data[i + 7]];
  }
  for (; i < data.length; i++) crc = TABLE[(crc ^ data[i]) & 255] ^ crc >>> 8;
  return ~crc >>> 0;
}
function zeroByte(register) {
  return (TABLE[register & 255] ^ register >>> 8) >>> 0;
}
var Crc32cPatcher = class {
  constructor(maxLength) {
    this.maxLength = maxLength;
    const words = maxLength / 4;
    if (!Number.isInteger(words) || words < 1) throw new RangeError(`Crc32cPatcher: ${maxLength} is not a positive multiple of 4`);
    this.columns = new Uint32Array(words * 32);
    for (let bit = 0; bit < 32; bit++) {
      let register = 0;
      for (let byte = 0; byte < 4; byte++) register = (TABLE[(register ^ 1 << bit >>> 8 * byte) & 255] ^ register >>> 8) >>> 0;
      for (let word = words - 1; word >= 0; word--) {
        this.columns[word * 32 + bit] = register;
        for (let z = 0; z < 4; z++) register = zeroByte(register);
      }
    }
  }
  maxLength;
  /** columns[(word * 32) + bit]: raw CRC of a buffer of maxLength bytes holding only that bit. */
  columns;
  /**
   * The CRC of a buffer of `length` bytes (a multiple of 4, at most maxLength) whose little-endian
   * word at byte `offset` changed from `before` to `after`, given its CRC before the change.
   */
  patch(crc, length, offset, before2, after) {
    let delta = (before2 ^ after) >>> 0;
    const base = (this.maxLength - length + offset >>> 2) * 32;
    while (delta !== 0) {
      const low = (delta & -delta) >>> 0;
      crc ^= this.columns[base + 31 - Math.clz32(low)];
      delta = (delta ^ low) >>> 0;
    }
    return crc >>> 0;
  }
};

// src/meta/activity-log.ts
var SLOT_TAG = 4;
var SLOT_CHECK = 6;
function slotCheck(entry, slot) {
  return crc32c(entry, slot) & 65535;
}
var PmemSlotTable = class {
  constructor(store, offset, slots, epoch) {
    this.store = store;
    this.offset = offset;
    this.slots = slots;
    this.epoch = epoch;
  }
  store;
  offset;
  slots;
  epoch;
  inline = true;
  /** one slot entry, reused: the store copies it at once */
  entry = new Uint8Array(8);
  entryView = new DataView(this.entry.buffer);
  /** Every slot free with a valid check (a zeroed slot is damage, not "free"); persisted. */
  format() {
    for (let slot = 0; slot < this.slots; slot++) this.store.write(this.offset + slot * 8, this.encode(slot, FREE_EXTENT, 0));
    this.store.persist(this.offset, this.slots * 8);
  }
  load() {
    const bytes2 = this.store.read(this.offset, this.slots * 8);
    const v = new DataView(bytes2.buffer);
    const table = new Uint32Array(this.slots).fill(FREE_EXTENT);
    const damaged = [];
    const tag = this.epoch & 65535;
    for (let i = 0; i < this.slots; i++) {
      const entry = bytes2.slice(i * 8, i * 8 + 8);
      const stored = v.getUint16(i * 8 + SLOT_CHECK, true);
      new DataView(entry.buffer).setUint16(SLOT_CHECK, 0, true);
      if (slotCheck(entry, i) !== stored) damaged.push(i);
      else if (v.getUint16(i * 8 + SLOT_TAG, true) === tag) table[i] = v.getUint32(i * 8, true);
    }
    const damage = damaged.length === 0 ? [] : [{
      message: `${damaged.length} PMEM slots fail their check (slot ${damaged.slice(0, 8).join(", ")}${damaged.length > 8 ? ", \u2026" : ""}): what they held is unknown`,
      incomplete: true
    }];
    return { table, damage };
  }
  record(updates) {
    for (const { slot, extent } of updates) {
      this.store.write(this.offset + slot * 8, this.encode(slot, extent, this.epoch));
      this.store.persist(this.offset + slot * 8, 8);
    }
  }
  setEpoch(epoch) {
    this.epoch = epoch;
  }
  /** Every slot failing its check becomes a free slot. */
  scrub() {
    const bytes2 = this.store.read(this.offset, this.slots * 8);
    for (let slot = 0; slot < this.slots; slot++) {
      const entry = bytes2.slice(slot * 8, slot * 8 + 8);
      const stored = entry[SLOT_CHECK] | entry[SLOT_CHECK + 1] << 8;
      entry.fill(0, SLOT_CHECK);
      if (slotCheck(entry, slot) !== stored) this.store.write(this.offset + slot * 8, this.encode(slot, FREE_EXTENT, 0));
    }
    this.store.persist(this.offset, this.slots * 8);
  }
  /** The entry in the reused buffer: extent, tag and check go to media in one 8-byte store. */
  encode(slot, extent, epoch) {
    this.entryView.setUint32(0, extent, true);
    this.entryView.setUint16(SLOT_TAG, epoch & 65535, true);
    this.entryView.setUint16(SLOT_CHECK, 0, true);
    this.entryView.setUint16(SLOT_CHECK, slotCheck(this.entry, slot), true);
    return this.entry;
  }
};
var BlockRing = class {
  constructor(store, offset, slots, epoch) {
    this.store = store;
    this.offset = offset;
    this.slots = slots;
    this.epoch = epoch;
  }
  store;
  offset;
  slots;
  epoch;
  inline = false;
  nextNumber = 0;
  contextCursor = 0;
  load() {
    const table = new Uint32Array(this.slots).fill(FREE_EXTENT);
    const txs = this.transactions();
    this.nextNumber = txs.all.length > 0 ? Math.max(...txs.all.map((t) => t.number)) + 1 : 0;
    for (const tx of txs.current) {
      for (const u of tx.updates) if (u.slot < this.slots) table[u.slot] = u.extent;
      tx.context.forEach((extent, i) => {
        if (tx.contextStart + i < this.slots) table[tx.contextStart + i] = extent;
      });
    }
    const last = txs.current.at(-1);
    this.contextCursor = last ? (last.contextStart + last.context.length) % this.slots : 0;
    return { table, damage: this.damage(txs.all, txs.badBlocks) };
  }
  /**
   * Whether the table was rebuilt in full. Walking back from the newest transaction through
   * consecutive numbers, the current epoch's context windows must cover every slot before a
   * number is missing (or an older epoch, or the first transaction, is reached). The block after
   * the newest may be torn by a crash (that transaction was never reported durable); a bad block
   * anywhere else is damage, harmless only when the walk did not need it. A damaged newest
   * transaction cannot be told from a torn one: the ring's design accepts that (as DRBD's does).
   */
  damage(all, badBlocks) {
    const byNumber = new Map(all.map((t) => [t.number, t]));
    const newest = all.length > 0 ? Math.max(...all.map((t) => t.number)) : -1;
    const tornCandidate = (newest + 1) % AL_RING_BLOCKS;
    const covered = new Uint8Array(this.slots);
    let uncovered = this.slots;
    const cover = (slot) => {
      if (slot < this.slots && covered[slot] === 0) {
        covered[slot] = 1;
        uncovered--;
      }
    };
    let missing;
    for (let m = newest; m >= 0 && uncovered > 0; m--) {
      const tx = byNumber.get(m);
      if (!tx || m <= newest - AL_RING_BLOCKS) {
        missing = m;
        break;
      }
      if (tx.epoch !== this.epoch) break;
      tx.updates.forEach((u) => cover(u.slot));
      tx.context.forEach((_, i) => cover(tx.contextStart + i));
    }
    const damage = [];
    if (missing !== void 0) {
      damage.push({
        message: `transaction #${missing} (ring block ${missing % AL_RING_BLOCKS}) is missing or damaged and the newer ones do not rebuild the hot set (${uncovered} of ${this.slots} slots unknown)`,
        incomplete: true
      });
    }
    const needless = badBlocks.filter((b) => b !== tornCandidate && (missing === void 0 || b !== missing % AL_RING_BLOCKS));
    if (needless.length > 0) {
      damage.push({ message: `ring blocks ${needless.join(", ")} fail their CRC (not needed to rebuild the hot set)`, incomplete: false });
    }
    return damage;
  }
  /** Valid transactions in the ring (all epochs), and those of the current epoch oldest first. */
  transactions() {
    const all = [];
    const badBlocks = [];
    for (let b = 0; b < AL_RING_BLOCKS; b++) {
      const tx = decodeTransaction(this.store.read(this.offset + b * BLOCK, BLOCK));
      if (tx === "empty") continue;
      if (tx === "bad" || tx.number % AL_RING_BLOCKS !== b) badBlocks.push(b);
      else all.push(tx);
    }
    const current2 = all.filter((t) => t.epoch === this.epoch).sort((a, b) => a.number - b.number);
    return { all, current: current2, torn: badBlocks.length, badBlocks };
  }
  record(updates, table) {
    const transactions = Math.max(1, Math.ceil(updates.length / AL_TX_UPDATES_MAX));
    for (let n = 0; n < transactions; n++) this.write(updates.slice(n * AL_TX_UPDATES_MAX, (n + 1) * AL_TX_UPDATES_MAX), table);
    this.store.persist(this.offset, AL_RING_BLOCKS * BLOCK);
  }
  /** Write (not persist) the next transaction: these updates and the next context window of `table`. */
  write(updates, table) {
    const window = Math.min(CONTEXT_PER_TRANSACTION, this.slots - this.contextCursor);
    const context = Array.from({ length: window }, (_, k) => table[this.contextCursor + k]);
    const tx = { number: this.nextNumber++, epoch: this.epoch, updates, contextStart: this.contextCursor, context };
    this.contextCursor = (this.contextCursor + context.length) % this.slots;
    this.store.write(this.offset + tx.number % AL_RING_BLOCKS * BLOCK, encodeTransaction(tx));
  }
  setEpoch(epoch) {
    this.epoch = epoch;
    this.contextCursor = 0;
  }
  /**
   * A full turn of the ring with the new epoch's (empty) table: every block, damaged or not, is
   * rewritten, and the newest transactions alone rebuild the table.
   */
  scrub() {
    this.load();
    const table = new Uint32Array(this.slots).fill(FREE_EXTENT);
    for (let n = 0; n < AL_RING_BLOCKS; n++) this.write([], table);
    this.store.persist(this.offset, AL_RING_BLOCKS * BLOCK);
  }
};
function encodeTransaction(tx) {
  assert(tx.updates.length <= AL_TX_UPDATES_MAX && tx.context.length <= CONTEXT_PER_TRANSACTION, "AL transaction fits one block");
  const bytes2 = new Uint8Array(BLOCK);
  const v = new DataView(bytes2.buffer);
  v.setUint32(0, AL_TX_MAGIC, true);
  v.setBigUint64(8, BigInt(tx.number), true);
  v.setUint32(16, tx.epoch >>> 0, true);
  v.setUint16(20, tx.updates.length, true);
  v.setUint16(22, tx.contextStart, true);
  v.setUint16(24, tx.context.length, true);
  tx.updates.forEach((u, i) => {
    v.setUint32(32 + i * 8, u.slot, true);
    v.setUint32(36 + i * 8, u.extent, true);
  });
  tx.context.forEach((e, i) => v.setUint32(AL_TX_CONTEXT_OFFSET + i * 4, e, true));
  v.setUint32(4, crc32c(bytes2), true);
  return bytes2;
}
function decodeTransaction(bytes2) {
  const v = new DataView(bytes2.buffer, bytes2.byteOffset, bytes2.byteLength);
  if (v.getUint32(0, true) !== AL_TX_MAGIC) return bytes2.every((b) => b === 0) ? "empty" : "bad";
  const stored = v.getUint32(4, true);
  const copy = bytes2.slice();
  new DataView(copy.buffer).setUint32(4, 0, true);
  if (crc32c(copy) !== stored) return "bad";
  const nUpdates = v.getUint16(20, true);
  const nContext = v.getUint16(24, true);
  if (nUpdates > AL_TX_UPDATES_MAX || nContext > CONTEXT_PER_TRANSACTION) return "bad";
  return {
    number: Number(v.getBigUint64(8, true)),
    epoch: v.getUint32(16, true),
    updates: Array.from({ length: nUpdates }, (_, i) => ({ slot: v.getUint32(32 + i * 8, true), extent: v.getUint32(36 + i * 8, true) })),
    contextStart: v.getUint16(22, true),
    context: Array.from({ length: nContext }, (_, i) => v.getUint32(AL_TX_CONTEXT_OFFSET + i * 4, true))
  };
}
var MAX_WAITERS = 65536;
var ActivityLog = class {
  constructor(journal, table, hooks) {
    this.journal = journal;
    this.hooks = hooks;
    this.table = table;
    for (let slot = this.table.length - 1; slot >= 0; slot--) {
      if (this.table[slot] === FREE_EXTENT) this.freeSlots.push(slot);
      else this.lru.set(this.table[slot], slot);
    }
    for (const [extent, slot] of this.lru) this.ready.set(extent, slot);
  }
  journal;
  hooks;
  table;
  /** extent → slot, in LRU order (oldest first: Map keeps insertion order). */
  lru = /* @__PURE__ */ new Map();
  pins = /* @__PURE__ */ new Map();
  freeSlots = [];
  waiters = [];
  batch;
  failure;
  /**
   * The evictable extents → slot, in the order they became so (idle, writes durable): an AL miss
   * takes the first in O(1). Scanning the LRU instead cost a full pass per miss and per completed
   * write while writes waited for a flush (the random-write case: every write misses).
   */
  ready = /* @__PURE__ */ new Map();
  /** Idle extents whose last write is not yet known durable → its sequence number (ascending). */
  undurable = /* @__PURE__ */ new Map();
  writeSeq = 0;
  flushing;
  /** Extents in the AL, least recently used first. */
  hot() {
    return [...this.lru.keys()];
  }
  pinned(extent) {
    return this.pins.get(extent) ?? 0;
  }
  /** `true` when the extent is durable in the AL now; a Promise when it will be. Pins the extent. */
  activate(extent) {
    if (this.failure) throw this.failure;
    const slot = this.lru.get(extent);
    if (slot !== void 0) {
      this.pin(extent);
      this.ready.delete(extent);
      this.undurable.delete(extent);
      this.lru.delete(extent);
      this.lru.set(extent, slot);
      if (this.batch?.extents.has(extent)) return this.batch.done;
      return true;
    }
    const target = this.takeSlot();
    if (target === void 0) {
      const waiting = this.wait(extent);
      this.flushIfThatFreesASlot();
      return waiting;
    }
    this.pin(extent);
    return this.place(extent, target.slot, target.evicted);
  }
  /** A write on the extent completed everywhere it was going: the extent may become idle. */
  complete(extent) {
    const n = this.pins.get(extent);
    assert(n !== void 0 && n > 0, "complete() matches an activate()");
    const seq = ++this.writeSeq;
    if (n > 1) {
      this.pins.set(extent, n - 1);
      return;
    }
    this.pins.delete(extent);
    if (this.hooks.flushData) this.undurable.set(extent, seq);
    else this.ready.set(extent, this.lru.get(extent));
    this.serveWaiters();
  }
  pin(extent) {
    this.pins.set(extent, (this.pins.get(extent) ?? 0) + 1);
  }
  /** A free slot, or the slot of the least recently used idle extent (which is evicted). */
  takeSlot() {
    const free = this.freeSlots.pop();
    if (free !== void 0) return { slot: free };
    for (const [extent, slot] of this.ready) {
      assert(!this.pins.has(extent) && !this.batch?.extents.has(extent) && !this.undurable.has(extent), "a ready extent is idle and durable");
      this.ready.delete(extent);
      this.lru.delete(extent);
      return { slot, evicted: extent };
    }
    return void 0;
  }
  place(extent, slot, evicted) {
    this.table[slot] = extent;
    this.lru.set(extent, slot);
    const update = { slot, extent };
    if (this.journal.inline) {
      this.guard(() => {
        if (evicted !== void 0) this.hooks.beforeEvict([evicted]);
        this.journal.record([update], this.table);
      });
      return true;
    }
    const batch = this.batch ?? this.openBatch();
    batch.updates.push(update);
    batch.extents.add(extent);
    if (evicted !== void 0) batch.evicted.push(evicted);
    return batch.done;
  }
  openBatch() {
    let settle2;
    const done = new Promise((resolve, reject) => {
      settle2 = { resolve, reject };
    });
    const batch = { updates: [], evicted: [], extents: /* @__PURE__ */ new Set(), done };
    this.batch = batch;
    this.hooks.defer(() => {
      this.batch = void 0;
      try {
        this.guard(() => {
          if (batch.evicted.length > 0) this.hooks.beforeEvict(batch.evicted);
          this.journal.record(batch.updates, this.table);
        });
        settle2.resolve();
      } catch (err) {
        settle2.reject(err);
      }
    });
    return batch;
  }
  /** A failed metadata write leaves media and memory out of step: refuse all further use. */
  guard(action) {
    try {
      action();
    } catch (err) {
      this.failure = err instanceof TandemError ? err : new TandemError("TANDEM_E_IO", `activity-log update failed: ${err.message}`, {
        hint: "the metadata device failed; detach the volume and check the device",
        cause: err
      });
      throw this.failure;
    }
  }
  wait(extent) {
    if (this.waiters.length >= MAX_WAITERS) {
      throw new TandemError("TANDEM_E_STATE", `more than ${MAX_WAITERS} writes wait for an activity-log slot`, {
        hint: "every AL slot is pinned by writes in flight; raise al-extents or lower the I/O depth"
      });
    }
    return new Promise((resolve, reject) => this.waiters.push({ extent, resolve, reject }));
  }
  serveWaiters() {
    while (this.waiters.length > 0) {
      const w = this.waiters[0];
      let result;
      try {
        if (!this.lru.has(w.extent) && !this.hasIdle()) {
          this.flushIfThatFreesASlot();
          return;
        }
        result = this.activate(w.extent);
      } catch (err) {
        this.waiters.shift();
        w.reject(err);
        continue;
      }
      this.waiters.shift();
      if (result === true) w.resolve();
      else result.then(w.resolve, w.reject);
    }
  }
  hasIdle() {
    return this.freeSlots.length > 0 || this.ready.size > 0;
  }
  /** Every slot is taken and some idle extent waits only for the data disk: flush it (one at a time). */
  flushIfThatFreesASlot() {
    const flushData = this.hooks.flushData;
    if (!flushData || this.flushing || this.failure) return;
    if (this.undurable.size === 0) return;
    const upTo = this.writeSeq;
    this.flushing = flushData().then(
      () => this.becameDurable(upTo),
      (err) => this.failAll(new TandemError("TANDEM_E_IO", `data disk flush before an activity-log eviction failed: ${err.message}`, {
        hint: "the data disk failed; detach the volume and check the device",
        cause: err
      }))
    ).finally(() => {
      this.flushing = void 0;
      this.serveWaiters();
    });
  }
  /** Every write completed up to `seq` is on stable media: the extents idle since are evictable. */
  becameDurable(seq) {
    for (const [extent, last] of this.undurable) {
      if (last > seq) break;
      this.undurable.delete(extent);
      this.ready.set(extent, this.lru.get(extent));
    }
  }
  /** The AL cannot go on safely: every waiting and later activation fails with `err`. */
  failAll(err) {
    this.failure = err;
    for (const w of this.waiters.splice(0)) w.reject(err);
  }
};

// src/meta/bitmap.ts
var CHUNK_WORDS = 16 * 1024;
var CHUNK_PAGES = 16;
var BITS_PER_EXTENT = AL_EXTENT_BYTES / BYTES_PER_BIT;
var WORDS_PER_EXTENT = BITS_PER_EXTENT / 32;
var PATCH_BITS_MAX = 512;
var SPARE_MAX = 64;
var patcher;
var Bitmap = class {
  constructor(store, g) {
    this.store = store;
    this.g = g;
    this.volumeBits = Math.ceil(g.volumeSize / BYTES_PER_BIT);
    this.crcs = new Uint32Array(g.bmPages);
    const table = new DataView(store.read(g.bmCrcOffset, g.bmPages * BITMAP_CRC_BYTES).buffer);
    for (let p = 0; p < g.bmPages; p++) this.crcs[p] = table.getUint32(p * BITMAP_CRC_BYTES, true);
    this.counts = new Array(g.maxPeers).fill(0);
    this.damaged = this.verifyAndCount();
  }
  store;
  g;
  counts;
  /** Checksum of each page as on media (trusted after a page is verified or repaired). */
  crcs;
  /** Extents with held bits → their words as meant to be, and as on media (kept in step by durable changes). */
  held = /* @__PURE__ */ new Map();
  /** Entries of extents written back, reused (one per AL slot at most): no allocation per write. */
  spare = [];
  /** one checksum entry, reused: the store copies it at once */
  crcEntry = new Uint8Array(BITMAP_CRC_BYTES);
  /** Pages whose checksum failed when the bitmap was opened (cleared by repair). */
  damaged;
  volumeBits;
  /** Write the checksums of an all-zero bitmap (formatting has zeroed the pages). Not persisted. */
  static format(store, g) {
    const table = new Uint8Array(g.bmCrcLength);
    const v = new DataView(table.buffer);
    const zeros = new Uint8Array(BITMAP_PAGE);
    for (let p = 0; p < g.bmPages; p++) v.setUint32(p * BITMAP_CRC_BYTES, crc32c(zeros.subarray(0, pageLength(g, p)), p), true);
    store.write(g.bmCrcOffset, table);
  }
  /** Bit range [first, end) covering the byte range [offset, offset + length) of the volume. */
  bitsOf(offset, length) {
    assert(offset >= 0 && length >= 0 && offset + length <= this.g.volumeSize, "bitmap byte range inside the volume");
    return [Math.floor(offset / BYTES_PER_BIT), Math.ceil((offset + length) / BYTES_PER_BIT)];
  }
  /** Set bits [first, end) in every slot listed; persisted, with the pages' checksums, on return. */
  set(slots, first, end) {
    this.modify(slots, first, end, (word, mask) => (word | mask) >>> 0);
  }
  /** Clear bits [first, end) in every slot listed (held ones too); persisted on return. */
  clear(slots, first, end) {
    this.modify(slots, first, end, (word, mask) => (word & ~mask) >>> 0);
  }
  /**
   * Set bits [first, end) in memory only. The caller keeps every extent of the range in the AL
   * until writeBack(extent): until then a crash is covered by the AL replay.
   */
  hold(slots, first, end) {
    this.checkRange(slots, first, end);
    if (first === end || slots.length === 0) return;
    for (let e = Math.floor(first / BITS_PER_EXTENT); e <= Math.floor((end - 1) / BITS_PER_EXTENT); e++) {
      const { words } = this.heldWords(e);
      const w0 = e * WORDS_PER_EXTENT;
      for (let w = Math.max(first >>> 5, w0); w <= Math.min(end - 1 >>> 5, w0 + WORDS_PER_EXTENT - 1); w++) {
        const mask = maskOf(w, first, end);
        for (const s of slots) {
          const i = (w - w0) * this.g.maxPeers + s;
          const next = (words[i] | mask) >>> 0;
          this.counts[s] += popcount(next) - popcount(words[i]);
          words[i] = next;
        }
      }
    }
  }
  /** Extents holding bits not yet on media. */
  heldExtents() {
    return [...this.held.keys()];
  }
  /**
   * Write the held bits of these extents with their pages' checksums and persist them all at
   * once; the extents may then leave the AL. A page's checksum is patched per changed word (a
   * write for a missed block changes one bit), or recomputed when so many bits changed that
   * patching would cost more (a whole extent marked for a peer).
   */
  writeBack(extents) {
    const changes = [];
    const changedBits = /* @__PURE__ */ new Map();
    for (const e of extents) {
      const entry = this.held.get(e);
      if (!entry) continue;
      this.held.delete(e);
      const { words, onMedia } = entry;
      const at = this.extentOffset(e);
      let changed = false;
      for (let i = 0; i < words.length; i++) {
        if (onMedia[i] === words[i]) continue;
        const p = Math.floor((at - this.g.bmOffset + i * 4) / BITMAP_PAGE);
        changedBits.set(p, (changedBits.get(p) ?? 0) + popcount(onMedia[i] ^ words[i]));
        changed = true;
      }
      if (changed) changes.push({ at, words, onMedia });
      else this.recycle(entry);
    }
    if (changes.length === 0) return;
    const ranges = [];
    for (const { at, words, onMedia } of changes) {
      for (let i = 0; i < words.length; i++) {
        const offset = at - this.g.bmOffset + i * 4;
        const p = Math.floor(offset / BITMAP_PAGE);
        if (onMedia[i] === words[i] || changedBits.get(p) > PATCH_BITS_MAX) continue;
        this.crcs[p] = patcherFor().patch(this.crcs[p], pageLength(this.g, p), offset - p * BITMAP_PAGE, onMedia[i], words[i]);
      }
      this.store.write(at, new Uint8Array(words.buffer, words.byteOffset, words.byteLength));
      ranges.push([at, words.byteLength]);
    }
    for (const { words, onMedia } of changes) this.recycle({ words, onMedia });
    for (const [p, bits] of changedBits) {
      if (bits > PATCH_BITS_MAX) this.crcs[p] = crc32c(this.store.read(this.g.bmOffset + p * BITMAP_PAGE, pageLength(this.g, p)), p);
      ranges.push(this.writeCrc(p));
    }
    this.store.persistRanges(ranges);
  }
  /**
   * Read every damaged page as "all bits set for every slot" (bits beyond the volume's end stay
   * clear) and write it with a valid checksum; persisted on return.
   */
  repair() {
    const repaired = this.damaged;
    const ranges = [];
    for (const d of repaired) {
      const bytes2 = new Uint8Array(d.length);
      const words = littleEndianWords(bytes2);
      const firstWord = d.offset / 4;
      for (let i = 0; i < words.length; i++) words[i] = maskOf(Math.floor((firstWord + i) / this.g.maxPeers), 0, this.volumeBits);
      this.store.write(this.g.bmOffset + d.offset, bytes2);
      this.crcs[d.page] = crc32c(bytes2, d.page);
      ranges.push([this.g.bmOffset + d.offset, d.length], this.writeCrc(d.page));
    }
    if (ranges.length > 0) this.store.persistRanges(ranges);
    this.damaged = [];
    if (repaired.length > 0) {
      this.counts.fill(0);
      this.verifyAndCount();
    }
    return repaired;
  }
  test(slot, bit) {
    this.checkSlot(slot);
    assert(bit >= 0 && bit < this.g.bitsPerSlot, "bit inside the slot");
    const e = Math.floor(bit / BITS_PER_EXTENT);
    const held = this.held.get(e);
    const word = held ? held.words[((bit >>> 5) - e * WORDS_PER_EXTENT) * this.g.maxPeers + slot] : new DataView(this.store.read(this.wordOffset(bit >>> 5, slot), 4).buffer).getUint32(0, true);
    return (word >>> (bit & 31) & 1) === 1;
  }
  /** Set bits of a slot (O(1), maintained on every change). */
  count(slot) {
    this.checkSlot(slot);
    return this.counts[slot];
  }
  /** Set bits of a slot within [first, end). */
  countRange(slot, first, end) {
    this.checkSlot(slot);
    let total = 0;
    this.forEachChunk(first, end, (w0, w1, words) => {
      for (let w = w0; w < w1; w++) total += popcount(words[(w - w0) * this.g.maxPeers + slot] & maskOf(w, first, end));
    });
    return total;
  }
  /** Runs of set bits of a slot as [firstBit, endBit) pairs (for dump and resync planning). */
  runs(slot, limit = Infinity) {
    this.checkSlot(slot);
    const runs = [];
    let start = -1;
    this.forEachChunk(0, this.g.bitsPerSlot, (w0, w1, words) => {
      for (let w = w0; w < w1 && runs.length < limit; w++) {
        const word = words[(w - w0) * this.g.maxPeers + slot];
        if (word === 0 && start < 0 || word === 4294967295 && start >= 0) continue;
        for (let b = 0; b < 32; b++) {
          const set = (word >>> b & 1) === 1;
          if (set && start < 0) start = w * 32 + b;
          if (!set && start >= 0) {
            runs.push([start, w * 32 + b]);
            start = -1;
          }
        }
      }
    });
    if (start >= 0 && runs.length < limit) runs.push([start, this.g.bitsPerSlot]);
    return runs;
  }
  /** Read-modify-write whole pages, recompute the changed pages' checksums, persist data and checksums. */
  modify(slots, first, end, op) {
    this.checkRange(slots, first, end);
    if (first === end || slots.length === 0) return;
    const inSlots = new Array(this.g.maxPeers).fill(false);
    for (const s of slots) inSlots[s] = true;
    const { maxPeers } = this.g;
    const i0 = (first >>> 5) * maxPeers;
    const i1 = ((end - 1 >>> 5) + 1) * maxPeers;
    const lastPage = Math.floor((i1 * 4 - 1) / BITMAP_PAGE);
    const ranges = [];
    for (let p0 = Math.floor(i0 * 4 / BITMAP_PAGE); p0 <= lastPage; p0 += CHUNK_PAGES) {
      const p1 = Math.min(lastPage + 1, p0 + CHUNK_PAGES);
      const at = p0 * BITMAP_PAGE;
      const bytes2 = this.store.read(this.g.bmOffset + at, Math.min(p1 * BITMAP_PAGE, this.g.bmLength) - at);
      const words = littleEndianWords(bytes2);
      const changed = /* @__PURE__ */ new Set();
      for (let i = Math.max(i0, at / 4); i < Math.min(i1, at / 4 + words.length); i++) {
        const w = Math.floor(i / maxPeers);
        const s = i - w * maxPeers;
        if (!inSlots[s]) continue;
        const mask = maskOf(w, first, end);
        const k = i - at / 4;
        const next = op(words[k], mask);
        const held = this.held.get(Math.floor(w / WORDS_PER_EXTENT));
        const h = w % WORDS_PER_EXTENT * maxPeers + s;
        const before2 = held ? held.words[h] : words[k];
        if (held) {
          held.words[h] = op(held.words[h], mask);
          held.onMedia[h] = next;
        }
        this.counts[s] += popcount(held ? held.words[h] : next) - popcount(before2);
        if (next === words[k]) continue;
        words[k] = next;
        changed.add(Math.floor(i * 4 / BITMAP_PAGE));
      }
      if (changed.size === 0) continue;
      this.store.write(this.g.bmOffset + at, bytes2);
      ranges.push([this.g.bmOffset + at, bytes2.length]);
      for (const p of changed) {
        const from = (p - p0) * BITMAP_PAGE;
        this.crcs[p] = crc32c(bytes2.subarray(from, from + pageLength(this.g, p)), p);
        ranges.push(this.writeCrc(p));
      }
    }
    if (ranges.length > 0) this.store.persistRanges(ranges);
  }
  /** Write one page's checksum (4 bytes, inside one aligned 8-byte word: never torn); the range to persist. */
  writeCrc(page) {
    const crc = this.crcs[page];
    for (let i = 0; i < BITMAP_CRC_BYTES; i++) this.crcEntry[i] = crc >>> 8 * i & 255;
    const at = this.g.bmCrcOffset + page * BITMAP_CRC_BYTES;
    this.store.write(at, this.crcEntry);
    return [at, BITMAP_CRC_BYTES];
  }
  /** The held words of an extent, read from media the first time. */
  heldWords(e) {
    let entry = this.held.get(e);
    if (!entry) {
      const lastWord = Math.min((e + 1) * WORDS_PER_EXTENT, this.g.bitsPerSlot / 32);
      const length = (lastWord - e * WORDS_PER_EXTENT) * this.g.maxPeers;
      const spare = length === WORDS_PER_EXTENT * this.g.maxPeers ? this.spare.pop() : void 0;
      entry = spare ?? { words: new Uint32Array(length), onMedia: new Uint32Array(length) };
      this.store.readInto(this.extentOffset(e), new Uint8Array(entry.onMedia.buffer, entry.onMedia.byteOffset, entry.onMedia.byteLength));
      assert(LITTLE_ENDIAN_HOST, "little-endian host");
      entry.words.set(entry.onMedia);
      this.held.set(e, entry);
    }
    return entry;
  }
  recycle(entry) {
    if (entry.words.length === WORDS_PER_EXTENT * this.g.maxPeers && this.spare.length < SPARE_MAX) this.spare.push(entry);
  }
  extentOffset(e) {
    return this.wordOffset(e * WORDS_PER_EXTENT, 0);
  }
  /** One pass over the media: the pages whose data does not match their checksum, and every slot's count. */
  verifyAndCount() {
    const damaged = [];
    const { maxPeers } = this.g;
    for (let p0 = 0; p0 < this.g.bmPages; p0 += CHUNK_PAGES) {
      const p1 = Math.min(this.g.bmPages, p0 + CHUNK_PAGES);
      const bytes2 = this.store.read(this.g.bmOffset + p0 * BITMAP_PAGE, Math.min(p1 * BITMAP_PAGE, this.g.bmLength) - p0 * BITMAP_PAGE);
      const words = littleEndianWords(bytes2);
      const firstWord = p0 * BITMAP_PAGE / 4;
      const used = Math.min(words.length, this.g.bitsPerSlot / 32 * maxPeers - firstWord);
      for (let i = 0; i < used; i++) if (words[i] !== 0) this.counts[(firstWord + i) % maxPeers] += popcount(words[i]);
      for (let p = p0; p < p1; p++) {
        const from = (p - p0) * BITMAP_PAGE;
        const length = pageLength(this.g, p);
        if (crc32c(bytes2.subarray(from, from + length), p) === this.crcs[p]) continue;
        const offset = p * BITMAP_PAGE;
        const first = Math.floor(offset / 4 / maxPeers);
        const end = Math.min(Math.floor(((offset + length) / 4 - 1) / maxPeers) + 1, this.g.bitsPerSlot / 32);
        damaged.push({ page: p, offset, length, firstBit: first * 32, endBit: Math.max(first, end) * 32 });
      }
    }
    return damaged;
  }
  /** Visit the interleaved words of logical words [first>>5, (end-1)>>5] chunk by chunk, held bits included. */
  forEachChunk(first, end, visit) {
    if (end <= first) return;
    const lastWord = end - 1 >>> 5;
    for (let w0 = first >>> 5; w0 <= lastWord; w0 += CHUNK_WORDS) {
      const w1 = Math.min(lastWord + 1, w0 + CHUNK_WORDS);
      const words = littleEndianWords(this.store.read(this.wordOffset(w0, 0), (w1 - w0) * this.g.maxPeers * 4));
      for (const [e, { words: held }] of this.held) {
        const h0 = e * WORDS_PER_EXTENT;
        const from = Math.max(w0, h0);
        const to = Math.min(w1, h0 + held.length / this.g.maxPeers);
        if (from < to) words.set(held.subarray((from - h0) * this.g.maxPeers, (to - h0) * this.g.maxPeers), (from - w0) * this.g.maxPeers);
      }
      visit(w0, w1, words);
    }
  }
  wordOffset(logicalWord, slot) {
    return this.g.bmOffset + (logicalWord * this.g.maxPeers + slot) * 4;
  }
  checkRange(slots, first, end) {
    slots.forEach((s) => this.checkSlot(s));
    assert(first >= 0 && first <= end && end <= this.g.bitsPerSlot, "bit range inside the slot");
  }
  checkSlot(slot) {
    assert(Number.isInteger(slot) && slot >= 0 && slot < this.g.maxPeers, "bitmap slot inside max peers");
  }
};
function pageLength(g, p) {
  return Math.min(BITMAP_PAGE, g.bmLength - p * BITMAP_PAGE);
}
function patcherFor() {
  patcher ??= new Crc32cPatcher(BITMAP_PAGE);
  return patcher;
}
function maskOf(w, first, end) {
  const lo = Math.max(first - w * 32, 0);
  const hi = Math.min(end - w * 32, 32);
  if (lo >= hi) return 0;
  const width = hi - lo;
  return (width === 32 ? 4294967295 : (1 << width) - 1 << lo) >>> 0;
}
function popcount(x) {
  x -= x >>> 1 & 1431655765;
  x = (x & 858993459) + (x >>> 2 & 858993459);
  return (x + (x >>> 4) & 252645135) * 16843009 >>> 24;
}
var LITTLE_ENDIAN_HOST = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
function littleEndianWords(bytes2) {
  assert(LITTLE_ENDIAN_HOST, "little-endian host");
  return new Uint32Array(bytes2.buffer, bytes2.byteOffset, bytes2.byteLength / 4);
}

// src/meta/generations.ts
import { randomBytes } from "node:crypto";
var GENERATION_PRIMARY2 = 1n;
function randomGeneration(primary) {
  let id = randomBytes(8).readBigUInt64LE(0) & ~GENERATION_PRIMARY2;
  if (id === 0n) id = 2n;
  return primary ? id | GENERATION_PRIMARY2 : id;
}
function startGeneration(sb, next) {
  const old = sb.currentGeneration;
  const peers = sb.peers.map((p) => {
    const absent = p.nodeId !== NO_NODE && (p.flags & PEER_FLAGS.PEER_CONNECTED) === 0;
    return absent && p.bitmapGeneration === 0n && old !== 0n ? { ...p, bitmapGeneration: old } : p;
  });
  return { ...sb, currentGeneration: next, peers, history: old === 0n ? [...sb.history] : pushHistory(sb.history, old) };
}
function retireBitmapGeneration(sb, slot) {
  const id = sb.peers[slot].bitmapGeneration;
  if (id === 0n) return sb;
  const peers = sb.peers.map((p, i) => i === slot ? { ...p, bitmapGeneration: 0n } : p);
  if ((id & ~GENERATION_PRIMARY2) === (sb.currentGeneration & ~GENERATION_PRIMARY2)) return { ...sb, peers };
  return { ...sb, peers, history: pushHistory(sb.history, id) };
}
function pushHistory(history, id) {
  return mergeHistory([id], history);
}
function mergeHistory(newer, older) {
  const seen = /* @__PURE__ */ new Set();
  const out = [];
  for (const id of [...newer, ...older]) {
    const key = id & ~GENERATION_PRIMARY2;
    if (id === 0n || seen.has(key)) continue;
    seen.add(key);
    out.push(id);
  }
  return [...out, ...new Array(HISTORY_LENGTH).fill(0n)].slice(0, HISTORY_LENGTH);
}
function adoptGeneration(sb, current2, sourceHistory) {
  const old = sb.currentGeneration;
  const history = mergeHistory([...sourceHistory, old], sb.history).filter((h) => (h & ~GENERATION_PRIMARY2) !== (current2 & ~GENERATION_PRIMARY2));
  const peers = sb.peers.map((p) => {
    if ((p.bitmapGeneration & ~GENERATION_PRIMARY2) === (current2 & ~GENERATION_PRIMARY2)) return { ...p, bitmapGeneration: 0n };
    const absent = p.nodeId !== NO_NODE && (p.flags & PEER_FLAGS.PEER_CONNECTED) === 0;
    return absent && p.bitmapGeneration === 0n && old !== 0n && (old & ~GENERATION_PRIMARY2) !== (current2 & ~GENERATION_PRIMARY2) ? { ...p, bitmapGeneration: old } : p;
  });
  return { ...sb, currentGeneration: current2, peers, history: mergeHistory(history, []) };
}

// src/meta/placement.ts
import { closeSync as closeSync3, ftruncateSync as ftruncateSync3, openSync as openSync3, statSync } from "node:fs";

// src/lib/units.ts
var KiB = 1024;
var MiB2 = 1024 * KiB;
var GiB = 1024 * MiB2;
var TiB = 1024 * GiB;
var BINARY = { "": 1, b: 1, k: KiB, kib: KiB, m: MiB2, mib: MiB2, g: GiB, gib: GiB, t: TiB, tib: TiB, p: TiB * 1024, pib: TiB * 1024 };
var DECIMAL = { kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, pb: 1e15 };
var SIZE_SYNTAX = "a whole number of bytes, optionally with a unit: K/KiB, M/MiB, G/GiB, T/TiB (binary) or KB, MB, GB, TB (decimal)";
function tryParseSize(text2) {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text2);
  if (!m) return void 0;
  const unit = m[2].toLowerCase();
  const factor = BINARY[unit] ?? DECIMAL[unit];
  if (factor === void 0) return void 0;
  const value = Number(m[1]) * factor;
  if (!Number.isSafeInteger(value)) return void 0;
  return value;
}
function formatSize(bytes2) {
  const units = [["TiB", TiB], ["GiB", GiB], ["MiB", MiB2], ["KiB", KiB]];
  for (const [name, factor] of units) {
    if (bytes2 >= factor) {
      const v = bytes2 / factor;
      return `${Number.isInteger(v) ? v : v.toFixed(2)}${name}`;
    }
  }
  return `${bytes2}B`;
}

// src/meta/dual-copy.ts
var HEADER = { magic: 0, version: 8, crc: 12, seq: 16 };
function readDualCopy(store, offsets, size2, magic, maxVersion, minVersion = 1) {
  const copies = [];
  let best;
  offsets.forEach((offset, copy) => {
    const bytes2 = store.read(offset, size2);
    const report = classify(bytes2, magic, maxVersion, minVersion);
    copies.push({ copy, offset, ...report });
    if (report.status === "valid" && (best === void 0 || report.seq > best.seq)) best = { copy, bytes: bytes2, seq: report.seq };
  });
  return { best, copies };
}
function writeDualCopy(store, offsets, bytes2, seq, currentCopy) {
  const copy = currentCopy === void 0 ? 0 : (currentCopy + 1) % offsets.length;
  seal(bytes2, seq);
  store.write(offsets[copy], bytes2);
  store.persist(offsets[copy], bytes2.length);
  return copy;
}
function seal(bytes2, seq) {
  const view = new DataView(bytes2.buffer, bytes2.byteOffset, bytes2.byteLength);
  view.setBigUint64(HEADER.seq, BigInt(seq), true);
  view.setUint32(HEADER.crc, 0, true);
  view.setUint32(HEADER.crc, crc32c(bytes2), true);
}
function classify(bytes2, magic, maxVersion, minVersion) {
  const view = new DataView(bytes2.buffer, bytes2.byteOffset, bytes2.byteLength);
  if (view.getBigUint64(HEADER.magic, true) !== magic) return { status: bytes2.every((b) => b === 0) ? "empty" : "foreign" };
  const version = view.getUint32(HEADER.version, true);
  if (version > maxVersion) return { status: "too-new", version };
  const stored = view.getUint32(HEADER.crc, true);
  const copy = bytes2.slice();
  new DataView(copy.buffer).setUint32(HEADER.crc, 0, true);
  if (crc32c(copy) !== stored) return { status: "bad-crc", version };
  if (version < minVersion) return { status: "too-old", version };
  return { status: "valid", version, seq: Number(view.getBigUint64(HEADER.seq, true)) };
}

// src/meta/allocator.ts
var DIRECTORY_MAGIC = 0x5244534e4d444e54n;
var DIRECTORY_VERSION = 1;
var COPY_SIZE = 16 * 1024;
var OFFSETS = [0, COPY_SIZE];
var DATA_START = 2 * COPY_SIZE;
var ENTRY_START = 64;
var ENTRY_SIZE = 96;
var NAME_BYTES = 64;
var MAX_ENTRIES = Math.floor((COPY_SIZE - ENTRY_START) / ENTRY_SIZE);
var Allocator = class _Allocator {
  /** `store` holds the directory (its first DATA_START bytes); the namespace is `nsLength` bytes. */
  constructor(store, nsLength, where, entries, seq, copy) {
    this.store = store;
    this.nsLength = nsLength;
    this.where = where;
    this.entries = entries;
    this.seq = seq;
    this.copy = copy;
  }
  store;
  nsLength;
  where;
  entries;
  seq;
  copy;
  /** Write an empty directory. Refuses a namespace holding anything unless `force`. */
  static format(store, nsLength, where, force = false) {
    if (nsLength < DATA_START + BLOCK) {
      throw new TandemError("TANDEM_E_META_SPACE", `${where}: ${nsLength} bytes is too small for a namespace`, { hint: `give it at least ${DATA_START + BLOCK} bytes` });
    }
    const { copies } = readDualCopy(store, OFFSETS, COPY_SIZE, DIRECTORY_MAGIC, DIRECTORY_VERSION);
    if (!force && copies.some((c) => c.status !== "empty")) {
      throw new TandemError("TANDEM_E_META", `${where}: the namespace already holds data (${copies.map((c) => c.status).join(", ")})`, {
        hint: "use --force to format it anyway, destroying every volume metadata area in it"
      });
    }
    const allocator = new _Allocator(store, nsLength, where, [], 0, void 0);
    allocator.save();
    return allocator;
  }
  static open(store, nsLength, where) {
    const { best, copies } = readDualCopy(store, OFFSETS, COPY_SIZE, DIRECTORY_MAGIC, DIRECTORY_VERSION);
    if (!best) {
      const what = copies.every((c) => c.status === "empty") ? "no namespace directory (never formatted)" : `no valid namespace directory (${copies.map((c) => `copy ${c.copy}: ${c.status}`).join(", ")})`;
      throw new TandemError("TANDEM_E_META", `${where}: ${what}`, {
        hint: "'tandem md create --meta pmem:<path>#<resource>/<volume>' formats an empty namespace",
        details: { copies }
      });
    }
    return new _Allocator(store, nsLength, where, decodeEntries(best.bytes), best.seq, best.copy);
  }
  /** Open the directory, formatting it first when the namespace is still all zeros. */
  static openOrFormat(store, nsLength, where) {
    const { copies } = readDualCopy(store, OFFSETS, COPY_SIZE, DIRECTORY_MAGIC, DIRECTORY_VERSION);
    return copies.every((c) => c.status === "empty") ? _Allocator.format(store, nsLength, where) : _Allocator.open(store, nsLength, where);
  }
  list() {
    return this.entries.map((e) => ({ ...e }));
  }
  find(name) {
    return this.entries.find((e) => e.name === name);
  }
  /** Reserve `length` bytes under `name` (first fit); persisted before return. */
  allocate(name, length) {
    checkName(name);
    if (this.find(name)) throw new TandemError("TANDEM_E_STATE", `${this.where}: an area named '${name}' already exists`, { hint: "free it first, or use another name" });
    if (this.entries.length >= MAX_ENTRIES) {
      throw new TandemError("TANDEM_E_META_SPACE", `${this.where}: the namespace directory is full (${MAX_ENTRIES} areas)`, { hint: "use another namespace" });
    }
    const size2 = alignUp(length, BLOCK);
    const offset = this.firstFit(size2);
    if (offset === void 0) {
      throw new TandemError("TANDEM_E_META_SPACE", `${this.where}: no free range of ${formatSize(size2)} for '${name}' (${formatSize(this.freeBytes())} free in total)`, {
        hint: "run 'tandem md size' to see what each volume needs; use a larger namespace or fewer peers",
        details: { needed: size2, free: this.freeBytes() }
      });
    }
    const entry = { name, offset, length: size2 };
    this.entries = [...this.entries, entry].sort((a, b) => a.offset - b.offset);
    this.save();
    return { ...entry };
  }
  free(name) {
    if (!this.find(name)) throw new TandemError("TANDEM_E_NOT_FOUND", `${this.where}: no area named '${name}'`, { hint: "list the areas with tandem md show --meta <namespace>" });
    this.entries = this.entries.filter((e) => e.name !== name);
    this.save();
  }
  freeBytes() {
    return this.nsLength - DATA_START - this.entries.reduce((sum, e) => sum + e.length, 0);
  }
  firstFit(size2) {
    let cursor = DATA_START;
    for (const e of this.entries) {
      if (e.offset - cursor >= size2) return cursor;
      cursor = Math.max(cursor, e.offset + e.length);
    }
    return this.nsLength - cursor >= size2 ? cursor : void 0;
  }
  save() {
    const bytes2 = new Uint8Array(COPY_SIZE);
    const v = new DataView(bytes2.buffer);
    v.setBigUint64(0, DIRECTORY_MAGIC, true);
    v.setUint32(8, DIRECTORY_VERSION, true);
    v.setUint32(24, this.entries.length, true);
    v.setBigUint64(32, BigInt(this.nsLength), true);
    this.entries.forEach((e, i) => {
      const at = ENTRY_START + i * ENTRY_SIZE;
      bytes2.set(new TextEncoder().encode(e.name), at);
      v.setBigUint64(at + NAME_BYTES, BigInt(e.offset), true);
      v.setBigUint64(at + NAME_BYTES + 8, BigInt(e.length), true);
    });
    this.seq += 1;
    this.copy = writeDualCopy(this.store, OFFSETS, bytes2, this.seq, this.copy);
  }
};
function decodeEntries(bytes2) {
  const v = new DataView(bytes2.buffer, bytes2.byteOffset, bytes2.byteLength);
  const count = Math.min(v.getUint32(24, true), MAX_ENTRIES);
  return Array.from({ length: count }, (_, i) => {
    const at = ENTRY_START + i * ENTRY_SIZE;
    const raw = bytes2.subarray(at, at + NAME_BYTES);
    const end = raw.indexOf(0);
    return {
      name: new TextDecoder().decode(raw.subarray(0, end < 0 ? NAME_BYTES : end)),
      offset: Number(v.getBigUint64(at + NAME_BYTES, true)),
      length: Number(v.getBigUint64(at + NAME_BYTES + 8, true))
    };
  });
}
function checkName(name) {
  if (!/^[A-Za-z0-9_.:/-]+$/.test(name) || new TextEncoder().encode(name).length >= NAME_BYTES) {
    throw new TandemError("TANDEM_E_USAGE", `invalid area name '${name}'`, {
      hint: `use <resource>/<volume> made of letters, digits and _ . : - /, shorter than ${NAME_BYTES} bytes`
    });
  }
}

// src/meta/block.ts
import { closeSync, fdatasyncSync, ftruncateSync, openSync, readSync, writeSync, constants } from "node:fs";

// src/meta/device-size.ts
import { fstatSync, readFileSync } from "node:fs";
function sizeOf2(fd, path) {
  const st = fstatSync(fd);
  if (st.isFile()) return st.size;
  const majorMinor = `${Math.floor(st.rdev / 256) & 4095}:${st.rdev & 255 | st.rdev >> 12 & 1048320}`;
  if (st.isBlockDevice()) return Number(readFileSync(`/sys/dev/block/${majorMinor}/size`, "utf8").trim()) * 512;
  if (st.isCharacterDevice()) return Number(readFileSync(`/sys/dev/char/${majorMinor}/size`, "utf8").trim());
  throw new TandemError("TANDEM_E_IO", `${path} is not a file, a block device or a devdax device`, {
    hint: "metadata goes on a file, a block device (block:) or a file on DAX / a devdax device (pmem:)"
  });
}

// src/meta/store.ts
function persistEach(store, ranges) {
  for (const [offset, length] of ranges) store.persist(offset, length);
}
var WindowStore = class {
  constructor(inner, base, length) {
    this.inner = inner;
    this.base = base;
    this.length = length;
    this.kind = inner.kind;
    this.isPmem = inner.isPmem;
    checkRange(inner.length, base, length);
  }
  inner;
  base;
  length;
  kind;
  isPmem;
  read(offset, length) {
    checkRange(this.length, offset, length);
    return this.inner.read(this.base + offset, length);
  }
  readInto(offset, target) {
    checkRange(this.length, offset, target.length);
    this.inner.readInto(this.base + offset, target);
  }
  write(offset, data) {
    checkRange(this.length, offset, data.length);
    this.inner.write(this.base + offset, data);
  }
  persist(offset, length) {
    checkRange(this.length, offset, length);
    this.inner.persist(this.base + offset, length);
  }
  persistRanges(ranges) {
    for (const [offset, length] of ranges) checkRange(this.length, offset, length);
    this.inner.persistRanges(ranges.map(([offset, length]) => [this.base + offset, length]));
  }
  close() {
    this.inner.close();
  }
};
function checkRange(size2, offset, length) {
  if (!(Number.isSafeInteger(offset) && Number.isSafeInteger(length) && offset >= 0 && length >= 0 && offset + length <= size2)) {
    throw new RangeError(`metadata range [${offset}, ${offset}+${length}) outside a store of ${size2} bytes`);
  }
}

// src/meta/block.ts
var BlockStore = class _BlockStore {
  kind = "block";
  isPmem = false;
  length;
  fd;
  /** Open an existing file/device, or create a file of `createSize` bytes (formatting then writes all of it). */
  static open(path, createSize) {
    let fd;
    try {
      fd = openSync(path, createSize === void 0 ? constants.O_RDWR : constants.O_RDWR | constants.O_CREAT, 384);
    } catch (err) {
      const e = err;
      throw new TandemError(e.code === "ENOENT" ? "TANDEM_E_NOT_FOUND" : "TANDEM_E_IO", `cannot open block metadata ${path}: ${e.message}`, {
        hint: createSize === void 0 ? "create it with 'tandem md create --meta block:<path> \u2026'" : "check the path and permissions",
        cause: err
      });
    }
    if (createSize !== void 0) ftruncateSync(fd, createSize);
    return new _BlockStore(fd, createSize ?? sizeOf2(fd, path));
  }
  constructor(fd, length) {
    this.fd = fd;
    this.length = length;
  }
  read(offset, length) {
    const out = new Uint8Array(length);
    this.readInto(offset, out);
    return out;
  }
  readInto(offset, target) {
    checkRange(this.length, offset, target.length);
    let done = 0;
    while (done < target.length) {
      const n = readSync(this.fd, target, done, target.length - done, offset + done);
      if (n === 0) {
        target.fill(0, done);
        break;
      }
      done += n;
    }
  }
  write(offset, data) {
    checkRange(this.length, offset, data.length);
    let done = 0;
    while (done < data.length) done += writeSync(this.fd, data, done, data.length - done, offset + done);
  }
  /** fdatasync makes the whole file durable; the range is what the caller relies on. */
  persist(offset, length) {
    checkRange(this.length, offset, length);
    fdatasyncSync(this.fd);
  }
  /** One fdatasync covers every range. */
  persistRanges(ranges) {
    for (const [offset, length] of ranges) checkRange(this.length, offset, length);
    if (ranges.length > 0) fdatasyncSync(this.fd);
  }
  close() {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
};

// src/meta/pmem.ts
import { closeSync as closeSync2, constants as constants2, ftruncateSync as ftruncateSync2, openSync as openSync2 } from "node:fs";

// src/lib/native-addon.ts
import { createRequire } from "node:module";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
function candidatePaths(spec) {
  const override = process.env[spec.envVar];
  if (override) return [override];
  const paths = [join(dirname(process.execPath), spec.file)];
  try {
    const root = fileURLToPath(new URL("../..", import.meta.url));
    paths.push(join(root, spec.buildDir, spec.file));
  } catch {
  }
  return paths;
}
function loadAddon(spec) {
  const paths = candidatePaths(spec);
  const found = paths.find((p) => existsSync(p));
  if (!found) {
    throw new TandemError("TANDEM_E_NATIVE", `${spec.what} ${spec.file} was not found (looked in: ${paths.join(", ")})`, {
      hint: `build it with 'npm run build:native' (needs ${spec.devPackage}), or place ${spec.file} beside the tandem binary`
    });
  }
  try {
    return createRequire(join(dirname(process.execPath), "x"))(found);
  } catch (err) {
    throw new TandemError("TANDEM_E_NATIVE", `${spec.what} ${found} failed to load: ${err.message}`, {
      hint: `rebuild it with 'npm run build:native' for this Node version, and check that ${spec.library} is installed`,
      cause: err
    });
  }
}

// src/meta/native.ts
var loaded;
function pmemAddon() {
  loaded ??= loadAddon({
    file: "tandem_pmem.node",
    envVar: "TANDEM_PMEM_ADDON",
    buildDir: "src/meta/native/build/Release",
    what: "the libpmem addon",
    devPackage: "libpmem-dev",
    library: "libpmem"
  });
  return loaded;
}

// src/meta/pmem.ts
var MAX_MAPPING = 2 ** 32;
var PmemStore = class _PmemStore {
  kind = "pmem";
  isPmem;
  length;
  bytes;
  words;
  buffer;
  scratch = new BigUint64Array(1);
  scratchBytes = new Uint8Array(this.scratch.buffer);
  /** Map an existing file/devdax whole, or first create a file of `createSize` bytes. */
  static open(path, createSize) {
    const size2 = createSize === void 0 ? _PmemStore.size(path) : createFile(path, createSize);
    return _PmemStore.openRange(path, 0, size2);
  }
  /** Map [offset, offset + length) of an existing file or devdax. */
  static openRange(path, offset, length) {
    const addon = pmemAddon();
    if (length > MAX_MAPPING) {
      throw new TandemError("TANDEM_E_META_SPACE", `${path}: a mapping of ${length} bytes is larger than the 4 GiB Node can address at once`, {
        hint: "share a larger namespace through #<resource>/<volume> areas, each mapped on its own"
      });
    }
    try {
      const m = addon.mapRange(path, offset, length);
      return new _PmemStore(m.buffer, m.isPmem);
    } catch (err) {
      throw new TandemError("TANDEM_E_IO", `cannot map ${path}: ${err.message}`, {
        hint: "check the path (a file on a DAX/tmpfs file system or a /dev/daxX.Y device) and permissions",
        cause: err
      });
    }
  }
  /** Size of an existing file or devdax. */
  static size(path) {
    let fd;
    try {
      fd = openSync2(path, constants2.O_RDONLY);
    } catch (err) {
      const e = err;
      throw new TandemError(e.code === "ENOENT" ? "TANDEM_E_NOT_FOUND" : "TANDEM_E_IO", `cannot open PMEM metadata ${path}: ${e.message}`, {
        hint: "create it with 'tandem md create --meta pmem:<path> \u2026'",
        cause: err
      });
    }
    try {
      return sizeOf2(fd, path);
    } finally {
      closeSync2(fd);
    }
  }
  constructor(buffer, isPmem) {
    this.buffer = buffer;
    this.isPmem = isPmem;
    this.length = buffer.byteLength;
    this.bytes = new Uint8Array(buffer);
    this.words = new BigUint64Array(buffer, 0, Math.floor(buffer.byteLength / 8));
  }
  read(offset, length) {
    checkRange(this.length, offset, length);
    return this.bytes.slice(offset, offset + length);
  }
  readInto(offset, target) {
    checkRange(this.length, offset, target.length);
    target.set(this.bytes.subarray(offset, offset + target.length));
  }
  write(offset, data) {
    checkRange(this.length, offset, data.length);
    if (data.length === 8 && offset % 8 === 0) {
      this.scratchBytes.set(data);
      this.words[offset / 8] = this.scratch[0];
      return;
    }
    this.bytes.set(data, offset);
  }
  persist(offset, length) {
    checkRange(this.length, offset, length);
    if (length > 0) pmemAddon().persist(this.buffer, offset, length, this.isPmem);
  }
  /**
   * Real PMEM: a cache flush per range. Anything else: one msync over the span of all ranges,
   * which costs one syscall (msync only writes back pages that are dirty).
   */
  persistRanges(ranges) {
    if (this.isPmem || ranges.length < 2) {
      persistEach(this, ranges);
      return;
    }
    let from = Infinity;
    let to = 0;
    for (const [offset, length] of ranges) {
      checkRange(this.length, offset, length);
      from = Math.min(from, offset);
      to = Math.max(to, offset + length);
    }
    this.persist(from, to - from);
  }
  close() {
    this.bytes = new Uint8Array(0);
    this.words = new BigUint64Array(0);
    this.buffer = new ArrayBuffer(0);
  }
};
function createFile(path, size2) {
  const fd = openSync2(path, constants2.O_RDWR | constants2.O_CREAT | constants2.O_TRUNC, 384);
  try {
    ftruncateSync2(fd, size2);
  } finally {
    closeSync2(fd);
  }
  return size2;
}

// src/meta/placement.ts
var PLACEMENT_SYNTAX = "pmem:<file|devdax>[#<resource>/<volume>] or block:<file|device>[#<resource>/<volume>]";
function parsePlacement(text2) {
  const m = /^(pmem|block):([^#]+)(?:#(.+))?$/.exec(text2.trim());
  if (!m) {
    throw new TandemError("TANDEM_E_USAGE", `invalid metadata placement '${text2}'`, { hint: `write ${PLACEMENT_SYNTAX}` });
  }
  return { kind: m[1], path: m[2], area: m[3], text: text2 };
}
function openPlacement(p) {
  if (p.area === void 0) return openWhole(p);
  const ns = openNamespace(p);
  const entry = Allocator.open(ns.directory, ns.length, p.path).find(p.area);
  if (!entry) {
    ns.close();
    throw new TandemError("TANDEM_E_NOT_FOUND", `${p.path}: no metadata area named '${p.area}'`, {
      hint: `create it with 'tandem md create --meta ${p.text} \u2026'`
    });
  }
  return ns.area(entry);
}
function createPlacement(p, length, opts = {}) {
  if (p.area === void 0) return createWhole(p, length);
  if (!exists(p.path)) createSparse(p.path, opts.namespaceSize);
  const ns = openNamespace(p);
  try {
    const allocator = Allocator.openOrFormat(ns.directory, ns.length, p.path);
    let entry = allocator.find(p.area);
    if (entry && entry.length < length) {
      if (!opts.force) {
        throw new TandemError("TANDEM_E_META_SPACE", `${p.path}: area '${p.area}' has ${entry.length} bytes, ${length} are needed`, {
          hint: "use --force to free and reallocate it (its metadata is lost)"
        });
      }
      allocator.free(p.area);
      entry = void 0;
    }
    return ns.area(entry ?? allocator.allocate(p.area, length));
  } catch (err) {
    ns.close();
    throw err;
  }
}
function openNamespace(p) {
  if (p.kind === "pmem") {
    const length = PmemStore.size(p.path);
    const directory = PmemStore.openRange(p.path, 0, Math.min(length, DATA_START));
    return { length, directory, area: (e) => PmemStore.openRange(p.path, e.offset, e.length), close: () => directory.close() };
  }
  const whole = BlockStore.open(p.path);
  return {
    length: whole.length,
    directory: new WindowStore(whole, 0, Math.min(whole.length, DATA_START)),
    area: (e) => new WindowStore(whole, e.offset, e.length),
    close: () => whole.close()
  };
}
function openWhole(p) {
  return p.kind === "pmem" ? PmemStore.open(p.path) : BlockStore.open(p.path);
}
function createWhole(p, length) {
  if (isDevice(p.path)) {
    const store = openWhole(p);
    if (store.length < length) {
      store.close();
      throw new TandemError("TANDEM_E_META_SPACE", `${p.path} has ${store.length} bytes, the metadata needs ${length}`, {
        hint: "run 'tandem md size' and use a larger device, or share a namespace with #<name> areas"
      });
    }
    return store;
  }
  return p.kind === "pmem" ? PmemStore.open(p.path, length) : BlockStore.open(p.path, length);
}
function createSparse(path, size2) {
  if (size2 === void 0) {
    throw new TandemError("TANDEM_E_NOT_FOUND", `namespace ${path} does not exist`, {
      hint: "give --namespace-size to create a namespace file, or name an existing devdax/file"
    });
  }
  const fd = openSync3(path, "wx", 384);
  try {
    ftruncateSync3(fd, size2);
  } finally {
    closeSync3(fd);
  }
}
function exists(path) {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}
function isDevice(path) {
  try {
    const st = statSync(path);
    return st.isBlockDevice() || st.isCharacterDevice();
  } catch {
    return false;
  }
}

// src/meta/superblock.ts
var SUPERBLOCK_OFFSETS = Array.from({ length: SUPERBLOCK_COPIES }, (_, i) => i * BLOCK);
var PEERS_OFFSET = 128;
var PEER_SIZE = 32;
var HISTORY_OFFSET = PEERS_OFFSET + MAX_PEERS * PEER_SIZE;
var BM_CRC_OFFSET = HISTORY_OFFSET + HISTORY_LENGTH * 8;
function encodeSuperblock(sb) {
  const bytes2 = new Uint8Array(BLOCK);
  const v = new DataView(bytes2.buffer);
  v.setBigUint64(0, MAGIC, true);
  v.setUint32(8, FORMAT_VERSION, true);
  v.setBigUint64(24, BigInt(sb.volumeSize), true);
  v.setBigUint64(32, BigInt(sb.areaLength), true);
  v.setUint32(40, sb.nodeId, true);
  v.setUint32(44, sb.maxPeers, true);
  v.setUint32(48, sb.deviceFlags >>> 0, true);
  v.setUint32(52, sb.bytesPerBit, true);
  v.setUint32(56, sb.alExtentShift, true);
  v.setUint32(60, sb.alExtents, true);
  v.setUint32(64, sb.alEpoch >>> 0, true);
  v.setUint32(68, AL_FORMAT[sb.alFormat], true);
  v.setBigUint64(72, BigInt(sb.alOffset), true);
  v.setBigUint64(80, BigInt(sb.alLength), true);
  v.setBigUint64(88, BigInt(sb.bmOffset), true);
  v.setBigUint64(96, BigInt(sb.bmLength), true);
  v.setBigUint64(104, sb.currentGeneration, true);
  v.setBigUint64(112, sb.deviceUuid, true);
  v.setBigUint64(120, sb.unacknowledgedSince, true);
  for (let i = 0; i < MAX_PEERS; i++) {
    const p = sb.peers[i];
    const at = PEERS_OFFSET + i * PEER_SIZE;
    v.setUint32(at, p ? p.nodeId : NO_NODE, true);
    v.setUint32(at + 4, p ? p.flags >>> 0 : 0, true);
    v.setBigUint64(at + 8, p ? p.bitmapGeneration : 0n, true);
    v.setUint32(at + 16, p ? p.bitmapIndex : NO_NODE, true);
  }
  for (let i = 0; i < HISTORY_LENGTH; i++) v.setBigUint64(HISTORY_OFFSET + i * 8, sb.history[i] ?? 0n, true);
  v.setBigUint64(BM_CRC_OFFSET, BigInt(sb.bmCrcOffset), true);
  v.setBigUint64(BM_CRC_OFFSET + 8, BigInt(sb.bmCrcLength), true);
  return bytes2;
}
function decodeSuperblock(bytes2, seq) {
  const v = new DataView(bytes2.buffer, bytes2.byteOffset, bytes2.byteLength);
  const u642 = (at) => Number(v.getBigUint64(at, true));
  const maxPeers = v.getUint32(44, true);
  const alFormatCode = v.getUint32(68, true);
  const alFormat = Object.keys(AL_FORMAT).find((k) => AL_FORMAT[k] === alFormatCode);
  const sb = {
    seq,
    volumeSize: u642(24),
    areaLength: u642(32),
    nodeId: v.getUint32(40, true),
    maxPeers,
    deviceFlags: v.getUint32(48, true),
    bytesPerBit: v.getUint32(52, true),
    alExtentShift: v.getUint32(56, true),
    alExtents: v.getUint32(60, true),
    alEpoch: v.getUint32(64, true),
    alFormat: alFormat ?? "pmem",
    alOffset: u642(72),
    alLength: u642(80),
    bmOffset: u642(88),
    bmLength: u642(96),
    bmCrcOffset: u642(BM_CRC_OFFSET),
    bmCrcLength: u642(BM_CRC_OFFSET + 8),
    currentGeneration: v.getBigUint64(104, true),
    deviceUuid: v.getBigUint64(112, true),
    unacknowledgedSince: v.getBigUint64(120, true),
    // reserved (zero) in metadata written before it: no claim
    peers: [],
    history: []
  };
  for (let i = 0; i < Math.min(maxPeers, MAX_PEERS); i++) {
    const at = PEERS_OFFSET + i * PEER_SIZE;
    sb.peers.push({
      nodeId: v.getUint32(at, true),
      flags: v.getUint32(at + 4, true),
      bitmapGeneration: v.getBigUint64(at + 8, true),
      bitmapIndex: v.getUint32(at + 16, true)
    });
  }
  for (let i = 0; i < HISTORY_LENGTH; i++) sb.history.push(v.getBigUint64(HISTORY_OFFSET + i * 8, true));
  if (alFormat === void 0) throw inconsistent(`unknown activity-log format ${alFormatCode}`);
  return sb;
}
function readSuperblock(store, where) {
  if (store.length < SUPERBLOCK_COPIES * BLOCK) {
    throw new TandemError("TANDEM_E_META", `${where}: ${store.length} bytes is too small to hold Tandem metadata`, {
      hint: "run 'tandem md size' for the size needed, then 'tandem md create'"
    });
  }
  const { best, copies } = readDualCopy(store, SUPERBLOCK_OFFSETS, BLOCK, MAGIC, FORMAT_VERSION, MIN_FORMAT_VERSION);
  if (!best) throw noValidCopy(where, copies);
  const sb = decodeSuperblock(best.bytes, best.seq);
  checkConsistency(sb, store.length, where);
  return { sb, copy: best.copy, copies };
}
function writeSuperblock(store, sb, currentCopy) {
  return writeDualCopy(store, SUPERBLOCK_OFFSETS, encodeSuperblock(sb), sb.seq, currentCopy);
}
function noValidCopy(where, copies) {
  const statuses = copies.map((c) => c.status);
  const details = { where, copies };
  const tooNew = copies.find((c) => c.status === "too-new");
  if (tooNew) {
    return new TandemError("TANDEM_E_META", `${where}: metadata format version ${tooNew.version} is newer than this tandem understands (${FORMAT_VERSION})`, {
      hint: "upgrade tandem on this node; do not re-create the metadata, that would lose the out-of-sync bitmap",
      details
    });
  }
  const tooOld = copies.find((c) => c.status === "too-old");
  if (tooOld) {
    return new TandemError("TANDEM_E_META", `${where}: metadata format version ${tooOld.version} is older than this tandem reads (${MIN_FORMAT_VERSION}..${FORMAT_VERSION}): it has no checksums over the bitmap and the activity log`, {
      hint: "there is no in-place upgrade: with the resource down on this node, run 'tandem md create <resource> --force' here; the node then takes a full sync from an UpToDate peer (on a node that holds the only good copy, recreate it and make it UpToDate with 'tandem primary <resource> --force')",
      details: { ...details, formatVersion: tooOld.version, supported: [MIN_FORMAT_VERSION, FORMAT_VERSION] }
    });
  }
  if (statuses.every((s) => s === "empty")) {
    return new TandemError("TANDEM_E_META", `${where}: no metadata (the superblock area is all zeros)`, {
      hint: "create it with 'tandem md create'",
      details
    });
  }
  if (statuses.every((s) => s === "foreign" || s === "empty")) {
    return new TandemError("TANDEM_E_META", `${where}: not Tandem metadata (bad magic in both superblock copies: foreign data)`, {
      hint: "check that the path names the metadata device; md create --force overwrites it, destroying what is there",
      details
    });
  }
  return new TandemError("TANDEM_E_META", `${where}: both superblock copies are bad (${copies.map((c) => `copy ${c.copy}: ${c.status}`).join(", ")})`, {
    hint: "the metadata is corrupt: recreate it with md create --force and let a full sync from an UpToDate peer restore the data",
    details
  });
}
function checkConsistency(sb, storeLength, where) {
  let g;
  try {
    g = geometry(sb.volumeSize, sb.maxPeers, sb.alExtents);
  } catch (err) {
    throw inconsistent(`${where}: ${err.message}`);
  }
  const problems = [];
  if (sb.bytesPerBit !== BYTES_PER_BIT) problems.push(`bytes per bit ${sb.bytesPerBit} (only ${BYTES_PER_BIT} is supported)`);
  if (sb.alExtentShift !== AL_EXTENT_SHIFT) problems.push(`AL extent shift ${sb.alExtentShift} (only ${AL_EXTENT_SHIFT} is supported)`);
  if (sb.alOffset !== g.alOffset || sb.alLength !== g.alLength || sb.bmOffset !== g.bmOffset || sb.bmLength !== g.bmLength || sb.bmCrcOffset !== g.bmCrcOffset || sb.bmCrcLength !== g.bmCrcLength || sb.areaLength !== g.areaLength) {
    problems.push("area offsets do not match the volume size and peer count");
  }
  if (sb.areaLength > storeLength) problems.push(`area needs ${sb.areaLength} bytes but the placement has ${storeLength}`);
  if (problems.length > 0) throw inconsistent(`${where}: ${problems.join("; ")}`);
}
function inconsistent(message) {
  return new TandemError("TANDEM_E_META", `superblock is inconsistent: ${message}`, {
    hint: "the metadata was damaged or written by something else; recreate it with md create --force and resync from a peer"
  });
}

// src/meta/volume-metadata.ts
function isDamaged(d) {
  return d.bitmapPages.length > 0 || d.activityLog.length > 0;
}
function damageLogFields(d) {
  return {
    bitmapPages: d.bitmapPages.length,
    ranges: d.hotSetLost ? "the whole volume" : d.bitmapPages.slice(0, 16).map((p) => `${p.volumeOffset}+${p.volumeLength}`).join(" ") + (d.bitmapPages.length > 16 ? " \u2026" : ""),
    activityLog: d.activityLog.map((a) => a.message)
  };
}
var VolumeMetadata = class _VolumeMetadata {
  constructor(store, where, opts) {
    this.store = store;
    this.where = where;
    this.opts = opts;
    const read = readSuperblock(store, where);
    this.sb = frozen(read.sb);
    this.copy = read.copy;
    this.geometry = geometry(this.sb.volumeSize, this.sb.maxPeers, this.sb.alExtents);
    if (this.sb.alFormat !== store.kind && !opts.readOnly) {
      throw new TandemError("TANDEM_E_META", `${where}: metadata was created for ${this.sb.alFormat}: placement, opened as ${store.kind}:`, {
        hint: `open it as ${this.sb.alFormat}:<path>, or recreate it`
      });
    }
    this.bitmap = new Bitmap(store, this.geometry);
    const journal = this.journal();
    const dirty = (this.sb.deviceFlags & DEVICE_FLAGS.AL_CLEAN) === 0;
    const loaded2 = journal.load();
    const extents = [...loaded2.table].filter((e) => e !== FREE_EXTENT);
    const volumeExtents = extentCount(this.sb.volumeSize);
    const beyond = extents.filter((e) => e >= volumeExtents);
    if (beyond.length > 0) {
      loaded2.damage.push({ message: `extents ${beyond.slice(0, 5).join(", ")} are beyond the volume's ${volumeExtents} extents of ${AL_EXTENT_BYTES} bytes`, incomplete: true });
    }
    const damage = {
      bitmapPages: this.bitmap.damaged.map((d) => ({ ...d, ...this.volumeRange(d.firstBit, d.endBit) })),
      activityLog: loaded2.damage,
      hotSetLost: dirty && loaded2.damage.some((d) => d.incomplete)
    };
    this.recovery = { crashed: dirty, extents: dirty ? extents : [], damage };
    if (!opts.readOnly) this.recover(journal, dirty, extents, damage);
    this.al = new ActivityLog(journal, opts.readOnly ? loaded2.table : journal.load().table, this.alHooks);
  }
  store;
  where;
  opts;
  sb;
  copy;
  closed = false;
  geometry;
  bitmap;
  recovery;
  al;
  alHooks = { beforeEvict: (evicted) => this.markEvicted(evicted), defer: (fn) => (this.opts.defer ?? setImmediate)(fn) };
  /** Peers (node ids) currently known to be in sync: their bits need not be set on eviction. */
  inSync = /* @__PURE__ */ new Set();
  /** Format new metadata on a placement (`pmem:/dev/shm/x`, `block:/var/lib/x#r0/0`) or a store. */
  static create(where, opts) {
    const g = geometry(opts.volumeSize, opts.maxPeers, opts.alExtents ?? DEFAULT_AL_EXTENTS);
    checkNodeId(opts.nodeId);
    const placement = typeof where === "string" ? parsePlacement(where) : void 0;
    if (placement && !opts.force) refuseValidPlacement(placement);
    const store = placement ? createPlacement(placement, g.areaLength, opts) : where;
    const name = placement?.text ?? "metadata";
    try {
      if (!opts.force) refuseValid(store, name);
      format(store, g, opts.nodeId);
      return new _VolumeMetadata(store, name, { newGenerationId: opts.newGenerationId });
    } catch (err) {
      store.close();
      throw err;
    }
  }
  static open(where, opts = {}) {
    const store = typeof where === "string" ? openPlacement(parsePlacement(where)) : where;
    try {
      return new _VolumeMetadata(store, typeof where === "string" ? where : "metadata", opts);
    } catch (err) {
      store.close();
      throw err;
    }
  }
  /**
   * The data disk these metadata describe: its volatile cache is flushed before an extent with
   * writes since the last flush leaves the AL (invariant M2, docs/ARCHITECTURE.md).
   */
  flushDataDiskWith(flush) {
    this.alHooks.flushData = flush;
  }
  /** The current superblock; frozen, so it is handed out without a copy (callers read it often). */
  get superblock() {
    return this.sb;
  }
  get kind() {
    return this.store.kind;
  }
  /** True when persists are CPU cache flushes (PMEM), false when msync/fdatasync. */
  get isPmem() {
    return this.store.isPmem;
  }
  // ---- activity log ----------------------------------------------------------------------
  /**
   * Make `extent` durable in the AL before a write to it is submitted (invariant M1) and pin it
   * until complete(). Returns `true` when that is already so (the hot fast path, no Promise).
   */
  activate(extent) {
    this.checkWritable();
    assert(Number.isInteger(extent) && extent >= 0 && extent < extentCount(this.sb.volumeSize), "extent inside the volume");
    return this.al.activate(extent);
  }
  /** The write on `extent` finished (locally and on every peer it went to): unpin it. */
  complete(extent) {
    this.al.complete(extent);
  }
  /** What open found failing its checksums, as log fields; null when nothing did. */
  damageReport() {
    return isDamaged(this.recovery.damage) ? damageLogFields(this.recovery.damage) : null;
  }
  /** Writes in flight on `extent` (activations not yet completed). */
  pinned(extent) {
    return this.al.pinned(extent);
  }
  /** Extents in the AL, least recently used first. */
  hotExtents() {
    return this.al.hot();
  }
  /** Peer known identical for every write from now on (connected, UpToDate, synchronous replication). */
  setPeerInSync(nodeId, inSync) {
    if (inSync) this.inSync.add(nodeId);
    else this.inSync.delete(nodeId);
  }
  // ---- bitmap ------------------------------------------------------------------------------
  /** The bitmap slot of a peer, assigned (and persisted) on first use. */
  peerSlot(nodeId) {
    checkNodeId(nodeId);
    const found = this.sb.peers.findIndex((p) => p.nodeId === nodeId);
    if (found >= 0) return found;
    this.checkWritable();
    const free = this.sb.peers.findIndex((p) => p.nodeId === NO_NODE);
    if (free < 0 || nodeId === this.sb.nodeId) {
      throw new TandemError("TANDEM_E_META_SPACE", `${this.where}: no bitmap slot for node ${nodeId} (${this.sb.maxPeers} slots, used by nodes ${this.sb.peers.map((p) => p.nodeId).join(", ")})`, {
        hint: nodeId === this.sb.nodeId ? "a node has no bitmap slot for itself" : "recreate the metadata with more --peers (DRBD: max-peers)"
      });
    }
    const peers = this.sb.peers.map((p, i) => i === free ? { nodeId, flags: PEER_FLAGS.NODE_EXISTS, bitmapGeneration: 0n, bitmapIndex: i } : p);
    this.update({ peers });
    return free;
  }
  /**
   * Mark [offset, offset + length) out of sync with a peer; durable on return. With
   * `coveredByAl`, for a range whose extents are pinned in the AL (a write in flight): the bits
   * are kept in memory and written when the extent leaves the AL (markEvicted) or at close. A
   * crash before that is covered by invariant M1: recovery sets every AL extent's bits.
   */
  setOutOfSync(nodeId, offset, length, opts = {}) {
    this.checkWritable();
    const [first, end] = this.bitmap.bitsOf(offset, length);
    const slot = this.peerSlot(nodeId);
    if (!opts.coveredByAl) {
      this.bitmap.set([slot], first, end);
      return;
    }
    const last = Math.floor((offset + Math.max(length, 1) - 1) / AL_EXTENT_BYTES);
    for (let e = Math.floor(offset / AL_EXTENT_BYTES); e <= last; e++) {
      assert(this.al.pinned(e) > 0, "bits held in memory are covered by a pinned AL extent");
    }
    this.bitmap.hold([slot], first, end);
  }
  /** Only once the blocks are known identical on that peer (invariant M2). */
  setInSync(nodeId, offset, length) {
    this.checkWritable();
    this.bitmap.clear([this.peerSlot(nodeId)], ...this.bitmap.bitsOf(offset, length));
  }
  isOutOfSync(nodeId, offset) {
    return this.bitmap.test(this.peerSlot(nodeId), Math.floor(offset / BYTES_PER_BIT));
  }
  outOfSyncBytes(nodeId) {
    return this.bitmap.count(this.peerSlot(nodeId)) * BYTES_PER_BIT;
  }
  // ---- generations and flags -----------------------------------------------------------------
  /** Start a new data generation; persisted before return (invariant M3). */
  newCurrentGeneration(opts) {
    this.checkWritable();
    const next = (this.opts.newGenerationId ?? randomGeneration)(opts.primary);
    this.sb = { ...startGeneration(this.sb, next), unacknowledgedSince: 0n };
    this.persistSuperblock();
    return next;
  }
  /**
   * Take a generation another node started (a diskless Primary's), as if started here: the old
   * current id goes to the history and absent peers keep it as their bitmap id. Persisted on return.
   * `unacknowledgedSince` (0: none) is the claim that goes with it, in the same superblock write:
   * a generation this node starts as Primary before it acknowledges anything in it claims that no
   * write was acknowledged since that id; any other generation claims nothing.
   */
  followGeneration(id, unacknowledgedSince = 0n) {
    this.checkWritable();
    this.sb = { ...startGeneration(this.sb, id), unacknowledgedSince };
    this.persistSuperblock();
  }
  /** As a resync target that finished: the source's generation and its history (adoptGeneration). */
  adoptGeneration(id, sourceHistory) {
    this.checkWritable();
    this.sb = { ...adoptGeneration(this.sb, id, sourceHistory), unacknowledgedSince: 0n };
    this.persistSuperblock();
  }
  get unacknowledgedSince() {
    return this.sb.unacknowledgedSince;
  }
  /** The claim ends, durably on return: a write is about to be acknowledged, or another node's data arrives. */
  clearUnacknowledged() {
    if (this.sb.unacknowledgedSince !== 0n) this.update({ unacknowledgedSince: 0n });
  }
  setCurrentGeneration(id) {
    this.update({ currentGeneration: id, unacknowledgedSince: 0n });
  }
  retireBitmapGeneration(nodeId) {
    this.checkWritable();
    this.sb = retireBitmapGeneration(this.sb, this.peerSlot(nodeId));
    this.persistSuperblock();
  }
  /** Record which generation of the peer this peer's bits are relative to (a resync starting). */
  setBitmapGeneration(nodeId, id) {
    const slot = this.peerSlot(nodeId);
    this.update({ peers: this.sb.peers.map((p, i) => i === slot ? { ...p, bitmapGeneration: id } : p) });
  }
  setDeviceFlags(set, clear = []) {
    let flags = this.sb.deviceFlags;
    for (const f of set) flags |= DEVICE_FLAGS[f];
    for (const f of clear) flags &= ~DEVICE_FLAGS[f];
    this.update({ deviceFlags: flags >>> 0 });
  }
  hasDeviceFlag(flag) {
    return (this.sb.deviceFlags & DEVICE_FLAGS[flag]) !== 0;
  }
  setPeerFlags(nodeId, set, clear = []) {
    const slot = this.peerSlot(nodeId);
    let flags = this.sb.peers[slot].flags;
    for (const f of set) flags |= PEER_FLAGS[f];
    for (const f of clear) flags &= ~PEER_FLAGS[f];
    this.update({ peers: this.sb.peers.map((p, i) => i === slot ? { ...p, flags: flags >>> 0 } : p) });
  }
  /** Clean shutdown: no writes in flight and the bitmap covers the hot set, so the AL needs no replay. */
  close() {
    if (this.closed) return;
    if (!this.opts.readOnly) {
      const busy = this.al.hot().filter((e) => this.al.pinned(e) > 0);
      if (busy.length > 0) {
        throw new TandemError("TANDEM_E_STATE", `${this.where}: ${busy.length} extents still have writes in flight`, {
          hint: "wait for every write to complete before closing the metadata"
        });
      }
      this.markEvicted(this.al.hot());
      assert(this.bitmap.heldExtents().length === 0, "every held bit lies in a hot extent");
      this.update({ deviceFlags: (this.sb.deviceFlags | DEVICE_FLAGS.AL_CLEAN) >>> 0 });
    }
    this.closed = true;
    this.store.close();
  }
  // ---- internals -----------------------------------------------------------------------------
  journal() {
    const { alOffset, alExtents, alEpoch } = this.sb;
    return this.sb.alFormat === "pmem" ? new PmemSlotTable(this.store, alOffset, alExtents, alEpoch) : new BlockRing(this.store, alOffset, alExtents, alEpoch);
  }
  /**
   * After a crash every AL extent may differ on every peer (invariant M1): set their bits in every
   * slot, then re-initialise the AL (a new epoch). Damage is read in the safe direction, never
   * refused: a damaged bitmap page gets all its bits set, and an AL that cannot be rebuilt after a
   * crash marks the whole volume — a refusal would leave the administrator nothing better than
   * re-creating the metadata, which loses the generations and forces a full sync anyway. The
   * caller logs recovery.damage. Either way the AL is in use from now on.
   */
  recover(journal, dirty, extents, damage) {
    const all = this.sb.peers.map((_, slot) => slot);
    this.bitmap.repair();
    if (damage.hotSetLost) {
      this.bitmap.set(all, 0, this.volumeBits());
    } else if (dirty) {
      for (const e of extents) this.bitmap.hold(all, ...this.extentBits(e));
      this.bitmap.writeBack(extents);
    }
    const reinit = dirty || damage.activityLog.length > 0;
    const alEpoch = reinit ? this.sb.alEpoch + 1 >>> 0 : this.sb.alEpoch;
    if (reinit) journal.setEpoch(alEpoch);
    this.update({ alEpoch, deviceFlags: (this.sb.deviceFlags & ~DEVICE_FLAGS.AL_CLEAN) >>> 0 });
    if (damage.activityLog.length > 0) journal.scrub();
  }
  /**
   * Before an idle extent leaves the AL: its bits, for every peer not known in sync (invariant M2).
   * Unassigned slots are skipped: a peer given a slot later has no bitmap generation in common
   * with us, so the handshake asks for a full sync anyway.
   */
  markEvicted(extents) {
    const slots = this.sb.peers.map((p, slot) => ({ p, slot })).filter(({ p }) => p.nodeId !== NO_NODE && !this.inSync.has(p.nodeId)).map(({ slot }) => slot);
    if (slots.length > 0) for (const e of extents) this.bitmap.hold(slots, ...this.extentBits(e));
    this.bitmap.writeBack(extents);
  }
  /** Bits of an extent (the last one ends with the volume). */
  extentBits(extent) {
    const first = extent * (AL_EXTENT_BYTES / BYTES_PER_BIT);
    return [first, Math.min(first + AL_EXTENT_BYTES / BYTES_PER_BIT, this.volumeBits())];
  }
  volumeBits() {
    return Math.ceil(this.sb.volumeSize / BYTES_PER_BIT);
  }
  volumeRange(firstBit, endBit) {
    const volumeOffset = Math.min(firstBit * BYTES_PER_BIT, this.sb.volumeSize);
    return { volumeOffset, volumeLength: Math.min(endBit * BYTES_PER_BIT, this.sb.volumeSize) - volumeOffset };
  }
  update(change) {
    this.checkWritable();
    this.sb = { ...this.sb, ...change };
    this.persistSuperblock();
  }
  persistSuperblock() {
    this.sb = frozen({ ...this.sb, seq: this.sb.seq + 1 });
    this.copy = writeSuperblock(this.store, this.sb, this.copy);
  }
  checkWritable() {
    if (this.closed) throw new TandemError("TANDEM_E_STATE", `${this.where}: metadata is closed`, { hint: "open it again" });
    if (this.opts.readOnly) throw new TandemError("TANDEM_E_STATE", `${this.where}: metadata is open read-only`, { hint: "open it without readOnly to change it" });
  }
};
function frozen(sb) {
  sb.peers.forEach((p) => Object.freeze(p));
  Object.freeze(sb.peers);
  Object.freeze(sb.history);
  return Object.freeze(sb);
}
function format(store, g, nodeId) {
  const zeros = new Uint8Array(1 << 20);
  for (let off = BLOCK * 2; off < g.areaLength; off += zeros.length) store.write(off, zeros.subarray(0, Math.min(zeros.length, g.areaLength - off)));
  if (store.kind === "pmem") new PmemSlotTable(store, g.alOffset, g.alExtents, 1).format();
  Bitmap.format(store, g);
  store.persist(0, g.areaLength);
  const sb = {
    seq: 0,
    volumeSize: g.volumeSize,
    areaLength: g.areaLength,
    nodeId,
    maxPeers: g.maxPeers,
    deviceFlags: DEVICE_FLAGS.AL_CLEAN,
    bytesPerBit: BYTES_PER_BIT,
    alExtentShift: AL_EXTENT_SHIFT,
    alExtents: g.alExtents,
    alEpoch: 1,
    alFormat: store.kind,
    alOffset: g.alOffset,
    alLength: g.alLength,
    bmOffset: g.bmOffset,
    bmLength: g.bmLength,
    bmCrcOffset: g.bmCrcOffset,
    bmCrcLength: g.bmCrcLength,
    currentGeneration: 0n,
    deviceUuid: randomBytes2(8).readBigUInt64LE(0),
    unacknowledgedSince: 0n,
    peers: Array.from({ length: g.maxPeers }, () => ({ nodeId: NO_NODE, flags: 0, bitmapGeneration: 0n, bitmapIndex: NO_NODE })),
    history: new Array(HISTORY_LENGTH).fill(0n)
  };
  writeSuperblock(store, sb, 1);
  writeSuperblock(store, { ...sb, seq: 1 }, 0);
}
function refuseValidPlacement(placement) {
  let store;
  try {
    store = openPlacement(placement);
  } catch {
    return;
  }
  try {
    refuseValid(store, placement.text);
  } finally {
    store.close();
  }
}
function refuseValid(store, where) {
  let valid = false;
  try {
    readSuperblock(store, where);
    valid = true;
  } catch {
  }
  if (valid) {
    throw new TandemError("TANDEM_E_STATE", `${where} already holds valid Tandem metadata`, {
      hint: "use --force to overwrite it; its bitmap and generations are lost and a full sync follows"
    });
  }
}
function checkNodeId(nodeId) {
  if (!Number.isInteger(nodeId) || nodeId < 0 || nodeId > 31) {
    throw new TandemError("TANDEM_E_USAGE", `invalid node id ${nodeId}`, { hint: "node ids are 0..31, as in the [node.*] sections" });
  }
}

// src/platform/sim/content.ts
var SECTOR = 512;
var MAGIC2 = 1414745393;
function makeWriteData(id, offset, length) {
  const data = Buffer.allocUnsafe(length).fill(id & 255);
  const first = offset / SECTOR;
  for (let i = 0; i * SECTOR < length; i++) {
    const at = i * SECTOR;
    const sector = first + i;
    data.writeUInt32LE(MAGIC2, at);
    data.writeUInt32LE(id, at + 4);
    data.writeUInt32LE(sector, at + 8);
    data.writeUInt32LE(check(id, sector), at + 12);
  }
  return data;
}
function sectorContent(buf, at, sector) {
  const magic = buf.readUInt32LE(at);
  if (magic === MAGIC2) {
    const id = buf.readUInt32LE(at + 4);
    const s = buf.readUInt32LE(at + 8);
    if (buf.readUInt32LE(at + 12) !== check(id, s)) return { kind: "garbage", reason: "bad header check" };
    if (s !== sector) return { kind: "garbage", reason: `data of sector ${s} found at sector ${sector}` };
    const fill = id & 255;
    if (buf[at + 16] !== fill || buf[at + 255] !== fill || buf[at + SECTOR - 1] !== fill) return { kind: "garbage", reason: `sector of write ${id} torn inside` };
    return { kind: "data", id };
  }
  if (magic !== 0 || !isZero(buf, at)) return { kind: "garbage", reason: "neither zeros nor a write header" };
  return { kind: "zero" };
}
var ZERO_SECTOR = Buffer.alloc(SECTOR);
function isZero(buf, at) {
  return buf.compare(ZERO_SECTOR, 0, SECTOR, at, at + SECTOR) === 0;
}
function check(id, sector) {
  return (Math.imul(id, 2654435761) ^ Math.imul(sector, 40503) ^ MAGIC2) >>> 0;
}

// src/platform/sim/disk.ts
var BLOCK2 = 4096;
var ZERO = Buffer.alloc(BLOCK2);
var DEFAULT_LATENCY = { readMs: [0.02, 0.2], writeMs: [0.03, 0.4], flushMs: [0.2, 2] };
var SimDisk = class {
  constructor(path, sizeBytes, random, latency = DEFAULT_LATENCY, violation = () => void 0) {
    this.path = path;
    this.sizeBytes = sizeBytes;
    this.random = random;
    this.latency = latency;
    this.violation = violation;
  }
  path;
  sizeBytes;
  random;
  latency;
  violation;
  durable = /* @__PURE__ */ new Map();
  cache = /* @__PURE__ */ new Map();
  /** (block, stamp) in completion order: a flush moves the cached blocks older than its stamp */
  completions = [];
  completionsHead = 0;
  inFlight = /* @__PURE__ */ new Set();
  stamp = 0;
  faults = { writeError: null, readError: false, slowness: 1 };
  /** The bytes a read would return now (cache first, then the medium). For checkers too. */
  read(offset, length) {
    const out = Buffer.allocUnsafe(length);
    let pos = offset;
    while (pos < offset + length) {
      const block = Math.floor(pos / BLOCK2);
      const within = pos - block * BLOCK2;
      const n = Math.min(BLOCK2 - within, offset + length - pos);
      const content = this.block(block);
      if (content === ZERO) out.fill(0, pos - offset, pos - offset + n);
      else content.copy(out, pos - offset, within, within + n);
      pos += n;
    }
    return out;
  }
  /** The current content of a 4 KiB block (a shared zero block when never written). */
  block(index) {
    return this.cache.get(index)?.data ?? this.durable.get(index) ?? ZERO;
  }
  /** Blocks that hold anything but zeros somewhere (for whole-disk comparisons). */
  writtenBlocks() {
    const all = /* @__PURE__ */ new Set();
    for (const b of this.durable.keys()) all.add(b);
    for (const b of this.cache.keys()) all.add(b);
    return all;
  }
  /** Blocks written but not yet durable. */
  get cachedBlocks() {
    return this.cache.size;
  }
  /**
   * The machine lost power: cached blocks survive or not, each on its own; blocks of writes in
   * flight landed or not, each on its own. Returns what the lost blocks held before.
   */
  powerLoss() {
    const lost = /* @__PURE__ */ new Map();
    for (const [block, cached] of this.cache) {
      if (this.random.chance(0.5)) this.durable.set(block, cached.data);
      else lost.set(block, cached.data);
    }
    this.cache.clear();
    this.completions.length = 0;
    this.completionsHead = 0;
    for (const w of this.inFlight) {
      if (!w.write) continue;
      for (const [block, data] of this.contentsOf(w.write)) if (this.random.chance(0.5)) this.durable.set(block, data);
    }
    this.inFlight.clear();
    return lost;
  }
  /** Requests submitted and not completed. */
  get busy() {
    return this.inFlight.size > 0;
  }
  /** The process died, the machine did not: what the kernel has lands. */
  processKilled() {
    for (const w of this.inFlight) if (w.write) this.landInCache(this.contentsOf(w.write));
    this.inFlight.clear();
  }
  /** Open for one incarnation: its requests complete as events it owns. */
  open(scheduler, owner) {
    return new SimBlockDevice(this, scheduler, owner);
  }
  // ---- used by SimBlockDevice -----------------------------------------------------------------
  checkRange(offset, length, what) {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > this.sizeBytes) {
      const message = `${what} [${offset}, +${length}) outside the ${this.sizeBytes}-byte disk ${this.path}`;
      this.violation("disk-range", message);
      return message;
    }
    return null;
  }
  begin(offset, length, write) {
    const first = Math.floor(offset / BLOCK2);
    const end = Math.max(first + 1, Math.ceil((offset + length) / BLOCK2));
    for (const other of this.inFlight) {
      if ((write || other.write) && other.first < end && first < other.end) {
        this.violation("disk-overlap", `${this.path}: a ${write ? "write" : "read"} of blocks [${first}, ${end}) was submitted while a ${other.write ? "write" : "read"} of blocks [${other.first}, ${other.end}) is in flight`);
        break;
      }
    }
    const w = { first, end, write };
    this.inFlight.add(w);
    return w;
  }
  finish(w, outcome, fua) {
    if (!this.inFlight.delete(w)) return;
    if (!w.write) return;
    const blocks = this.contentsOf(w.write);
    if (outcome === "failed") {
      for (const [block, data] of blocks) if (this.random.chance(0.3)) this.landInCache(/* @__PURE__ */ new Map([[block, data]]));
      return;
    }
    if (fua) for (const [block, data] of blocks) {
      this.cache.delete(block);
      this.durable.set(block, data);
    }
    else this.landInCache(blocks);
  }
  /**
   * New contents of the blocks a write covers, taken when it reaches the medium (the engine keeps
   * the buffer unchanged until the write completes, as with any asynchronous device): partial
   * blocks merged with what is there, all-zero blocks the shared zero block (a resync of a sparse
   * volume stays sparse and costs no copy), other blocks copied.
   */
  contentsOf(write) {
    const { offset, data, length } = write;
    const blocks = /* @__PURE__ */ new Map();
    let pos = offset;
    while (pos < offset + length) {
      const block = Math.floor(pos / BLOCK2);
      const within = pos - block * BLOCK2;
      const n = Math.min(BLOCK2 - within, offset + length - pos);
      if (n === BLOCK2 && data === null) {
        blocks.set(block, ZERO);
      } else if (n === BLOCK2) {
        const view = data.subarray(pos - offset, pos - offset + BLOCK2);
        blocks.set(block, view.equals(ZERO) ? ZERO : copyOf(view));
      } else {
        const content = copyOf(this.block(block));
        if (data) data.copy(content, within, pos - offset, pos - offset + n);
        else content.fill(0, within, within + n);
        blocks.set(block, content);
      }
      pos += n;
    }
    return blocks;
  }
  nextStamp() {
    return this.stamp;
  }
  /** Everything completed before stamp `upTo` was taken is durable now. */
  flushed(upTo) {
    const log = this.completions;
    while (this.completionsHead < log.length && log[this.completionsHead][1] < upTo) {
      const [block, stamp] = log[this.completionsHead++];
      const cached = this.cache.get(block);
      if (cached?.stamp !== stamp) continue;
      this.durable.set(block, cached.data);
      this.cache.delete(block);
    }
    if (this.completionsHead > 4096 && this.completionsHead * 2 > log.length) {
      log.splice(0, this.completionsHead);
      this.completionsHead = 0;
    }
  }
  latencyOf(op) {
    const [lo, hi] = this.latency[op];
    return this.random.real(lo, hi) * this.faults.slowness;
  }
  landInCache(blocks) {
    const stamp = this.stamp++;
    for (const [block, data] of blocks) {
      this.cache.set(block, { data, stamp });
      this.completions.push([block, stamp]);
    }
  }
};
var NEVER = new Promise(() => void 0);
var SimBlockDevice = class {
  constructor(disk2, scheduler, owner) {
    this.disk = disk2;
    this.scheduler = scheduler;
    this.owner = owner;
  }
  disk;
  scheduler;
  owner;
  ioMode = "sim";
  closed = false;
  get path() {
    return this.disk.path;
  }
  get sizeBytes() {
    return this.disk.sizeBytes;
  }
  read(offset, length) {
    if (!this.owner.alive) return NEVER;
    const bad2 = this.refuse(offset, length, "read");
    if (bad2) return bad2;
    const w = this.disk.begin(offset, length, null);
    return new Promise((resolve, reject) => {
      this.scheduler.after(this.disk.latencyOf("readMs"), this.owner, "disk", `${this.disk.path} read ${offset}+${length}`, () => {
        this.disk.finish(w, "done", false);
        if (this.disk.faults.readError) reject(errno("EIO", `read of ${this.disk.path} failed (injected)`));
        else resolve(this.disk.read(offset, length));
      });
    });
  }
  write(offset, data, fua) {
    return this.submitWrite(offset, data.length, data, fua, "write");
  }
  writeZeroes(offset, length, fua) {
    return this.submitWrite(offset, length, null, fua, "zero");
  }
  flush() {
    if (!this.owner.alive) return NEVER;
    if (this.closed) return Promise.reject(errno("EBADF", `${this.disk.path} is closed`));
    const upTo = this.disk.nextStamp();
    return new Promise((resolve, reject) => {
      this.scheduler.after(this.disk.latencyOf("flushMs"), this.owner, "disk", `${this.disk.path} flush`, () => {
        if (this.disk.faults.writeError === "EIO") {
          reject(errno("EIO", `flush of ${this.disk.path} failed (injected)`));
          return;
        }
        this.disk.flushed(upTo);
        resolve();
      });
    });
  }
  async close() {
    this.closed = true;
  }
  submitWrite(offset, length, data, fua, what) {
    if (!this.owner.alive) return NEVER;
    const bad2 = this.refuse(offset, length, what);
    if (bad2) return bad2;
    const w = this.disk.begin(offset, length, { offset, length, data });
    return new Promise((resolve, reject) => {
      this.scheduler.after(this.disk.latencyOf("writeMs"), this.owner, "disk", `${this.disk.path} ${what} ${offset}+${length}${fua ? " fua" : ""}`, () => {
        const error = this.disk.faults.writeError;
        if (error) {
          this.disk.finish(w, "failed", false);
          reject(errno(error, `${what} of ${this.disk.path} failed (injected ${error})`));
          return;
        }
        this.disk.finish(w, "done", fua);
        resolve();
      });
    });
  }
  refuse(offset, length, what) {
    if (this.closed) return Promise.reject(errno("EBADF", `${this.disk.path} is closed`));
    const bad2 = this.disk.checkRange(offset, length, what);
    return bad2 ? Promise.reject(errno("EINVAL", bad2)) : null;
  }
};
function copyOf(data) {
  const copy = Buffer.allocUnsafe(data.length);
  data.copy(copy);
  return copy;
}
function errno(code, message) {
  return Object.assign(new Error(message), { code });
}

// src/platform/sim/model.ts
var VolumeModel = class {
  constructor(sizeBytes, from) {
    this.sizeBytes = sizeBytes;
    const sectors = sizeBytes / SECTOR;
    this.floor = from ? from.floor.slice() : new Uint32Array(sectors);
    this.zeroSince = from ? from.zeroSince.slice() : new Uint32Array(sectors);
    this.durable = from ? from.durable.slice() : new Uint32Array(sectors);
  }
  sizeBytes;
  floor;
  zeroSince;
  durable;
};
var DataModel = class _DataModel {
  constructor(sizes, writes = /* @__PURE__ */ new Map(), from) {
    this.writes = writes;
    this.volumes = sizes.map((size2, v) => new VolumeModel(size2, from?.volumes[v]));
    if (from) this.volatileAcked = [...from.volatileAcked];
  }
  writes;
  volumes;
  /** acknowledged writes not yet known durable, in acknowledgement order */
  volatileAcked = [];
  /** A copy that goes its own way from now on (one side of a split brain). */
  fork() {
    return new _DataModel(this.volumes.map((v) => v.sizeBytes), this.writes, this);
  }
  /** A write leaves the client: from now on its data (or zeros) may be seen. */
  issued(w) {
    this.writes.set(w.id, w);
    if (w.kind === "data") return;
    const vm = this.volumes[w.volume];
    forSectors(w, (s) => {
      vm.zeroSince[s] = w.id;
    });
  }
  acked(w, now) {
    w.state = "acked";
    w.ackedAt = now;
    if (w.kind === "trim") return;
    const vm = this.volumes[w.volume];
    forSectors(w, (s) => {
      vm.floor[s] = w.id;
    });
    if (w.fua) this.madeDurable(w);
    else this.volatileAcked.push(w);
  }
  /** The writes a flush of `volume` issued now covers (acknowledged before it, on that volume: an NBD flush is per export). */
  flushIssued(volume) {
    return this.volatileAcked.filter((w) => w.volume === volume);
  }
  /** Acknowledged writes not (yet) known durable, oldest first. */
  get volatile() {
    return this.volatileAcked;
  }
  flushAcked(covered) {
    const done = new Set(covered);
    this.volatileAcked = this.volatileAcked.filter((w) => !done.has(w));
    for (const w of covered) this.madeDurable(w);
  }
  /** null when `content` is something a reader may see at `sector` now, else why not. */
  check(volume, sector, content) {
    const vm = this.volumes[volume];
    const floor = vm.floor[sector];
    switch (content.kind) {
      case "garbage":
        return `garbage (${content.reason})`;
      case "zero":
        return vm.zeroSince[sector] >= floor ? null : `zeros, but write ${floor} (${this.describe(floor)}) is acknowledged there`;
      case "data": {
        const w = this.writes.get(content.id);
        if (!w || w.kind !== "data" || w.volume !== volume || sector * SECTOR < w.offset || sector * SECTOR >= w.offset + w.length) {
          return `data of write ${content.id}, which never covered this sector`;
        }
        if (content.id >= floor) return null;
        return `stale data of write ${content.id} (${this.describe(content.id)}), but write ${floor} (${this.describe(floor)}) is acknowledged there`;
      }
    }
  }
  /**
   * Accept what a node holds at `sector` as the newest allowed (a loss the rules allow, or an
   * operator's word). What was durable there before is given up too: the floor is the new truth.
   */
  lowerFloor(volume, sector, to) {
    const vm = this.volumes[volume];
    if (to < vm.floor[sector]) vm.floor[sector] = to;
    if (vm.durable[sector] > vm.floor[sector]) vm.durable[sector] = vm.floor[sector];
  }
  describe(id) {
    if (id === 0) return "never written";
    const w = this.writes.get(id);
    if (!w) return "unknown";
    return `${w.kind} ${w.offset}+${w.length} on ${w.node} at ${w.issuedAt.toFixed(3)} ms, ${w.state}${w.fua ? ", fua" : ""}${w.durable ? ", durable" : ""}`;
  }
  madeDurable(w) {
    w.durable = true;
    const vm = this.volumes[w.volume];
    forSectors(w, (s) => {
      if (vm.durable[s] < w.id) vm.durable[s] = w.id;
    });
  }
};
function forSectors(w, fn) {
  const end = Math.ceil((w.offset + w.length) / SECTOR);
  for (let s = Math.floor(w.offset / SECTOR); s < end; s++) fn(s);
}

// src/platform/sim/checkers.ts
var MAX_REPORTED = 4;
var Checkers = class {
  constructor(w) {
    this.w = w;
  }
  w;
  ackContext = /* @__PURE__ */ new Map();
  /** write id → nodes some frame of it was delivered to */
  deliveredTo = /* @__PURE__ */ new Map();
  /** node → volume → per sector, the last time data for it reached that node (any write or resync) */
  lastReceived = /* @__PURE__ */ new Map();
  resyncDone = /* @__PURE__ */ new Map();
  /** node → time of its last power loss */
  lastPowerLoss = /* @__PURE__ */ new Map();
  splitBrains = [];
  reportedDuplicates = /* @__PURE__ */ new Set();
  /** nodes already reported for a split brain no operator caused */
  falseSplitsReported = /* @__PURE__ */ new Set();
  /** acknowledged writes per side since the sides forked */
  sideWrites = /* @__PURE__ */ new Map();
  /** diskful nodes of two sides connected (a handshake between them ran) */
  sidesMet = false;
  /**
   * A promotion without --force left behind writes another node acknowledged, in resource-only
   * fencing's window or over a protocol A link that never delivered them (excused below): both
   * may now write, as after a takeover.
   */
  promotionForked = false;
  // ---- continuous -----------------------------------------------------------------------------
  writeAcked(rec, nodeName) {
    const w = this.w;
    const node = w.node(nodeName);
    const side = w.sideOf.get(nodeName);
    if (rec.kind !== "trim") this.sideWrites.set(side, (this.sideWrites.get(side) ?? 0) + 1);
    this.checkSinglePrimary(node, `write ${rec.id} acknowledged`);
    if (w.config.fencing === "resource-only") {
      const unprotectedFor = /* @__PURE__ */ new Set();
      for (const other of w.nodes) {
        if (other === node || !other.diskful) continue;
        if (!w.network.hasLink(node.id, other.id) && w.cib.allows(other.name)) unprotectedFor.add(other.name);
      }
      if (unprotectedFor.size > 0) this.ackContext.set(rec.id, { unprotectedFor });
    }
    if (rec.kind !== "trim") this.checkClaims(node, rec);
  }
  readChecked(node, volume, offset, problems) {
    if (problems.length > 0) this.w.violation("read", `${node} volume ${volume} read at ${offset}: ${problems.join("; ")}`);
  }
  /** A node became Primary (an operator's --force, or the cluster manager on the agent's score). */
  promoted(node, forced) {
    const w = this.w;
    this.checkSinglePrimary(node, "promotion");
    this.newResyncEpoch(node);
    const model = w.modelOf(node.name);
    if (forced) {
      w.forcedPromotions++;
      if (node.diskful) this.adoptNodeData(node, model);
      return;
    }
    if (!node.diskful) {
      w.client.sweep(node.name);
      return;
    }
    this.applyExcuses(node, model);
    for (let v = 0; v < model.volumes.length; v++) {
      const problems = this.compareWithModel(node.disk(v), v, model);
      if (problems.length > 0) {
        w.violation("promotion-data", `${node.name} was promoted (${this.protocolsOf(node)}, fencing ${w.config.fencing}) without volume ${v}'s acknowledged data: ${problems.join("; ")}`);
      }
    }
  }
  /** A node died; a power loss may have removed the last copy of volatile writes. */
  crashed(node, how, lost) {
    if (how !== "power") return;
    const w = this.w;
    this.lastPowerLoss.set(node.name, w.now());
    if (this.asyncOnly(node)) this.excuseVolatileWritesOf(node);
    if (!w.nodes.some((n) => n.diskful && n.running)) this.excuseAfterWholeClusterPowerLoss();
    this.excuseWhereEveryNodeLostPower();
    let reported = false;
    for (const [v, blocks] of lost) {
      const model = w.modelOf(node.name);
      for (const [block, before2] of blocks) {
        for (let i = 0; i < BLOCK2 / SECTOR; i++) {
          const s = block * (BLOCK2 / SECTOR) + i;
          if (model.check(v, s, sectorContent(before2, i * SECTOR, s)) !== null) continue;
          if (model.check(v, s, this.contentAt(node.disk(v), s)) === null) continue;
          if (this.someoneHolds(v, s, model)) continue;
          const vm = model.volumes[v];
          if (vm.durable[s] >= vm.floor[s] && vm.floor[s] !== 0 && !reported) {
            reported = true;
            w.violation("durable-write-lost", `${node.name} lost power and with it the last copy of write ${vm.floor[s]} (${model.describe(vm.floor[s])}) at sector ${s} of volume ${v}, acknowledged as durable`);
          }
          model.lowerFloor(v, s, vm.durable[s]);
        }
      }
    }
  }
  engineEvent(node, event) {
    if (event.kind === "failed") this.w.violation("engine-assertion", `${node.name}: ${String(event.reason)}`);
    if (event.kind === "split-brain") {
      const peer = String(event.peer ?? "?");
      this.splitBrains.push({ node: node.name, peer, time: this.w.now() });
    }
    if (event.kind === "connection" && event.connectionState === "Connected") this.noteMeeting(node, String(event.peer ?? ""));
    if (event.kind === "disk" && DATA_STATES.has(String(event.diskState))) this.noteMeetingsOf(node);
    if (event.kind === "reconcile") this.reconcileEpoch(node, String(event.peer ?? ""));
    this.checkGenerations(node);
  }
  /** A message reached an engine (network observer). */
  delivered(from, to, msg, _stream, linkId) {
    const target = this.w.nodeById(to);
    if (!target) return;
    if (msg.type === "Write" && msg.data.length >= SECTOR) {
      const c = sectorContent(msg.data, 0, msg.offset / SECTOR);
      if (c.kind === "data") {
        let set = this.deliveredTo.get(c.id);
        if (!set) this.deliveredTo.set(c.id, set = /* @__PURE__ */ new Set());
        set.add(target.name);
      }
    }
    if (msg.type === "Write" || msg.type === "ResyncData") this.noteReceived(target, msg.volume, msg.offset, msg.data.length);
    if (msg.type === "WriteZeroes" || msg.type === "Trim") this.noteReceived(target, msg.volume, msg.offset, msg.length);
    if ((msg.type === "Write" || msg.type === "WriteZeroes" || msg.type === "OutOfSync") && msg.missing !== 0) this.newDivergence(msg.volume, msg.missing);
    if (msg.type === "ResyncDone") {
      const key = `${linkId}:${from}>${to}:v${msg.volume}`;
      const n = (this.resyncDone.get(key) ?? 0) + 1;
      this.resyncDone.set(key, n);
      if (n === 2) {
        this.w.violation("resync-per-reconnect", `volume ${msg.volume} was resynced twice from node ${from} to node ${to} over one connection (${linkId})`);
      }
    }
  }
  /** Data for a range of `volume` reached `target` now: whatever it holds there may be a copy. */
  noteReceived(target, volume, offset, length) {
    let volumes = this.lastReceived.get(target.name);
    if (!volumes) this.lastReceived.set(target.name, volumes = []);
    const sectors = this.w.modelOf(target.name).volumes[volume].floor.length;
    const times = volumes[volume] ?? (volumes[volume] = new Float64Array(sectors).fill(-1));
    times.fill(this.w.now(), offset / SECTOR, Math.min(sectors, (offset + length) / SECTOR));
  }
  /**
   * An operator acted on a node (invalidate, attach, connect): a resync it asks for is not a
   * second resync of the same reconnect.
   */
  operatorActed(node) {
    for (const key of [...this.resyncDone.keys()]) {
      const [, dir2] = key.split(":");
      const [from, to] = dir2.split(">").map(Number);
      if (from === node.id || to === node.id) this.resyncDone.delete(key);
    }
  }
  /**
   * A write the Primary could not send to some nodes (its `missing` mask) is a new divergence
   * that arose after their last resync: resyncing it again over a connection that already had
   * one is not a repeat of the same resync (a diskless Primary's peers resync it between
   * themselves while Established: secondary.ts markMissing).
   */
  newDivergence(volume, missing) {
    for (const key of [...this.resyncDone.keys()]) {
      const [, dir2, v] = key.split(":");
      if (v === `v${volume}` && (missing & 1 << Number(dir2.split(">")[1])) !== 0) this.resyncDone.delete(key);
    }
  }
  /**
   * A promotion starts resyncs of its own over connections that may have had theirs: a node that
   * survived its Primary's loss resyncs that Primary's activity-log extents to every peer once it
   * is promoted (the survivors may hold different subsets of its last writes; DRBD 9 reconciles
   * them the same way), and a forced promotion resyncs everything to peers it now leads.
   */
  newResyncEpoch(node) {
    for (const key of [...this.resyncDone.keys()]) {
      const [, dir2] = key.split(":");
      if (Number(dir2.split(">")[0]) === node.id) this.resyncDone.delete(key);
    }
  }
  /**
   * Survivors of a lost Primary that stayed Established resync its last writes among themselves
   * (engine/survivors.ts): a new resync over a connection that may have had its own, as a
   * promotion's is.
   */
  reconcileEpoch(node, peerName) {
    const peer = this.w.nodes.find((n) => n.name === peerName);
    if (!peer) return;
    for (const key of [...this.resyncDone.keys()]) {
      const [, dir2] = key.split(":");
      const [from, to] = dir2.split(">").map(Number);
      if (from === node.id && to === peer.id) this.resyncDone.delete(key);
    }
  }
  /**
   * Two sides meet when nodes of each, both with a disk attached, are connected: only then does a
   * handshake compare their data generations (a diskless node, or one whose disk failed, has none
   * to compare; it meets the other side when its disk is attached again while connected).
   */
  noteMeeting(node, peerName) {
    const peer = this.w.nodes.find((n) => n.name === peerName);
    if (!peer || this.w.sideOf.get(node.name) === this.w.sideOf.get(peer.name)) return;
    if (holdsData(node) && holdsData(peer)) this.sidesMet = true;
  }
  /** A disk attached: the node meets every peer it is connected to. */
  noteMeetingsOf(node) {
    for (const c of node.status()?.connections ?? []) if (c.connectionState === "Connected") this.noteMeeting(node, c.peer);
  }
  // ---- quiet moments --------------------------------------------------------------------------
  /** Nothing in flight anywhere: every pair's bitmaps must account for every difference. */
  quietMoment() {
    const diskful = this.w.nodes.filter((n) => n.diskful);
    for (let i = 0; i < diskful.length; i++) {
      for (let j = i + 1; j < diskful.length; j++) this.checkPairBits(diskful[i], diskful[j]);
    }
    for (const n of this.w.nodes) this.checkGenerations(n);
  }
  // ---- quiescence -----------------------------------------------------------------------------
  /** After convergence: UpToDate replicas identical, holding the model's data; resync counts. */
  quiescent() {
    const w = this.w;
    const diskful = w.nodes.filter((n) => n.diskful);
    const volumes = w.config.nodes[0].volumes.length;
    for (let v = 0; v < volumes; v++) {
      const upToDate = diskful.filter((n) => n.status()?.volumes[v]?.diskState === "UpToDate");
      for (const n of upToDate.slice(1)) {
        const diff = firstDifference(upToDate[0].disk(v), n.disk(v));
        if (diff !== null) w.violation("replicas-differ", `volume ${v}: UpToDate replicas ${upToDate[0].name} and ${n.name} differ, first at byte ${diff * BLOCK2}`);
      }
      for (const n of upToDate) {
        const problems = this.compareWithModel(n.disk(v), v, w.modelOf(n.name));
        if (problems.length > 0) w.violation("quiescent-data", `${n.name} is UpToDate but volume ${v} does not hold the acknowledged data: ${problems.join("; ")}`);
      }
    }
    for (const n of w.nodes) this.checkGenerations(n);
  }
  // ---- the pieces -----------------------------------------------------------------------------
  checkSinglePrimary(node, what) {
    const side = this.w.sideOf.get(node.name);
    for (const other of this.w.nodes) {
      if (other === node || this.w.sideOf.get(other.name) !== side) continue;
      if (other.status()?.role === "Primary") this.w.violation("two-primaries", `${what} on ${node.name} while ${other.name} is Primary too`);
    }
  }
  /** The protocol of the connection between two nodes. */
  protocol(a, b) {
    return connectionProtocol(this.w.config, a, b);
  }
  /** A node's connections to diskful nodes are all on protocol A. */
  asyncOnly(node) {
    return this.w.nodes.every((other) => other === node || !other.diskful || this.protocol(node.name, other.name) === "A");
  }
  /** For messages: the resource's protocol, and the connections of this node that differ. */
  protocolsOf(node) {
    const own = this.w.nodes.filter((o) => o !== node && this.protocol(node.name, o.name) !== this.w.config.protocol).map((o) => `${o.name} ${this.protocol(node.name, o.name)}`);
    return own.length === 0 ? this.w.config.protocol : `${this.w.config.protocol}; to ${own.join(", ")}`;
  }
  /**
   * Protocol C connections: the Primary's claims that peers are UpToDate, checked against their
   * disks (and its own, when it has such a peer).
   */
  checkClaims(node, rec) {
    const status = node.status();
    if (!status) return;
    const model = this.w.modelOf(node.name);
    const claimed = [];
    const synchronous = status.connections.filter((c) => this.protocol(node.name, c.peer) === "C");
    if (synchronous.length === 0) return;
    if (node.diskful && status.volumes[rec.volume]?.diskState === "UpToDate") claimed.push(node);
    for (const c of synchronous) {
      if (c.connectionState !== "Connected" || c.volumes.find((v) => v.volume === rec.volume)?.peerDiskState !== "UpToDate") continue;
      const peer = this.w.node(c.peer);
      if (peer?.diskful && peer.running) claimed.push(peer);
    }
    for (const holder of claimed) {
      const disk2 = holder.disk(rec.volume);
      let problem = null;
      let at = -1;
      forSectors(rec, (s) => {
        if (problem !== null) return;
        problem = model.check(rec.volume, s, this.contentAt(disk2, s));
        at = s;
      });
      if (problem !== null) {
        this.w.violation("claim-up-to-date", `write ${rec.id} (${model.describe(rec.id)}) was acknowledged by ${node.name} (protocol C to ${holder === node ? "its peers" : holder.name}) while it reports ${holder === node ? "itself" : holder.name} UpToDate, but ${holder.name} holds at sector ${at}: ${problem}`);
      }
    }
  }
  /** The losses the configuration allows at a failover, accepted as the new floor (see the top). */
  applyExcuses(node, model) {
    const w = this.w;
    for (const rec of model.writes.values()) {
      if (rec.state !== "acked" || rec.kind === "trim" || rec.node === node.name) continue;
      const notReceived = this.protocol(rec.node, node.name) === "A" && !(this.deliveredTo.get(rec.id)?.has(node.name) ?? false);
      const unfenced = this.ackContext.get(rec.id)?.unprotectedFor.has(node.name) ?? false;
      if (!notReceived && !unfenced) continue;
      const vm = model.volumes[rec.volume];
      const disk2 = node.disk(rec.volume);
      forSectors(rec, (s) => {
        const c = this.contentAt(disk2, s);
        const lacks = vm.floor[s] === rec.id ? model.check(rec.volume, s, c) !== null : rec.kind === "data" && !(c.kind === "data" && c.id >= rec.id);
        if (lacks && !this.promotionForked) {
          this.promotionForked = true;
          w.note(`${node.name} promoted without write ${rec.id} that ${rec.node} acknowledged ${unfenced ? "in resource-only fencing's window" : "over protocol A, never delivered"}: the data may fork`);
        }
        if (vm.floor[s] !== rec.id) return;
        if (c.kind === "data") model.lowerFloor(rec.volume, s, c.id);
        else if (c.kind === "zero") model.lowerFloor(rec.volume, s, vm.zeroSince[s]);
      });
    }
  }
  /**
   * Protocol A: a write is acknowledged once on the Primary's (volatile) disk and in its send
   * buffer. When that Primary loses power, its unflushed acknowledged writes may be gone: the
   * peers may or may not have them, and the crashed Primary's AL extents are resynced to them.
   */
  excuseVolatileWritesOf(node) {
    const model = this.w.modelOf(node.name);
    for (const rec of model.volatile) {
      if (rec.node !== node.name || rec.kind === "trim") continue;
      const vm = model.volumes[rec.volume];
      forSectors(rec, (s) => {
        if (vm.floor[s] === rec.id) model.lowerFloor(rec.volume, s, vm.durable[s]);
      });
    }
  }
  /**
   * Every diskful node is down, the last one by a power loss. When the rules make a crashed
   * Primary the sync source of every other node that keeps consistent data (equal generations:
   * DRBD's "both off" rule), its disk is what the cluster comes back with: its unflushed
   * acknowledged writes that its power loss took are gone, whoever else may still hold a copy.
   * A durable write (FUA, or flushed) is never excused: only floors above the durable mark drop,
   * and never below it.
   */
  excuseAfterWholeClusterPowerLoss() {
    const diskful = this.w.nodes.filter((n) => n.diskful);
    const volumes = this.w.config.nodes[0].volumes.length;
    for (let v = 0; v < volumes; v++) {
      const source = diskful.find((p) => this.crashedPrimarySourceOfAll(p, diskful, v));
      if (!source) continue;
      const model = this.w.modelOf(source.name);
      const vm = model.volumes[v];
      const disk2 = source.disk(v);
      let excused = 0;
      for (let s = 0; s < vm.floor.length; s++) {
        if (vm.floor[s] === vm.durable[s]) continue;
        const c = this.contentAt(disk2, s);
        if (model.check(v, s, c) === null) continue;
        const to = c.kind === "data" ? c.id : c.kind === "zero" ? vm.zeroSince[s] : -1;
        if (to < vm.durable[s] || !this.coversSector(model, v, s, c)) continue;
        model.lowerFloor(v, s, to);
        excused++;
      }
      if (excused > 0) this.w.note(`whole-cluster power loss: crashed Primary ${source.name} will be the sync source; ${excused} sectors of volume ${v} with unflushed writes it lost are excused`);
    }
  }
  /**
   * Writes never made durable whose every holder has lost power since it got them (and since
   * they were acknowledged), and that no running node with usable data holds: each copy sat in a
   * volatile cache at its node's power loss, so block-device semantics let any of them be gone.
   * A node that received nothing for the sector since the write was issued cannot hold it (n2
   * outdated while n0 and n1, which had it, lose power: seed 20661); any data received for the
   * sector since counts as a possible copy, so the set of holders is never too small. The floor
   * drops to the durable mark, never below it.
   */
  excuseWhereEveryNodeLostPower() {
    const w = this.w;
    const diskful = w.nodes.filter((n) => n.diskful);
    const lostPowerSince = (n, t) => (this.lastPowerLoss.get(n.name) ?? -1) > t;
    const holdersLostPower = (rec, v, s) => diskful.every((n) => {
      const received2 = this.lastReceived.get(n.name)?.[v]?.[s] ?? -1;
      const got = Math.max(n.name === rec.node ? rec.ackedAt : -1, received2 >= rec.issuedAt ? received2 : -1);
      return got < 0 || lostPowerSince(n, Math.max(got, rec.ackedAt));
    });
    const models = new Set(diskful.map((n) => w.modelOf(n.name)));
    for (const model of models) {
      model.volumes.forEach((vm, v) => {
        let excused = 0;
        for (let s = 0; s < vm.floor.length; s++) {
          if (vm.floor[s] === vm.durable[s]) continue;
          const rec = model.writes.get(vm.floor[s]);
          if (!rec || rec.ackedAt === null || !holdersLostPower(rec, v, s) || this.someoneRunningHolds(v, s, model)) continue;
          model.lowerFloor(v, s, vm.durable[s]);
          excused++;
        }
        if (excused > 0) w.note(`every node that may hold them lost power since: ${excused} sectors of volume ${v} with writes never made durable are excused`);
      });
    }
  }
  /** Does a running node with usable data hold an acceptable copy of sector s? */
  someoneRunningHolds(v, s, model) {
    return this.w.nodes.some((n) => n.running && this.holdsCopy(n, v, s, model));
  }
  /** Would the handshake make `p`, a crashed Primary, the source of every other node with consistent data? */
  crashedPrimarySourceOfAll(p, diskful, v) {
    const mp = metaView(p, v);
    if (!mp?.consistent || !mp.view(p.id).crashedPrimary) return false;
    return diskful.every((q) => {
      if (q === p) return true;
      const mq = metaView(q, v);
      if (!mq?.consistent) return true;
      return decideSync(mp.view(q.id), mq.view(p.id), p.id < q.id, this.w.config.protocol).kind === "source";
    });
  }
  /** Is `c` zeros, or the data of a write that covered sector s of volume v (not garbage)? */
  coversSector(model, v, s, c) {
    if (c.kind === "zero") return true;
    if (c.kind !== "data") return false;
    const w = model.writes.get(c.id);
    return !!w && w.kind === "data" && w.volume === v && s * SECTOR >= w.offset && s * SECTOR < w.offset + w.length;
  }
  /** An operator said this node's data is the truth (primary --force): the model follows it. */
  adoptNodeData(node, model) {
    for (let v = 0; v < model.volumes.length; v++) {
      const disk2 = node.disk(v);
      const vm = model.volumes[v];
      for (let s = 0; s < vm.floor.length; s++) {
        const c = this.contentAt(disk2, s);
        if (model.check(v, s, c) === null) continue;
        if (c.kind === "data") model.lowerFloor(v, s, c.id);
        else if (c.kind === "zero") model.lowerFloor(v, s, vm.zeroSince[s]);
      }
    }
  }
  /**
   * Does a node whose data the cluster can still use hold an acceptable copy of sector s? An
   * Inconsistent disk does not count: its blocks are overwritten by the next resync, by design.
   */
  someoneHolds(v, s, model) {
    return this.w.nodes.some((n) => this.holdsCopy(n, v, s, model));
  }
  /**
   * Does `n`, with usable data, hold what the model requires at sector s? Zeros count only on a
   * node that took the required write or received data for the sector since it was issued:
   * never-written zeros are no copy of a lost write-zeroes (seed 20335), and such a node is no
   * source the cluster would resync from for that write.
   */
  holdsCopy(n, v, s, model) {
    const disk2 = n.disk(v);
    if (!disk2 || !this.usable(n, v)) return false;
    const c = this.contentAt(disk2, s);
    if (model.check(v, s, c) !== null) return false;
    if (c.kind !== "zero") return true;
    const rec = model.writes.get(model.volumes[v].floor[s]);
    if (!rec || rec.node === n.name) return true;
    return (this.lastReceived.get(n.name)?.[v]?.[s] ?? -1) >= rec.issuedAt;
  }
  usable(node, v) {
    const status = node.status();
    if (status) return !["Inconsistent", "Failed", "Diskless", "Attaching"].includes(status.volumes[v]?.diskState ?? "Diskless");
    return metaView(node, v)?.consistent ?? false;
  }
  /** Up to MAX_REPORTED sectors of the disk the model does not allow (whole volume). */
  compareWithModel(disk2, v, model) {
    const problems = [];
    const vm = model.volumes[v];
    const perBlock = BLOCK2 / SECTOR;
    for (let block = 0; block * perBlock < vm.floor.length && problems.length < MAX_REPORTED; block++) {
      const content = disk2.block(block);
      for (let i = 0; i < perBlock; i++) {
        const s = block * perBlock + i;
        if (vm.floor[s] === 0 && content === ZERO) continue;
        const why = model.check(v, s, sectorContent(content, i * SECTOR, s));
        if (why) {
          problems.push(`sector ${s} (byte ${s * SECTOR}): ${why}`);
          break;
        }
      }
    }
    return problems;
  }
  contentAt(disk2, s) {
    const block = Math.floor(s * SECTOR / BLOCK2);
    return sectorContent(disk2.block(block), s * SECTOR - block * BLOCK2, s);
  }
  /**
   * Two diskful nodes, nothing in flight: where would a handshake between them resync? Where the
   * generations allow a bitmap resync (or none), every block outside both bitmaps (and outside a
   * crashed node's activity log) must be equal.
   */
  checkPairBits(a, b) {
    const volumes = this.w.config.nodes[0].volumes.length;
    for (let v = 0; v < volumes; v++) {
      const ma = metaView(a, v);
      const mb = metaView(b, v);
      if (!ma || !mb || !ma.consistent || !mb.consistent) continue;
      const d = decideSync(ma.view(b.id), mb.view(a.id), a.id < b.id);
      if (d.kind === "split-brain" || d.kind === "unrelated" || (d.kind === "source" || d.kind === "target") && d.full) continue;
      const marked = /* @__PURE__ */ new Set([...ma.marked(b.id), ...mb.marked(a.id)]);
      const da = a.disk(v);
      const db = b.disk(v);
      const blocks = /* @__PURE__ */ new Set([...da.writtenBlocks(), ...db.writtenBlocks()]);
      for (const block of [...blocks].sort((x, y) => x - y)) {
        if (marked.has(block) || da.block(block).equals(db.block(block))) continue;
        this.w.violation("bits-in-sync", `volume ${v}: ${a.name} and ${b.name} differ at byte ${block * BLOCK2}, but neither's bitmap for the other marks it (handshake would decide ${d.kind}: ${d.rule}; ${a.name} ${ma.describe()}, ${b.name} ${mb.describe()})`);
        return;
      }
    }
  }
  checkGenerations(node) {
    const inc = node.incarnation;
    if (!inc) return;
    for (const [v, meta2] of inc.metadata) {
      const sb = meta2.superblock;
      const ids = [sb.currentGeneration, ...sb.history].filter((g) => g !== 0n).map((g) => g & ~1n);
      const seen = /* @__PURE__ */ new Set();
      for (const g of ids) {
        if (seen.has(g)) {
          const key = `${node.name}:${v}:${g}`;
          if (this.reportedDuplicates.has(key)) return;
          this.reportedDuplicates.add(key);
          this.w.violation("generation-duplicate", `${node.name} volume ${v}: generation ${g.toString(16)} appears twice in current + history [${[sb.currentGeneration, ...sb.history].filter((x) => x !== 0n).map((x) => x.toString(16)).join(", ")}]`);
          return;
        }
        seen.add(g);
      }
    }
  }
};
function metaView(node, v) {
  let meta2 = node.incarnation?.metadata.get(v);
  let afterCrash = false;
  if (!meta2) {
    const medium = node.metaMedium(v);
    if (!medium) return null;
    meta2 = VolumeMetadata.open(medium.open(() => true), { readOnly: true });
    afterCrash = meta2.recovery.crashed;
  }
  const m = meta2;
  const sb = m.superblock;
  const flag = (name) => m.hasDeviceFlag(name);
  const slotOf = (peer) => sb.peers.findIndex((p) => p.nodeId === peer && p.nodeId !== NO_NODE);
  const dirtyExtents = afterCrash ? m.recovery.extents : [];
  return {
    consistent: flag("CONSISTENT"),
    view(peer) {
      const slot = slotOf(peer);
      return {
        current: sb.currentGeneration === 0n ? UUID_JUST_CREATED : sb.currentGeneration,
        bitmapForPeer: slot >= 0 ? sb.peers[slot].bitmapGeneration : 0n,
        history: sb.history.filter((h) => h !== 0n),
        crashedPrimary: flag("CRASHED_PRIMARY") || afterCrash && flag("PRIMARY_IND")
      };
    },
    /** 4 KiB blocks marked out of sync for the peer, plus a crashed node's activity-log extents */
    marked(peer) {
      const out = [];
      const slot = slotOf(peer);
      if (slot >= 0) for (const [first, end] of m.bitmap.runs(slot)) for (let b = first; b < end; b++) out.push(b);
      const perExtent = 4 * 1024 * 1024 / BLOCK2;
      for (const e of dirtyExtents) for (let b = e * perExtent; b < (e + 1) * perExtent; b++) out.push(b);
      return out;
    },
    describe() {
      return `current ${sb.currentGeneration.toString(16)} history [${sb.history.filter((h) => h !== 0n).map((h) => h.toString(16)).join(",")}] bitmap gens [${sb.peers.filter((p) => p.nodeId !== NO_NODE).map((p) => `${p.nodeId}:${p.bitmapGeneration.toString(16)}`).join(",")}]`;
    }
  };
}
var DATA_STATES = /* @__PURE__ */ new Set(["UpToDate", "Consistent", "Outdated", "Inconsistent"]);
function holdsData(node) {
  return node.diskful && (node.status()?.volumes.some((v) => DATA_STATES.has(v.diskState)) ?? false);
}
function firstDifference(a, b) {
  const blocks = [.../* @__PURE__ */ new Set([...a.writtenBlocks(), ...b.writtenBlocks()])].sort((x, y) => x - y);
  for (const block of blocks) if (!a.block(block).equals(b.block(block))) return block;
  return null;
}

// src/platform/sim/client.ts
var Client = class {
  constructor(hooks) {
    this.hooks = hooks;
  }
  hooks;
  exports = /* @__PURE__ */ new Map();
  inFlight = /* @__PURE__ */ new Set();
  /** sweep reads waiting to be issued (after a promotion) */
  sweeps = [];
  /** a checkpoint holds new requests back for a moment */
  paused = false;
  /** the schedule is over: no new requests */
  stopped = false;
  stats = { issued: 0, acked: 0, failed: 0, reads: 0, readErrors: 0, skipped: 0 };
  get busy() {
    return this.inFlight.size > 0 || this.sweeps.length > 0;
  }
  exportChanged(node, volume, backend) {
    const key = `${node}/${volume}`;
    if (backend) this.exports.set(key, { node, volume, backend });
    else this.exports.delete(key);
  }
  /** The node died: what it had in flight may or may not have happened; nobody will answer. */
  nodeDied(node) {
    for (const op of [...this.inFlight]) {
      if (op.node !== node) continue;
      this.inFlight.delete(op);
      if (op.record && op.record.state === "pending") op.record.state = "unknown";
    }
    for (let i = this.sweeps.length - 1; i >= 0; i--) if (this.sweeps[i].node === node) this.sweeps.splice(i, 1);
  }
  /** Issue one request of the schedule on the volume's export (`choose` picks among several). */
  issue(op, volume, offset, length, fua, choose) {
    if (this.paused || this.stopped) return;
    const candidates = [...this.exports.values()].filter((e) => e.volume === volume);
    if (candidates.length === 0) {
      this.stats.skipped++;
      return;
    }
    const exp = candidates.length === 1 ? candidates[0] : choose(candidates);
    if (op !== "flush" && (offset + length > exp.backend.size || this.overlaps(exp, offset, length))) {
      this.stats.skipped++;
      return;
    }
    this.start({ node: exp.node, volume, offset, length, op, record: null, exp }, fua);
  }
  /** Read all of every volume through this node's exports, checking every sector (after a promotion). */
  sweep(node) {
    for (const exp of this.exports.values()) {
      if (exp.node !== node) continue;
      const chunk = 1024 * 1024;
      for (let off = 0; off < exp.backend.size; off += chunk) this.sweeps.push({ node, volume: exp.volume, offset: off, length: Math.min(chunk, exp.backend.size - off) });
    }
    this.pumpSweeps();
  }
  pumpSweeps() {
    while (this.sweeps.length > 0) {
      const s = this.sweeps[0];
      const exp = this.exports.get(`${s.node}/${s.volume}`);
      if (!exp) {
        this.sweeps.shift();
        continue;
      }
      if (this.overlaps(exp, s.offset, s.length)) return;
      this.sweeps.shift();
      this.start({ ...s, op: "sweep", record: null, exp }, false);
    }
  }
  overlaps(exp, offset, length) {
    for (const op of this.inFlight) {
      if (op.exp.volume !== exp.volume || op.op === "flush") continue;
      if (op.offset < offset + length && offset < op.offset + op.length) return true;
    }
    return false;
  }
  start(op, fua) {
    const b = op.exp.backend;
    const model = this.hooks.modelOf(op.node);
    let call;
    let covered = [];
    switch (op.op) {
      case "read":
      case "sweep":
        call = () => b.read(op.offset, op.length);
        break;
      case "flush":
        covered = model.flushIssued(op.volume);
        call = () => b.flush();
        break;
      default: {
        const kind = op.op === "write" ? "data" : op.op;
        const id = this.hooks.nextWriteId();
        const rec = {
          id,
          volume: op.volume,
          offset: op.offset,
          length: op.length,
          kind,
          fua,
          node: op.node,
          issuedAt: this.hooks.now(),
          state: "pending",
          ackedAt: null,
          durable: false
        };
        op.record = rec;
        model.issued(rec);
        const data = kind === "data" ? makeWriteData(id, op.offset, op.length) : null;
        call = kind === "data" ? () => b.write(op.offset, data, fua) : kind === "zero" ? () => b.writeZeroes(op.offset, op.length, fua, false) : () => b.trim(op.offset, op.length, fua);
      }
    }
    this.stats.issued++;
    this.inFlight.add(op);
    let result;
    try {
      result = call();
    } catch (err) {
      this.finish(op, err, void 0, covered);
      return;
    }
    if (result instanceof Promise) result.then((v) => this.finish(op, null, v, covered), (err) => this.finish(op, err ?? new Error("rejected"), void 0, covered));
    else this.finish(op, null, result, covered);
  }
  finish(op, err, value, covered) {
    if (!this.inFlight.delete(op)) return;
    const model = this.hooks.modelOf(op.node);
    if (err) {
      this.stats.failed++;
      if (op.op === "read" || op.op === "sweep") this.stats.readErrors++;
      if (op.record) op.record.state = "failed";
      this.hooks.note(`client: ${op.op} ${op.offset}+${op.length} on ${op.node} failed: ${errText(err)}`);
    } else if (op.op === "read" || op.op === "sweep") {
      this.stats.reads++;
      this.checkRead(op, value, model);
    } else if (op.op === "flush") {
      this.stats.acked++;
      model.flushAcked(covered);
    } else if (op.record) {
      this.stats.acked++;
      model.acked(op.record, this.hooks.now());
      this.hooks.acked(op.record, op.node);
    }
    this.pumpSweeps();
  }
  checkRead(op, value, model) {
    const problems = [];
    if (!Buffer.isBuffer(value) || value.length !== op.length) {
      problems.push(`read returned ${Buffer.isBuffer(value) ? `${value.length} bytes` : typeof value}, ${op.length} were asked for`);
    } else {
      const first = op.offset / SECTOR;
      for (let i = 0; i * SECTOR < op.length; i++) {
        const why = model.check(op.volume, first + i, sectorContent(value, i * SECTOR, first + i));
        if (why) {
          problems.push(`sector ${first + i} (byte ${(first + i) * SECTOR}): ${why}`);
          if (problems.length >= 4) break;
        }
      }
    }
    this.hooks.readChecked(op.node, op.volume, op.offset, problems);
  }
};
function errText(err) {
  if (err instanceof Error) return `${err.code ?? ""} ${err.message}`.trim();
  return String(err);
}

// src/cluster/promotion-score.ts
var DEFAULT_LADDER = { consistentOnly: 0, remoteOnly: 10, peerUnknown: 1e3, best: 1e4 };
var TIE_BREAK_RANGE = 64;
var SCORE_BEST = DEFAULT_LADDER.best;
var SCORE_PEER_UNKNOWN = DEFAULT_LADDER.peerUnknown;
var SCORE_PRIMARY = DEFAULT_LADDER.best + TIE_BREAK_RANGE;
var UNUSABLE = ["Diskless", "Attaching", "Failed", "DUnknown"];
var has = (i, s) => i.localDisks.includes(s);
var allUpToDate = (i) => i.localDisks.every((d) => d === "UpToDate");
var unseen = (i) => i.peers.filter((p) => !p.connected).map((p) => p.name).join(", ");
var RULES = [
  {
    id: "local-disk-unusable",
    step: null,
    matches: (i) => i.localDisks.length === 0 || i.localDisks.some((d) => UNUSABLE.includes(d)),
    because: (i) => `local data is not usable (disks: ${i.localDisks.join(", ") || "none"})`
  },
  {
    id: "held-for-operator",
    step: null,
    matches: (i) => i.held,
    because: () => "held StandAlone: this node went away as Primary and auto_resync is off; its data may hold writes the others never got"
  },
  { id: "no-quorum", step: null, matches: (i) => !i.quorum, because: () => "this partition has no quorum" },
  { id: "local-inconsistent", step: null, matches: (i) => has(i, "Inconsistent"), because: () => "a local volume is Inconsistent" },
  { id: "local-outdated", step: null, matches: (i) => has(i, "Outdated"), because: () => "a local volume is Outdated" },
  { id: "older-generation", step: null, matches: (i) => i.generation === "older", because: () => "a connected peer has newer data" },
  {
    id: "consistent-only",
    step: "consistentOnly",
    matches: (i) => !allUpToDate(i),
    because: () => "local data is Consistent but not known to be UpToDate; promote by hand if you know it is the newest"
  },
  { id: "primary", step: "primary", matches: (i) => i.role === "Primary", because: () => "this node is Primary with UpToDate data" },
  {
    id: "uptodate-peers-known",
    step: "best",
    matches: (i) => i.peers.every((p) => p.connected),
    because: (i) => i.peers.length === 0 ? "UpToDate, and the resource has no other diskful node" : "UpToDate, and every diskful peer is connected"
  },
  {
    id: "takeover-withheld",
    step: null,
    matches: (i) => !i.autoTakeover,
    because: (i) => `UpToDate, but ${unseen(i)} cannot be seen and auto_takeover=false: a takeover needs an operator (set auto_takeover=true on the resource, or promote by hand)`
  },
  {
    id: "uptodate-peer-unknown",
    step: "peerUnknown",
    matches: () => true,
    because: (i) => `UpToDate, but ${unseen(i)} cannot be seen`
  }
];
function promotionScore(inputs) {
  const rule = RULES.find((r) => r.matches(inputs));
  if (!rule) throw new Error("promotion rules are not exhaustive");
  const base = stepScore(rule.step, inputs.ladder);
  if (base === null) return { score: null, rule: rule.id, because: rule.because(inputs), tieBreak: 0 };
  const tie = rule.step === "primary" ? 0 : tieBreak(inputs.self, inputs.preference);
  return { score: base + tie, rule: rule.id, because: rule.because(inputs), tieBreak: tie };
}
function stepScore(step, ladder) {
  if (step === null) return null;
  const score = step === "primary" ? ladder.best + TIE_BREAK_RANGE : ladder[step];
  return score > 0 ? score : null;
}
function tieBreak(self, preference) {
  const position = preference.indexOf(self.name);
  return position >= 0 && position < 32 ? 32 + (31 - position) : 31 - self.id;
}
function inputsFromStatus(status, settings) {
  const peers = status.connections.filter((c) => !c.volumes.every((v) => v.peerDiskState === "Diskless")).map((c) => ({
    name: c.peer,
    connected: c.connectionState === "Connected",
    diskStates: c.volumes.map((v) => c.connectionState === "Connected" ? v.peerDiskState : "DUnknown")
  }));
  const repl = status.connections.filter((c) => c.connectionState === "Connected").flatMap((c) => c.volumes.map((v) => v.replicationState));
  let generation = "unknown";
  if (repl.some((r) => r === "SyncTarget" || r === "PausedSyncT" || r === "Behind")) generation = "older";
  else if (repl.some((r) => r === "SyncSource" || r === "PausedSyncS" || r === "Ahead")) generation = "newer";
  else if (repl.length > 0) generation = "same";
  return {
    role: status.role,
    localDisks: status.volumes.map((v) => v.diskState),
    quorum: status.quorum,
    peers,
    generation,
    autoTakeover: settings.autoTakeover,
    held: status.held !== null && status.held !== void 0,
    self: settings.self,
    preference: settings.preference ?? [],
    ladder: settings.ladder ?? DEFAULT_LADDER
  };
}

// src/platform/sim/crm.ts
var ClusterManager = class {
  constructor(nodes, cib, autoTakeover, hooks) {
    this.nodes = nodes;
    this.cib = cib;
    this.autoTakeover = autoTakeover;
    this.hooks = hooks;
  }
  nodes;
  cib;
  autoTakeover;
  hooks;
  /** crashed nodes the cluster manager has not noticed yet */
  unnoticed = /* @__PURE__ */ new Set();
  promoting = false;
  lastWhy = "";
  /** A node crashed; the cluster manager notices it `afterMs` later (the caller schedules noticed()). */
  crashed(node) {
    this.unnoticed.add(node.name);
  }
  noticed(node) {
    this.unnoticed.delete(node.name);
    if (this.cib.promoted === node.name && !node.running) this.cib.promoted = null;
  }
  started(node) {
    this.unnoticed.delete(node.name);
  }
  /** Who the cluster manager believes is Promoted now. */
  refreshPromoted() {
    const primary = this.nodes.find((n) => n.status()?.role === "Primary");
    if (primary) this.cib.promoted = primary.name;
    else if (this.cib.promoted !== null && !this.unnoticed.has(this.cib.promoted)) this.cib.promoted = null;
  }
  /** The scores the agent would publish, per running node (null: no score). */
  scores() {
    const out = [];
    for (const node of this.nodes) {
      const status = node.status();
      if (!status) continue;
      const d = promotionScore(inputsFromStatus(status, { autoTakeover: this.autoTakeover, self: { name: node.name, id: node.id } }));
      out.push({ node, score: d.score, rule: d.rule });
    }
    return out;
  }
  /** Some running node may be promoted now (a score, no constraint against it), as evaluate() sees it. */
  hasCandidate() {
    return this.scores().some((s) => s.score !== null && this.cib.allows(s.node.name));
  }
  /** Promote the best node if nobody is Promoted. */
  async evaluate() {
    this.refreshPromoted();
    if (this.cib.promoted !== null || this.promoting) return;
    const candidates = this.scores().filter((s) => s.score !== null && this.cib.allows(s.node.name));
    if (candidates.length === 0) {
      const why = `crm: no node to promote (${this.scores().map((s) => `${s.node.name}:${s.rule}${this.cib.allows(s.node.name) ? "" : ":fenced"}`).join(" ") || "none running"})`;
      if (why !== this.lastWhy) this.hooks.note(why);
      this.lastWhy = why;
      return;
    }
    this.lastWhy = "";
    candidates.sort((a, b) => b.score - a.score || a.node.id - b.node.id);
    const best = candidates[0];
    this.promoting = true;
    try {
      const ok2 = await this.hooks.promote(best.node, false, `crm: score ${best.score} (${best.rule})`);
      if (ok2) this.cib.promoted = best.node.name;
    } finally {
      this.promoting = false;
    }
  }
};

// src/config/ini-file.ts
import ini from "ini";

// src/config/values.ts
import { isIPv4, isIPv6 } from "node:net";
import { isAbsolute } from "node:path";

// src/config/suggest.ts
function editDistance(a, b) {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length];
}
function closest(word, candidates) {
  if (word.length < 3) return void 0;
  const limit = word.length <= 4 ? 1 : 2;
  let best;
  for (const name of candidates) {
    const d = editDistance(word.toLowerCase(), name.toLowerCase());
    if (d <= limit && (best === void 0 || d < best.d)) best = { name, d };
  }
  return best?.name;
}

// src/config/values.ts
var MAX_UNIX_SOCKET_PATH = 107;
var ok = (value) => ({ ok: true, value });
var bad = (problem) => ({ ok: false, problem });
function enumOf(noun, values) {
  return {
    allowed: values.join(", "),
    parse(text2) {
      if (values.includes(text2)) return ok(text2);
      const guess = closest(text2, values);
      return bad(guess === void 0 ? `is not ${noun}` : `is not ${noun} (did you mean '${guess}'?)`);
    },
    format: (v) => v
  };
}
function integer(min, max) {
  return {
    allowed: `an integer from ${min} to ${max}`,
    parse(text2) {
      if (!/^\d+$/.test(text2)) return bad("is not an integer");
      const n = Number(text2);
      return n >= min && n <= max ? ok(n) : bad(`is not within ${min}..${max}`);
    },
    format: String
  };
}
function exactSize(bytes2) {
  for (const [name, unit] of [["TiB", TiB], ["GiB", GiB], ["MiB", MiB2], ["KiB", KiB]]) {
    if (bytes2 > 0 && bytes2 % unit === 0) return `${bytes2 / unit}${name}`;
  }
  return `${bytes2}`;
}
function size(min, multipleOf) {
  return {
    allowed: `${SIZE_SYNTAX}; at least ${min} bytes and a multiple of ${multipleOf}`,
    parse(text2) {
      const n = tryParseSize(text2);
      if (n === void 0) return bad("is not a size");
      if (n < min) return bad(`is smaller than ${min} bytes`);
      return n % multipleOf === 0 ? ok(n) : bad(`is not a multiple of ${multipleOf} bytes`);
    },
    format: exactSize
  };
}
var rate = {
  allowed: `0 (unlimited) or ${SIZE_SYNTAX}, optionally followed by /s`,
  parse(text2) {
    const n = tryParseSize(text2.replace(/\/s$/i, ""));
    return n === void 0 ? bad("is not a rate") : ok(n);
  },
  format: (n) => n === 0 ? "0" : `${exactSize(n)}/s`
};
var DURATION_UNITS = { ms: 1, s: 1e3, m: 6e4 };
function duration(minMs, maxMs) {
  return {
    allowed: `a duration with a unit (ms, s, m), from ${minMs}ms to ${maxMs}ms, e.g. 500ms or 10s`,
    parse(text2) {
      const m = /^(\d+)\s*(ms|s|m)$/.exec(text2);
      if (!m) return bad("is not a duration with a unit");
      const ms = Number(m[1]) * DURATION_UNITS[m[2]];
      return ms >= minMs && ms <= maxMs ? ok(ms) : bad(`is not within ${minMs}ms..${maxMs}ms`);
    },
    format: (ms) => ms % 1e3 === 0 ? `${ms / 1e3}s` : `${ms}ms`
  };
}
var bool = {
  allowed: "yes, no, true, false",
  parse(text2) {
    if (text2 === "yes" || text2 === "true") return ok(true);
    if (text2 === "no" || text2 === "false") return ok(false);
    return bad("is not a boolean");
  },
  format: (b) => b ? "yes" : "no"
};
var quorum = {
  allowed: "off, majority, all, or a number of nodes from 1 to 32",
  parse(text2) {
    if (text2 === "off" || text2 === "majority" || text2 === "all") return ok(text2);
    if (!/^\d+$/.test(text2)) return bad("is not a quorum setting");
    const n = Number(text2);
    return n >= 1 && n <= 32 ? ok(n) : bad("is not within 1..32");
  },
  format: String
};
var resourceName = {
  allowed: "letters, digits, _ . - (at most 63 characters, not starting with . or -)",
  parse(text2) {
    if (text2.length > 63) return bad("is longer than 63 characters");
    return /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(text2) ? ok(text2) : bad("is not a valid resource name");
  },
  format: (s) => s
};
function isNodeName(text2) {
  return text2.length <= 63 && /^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(text2);
}
var text = {
  allowed: "any text",
  parse: (s) => ok(s),
  format: (s) => s
};
var HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
function parseHostPort(text2) {
  const m = /^\[([^\]]*)\]:(\d+)$/.exec(text2) ?? /^([^:[\]]+):(\d+)$/.exec(text2);
  if (!m) {
    if (isIPv6(text2) || /^[^[].*:.*:/.test(text2)) return bad("is not an address: an IPv6 address needs brackets, [addr]:port");
    return bad("is not an address with a port");
  }
  const [, host, portText] = m;
  const bracketed = text2.startsWith("[");
  if (bracketed ? !isIPv6(host) : !(isIPv4(host) || HOSTNAME.test(host) && !/^[\d.]+$/.test(host))) {
    return bad(`is not an address: '${host}' is not ${bracketed ? "an IPv6 address" : "an IPv4 address or host name"}`);
  }
  const port = Number(portText);
  if (port < 1 || port > 65535) return bad(`is not an address: port ${portText} is not within 1..65535`);
  return ok({ host, port });
}
function formatHostPort(a) {
  return isIPv6(a.host) ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}
var address = {
  allowed: "IPv4:port, [IPv6]:port or hostname:port, port 1..65535",
  parse: parseHostPort,
  format: formatHostPort
};
function absolutePath(text2) {
  return isAbsolute(text2) && !text2.includes("\0");
}
var disk = {
  allowed: "an absolute path of a block device or file, or none (diskless)",
  parse(text2) {
    if (text2 === "none") return ok(null);
    return absolutePath(text2) ? ok(text2) : bad("is not an absolute path");
  },
  format: (d) => d ?? "none"
};
var optionalPath = {
  allowed: "an absolute path of a file, or nothing",
  parse(text2) {
    if (text2 === "") return ok(null);
    return absolutePath(text2) ? ok(text2) : bad("is not an absolute path");
  },
  format: (p) => p ?? ""
};
var meta = {
  allowed: "pmem:<absolute path of a file or devdax> or block:<absolute path of a device or file>",
  parse(text2) {
    const m = /^(pmem|block):(.*)$/.exec(text2);
    if (!m) return bad("is not a metadata placement");
    return absolutePath(m[2]) ? ok({ kind: m[1], path: m[2] }) : bad(`is not a metadata placement: '${m[2]}' is not an absolute path`);
  },
  format: (p) => `${p.kind}:${p.path}`
};
var exportAddress = {
  allowed: `an absolute Unix socket path (at most ${MAX_UNIX_SOCKET_PATH} bytes) or tcp:<host>:<port>`,
  parse(text2) {
    if (text2.startsWith("tcp:")) {
      const hp = parseHostPort(text2.slice(4));
      return hp.ok ? ok({ kind: "tcp", ...hp.value }) : bad(`is not an NBD export: '${text2.slice(4)}' ${hp.problem}`);
    }
    if (!absolutePath(text2)) return bad("is not an NBD export");
    if (Buffer.byteLength(text2) > MAX_UNIX_SOCKET_PATH) return bad(`is not an NBD export: the socket path is longer than ${MAX_UNIX_SOCKET_PATH} bytes`);
    return ok({ kind: "unix", path: text2 });
  },
  format: (e) => e.kind === "unix" ? e.path : `tcp:${formatHostPort(e)}`
};

// src/config/schema.ts
var AFTER_SB_0PRI = ["disconnect", "discard-younger-primary", "discard-older-primary", "discard-zero-changes", "discard-least-changes", "discard-node"];
var afterSb0pri = {
  allowed: AFTER_SB_0PRI.filter((p) => p !== "discard-node").join(", ") + ", discard-node-<node name>",
  parse(text2) {
    const m = /^discard-node-(.+)$/.exec(text2);
    if (m) return isNodeName(m[1]) ? { ok: true, value: { policy: "discard-node", node: m[1] } } : { ok: false, problem: `is not a split-brain policy: '${m[1]}' is not a node name` };
    if (text2 !== "discard-node" && AFTER_SB_0PRI.includes(text2)) return { ok: true, value: { policy: text2, node: null } };
    return { ok: false, problem: "is not a split-brain policy" };
  },
  format: (s) => s.node === null ? s.policy : `discard-node-${s.node}`
};
var csumsAlg = {
  allowed: "none, sha256 (a strong digest: blocks with equal digests are taken as equal and not sent; crc32c is too weak for that)",
  parse(text2) {
    if (text2 === "none" || text2 === "sha256") return { ok: true, value: text2 };
    if (/^crc/i.test(text2)) return { ok: false, problem: `is too weak for csums-alg: equal ${text2} values do not show two blocks are equal (${text2} suits data-integrity-alg, which only detects damage)` };
    return { ok: false, problem: text2.toLowerCase().replace("-", "") === "sha256" ? "is not a csums algorithm (did you mean 'sha256'?)" : "is not a csums algorithm" };
  },
  format: (a) => a
};
var PROTOCOL = enumOf("a replication protocol", ["A", "B", "C"]);
var RESOURCE_KEYS = {
  name: { type: resourceName, required: true, description: "resource name, unique across the configuration directory" },
  protocol: { type: PROTOCOL, default: "C", description: "when a write is acknowledged: A sent, B received by peers, C written by peers; the protocol of every connection without its own in [connection.<node>.<node>]" },
  secret: { type: text, default: "", description: "shared secret peers authenticate with (HMAC challenge-response)" },
  fencing: { type: enumOf("a fencing policy", ["dont-care", "resource-only", "resource-and-stonith"]), default: "dont-care", description: "what a Primary does when it loses a peer: nothing, fence-peer handler, or freeze I/O until the handler answers" },
  quorum: { type: quorum, default: "off", description: "nodes that must be reachable for I/O: off, majority, all or a number" },
  "on-no-quorum": { type: enumOf("an on-no-quorum policy", ["io-error", "suspend-io"]), default: "suspend-io", description: "what I/O does without quorum: fail, or wait until quorum returns" },
  "on-io-error": { type: enumOf("an on-io-error policy", ["detach"]), default: "detach", description: "what a failed local disk read, write or flush does: detach (the disk goes Failed then Diskless, its blocks stay out of sync for every peer, I/O goes on through UpToDate peers); DRBD's pass_on and call-local-io-error are not implemented" },
  "after-sb-0pri": { type: afterSb0pri, default: "disconnect", description: "split-brain recovery when no node is Primary" },
  "after-sb-1pri": { type: enumOf("a split-brain policy", ["disconnect", "consensus", "discard-secondary", "call-pri-lost-after-sb", "violently-as0p"]), default: "disconnect", description: "split-brain recovery when one node is Primary" },
  "after-sb-2pri": { type: enumOf("a split-brain policy", ["disconnect", "call-pri-lost-after-sb", "violently-as0p"]), default: "disconnect", description: "split-brain recovery when two nodes are Primary" },
  "al-extents": { type: integer(7, 65534), default: "1237", description: "activity-log extents of 4 MiB: more means fewer metadata updates, longer resync after a crash" },
  "resync-rate": { type: rate, default: "0", description: "resync bandwidth limit in bytes per second, 0 = unlimited" },
  "ping-interval": { type: duration(100, 12e4), default: "10s", description: "interval between keep-alive pings on the control connection (DRBD ping-int; sent whether or not data flows)" },
  "ping-timeout": { type: duration(100, 3e4), default: "500ms", description: "time a ping may take before the peer is considered lost" },
  standalone: { type: bool, default: "no", description: "yes allows a single-node resource (no replication)" },
  "transport-security": { type: enumOf("a transport security", ["tls", "integrity", "none"]), default: "tls", description: "how peer links are protected: tls (TLS 1.3, encrypted and authenticated), integrity (in clear, every frame authenticated), none (in clear, only the handshake authenticated); the same on every node" },
  "previous-secret": { type: text, default: "", description: "while rotating the secret one node at a time: the old secret, still accepted from peers that do not have the new one yet" },
  "data-integrity-alg": { type: enumOf("a data integrity algorithm", ["none", "crc32c"]), default: "none", description: "checksum on every replicated write and resync block, checked before it is written (a mismatch drops the connection and the range is resynced); the same on every node" },
  "csums-alg": { type: csumsAlg, default: "none", description: "checksum-based resync (DRBD csums-alg): for each out-of-sync block the SyncSource sends a digest first and only blocks that differ travel over the link, the others are verified and marked in sync; both disks are read in full, so it pays when the target already holds most of the data (a seeded DR copy, a crash); the same on every node" },
  "tls-cert": { type: optionalPath, default: "", description: "this node's TLS certificate (PEM, naming the node or its address); with tls-key and tls-ca, TLS authenticates with certificates instead of the secret, and TCP exports use it" },
  "tls-key": { type: optionalPath, default: "", description: "the private key of tls-cert (PEM)" },
  "tls-ca": { type: optionalPath, default: "", description: "the CA certificate (PEM) that signed every node's tls-cert (and the NBD clients' certificates)" },
  "export-tls-psk": { type: optionalPath, default: "", description: "PSK file for NBD clients of TCP exports (psktool format, identity:hex-key per line; nbdinfo --tls-psk, qemu tls-creds-psk)" },
  "export-insecure": { type: bool, default: "no", description: "yes allows TCP exports without TLS: anyone who reaches the port reads and writes the volume" },
  frontend: { type: enumOf("a frontend", ["auto", "nbd", "fuse", "none"]), default: "auto", description: "each volume as a local block device /dev/tandem/<res>/<vol> while Primary: nbd = kernel NBD driver (nbd-client), fuse = nbdfuse + a loop device, auto = nbd where the nbd module is loaded, else fuse; none = no block device. The device is a client of the volume's NBD export (a volume without volume.N.export gets a private one)" }
};
var VOLUME_KEYS = {
  disk: { type: disk, description: "backing block device or file; none = diskless (reads and writes through a peer)" },
  meta: { type: meta, description: "metadata placement, pmem:<path> or block:<path>; not needed when diskless" },
  export: { type: exportAddress, description: "where the volume is exported over NBD: a Unix socket path or tcp:<host>:<port>" },
  size: { type: size(4096, 512), description: "volume size; without it the size of the backing disk" }
};
var NODE_KEYS = {
  id: { type: integer(0, 31), required: true, description: "node id, unique in the resource, 0..31" },
  address: { type: address, required: true, description: "address and port peers connect to" }
};
var CONNECTION_KEYS = {
  protocol: { type: PROTOCOL, description: "this connection's replication protocol (DRBD's per-connection net { protocol }): a write is acknowledged once every peer has what its own connection's protocol asks; without it, the resource's protocol" }
};
for (const table of [RESOURCE_KEYS, VOLUME_KEYS, NODE_KEYS, CONNECTION_KEYS]) {
  for (const [key, spec] of Object.entries(table)) {
    assert(spec.default === void 0 || spec.type.parse(spec.default).ok, `schema default of '${key}' is valid`);
    assert(!(spec.required && spec.default !== void 0), `schema key '${key}' is not both required and defaulted`);
  }
}

// src/config/load.ts
var MAX_FILE_BYTES = 1024 * 1024;

// src/cluster/constraints.ts
import { parseStringPromise } from "xml2js";

// src/ocf/metadata.ts
var AGENT_NAME = "replica";
var AGENT_PROVIDER = "tandem";
var AGENT_SPEC = `ocf:${AGENT_PROVIDER}:${AGENT_NAME}`;

// src/cluster/fence-handler.ts
function requestFromEnv(env) {
  const resource = env.TANDEM_RESOURCE ?? env.DRBD_RESOURCE;
  if (!resource) {
    throw new TandemError("TANDEM_E_USAGE", "no resource: TANDEM_RESOURCE / DRBD_RESOURCE is not set", {
      hint: "tandemd sets the handler environment; by hand pass --resource, --node and --up-to-date"
    });
  }
  const byId = /* @__PURE__ */ new Map();
  for (const [key, value] of Object.entries(env)) {
    const m = /^DRBD_NODE_ID_(\d+)$/.exec(key);
    if (m && value) byId.set(Number(m[1]), value);
  }
  const name = (id) => id === void 0 ? null : byId.get(Number(id)) ?? null;
  const localNode = env.TANDEM_NODE ?? name(env.DRBD_MY_NODE_ID);
  if (!localNode) throw new TandemError("TANDEM_E_USAGE", "no local node: TANDEM_NODE / DRBD_MY_NODE_ID is not set");
  let upToDate;
  if (env.TANDEM_UP_TO_DATE_NODES !== void 0) {
    upToDate = env.TANDEM_UP_TO_DATE_NODES.split(",").filter(Boolean);
  } else {
    const mask = Number.parseInt(env.UP_TO_DATE_NODES ?? "0", 16);
    upToDate = [...byId].filter(([id]) => mask >> id & 1).map(([, n]) => n);
  }
  return {
    resource,
    localNode,
    upToDate: [...new Set(upToDate)].sort(),
    peer: name(env.DRBD_PEER_NODE_ID),
    nodes: [...byId.values()],
    configDir: env.TANDEM_CONFIG_DIR ?? null,
    quorate: env.TANDEM_QUORUM !== "no",
    ...env.TANDEM_LOST_REASON ? { lostReason: env.TANDEM_LOST_REASON } : {}
  };
}

// src/platform/sim/handlers.ts
var FENCE_PREFIX = "tandem-fence-";
var SimCib = class {
  constructor(resource, nodes, diskful, onChange) {
    this.resource = resource;
    this.diskful = diskful;
    this.onChange = onChange;
    for (const n of nodes) this.members.set(n, { up: false, expectedDown: true });
  }
  resource;
  diskful;
  onChange;
  /** constraint id → nodes allowed to be promoted */
  constraints = /* @__PURE__ */ new Map();
  members = /* @__PURE__ */ new Map();
  /** the node the cluster manager runs Promoted, if any */
  promoted = null;
  /** handler runs from now on fail this way (a broken handler or a CIB that does not answer) */
  handlerFault = null;
  /** Cluster membership quorum: a majority of the nodes; a two-node cluster runs with
   *  corosync's two_node, where one node alone is quorate. */
  get quorate() {
    const up = [...this.members.values()].filter((m) => m.up).length;
    return this.members.size === 2 ? up >= 1 : up > this.members.size / 2;
  }
  /** May the cluster manager promote `node`? (no fence constraint forbids it) */
  allows(node) {
    for (const c of this.constraints.values()) if (c.resource === this.resource && !c.allowed.includes(node)) return false;
    return true;
  }
  fencePeer(env) {
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
    if (!this.quorate) return { exitCode: 1, message: "no quorum: nothing placed" };
    if (this.promoted !== null && this.promoted !== req.localNode) return { exitCode: 6, message: `${this.promoted} is Promoted: refusing` };
    this.constraints.set(id, { resource: req.resource, allowed: [...req.upToDate].sort() });
    this.onChange(`constraint ${id} placed: promotion only on ${req.upToDate.join(",")}`);
    const fenced = req.peer ? [req.peer] : this.diskful.filter((n) => !req.upToDate.includes(n));
    if (fenced.length === 0) return { exitCode: 5, message: "no peer known" };
    const states = fenced.map((n) => this.members.get(n) ?? { up: false, expectedDown: false });
    if (states.every((s) => s.up)) return { exitCode: 4, message: `${fenced.join(",")} online, now outdated` };
    if (states.every((s) => s.up || s.expectedDown)) return { exitCode: 7, message: `${fenced.join(",")} fenced` };
    return { exitCode: 5, message: `${fenced.join(",")} unreachable` };
  }
  unfencePeer(env) {
    const req = requestFromEnv(env);
    const id = FENCE_PREFIX + req.resource;
    const existing = this.constraints.get(id);
    if (!existing) return { exitCode: 0, message: "no constraint" };
    const missing = this.diskful.filter((n) => !req.upToDate.includes(n));
    if (missing.length === 0) {
      this.constraints.delete(id);
      this.onChange(`constraint ${id} lifted`);
      return { exitCode: 0, message: "lifted" };
    }
    const allowed = [.../* @__PURE__ */ new Set([...existing.allowed, ...req.upToDate])].sort();
    this.constraints.set(id, { resource: req.resource, allowed });
    this.onChange(`constraint ${id} kept: promotion only on ${allowed.join(",")}`);
    return { exitCode: 2, message: `still fenced: ${missing.join(",")} not UpToDate` };
  }
};
var SimHandlerRunner = class {
  constructor(cib, scheduler, owner, random) {
    this.cib = cib;
    this.scheduler = scheduler;
    this.owner = owner;
    this.random = random;
  }
  cib;
  scheduler;
  owner;
  random;
  run(name, env, timeoutMs) {
    const fault2 = this.cib.handlerFault;
    const took = fault2 === "timeout" ? timeoutMs : this.random.real(20, 400);
    return new Promise((resolve) => {
      this.scheduler.after(took, this.owner, "handler", name, () => {
        if (fault2 === "timeout") {
          resolve({ exitCode: -1, stdout: "", stderr: `${name} timed out (injected)` });
          return;
        }
        if (fault2 === "fail") {
          resolve({ exitCode: 1, stdout: "", stderr: `${name} failed (injected)` });
          return;
        }
        const out = name === "tandem-fence-peer" ? this.cib.fencePeer(env) : name === "tandem-unfence-peer" ? this.cib.unfencePeer(env) : name === "tandem-primary-lost" || name === "tandem-quorum-lost" ? { exitCode: 0, message: "nothing to do here" } : { exitCode: 127, message: `no handler ${name}` };
        resolve({ exitCode: out.exitCode, stdout: out.message, stderr: "" });
      });
    });
  }
  async fenceConstraints(resource) {
    return [...this.cib.constraints.entries()].filter(([, c]) => c.resource === resource).map(([id]) => id);
  }
};

// src/platform/sim/meta-store.ts
var MetaMedium = class {
  constructor(kind, length, random) {
    this.kind = kind;
    this.length = length;
    this.random = random;
    this.volatile = new Uint8Array(length);
    this.persisted = new Uint8Array(length);
    this.unit = kind === "pmem" ? 8 : 512;
    this.dirty = new Uint8Array(Math.ceil(length / this.unit));
  }
  kind;
  length;
  random;
  /** what reads return: the latest stores */
  volatile;
  /** what survives a power loss for sure */
  persisted;
  /** one flag per tear unit (8-byte word on pmem, 512-byte sector on block) written since persisted */
  dirty;
  dirtyUnits = 0;
  unit;
  /** persist() calls so far: a fault can crash the node at a chosen one */
  persists = 0;
  read(offset, length) {
    checkRange(this.length, offset, length);
    return this.volatile.slice(offset, offset + length);
  }
  readInto(offset, target) {
    checkRange(this.length, offset, target.length);
    target.set(this.volatile.subarray(offset, offset + target.length));
  }
  write(offset, data) {
    checkRange(this.length, offset, data.length);
    this.volatile.set(data, offset);
    const last = Math.floor((offset + Math.max(data.length, 1) - 1) / this.unit);
    for (let u = Math.floor(offset / this.unit); u <= last; u++) {
      if (this.dirty[u] === 0) {
        this.dirty[u] = 1;
        this.dirtyUnits++;
      }
    }
  }
  persist(offset, length) {
    checkRange(this.length, offset, length);
    this.persists++;
    if (this.dirtyUnits === 0) return;
    const [first, last] = this.kind === "block" ? [0, this.dirty.length - 1] : [Math.floor(offset / this.unit), Math.floor((offset + Math.max(length, 1) - 1) / this.unit)];
    for (let u = first; u <= last; u++) this.persistUnit(u);
  }
  /** The machine lost power: unpersisted units survive or not, each on its own. */
  powerLoss() {
    for (let u = 0; u < this.dirty.length; u++) {
      if (this.dirty[u] === 0) continue;
      if (this.random.chance(0.5)) this.persistUnit(u);
    }
    this.volatile.set(this.persisted);
    this.dirty.fill(0);
    this.dirtyUnits = 0;
  }
  /** A store for one incarnation; it stops working when the incarnation dies mid-update. */
  open(alive) {
    return new SimMetaStore(this, alive);
  }
  persistUnit(u) {
    if (this.dirty[u] === 0) return;
    const start = u * this.unit;
    const end = Math.min(start + this.unit, this.length);
    this.persisted.set(this.volatile.subarray(start, end), start);
    this.dirty[u] = 0;
    this.dirtyUnits--;
  }
};
var SimCrash = class extends Error {
  constructor(node) {
    super(`simulated crash of ${node}`);
    this.node = node;
    this.name = "SimCrash";
  }
  node;
};
var SimMetaStore = class {
  constructor(medium, alive) {
    this.medium = medium;
    this.alive = alive;
    this.isPmem = medium.kind === "pmem";
  }
  medium;
  alive;
  isPmem;
  /** crash the node at this persist() (a medium-wide count), or never */
  crashAtPersist = Infinity;
  onCrash = null;
  get kind() {
    return this.medium.kind;
  }
  get length() {
    return this.medium.length;
  }
  /** persist() calls the medium has seen (the crash point counts from here) */
  get persists() {
    return this.medium.persists;
  }
  read(offset, length) {
    this.check();
    return this.medium.read(offset, length);
  }
  readInto(offset, target) {
    this.check();
    this.medium.readInto(offset, target);
  }
  write(offset, data) {
    this.check();
    this.medium.write(offset, data);
  }
  persist(offset, length) {
    this.check();
    if (this.medium.persists + 1 >= this.crashAtPersist) {
      this.onCrash?.();
      throw new SimCrash("metadata persist");
    }
    this.medium.persist(offset, length);
  }
  /** Every range durable on return, in no particular order: a crash in the middle keeps a subset. */
  persistRanges(ranges) {
    for (const [offset, length] of ranges) this.persist(offset, length);
  }
  close() {
  }
  check() {
    if (!this.alive()) throw new SimCrash("metadata access after the crash");
  }
};

// src/wire/schema.ts
var u8 = { kind: "u8" };
var u16 = { kind: "u16" };
var u32 = { kind: "u32" };
var u64 = { kind: "u64" };
var safe = { kind: "safe" };
var bool2 = { kind: "bool" };
function enumOf2(values) {
  return { kind: "enum", values };
}
function bitsOf(width, names) {
  return { kind: "bits", width, names };
}
function fixed(length) {
  return { kind: "fixed", length };
}
function bytes(max) {
  return { kind: "bytes", max };
}
function string(max) {
  return { kind: "string", max };
}
function arrayOf(item, bounds) {
  return { kind: "array", item, min: bounds.min ?? 0, max: bounds.max };
}
function struct(fields) {
  return { kind: "struct", fields };
}
function tail(max) {
  return { kind: "tail", max };
}

// src/wire/messages.ts
var WIRE_ROLES = ["Unknown", "Primary", "Secondary"];
var WIRE_DISK_STATES = [
  "Diskless",
  "Attaching",
  "Inconsistent",
  "Outdated",
  "Consistent",
  "UpToDate",
  "Failed",
  "DUnknown"
];
var SOCKET_ROLES = ["data", "control"];
var REFUSE_CODES = [
  "version",
  "resource",
  "node-id",
  "auth",
  "busy",
  "race",
  "timeout",
  "protocol",
  // protocol 2
  "security",
  // protocol 3
  "csums-alg",
  "replication-protocol"
];
var REPLICATION_PROTOCOLS = ["A", "B", "C"];
var TRANSPORT_SECURITY_MODES = ["none", "integrity", "tls"];
var TLS_AUTH_METHODS = ["psk", "certificate"];
var DATA_INTEGRITY_ALGS = ["none", "crc32c"];
var CSUMS_ALGS = ["none", "sha256"];
var KEY_ID_BYTES = 8;
var NONCE_BYTES = 32;
var MAC_BYTES = 32;
var TEXT_MAX_BYTES = 512;
var HISTORY_MAX = 32;
var RANGES_MAX = 8192;
var VOLUMES_MAX = 256;
var DIGEST_MAX = 64;
var range = struct({ offset: safe, length: safe });
var volumeState = struct({
  volume: u16,
  diskState: enumOf2(WIRE_DISK_STATES),
  sizeBytes: safe,
  current: u64,
  /** the sender's bitmap generation for the receiver (0: none) */
  bitmapForReceiver: u64,
  history: arrayOf(u64, { max: HISTORY_MAX }),
  /** survivedPrimaryLoss: the sender stayed up when its Primary vanished and holds all it acknowledged;
   *  primaryLostQuorum: it lost quorum as Primary and wrote nothing acknowledged since;
   *  resyncPaused: the sender takes resync data from another node first, and the receiver sends it none until this clears;
   *  diskCrashed: the sender's disk was attached after an unclean shutdown (kill, power loss): its cache may have lost writes it had acknowledged */
  flags: bitsOf(16, ["crashedPrimary", "wasUpToDate", "consistent", "discardMyData", "newDataGeneration", "survivedPrimaryLoss", "primaryLostQuorum", "resyncPaused", "diskCrashed"]),
  outOfSyncBits: safe,
  /** a generation of the sender's lineage since which it acknowledged no write, having started every
   *  generation after it as Primary (0: no such claim; generation-handshake.ts) */
  unacknowledgedSince: u64,
  reconcile: arrayOf(range, { max: RANGES_MAX }),
  /** how often the sender paused the receiver as its resync source on this link, and the
   *  receiver's count of that the sender last read (see PeerVolume in engine/peer.ts) */
  resyncPauses: u32,
  resyncPausesSeen: u32
});
var writeFlags = bitsOf(8, ["fua", "flush"]);
var MESSAGES = {
  // --- handshake (both sockets, before authentication) ---
  Hello: {
    id: 1,
    fields: {
      versionMin: u16,
      versionMax: u16,
      resource: string(64),
      senderNodeId: u8,
      /** whom the sender means to talk to; the receiver checks it is itself */
      peerNodeId: u8,
      socketRole: enumOf2(SOCKET_ROLES),
      /** the same on the data and the control socket of one connection attempt */
      connectionNonce: fixed(16)
    }
  },
  AuthChallenge: { id: 2, fields: { nonce: fixed(NONCE_BYTES) } },
  AuthResponse: { id: 3, fields: { mac: fixed(MAC_BYTES) } },
  AuthResult: { id: 4, fields: { ok: bool2, reason: string(TEXT_MAX_BYTES) } },
  Refuse: { id: 5, fields: { code: enumOf2(REFUSE_CODES), text: string(TEXT_MAX_BYTES) } },
  Disconnect: { id: 6, fields: { reason: string(TEXT_MAX_BYTES) } },
  // --- state ---
  State: {
    id: 16,
    fields: { role: enumOf2(WIRE_ROLES), volumes: arrayOf(volumeState, { max: VOLUMES_MAX }) }
  },
  /** cluster-wide two-phase state change (DRBD's twopc) */
  StateChangeRequest: {
    id: 17,
    fields: {
      transactionId: u32,
      initiatorNodeId: u8,
      /** bit n set: node n takes part in the transaction */
      nodeMask: u32,
      phase: enumOf2(["prepare", "commit", "abort"]),
      change: enumOf2(["promote", "demote", "outdate", "detach", "disconnect"]),
      volume: u16
    }
  },
  StateChangeReply: {
    id: 18,
    fields: { transactionId: u32, result: enumOf2(["yes", "no", "retry"]), reason: string(TEXT_MAX_BYTES) }
  },
  // --- data (data socket) ---
  // missing: node ids (bit n = node n) of diskful peers that do not get this write from the
  // Primary; a receiver keeps their blocks out of sync (DRBD's peer-ack mask)
  Write: {
    id: 32,
    fields: { volume: u16, seq: safe, epoch: u32, offset: safe, flags: writeFlags, missing: u32, data: tail(MAX_DATA_BYTES) }
  },
  WriteZeroes: {
    id: 33,
    fields: { volume: u16, seq: safe, epoch: u32, offset: safe, length: u32, flags: writeFlags, missing: u32 }
  },
  Trim: { id: 34, fields: { volume: u16, seq: safe, epoch: u32, offset: safe, length: u32 } },
  /** closes an epoch: every write of epochs ≤ this one, on every volume, comes before it */
  Barrier: { id: 35, fields: { epoch: u32, writeCount: u32 } },
  Flush: { id: 36, fields: { id: u32 } },
  /**
   * DRBD's P_OUT_OF_SYNC: the range changed and the nodes in `missing` may not have it; the
   * receiver marks it out of sync for them (a diskless Primary's unconfirmed writes to a lost peer)
   */
  OutOfSync: { id: 37, fields: { volume: u16, offset: safe, length: u32, missing: u32 } },
  // --- acks and liveness (control socket) ---
  RecvAck: { id: 48, fields: { volume: u16, seq: safe } },
  WriteAck: { id: 49, fields: { volume: u16, seq: safe } },
  NegAck: { id: 50, fields: { volume: u16, seq: safe, errno: u16 } },
  BarrierAck: { id: 51, fields: { epoch: u32, writeCount: u32 } },
  FlushAck: { id: 52, fields: { id: u32 } },
  Ping: { id: 53, fields: { id: u32 } },
  PingAck: { id: 54, fields: { id: u32 } },
  // --- resync, verify, diskless reads ---
  /** out-of-sync bits from bitOffset: raw 64-bit little-endian words or a run-length encoding */
  BitmapChunk: {
    id: 64,
    fields: {
      volume: u16,
      bitOffset: safe,
      encoding: enumOf2(["raw", "rle"]),
      last: bool2,
      payload: tail(MAX_DATA_BYTES)
    }
  },
  /**
   * SyncTarget → SyncSource (control): send the data of this range. With csums-alg, the answer
   * to a ResyncChecksum whose digest differs from the target's block (DRBD's P_RS_DATA_REQUEST).
   */
  ResyncRequest: { id: 65, fields: { volume: u16, requestId: u32, offset: safe, length: u32 } },
  ResyncData: { id: 66, fields: { volume: u16, requestId: u32, offset: safe, data: tail(MAX_DATA_BYTES) } },
  ResyncAck: { id: 67, fields: { volume: u16, requestId: u32, offset: safe, length: u32 } },
  /** every out-of-sync block was sent and acknowledged: the target takes these generations */
  ResyncDone: { id: 68, fields: { volume: u16, current: u64, history: arrayOf(u64, { max: HISTORY_MAX }) } },
  ChecksumRequest: {
    id: 69,
    fields: { volume: u16, requestId: u32, offset: safe, length: u32, digest: bytes(DIGEST_MAX) }
  },
  ChecksumReply: {
    id: 70,
    fields: { volume: u16, requestId: u32, offset: safe, length: u32, digest: bytes(DIGEST_MAX) }
  },
  ReadRequest: { id: 71, fields: { volume: u16, requestId: u32, offset: safe, length: u32 } },
  ReadReply: { id: 72, fields: { volume: u16, requestId: u32, errno: u16, data: tail(MAX_DATA_BYTES) } },
  // --- protocol 2 ---
  /**
   * Handshake, right after Hello on each socket: how the sender protects the link. Both ends must
   * state the same mode, TLS authentication and data-integrity-alg, or the acceptor refuses
   * ('security'). keyIds: the dialer lists the secrets it holds (current first, then a previous
   * one during a rotation); the acceptor answers with the one id both hold.
   * Protocol 3: csumsAlg, the digest the sender's resyncs compare blocks by; a different one is
   * refused ('csums-alg').
   * replicationProtocol (protocol 3): the sender's protocol for this connection; both ends must
   * state the same one, or the receiver refuses ('replication-protocol').
   */
  Security: {
    id: 7,
    fields: {
      mode: enumOf2(TRANSPORT_SECURITY_MODES),
      tlsAuth: enumOf2(TLS_AUTH_METHODS),
      dataIntegrity: enumOf2(DATA_INTEGRITY_ALGS),
      replicationProtocol: enumOf2(REPLICATION_PROTOCOLS),
      keyIds: arrayOf(fixed(KEY_ID_BYTES), { min: 1, max: 2 }),
      csumsAlg: enumOf2(CSUMS_ALGS)
    }
  },
  // --- protocol 3: checksum-based resync (csums-alg) ---
  /**
   * SyncSource → SyncTarget (data stream, ordered with writes): the digest of the source's block
   * as read under its range lock. The target compares it with its own block at the same place in
   * the stream and answers ResyncInSync (equal) or ResyncRequest (differs: send the data).
   */
  ResyncChecksum: {
    id: 73,
    fields: { volume: u16, requestId: u32, offset: safe, length: u32, digest: bytes(DIGEST_MAX) }
  },
  /** SyncTarget → SyncSource (control): the range's digests were equal; the target cleared its bits (DRBD's P_RS_IS_IN_SYNC) */
  ResyncInSync: { id: 74, fields: { volume: u16, requestId: u32, offset: safe, length: u32 } }
};

// src/wire/codec.ts
var HEADER_BYTES = 20;
var FRAME_FLAG = { payloadChecksum: 1, mac: 2 };
var KNOWN_FLAGS = FRAME_FLAG.payloadChecksum | FRAME_FLAG.mac;
var CHECKSUM_TRAILER_BYTES = 4;
var MAC_TRAILER_BYTES = 16;
var MAX_TRAILER_BYTES = CHECKSUM_TRAILER_BYTES + MAC_TRAILER_BYTES;
var NAME_BY_ID = new Map(
  Object.keys(MESSAGES).map((name) => [MESSAGES[name].id, name])
);
assert(NAME_BY_ID.size === Object.keys(MESSAGES).length, "message type numbers are unique");
function protocolError(message, details = {}) {
  return new TandemError("TANDEM_E_PROTOCOL", message, {
    hint: "the peer sent a malformed frame; the connection is dropped and re-established. If it repeats, check that both nodes run compatible Tandem versions",
    details
  });
}
var DATA_MESSAGES = new Set(
  Object.keys(MESSAGES).filter((name) => Object.values(MESSAGES[name].fields).some((f) => f.kind === "tail"))
);
function encodeFrame(msg, flags = 0) {
  const fields = MESSAGES[msg.type].fields;
  const record = msg;
  const tailBuffer = tailOf(fields, record);
  const fieldBytes = sizeOfFields(fields, record, msg.type);
  const payloadBytes = fieldBytes + (tailBuffer?.length ?? 0);
  if (payloadBytes > MAX_PAYLOAD_BYTES) fail(`${msg.type} frame of ${payloadBytes} bytes fits the frame limit`);
  const head = Buffer.allocUnsafe(HEADER_BYTES + fieldBytes);
  writeHeader(head, MESSAGES[msg.type].id, payloadBytes, flags);
  const end = writeFields(head, HEADER_BYTES, fields, record, msg.type);
  assert(end === head.length, "encoded size matches the computed size");
  return tailBuffer && tailBuffer.length > 0 ? [head, tailBuffer] : [head];
}
var ENTRIES = /* @__PURE__ */ new WeakMap();
function entriesOf(fields) {
  let entries = ENTRIES.get(fields);
  if (entries === void 0) {
    entries = Object.entries(fields).map(([name, field]) => ({ name, field }));
    ENTRIES.set(fields, entries);
  }
  return entries;
}
function pathOf(parent, name) {
  return name.startsWith("[") ? parent + name : `${parent}.${name}`;
}
function fail(invariant) {
  throw new TandemError("TANDEM_E_INTERNAL", `invariant violated: ${invariant}`);
}
var SAFE_HIGH_MAX = 2097151;
var CRC_TABLE = new Int32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 3988292384 ^ c >>> 1 : c >>> 1;
  return c;
});
function headerCrc(buf) {
  let c = -1;
  for (let i = 0; i < 16; i++) c = CRC_TABLE[(c ^ buf[i]) & 255] ^ c >>> 8;
  return (c ^ -1) >>> 0;
}
function writeHeader(buf, typeId, payloadBytes, flags) {
  assert((flags & ~KNOWN_FLAGS) === 0, "only defined frame flags are sent");
  buf.writeUInt32BE(FRAME_MAGIC, 0);
  buf.writeUInt16BE(FRAME_FORMAT, 4);
  buf.writeUInt16BE(typeId, 6);
  buf.writeUInt16BE(flags, 8);
  buf.writeUInt16BE(0, 10);
  buf.writeUInt32BE(payloadBytes, 12);
  buf.writeUInt32BE(headerCrc(buf), 16);
}
function tailOf(fields, record) {
  const entries = entriesOf(fields);
  const last = entries[entries.length - 1];
  if (last === void 0 || last.field.kind !== "tail") return null;
  const value = record[last.name];
  if (!Buffer.isBuffer(value)) fail(`tail field ${last.name} is a Buffer`);
  if (value.length > last.field.max) fail(`tail field ${last.name} of ${value.length} bytes is at most ${last.field.max} bytes`);
  return value;
}
function sizeOfFields(fields, record, path) {
  let total = 0;
  for (const { name, field } of entriesOf(fields)) {
    if (field.kind === "tail") continue;
    total += sizeOf3(field, record[name], path, name);
  }
  return total;
}
function sizeOf3(field, value, parent, name) {
  switch (field.kind) {
    case "u8":
    case "bool":
    case "enum":
      return 1;
    case "u16":
      return 2;
    case "u32":
      return 4;
    case "u64":
    case "safe":
      return 8;
    case "bits":
      return field.width / 8;
    case "fixed":
      return field.length;
    case "bytes":
      return 4 + value.length;
    case "string":
      return 2 + Buffer.byteLength(value, "utf8");
    case "array": {
      const items = value;
      const path = pathOf(parent, name);
      if (!Array.isArray(items)) fail(`${path} is an array`);
      return items.reduce((n, item, i) => n + sizeOf3(field.item, item, path, `[${i}]`), 2);
    }
    case "struct":
      return sizeOfFields(field.fields, value, pathOf(parent, name));
    case "tail":
      return 0;
  }
}
function writeFields(buf, at, fields, record, path) {
  let offset = at;
  for (const { name, field } of entriesOf(fields)) {
    if (field.kind === "tail") continue;
    offset = writeField(buf, offset, field, record[name], path, name);
  }
  return offset;
}
function writeField(buf, at, field, value, parent, name) {
  switch (field.kind) {
    case "u8":
      return buf.writeUInt8(checkUint(value, 255, parent, name), at);
    case "u16":
      return buf.writeUInt16BE(checkUint(value, 65535, parent, name), at);
    case "u32":
      return buf.writeUInt32BE(checkUint(value, 4294967295, parent, name), at);
    case "safe":
      return writeSafe(buf, at, checkUint(value, Number.MAX_SAFE_INTEGER, parent, name));
    case "u64":
      if (!(typeof value === "bigint" && value >= 0n && value < 1n << 64n)) fail(`${pathOf(parent, name)} is a u64`);
      return buf.writeBigUInt64BE(value, at);
    case "bool":
      if (typeof value !== "boolean") fail(`${pathOf(parent, name)} is a boolean`);
      return buf.writeUInt8(value ? 1 : 0, at);
    case "enum": {
      const index = field.values.indexOf(value);
      if (index < 0) fail(`${pathOf(parent, name)} is one of ${field.values.join("|")}`);
      return buf.writeUInt8(index, at);
    }
    case "bits":
      return writeBits(buf, at, field.width, field.names, value, parent, name);
    case "fixed":
      if (!(Buffer.isBuffer(value) && value.length === field.length)) fail(`${pathOf(parent, name)} is ${field.length} bytes`);
      return at + value.copy(buf, at);
    case "bytes":
      if (!(Buffer.isBuffer(value) && value.length <= field.max)) fail(`${pathOf(parent, name)} is at most ${field.max} bytes`);
      buf.writeUInt32BE(value.length, at);
      return at + 4 + value.copy(buf, at + 4);
    case "string": {
      if (typeof value !== "string") fail(`${pathOf(parent, name)} is a string`);
      const length = buf.write(value, at + 2, "utf8");
      if (length > field.max) fail(`${pathOf(parent, name)} is at most ${field.max} bytes of UTF-8`);
      buf.writeUInt16BE(length, at);
      return at + 2 + length;
    }
    case "array": {
      const items = value;
      const path = pathOf(parent, name);
      assert(items.length >= field.min && items.length <= field.max, `${path} has ${field.min}..${field.max} items`);
      let offset = buf.writeUInt16BE(items.length, at);
      items.forEach((item, i) => {
        offset = writeField(buf, offset, field.item, item, path, `[${i}]`);
      });
      return offset;
    }
    case "struct":
      return writeFields(buf, at, field.fields, value, pathOf(parent, name));
    case "tail":
      return at;
  }
}
function writeSafe(buf, at, value) {
  buf.writeUInt32BE(Math.floor(value / 2 ** 32), at);
  return buf.writeUInt32BE(value >>> 0, at + 4);
}
function checkUint(value, max, parent, name) {
  if (!(typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= max)) {
    fail(`${pathOf(parent, name)} is an integer in 0..${max}`);
  }
  return value;
}
function writeBits(buf, at, width, names, value, parent, name) {
  const set = value;
  let word = 0;
  for (let bit = 0; bit < names.length; bit++) {
    const flag = set[names[bit]];
    if (typeof flag !== "boolean") fail(`${pathOf(parent, name)}.${names[bit]} is a boolean`);
    if (flag) word |= 1 << bit;
  }
  word >>>= 0;
  if (width === 8) return buf.writeUInt8(word, at);
  if (width === 16) return buf.writeUInt16BE(word, at);
  return buf.writeUInt32BE(word, at);
}
function decodeHeader(buf, maxPayloadBytes) {
  assert(buf.length >= HEADER_BYTES, "a whole header is available");
  const magic = buf.readUInt32BE(0);
  if (magic !== FRAME_MAGIC) throw protocolError(`bad frame magic 0x${magic.toString(16)} (expected 0x${FRAME_MAGIC.toString(16)})`, { magic });
  const crc = buf.readUInt32BE(16);
  if (crc !== headerCrc(buf)) throw protocolError("frame header checksum mismatch", { crc });
  const format2 = buf.readUInt16BE(4);
  if (format2 !== FRAME_FORMAT) throw protocolError(`unsupported frame format ${format2} (this node reads ${FRAME_FORMAT})`, { format: format2 });
  const typeId = buf.readUInt16BE(6);
  const name = NAME_BY_ID.get(typeId);
  if (name === void 0) throw protocolError(`unknown message type 0x${typeId.toString(16)}`, { typeId });
  const flags = buf.readUInt16BE(8);
  const reserved = buf.readUInt16BE(10);
  if ((flags & ~KNOWN_FLAGS) !== 0 || reserved !== 0) throw protocolError(`${name}: undefined header flags 0x${flags.toString(16)}/0x${reserved.toString(16)}`, { flags, reserved });
  const payloadBytes = buf.readUInt32BE(12);
  if (payloadBytes > maxPayloadBytes) {
    throw protocolError(`${name}: payload of ${payloadBytes} bytes exceeds the limit of ${maxPayloadBytes}`, { payloadBytes, maxPayloadBytes });
  }
  return { typeId, name, flags, payloadBytes };
}
function decodePayload(name, payload) {
  const cursor = new Cursor(payload, name);
  const record = { type: name };
  readFields(cursor, MESSAGES[name].fields, name, record);
  if (cursor.offset !== payload.length) {
    throw protocolError(`${name}: ${payload.length - cursor.offset} bytes left over after the last field`);
  }
  return record;
}
function decodeFrame(frame, maxPayloadBytes = MAX_PAYLOAD_BYTES) {
  if (frame.length < HEADER_BYTES) throw protocolError(`frame of ${frame.length} bytes is shorter than a header`);
  const header = decodeHeader(frame, maxPayloadBytes);
  if (header.flags !== 0) throw protocolError(`${header.name}: frame flags 0x${header.flags.toString(16)} where none are expected`);
  if (frame.length !== HEADER_BYTES + header.payloadBytes) {
    throw protocolError(`${header.name}: frame is ${frame.length} bytes, header says ${HEADER_BYTES + header.payloadBytes}`);
  }
  return decodePayload(header.name, frame.subarray(HEADER_BYTES));
}
var UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
var Cursor = class {
  constructor(buf, name) {
    this.buf = buf;
    this.name = name;
  }
  buf;
  name;
  offset = 0;
  take(bytes2, parent, name) {
    if (this.offset + bytes2 > this.buf.length) {
      throw protocolError(`${pathOf(parent, name)}: needs ${bytes2} bytes, only ${this.buf.length - this.offset} left in the payload`);
    }
    const at = this.offset;
    this.offset += bytes2;
    return at;
  }
};
function readFields(cursor, fields, path, record = {}) {
  for (const { name, field } of entriesOf(fields)) record[name] = readField(cursor, field, path, name);
  return record;
}
function readField(c, field, parent, name) {
  switch (field.kind) {
    case "u8":
      return c.buf.readUInt8(c.take(1, parent, name));
    case "u16":
      return c.buf.readUInt16BE(c.take(2, parent, name));
    case "u32":
      return c.buf.readUInt32BE(c.take(4, parent, name));
    case "u64":
      return c.buf.readBigUInt64BE(c.take(8, parent, name));
    case "safe":
      return readSafe(c, parent, name);
    case "bool":
      return readBool(c, parent, name);
    case "enum":
      return readEnum(c, field.values, parent, name);
    case "bits":
      return readBits(c, field.width, field.names, parent, name);
    case "fixed":
      return c.buf.subarray(c.take(field.length, parent, name), c.offset);
    case "bytes":
      return readBytes(c, field.max, parent, name);
    case "string":
      return readString(c, field.max, parent, name);
    case "array":
      return readArray(c, field.item, field.min, field.max, parent, name);
    case "struct":
      return readFields(c, field.fields, pathOf(parent, name));
    case "tail":
      return readTail(c, field.max, parent, name);
  }
}
function readSafe(c, parent, name) {
  const at = c.take(8, parent, name);
  const high = c.buf.readUInt32BE(at);
  if (high > SAFE_HIGH_MAX) throw protocolError(`${pathOf(parent, name)}: ${c.buf.readBigUInt64BE(at)} is above 2^53-1`);
  return high * 2 ** 32 + c.buf.readUInt32BE(at + 4);
}
function readBool(c, parent, name) {
  const byte = c.buf.readUInt8(c.take(1, parent, name));
  if (byte > 1) throw protocolError(`${pathOf(parent, name)}: boolean byte is ${byte}, not 0 or 1`);
  return byte === 1;
}
function readEnum(c, values, parent, name) {
  const index = c.buf.readUInt8(c.take(1, parent, name));
  if (index >= values.length) throw protocolError(`${pathOf(parent, name)}: value ${index} is not one of ${values.join("|")}`);
  return values[index];
}
function readBits(c, width, names, parent, name) {
  const at = c.take(width / 8, parent, name);
  const word = width === 8 ? c.buf.readUInt8(at) : width === 16 ? c.buf.readUInt16BE(at) : c.buf.readUInt32BE(at);
  const known = names.length === 32 ? 4294967295 : (1 << names.length) - 1;
  if ((word & ~known) >>> 0 !== 0) throw protocolError(`${pathOf(parent, name)}: undefined flag bits 0x${((word & ~known) >>> 0).toString(16)}`);
  const set = {};
  for (let bit = 0; bit < names.length; bit++) set[names[bit]] = (word & 1 << bit) !== 0;
  return set;
}
function readBytes(c, max, parent, name) {
  const length = c.buf.readUInt32BE(c.take(4, parent, name));
  if (length > max) throw protocolError(`${pathOf(parent, name)}: ${length} bytes, at most ${max} allowed`);
  return c.buf.subarray(c.take(length, parent, name), c.offset);
}
function readString(c, max, parent, name) {
  const length = c.buf.readUInt16BE(c.take(2, parent, name));
  if (length > max) throw protocolError(`${pathOf(parent, name)}: string of ${length} bytes, at most ${max} allowed`);
  const at = c.take(length, parent, name);
  try {
    return UTF8.decode(c.buf.subarray(at, at + length));
  } catch {
    throw protocolError(`${pathOf(parent, name)}: not valid UTF-8`);
  }
}
function readArray(c, item, min, max, parent, name) {
  const count = c.buf.readUInt16BE(c.take(2, parent, name));
  if (count < min || count > max) throw protocolError(`${pathOf(parent, name)}: ${count} items, allowed ${min}..${max}`);
  const path = pathOf(parent, name);
  const items = [];
  for (let i = 0; i < count; i++) items.push(readField(c, item, path, `[${i}]`));
  return items;
}
function readTail(c, max, parent, name) {
  const length = c.buf.length - c.offset;
  if (length > max) throw protocolError(`${pathOf(parent, name)}: ${length} bytes of data, at most ${max} allowed`);
  return c.buf.subarray(c.take(length, parent, name), c.offset);
}

// src/platform/sim/network.ts
var DEFAULT_NETWORK = { queuedBytesMax: 4 * 1024 * 1024, connectMs: [5, 250], latencyMs: [0.05, 0.4] };
var SimNetwork = class {
  constructor(scheduler, random, options = DEFAULT_NETWORK, liveness = { pingIntervalMs: 1e3, pingTimeoutMs: 500 }) {
    this.scheduler = scheduler;
    this.random = random;
    this.options = options;
    this.liveness = liveness;
  }
  scheduler;
  random;
  options;
  liveness;
  connectors = /* @__PURE__ */ new Map();
  /** "a>b": messages from a to b do not get through */
  blocked = /* @__PURE__ */ new Set();
  profiles = /* @__PURE__ */ new Map();
  attempts = /* @__PURE__ */ new Map();
  observers = [];
  nextLinkId = 1;
  observe(observer) {
    this.observers.push(observer);
  }
  /** The connector of one node incarnation (Platform.connector). */
  connector(config, localNode, opts, owner) {
    const local = config.nodes.find((n) => n.name === localNode);
    if (!local) throw new Error(`node ${localNode} is not part of ${config.name}`);
    const peers = config.nodes.filter((n) => n.id !== local.id).map((n) => n.id);
    return new SimConnector(this, local.id, localNode, peers, opts.connectOnStart, owner);
  }
  // ---- faults ---------------------------------------------------------------------------------
  /** Stop messages from `from` to `to` (a one-way partition); both directions for a symmetric one. */
  block(from, to) {
    const key = dir(from, to);
    if (this.blocked.has(key)) return;
    this.blocked.add(key);
    this.attempts.get(pairKey(from, to))?.cancel();
    this.attempts.delete(pairKey(from, to));
    for (const id of [from, to]) {
      const other = id === from ? to : from;
      const link = this.connectors.get(id)?.linkTo(other);
      if (link) this.scheduleLivenessTimeout(link);
    }
  }
  unblock(from, to) {
    if (!this.blocked.delete(dir(from, to))) return;
    this.connectors.get(to)?.linkTo(from)?.releaseStalled();
    this.consider(from, to);
  }
  isBlocked(from, to) {
    return this.blocked.has(dir(from, to));
  }
  /** Every direction that is blocked now, as [from, to]. */
  blockedDirections() {
    return [...this.blocked].map((k) => k.split(">").map(Number));
  }
  setProfile(from, to, profile) {
    if (profile) this.profiles.set(dir(from, to), profile);
    else this.profiles.delete(dir(from, to));
  }
  /** Both ends of the link between a and b close now (a connection reset). */
  reset(a, b, reason = "connection reset") {
    this.connectors.get(a)?.linkTo(b)?.drop(reason);
    this.connectors.get(b)?.linkTo(a)?.drop(reason);
  }
  /** A node's incarnation died: its links vanish; peers notice after a latency or a ping timeout. */
  nodeDied(nodeId, how) {
    const connector = this.connectors.get(nodeId);
    if (connector) {
      this.connectors.delete(nodeId);
      for (const link of connector.allLinks()) link.vanish();
    }
    for (const survivor of this.connectors.values()) {
      const remote = survivor.linkTo(nodeId);
      if (!remote || remote.closed) continue;
      remote.other?.vanish();
      const delay = how === "killed" ? this.latency(nodeId, remote.localNodeId) : this.pingTimeoutDelay();
      this.scheduler.after(delay, remote.owner, "net", `${remote.localNodeId}<${nodeId} close (peer ${how})`, () => {
        remote.drop(how === "killed" ? "connection reset by peer" : `ping timeout: no PingAck from node ${nodeId}`);
      });
    }
  }
  // ---- used by connectors and links -----------------------------------------------------------
  register(connector) {
    this.connectors.set(connector.nodeId, connector);
  }
  unregister(connector) {
    if (this.connectors.get(connector.nodeId) === connector) this.connectors.delete(connector.nodeId);
  }
  /** Link a and b if both want it and nothing stands between them (after the connect delay). */
  consider(a, b) {
    const key = pairKey(a, b);
    if (this.attempts.has(key) || !this.connectable(a, b)) return;
    const [lo, hi] = this.options.connectMs;
    const handle = this.scheduler.after(this.random.real(lo, hi), WORLD, "net", `connect ${key}`, () => {
      this.attempts.delete(key);
      if (this.connectable(a, b)) this.establish(this.connectors.get(a), this.connectors.get(b));
    });
    this.attempts.set(key, handle);
  }
  /** When a message sent now from `from` to `to` arrives (data: after the bytes before it). */
  arrival(link, receiver, bytes2, stream) {
    const profile = this.profiles.get(dir(link.localNodeId, link.peerNodeId));
    const [lo, hi] = profile?.latencyMs ?? this.options.latencyMs;
    const now = this.scheduler.now();
    let departs = now;
    if (stream === "data" && profile && Number.isFinite(profile.bytesPerMs)) {
      departs = Math.max(now, link.wireFreeAt) + bytes2 / profile.bytesPerMs;
      link.wireFreeAt = departs;
    }
    return Math.max(departs + this.random.real(lo, hi), receiver.lastArrival[stream]);
  }
  notify(from, to, msg, stream, linkId) {
    for (const o of this.observers) o(from, to, msg, stream, linkId);
  }
  /** Is there an open link from a to b (a's end)? */
  hasLink(a, b) {
    const link = this.connectors.get(a)?.linkTo(b);
    return link !== void 0 && !link.closed;
  }
  /**
   * No message is travelling, stalled or held on any open link, and no open link has lost its
   * other end unnoticed: what was sent on such a link may never arrive, and its sender settles it
   * (bits out of sync for the peer, ranges to reconcile) only when it sees the link close.
   */
  quiet() {
    for (const c of this.connectors.values()) for (const l of c.allLinks()) if (l.busy || l.halfOpen) return false;
    return true;
  }
  latency(from, to) {
    const [lo, hi] = this.profiles.get(dir(from, to))?.latencyMs ?? this.options.latencyMs;
    return this.random.real(lo, hi);
  }
  connectable(a, b) {
    const ca = this.connectors.get(a);
    const cb = this.connectors.get(b);
    return ca !== void 0 && cb !== void 0 && ca.wants(b) && cb.wants(a) && !this.blocked.has(dir(a, b)) && !this.blocked.has(dir(b, a));
  }
  establish(ca, cb) {
    const id = `sim-${this.nextLinkId++}`;
    const la = new SimLink(this, ca.nodeId, cb.nodeId, id, ca.owner);
    const lb = new SimLink(this, cb.nodeId, ca.nodeId, id, cb.owner);
    la.other = lb;
    lb.other = la;
    const lag = this.latency(ca.nodeId, cb.nodeId);
    lb.lastArrival.data = lb.lastArrival.control = this.scheduler.now() + lag;
    this.scheduler.after(lag, cb.owner, "net", `${cb.nodeId}<${ca.nodeId} link ${id}`, () => {
      if (la.closed) {
        lb.markClosed();
        return;
      }
      cb.adopt(lb);
    });
    ca.adopt(la);
  }
  pingTimeoutDelay() {
    const { pingIntervalMs, pingTimeoutMs } = this.liveness;
    return pingTimeoutMs + this.random.real(0, pingIntervalMs);
  }
  /** A partition that outlasts the ping timeout closes the link, each side on its own. */
  scheduleLivenessTimeout(link) {
    for (const side of [link, link.other]) {
      if (!side || side.closed || side.livenessCheck) continue;
      side.livenessCheck = true;
      this.scheduler.after(this.pingTimeoutDelay(), side.owner, "net", `${side.localNodeId}-${side.peerNodeId} ping check`, () => {
        side.livenessCheck = false;
        const cut = this.blocked.has(dir(side.localNodeId, side.peerNodeId)) || this.blocked.has(dir(side.peerNodeId, side.localNodeId));
        if (cut && !side.closed) side.drop(`ping timeout: no PingAck from node ${side.peerNodeId} within ${this.liveness.pingTimeoutMs} ms`);
      });
    }
  }
};
var SimConnector = class {
  constructor(network, nodeId, nodeName, peers, connectOnStart, owner) {
    this.network = network;
    this.nodeId = nodeId;
    this.nodeName = nodeName;
    this.peers = peers;
    this.connectOnStart = connectOnStart;
    this.owner = owner;
  }
  network;
  nodeId;
  nodeName;
  peers;
  connectOnStart;
  owner;
  wanted = /* @__PURE__ */ new Set();
  links = /* @__PURE__ */ new Map();
  onLink = null;
  started = false;
  async start(onLink) {
    this.onLink = onLink;
    this.started = true;
    this.network.register(this);
    if (this.connectOnStart) for (const p of this.peers) this.connect(p);
  }
  connect(peerNodeId) {
    this.checkPeer(peerNodeId);
    this.wanted.add(peerNodeId);
    this.network.consider(this.nodeId, peerNodeId);
  }
  disconnect(peerNodeId) {
    this.checkPeer(peerNodeId);
    this.wanted.delete(peerNodeId);
    this.links.get(peerNodeId)?.close("disconnected by administrator");
  }
  async stop() {
    for (const p of [...this.wanted]) this.disconnect(p);
    this.started = false;
    this.network.unregister(this);
  }
  /**
   * Would a new connection to this peer be accepted? Not while a live link exists. A link whose
   * other end died with its process does not count: the peer dials again after its restart, and
   * (as the TCP transport does) the new connection replaces the half-dead one.
   */
  wants(peerNodeId) {
    if (!this.started || !this.wanted.has(peerNodeId)) return false;
    const link = this.links.get(peerNodeId);
    return link === void 0 || link.other === null || link.other.closed;
  }
  linkTo(peerNodeId) {
    return this.links.get(peerNodeId);
  }
  allLinks() {
    return [...this.links.values()];
  }
  adopt(link) {
    const old = this.links.get(link.peerNodeId);
    if (old && old !== link) old.drop("replaced by a new connection from the peer");
    this.links.set(link.peerNodeId, link);
    link.onClose(() => {
      if (this.links.get(link.peerNodeId) !== link) return;
      this.links.delete(link.peerNodeId);
      this.network.consider(this.nodeId, link.peerNodeId);
    });
    this.onLink?.(link);
  }
  checkPeer(peerNodeId) {
    if (!this.peers.includes(peerNodeId)) throw new Error(`node ${peerNodeId} is not a peer of node ${this.nodeId}`);
  }
};
var SimLink = class {
  constructor(network, localNodeId, peerNodeId, id, owner) {
    this.network = network;
    this.localNodeId = localNodeId;
    this.peerNodeId = peerNodeId;
    this.id = id;
    this.owner = owner;
  }
  network;
  localNodeId;
  peerNodeId;
  id;
  owner;
  other = null;
  closed = false;
  wireFreeAt = 0;
  /** a ping-timeout check is pending (a partition is in the way) */
  livenessCheck = false;
  lastArrival = { data: 0, control: 0 };
  messageHandlers = [];
  drainHandlers = [];
  closeHandlers = [];
  paused = false;
  /** data messages that arrived while paused (or behind ones that did) */
  held = [];
  /** messages that arrived while the direction was partitioned: TCP delivers them after a heal */
  stalled = [];
  /** data bytes sent and not yet consumed by the receiver */
  unconsumed = 0;
  /** messages sent to this end that have not arrived yet */
  inTransit = 0;
  drainWanted = false;
  sendData(msg) {
    if (this.closed) return false;
    const bytes2 = this.transmit(msg, "data");
    this.unconsumed += bytes2;
    if (this.unconsumed < this.network.options.queuedBytesMax) return true;
    this.drainWanted = true;
    return false;
  }
  sendControl(msg) {
    if (!this.closed) this.transmit(msg, "control");
  }
  pauseData() {
    this.paused = true;
  }
  resumeData() {
    this.paused = false;
    while (!this.paused && !this.closed && this.held.length > 0) this.consume(this.held.shift());
  }
  onMessage(handler) {
    this.messageHandlers.push(handler);
  }
  onDrain(handler) {
    this.drainHandlers.push(handler);
  }
  onClose(handler) {
    this.closeHandlers.push(handler);
  }
  /** Close with a goodbye: the peer closes too when our Disconnect reaches it. */
  close(reason) {
    if (this.closed) return;
    this.transmit({ type: "Disconnect", reason: reason.slice(0, 500) }, "control");
    this.drop(reason);
  }
  /** Closed here, now, without a goodbye (reset, ping timeout, the peer's Disconnect). */
  drop(reason) {
    if (this.closed) return;
    this.markClosed();
    for (const h of this.closeHandlers) h(reason);
  }
  markClosed() {
    this.closed = true;
    this.held.length = 0;
    this.stalled.length = 0;
  }
  /** The owning incarnation died: no callbacks, nothing more is sent or received. */
  vanish() {
    this.markClosed();
  }
  /** The partition healed: what stalled arrives now, in order. */
  releaseStalled() {
    const pending = this.stalled.splice(0);
    for (const item of pending) {
      const at = Math.max(this.network.scheduler.now() + this.network.latency(this.peerNodeId, this.localNodeId), this.lastArrival[item.stream]);
      this.lastArrival[item.stream] = at;
      this.inTransit++;
      this.network.scheduler.at(at, this.owner, "net", `${this.localNodeId}<${this.peerNodeId} (after heal)`, () => this.arrive(item));
    }
  }
  transmit(msg, stream) {
    const frame = Buffer.concat(encodeFrame(msg));
    const receiver = this.other;
    if (!receiver) return 0;
    const at = this.network.arrival(this, receiver, frame.length, stream);
    receiver.lastArrival[stream] = at;
    receiver.inTransit++;
    this.network.scheduler.at(at, receiver.owner, "net", `${this.peerNodeId}<${this.localNodeId} ${describe(msg)}`, () => receiver.arrive({ frame, stream }));
    return stream === "data" ? frame.length : 0;
  }
  /** Open here, closed (or gone with its process) at the other end: this side has not noticed yet. */
  get halfOpen() {
    return !this.closed && this.other !== null && this.other.closed;
  }
  get busy() {
    return !this.closed && (this.inTransit > 0 || this.held.length > 0 || this.stalled.length > 0);
  }
  /** A frame reached this side's socket. */
  arrive(item) {
    this.inTransit--;
    if (this.closed) return;
    if (this.network.isBlocked(this.peerNodeId, this.localNodeId) || this.stalled.length > 0) {
      this.stalled.push(item);
      return;
    }
    const msg = decodeFrame(item.frame);
    if (msg.type === "Disconnect") {
      this.drop(`node ${this.peerNodeId} disconnected: ${msg.reason}`);
      return;
    }
    if (item.stream === "data" && (this.paused || this.held.length > 0)) {
      this.held.push(item);
      return;
    }
    this.consume(item, msg);
  }
  consume(item, decoded) {
    const msg = decoded ?? decodeFrame(item.frame);
    if (item.stream === "data") this.other?.consumed(item.frame.length);
    this.network.notify(this.peerNodeId, this.localNodeId, msg, item.stream, this.id);
    for (const h of this.messageHandlers) {
      h(msg);
      if (this.closed) return;
    }
  }
  /** The receiver took `bytes` of our data: back-pressure eases. */
  consumed(bytes2) {
    this.unconsumed -= bytes2;
    if (this.drainWanted && !this.closed && this.unconsumed < this.network.options.queuedBytesMax) {
      this.drainWanted = false;
      for (const h of this.drainHandlers) h();
    }
  }
};
function describe(msg) {
  switch (msg.type) {
    case "Write":
      return `Write v${msg.volume} #${msg.seq} ${msg.offset}+${msg.data.length}${msg.flags.fua ? " fua" : ""}${msg.missing ? ` missing=${msg.missing}` : ""}`;
    case "WriteZeroes":
      return `WriteZeroes v${msg.volume} #${msg.seq} ${msg.offset}+${msg.length}`;
    case "ResyncData":
      return `ResyncData v${msg.volume} r${msg.requestId} ${msg.offset}+${msg.data.length}`;
    case "ResyncAck":
      return `ResyncAck v${msg.volume} r${msg.requestId} ${msg.offset}+${msg.length}`;
    case "ReadReply":
      return `ReadReply v${msg.volume} r${msg.requestId} errno=${msg.errno} ${msg.data.length}`;
    case "RecvAck":
    case "WriteAck":
      return `${msg.type} #${msg.seq}`;
    case "NegAck":
      return `NegAck #${msg.seq} errno=${msg.errno}`;
    case "State":
      return `State ${msg.role} ${msg.volumes.map((v) => `v${v.volume}:${v.diskState}:${v.current.toString(16)}`).join(" ")}`;
    case "Disconnect":
      return `Disconnect ${msg.reason}`;
    default: {
      const fields = Object.entries(msg).filter(([k, v]) => k !== "type" && (typeof v === "number" || typeof v === "bigint" || typeof v === "string" || typeof v === "boolean"));
      return `${msg.type} ${fields.map(([k, v]) => `${k}=${typeof v === "bigint" ? v.toString(16) : v}`).join(" ")}`;
    }
  }
}
function dir(from, to) {
  return `${from}>${to}`;
}
function pairKey(a, b) {
  return a < b ? `${a}-${b}` : `${b}-${a}`;
}

// src/platform/sim/platform.ts
import { createHash } from "node:crypto";
var SimPlatform = class {
  constructor(node, owner, scheduler, random, handlers) {
    this.node = node;
    this.owner = owner;
    this.scheduler = scheduler;
    this.random = random;
    this.handlers = handlers;
    this.digestRandom = random.fork("digest");
    this.clock = {
      now: () => scheduler.now(),
      setTimer: (delayMs, fire) => scheduler.after(delayMs, owner, "timer", "", fire)
    };
    this.log = simLogger(scheduler, owner, node.name, {});
  }
  node;
  owner;
  scheduler;
  random;
  clock;
  log;
  handlers;
  settings = { configDir: "/sim/etc/tandem", skipMetadataUpdates: false };
  /** digest latencies: a stream of its own, so runs without csums-alg draw the same numbers as before */
  digestRandom;
  defer(fn) {
    this.scheduler.after(0, this.owner, "defer", "", fn);
  }
  randomU64() {
    return this.random.u64();
  }
  /**
   * The real digest (deterministic), delivered as an event of this incarnation after a random
   * latency like a disk read: other events interleave with it, and a crash drops it.
   */
  digest(alg, data) {
    const value = createHash(alg).update(data).digest();
    const latencyMs = this.digestRandom.real(0.01, 0.3);
    return new Promise((resolve) => {
      this.scheduler.after(latencyMs, this.owner, "digest", `${data.length} bytes`, () => resolve(value));
    });
  }
  emit(event) {
    if (!this.owner.alive) return;
    this.scheduler.trace.note(this.scheduler.now(), this.owner.name, `event ${stringify(event)}`);
    this.node.engineEvent(event);
  }
  async openDisk(volume) {
    const disk2 = this.node.disk(volume.index);
    if (!disk2) throw Object.assign(new Error(`node ${this.node.name} has no disk for volume ${volume.index}`), { code: "ENOENT" });
    return disk2.open(this.scheduler, this.owner);
  }
  openMetadata(volume) {
    const medium = this.node.metaMedium(volume.index);
    if (!medium) throw Object.assign(new Error(`node ${this.node.name} has no metadata for volume ${volume.index}`), { code: "ENOENT" });
    const store = medium.open(() => this.owner.alive);
    const meta2 = VolumeMetadata.open(store, { newGenerationId: (primary) => generationId(this.random, primary), defer: (fn) => this.defer(fn) });
    this.node.metadataOpened(volume.index, meta2, store);
    return meta2;
  }
  connector(config, localNode, opts) {
    return this.node.network.connector(config, localNode, opts, this.owner);
  }
  async startExport(address2, name, backend, request) {
    const where = address2 === null ? `private/${name}` : address2.kind === "unix" ? address2.path : `${address2.host}:${address2.port}`;
    const handle = this.node.exported(request.volume, backend);
    return {
      address: `sim:${where}`,
      device: null,
      busy: async () => null,
      close: async () => {
        this.node.unexported(request.volume, handle);
      }
    };
  }
};
function generationId(random, primary) {
  let id = random.u64() & ~1n;
  if (id === 0n) id = 2n;
  return primary ? id | 1n : id;
}
function simLogger(scheduler, owner, node, base) {
  const line = (level) => (msg, fields) => {
    if (!owner.alive) return;
    const all = { ...base, ...fields };
    scheduler.trace.note(scheduler.now(), owner.name, `${level} ${msg}${Object.keys(all).length > 0 ? " " + stringify(all) : ""}`);
  };
  return {
    debug: () => void 0,
    info: line("info"),
    warn: line("warn"),
    error: line("error"),
    child: (fields) => simLogger(scheduler, owner, node, { ...base, ...fields })
  };
}
function stringify(value) {
  return JSON.stringify(value, (_k, v) => typeof v === "bigint" ? v.toString(16) : v);
}

// src/platform/sim/node.ts
var SimNode = class {
  constructor(config, name, id, disks, metas, network, scheduler, cib, random, factory, hooks) {
    this.config = config;
    this.name = name;
    this.id = id;
    this.disks = disks;
    this.metas = metas;
    this.network = network;
    this.scheduler = scheduler;
    this.cib = cib;
    this.random = random;
    this.factory = factory;
    this.hooks = hooks;
  }
  config;
  name;
  id;
  disks;
  metas;
  network;
  scheduler;
  cib;
  random;
  factory;
  hooks;
  incarnation = null;
  generation = 0;
  get diskful() {
    return this.disks.some((d) => d !== null);
  }
  get running() {
    return this.incarnation !== null;
  }
  disk(volume) {
    return this.disks[volume] ?? null;
  }
  metaMedium(volume) {
    return this.metas[volume] ?? null;
  }
  /** The engine's status, when an incarnation is up (null while down or starting). */
  status() {
    const inc = this.incarnation;
    if (!inc?.ready) return null;
    return inc.engine.status();
  }
  /** Start tandemd and `tandem up` the resource. Resolves when up() settles. */
  async start(holdFormerPrimary) {
    if (this.incarnation) return;
    const owner = new Owner(`${this.name}#${++this.generation}`);
    const handlers = new SimHandlerRunner(this.cib, this.scheduler, owner, this.random.fork(`handlers${this.generation}`));
    const platform = new SimPlatform(this, owner, this.scheduler, this.random.fork(`platform${this.generation}`), handlers);
    const engine2 = this.factory(this.config, this.name, platform);
    const inc = { owner, engine: engine2, ready: false, exports: /* @__PURE__ */ new Map(), metadata: /* @__PURE__ */ new Map(), stores: [] };
    this.incarnation = inc;
    this.cib.members.set(this.name, { up: true, expectedDown: false });
    this.scheduler.trace.note(this.scheduler.now(), owner.name, `start (holdFormerPrimary=${holdFormerPrimary})`);
    try {
      await engine2.up({ holdFormerPrimary });
      if (owner.alive) inc.ready = true;
    } catch (err) {
      if (!owner.alive) return;
      this.scheduler.trace.note(this.scheduler.now(), owner.name, `up failed: ${String(err)}`);
      this.incarnation = null;
      owner.alive = false;
      this.network.nodeDied(this.id, "killed");
      throw err;
    }
  }
  /** The machine (power) or the process (killed) dies now. */
  crash(how) {
    const inc = this.incarnation;
    if (!inc) return;
    inc.owner.alive = false;
    this.incarnation = null;
    this.scheduler.trace.note(this.scheduler.now(), inc.owner.name, `CRASH (${how})`);
    this.network.nodeDied(this.id, how);
    const lost = /* @__PURE__ */ new Map();
    this.disks.forEach((d, v) => {
      if (!d) return;
      if (how === "power") lost.set(v, d.powerLoss());
      else d.processKilled();
    });
    if (how === "power") for (const m of this.metas) m?.powerLoss();
    for (const v of inc.exports.keys()) this.hooks.exportChanged(this, v, null);
    this.cib.members.set(this.name, { up: false, expectedDown: true });
    this.hooks.crashed(this, how, lost);
  }
  /** `tandem down` and a daemon stop; the node is down afterwards (a failing down is a kill). */
  async stop() {
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
    this.network.nodeDied(this.id, "killed");
    this.cib.members.set(this.name, { up: false, expectedDown: true });
  }
  // ---- called by SimPlatform ------------------------------------------------------------------
  engineEvent(event) {
    this.hooks.event(this, event);
  }
  metadataOpened(volume, meta2, store) {
    this.incarnation?.metadata.set(volume, meta2);
    this.incarnation?.stores.push(store);
  }
  exported(volume, backend) {
    const handle = {};
    const inc = this.incarnation;
    if (!inc) return handle;
    inc.exports.set(volume, { backend, handle });
    this.hooks.exportChanged(this, volume, backend);
    return handle;
  }
  unexported(volume, handle) {
    const inc = this.incarnation;
    if (!inc || inc.exports.get(volume)?.handle !== handle) return;
    inc.exports.delete(volume);
    this.hooks.exportChanged(this, volume, null);
  }
  describe() {
    const s = this.status();
    if (!s) return `${this.name}: ${this.incarnation ? "starting" : "down"}`;
    return `${this.name}: ${stringify({
      role: s.role,
      disks: s.volumes.map((v) => v.diskState),
      quorum: s.quorum,
      suspended: s.suspended,
      peers: s.connections.map((c) => `${c.peer}:${c.connectionState}:${c.peerRole}:${c.volumes.map((v) => `${v.replicationState}/${v.peerDiskState}/${v.outOfSyncBytes}`).join(",")}`)
    })}`;
  }
};

// src/platform/sim/world.ts
var MAIN_SIDE = "main";
var SimWorld = class {
  constructor(scenario, factory, opts = {}) {
    this.scenario = scenario;
    const config = scenario.config;
    this.scheduler = new Scheduler(new Trace(opts.traceKeep ?? 400));
    this.random = new Random(scenario.seed).fork("world");
    this.scheduler.setErrorHandler((err, event) => this.engineError(err, `${event.owner} ${event.kind} ${event.detail}`));
    this.network = new SimNetwork(this.scheduler, this.random.fork("network"), DEFAULT_NETWORK, config);
    const diskful = config.nodes.filter((n) => n.volumes.some((v) => v.disk !== null)).map((n) => n.name);
    this.cib = new SimCib(config.name, config.nodes.map((n) => n.name), diskful, (what) => this.note(`cib: ${what}`));
    this.firstGeneration = generationId(this.random.fork("first-generation"), false);
    const sizes = config.nodes[0].volumes.map((v) => v.size);
    this.models.set(MAIN_SIDE, new DataModel(sizes));
    this.client = new Client({
      now: () => this.scheduler.now(),
      modelOf: (node) => this.modelOf(node),
      nextWriteId: () => ++this.writeIds,
      note: (text2) => this.note(text2),
      acked: (w, node) => this.checkers.writeAcked(w, node),
      readChecked: (node, volume, offset, problems) => this.checkers.readChecked(node, volume, offset, problems)
    });
    this.nodes = config.nodes.map((n) => {
      this.sideOf.set(n.name, MAIN_SIDE);
      const rnd = this.random.fork(`node-${n.name}`);
      const disks = n.volumes.map((v) => v.disk ? new SimDisk(v.disk, v.size, rnd.fork(`disk${v.index}`), void 0, (c, m) => this.violation(c, m)) : null);
      const metas = n.volumes.map((v) => v.meta ? this.formatMetadata(n.id, v.size, scenario.metaKinds[n.name], rnd.fork(`meta${v.index}`)) : null);
      return new SimNode(config, n.name, n.id, disks, metas, this.network, this.scheduler, this.cib, rnd, factory, {
        event: (node, event) => this.checkers.engineEvent(node, event),
        crashed: (node, how, lost) => this.crashed(node, how, lost),
        exportChanged: (node, volume, backend) => this.client.exportChanged(node.name, volume, backend),
        violation: (c, m) => this.violation(c, m)
      });
    });
    this.crm = new ClusterManager(this.nodes, this.cib, scenario.autoTakeover, {
      now: () => this.scheduler.now(),
      note: (text2) => this.note(text2),
      promote: (node, force, why) => this.promote(node, force, why)
    });
    this.checkers = new Checkers(this);
    this.network.observe((from, to, msg, stream, linkId) => this.checkers.delivered(from, to, msg, stream, linkId));
  }
  scenario;
  scheduler;
  random;
  network;
  cib;
  nodes;
  client;
  crm;
  checkers;
  violations = [];
  models = /* @__PURE__ */ new Map();
  sideOf = /* @__PURE__ */ new Map();
  writeIds = 0;
  /** the generation every node starts in when the scenario skips the initial sync */
  firstGeneration;
  /** operator promotions with --force so far (the first makes the new cluster's data) */
  forcedPromotions = 0;
  /** an operator's takeover made two sides at some point */
  everSplit = false;
  get config() {
    return this.scenario.config;
  }
  now() {
    return this.scheduler.now();
  }
  note(text2) {
    this.scheduler.trace.note(this.scheduler.now(), "sim", text2);
  }
  violation(checker, message) {
    this.note(`VIOLATION ${checker}: ${message}`);
    this.violations.push({ checker, message, time: this.scheduler.now() });
  }
  node(name) {
    return this.nodes.find((n) => n.name === name);
  }
  nodeById(id) {
    return this.nodes.find((n) => n.id === id);
  }
  modelOf(node) {
    return this.models.get(this.sideOf.get(node) ?? MAIN_SIDE);
  }
  /** The engine threw out of an event, or rejected a Promise nobody handled. */
  engineError(err, where) {
    if (err?.name === "SimCrash") return;
    const code = err?.code;
    const checker = code === "TANDEM_E_INTERNAL" ? "engine-assertion" : "engine-exception";
    this.violation(checker, `${where}: ${err instanceof Error ? err.stack?.split("\n").slice(0, 4).join(" | ") : String(err)}`);
  }
  // ---- the cluster's life ---------------------------------------------------------------------
  /** Start every node, let them connect, and give the first diskful node the data (primary --force). */
  async setup() {
    for (const node of this.nodes) this.startNode(node, false);
    await this.scheduler.run(this.now() + 50);
    await this.runUntil(() => this.nodes.every((n) => n.status()?.connections.every((c) => c.connectionState === "Connected")), 5e3);
    const first = this.nodes.find((n) => n.diskful);
    if (first && this.scenario.initialSync) await this.settle(this.promote(first, true, "initial primary --force (new cluster)"), 1e4);
    else await this.settle(this.crm.evaluate(), 1e4);
    this.crm.refreshPromoted();
  }
  startNode(node, holdFormerPrimary) {
    if (node.running) return;
    this.crm.started(node);
    node.start(holdFormerPrimary).then(
      () => this.note(`${node.name} is up`),
      (err) => this.note(`${node.name} did not come up: ${String(err)}`)
    );
  }
  crash(node, how) {
    if (!node.running) return;
    node.crash(how);
  }
  crashed(node, how, lost) {
    this.client.nodeDied(node.name);
    this.checkers.crashed(node, how, lost);
    this.crm.crashed(node);
    this.scheduler.after(this.random.real(500, 2e3), WORLD, "crm", `notices ${node.name} is gone`, () => this.crm.noticed(node));
  }
  /** Promote through the engine (cluster manager or operator); checks the new Primary's data. */
  async promote(node, force, why) {
    const inc = node.incarnation;
    if (!inc?.ready) return false;
    this.note(`${why}: ${node.name} primary${force ? " --force" : ""}`);
    try {
      await inc.engine.control("primary", force ? { force: true } : {});
    } catch (err) {
      if (!inc.owner.alive) return false;
      this.note(`${node.name} refused primary: ${String(err?.message ?? err)}`);
      if (err?.code === "TANDEM_E_INTERNAL") this.engineError(err, `${node.name} primary`);
      return false;
    }
    if (!inc.owner.alive || node.status()?.role !== "Primary") return false;
    this.checkers.promoted(node, force);
    return true;
  }
  /** An operator verb through the engine's control; refusals are part of life. */
  async control(node, op, args = {}) {
    const inc = node.incarnation;
    if (!inc?.ready) return false;
    this.note(`operator: ${node.name} ${op} ${Object.keys(args).length > 0 ? stringify(args) : ""}`.trim());
    this.checkers.operatorActed(node);
    try {
      await inc.engine.control(op, args);
      return true;
    } catch (err) {
      if (!inc.owner.alive) return false;
      this.note(`${node.name} refused ${op}: ${String(err?.message ?? err)}`);
      if (err?.code === "TANDEM_E_INTERNAL") this.engineError(err, `${node.name} ${op}`);
      return false;
    }
  }
  /**
   * Wait for something the engine does (a control operation) while the world goes on: the
   * scheduler runs until it settles or `ms` of simulated time have passed. Awaiting an engine
   * Promise without running the scheduler would wait forever for the events it needs.
   */
  async settle(work, ms) {
    let done = false;
    let value;
    void work.then((v) => {
      value = v;
    }, () => void 0).finally(() => {
      done = true;
    });
    await this.runUntil(() => done, ms, 5);
    return value;
  }
  /** Run events until `done()` or `ms` of simulated time have passed; true if done. */
  async runUntil(done, ms, stepMs = 25) {
    const end = this.now() + ms;
    while (this.now() < end) {
      if (done()) return true;
      await this.scheduler.run(Math.min(end, this.now() + stepMs));
    }
    return done();
  }
  /** `tandem md create`; without an initial sync, also what skipping it leaves: UpToDate, one generation. */
  formatMetadata(nodeId, volumeSize, kind, rnd) {
    const maxPeers = Math.max(1, this.config.nodes.length - 1);
    const medium = new MetaMedium(kind, geometry(volumeSize, maxPeers, this.config.alExtents).areaLength, rnd);
    const meta2 = VolumeMetadata.create(medium.open(() => true), {
      volumeSize,
      maxPeers,
      nodeId,
      alExtents: this.config.alExtents,
      newGenerationId: (primary) => generationId(rnd, primary)
    });
    if (!this.scenario.initialSync) {
      meta2.setCurrentGeneration(this.firstGeneration);
      meta2.setDeviceFlags(["CONSISTENT", "WAS_UP_TO_DATE"]);
    }
    meta2.close();
    return medium;
  }
};

// src/platform/sim/faults.ts
var TRIGGER_PATIENCE_MS = 5e3;
var CHECKPOINT_PATIENCE_MS = 3e3;
var Faults = class {
  constructor(w) {
    this.w = w;
    w.network.observe((from, to, msg) => this.watch(from, to, msg));
  }
  w;
  pending = [];
  splits = 0;
  checkpointing = false;
  /** quiescence began: triggers still pending do nothing */
  stopped = false;
  apply(a) {
    const w = this.w;
    switch (a.kind) {
      case "io":
        w.client.issue(a.op, a.volume, a.offset, a.length, a.fua, (candidates) => w.random.pick(candidates));
        return;
      case "crash":
        return this.crash(a.target, a.how, a.when);
      case "restart": {
        const node = this.resolve(a.target);
        if (node && !node.running) w.startNode(node, !w.scenario.autoResync);
        return;
      }
      case "partition": {
        const [x, y] = this.two(a.target, a.other);
        if (!x || !y) return;
        w.note(`fault: partition ${x.name} ${a.oneWay ? "->" : "<->"} ${y.name}`);
        w.network.block(x.id, y.id);
        if (!a.oneWay) w.network.block(y.id, x.id);
        return;
      }
      case "isolate": {
        const x = this.resolve(a.target);
        if (!x) return;
        w.note(`fault: isolate ${x.name}`);
        for (const y of w.nodes) if (y !== x) {
          w.network.block(x.id, y.id);
          w.network.block(y.id, x.id);
        }
        return;
      }
      case "heal":
        return this.healNetwork();
      case "reset": {
        const [x, y] = this.two(a.target, a.other);
        if (!x || !y) return;
        w.note(`fault: connection reset ${x.name} <-> ${y.name}`);
        w.network.reset(x.id, y.id);
        return;
      }
      case "slow-link": {
        const [x, y] = this.two(a.target, a.other);
        if (!x || !y) return;
        const rnd = new Random(a.target.pick ^ a.other.pick);
        const profile = { latencyMs: [rnd.real(2, 10), rnd.real(10, 60)], bytesPerMs: rnd.pick([500, 2e3, 1e4]) };
        w.note(`fault: slow link ${x.name} <-> ${y.name} (${profile.latencyMs.map((l) => l.toFixed(1)).join("-")} ms, ${profile.bytesPerMs} bytes/ms)`);
        w.network.setProfile(x.id, y.id, profile);
        w.network.setProfile(y.id, x.id, profile);
        return;
      }
      case "disk-fault": {
        const x = this.resolve(a.target);
        if (!x) return;
        w.note(`fault: disk ${a.fault} on ${x.name}`);
        for (let v = 0; x.disk(v); v++) {
          const disk2 = x.disk(v);
          if (a.fault === "clear") disk2.faults = { writeError: null, readError: false, slowness: 1 };
          else if (a.fault === "slow") disk2.faults.slowness = 30;
          else if (a.fault === "read-EIO") disk2.faults.readError = true;
          else disk2.faults.writeError = a.fault;
        }
        return;
      }
      case "handler-fault":
        w.note(`fault: handlers ${a.fault ?? "work again"}`);
        w.cib.handlerFault = a.fault;
        return;
      case "crm":
        void w.crm.evaluate();
        return;
      case "switchover": {
        const p = w.nodes.find((n) => n.status()?.role === "Primary");
        if (!p) return;
        void w.control(p, "secondary").then(() => {
          w.crm.refreshPromoted();
          w.scheduler.after(100, WORLD, "crm", "after switchover", () => void w.crm.evaluate());
        });
        return;
      }
      case "operator":
        return this.operator(a.op, a.target);
      case "force-split":
        return this.forceSplit();
      case "checkpoint":
        return this.checkpoint();
    }
  }
  /** Partitions, slow links and pending crash triggers end (quiescence): no fault from now on. */
  healAll() {
    this.stopped = true;
    this.healNetwork();
    this.pending.length = 0;
    for (const n of this.w.nodes) for (const store of n.incarnation?.stores ?? []) store.crashAtPersist = Infinity;
    for (const n of this.w.nodes) {
      for (let v = 0; n.disk(v); v++) n.disk(v).faults = { writeError: null, readError: false, slowness: 1 };
    }
    this.w.cib.handlerFault = null;
  }
  healNetwork() {
    const w = this.w;
    const blocked = w.network.blockedDirections();
    if (blocked.length > 0) w.note(`fault: heal ${blocked.map(([a, b]) => `${a}>${b}`).join(" ")}`);
    for (const [a, b] of blocked) w.network.unblock(a, b);
    for (const x of w.nodes) for (const y of w.nodes) if (x !== y) w.network.setProfile(x.id, y.id, null);
  }
  crash(target, how, when) {
    const node = this.resolve(target);
    if (!node) return;
    if (when === "now") {
      this.w.crash(node, how);
      return;
    }
    if (when === "metadata") {
      const inc2 = node.incarnation;
      const rnd = new Random(target.pick);
      for (const store of inc2?.stores ?? []) {
        store.crashAtPersist = store.persists + rnd.between(1, 4);
        store.onCrash = () => this.w.crash(node, "power");
      }
      this.w.scheduler.after(TRIGGER_PATIENCE_MS, WORLD, "fault", `crash ${node.name} if no metadata update came`, () => {
        if (!this.stopped && node.incarnation === inc2) this.w.crash(node, how);
      });
      return;
    }
    this.pending.push({ node, how, when, until: this.w.now() + TRIGGER_PATIENCE_MS });
    const inc = node.incarnation;
    this.w.scheduler.after(TRIGGER_PATIENCE_MS, WORLD, "fault", `crash ${node.name} (${when} did not come)`, () => {
      const i = this.pending.findIndex((p) => p.node === node);
      if (i < 0 || this.stopped) return;
      this.pending.splice(i, 1);
      if (node.incarnation === inc) this.w.crash(node, how);
    });
  }
  /** Deliveries that fire pending crash triggers. */
  watch(from, to, msg) {
    if (this.pending.length === 0) return;
    const kind = msg.type === "ResyncData" || msg.type === "ResyncAck" ? "resync" : msg.type === "State" ? "handshake" : null;
    if (!kind) return;
    for (let i = 0; i < this.pending.length; i++) {
      const p = this.pending[i];
      if (p.when !== kind || p.node.id !== from && p.node.id !== to) continue;
      this.pending.splice(i, 1);
      this.w.scheduler.after(0, WORLD, "fault", `crash ${p.node.name} (${p.how}, during ${kind})`, () => {
        if (!this.stopped) this.w.crash(p.node, p.how);
      });
      return;
    }
  }
  operator(op, target) {
    const w = this.w;
    const node = this.resolve(target);
    if (!node) return;
    if (!this.sensible(node, op)) return;
    void w.control(node, op).then((ok2) => {
      if (ok2 && op === "secondary") w.scheduler.after(100, WORLD, "crm", "after demotion", () => void w.crm.evaluate());
    });
  }
  /**
   * The operator verbs this workload uses the way an administrator would, never to throw away the
   * last good copy (that is discarding data on the operator's word, which the checkers would have
   * to accept): invalidate and detach only where a connected Primary holds the data; outdate
   * only a Secondary cut off from a running Primary that has the data without it (fencing by
   * hand: a Primary whose disk failed and that wrote through this node alone has nothing newer,
   * seed 20160).
   */
  sensible(node, op) {
    const status = node.status();
    if (!status || status.role === "Primary") return op === "secondary";
    const primaryConnected = status.connections.some((c) => c.peerRole === "Primary" && c.connectionState === "Connected");
    switch (op) {
      case "invalidate":
      case "detach":
        return primaryConnected;
      case "outdate":
        return !primaryConnected && this.w.nodes.some((n) => n !== node && holdsDataWithout(n, node));
      default:
        return true;
    }
  }
  /**
   * DR takeover: a diskful Secondary that cannot see the Primary is promoted with --force while
   * the Primary runs on. Two sides now write; the model forks. Only in 2-diskful-node clusters
   * (a third diskful node would have to take a side), once.
   */
  forceSplit() {
    const w = this.w;
    if (this.splits > 0 || w.nodes.filter((n) => n.diskful).length !== 2) return;
    const primary = w.nodes.find((n) => n.status()?.role === "Primary" && n.diskful);
    if (!primary) return;
    const other = w.nodes.find((n) => n !== primary && n.diskful && n.status() !== null && n.status().connections.find((c) => c.peer === primary.name)?.connectionState !== "Connected");
    if (!other) return;
    const side = `split${++this.splits}`;
    w.models.set(side, w.modelOf(other.name).fork());
    w.sideOf.set(other.name, side);
    w.note(`operator: DR takeover on ${other.name} while ${primary.name} is cut off and still Primary (sides ${MAIN_SIDE} / ${side})`);
    void w.promote(other, true, "operator takeover").then((ok2) => {
      if (ok2) {
        w.everSplit = true;
        return;
      }
      w.sideOf.set(other.name, MAIN_SIDE);
      w.models.delete(side);
      this.splits--;
    });
  }
  /** Stop I/O until nothing is in flight, then compare bitmaps with data (checkers.quietMoment). */
  checkpoint() {
    const w = this.w;
    if (this.checkpointing) return;
    this.checkpointing = true;
    w.client.paused = true;
    const until = w.now() + CHECKPOINT_PATIENCE_MS;
    const poll = () => {
      if (isQuiet(w)) {
        w.note("checkpoint: quiet, comparing bitmaps with data");
        w.checkers.quietMoment();
      } else if (w.now() < until) {
        w.scheduler.after(50, WORLD, "checkpoint", "", poll);
        return;
      } else {
        w.note("checkpoint: never quiet, skipped");
      }
      w.client.paused = false;
      this.checkpointing = false;
    };
    w.scheduler.after(50, WORLD, "checkpoint", "", poll);
  }
  two(a, b) {
    const x = this.resolve(a);
    const rest = this.w.nodes.filter((n) => n !== x);
    const y = rest.length > 0 ? rest[new Random(b.pick).int(rest.length)] : void 0;
    return [x, y];
  }
  resolve(t) {
    const w = this.w;
    let candidates;
    switch (t.role) {
      case "primary":
        candidates = w.nodes.filter((n) => n.status()?.role === "Primary");
        break;
      case "secondary":
        candidates = w.nodes.filter((n) => n.status() !== null && n.status().role !== "Primary");
        break;
      case "down":
        candidates = w.nodes.filter((n) => !n.running);
        break;
      case "diskful":
        candidates = w.nodes.filter((n) => n.diskful);
        break;
      default:
        candidates = w.nodes.filter((n) => n.running);
    }
    if (candidates.length === 0 && t.role === "primary") candidates = w.nodes.filter((n) => n.running);
    return candidates.length > 0 ? candidates[new Random(t.pick).int(candidates.length)] : void 0;
  }
};
function isQuiet(w) {
  if (w.client.busy || !w.network.quiet()) return false;
  for (const n of w.nodes) {
    for (let v = 0; n.disk(v); v++) if (n.disk(v).busy) return false;
    const s = n.status();
    if (s && s.connections.some((c) => c.volumes.some((pv) => pv.replicationState.startsWith("Sync") || pv.replicationState.startsWith("PausedSync")))) return false;
  }
  return true;
}
function holdsDataWithout(primary, node) {
  const s = primary.status();
  if (!s || s.role !== "Primary") return false;
  return s.volumes.every((v) => v.diskState === "UpToDate" || s.connections.some((c) => c.peer !== node.name && c.connectionState === "Connected" && c.volumes.some((pv) => pv.volume === v.volume && pv.replicationState === "Established" && pv.peerDiskState === "UpToDate")));
}

// src/platform/sim/runner.ts
var CONVERGENCE_BOUND_MS = 12e4;
var SPLIT_SETTLE_MS = 1e4;
var current = null;
var listening = false;
function listenForUnhandledRejections() {
  if (listening) return;
  listening = true;
  process.on("unhandledRejection", (reason) => current?.engineError(reason, "unhandled rejection"));
}
async function runSeed(opts) {
  listenForUnhandledRejections();
  const scenario = opts.scenario ? storedScenario(opts.scenario) : generateScenario(opts.seed, { nodes: opts.nodes });
  const indexes = selectedActions(scenario.actions.length, opts);
  const actions = indexes.map((i) => scenario.actions[i]);
  const world = new SimWorld(scenario, opts.factory, { traceKeep: opts.traceKeep });
  current = world;
  try {
    world.note(`seed ${opts.seed}: ${describeScenario(scenario)}; ${actions.length} of ${scenario.actions.length} actions`);
    const faults = new Faults(world);
    await world.setup();
    const t0 = world.now();
    actions.forEach((a, i) => world.scheduler.at(t0 + a.at, WORLD, "action", `#${indexes[i]} ${describeAction(a)}`, () => faults.apply(a)));
    await world.scheduler.run(t0 + scenario.activeMs);
    await quiesce(world, faults);
    await drain();
    return {
      seed: opts.seed,
      events: world.scheduler.events,
      violations: world.violations,
      traceHash: world.scheduler.trace.hash(),
      trace: world.scheduler.trace.tail(),
      actions: actions.length,
      simulatedMs: world.now(),
      scenario,
      stats: { acked: world.client.stats.acked, reads: world.client.stats.reads, skipped: world.client.stats.skipped, failed: world.client.stats.failed }
    };
  } finally {
    current = null;
  }
}
async function quiesce(w, faults) {
  w.client.stopped = true;
  w.note("quiescence: faults heal, writes stop, crashed nodes restart");
  faults.healAll();
  for (const n of w.nodes) w.startNode(n, !w.scenario.autoResync);
  w.note(`quiescence: ${w.models.size} side(s) of the data`);
  if (w.models.size > 1) await settleSplit(w);
  const lastAction = /* @__PURE__ */ new Map();
  const act2 = (key, fn) => {
    if ((lastAction.get(key) ?? -Infinity) > w.now() - 2e3) return;
    lastAction.set(key, w.now());
    fn();
  };
  let nextCrm = w.now();
  const converged = await w.runUntil(() => {
    if (isConverged(w)) return true;
    operatorFixes(w, act2);
    if (w.now() >= nextCrm) {
      nextCrm = w.now() + 1e3;
      void w.crm.evaluate();
    }
    return false;
  }, CONVERGENCE_BOUND_MS, 250);
  if (!converged) {
    w.violation("convergence", `not converged ${CONVERGENCE_BOUND_MS / 1e3} s after faults healed and writes stopped: ${w.nodes.map((n) => n.describe()).join(" | ")}${w.client.busy ? " | client requests still in flight" : ""}`);
    w.checkers.quiescent();
    return;
  }
  await w.runUntil(() => isQuiet(w), 3e4);
  w.note("quiescence: converged");
  w.checkers.quiescent();
  w.checkers.quietMoment();
}
async function settleSplit(w) {
  await w.runUntil(() => false, SPLIT_SETTLE_MS, 250);
  const sides = [...w.models.keys()];
  const bothWrote = sides.every((s) => (w.checkers.sideWrites.get(s) ?? 0) > 0);
  if (bothWrote && w.checkers.sidesMet && w.checkers.splitBrains.length === 0) {
    w.violation("split-brain-undetected", `both sides of the takeover acknowledged writes (${sides.map((s) => `${s}: ${w.checkers.sideWrites.get(s)}`).join(", ")}) and no split brain was reported once they met: ${w.nodes.map((n) => n.describe()).join(" | ")}`);
  }
  for (const side of sides) {
    if ((w.checkers.sideWrites.get(side) ?? 0) === 0) continue;
    const members = w.nodes.filter((n) => n.diskful && w.sideOf.get(n.name) === side);
    const model = w.models.get(side);
    const problems = members.map((n) => [...Array(model.volumes.length).keys()].flatMap((v) => w.checkers.compareWithModel(n.disk(v), v, model).map((p) => `${n.name} volume ${v} ${p}`)));
    if (!problems.some((p) => p.length === 0)) {
      w.violation("split-brain-discarded", `side ${side}'s acknowledged writes are held by none of its nodes (${members.map((n) => n.name).join(", ")}) before an operator chose: ${problems.map((p) => p[0]).join("; ")}`);
    }
  }
  const usable = (n) => n.diskful && (n.status()?.volumes.every((v) => !["Inconsistent", "Failed", "Diskless", "Attaching"].includes(v.diskState)) ?? false);
  const keeper = w.nodes.find((n) => usable(n) && w.sideOf.get(n.name) === MAIN_SIDE) ?? w.nodes.find(usable) ?? w.nodes.find((n) => n.diskful && w.sideOf.get(n.name) === MAIN_SIDE) ?? w.nodes.find((n) => n.diskful);
  const keep = w.sideOf.get(keeper.name);
  w.note(`operator: split-brain resolve --keep ${keeper.name} on every node (and bans the others from promotion meanwhile)`);
  w.cib.constraints.set(`operator-ban-${w.config.name}`, { resource: w.config.name, allowed: [keeper.name] });
  for (const n of w.nodes) {
    if (n.status()?.role === "Primary" && n !== keeper) await w.settle(w.control(n, "secondary"), 1e4);
    void w.control(n, "connect", n === keeper ? {} : { discardMyData: true });
  }
  for (const n of w.nodes) w.sideOf.set(n.name, keep);
  for (const side of [...w.models.keys()]) if (side !== keep) w.models.delete(side);
}
function operatorFixes(w, act2) {
  forceIfNoData(w, act2);
  for (const n of w.nodes) {
    if (!n.running) {
      act2(`${n.name}:start`, () => w.startNode(n, !w.scenario.autoResync));
      continue;
    }
    const s = n.status();
    if (!s) continue;
    if (s.failed) {
      act2(`${n.name}:restart`, () => void n.stop().catch(() => void 0).then(() => w.startNode(n, !w.scenario.autoResync)));
      continue;
    }
    if (s.held !== null) {
      act2(`${n.name}:connect`, () => void w.control(n, "connect"));
      continue;
    }
    if (n.diskful && s.volumes.some((v) => v.diskState === "Diskless" || v.diskState === "Failed")) act2(`${n.name}:attach`, () => void w.control(n, "attach"));
    const standAlone = s.connections.filter((c) => c.connectionState === "StandAlone");
    if (standAlone.length === 0) continue;
    const reported = w.checkers.splitBrains.some((sb) => sb.node === n.name && standAlone.some((c) => c.peer === sb.peer));
    if (reported && w.checkers.promotionForked) {
      resolvePromotionFork(w, act2);
      continue;
    }
    if (reported && !w.everSplit && !w.checkers.falseSplitsReported.has(n.name)) {
      w.checkers.falseSplitsReported.add(n.name);
      act2(`${n.name}:false-split-brain`, () => w.violation("false-split-brain", `${n.name} reports a split brain with ${standAlone.map((c) => c.peer).join(", ")} but no operator forced a second Primary: ${w.nodes.map((x) => x.describe()).join(" | ")}`));
    }
    act2(`${n.name}:connect`, () => void w.control(n, "connect"));
  }
}
function resolvePromotionFork(w, act2) {
  const holdsModel = (n) => n.diskful && n.running && (n.status()?.volumes.every((v) => v.diskState === "UpToDate" || v.diskState === "Consistent") ?? false) && [...Array(w.config.nodes[0].volumes.length).keys()].every((v) => w.checkers.compareWithModel(n.disk(v), v, w.modelOf(n.name)).length === 0);
  const keeper = w.nodes.find(holdsModel);
  if (!keeper) return;
  act2("resolve-promotion-fork", () => {
    w.note(`operator: split-brain resolve --keep ${keeper.name} on every node (a promotion left acknowledged writes behind: the data forked)`);
    w.cib.constraints.set(`operator-ban-${w.config.name}`, { resource: w.config.name, allowed: [keeper.name] });
    for (const n of w.nodes) {
      if (n === keeper || !n.running) continue;
      const demote = n.status()?.role === "Primary" ? w.control(n, "secondary") : Promise.resolve(true);
      void demote.then(() => w.control(n, "connect", { discardMyData: true }));
    }
    void w.control(keeper, "connect");
  });
}
function forceIfNoData(w, act2) {
  const diskful = w.nodes.filter((n) => n.diskful);
  if (diskful.some((n) => !n.status() || n.status().volumes.some((v) => v.diskState !== "Inconsistent"))) return;
  if ([...w.models.values()].some((m) => [...m.writes.values()].some((r) => r.state === "acked" && r.kind !== "trim"))) return;
  act2("force-new-cluster", () => {
    const primary = w.nodes.find((n) => n.status()?.role === "Primary");
    const demote = primary ? w.control(primary, "secondary") : Promise.resolve(true);
    void demote.then(() => w.promote(diskful[0], true, "no data anywhere and nothing acknowledged yet: primary --force"));
  });
}
function isConverged(w) {
  if (w.client.busy) return false;
  for (const n of w.nodes) {
    const s = n.status();
    if (!s) return false;
    if (n.diskful && s.volumes.some((v) => v.diskState !== "UpToDate")) return false;
    for (const c of s.connections) {
      if (c.connectionState !== "Connected") return false;
      const peer = w.node(c.peer);
      for (const pv of c.volumes) {
        if (pv.replicationState !== "Established") return false;
        if (pv.peerDiskState !== (peer.diskful ? "UpToDate" : "Diskless")) return false;
        if (s.role === "Primary" && pv.outOfSyncBytes > 0) return false;
      }
    }
  }
  return w.nodes.some((n) => n.status()?.role === "Primary") || !w.crm.hasCandidate();
}
function selectedActions(total, opts) {
  if (opts.keep) return opts.keep.filter((i) => i < total);
  return [...Array(Math.min(total, opts.cut ?? total)).keys()];
}
async function shrink(opts, checker, total, maxRuns = 40) {
  let runs = 0;
  const fails = async (keep2) => {
    runs++;
    const r = await runSeed({ ...opts, cut: void 0, keep: keep2, traceKeep: 0 });
    return r.violations.some((v) => v.checker === checker);
  };
  let lo = 0;
  let hi = total;
  while (lo < hi && runs < maxRuns / 2) {
    const mid = Math.floor((lo + hi) / 2);
    if (await fails([...Array(mid).keys()])) hi = mid;
    else lo = mid + 1;
  }
  let keep = [...Array(hi).keys()];
  for (let chunk = Math.ceil(keep.length / 2); chunk >= 1 && runs < maxRuns; chunk = Math.floor(chunk / 2)) {
    for (let start = 0; start < keep.length && runs < maxRuns; ) {
      const candidate = [...keep.slice(0, start), ...keep.slice(start + chunk)];
      if (candidate.length < keep.length && await fails(candidate)) keep = candidate;
      else start += chunk;
    }
  }
  const result = await runSeed({ ...opts, cut: void 0, keep, traceKeep: Infinity });
  return { keep, result };
}
function formatRanges(indexes) {
  const parts = [];
  for (let i = 0; i < indexes.length; ) {
    let j = i;
    while (j + 1 < indexes.length && indexes[j + 1] === indexes[j] + 1) j++;
    parts.push(i === j ? `${indexes[i]}` : `${indexes[i]}-${indexes[j]}`);
    i = j + 1;
  }
  return parts.join(",");
}
function parseRanges(text2) {
  const out = [];
  for (const part of text2.split(",").filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new Error(`--actions: '${part}' is not an index or a range a-b`);
    const a = Number(m[1]);
    const b = m[2] === void 0 ? a : Number(m[2]);
    for (let i = a; i <= b; i++) out.push(i);
  }
  return out;
}
function storedScenario(s) {
  return s.config.connections ? s : { ...s, config: { ...s.config, connections: [] } };
}
function describeScenario(s) {
  const c = s.config;
  const diskless = c.nodes.filter((n) => n.volumes.every((v) => v.disk === null)).map((n) => n.name);
  const own = c.connections.filter((x) => x.protocol !== null).map((x) => `${x.nodes.join("-")} ${x.protocol}`).join(", ");
  return `${c.nodes.length} nodes${diskless.length > 0 ? ` (diskless ${diskless.join(",")})` : ""}, protocol ${c.protocol}${own ? ` (connections ${own})` : ""}, fencing ${c.fencing}, quorum ${c.quorum}/${c.onNoQuorum}, ${c.nodes[0].volumes.map((v) => `${v.size / 1048576} MiB`).join("+")}, al-extents ${c.alExtents}, meta ${Object.entries(s.metaKinds).map(([n, k]) => `${n}:${k}`).join(",")}, auto_resync ${s.autoResync}`;
}
function describeAction(a) {
  const { at: _at, kind, ...rest } = a;
  return `${kind} ${stringify(rest)}`;
}
async function drain() {
  for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
}

// src/platform/sim/cli.ts
function parseArgs(argv) {
  const opts = { seeds: 1, seed: null, budgetSeconds: null, json: false, traceHash: false, trace: false, shrink: true, jobs: 1 };
  const int = (i, name) => {
    const v = Number(argv[i + 1]);
    if (!Number.isSafeInteger(v) || v < 0) throw new Error(`${name} needs a non-negative integer, got '${argv[i + 1] ?? ""}'`);
    return v;
  };
  let seedsGiven = false;
  for (let i = 0; i < argv.length; i++) {
    switch (argv[i]) {
      case "--seeds":
        opts.seeds = int(i++, "--seeds");
        seedsGiven = true;
        break;
      case "--seed":
        opts.seed = int(i++, "--seed");
        break;
      case "--nodes": {
        const k = int(i++, "--nodes");
        if (k < 2 || k > 5) throw new Error(`--nodes must be 2 to 5, got ${k}`);
        opts.nodes = k;
        break;
      }
      case "--budget-seconds":
        opts.budgetSeconds = int(i++, "--budget-seconds");
        break;
      case "--jobs":
        opts.jobs = Math.max(1, int(i++, "--jobs"));
        break;
      case "--cut":
        opts.cut = int(i++, "--cut");
        break;
      case "--actions":
        opts.keep = parseRanges(argv[++i] ?? "");
        break;
      case "--json":
        opts.json = true;
        break;
      case "--trace-hash":
        opts.traceHash = true;
        break;
      case "--trace":
        opts.trace = true;
        break;
      case "--no-shrink":
        opts.shrink = false;
        break;
      case "--save":
        opts.save = argv[++i];
        break;
      case "--save-shrunk":
        opts.saveShrunk = argv[++i];
        break;
      case "--scenario":
        opts.scenarioFile = argv[++i] ?? "";
        opts.scenario = parseStoredScenario(readFileSync2(opts.scenarioFile, "utf8"));
        break;
      default:
        throw new Error(`unknown argument '${argv[i]}' (see src/platform/sim/cli.ts for the options)`);
    }
  }
  if (!seedsGiven && opts.seed !== null) opts.seeds = 1;
  return opts;
}
async function runOne(seed, opts, factory) {
  const lines = [];
  const say = (line) => {
    if (!opts.json) lines.push(line);
  };
  const result = await runSeed({ seed, factory, nodes: opts.nodes, cut: opts.cut, keep: opts.keep, scenario: opts.scenario, traceKeep: opts.trace ? Infinity : 2e3 });
  if (opts.save) writeFileSync(opts.save, JSON.stringify(playedScenario(result, opts.keep ?? null, opts.cut), null, 1) + "\n");
  if (opts.traceHash) lines.push(`seed ${seed} trace-hash ${result.traceHash}`);
  if (opts.trace) lines.push(...result.trace);
  const violations = result.violations.map((v) => ({ seed, checker: v.checker, message: v.message }));
  if (violations.length === 0) {
    if (!opts.traceHash) say(`seed ${seed}: ok (${result.events} events, ${(result.simulatedMs / 1e3).toFixed(1)} s simulated, ${result.stats.acked} writes acknowledged)`);
  } else {
    await reportFailure(result, opts, factory, say);
  }
  return { seed, events: result.events, violations, lines };
}
async function runCli(argv, factory, env = {}) {
  const out = env.out ?? ((l) => process.stdout.write(l + "\n"));
  let opts;
  try {
    opts = parseArgs(argv);
  } catch (err) {
    out(`error: ${err.message}`);
    return 2;
  }
  const summary = { seeds: 0, events: 0, violations: [] };
  const started = performance.now();
  const first = opts.seed ?? randomInt(0, 2 ** 31);
  const ran = [];
  let index = 0;
  const nextSeed = () => {
    if (opts.budgetSeconds !== null ? performance.now() - started >= opts.budgetSeconds * 1e3 : index >= opts.seeds) return null;
    const seed = opts.budgetSeconds !== null && opts.seed === null ? randomInt(0, 2 ** 31) : first + index >>> 0;
    index++;
    ran.push(seed);
    return seed;
  };
  const record = (o) => {
    summary.seeds++;
    summary.events += o.events;
    summary.violations.push(...o.violations);
    for (const line of o.lines) out(line);
  };
  const jobs = Math.max(1, Math.min(opts.jobs, opts.budgetSeconds === null ? opts.seeds : opts.jobs));
  if (jobs > 1 && env.workerUrl) {
    await runOnWorkers(env.workerUrl, argv, jobs, nextSeed, record);
  } else {
    for (let seed = nextSeed(); seed !== null; seed = nextSeed()) record(await runOne(seed, opts, factory));
  }
  summary.violations.sort((a, b) => a.seed - b.seed);
  const seconds = (performance.now() - started) / 1e3;
  const say = (line) => {
    if (!opts.json) out(line);
  };
  if (opts.budgetSeconds !== null) out(`seeds run: ${ran.join(" ")}`);
  say(`${summary.seeds} seeds, ${summary.events} events, ${summary.violations.length} violations in ${seconds.toFixed(1)} s on ${jobs} thread${jobs > 1 ? "s" : ""} (${(summary.seeds / (seconds / 60)).toFixed(0)} seeds/min, ${summary.seeds > 0 ? Math.round(summary.events / summary.seeds) : 0} events/seed)`);
  if (opts.json) out(JSON.stringify(summary));
  return summary.violations.length > 0 ? 1 : 0;
}
async function runOnWorkers(url, argv, jobs, nextSeed, record) {
  await Promise.all(Array.from({ length: jobs }, () => new Promise((resolve, reject) => {
    const worker = new Worker(url, { workerData: { argv } });
    const feed = () => {
      const seed = nextSeed();
      if (seed === null) {
        void worker.terminate().then(() => resolve());
        return;
      }
      worker.postMessage(seed);
    };
    worker.on("message", (o) => {
      if (o !== "ready") record(o);
      feed();
    });
    worker.on("error", reject);
  })));
}
function runWorker(factory) {
  const opts = parseArgs(workerData.argv);
  const port = parentPort;
  port.on("message", (seed) => {
    void runOne(seed, opts, factory).then((o) => port.postMessage(o));
  });
  port.postMessage("ready");
}
function playedScenario(result, keep, cut) {
  const all = result.scenario.actions;
  const indexes = keep ?? [...Array(Math.min(all.length, cut ?? all.length)).keys()];
  return { ...result.scenario, actions: indexes.filter((i) => i < all.length).map((i) => all[i]) };
}
async function reportFailure(result, opts, factory, say) {
  const first = result.violations[0];
  say(`seed ${result.seed}: ${result.violations.length} violation(s); first: ${first.checker}: ${first.message}`);
  say(`  scenario: ${describeScenario(result.scenario)}`);
  let selection = opts.keep ? `--actions ${formatRanges(opts.keep)}` : opts.cut !== void 0 ? `--cut ${opts.cut}` : "";
  let shown = result;
  if (opts.shrink && opts.cut === void 0 && opts.keep === void 0) {
    const shrunk = await shrink({ seed: result.seed, factory, nodes: opts.nodes, scenario: opts.scenario }, first.checker, result.actions);
    selection = shrunk.keep.length === 0 ? "--cut 0" : `--actions ${formatRanges(shrunk.keep)}`;
    shown = shrunk.result;
    if (opts.saveShrunk) {
      const file = `${opts.saveShrunk}/seed-${result.seed}-${first.checker}.json`;
      writeFileSync(file, JSON.stringify(playedScenario(result, shrunk.keep, void 0), null, 1) + "\n");
      say(`  shrunk scenario: ${file} (replay: --seed ${result.seed} --scenario ${file})`);
    }
    say(`  shrunk: ${shrunk.keep.length} of ${result.actions} actions still fail ${first.checker}`);
  }
  if (!opts.trace) {
    const story = shown.trace.filter((line) => / \| | action #/.test(line));
    say(`  what happened (${story.length} lines; --trace prints every event):`);
    for (const line of story.slice(-150)) say(`    ${line}`);
  }
  say(`  replay: npm run sim -- --seed ${result.seed}${opts.scenarioFile ? ` --scenario ${opts.scenarioFile}` : ""}${opts.nodes ? ` --nodes ${opts.nodes}` : ""}${selection ? ` ${selection}` : ""} --trace`);
}

// src/platform/sim/main.ts
var engine = (config, nodeName, platform) => new Resource(config, nodeName, platform);
if (isMainThread) process.exitCode = await runCli(process.argv.slice(2), engine, { workerUrl: new URL(import.meta.url) });
else runWorker(engine);
