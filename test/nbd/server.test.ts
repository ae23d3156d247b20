// Listeners: unix and TCP side by side, port 0, stale socket files, addresses already in use.
import t from 'tap';
import { execa } from 'execa';
import { join } from 'node:path';
import { fileServer, MiB, scratchDir } from './helpers/fixture.js';
import { NbdServer, serveExport } from '../../src/nbd/server.js';
import { FileBackend } from '../../src/nbd/file-backend.js';
import { RawNbd } from './helpers/raw-client.js';
import { existsSync, writeFileSync } from 'node:fs';

t.test('one server on a unix socket, TCP 127.0.0.1 and TCP ::1 at once', async (t) => {
  const f = await fileServer(t, 'tcp', [{ name: 'v', sizeBytes: 2 * MiB }]);
  const v4 = await f.server.listen({ kind: 'tcp', host: '127.0.0.1', port: 0 });
  const v6 = await f.server.listen({ kind: 'tcp', host: '::1', port: 0 });
  t.ok(v4.kind === 'tcp' && v4.port > 0, 'port 0 picks a port and reports it');
  t.equal(f.server.uri('', 1), `nbd://127.0.0.1:${v4.kind === 'tcp' ? v4.port : 0}/`);
  t.match(f.server.uri('v', 2), /^nbd:\/\/\[::1\]:\d+\/v$/);
  const sizes = await Promise.all([f.uri, f.server.uri('', 1), f.server.uri('v', 2)].map((u) => execa('nbdinfo', ['--size', u])));
  t.same(sizes.map((r) => r.stdout.trim()), [String(2 * MiB), String(2 * MiB), String(2 * MiB)]);
  const q = await execa('qemu-io', ['-f', 'raw', f.server.uri('', 1), '-c', 'write -P 0x42 0 64k', '-c', 'read -P 0x42 0 64k']);
  t.notMatch(q.stdout + q.stderr, /fail|error/i, 'data over TCP');
});

t.test('a stale socket file is replaced; a live one is an error that names the address', async (t) => {
  const dir = scratchDir(t, 'stale');
  const img = join(dir, 'a.img');
  writeFileSync(img, Buffer.alloc(MiB));
  const backend = new FileBackend(img);
  t.teardown(() => backend.close());
  const sock = join(dir, 's.sock');
  // a process that died leaves its socket file behind with nobody listening
  await execa('python3', ['-c', 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])', sock]);
  t.ok(existsSync(sock), 'stale socket file exists');
  const server = await serveExport({ kind: 'unix', path: sock }, { name: 'a', backend });
  t.equal((await execa('nbdinfo', ['--size', server.address])).stdout.trim(), String(MiB));
  const second = new NbdServer({ exports: [{ name: 'a', backend }] });
  await t.rejects(second.listen({ kind: 'unix', path: sock }), { code: 'TANDEM_E_IO', message: new RegExp(`cannot listen for NBD clients on ${sock}`) });
  await second.close();
  await server.close();
  t.notOk(existsSync(sock), 'close removes the socket file');
  await t.rejects(server.listen({ kind: 'unix', path: sock }), { code: 'TANDEM_E_STATE' }, 'a closed server does not listen again');
  const plain = join(dir, 'not-a-socket');
  writeFileSync(plain, 'data');
  const third = new NbdServer({ exports: [{ name: 'a', backend }] });
  await t.rejects(third.listen({ kind: 'unix', path: plain }), { code: 'TANDEM_E_IO', message: /EADDRINUSE/ }, 'a regular file in the way is not removed');
  t.ok(existsSync(plain));
  await third.close();
});

t.test('more clients than maxConnections, counted over all listeners, are turned away', async (t) => {
  const f = await fileServer(t, 'maxconn', [{ name: 'v', sizeBytes: MiB }], { limits: { maxConnections: 2 } });
  const second = join(f.dir, 'second.sock');
  await f.server.listen({ kind: 'unix', path: second });
  const a = await RawNbd.transmission(f.socketPath);
  const b = await RawNbd.transmission(second);
  t.teardown(() => { a.c.close(); b.c.close(); });
  for (const path of [f.socketPath, second]) {
    const third = await RawNbd.open(path);
    await third.whenClosed;
    t.pass(`third connection closed (${path.endsWith('second.sock') ? 'second' : 'first'} listener)`);
  }
  t.equal((await a.c.pread(0, 512)).error, 0, 'existing clients keep working');
});

t.test('FileBackend on a block device (loop) finds its size and serves it', async (t) => {
  const dir = scratchDir(t, 'blockdev');
  const img = join(dir, 'b.img');
  writeFileSync(img, Buffer.alloc(3 * MiB, 0x61));
  const dev = (await execa('losetup', ['-f', '--show', img])).stdout.trim();
  t.teardown(() => execa('losetup', ['-d', dev], { reject: false }));
  const backend = new FileBackend(dev);
  t.teardown(() => backend.close());
  t.equal(backend.size, 3 * MiB);
  const server = await serveExport({ kind: 'unix', path: join(dir, 's.sock') }, { name: 'b', backend });
  t.teardown(() => server.close());
  const q = await execa('qemu-io', ['-f', 'raw', server.address, '-c', 'read -P 0x61 0 3M', '-c', 'write -P 0x62 1M 4k', '-c', 'flush']);
  t.notMatch(q.stdout + q.stderr, /fail|error/i);
  const back = await execa('qemu-io', ['-f', 'raw', server.address, '-c', 'read -P 0x62 1M 4k']);
  t.notMatch(back.stdout + back.stderr, /fail|error/i, 'write through the block device reads back');
});
