// The engine's peer ports on the TCP transport (src/transport): two streams per peer,
// authenticated with the resource secret. Messages pass through unchanged (one catalogue:
// src/wire/messages.ts); only the transport's own (pings, handshake) stay below.
import type { ResourceConfig } from '../../config/model.js';
import type { Logger } from '../../lib/log.js';
import type { PeerConnectorPort, PeerLinkPort } from '../../engine/platform.js';
import type { PeerLink, Transport } from '../../transport/transport.js';
import { TcpTransport } from '../../transport/tcp.js';
import { tcpTransportOptions } from '../../transport/from-config.js';
import type { WireMessage } from '../../wire/messages.js';

/** Messages the transport handles itself; the engine never sees them. */
const TRANSPORT_ONLY = new Set<WireMessage['type']>(['Hello', 'AuthChallenge', 'AuthResponse', 'AuthResult', 'Refuse', 'Ping', 'PingAck']);

export interface ConnectorEvents {
  refused(r: { peerNodeId: number | null; code: string; by: string; reason: string }): void;
}

/** connectOnStart false: every peer starts StandAlone (no dialing, incoming attempts refused). */
export function tcpConnector(config: ResourceConfig, localNode: string, log: Logger, opts: { connectOnStart: boolean }, events: ConnectorEvents): PeerConnectorPort {
  const transport: Transport = new TcpTransport({
    ...tcpTransportOptions(config, localNode),
    connectOnStart: opts.connectOnStart,
    logger: log.child({ component: 'transport' }),
  });
  transport.on('refused', (r) => events.refused(r));
  return {
    async start(onLink) {
      transport.on('link', (link) => onLink(new TcpLinkPort(link)));
      await transport.start(); // dials every peer unless connectOnStart is false
    },
    connect: (id) => transport.connect(id),
    disconnect: (id) => transport.disconnect(id, 'disconnected by administrator'),
    stop: () => transport.stop(),
  };
}

class TcpLinkPort implements PeerLinkPort {
  constructor(private readonly link: PeerLink) {}

  get peerNodeId(): number {
    return this.link.peerNodeId;
  }

  sendData(msg: WireMessage): boolean {
    if (this.link.closed) return true; // nothing to wait for: the close is on its way
    return this.link.sendData(msg);
  }

  sendControl(msg: WireMessage): void {
    if (!this.link.closed) this.link.sendControl(msg);
  }

  pauseData(): void {
    this.link.pauseData();
  }

  resumeData(): void {
    this.link.resumeData();
  }

  onMessage(handler: (msg: WireMessage) => void): void {
    this.link.on('message', (msg) => {
      if (!TRANSPORT_ONLY.has(msg.type)) handler(msg);
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

  probe(): Promise<void> {
    return this.link.probe(); // the transport closes the link itself when the PingAck misses its deadline
  }
}
