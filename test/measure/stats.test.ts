import { describe, expect, it } from 'vitest';
import { LatencyRecorder, summarize } from '../../src/measure/histogram.ts';
import { adjustPValues, bootstrapChangeCI, bootstrapMedianCI, mannWhitneyU, median } from '../../src/measure/stats.ts';

describe('median and bootstrap intervals', () => {
  it('takes medians of odd and even samples', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it('gives an interval that contains the median, deterministically', () => {
    const xs = [100, 104, 98, 101, 99, 103, 97];
    const ci = bootstrapMedianCI(xs);
    expect(ci.low).toBeLessThanOrEqual(median(xs));
    expect(ci.high).toBeGreaterThanOrEqual(median(xs));
    expect(ci.low).toBeGreaterThanOrEqual(97);
    expect(ci.high).toBeLessThanOrEqual(104);
    expect(bootstrapMedianCI(xs)).toEqual(ci);
    expect(bootstrapMedianCI([42])).toMatchObject({ low: 42, high: 42 });
  });

  it('brackets a 30 % drop and excludes zero change for clearly separated samples', () => {
    const ci = bootstrapChangeCI([1000, 1010, 990], [700, 705, 695]);
    expect(ci.high).toBeLessThan(0);
    expect(ci.low).toBeGreaterThan(-0.35);
    expect(ci.high).toBeLessThan(-0.25);
  });
});

describe('Mann-Whitney U', () => {
  it('gives the exact two-sided p for fully separated small samples', () => {
    // 3 vs 3 fully separated: 1 arrangement of 20 at U = 0, two-sided p = 0.1
    expect(mannWhitneyU([1, 2, 3], [4, 5, 6]).p).toBeCloseTo(0.1, 10);
    // 5 vs 5 fully separated: 2/252
    expect(mannWhitneyU([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]).p).toBeCloseTo(2 / 252, 10);
  });

  it('finds no difference between interleaved samples', () => {
    expect(mannWhitneyU([1, 3, 5, 7], [2, 4, 6, 8]).p).toBeGreaterThan(0.5);
  });

  it('uses the normal approximation with ties and large samples', () => {
    const a = Array.from({ length: 30 }, (_, i) => i % 10);
    const b = Array.from({ length: 30 }, (_, i) => (i % 10) + 5);
    expect(mannWhitneyU(a, b).p).toBeLessThan(0.01);
    expect(mannWhitneyU(a, a).p).toBeGreaterThan(0.9);
  });
});

describe('LatencyRecorder', () => {
  it('folds fast and slow values into one HDR histogram exactly', () => {
    const r = new LatencyRecorder();
    for (let i = 1; i <= 1000; i++) r.record(i); // fast range, µs
    r.record(500_000); // 0.5 s: slow range
    r.record(0.2); // rounds up to 1 µs, never lost
    const s = summarize(r.toHistogram());
    expect(s.count).toBe(1002);
    expect(s.p50Us).toBe(500);
    expect(s.p99Us).toBeGreaterThanOrEqual(989);
    expect(s.p99Us).toBeLessThanOrEqual(992);
    expect(s.maxUs).toBeGreaterThanOrEqual(499_000);
    expect(s.maxUs).toBeLessThanOrEqual(501_000);
  });
});

describe('correction for many comparisons', () => {
  // R's p.adjust(c(0.01, 0.04, 0.03, 0.005), "holm") = 0.03 0.06 0.06 0.02; "BH" = 0.02 0.04 0.04 0.02
  it('matches Holm step-down values, in input order', () => {
    const adj = adjustPValues([0.01, 0.04, 0.03, 0.005], 'holm');
    expect(adj.map((p) => Number(p.toFixed(6)))).toEqual([0.03, 0.06, 0.06, 0.02]);
  });

  it('matches Benjamini–Hochberg step-up values, in input order', () => {
    const adj = adjustPValues([0.01, 0.04, 0.03, 0.005], 'bh');
    expect(adj.map((p) => Number(p.toFixed(6)))).toEqual([0.02, 0.04, 0.04, 0.02]);
  });

  it('leaves NaN out of the count and caps at 1', () => {
    expect(adjustPValues([0.5, Number.NaN, 0.6], 'holm')).toEqual([1, Number.NaN, 1]);
    expect(adjustPValues([0.2, Number.NaN], 'holm')).toEqual([0.2, Number.NaN]);
    expect(adjustPValues([0.2, 0.3], 'none')).toEqual([0.2, 0.3]);
  });

  it('lets 8 vs 8 fully separated trials pass Holm over 40 comparisons at 0.05, and one overlap too, but not four', () => {
    const a = [10, 11, 12, 13, 14, 15, 16, 17];
    const sep = mannWhitneyU(
      a,
      a.map((x) => x + 10),
    ).p;
    const oneOverlap = mannWhitneyU(a, [16.5, 18, 19, 20, 21, 22, 23, 24]).p;
    const fourInversions = mannWhitneyU(a, [13.5, 14.5, 15.5, 16.5, 18, 19, 20, 21]).p;
    expect(sep * 40).toBeLessThan(0.05);
    expect(oneOverlap * 40).toBeLessThan(0.05);
    expect(fourInversions * 40).toBeGreaterThan(0.05);
  });
});
