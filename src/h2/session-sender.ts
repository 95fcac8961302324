/**
 * What a session sends on its streams: heads and trailers (within the peer's SETTINGS_MAX_HEADER_LIST_SIZE
 * and split at its SETTINGS_MAX_FRAME_SIZE) and bodies, cut into DATA frames as the peer's windows allow
 * (src/h2/flow.ts); a body that finds no window waits with the blocked streams (src/h2/blocked.ts) until a
 * WINDOW_UPDATE or a SETTINGS change opens one. A write's callback runs once the socket took the bytes.
 */
import { ErrorCode, FrameError, HeadTooLargeError } from './errors.ts';
import type { HeaderFields } from './fields.ts';
import { BlockedStreams, type BlockedOwner } from './blocked.ts';
import { SendWindows, WINDOW_OK } from './flow.ts';
import { DEFAULT_MAX_FRAME_SIZE, Flag, FrameType } from './frames.ts';
import { encodeHeadTransient, lastHeadListBytes } from './hpack.ts';
import type { SettingsChange } from './inbound.ts';
import type { Outbound } from './outbound.ts';
import type { H2Session } from './session.ts';
import type { StreamTable } from './session-streams.ts';
import type { H2Stream } from './stream.ts';
import { clock } from './sweep.ts';

type Pseudo = readonly (readonly [string, string])[];

export class StreamSender implements BlockedOwner<H2Stream> {
  readonly windows = new SendWindows();
  // the peer's limits on what this side sends (§6.5.2 defaults until its SETTINGS arrive)
  private maxFrameBytes = DEFAULT_MAX_FRAME_SIZE;
  private maxHeaderListBytes = Number.POSITIVE_INFINITY;
  private readonly blocked = new BlockedStreams<H2Stream>(this);

  constructor(
    private readonly session: H2Session,
    private readonly table: StreamTable,
    private readonly out: Outbound,
  ) {}

  /** The peer's SETTINGS that govern sending. */
  applySettings(change: SettingsChange): void {
    if (change.initialWindowSize !== undefined) this.windows.setStreamInitial(change.initialWindowSize, this.table.streams.values());
    if (change.maxFrameSize !== undefined) this.maxFrameBytes = change.maxFrameSize;
    if (change.maxHeaderListSize !== undefined) this.maxHeaderListBytes = change.maxHeaderListSize;
  }

  onWindowUpdate(streamId: number, increment: number): void {
    if (streamId === 0) {
      this.windows.growConnection(increment);
      this.pumpBlocked();
      return;
    }
    const s = this.table.streams.get(streamId);
    if (s === undefined) {
      if (this.table.ids.isIdle(streamId)) throw new FrameError(ErrorCode.PROTOCOL_ERROR, `WINDOW_UPDATE on idle stream ${streamId}`);
      return;
    }
    const code = this.windows.growStream(s, increment);
    if (code !== WINDOW_OK) return this.table.streamError(s, code, code === ErrorCode.PROTOCOL_ERROR ? 'WINDOW_UPDATE of 0' : 'stream window overflow');
    if (s.blocked) this.pumpBlocked();
  }

  // ---- heads -------------------------------------------------------------------------------------------

  /** A request head's block; throws HeadTooLargeError (nothing sent) past the peer's limit. */
  encodeRequestHead(pseudo: Pseudo, headers: HeaderFields): Buffer {
    const block = encodeHeadTransient(pseudo, headers, CONNECTION_SPECIFIC);
    if (lastHeadListBytes() > this.maxHeaderListBytes) throw new HeadTooLargeError(lastHeadListBytes(), this.maxHeaderListBytes);
    return block;
  }

  sendHead(s: H2Stream, pseudo: Pseudo, headers: HeaderFields, endStream: boolean): void {
    if (!s.open || s.localEnded || s.headSent) return;
    const block = encodeHeadTransient(pseudo, headers, CONNECTION_SPECIFIC);
    if (lastHeadListBytes() > this.maxHeaderListBytes) return this.failOwnHead(s);
    this.writeHead(s, block, endStream);
  }

  writeHead(s: H2Stream, block: Buffer, endStream: boolean): void {
    s.headSent = true;
    this.out.frames.headerBlock(s.id, block, endStream, this.maxFrameBytes);
    this.out.schedule();
    if (endStream) {
      s.localEnded = true;
      s.end();
      this.table.maybeClosed(s);
    }
  }

  /** §10.5.1 / RFC 6585: the answer to a request head past this side's SETTINGS_MAX_HEADER_LIST_SIZE. */
  sendStatus431(streamId: number): void {
    this.out.frames.headerBlock(streamId, encodeHeadTransient(STATUS_431, NO_FIELDS, CONNECTION_SPECIFIC), true, this.maxFrameBytes);
    this.out.noteReply();
    this.out.schedule();
  }

  /** A head of ours the peer said it would not take: the stream fails instead (§10.5.1). */
  private failOwnHead(s: H2Stream): void {
    const err = new HeadTooLargeError(lastHeadListBytes(), this.maxHeaderListBytes);
    this.table.reset(s, ErrorCode.INTERNAL_ERROR);
    this.table.failStream(s, err);
  }

  // ---- bodies ------------------------------------------------------------------------------------------

  writeData(s: H2Stream, chunk: Buffer, cb: (err?: Error | null) => void): void {
    if (s.localEnded || !s.open) {
      // the peer reset the stream or ended it (§8.1: a complete response may cut the request body short)
      cb();
      return;
    }
    if (this.session.isServer && !s.headSent) {
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
    if (this.session.isServer && !s.headSent) s.respond(200, {});
    if (!s.open) {
      cb();
      return;
    }
    s.localEnded = true;
    if (s.trailersOut !== null && Object.keys(s.trailersOut).length > 0) {
      const block = encodeHeadTransient(NO_PSEUDO, s.trailersOut, CONNECTION_SPECIFIC);
      if (lastHeadListBytes() > this.maxHeaderListBytes) {
        this.failOwnHead(s);
        cb();
        return;
      }
      this.out.frames.headerBlock(s.id, block, true, this.maxFrameBytes);
    } else {
      this.out.frames.frame(FrameType.DATA, Flag.END_STREAM, s.id, 0);
    }
    this.out.schedule();
    this.table.maybeClosed(s);
    cb();
  }

  /** The stream's pending write is done (or moot): its callback runs once the socket took the bytes. */
  completeWrite(s: H2Stream): void {
    const cb = s.outCb;
    s.out = null;
    s.outCb = null;
    if (cb !== null) this.out.afterDrain(cb);
  }

  /** A window opened: the parked streams get another go. */
  pumpBlocked(): void {
    this.blocked.pump();
  }

  resumeBlocked(s: H2Stream): void {
    if (!s.open || s.localEnded) return;
    this.sendOut(s);
  }

  /** The session is gone: nothing waits for window any more. */
  clear(): void {
    this.blocked.clear();
  }

  private sendOut(s: H2Stream): void {
    const chunk = s.out;
    if (chunk === null) return;
    const windows = this.windows;
    while (s.outOff < chunk.length) {
      const n = windows.allowance(s, chunk.length - s.outOff, this.maxFrameBytes);
      if (n <= 0) {
        if (this.blocked.park(s)) s.blockedSince = clock.now;
        this.out.schedule(); // what fitted goes out now
        return;
      }
      this.out.frames.data(s.id, chunk.subarray(s.outOff, s.outOff + n), 0);
      s.outOff += n;
      windows.spend(s, n);
    }
    this.out.schedule();
    this.completeWrite(s);
  }
}

const NO_PSEUDO: Pseudo = [];
const NO_FIELDS: HeaderFields = {};
const STATUS_431: Pseudo = [[':status', '431']];
/** §8.2.2: connection-specific fields never go into an HTTP/2 head. */
const CONNECTION_SPECIFIC = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'host', 'http2-settings']);
