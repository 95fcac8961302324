/**
 * When a connection's frames go out: gathered in a FrameWriter (the slab) and written once — at the end of
 * the socket read that produced them, or, for frames produced outside a read, once per event-loop turn.
 * Both raw connections write this way; the session's Outbound (src/h2/outbound.ts) adds its drain and
 * reply-backlog bookkeeping on top.
 */
import type { Socket } from 'node:net';
import { FrameWriter } from './frame-writer.ts';
import { rstStreamFrame, windowUpdateFrame } from './frames.ts';

/** When frames written outside a read go out. */
export const enum FlushTurn {
  /**
   * setImmediate: after every I/O callback of this turn, so frames produced by many sockets' reads (a
   * tunnel's origins) share one write instead of costing a syscall each.
   */
  AfterIo,
  /** process.nextTick: as soon as the current callback is done (a load generator's requests) */
  AfterCallback,
}

export class WriteScheduler {
  readonly frames = new FrameWriter();
  private reading = false;
  private flushScheduled = false;
  private readonly flushTick = (): void => {
    this.flushScheduled = false;
    try {
      this.flush();
    } catch (err) {
      this.onError(err);
    }
  };

  constructor(
    protected readonly socket: Socket,
    private readonly turn: FlushTurn,
    /** a failure while flushing outside a read (the owner ends the connection) */
    protected readonly onError: (err: unknown) => void,
  ) {}

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

  rstStream(streamId: number, code: number): void {
    this.append(rstStreamFrame(streamId, code));
  }

  windowUpdate(streamId: number, increment: number): void {
    this.append(windowUpdateFrame(streamId, increment));
  }

  /** Makes sure what was gathered goes out: at the end of the read, or on the next turn. */
  schedule(): void {
    if (this.reading || this.flushScheduled) return;
    this.flushScheduled = true;
    if (this.turn === FlushTurn.AfterIo) setImmediate(this.flushTick);
    else process.nextTick(this.flushTick);
  }

  /** Writes what was gathered now (nothing once the socket is gone). */
  flush(): void {
    this.frames.flushTo(this.socket);
  }
}
