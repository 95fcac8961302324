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
 */
import type { Socket } from 'node:net';
import { connectionErrorOf, ErrorCode, FrameError, HeadTooLargeError, StreamError } from './errors.ts';
import { BlockKind, contentLengthOf, FieldCollector, type HeaderFields, requestProblem, responseStatus } from './fields.ts';
import {
  CLIENT_PREFACE,
  DEFAULT_MAX_FRAME_SIZE,
  DEFAULT_WINDOW_BYTES,
  Flag,
  type FrameHandler,
  FrameReader,
  FrameType,
  goawayFrame,
  MAX_WINDOW_BYTES,
  rstStreamFrame,
  Setting,
  SETTINGS_ACK,
  settingsFrame,
  windowUpdateFrame,
} from './frames.ts';
import { DEFAULT_HEADER_TABLE_SIZE, encodeHeadTransient, HpackDecoder, lastHeadListBytes } from './hpack.ts';
import { dispatchFrame, type FrameTarget, HeaderBlockReader, type SettingsChange } from './inbound.ts';
import {
  DEFAULT_GLITCH_BURST,
  DEFAULT_GLITCH_REFILL_PER_SEC,
  DEFAULT_MAX_HEADER_BLOCK_BYTES,
  DEFAULT_MAX_HEADER_LIST_BYTES,
  DEFAULT_MAX_QUEUED_CONTROL_FRAMES,
  DEFAULT_PREFACE_TIMEOUT_MS,
  DEFAULT_SETTINGS_ACK_TIMEOUT_MS,
  DEFAULT_MAX_CONTINUATION_FRAMES,
  COALESCE_BUFFER_BYTES,
  COALESCE_DATA_BELOW_BYTES,
  type SessionLimits,
} from './limits.ts';
import { Outbound } from './outbound.ts';
import { GlitchBudget } from './peer-budget.ts';
import { H2Stream, type HeadOptions, type StreamOwner } from './stream.ts';
import { StreamIds } from './stream-ids.ts';
import { clock, type Sweepable, unwatch, watch } from './sweep.ts';

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

export class H2Session implements FrameHandler, FrameTarget, StreamOwner, Sweepable {
  private readonly reader: FrameReader;
  private readonly decoder: HpackDecoder;
  private readonly fields = new FieldCollector();
  private readonly streams = new Map<number, H2Stream>();
  private readonly ids: StreamIds;
  private state = State.Open;
  private readonly isServer: boolean;
  /** server role: the client preface still to be checked */
  private prefaceLeft: number;

  private readonly localMaxStreams: number;
  private readonly localStreamWindow: number;
  private readonly localSessionWindow: number;
  private readonly maxHeldBytes: number;
  private readonly glitches: GlitchBudget | null;
  private heldBytes = 0;

  // the peer's settings (§6.5.2 defaults until its SETTINGS arrive)
  remoteSettingsReceived = false;
  remoteMaxStreams = NO_LIMIT;
  private peerInitialWindow = DEFAULT_WINDOW_BYTES;
  private peerMaxFrameSize = DEFAULT_MAX_FRAME_SIZE;
  private peerMaxHeaderList = Number.POSITIVE_INFINITY;
  private connSendWindow = DEFAULT_WINDOW_BYTES;
  private settingsAcked = false;

  private connRecvWindow: number;
  private connRecvUnacked = 0;
  private blocked: H2Stream[] = [];
  private current: H2Stream | null = null;
  readonly blocks: HeaderBlockReader;
  /** server role: streams opened by the read being processed, handed to onStream at its end */
  private readonly arrived: H2Stream[] = [];

  // timeouts, on the sweep's coarse clock
  private readonly startedAt: number;
  private idleSince: number;
  private readonly timeouts: { preface: number; settingsAck: number; idle: number; stall: number };

  /** writing: frames gathered and written once per turn, drain waits, the reply backlog */
  private readonly out: Outbound;

  constructor(
    readonly socket: Socket,
    private readonly options: SessionOptions,
  ) {
    this.isServer = options.role === 'server';
    this.ids = new StreamIds(this.isServer);
    this.prefaceLeft = this.isServer ? CLIENT_PREFACE.length : 0;
    this.localMaxStreams = options.maxConcurrentStreams ?? NO_LIMIT;
    this.localStreamWindow = Math.min(options.streamWindowBytes ?? DEFAULT_WINDOW_BYTES, MAX_WINDOW_BYTES);
    this.localSessionWindow = Math.min(Math.max(options.sessionWindowBytes ?? DEFAULT_WINDOW_BYTES, DEFAULT_WINDOW_BYTES), MAX_WINDOW_BYTES);
    this.connRecvWindow = this.localSessionWindow;
    const maxHeaderList = options.maxHeaderListBytes ?? DEFAULT_MAX_HEADER_LIST_BYTES;
    this.decoder = new HpackDecoder(DEFAULT_HEADER_TABLE_SIZE, maxHeaderList);
    this.blocks = new HeaderBlockReader(
      (id, end, buf, start, stop, badPriority) => this.onHeaderBlock(id, end, buf, start, stop, badPriority),
      options.maxHeaderBlockBytes ?? DEFAULT_MAX_HEADER_BLOCK_BYTES,
      options.maxContinuationFrames ?? DEFAULT_MAX_CONTINUATION_FRAMES,
    );
    this.maxHeldBytes = options.maxHeldBytes ?? Number.POSITIVE_INFINITY;
    this.out = new Outbound(socket, options.maxQueuedControlFrames ?? DEFAULT_MAX_QUEUED_CONTROL_FRAMES, (err) => this.connectionError(connectionErrorOf(err)));
    const burst = options.glitchBurst ?? DEFAULT_GLITCH_BURST;
    this.glitches = Number.isFinite(burst) ? new GlitchBudget(burst, options.glitchRefillPerSec ?? DEFAULT_GLITCH_REFILL_PER_SEC) : null;
    this.reader = new FrameReader(this, DEFAULT_MAX_FRAME_SIZE, true);
    this.timeouts = {
      preface: options.prefaceTimeoutMs ?? DEFAULT_PREFACE_TIMEOUT_MS,
      settingsAck: options.settingsAckTimeoutMs ?? DEFAULT_SETTINGS_ACK_TIMEOUT_MS,
      idle: options.idleTimeoutMs ?? 0,
      stall: options.streamStallTimeoutMs ?? 0,
    };

    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onSocketData(chunk));
    socket.on('error', () => {}); // 'close' follows
    socket.on('close', () => this.die(new Error('the HTTP/2 connection closed')));

    watch(this);
    this.startedAt = clock.now;
    this.idleSince = clock.now;

    if (!this.isServer) this.out.append(CLIENT_PREFACE);
    const settings: [number, number][] = [[Setting.ENABLE_PUSH, 0]];
    if (this.localMaxStreams !== NO_LIMIT) settings.push([Setting.MAX_CONCURRENT_STREAMS, this.localMaxStreams]);
    if (this.localStreamWindow !== DEFAULT_WINDOW_BYTES) settings.push([Setting.INITIAL_WINDOW_SIZE, this.localStreamWindow]);
    if (Number.isFinite(maxHeaderList)) settings.push([Setting.MAX_HEADER_LIST_SIZE, Math.min(maxHeaderList, NO_LIMIT)]);
    if (options.enableConnectProtocol) settings.push([Setting.ENABLE_CONNECT_PROTOCOL, 1]);
    this.out.append(settingsFrame(settings));
    if (this.localSessionWindow > DEFAULT_WINDOW_BYTES) this.out.append(windowUpdateFrame(0, this.localSessionWindow - DEFAULT_WINDOW_BYTES));
    this.out.schedule();
    socket.resume();
  }

  /** Streams open now (counting against the limits). */
  get activeStreams(): number {
    return this.streams.size;
  }

  /** A client session takes new streams: the peer's SETTINGS are known and nobody said GOAWAY. */
  get usable(): boolean {
    return this.state === State.Open && this.remoteSettingsReceived && !this.ids.exhausted;
  }

  get closed(): boolean {
    return this.state === State.Closed;
  }

  /**
   * Client role: opens a stream with this head (pseudo-headers first, as given). Throws HeadTooLargeError
   * (nothing sent) for a head larger than the peer's SETTINGS_MAX_HEADER_LIST_SIZE.
   */
  request(pseudo: readonly (readonly [string, string])[], headers: HeaderFields, options: HeadOptions = {}): H2Stream {
    if (this.isServer) throw new Error('only a client session opens streams');
    if (this.state !== State.Open) throw new Error('the HTTP/2 session is closing');
    if (this.ids.exhausted) throw new Error('the HTTP/2 session has used up its stream ids');
    if (this.heldBytes > this.maxHeldBytes) throw new Error(`the HTTP/2 session holds ${this.heldBytes} unread bytes, over its memory limit`);
    const block = encodeHeadTransient(pseudo, headers, CONNECTION_SPECIFIC);
    if (lastHeadListBytes() > this.peerMaxHeaderList) throw new HeadTooLargeError(lastHeadListBytes(), this.peerMaxHeaderList);
    const s = new H2Stream(this, this.ids.takeLocal(), this.peerInitialWindow, this.localStreamWindow);
    this.streams.set(s.id, s);
    this.writeHead(s, block, options.endStream === true);
    return s;
  }

  /** GOAWAY (no new streams), then close once the open streams are done. */
  shutdown(): void {
    if (this.state !== State.Open) return;
    this.state = State.Closing;
    this.out.append(goawayFrame(this.ids.lastPeer, ErrorCode.NO_ERROR));
    this.closeIfIdle();
  }

  /** Ends the session at once: every open stream fails. */
  destroy(reason?: Error): void {
    if (this.state === State.Closed) return;
    if (!this.socket.destroyed) {
      this.out.append(goawayFrame(this.ids.lastPeer, reason ? ErrorCode.INTERNAL_ERROR : ErrorCode.NO_ERROR));
      this.out.flush();
    }
    this.die(reason ?? new Error('the HTTP/2 session was closed'));
    this.socket.destroySoon();
  }

  // ---- stream operations (called by H2Stream) ----------------------------------------------------------

  sendHead(s: H2Stream, pseudo: readonly (readonly [string, string])[], headers: HeaderFields, endStream: boolean): void {
    if (!s.open || s.localEnded || s.headSent) return;
    const block = encodeHeadTransient(pseudo, headers, CONNECTION_SPECIFIC);
    if (lastHeadListBytes() > this.peerMaxHeaderList) return this.failOwnHead(s);
    this.writeHead(s, block, endStream);
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
    if (!s.open) {
      cb();
      return;
    }
    s.localEnded = true;
    if (s.trailersOut !== null && Object.keys(s.trailersOut).length > 0) {
      const block = encodeHeadTransient(NO_PSEUDO, s.trailersOut, CONNECTION_SPECIFIC);
      if (lastHeadListBytes() > this.peerMaxHeaderList) {
        this.failOwnHead(s);
        cb();
        return;
      }
      this.out.frames.headerBlock(s.id, block, true, this.peerMaxFrameSize);
    } else {
      this.out.frames.frame(FrameType.DATA, Flag.END_STREAM, s.id, 0);
    }
    this.out.schedule();
    this.maybeClosed(s);
    cb();
  }

  readMore(s: H2Stream): void {
    if (s.smallLen > 0) this.pushSmall(s);
    else s.readWanted = true;
    if (!s.withheld) return;
    s.withheld = false;
    if (s.recvUnacked > 0 && s.open && !s.remoteEnded) this.giveBack(s);
  }

  reset(s: H2Stream, code: number): void {
    if (!s.open) return;
    s.rstCode = code;
    if (this.ids.isPeers(s.id)) this.ids.noteReset(s.id);
    this.out.append(rstStreamFrame(s.id, code));
    this.remove(s);
  }

  // ---- reading -----------------------------------------------------------------------------------------

  private onSocketData(chunk: Buffer): void {
    this.out.beginRead();
    try {
      if (this.prefaceLeft > 0) {
        const at = CLIENT_PREFACE.length - this.prefaceLeft;
        const n = Math.min(this.prefaceLeft, chunk.length);
        if (!chunk.subarray(0, n).equals(CLIENT_PREFACE.subarray(at, at + n))) throw new FrameError(ErrorCode.PROTOCOL_ERROR, 'not an HTTP/2 connection preface');
        this.prefaceLeft -= n;
        chunk = chunk.subarray(n);
      }
      if (chunk.length > 0) this.reader.push(chunk);
      if (this.arrived.length > 0) this.deliverArrived();
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

  onFrame(type: number, flags: number, streamId: number, buf: Buffer, start: number, end: number): void {
    dispatchFrame(this, type, flags, streamId, buf, start, end);
  }

  reply(frame: Uint8Array): void {
    this.out.reply(frame);
  }

  private onHeaderBlock(streamId: number, endStream: boolean, buf: Buffer, start: number, end: number, badPriority: boolean): void {
    const s = this.streams.get(streamId);
    const collector = this.fields;
    if (s === undefined) {
      if (this.isServer && this.ids.isPeers(streamId) && streamId > this.ids.lastPeer) {
        collector.begin(BlockKind.Request);
        this.decoder.decode(buf, start, end, collector.sink);
        return this.openPeerStream(streamId, endStream, badPriority);
      }
      // Decoded even for streams already gone: the dynamic table must follow the peer's encoder.
      this.decoder.decode(buf, start, end, null);
      if (!this.ids.isPeers(streamId)) {
        // §5.1.1, §8.4: a server never sees even ids from a client; a client only answers on its own streams
        if (this.isServer || this.ids.isIdle(streamId)) throw new FrameError(ErrorCode.PROTOCOL_ERROR, `HEADERS on stream ${streamId}, which the peer may not open`);
        return; // a response crossing this side's RST_STREAM
      }
      if (!this.isServer) throw new FrameError(ErrorCode.PROTOCOL_ERROR, `HEADERS on stream ${streamId}: push is disabled`);
      // §5.1.1: a new stream must have a higher id than every earlier one; late frames on a stream this
      // side reset are ignored (§5.4.2)
      if (this.ids.wasResetRecently(streamId)) return;
      throw new FrameError(ErrorCode.PROTOCOL_ERROR, `HEADERS on stream ${streamId}, not above the last stream ${this.ids.lastPeer}`);
    }
    const kind = this.isServer || s.headReceived ? BlockKind.Trailers : BlockKind.Response;
    collector.begin(kind);
    this.decoder.decode(buf, start, end, collector.sink);
    if (s.remoteEnded) return this.streamError(s, ErrorCode.STREAM_CLOSED, 'HEADERS after END_STREAM');
    if (this.decoder.overflowed) return this.streamError(s, ErrorCode.ENHANCE_YOUR_CALM, 'header list larger than SETTINGS_MAX_HEADER_LIST_SIZE');
    if (badPriority) return this.streamError(s, ErrorCode.PROTOCOL_ERROR, 'stream depends on itself (§5.3.1)');
    if (collector.problem !== null) return this.streamError(s, ErrorCode.PROTOCOL_ERROR, `malformed ${kind === BlockKind.Response ? 'response' : 'trailers'}: ${collector.problem}`);
    const fields = collector.fields;
    if (kind === BlockKind.Response) {
      const status = responseStatus(fields);
      if (status < 0) return this.streamError(s, ErrorCode.PROTOCOL_ERROR, 'response without a valid :status');
      if (status < 200) {
        if (endStream || status === 101) return this.streamError(s, ErrorCode.PROTOCOL_ERROR, `malformed informational response ${status}`);
        return; // informational; the final head follows
      }
      s.headReceived = true;
      s.emit('response', fields, endStream);
    } else {
      if (!endStream) return this.streamError(s, ErrorCode.PROTOCOL_ERROR, 'trailers without END_STREAM');
      if (s.bodyLeft > 0) return this.streamError(s, ErrorCode.PROTOCOL_ERROR, 'body shorter than its content-length');
      if (s.delivered) s.emit('trailers', fields);
      else s.pendingTrailers = fields;
    }
    if (endStream) this.remoteEnd(s);
  }

  /** Server role: a HEADERS frame opened stream `streamId`; its block is in the collector. */
  private openPeerStream(streamId: number, endStream: boolean, badPriority: boolean): void {
    this.ids.lastPeer = streamId;
    if (this.decoder.overflowed) return this.refuseHeadTooLarge(streamId, endStream);
    if (badPriority) return this.refuse(streamId, ErrorCode.PROTOCOL_ERROR);
    // §5.1.2 beyond the advertised limit; beyond the memory bound; after GOAWAY
    if (this.state !== State.Open || this.streams.size >= this.localMaxStreams) return this.refuse(streamId, ErrorCode.REFUSED_STREAM);
    if (this.heldBytes > this.maxHeldBytes) return this.refuse(streamId, ErrorCode.ENHANCE_YOUR_CALM);
    const fields = this.fields.fields;
    // §8.1.1: a malformed request is a stream error of type PROTOCOL_ERROR, never handed on
    const problem = this.fields.problem ?? requestProblem(fields, this.options.enableConnectProtocol === true);
    const contentLength = contentLengthOf(fields);
    if (problem !== null || Number.isNaN(contentLength) || (endStream && contentLength > 0)) return this.refuse(streamId, ErrorCode.PROTOCOL_ERROR);
    const s = new H2Stream(this, streamId, this.peerInitialWindow, this.localStreamWindow);
    this.streams.set(streamId, s);
    s.delivered = false;
    s.head = fields;
    s.headEnded = endStream;
    s.bodyLeft = contentLength;
    s.lastRecvAt = clock.now;
    if (endStream) {
      s.remoteEnded = true;
      s.push(null);
    }
    this.arrived.push(s);
  }

  /**
   * Hands the streams this read opened to the application — those the peer did not reset or break in
   * the same read: a stream cancelled before it was handed on is never forwarded anywhere (rapid reset).
   */
  private deliverArrived(): void {
    const arrived = this.arrived;
    for (let i = 0; i < arrived.length && this.state !== State.Closed; i++) {
      const s = arrived[i]!;
      if (!s.open) continue;
      const head = s.head!;
      s.head = null;
      s.delivered = true;
      this.options.onStream?.(s, head, s.headEnded);
      if (s.pendingTrailers !== null) {
        s.emit('trailers', s.pendingTrailers);
        s.pendingTrailers = null;
      }
    }
    arrived.length = 0;
  }

  onDataStart(streamId: number, frameBytes: number, endStream: boolean): void {
    this.blocks.checkData();
    this.current = null;
    // §6.9.1: the connection window, whatever the stream
    this.connRecvWindow -= frameBytes;
    if (this.connRecvWindow < 0) throw new FrameError(ErrorCode.FLOW_CONTROL_ERROR, 'DATA beyond the connection window');
    this.connRecvUnacked += frameBytes;
    if (this.connRecvUnacked >= this.localSessionWindow / 2) {
      this.out.append(windowUpdateFrame(0, this.connRecvUnacked));
      this.connRecvWindow += this.connRecvUnacked;
      this.connRecvUnacked = 0;
    }
    const s = this.streams.get(streamId);
    if (s === undefined) {
      if (this.ids.isIdle(streamId)) throw new FrameError(ErrorCode.PROTOCOL_ERROR, `DATA on idle stream ${streamId}`);
      return; // a closed stream (§5.4.2: it may have crossed our RST_STREAM)
    }
    if (frameBytes === 0 && !endStream) this.glitch(); // CVE-2019-9518: empty frames cost work and carry nothing
    if (s.remoteEnded) return this.streamError(s, ErrorCode.STREAM_CLOSED, 'DATA after END_STREAM');
    if (!this.isServer && !s.headReceived) return this.streamError(s, ErrorCode.PROTOCOL_ERROR, 'DATA before the response head');
    s.recvWindow -= frameBytes;
    if (s.recvWindow < 0) return this.streamError(s, ErrorCode.FLOW_CONTROL_ERROR, 'DATA beyond the stream window');
    s.recvUnacked += frameBytes;
    this.heldBytes += frameBytes;
    s.lastRecvAt = clock.now;
    this.current = s;
  }

  onDataBytes(buf: Buffer, start: number, end: number): void {
    const s = this.current;
    if (s === null) return;
    if (s.bodyLeft >= 0) {
      s.bodyLeft -= end - start;
      if (s.bodyLeft < 0) {
        this.current = null;
        return this.streamError(s, ErrorCode.PROTOCOL_ERROR, 'body longer than its content-length');
      }
    }
    const n = end - start;
    // A small payload for a reader that has data waiting already is gathered with others, not buffered
    // as a chunk of its own (a 1-byte DATA frame would otherwise cost ~100 bytes of heap).
    if (n < COALESCE_DATA_BELOW_BYTES && !s.readWanted && s.readableLength > 0) return this.holdSmall(s, buf, start, end);
    if (s.smallLen > 0) this.pushSmall(s);
    s.readWanted = false;
    if (!s.push(buf.subarray(start, end))) s.withheld = true;
  }

  private holdSmall(s: H2Stream, buf: Buffer, start: number, end: number): void {
    const n = end - start;
    if (s.small !== null && s.smallLen + n > s.small.length) this.pushSmall(s);
    if (s.small === null) s.small = Buffer.allocUnsafe(COALESCE_BUFFER_BYTES);
    buf.copy(s.small, s.smallLen, start, end);
    s.smallLen += n;
  }

  /** Hands the gathered small payloads to the reader as one chunk. */
  private pushSmall(s: H2Stream): void {
    const chunk = s.small!.subarray(0, s.smallLen);
    s.small = null; // the reader owns that memory now
    s.smallLen = 0;
    s.readWanted = false;
    if (!s.push(chunk)) s.withheld = true;
  }

  onDataEnd(endStream: boolean): void {
    const s = this.current;
    this.current = null;
    if (s === null || !s.open) return;
    if (endStream) {
      if (s.bodyLeft > 0) return this.streamError(s, ErrorCode.PROTOCOL_ERROR, 'body shorter than its content-length');
      return this.remoteEnd(s);
    }
    if (!s.withheld && s.recvUnacked >= this.localStreamWindow / 2) this.giveBack(s);
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
    if (change.initialWindowSize !== undefined) {
      const delta = change.initialWindowSize - this.peerInitialWindow; // §6.9.2: applies to every open stream
      this.peerInitialWindow = change.initialWindowSize;
      if (delta !== 0) {
        for (const s of this.streams.values()) {
          s.sendWindow += delta;
          if (s.sendWindow > MAX_WINDOW_BYTES) throw new FrameError(ErrorCode.FLOW_CONTROL_ERROR, `INITIAL_WINDOW_SIZE change pushes stream ${s.id}'s window past 2^31-1`);
        }
      }
    }
    if (change.maxFrameSize !== undefined) this.peerMaxFrameSize = change.maxFrameSize;
    if (change.maxHeaderListSize !== undefined) this.peerMaxHeaderList = change.maxHeaderListSize;
    this.out.reply(SETTINGS_ACK);
    this.remoteSettingsReceived = true;
    this.pumpBlocked();
    this.options.onRemoteSettings?.();
  }

  onWindowUpdate(streamId: number, increment: number): void {
    if (streamId === 0) {
      if (increment === 0) throw new FrameError(ErrorCode.PROTOCOL_ERROR, 'WINDOW_UPDATE of 0');
      this.connSendWindow += increment;
      if (this.connSendWindow > MAX_WINDOW_BYTES) throw new FrameError(ErrorCode.FLOW_CONTROL_ERROR, 'connection window overflow');
      this.pumpBlocked();
      return;
    }
    const s = this.streams.get(streamId);
    if (s === undefined) {
      if (this.ids.isIdle(streamId)) throw new FrameError(ErrorCode.PROTOCOL_ERROR, `WINDOW_UPDATE on idle stream ${streamId}`);
      return;
    }
    if (increment === 0) return this.streamError(s, ErrorCode.PROTOCOL_ERROR, 'WINDOW_UPDATE of 0');
    s.sendWindow += increment;
    if (s.sendWindow > MAX_WINDOW_BYTES) return this.streamError(s, ErrorCode.FLOW_CONTROL_ERROR, 'stream window overflow');
    if (s.blocked) this.pumpBlocked();
  }

  onRstStream(streamId: number, code: number): void {
    const s = this.streams.get(streamId);
    if (s === undefined) {
      if (this.ids.isIdle(streamId)) throw new FrameError(ErrorCode.PROTOCOL_ERROR, `RST_STREAM on idle stream ${streamId}`);
      return;
    }
    this.glitch(); // CVE-2023-44487: every reset counts against the budget
    s.rstCode = code;
    this.remove(s);
    if (code === ErrorCode.NO_ERROR && s.remoteEnded) {
      // §8.1: the peer's message is complete and it wants no more of ours — not a failure
      s.localEnded = true;
      this.completeWrite(s);
      return;
    }
    this.failStream(s, new StreamError(code, `the peer reset the stream (code ${code})`));
  }

  onGoaway(lastStreamId: number, code: number): void {
    if (this.state === State.Open) this.state = State.Closing;
    // §6.8: streams this side opened above the last id were never processed
    const dropped: H2Stream[] = [];
    for (const s of this.streams.values()) if (!this.ids.isPeers(s.id) && s.id > lastStreamId) dropped.push(s);
    for (const s of dropped) {
      this.remove(s);
      this.failStream(s, new StreamError(ErrorCode.REFUSED_STREAM, `the peer is going away (GOAWAY code ${code}) and did not process this stream`));
    }
    this.closeIfIdle();
  }

  onStreamError(streamId: number, code: number, message: string): void {
    const s = this.streams.get(streamId);
    if (s !== undefined) return this.streamError(s, code, message);
    this.refuse(streamId, code);
  }

  // ---- timeouts (src/h2/sweep.ts calls this about once a second) --------------------------------------

  sweep(now: number): void {
    if (this.state === State.Closed) return;
    try {
      const t = this.timeouts;
      if (!this.remoteSettingsReceived && t.preface > 0 && now - this.startedAt > t.preface) {
        return this.connectionError(new FrameError(ErrorCode.NO_ERROR, `no connection preface within ${t.preface} ms`));
      }
      if (!this.settingsAcked && t.settingsAck > 0 && now - this.startedAt > t.settingsAck) {
        return this.connectionError(new FrameError(ErrorCode.SETTINGS_TIMEOUT, `SETTINGS not acknowledged within ${t.settingsAck} ms`));
      }
      if (t.idle > 0 && this.streams.size === 0 && this.state === State.Open && now - this.idleSince > t.idle) return this.shutdown();
      if (t.stall > 0) this.sweepStalls(now, t.stall);
    } catch (err) {
      this.connectionError(connectionErrorOf(err));
    }
  }

  /** Resets the streams stalled on the peer for `stallMs`; ends a connection whose peer stopped reading. */
  private sweepStalls(now: number, stallMs: number): void {
    if (this.out.backedUp && now - this.out.backedUpSince > stallMs) {
      return this.connectionError(new FrameError(ErrorCode.ENHANCE_YOUR_CALM, `the peer read nothing for ${stallMs} ms`));
    }
    let stalled: H2Stream[] | null = null;
    for (const s of this.streams.values()) {
      const waitingForWindow = s.blocked && now - s.blockedSince > stallMs;
      // server role: a request body that stopped coming while nothing answers it yet (and we are not the
      // ones holding back the window)
      const waitingForBody = this.isServer && !s.remoteEnded && !s.headSent && !s.withheld && now - s.lastRecvAt > stallMs;
      if (waitingForWindow || waitingForBody) (stalled ??= []).push(s);
    }
    if (stalled === null) return;
    for (const s of stalled) {
      this.reset(s, ErrorCode.CANCEL);
      this.failStream(s, new StreamError(ErrorCode.CANCEL, `the stream stalled on the peer for ${stallMs} ms`));
    }
  }

  // ---- streams -----------------------------------------------------------------------------------------

  private writeHead(s: H2Stream, block: Buffer, endStream: boolean): void {
    s.headSent = true;
    this.out.frames.headerBlock(s.id, block, endStream, this.peerMaxFrameSize);
    this.out.schedule();
    if (endStream) {
      s.localEnded = true;
      s.end();
      this.maybeClosed(s);
    }
  }

  /** A head of ours the peer said it would not take: the stream fails instead (§10.5.1). */
  private failOwnHead(s: H2Stream): void {
    const err = new HeadTooLargeError(lastHeadListBytes(), this.peerMaxHeaderList);
    this.reset(s, ErrorCode.INTERNAL_ERROR);
    this.failStream(s, err);
  }

  private giveBack(s: H2Stream): void {
    this.out.append(windowUpdateFrame(s.id, s.recvUnacked));
    s.recvWindow += s.recvUnacked;
    this.heldBytes -= s.recvUnacked;
    s.recvUnacked = 0;
  }

  private remoteEnd(s: H2Stream): void {
    s.remoteEnded = true;
    if (s.smallLen > 0) this.pushSmall(s);
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
    if (this.streams.size === 0) this.idleSince = clock.now;
    this.options.onStreamClosed?.();
    if (this.state === State.Closing) this.closeIfIdle();
  }

  /**
   * Ends a stream with `err` — emitted only where someone listens: before delivery nobody does, and an
   * 'error' nobody hears would take the process down.
   */
  private failStream(s: H2Stream, err: Error): void {
    if (s.delivered && s.listenerCount('error') > 0) s.destroy(err);
    else s.destroy();
  }

  /** A stream error (§5.4.2) the peer caused: RST_STREAM, and it counts against the glitch budget. */
  private streamError(s: H2Stream, code: number, message: string): void {
    this.glitch();
    this.reset(s, code);
    this.out.noteReply();
    this.failStream(s, new StreamError(code, message));
  }

  /** Refuses a stream that was never opened here (RST_STREAM `code`), counting against the budget. */
  private refuse(streamId: number, code: number): void {
    if (this.ids.isPeers(streamId)) this.ids.noteReset(streamId);
    this.out.reply(rstStreamFrame(streamId, code));
    this.glitch();
  }

  /** §10.5.1 / RFC 6585: a request head past SETTINGS_MAX_HEADER_LIST_SIZE is answered 431, not decoded further. */
  private refuseHeadTooLarge(streamId: number, endStream: boolean): void {
    this.out.frames.headerBlock(streamId, encodeHeadTransient(STATUS_431, NO_FIELDS, CONNECTION_SPECIFIC), true, this.peerMaxFrameSize);
    this.out.noteReply();
    this.out.schedule();
    // §8.1: the response is complete; whatever body the client still sends is not wanted
    if (!endStream) this.refuse(streamId, ErrorCode.NO_ERROR);
    else {
      this.ids.noteReset(streamId);
      this.glitch();
    }
  }

  /** One glitch (src/h2/peer-budget.ts); an exhausted budget ends the connection with ENHANCE_YOUR_CALM. */
  private glitch(): void {
    if (this.glitches !== null && !this.glitches.spend()) {
      throw new FrameError(ErrorCode.ENHANCE_YOUR_CALM, 'too many resets, refused streams or empty frames (glitch budget exhausted)');
    }
  }

  private sendOut(s: H2Stream): void {
    const chunk = s.out;
    if (chunk === null) return;
    while (s.outOff < chunk.length) {
      const n = Math.min(chunk.length - s.outOff, s.sendWindow, this.connSendWindow, this.peerMaxFrameSize);
      if (n <= 0) {
        if (!s.blocked) {
          s.blocked = true;
          s.blockedSince = clock.now;
          this.blocked.push(s);
        }
        this.out.schedule(); // what fitted goes out now
        return;
      }
      this.out.frames.data(s.id, chunk.subarray(s.outOff, s.outOff + n), 0);
      s.outOff += n;
      s.sendWindow -= n;
      this.connSendWindow -= n;
    }
    this.out.schedule();
    this.completeWrite(s);
  }

  private completeWrite(s: H2Stream): void {
    const cb = s.outCb;
    s.out = null;
    s.outCb = null;
    if (cb !== null) this.out.afterDrain(cb);
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
      this.out.flush();
      this.socket.destroySoon();
    }
  }

  /** A connection error (§5.4.1): GOAWAY with its code, then the connection ends. */
  private connectionError(err: FrameError): void {
    if (this.state === State.Closed) return;
    this.out.append(goawayFrame(this.ids.lastPeer, err.errorCode));
    this.out.flush();
    this.die(err);
    this.socket.destroySoon();
  }

  private die(reason: Error): void {
    if (this.state === State.Closed) return;
    this.state = State.Closed;
    this.reader.halt();
    unwatch(this);
    const left = [...this.streams.values()];
    this.streams.clear();
    this.blocked = [];
    this.arrived.length = 0;
    for (const s of left) {
      s.open = false;
      this.failStream(s, new StreamError(ErrorCode.CANCEL, reason.message));
    }
    this.out.close();
    if (!this.socket.destroyed && this.socket.writableEnded === false) this.socket.destroySoon();
    try {
      this.options.onClose?.(reason instanceof FrameError ? reason : left.length > 0 ? reason : null);
    } catch (err) {
      // the connection is gone already; a failing owner must not take the process with it
      process.emitWarning(`an HTTP/2 session's onClose threw: ${String(err)}`);
    }
  }
}

const NO_PSEUDO: readonly (readonly [string, string])[] = [];
const NO_FIELDS: HeaderFields = {};
const STATUS_431: readonly (readonly [string, string])[] = [[':status', '431']];
/** §8.2.2: connection-specific fields never go into an HTTP/2 head. */
const CONNECTION_SPECIFIC = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'host', 'http2-settings']);
