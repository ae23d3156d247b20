// Requests the server must refuse, and what it must do with them: an NBD error, no change to the
// data, and the connection kept in step — or dropped, for a frame that is not NBD at all.
import t from 'tap';
import { execa } from 'execa';
import { readFileSync } from 'node:fs';
import { fileServer, MiB, sha256 } from './helpers/fixture.js';
import { RawNbd, frame } from './helpers/raw-client.js';
import { NbdIoError, nbdErrnoOf, type NbdBackend } from '../../src/nbd/backend.js';
import { TandemError } from '../../src/lib/errors.js';

const EPERM = 1;
const EIO = 5;
const EINVAL = 22;
const ENOSPC = 28;
const ESHUTDOWN = 108;
const [READ, WRITE, , FLUSH, TRIM, , WRITE_ZEROES] = [0, 1, 2, 3, 4, 5, 6];
const FUA = 1;
const NO_HOLE = 2;
const DF = 4;

function fileHash(path: string): string {
  return sha256(readFileSync(path));
}

t.test('nbdsh with strict mode off: out-of-range requests get EINVAL/ENOSPC and change nothing', async (t) => {
  const f = await fileServer(t, 'range', [{ name: 'v', sizeBytes: MiB }]);
  const before = readFileSync(f.files.get('v')!);
  const script = [
    'import errno',
    'h.set_strict_mode(0)',
    'def attempt(fn):',
    '    try:',
    '        fn()',
    '        print("ok")',
    '    except nbd.Error as e:',
    '        print(errno.errorcode.get(e.errno, e.errno))',
    `attempt(lambda: h.pread(4096, ${MiB}))`,
    `attempt(lambda: h.pread(4096, ${MiB} - 100))`,
    `attempt(lambda: h.pwrite(b"x" * 4096, ${MiB}))`,
    `attempt(lambda: h.pwrite(b"x" * 4096, ${MiB} - 2048))`,
    `attempt(lambda: h.zero(4096, ${MiB} - 1024))`,
    `attempt(lambda: h.trim(8192, ${MiB} - 4096))`,
    `attempt(lambda: h.pwrite(b"y" * 4096, ${MiB} - 4096))`,
  ].join('\n');
  const r = await execa('nbdsh', ['-u', f.uri, '-c', script], { env: { PATH: `/usr/bin:${process.env.PATH}` } });
  t.same(r.stdout.trim().split('\n'), ['EINVAL', 'EINVAL', 'ENOSPC', 'ENOSPC', 'ENOSPC', 'EINVAL', 'ok']);
  const after = readFileSync(f.files.get('v')!);
  t.ok(after.subarray(MiB - 4096).every((b) => b === 'y'.charCodeAt(0)), 'the one valid write landed');
  t.equal(sha256(after.subarray(0, MiB - 4096)), sha256(before.subarray(0, MiB - 4096)), 'everything else is unchanged');
});

t.test('malformed requests get EINVAL, oversized WRITE payloads are read away, the stream stays in step', async (t) => {
  const f = await fileServer(t, 'malformed', [{ name: 'v', sizeBytes: 4 * MiB }]);
  const path = f.files.get('v')!;
  const before = fileHash(path);
  const { c } = await RawNbd.transmission(f.socketPath);
  t.teardown(() => c.close());
  const cases: Array<[string, Buffer, number]> = [
    ['READ at 2^63', frame(READ, 0, 1n, 1n << 63n, 512), EINVAL],
    ['READ of length 0', frame(READ, 0, 2n, 0, 0), EINVAL],
    ['READ larger than 32 MiB', frame(READ, 0, 3n, 0, 32 * MiB + 1), EINVAL],
    ['READ with DF (structured replies not negotiated)', frame(READ, DF, 4n, 0, 512), EINVAL],
    ['WRITE with NO_HOLE', frame(WRITE, NO_HOLE, 5n, 0, 512, Buffer.alloc(512, 1)), EINVAL],
    ['WRITE of length 0', frame(WRITE, 0, 6n, 0, 0), EINVAL],
    ['WRITE past the end at 2^64-512', frame(WRITE, 0, 7n, (1n << 64n) - 512n, 512, Buffer.alloc(512, 2)), ENOSPC],
    ['WRITE larger than 32 MiB', frame(WRITE, 0, 8n, 0, 32 * MiB + 512, Buffer.alloc(32 * MiB + 512, 3)), EINVAL],
    ['FLUSH with an offset', frame(FLUSH, 0, 9n, 512, 0), EINVAL],
    ['CACHE (not advertised)', frame(5, 0, 10n, 0, 512), EINVAL],
    ['BLOCK_STATUS (not advertised)', frame(7, 0, 11n, 0, 512), EINVAL],
    ['unknown command 200', frame(200, 0, 12n, 0, 512), EINVAL],
    ['TRIM past the end', frame(TRIM, 0, 13n, 4 * MiB, 512), EINVAL],
    ['WRITE_ZEROES past the end', frame(WRITE_ZEROES, 0, 14n, 4 * MiB - 512, 1024), ENOSPC],
    ['TRIM with an unknown flag', frame(TRIM, 0x40, 15n, 0, 512), EINVAL],
  ];
  for (const [what, bytes, errno] of cases) {
    c.socket.write(bytes);
    const r = await c.reply();
    t.equal(r.error, errno, what);
    t.equal(r.handle, bytes.readBigUInt64BE(8), `${what}: handle echoed`);
  }
  t.equal(fileHash(path), before, 'no refused request changed the data');
  const ok = await c.pwrite(4096, Buffer.alloc(4096, 0x5a), FUA);
  t.equal(ok.error, 0, 'a valid FUA write after all that still works');
  t.ok((await c.pread(4096, 4096)).data.every((b) => b === 0x5a));
});

t.test('a bad request magic drops that connection only', async (t) => {
  const f = await fileServer(t, 'magic', [{ name: 'v', sizeBytes: MiB }]);
  const before = fileHash(f.files.get('v')!);
  const other = await RawNbd.transmission(f.socketPath);
  t.teardown(() => other.c.close());
  const { c } = await RawNbd.transmission(f.socketPath);
  const bad = frame(WRITE, 0, 1n, 0, 512, Buffer.alloc(512, 9));
  bad.writeUInt32BE(0x25609514, 0);
  c.socket.write(bad);
  await c.whenClosed;
  t.pass('connection dropped');
  t.equal(fileHash(f.files.get('v')!), before, 'its payload was not written');
  t.equal((await other.c.pread(0, 512)).error, 0, 'another client is unaffected');
});

t.test('misaligned requests get EINVAL when the export has a 512-byte minimum block', async (t) => {
  const f = await fileServer(t, 'align', [{ name: 'v', sizeBytes: MiB, minBlockSize: 512 }]);
  const before = fileHash(f.files.get('v')!);
  const info = JSON.parse((await execa('nbdinfo', ['--json', f.uri])).stdout) as { exports: Array<{ block_size_minimum: number }> };
  t.equal(info.exports[0].block_size_minimum, 512);
  const { c } = await RawNbd.transmission(f.socketPath);
  t.teardown(() => c.close());
  t.equal((await c.pwrite(100, Buffer.alloc(512, 1))).error, EINVAL, 'offset not aligned');
  t.equal((await c.pwrite(512, Buffer.alloc(700, 1))).error, EINVAL, 'length not aligned');
  t.equal((await c.pread(1, 512)).error, EINVAL);
  t.equal(fileHash(f.files.get('v')!), before);
  t.equal((await c.pwrite(512, Buffer.alloc(1024, 1))).error, 0, 'aligned write works');
});

t.test('read-only exports and refuseWrites(): EPERM for every kind of write', async (t) => {
  const f = await fileServer(t, 'eperm', [{ name: 'ro', sizeBytes: MiB, readOnly: true }, { name: 'rw', sizeBytes: MiB }]);
  const ro = await RawNbd.transmission(f.socketPath, 'ro');
  t.teardown(() => ro.c.close());
  t.equal(ro.flags & 2, 2, 'READ_ONLY advertised');
  t.equal((await ro.c.pwrite(0, Buffer.alloc(512))).error, EPERM);
  ro.c.send(TRIM, 0, 1n, 0, 512);
  t.equal((await ro.c.reply()).error, EPERM);
  ro.c.send(WRITE_ZEROES, 0, 2n, 0, 512);
  t.equal((await ro.c.reply()).error, EPERM);
  ro.c.send(FLUSH, 0, 3n, 0, 0);
  t.equal((await ro.c.reply()).error, 0, 'FLUSH is fine');

  const rw = await RawNbd.transmission(f.socketPath, 'rw');
  t.teardown(() => rw.c.close());
  t.equal(rw.flags & 2, 0);
  const before = fileHash(f.files.get('rw')!);
  f.server.refuseWrites(true, 'rw');
  t.equal((await rw.c.pwrite(0, Buffer.alloc(512, 7))).error, EPERM, 'a connected client is refused from now on');
  t.equal(fileHash(f.files.get('rw')!), before);
  const late = await RawNbd.transmission(f.socketPath, 'rw');
  t.teardown(() => late.c.close());
  t.equal(late.flags & 2, 2, 'a new client sees READ_ONLY');
  t.equal((await rw.c.pread(0, 512)).error, 0, 'reads still work');
  f.server.refuseWrites(false);
  t.equal((await rw.c.pwrite(0, Buffer.alloc(512, 7))).error, 0, 'writes allowed again');
});

t.test('errors a backend throws reach the client as the matching NBD error', async (t) => {
  const failures: Record<number, () => never> = {
    0: () => { throw new NbdIoError('ESHUTDOWN', 'no longer Primary'); },
    512: () => { throw new TandemError('TANDEM_E_STATE', 'read-only now', { details: { errno: 'EROFS' } }); },
    1024: () => { throw Object.assign(new Error('disk gone'), { code: 'EIO', syscall: 'write' }); },
    1536: () => { throw new Error('a bug'); },
  };
  const f = await fileServer(t, 'backend-err', [{ name: 'v', sizeBytes: MiB }], {
    wrap: (b) => ({
      size: b.size, readOnly: false, canMultiConn: true,
      read: (o, l) => b.read(o, l),
      write: (o, d, fua) => (o === 2048 ? Promise.reject(new NbdIoError('ENOSPC', 'full')) : failures[o] ? failures[o]() : b.write(o, d, fua)),
      flush: () => b.flush(), trim: () => {}, writeZeroes: () => {},
    } satisfies NbdBackend),
  });
  const { c } = await RawNbd.transmission(f.socketPath);
  t.teardown(() => c.close());
  const got = [];
  for (const off of [0, 512, 1024, 1536, 2048, 4096]) got.push((await c.pwrite(off, Buffer.alloc(512))).error);
  t.same(got, [ESHUTDOWN, EPERM, EIO, EIO, ENOSPC, 0]);
  t.equal(nbdErrnoOf({ code: 'EDQUOT' }), ENOSPC, 'aliases map too');
  t.equal(nbdErrnoOf({ code: 'ERR_INVALID_ARG_TYPE' }), EIO, 'a Node error code that is not an errno is EIO');
});

/** A backend whose writes wait until the test releases them, recording what is in flight. */
function heldBackend(size: number) {
  const held: Array<() => void> = [];
  let inFlight = 0;
  let maxInFlight = 0;
  let inFlightBytes = 0;
  let maxInFlightBytes = 0;
  const data = Buffer.alloc(size);
  const backend: NbdBackend = {
    size, readOnly: false, canMultiConn: false,
    read: (o, l) => Buffer.from(data.subarray(o, o + l)),
    write: (o, d) => {
      inFlight++;
      inFlightBytes += d.length;
      maxInFlight = Math.max(maxInFlight, inFlight);
      maxInFlightBytes = Math.max(maxInFlightBytes, inFlightBytes);
      return new Promise<void>((resolve) => held.push(() => {
        d.copy(data, o);
        inFlight--;
        inFlightBytes -= d.length;
        resolve();
      }));
    },
    flush: () => {}, trim: () => {}, writeZeroes: () => {},
  };
  return { backend, held, data, stats: () => ({ inFlight, maxInFlight, maxInFlightBytes }) };
}

t.test('backpressure: in-flight requests and payload bytes per connection stay within their bounds', async (t) => {
  const h = heldBackend(4 * MiB);
  const limits = { maxInFlight: 8, maxPayload: 64 * 1024, maxBufferedBytes: 256 * 1024 };
  const f = await fileServer(t, 'bp', [{ name: 'v', sizeBytes: 4096 }], { limits, wrap: () => h.backend });
  const { c } = await RawNbd.transmission(f.socketPath);
  t.teardown(() => c.close());
  const N = 200;
  for (let i = 0; i < N; i++) {
    const len = i % 2 === 0 ? 64 * 1024 : 4096;
    c.send(WRITE, 0, BigInt(i), i * 4096 % (4 * MiB - 65536), len, Buffer.alloc(len, i & 0xff));
  }
  // release whatever is held every few ms, newest first, so replies come back out of order
  const releaser = setInterval(() => h.held.splice(0).reverse().forEach((release) => release()), 3);
  t.teardown(() => clearInterval(releaser));
  let failed = 0;
  const handles = new Set<bigint>();
  for (let i = 0; i < N; i++) {
    const r = await c.reply();
    if (r.error !== 0) failed++;
    handles.add(r.handle);
  }
  t.equal(failed, 0, 'no request failed');
  t.equal(handles.size, N, 'every request answered once, by handle');
  t.ok(h.stats().maxInFlight <= limits.maxInFlight, `at most ${limits.maxInFlight} in flight (saw ${h.stats().maxInFlight})`);
  t.ok(h.stats().maxInFlightBytes <= limits.maxBufferedBytes, `payload in flight bounded (saw ${h.stats().maxInFlightBytes})`);
});

t.test('DISC: requests in flight are answered before the server closes', async (t) => {
  const h = heldBackend(MiB);
  const f = await fileServer(t, 'disc', [{ name: 'v', sizeBytes: 4096 }], { wrap: () => h.backend });
  const { c } = await RawNbd.transmission(f.socketPath);
  c.send(WRITE, 0, 41n, 0, 512, Buffer.alloc(512, 0x41));
  c.send(2, 0, 42n, 0, 0);
  c.send(READ, 0, 43n, 0, 512); // after DISC: ignored
  await new Promise((r) => setTimeout(r, 50));
  t.equal(c.closed, false, 'still open while a write is in flight');
  h.held.splice(0).forEach((release) => release());
  const r = await c.reply();
  t.same([r.error, r.handle], [0, 41n]);
  await c.whenClosed;
  t.ok(h.data.subarray(0, 512).every((b) => b === 0x41));
});

t.test('close(): in-flight requests are answered, new ones get ESHUTDOWN, listeners are gone', async (t) => {
  const h = heldBackend(MiB);
  const f = await fileServer(t, 'close', [{ name: 'v', sizeBytes: 4096 }], { wrap: () => h.backend });
  const { c } = await RawNbd.transmission(f.socketPath);
  const idle = await RawNbd.transmission(f.socketPath);
  const midHandshake = await RawNbd.handshaken(f.socketPath);
  c.send(WRITE, 0, 1n, 0, 512, Buffer.alloc(512, 0x77));
  await new Promise((r) => setTimeout(r, 30));
  const closing = f.server.close();
  await midHandshake.whenClosed;
  await idle.c.whenClosed;
  t.pass('idle and handshaking clients are closed');
  c.send(READ, 0, 2n, 0, 512);
  const refused = await c.reply();
  t.same([refused.error, refused.handle], [ESHUTDOWN, 2n], 'a new request is refused with ESHUTDOWN');
  h.held.splice(0).forEach((release) => release());
  const done = await c.reply();
  t.same([done.error, done.handle], [0, 1n], 'the in-flight write is acknowledged');
  await closing;
  await c.whenClosed;
  const again = await RawNbd.open(f.socketPath).then(() => 'connected', (e: NodeJS.ErrnoException) => e.code);
  t.match(again, /ENOENT|ECONNREFUSED/, 'nobody listens any more');
});

t.test('close(): a write that never completes is cut off after the grace period, unacknowledged', async (t) => {
  const h = heldBackend(MiB);
  const f = await fileServer(t, 'grace', [{ name: 'v', sizeBytes: 4096 }], { wrap: () => h.backend, limits: { closeGraceMs: 100 } });
  const { c } = await RawNbd.transmission(f.socketPath);
  c.send(WRITE, 0, 1n, 0, 512, Buffer.alloc(512, 0x77));
  await new Promise((r) => setTimeout(r, 30));
  await f.server.close();
  await c.whenClosed;
  await t.rejects(c.reply(), /closed/, 'no reply: the client knows the write was not acknowledged');
});
