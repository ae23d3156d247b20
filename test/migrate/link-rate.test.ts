import t from 'tap';
import { parseLinkRate, rateBytes } from '../../src/migrate/link-rate.js';

t.test('--link-rate: network rates in bits, byte rates, VVR\'s own spellings', async (t) => {
  t.equal(parseLinkRate('1Gbit'), 125_000_000);
  t.equal(parseLinkRate('200Mbit'), 25_000_000);
  t.equal(parseLinkRate('40m'), 5_000_000, 'VVR bandwidth_limit');
  t.equal(rateBytes('40.00 Mbps'), 5_000_000, 'repstatus Bandwidth Limit');
  t.equal(parseLinkRate('50MB/s'), 50_000_000);
  t.equal(parseLinkRate('120MiB/s'), 120 * 1024 * 1024);
  t.equal(rateBytes('none'), undefined);
  t.equal(rateBytes('N/A'), undefined);
  t.throws(() => parseLinkRate('fast'), { code: 'TANDEM_E_USAGE', message: /--link-rate 'fast' is not a rate/ });
  t.throws(() => parseLinkRate('0m'), { code: 'TANDEM_E_USAGE' });
});
