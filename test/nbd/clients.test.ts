// Real NBD clients against FileBackend exports: data in and out, FUA, zeroes, trim, fio verify,
// several clients at once. Each check reads the backing file itself, not only through NBD.
import t from 'tap';
import { execa } from 'execa';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileServer, MiB, sha256 } from './helpers/fixture.js';
import type { FileBackend } from '../../src/nbd/file-backend.js';
import type { NbdBackend } from '../../src/nbd/backend.js';

t.test('nbdcopy: 64 MiB of random data in and out, identical by sha256', async (t) => {
  const f = await fileServer(t, 'copy', [{ name: 'v', sizeBytes: 64 * MiB }]);
  const src = join(f.dir, 'src.bin');
  const back = join(f.dir, 'back.bin');
  const data = randomBytes(64 * MiB);
  writeFileSync(src, data);
  await execa('nbdcopy', [src, f.uri]);
  t.equal(sha256(readFileSync(f.files.get('v')!)), sha256(data), 'backing file holds what was copied in');
  await execa('nbdcopy', [f.uri, back]);
  t.equal(sha256(readFileSync(back)), sha256(data), 'copied out equals copied in');
});

/** Passes every call through to the FileBackend and records the flags the client's requests carried. */
function recording(b: FileBackend, calls: string[]): NbdBackend {
  return {
    size: b.size, readOnly: b.readOnly, canMultiConn: b.canMultiConn,
    read: (o, l) => b.read(o, l),
    write: (o, d, fua) => { calls.push(`write ${o} ${d.length}${fua ? ' fua' : ''}`); b.write(o, d, fua); },
    flush: () => { calls.push('flush'); b.flush(); },
    trim: (o, l, fua) => { calls.push(`trim ${o} ${l}`); b.trim(o, l, fua); },
    writeZeroes: (o, l, fua, noHole) => { calls.push(`zero ${o} ${l}${noHole ? ' nohole' : ''}`); b.writeZeroes(o, l, fua, noHole); },
  };
}

t.test('qemu-io: patterns, FUA writes, write-zeroes and discard', async (t) => {
  const calls: string[] = [];
  const f = await fileServer(t, 'qemu', [{ name: 'v', sizeBytes: 16 * MiB }], { wrap: (b) => recording(b, calls) });
  const before = readFileSync(f.files.get('v')!);
  const r = await execa('qemu-io', ['-f', 'raw', '-t', 'writeback', f.uri, // writethrough would FUA every write
    '-c', 'write -P 0xab 0 1M',
    '-c', 'write -f -P 0xcd 1M 64k',
    '-c', 'write -P 0x11 3000 5000', // unaligned
    '-c', 'read -P 0xab 0 3000',
    '-c', 'read -P 0x11 3000 5000',
    '-c', 'read -P 0xcd 1M 64k',
    '-c', 'write -z 4M 2M',
    '-c', 'read -P 0 4M 2M',
    '-c', 'write -z -u 8M 1M', // may unmap: NO_HOLE clear
    '-c', 'read -P 0 8M 1M',
    '-c', 'discard 10M 1M',
    '-c', 'flush',
  ]);
  t.notMatch(r.stdout + r.stderr, /fail|error|mismatch/i, 'every qemu-io command succeeded');
  const file = readFileSync(f.files.get('v')!);
  t.ok(file.subarray(0, 3000).every((b) => b === 0xab));
  t.ok(file.subarray(3000, 8000).every((b) => b === 0x11));
  t.ok(file.subarray(8000, MiB).every((b) => b === 0xab));
  t.ok(file.subarray(MiB, MiB + 65536).every((b) => b === 0xcd), 'FUA write is in the file');
  t.equal(sha256(file.subarray(MiB + 65536, 4 * MiB)), sha256(before.subarray(MiB + 65536, 4 * MiB)), 'untouched range unchanged');
  t.ok(file.subarray(4 * MiB, 6 * MiB).every((b) => b === 0), 'write-zeroes wrote zeros');
  t.ok(file.subarray(8 * MiB, 9 * MiB).every((b) => b === 0), 'write-zeroes without NO_HOLE too');
  t.equal(sha256(file.subarray(10 * MiB, 11 * MiB)), sha256(before.subarray(10 * MiB, 11 * MiB)), 'TRIM is advisory and leaves data');
  t.ok(calls.includes(`write ${MiB} 65536 fua`), 'write -f reached the backend with FUA');
  t.ok(calls.includes(`write 0 ${MiB}`), 'a plain write without', { calls });
  t.ok(calls.includes(`zero ${4 * MiB} ${2 * MiB} nohole`), 'write -z: NO_HOLE (qemu may not unmap)');
  t.ok(calls.includes(`zero ${8 * MiB} ${MiB}`), 'write -z -u: no NO_HOLE');
  t.ok(calls.includes(`trim ${10 * MiB} ${MiB}`), 'discard reached the backend as TRIM');
  t.ok(calls.includes('flush'), 'flush reached the backend');
});

t.test('fio nbd engine: randwrite with crc32c verify at QD16', async (t) => {
  const f = await fileServer(t, 'fio', [{ name: 'v', sizeBytes: 32 * MiB }]);
  const r = await execa('fio', ['--name=verify', '--ioengine=nbd', `--uri=${f.uri}`, '--rw=randwrite', '--bs=4k',
    '--iodepth=16', '--size=32m', '--verify=crc32c', '--verify_state_save=0', '--verify_fatal=1', '--do_verify=1', '--output-format=json'], { reject: false });
  t.equal(r.exitCode, 0, r.stderr);
  const json = JSON.parse(r.stdout.slice(r.stdout.indexOf('{'))) as { jobs: Array<{ error: number; write: { io_bytes: number }; read: { io_bytes: number } }> };
  t.equal(json.jobs[0].error, 0);
  t.equal(json.jobs[0].write.io_bytes, 32 * MiB, 'every block written');
  t.equal(json.jobs[0].read.io_bytes, 32 * MiB, 'and read back for verification');
});

/** Does the I/O at once but answers after a random delay, so requests complete out of order. */
function delayed(b: FileBackend): NbdBackend {
  const later = <T,>(value: T): Promise<T> => new Promise((resolve) => setTimeout(() => resolve(value), Math.random() * 3));
  return {
    size: b.size, readOnly: false, canMultiConn: true,
    read: (o, l) => later(b.read(o, l)),
    write: (o, d, fua) => later(b.write(o, d, fua)),
    flush: () => later(b.flush()),
    trim: (o, l, fua) => later(b.trim(o, l, fua)),
    writeZeroes: (o, l, fua, nh) => later(b.writeZeroes(o, l, fua, nh)),
  };
}

t.test('fio verify against an asynchronous backend that completes out of order', async (t) => {
  const f = await fileServer(t, 'fio-async', [{ name: 'v', sizeBytes: 8 * MiB }], { wrap: delayed });
  const r = await execa('fio', ['--name=verify', '--ioengine=nbd', `--uri=${f.uri}`, '--rw=randwrite', '--bs=4k',
    '--iodepth=32', '--size=8m', '--verify=crc32c', '--verify_state_save=0', '--verify_fatal=1', '--output-format=json'], { reject: false });
  t.equal(r.exitCode, 0, r.stderr);
  const json = JSON.parse(r.stdout.slice(r.stdout.indexOf('{'))) as { jobs: Array<{ error: number; write: { io_bytes: number }; read: { io_bytes: number } }> };
  t.equal(json.jobs[0].error, 0);
  t.equal(json.jobs[0].write.io_bytes, 8 * MiB, 'every block written');
  t.equal(json.jobs[0].read.io_bytes, 8 * MiB, 'and verified');
});

t.test('several clients at once on one export, each on its own region, plus readers', async (t) => {
  const f = await fileServer(t, 'multi', [{ name: 'v', sizeBytes: 32 * MiB }]);
  const writers = [0, 1, 2, 3].map((i) => execa('qemu-io', ['-f', 'raw', f.uri,
    ...Array.from({ length: 32 }, (_, k) => ['-c', `write -P ${0x20 + i} ${i * 8 + (k % 8)}M 256k`]).flat(),
    '-c', `read -P ${0x20 + i} ${i * 8}M 256k`]));
  const readers = [0, 1].map(() => execa('nbdcopy', [f.uri, 'null:']));
  const infos = [0, 1, 2].map(() => execa('nbdinfo', ['--size', f.uri]));
  const results = await Promise.all([...writers, ...readers, ...infos]);
  t.ok(results.every((r) => r.exitCode === 0), 'every client succeeded');
  const file = readFileSync(f.files.get('v')!);
  for (let i = 0; i < 4; i++) {
    t.ok(file.subarray(i * 8 * MiB, i * 8 * MiB + 256 * 1024).every((b) => b === 0x20 + i), `writer ${i}'s data is in place`);
  }
  for (let i = 0; i < 50 && f.server.clientCount > 0; i++) await new Promise((r) => setTimeout(r, 20));
  t.equal(f.server.clientCount, 0, 'every connection is gone after the clients exit');
});

t.test('a read-only export refuses writes through qemu-io and keeps its data', async (t) => {
  const f = await fileServer(t, 'ro-q', [{ name: 'v', sizeBytes: 4 * MiB, readOnly: true }]);
  const before = sha256(readFileSync(f.files.get('v')!));
  const r = await execa('qemu-io', ['-f', 'raw', '-r', f.uri, '-c', 'read 0 64k'], { reject: false });
  t.equal(r.exitCode, 0, 'reads work');
  const w = await execa('nbdcopy', [join(f.files.get('v')!), f.uri], { reject: false });
  t.not(w.exitCode, 0, 'writing to it fails');
  t.equal(sha256(readFileSync(f.files.get('v')!)), before);
});
