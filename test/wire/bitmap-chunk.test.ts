// BitmapChunk payloads: raw words and run lengths decode to the same set ranges; malformed run
// lengths and payloads that claim more bits than the volume has are refused.
import t from 'tap';
import { decodeBitmapChunk, encodeRaw, encodeRle, type BitRange } from '../../src/wire/bitmap-chunk.js';

const PROTOCOL = { code: 'TANDEM_E_PROTOCOL' };

t.test('raw and rle describe the same bits', async (t) => {
  const cases: Array<[BitRange[], number]> = [
    [[], 100],
    [[{ start: 0, count: 1 }], 64],
    [[{ start: 0, count: 3 }, { start: 10, count: 54 }, { start: 100, count: 28 }], 128],
    [[{ start: 5, count: 1000 }, { start: 1006, count: 1 }], 4096],
  ];
  for (const [ranges, bits] of cases) {
    const rle = decodeBitmapChunk('rle', encodeRle(ranges, bits), bits);
    t.same(rle, { ranges, bitCount: bits }, `rle ${JSON.stringify(ranges)}`);
    const raw = decodeBitmapChunk('raw', encodeRaw(ranges, bits), bits);
    t.same(raw.ranges, ranges, `raw ${JSON.stringify(ranges)}`);
  }
});

t.test('a few bytes of rle describe a terabyte volume without allocating it', async (t) => {
  const bits = 2 ** 28; // 1 TiB at 4 KiB per bit
  const payload = encodeRle([{ start: 2 ** 20, count: 2 ** 27 }], bits);
  t.ok(payload.length <= 12, `${payload.length} bytes`);
  t.same(decodeBitmapChunk('rle', payload, bits), { ranges: [{ start: 2 ** 20, count: 2 ** 27 }], bitCount: bits });
});

t.test('malformed payloads are refused', async (t) => {
  t.throws(() => decodeBitmapChunk('rle', Buffer.from([0x80]), 100), { ...PROTOCOL, message: /cut off/ });
  t.throws(() => decodeBitmapChunk('rle', Buffer.from([0x81, 0x00]), 100), { ...PROTOCOL, message: /not minimally encoded/ });
  t.throws(() => decodeBitmapChunk('rle', Buffer.alloc(9, 0xff), 100), { ...PROTOCOL, message: /longer than 8 bytes/ });
  t.throws(() => decodeBitmapChunk('rle', Buffer.from([5, 0, 3]), 100), { ...PROTOCOL, message: /run 1 has length 0/ });
  t.throws(() => decodeBitmapChunk('rle', Buffer.from([0x64, 0x01]), 100), { ...PROTOCOL, message: /more than the 100 bits/ });
  t.throws(() => decodeBitmapChunk('rle', Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]), 2 ** 40), { ...PROTOCOL, message: /more than/ });
  t.throws(() => decodeBitmapChunk('raw', Buffer.alloc(7), 100), { ...PROTOCOL, message: /whole 64-bit words/ });
  const beyond = encodeRaw([{ start: 100, count: 1 }], 128);
  t.throws(() => decodeBitmapChunk('raw', beyond, 100), { ...PROTOCOL, message: /bit 100 is set beyond the 100 bits/ });
  t.same(decodeBitmapChunk('raw', encodeRaw([{ start: 99, count: 1 }], 128), 100), { ranges: [{ start: 99, count: 1 }], bitCount: 100 }, 'clear padding bits are fine');
});

t.test('encoding unsorted or adjacent ranges is a bug', async (t) => {
  t.throws(() => encodeRle([{ start: 10, count: 5 }, { start: 3, count: 1 }], 64), { code: 'TANDEM_E_INTERNAL' });
  t.throws(() => encodeRle([{ start: 0, count: 5 }, { start: 5, count: 1 }], 64), { code: 'TANDEM_E_INTERNAL' });
});
