/**
 * When has a load settled? Node processes need seconds before the JIT has compiled the hot paths and
 * connection pools are full; a point measured before that measures the warm-up, not the design. The load
 * loop keeps a series of short windows; warm-up ends once the throughput of the last few blocks of windows
 * agrees within a tolerance (the spread of block rates, relative to their mean) and no longer climbs, and
 * never before a minimum. A cap bounds the wait; a point that hits it is measured anyway but marked not steady.
 */

export interface SteadyPolicy {
  /** length of one series window */
  windowMs: number;
  /** windows per block: block rates are compared, not single windows (100 ms windows are noisy) */
  blockWindows: number;
  /** how many consecutive blocks must agree */
  blocks: number;
  /** largest (max − min) / mean of the block rates that counts as settled */
  tolerance: number;
  /** never measure before this much warm-up */
  minMs: number;
  /** stop warming up here and mark the point not steady */
  maxMs: number;
}

/** 100 ms windows, three 500 ms blocks within 10 %: 1.5 s of agreement, after at least 1 s. */
export const DEFAULT_STEADY_POLICY: SteadyPolicy = { windowMs: 100, blockWindows: 5, blocks: 3, tolerance: 0.1, minMs: 1000, maxMs: 20_000 };

export interface Steadiness {
  steady: boolean;
  /** (max − min) / mean of the last blocks' rates */
  spread: number;
  /** the tolerance applied: the policy's, or wider where so few requests complete that counting noise alone exceeds it */
  tolerance: number;
  /** successful requests per second in each of the last blocks, oldest first */
  blockRates: number[];
}

/**
 * Judges the latest blocks of a series of per-window success counts (oldest first). Null until there
 * are enough windows for `blocks` full blocks.
 */
export function steadiness(okPerWindow: readonly number[], policy: SteadyPolicy): Steadiness | null {
  const need = policy.blocks * policy.blockWindows;
  if (okPerWindow.length < need) return null;
  const tail = okPerWindow.slice(okPerWindow.length - need);
  const counts: number[] = [];
  for (let b = 0; b < policy.blocks; b++) {
    let n = 0;
    for (let w = 0; w < policy.blockWindows; w++) n += tail[b * policy.blockWindows + w]!;
    counts.push(n);
  }
  const blockSeconds = (policy.blockWindows * policy.windowMs) / 1000;
  const blockRates = counts.map((n) => n / blockSeconds);
  const mean = counts.reduce((a, b) => a + b, 0) / counts.length;
  // Counting noise: a block of n completions varies by up to about √n between blocks even when nothing
  // changes (a closed loop varies less than a Poisson process; 2√n is generous), which matters only when few
  // requests complete per block (slow calls, low rates).
  const tolerance = mean > 0 ? Math.max(policy.tolerance, 2 / Math.sqrt(mean)) : policy.tolerance;
  if (mean === 0) return { steady: false, spread: Number.POSITIVE_INFINITY, tolerance, blockRates };
  const spread = (Math.max(...counts) - Math.min(...counts)) / mean;
  // A warm-up climbs: blocks can agree within the tolerance and still rise block after block. The last
  // block may not stand above the first by more than half the tolerance.
  const rise = (counts[counts.length - 1]! - counts[0]!) / mean;
  return { steady: spread <= tolerance && rise <= tolerance / 2, spread, tolerance, blockRates };
}
