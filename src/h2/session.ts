/**
 * One HTTP/2 connection (RFC 9113) over a socket that is already open, in either role, speaking raw
 * frames. The tunnel's edge and connector use it where node:http2 cost them most of their CPU: per
 * stream there is one Duplex and nothing else — no nghttp2 round trips, no async resources, header
 * blocks decoded straight into plain objects and encoded through lookup tables, frames written once per
 * event-loop turn.
 *
 * Streams are node Duplexes: readable = the peer's body (backpressure holds back WINDOW_UPDATEs, so a
 * slow reader stalls only its own stream), writable = this side's body (written as the peer's windows
 * allow; `endWithTrailers` ends it with a trailing HEADERS). Heads and trailers arrive as events:
 * 'response' (client role), 'trailers' (both).
 */
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import {
  CLIENT_PREFACE,
  DEFAULT_MAX_FRAME_SIZE,
  DEFAULT_WINDOW_BYTES,
  ErrorCode,
  Flag,
  FrameError,
  type FrameHandler,
  FrameReader,
  FrameType,
  goawayFrame,
  MAX_STREAM_ID,
  MAX_WINDOW_BYTES,
  rstStreamFrame,
  Setting,
  SETTINGS_ACK,
  settingsFrame,
  windowUpdateFrame,
} from './frames.ts';
import { FrameWriter } from './frame-writer.ts';
import { connectionErrorOf, dispatchFrame, HeaderBlockReader, readSettings } from './inbound.ts';
import { encodeHeadTransient, HpackDecoder } from './hpack.ts';

/** A decoded header block: lower-case names, pseudo-headers included, repeated names as arrays. */
export type HeaderFields = Record<string, string | string[]>;

export interface SessionOptions {
  role: 'client' | 'server';
  /** SETTINGS_MAX_CONCURRENT_STREAMS this side advertises (streams the peer may open); default unlimited */
  maxConcurrentStreams?: number;
  /** SETTINGS_INITIAL_WINDOW_SIZE: how much of each stream's body the peer may send ahead; default 65 535 */
  streamWindowBytes?: number;
  /** the connection-level receive window; default 65 535 */
  sessionWindowBytes?: number;
  /** RFC 8441 extended CONNECT (server role) */
  enableConnectProtocol?: boolean;
  /**
   * Body bytes received on open streams and not yet given back to the peer (unread, or read but below
   * the WINDOW_UPDATE threshold) beyond which new streams are refused with ENHANCE_YOUR_CALM — the
   * session's memory bound, like node:http2's maxSessionMemory. Default unlimited (the windows bound it).
   */
  maxHeldBytes?: number;
  /** A header block larger than this ends the connection (ENHANCE_YOUR_CALM); default 64 KiB. */
  maxHeaderBlockBytes?: number;
  /** server role: the peer opened a stream */
  onStream?: (stream: H2Stream, headers: HeaderFields, endStream: boolean) => void;
  /** the peer's SETTINGS arrived (every time; the first one makes a client session usable) */
  onRemoteSettings?: () => void;
  /** the peer acknowledged this side's first SETTINGS */
  onSettingsAcked?: () => void;
  /** a stream left the open states: a slot under the peer's limit is free again */
  onStreamClosed?: () => void;
  /** the session ended; `reason` is null for a clean close */
  onClose?: (reason: Error | null) => void;
}

export interface HeadOptions {
  /** nothing follows the head: END_STREAM on its HEADERS frame */
  endStream?: boolean;
}

/** Why a stream ended early: the peer's RST_STREAM code, or a session-level cause. */
export class StreamError extends Error {
  override readonly name = 'StreamError';
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

const DEFAULT_MAX_HEADER_BLOCK_BYTES = 64 * 1024;
const NO_LIMIT = 0xffffffff;

export class H2Stream extends Duplex {
  /** END_STREAM sent (or this side will send nothing more) */
  localEnded = false;
  /** END_STREAM received */
  remoteEnded = false;
  /** still in the session's map: counts against the concurrency limit */
  open = true;
  /** RST_STREAM code, when the stream was reset (by either side) */
  rstCode: number | null = null;
  /** server role: the response head went out; client role: the response head arrived */
  headSent = false;
  headReceived = false;
  sendWindow: number;
  recvWindow: number;
  recvUnacked = 0;
  /** the reader fell behind: WINDOW_UPDATEs wait for _read */
  withheld = false;
  /** the body chunk being written and how far, with its callback */
  out: Buffer | null = null;
  outOff = 0;
  outCb: ((err?: Error | null) => void) | null = null;
  blocked = false;
  trailersOut: HeaderFields | null = null;
  finalCb: ((err?: Error | null) => void) | null = null;

  constructor(
    readonly session: H2Session,
    readonly id: number,
    sendWindow: number,
    recvWindow: number,
  ) {
    super();
    this.sendWindow = sendWindow;
    this.recvWindow = recvWindow;
  }

  /** Server role: sends the response head (`:status` plus fields). */
  respond(status: number, headers: HeaderFields, options: HeadOptions = {}): void {
    this.session.sendHead(this, [[':status', String(status)]], headers, options.endStream === true);
  }

  /** Ends the body with a trailing HEADERS frame (gRPC status lives there). */
  endWithTrailers(trailers: HeaderFields): void {
    this.trailersOut = trailers;
    this.end();
  }

  /** Resets the stream (RST_STREAM with `code`) unless it is already closed. */
  close(code: number = ErrorCode.CANCEL): void {
    this.session.reset(this, code);
    this.destroy();
  }

  override _read(): void {
    this.session.readMore(this);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.session.writeData(this, chunk, cb);
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.session.finish(this, cb);
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    if (this.open) this.session.reset(this, err ? ErrorCode.INTERNAL_ERROR : ErrorCode.CANCEL);
    cb(err);
  }
}

const enum State {
  Open,
  /** GOAWAY sent or received: no new streams */
  Closing,
  Closed,
}

export class H2Session implements FrameHandler {
  private readonly reader: FrameReader;
  private readonly decoder = new HpackDecoder();
  private readonly streams = new Map<number, H2Stream>();
  private state = State.Open;
  private readonly isServer: boolean;
  private nextStreamId: number;
  private lastPeerStreamId = 0;
  /** server role: the client preface still to be checked */
  private prefaceLeft: number;

  private readonly localMaxStreams: number;
  private readonly localStreamWindow: number;
  private readonly localSessionWindow: number;
  private readonly maxHeldBytes: number;
  private heldBytes = 0;

  // the peer's settings (§6.5.2 defaults until its SETTINGS arrive)
  remoteSettingsReceived = false;
  remoteMaxStreams = NO_LIMIT;
  private peerInitialWindow = DEFAULT_WINDOW_BYTES;
  private peerMaxFrameSize = DEFAULT_MAX_FRAME_SIZE;
  private connSendWindow = DEFAULT_WINDOW_BYTES;
  private settingsAcked = false;

  private connRecvUnacked = 0;
  private blocked: H2Stream[] = [];
  private current: H2Stream | null = null;
  readonly blocks: HeaderBlockReader;

  // writing: frames are gathered and written once per turn
  private readonly out = new FrameWriter();
  private reading = false;
  private flushScheduled = false;
  private needDrain = false;
  private drainWaiters: (() => void)[] = [];
  private readonly flushTick = (): void => {
    this.flushScheduled = false;
    this.flush();
  };

  constructor(
    readonly socket: Socket,
    private readonly options: SessionOptions,
  ) {
    this.isServer = options.role === 'server';
    this.nextStreamId = this.isServer ? 2 : 1;
    this.prefaceLeft = this.isServer ? CLIENT_PREFACE.length : 0;
    this.localMaxStreams = options.maxConcurrentStreams ?? NO_LIMIT;
    this.localStreamWindow = Math.min(options.streamWindowBytes ?? DEFAULT_WINDOW_BYTES, MAX_WINDOW_BYTES);
    this.localSessionWindow = Math.min(Math.max(options.sessionWindowBytes ?? DEFAULT_WINDOW_BYTES, DEFAULT_WINDOW_BYTES), MAX_WINDOW_BYTES);
    this.blocks = new HeaderBlockReader((id, end, buf, start, stop) => this.onHeaderBlock(id, end, buf, start, stop), options.maxHeaderBlockBytes ?? DEFAULT_MAX_HEADER_BLOCK_BYTES);
    this.maxHeldBytes = options.maxHeldBytes ?? Number.POSITIVE_INFINITY;
    this.reader = new FrameReader(this, DEFAULT_MAX_FRAME_SIZE);

    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onSocketData(chunk));
    socket.on('drain', () => this.onDrain());
    socket.on('error', () => {}); // 'close' follows
    socket.on('close', () => this.die(new Error('the HTTP/2 connection closed')));

    if (!this.isServer) this.append(CLIENT_PREFACE);
    const settings: [number, number][] = [[Setting.ENABLE_PUSH, 0]];
    if (this.localMaxStreams !== NO_LIMIT) settings.push([Setting.MAX_CONCURRENT_STREAMS, this.localMaxStreams]);
    if (this.localStreamWindow !== DEFAULT_WINDOW_BYTES) settings.push([Setting.INITIAL_WINDOW_SIZE, this.localStreamWindow]);
    if (options.enableConnectProtocol) settings.push([Setting.ENABLE_CONNECT_PROTOCOL, 1]);
    this.append(settingsFrame(settings));
    if (this.localSessionWindow > DEFAULT_WINDOW_BYTES) this.append(windowUpdateFrame(0, this.localSessionWindow - DEFAULT_WINDOW_BYTES));
    this.scheduleFlush();
    socket.resume();
  }

  /** Streams open now (counting against the limits). */
  get activeStreams(): number {
    return this.streams.size;
  }

  /** A client session takes new streams: the peer's SETTINGS are known and nobody said GOAWAY. */
  get usable(): boolean {
    return this.state === State.Open && this.remoteSettingsReceived && this.nextStreamId <= MAX_STREAM_ID;
  }

  get closed(): boolean {
    return this.state === State.Closed;
  }

  /** Client role: opens a stream with this head (pseudo-headers first, as given). */
  request(pseudo: readonly (readonly [string, string])[], headers: HeaderFields, options: HeadOptions = {}): H2Stream {
    if (this.isServer) throw new Error('only a client session opens streams');
    if (this.state !== State.Open) throw new Error('the HTTP/2 session is closing');
    if (this.nextStreamId > MAX_STREAM_ID) throw new Error('the HTTP/2 session has used up its stream ids');
    if (this.heldBytes > this.maxHeldBytes) throw new Error(`the HTTP/2 session holds ${this.heldBytes} unread bytes, over its memory limit`);
    const s = new H2Stream(this, this.nextStreamId, this.peerInitialWindow, this.localStreamWindow);
    this.nextStreamId += 2;
    this.streams.set(s.id, s);
    this.sendHead(s, pseudo, headers, options.endStream === true);
    return s;
  }

  /** GOAWAY (no new streams), then close once the open streams are done. */
  shutdown(): void {
    if (this.state !== State.Open) return;
    this.state = State.Closing;
    this.append(goawayFrame(this.lastPeerStreamId, ErrorCode.NO_ERROR));
    this.closeIfIdle();
  }

  /** Ends the session at once: every open stream fails. */
  destroy(reason?: Error): void {
    if (this.state === State.Closed) return;
    if (!this.socket.destroyed) {
      this.append(goawayFrame(this.lastPeerStreamId, reason ? ErrorCode.INTERNAL_ERROR : ErrorCode.NO_ERROR));
      this.flush();
    }
    this.die(reason ?? new Error('the HTTP/2 session was closed'));
    this.socket.destroySoon();
  }

  // ---- stream operations (called by H2Stream) ----------------------------------------------------------

  sendHead(s: H2Stream, pseudo: readonly (readonly [string, string])[], headers: HeaderFields, endStream: boolean): void {
    if (!s.open || s.localEnded || s.headSent) return;
    s.headSent = true;
    this.out.headerBlock(s.id, encodeHeadTransient(pseudo, headers, CONNECTION_SPECIFIC), endStream, this.peerMaxFrameSize);
    this.scheduleFlush();
    if (endStream) {
      s.localEnded = true;
      s.end();
      this.maybeClosed(s);
    }
  }

  writeData(s: H2Stream, chunk: Buffer, cb: (err?: Error | null) => void): void {
    if (s.localEnded || !s.open) {
      // the peer reset the stream or ended it (§8.1: a complete response may cut the request body short)
      cb();
      return;
    }
    if (this.isServer && !s.headSent) {
      cb(new Error('a response body was written before its head'));
      return;
    }
    s.out = chunk;
    s.outOff = 0;
    s.outCb = cb;
    this.sendOut(s);
  }

  finish(s: H2Stream, cb: (err?: Error | null) => void): void {
    if (s.localEnded || !s.open) {
      cb();
      return;
    }
    if (this.isServer && !s.headSent) s.respond(200, {});
    s.localEnded = true;
    if (s.trailersOut !== null && Object.keys(s.trailersOut).length > 0) {
      this.out.headerBlock(s.id, encodeHeadTransient(NO_PSEUDO, s.trailersOut, CONNECTION_SPECIFIC), true, this.peerMaxFrameSize);
    } else {
      this.out.frame(FrameType.DATA, Flag.END_STREAM, s.id, 0);
    }
    this.scheduleFlush();
    this.maybeClosed(s);
    cb();
  }

  readMore(s: H2Stream): void {
    if (!s.withheld) return;
    s.withheld = false;
    if (s.recvUnacked > 0 && s.open && !s.remoteEnded) this.giveBack(s);
  }

  reset(s: H2Stream, code: number): void {
    if (!s.open) return;
    s.rstCode = code;
    this.append(rstStreamFrame(s.id, code));
    this.remove(s);
  }

  // ---- reading -----------------------------------------------------------------------------------------

  private onSocketData(chunk: Buffer): void {
    this.reading = true;
    try {
      if (this.prefaceLeft > 0) {
        const at = CLIENT_PREFACE.length - this.prefaceLeft;
        const n = Math.min(this.prefaceLeft, chunk.length);
        if (!chunk.subarray(0, n).equals(CLIENT_PREFACE.subarray(at, at + n))) throw new FrameError(ErrorCode.PROTOCOL_ERROR, 'not an HTTP/2 connection preface');
        this.prefaceLeft -= n;
        chunk = chunk.subarray(n);
      }
      if (chunk.length > 0) this.reader.push(chunk);
    } catch (err) {
      const failure = connectionErrorOf(err);
      if (failure === null) throw err;
      this.connectionError(...failure);
    } finally {
      this.reading = false;
    }
    this.flush();
  }

  onFrame(type: number, flags: number, streamId: number, buf: Buffer, start: number, end: number): void {
    dispatchFrame(this, type, flags, streamId, buf, start, end);
  }

  reply(frame: Uint8Array): void {
    this.append(frame);
  }


  private onHeaderBlock(streamId: number, endStream: boolean, buf: Buffer, start: number, end: number): void {
    // Decoded even for streams already gone: the dynamic table must follow the peer's encoder.
    const fields: HeaderFields = {};
    this.decoder.decode(buf, start, end, (name, value) => addField(fields, name, value));
    const s = this.streams.get(streamId);
    if (s === undefined) {
      if (this.isServer && (streamId & 1) === 1 && streamId > this.lastPeerStreamId) return this.openPeerStream(streamId, fields, endStream);
      if (streamId > this.lastPeerStreamId && (streamId & 1) === (this.isServer ? 1 : 0)) {
        throw new FrameError(ErrorCode.PROTOCOL_ERROR, `HEADERS opening stream ${streamId}, which this side may not accept`);
      }
      return; // a stream this side reset or finished: ignore
    }
    if (s.remoteEnded) return this.streamError(s, ErrorCode.STREAM_CLOSED, 'HEADERS after END_STREAM');
    if (!this.isServer && !s.headReceived) {
      const status = Number(fields[':status']);
      if (!(status >= 100 && status <= 999)) return this.streamError(s, ErrorCode.PROTOCOL_ERROR, 'response without a valid :status');
      if (status < 200 && !endStream) return; // informational; the final head follows
      s.headReceived = true;
      s.emit('response', fields, endStream);
    } else {
      if (!endStream) return this.streamError(s, ErrorCode.PROTOCOL_ERROR, 'trailers without END_STREAM');
      s.emit('trailers', fields);
    }
    if (endStream) this.remoteEnd(s);
  }

  private openPeerStream(streamId: number, fields: HeaderFields, endStream: boolean): void {
    this.lastPeerStreamId = streamId;
    if (this.state !== State.Open) {
      this.append(rstStreamFrame(streamId, ErrorCode.REFUSED_STREAM));
      return;
    }
    if (this.streams.size >= this.localMaxStreams) {
      // §5.1.2: beyond the advertised limit
      this.append(rstStreamFrame(streamId, ErrorCode.REFUSED_STREAM));
      return;
    }
    if (this.heldBytes > this.maxHeldBytes) {
      this.append(rstStreamFrame(streamId, ErrorCode.ENHANCE_YOUR_CALM));
      return;
    }
    const method = fields[':method'];
    const valid =
      typeof method === 'string' &&
      (method === 'CONNECT'
        ? typeof fields[':authority'] === 'string' && (fields[':protocol'] === undefined || (typeof fields[':path'] === 'string' && this.options.enableConnectProtocol === true))
        : typeof fields[':path'] === 'string' && typeof fields[':scheme'] === 'string');
    if (!valid) {
      this.append(rstStreamFrame(streamId, ErrorCode.PROTOCOL_ERROR));
      return;
    }
    const s = new H2Stream(this, streamId, this.peerInitialWindow, this.localStreamWindow);
    this.streams.set(streamId, s);
    if (endStream) {
      s.remoteEnded = true;
      s.push(null);
    }
    this.options.onStream?.(s, fields, endStream);
  }

  onDataStart(streamId: number, frameBytes: number, _endStream: boolean): void {
    this.blocks.checkData();
    this.connRecvUnacked += frameBytes;
    if (this.connRecvUnacked >= this.localSessionWindow / 2) {
      this.append(windowUpdateFrame(0, this.connRecvUnacked));
      this.connRecvUnacked = 0;
    }
    const s = this.streams.get(streamId);
    this.current = null;
    if (s === undefined) return;
    if (s.remoteEnded) return this.streamError(s, ErrorCode.STREAM_CLOSED, 'DATA after END_STREAM');
    if (this.isServer ? false : !s.headReceived) return this.streamError(s, ErrorCode.PROTOCOL_ERROR, 'DATA before the response head');
    s.recvWindow -= frameBytes;
    if (s.recvWindow < 0) return this.streamError(s, ErrorCode.FLOW_CONTROL_ERROR, 'DATA beyond the stream window');
    s.recvUnacked += frameBytes;
    this.heldBytes += frameBytes;
    this.current = s;
  }

  onDataBytes(buf: Buffer, start: number, end: number): void {
    const s = this.current;
    if (s === null) return;
    if (!s.push(buf.subarray(start, end))) s.withheld = true;
  }

  onDataEnd(endStream: boolean): void {
    const s = this.current;
    this.current = null;
    if (s === null || !s.open) return;
    if (endStream) return this.remoteEnd(s);
    if (!s.withheld && s.recvUnacked >= this.localStreamWindow / 2) this.giveBack(s);
  }

  onSettings(flags: number, streamId: number, buf: Buffer, start: number, end: number): void {
    if (streamId !== 0) throw new FrameError(ErrorCode.PROTOCOL_ERROR, 'SETTINGS on a stream');
    if (flags & Flag.ACK) {
      if (!this.settingsAcked) {
        this.settingsAcked = true;
        this.options.onSettingsAcked?.();
      }
      return;
    }
    const change = readSettings(buf, start, end);
    if (change.maxConcurrentStreams !== undefined) this.remoteMaxStreams = change.maxConcurrentStreams;
    if (change.initialWindowSize !== undefined) {
      const delta = change.initialWindowSize - this.peerInitialWindow; // §6.9.2: applies to every open stream
      this.peerInitialWindow = change.initialWindowSize;
      if (delta !== 0) for (const s of this.streams.values()) s.sendWindow += delta;
    }
    if (change.maxFrameSize !== undefined) this.peerMaxFrameSize = change.maxFrameSize;
    this.append(SETTINGS_ACK);
    this.remoteSettingsReceived = true;
    this.pumpBlocked();
    this.options.onRemoteSettings?.();
  }

  onWindowUpdate(streamId: number, buf: Buffer, start: number, end: number): void {
    if (end - start !== 4) throw new FrameError(ErrorCode.FRAME_SIZE_ERROR, 'WINDOW_UPDATE length not 4');
    const increment = buf.readUInt32BE(start) & 0x7fffffff;
    if (streamId === 0) {
      if (increment === 0) throw new FrameError(ErrorCode.PROTOCOL_ERROR, 'WINDOW_UPDATE of 0');
      this.connSendWindow += increment;
      if (this.connSendWindow > MAX_WINDOW_BYTES) throw new FrameError(ErrorCode.FLOW_CONTROL_ERROR, 'connection window overflow');
      this.pumpBlocked();
      return;
    }
    const s = this.streams.get(streamId);
    if (s === undefined) return;
    if (increment === 0) return this.streamError(s, ErrorCode.PROTOCOL_ERROR, 'WINDOW_UPDATE of 0');
    s.sendWindow += increment;
    if (s.sendWindow > MAX_WINDOW_BYTES) return this.streamError(s, ErrorCode.FLOW_CONTROL_ERROR, 'stream window overflow');
    if (s.blocked) this.pumpBlocked();
  }

  onRstStream(streamId: number, buf: Buffer, start: number, end: number): void {
    if (end - start !== 4) throw new FrameError(ErrorCode.FRAME_SIZE_ERROR, 'RST_STREAM length not 4');
    const s = this.streams.get(streamId);
    if (s === undefined) return;
    const code = buf.readUInt32BE(start);
    s.rstCode = code;
    this.remove(s);
    if (code === ErrorCode.NO_ERROR && s.remoteEnded) {
      // §8.1: the peer's message is complete and it wants no more of ours — not a failure
      s.localEnded = true;
      this.completeWrite(s);
      return;
    }
    s.destroy(new StreamError(code, `the peer reset the stream (code ${code})`));
  }

  onGoaway(lastStreamId: number, code: number): void {
    if (this.state === State.Open) this.state = State.Closing;
    // §6.8: streams this side opened above the last id were never processed
    const dropped: H2Stream[] = [];
    for (const s of this.streams.values()) if ((s.id & 1) === (this.isServer ? 0 : 1) && s.id > lastStreamId) dropped.push(s);
    for (const s of dropped) {
      this.remove(s);
      s.destroy(new StreamError(ErrorCode.REFUSED_STREAM, `the peer is going away (GOAWAY code ${code}) and did not process this stream`));
    }
    this.closeIfIdle();
  }

  // ---- streams -----------------------------------------------------------------------------------------

  private giveBack(s: H2Stream): void {
    this.append(windowUpdateFrame(s.id, s.recvUnacked));
    s.recvWindow += s.recvUnacked;
    this.heldBytes -= s.recvUnacked;
    s.recvUnacked = 0;
  }

  private remoteEnd(s: H2Stream): void {
    s.remoteEnded = true;
    s.push(null);
    this.maybeClosed(s);
  }

  private maybeClosed(s: H2Stream): void {
    if (s.open && s.localEnded && s.remoteEnded) this.remove(s);
  }

  private remove(s: H2Stream): void {
    if (!s.open) return;
    s.open = false;
    this.streams.delete(s.id);
    this.heldBytes -= s.recvUnacked;
    s.recvUnacked = 0;
    this.options.onStreamClosed?.();
    if (this.state === State.Closing) this.closeIfIdle();
  }

  private streamError(s: H2Stream, code: number, message: string): void {
    this.reset(s, code);
    s.destroy(new StreamError(code, message));
  }

  private sendOut(s: H2Stream): void {
    const chunk = s.out;
    if (chunk === null) return;
    while (s.outOff < chunk.length) {
      const n = Math.min(chunk.length - s.outOff, s.sendWindow, this.connSendWindow, this.peerMaxFrameSize);
      if (n <= 0) {
        if (!s.blocked) {
          s.blocked = true;
          this.blocked.push(s);
        }
        this.scheduleFlush(); // what fitted goes out now
        return;
      }
      this.out.data(s.id, chunk.subarray(s.outOff, s.outOff + n), 0);
      s.outOff += n;
      s.sendWindow -= n;
      this.connSendWindow -= n;
    }
    this.scheduleFlush();
    this.completeWrite(s);
  }

  private completeWrite(s: H2Stream): void {
    const cb = s.outCb;
    s.out = null;
    s.outCb = null;
    if (cb === null) return;
    if (this.needDrain) this.drainWaiters.push(cb);
    else cb();
  }

  private pumpBlocked(): void {
    if (this.blocked.length === 0) return;
    const waiting = this.blocked;
    this.blocked = [];
    for (const s of waiting) {
      s.blocked = false;
      if (!s.open || s.localEnded) continue;
      this.sendOut(s);
    }
  }

  // ---- lifecycle ---------------------------------------------------------------------------------------

  private closeIfIdle(): void {
    if (this.state === State.Closing && this.streams.size === 0) {
      this.flush();
      this.socket.end();
    }
  }

  private connectionError(code: number, message: string): void {
    this.append(goawayFrame(this.lastPeerStreamId, code));
    this.flush();
    this.die(new FrameError(code, message));
    this.socket.destroySoon();
  }

  private die(reason: Error): void {
    if (this.state === State.Closed) return;
    this.state = State.Closed;
    this.reader.halt();
    const left = [...this.streams.values()];
    this.streams.clear();
    this.blocked = [];
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const s of left) {
      s.open = false;
      s.destroy(new StreamError(ErrorCode.CANCEL, reason.message));
    }
    for (const w of waiters) w();
    if (!this.socket.destroyed && this.socket.writableEnded === false) this.socket.destroySoon();
    this.options.onClose?.(reason instanceof FrameError ? reason : left.length > 0 ? reason : null);
  }

  // ---- writing -----------------------------------------------------------------------------------------

  private append(frame: Uint8Array): void {
    this.out.append(frame);
    this.scheduleFlush();
  }

  /**
   * Frames written outside this session's own reads go out once the event loop has run every I/O callback
   * of this turn (setImmediate, not nextTick): replies produced by a hundred origin sockets' reads then
   * share one write instead of costing a syscall each.
   */
  private scheduleFlush(): void {
    if (this.reading || this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(this.flushTick);
  }

  private flush(): void {
    if (!this.out.flushTo(this.socket)) this.needDrain = true;
  }

  private onDrain(): void {
    this.needDrain = false;
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w();
  }
}

function addField(fields: HeaderFields, name: string, value: string): void {
  const prev = fields[name];
  if (prev === undefined) fields[name] = value;
  else if (name === 'cookie') fields[name] = `${String(prev)}; ${value}`; // §8.2.3
  else if (Array.isArray(prev)) prev.push(value);
  else fields[name] = [prev, value];
}

const NO_PSEUDO: readonly (readonly [string, string])[] = [];
/** §8.2.2: connection-specific fields never go into an HTTP/2 head. */
const CONNECTION_SPECIFIC = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'host', 'http2-settings']);
