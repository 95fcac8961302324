/**
 * Statistics over a handful of trials: medians with bootstrap confidence intervals, and a
 * non-parametric comparison (Mann-Whitney U) for deciding whether two runs differ. Everything is
 * deterministic: the bootstrap uses a seeded generator, so the same inputs give the same interval.
 */

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Least-squares slope of y over x (NaN when every x is the same). */
export function slope(xs: readonly number[], ys: readonly number[]): number {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den > 0 ? num / den : Number.NaN;
}

/** mulberry32: small, fast, good enough to resample a few numbers reproducibly. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Interval {
  low: number;
  high: number;
  /** 0.95 for a 95 % interval */
  level: number;
}

/**
 * Percentile bootstrap interval of the median. With one trial the interval is that value; with few
 * trials it is wide — which is the honest answer.
 */
export function bootstrapMedianCI(xs: readonly number[], level = 0.95, resamples = 2000, seed = 1): Interval {
  if (xs.length === 0) return { low: Number.NaN, high: Number.NaN, level };
  if (xs.length === 1) return { low: xs[0]!, high: xs[0]!, level };
  const next = rng(seed);
  const medians = new Float64Array(resamples);
  const sample = new Array<number>(xs.length);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < xs.length; i++) sample[i] = xs[Math.floor(next() * xs.length)]!;
    medians[r] = median(sample);
  }
  medians.sort();
  const lo = Math.floor(((1 - level) / 2) * resamples);
  const hi = Math.min(resamples - 1, Math.ceil((1 - (1 - level) / 2) * resamples) - 1);
  return { low: medians[lo]!, high: medians[hi]!, level };
}

/**
 * Bootstrap interval of the relative change of the median from `base` to `current`
 * ((current - base) / base), resampling both sides independently.
 */
export function bootstrapChangeCI(base: readonly number[], current: readonly number[], level = 0.95, resamples = 2000, seed = 7): Interval {
  if (base.length === 0 || current.length === 0) return { low: Number.NaN, high: Number.NaN, level };
  const next = rng(seed);
  const changes = new Float64Array(resamples);
  const b = new Array<number>(base.length);
  const c = new Array<number>(current.length);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < base.length; i++) b[i] = base[Math.floor(next() * base.length)]!;
    for (let i = 0; i < current.length; i++) c[i] = current[Math.floor(next() * current.length)]!;
    const mb = median(b);
    changes[r] = mb === 0 ? 0 : (median(c) - mb) / mb;
  }
  changes.sort();
  const lo = Math.floor(((1 - level) / 2) * resamples);
  const hi = Math.min(resamples - 1, Math.ceil((1 - (1 - level) / 2) * resamples) - 1);
  return { low: changes[lo]!, high: changes[hi]!, level };
}

/**
 * Two-sided Mann-Whitney U test. Exact p-value by enumerating rank sums for small samples (the case here:
 * a few trials per point), normal approximation with tie correction beyond that.
 */
export function mannWhitneyU(a: readonly number[], b: readonly number[]): { u: number; p: number } {
  const n1 = a.length;
  const n2 = b.length;
  if (n1 === 0 || n2 === 0) return { u: Number.NaN, p: 1 };
  const all = [...a.map((v) => ({ v, g: 0 })), ...b.map((v) => ({ v, g: 1 }))].sort((x, y) => x.v - y.v);
  const ranks = new Array<number>(all.length);
  let tieTerm = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j + 1 < all.length && all[j + 1]!.v === all[i]!.v) j++;
    const r = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[k] = r;
    const t = j - i + 1;
    tieTerm += t * t * t - t;
    i = j + 1;
  }
  let r1 = 0;
  for (let i = 0; i < all.length; i++) if (all[i]!.g === 0) r1 += ranks[i]!;
  const u1 = r1 - (n1 * (n1 + 1)) / 2;
  const u = Math.min(u1, n1 * n2 - u1);
  if (n1 + n2 <= 20 && tieTerm === 0) return { u, p: Math.min(1, 2 * exactLowerTail(n1, n2, u)) };
  const mu = (n1 * n2) / 2;
  const n = n1 + n2;
  const sigma = Math.sqrt(((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1))));
  if (sigma === 0) return { u, p: 1 };
  const z = (Math.abs(u - mu) - 0.5) / sigma;
  return { u, p: Math.min(1, 2 * (1 - normalCdf(z))) };
}

/** P(U ≤ u) under the null, by counting rank arrangements (dynamic programming over sizes). */
function exactLowerTail(n1: number, n2: number, u: number): number {
  // counts[i][j][k]: arrangements of i items from A and j from B with U = k
  const maxU = n1 * n2;
  let prev: number[][] = Array.from({ length: n2 + 1 }, () => new Array<number>(maxU + 1).fill(0));
  for (let j = 0; j <= n2; j++) prev[j]![0] = 1;
  for (let i = 1; i <= n1; i++) {
    const cur: number[][] = Array.from({ length: n2 + 1 }, () => new Array<number>(maxU + 1).fill(0));
    cur[0]![0] = 1;
    for (let j = 1; j <= n2; j++) {
      for (let k = 0; k <= maxU; k++) {
        // the largest item is from A (it beats all j of B: adds j to U) or from B (adds nothing)
        cur[j]![k] = (k - j >= 0 ? prev[j]![k - j]! : 0) + cur[j - 1]![k]!;
      }
    }
    prev = cur;
  }
  const counts = prev[n2]!;
  const total = counts.reduce((s, c) => s + c, 0);
  let tail = 0;
  for (let k = 0; k <= Math.floor(u); k++) tail += counts[k]!;
  return tail / total;
}

function normalCdf(z: number): number {
  // Abramowitz & Stegun 7.1.26 on erf
  const t = 1 / (1 + 0.3275911 * (Math.abs(z) / Math.SQRT2));
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-(z * z) / 2);
  return z >= 0 ? (1 + y) / 2 : (1 - y) / 2;
}

export type Correction = 'holm' | 'bh' | 'none';

/**
 * p-values corrected for testing many at once, in input order. Holm controls the chance of any false
 * alarm among them (what a CI gate that fails on one regression needs); Benjamini–Hochberg the expected
 * share of false alarms among the changes reported (kinder when a change shows at every point of a sweep).
 * NaN stays NaN and does not count as a test.
 */
export function adjustPValues(ps: readonly number[], method: Correction): number[] {
  const idx = ps
    .map((p, i) => ({ p, i }))
    .filter((x) => Number.isFinite(x.p))
    .sort((a, b) => a.p - b.p);
  const m = idx.length;
  const out = ps.map((p) => (Number.isFinite(p) ? p : Number.NaN));
  if (method === 'none' || m === 0) return out;
  if (method === 'holm') {
    let running = 0;
    idx.forEach((x, k) => {
      running = Math.max(running, Math.min(1, (m - k) * x.p));
      out[x.i] = running;
    });
    return out;
  }
  let running = 1;
  for (let k = m - 1; k >= 0; k--) {
    const x = idx[k]!;
    running = Math.min(running, Math.min(1, (m / (k + 1)) * x.p));
    out[x.i] = running;
  }
  return out;
}
