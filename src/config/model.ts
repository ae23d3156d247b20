// The validated, effective configuration of resources: what every other subsystem consumes.
// The loader (src/config/load.ts) turns INI files into these objects; nothing else reads INI.

export type Protocol = 'A' | 'B' | 'C';
export type Fencing = 'dont-care' | 'resource-only' | 'resource-and-stonith';
/** 'off' | 'majority' | 'all' | a fixed number of nodes */
export type Quorum = 'off' | 'majority' | 'all' | number;
export type OnNoQuorum = 'io-error' | 'suspend-io';
/** DRBD's on-io-error: detach the failed disk and go on through peers (the one policy implemented) */
export type OnIoError = 'detach';
/** how a Primary's volumes become local block devices (/dev/tandem/<res>/<vol>) */
export type Frontend = 'auto' | 'nbd' | 'fuse' | 'none';
export type AfterSb0Pri = 'disconnect' | 'discard-younger-primary' | 'discard-older-primary' | 'discard-zero-changes' | 'discard-least-changes' | 'discard-node';
export type AfterSb1Pri = 'disconnect' | 'consensus' | 'discard-secondary' | 'call-pri-lost-after-sb' | 'violently-as0p';
export type AfterSb2Pri = 'disconnect' | 'call-pri-lost-after-sb' | 'violently-as0p';
export type TransportSecurity = 'tls' | 'integrity' | 'none';
export type DataIntegrityAlg = 'none' | 'crc32c';
/** csums-alg: the digest a resync compares blocks by before sending them ('none': every block is sent) */
export type CsumsAlg = 'none' | 'sha256';

/** Where a value came from, for `tandem config explain`. */
export interface Origin {
  /** 'resource': a connection without its own value takes the [resource] one (file, line: where that is set) */
  source: 'default' | 'file' | 'node-override' | 'resource';
  file?: string;
  line?: number;
}

export type MetaPlacement = { kind: 'pmem' | 'block'; path: string };

/** tcp:<host>:<port> or a unix socket path */
export type ExportAddress = { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number };

export interface HostPort {
  host: string;
  port: number;
}

export interface VolumeConfig {
  /** the N of [volume.N] */
  index: number;
  /** backing block device or file; null when diskless (disk = none) */
  disk: string | null;
  /** metadata placement; null when diskless */
  meta: MetaPlacement | null;
  export: ExportAddress | null;
  /** volume size in bytes when fixed by the configuration (size = 1GiB); otherwise the disk's size */
  size: number | null;
}

export interface NodeConfig {
  name: string;
  id: number;
  address: HostPort;
  /** this node's effective volumes, per-node overrides applied */
  volumes: VolumeConfig[];
}

/**
 * A [connection.<a>.<b>] section: what one connection sets for itself (DRBD 9's per-connection
 * net options). Only what the section sets; everything else comes from [resource].
 */
export interface ConnectionConfig {
  /** the two nodes, as the section names them (the order does not matter) */
  nodes: [string, string];
  /** the replication protocol of this connection; null: the resource's protocol */
  protocol: Protocol | null;
}

export interface ResourceConfig {
  name: string;
  /** the file it came from */
  file: string;
  /** the protocol of every connection without one of its own (src/config/connections.ts) */
  protocol: Protocol;
  secret: string;
  fencing: Fencing;
  quorum: Quorum;
  onNoQuorum: OnNoQuorum;
  onIoError: OnIoError;
  afterSb0pri: AfterSb0Pri;
  afterSb1pri: AfterSb1Pri;
  afterSb2pri: AfterSb2Pri;
  /** activity-log extents (4 MiB each), default 1237 */
  alExtents: number;
  /** resync rate limit in bytes/s, 0 = unlimited */
  resyncRate: number;
  /** ping interval and timeout in ms */
  pingIntervalMs: number;
  pingTimeoutMs: number;
  /** a single-node resource without replication (standalone = yes) */
  standalone: boolean;
  /** how peer links are protected (transport-security) */
  transportSecurity: TransportSecurity;
  /** the old secret, accepted while the secret is rotated ('' when not set) */
  previousSecret: string;
  dataIntegrityAlg: DataIntegrityAlg;
  /** checksum-based resync (csums-alg): blocks whose digests are equal on both sides are not sent */
  csumsAlg: CsumsAlg;
  /** TLS certificate files (PEM); all three or none */
  tlsCert: string | null;
  tlsKey: string | null;
  tlsCa: string | null;
  /** PSK file for NBD clients of TCP exports */
  exportTlsPsk: string | null;
  /** TCP exports without TLS allowed */
  exportInsecure: boolean;
  /** the local block device of each volume while Primary */
  frontend: Frontend;
  /** the node named by after-sb-0pri = discard-node-<name>; null otherwise */
  discardNode: string | null;
  nodes: NodeConfig[];
  /** the [connection.<a>.<b>] sections, in file order */
  connections: ConnectionConfig[];
  /** effective value origins, keyed by 'resource.<key>', 'volume.<n>.<key>' (the [volume.N] value),
   *  'node.<name>.id' / '.address', 'node.<name>.volume.<n>.<key>' (what that node uses) and
   *  'connection.<a>.<b>.<key>' (what a [connection.<a>.<b>] section sets) */
  origins: Record<string, Origin>;
}

export interface Warning {
  code: string;
  file: string;
  line?: number;
  key?: string;
  /** the resource and node the warning is about, when it is about one */
  resource?: string;
  node?: string;
  message: string;
}

export interface ClusterConfig {
  dir: string;
  /** the files read, in the order read */
  files: string[];
  /** the node this invocation acts as, when the caller named one */
  localNode: string | null;
  resources: ResourceConfig[];
  warnings: Warning[];
}
