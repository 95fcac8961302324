import { describe, expect, it } from 'vitest';
import { CoarseHistogram } from '../../src/measure/coarse-histogram.ts';
import { DEFAULT_STEADY_POLICY, steadiness } from '../../src/measure/steady.ts';

const policy = DEFAULT_STEADY_POLICY; // 100 ms windows, blocks of 5, 3 blocks within 10 %

describe('steadiness', () => {
  it('waits for three full blocks before judging', () => {
    expect(steadiness(new Array(14).fill(100), policy)).toBeNull();
    expect(steadiness(new Array(15).fill(100), policy)).toMatchObject({ steady: true, spread: 0, blockRates: [1000, 1000, 1000] });
  });

  it('calls a warm-up that is still climbing not steady, and the flat tail after it steady', () => {
    const climbing = [...new Array(5).fill(60), ...new Array(5).fill(80), ...new Array(5).fill(100)];
    const r = steadiness(climbing, policy)!;
    expect(r.steady).toBe(false);
    expect(r.spread).toBeCloseTo((500 - 300) / 400, 10);
    expect(steadiness([...climbing, ...new Array(15).fill(100)], policy)!.steady).toBe(true);
  });

  it('judges blocks, not single windows: one noisy window inside a block is averaged out', () => {
    const windows = new Array(15).fill(100);
    windows[7] = 60;
    windows[8] = 140;
    expect(steadiness(windows, policy)!.steady).toBe(true);
  });

  it('widens the tolerance where few requests complete (counting noise), and never calls zero steady', () => {
    // 4 completions per window = 20 per block: √20 noise alone is ~22 %
    const slow = [...new Array(5).fill(4), ...new Array(5).fill(5), ...new Array(5).fill(4)];
    const r = steadiness(slow, policy)!;
    expect(r.tolerance).toBeCloseTo(2 / Math.sqrt((20 + 25 + 20) / 3), 10);
    expect(r.steady).toBe(true);
    expect(steadiness(new Array(15).fill(0), policy)!.steady).toBe(false);
  });

  it('does not call a climb steady even when its blocks agree within the tolerance', () => {
    // +4 % per block: spread 8 % ≤ 10 %, but the last block stands 8 % above the first
    const climbing = [...new Array(5).fill(100), ...new Array(5).fill(104), ...new Array(5).fill(108)];
    const r = steadiness(climbing, policy)!;
    expect(r.spread).toBeLessThanOrEqual(r.tolerance);
    expect(r.steady).toBe(false);
    // the same blocks in another order (noise, not a trend) are steady
    expect(steadiness([...new Array(5).fill(104), ...new Array(5).fill(108), ...new Array(5).fill(100)], policy)!.steady).toBe(true);
  });
});

describe('CoarseHistogram', () => {
  it('gives quantiles within 6.25 % (never below) of the exact value, exact below 16', () => {
    const values = Array.from({ length: 10_000 }, (_, i) => 1 + ((i * 7919) % 200_000));
    const h = new CoarseHistogram();
    for (const v of values) h.record(v);
    const sorted = [...values].sort((a, b) => a - b);
    for (const q of [0.5, 0.9, 0.99, 0.999]) {
      const exact = sorted[Math.ceil(q * sorted.length) - 1]!;
      const got = h.quantile(q)!;
      expect(got).toBeGreaterThanOrEqual(exact);
      expect(got).toBeLessThanOrEqual(exact * 1.0625);
    }
    const small = new CoarseHistogram();
    for (const v of [3, 5, 7, 9, 11]) small.record(v);
    expect(small.quantile(0.5)).toBe(7);
    expect(small.quantile(1)).toBe(11);
  });

  it('is empty until recorded into, adds, resets, and keeps huge values in range', () => {
    const h = new CoarseHistogram();
    expect(h.quantile(0.99)).toBeNull();
    h.record(5e9);
    h.record(0.2);
    expect(h.total).toBe(2);
    expect(h.quantile(1)).toBe(5e9);
    const g = new CoarseHistogram();
    g.record(1000);
    g.add(h);
    expect(g.total).toBe(3);
    g.reset();
    expect(g.quantile(0.5)).toBeNull();
  });
});
