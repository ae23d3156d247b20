// Thousands of random and mutated request frames, pipelined and split at random points, against
// a FileBackend. An independent model of the protocol rules predicts every reply; valid writes
// are applied to a copy of the data, so at the end the file must equal the model byte for byte.
// Frames are executed in arrival order here because FileBackend is synchronous; the model relies
// on that, not on any ordering promise of NBD. Seed: TANDEM_FUZZ_SEED (printed on failure).
import t from 'tap';
import { execa } from 'execa';
import { readFileSync } from 'node:fs';
import { fileServer, MiB, sha256 } from './helpers/fixture.js';
import { RawNbd, frame } from './helpers/raw-client.js';

const SEED = Number(process.env.TANDEM_FUZZ_SEED ?? 0x7a4d3e1);
const FRAMES = 6000;
const SIZE = MiB;
const MAX_PAYLOAD = 32 * MiB;
const EINVAL = 22;
const ENOSPC = 28;
const ALLOWED_FLAGS: Record<number, number> = { 0: 1, 1: 1, 3: 1, 4: 1, 6: 3 };

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

interface Req { type: number; flags: number; handle: bigint; offset: bigint; length: number; badMagic: boolean }

/** What the server must answer, from the spec's rules alone. */
function expectedError(r: Req): number {
  const allowed = ALLOWED_FLAGS[r.type];
  if (allowed === undefined || (r.flags & ~allowed) !== 0) return EINVAL;
  if (r.type === 3) return r.offset === 0n && r.length === 0 ? 0 : EINVAL;
  if (r.length === 0) return EINVAL;
  if ((r.type === 0 || r.type === 1) && r.length > MAX_PAYLOAD) return EINVAL;
  if (r.offset + BigInt(r.length) > BigInt(SIZE)) return r.type === 1 || r.type === 6 ? ENOSPC : EINVAL;
  return 0;
}

function generate(rand: () => number, handle: bigint): Req {
  const pick = <T,>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
  const type = rand() < 0.9 ? pick([0, 1, 1, 1, 3, 4, 6]) : pick([2, 5, 7, 8, 9, 0xffff, Math.floor(rand() * 65536)]);
  const length = rand() < 0.85 ? 1 + Math.floor(rand() * 16384) : pick([0, 1, 511, 4096, 65536, MAX_PAYLOAD + 1, 0xffffffff]);
  const offset = rand() < 0.8
    ? BigInt(Math.floor(rand() * SIZE))
    : pick([0n, BigInt(SIZE), BigInt(SIZE - 1), BigInt(SIZE - 4096), 1n << 53n, (1n << 64n) - 1n, BigInt(Math.floor(rand() * 2 ** 32)) << 20n]);
  const flags = rand() < 0.8 ? (rand() < 0.3 ? 1 : 0) : Math.floor(rand() * 65536);
  const r: Req = { type, flags, handle, offset, length, badMagic: rand() < 0.003 };
  if (type === 2 && rand() < 0.7) r.type = 1; // keep DISC rare: each one costs a reconnect
  // a WRITE's payload is sent in full (the stream must stay in step); keep the big ones rare
  if (r.type === 1 && r.length > 65536 && !(r.length === MAX_PAYLOAD + 1 && rand() < 0.05)) r.length = 1 + (r.length % 65536);
  return r;
}

t.test(`fuzz: ${FRAMES} frames, seed ${SEED}`, async (t) => {
  const f = await fileServer(t, 'fuzz', [{ name: 'v', sizeBytes: SIZE }]);
  const path = f.files.get('v')!;
  const model = readFileSync(path);
  const rand = mulberry32(SEED);
  let conn = (await RawNbd.transmission(f.socketPath)).c;
  let sent = 0;
  let checked = 0;
  let drops = 0;
  let handle = 1n;
  while (sent < FRAMES) {
    const batch: Array<{ req: Req; bytes: Buffer; payload: Buffer | null }> = [];
    const n = 1 + Math.floor(rand() * 24);
    for (let i = 0; i < n; i++) {
      const req = generate(rand, handle++);
      const payload = req.type === 1 ? Buffer.alloc(req.length, Number(req.handle & 0xffn)) : null;
      const bytes = frame(req.type, req.flags, req.handle, req.offset, req.length, payload ?? undefined);
      if (req.badMagic) bytes.writeUInt32BE(0x25609513 ^ (1 + Math.floor(rand() * 0xffff)), 0);
      batch.push({ req, bytes, payload });
      if (req.badMagic || req.type === 2) break;
    }
    sent += batch.length;
    await sendInPieces(conn, Buffer.concat(batch.map((b) => b.bytes)), rand);
    let ended = false;
    for (const { req, payload } of batch) {
      if (req.badMagic || req.type === 2) {
        await conn.whenClosed;
        ended = true;
        drops++;
        break;
      }
      const want = expectedError(req);
      const reply = await conn.reply(want === 0 && req.type === 0 ? req.length : 0);
      if (reply.handle !== req.handle || reply.error !== want) {
        t.fail(`frame ${req.handle} ${JSON.stringify(req, (_, v) => (typeof v === 'bigint' ? v.toString() : v))}: got error ${reply.error} handle ${reply.handle}, want ${want}`);
        return;
      }
      const at = Number(req.offset);
      if (want === 0 && req.type === 1) payload!.copy(model, at);
      if (want === 0 && req.type === 6) model.fill(0, at, at + req.length);
      if (want === 0 && req.type === 0 && !reply.data.equals(model.subarray(at, at + req.length))) {
        t.fail(`READ ${req.handle} returned data that differs from the model`);
        return;
      }
      checked++;
    }
    if (ended || conn.closed) conn = (await RawNbd.transmission(f.socketPath)).c;
  }
  conn.close();
  t.ok(checked > FRAMES * 0.9, `${checked} replies checked against the model, ${drops} connections ended by bad magic or DISC`);
  t.equal(sha256(readFileSync(path)), sha256(model), 'the file equals the model: no refused frame changed data');
  t.equal((await execa('nbdinfo', ['--size', f.uri])).stdout.trim(), String(SIZE), 'server still serves');
});

t.test(`fuzz: random garbage after the handshake drops the connection and changes nothing, seed ${SEED}`, async (t) => {
  const f = await fileServer(t, 'garbage', [{ name: 'v', sizeBytes: SIZE }]);
  const path = f.files.get('v')!;
  const before = sha256(readFileSync(path));
  const rand = mulberry32(SEED ^ 0x5555);
  for (let i = 0; i < 200; i++) {
    const { c } = await RawNbd.transmission(f.socketPath);
    const junk = Buffer.alloc(1 + Math.floor(rand() * 2048));
    for (let k = 0; k < junk.length; k++) junk[k] = Math.floor(rand() * 256);
    junk[0] = junk[0] === 0x25 ? 0x26 : junk[0]; // never the request magic
    c.socket.write(junk);
    if (junk.length >= 28) await c.whenClosed;
    c.close();
  }
  for (let i = 0; i < 100; i++) {
    const c = await RawNbd.open(f.socketPath); // garbage during the handshake too
    const junk = Buffer.alloc(1 + Math.floor(rand() * 512));
    for (let k = 0; k < junk.length; k++) junk[k] = Math.floor(rand() * 256);
    c.socket.write(junk);
    await new Promise((r) => setImmediate(r));
    c.close();
  }
  t.equal(sha256(readFileSync(path)), before);
  t.equal((await execa('nbdinfo', ['--size', f.uri])).stdout.trim(), String(SIZE), 'server still serves');
});

t.test(`fuzz: random well-framed options get well-formed replies and GO still works, seed ${SEED}`, async (t) => {
  const f = await fileServer(t, 'optfuzz', [{ name: 'v', sizeBytes: SIZE }, { name: 'w', sizeBytes: 4096 }], { defaultExport: 'v' });
  const rand = mulberry32(SEED ^ 0x0f0f);
  const c = await RawNbd.handshaken(f.socketPath);
  t.teardown(() => c.close());
  let bad = 0;
  for (let i = 0; i < 2000; i++) {
    const option = rand() < 0.7 ? [3, 5, 6, 8, 9, 10, 11][Math.floor(rand() * 7)] : Math.floor(rand() * 2 ** 32);
    const data = Buffer.alloc(Math.floor(rand() * (rand() < 0.9 ? 40 : 5000)));
    for (let k = 0; k < data.length; k++) data[k] = Math.floor(rand() * 256);
    if (option === 6 && data.length >= 4 && rand() < 0.5) data.writeUInt32BE(Math.min(data.length, Math.floor(rand() * 8)), 0); // plausible name lengths
    if (option === 1 || option === 2 || option === 7) continue; // these end the handshake
    const replies = await c.option(option, data);
    for (const r of replies) {
      if (r.option !== option) bad++;
      if (![1, 2, 3].includes(r.type) && r.type < 0x80000000) bad++;
    }
  }
  t.equal(bad, 0, 'every reply names its option and has a known type');
  const go = await c.option(7, Buffer.from([0, 0, 0, 0, 0, 0]));
  t.equal(go.at(-1)!.type, 1, 'NBD_OPT_GO still succeeds');
  t.equal((await c.pread(0, 4096)).error, 0, 'and transmission works');
});

/** Write in random slices so frames straddle the chunks the server receives. */
async function sendInPieces(c: RawNbd, bytes: Buffer, rand: () => number): Promise<void> {
  if (rand() < 0.5) {
    c.socket.write(bytes);
    return;
  }
  for (let at = 0; at < bytes.length;) {
    const n = 1 + Math.floor(rand() * Math.min(bytes.length - at, rand() < 0.5 ? 7 : 9000));
    c.socket.write(bytes.subarray(at, at + n));
    at += n;
    if (rand() < 0.2) await new Promise((r) => setImmediate(r));
  }
}
