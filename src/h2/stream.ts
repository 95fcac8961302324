/**
 * One HTTP/2 stream as the application sees it: a node Duplex whose readable side is the peer's body
 * (backpressure holds back WINDOW_UPDATEs, so a slow reader stalls only its own stream) and whose writable
 * side is this side's body (written as the peer's windows allow; `endWithTrailers` ends it with a
 * trailing HEADERS). Heads and trailers arrive as events: 'response' (client role), 'trailers' (both).
 * The fields below are the session's bookkeeping; the session (src/h2/session.ts) does all the work.
 */
import { Duplex } from 'node:stream';
import { ErrorCode } from './errors.ts';
import type { HeaderFields } from './fields.ts';

export interface HeadOptions {
  /** nothing follows the head: END_STREAM on its HEADERS frame */
  endStream?: boolean;
}

/** What a stream asks of the session that owns it. */
export interface StreamOwner {
  sendHead(s: H2Stream, pseudo: readonly (readonly [string, string])[], headers: HeaderFields, endStream: boolean): void;
  writeData(s: H2Stream, chunk: Buffer, cb: (err?: Error | null) => void): void;
  finish(s: H2Stream, cb: (err?: Error | null) => void): void;
  readMore(s: H2Stream): void;
  reset(s: H2Stream, code: number): void;
}

export class H2Stream extends Duplex {
  /** END_STREAM sent (or this side will send nothing more) */
  localEnded = false;
  /** END_STREAM received */
  remoteEnded = false;
  /** still in the session's map: counts against the concurrency limit */
  open = true;
  /** RST_STREAM code, when the stream was reset (by either side) */
  rstCode: number | null = null;
  /** server role: the response head went out; client role: the request head went out */
  headSent = false;
  /** client role: the response head arrived */
  headReceived = false;
  sendWindow: number;
  recvWindow: number;
  recvUnacked = 0;
  /** the reader fell behind: WINDOW_UPDATEs wait for _read */
  withheld = false;
  /** the reader asked for data (_read) and has not been given any since */
  readWanted = false;
  /** small DATA payloads gathered while the reader is behind, pushed as one chunk (see the session) */
  small: Buffer | null = null;
  smallLen = 0;
  /** the body chunk being written and how far, with its callback */
  out: Buffer | null = null;
  outOff = 0;
  outCb: ((err?: Error | null) => void) | null = null;
  /** waiting for the peer to open a window; since when (clock.now) */
  blocked = false;
  blockedSince = 0;
  trailersOut: HeaderFields | null = null;

  // server role: a stream is handed to the application once the read that opened it is processed, so a
  // stream the peer resets in the same read (rapid reset) never reaches it
  /** handed to the application; before that, a failure emits no 'error' (nobody listens yet) */
  delivered = true;
  /** the request head until delivery, and whether END_STREAM came with it */
  head: HeaderFields | null = null;
  headEnded = false;
  /** trailers that arrived before delivery */
  pendingTrailers: HeaderFields | null = null;
  /** body bytes the request's content-length still allows (§8.1.1); -1 = no content-length */
  bodyLeft = -1;
  /** clock.now of the last DATA from the peer (or of the head): a body that stops coming is a stall */
  lastRecvAt = 0;

  constructor(
    readonly session: StreamOwner,
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
