// Field types of the table-driven codec. A message is declared once as an ordered record of
// fields; the TypeScript type of a decoded message, its encoder, its decoder and its validation
// all come from that one declaration (see messages.ts and codec.ts).
//
// Encodings (all integers big-endian, like DRBD's packets):
//   u8/u16/u32      unsigned, range-checked on encode and decode
//   u64             8 bytes, as bigint
//   safe            8 bytes, as number; values above Number.MAX_SAFE_INTEGER are refused
//   bool            1 byte, 0 or 1 only
//   enum            1 byte index into a declared list of names
//   bits            u8/u16/u32 bit set of declared names; undeclared bits are refused
//   fixed           exactly n bytes (nonces, MACs)
//   bytes           u32 length + bytes, length ≤ max
//   string          u16 length + UTF-8 (strictly valid), length ≤ max bytes
//   array           u16 count + items, count within [min, max]
//   struct          the fields of a nested record, in order
//   tail            the rest of the payload, no length prefix; only as the last field of a
//                   message. Decoded as a slice of the frame (zero copy), encoded as a separate
//                   buffer so bulk data is never copied into the frame.

export type Field =
  | { readonly kind: 'u8' | 'u16' | 'u32' | 'u64' | 'safe' | 'bool' }
  | { readonly kind: 'enum'; readonly values: readonly string[] }
  | { readonly kind: 'bits'; readonly width: 8 | 16 | 32; readonly names: readonly string[] }
  | { readonly kind: 'fixed'; readonly length: number }
  | { readonly kind: 'bytes'; readonly max: number }
  | { readonly kind: 'string'; readonly max: number }
  | { readonly kind: 'array'; readonly item: Field; readonly min: number; readonly max: number }
  | { readonly kind: 'struct'; readonly fields: Fields }
  | { readonly kind: 'tail'; readonly max: number };

export type Fields = { readonly [name: string]: Field };

export const u8 = { kind: 'u8' } as const;
export const u16 = { kind: 'u16' } as const;
export const u32 = { kind: 'u32' } as const;
export const u64 = { kind: 'u64' } as const;
export const safe = { kind: 'safe' } as const;
export const bool = { kind: 'bool' } as const;

export function enumOf<const V extends readonly string[]>(values: V) {
  return { kind: 'enum', values } as const;
}
export function bitsOf<const N extends readonly string[]>(width: 8 | 16 | 32, names: N) {
  return { kind: 'bits', width, names } as const;
}
export function fixed<const L extends number>(length: L) {
  return { kind: 'fixed', length } as const;
}
export function bytes(max: number) {
  return { kind: 'bytes', max } as const;
}
export function string(max: number) {
  return { kind: 'string', max } as const;
}
export function arrayOf<const I extends Field>(item: I, bounds: { min?: number; max: number }) {
  return { kind: 'array', item, min: bounds.min ?? 0, max: bounds.max } as const;
}
export function struct<const F extends Fields>(fields: F) {
  return { kind: 'struct', fields } as const;
}
export function tail(max: number) {
  return { kind: 'tail', max } as const;
}

/** The TypeScript value of a field. */
export type ValueOf<F> =
  F extends { kind: 'u8' | 'u16' | 'u32' | 'safe' } ? number :
  F extends { kind: 'u64' } ? bigint :
  F extends { kind: 'bool' } ? boolean :
  F extends { kind: 'enum'; values: readonly (infer V)[] } ? V :
  F extends { kind: 'bits'; names: readonly (infer N extends string)[] } ? { [K in N]: boolean } :
  F extends { kind: 'fixed' | 'bytes' | 'tail' } ? Buffer :
  F extends { kind: 'string' } ? string :
  F extends { kind: 'array'; item: infer I } ? Array<ValueOf<I>> :
  F extends { kind: 'struct'; fields: infer S } ? RecordOf<S> :
  never;

export type RecordOf<S> = { -readonly [K in keyof S]: ValueOf<S[K]> };
