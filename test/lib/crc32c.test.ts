// The slice-by-8 CRC32C for bulk data equals the byte-wise one of the metadata, piece by piece too.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { crc32c } from '../../src/lib/crc32c.js';
import { crc32c as bytewise } from '../../src/meta/crc32c.js';

t.test('check value, every length up to 64, random data, continued over pieces', async (t) => {
  t.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
  const data = randomBytes(64 * 1024 + 7);
  for (let n = 0; n <= 64; n++) t.equal(crc32c(data.subarray(0, n)), bytewise(data.subarray(0, n)), `${n} bytes`);
  t.equal(crc32c(data), bytewise(data), '64 KiB + 7');
  t.equal(crc32c(data.subarray(1000), crc32c(data.subarray(0, 1000))), crc32c(data), 'continued with a seed');
});
