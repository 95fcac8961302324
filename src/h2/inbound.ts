/**
 * What both kinds of raw HTTP/2 connection (the session, the load engine's client) read the same way:
 * the dispatch of non-DATA frames with the checks §6 makes on each, header blocks (HEADERS with its
 * padding and priority fields, then any CONTINUATION frames, §6.2 and §6.10) and the peer's SETTINGS
 * (§6.5), validated, as plain values the connection applies.
 */
import { ErrorCode, FrameError } from './errors.ts';
import { DEFAULT_MAX_FRAME_SIZE, Flag, FrameType, MAX_ALLOWED_FRAME_SIZE, MAX_WINDOW_BYTES, pingAckFrame, Setting } from './frames.ts';
import { DEFAULT_MAX_CONTINUATION_FRAMES } from './limits.ts';

export { connectionErrorOf } from './errors.ts';

/** A connection as the frame dispatch sees it. */
export interface FrameTarget {
  readonly blocks: HeaderBlockReader;
  /** a SETTINGS frame: `change` is null for an acknowledgement */
  onSettings(change: SettingsChange | null): void;
  onWindowUpdate(streamId: number, increment: number): void;
  onRstStream(streamId: number, code: number): void;
  onGoaway(lastStreamId: number, errorCode: number): void;
  /** a stream error (§5.4.2) the frame calls for, on a stream that may or may not be open */
  onStreamError(streamId: number, code: number, message: string): void;
  /** a frame to send back because the peer asked (a PING's ACK) */
  reply(frame: Uint8Array): void;
}

/** Routes one whole non-DATA frame; throws FrameError for what §6 makes a connection error. */
export function dispatchFrame(c: FrameTarget, type: number, flags: number, streamId: number, buf: Buffer, start: number, end: number): void {
  c.blocks.check(type, streamId);
  switch (type) {
    case FrameType.HEADERS:
      return c.blocks.headers(flags, streamId, buf, start, end);
    case FrameType.CONTINUATION:
      return c.blocks.continuation(flags, streamId, buf, start, end);
    case FrameType.SETTINGS:
      if (streamId !== 0) throw new FrameError(ErrorCode.PROTOCOL_ERROR, 'SETTINGS on a stream');
      return c.onSettings(readSettings(flags, buf, start, end));
    case FrameType.WINDOW_UPDATE:
      if (end - start !== 4) throw new FrameError(ErrorCode.FRAME_SIZE_ERROR, 'WINDOW_UPDATE length not 4');
      return c.onWindowUpdate(streamId, buf.readUInt32BE(start) & 0x7fffffff);
    case FrameType.RST_STREAM:
      if (streamId === 0) throw new FrameError(ErrorCode.PROTOCOL_ERROR, 'RST_STREAM on stream 0');
      if (end - start !== 4) throw new FrameError(ErrorCode.FRAME_SIZE_ERROR, 'RST_STREAM length not 4');
      return c.onRstStream(streamId, buf.readUInt32BE(start));
    case FrameType.PING:
      if (streamId !== 0) throw new FrameError(ErrorCode.PROTOCOL_ERROR, 'PING on a stream');
      if (end - start !== 8) throw new FrameError(ErrorCode.FRAME_SIZE_ERROR, 'PING length not 8');
      if (!(flags & Flag.ACK)) c.reply(pingAckFrame(buf.subarray(start, end)));
      return;
    case FrameType.GOAWAY:
      if (streamId !== 0) throw new FrameError(ErrorCode.PROTOCOL_ERROR, 'GOAWAY on a stream');
      if (end - start < 8) throw new FrameError(ErrorCode.FRAME_SIZE_ERROR, 'short GOAWAY');
      return c.onGoaway(buf.readUInt32BE(start) & 0x7fffffff, buf.readUInt32BE(start + 4));
    case FrameType.PRIORITY:
      // §6.3: priority itself is ignored (RFC 9113 deprecates the scheme), but its framing is checked
      if (streamId === 0) throw new FrameError(ErrorCode.PROTOCOL_ERROR, 'PRIORITY on stream 0');
      if (end - start !== 5) return c.onStreamError(streamId, ErrorCode.FRAME_SIZE_ERROR, 'PRIORITY length not 5');
      if ((buf.readUInt32BE(start) & 0x7fffffff) === streamId) return c.onStreamError(streamId, ErrorCode.PROTOCOL_ERROR, 'stream depends on itself (§5.3.1)');
      return;
    case FrameType.PUSH_PROMISE:
      // §8.4: push was disabled in our SETTINGS (and a client never receives one it may accept here)
      throw new FrameError(ErrorCode.PROTOCOL_ERROR, 'PUSH_PROMISE with push disabled');
    default:
      return; // unknown types are ignored (§5.5)
  }
}

/**
 * A complete header block: `badPriority` says the HEADERS frame made the stream depend on itself (a stream
 * error, §5.3.1, after the block has been decoded to keep HPACK in step).
 */
export type HeaderBlockHandler = (streamId: number, endStream: boolean, buf: Buffer, start: number, end: number, badPriority: boolean) => void;

/** Assembles header blocks and hands each one over whole. */
export class HeaderBlockReader {
  private streamId = 0;
  private endStream = false;
  private badPriority = false;
  private parts: Buffer[] = [];
  private bytes = 0;
  private continuations = 0;

  constructor(
    private readonly onBlock: HeaderBlockHandler,
    /** a larger block ends the connection with ENHANCE_YOUR_CALM */
    private readonly maxBlockBytes = Number.POSITIVE_INFINITY,
    /** more CONTINUATION frames in one block end the connection with ENHANCE_YOUR_CALM (nghttp2: 8) */
    private readonly maxContinuations = DEFAULT_MAX_CONTINUATION_FRAMES,
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

  /** A header block is being assembled (its CONTINUATION frames have not all come). */
  get pending(): boolean {
    return this.streamId !== 0;
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
    let badPriority = false;
    if (flags & Flag.PRIORITY) {
      // measured against the frame, not what the padding leaves: a frame that holds its fields but whose
      // padding is too long is a PROTOCOL_ERROR (§6.2), not a FRAME_SIZE_ERROR
      if (p + 5 > end) throw new FrameError(ErrorCode.FRAME_SIZE_ERROR, 'HEADERS too short for its priority fields');
      badPriority = (buf.readUInt32BE(p) & 0x7fffffff) === streamId;
      p += 5;
    }
    if (p > e) throw new FrameError(ErrorCode.PROTOCOL_ERROR, 'HEADERS padding longer than the rest of the frame');
    const endStream = (flags & Flag.END_STREAM) !== 0;
    if (flags & Flag.END_HEADERS) {
      this.limit(e - p);
      this.onBlock(streamId, endStream, buf, p, e, badPriority);
      return;
    }
    this.streamId = streamId;
    this.endStream = endStream;
    this.badPriority = badPriority;
    this.bytes = e - p;
    this.continuations = 0;
    this.limit(this.bytes);
    this.parts = [Buffer.from(buf.subarray(p, e))]; // the view would not outlive the socket's buffer
  }

  continuation(flags: number, streamId: number, buf: Buffer, start: number, end: number): void {
    if (this.streamId === 0 || streamId !== this.streamId) throw new FrameError(ErrorCode.PROTOCOL_ERROR, 'unexpected CONTINUATION');
    if (++this.continuations > this.maxContinuations) {
      throw new FrameError(ErrorCode.ENHANCE_YOUR_CALM, `more than ${this.maxContinuations} CONTINUATION frames in one header block`);
    }
    this.bytes += end - start;
    this.limit(this.bytes);
    if (end > start) this.parts.push(Buffer.from(buf.subarray(start, end)));
    if (!(flags & Flag.END_HEADERS)) return;
    const block = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts);
    this.parts = [];
    this.streamId = 0;
    this.onBlock(streamId, this.endStream, block, 0, block.length, this.badPriority);
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
  maxHeaderListSize?: number;
  enablePush?: number;
}

const NO_CHANGE: SettingsChange = Object.freeze({});

/** Reads a SETTINGS payload, refusing what §6.5 forbids; null for an acknowledgement. */
export function readSettings(flags: number, buf: Buffer, start: number, end: number): SettingsChange | null {
  if (flags & Flag.ACK) {
    if (end !== start) throw new FrameError(ErrorCode.FRAME_SIZE_ERROR, 'SETTINGS ACK with a payload');
    return null;
  }
  if ((end - start) % 6 !== 0) throw new FrameError(ErrorCode.FRAME_SIZE_ERROR, 'SETTINGS length not a multiple of 6');
  if (end === start) return NO_CHANGE;
  const change: SettingsChange = {};
  for (let p = start; p < end; p += 6) {
    const id = buf.readUInt16BE(p);
    const value = buf.readUInt32BE(p + 2);
    switch (id) {
      case Setting.ENABLE_PUSH:
        if (value > 1) throw new FrameError(ErrorCode.PROTOCOL_ERROR, `ENABLE_PUSH ${value} (only 0 or 1)`);
        change.enablePush = value;
        break;
      case Setting.MAX_CONCURRENT_STREAMS:
        change.maxConcurrentStreams = value;
        break;
      case Setting.INITIAL_WINDOW_SIZE:
        if (value > MAX_WINDOW_BYTES) throw new FrameError(ErrorCode.FLOW_CONTROL_ERROR, 'INITIAL_WINDOW_SIZE too large');
        change.initialWindowSize = value;
        break;
      case Setting.MAX_FRAME_SIZE:
        if (value < DEFAULT_MAX_FRAME_SIZE || value > MAX_ALLOWED_FRAME_SIZE)
          throw new FrameError(ErrorCode.PROTOCOL_ERROR, `MAX_FRAME_SIZE ${value} out of range`);
        change.maxFrameSize = value;
        break;
      case Setting.MAX_HEADER_LIST_SIZE:
        change.maxHeaderListSize = value;
        break;
      case Setting.ENABLE_CONNECT_PROTOCOL:
        // RFC 8441 §3
        if (value > 1) throw new FrameError(ErrorCode.PROTOCOL_ERROR, `ENABLE_CONNECT_PROTOCOL ${value} (only 0 or 1)`);
        break;
      default:
        // HEADER_TABLE_SIZE needs nothing (our blocks never index); unknown ids are ignored (§6.5.2)
        break;
    }
  }
  return change;
}
