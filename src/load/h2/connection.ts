/**
 * One h2c (prior knowledge) client connection over a node:net socket, speaking raw frames: it opens streams
 * for the pool that owns it, sends the same pre-encoded request on each, and settles each stream once with
 * the request's error kind (null = as expected).
 *
 * Speed comes from doing little per request: the request's header block is encoded once; outgoing frames
 * are appended to a shared slab and written once per event-loop turn; incoming frames are parsed in place;
 * responses are judged without building header objects; small responses never cost a WINDOW_UPDATE.
 */
import { connect, type Socket } from 'node:net';
import { bodyMatches } from '../expect.ts';
import type { Expectation } from '../types.ts';
import { BlockedStreams } from '../../h2/blocked.ts';
import { connectionErrorOf } from '../../h2/errors.ts';
import { ReceiveWindow, refreshDue, SendWindows, WINDOW_OK } from '../../h2/flow.ts';
import {
  CLIENT_PREFACE,
  DEFAULT_MAX_FRAME_SIZE,
  DEFAULT_WINDOW_BYTES,
  ErrorCode,
  Flag,
  FrameError,
  type FrameHandler,
  FrameReader,
  goawayFrame,
  MAX_STREAM_ID,
  MAX_WINDOW_BYTES,
  Setting,
  SETTINGS_ACK,
  settingsFrame,
} from '../../h2/frames.ts';
import { dispatchFrame, type FrameTarget, HeaderBlockReader, type SettingsChange } from '../../h2/inbound.ts';
import { HpackDecoder } from '../../h2/hpack.ts';
import { attachSocket, type SocketOwner } from '../../h2/socket.ts';
import { FlushTurn, WriteScheduler } from '../../h2/write-scheduler.ts';

export type Done = (errorKind: string | null, bytesIn: number) => void;

/** Everything about the request that is the same for every stream, prepared once by the requester. */
export interface RequestTemplate {
  host: string;
  port: number;
  /** the request's HPACK block (never touches the peer's dynamic table) */
  headerBlock: Buffer;
  /** the same block behind a dynamic table size update to 0, for a connection's first request */
  firstHeaderBlock: Buffer;
  /** request body; empty = none (END_STREAM goes on HEADERS) */
  body: Buffer;
  expect: Expectation;
  /** stream window advertised, and connection window opened to, for receiving */
  windowBytes: number;
  /** this side's own cap on concurrent streams (the peer's SETTINGS may lower it) */
  maxStreams: number;
}

/** What a connection tells the pool that owns it. */
export interface ConnectionOwner {
  /** The connection can open more streams now (SETTINGS arrived, streams finished, the limit grew). */
  slotsFreed(conn: H2Connection): void;
  /** The connection takes no new streams any more (GOAWAY, error, close, ids used up). Called once. */
  retired(conn: H2Connection, everReady: boolean): void;
}

const enum State {
  /** waiting for the server's SETTINGS */
  Connecting,
  Ready,
  /** finishing the streams it has; no new ones */
  Retired,
  Closed,
}

class Stream {
  status = 0;
  bytesIn = 0;
  /** request body bytes sent so far */
  bodySent = 0;
  /** END_STREAM sent: the request is complete */
  localDone: boolean;
  /** waiting in the connection's list for send window */
  blocked = false;
  /** received DATA not yet given back with a WINDOW_UPDATE */
  recvUnacked = 0;
  constructor(
    readonly id: number,
    readonly done: Done,
    /** when the caller asked, on the pool's coarse clock (for the timeout) */
    readonly sentAt: number,
    readonly chunks: Buffer[] | null,
    public sendWindow: number,
    hasBody: boolean,
  ) {
    this.localDone = !hasBody;
  }
}

export class H2Connection implements FrameHandler, FrameTarget, SocketOwner {
  private readonly socket: Socket;
  private readonly reader: FrameReader;
  private readonly decoder = new HpackDecoder();
  private state = State.Connecting;
  private everReady = false;
  private readonly streams = new Map<number, Stream>();
  private nextStreamId = 1;
  private firstBlockSent = false;

  // peer settings (§6.5.2 defaults until its SETTINGS arrive)
  private peerMaxStreams = Number.POSITIVE_INFINITY;
  private peerMaxFrameSize = DEFAULT_MAX_FRAME_SIZE;
  private readonly sendWindows = new SendWindows();
  private readonly recvWindow: ReceiveWindow;

  /** streams with request body waiting for send window, oldest first */
  private readonly blocked = new BlockedStreams<Stream>(this);
  /** the stream of the DATA frame being read */
  private current: Stream | null = null;
  readonly blocks = new HeaderBlockReader((id, end, buf, start, stop) => this.onHeaderBlock(id, end, buf, start, stop));

  /** writing: frames gathered and written at the end of a read or on the next tick */
  private readonly out: WriteScheduler;

  /** resolves once the socket is closed */
  readonly closed: Promise<void>;

  constructor(
    private readonly owner: ConnectionOwner,
    private readonly tpl: RequestTemplate,
  ) {
    this.recvWindow = new ReceiveWindow(Math.max(DEFAULT_WINDOW_BYTES, tpl.windowBytes));
    this.reader = new FrameReader(this, DEFAULT_MAX_FRAME_SIZE, true);
    this.socket = connect({ host: tpl.host, port: tpl.port, noDelay: true });
    this.out = new WriteScheduler(this.socket, FlushTurn.AfterCallback, (err) => this.protocolError(connectionErrorOf(err).errorCode));
    this.closed = new Promise((resolve) => this.socket.once('close', () => resolve()));
    attachSocket(this.socket, this);

    // §3.4: preface, then SETTINGS; written before the connect completes, node queues it.
    this.out.append(CLIENT_PREFACE);
    this.out.append(
      settingsFrame([
        [Setting.ENABLE_PUSH, 0],
        [Setting.INITIAL_WINDOW_SIZE, Math.min(tpl.windowBytes, MAX_WINDOW_BYTES)],
      ]),
    );
    const opening = this.recvWindow.openingIncrement;
    if (opening > 0) this.out.windowUpdate(0, opening);
  }

  /** How many more streams this connection can open right now. */
  capacity(): number {
    if (this.state !== State.Ready) return 0;
    return Math.min(this.tpl.maxStreams, this.peerMaxStreams) - this.streams.size;
  }

  /** Opens a stream for one request. Only call when capacity() > 0. */
  open(done: Done, sentAt: number): void {
    const id = this.nextStreamId;
    this.nextStreamId += 2;
    const tpl = this.tpl;
    const hasBody = tpl.body.length > 0;
    const s = new Stream(id, done, sentAt, tpl.expect.body === undefined ? null : [], this.sendWindows.streamInitialBytes, hasBody);
    this.streams.set(id, s);

    let block = tpl.headerBlock;
    if (!this.firstBlockSent) {
      block = tpl.firstHeaderBlock;
      this.firstBlockSent = true;
    }
    this.out.frames.headerBlock(id, block, !hasBody, this.peerMaxFrameSize);
    if (hasBody) this.sendBody(s);
    this.out.schedule();

    if (this.nextStreamId > MAX_STREAM_ID) this.retire(); // §5.1.1: ids cannot be reused; a new connection takes over
  }

  /** Fails (with 'timeout') and cancels every stream the caller asked for at or before `cutoff`. */
  expire(cutoff: number): void {
    let expired: Stream[] | null = null;
    // Streams are opened in the order callers asked (the pool's queue is FIFO), so the oldest come first.
    for (const s of this.streams.values()) {
      if (s.sentAt > cutoff) break;
      (expired ??= []).push(s);
    }
    if (expired === null) return;
    for (const s of expired) {
      this.streams.delete(s.id);
      this.out.rstStream(s.id, ErrorCode.CANCEL);
    }
    this.out.schedule();
    for (const s of expired) this.settle(s, 'timeout');
  }

  /** Closes the connection politely (GOAWAY, FIN); streams still open fail with `kind`. */
  shutdown(kind: string): Promise<void> {
    if (this.state !== State.Closed) {
      this.hangUp(ErrorCode.NO_ERROR);
      this.die(kind);
    }
    return this.closed;
  }

  // ---- reading ----------------------------------------------------------------------------------------

  onSocketData(chunk: Buffer): void {
    this.out.beginRead();
    try {
      this.reader.push(chunk);
    } catch (err) {
      // a protocol error keeps its code; anything else (a bug) is INTERNAL_ERROR — never a throw out of here
      this.protocolError(connectionErrorOf(err).errorCode);
    } finally {
      this.out.endRead();
    }
    this.out.flush();
  }

  onSocketClose(): void {
    this.die('connection');
  }

  onFrame(type: number, flags: number, streamId: number, buf: Buffer, start: number, end: number): void {
    dispatchFrame(this, type, flags, streamId, buf, start, end);
  }

  reply(frame: Uint8Array): void {
    this.out.append(frame);
  }

  private onHeaderBlock(streamId: number, endStream: boolean, buf: Buffer, start: number, end: number): void {
    // Decode even for streams already given up on: the dynamic table must follow the peer's encoder.
    const status = this.decoder.decode(buf, start, end, null);
    const s = this.streams.get(streamId);
    if (s === undefined) return;
    if (s.status === 0) {
      if (status >= 100 && status < 200 && !endStream) return; // informational; the final response follows
      s.status = Math.max(status, 0);
    } // else: trailers
    if (endStream) this.complete(s);
  }

  onDataStart(streamId: number, frameBytes: number, endStream: boolean): void {
    this.blocks.checkData();
    // Window goes back in 4 KiB steps (refreshDue): small responses rarely cost a WINDOW_UPDATE, large ones never wait for one.
    const increment = this.recvWindow.receive(frameBytes);
    if (increment > 0) this.out.windowUpdate(0, increment);
    const s = this.streams.get(streamId);
    this.current = s ?? null;
    if (s === undefined || endStream) return;
    s.recvUnacked += frameBytes;
    if (refreshDue(s.recvUnacked, this.tpl.windowBytes)) {
      this.out.windowUpdate(s.id, s.recvUnacked);
      s.recvUnacked = 0;
    }
  }

  onDataBytes(buf: Buffer, start: number, end: number): void {
    const s = this.current;
    if (s === null) return;
    s.bytesIn += end - start;
    if (s.chunks !== null) s.chunks.push(buf.subarray(start, end));
  }

  onDataEnd(endStream: boolean): void {
    const s = this.current;
    this.current = null;
    if (s !== null && endStream) this.complete(s);
  }

  onSettings(change: SettingsChange | null): void {
    if (change === null) return; // an acknowledgement
    if (change.enablePush === 1) throw new FrameError(ErrorCode.PROTOCOL_ERROR, 'a server may not set ENABLE_PUSH to 1');
    let grew = false;
    if (change.maxConcurrentStreams !== undefined) {
      grew = change.maxConcurrentStreams > this.peerMaxStreams;
      this.peerMaxStreams = change.maxConcurrentStreams;
    }
    if (change.initialWindowSize !== undefined) this.sendWindows.setStreamInitial(change.initialWindowSize, this.streams.values());
    if (change.maxFrameSize !== undefined) this.peerMaxFrameSize = change.maxFrameSize;
    this.out.append(SETTINGS_ACK);
    this.pumpBlocked();
    if (this.state === State.Connecting) {
      this.state = State.Ready;
      this.everReady = true;
      this.owner.slotsFreed(this);
    } else if (grew && this.state === State.Ready) {
      this.owner.slotsFreed(this);
    }
  }

  onWindowUpdate(streamId: number, increment: number): void {
    if (streamId === 0) this.sendWindows.growConnection(increment);
    else {
      const s = this.streams.get(streamId);
      if (s === undefined) return;
      const code = this.sendWindows.growStream(s, increment);
      if (code !== WINDOW_OK) return this.onStreamError(streamId, code);
    }
    this.pumpBlocked();
  }

  onRstStream(streamId: number, code: number): void {
    const s = this.streams.get(streamId);
    if (s === undefined) return;
    this.streams.delete(streamId);
    this.settle(s, code === ErrorCode.REFUSED_STREAM ? 'refused' : 'reset');
  }

  onStreamError(streamId: number, code: number): void {
    const s = this.streams.get(streamId);
    this.out.rstStream(streamId, code);
    if (s === undefined) return;
    this.streams.delete(streamId);
    this.settle(s, 'reset');
  }

  onGoaway(lastStreamId: number, _errorCode: number): void {
    this.retire();
    // §6.8: streams above the last id were not processed and never will be
    const dropped: Stream[] = [];
    for (const s of this.streams.values()) if (s.id > lastStreamId) dropped.push(s);
    for (const s of dropped) this.streams.delete(s.id);
    for (const s of dropped) this.settle(s, 'goaway');
    this.closeIfIdle();
  }

  // ---- streams ----------------------------------------------------------------------------------------

  /** The response is complete (END_STREAM received): judge it. */
  private complete(s: Stream): void {
    this.streams.delete(s.id);
    if (!s.localDone) {
      // §8.1: the server answered before our body was done; stop sending it
      s.localDone = true;
      this.out.rstStream(s.id, ErrorCode.CANCEL);
    }
    const expect = this.tpl.expect;
    let kind: string | null = null;
    if (s.status !== expect.status) kind = `status-${s.status}`;
    else if (s.chunks !== null && !bodyMatches(s.chunks.length === 1 ? s.chunks[0]! : Buffer.concat(s.chunks), expect.body)) {
      kind = 'wrong-body';
    }
    this.settle(s, kind);
  }

  /** The stream is already out of the map: free its slot, then tell the caller. */
  private settle(s: Stream, kind: string | null): void {
    s.localDone = true; // a blocked stream leaves the blocked list lazily
    if (this.state === State.Ready) this.owner.slotsFreed(this);
    s.done(kind, s.bytesIn);
    if (this.state === State.Retired) this.closeIfIdle();
  }

  private sendBody(s: Stream): void {
    const body = this.tpl.body;
    const windows = this.sendWindows;
    while (s.bodySent < body.length) {
      const n = windows.allowance(s, body.length - s.bodySent, this.peerMaxFrameSize);
      if (n <= 0) {
        this.blocked.park(s);
        return;
      }
      const last = s.bodySent + n === body.length;
      this.out.frames.data(s.id, body.subarray(s.bodySent, s.bodySent + n), last ? Flag.END_STREAM : 0);
      s.bodySent += n;
      windows.spend(s, n);
    }
    s.localDone = true;
  }

  resumeBlocked(s: Stream): void {
    if (s.localDone || !this.streams.has(s.id)) return;
    this.sendBody(s);
  }

  private pumpBlocked(): void {
    if (this.blocked.pump()) this.out.schedule();
  }

  // ---- lifecycle --------------------------------------------------------------------------------------

  private retire(): void {
    if (this.state === State.Ready || this.state === State.Connecting) {
      this.state = State.Retired;
      this.owner.retired(this, this.everReady);
    }
  }

  private closeIfIdle(): void {
    if (this.state === State.Retired && this.streams.size === 0) this.hangUp(ErrorCode.NO_ERROR);
  }

  private protocolError(code: number): void {
    this.hangUp(code);
    this.die('protocol');
  }

  /** GOAWAY, then FIN and close as soon as it is written (no waiting for the peer's FIN), once. */
  private hangUp(code: number): void {
    if (this.socket.writableEnded) return;
    // the last stream id is 0: a client processes no server-initiated streams
    this.out.append(goawayFrame(0, code));
    this.out.flush();
    this.socket.destroySoon();
  }

  /** The connection is gone: every stream still open fails with `kind`. */
  private die(kind: string): void {
    if (this.state === State.Closed) return;
    const wasRetired = this.state === State.Retired;
    this.state = State.Closed;
    this.reader.halt();
    if (!wasRetired) this.owner.retired(this, this.everReady);
    if (!this.socket.writableEnded) this.socket.destroy();
    const left = [...this.streams.values()];
    this.streams.clear();
    this.blocked.clear();
    for (const s of left) s.done(kind, s.bytesIn);
  }
}
