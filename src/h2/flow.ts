/**
 * Flow control (RFC 9113 §6.9) as both raw connections keep it — the session and the load engine's
 * client: the peer's windows this side sends within (the connection's, and the initial window a
 * SETTINGS_INITIAL_WINDOW_SIZE gives every stream, §6.9.2), and this side's connection receive window,
 * given back in 4 KiB steps (Go's rule, below) so that small responses rarely cost a WINDOW_UPDATE and a
 * transfer at a distance never waits a round trip for window the receiver is sitting on.
 *
 * Plain numbers on two small classes, checked where the bytes arrive: what the RFC makes a connection
 * error throws FrameError; what it makes a stream error is returned as the code for the caller's reset.
 */
import { ErrorCode, FrameError } from './errors.ts';
import { DEFAULT_WINDOW_BYTES, MAX_WINDOW_BYTES } from './frames.ts';

/**
 * Received bytes go back to the peer as window once this many have gathered (or half the window, if that
 * is less): Go's x/net/http2 rule (inflowMinRefresh), the stack cloudflared runs. Half the window alone
 * (nghttp2's rule) strands whatever arrived after the last update, up to half the window, until more data
 * comes — which at a distance costs a bulk transfer one round trip per burst (measured: a 512 KiB body
 * through a 256 KiB stream window at 50 ms RTT took 3 round trips instead of 2).
 */
export const WINDOW_REFRESH_BYTES = 4096;

/** Whether `unackedBytes` received (and read) are due back as a WINDOW_UPDATE on a window of `windowBytes`. */
export function refreshDue(unackedBytes: number, windowBytes: number): boolean {
  return unackedBytes > 0 && unackedBytes >= Math.min(WINDOW_REFRESH_BYTES, windowBytes / 2);
}

/** A stream as send-side flow control sees it. */
export interface SendWindowed {
  readonly id: number;
  /** may go below zero after a SETTINGS change (§6.9.2) */
  sendWindow: number;
}

/** What a stream's WINDOW_UPDATE calls for: nothing, or a stream error (§5.4.2) with this code. */
export const WINDOW_OK = -1;

/** The peer's windows, which this side sends within. */
export class SendWindows {
  /** §6.9.1: what all streams together may still send */
  connectionBytes = DEFAULT_WINDOW_BYTES;
  /** §6.9.2: SETTINGS_INITIAL_WINDOW_SIZE, a new stream's send window */
  streamInitialBytes = DEFAULT_WINDOW_BYTES;

  /** WINDOW_UPDATE on stream 0. */
  growConnection(increment: number): void {
    if (increment === 0) throw new FrameError(ErrorCode.PROTOCOL_ERROR, 'WINDOW_UPDATE of 0');
    this.connectionBytes += increment;
    if (this.connectionBytes > MAX_WINDOW_BYTES) throw new FrameError(ErrorCode.FLOW_CONTROL_ERROR, 'connection window overflow');
  }

  /**
   * WINDOW_UPDATE on an open stream: WINDOW_OK, or the code of the stream error it calls for (an increment
   * of 0, §6.9; a window past 2^31-1, §6.9.1).
   */
  growStream(s: SendWindowed, increment: number): number {
    if (increment === 0) return ErrorCode.PROTOCOL_ERROR;
    s.sendWindow += increment;
    return s.sendWindow > MAX_WINDOW_BYTES ? ErrorCode.FLOW_CONTROL_ERROR : WINDOW_OK;
  }

  /**
   * §6.9.2: a new SETTINGS_INITIAL_WINDOW_SIZE shifts every open stream's window by the difference — below
   * zero is allowed (those streams wait), past 2^31-1 is a connection error.
   */
  setStreamInitial(bytes: number, open: Iterable<SendWindowed>): void {
    const delta = bytes - this.streamInitialBytes;
    this.streamInitialBytes = bytes;
    if (delta === 0) return;
    for (const s of open) {
      s.sendWindow += delta;
      if (s.sendWindow > MAX_WINDOW_BYTES)
        throw new FrameError(ErrorCode.FLOW_CONTROL_ERROR, `INITIAL_WINDOW_SIZE change pushes stream ${s.id}'s window past 2^31-1`);
    }
  }

  /** How many of `wantedBytes` fit in one DATA frame on `s` now (≤ 0: none, the stream waits). */
  allowance(s: SendWindowed, wantedBytes: number, maxFrameBytes: number): number {
    return Math.min(wantedBytes, s.sendWindow, this.connectionBytes, maxFrameBytes);
  }

  /** `n` bytes went out on `s`. */
  spend(s: SendWindowed, n: number): void {
    s.sendWindow -= n;
    this.connectionBytes -= n;
  }
}

/** This side's connection receive window (§6.9.1), whatever the stream each DATA frame is on. */
export class ReceiveWindow {
  /** what the peer may still send before this side gives window back */
  private leftBytes: number;
  /** received and not yet given back */
  private unackedBytes = 0;

  constructor(
    /** the window this side advertises: at least the initial 65 535 (a connection window only grows) */
    readonly sizeBytes: number,
  ) {
    this.leftBytes = sizeBytes;
  }

  /** The WINDOW_UPDATE increment that opens the window from the initial 65 535 to its size (0: none). */
  get openingIncrement(): number {
    return this.sizeBytes > DEFAULT_WINDOW_BYTES ? this.sizeBytes - DEFAULT_WINDOW_BYTES : 0;
  }

  /**
   * A DATA frame of `frameBytes` (padding included) arrived. Throws past the window; returns the increment
   * to give back now — once refreshDue — or 0.
   */
  receive(frameBytes: number): number {
    this.leftBytes -= frameBytes;
    if (this.leftBytes < 0) throw new FrameError(ErrorCode.FLOW_CONTROL_ERROR, 'DATA beyond the connection window');
    this.unackedBytes += frameBytes;
    if (!refreshDue(this.unackedBytes, this.sizeBytes)) return 0;
    const increment = this.unackedBytes;
    this.leftBytes += increment;
    this.unackedBytes = 0;
    return increment;
  }
}
