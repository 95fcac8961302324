/**
 * The write side of one connection: frames gathered in a FrameWriter and written once per event-loop
 * turn (or at the end of the read that produced them), body writes that wait for the socket's 'drain',
 * and the reply backlog — frames the peer's own frames asked for (PING and SETTINGS ACKs, RST_STREAMs),
 * counted while the socket is backed up. A peer that keeps provoking replies it does not read stops being
 * read (TCP pushes back on it); past the hard cap the connection must end (Go: 10,000 queued frames).
 * Only replies pause reading, never body data: two of our sessions both sending large bodies must not
 * stop reading each other.
 */
import type { Socket } from 'node:net';
import { FrameWriter } from './frame-writer.ts';
import { PAUSE_READING_AT_QUEUED_REPLIES } from './limits.ts';
import { clock } from './sweep.ts';

export class Outbound {
  readonly frames = new FrameWriter();
  /** the socket asked us to wait for 'drain'; since when (clock.now) */
  backedUp = false;
  backedUpSince = 0;
  /** replies the peer provoked, queued while the socket was backed up */
  private queuedReplies = 0;
  private readPaused = false;
  private reading = false;
  private flushScheduled = false;
  private drainWaiters: (() => void)[] = [];
  private readonly flushTick = (): void => {
    this.flushScheduled = false;
    try {
      this.flush();
    } catch (err) {
      this.onError(err);
    }
  };

  constructor(
    private readonly socket: Socket,
    private readonly maxQueuedReplies: number,
    /** a failure while flushing outside a read (the owner ends the connection) */
    private readonly onError: (err: unknown) => void,
  ) {
    socket.on('drain', () => this.onDrain());
  }

  /** Frames produced while reading are written once the read is processed, not per frame. */
  beginRead(): void {
    this.reading = true;
  }

  endRead(): void {
    this.reading = false;
  }

  /** Appends a frame built elsewhere and schedules a write. */
  append(frame: Uint8Array): void {
    this.frames.append(frame);
    this.schedule();
  }

  /** A frame the peer's own frame asked for. */
  reply(frame: Uint8Array): void {
    this.append(frame);
    this.noteReply();
  }

  /** A reply written some other way (a 431 head, a stream error's RST_STREAM). */
  noteReply(): void {
    if (this.backedUp) this.queuedReplies++;
  }

  /**
   * Frames written outside a read go out once the event loop has run every I/O callback of this turn
   * (setImmediate, not nextTick): replies produced by a hundred origin sockets' reads then share one write
   * instead of costing a syscall each.
   */
  schedule(): void {
    if (this.reading || this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(this.flushTick);
  }

  flush(): void {
    if (!this.frames.flushTo(this.socket) && !this.backedUp) {
      this.backedUp = true;
      this.backedUpSince = clock.now;
    }
  }

  /**
   * After a read was processed and flushed: pauses reading while replies pile up behind a backed-up
   * socket. Returns false when the backlog passed the hard cap (the owner ends the connection).
   */
  checkBacklog(): boolean {
    if (!this.backedUp) return true;
    if (this.queuedReplies > this.maxQueuedReplies) return false;
    if (this.queuedReplies >= PAUSE_READING_AT_QUEUED_REPLIES && !this.readPaused) {
      this.readPaused = true;
      this.socket.pause();
    }
    return true;
  }

  /** Runs `cb` now, or once the socket has drained if it is backed up (a body write's callback). */
  afterDrain(cb: () => void): void {
    if (this.backedUp) this.drainWaiters.push(cb);
    else cb();
  }

  /** The connection is gone: every waiting callback runs now. */
  close(): void {
    this.readPaused = false;
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w();
  }

  private onDrain(): void {
    this.backedUp = false;
    this.queuedReplies = 0;
    if (this.readPaused && !this.socket.destroyed) {
      this.readPaused = false;
      this.socket.resume();
    }
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    try {
      for (const w of waiters) w();
    } catch (err) {
      this.onError(err);
    }
  }
}
