// The frame trailers of an authenticated connection: a sealed stream reads back; a frame with a
// flipped bit, another key, or out of its place in the sequence is refused with the reason; the
// checksum alone catches a changed payload; frames must carry exactly the agreed trailers.
import t from 'tap';
import { createSecretKey } from 'node:crypto';
import { encodeFrame, FRAME_FLAG, HEADER_BYTES } from '../../src/wire/codec.js';
import { FrameReader } from '../../src/wire/frame-reader.js';
import { FrameOpener, FrameSealer, type FrameProtection } from '../../src/wire/frame-seal.js';
import type { WireMessage } from '../../src/wire/messages.js';
import { MAX_PAYLOAD_BYTES } from '../../src/wire/version.js';
import { SAMPLES } from './samples.js';

const KEY = createSecretKey(Buffer.alloc(32, 1));
const OTHER = createSecretKey(Buffer.alloc(32, 2));
const PROTOCOL = { code: 'TANDEM_E_PROTOCOL' };

function seal(messages: WireMessage[], protection: FrameProtection): Buffer[] {
  const sealer = new FrameSealer(protection);
  return messages.map((m) => {
    const flags = sealer.flagsFor(m.type);
    const buffers = encodeFrame(m, flags);
    const trailer = sealer.trailer(buffers, flags);
    return Buffer.concat(trailer ? [...buffers, trailer] : buffers);
  });
}

function read(frames: Buffer[], protection: FrameProtection): WireMessage[] {
  const reader = new FrameReader(MAX_PAYLOAD_BYTES);
  reader.setOpener(new FrameOpener(protection));
  return reader.push(Buffer.concat(frames));
}

const all = Object.values(SAMPLES);
const both = { payloadChecksum: true, macKey: KEY };

t.test('a sealed stream of every message reads back, with MAC, checksum or both', async (t) => {
  for (const protection of [both, { payloadChecksum: false, macKey: KEY }, { payloadChecksum: true, macKey: null }]) {
    t.same(read(seal(all, protection), protection), all);
  }
  const frames = seal([SAMPLES.Write, SAMPLES.Ping], both);
  t.equal(frames[0].readUInt16BE(8), FRAME_FLAG.payloadChecksum | FRAME_FLAG.mac, 'Write: checksum and MAC');
  t.equal(frames[1].readUInt16BE(8), FRAME_FLAG.mac, 'Ping: no bulk data, no checksum');
});

t.test('a changed bit, another key, a replayed or reordered frame: refused', async (t) => {
  const frames = seal([SAMPLES.Write, SAMPLES.WriteAck, SAMPLES.Ping], both);
  const flipped = Buffer.from(frames[0]);
  flipped[HEADER_BYTES + 100] ^= 1;
  t.throws(() => read([flipped], both), { ...PROTOCOL, message: /Write: frame 0 fails its MAC/ });
  t.throws(() => read(frames, { payloadChecksum: true, macKey: OTHER }), { ...PROTOCOL, message: /frame 0 fails its MAC/ }, 'another key');
  t.throws(() => read([frames[0], frames[0]], both), { ...PROTOCOL, message: /Write: frame 1 fails its MAC/ }, 'the same frame twice');
  t.throws(() => read([frames[1], frames[0]], both), { ...PROTOCOL, message: /WriteAck: frame 0 fails its MAC/ }, 'swapped');
  t.throws(() => read([frames[0], frames[2]], both), { ...PROTOCOL, message: /Ping: frame 1 fails its MAC/ }, 'one left out');
});

t.test('the checksum alone catches a changed payload, and says so', async (t) => {
  const protection = { payloadChecksum: true, macKey: null };
  const [frame] = seal([SAMPLES.ResyncData], protection);
  const bad = Buffer.from(frame);
  bad[bad.length - 10] ^= 0x80;
  t.throws(() => read([bad], protection), { ...PROTOCOL, message: /ResyncData: payload checksum mismatch \(crc32c 0x[0-9a-f]+, the sender computed 0x[0-9a-f]+\): the frame was altered on the way or in the sender; it is dropped unapplied/ });
});

t.test('frames carry exactly the agreed trailers', async (t) => {
  t.throws(() => read([Buffer.concat(encodeFrame(SAMPLES.Ping))], both), { ...PROTOCOL, message: /Ping: frame flags 0x0, expected 0x2/ }, 'a frame without its MAC');
  t.throws(() => read(seal([SAMPLES.Ping], both), { payloadChecksum: false, macKey: null }), { ...PROTOCOL, message: /Ping: frame flags 0x2, expected 0x0/ }, 'a MAC where none was agreed');
  t.throws(() => read(seal([SAMPLES.Write], { payloadChecksum: false, macKey: KEY }), both), { ...PROTOCOL, message: /Write: frame flags 0x2, expected 0x3/ }, 'bulk data without its checksum');
});
