// Binds the engine's peer ports to src/transport (TCP, two streams per peer) and maps the
// engine's messages onto the wire catalogue (src/wire/messages.ts) and back.
import type { PeerLink, Transport } from '../transport/transport.js';
import { TcpTransport } from '../transport/tcp.js';
import { tcpTransportOptions } from '../transport/from-config.js';
import type { WireMessage } from '../wire/messages.js';
import type { PeerMessage, VolumeState } from './peer-messages.js';
import type { PeerConnectorPort, PeerLinkPort } from './ports.js';
import type { Resource } from './resource.js';
import type { DiskState, Role } from './states.js';

/** connectOnStart false: every peer starts StandAlone (no dialing, incoming attempts refused). */
export function createConnector(resource: Resource, opts: { connectOnStart: boolean } = { connectOnStart: true }): PeerConnectorPort {
  const c = resource.config;
  const transport: Transport = new TcpTransport({
    ...tcpTransportOptions(c, resource.local.name),
    connectOnStart: opts.connectOnStart,
    logger: resource.log.child({ component: 'transport' }),
  });
  transport.on('refused', (r) => {
    resource.log.warn('peer connection refused', { ...r });
    resource.emit('connection', { peerNodeId: r.peerNodeId, refused: r.code, by: r.by, reason: r.reason });
  });
  return {
    async start(onLink) {
      transport.on('link', (link) => onLink(new LinkAdapter(link)));
      await transport.start(); // dials every peer unless connectOnStart is false
    },
    connect: (id) => transport.connect(id),
    disconnect: (id) => transport.disconnect(id, 'disconnected by administrator'),
    stop: () => transport.stop(),
  };
}

class LinkAdapter implements PeerLinkPort {
  constructor(private readonly link: PeerLink) {}

  get peerNodeId(): number {
    return this.link.peerNodeId;
  }

  sendData(msg: PeerMessage): boolean {
    if (this.link.closed) return false;
    return this.link.sendData(toWire(msg));
  }

  sendControl(msg: PeerMessage): void {
    if (!this.link.closed) this.link.sendControl(toWire(msg));
  }

  onMessage(handler: (msg: PeerMessage) => void): void {
    this.link.on('message', (msg) => {
      const m = fromWire(msg);
      if (m) handler(m);
    });
  }

  onDrain(handler: () => void): void {
    this.link.on('drain', handler);
  }

  onClose(handler: (reason: string) => void): void {
    this.link.on('close', handler);
  }

  close(reason: string): void {
    if (!this.link.closed) this.link.close(reason);
  }
}

const BLOCK = 4096;

function toWire(m: PeerMessage): WireMessage {
  switch (m.type) {
    case 'State': return { type: 'State', role: m.role, volumes: m.volumes.map(volumeToWire) };
    case 'Write': return { type: 'Write', volume: m.volume, seq: m.seq, epoch: 0, offset: m.offset, flags: { fua: m.fua, flush: false }, missing: m.missing, data: m.data };
    case 'WriteZeroes': return { type: 'WriteZeroes', volume: m.volume, seq: m.seq, epoch: 0, offset: m.offset, length: m.length, flags: { fua: false, flush: false }, missing: m.missing };
    case 'OutOfSync': return { type: 'OutOfSync', volume: m.volume, offset: m.offset, length: m.length, missing: m.missing };
    case 'Flush': return { type: 'Flush', id: m.id };
    case 'RecvAck': return { type: 'RecvAck', volume: 0, seq: m.seq };
    case 'WriteAck': return { type: 'WriteAck', volume: 0, seq: m.seq };
    case 'NegAck': return { type: 'NegAck', volume: 0, seq: m.seq, errno: 5 };
    case 'FlushAck': return { type: 'FlushAck', id: m.id };
    case 'ResyncData': return { type: 'ResyncData', volume: m.volume, requestId: m.id, offset: m.offset, data: m.data };
    case 'ResyncAck': return { type: 'ResyncAck', volume: m.volume, requestId: m.id, offset: m.offset, length: m.length };
    case 'ResyncDone': return { type: 'ResyncDone', volume: m.volume, current: m.current, history: m.history };
    case 'ReadRequest': return { type: 'ReadRequest', volume: m.volume, requestId: m.id, offset: m.offset, length: m.length };
    case 'ReadReply': return { type: 'ReadReply', volume: m.volume, requestId: m.id, errno: m.error, data: m.data };
    case 'Disconnect': return { type: 'Disconnect', reason: m.reason.slice(0, 500) };
  }
}

function fromWire(m: WireMessage): PeerMessage | null {
  switch (m.type) {
    case 'State': return { type: 'State', role: m.role === 'Unknown' ? 'Secondary' : m.role as Role, volumes: m.volumes.map(volumeFromWire) };
    case 'Write': return { type: 'Write', volume: m.volume, seq: m.seq, offset: m.offset, fua: m.flags.fua || m.flags.flush, missing: m.missing, data: m.data };
    case 'WriteZeroes': return { type: 'WriteZeroes', volume: m.volume, seq: m.seq, offset: m.offset, length: m.length, missing: m.missing };
    case 'OutOfSync': return { type: 'OutOfSync', volume: m.volume, offset: m.offset, length: m.length, missing: m.missing };
    case 'Flush': return { type: 'Flush', id: m.id };
    case 'RecvAck': return { type: 'RecvAck', seq: m.seq };
    case 'WriteAck': return { type: 'WriteAck', seq: m.seq };
    case 'NegAck': return { type: 'NegAck', seq: m.seq };
    case 'FlushAck': return { type: 'FlushAck', id: m.id };
    case 'ResyncData': return { type: 'ResyncData', volume: m.volume, id: m.requestId, offset: m.offset, data: m.data };
    case 'ResyncAck': return { type: 'ResyncAck', volume: m.volume, id: m.requestId, offset: m.offset, length: m.length };
    case 'ResyncDone': return { type: 'ResyncDone', volume: m.volume, current: m.current, history: m.history };
    case 'ReadRequest': return { type: 'ReadRequest', volume: m.volume, id: m.requestId, offset: m.offset, length: m.length };
    case 'ReadReply': return { type: 'ReadReply', volume: m.volume, id: m.requestId, error: m.errno, data: m.data };
    case 'Disconnect': return { type: 'Disconnect', reason: m.reason };
    default: return null; // pings and handshake are the transport's; the rest is not used yet
  }
}

function volumeToWire(v: VolumeState) {
  return {
    volume: v.volume, diskState: v.diskState, sizeBytes: v.sizeBytes, current: v.current,
    bitmapForReceiver: v.bitmapForReceiver, history: v.history,
    flags: { crashedPrimary: v.crashedPrimary, wasUpToDate: false, consistent: false, discardMyData: v.discardMyData, newDataGeneration: false },
    outOfSyncBits: Math.ceil(v.outOfSyncBytes / BLOCK), reconcile: v.reconcile,
  };
}

function volumeFromWire(v: Extract<WireMessage, { type: 'State' }>['volumes'][number]): VolumeState {
  return {
    volume: v.volume, diskState: v.diskState as DiskState, sizeBytes: v.sizeBytes, current: v.current,
    bitmapForReceiver: v.bitmapForReceiver, history: v.history, crashedPrimary: v.flags.crashedPrimary,
    discardMyData: v.flags.discardMyData, outOfSyncBytes: v.outOfSyncBits * BLOCK, reconcile: v.reconcile,
  };
}
