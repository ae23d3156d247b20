// Hostile input to running daemons: thousands of random and mutated peer frames on the
// replication port, and malformed NBD requests on the export. Neither daemon crashes, the
// replication link stays up, and no byte of data changes. The seed is printed; set
// TANDEM_FUZZ_SEED to replay.
import t from 'tap';
import { connect } from 'node:net';
import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { encodeFrame } from '../../src/wire/codec.js';
import { TestCluster } from '../helpers/daemons.js';
import { bringUp, promoteAndSync } from '../helpers/scenario.js';
import { writeResource } from '../helpers/resource-config.js';
import { peersUpToDate, sha256File, status, waitFor } from '../helpers/wait.js';
import { RawNbd } from '../nbd/helpers/raw-client.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => { s = (s + 0x6d2b79f5) >>> 0; let x = s; x = Math.imul(x ^ (x >>> 15), x | 1); x ^= x + Math.imul(x ^ (x >>> 7), x | 61); return ((x ^ (x >>> 14)) >>> 0) / 4294967296; };
}

function mutate(frame: Buffer, r: () => number): Buffer {
  const out = Buffer.from(frame);
  const edits = 1 + Math.floor(r() * 4);
  for (let i = 0; i < edits; i++) out[Math.floor(r() * out.length)] = Math.floor(r() * 256);
  return r() < 0.2 ? out.subarray(0, Math.floor(r() * out.length)) : out;
}

function sendAndClose(port: number, payload: Buffer): Promise<void> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1', () => { s.end(payload); });
    s.on('error', () => resolve());
    s.on('close', () => resolve());
    s.setTimeout(200, () => s.destroy()); // a half-finished handshake would wait for the daemon's own timeout
  });
}

t.test('random and mutated input never crashes a daemon nor changes data', async (t) => {
  const seed = Number(process.env.TANDEM_FUZZ_SEED ?? randomInt(1, 2 ** 31));
  t.comment(`fuzz seed ${seed} (TANDEM_FUZZ_SEED=${seed} replays it)`);
  const r = rng(seed);
  const cluster = new TestCluster();
  t.teardown(() => cluster.destroy());
  const files = await writeResource(cluster, { name: 'fz', nodes: ['a', 'b'], sizeBytes: 8 * 1024 * 1024 });
  await bringUp(cluster, 'fz', ['a', 'b']);
  await promoteAndSync(cluster, 'fz', 'a', ['b']);
  const before = [sha256File(files.disk('a')), sha256File(files.disk('b'))];
  const portOf = (node: string): number => Number(/\[node\.\w+\][^[]*?address = [\d.]+:(\d+)/s.exec(readFileSync(`${cluster.configDir}/fz.ini`, 'utf8').slice(readFileSync(`${cluster.configDir}/fz.ini`, 'utf8').indexOf(`[node.${node}]`)))![1]);

  // Peer port: a valid Hello as a template for mutations, and plain garbage.
  const hello = Buffer.concat(encodeFrame({ type: 'Hello', versionMin: 1, versionMax: 1, resource: 'fz', senderNodeId: 1, peerNodeId: 0, socketRole: 'data', connectionNonce: Buffer.alloc(16, 7) }));
  const write = Buffer.concat(encodeFrame({ type: 'Write', volume: 0, seq: 1, epoch: 0, offset: 0, flags: { fua: false, flush: false }, missing: 0, data: Buffer.alloc(4096, 0xee) }));
  const peerInputs = 1500;
  for (let i = 0; i < peerInputs; i += 25) {
    await Promise.all(Array.from({ length: 25 }, () => {
      const kind = r();
      const payload = kind < 0.3 ? Buffer.from(Array.from({ length: Math.floor(r() * 200) }, () => Math.floor(r() * 256)))
        : kind < 0.65 ? mutate(hello, r) : Buffer.concat([hello, mutate(write, r)]);
      return sendAndClose(portOf(r() < 0.5 ? 'a' : 'b'), payload);
    }));
  }

  // NBD export: requests that are malformed or out of range (valid writes would change data).
  const { c: nbd, size } = await RawNbd.transmission(files.socket('a'));
  let answered = 0;
  let accepted = 0;
  for (let i = 0; i < 2000; i++) {
    const type = [0, 1, 3, 4, 6][Math.floor(r() * 5)];
    const length = 1 + Math.floor(r() * 65536);
    const offset = size - Math.floor(r() * length / 2) + Math.floor(r() * 1e9); // always past the end
    nbd.send(type, Math.floor(r() * 4) & 1, BigInt(i), offset, type === 3 ? 0 : length, type === 1 ? Buffer.alloc(length, 0xab) : undefined);
    if (type === 3) { await nbd.reply(); answered++; continue; }
    if ((await nbd.reply()).error === 0) accepted++;
    answered++;
  }
  nbd.close();
  t.equal(answered, 2000, 'every malformed NBD request got an answer');
  t.equal(accepted, 0, 'and every one of them was an error');
  const garbage = await RawNbd.transmission(files.socket('a'));
  garbage.c.socket.write(Buffer.from('definitely not an NBD request header'));
  await garbage.c.whenClosed;
  t.pass('a request with a bad magic drops the connection');

  const a = await status(cluster, 'a', 'fz');
  t.equal(a.connections[0].connectionState, 'Connected', 'the real replication link survived');
  await cluster.cli('a', ['secondary', 'fz']);
  t.same([sha256File(files.disk('a')), sha256File(files.disk('b'))], before, 'no data changed on either node');
});
