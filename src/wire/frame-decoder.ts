/**
 * The incremental state machine shared by the request and response decoders (after grpc-js's
 * stream-decoder): `write(chunk)` accepts chunks of any size and returns only complete frames. A frame is
 * `callId` (varint, kept as the bytes received) · a second varint · optionally a varint length and that many
 * payload bytes. The length is checked against the maximum before anything is allocated for the payload.
 * After a write throws, the stream is malformed and the decoder must be discarded.
 */
import { WireError } from './errors.ts';
import { MAX_VARINT_BYTES, readVarint, VARINT_INCOMPLETE, varintLength } from './varint.ts';

/** Largest payload accepted by default: big enough for the 4 MiB payload sweep, small enough to bound memory. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 16 * 1024 * 1024;

export interface FrameDecoderOptions {
  /** Largest payload length accepted; a larger declared length throws MUX_ERR_FRAME_TOO_LARGE. */
  maxPayloadBytes?: number;
}

/** The header of one frame as parsed from bytes; `payloadLength` is -1 when the frame has no length field. */
export interface FrameHeader {
  callId: number;
  callIdLength: number;
  second: number;
  payloadLength: number;
  headerLength: number;
}

const HEADER_MAX_BYTES = 3 * MAX_VARINT_BYTES;

export abstract class IncrementalFrameDecoder<F> {
  readonly maxPayloadBytes: number;
  /** Written by parseHeader; read right after it returns true. */
  protected readonly header: FrameHeader = { callId: 0, callIdLength: 0, second: 0, payloadLength: 0, headerLength: 0 };

  // A header split across chunks is gathered here byte by byte (it is at most 15 bytes).
  private readonly headerScratch = new Uint8Array(HEADER_MAX_BYTES);
  private headerHave = 0;
  // A payload split across chunks is copied into its own buffer, allocated once its length is known.
  private payload: Uint8Array | null = null;
  private payloadHave = 0;
  private pendingCallId = 0;
  private pendingRawCallId: Uint8Array | null = null;
  private pendingSecond = 0;
  private pendingHeaderBytes = 0;

  constructor(options: FrameDecoderOptions = {}) {
    this.maxPayloadBytes = options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
  }

  /** Parses a header at `bytes[pos..end)` into `this.header`; false when the bytes end first. */
  protected abstract parseHeader(bytes: Uint8Array, pos: number, end: number): boolean;

  /** `rawCallId` is null when the call id arrived in its canonical encoding (re-encoding it gives the same bytes). */
  protected abstract makeFrame(callId: number, rawCallId: Uint8Array | null, second: number, payload: Uint8Array | null): F;

  /** Bytes held of a frame that has not completed yet (0 between frames). */
  get bufferedBytes(): number {
    return this.payload ? this.pendingHeaderBytes + this.payloadHave : this.headerHave;
  }

  write(chunk: Uint8Array): F[] {
    const out: F[] = [];
    const end = chunk.length;
    let pos = 0;

    if (this.payload) {
      pos = this.continuePayload(chunk, out);
      if (this.payload) return out;
    }

    if (this.headerHave > 0) {
      let complete = false;
      while (pos < end && !complete) {
        this.headerScratch[this.headerHave++] = chunk[pos++]!;
        complete = this.parseHeader(this.headerScratch, 0, this.headerHave);
      }
      if (!complete) return out;
      this.headerHave = 0;
      pos = this.beginPayload(this.rawCallId(this.headerScratch, 0, true), chunk, pos, out);
    }

    while (pos < end) {
      if (!this.parseHeader(chunk, pos, end)) {
        this.headerScratch.set(chunk.subarray(pos, end), 0);
        this.headerHave = end - pos;
        break;
      }
      pos = this.beginPayload(this.rawCallId(chunk, pos, false), chunk, pos + this.header.headerLength, out);
    }
    return out;
  }

  /**
   * The call id's bytes when they must be kept (a non-canonical encoding), else null — most frames carry
   * canonical ids, and not allocating a view for each is worth ~10 % of a small call's cost.
   */
  private rawCallId(bytes: Uint8Array, pos: number, copy: boolean): Uint8Array | null {
    const h = this.header;
    if (h.callIdLength === varintLength(h.callId)) return null;
    return copy ? bytes.slice(pos, pos + h.callIdLength) : view(bytes, pos, h.callIdLength);
  }

  private beginPayload(rawCallId: Uint8Array | null, chunk: Uint8Array, pos: number, out: F[]): number {
    const h = this.header;
    if (h.payloadLength < 0) {
      out.push(this.makeFrame(h.callId, rawCallId, h.second, null));
      return pos;
    }
    const available = chunk.length - pos;
    if (available >= h.payloadLength) {
      out.push(this.makeFrame(h.callId, rawCallId, h.second, view(chunk, pos, h.payloadLength)));
      return pos + h.payloadLength;
    }
    // The chunk may be reused by its producer once we return: keep copies of what we hold.
    this.pendingCallId = h.callId;
    this.pendingRawCallId = rawCallId ? rawCallId.slice() : null;
    this.pendingSecond = h.second;
    this.pendingHeaderBytes = h.headerLength;
    this.payload = new Uint8Array(h.payloadLength);
    this.payload.set(chunk.subarray(pos), 0);
    this.payloadHave = available;
    return chunk.length;
  }

  private continuePayload(chunk: Uint8Array, out: F[]): number {
    const payload = this.payload!;
    const take = Math.min(payload.length - this.payloadHave, chunk.length);
    payload.set(chunk.subarray(0, take), this.payloadHave);
    this.payloadHave += take;
    if (this.payloadHave === payload.length) {
      out.push(this.makeFrame(this.pendingCallId, this.pendingRawCallId, this.pendingSecond, payload));
      this.payload = null;
      this.payloadHave = 0;
    }
    return take;
  }

  /**
   * Reads the three-field prefix shared by both frame kinds. Sets callId, callIdLength and second in
   * `this.header` and returns the offset after `second`, or -1 when the bytes end first.
   */
  protected parseIdAndSecond(bytes: Uint8Array, pos: number, end: number): number {
    const id = readVarint(bytes, pos, end);
    if (id === VARINT_INCOMPLETE) return -1;
    const idLength = id % 8;
    const second = readVarint(bytes, pos + idLength, end);
    if (second === VARINT_INCOMPLETE) return -1;
    const secondLength = second % 8;
    const h = this.header;
    h.callId = (id - idLength) / 8;
    h.callIdLength = idLength;
    h.second = (second - secondLength) / 8;
    return pos + idLength + secondLength;
  }

  /** Reads the length varint at `at`, enforcing the maximum; finishes `this.header`. */
  protected parseLength(bytes: Uint8Array, start: number, at: number, end: number): boolean {
    const len = readVarint(bytes, at, end);
    if (len === VARINT_INCOMPLETE) return false;
    const lenLength = len % 8;
    const payloadLength = (len - lenLength) / 8;
    if (payloadLength > this.maxPayloadBytes) {
      throw new WireError('MUX_ERR_FRAME_TOO_LARGE', `frame payload of ${payloadLength} bytes exceeds the limit of ${this.maxPayloadBytes} bytes`);
    }
    this.header.payloadLength = payloadLength;
    this.header.headerLength = at + lenLength - start;
    return true;
  }
}

/** A plain Uint8Array view: cheaper than Buffer#subarray, which builds a Buffer through Symbol.species. */
function view(bytes: Uint8Array, start: number, length: number): Uint8Array {
  return new Uint8Array(bytes.buffer, bytes.byteOffset + start, length);
}
