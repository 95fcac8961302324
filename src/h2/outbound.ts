/**
 * The session's write side: frames go out as a WriteScheduler writes them (src/h2/write-scheduler.ts),
 * once per event-loop turn or at the end of the read that produced them; on top, body writes that wait
 * for the socket's 'drain', and the reply backlog — frames the peer's own frames asked for (PING and
 * SETTINGS ACKs, RST_STREAMs), counted while the socket is backed up. A peer that keeps provoking replies
 * it does not read stops being read (TCP pushes back on it); past the hard cap the connection must end
 * (Go: 10,000 queued frames). Only replies pause reading, never body data: two of our sessions both
 * sending large bodies must not stop reading each other.
 */
import type { Socket } from 'node:net';
import { PAUSE_READING_AT_QUEUED_REPLIES } from './limits.ts';
import { clock } from './sweep.ts';
import { FlushTurn, WriteScheduler } from './write-scheduler.ts';

export class Outbound extends WriteScheduler {
  /** the socket asked us to wait for 'drain'; since when (clock.now) */
  backedUp = false;
  backedUpSince = 0;
  /** replies the peer provoked, queued while the socket was backed up */
  private queuedReplies = 0;
  private readPaused = false;
  private drainWaiters: (() => void)[] = [];

  constructor(
    socket: Socket,
    private readonly maxQueuedReplies: number,
    /** a failure while flushing outside a read (the owner ends the connection) */
    onError: (err: unknown) => void,
  ) {
    super(socket, FlushTurn.AfterIo, onError);
    socket.on('drain', () => this.onDrain());
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

  override flush(): void {
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
