// The handshake as real clients (nbdinfo) and a byte-level client see it.
import t from 'tap';
import { execa } from 'execa';
import { fileServer, MiB } from './helpers/fixture.js';
import { RawNbd, infoRequest, u32 } from './helpers/raw-client.js';

const ERR_UNSUP = 0x80000001;
const ERR_INVALID = 0x80000003;
const ERR_UNKNOWN = 0x80000006;

interface InfoJson { protocol: string; structured: boolean; exports: Array<Record<string, unknown>> }

async function nbdinfoJson(args: string[]): Promise<InfoJson> {
  const r = await execa('nbdinfo', ['--json', ...args]);
  return JSON.parse(r.stdout) as InfoJson;
}

t.test('nbdinfo sees fixed newstyle, the size and the flags of a writable export', async (t) => {
  const f = await fileServer(t, 'info', [{ name: 'vol0', sizeBytes: 3 * MiB, description: 'volume zero' }]);
  const info = await nbdinfoJson([f.uri]);
  t.equal(info.protocol, 'newstyle-fixed');
  t.equal(info.structured, false, 'simple replies only');
  const e = info.exports[0];
  t.equal(e['export-name'], 'vol0', 'the empty name reaches the default export, INFO_NAME says which');
  t.equal(e['export-size'], 3 * MiB);
  t.equal(e.description, 'volume zero');
  t.match(e, { is_read_only: false, can_flush: true, can_fua: true, can_trim: true, can_zero: true, can_multi_conn: true, can_cache: false, can_df: false });
  t.match(e, { block_size_minimum: 1, block_size_preferred: 4096, block_size_maximum: 32 * MiB });
});

t.test('a read-only backend and a backend without multi-conn are advertised as such', async (t) => {
  const f = await fileServer(t, 'ro', [{ name: 'ro', sizeBytes: MiB, readOnly: true }], {
    wrap: (b) => Object.assign(Object.create(b) as typeof b, { canMultiConn: false }),
  });
  const e = (await nbdinfoJson([f.uri])).exports[0];
  t.equal(e.is_read_only, true);
  t.equal(e.can_multi_conn, false);
});

t.test('--list shows every export with its description; names select exports', async (t) => {
  const f = await fileServer(t, 'list', [
    { name: 'alpha', sizeBytes: MiB, description: 'first' },
    { name: 'beta', sizeBytes: 2 * MiB },
    { name: 'r0/1', sizeBytes: 3 * MiB, description: 'slash in name' },
  ]);
  const listed = await nbdinfoJson(['--list', f.uri]);
  t.same(listed.exports.map((e) => e['export-name']).sort(), ['alpha', 'beta', 'r0/1']);
  t.equal(listed.exports.find((e) => e['export-name'] === 'alpha')!.description, 'first');
  t.equal(listed.exports.find((e) => e['export-name'] === 'r0/1')!['export-size'], 3 * MiB);
  const beta = await execa('nbdinfo', ['--size', f.server.uri('beta')]);
  t.equal(beta.stdout.trim(), String(2 * MiB));
  const none = await execa('nbdinfo', ['--size', f.server.uri('gamma')], { reject: false });
  t.not(none.exitCode, 0, 'unknown export name fails');
  t.match(none.stderr, /gamma|unknown|export/i);
  const noDefault = await execa('nbdinfo', ['--size', f.uri], { reject: false });
  t.not(noDefault.exitCode, 0, 'several exports and no default: the empty name is unknown');
});

t.test('options a raw client sends get the replies the spec requires', async (t) => {
  const f = await fileServer(t, 'opts', [{ name: 'v', sizeBytes: MiB, description: 'd' }]);
  const c = await RawNbd.handshaken(f.socketPath);
  t.teardown(() => c.close());
  t.equal((await c.option(8))[0].type, ERR_UNSUP, 'STRUCTURED_REPLY refused');
  t.equal((await c.option(5))[0].type, ERR_UNSUP, 'STARTTLS refused');
  t.equal((await c.option(1234, Buffer.from('xyz')))[0].type, ERR_UNSUP, 'unknown option refused');
  t.equal((await c.option(3, Buffer.from('junk')))[0].type, ERR_INVALID, 'LIST with data');
  t.equal((await c.option(6, Buffer.from([0, 0, 0, 9, 1])))[0].type, ERR_INVALID, 'INFO with a name longer than the option');
  const bad = Buffer.concat([infoRequest('v', [1]), Buffer.from([0])]);
  t.equal((await c.option(6, bad))[0].type, ERR_INVALID, 'INFO with trailing bytes');
  t.equal((await c.option(6, infoRequest('nope', [])))[0].type, ERR_UNKNOWN, 'INFO for an unknown export');

  const info = await c.option(6, infoRequest('v', [1, 2, 3]));
  const byInfo = new Map(info.filter((r) => r.type === 3).map((r) => [r.data.readUInt16BE(0), r.data]));
  t.equal(info.at(-1)!.type, 1, 'ends with ACK');
  t.equal(Number(byInfo.get(0)!.readBigUInt64BE(2)), MiB, 'INFO_EXPORT size');
  t.equal(byInfo.get(1)!.subarray(2).toString(), 'v', 'INFO_NAME');
  t.equal(byInfo.get(2)!.subarray(2).toString(), 'd', 'INFO_DESCRIPTION');
  t.same([byInfo.get(3)!.readUInt32BE(2), byInfo.get(3)!.readUInt32BE(6), byInfo.get(3)!.readUInt32BE(10)], [1, 4096, 32 * MiB], 'INFO_BLOCK_SIZE');

  const list = await c.option(3);
  t.equal(list.length, 2);
  t.equal(list[0].type, 2);
  t.equal(list[0].data.readUInt32BE(0), 1);
  t.equal(list[0].data.subarray(4).toString(), 'vd', 'name then description');

  const abort = await c.option(2);
  t.equal(abort[0].type, 1, 'ABORT is acknowledged');
  await c.whenClosed;
  t.pass('server closes after ABORT');
});

t.test('EXPORT_NAME: 124 zero bytes unless NO_ZEROES; an unknown name closes', async (t) => {
  const f = await fileServer(t, 'expname', [{ name: 'v', sizeBytes: 5 * MiB }]);
  for (const [flags, extra] of [[3, 0], [1, 124]] as const) {
    const c = await RawNbd.handshaken(f.socketPath, flags);
    c.sendOption(1, Buffer.from('v'));
    const r = await c.read(10 + extra);
    t.equal(Number(r.readBigUInt64BE(0)), 5 * MiB);
    t.equal(r.readUInt16BE(8) & 1, 1, 'HAS_FLAGS');
    t.ok(r.subarray(10).every((b) => b === 0));
    const read = await c.pread(0, 512);
    t.equal(read.error, 0, 'transmission works after EXPORT_NAME');
    c.close();
  }
  const c = await RawNbd.handshaken(f.socketPath);
  c.sendOption(1, Buffer.from('missing'));
  await c.whenClosed;
  t.pass('unknown EXPORT_NAME closes the connection');
});

t.test('bad client flags, bad option magic and oversized options close the connection', async (t) => {
  const f = await fileServer(t, 'badhs', [{ name: 'v', sizeBytes: MiB }]);
  const flags = await RawNbd.handshaken(f.socketPath, 0x80);
  await flags.whenClosed;
  t.pass('unknown client flag');
  const old = await RawNbd.handshaken(f.socketPath, 0);
  await old.whenClosed;
  t.pass('client without FIXED_NEWSTYLE');
  const magic = await RawNbd.handshaken(f.socketPath);
  magic.socket.write(Buffer.concat([Buffer.from('NOTMAGIC'), u32(3), u32(0)]));
  await magic.whenClosed;
  t.pass('bad option magic');
  const big = await RawNbd.handshaken(f.socketPath);
  big.socket.write(Buffer.concat([Buffer.from('IHAVEOPT'), u32(6), u32(64 * MiB)]));
  await big.whenClosed;
  t.pass('option longer than the server accepts');
  t.equal((await execa('nbdinfo', ['--size', f.uri])).stdout.trim(), String(MiB), 'server still serves');
});

t.test('a client that never finishes the handshake is dropped after the timeout', async (t) => {
  const f = await fileServer(t, 'slowhs', [{ name: 'v', sizeBytes: MiB }], { limits: { handshakeTimeoutMs: 200 } });
  const c = await RawNbd.open(f.socketPath);
  const started = Date.now();
  await c.whenClosed;
  t.ok(Date.now() - started < 3000, 'dropped in time');
});
