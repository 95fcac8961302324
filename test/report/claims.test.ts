/**
 * The seeds' claims decided from a run's points: each kind's verdict on hand-made results whose answer can
 * be worked out by hand (holds, does not hold, depends, no data), and the claims table on the run's page.
 */
import { describe, expect, it } from 'vitest';
import type { GroupResult, PointResult, ResultsFile, TrialResult } from '../../src/measure/results.ts';
import { evaluateClaims, slope } from '../../src/report/claims.ts';
import { renderRunReport } from '../../src/report/run-report.ts';
import { summarize } from '../../src/run/point.ts';
import { parseScenario } from '../../src/scenario/index.ts';
import { loadFixture, syntheticTrial } from './helpers.ts';

const MiB = 1024 * 1024;

function trial(rps: number, p50Us: number, o: { p99Us?: number; rss?: Record<string, number>; cpuUs?: number } = {}): TrialResult {
  const rss = o.rss ?? { edge: 50 * MiB, connector: 50 * MiB, origin: 40 * MiB };
  const cpuUsPerRequest = o.cpuUs === undefined ? null : o.cpuUs / Object.keys(rss).length;
  return syntheticTrial(rps, p50Us, {
    p99Us: o.p99Us,
    processes: Object.fromEntries(Object.entries(rss).map(([role, bytes]) => [role, { cpu: 0.5, peakRssBytes: bytes, elu: null, cpuUsPerRequest }])),
  });
}

const CALLS = { id: 'calls', label: 'calls', description: '', workload: { call: 'sleep', payloadBytes: 64, delayMs: 20 } };

/**
 * A point of `systemId` with `calls` at `n` in flight, and a bulk group beside it when `bulk` trials are
 * given. The calls' mean latency is set to what Little's law says (n / throughput), as a real closed loop's is.
 */
function point(systemId: string, n: number, trialOf: TrialResult, bulk?: TrialResult, status: PointResult['status'] = 'ok'): PointResult {
  const calls = { ...trialOf, latency: { ...trialOf.latency, meanUs: (n / trialOf.requestsPerSec) * 1e6 } };
  const groups: GroupResult[] = [{ ...CALLS, load: { model: 'closed', concurrency: n }, status, trials: [calls], summary: summarize([calls]) }];
  if (bulk)
    groups.push({
      id: 'bulk',
      label: '4 MiB downloads',
      description: '',
      workload: { call: 'sized', payloadBytes: 4 * MiB, delayMs: 0 },
      load: { model: 'closed', concurrency: 4 },
      status: 'ok',
      trials: [bulk],
      summary: summarize([bulk]),
    });
  return {
    index: 0,
    systemId,
    systemKind: 'h2-tunnel',
    label: systemId,
    params: { 'calls.concurrency': n, 'bulk.concurrency': bulk ? 4 : 0 },
    status,
    trials: [calls],
    summary: summarize([calls]),
    groups,
  };
}

const SYSTEMS = [
  { id: 'limited', kind: 'h2-tunnel', streamLimit: 100 },
  { id: 'open', kind: 'grpc-tunnel' },
  { id: 'batched', kind: 'http-grpc', mode: 'compat' },
  { id: 'single', kind: 'http-grpc', mode: 'compat', maxCallsPerBatch: 1 },
];

function run(points: PointResult[], claims: unknown[]): ResultsFile {
  const definition = parseScenario(
    {
      name: 'claims',
      description: 'd',
      systems: SYSTEMS,
      groups: [
        { id: 'calls', workload: { call: 'sleep', delayMs: 20 }, load: { model: 'closed', concurrency: 100 }, sweep: { concurrency: [100, 1000] } },
        { id: 'bulk', workload: { call: 'sized', payloadBytes: 4 * MiB }, load: { model: 'closed', concurrency: 4 }, sweep: { concurrency: [0, 4] } },
      ],
      claims,
    },
    'test',
  );
  const base = loadFixture('report-concurrency');
  points.forEach((p, i) => {
    p.index = i;
  });
  return { ...base, axes: ['calls.concurrency', 'bulk.concurrency'], scenario: { ...base.scenario, definition }, points };
}

const LIMIT = { id: 'limit', kind: 'stream-limit', claim: 'at most 100 streams', source: 'seed 000', limited: 'limited', limit: 100, unlimited: ['open'] };

describe('claims', () => {
  it('stream limit: holds when the limited design stays under limit / hold and the unlimited one goes past it', () => {
    // limit 100, calls held 20 ms: at most 5,000/s
    const points = [
      point('limited', 100, trial(4800, 21_000)),
      point('limited', 1000, trial(4900, 200_000)),
      point('open', 100, trial(4700, 21_000)),
      point('open', 1000, trial(9000, 110_000)),
    ];
    const [c] = evaluateClaims(run(points, [LIMIT]));
    expect(c!.verdict).toBe('holds');
    expect(c!.evidence.join('\n')).toContain('a limit of 100 streams with calls held 20 ms carries at most 5,000 req/s');
    expect(c!.evidence.join('\n')).toContain('open: 9,000 req/s at 1,000 in flight (1.8× the limited tunnel');
  });

  it('stream limit: does not hold when the unlimited design is bounded as low (CPU first), and no data without a point past the limit', () => {
    const points = [point('limited', 1000, trial(4900, 200_000)), point('open', 1000, trial(5000, 200_000))];
    const [c] = evaluateClaims(run(points, [LIMIT]));
    expect(c!.verdict).toBe('does not hold');
    expect(c!.evidence.join('\n')).toContain('something else (CPU, most likely) bounds them first');
    const [none] = evaluateClaims(run([point('limited', 100, trial(4800, 21_000)), point('limited', 1000, trial(4800, 21_000), undefined, 'failed')], [LIMIT]));
    expect(none!.verdict).toBe('no data');
    expect(none!.evidence.join('\n')).toContain('limited at 1,000 in flight was failed');
  });

  it('comparable latency: judged on the time above the hold at the lowest concurrency', () => {
    const claim = { id: 'lat', kind: 'comparable', claim: 'low latency', source: 's', metric: 'latency', systems: ['limited', 'open'] };
    // 1 ms and 1.2 ms above a 20 ms hold: comparable; 1 ms against 4 ms: not
    const close = evaluateClaims(run([point('limited', 100, trial(4800, 21_000)), point('open', 100, trial(4700, 21_200))], [claim]))[0]!;
    expect(close.verdict).toBe('holds');
    const far = evaluateClaims(
      run([point('limited', 100, trial(4800, 21_000)), point('open', 100, trial(4000, 24_000)), point('open', 1000, trial(9000, 24_000))], [claim]),
    )[0]!;
    expect(far.verdict).toBe('does not hold');
    expect(far.evidence.join('\n')).toContain('limited is 4.0× faster');
  });

  it('compares latency at a concurrency both systems have; uses a not-steady point with a caveat, never a generator-bound one', () => {
    const claim = { id: 'lat', kind: 'comparable', claim: 'low latency', source: 's', metric: 'latency', systems: ['limited', 'open'] };
    // 'limited' is generator-bound at 100: the comparison moves to 1,000, where both were measured
    const points = [
      point('limited', 100, trial(4800, 21_000), undefined, 'generator-bound'),
      point('limited', 1000, trial(4800, 30_000), undefined, 'not-steady'),
      point('open', 100, trial(4700, 21_000)),
      point('open', 1000, trial(4700, 31_000)),
    ];
    const [c] = evaluateClaims(run(points, [claim]));
    expect(c!.verdict).toBe('holds');
    const text = c!.evidence.join('\n');
    expect(text).toContain('limited: p50 30 ms (10 ms above the 20 ms hold), p99 60 ms at 1,000 in flight');
    expect(text).toContain('limited at 100 in flight was generator-bound (not used)');
    expect(text).toContain('limited at 1,000 in flight had not settled (used, with that caveat)');
    const [none] = evaluateClaims(run([point('limited', 100, trial(4800, 21_000)), point('open', 1000, trial(4700, 31_000))], [claim]));
    expect(none!.verdict).toBe('no data');
    expect(none!.evidence).toContain('needs both systems measured at one concurrency');
  });

  it("leaves a point that breaks Little's law out of throughput and latency, but not out of memory", () => {
    const claim = { id: 'tput', kind: 'comparable', claim: 'high throughput', source: 's', metric: 'throughput', systems: ['limited', 'open'] };
    const broken = point('open', 1000, trial(20_000, 50_000));
    broken.trials[0]!.latency.meanUs = 10_000; // 20,000/s × 10 ms = 200 in flight, not 1,000
    broken.summary = summarize(broken.trials);
    const points = [point('limited', 1000, trial(5000, 200_000)), point('open', 100, trial(4000, 25_000)), broken];
    const [c] = evaluateClaims(run(points, [claim]));
    expect(c!.evidence.join('\n')).toContain("open at 1,000 in flight breaks Little's law (throughput × latency ≠ in flight; not used)");
    expect(c!.evidence.join('\n')).toContain('open: at most 4,000 req/s (at 100 in flight)');
    const mem = evaluateClaims(run(points, [{ id: 'mem', kind: 'memory', claim: 'm', source: 's', lower: 'open', higher: 'limited' }]))[0]!;
    // its memory counts: the slope runs from 100 to the broken point at 1,000
    expect(mem.evidence.join('\n')).toMatch(/open: .* per request in flight \(RSS .* at 100 → .* at 1,000/);
    expect(mem.evidence.join('\n')).not.toContain("Little's law");
  });

  it("says inconclusive when the trials' intervals reach both sides of the factor, and decides when they do not", () => {
    const claim = { id: 'tput', kind: 'comparable', claim: 'high throughput', source: 's', metric: 'throughput', systems: ['limited', 'open'] };
    const three = (id: string, n: number, rates: number[]): PointResult => {
      const p = point(id, n, trial(rates[0]!, 1));
      p.trials = rates.map((r) => ({ ...trial(r, 1), latency: { ...trial(r, 1).latency, meanUs: (n / r) * 1e6 } }));
      p.summary = summarize(p.trials);
      return p;
    };
    // medians 4,000 vs 5,200 (1.30×), but the trials span 3,000–5,000 and 4,000–6,000: anything from 1 to 2×
    const wide = evaluateClaims(run([three('limited', 100, [3000, 4000, 5000]), three('open', 100, [4000, 5200, 6000])], [claim]))[0]!;
    expect(wide.verdict).toBe('inconclusive');
    expect(wide.evidence.join('\n')).toMatch(
      /open is 1\.30× higher \(1\.00× … 2\.00× over the trials' 95 % intervals\): the intervals reach both sides of 1\.25×/,
    );
    // tight trials: 1.30× for sure
    const tight = evaluateClaims(run([three('limited', 100, [3990, 4000, 4010]), three('open', 100, [5190, 5200, 5210])], [claim]))[0]!;
    expect(tight.verdict).toBe('does not hold');
  });

  it('comparable throughput: peak requests/s over the base points', () => {
    const claim = { id: 'tput', kind: 'comparable', claim: 'high throughput', source: 's', metric: 'throughput', systems: ['limited', 'open'] };
    const r = evaluateClaims(
      run([point('limited', 1000, trial(5000, 1)), point('open', 100, trial(4000, 1)), point('open', 1000, trial(10_000, 1), trial(10, 1))], [claim]),
    )[0]!;
    // the bulk point of 'open' (10,000/s beside the downloads) is not a base point: its peak is 4,000
    expect(r.evidence.join('\n')).toContain('open: at most 4,000 req/s (at 100 in flight)');
    expect(r.verdict).toBe('holds');
  });

  it('memory: the RSS slope over in flight, origin excluded', () => {
    expect(slope([100, 1000, 10_000], [100, 1000, 10_000])).toBeCloseTo(1, 9);
    const rss = (mib: number): Record<string, number> => ({ edge: mib * MiB, connector: 0, origin: 999 * MiB });
    const claim = { id: 'mem', kind: 'memory', claim: 'less memory', source: 's', lower: 'open', higher: 'limited' };
    // limited: 10 KiB per request in flight; open: 2 KiB
    const points = [
      point('limited', 100, trial(1, 1, { rss: rss(10) })),
      point('limited', 1000, trial(1, 1, { rss: { ...rss(10), edge: 10 * MiB + 900 * 10 * 1024 } })),
      point('open', 100, trial(1, 1, { rss: rss(10) })),
      point('open', 1000, trial(1, 1, { rss: { ...rss(10), edge: 10 * MiB + 900 * 2 * 1024 } })),
    ];
    const [c] = evaluateClaims(run(points, [claim]));
    expect(c!.verdict).toBe('holds');
    expect(c!.evidence[0]).toContain('2 KiB per request in flight');
    expect(c!.evidence.join('\n')).toContain('open needs 5.0× less');
    const [rev] = evaluateClaims(run(points, [{ ...claim, lower: 'limited', higher: 'open' }]));
    expect(rev!.verdict).toBe('does not hold');
    expect(rev!.evidence.join('\n')).toContain('the other way round');
  });

  it('isolation: holds, does not hold, or depends on the system', () => {
    const claim = { id: 'iso', kind: 'isolation', claim: 'no mutual blocking', source: 's', systems: ['limited', 'open'], group: 'bulk' };
    const points = [
      point('limited', 100, trial(100, 21_000, { p99Us: 25_000 })),
      point('limited', 100, trial(100, 21_000, { p99Us: 30_000 }), trial(5, 300_000)),
      point('open', 100, trial(100, 21_000, { p99Us: 25_000 })),
      point('open', 100, trial(100, 90_000, { p99Us: 250_000 }), trial(5, 300_000)),
    ];
    const [c] = evaluateClaims(run(points, [claim]));
    expect(c!.verdict).toBe('depends');
    expect(c!.evidence.join('\n')).toContain('limited: p99 25 ms alone, 30 ms beside 4 MiB downloads (1.20×');
    expect(c!.evidence.join('\n')).toContain('open: p99 25 ms alone, 250 ms beside 4 MiB downloads (10×');
    expect(evaluateClaims(run(points, [{ ...claim, systems: ['limited'] }]))[0]!.verdict).toBe('holds');
    expect(evaluateClaims(run(points, [{ ...claim, systems: ['open'] }]))[0]!.verdict).toBe('does not hold');
  });

  it('batching: calls carried and CPU per call at every concurrency both were measured at', () => {
    const claim = { id: 'batch', kind: 'batching', claim: 'one request, many calls', source: 's', batched: 'batched', unbatched: 'single' };
    const points = [
      point('batched', 100, trial(900, 110_000, { cpuUs: 200 })),
      point('batched', 1000, trial(6000, 160_000, { cpuUs: 20 })),
      point('single', 100, trial(950, 105_000, { cpuUs: 150 })),
      point('single', 1000, trial(1000, 1_000_000, { cpuUs: 60 })),
    ];
    // at 1,000 batching carries 6× the calls for a third of the CPU; at 100 it saves nothing
    const [c] = evaluateClaims(run(points, [claim]));
    expect(c!.verdict).toBe('depends');
    expect(c!.evidence.join('\n')).toContain('6.0× the calls per second at 3.0× less CPU per call');
    expect(c!.evidence.join('\n')).toContain('a saving at 1,000 only');
    expect(evaluateClaims(run(points.slice(1, 2).concat(points.slice(3)), [claim]))[0]!.verdict).toBe('holds');
    const [same] = evaluateClaims(run([point('batched', 100, trial(900, 1, { cpuUs: 50 })), point('single', 100, trial(950, 1, { cpuUs: 55 }))], [claim]));
    expect(same!.verdict).toBe('does not hold');
  });

  it('prints the claims table first on the page, with each verdict and a link to its chart or table', () => {
    const points = [
      point('limited', 100, trial(4800, 21_000)),
      point('limited', 1000, trial(4900, 200_000)),
      point('open', 100, trial(4700, 21_000)),
      point('open', 1000, trial(9000, 110_000)),
    ];
    const html = renderRunReport(run(points, [LIMIT]));
    expect(html.indexOf('id="claims"')).toBeGreaterThan(0);
    expect(html.indexOf('id="claims"')).toBeLessThan(html.indexOf('id="points"'));
    expect(html).toMatch(/<tr id="claim-limit" data-verdict="holds">.*at most 100 streams.*href="#fig-g-calls\.concurrency[^"]*-requestsPerSec"/s);
  });

  it('refuses claims that name a system or group the scenario does not have', () => {
    expect(() => run([], [{ ...LIMIT, unlimited: ['nope'] }])).toThrow(/claims\[0\]\.unlimited\[0\]: no system has the id 'nope'/);
    expect(() => run([], [{ id: 'i', kind: 'isolation', claim: 'c', source: 's', systems: ['open'], group: 'calls' }])).toThrow(
      /claims\[0\]\.group: 'calls' is the primary group/,
    );
    expect(() => run([], [LIMIT, LIMIT])).toThrow(/claims\[1\]\.id: 'limit' is used twice/);
  });
});
