// Versions and limits of the peer protocol.
//
// Two numbers, kept apart on purpose:
//   FRAME_FORMAT   the header layout (frame.ts). Every frame carries it, Hello included, so two
//                  nodes with different protocol versions can still read each other's Hello and
//                  Refuse and say clearly why they cannot talk.
//   PROTOCOL_*     the message catalogue and its semantics, negotiated in Hello: both sides use
//                  the highest version in the intersection of their [min, max] ranges.
//
// Protocol history:
//   1  first version: the catalogue in messages.ts.
//   2  transport security: Security after Hello, the 'security' refusal, frame flags for a
//      payload checksum and a per-frame MAC (codec.ts). Version 1 is no longer spoken: a node of
//      version 1 cannot protect the link, so it is refused with both version ranges named.
//   3  checksum-based resync and a replication protocol per connection: Security states
//      csums-alg and the sender's protocol (A, B, C) for the connection; both ends must agree,
//      else the 'csums-alg' or 'replication-protocol' refusal. ResyncChecksum and ResyncInSync,
//      ResyncRequest answers a digest that differs. Security's layout changed, so version 2 is no
//      longer spoken (refused with both version ranges named, before either side reads the
//      other's Security).

export const FRAME_MAGIC = 0x54_41_4e_44; // "TAND"
export const FRAME_FORMAT = 1;

export const PROTOCOL_VERSION_MIN = 3;
export const PROTOCOL_VERSION_MAX = 3;

/** Largest block of data one message carries (a Write, ResyncData, ReadReply). */
export const MAX_DATA_BYTES = 1024 * 1024;
/** Room for the fixed fields of any message beside its data. */
export const MAX_FIELDS_BYTES = 256 * 1024;
export const MAX_PAYLOAD_BYTES = MAX_DATA_BYTES + MAX_FIELDS_BYTES;
/** Before authentication a peer may only send small handshake frames. */
export const MAX_HANDSHAKE_PAYLOAD_BYTES = 4096;

export interface VersionRange {
  min: number;
  max: number;
}

/** The version both sides will speak, or null when their ranges do not overlap. */
export function negotiateVersion(local: VersionRange, remote: VersionRange): number | null {
  const low = Math.max(local.min, remote.min);
  const high = Math.min(local.max, remote.max);
  return low <= high ? high : null;
}
