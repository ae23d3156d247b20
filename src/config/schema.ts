// The one declarative schema of a resource file: every section, every key, its type, default,
// required-ness and a one-line description (shown by `tandem config explain`). The loader
// validates against this table and nothing else; adding a key means adding a line here.
import type { AfterSb0Pri, AfterSb1Pri, AfterSb2Pri, CsumsAlg, DataIntegrityAlg, Fencing, Frontend, OnIoError, OnNoQuorum, Protocol, ResourceConfig, TransportSecurity } from './model.js';
import * as v from './values.js';
import { assert } from '../lib/assert.js';

export interface KeySpec<T = unknown> {
  type: v.ValueType<T>;
  /** the default as it would be written in the file; absent = no default */
  default?: string;
  required?: boolean;
  description: string;
}

const AFTER_SB_0PRI: readonly AfterSb0Pri[] = ['disconnect', 'discard-younger-primary', 'discard-older-primary', 'discard-zero-changes', 'discard-least-changes', 'discard-node'];

export interface AfterSb0PriSetting {
  policy: AfterSb0Pri;
  /** the node whose data is discarded, for discard-node-<name> */
  node: string | null;
}

/** DRBD's after-sb-0pri values, where discard-node is written discard-node-<name>. */
const afterSb0pri: v.ValueType<AfterSb0PriSetting> = {
  allowed: AFTER_SB_0PRI.filter((p) => p !== 'discard-node').join(', ') + ', discard-node-<node name>',
  parse(text) {
    const m = /^discard-node-(.+)$/.exec(text);
    if (m) return v.isNodeName(m[1]) ? { ok: true, value: { policy: 'discard-node', node: m[1] } } : { ok: false, problem: `is not a split-brain policy: '${m[1]}' is not a node name` };
    if (text !== 'discard-node' && (AFTER_SB_0PRI as readonly string[]).includes(text)) return { ok: true, value: { policy: text as AfterSb0Pri, node: null } };
    return { ok: false, problem: 'is not a split-brain policy' };
  },
  format: (s) => (s.node === null ? s.policy : `discard-node-${s.node}`),
};

/**
 * csums-alg: only a cryptographic digest may call two blocks equal without comparing them (a
 * resync then skips the block). CRC32C catches accidents on a wire, not two different blocks
 * that happen to share 32 bits, so it is refused here with that reason.
 */
const csumsAlg: v.ValueType<CsumsAlg> = {
  allowed: 'none, sha256 (a strong digest: blocks with equal digests are taken as equal and not sent; crc32c is too weak for that)',
  parse(text) {
    if (text === 'none' || text === 'sha256') return { ok: true, value: text };
    if (/^crc/i.test(text)) return { ok: false, problem: `is too weak for csums-alg: equal ${text} values do not show two blocks are equal (${text} suits data-integrity-alg, which only detects damage)` };
    return { ok: false, problem: text.toLowerCase().replace('-', '') === 'sha256' ? "is not a csums algorithm (did you mean 'sha256'?)" : 'is not a csums algorithm' };
  },
  format: (a) => a,
};
const PROTOCOL = v.enumOf<Protocol>('a replication protocol', ['A', 'B', 'C']);

export const RESOURCE_KEYS = {
  name: { type: v.resourceName, required: true, description: 'resource name, unique across the configuration directory' },
  protocol: { type: PROTOCOL, default: 'C', description: 'when a write is acknowledged: A sent, B received by peers, C written by peers; the protocol of every connection without its own in [connection.<node>.<node>]' },
  secret: { type: v.text, default: '', description: 'shared secret peers authenticate with (HMAC challenge-response)' },
  fencing: { type: v.enumOf<Fencing>('a fencing policy', ['dont-care', 'resource-only', 'resource-and-stonith']), default: 'dont-care', description: 'what a Primary does when it loses a peer: nothing, fence-peer handler, or freeze I/O until the handler answers' },
  quorum: { type: v.quorum, default: 'off', description: 'nodes that must be reachable for I/O: off, majority, all or a number' },
  'on-no-quorum': { type: v.enumOf<OnNoQuorum>('an on-no-quorum policy', ['io-error', 'suspend-io']), default: 'suspend-io', description: 'what I/O does without quorum: fail, or wait until quorum returns' },
  'on-io-error': { type: v.enumOf<OnIoError>('an on-io-error policy', ['detach']), default: 'detach', description: 'what a failed local disk read, write or flush does: detach (the disk goes Failed then Diskless, its blocks stay out of sync for every peer, I/O goes on through UpToDate peers); DRBD\'s pass_on and call-local-io-error are not implemented' },
  'after-sb-0pri': { type: afterSb0pri, default: 'disconnect', description: 'split-brain recovery when no node is Primary' },
  'after-sb-1pri': { type: v.enumOf<AfterSb1Pri>('a split-brain policy', ['disconnect', 'consensus', 'discard-secondary', 'call-pri-lost-after-sb', 'violently-as0p']), default: 'disconnect', description: 'split-brain recovery when one node is Primary' },
  'after-sb-2pri': { type: v.enumOf<AfterSb2Pri>('a split-brain policy', ['disconnect', 'call-pri-lost-after-sb', 'violently-as0p']), default: 'disconnect', description: 'split-brain recovery when two nodes are Primary' },
  'al-extents': { type: v.integer(7, 65534), default: '1237', description: 'activity-log extents of 4 MiB: more means fewer metadata updates, longer resync after a crash' },
  'resync-rate': { type: v.rate, default: '0', description: 'resync bandwidth limit in bytes per second, 0 = unlimited' },
  'ping-interval': { type: v.duration(100, 120_000), default: '10s', description: 'interval between keep-alive pings on the control connection (DRBD ping-int; sent whether or not data flows)' },
  'ping-timeout': { type: v.duration(100, 30_000), default: '500ms', description: 'time a ping may take before the peer is considered lost' },
  standalone: { type: v.bool, default: 'no', description: 'yes allows a single-node resource (no replication)' },
  'transport-security': { type: v.enumOf<TransportSecurity>('a transport security', ['tls', 'integrity', 'none']), default: 'tls', description: 'how peer links are protected: tls (TLS 1.3, encrypted and authenticated), integrity (in clear, every frame authenticated), none (in clear, only the handshake authenticated); the same on every node' },
  'previous-secret': { type: v.text, default: '', description: 'while rotating the secret one node at a time: the old secret, still accepted from peers that do not have the new one yet' },
  'data-integrity-alg': { type: v.enumOf<DataIntegrityAlg>('a data integrity algorithm', ['none', 'crc32c']), default: 'none', description: 'checksum on every replicated write and resync block, checked before it is written (a mismatch drops the connection and the range is resynced); the same on every node' },
  'csums-alg': { type: csumsAlg, default: 'none', description: 'checksum-based resync (DRBD csums-alg): for each out-of-sync block the SyncSource sends a digest first and only blocks that differ travel over the link, the others are verified and marked in sync; both disks are read in full, so it pays when the target already holds most of the data (a seeded DR copy, a crash); the same on every node' },
  'tls-cert': { type: v.optionalPath, default: '', description: "this node's TLS certificate (PEM, naming the node or its address); with tls-key and tls-ca, TLS authenticates with certificates instead of the secret, and TCP exports use it" },
  'tls-key': { type: v.optionalPath, default: '', description: 'the private key of tls-cert (PEM)' },
  'tls-ca': { type: v.optionalPath, default: '', description: "the CA certificate (PEM) that signed every node's tls-cert (and the NBD clients' certificates)" },
  'export-tls-psk': { type: v.optionalPath, default: '', description: 'PSK file for NBD clients of TCP exports (psktool format, identity:hex-key per line; nbdinfo --tls-psk, qemu tls-creds-psk)' },
  'export-insecure': { type: v.bool, default: 'no', description: 'yes allows TCP exports without TLS: anyone who reaches the port reads and writes the volume' },
  frontend: { type: v.enumOf<Frontend>('a frontend', ['auto', 'nbd', 'fuse', 'none']), default: 'auto', description: 'each volume as a local block device /dev/tandem/<res>/<vol> while Primary: nbd = kernel NBD driver (nbd-client), fuse = nbdfuse + a loop device, auto = nbd where the nbd module is loaded, else fuse; none = no block device. The device is a client of the volume\'s NBD export (a volume without volume.N.export gets a private one)' },
} satisfies Record<string, KeySpec>;

export const VOLUME_KEYS = {
  disk: { type: v.disk, description: 'backing block device or file; none = diskless (reads and writes through a peer)' },
  meta: { type: v.meta, description: 'metadata placement, pmem:<path> or block:<path>; not needed when diskless' },
  export: { type: v.exportAddress, description: 'where the volume is exported over NBD: a Unix socket path or tcp:<host>:<port>' },
  size: { type: v.size(4096, 512), description: 'volume size; without it the size of the backing disk' },
} satisfies Record<string, KeySpec>;

export const NODE_KEYS = {
  id: { type: v.integer(0, 31), required: true, description: 'node id, unique in the resource, 0..31' },
  address: { type: v.address, required: true, description: 'address and port peers connect to' },
} satisfies Record<string, KeySpec>;

/** Keys of a [connection.<a>.<b>] section: what one connection sets for itself (none is required). */
export const CONNECTION_KEYS = {
  protocol: { type: PROTOCOL, description: "this connection's replication protocol (DRBD's per-connection net { protocol }): a write is acknowledged once every peer has what its own connection's protocol asks; without it, the resource's protocol" },
} satisfies Record<string, KeySpec>;

/** Volume keys a [node.X] section may override as volume.N.<key>. */
export const NODE_OVERRIDE_KEYS = ['disk', 'meta', 'export'] as const satisfies ReadonlyArray<keyof typeof VOLUME_KEYS>;
export type OverrideKey = (typeof NODE_OVERRIDE_KEYS)[number];

/** Bounds on what one resource may declare. */
export const MAX_VOLUMES = 64;
export const MAX_NODES = 32;

export type ResourceKey = keyof typeof RESOURCE_KEYS;

/** Where each resource key's typed value lives in ResourceConfig (for explain and render). */
export const RESOURCE_FIELDS: { [K in ResourceKey]: (r: ResourceConfig) => unknown } = {
  name: (r) => r.name,
  protocol: (r) => r.protocol,
  secret: (r) => r.secret,
  fencing: (r) => r.fencing,
  quorum: (r) => r.quorum,
  'on-no-quorum': (r) => r.onNoQuorum,
  'on-io-error': (r) => r.onIoError,
  'after-sb-0pri': (r) => ({ policy: r.afterSb0pri, node: r.discardNode }),
  'after-sb-1pri': (r) => r.afterSb1pri,
  'after-sb-2pri': (r) => r.afterSb2pri,
  'al-extents': (r) => r.alExtents,
  'resync-rate': (r) => r.resyncRate,
  'ping-interval': (r) => r.pingIntervalMs,
  'ping-timeout': (r) => r.pingTimeoutMs,
  standalone: (r) => r.standalone,
  'transport-security': (r) => r.transportSecurity,
  'previous-secret': (r) => r.previousSecret,
  'data-integrity-alg': (r) => r.dataIntegrityAlg,
  'csums-alg': (r) => r.csumsAlg,
  'tls-cert': (r) => r.tlsCert,
  'tls-key': (r) => r.tlsKey,
  'tls-ca': (r) => r.tlsCa,
  'export-tls-psk': (r) => r.exportTlsPsk,
  'export-insecure': (r) => r.exportInsecure,
  frontend: (r) => r.frontend,
};

/** The schema checks itself when loaded: every default must be a valid value of its own type. */
for (const table of [RESOURCE_KEYS, VOLUME_KEYS, NODE_KEYS, CONNECTION_KEYS] as Array<Record<string, KeySpec>>) {
  for (const [key, spec] of Object.entries(table)) {
    assert(spec.default === undefined || spec.type.parse(spec.default).ok, `schema default of '${key}' is valid`);
    assert(!(spec.required && spec.default !== undefined), `schema key '${key}' is not both required and defaulted`);
  }
}
