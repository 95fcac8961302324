/**
 * The streams waiting for send window (RFC 9113 §6.9): a stream whose body found no window parks here once;
 * when the peer opens a window (WINDOW_UPDATE, a larger SETTINGS_INITIAL_WINDOW_SIZE) each gets one more go,
 * oldest first, and those that still find none park again. Streams that ended meanwhile leave lazily: the
 * owner's resume skips them.
 */

/** A stream that can wait for window: `blocked` says it is parked (so it parks once). */
export interface Blockable {
  blocked: boolean;
}

/** The connection that sends the parked streams' bodies. */
export interface BlockedOwner<S> {
  /** One more go for a stream that was parked (already marked unblocked): send what the windows allow. */
  resumeBlocked(s: S): void;
}

export class BlockedStreams<S extends Blockable> {
  private waiting: S[] = [];

  constructor(private readonly owner: BlockedOwner<S>) {}

  get size(): number {
    return this.waiting.length;
  }

  /** `s` found no window; returns true when it starts waiting now (false: it was parked already). */
  park(s: S): boolean {
    if (s.blocked) return false;
    s.blocked = true;
    this.waiting.push(s);
    return true;
  }

  /** A window opened: every parked stream gets one more go. Returns false when none was waiting. */
  pump(): boolean {
    if (this.waiting.length === 0) return false;
    const waiting = this.waiting;
    this.waiting = [];
    for (const s of waiting) {
      s.blocked = false;
      this.owner.resumeBlocked(s);
    }
    return true;
  }

  /** The connection is gone: nothing waits any more. */
  clear(): void {
    this.waiting = [];
  }
}
