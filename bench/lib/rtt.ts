// TCP round-trip time between two hosts, measured the way the daemon talks: Node on both ends,
// 64-byte messages, Nagle off, one message in flight. The server echoes; the client times.
import { connect, createServer, type Socket } from 'node:net';

const MESSAGE = 64;
const WARMUP = 500;

export interface RttResult {
  samples: number;
  meanUs: number;
  p50Us: number;
  p99Us: number;
}

/** Echo server on host:0; prints its port on stdout, runs until killed. */
export function serveEcho(host: string): void {
  const server = createServer((socket) => {
    socket.setNoDelay(true);
    socket.on('data', (chunk) => socket.write(chunk));
    socket.on('error', () => socket.destroy());
  });
  server.listen(0, host, () => process.stdout.write(`${(server.address() as { port: number }).port}\n`));
}

export async function measureRtt(host: string, port: number, seconds: number): Promise<RttResult> {
  const socket = await new Promise<Socket>((resolve, reject) => {
    const s = connect({ host, port, noDelay: true }, () => resolve(s));
    s.once('error', reject);
  });
  try {
    const ping = pinger(socket);
    for (let i = 0; i < WARMUP; i++) await ping();
    const times: number[] = [];
    const end = process.hrtime.bigint() + BigInt(Math.round(seconds * 1e9));
    while (process.hrtime.bigint() < end) {
      const t0 = process.hrtime.bigint();
      await ping();
      times.push(Number(process.hrtime.bigint() - t0) / 1000);
    }
    return summarize(times);
  } finally {
    socket.destroy();
  }
}

/** One message out, wait until all of it came back. */
function pinger(socket: Socket): () => Promise<void> {
  const message = Buffer.alloc(MESSAGE, 0x5a);
  let pending = 0;
  let done: (() => void) | null = null;
  socket.on('data', (chunk: Buffer) => {
    pending -= chunk.length;
    if (pending <= 0 && done) { const d = done; done = null; d(); }
  });
  return () => new Promise<void>((resolve) => {
    pending = MESSAGE;
    done = resolve;
    socket.write(message);
  });
}

function summarize(times: number[]): RttResult {
  if (times.length === 0) throw new Error('no RTT samples');
  const sorted = [...times].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { samples: times.length, meanUs: times.reduce((a, b) => a + b, 0) / times.length, p50Us: at(0.5), p99Us: at(0.99) };
}
