/**
 * What one pattern may spend: a wall-clock deadline for its attack traffic and a byte allowance, shared by
 * every connection the pattern opens. Counts (frames, streams, connections) are the patterns' own bounds;
 * this is the backstop that keeps a pattern bounded whatever its counts say.
 */
export class Budget {
  private bytesLeft: number;

  constructor(
    /** performance.now() after which no more attack bytes are written */
    readonly deadline: number,
    maxBytes: number,
  ) {
    this.bytesLeft = maxBytes;
  }

  get expired(): boolean {
    return performance.now() >= this.deadline;
  }

  /** Takes `n` bytes from the allowance; false (and nothing taken) when they do not fit. */
  take(n: number): boolean {
    if (n > this.bytesLeft) return false;
    this.bytesLeft -= n;
    return true;
  }

  get remainingMs(): number {
    return Math.max(0, this.deadline - performance.now());
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
