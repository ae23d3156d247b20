// NBD over TCP with TLS (NBD_OPT_STARTTLS), against real clients with their own TLS options:
// nbdinfo/nbdcopy (libnbd) and qemu-io/qemu-img (qemu's tls-creds objects), with a PSK file
// and with certificates. A client without TLS, or with the wrong key, gets nothing.
import t, { type Test } from 'tap';
import { execa } from 'execa';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import { once } from 'node:events';
import { connect } from 'node:net';
import { join } from 'node:path';
import { FileBackend } from '../../src/nbd/file-backend.js';
import { NbdServer } from '../../src/nbd/server.js';
import { readPskFile, type NbdTls } from '../../src/nbd/tls.js';
import { loadCertificates } from '../../src/transport/security.js';
import { MiB, scratchDir, sha256 } from './helpers/fixture.js';

interface TlsExport { dir: string; port: number; file: string; server: NbdServer }

async function tlsExport(t: Test, tag: string, tls: (dir: string) => Promise<NbdTls>): Promise<TlsExport> {
  const dir = scratchDir(t, tag);
  const file = join(dir, 'v.img');
  writeFileSync(file, randomBytes(8 * MiB));
  const backend = new FileBackend(file);
  const server = new NbdServer({ exports: [{ name: 'v', backend }] });
  const bound = await server.listen({ kind: 'tcp', host: '127.0.0.1', port: 0 }, await tls(dir));
  t.teardown(async () => {
    await server.close();
    backend.close();
  });
  return { dir, port: bound.kind === 'tcp' ? bound.port : 0, file, server };
}

/** A PSK file as psktool writes it, in a directory qemu's tls-creds-psk reads (keys.psk). */
function pskFile(dir: string, identity: string, key: Buffer): string {
  mkdirSync(join(dir, 'psk'), { recursive: true });
  const path = join(dir, 'psk', 'keys.psk');
  writeFileSync(path, `${identity}:${key.toString('hex')}\n`, { mode: 0o600 });
  return path;
}

const KEY = randomBytes(32);

/** A raw client: fixed newstyle handshake, then one option without TLS; the reply's type and text. */
async function optionWithoutTls(port: number, option: number): Promise<{ type: number; text: string }> {
  const socket = connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  await once(socket, 'connect');
  const opt = Buffer.alloc(16 + (option === 7 ? 6 : 0));
  opt.writeBigUInt64BE(0x49484156454f5054n, 0);
  opt.writeUInt32BE(option, 8);
  opt.writeUInt32BE(opt.length - 16, 12); // GO: empty name, no info requests
  socket.write(Buffer.concat([Buffer.from([0, 0, 0, 3]), opt]));
  for (let i = 0; i < 100 && Buffer.concat(chunks).length < 18 + 20; i++) await new Promise((r) => setTimeout(r, 20));
  const all = Buffer.concat(chunks);
  const reply = all.subarray(18);
  const length = reply.readUInt32BE(16);
  for (let i = 0; i < 100 && Buffer.concat(chunks).length < 18 + 20 + length; i++) await new Promise((r) => setTimeout(r, 20));
  socket.destroy();
  const full = Buffer.concat(chunks).subarray(18);
  return { type: full.readUInt32BE(12), text: full.subarray(20, 20 + length).toString() };
}

t.test('PSK: nbdinfo, nbdcopy, qemu-io and qemu-img with the key; without TLS or with another key, nothing', async (t) => {
  const e = await tlsExport(t, 'tls-psk', async (dir) => ({ required: true, psk: await readPskFile(pskFile(dir, 'alice', KEY)), certificates: null }));
  const psk = join(e.dir, 'psk', 'keys.psk');
  t.equal(e.server.address, `nbds://127.0.0.1:${e.port}/`, 'the export advertises itself as nbds://');
  const uri = `nbds://alice@127.0.0.1:${e.port}/v?tls-psk-file=${psk}`;

  const info = await execa('nbdinfo', ['--json', uri]);
  t.match(JSON.parse(info.stdout), { protocol: 'newstyle-fixed', TLS: true, exports: [{ 'export-name': 'v', 'export-size': 8 * MiB }] }, 'nbdinfo over TLS with the PSK');

  const data = randomBytes(2 * MiB);
  const src = join(e.dir, 'src.bin');
  writeFileSync(src, data);
  await execa('nbdcopy', [src, uri]);
  t.equal(sha256(readFileSync(e.file).subarray(0, 2 * MiB)), sha256(data), 'nbdcopy wrote 2 MiB through TLS');

  const qemuCreds = ['--object', `tls-creds-psk,id=tls0,endpoint=client,dir=${join(e.dir, 'psk')},username=alice`];
  const image = `driver=nbd,server.type=inet,server.host=127.0.0.1,server.port=${e.port},export=v,tls-creds=tls0`;
  const io = await execa('qemu-io', [...qemuCreds, '--image-opts', image, '-c', 'write -P 0xab 4M 1M', '-c', 'read -P 0xab 4M 1M', '-c', 'flush']);
  t.notMatch(io.stdout + io.stderr, /fail|error|mismatch/i, 'qemu-io wrote and read back a pattern over TLS');
  t.ok(readFileSync(e.file).subarray(4 * MiB, 5 * MiB).every((b) => b === 0xab), 'the pattern is in the backing file');
  const img = await execa('qemu-img', ['info', '--output=json', ...qemuCreds, '--image-opts', image]);
  t.equal(JSON.parse(img.stdout)['virtual-size'], 8 * MiB, 'qemu-img info over TLS');

  const before = sha256(readFileSync(e.file));
  const plain = await execa('nbdinfo', [`nbd://127.0.0.1:${e.port}/v`], { reject: false });
  t.not(plain.exitCode, 0, 'a client without TLS is refused');
  t.match(plain.stderr, /server replied with error to opt_go/, 'NBD_OPT_GO without TLS gets an error (libnbd words it as nbdkit\'s)');
  t.same(await optionWithoutTls(e.port, 7), { type: 0x80000005, text: 'this export requires TLS: start it first (NBD_OPT_STARTTLS)' }, 'the reply is NBD_REP_ERR_TLS_REQD with the reason');
  t.same(await optionWithoutTls(e.port, 3), { type: 0x80000005, text: 'this export requires TLS: start it first (NBD_OPT_STARTTLS)' }, 'LIST too: not even the export names leak');
  const qemuPlain = await execa('qemu-io', ['-f', 'raw', '-c', 'write -P 0x66 0 64k', `nbd://127.0.0.1:${e.port}/v`], { reject: false });
  t.ok(qemuPlain.exitCode !== 0 || /fail|error/i.test(qemuPlain.stdout + qemuPlain.stderr), 'qemu-io without TLS cannot write');

  const wrongDir = join(e.dir, 'wrong');
  mkdirSync(wrongDir);
  const wrong = await execa('nbdinfo', [`nbds://alice@127.0.0.1:${e.port}/v?tls-psk-file=${pskFile(wrongDir, 'alice', randomBytes(32))}`], { reject: false });
  t.not(wrong.exitCode, 0, 'another key is refused');
  const stranger = await execa('nbdinfo', [`nbds://mallory@127.0.0.1:${e.port}/v?tls-psk-file=${pskFile(join(e.dir, 'm'), 'mallory', KEY)}`], { reject: false });
  t.not(stranger.exitCode, 0, 'an identity that is not in the file is refused, even with a known key');
  t.equal(sha256(readFileSync(e.file)), before, 'none of them changed a byte');
});

t.test('certificates: the client presents one signed by tls-ca and checks the server\'s', async (t) => {
  const e = await tlsExport(t, 'tls-x509', async (dir) => {
    const ssl = (...args: string[]) => execa('openssl', args, { cwd: dir });
    await ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=tandem nbd test CA');
    for (const [name, ext] of [['server', 'subjectAltName = IP:127.0.0.1\nextendedKeyUsage = serverAuth'], ['client', 'extendedKeyUsage = clientAuth']]) {
      writeFileSync(join(dir, `${name}.ext`), `${ext}\n`);
      await ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
      await ssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`);
    }
    // the client's directory in the layout libnbd and qemu expect
    mkdirSync(join(dir, 'pki'));
    copyFileSync(join(dir, 'ca.crt'), join(dir, 'pki', 'ca-cert.pem'));
    copyFileSync(join(dir, 'client.crt'), join(dir, 'pki', 'client-cert.pem'));
    copyFileSync(join(dir, 'client.key'), join(dir, 'pki', 'client-key.pem'));
    mkdirSync(join(dir, 'nocert'));
    copyFileSync(join(dir, 'ca.crt'), join(dir, 'nocert', 'ca-cert.pem'));
    return { required: true, psk: null, certificates: await loadCertificates({ cert: join(dir, 'server.crt'), key: join(dir, 'server.key'), ca: join(dir, 'ca.crt') }) };
  });
  const info = await execa('nbdinfo', ['--json', `nbds://127.0.0.1:${e.port}/v?tls-certificates=${join(e.dir, 'pki')}`]);
  t.match(JSON.parse(info.stdout), { TLS: true, exports: [{ 'export-size': 8 * MiB }] }, 'nbdinfo with client certificate');
  const io = await execa('qemu-io', ['--object', `tls-creds-x509,id=tls0,endpoint=client,dir=${join(e.dir, 'pki')}`, '--image-opts',
    `driver=nbd,server.type=inet,server.host=127.0.0.1,server.port=${e.port},export=v,tls-creds=tls0`, '-c', 'write -P 0x5c 0 64k', '-c', 'read -P 0x5c 0 64k']);
  t.notMatch(io.stdout + io.stderr, /fail|error|mismatch/i, 'qemu-io with x509 credentials');
  const anonymous = await execa('nbdinfo', [`nbds://127.0.0.1:${e.port}/v?tls-certificates=${join(e.dir, 'nocert')}`], { reject: false });
  t.not(anonymous.exitCode, 0, 'a client without a certificate is refused');
});

t.test('export-insecure with TLS configured: TLS is offered, not required', async (t) => {
  const e = await tlsExport(t, 'tls-opt', async (dir) => ({ required: false, psk: await readPskFile(pskFile(dir, 'alice', KEY)), certificates: null }));
  t.equal(e.server.address, `nbd://127.0.0.1:${e.port}/`);
  const plain = await execa('nbdinfo', ['--json', `nbd://127.0.0.1:${e.port}/v`]);
  t.match(JSON.parse(plain.stdout), { TLS: false });
  const secure = await execa('nbdinfo', ['--json', `nbds://alice@127.0.0.1:${e.port}/v?tls-psk-file=${join(e.dir, 'psk', 'keys.psk')}`]);
  t.match(JSON.parse(secure.stdout), { TLS: true });
});

t.test('a PSK file that is not psktool\'s format is refused with its line, never its content', async (t) => {
  const dir = scratchDir(t, 'tls-bad');
  writeFileSync(join(dir, 'bad.psk'), 'alice:00ff\nthis-is-a-secret-line\n');
  const err = await readPskFile(join(dir, 'bad.psk')).then(() => null, (e: Error) => e);
  t.match(err?.message, /bad\.psk:2: not a PSK line; allowed: identity:hex-key/);
  t.notOk(err?.message.includes('this-is-a-secret-line'), 'the line itself is not repeated');
  await t.rejects(readPskFile(join(dir, 'missing.psk')), { code: 'TANDEM_E_CONFIG', message: /cannot read export-tls-psk/ });
});
