/**
 * Merging latency histograms (issue 15): what several load workers recorded, each in its own process and
 * sent as an encoded HDR histogram, merged, is the histogram of all their samples together — every
 * percentile equal — while an average of the workers' percentiles is not.
 */
import { describe, expect, it } from 'vitest';
import { encodeHistogram, LatencyRecorder, mergeHistograms, summarize } from '../../src/measure/histogram.ts';

/** A deterministic stream of latencies, µs: mostly 50 µs – 20 ms, a tail up to seconds (past the recorder's fast range). */
function samples(n: number, seed: number, slowShare: number): number[] {
  let x = seed;
  const next = (): number => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x / 2 ** 31;
  };
  return Array.from({ length: n }, () => (next() < slowShare ? 65_536 + next() * 2_000_000 : 50 + Math.exp(next() * Math.log(400)) * 50));
}

function recorded(values: readonly number[]): LatencyRecorder {
  const r = new LatencyRecorder();
  for (const v of values) r.record(v);
  return r;
}

const PERCENTILES = [0, 1, 10, 25, 50, 75, 90, 95, 99, 99.9, 99.99, 100];

describe('mergeHistograms', () => {
  it("equals the histogram of all samples: three workers' encoded histograms, every percentile, the count, min, max and mean", () => {
    // three workers of different sizes and tails (the third sees the slow calls)
    const parts = [samples(30_000, 1, 0), samples(20_000, 2, 0.001), samples(10_000, 3, 0.05)];
    // all the samples in one histogram, stored as a trial stores it (encoded: the exact maximum becomes its bucket's)
    const all = mergeHistograms([encodeHistogram(recorded(parts.flat()).toHistogram())])!.histogram;
    const merged = mergeHistograms(parts.map((p) => encodeHistogram(recorded(p).toHistogram())))!;
    expect(merged.skipped).toBe(0);
    const h = merged.histogram;
    expect(h.totalCount).toBe(60_000);
    expect(h.totalCount).toBe(all.totalCount);
    for (const q of PERCENTILES) expect(h.getValueAtPercentile(q), `p${q}`).toBe(all.getValueAtPercentile(q));
    expect(h.minNonZeroValue).toBe(all.minNonZeroValue);
    expect(h.maxValue).toBe(all.maxValue);
    expect(h.mean).toBeCloseTo(all.mean, 6);
    expect(summarize(h)).toEqual(summarize(all));
    // what merging avoids: the workers' p99s averaged are not the p99 of the calls
    const p99s = parts.map((p) => recorded(p).toHistogram().getValueAtPercentile(99));
    const averaged = p99s.reduce((a, b) => a + b, 0) / p99s.length;
    expect(Math.abs(averaged - all.getValueAtPercentile(99)) / all.getValueAtPercentile(99)).toBeGreaterThan(0.5);
  });

  it('skips what cannot be read, and is null when nothing can', () => {
    const one = encodeHistogram(recorded(samples(1000, 4, 0)).toHistogram());
    const m = mergeHistograms([one, 'not a histogram'])!;
    expect(m.skipped).toBe(1);
    expect(m.histogram.totalCount).toBe(1000);
    expect(mergeHistograms(['garbage'])).toBeNull();
    expect(mergeHistograms([])).toBeNull();
  });
});
