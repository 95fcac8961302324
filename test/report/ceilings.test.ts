/**
 * Ceilings at a distance (src/report/ceilings.ts) and the two claims that read them, on hand-made results
 * whose answers can be worked out by hand: window / RTT for bulk transfers, limit / lone-call latency (and
 * the CPU's cap) for small calls; the dashed ceiling lines on the charts and the sentences under them.
 */
import { describe, expect, it } from 'vitest';
import type { PointResult, ResultsFile } from '../../src/measure/results.ts';
import { buildChartGroups } from '../../src/report/charts.ts';
import { distanceCeilings, pointCeilings, transferRate, windowCeiling } from '../../src/report/ceilings.ts';
import { evaluateClaims } from '../../src/report/claims.ts';
import { chartVerdict } from '../../src/report/verdicts.ts';
import { summarize } from '../../src/run/point.ts';
import { parseScenario } from '../../src/scenario/index.ts';
import { loadFixture, syntheticTrial } from './helpers.ts';

const KiB = 1024;

function results(definition: object, points: PointResult[], axes: string[]): ResultsFile {
  const base = loadFixture('report-concurrency');
  points.forEach((p, i) => {
    p.index = i;
  });
  return { ...base, axes, scenario: { ...base.scenario, definition: parseScenario(definition, 'test') }, points };
}

/** A point at `rttMs` on the tunnel leg; `cpu`: the share of a core its system used, and its relay a tenth. */
function point(
  systemId: string,
  kind: PointResult['systemKind'],
  params: Record<string, number>,
  rps: number,
  p50Us: number,
  rttMs: number,
  cpu = 0,
): PointResult {
  const usage = (share: number) => ({ cpu: share, peakRssBytes: 0, elu: null });
  const t = syntheticTrial(rps, p50Us, { processes: { edge: usage(cpu * 0.9) } });
  t.relays = { tunnel: usage(cpu * 0.1) };
  return {
    index: 0,
    systemId,
    systemKind: kind,
    label: systemId,
    params,
    status: 'ok',
    trials: [t],
    summary: summarize([t]),
    network: { mechanism: 'relay', legs: { tunnel: { rttMs, jitterMs: 0, mbit: 0 } } },
  };
}

describe('window ceilings', () => {
  const definition = (claims: unknown[] = []) => ({
    name: 'w',
    description: 'd',
    systems: [
      { id: 'w64', kind: 'h2-tunnel', streamWindowBytes: 64 * KiB, sessionWindowBytes: 16 * 1024 * KiB },
      { id: 'shared', kind: 'h2-tunnel', streamWindowBytes: 1024 * KiB, sessionWindowBytes: 256 * KiB },
    ],
    workload: { call: 'sized', payloadBytes: 8 * 64 * KiB - 16 * KiB },
    load: { model: 'closed', concurrency: 1 },
    sweep: { tunnelRttMs: [50] },
    claims,
  });
  const body = 8 * 64 * KiB - 16 * KiB;

  it('is one window per round trip: 8 round trips of 50 ms for a body just short of 8 windows', () => {
    // 400 ms per transfer at best; measured 440 ms
    const r = results(definition(), [point('w64', 'h2-tunnel', { tunnelRttMs: 50 }, 2.2, 440_000, 50)], ['tunnelRttMs']);
    const w = windowCeiling(r.points[0]!, r)!;
    expect(w.rounds).toBe(8);
    expect(w.bytesPerSec).toBeCloseTo(body / 0.4, 3);
    expect(w.measuredBytesPerSec).toBeCloseTo(body / 0.44, 3);
    expect(w.share).toBeCloseTo(0.4 / 0.44, 5);
    expect(w.formula).toBe('64 KiB window / 50 ms RTT (8 round trips per 496 KiB body)');
    expect(transferRate(r.points[0]!, r)!.median).toBeCloseTo(body / 0.44, 3);
    expect(w.serviceMs).toBeNull();
  });

  it('adds the time the body takes at 0 ms, when the run has that point: each window must be moved before it comes back', () => {
    const r = results(
      definition(),
      [point('w64', 'h2-tunnel', { tunnelRttMs: 0 }, 25, 40_000, 0), point('w64', 'h2-tunnel', { tunnelRttMs: 50 }, 2.2, 440_000, 50)],
      ['tunnelRttMs'],
    );
    expect(windowCeiling(r.points[0]!, r)).toBeNull(); // no round trip: no window ceiling
    const w = windowCeiling(r.points[1]!, r)!;
    expect(w.serviceMs).toBe(40);
    expect(w.bytesPerSec).toBeCloseTo(body / 0.44, 3);
    expect(w.share).toBeCloseTo(1, 6);
    expect(w.bdpShare).toBeCloseTo(0.4 / 0.44, 6);
    expect(w.formula).toBe('64 KiB window / 50 ms RTT (8 round trips per 496 KiB body, plus 40 ms moving it through the processes, as at 0 ms)');
  });

  it('shares the session window between streams; none without a round trip or for small calls', () => {
    const r = results(definition(), [point('shared', 'h2-tunnel', { tunnelRttMs: 50, concurrency: 4 }, 9, 420_000, 50)], ['tunnelRttMs']);
    const w = windowCeiling(r.points[0]!, r)!;
    expect(w.windowBytes).toBe(64 * KiB); // 256 KiB / 4 streams, under the 1 MiB stream window
    expect(w.bytesPerSec).toBeCloseTo((4 * body) / 0.4, 3);
    const near = results(definition(), [point('w64', 'h2-tunnel', { tunnelRttMs: 0 }, 100, 10_000, 0)], ['tunnelRttMs']);
    expect(windowCeiling(near.points[0]!, near)).toBeNull();
  });

  it('holds within 15 %, and not beyond; the transfer chart draws the ceiling and says how close each line came', () => {
    const claim = { kind: 'window-ceiling', id: 'w', claim: 'window / RTT', source: 'issue 16', systems: ['w64'] };
    const ok = results(definition([claim]), [point('w64', 'h2-tunnel', { tunnelRttMs: 50 }, 2.2, 440_000, 50)], ['tunnelRttMs']);
    const [held] = evaluateClaims(ok);
    expect(held!.verdict).toBe('holds');
    expect(held!.evidence[0]).toContain('90.9 %');
    const slow = results(definition([claim]), [point('w64', 'h2-tunnel', { tunnelRttMs: 50 }, 1, 800_000, 50)], ['tunnelRttMs']);
    expect(evaluateClaims(slow)[0]!.verdict).toBe('does not hold');
    expect(pointCeilings(ok).get(0)!.bytesPerSec).toBeCloseTo(body / 0.4, 3);
    const chart = buildChartGroups([{ results: ok, run: 'single' }])
      .flatMap((g) => g.charts)
      .find((c) => c.metric === 'transferBytesPerSec')!;
    expect(chart.series.map((s) => s.label)).toEqual(['w64', 'w64 · ceiling']);
    expect(chart.series[1]!.ceiling).toBe(true);
    expect(chartVerdict(chart).join(' ')).toContain('w64: 1.1 MiB/s, 90.9 % of its ceiling of 1.21 MiB/s');
  });
});

describe('distance ceilings', () => {
  const claim = { kind: 'distance-ceiling', id: 'd', claim: 'limit / (RTT + service)', source: 'seed 000', limited: 'h2', unlimited: ['grpc'] };
  const definition = {
    name: 'd',
    description: 'd',
    systems: [
      { id: 'h2', kind: 'h2-tunnel', streamLimit: 100 },
      { id: 'grpc', kind: 'grpc-tunnel' },
    ],
    workload: { call: 'echo' },
    load: { model: 'closed', concurrency: 10 },
    sweep: { tunnelRttMs: [0, 50], concurrency: [10, 400] },
    claims: [claim],
  };
  // at 0 ms every design is CPU-bound (98 % of the core); at 50 ms the h2 tunnel's limit bounds it
  const pts = (h2At50: number, grpcAt50: number): PointResult[] => [
    point('h2', 'h2-tunnel', { tunnelRttMs: 0, concurrency: 10 }, 2000, 5000, 0, 0.9),
    point('h2', 'h2-tunnel', { tunnelRttMs: 0, concurrency: 400 }, 4000, 100_000, 0, 0.98),
    point('h2', 'h2-tunnel', { tunnelRttMs: 50, concurrency: 10 }, 190, 52_000, 50, 0.05),
    point('h2', 'h2-tunnel', { tunnelRttMs: 50, concurrency: 400 }, h2At50, 400_000 / h2At50, 50, 0.3),
    point('grpc', 'grpc-tunnel', { tunnelRttMs: 0, concurrency: 10 }, 2000, 5000, 0, 0.9),
    point('grpc', 'grpc-tunnel', { tunnelRttMs: 0, concurrency: 400 }, 4200, 95_000, 0, 0.98),
    point('grpc', 'grpc-tunnel', { tunnelRttMs: 50, concurrency: 10 }, 190, 53_000, 50, 0.05),
    point('grpc', 'grpc-tunnel', { tunnelRttMs: 50, concurrency: 400 }, grpcAt50, 400_000 / grpcAt50, 50, 0.95),
  ];
  const withLimit = (ps: PointResult[]): PointResult[] =>
    ps.map((p) => (p.systemId === 'h2' ? { ...p, streamLimit: { perConnection: 100, connections: 1 } } : p));

  it('is the limit over the lone call at that distance, or what a whole core carries at the CPU per call, whichever is lower', () => {
    const r = results(definition, withLimit(pts(1800, 3900)), ['tunnelRttMs', 'concurrency']);
    const [near, far] = distanceCeilings(r, 'h2');
    // 0 ms: systems and relay used 98 % of the core for 4,000/s: a whole core carries 4,082/s, far below 100 / 5 ms
    expect(near!.coreShare).toBeCloseTo(0.98, 6);
    expect(near!.bound).toBe('cpu');
    expect(near!.requestsPerSec).toBeCloseTo(4000 / 0.98, 6);
    // 50 ms: 100 streams / 52 ms = 1,923/s, under the 6,000/s a core would carry at 30 % for 1,800/s
    expect(far!.slots).toBe(100);
    expect(far!.bound).toBe('slots');
    expect(far!.requestsPerSec).toBeCloseTo(100 / 0.052, 6);
    expect(far!.share).toBeCloseTo(1800 / (100 / 0.052), 6);
    // without a limit: 400 / 53 ms = 7,547/s, over the 4,105/s a core carries at 95 % for 3,900/s
    const [, grpc] = distanceCeilings(r, 'grpc');
    expect(grpc!.bound).toBe('cpu');
    expect(grpc!.requestsPerSec).toBeCloseTo(3900 / 0.95, 6);
    expect(pointCeilings(r).get(3)!.requestsPerSec).toBeCloseTo(100 / 0.052, 6);
  });

  it('holds when the limited tunnel tracks its ceiling and the other passes it; not when the tunnel falls short', () => {
    const [held] = evaluateClaims(results(definition, withLimit(pts(1800, 3900)), ['tunnelRttMs', 'concurrency']));
    expect(held!.verdict).toBe('holds');
    expect(held!.evidence.join('\n')).toContain(
      'h2 at 50 ms, 400 in flight: 1,800 req/s of a 1,920 req/s ceiling — 93.6 %; 100 streams (the limit) / 52 ms lone-call latency = 1,920 req/s',
    );
    expect(held!.evidence.join('\n')).toContain('h2 at 0 ms, 400 in flight: 4,000 req/s of a 4,080 req/s ceiling — 98 %; CPU-bound');
    expect(held!.evidence.join('\n')).toContain('the limit bounded h2 at 50 ms');
    const [short] = evaluateClaims(results(definition, withLimit(pts(1000, 3900)), ['tunnelRttMs', 'concurrency']));
    expect(short!.verdict).toBe('does not hold');
    expect(short!.evidence.join('\n')).toContain('beyond 20 % of its ceiling at 50 ms');
    const [level] = evaluateClaims(results(definition, withLimit(pts(1800, 2000)), ['tunnelRttMs', 'concurrency']));
    expect(level!.verdict).toBe('does not hold');
    expect(level!.evidence.join('\n')).toContain('did not pass the limited one');
  });
});
