// The fixed-newstyle option haggling, from the client's flags to NBD_OPT_GO/EXPORT_NAME.
// It consumes whole options from the connection's ChunkQueue and writes replies through `send`;
// the connection owns the socket and decides what a 'close' means, and runs the TLS handshake
// when NBD_OPT_STARTTLS was accepted (tls.ts); haggling then goes on inside TLS.
import type { Logger } from '../lib/log.js';
import type { ChunkQueue } from './chunk-queue.js';
import type { NbdExport } from './nbd-export.js';
import type { NbdTls } from './tls.js';
import {
  FLAG_C_FIXED_NEWSTYLE, FLAG_C_NO_ZEROES, IHAVEOPT, INFO, MAX_OPTION_BYTES, MAX_STRING_BYTES, OPT,
  OPTION_HEADER_BYTES, REP, encodeExportNameReply, encodeInfoBlockSize, encodeInfoExport,
  encodeInfoString, encodeOptionReply, encodeServerEntry,
} from './protocol.js';

export interface ExportDirectory {
  /** '' resolves to the default export, if there is one */
  find(name: string): NbdExport | undefined;
  list(): NbdExport[];
}

export type NegotiationStep =
  | { kind: 'more' }
  | { kind: 'close'; reason: string; graceful: boolean }
  /** STARTTLS was acknowledged: the TLS handshake comes next, then more options */
  | { kind: 'starttls' }
  | { kind: 'transmission'; export: NbdExport };

const KNOWN_CLIENT_FLAGS = FLAG_C_FIXED_NEWSTYLE | FLAG_C_NO_ZEROES;

export class Negotiation {
  private clientFlags: number | null = null;
  private secure = false;

  constructor(
    private readonly directory: ExportDirectory,
    private readonly send: (b: Buffer) => void,
    private readonly log: Logger,
    /** TLS of this listener (TCP with TLS configured), or null */
    private readonly tls: NbdTls | null = null,
  ) {}

  /** The TLS handshake after STARTTLS is done: every option is allowed from now on. */
  secured(): void {
    this.secure = true;
  }

  step(q: ChunkQueue): NegotiationStep {
    if (this.clientFlags === null) {
      if (q.length < 4) return { kind: 'more' };
      const flags = q.take(4).readUInt32BE(0);
      if ((flags & ~KNOWN_CLIENT_FLAGS) !== 0) return close(`unknown client flags 0x${flags.toString(16)}`);
      if ((flags & FLAG_C_FIXED_NEWSTYLE) === 0) return close('client does not speak fixed newstyle');
      this.clientFlags = flags;
    }
    for (;;) {
      if (q.length < OPTION_HEADER_BYTES) return { kind: 'more' };
      const { buf, at } = q.peek(OPTION_HEADER_BYTES);
      if (buf.readBigUInt64BE(at) !== IHAVEOPT) return close('bad option magic');
      const option = buf.readUInt32BE(at + 8);
      const length = buf.readUInt32BE(at + 12);
      if (length > MAX_OPTION_BYTES) return close(`option ${option} carries ${length} bytes, more than ${MAX_OPTION_BYTES}`);
      if (q.length < OPTION_HEADER_BYTES + length) return { kind: 'more' };
      q.skip(OPTION_HEADER_BYTES);
      const outcome = this.option(option, q.take(length));
      if (outcome) return outcome;
    }
  }

  /** Handles one option; returns a step when negotiation ends, undefined to read the next one. */
  private option(option: number, data: Buffer): NegotiationStep | undefined {
    if (this.tls?.required && !this.secure && option !== OPT.STARTTLS && option !== OPT.ABORT) {
      // EXPORT_NAME has no error reply: the spec says to end the session
      if (option === OPT.EXPORT_NAME) return close('client asked for an export without TLS, which this export requires');
      this.reply(option, REP.ERR_TLS_REQD, 'this export requires TLS: start it first (NBD_OPT_STARTTLS)');
      return undefined;
    }
    switch (option) {
      case OPT.STARTTLS: return this.startTls(data);
      case OPT.EXPORT_NAME: return this.exportName(data);
      case OPT.ABORT:
        this.send(encodeOptionReply(option, REP.ACK));
        return { kind: 'close', reason: 'client aborted the handshake', graceful: true };
      case OPT.LIST: return this.listExports(data);
      case OPT.INFO:
      case OPT.GO: return this.infoOrGo(option, data);
      default:
        // STRUCTURED_REPLY (simple replies only), meta contexts and anything newer
        this.log.debug('nbd option refused', { option });
        this.reply(option, REP.ERR_UNSUP, 'option not supported by this server');
        return undefined;
    }
  }

  private startTls(data: Buffer): NegotiationStep | undefined {
    const problem = this.tls === null ? 'TLS is not configured for this export'
      : this.secure ? 'TLS is already started'
        : data.length !== 0 ? 'NBD_OPT_STARTTLS takes no data' : null;
    if (problem !== null) {
      this.reply(OPT.STARTTLS, this.tls === null ? REP.ERR_UNSUP : REP.ERR_INVALID, problem);
      return undefined;
    }
    this.send(encodeOptionReply(OPT.STARTTLS, REP.ACK));
    return { kind: 'starttls' };
  }

  /** The old way in: no error reply exists, so an unknown name ends the connection. */
  private exportName(data: Buffer): NegotiationStep {
    if (data.length > MAX_STRING_BYTES) return close('export name too long');
    const exp = this.directory.find(data.toString('utf8'));
    if (!exp) return close(`client asked for unknown export '${data.toString('utf8')}'`);
    const noZeroes = ((this.clientFlags ?? 0) & FLAG_C_NO_ZEROES) !== 0;
    this.send(encodeExportNameReply(exp.size, exp.transmissionFlags(), noZeroes));
    return { kind: 'transmission', export: exp };
  }

  private listExports(data: Buffer): undefined {
    if (data.length !== 0) {
      this.reply(OPT.LIST, REP.ERR_INVALID, 'NBD_OPT_LIST takes no data');
      return undefined;
    }
    for (const exp of this.directory.list()) {
      this.send(encodeOptionReply(OPT.LIST, REP.SERVER, encodeServerEntry(exp.name, exp.description)));
    }
    this.send(encodeOptionReply(OPT.LIST, REP.ACK));
    return undefined;
  }

  private infoOrGo(option: number, data: Buffer): NegotiationStep | undefined {
    const request = parseInfoRequest(data);
    if (typeof request === 'string') {
      this.reply(option, REP.ERR_INVALID, request);
      return undefined;
    }
    const exp = this.directory.find(request.name);
    if (!exp) {
      this.reply(option, REP.ERR_UNKNOWN, `no export named '${request.name}'`);
      return undefined;
    }
    this.send(encodeOptionReply(option, REP.INFO, encodeInfoExport(exp.size, exp.transmissionFlags())));
    if (request.wanted.has(INFO.NAME)) this.send(encodeOptionReply(option, REP.INFO, encodeInfoString(INFO.NAME, exp.name)));
    if (request.wanted.has(INFO.DESCRIPTION) && exp.description) {
      this.send(encodeOptionReply(option, REP.INFO, encodeInfoString(INFO.DESCRIPTION, exp.description)));
    }
    // sent even unrequested (the spec allows it): clients then know the 32 MiB payload limit
    const sizes = encodeInfoBlockSize(exp.minBlockSize, exp.preferredBlockSize, exp.maxBlockSize);
    this.send(encodeOptionReply(option, REP.INFO, sizes));
    this.send(encodeOptionReply(option, REP.ACK));
    return option === OPT.GO ? { kind: 'transmission', export: exp } : undefined;
  }

  private reply(option: number, type: number, message: string): void {
    this.send(encodeOptionReply(option, type, Buffer.from(message, 'utf8')));
  }
}

/** NBD_OPT_INFO/GO data: name length, name, count of info requests, the requests (u16 each). */
function parseInfoRequest(data: Buffer): { name: string; wanted: Set<number> } | string {
  if (data.length < 6) return 'option data shorter than a name length and request count';
  const nameLength = data.readUInt32BE(0);
  if (nameLength > MAX_STRING_BYTES || 4 + nameLength + 2 > data.length) return 'export name length does not fit the option';
  const count = data.readUInt16BE(4 + nameLength);
  if (data.length !== 4 + nameLength + 2 + 2 * count) return 'info request count does not match the option length';
  const wanted = new Set<number>();
  for (let i = 0; i < count; i++) wanted.add(data.readUInt16BE(4 + nameLength + 2 + 2 * i));
  return { name: data.toString('utf8', 4, 4 + nameLength), wanted };
}

function close(reason: string): NegotiationStep {
  return { kind: 'close', reason, graceful: false };
}
