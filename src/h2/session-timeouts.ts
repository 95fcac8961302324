/**
 * A session's timeouts, checked on the sweep's coarse clock (src/h2/sweep.ts, about once a second): no
 * preface, SETTINGS never acknowledged, idle with no streams, and stalls — streams waiting on a peer that
 * opens no window or sends no more body, and a peer that stopped reading altogether.
 */
import { ErrorCode, FrameError, StreamError } from './errors.ts';
import { DEFAULT_PREFACE_TIMEOUT_MS, DEFAULT_SETTINGS_ACK_TIMEOUT_MS, type SessionLimits } from './limits.ts';
import type { H2Session } from './session.ts';
import type { StreamTable } from './session-streams.ts';
import type { H2Stream } from './stream.ts';
import { clock } from './sweep.ts';

export class SessionTimeouts {
  private readonly startedAt = clock.now;
  /** since when no stream is open */
  private idleSince = clock.now;
  private readonly prefaceMs: number;
  private readonly settingsAckMs: number;
  private readonly idleMs: number;
  private readonly stallMs: number;

  constructor(
    private readonly session: H2Session,
    private readonly table: StreamTable,
    limits: SessionLimits,
  ) {
    this.prefaceMs = limits.prefaceTimeoutMs ?? DEFAULT_PREFACE_TIMEOUT_MS;
    this.settingsAckMs = limits.settingsAckTimeoutMs ?? DEFAULT_SETTINGS_ACK_TIMEOUT_MS;
    this.idleMs = limits.idleTimeoutMs ?? 0;
    this.stallMs = limits.streamStallTimeoutMs ?? 0;
  }

  /** The last open stream closed. */
  noteIdle(): void {
    this.idleSince = clock.now;
  }

  /** Throws the connection error a timeout calls for; shuts an idle session down. */
  check(now: number): void {
    const session = this.session;
    if (!session.remoteSettingsReceived && this.prefaceMs > 0 && now - this.startedAt > this.prefaceMs) {
      throw new FrameError(ErrorCode.NO_ERROR, `no connection preface within ${this.prefaceMs} ms`);
    }
    if (!session.settingsAcked && this.settingsAckMs > 0 && now - this.startedAt > this.settingsAckMs) {
      throw new FrameError(ErrorCode.SETTINGS_TIMEOUT, `SETTINGS not acknowledged within ${this.settingsAckMs} ms`);
    }
    if (this.idleMs > 0 && this.table.size === 0 && session.isOpen && now - this.idleSince > this.idleMs) return session.shutdown();
    if (this.stallMs > 0) this.checkStalls(now, this.stallMs);
  }

  /** Resets the streams stalled on the peer for `stallMs`; ends a connection whose peer stopped reading. */
  private checkStalls(now: number, stallMs: number): void {
    const out = this.session.out;
    if (out.backedUp && now - out.backedUpSince > stallMs) {
      throw new FrameError(ErrorCode.ENHANCE_YOUR_CALM, `the peer read nothing for ${stallMs} ms`);
    }
    const isServer = this.session.isServer;
    let stalled: H2Stream[] | null = null;
    for (const s of this.table.streams.values()) {
      const waitingForWindow = s.blocked && now - s.blockedSince > stallMs;
      // server role: a request body that stopped coming while nothing answers it yet (and we are not the
      // ones holding back the window)
      const waitingForBody = isServer && !s.remoteEnded && !s.headSent && !s.withheld && now - s.lastRecvAt > stallMs;
      if (waitingForWindow || waitingForBody) (stalled ??= []).push(s);
    }
    if (stalled === null) return;
    for (const s of stalled) {
      this.table.reset(s, ErrorCode.CANCEL);
      this.table.failStream(s, new StreamError(ErrorCode.CANCEL, `the stream stalled on the peer for ${stallMs} ms`));
    }
  }
}
