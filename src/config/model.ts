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
  source: 'default' | 'file' | 'node-override';
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

export interface ResourceConfig {
  name: string;
  /** the file it came from */
  file: string;
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
  /** effective value origins, keyed by 'resource.<key>', 'volume.<n>.<key>' (the [volume.N] value),
   *  'node.<name>.id' / '.address' and 'node.<name>.volume.<n>.<key>' (what that node uses) */
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
