/**
 * HPACK (RFC 7541): a full decoder (static + dynamic table, size updates, Huffman strings) and an encoder
 * that never touches the peer's dynamic table — so one request block, encoded once, stays valid for every
 * stream on a connection, and per-message heads are cheap to encode.
 */
import { ErrorCode, FrameError } from './errors.ts';
import { HuffmanError, huffmanDecode } from './huffman.ts';

/** RFC 7541 Appendix A. Index 1 is STATIC_TABLE[0]. */
export const STATIC_TABLE: readonly (readonly [string, string])[] = [
  [':authority', ''],
  [':method', 'GET'],
  [':method', 'POST'],
  [':path', '/'],
  [':path', '/index.html'],
  [':scheme', 'http'],
  [':scheme', 'https'],
  [':status', '200'],
  [':status', '204'],
  [':status', '206'],
  [':status', '304'],
  [':status', '400'],
  [':status', '404'],
  [':status', '500'],
  ['accept-charset', ''],
  ['accept-encoding', 'gzip, deflate'],
  ['accept-language', ''],
  ['accept-ranges', ''],
  ['accept', ''],
  ['access-control-allow-origin', ''],
  ['age', ''],
  ['allow', ''],
  ['authorization', ''],
  ['cache-control', ''],
  ['content-disposition', ''],
  ['content-encoding', ''],
  ['content-language', ''],
  ['content-length', ''],
  ['content-location', ''],
  ['content-range', ''],
  ['content-type', ''],
  ['cookie', ''],
  ['date', ''],
  ['etag', ''],
  ['expect', ''],
  ['expires', ''],
  ['from', ''],
  ['host', ''],
  ['if-match', ''],
  ['if-modified-since', ''],
  ['if-none-match', ''],
  ['if-range', ''],
  ['if-unmodified-since', ''],
  ['last-modified', ''],
  ['link', ''],
  ['location', ''],
  ['max-forwards', ''],
  ['proxy-authenticate', ''],
  ['proxy-authorization', ''],
  ['range', ''],
  ['referer', ''],
  ['refresh', ''],
  ['retry-after', ''],
  ['server', ''],
  ['set-cookie', ''],
  ['strict-transport-security', ''],
  ['transfer-encoding', ''],
  ['user-agent', ''],
  ['vary', ''],
  ['via', ''],
  ['www-authenticate', ''],
];

const STATIC_COUNT = STATIC_TABLE.length; // 61
/** §4.1: an entry's size is its name and value lengths plus 32 octets of assumed overhead. */
const ENTRY_OVERHEAD = 32;
/** §4.2 / RFC 9113 §6.5.2: SETTINGS_HEADER_TABLE_SIZE defaults to 4096 octets. */
export const DEFAULT_HEADER_TABLE_SIZE = 4096;
/** Integers past this are malformed for every use HPACK makes of them (indexes, lengths, table sizes). */
const MAX_INTEGER = 2 ** 31 - 1;
/** §5.1: continuation octets carry 7 bits each; past 28 bits of shift any value exceeds MAX_INTEGER. */
const MAX_INTEGER_SHIFT = 28;
/** §4.1: what a field costs in a header list (RFC 9113 §6.5.2 counts the same way). */
const FIELD_OVERHEAD = 32;

/** A malformed header block: a connection error of type COMPRESSION_ERROR (RFC 9113 §4.3). */
export class HpackError extends FrameError {
  override readonly name = 'HpackError';
  override readonly code = 'MUX_ERR_HPACK';
  constructor(message: string) {
    super(ErrorCode.COMPRESSION_ERROR, message);
  }
}

/** Receives each decoded field, in order (only when the caller asks for fields). */
export type HeaderSink = (name: string, value: string, source: FieldSource) => void;

/**
 * Where a field's name and value came from: entries of the static table are well-formed by definition, so
 * a sink that validates fields can skip them. (Dynamic-table entries come from the peer: not trusted.)
 */
export const enum FieldSource {
  /** name and value sent by the peer (literals, or its dynamic table) */
  Peer = 0,
  /** the name is a static-table entry's, the value the peer's */
  StaticName = 1,
  /** name and value are a static-table entry */
  StaticPair = 2,
}

/**
 * One connection's response decoder. `decode` returns the block's `:status` as a number (-1 when there is
 * none) and keeps the dynamic table in step with the peer's encoder; names and values are only turned
 * into strings where the table or the sink needs them.
 */
export class HpackDecoder {
  /** Dynamic table as a ring: newest entry at `head`, older ones after it (wrapping). */
  private names: string[] = [];
  private values: string[] = [];
  private head = 0;
  private count = 0;
  private size = 0;
  private maxSize: number;
  /**
   * The last block's header list passed `maxListBytes`: fields past the bound were decoded (the dynamic
   * table must follow the encoder) but not materialised or handed to the sink.
   */
  overflowed = false;

  constructor(
    /** the SETTINGS_HEADER_TABLE_SIZE this side advertised — the ceiling for size updates */
    private readonly settingsMaxSize = DEFAULT_HEADER_TABLE_SIZE,
    /** SETTINGS_MAX_HEADER_LIST_SIZE this side advertised: past it, fields stop being emitted (HPACK bomb) */
    private readonly maxListBytes = Number.POSITIVE_INFINITY,
  ) {
    this.maxSize = settingsMaxSize;
    this.resizeRing(Math.floor(settingsMaxSize / ENTRY_OVERHEAD) + 1);
  }

  /** Current dynamic table size in octets (§4.1). */
  get tableSize(): number {
    return this.size;
  }

  get tableMaxSize(): number {
    return this.maxSize;
  }

  /** Dynamic table entries, newest first (index 62 first), for tests and debugging. */
  dynamicEntries(): [string, string][] {
    const out: [string, string][] = [];
    for (let i = 0; i < this.count; i++) {
      const at = (this.head + i) % this.names.length;
      out.push([this.names[at]!, this.values[at]!]);
    }
    return out;
  }

  decode(block: Uint8Array, start = 0, end = block.length, sink: HeaderSink | null = null): number {
    let p = start;
    let status = -1;
    let fieldsSeen = false;
    let listBytes = 0;
    const maxList = this.maxListBytes;
    let emit = sink;
    this.overflowed = false;
    while (p < end) {
      const b = block[p]!;
      if (b & 0x80) {
        // §6.1 indexed header field
        let index = b & 0x7f;
        p++;
        if (index === 0x7f) [index, p] = this.integer(block, p, end, 0x7f);
        if (index === 0) throw new HpackError('indexed header field with index 0');
        fieldsSeen = true;
        let name: string;
        let value: string;
        let source = FieldSource.Peer;
        if (index <= STATIC_COUNT) {
          source = FieldSource.StaticPair;
          // :status 200‥500 are static entries 8‥14: the common case, no strings involved
          if (index >= 8 && index <= 14) status = STATIC_STATUS[index - 8]!;
          name = STATIC_TABLE[index - 1]![0];
          value = STATIC_TABLE[index - 1]![1];
        } else {
          const at = this.slot(index);
          name = this.names[at]!;
          value = this.values[at]!;
          if (name === ':status') status = parseStatus(value);
        }
        listBytes += name.length + value.length + FIELD_OVERHEAD;
        if (listBytes > maxList) emit = this.overflow();
        if (emit) emit(name, value, source);
        continue;
      }
      if ((b & 0xe0) === 0x20) {
        // §6.3 dynamic table size update: only before the first field of a block (§4.2)
        if (fieldsSeen) throw new HpackError('dynamic table size update after a header field');
        let newMax = b & 0x1f;
        p++;
        if (newMax === 0x1f) [newMax, p] = this.integer(block, p, end, 0x1f);
        if (newMax > this.settingsMaxSize) {
          throw new HpackError(`dynamic table size update to ${newMax} exceeds the advertised ${this.settingsMaxSize}`);
        }
        this.maxSize = newMax;
        this.evictTo(newMax);
        continue;
      }
      // §6.2 literal header field: with incremental indexing (01), never indexed (0001), without (0000)
      const indexing = (b & 0xc0) === 0x40;
      const prefixMask = indexing ? 0x3f : 0x0f;
      let nameIndex = b & prefixMask;
      p++;
      if (nameIndex === prefixMask) [nameIndex, p] = this.integer(block, p, end, prefixMask);
      fieldsSeen = true;
      let name: string;
      let source = FieldSource.Peer;
      if (nameIndex === 0) {
        [name, p] = this.string(block, p, end);
      } else if (nameIndex <= STATIC_COUNT) {
        name = STATIC_TABLE[nameIndex - 1]![0];
        source = FieldSource.StaticName;
      } else {
        name = this.names[this.slot(nameIndex)]!;
      }
      if (indexing || emit !== null || name === ':status') {
        let value: string;
        [value, p] = this.string(block, p, end);
        if (name === ':status') status = parseStatus(value);
        if (indexing) this.insert(name, value);
        listBytes += name.length + value.length + FIELD_OVERHEAD;
        if (listBytes > maxList) emit = this.overflow();
        if (emit) emit(name, value, source);
      } else {
        const from = p;
        p = this.skipString(block, p, end);
        // the encoded length: a lower bound of the decoded one, enough to notice a list far past the bound
        listBytes += name.length + (p - from) + FIELD_OVERHEAD;
        if (listBytes > maxList) this.overflow();
      }
    }
    return status;
  }

  /** The header list passed its bound: nothing more is emitted for this block. */
  private overflow(): null {
    this.overflowed = true;
    return null;
  }

  /** §5.1: an integer whose N-bit prefix was all ones; `p` points after the prefix octet. */
  private integer(block: Uint8Array, p: number, end: number, prefixMax: number): [number, number] {
    let value = prefixMax;
    let shift = 0;
    while (true) {
      if (p >= end) throw new HpackError('integer runs past the end of the header block');
      const b = block[p++]!;
      value += (b & 0x7f) * 2 ** shift;
      if (value > MAX_INTEGER) throw new HpackError('integer too large');
      if ((b & 0x80) === 0) return [value, p];
      shift += 7;
      // more continuation octets can only make the value larger than MAX_INTEGER (or NaN once 2 ** shift
      // is Infinity and the octet is 0x80)
      if (shift > MAX_INTEGER_SHIFT) throw new HpackError('integer too large (too many continuation octets)');
    }
  }

  /** §5.2 string literal: H bit, 7-bit-prefix length, octets. */
  private string(block: Uint8Array, p: number, end: number): [string, number] {
    if (p >= end) throw new HpackError('string literal runs past the end of the header block');
    const huffman = (block[p]! & 0x80) !== 0;
    let len = block[p]! & 0x7f;
    p++;
    if (len === 0x7f) [len, p] = this.integer(block, p, end, 0x7f);
    if (p + len > end) throw new HpackError(`string literal of ${len} octets runs past the end of the header block`);
    let s: string;
    if (!huffman) {
      s = latin1(block, p, p + len);
    } else {
      try {
        s = huffmanDecode(block, p, p + len);
      } catch (err) {
        if (err instanceof HuffmanError) throw new HpackError(err.message);
        throw err;
      }
    }
    return [s, p + len];
  }

  private skipString(block: Uint8Array, p: number, end: number): number {
    if (p >= end) throw new HpackError('string literal runs past the end of the header block');
    let len = block[p]! & 0x7f;
    p++;
    if (len === 0x7f) [len, p] = this.integer(block, p, end, 0x7f);
    if (p + len > end) throw new HpackError(`string literal of ${len} octets runs past the end of the header block`);
    return p + len;
  }

  /** Ring slot of dynamic index `index` (62 = newest). */
  private slot(index: number): number {
    const i = index - STATIC_COUNT - 1;
    if (i >= this.count) throw new HpackError(`index ${index} is past the end of the dynamic table (${this.count} entries)`);
    return (this.head + i) % this.names.length;
  }

  /** §4.4: evict from the end until the new entry fits; an entry larger than the table empties it. */
  private insert(name: string, value: string): void {
    const entrySize = name.length + value.length + ENTRY_OVERHEAD;
    if (entrySize > this.maxSize) {
      this.evictTo(0);
      return;
    }
    this.evictTo(this.maxSize - entrySize);
    if (this.count === this.names.length) this.resizeRing(this.names.length * 2);
    this.head = (this.head - 1 + this.names.length) % this.names.length;
    this.names[this.head] = name;
    this.values[this.head] = value;
    this.count++;
    this.size += entrySize;
  }

  private evictTo(limit: number): void {
    while (this.size > limit && this.count > 0) {
      const at = (this.head + this.count - 1) % this.names.length;
      this.size -= this.names[at]!.length + this.values[at]!.length + ENTRY_OVERHEAD;
      this.names[at] = '';
      this.values[at] = '';
      this.count--;
    }
  }

  private resizeRing(capacity: number): void {
    const names = new Array<string>(capacity).fill('');
    const values = new Array<string>(capacity).fill('');
    for (let i = 0; i < this.count; i++) {
      const at = (this.head + i) % this.names.length;
      names[i] = this.names[at]!;
      values[i] = this.values[at]!;
    }
    this.names = names;
    this.values = values;
    this.head = 0;
  }
}

const STATIC_STATUS = [200, 204, 206, 304, 400, 404, 500];

function parseStatus(value: string): number {
  // RFC 9110 §15: exactly three digits
  if (value.length !== 3) return 0;
  const n = Number(value);
  return Number.isInteger(n) ? n : 0;
}

function latin1(block: Uint8Array, start: number, end: number): string {
  // A Buffer decodes in place; a plain Uint8Array's short strings are cheaper built than through a view.
  if (Buffer.isBuffer(block)) return block.toString('latin1', start, end);
  if (end - start <= 16) {
    let s = '';
    for (let i = start; i < end; i++) s += String.fromCharCode(block[i]!);
    return s;
  }
  return Buffer.from(block.buffer, block.byteOffset + start, end - start).toString('latin1');
}

// ---------------------------------------------------------------------------------------------------------
// Encoding: never Huffman, never into the peer's dynamic table — so a block encoded once (the load engine's
// request template) stays valid for every stream, and a head encoded per message (the sessions) costs little

/** `name` → first static index with that name; `name` → `value` → static index of the exact pair. */
const STATIC_NAME_INDEX = new Map<string, number>();
const STATIC_PAIR_INDEX = new Map<string, Map<string, number>>();
STATIC_TABLE.forEach(([name, value], i) => {
  if (!STATIC_NAME_INDEX.has(name)) STATIC_NAME_INDEX.set(name, i + 1);
  let values = STATIC_PAIR_INDEX.get(name);
  if (values === undefined) STATIC_PAIR_INDEX.set(name, (values = new Map()));
  if (!values.has(value)) values.set(value, i + 1);
});

/** Header fields as node gives them: lower-case names, a value or a list of values. */
export type FieldMap = Record<string, string | string[] | undefined>;

/**
 * Encodes a head the way `encodeHeaderBlock` does (static matches indexed, everything else literal
 * without indexing, no Huffman), but through lookup tables into one reused buffer: `pseudo` first, then
 * the fields of `headers` except pseudo-headers and those `skip` names (HTTP/2 forbids connection-specific
 * ones). The result is only valid until the next call — copy it before encoding again.
 */
export function encodeHeadTransient(pseudo: readonly (readonly [string, string])[], headers: FieldMap, skip: ReadonlySet<string>): Buffer {
  let need = 0;
  let count = pseudo.length;
  for (const [name, value] of pseudo) need += name.length + value.length + FIELD_ENCODING_BYTES;
  for (const name in headers) {
    const v = headers[name];
    if (v === undefined) continue;
    if (Array.isArray(v)) {
      for (const x of v) need += name.length + String(x).length + FIELD_ENCODING_BYTES;
      count += v.length;
    } else {
      need += name.length + String(v).length + FIELD_ENCODING_BYTES;
      count++;
    }
  }
  // (skipped fields are counted too: the bound errs on the safe side)
  headListBytes = need + count * (FIELD_OVERHEAD - FIELD_ENCODING_BYTES);
  if (scratch.length < need) scratch = Buffer.allocUnsafe(Math.max(need, Math.min(scratch.length * 2, SCRATCH_KEEP_BYTES)));
  else if (scratch.length > SCRATCH_KEEP_BYTES && need <= SCRATCH_KEEP_BYTES) scratch = Buffer.allocUnsafe(SCRATCH_KEEP_BYTES);
  let p = 0;
  for (const [name, value] of pseudo) p = putField(scratch, p, name, value);
  for (const rawName in headers) {
    const v = headers[rawName];
    if (v === undefined || rawName.charCodeAt(0) === 58 /* ':' */) continue;
    const name = isLowerCase(rawName) ? rawName : rawName.toLowerCase();
    if (skip.has(name)) continue;
    if (Array.isArray(v)) for (const x of v) p = putField(scratch, p, name, String(x));
    else p = putField(scratch, p, name, String(v));
  }
  return scratch.subarray(0, p);
}

/** Encoded bytes a field can take beyond its name and value: prefix octets and two string lengths. */
const FIELD_ENCODING_BYTES = 12;
/** The scratch buffer grows to the largest head but shrinks back to this once heads are small again. */
const SCRATCH_KEEP_BYTES = 64 * 1024;
let scratch = Buffer.allocUnsafe(4096);
/** RFC 9113 §6.5.2 size (name + value + 32 per field) of the head `encodeHeadTransient` encoded last. */
let headListBytes = 0;

export function lastHeadListBytes(): number {
  return headListBytes;
}

/** The encoder's scratch buffer size (for tests: it must not stay huge). */
export function encoderScratchBytes(): number {
  return scratch.length;
}

const NO_FIELDS: FieldMap = {};
const NO_SKIP: ReadonlySet<string> = new Set();

/**
 * Encodes a header list as its own block: exact static matches as indexed fields, everything else as
 * literals without indexing (with an indexed name where the static table has one). Names must already be
 * lower-case (RFC 9113 §8.2.1).
 *
 * `tableSizeUpdateToZero` prepends a size update to 0 (§6.3): legal in any block, it guarantees the
 * peer's decoder never waits for an acknowledgement of a SETTINGS_HEADER_TABLE_SIZE change.
 */
export function encodeHeaderBlock(fields: readonly (readonly [string, string])[], tableSizeUpdateToZero = false): Buffer {
  const block = encodeHeadTransient(fields, NO_FIELDS, NO_SKIP);
  return tableSizeUpdateToZero ? Buffer.concat([SIZE_UPDATE_TO_ZERO, block]) : Buffer.from(block);
}

const SIZE_UPDATE_TO_ZERO = Buffer.from([0x20]);

/** §5.1 integer with an N-bit prefix, `flags` in the bits above it, appended to `out`. */
export function pushInteger(out: number[], flags: number, prefixBits: number, value: number): void {
  const bytes = Buffer.allocUnsafe(6);
  const n = putInteger(bytes, 0, flags, prefixBits, value);
  for (let i = 0; i < n; i++) out.push(bytes[i]!);
}

function putField(out: Buffer, p: number, name: string, value: string): number {
  const full = STATIC_PAIR_INDEX.get(name)?.get(value);
  if (full !== undefined) return putInteger(out, p, 0x80, 7, full);
  const nameIndex = STATIC_NAME_INDEX.get(name) ?? 0;
  p = putInteger(out, p, 0x00, 4, nameIndex);
  if (nameIndex === 0) p = putString(out, p, name);
  return putString(out, p, value);
}

function isLowerCase(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 65 && c <= 90) return false;
  }
  return true;
}

function putInteger(out: Buffer, p: number, flags: number, prefixBits: number, value: number): number {
  const max = (1 << prefixBits) - 1;
  if (value < max) {
    out[p++] = flags | value;
    return p;
  }
  out[p++] = flags | max;
  value -= max;
  while (value >= 0x80) {
    out[p++] = (value % 0x80) | 0x80;
    value = Math.floor(value / 0x80);
  }
  out[p++] = value;
  return p;
}

function putString(out: Buffer, p: number, s: string): number {
  p = putInteger(out, p, 0x00, 7, s.length);
  return p + out.write(s, p, 'latin1');
}
