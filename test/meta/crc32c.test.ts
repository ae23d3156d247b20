import t from 'tap';
import { crc32c } from '../../src/meta/crc32c.js';

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
