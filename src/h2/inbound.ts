/**
 * What both kinds of raw HTTP/2 connection (the session, the load engine's client) read the same way:
 * the dispatch of non-DATA frames, header blocks (HEADERS with its padding and priority fields, then any
 * CONTINUATION frames, §6.2 and §6.10) and the peer's SETTINGS (§6.5), validated, as plain values the
 * connection applies.
 */
import { DEFAULT_MAX_FRAME_SIZE, ErrorCode, Flag, FrameError, FrameType, MAX_ALLOWED_FRAME_SIZE, MAX_WINDOW_BYTES, pingAckFrame, Setting } from './frames.ts';
import { HpackError } from './hpack.ts';

/**
 * The connection error (§5.4.1) a failure while reading frames calls for: [error code, reason], or null
 * when `err` is not a protocol failure at all (a bug, to be rethrown).
 */
export function connectionErrorOf(err: unknown): [number, string] | null {
  if (err instanceof FrameError) return [err.errorCode, err.message];
  if (err instanceof HpackError) return [ErrorCode.COMPRESSION_ERROR, err.message];
  return null;
}

/** A connection as the frame dispatch sees it. */
export interface FrameTarget {
  readonly blocks: HeaderBlockReader;
  onSettings(flags: number, streamId: number, buf: Buffer, start: number, end: number): void;
  onWindowUpdate(streamId: number, buf: Buffer, start: number, end: number): void;
  onRstStream(streamId: number, buf: Buffer, start: number, end: number): void;
  onGoaway(lastStreamId: number, errorCode: number): void;
  /** a frame to send back (a PING's ACK) */
  reply(frame: Uint8Array): void;
}

/** Routes one whole non-DATA frame; throws FrameError for what §6 forbids. */
export function dispatchFrame(c: FrameTarget, type: number, flags: number, streamId: number, buf: Buffer, start: number, end: number): void {
  c.blocks.check(type, streamId);
  switch (type) {
    case FrameType.HEADERS:
      return c.blocks.headers(flags, streamId, buf, start, end);
    case FrameType.CONTINUATION:
      return c.blocks.continuation(flags, streamId, buf, start, end);
    case FrameType.SETTINGS:
      return c.onSettings(flags, streamId, buf, start, end);
    case FrameType.WINDOW_UPDATE:
      return c.onWindowUpdate(streamId, buf, start, end);
    case FrameType.RST_STREAM:
      return c.onRstStream(streamId, buf, start, end);
    case FrameType.PING:
      if (end - start !== 8 || streamId !== 0) throw new FrameError(ErrorCode.FRAME_SIZE_ERROR, 'bad PING');
      if (!(flags & Flag.ACK)) c.reply(pingAckFrame(buf.subarray(start, end)));
      return;
    case FrameType.GOAWAY:
      if (end - start < 8) throw new FrameError(ErrorCode.FRAME_SIZE_ERROR, 'short GOAWAY');
      return c.onGoaway(buf.readUInt32BE(start) & 0x7fffffff, buf.readUInt32BE(start + 4));
    case FrameType.PUSH_PROMISE:
      // §8.4: push was disabled in our SETTINGS
      throw new FrameError(ErrorCode.PROTOCOL_ERROR, 'PUSH_PROMISE with push disabled');
    default:
      return; // PRIORITY and unknown types (§5.5) are ignored
  }
}

export type HeaderBlockHandler = (streamId: number, endStream: boolean, buf: Buffer, start: number, end: number) => void;

/** Assembles header blocks and hands each one over whole. */
export class HeaderBlockReader {
  private streamId = 0;
  private endStream = false;
  private parts: Buffer[] = [];
  private bytes = 0;

  constructor(
    private readonly onBlock: HeaderBlockHandler,
    /** a larger block ends the connection with ENHANCE_YOUR_CALM */
    private readonly maxBlockBytes = Number.POSITIVE_INFINITY,
  ) {}

  /** Throws unless a frame of `type` may come now: inside a block only its CONTINUATION frames may. */
  check(type: number, streamId: number): void {
    if (this.streamId !== 0 && (type !== FrameType.CONTINUATION || streamId !== this.streamId)) {
      throw new FrameError(ErrorCode.PROTOCOL_ERROR, 'expected CONTINUATION');
    }
  }

  /** A DATA frame arrived: legal only outside a header block. */
  checkData(): void {
    if (this.streamId !== 0) throw new FrameError(ErrorCode.PROTOCOL_ERROR, 'expected CONTINUATION');
  }

  headers(flags: number, streamId: number, buf: Buffer, start: number, end: number): void {
    if (streamId === 0) throw new FrameError(ErrorCode.PROTOCOL_ERROR, 'HEADERS on stream 0');
    let p = start;
    let e = end;
    if (flags & Flag.PADDED) {
      if (p >= e) throw new FrameError(ErrorCode.FRAME_SIZE_ERROR, 'padded HEADERS without pad length');
      e -= buf[p]!;
      p++;
    }
    if (flags & Flag.PRIORITY) p += 5;
    if (p > e) throw new FrameError(ErrorCode.PROTOCOL_ERROR, 'HEADERS padding/priority longer than the frame');
    const endStream = (flags & Flag.END_STREAM) !== 0;
    if (flags & Flag.END_HEADERS) {
      this.limit(e - p);
      this.onBlock(streamId, endStream, buf, p, e);
      return;
    }
    this.streamId = streamId;
    this.endStream = endStream;
    this.bytes = e - p;
    this.limit(this.bytes);
    this.parts = [Buffer.from(buf.subarray(p, e))]; // the view would not outlive the socket's buffer
  }

  continuation(flags: number, streamId: number, buf: Buffer, start: number, end: number): void {
    if (this.streamId === 0 || streamId !== this.streamId) throw new FrameError(ErrorCode.PROTOCOL_ERROR, 'unexpected CONTINUATION');
    this.bytes += end - start;
    this.limit(this.bytes);
    this.parts.push(Buffer.from(buf.subarray(start, end)));
    if (!(flags & Flag.END_HEADERS)) return;
    const block = Buffer.concat(this.parts);
    this.parts = [];
    this.streamId = 0;
    this.onBlock(streamId, this.endStream, block, 0, block.length);
  }

  private limit(bytes: number): void {
    if (bytes > this.maxBlockBytes) throw new FrameError(ErrorCode.ENHANCE_YOUR_CALM, `header block larger than ${this.maxBlockBytes} bytes`);
  }
}

/** The settings a SETTINGS frame changed (the last value of each wins); absent = unchanged. */
export interface SettingsChange {
  maxConcurrentStreams?: number;
  initialWindowSize?: number;
  maxFrameSize?: number;
}

/** Reads a SETTINGS payload (not an ACK), refusing values §6.5.2 forbids. */
export function readSettings(buf: Buffer, start: number, end: number): SettingsChange {
  if ((end - start) % 6 !== 0) throw new FrameError(ErrorCode.FRAME_SIZE_ERROR, 'SETTINGS length not a multiple of 6');
  const change: SettingsChange = {};
  for (let p = start; p < end; p += 6) {
    const id = buf.readUInt16BE(p);
    const value = buf.readUInt32BE(p + 2);
    switch (id) {
      case Setting.MAX_CONCURRENT_STREAMS:
        change.maxConcurrentStreams = value;
        break;
      case Setting.INITIAL_WINDOW_SIZE:
        if (value > MAX_WINDOW_BYTES) throw new FrameError(ErrorCode.FLOW_CONTROL_ERROR, 'INITIAL_WINDOW_SIZE too large');
        change.initialWindowSize = value;
        break;
      case Setting.MAX_FRAME_SIZE:
        if (value < DEFAULT_MAX_FRAME_SIZE || value > MAX_ALLOWED_FRAME_SIZE) throw new FrameError(ErrorCode.PROTOCOL_ERROR, `MAX_FRAME_SIZE ${value} out of range`);
        change.maxFrameSize = value;
        break;
      default:
        // HEADER_TABLE_SIZE needs nothing (our blocks never index), ENABLE_PUSH and MAX_HEADER_LIST_SIZE
        // neither; unknown ids are ignored (§6.5.2)
        break;
    }
  }
  return change;
}
