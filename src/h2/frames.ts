/**
 * HTTP/2 framing (RFC 9113 §4, §6): constants, the few frames a client writes, and an incremental frame
 * reader. The reader hands DATA payloads over piece by piece as they arrive (a large response is never
 * reassembled), and every other frame whole, as a view into the received bytes — no payload copies except
 * where a frame straddles two socket reads.
 */
import { ErrorCode, FrameError } from './errors.ts';

/** §3.4: the client connection preface. */
export const CLIENT_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

export const FRAME_HEADER_BYTES = 9;

export const FrameType = {
  DATA: 0x0,
  HEADERS: 0x1,
  PRIORITY: 0x2,
  RST_STREAM: 0x3,
  SETTINGS: 0x4,
  PUSH_PROMISE: 0x5,
  PING: 0x6,
  GOAWAY: 0x7,
  WINDOW_UPDATE: 0x8,
  CONTINUATION: 0x9,
} as const;

export const Flag = {
  END_STREAM: 0x1,
  ACK: 0x1,
  END_HEADERS: 0x4,
  PADDED: 0x8,
  PRIORITY: 0x20,
} as const;

export const Setting = {
  HEADER_TABLE_SIZE: 0x1,
  ENABLE_PUSH: 0x2,
  MAX_CONCURRENT_STREAMS: 0x3,
  INITIAL_WINDOW_SIZE: 0x4,
  MAX_FRAME_SIZE: 0x5,
  MAX_HEADER_LIST_SIZE: 0x6,
  /** RFC 8441 §3 */
  ENABLE_CONNECT_PROTOCOL: 0x8,
} as const;

export { ErrorCode, FrameError } from './errors.ts';

/** §6.5.2: SETTINGS_MAX_FRAME_SIZE starts at 2^14 and may not be set below it. */
export const DEFAULT_MAX_FRAME_SIZE = 16_384;
export const MAX_ALLOWED_FRAME_SIZE = 16_777_215;
/** §6.9.2: every window starts at 65 535 octets. */
export const DEFAULT_WINDOW_BYTES = 65_535;
/** §6.9.1: a window may never exceed 2^31 - 1. */
export const MAX_WINDOW_BYTES = 2 ** 31 - 1;
/** §5.1.1: stream identifiers are 31-bit. */
export const MAX_STREAM_ID = 2 ** 31 - 1;

export function writeFrameHeader(out: Uint8Array, at: number, length: number, type: number, flags: number, streamId: number): void {
  out[at] = length >>> 16;
  out[at + 1] = (length >>> 8) & 0xff;
  out[at + 2] = length & 0xff;
  out[at + 3] = type;
  out[at + 4] = flags;
  out[at + 5] = (streamId >>> 24) & 0x7f;
  out[at + 6] = (streamId >>> 16) & 0xff;
  out[at + 7] = (streamId >>> 8) & 0xff;
  out[at + 8] = streamId & 0xff;
}

export function settingsFrame(entries: readonly (readonly [number, number])[]): Buffer {
  const out = Buffer.alloc(FRAME_HEADER_BYTES + 6 * entries.length);
  writeFrameHeader(out, 0, 6 * entries.length, FrameType.SETTINGS, 0, 0);
  entries.forEach(([id, value], i) => {
    out.writeUInt16BE(id, FRAME_HEADER_BYTES + 6 * i);
    out.writeUInt32BE(value, FRAME_HEADER_BYTES + 6 * i + 2);
  });
  return out;
}

export const SETTINGS_ACK = (() => {
  const out = Buffer.alloc(FRAME_HEADER_BYTES);
  writeFrameHeader(out, 0, 0, FrameType.SETTINGS, Flag.ACK, 0);
  return out;
})();

export function windowUpdateFrame(streamId: number, increment: number): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + 4);
  writeFrameHeader(out, 0, 4, FrameType.WINDOW_UPDATE, 0, streamId);
  out.writeUInt32BE(increment & 0x7fffffff, FRAME_HEADER_BYTES);
  return out;
}

export function rstStreamFrame(streamId: number, errorCode: number): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + 4);
  writeFrameHeader(out, 0, 4, FrameType.RST_STREAM, 0, streamId);
  out.writeUInt32BE(errorCode, FRAME_HEADER_BYTES);
  return out;
}

export function pingAckFrame(payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + 8);
  writeFrameHeader(out, 0, 8, FrameType.PING, Flag.ACK, 0);
  out.set(payload.subarray(0, 8), FRAME_HEADER_BYTES);
  return out;
}

export function goawayFrame(lastStreamId: number, errorCode: number): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + 8);
  writeFrameHeader(out, 0, 8, FrameType.GOAWAY, 0, 0);
  out.writeUInt32BE(lastStreamId & 0x7fffffff, FRAME_HEADER_BYTES);
  out.writeUInt32BE(errorCode, FRAME_HEADER_BYTES + 4);
  return out;
}

/** What the reader calls; the connection implements it (one monomorphic call site per event). */
export interface FrameHandler {
  /** A whole non-DATA frame; its payload is `buf[start, end)` (valid only during the call). */
  onFrame(type: number, flags: number, streamId: number, buf: Buffer, start: number, end: number): void;
  /**
   * A DATA frame begins. `frameBytes` is its whole payload length, padding included (flow control counts
   * it); `endStream` says whether it carries END_STREAM (reported again by onDataEnd).
   */
  onDataStart(streamId: number, frameBytes: number, endStream: boolean): void;
  /** Body bytes of the current DATA frame (padding excluded); the view stays valid after the call. */
  onDataBytes(buf: Buffer, start: number, end: number): void;
  /** The current DATA frame is complete. */
  onDataEnd(endStream: boolean): void;
}

/**
 * Incremental reader: `push(chunk)` for every socket read. Throws FrameError on malformed framing. A frame
 * that straddles reads is gathered into one buffer of its final size (never re-concatenated per read), and
 * nothing larger than SETTINGS_MAX_FRAME_SIZE is ever buffered.
 */
export class FrameReader {
  /** The first bytes of a frame header (or of a padded DATA frame's header) from earlier reads. */
  private stash: Buffer | null = null;
  /** A non-DATA frame whose header is known, being filled by later reads. */
  private frameBuf: Buffer | null = null;
  private frameFill = 0;
  /** Inside a DATA frame: body bytes still to come, then padding bytes to skip. */
  private dataLeft = 0;
  private padLeft = 0;
  private inData = false;
  private dataEndStream = false;
  private halted = false;
  /** §3.4: the first frame must be a SETTINGS frame (the connection preface); checked until it came */
  private awaitingSettings: boolean;

  constructor(
    private readonly handler: FrameHandler,
    /** SETTINGS_MAX_FRAME_SIZE this side advertised: larger frames are a FRAME_SIZE_ERROR (§4.2). */
    private readonly maxFrameSize = DEFAULT_MAX_FRAME_SIZE,
    /** refuse (PROTOCOL_ERROR) a first frame that is not SETTINGS — the peer's preface (§3.4) */
    settingsFirst = false,
  ) {
    this.awaitingSettings = settingsFirst;
  }

  push(chunk: Buffer): void {
    let buf = chunk;
    let p = 0;
    const h = this.handler;
    if (this.frameBuf !== null) {
      const fb = this.frameBuf;
      const n = Math.min(fb.length - this.frameFill, chunk.length);
      chunk.copy(fb, this.frameFill, 0, n);
      this.frameFill += n;
      if (this.frameFill < fb.length) return;
      this.frameBuf = null;
      p = n;
      const streamId = ((fb[5]! & 0x7f) << 24) | (fb[6]! << 16) | (fb[7]! << 8) | fb[8]!;
      h.onFrame(fb[3]!, fb[4]!, streamId, fb, FRAME_HEADER_BYTES, fb.length);
    } else if (this.stash !== null) {
      buf = Buffer.concat([this.stash, chunk]);
      this.stash = null;
    }
    const end = buf.length;
    while (p < end && !this.halted) {
      if (this.inData) {
        if (this.dataLeft > 0) {
          const n = Math.min(this.dataLeft, end - p);
          h.onDataBytes(buf, p, p + n);
          this.dataLeft -= n;
          p += n;
        }
        if (this.dataLeft === 0 && this.padLeft > 0) {
          const n = Math.min(this.padLeft, end - p);
          this.padLeft -= n;
          p += n;
        }
        if (this.dataLeft === 0 && this.padLeft === 0) {
          this.inData = false;
          h.onDataEnd(this.dataEndStream);
        }
        continue;
      }
      if (end - p < FRAME_HEADER_BYTES) break;
      const length = (buf[p]! << 16) | (buf[p + 1]! << 8) | buf[p + 2]!;
      const type = buf[p + 3]!;
      const flags = buf[p + 4]!;
      const streamId = ((buf[p + 5]! & 0x7f) << 24) | (buf[p + 6]! << 16) | (buf[p + 7]! << 8) | buf[p + 8]!;
      if (length > this.maxFrameSize) {
        throw new FrameError(ErrorCode.FRAME_SIZE_ERROR, `frame of ${length} octets exceeds SETTINGS_MAX_FRAME_SIZE ${this.maxFrameSize}`);
      }
      if (this.awaitingSettings) {
        if (type !== FrameType.SETTINGS || (flags & Flag.ACK) !== 0)
          throw new FrameError(ErrorCode.PROTOCOL_ERROR, `the connection preface is not a SETTINGS frame (frame type ${type})`);
        this.awaitingSettings = false;
      }
      if (type === 0x0 /* DATA */) {
        let pad = 0;
        let head = FRAME_HEADER_BYTES;
        if (flags & Flag.PADDED) {
          if (length < 1) throw new FrameError(ErrorCode.FRAME_SIZE_ERROR, 'padded DATA frame without a pad length');
          if (end - p < FRAME_HEADER_BYTES + 1) break;
          pad = buf[p + FRAME_HEADER_BYTES]!;
          head++;
          if (pad >= length) throw new FrameError(ErrorCode.PROTOCOL_ERROR, `DATA padding of ${pad} octets in a ${length}-octet frame`);
        }
        if (streamId === 0) throw new FrameError(ErrorCode.PROTOCOL_ERROR, 'DATA frame on stream 0');
        this.dataEndStream = (flags & Flag.END_STREAM) !== 0;
        h.onDataStart(streamId, length, this.dataEndStream);
        p += head;
        this.inData = true;
        this.dataLeft = length - (head - FRAME_HEADER_BYTES) - pad;
        this.padLeft = pad;
        if (this.dataLeft === 0 && pad === 0) {
          this.inData = false;
          h.onDataEnd(this.dataEndStream);
        }
        continue;
      }
      if (end - p < FRAME_HEADER_BYTES + length) {
        // the rest of this frame comes in later reads: gather it once, at its final size
        const fb = Buffer.allocUnsafe(FRAME_HEADER_BYTES + length);
        buf.copy(fb, 0, p, end);
        this.frameBuf = fb;
        this.frameFill = end - p;
        p = end;
        break;
      }
      h.onFrame(type, flags, streamId, buf, p + FRAME_HEADER_BYTES, p + FRAME_HEADER_BYTES + length);
      p += FRAME_HEADER_BYTES + length;
    }
    if (p < end && !this.halted) this.stash = buf.subarray(p);
  }

  /** Stops reading for good (the connection is gone); the rest of the current chunk is dropped. */
  halt(): void {
    this.halted = true;
    this.stash = null;
    this.frameBuf = null;
  }
}
