import t from 'tap';
import { Crc32cPatcher, crc32c } from '../../src/meta/crc32c.js';
import { prng } from './fixtures/crash-store.js';

t.test('standard check value of CRC32C (Castagnoli)', async (t) => {
  t.equal(crc32c(new TextEncoder().encode('123456789')), 0xe3069283);
});

t.test('known vectors: empty input, 32 zero bytes, 32 0xFF bytes (RFC 3720 B.4)', async (t) => {
  t.equal(crc32c(new Uint8Array(0)), 0);
  t.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
  t.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
});

t.test('continuing over pieces equals one pass, and one flipped bit changes the sum', async (t) => {
  const data = new TextEncoder().encode('replicated block storage');
  t.equal(crc32c(data.subarray(10), crc32c(data.subarray(0, 10))), crc32c(data));
  const flipped = data.slice();
  flipped[3] ^= 0x10;
  t.not(crc32c(flipped), crc32c(data));
});

t.test('Crc32cPatcher: patching changed words gives the full CRC, for full-length and shorter buffers, any seed', async (t) => {
  const patcher = new Crc32cPatcher(8192);
  const rnd = prng(11);
  for (const length of [8192, 4096, 4]) {
    const bytes = new Uint8Array(length).map(() => Math.floor(rnd() * 256));
    const words = new Uint32Array(bytes.buffer);
    const seed = Math.floor(rnd() * 2 ** 32);
    let crc = crc32c(bytes, seed);
    for (let i = 0; i < 200; i++) {
      const w = Math.floor(rnd() * words.length);
      const before = words[w];
      // single bits, the whole word, and random patterns
      const after = i % 3 === 0 ? (before ^ (1 << (i % 32))) >>> 0 : i % 3 === 1 ? ~before >>> 0 : Math.floor(rnd() * 2 ** 32);
      words[w] = after;
      crc = patcher.patch(crc, length, w * 4, before, after);
    }
    t.equal(crc, crc32c(bytes, seed), `${length} bytes after 200 word changes`);
  }
  t.throws(() => new Crc32cPatcher(6), RangeError);
});

t.test('eight bytes at a time gives the same CRC as one byte at a time, at every length and alignment', async (t) => {
  const bytewise = (data: Uint8Array, seed = 0) => {
    let crc = ~seed >>> 0;
    for (const b of data) {
      crc ^= b;
      for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
    }
    return ~crc >>> 0;
  };
  const rnd = prng(3);
  const data = new Uint8Array(300).map(() => Math.floor(rnd() * 256));
  let mismatches = 0;
  for (let start = 0; start < 9; start++) {
    for (let length = 0; length < 40; length++) if (crc32c(data.subarray(start, start + length), 77) !== bytewise(data.subarray(start, start + length), 77)) mismatches++;
  }
  t.equal(mismatches, 0);
  t.equal(crc32c(data), bytewise(data));
});
