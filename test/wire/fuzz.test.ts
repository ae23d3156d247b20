// Seeded fuzzing of the frame reader: random bytes and mutated valid frames, fed in random chunk
// sizes, in clear and sealed (MAC and payload checksum trailers). The only failure allowed is TANDEM_E_PROTOCOL; the reader never holds more than one
// frame; whatever decodes re-encodes to the same bytes. Reproduce with TANDEM_FUZZ_SEED=<seed>.
import t from 'tap';
import { crc32 } from 'node:zlib';
import { TandemError } from '../../src/lib/errors.js';
import { decodeBitmapChunk } from '../../src/wire/bitmap-chunk.js';
import { createSecretKey } from 'node:crypto';
import { DATA_MESSAGES, encodeFrame, HEADER_BYTES } from '../../src/wire/codec.js';
import { FrameReader } from '../../src/wire/frame-reader.js';
import { FrameOpener, FrameSealer } from '../../src/wire/frame-seal.js';
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

// The same with the trailers of an authenticated connection (frame-seal.ts): a stream of valid
// frames sealed with a MAC and payload checksums, one to four bytes mutated (or cut, or
// extended), read by an opener with the same key. The only failure allowed is
// TANDEM_E_PROTOCOL, and whatever is delivered is exactly what was sealed at that position: no
// mutation ever gets through as a different message.
const SEALED_ROUNDS = 10_000;

t.test(`fuzz sealed streams: ${SEALED_ROUNDS} mutated streams, nothing altered is delivered (seed ${seed})`, async (t) => {
  const key = createSecretKey(Buffer.alloc(32, 0x42));
  const messages = Object.values(SAMPLES);
  let refused = 0;
  let delivered = 0;
  let altered = 0;
  let replayed = 0;
  for (let round = 0; round < SEALED_ROUNDS; round++) {
    const payloadChecksum = random() < 0.7;
    const mac = random() < 0.8 || !payloadChecksum;
    const sealer = new FrameSealer({ payloadChecksum, macKey: mac ? key : null });
    const sent = Array.from({ length: 1 + int(4) }, () => messages[int(messages.length)]);
    const stream = Buffer.concat(sent.flatMap((m) => {
      const flags = sealer.flagsFor(m.type);
      const buffers = encodeFrame(m, flags);
      const trailer = sealer.trailer(buffers, flags);
      return trailer ? [...buffers, trailer] : buffers;
    }));
    const bytes = mutateStream(stream);
    const reader = new FrameReader(MAX_PAYLOAD_BYTES);
    reader.setOpener(new FrameOpener({ payloadChecksum, macKey: mac ? key : null }));
    const got: WireMessage[] = [];
    try {
      for (let at = 0; at < bytes.length;) {
        const size = 1 + int(2000);
        got.push(...reader.push(bytes.subarray(at, at + size)));
        at += size;
      }
    } catch (err) {
      if (!(err instanceof TandemError) || err.code !== 'TANDEM_E_PROTOCOL') {
        t.fail(`seed ${seed} round ${round}: unexpected ${String(err)}`);
        return;
      }
      refused++;
    }
    delivered += got.length;
    got.forEach((msg, i) => {
      const same = i < sent.length && Buffer.concat(encodeFrame(msg)).equals(Buffer.concat(encodeFrame(sent[i])));
      if (same) return;
      // without a MAC only frames with bulk data are covered (by the checksum): others may change,
      // and a whole genuine frame copied elsewhere in the stream is not detected (no sequence
      // numbers: that takes the MAC). A data frame must still be exactly one that was sent.
      const encoded = Buffer.concat(encodeFrame(msg));
      if (!mac && sent.some((m) => Buffer.concat(encodeFrame(m)).equals(encoded))) { replayed++; return; }
      if (mac || DATA_MESSAGES.has(msg.type)) t.fail(`seed ${seed} round ${round}: frame ${i} delivered altered (${msg.type}, sent ${sent[i]?.type ?? 'nothing'} there, mac ${mac}, checksum ${payloadChecksum})`);
      else altered++;
    });
  }
  t.ok(refused > SEALED_ROUNDS * 0.9, `mutated sealed streams are refused (${refused} of ${SEALED_ROUNDS})`);
  t.comment(`${delivered} frames delivered before the mutation or unchanged by it; ${altered} altered frames without bulk data got through checksum-only streams, ${replayed} whole frames replayed in them (no MAC: as designed)`);
});

function mutateStream(stream: Buffer): Buffer {
  let out = Buffer.from(stream);
  const edits = 1 + int(4);
  for (let i = 0; i < edits; i++) {
    const at = int(out.length);
    switch (int(5)) {
      case 0: out[at] ^= 1 << int(8); break;
      case 1: out[at] = (out[at] + 1 + int(255)) & 0xff; break;
      case 2: out = Buffer.concat([out.subarray(0, at), out.subarray(at + 1 + int(32))]); break;
      case 3: out = Buffer.concat([out.subarray(0, at), Buffer.from(Array.from({ length: 1 + int(32) }, () => int(256))), out.subarray(at)]); break;
      case 4: {
        // replay: a copy of an earlier stretch of the stream, put in elsewhere
        const from = int(out.length);
        out = Buffer.concat([out.subarray(0, at), out.subarray(from, from + 1 + int(200)), out.subarray(at)]);
        break;
      }
    }
  }
  // some rounds fix the header CRC of the first frame, so header edits reach the trailers
  if (out.length >= HEADER_BYTES && random() < 0.3) out.writeUInt32BE(crc32(out.subarray(0, 16)), 16);
  return out;
}
