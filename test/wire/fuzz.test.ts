// Seeded fuzzing of the frame reader: random bytes and mutated valid frames, fed in random chunk
// sizes. The only failure allowed is TANDEM_E_PROTOCOL; the reader never holds more than one
// frame; whatever decodes re-encodes to the same bytes. Reproduce with TANDEM_FUZZ_SEED=<seed>.
import t from 'tap';
import { crc32 } from 'node:zlib';
import { TandemError } from '../../src/lib/errors.js';
import { decodeBitmapChunk } from '../../src/wire/bitmap-chunk.js';
import { encodeFrame, HEADER_BYTES } from '../../src/wire/codec.js';
import { FrameReader } from '../../src/wire/frame-reader.js';
import type { WireMessage } from '../../src/wire/messages.js';
import { MAX_HANDSHAKE_PAYLOAD_BYTES, MAX_PAYLOAD_BYTES } from '../../src/wire/version.js';
import { SAMPLES } from './samples.js';

const seed = Number(process.env.TANDEM_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 32));
const ROUNDS = 5000;

/** mulberry32: small, fast, and reproducible from one 32-bit seed */
function prng(state: number): () => number {
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let x = Math.imul(state ^ (state >>> 15), 1 | state);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 2 ** 32;
  };
}

const random = prng(seed);
const int = (n: number): number => Math.floor(random() * n);
const valid = Object.values(SAMPLES).map((m) => Buffer.concat(encodeFrame(m)));

function mutate(frame: Buffer): Buffer {
  let out = Buffer.from(frame);
  const edits = 1 + int(4);
  for (let i = 0; i < edits; i++) {
    switch (int(5)) {
      case 0: out[int(out.length)] ^= 1 << int(8); break;
      case 1: out[int(out.length)] = int(256); break;
      case 2: out = out.subarray(0, int(out.length + 1)); break;
      case 3: out = Buffer.concat([out, Buffer.from(Array.from({ length: int(16) }, () => int(256)))]); break;
      case 4: if (out.length >= 16) out.writeUInt32BE(int(2 ** 32), 12); break;
    }
  }
  // Mostly keep the header consistent, so mutations reach the payload decoder.
  if (out.length >= HEADER_BYTES && random() < 0.8) {
    if (random() < 0.7) out.writeUInt32BE(out.length - HEADER_BYTES, 12);
    out.writeUInt32BE(crc32(out.subarray(0, 16)), 16);
  }
  return out;
}

function input(): Buffer {
  if (random() < 0.15) return Buffer.from(Array.from({ length: int(200) }, () => int(256)));
  return mutate(valid[int(valid.length)]);
}

t.test(`fuzz the frame reader (seed ${seed})`, async (t) => {
  t.comment(`seed ${seed}: rerun with TANDEM_FUZZ_SEED=${seed}`);
  let refused = 0;
  let decoded = 0;
  let reencoded = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const limit = random() < 0.5 ? MAX_HANDSHAKE_PAYLOAD_BYTES : MAX_PAYLOAD_BYTES;
    const reader = new FrameReader(limit);
    const bytes = Buffer.concat([input(), ...(random() < 0.3 ? [input()] : [])]);
    const messages: WireMessage[] = [];
    const refusedBefore = refused;
    try {
      for (let at = 0; at < bytes.length;) {
        const size = 1 + int(300);
        messages.push(...reader.push(bytes.subarray(at, at + size)));
        at += size;
        if (reader.bufferedBytes > HEADER_BYTES + limit) {
          t.fail(`seed ${seed} round ${round}: reader holds ${reader.bufferedBytes} bytes`);
        }
      }
    } catch (err) {
      if (!(err instanceof TandemError) || err.code !== 'TANDEM_E_PROTOCOL') {
        t.fail(`seed ${seed} round ${round}: unexpected ${String(err)} for ${bytes.toString('hex').slice(0, 200)}`);
        return;
      }
      refused++;
    }
    decoded += messages.length;
    const complete = messages.length > 0 && reader.bufferedBytes === 0 && refused === refusedBefore;
    if (complete && !Buffer.concat(messages.flatMap((m) => encodeFrame(m))).equals(bytes)) {
      t.fail(`seed ${seed} round ${round}: decoded frames do not re-encode to the same bytes: ${bytes.toString("hex").slice(0, 400)}`);
    }
    if (complete) reencoded++;
  }
  t.ok(refused > ROUNDS / 2, `most mutated inputs are refused (${refused} of ${ROUNDS})`);
  t.ok(reencoded > 0, `some mutations still decode (${decoded} messages); ${reencoded} inputs re-encode byte for byte`);
});

t.test(`fuzz BitmapChunk payloads (seed ${seed})`, async (t) => {
  let refused = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const payload = Buffer.from(Array.from({ length: int(24) }, () => (random() < 0.5 ? int(256) : 0x80 | int(128))));
    const maxBits = int(2 ** 30);
    try {
      const { ranges, bitCount } = decodeBitmapChunk(random() < 0.5 ? 'rle' : 'raw', payload, maxBits);
      const last = ranges[ranges.length - 1];
      if (bitCount > Math.max(maxBits, 0) || (last && last.start + last.count > maxBits)) {
        t.fail(`seed ${seed} round ${round}: decoded beyond maxBits ${maxBits}: ${payload.toString('hex')}`);
      }
    } catch (err) {
      if (!(err instanceof TandemError) || err.code !== 'TANDEM_E_PROTOCOL') {
        t.fail(`seed ${seed} round ${round}: unexpected ${String(err)} for ${payload.toString('hex')}`);
        return;
      }
      refused++;
    }
  }
  t.ok(refused > 0, `${refused} of ${ROUNDS} random payloads refused, the rest decoded within bounds`);
});
