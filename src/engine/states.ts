// State names as DRBD administrators know them, and the status document that
// `tandem status --json` prints. Bump STATUS_SCHEMA_VERSION on any incompatible change.
export const ROLES = ['Primary', 'Secondary'] as const;
export type Role = (typeof ROLES)[number];

export const DISK_STATES = ['Diskless', 'Attaching', 'Inconsistent', 'Outdated', 'Consistent', 'UpToDate', 'Failed', 'DUnknown'] as const;
export type DiskState = (typeof DISK_STATES)[number];

export const CONNECTION_STATES = ['StandAlone', 'Connecting', 'Connected', 'Disconnecting'] as const;
export type ConnectionState = (typeof CONNECTION_STATES)[number];

export const REPLICATION_STATES = ['Off', 'Established', 'SyncSource', 'SyncTarget', 'PausedSyncS', 'PausedSyncT', 'VerifyS', 'VerifyT', 'Ahead', 'Behind'] as const;
export type ReplicationState = (typeof REPLICATION_STATES)[number];

export const STATUS_SCHEMA_VERSION = 1;

export interface ResyncProgress {
  doneBytes: number;
  totalBytes: number;
  percent: number;
  rateBytesPerSec: number;
  etaSeconds: number | null;
  /** the digest blocks are compared by before sending (csums-alg); 'none': every block is sent */
  csumsAlg: 'none' | 'sha256';
  /** of doneBytes: found equal by digest and not sent (DRBD's "same csum") */
  sameBytes: number;
  /** of doneBytes: sent over the link as data */
  transferredBytes: number;
}

export interface VolumeStatus {
  volume: number;
  diskState: DiskState;
  sizeBytes: number;
  /** NBD export address, present while exported */
  export: string | null;
  /** the local block device (/dev/tandem/<res>/<vol>) while Primary with a frontend */
  device: string | null;
  /** how requests reach the backing disk (e.g. 'io_uring O_DIRECT', 'page cache'); null when detached */
  io: string | null;
  /** current data generation identifier (hex) */
  currentGeneration: string | null;
}

export interface PeerVolumeStatus {
  volume: number;
  replicationState: ReplicationState;
  peerDiskState: DiskState;
  outOfSyncBytes: number;
  resync: ResyncProgress | null;
}

export interface ConnectionStatus {
  peer: string;
  nodeId: number;
  connectionState: ConnectionState;
  /** this connection's replication protocol (both ends agree on it: the transport checks) */
  protocol: 'A' | 'B' | 'C';
  peerRole: Role | 'Unknown';
  volumes: PeerVolumeStatus[];
}

export interface ResourceStatus {
  name: string;
  role: Role;
  /** false when quorum is configured and lost */
  quorum: boolean;
  /** I/O frozen (fencing in progress, or suspend-io without quorum) */
  suspended: boolean;
  /** the invariant that stopped this resource on this node (disks Failed); null while it runs */
  failed: string | null;
  volumes: VolumeStatus[];
  connections: ConnectionStatus[];
  /** Pacemaker constraints this node's daemon placed and still holds (ids) */
  constraints: string[];
  /** why the resource stays StandAlone until `tandem connect` (auto_resync=false); null otherwise */
  held: string | null;
}

export interface NodeStatus {
  schemaVersion: typeof STATUS_SCHEMA_VERSION;
  node: string;
  resources: ResourceStatus[];
}
