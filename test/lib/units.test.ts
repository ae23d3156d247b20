import t from 'tap';
import { formatSize, parseSize, tryParseSize, GiB, TiB } from '../../src/lib/units.js';

t.test('sizes parse in binary and decimal units', async (t) => {
  t.equal(parseSize('4096'), 4096);
  t.equal(parseSize('4K'), 4096);
  t.equal(parseSize('1GiB'), GiB);
  t.equal(parseSize('1tib'), TiB);
  t.equal(parseSize('1TB'), 1e12);
  t.equal(parseSize('1.5G'), 1.5 * GiB);
  t.equal(tryParseSize('12 parsecs'), undefined);
  t.equal(tryParseSize('-1G'), undefined);
});

t.test('a bad size is a usage error with a hint', async (t) => {
  t.throws(() => parseSize('lots', 'volume size'), {
    code: 'TANDEM_E_USAGE',
    message: "invalid volume size 'lots'",
    hint: /K\/KiB/,
  });
});

t.test('sizes format exactly when they can', async (t) => {
  t.equal(formatSize(TiB), '1TiB');
  t.equal(formatSize(512), '512B');
  t.equal(formatSize(1.5 * GiB), '1.50GiB');
});
