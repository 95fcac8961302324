/**
 * A session's open streams and how each one ends: closed both ways, reset by either side, failed, or
 * refused before it opened — with the stream-id bookkeeping (src/h2/stream-ids.ts) and the glitch budget
 * every reset, refusal and stream error the peer causes is charged to (src/h2/peer-budget.ts).
 */
import { ErrorCode, FrameError, StreamError } from './errors.ts';
import { rstStreamFrame } from './frames.ts';
import { DEFAULT_GLITCH_BURST, DEFAULT_GLITCH_REFILL_PER_SEC } from './limits.ts';
import { GlitchBudget } from './peer-budget.ts';
import type { H2Session, SessionOptions } from './session.ts';
import type { H2Stream } from './stream.ts';
import { StreamIds } from './stream-ids.ts';

export class StreamTable {
  readonly streams = new Map<number, H2Stream>();
  readonly ids: StreamIds;
  private readonly glitches: GlitchBudget | null;

  constructor(
    private readonly session: H2Session,
    options: SessionOptions,
  ) {
    this.ids = new StreamIds(session.isServer);
    const burst = options.glitchBurst ?? DEFAULT_GLITCH_BURST;
    this.glitches = Number.isFinite(burst) ? new GlitchBudget(burst, options.glitchRefillPerSec ?? DEFAULT_GLITCH_REFILL_PER_SEC) : null;
  }

  get size(): number {
    return this.streams.size;
  }

  add(s: H2Stream): void {
    this.streams.set(s.id, s);
  }

  /** This side resets `s` (RST_STREAM `code`) unless it is closed already. */
  reset(s: H2Stream, code: number): void {
    if (!s.open) return;
    s.rstCode = code;
    if (this.ids.isPeers(s.id)) this.ids.noteReset(s.id);
    this.session.out.rstStream(s.id, code);
    this.remove(s);
  }

  maybeClosed(s: H2Stream): void {
    if (s.open && s.localEnded && s.remoteEnded) this.remove(s);
  }

  /** `s` leaves the open states: its slot and its unread bytes are free again. */
  remove(s: H2Stream): void {
    if (!s.open) return;
    const session = this.session;
    s.open = false;
    this.streams.delete(s.id);
    session.body.release(s);
    if (this.streams.size === 0) session.timeouts.noteIdle();
    session.options.onStreamClosed?.();
    if (session.isClosing) session.closeIfIdle();
  }

  /**
   * Ends a stream with `err` — emitted only where someone listens: before delivery nobody does, and an
   * 'error' nobody hears would take the process down.
   */
  failStream(s: H2Stream, err: Error): void {
    if (s.delivered && s.listenerCount('error') > 0) s.destroy(err);
    else s.destroy();
  }

  /** A stream error (§5.4.2) the peer caused: RST_STREAM, and it counts against the glitch budget. */
  streamError(s: H2Stream, code: number, message: string): void {
    this.glitch();
    this.reset(s, code);
    this.session.out.noteReply();
    this.failStream(s, new StreamError(code, message));
  }

  /** Refuses a stream that was never opened here (RST_STREAM `code`), counting against the budget. */
  refuse(streamId: number, code: number): void {
    if (this.ids.isPeers(streamId)) this.ids.noteReset(streamId);
    this.session.out.reply(rstStreamFrame(streamId, code));
    this.glitch();
  }

  /** One glitch (src/h2/peer-budget.ts); an exhausted budget ends the connection with ENHANCE_YOUR_CALM. */
  glitch(): void {
    if (this.glitches !== null && !this.glitches.spend()) {
      throw new FrameError(ErrorCode.ENHANCE_YOUR_CALM, 'too many resets, refused streams or empty frames (glitch budget exhausted)');
    }
  }

  // ---- what the peer's frames end ----------------------------------------------------------------------

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
      this.session.sender.completeWrite(s);
      return;
    }
    this.failStream(s, new StreamError(code, `the peer reset the stream (code ${code})`));
  }

  /** §6.8: streams this side opened above the peer's last stream id were never processed. */
  dropUnprocessed(lastStreamId: number, code: number): void {
    const dropped: H2Stream[] = [];
    for (const s of this.streams.values()) if (!this.ids.isPeers(s.id) && s.id > lastStreamId) dropped.push(s);
    for (const s of dropped) {
      this.remove(s);
      this.failStream(s, new StreamError(ErrorCode.REFUSED_STREAM, `the peer is going away (GOAWAY code ${code}) and did not process this stream`));
    }
  }

  onStreamError(streamId: number, code: number, message: string): void {
    const s = this.streams.get(streamId);
    if (s !== undefined) return this.streamError(s, code, message);
    this.refuse(streamId, code);
  }

  /** The session is gone: every open stream fails with `reason`; returns how many were open. */
  failAll(reason: Error): number {
    const left = [...this.streams.values()];
    this.streams.clear();
    for (const s of left) {
      s.open = false;
      this.failStream(s, new StreamError(ErrorCode.CANCEL, reason.message));
    }
    return left.length;
  }
}
