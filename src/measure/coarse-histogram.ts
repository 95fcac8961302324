/**
 * A small log-linear histogram for one short window of a time series (a p99 per 100 ms, send lag): 16
 * buckets per power of two, so a quantile is within 6.25 % of the true value. Recording is a few integer
 * operations into a Uint32Array, cheap enough to run beside the exact LatencyRecorder on the hot path.
 * Values are integers ≥ 1 (µs); larger than 2^32 − 1 counts as the largest bucket.
 */

const SUB_BUCKET_BITS = 4;
const SUB_BUCKETS = 1 << SUB_BUCKET_BITS;
/** exponents 0 … 31, values below SUB_BUCKETS exact */
export const COARSE_BUCKETS = (32 - SUB_BUCKET_BITS + 1) * SUB_BUCKETS;

function bucketOf(value: number): number {
  const v = value < 1 ? 1 : value >= 0xffffffff ? 0xffffffff : Math.floor(value);
  if (v < SUB_BUCKETS) return v;
  const exp = 31 - Math.clz32(v);
  const shift = exp - SUB_BUCKET_BITS;
  // (shift + 1) octaves above the exact range, then the 4 bits below the leading one
  return (shift + 1) * SUB_BUCKETS + ((v >>> shift) & (SUB_BUCKETS - 1));
}

/** The largest value that lands in bucket b (so a quantile never understates). */
function upperOf(b: number): number {
  if (b < SUB_BUCKETS) return b;
  const shift = Math.floor(b / SUB_BUCKETS) - 1;
  const sub = b % SUB_BUCKETS;
  return (SUB_BUCKETS + sub + 1) * 2 ** shift - 1;
}

export class CoarseHistogram {
  readonly counts = new Uint32Array(COARSE_BUCKETS);
  total = 0;
  max = 0;

  record(value: number): void {
    this.counts[bucketOf(value)]!++;
    this.total++;
    if (value > this.max) this.max = value;
  }

  /** The value at quantile q (0..1): the upper edge of its bucket, capped at the largest value seen; null when empty. */
  quantile(q: number): number | null {
    if (this.total === 0) return null;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let b = 0; b < COARSE_BUCKETS; b++) {
      seen += this.counts[b]!;
      // the last bucket also holds everything beyond 2^32 − 1: its edge would understate
      if (seen >= rank) return b === COARSE_BUCKETS - 1 ? Math.round(this.max) : Math.min(upperOf(b), Math.round(this.max));
    }
    return Math.round(this.max);
  }

  add(other: CoarseHistogram): void {
    for (let b = 0; b < COARSE_BUCKETS; b++) this.counts[b]! += other.counts[b]!;
    this.total += other.total;
    if (other.max > this.max) this.max = other.max;
  }

  reset(): void {
    this.counts.fill(0);
    this.total = 0;
    this.max = 0;
  }
}
