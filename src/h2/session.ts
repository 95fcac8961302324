/**
 * One HTTP/2 connection (RFC 9113) over a socket that is already open, in either role, speaking raw
 * frames. The tunnel's edge and connector use it where node:http2 cost them most of their CPU: per
 * stream there is one Duplex (src/h2/stream.ts) and nothing else — no nghttp2 round trips, no async
 * resources, header blocks decoded straight into plain objects and encoded through lookup tables, frames
 * written once per event-loop turn.
 *
 * It assumes a hostile peer: every resource the peer can make it spend is bounded (src/h2/limits.ts),
 * violations get the error RFC 9113 names, and nothing the peer sends — nor a callback that throws — can
 * throw out of the socket's handlers: an unexpected failure ends that connection with INTERNAL_ERROR.
 *
 * This class is the connection's lifecycle and routes frames to its parts, one concept each: the open
 * streams and how they end (session-streams.ts), incoming heads (session-heads.ts), incoming bodies
 * (session-body.ts), what this side sends (session-sender.ts), the timeouts (session-timeouts.ts), and the
 * write side (outbound.ts).
 */
import type { Socket } from 'node:net';
import { connectionErrorOf, ErrorCode, FrameError } from './errors.ts';
import type { HeaderFields } from './fields.ts';
import {
  CLIENT_PREFACE,
  DEFAULT_MAX_FRAME_SIZE,
  DEFAULT_WINDOW_BYTES,
  type FrameHandler,
  FrameReader,
  goawayFrame,
  MAX_WINDOW_BYTES,
  Setting,
  SETTINGS_ACK,
  settingsFrame,
} from './frames.ts';
import { dispatchFrame, type FrameTarget, type HeaderBlockReader, type SettingsChange } from './inbound.ts';
import { DEFAULT_MAX_HEADER_LIST_BYTES, DEFAULT_MAX_QUEUED_CONTROL_FRAMES, type SessionLimits } from './limits.ts';
import { Outbound } from './outbound.ts';
import { BodyReceiver } from './session-body.ts';
import { HeadReceiver } from './session-heads.ts';
import { StreamSender } from './session-sender.ts';
import { StreamTable } from './session-streams.ts';
import { SessionTimeouts } from './session-timeouts.ts';
import { attachSocket, type SocketOwner } from './socket.ts';
import { H2Stream, type HeadOptions, type StreamOwner } from './stream.ts';
import { type Sweepable, unwatch, watch } from './sweep.ts';

export { StreamError } from './errors.ts';
export type { HeaderFields } from './fields.ts';
export { H2Stream, type HeadOptions } from './stream.ts';

export interface SessionOptions extends SessionLimits {
  role: 'client' | 'server';
  /** SETTINGS_INITIAL_WINDOW_SIZE: how much of each stream's body the peer may send ahead; default 65 535 */
  streamWindowBytes?: number;
  /** the connection-level receive window; default 65 535 */
  sessionWindowBytes?: number;
  /** RFC 8441 extended CONNECT (server role) */
  enableConnectProtocol?: boolean;
  /** server role: the peer opened a stream (handed over once the read that opened it is processed) */
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

const NO_LIMIT = 0xffffffff;

const enum State {
  Open,
  /** GOAWAY sent or received: no new streams */
  Closing,
  Closed,
}

export class H2Session implements FrameHandler, FrameTarget, StreamOwner, Sweepable, SocketOwner {
  // the connection's parts (src/h2/session-*.ts) share these; callers use the methods below the constructor
  readonly isServer: boolean;
  /** writing: frames gathered and written once per turn, drain waits, the reply backlog */
  readonly out: Outbound;
  readonly table: StreamTable;
  readonly heads: HeadReceiver;
  readonly body: BodyReceiver;
  readonly sender: StreamSender;
  readonly timeouts: SessionTimeouts;
  readonly blocks: HeaderBlockReader;
  readonly localMaxStreams: number;

  // the peer's settings (§6.5.2 defaults until its SETTINGS arrive; those that govern sending: the sender)
  remoteSettingsReceived = false;
  remoteMaxStreams = NO_LIMIT;
  settingsAcked = false;

  private state = State.Open;
  private readonly reader: FrameReader;
  /** server role: the client preface still to be checked */
  private prefaceLeft: number;

  constructor(
    readonly socket: Socket,
    readonly options: SessionOptions,
  ) {
    this.isServer = options.role === 'server';
    this.prefaceLeft = this.isServer ? CLIENT_PREFACE.length : 0;
    this.localMaxStreams = options.maxConcurrentStreams ?? NO_LIMIT;
    const streamWindow = Math.min(options.streamWindowBytes ?? DEFAULT_WINDOW_BYTES, MAX_WINDOW_BYTES);
    const sessionWindow = Math.min(Math.max(options.sessionWindowBytes ?? DEFAULT_WINDOW_BYTES, DEFAULT_WINDOW_BYTES), MAX_WINDOW_BYTES);
    const maxHeaderList = options.maxHeaderListBytes ?? DEFAULT_MAX_HEADER_LIST_BYTES;
    this.out = new Outbound(socket, options.maxQueuedControlFrames ?? DEFAULT_MAX_QUEUED_CONTROL_FRAMES, (err) => this.connectionError(connectionErrorOf(err)));
    this.table = new StreamTable(this, options);
    this.body = new BodyReceiver(this, this.table, sessionWindow, streamWindow, options.maxHeldBytes ?? Number.POSITIVE_INFINITY);
    this.heads = new HeadReceiver(this, this.table, options, maxHeaderList);
    this.blocks = this.heads.blocks;
    this.sender = new StreamSender(this, this.table, this.out);
    this.timeouts = new SessionTimeouts(this, this.table, options);
    this.reader = new FrameReader(this, DEFAULT_MAX_FRAME_SIZE, true);

    attachSocket(socket, this);
    watch(this);

    if (!this.isServer) this.out.append(CLIENT_PREFACE);
    const settings: [number, number][] = [[Setting.ENABLE_PUSH, 0]];
    if (this.localMaxStreams !== NO_LIMIT) settings.push([Setting.MAX_CONCURRENT_STREAMS, this.localMaxStreams]);
    if (streamWindow !== DEFAULT_WINDOW_BYTES) settings.push([Setting.INITIAL_WINDOW_SIZE, streamWindow]);
    if (Number.isFinite(maxHeaderList)) settings.push([Setting.MAX_HEADER_LIST_SIZE, Math.min(maxHeaderList, NO_LIMIT)]);
    if (options.enableConnectProtocol) settings.push([Setting.ENABLE_CONNECT_PROTOCOL, 1]);
    this.out.append(settingsFrame(settings));
    if (sessionWindow > DEFAULT_WINDOW_BYTES) this.out.windowUpdate(0, sessionWindow - DEFAULT_WINDOW_BYTES);
    this.out.schedule();
    socket.resume();
  }

  /** Streams open now (counting against the limits). */
  get activeStreams(): number {
    return this.table.size;
  }

  /** A client session takes new streams: the peer's SETTINGS are known and nobody said GOAWAY. */
  get usable(): boolean {
    return this.state === State.Open && this.remoteSettingsReceived && !this.table.ids.exhausted;
  }

  get closed(): boolean {
    return this.state === State.Closed;
  }

  /** Neither side said GOAWAY: new streams are welcome. */
  get isOpen(): boolean {
    return this.state === State.Open;
  }

  /** GOAWAY sent or received: the session closes once its streams are done. */
  get isClosing(): boolean {
    return this.state === State.Closing;
  }

  /**
   * Client role: opens a stream with this head (pseudo-headers first, as given). Throws HeadTooLargeError
   * (nothing sent) for a head larger than the peer's SETTINGS_MAX_HEADER_LIST_SIZE.
   */
  request(pseudo: readonly (readonly [string, string])[], headers: HeaderFields, options: HeadOptions = {}): H2Stream {
    if (this.isServer) throw new Error('only a client session opens streams');
    if (this.state !== State.Open) throw new Error('the HTTP/2 session is closing');
    if (this.table.ids.exhausted) throw new Error('the HTTP/2 session has used up its stream ids');
    if (this.body.overMemoryLimit) throw new Error(`the HTTP/2 session holds ${this.body.heldBytes} unread bytes, over its memory limit`);
    const block = this.sender.encodeRequestHead(pseudo, headers);
    const s = new H2Stream(this, this.table.ids.takeLocal(), this.sender.windows.streamInitialBytes, this.body.streamWindowBytes);
    this.table.add(s);
    this.sender.writeHead(s, block, options.endStream === true);
    return s;
  }

  /** GOAWAY (no new streams), then close once the open streams are done. */
  shutdown(): void {
    if (this.state !== State.Open) return;
    this.state = State.Closing;
    this.out.append(goawayFrame(this.table.ids.lastPeer, ErrorCode.NO_ERROR));
    this.closeIfIdle();
  }

  /** Ends the session at once: every open stream fails. */
  destroy(reason?: Error): void {
    if (this.state === State.Closed) return;
    if (!this.socket.destroyed) {
      this.out.append(goawayFrame(this.table.ids.lastPeer, reason ? ErrorCode.INTERNAL_ERROR : ErrorCode.NO_ERROR));
      this.out.flush();
    }
    this.die(reason ?? new Error('the HTTP/2 session was closed'));
    this.socket.destroySoon();
  }

  // ---- stream operations (called by H2Stream) ----------------------------------------------------------

  sendHead(s: H2Stream, pseudo: readonly (readonly [string, string])[], headers: HeaderFields, endStream: boolean): void {
    this.sender.sendHead(s, pseudo, headers, endStream);
  }

  writeData(s: H2Stream, chunk: Buffer, cb: (err?: Error | null) => void): void {
    this.sender.writeData(s, chunk, cb);
  }

  finish(s: H2Stream, cb: (err?: Error | null) => void): void {
    this.sender.finish(s, cb);
  }

  readMore(s: H2Stream): void {
    this.body.readMore(s);
  }

  reset(s: H2Stream, code: number): void {
    this.table.reset(s, code);
  }

  // ---- reading -----------------------------------------------------------------------------------------

  onSocketData(chunk: Buffer): void {
    this.out.beginRead();
    try {
      if (this.prefaceLeft > 0) {
        const at = CLIENT_PREFACE.length - this.prefaceLeft;
        const n = Math.min(this.prefaceLeft, chunk.length);
        if (!chunk.subarray(0, n).equals(CLIENT_PREFACE.subarray(at, at + n)))
          throw new FrameError(ErrorCode.PROTOCOL_ERROR, 'not an HTTP/2 connection preface');
        this.prefaceLeft -= n;
        chunk = chunk.subarray(n);
      }
      if (chunk.length > 0) this.reader.push(chunk);
      if (this.heads.anyArrived) this.heads.deliverArrived();
    } catch (err) {
      this.connectionError(connectionErrorOf(err));
    } finally {
      this.out.endRead();
    }
    if (this.state === State.Closed) return;
    this.out.flush();
    if (!this.out.checkBacklog()) {
      this.connectionError(new FrameError(ErrorCode.ENHANCE_YOUR_CALM, 'too many control frames queued for a peer that does not read'));
    }
  }

  onSocketClose(): void {
    this.die(new Error('the HTTP/2 connection closed'));
  }

  onFrame(type: number, flags: number, streamId: number, buf: Buffer, start: number, end: number): void {
    dispatchFrame(this, type, flags, streamId, buf, start, end);
  }

  reply(frame: Uint8Array): void {
    this.out.reply(frame);
  }

  onDataStart(streamId: number, frameBytes: number, endStream: boolean): void {
    this.body.onDataStart(streamId, frameBytes, endStream);
  }

  onDataBytes(buf: Buffer, start: number, end: number): void {
    this.body.onDataBytes(buf, start, end);
  }

  onDataEnd(endStream: boolean): void {
    this.body.onDataEnd(endStream);
  }

  onSettings(change: SettingsChange | null): void {
    if (change === null) {
      if (!this.settingsAcked) {
        this.settingsAcked = true;
        this.options.onSettingsAcked?.();
      }
      return;
    }
    if (change.enablePush === 1 && !this.isServer) throw new FrameError(ErrorCode.PROTOCOL_ERROR, 'a server may not set ENABLE_PUSH to 1');
    if (change.maxConcurrentStreams !== undefined) this.remoteMaxStreams = change.maxConcurrentStreams;
    this.sender.applySettings(change);
    this.out.reply(SETTINGS_ACK);
    this.remoteSettingsReceived = true;
    this.sender.pumpBlocked();
    this.options.onRemoteSettings?.();
  }

  onWindowUpdate(streamId: number, increment: number): void {
    this.sender.onWindowUpdate(streamId, increment);
  }

  onRstStream(streamId: number, code: number): void {
    this.table.onRstStream(streamId, code);
  }

  onGoaway(lastStreamId: number, code: number): void {
    if (this.state === State.Open) this.state = State.Closing;
    this.table.dropUnprocessed(lastStreamId, code);
    this.closeIfIdle();
  }

  onStreamError(streamId: number, code: number, message: string): void {
    this.table.onStreamError(streamId, code, message);
  }

  /** src/h2/sweep.ts calls this about once a second. */
  sweep(now: number): void {
    if (this.state === State.Closed) return;
    try {
      this.timeouts.check(now);
    } catch (err) {
      this.connectionError(connectionErrorOf(err));
    }
  }

  // ---- lifecycle ---------------------------------------------------------------------------------------

  closeIfIdle(): void {
    if (this.state === State.Closing && this.table.size === 0) {
      this.out.flush();
      this.socket.destroySoon();
    }
  }

  /** A connection error (§5.4.1): GOAWAY with its code, then the connection ends. */
  private connectionError(err: FrameError): void {
    if (this.state === State.Closed) return;
    this.out.append(goawayFrame(this.table.ids.lastPeer, err.errorCode));
    this.out.flush();
    this.die(err);
    this.socket.destroySoon();
  }

  private die(reason: Error): void {
    if (this.state === State.Closed) return;
    this.state = State.Closed;
    this.reader.halt();
    unwatch(this);
    this.sender.clear();
    this.heads.clear();
    const left = this.table.failAll(reason);
    this.out.close();
    if (!this.socket.destroyed && this.socket.writableEnded === false) this.socket.destroySoon();
    try {
      this.options.onClose?.(reason instanceof FrameError ? reason : left > 0 ? reason : null);
    } catch (err) {
      // the connection is gone already; a failing owner must not take the process with it
      process.emitWarning(`an HTTP/2 session's onClose threw: ${String(err)}`);
    }
  }
}
