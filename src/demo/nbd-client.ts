// A small NBD client (fixed newstyle, OPT_GO, simple replies) used by `tandem demo` to write and
// verify data with an exact record of what was acknowledged. Tests use real clients (qemu-io,
// nbdcopy, fio, nbdfuse); this one exists so the demo needs nothing but Node.
import { connect, type Socket } from 'node:net';
import { TandemError } from '../lib/errors.js';

const NBDMAGIC = 0x4e42444d41474943n;
const IHAVEOPT = 0x49484156454f5054n;
const REPLY_MAGIC = 0x3e889045565a9n;
const REQUEST_MAGIC = 0x25609513;
const SIMPLE_REPLY_MAGIC = 0x67446698;
const OPT_GO = 7;
const REP_ACK = 1;
const REP_INFO = 3;
const CMD = { READ: 0, WRITE: 1, DISC: 2, FLUSH: 3 } as const;
const FLAG_FUA = 1;

interface Pending { resolve: (data: Buffer) => void; reject: (err: Error) => void; readLength: number }

export class NbdClient {
  size = 0;
  private buf = Buffer.alloc(0);
  private waiter: (() => void) | null = null;
  private readonly pending = new Map<bigint, Pending>();
  private nextHandle = 1n;
  private closedError: Error | null = null;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => { this.buf = Buffer.concat([this.buf, chunk]); this.waiter?.(); });
    socket.on('close', () => this.fail(new TandemError('TANDEM_E_IO', 'NBD connection closed')));
    socket.on('error', (err) => this.fail(err));
  }

  static async open(path: string, exportName = ''): Promise<NbdClient> {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = connect(path, () => resolve(s));
      s.once('error', reject);
    });
    const client = new NbdClient(socket);
    await client.handshake(exportName);
    void client.replyLoop();
    return client;
  }

  read(offset: number, length: number): Promise<Buffer> {
    return this.request(CMD.READ, 0, offset, length, null);
  }

  async write(offset: number, data: Buffer, fua = false): Promise<void> {
    await this.request(CMD.WRITE, fua ? FLAG_FUA : 0, offset, data.length, data);
  }

  async flush(): Promise<void> {
    await this.request(CMD.FLUSH, 0, 0, 0, null);
  }

  close(): void {
    if (!this.socket.destroyed) this.socket.end(header(CMD.DISC, 0, 0n, 0, 0));
  }

  private async handshake(name: string): Promise<void> {
    const greeting = await this.take(18);
    if (greeting.readBigUInt64BE(0) !== NBDMAGIC || greeting.readBigUInt64BE(8) !== IHAVEOPT) {
      throw new TandemError('TANDEM_E_PROTOCOL', 'not an NBD newstyle server');
    }
    const flags = Buffer.alloc(4);
    flags.writeUInt32BE(3); // FIXED_NEWSTYLE | NO_ZEROES
    const nameBuf = Buffer.from(name);
    const opt = Buffer.alloc(16 + 4 + nameBuf.length + 2);
    opt.writeBigUInt64BE(IHAVEOPT, 0);
    opt.writeUInt32BE(OPT_GO, 8);
    opt.writeUInt32BE(4 + nameBuf.length + 2, 12);
    opt.writeUInt32BE(nameBuf.length, 16);
    nameBuf.copy(opt, 20);
    this.socket.write(Buffer.concat([flags, opt]));
    for (;;) {
      const h = await this.take(20);
      if (h.readBigUInt64BE(0) !== REPLY_MAGIC) throw new TandemError('TANDEM_E_PROTOCOL', 'bad option reply magic');
      const type = h.readUInt32BE(12);
      const data = await this.take(h.readUInt32BE(16));
      if (type === REP_ACK) return;
      if (type & 0x80000000) throw new TandemError('TANDEM_E_IO', `NBD server refused export '${name}': ${data.toString()}`);
      if (type === REP_INFO && data.readUInt16BE(0) === 0) this.size = Number(data.readBigUInt64BE(2));
    }
  }

  private request(type: number, flags: number, offset: number, length: number, data: Buffer | null): Promise<Buffer> {
    if (this.closedError) return Promise.reject(this.closedError);
    const handle = this.nextHandle++;
    const p = new Promise<Buffer>((resolve, reject) => this.pending.set(handle, { resolve, reject, readLength: type === CMD.READ ? length : 0 }));
    this.socket.write(header(type, flags, handle, offset, length));
    if (data) this.socket.write(data);
    return p;
  }

  private async replyLoop(): Promise<void> {
    try {
      for (;;) {
        const h = await this.take(16);
        if (h.readUInt32BE(0) !== SIMPLE_REPLY_MAGIC) throw new TandemError('TANDEM_E_PROTOCOL', 'bad reply magic');
        const handle = h.readBigUInt64BE(8);
        const req = this.pending.get(handle);
        if (!req) throw new TandemError('TANDEM_E_PROTOCOL', 'reply for an unknown handle');
        this.pending.delete(handle);
        const error = h.readUInt32BE(4);
        if (error !== 0) { req.reject(new TandemError('TANDEM_E_IO', `NBD error ${error}`)); continue; }
        req.resolve(req.readLength > 0 ? await this.take(req.readLength) : Buffer.alloc(0));
      }
    } catch (err) {
      this.fail(err as Error);
    }
  }

  private async take(n: number): Promise<Buffer> {
    while (this.buf.length < n) {
      if (this.closedError) throw this.closedError;
      await new Promise<void>((resolve) => (this.waiter = resolve));
      this.waiter = null;
    }
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }

  private fail(err: Error): void {
    if (this.closedError) return;
    this.closedError = err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    this.waiter?.();
  }
}

function header(type: number, flags: number, handle: bigint, offset: number, length: number): Buffer {
  const b = Buffer.alloc(28);
  b.writeUInt32BE(REQUEST_MAGIC, 0);
  b.writeUInt16BE(flags, 4);
  b.writeUInt16BE(type, 6);
  b.writeBigUInt64BE(handle, 8);
  b.writeBigUInt64BE(BigInt(offset), 16);
  b.writeUInt32BE(length, 24);
  return b;
}
