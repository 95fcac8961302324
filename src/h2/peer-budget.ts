/**
 * The glitch budget (nghttp2's `stream_reset_ratelim`, the answer to CVE-2023-44487 rapid reset and the
 * 2019 floods): a token bucket of things a peer can make a session do without getting anything done —
 * resets, streams refused or reset for the peer's mistakes, empty DATA frames. The clock is read only when
 * the bucket runs dry, so spending is a decrement on the hot path.
 */
export class GlitchBudget {
  private tokens: number;
  private refilledAt = performance.now();

  constructor(
    private readonly burst: number,
    private readonly refillPerSec: number,
  ) {
    this.tokens = burst;
  }

  /** Spends one token; false once the budget is exhausted. */
  spend(): boolean {
    if (this.tokens >= 1) {
      this.tokens--;
      return true;
    }
    const now = performance.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.refilledAt) * this.refillPerSec) / 1000);
    this.refilledAt = now;
    if (this.tokens < 1) return false;
    this.tokens--;
    return true;
  }
}
