/**
 * A point's load split over load workers (issue 15): concurrency and rate shared out, the open loop's
 * arrivals shifted so that the workers' schedules together are the one-worker schedule, connections one
 * worker's own; what cannot be split is refused by name. And the merge of their windows: counts added,
 * latency from the merged histogram (equal to the histogram of every sample), the busiest worker's CPU.
 */
import { describe, expect, it } from 'vitest';
import type { EngineSpec } from '../../src/load/engine.ts';
import type { PacedResult } from '../../src/load/loop.ts';
import { busiestLoad, mergePaced, mergeSeries, mergeWarmups } from '../../src/load/merge.ts';
import { LoadSplitError, shares, splitLoad, splitProblem } from '../../src/load/split.ts';
import { encodeHistogram, newHistogram, summarize } from '../../src/measure/histogram.ts';

const http2: EngineSpec = {
  protocol: 'http2',
  engine: 'default',
  url: 'http://127.0.0.1:1',
  method: 'POST',
  path: '/echo',
  bodyBytes: 64,
  expectStatus: 200,
  expectBody: { kind: 'echo' },
  connections: 3,
};

describe('splitLoad', () => {
  it('shares a whole number out as evenly as it goes, larger shares first', () => {
    expect(shares(10, 3)).toEqual([4, 3, 3]);
    expect(shares(2, 2)).toEqual([1, 1]);
    expect(shares(7, 1)).toEqual([7]);
    expect(shares(10, 4).reduce((a, b) => a + b)).toBe(10);
  });

  it('splits a closed loop’s concurrency and the connections, each worker at least one connection', () => {
    const four = splitLoad(http2, { kind: 'closed', concurrency: 201 }, 4);
    expect(four.map((s) => s.model)).toEqual([
      { kind: 'closed', concurrency: 51 },
      { kind: 'closed', concurrency: 50 },
      { kind: 'closed', concurrency: 50 },
      { kind: 'closed', concurrency: 50 },
    ]);
    expect(four.map((s) => (s.spec as typeof http2).connections)).toEqual([1, 1, 1, 1]);
    const two = splitLoad(http2, { kind: 'closed', concurrency: 10 }, 2);
    expect(two.map((s) => (s.spec as typeof http2).connections)).toEqual([2, 1]);
    const grpcLike: EngineSpec = {
      protocol: 'http-grpc',
      client: { url: 'http://127.0.0.1:1/', connections: 4 },
      funcId: 1,
      argPrefix: [],
      payloadBytes: 8,
      expectBody: { kind: 'echo' },
    };
    expect(splitLoad(grpcLike, { kind: 'closed', concurrency: 8 }, 2).map((s) => (s.spec as typeof grpcLike).client.connections)).toEqual([2, 2]);
  });

  it('gives one worker the load untouched', () => {
    const [one] = splitLoad(http2, { kind: 'open', ratePerSec: 1000, maxInflight: 50 }, 1);
    expect(one).toEqual({ spec: http2, model: { kind: 'open', ratePerSec: 1000, maxInflight: 50 } });
  });

  it('splits an open loop so that the workers’ arrivals together are the one-worker schedule', () => {
    const rate = 900;
    const parts = splitLoad(http2, { kind: 'open', ratePerSec: rate, maxInflight: 100 }, 3);
    expect(parts.map((p) => p.model)).toEqual([
      { kind: 'open', ratePerSec: 300, maxInflight: 34, phase: 0 },
      { kind: 'open', ratePerSec: 300, maxInflight: 33, phase: 1 / 3 },
      { kind: 'open', ratePerSec: 300, maxInflight: 33, phase: 2 / 3 },
    ]);
    // worker i's k-th arrival is due at (phase_i + k) / rate_i — as LoadLoop schedules it
    const due: number[] = [];
    for (const p of parts) {
      const m = p.model as { ratePerSec: number; phase: number };
      for (let k = 0; k < 300; k++) due.push(((m.phase + k) * 1000) / m.ratePerSec);
    }
    due.sort((a, b) => a - b);
    expect(due.map((t, i) => Math.abs(t - (i * 1000) / rate)).every((d) => d < 1e-6)).toBe(true);
  });

  it('refuses, by name, a load that cannot be split', () => {
    expect(splitProblem({ kind: 'closed', concurrency: 1 }, 2)).toMatch(/a concurrency of 1 cannot be split over 2 load workers/);
    expect(splitProblem({ kind: 'open', ratePerSec: 10, maxInflight: 2 }, 3)).toMatch(/maxInflight 2 cannot be split over 3/);
    expect(splitProblem({ kind: 'closed', concurrency: 10 }, 2, 'h2load')).toMatch(/h2load engine runs whole trials on its own/);
    expect(splitProblem({ kind: 'closed', concurrency: 10 }, 0)).toMatch(/loadWorkers must be a whole number ≥ 1/);
    expect(splitProblem({ kind: 'closed', concurrency: 1 }, 1)).toBeNull();
    expect(() => splitLoad({ ...http2, engine: 'autocannon' }, { kind: 'closed', concurrency: 10 }, 2)).toThrow(LoadSplitError);
  });
});

/** A worker's window whose latencies are `samples` (µs). */
function window(samples: number[], extra: Partial<PacedResult> = {}): PacedResult {
  const h = newHistogram();
  for (const s of samples) h.recordValue(s);
  const out: PacedResult = {
    requests: samples.length,
    errors: {},
    dropped: 0,
    elapsedMs: 1000,
    requestsPerSec: samples.length,
    bytesIn: samples.length * 10,
    bytesOut: samples.length * 20,
    latency: summarize(h),
    histogram: encodeHistogram(h),
    abandoned: 0,
    generatorCpu: 0.3,
    ...extra,
  };
  h.destroy();
  return out;
}

describe('mergePaced', () => {
  it('adds the counts and takes latency from the merged histogram: that of every sample, not averaged percentiles', () => {
    // one fast worker, one slow one: averaging their p99s would say ~5 ms; all samples together say otherwise
    const fast = Array.from({ length: 9000 }, (_, i) => 100 + (i % 100));
    const slow = Array.from({ length: 1000 }, (_, i) => 10_000 + i);
    const a = window(fast, { errors: { timeout: 2 }, generatorCpu: 0.4, sendLag: { p50Us: 10, p99Us: 900, maxUs: 1000 } });
    const b = window(slow, { errors: { timeout: 1, reset: 3 }, generatorCpu: 0.95, dropped: 5, sendLag: { p50Us: 20, p99Us: 300, maxUs: 5000 } });
    const merged = mergePaced([a, b], [{ openedAt: 1_000 }, { openedAt: 1_002 }]);
    const all = window([...fast, ...slow]);
    expect(merged.latency).toEqual(all.latency);
    expect(merged.requests).toBe(10_000);
    expect(merged.requestsPerSec).toBe(10_000);
    expect(merged.bytesIn).toBe(100_000);
    expect(merged.errors).toEqual({ timeout: 3, reset: 3 });
    expect(merged.dropped).toBe(5);
    expect(merged.generatorCpu).toBe(0.95); // unpinned: the busiest worker
    expect(merged.sendLag).toEqual({ p50Us: 20, p99Us: 900, maxUs: 5000 });
    expect(merged.workers!.map((w) => [w.index, w.requests, w.openedAt])).toEqual([
      [0, 9000, 1_000],
      [1, 1000, 1_002],
    ]);
    const averaged = (a.latency.p99Us + b.latency.p99Us) / 2;
    expect(Math.abs(merged.latency.p99Us - averaged)).toBeGreaterThan(averaged * 0.5);
  });

  it('judges the generator by its busiest core: workers pinned to one core add up', () => {
    const w = (generatorCpu: number, cpu?: string) => ({ generatorCpu, cpu });
    expect(busiestLoad([w(0.5, '1'), w(0.45, '1')])).toBe(0.95);
    expect(busiestLoad([w(0.5, '1'), w(0.45, '2')])).toBe(0.5);
    expect(busiestLoad([w(0.3), w(0.6), w(0.2, '3')])).toBe(0.6);
    const shared = mergePaced([window([100], { generatorCpu: 0.5 }), window([100], { generatorCpu: 0.45 })], [{ cpu: '1' }, { cpu: '1' }]);
    expect(shared.generatorCpu).toBe(0.95);
    expect(shared.workers!.map((x) => x.cpu)).toEqual(['1', '1']);
  });

  it('refuses a worker whose histogram cannot be read rather than leave it out', () => {
    expect(() => mergePaced([window([100]), { ...window([200]), histogram: 'not a histogram' }])).toThrow(/1 of 2 workers' histograms could not be read/);
  });

  it('adds series window by window and merges warm-ups: steady only when every worker was', () => {
    const s = (ok: number, p99Us: number | null) => ({ atMs: 0, ms: 100, ok, errors: 0, dropped: 0, p99Us });
    expect(mergeSeries([[s(5, 100), s(6, 200)], [s(7, 300)]])).toEqual([
      { atMs: 0, ms: 100, ok: 12, errors: 0, dropped: 0, p99Us: 300 },
      { atMs: 0, ms: 100, ok: 6, errors: 0, dropped: 0, p99Us: 200 },
    ]);
    const judged = (spread: number) => ({ steady: spread < 0.1, spread, tolerance: 0.1, blockRates: [] });
    const w = mergeWarmups([
      { steady: true, elapsedMs: 2000, series: [s(1, null)], last: judged(0.05) },
      { steady: false, elapsedMs: 5000, series: [s(2, null)], last: judged(0.3) },
    ])!;
    expect(w.steady).toBe(false);
    expect(w.elapsedMs).toBe(5000);
    expect(w.last!.spread).toBe(0.3);
    expect(w.series[0]!.ok).toBe(3);
    expect(mergeWarmups([null, null])).toBeNull();
  });
});
