/**
 * The physics checks under a report: Little's law per closed-loop point (consistency, and the ceiling of a
 * stream-limited design under the sleep workload), and each point over time (warm-up, variation, stalls).
 * Hand-made results whose answers can be worked out by hand.
 */
import { describe, expect, it } from 'vitest';
import type { PointResult, ResultsFile, SeriesWindow, TrialResult } from '../../src/measure/results.ts';
import { littlesLaw } from '../../src/report/littles-law.ts';
import { renderRunReport } from '../../src/report/run-report.ts';
import { buildTimeSeries, timeSeriesVerdict } from '../../src/report/timeseries.ts';
import { summarize } from '../../src/run/point.ts';
import { island, loadFixture, syntheticTrial } from './helpers.ts';

function trial(rps: number, meanUs: number, series: SeriesWindow[] = [], cpu = 0.5): TrialResult {
  return syntheticTrial(rps, meanUs, { series, processes: { edge: { cpu, peakRssBytes: 1, elu: null, cpuUsPerRequest: 50 } } });
}

function point(index: number, params: Record<string, number>, trials: TrialResult[], extra: Partial<PointResult> = {}): PointResult {
  return { index, systemId: 'h2-tunnel', systemKind: 'h2-tunnel', label: 'h2 tunnel', params, status: 'ok', trials, summary: summarize(trials), ...extra };
}

function results(points: PointResult[], workload = { call: 'sleep', payloadBytes: 64, delayMs: 20 }): ResultsFile {
  const base = loadFixture('report-concurrency');
  return {
    ...base,
    axes: ['concurrency', 'streamLimit'],
    scenario: {
      ...base.scenario,
      definition: { load: { model: 'closed', concurrency: 50 }, workload, systems: [{ id: 'h2-tunnel', kind: 'h2-tunnel', maxConcurrentStreams: 100 }] },
    },
    points,
  };
}

describe("Little's law", () => {
  it('finds throughput × latency equal to the requests in flight, and the stream limit as the ceiling', () => {
    // 500 in flight, limit 100, 20 ms calls: at most 5,000/s; 4,000/s measured, each request 125 ms end to end
    const [c] = littlesLaw(results([point(0, { concurrency: 500, streamLimit: 100 }, [trial(4000, 125_000), trial(4000, 125_000)])]));
    expect(c!.occupancy).toBeCloseTo(500, 6);
    expect(c!.consistent).toBe(true);
    expect(c!.ceiling).toMatchObject({ requestsPerSec: 5000, slots: 100, limit: 100, delayMs: 20, share: 0.8 });
    expect(c!.ceiling!.holdMs).toBeCloseTo(25, 6);
    expect(c!.sentence).toContain('Ceiling: 100 streams (the limit) / 20 ms = 5,000 req/s; measured 80 % of it');
    expect(c!.sentence).toContain('each slot was held 25 ms for a 20 ms call');
    expect(c!.sentence).toContain('not CPU-bound');
  });

  it('takes the requests in flight as the ceiling below the limit, and unlimited as no limit', () => {
    const r = results([
      point(0, { concurrency: 50, streamLimit: 100 }, [trial(2400, 20_800)]),
      point(1, { concurrency: 500, streamLimit: 0 }, [trial(24_000, 20_800)]),
    ]);
    const [below, unlimited] = littlesLaw(r);
    expect(below!.ceiling).toMatchObject({ slots: 50, requestsPerSec: 2500, share: 0.96 });
    expect(below!.sentence).not.toContain('something besides');
    expect(unlimited!.ceiling).toMatchObject({ slots: 500, limit: null, requestsPerSec: 25_000 });
  });

  it('flags a measurement that breaks the law, and gives no ceiling without a known call time', () => {
    // 50 in flight, but 10,000/s × 1 ms says 10: requests were lost from the count
    const r = results([point(0, { concurrency: 50, streamLimit: 100 }, [trial(10_000, 1_000)])], { call: 'echo', payloadBytes: 64, delayMs: 0 });
    const [c] = littlesLaw(r);
    expect(c!.consistent).toBe(false);
    expect(c!.ceiling).toBeNull();
    expect(c!.sentence).toContain('NOT the 50 the load kept');
    expect(renderRunReport(r)).toContain('1 point breaks Little&#39;s law');
  });

  it('is silent for open-loop runs, where in flight is an outcome', () => {
    const r = results([point(0, { concurrency: 50 }, [trial(100, 1_000)])]);
    (r.scenario.definition as { load: unknown }).load = { model: 'open', ratePerSec: 100, maxInflight: 1000 };
    expect(littlesLaw(r)).toEqual([]);
  });
});

describe('a point over time', () => {
  const w = (atMs: number, ok: number): SeriesWindow => ({ atMs, ms: 100, ok, errors: 0, dropped: 0, p99Us: ok ? 1000 : null });

  it('tells the warm-up, the variation between windows and a stall', () => {
    const series = [w(3000, 100), w(3100, 100), w(3200, 0), w(3300, 100), w(3400, 100)];
    const p = point(0, { concurrency: 50, streamLimit: 100 }, [trial(800, 1000, series)], {
      warmup: { steady: true, elapsedMs: 2900, spread: 0.04, tolerance: 0.1, series: [w(0, 20), w(100, 60), w(200, 100)] },
    });
    const v = timeSeriesVerdict(p);
    expect(v[0]).toBe('Warm-up: 2.9 s until throughput settled (the last blocks within 4 %, tolerance 10 %).');
    expect(v[1]).toMatch(
      /^Measured windows: median 1,000 req\/s, window-to-window variation 55\.9 % \(coefficient of variation\), lowest window 0 % of the median\.$/,
    );
    expect(v[2]).toBe('Stall: in 1 window (first at 3.2 s) no request sent then succeeded.');
    const [ts] = buildTimeSeries(results([p]));
    expect(ts!.charts.map((c) => c.id)).toEqual(['ts-0-rps', 'ts-0-p99']);
    expect(ts!.charts[0]!.series.map((s) => s.label)).toEqual(['warm-up', 'trial 1']);
    expect(ts!.charts[0]!.series[1]!.points.map((q) => [q.x, q.y])).toEqual([
      [3, 1000],
      [3.1, 1000],
      [3.2, 0],
      [3.3, 1000],
      [3.4, 1000],
    ]);
  });

  it('says when the warm-up never settled, and the report opens that point and draws its charts', () => {
    const p = point(0, { concurrency: 50, streamLimit: 100 }, [trial(800, 1000, [w(9000, 80), w(9100, 80), w(9200, 80)])], {
      status: 'not-steady',
      reason: 'throughput had not settled',
      warmup: { steady: false, elapsedMs: 8000, spread: 0.31, tolerance: 0.1, series: [w(0, 20)] },
    });
    expect(timeSeriesVerdict(p)[0]).toBe('Warm-up: throughput had not settled after 8 s (spread 31 %, tolerance 10 %): the point is marked not-steady.');
    const html = renderRunReport(results([p]));
    expect(html).toContain('<details class="series" id="series-0" open>');
    const charts = island(html, 'muxbench-charts') as { id: string }[];
    expect(charts.map((c) => c.id)).toContain('ts-0-rps');
    expect(html).toContain('◇ not steady');
  });
});
