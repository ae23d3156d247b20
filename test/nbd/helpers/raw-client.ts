// A byte-level NBD client for tests that real clients cannot express: malformed frames, bad
// magic, exact error numbers, pipelining. It checks what the server sends, field by field.
import { connect, type Socket } from 'node:net';

export const NBDMAGIC = 0x4e42444d41474943n;
export const IHAVEOPT = 0x49484156454f5054n;
export const OPT_REPLY_MAGIC = 0x3e889045565a9n;
export const REQ_MAGIC = 0x25609513;
export const SIMPLE_MAGIC = 0x67446698;

export interface OptionReply { option: number; type: number; data: Buffer }
export interface SimpleReply { error: number; handle: bigint; data: Buffer }

export class RawNbd {
  private buf = Buffer.alloc(0);
  private wake: (() => void) | null = null;
  closed = false;
  readonly whenClosed: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.on('data', (c: Buffer) => { this.buf = Buffer.concat([this.buf, c]); this.wake?.(); });
    socket.on('error', () => {});
    this.whenClosed = new Promise((resolve) => socket.on('close', () => { this.closed = true; this.wake?.(); resolve(); }));
  }

  static async open(path: string): Promise<RawNbd> {
    const s = await new Promise<Socket>((resolve, reject) => {
      const sock = connect(path, () => resolve(sock));
      sock.once('error', reject);
    });
    return new RawNbd(s);
  }

  /** Connect, read the greeting, send client flags. */
  static async handshaken(path: string, clientFlags = 3): Promise<RawNbd> {
    const c = await RawNbd.open(path);
    const g = await c.read(18);
    if (g.readBigUInt64BE(0) !== NBDMAGIC || g.readBigUInt64BE(8) !== IHAVEOPT) throw new Error('bad greeting');
    c.socket.write(u32(clientFlags));
    return c;
  }

  /** Through NBD_OPT_GO into transmission; returns size and transmission flags. */
  static async transmission(path: string, name = ''): Promise<{ c: RawNbd; size: number; flags: number }> {
    const c = await RawNbd.handshaken(path);
    const replies = await c.option(7, infoRequest(name, []));
    const last = replies[replies.length - 1];
    if (last.type !== 1) throw new Error(`OPT_GO refused: 0x${last.type.toString(16)} ${last.data.toString()}`);
    const exp = replies.find((r) => r.type === 3 && r.data.readUInt16BE(0) === 0)!;
    return { c, size: Number(exp.data.readBigUInt64BE(2)), flags: exp.data.readUInt16BE(10) };
  }

  async read(n: number, timeoutMs = 5000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    while (this.buf.length < n) {
      if (this.closed) throw new Error(`connection closed with ${this.buf.length}/${n} bytes`);
      if (Date.now() > deadline) throw new Error(`timed out reading ${n} bytes`);
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, 50);
      });
      this.wake = null;
    }
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }

  sendOption(option: number, data: Buffer = Buffer.alloc(0)): void {
    const h = Buffer.alloc(16);
    h.writeBigUInt64BE(IHAVEOPT, 0);
    h.writeUInt32BE(option, 8);
    h.writeUInt32BE(data.length, 12);
    this.socket.write(Buffer.concat([h, data]));
  }

  async readOptionReply(): Promise<OptionReply> {
    const h = await this.read(20);
    if (h.readBigUInt64BE(0) !== OPT_REPLY_MAGIC) throw new Error('bad option reply magic');
    return { option: h.readUInt32BE(8), type: h.readUInt32BE(12), data: await this.read(h.readUInt32BE(16)) };
  }

  /** Send an option and collect replies up to the final one (ACK or an error). */
  async option(option: number, data?: Buffer): Promise<OptionReply[]> {
    this.sendOption(option, data);
    const out: OptionReply[] = [];
    for (;;) {
      const r = await this.readOptionReply();
      out.push(r);
      if (r.type === 1 || r.type >= 0x80000000) return out;
    }
  }

  send(type: number, flags: number, handle: bigint, offset: bigint | number, length: number, payload?: Buffer): void {
    this.socket.write(frame(type, flags, handle, offset, length, payload));
  }

  async reply(readLength = 0): Promise<SimpleReply> {
    const h = await this.read(16);
    if (h.readUInt32BE(0) !== SIMPLE_MAGIC) throw new Error(`bad reply magic 0x${h.readUInt32BE(0).toString(16)}`);
    const error = h.readUInt32BE(4);
    const data = error === 0 && readLength > 0 ? await this.read(readLength) : Buffer.alloc(0);
    return { error, handle: h.readBigUInt64BE(8), data };
  }

  async pread(offset: number, length: number): Promise<SimpleReply> {
    this.send(0, 0, 77n, offset, length);
    return this.reply(length);
  }

  async pwrite(offset: number, data: Buffer, flags = 0): Promise<SimpleReply> {
    this.send(1, flags, 78n, offset, data.length, data);
    return this.reply();
  }

  close(): void {
    this.socket.destroy();
  }
}

export function frame(type: number, flags: number, handle: bigint, offset: bigint | number, length: number, payload?: Buffer): Buffer {
  const h = Buffer.alloc(28);
  h.writeUInt32BE(REQ_MAGIC, 0);
  h.writeUInt16BE(flags, 4);
  h.writeUInt16BE(type, 6);
  h.writeBigUInt64BE(handle, 8);
  h.writeBigUInt64BE(BigInt(offset), 16);
  h.writeUInt32BE(length, 24);
  return payload ? Buffer.concat([h, payload]) : h;
}

export function infoRequest(name: string, infos: number[]): Buffer {
  const n = Buffer.from(name);
  const b = Buffer.alloc(4 + n.length + 2 + 2 * infos.length);
  b.writeUInt32BE(n.length, 0);
  n.copy(b, 4);
  b.writeUInt16BE(infos.length, 4 + n.length);
  infos.forEach((i, k) => b.writeUInt16BE(i, 4 + n.length + 2 + 2 * k));
  return b;
}

export function u32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v);
  return b;
}
