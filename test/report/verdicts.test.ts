import { describe, expect, it } from 'vitest';
import type { ChartSpec, MetricId, Series, SeriesPoint } from '../../src/report/charts.ts';
import { METRICS, orderValues, xScaleFor } from '../../src/report/charts.ts';
import { chartVerdict } from '../../src/report/verdicts.ts';

type P = [x: number, y: number | null, status?: SeriesPoint['status']];

function series(label: string, points: P[], extra: Partial<Series> & { errors?: Record<string, number>[]; rps?: number[] } = {}): Series {
  return {
    label,
    systemId: extra.systemId ?? label,
    systemLabel: label,
    run: extra.run ?? 'single',
    fixed: {},
    streamLimit: extra.streamLimit ?? null,
    color: '#000',
    dashed: false,
    points: points.map(([x, y, status], i) => {
      const p: SeriesPoint = { x, y, low: null, high: null, status: status ?? 'ok', params: {}, trials: 3 };
      if (extra.errors) p.errors = extra.errors[i]!;
      if (extra.rps) p.requestsPerSec = extra.rps[i]!;
      return p;
    }),
  };
}

function chart(metric: MetricId, axis: string, s: Series[]): ChartSpec {
  const xValues = orderValues(
    axis,
    s.flatMap((l) => l.points.map((p) => p.x)),
  );
  const info = METRICS[metric];
  return {
    id: 'c',
    metric,
    title: info.title,
    yLabel: info.yLabel,
    yFormat: info.format,
    yLog: info.yLog,
    axis,
    xTitle: axis,
    xScale: xScaleFor(axis, xValues),
    xValues,
    xLabels: xValues.map(String),
    xFormat: 'number',
    series: s,
    markers: [],
    verdict: [],
  };
}

describe('latency verdicts', () => {
  it('measures p99 growth past a stream limit against the unlimited lines over the same range', () => {
    const spec = chart('p99Us', 'concurrency', [
      series(
        'h2 tunnel',
        [
          [10, 2000],
          [100, 2100],
          [1000, 8820],
        ],
        { streamLimit: 100 },
      ),
      series('http_grpc streaming', [
        [10, 500],
        [100, 520],
        [1000, 660],
      ]),
    ]);
    expect(chartVerdict(spec)).toEqual([
      "Past 100 concurrent calls (its stream limit), h2 tunnel's p99 grows 4.2× (2.1 ms at 100 → 8.82 ms at 1,000) while http_grpc streaming stays within 1.3× over the same range.",
      "At 1,000 concurrent calls, http_grpc streaming has the lowest p99, 660 µs; h2 tunnel's is 13× that, 8.82 ms.",
    ]);
  });

  it('compares growth over the range both lines measured when there is no limit to speak of', () => {
    const spec = chart('p50Us', 'payloadBytes', [
      series('a', [
        [64, 100],
        [65536, 400],
        [4194304, 5000],
      ]),
      series('b', [
        [64, 200],
        [65536, 260],
        [4194304, null, 'failed'],
      ]),
    ]);
    const v = chartVerdict(spec);
    expect(v[0]).toBe("From 64 B payloads to 64 KiB payloads, a's p50 grows 4.0× (100 µs → 400 µs) while b stays within 1.3×.");
    expect(v[1]).toBe("At 64 KiB payloads, b has the lowest p50, 260 µs; a's is 1.5× that, 400 µs.");
  });

  it('says so when a limited line failed past its limit instead of inventing a number', () => {
    const spec = chart('p99Us', 'concurrency', [
      series(
        'h2',
        [
          [10, 1000],
          [100, 3000],
          [1000, null, 'failed'],
        ],
        { streamLimit: 100 },
      ),
      series('grpc', [
        [10, 900],
        [100, 1000],
        [1000, 1200],
      ]),
    ]);
    const v = chartVerdict(spec);
    expect(v).toContain('h2 has no measurement past its stream limit of 100: it failed at 1,000 concurrent calls.');
    expect(v[0]).toBe("From 10 to 100 concurrent calls, h2's p99 grows 3.0× (1 ms → 3 ms) while grpc stays within 1.1×.");
    expect(v.join(' ')).not.toMatch(/NaN|Infinity|undefined/);
  });
});

describe('what a verdict may put down to a stream limit', () => {
  it('does not name the limit when a line without one grew about as much over the same range', () => {
    // the issue's case: the limited tunnel grows 4.7×, the unlimited one 4.0×
    const spec = chart('p99Us', 'concurrency', [
      series(
        'h2 tunnel · limit 100',
        [
          [50, 20_000],
          [100, 21_000],
          [1000, 98_700],
        ],
        { streamLimit: 100, systemId: 'h2' },
      ),
      series(
        'h2 tunnel · no limit',
        [
          [50, 20_000],
          [100, 21_000],
          [1000, 84_000],
        ],
        { streamLimit: 0, systemId: 'h2' },
      ),
      series('http_grpc streaming', [
        [50, 500],
        [100, 520],
        [1000, 660],
      ]),
    ]);
    const v = chartVerdict(spec);
    expect(v.join(' ')).not.toContain('(its stream limit)');
    expect(v[0]).toBe(
      "From 100 to 1,000 concurrent calls, h2 tunnel · limit 100's p99 grows 4.7× (21 ms at 100 → 98.7 ms at 1,000); h2 tunnel · no limit grows 4.0× over the same range with no stream limit in the way, so the run does not show its limit of 100 causing the growth.",
    );
  });

  it("holds the growths to the trials' intervals: a clear factor whose intervals overlap is not enough", () => {
    const withCi = (s: Series, spread: number[]): Series => {
      s.points.forEach((p, i) => {
        p.low = p.y! * (1 - spread[i]!);
        p.high = p.y! * (1 + spread[i]!);
      });
      return s;
    };
    const lines = (spread: number[]): Series[] => [
      withCi(
        series(
          'limited',
          [
            [100, 10_000],
            [1000, 40_000],
          ],
          { streamLimit: 100 },
        ),
        spread,
      ),
      withCi(
        series(
          'unlimited',
          [
            [100, 10_000],
            [1000, 20_000],
          ],
          { streamLimit: 0 },
        ),
        spread,
      ),
    ];
    // 4.0× against 2.0×: attributed when the trials agree (±2 %) …
    expect(chartVerdict(chart('p99Us', 'concurrency', lines([0.02, 0.02])))[0]).toMatch(
      /^Past 100 concurrent calls \(its stream limit\), limited's p99 grows 4\.0×/,
    );
    // … not when they scatter ±30 %: 4.0× could be 2.2×, 2.0× could be 3.7×
    expect(chartVerdict(chart('p99Us', 'concurrency', lines([0.3, 0.3])))[0]).toMatch(
      /^From 100 to 1,000 concurrent calls, limited's p99 grows 4\.0× .*so the run does not show its limit of 100 causing the growth\.$/,
    );
  });

  it('states the growth without a cause when no line without the limit was measured over the range', () => {
    const v = chartVerdict(
      chart('p99Us', 'concurrency', [
        series(
          'h2',
          [
            [100, 1000],
            [1000, 9000],
          ],
          { streamLimit: 100 },
        ),
        series('grpc', [
          [100, 900],
          [500, 1000],
        ]),
      ]),
    );
    expect(v[0]).toBe(
      "From 100 to 1,000 concurrent calls, h2's p99 grows 9.0× (1 ms at 100 → 9 ms at 1,000); no line without a stream limit was measured over that range to tell what its limit of 100 adds.",
    );
  });

  it("compares a comparison page's lines within one run only", () => {
    const baseline = series(
      'unlimited (baseline)',
      [
        [100, 1000],
        [1000, 1100],
      ],
      { streamLimit: 0, run: 'baseline' },
    );
    const v = chartVerdict(
      chart('p99Us', 'concurrency', [
        baseline,
        series(
          'limited',
          [
            [100, 1000],
            [1000, 5000],
          ],
          { streamLimit: 100, run: 'current' },
        ),
      ]),
    );
    expect(v[0]).toMatch(/^From 100 to 1,000 concurrent calls, limited's p99 grows 5\.0× .*no line without a stream limit was measured/);
  });
});

describe('throughput verdicts', () => {
  it('names the leader at the heaviest shared point with the ratio, and the scaling of each line', () => {
    const spec = chart('requestsPerSec', 'payloadBytes', [
      series('http_grpc streaming', [
        [1024, 40_000],
        [4194304, 2_100],
      ]),
      series('h2 tunnel', [
        [1024, 20_000],
        [4194304, 1_000],
      ]),
    ]);
    expect(chartVerdict(spec)).toEqual([
      "At 4 MiB payloads, http_grpc streaming has the highest throughput, 2,100 req/s: 2.1× h2 tunnel's 1,000 req/s.",
      'From 1 KiB payloads to 4 MiB payloads, throughput: http_grpc streaming falls 19×; h2 tunnel falls 20×.',
    ]);
  });

  it('flags generator-bound values and lists failed points, never using them as values', () => {
    const spec = chart('requestsPerSec', 'concurrency', [
      series('a', [
        [10, 1000],
        [100, 9000, 'generator-bound'],
        [1000, 5, 'failed'],
      ]),
      series('b', [
        [10, 500],
        [100, 3000],
        [1000, null, 'failed'],
      ]),
    ]);
    const v = chartVerdict(spec);
    expect(v[0]).toBe("At 100 concurrent calls, a has the highest throughput, 9,000 req/s (generator-bound): 3.0× b's 3,000 req/s.");
    expect(v).toContain('Failed (no usable measurement, see the failed points below): a at 1,000 concurrent calls and b at 1,000 concurrent calls.');
    expect(v.some((s) => s.startsWith('Generator-bound') && s.includes('a at 100 concurrent calls'))).toBe(true);
  });

  it('says a line completed no calls rather than dividing by zero', () => {
    const spec = chart('requestsPerSec', 'concurrency', [
      series('a', [
        [50, 2_000],
        [500, 20_000],
      ]),
      series('b', [
        [50, 500],
        [500, 0, 'generator-bound'],
      ]),
    ]);
    const v = chartVerdict(spec);
    expect(v[0]).toBe('At 500 concurrent calls, a has the highest throughput, 20k req/s; b (generator-bound) completed no calls.');
    expect(v[1]).toBe('From 50 to 500 concurrent calls, throughput: a grows 10×; b drops to zero.');
    const cpu = chart('systemCpu', 'concurrency', [series('a', [[500, 0.1]], { rps: [20_000] }), series('b', [[500, 0.5]], { rps: [0] })]);
    expect(chartVerdict(cpu)).toEqual(['At 500 concurrent calls, per core of system CPU: a 200k req/s (20k req/s on 10 % of a core).']);
  });

  it('copes with a chart where nothing succeeded', () => {
    const spec = chart('requestsPerSec', 'concurrency', [series('a', [[10, null, 'failed']])]);
    expect(chartVerdict(spec)).toEqual([
      'No successful point to compare.',
      'Failed (no usable measurement, see the failed points below): a at 10 concurrent calls.',
    ]);
    expect(chartVerdict(chart('p99Us', 'concurrency', []))).toEqual(['Not enough successful points to compare.']);
  });

  it('puts "unlimited" (stream limit 0) last and words it as such', () => {
    const spec = chart('requestsPerSec', 'streamLimit', [
      series('c=100', [
        [0, 12_000],
        [10, 8_000],
        [100, 11_000],
      ]),
      series('c=10', [
        [0, 8_000],
        [10, 8_000],
        [100, 8_000],
      ]),
    ]);
    expect(spec.xValues).toEqual([10, 100, 0]);
    expect(spec.xScale).toBe('category');
    const v = chartVerdict(spec);
    expect(v[0]).toBe("With no stream limit, c=100 has the highest throughput, 12k req/s: 1.5× c=10's 8,000 req/s.");
    expect(v[1]).toBe('From a stream limit of 10 to no stream limit, throughput: c=100 grows 1.5×; c=10 stays within 5 %.');
  });
});

describe('errors, CPU and memory verdicts', () => {
  it('reports the worst error rate with its kinds, and who was error-free', () => {
    const spec = chart('errorRate', 'concurrency', [
      series(
        'h2',
        [
          [10, 0],
          [100, 0.032],
        ],
        { errors: [{}, { ECONNRESET: 120, timeout: 8 }] },
      ),
      series(
        'grpc',
        [
          [10, 0],
          [100, 0],
        ],
        { errors: [{}, {}] },
      ),
    ]);
    expect(chartVerdict(spec)).toEqual(['h2 lost 3.2 % of calls at 100 concurrent calls (ECONNRESET 120, timeout 8).', 'Error-free: grpc.']);
    expect(chartVerdict(chart('errorRate', 'concurrency', [series('grpc', [[10, 0]])]))).toEqual(['No call failed at any measured point.']);
  });

  it('turns CPU into work per core and flags saturation', () => {
    const spec = chart('systemCpu', 'concurrency', [
      series(
        'a',
        [
          [10, 0.25],
          [100, 0.5],
        ],
        { rps: [100_000, 400_000] },
      ),
      series(
        'b',
        [
          [10, 0.5],
          [100, 0.95],
        ],
        { rps: [2_000, 3_800] },
      ),
    ]);
    const v = chartVerdict(spec);
    expect(v[0]).toBe(
      'At 100 concurrent calls, per core of system CPU: a 800k req/s (400k req/s on 50 % of a core); b 4,000 req/s (3,800 req/s on 95 % of a core) — a does 200× the work per CPU of b.',
    );
    expect(v[1]).toBe('CPU-bound (≥ 90 % of a core): b at 100 concurrent calls (95 %).');
  });

  it('flags a work-per-CPU ratio from a point whose load generator was near saturation', () => {
    // the issue's case: 1,386× the work per CPU, with the generator at 86.8 % of its core (generator-bound from 90 %)
    const spec = chart('systemCpu', 'concurrency', [series('a', [[100, 0.05]], { rps: [693_000] }), series('b', [[100, 0.999]], { rps: [9_990] })]);
    spec.series[0]!.points[0]!.generatorCpu = 0.868;
    spec.series[1]!.points[0]!.generatorCpu = 0.3;
    const v = chartVerdict(spec);
    expect(v[0]).toBe(
      "At 100 concurrent calls, per core of system CPU: a 13.9M req/s (693k req/s on 5 % of a core, generator near saturation, 86.8 % of its core); b 10k req/s (9,990 req/s on 99.9 % of a core) — a does 1,386× the work per CPU of b (generator near saturation, 86.8 % of its core at a's point: the ratio is a lower bound).",
    );
    // below 75 % nothing is said; from 90 % the point is generator-bound and says that
    spec.series[0]!.points[0]!.generatorCpu = 0.7;
    expect(chartVerdict(spec)[0]).toMatch(/— a does 1,386× the work per CPU of b\.$/);
    spec.series[0]!.points[0]!.status = 'generator-bound';
    expect(chartVerdict(spec)[0]).toContain("(generator-bound at a's point: the ratio is a lower bound)");
  });

  it('gives the marginal memory of a request in flight: the last step drawn and the fitted slope', () => {
    const MiB = 1024 * 1024;
    // peak RSS 100 → 102 → 110 MiB (a) and 300 → 340 → 500 MiB (b) at 10 → 110 → 1,010 in flight
    const rss = (label: string, values: number[]): Series => {
      const s = series(label, [
        [10, null],
        [110, null],
        [1010, null],
      ]);
      s.points.forEach((p, i) => {
        p.peakRssBytes = values[i]! * MiB;
        if (i > 0) {
          p.fromX = s.points[i - 1]!.x;
          p.y = ((values[i]! - values[i - 1]!) * MiB) / (p.x - p.fromX);
        }
      });
      return s;
    };
    const v = chartVerdict(chart('rssPerInflightBytes', 'concurrency', [rss('a', [100, 102, 110]), rss('b', [300, 340, 500]), rss('c', [50, 60, 55])]));
    expect(v[0]).toBe(
      'From 110 to 1,010 concurrent calls, peak RSS grew per added request in flight: b 182 KiB; a 9.1 KiB; c nothing measurable (peak RSS fell).',
    );
    expect(v[1]).toBe('Fitted over the whole sweep (least-squares slope of peak RSS against requests in flight): a 9.79 KiB; b 196 KiB; c 864 B.');
    expect(v[2]).toMatch(/^The line is the marginal cost: .* not peak RSS ÷ in flight/);
  });
});
