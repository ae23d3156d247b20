// The frame codec: every message type round-trips, bulk data is never copied, and every kind of
// malformed frame is refused with TANDEM_E_PROTOCOL.
import t from 'tap';
import { crc32 } from 'node:zlib';
import { decodeFrame, encodeFrame, HEADER_BYTES } from '../../src/wire/codec.js';
import { FrameReader } from '../../src/wire/frame-reader.js';
import { fitText, MESSAGES, TEXT_MAX_BYTES, type MessageName } from '../../src/wire/messages.js';
import { FRAME_MAGIC, MAX_DATA_BYTES, MAX_HANDSHAKE_PAYLOAD_BYTES, MAX_PAYLOAD_BYTES, negotiateVersion } from '../../src/wire/version.js';
import { SAMPLES } from './samples.js';

const PROTOCOL = { code: 'TANDEM_E_PROTOCOL' };

function frame(typeId: number, payload: Buffer, header: { magic?: number; format?: number; flags?: number; reserved?: number; length?: number; crc?: number } = {}): Buffer {
  const head = Buffer.alloc(HEADER_BYTES);
  head.writeUInt32BE(header.magic ?? FRAME_MAGIC, 0);
  head.writeUInt16BE(header.format ?? 1, 4);
  head.writeUInt16BE(typeId, 6);
  head.writeUInt16BE(header.flags ?? 0, 8);
  head.writeUInt16BE(header.reserved ?? 0, 10);
  head.writeUInt32BE(header.length ?? payload.length, 12);
  head.writeUInt32BE(header.crc ?? crc32(head.subarray(0, 16)), 16);
  return Buffer.concat([head, payload]);
}

/** The payload of a valid encoding of `name`'s sample, for mutation. */
function payloadOf(name: MessageName): Buffer {
  return Buffer.concat(encodeFrame(SAMPLES[name])).subarray(HEADER_BYTES);
}

t.test('every message type round-trips through one frame', async (t) => {
  const names = Object.keys(MESSAGES) as MessageName[];
  t.same(Object.keys(SAMPLES).sort(), [...names].sort(), 'the samples cover the whole catalogue');
  for (const name of names) {
    const bytes = Buffer.concat(encodeFrame(SAMPLES[name]));
    t.equal(bytes.readUInt16BE(6), MESSAGES[name].id, `${name} carries its type number`);
    t.same(decodeFrame(bytes), SAMPLES[name], `${name} decodes to what was encoded`);
  }
});

t.test('round trip through the stream reader, one byte at a time and all at once', async (t) => {
  const all = Object.values(SAMPLES);
  const stream = Buffer.concat(all.flatMap((m) => encodeFrame(m)));
  const whole = new FrameReader(MAX_PAYLOAD_BYTES).push(stream);
  t.same(whole, all);
  const reader = new FrameReader(MAX_PAYLOAD_BYTES);
  const bytewise = [];
  for (let i = 0; i < stream.length; i += 997) bytewise.push(...reader.push(stream.subarray(i, i + 997)));
  t.same(bytewise, all);
  t.equal(reader.bufferedBytes, 0);
});

t.test('Write data is not copied on encode or on decode', async (t) => {
  const data = Buffer.alloc(64 * 1024, 0x42);
  const buffers = encodeFrame({ type: 'Write', volume: 0, seq: 1, epoch: 1, offset: 0, flags: { fua: false, flush: false }, missing: 0, data });
  t.equal(buffers.length, 2, 'header+fields and data are separate buffers');
  t.equal(buffers[1], data, 'the data buffer itself is handed to the socket');
  const chunk = Buffer.concat(buffers);
  const [msg] = new FrameReader(MAX_PAYLOAD_BYTES).push(chunk);
  if (msg.type !== 'Write') throw new Error('expected Write');
  t.equal(msg.data.buffer, chunk.buffer, 'decoded data shares the received chunk memory');
  t.equal(msg.data.byteOffset, chunk.byteOffset + buffers[0].length);
  t.equal(msg.data.length, data.length);
});

t.test('header checksum is zlib CRC-32 and safe integers are big-endian u64, at every magnitude', async (t) => {
  const seqs = [0, 1, 0xffff_ffff, 2 ** 32, 2 ** 32 + 5, 0x1234_5678_9abc, Number.MAX_SAFE_INTEGER];
  for (let i = 0; i < 200; i++) seqs.push(Math.floor(Math.random() * Number.MAX_SAFE_INTEGER));
  for (const seq of seqs) {
    const [bytes] = encodeFrame({ type: 'WriteAck', volume: 7, seq });
    const expected = Buffer.alloc(8);
    expected.writeBigUInt64BE(BigInt(seq));
    t.equal(bytes.readUInt32BE(16), crc32(bytes.subarray(0, 16)), `header CRC for seq ${seq}`);
    t.same(bytes.subarray(HEADER_BYTES + 2), expected, `seq ${seq} as u64`);
    t.same(decodeFrame(bytes), { type: 'WriteAck', volume: 7, seq }, `seq ${seq} decodes`);
  }
});

t.test('malformed headers are refused with TANDEM_E_PROTOCOL', async (t) => {
  const good = payloadOf('Ping');
  const cases: Array<[string, Buffer, RegExp]> = [
    ['bad magic', frame(0x35, good, { magic: 0xdeadbeef }), /magic/],
    ['header checksum', frame(0x35, good, { crc: 1 }), /checksum/],
    ['frame format', frame(0x35, good, { format: 2 }), /frame format 2/],
    ['unknown type', frame(0x7777, good), /unknown message type 0x7777/],
    ['flags', frame(0x35, good, { flags: 1 }), /flags/],
    ['reserved', frame(0x35, good, { reserved: 4 }), /flags/],
    ['oversize', frame(0x20, Buffer.alloc(0), { length: MAX_PAYLOAD_BYTES + 1 }), /exceeds the limit/],
    ['short payload', frame(0x35, good.subarray(0, 3)), /needs 4 bytes/],
    ['trailing bytes', frame(0x35, Buffer.concat([good, Buffer.alloc(1)])), /left over/],
  ];
  for (const [what, bytes, message] of cases) {
    t.throws(() => new FrameReader(MAX_PAYLOAD_BYTES).push(bytes), { ...PROTOCOL, message }, what);
  }
  t.throws(() => decodeFrame(Buffer.alloc(5)), { ...PROTOCOL, message: /shorter than a header/ });
  t.throws(() => decodeFrame(frame(0x35, good, { length: 9 })), { ...PROTOCOL, message: /header says/ });
});

t.test('an oversize length is refused from the header alone, before waiting or allocating', async (t) => {
  const reader = new FrameReader(MAX_HANDSHAKE_PAYLOAD_BYTES);
  const header = frame(0x20, Buffer.alloc(0), { length: MAX_HANDSHAKE_PAYLOAD_BYTES + 1 });
  t.throws(() => reader.push(header), { ...PROTOCOL, message: /exceeds the limit of 4096/ });
  t.equal(reader.bufferedBytes, 0);
  t.throws(() => reader.push(Buffer.alloc(1)), { code: 'TANDEM_E_INTERNAL' }, 'a failed reader takes no more input');
});

t.test('malformed fields are refused with TANDEM_E_PROTOCOL', async (t) => {
  const hello = payloadOf('Hello');
  const state = payloadOf('State');
  const write = payloadOf('Write');
  const mutate = (buf: Buffer, at: number, bytes: number[]): Buffer => {
    const copy = Buffer.from(buf);
    bytes.forEach((b, i) => { copy[at + i] = b; });
    return copy;
  };
  const helloResourceAt = 4;
  const cases: Array<[string, number, Buffer, RegExp]> = [
    ['bool not 0/1', 0x04, mutate(payloadOf('AuthResult'), 0, [2]), /AuthResult\.ok: boolean byte is 2/],
    ['enum out of range', 0x05, mutate(payloadOf('Refuse'), 0, [200]), /Refuse\.code: value 200/],
    ['safe integer above 2^53', 0x30, mutate(payloadOf('RecvAck'), 2, [0x00, 0x20]), /RecvAck\.seq: .* above 2\^53-1/],
    ['string too long', 0x01, mutate(hello, helloResourceAt, [0x01, 0x00]), /Hello\.resource: string of 256 bytes, at most 64/],
    ['string not UTF-8', 0x01, mutate(hello, helloResourceAt + 2, [0xff]), /Hello\.resource: not valid UTF-8/],
    ['fixed field truncated', 0x02, payloadOf('AuthChallenge').subarray(0, 31), /AuthChallenge\.nonce: needs 32 bytes/],
    ['bytes longer than its max', 0x45, mutate(payloadOf('ChecksumRequest'), 18, [0, 0, 0, 65]), /digest: 65 bytes, at most 64/],
    // ResyncChecksum: volume u16, requestId u32, offset 8, length u32, then the digest's u32 length at 18
    ['resync checksum digest above 64 bytes', 0x49, mutate(payloadOf('ResyncChecksum'), 18, [0, 0, 0, 65]), /ResyncChecksum\.digest: 65 bytes, at most 64/],
    ['resync checksum digest truncated', 0x49, payloadOf('ResyncChecksum').subarray(0, 22 + 31), /ResyncChecksum\.digest/],
    ['resync checksum offset above 2^53', 0x49, mutate(payloadOf('ResyncChecksum'), 6, [0x00, 0x20]), /ResyncChecksum\.offset: .* above 2\^53-1/],
    ['resync in-sync answer truncated', 0x4a, payloadOf('ResyncInSync').subarray(0, 17), /ResyncInSync\.length/],
    ['security with an unknown csums-alg', 0x07, mutate(payloadOf('Security'), payloadOf('Security').length - 1, [2]), /Security\.csumsAlg: value 2/],
    ['array count above max', 0x10, mutate(state, 1, [0xff, 0xff]), /State\.volumes: 65535 items, allowed 0\.\.256/],
    ['array count beyond payload', 0x10, mutate(state, 1, [0x00, 0x03]), /State\.volumes\[2\]/],
    ['undefined flag bits', 0x20, mutate(write, 22, [0x80]), /Write\.flags: undefined flag bits 0x80/],
    ['tail above its max', 0x20, Buffer.concat([write.subarray(0, 27), Buffer.alloc(MAX_DATA_BYTES + 1)]), /Write\.data: 1048577 bytes of data/],
  ];
  for (const [what, typeId, payload, message] of cases) {
    t.throws(() => decodeFrame(frame(typeId, payload)), { ...PROTOCOL, message }, what);
  }
});

t.test('encoding a value outside its declared range is a bug, caught before anything is sent', async (t) => {
  t.throws(() => encodeFrame({ type: 'Ping', id: -1 }), { code: 'TANDEM_E_INTERNAL', message: /Ping\.id/ });
  t.throws(() => encodeFrame({ type: 'RecvAck', volume: 0, seq: 2 ** 53 }), { code: 'TANDEM_E_INTERNAL' });
  t.throws(() => encodeFrame({ type: 'Hello', ...SAMPLES.Hello, resource: 'x'.repeat(65) }), { code: 'TANDEM_E_INTERNAL', message: /at most 64 bytes/ });
});

t.test('version negotiation picks the highest common version', async (t) => {
  t.equal(negotiateVersion({ min: 1, max: 3 }, { min: 2, max: 5 }), 3);
  t.equal(negotiateVersion({ min: 1, max: 1 }, { min: 1, max: 1 }), 1);
  t.equal(negotiateVersion({ min: 1, max: 1 }, { min: 2, max: 2 }), null);
});

t.test('fitText cuts long reasons on a character boundary so they can always be sent', async (t) => {
  t.equal(fitText('short'), 'short');
  for (const text of ['x'.repeat(2000), 'é'.repeat(400), '🙂'.repeat(300)]) {
    const fitted = fitText(text);
    t.ok(Buffer.byteLength(fitted) <= TEXT_MAX_BYTES && fitted.endsWith('…'), `${text[0]}: ${Buffer.byteLength(fitted)} bytes`);
    t.notOk(fitted.includes('\ufffd'), 'no broken character');
    t.same(decodeFrame(Buffer.concat(encodeFrame({ type: 'Disconnect', reason: fitted }))), { type: 'Disconnect', reason: fitted });
  }
});
