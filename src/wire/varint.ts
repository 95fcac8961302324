/**
 * Protobuf LEB128 varints restricted to unsigned 32-bit values, as the http_grpc crate (pb.rs) reads them:
 * at most 5 bytes; a 5th byte that still carries the continuation bit is an overlength error; value bits
 * beyond 32 in the 5th byte are dropped (the crate's `u32 << 28` discards them); non-canonical encodings
 * such as `80 00` are accepted.
 */
import { WireError } from './errors.ts';

export const MAX_VARINT_BYTES = 5;
export const U32_MAX = 0xffff_ffff;

/** `readVarint` result when the bytes end before the varint does. */
export const VARINT_INCOMPLETE = -1;

const TWO_POW_28 = 0x1000_0000;

/** Bytes the canonical encoding of `value` takes. */
export function varintLength(value: number): number {
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x20_0000) return 3;
  if (value < TWO_POW_28) return 4;
  return 5;
}

function checkU32(value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > U32_MAX) {
    throw new WireError('MUX_ERR_VARINT_RANGE', `varint value ${value} is not an unsigned 32-bit integer`);
  }
}

/** Writes the canonical encoding of `value` at `offset`; returns the offset after it. */
export function writeVarint(value: number, target: Uint8Array, offset: number): number {
  checkU32(value);
  let v = value;
  let at = offset;
  // `>>> 7` would be wrong above 2^31 only if applied to a signed int; `>>>` treats v as unsigned, so it is exact.
  while (v >= 0x80) {
    target[at++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  target[at++] = v;
  return at;
}

export function encodeVarint(value: number): Uint8Array {
  checkU32(value);
  const out = new Uint8Array(varintLength(value));
  writeVarint(value, out, 0);
  return out;
}

/**
 * Reads one varint from `bytes[pos..end)` without allocating. Returns `value * 8 + byteLength` (exact in a
 * double: value < 2^32, length ≤ 5), or VARINT_INCOMPLETE. Throws MUX_ERR_VARINT_OVERLENGTH.
 * Packed so the decoders' hot loops need no result object; `decodeVarint` is the readable form.
 */
export function readVarint(bytes: Uint8Array, pos: number, end: number): number {
  let value = 0;
  let multiplier = 1;
  for (let i = 0; i < MAX_VARINT_BYTES; i++) {
    if (pos + i >= end) return VARINT_INCOMPLETE;
    const byte = bytes[pos + i]!;
    // The 5th byte contributes only 4 bits to a u32; the rest fall off as in the crate.
    const bits = i === 4 ? byte & 0x0f : byte & 0x7f;
    value += bits * multiplier;
    if ((byte & 0x80) === 0) return value * 8 + (i + 1);
    multiplier *= 128;
  }
  throw new WireError('MUX_ERR_VARINT_OVERLENGTH', `varint overlength: byte ${MAX_VARINT_BYTES} of a u32 varint still has the continuation bit set`);
}

export interface DecodedVarint {
  value: number;
  /** bytes consumed */
  length: number;
}

/** Decodes one varint at `offset`; `undefined` when the bytes end first. Throws on overlength. */
export function decodeVarint(bytes: Uint8Array, offset = 0): DecodedVarint | undefined {
  const packed = readVarint(bytes, offset, bytes.length);
  if (packed === VARINT_INCOMPLETE) return undefined;
  const length = packed % 8;
  return { value: (packed - length) / 8, length };
}
