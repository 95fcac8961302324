/**
 * Latency in microseconds. Recording happens on the load generator's hot path, up to millions of times a
 * second, so values below 65.536 ms land in a plain counter array (a few ns each); only slower ones go
 * straight into the HDR histogram. `toHistogram()` folds the counters in exactly — nothing is approximated
 * beyond HDR's own 3 significant digits.
 */
import * as hdr from 'hdr-histogram-js';

export type Histogram = hdr.Histogram;

/** Up to an hour: a stalled call must still be recorded, never clipped. */
export const HIGHEST_TRACKABLE_US = 3_600_000_000;
const FAST_RANGE_US = 65_536;

export function newHistogram(): Histogram {
  return hdr.build({
    bitBucketSize: 'packed',
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_TRACKABLE_US,
    numberOfSignificantValueDigits: 3,
  });
}

export class LatencyRecorder {
  private readonly fast = new Float64Array(FAST_RANGE_US);
  private readonly slow = newHistogram();
  private count = 0;

  /** Records one latency given in microseconds (fractions are rounded; 0 counts as 1 µs). */
  record(latencyUs: number): void {
    let v = Math.round(latencyUs);
    if (v < 1) v = 1;
    if (v < FAST_RANGE_US) this.fast[v]!++;
    else this.slow.recordValue(Math.min(v, HIGHEST_TRACKABLE_US));
    this.count++;
  }

  get totalCount(): number {
    return this.count;
  }

  toHistogram(): Histogram {
    const h = newHistogram();
    h.add(this.slow);
    for (let v = 1; v < FAST_RANGE_US; v++) {
      const n = this.fast[v]!;
      if (n > 0) h.recordValueWithCount(v, n);
    }
    return h;
  }

  reset(): void {
    this.fast.fill(0);
    this.slow.reset();
    this.count = 0;
  }
}

export interface LatencySummary {
  count: number;
  meanUs: number;
  p50Us: number;
  p90Us: number;
  p99Us: number;
  p999Us: number;
  maxUs: number;
}

export function summarize(h: Histogram): LatencySummary {
  return {
    count: h.totalCount,
    meanUs: h.totalCount ? Math.round(h.mean * 10) / 10 : 0,
    p50Us: h.getValueAtPercentile(50),
    p90Us: h.getValueAtPercentile(90),
    p99Us: h.getValueAtPercentile(99),
    p999Us: h.getValueAtPercentile(99.9),
    maxUs: h.maxValue,
  };
}

export function encodeHistogram(h: Histogram): string {
  return hdr.encodeIntoCompressedBase64(h);
}

export function decodeHistogram(encoded: string): Histogram {
  return hdr.decodeFromCompressedBase64(encoded, 'packed');
}

/**
 * Several histograms as one: every bucket's count added, so each percentile of the result is the percentile
 * of all the samples together — never an average of percentiles. What load workers' partial results (one
 * trial's, many trials', many machines') are merged with. An encoded histogram that cannot be read is
 * skipped and counted in `skipped`; null when none could be read.
 */
export function mergeHistograms(encoded: readonly string[]): { histogram: Histogram; skipped: number } | null {
  let merged: Histogram | null = null;
  let skipped = 0;
  for (const e of encoded) {
    let h: Histogram;
    try {
      h = decodeHistogram(e);
    } catch {
      skipped++;
      continue;
    }
    if (merged) {
      merged.add(h);
      h.destroy();
    } else merged = h;
  }
  return merged ? { histogram: merged, skipped } : null;
}
