// The peer protocol: message catalogue, frame codec, stream reader and versions.
export * from './version.js';
export * from './messages.js';
export { encodeFrame, decodeFrame, decodeHeader, decodePayload, protocolError, HEADER_BYTES } from './codec.js';
export { FrameReader } from './frame-reader.js';
export { decodeBitmapChunk, encodeRaw, encodeRle, type BitRange } from './bitmap-chunk.js';
