import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { comparisonExitCode, compareResults, formatComparison, type MetricChange } from '../../src/report/compare.ts';
import { comparisonChartVerdict, renderComparisonReport } from '../../src/report/compare-report.ts';
import { ReportInputError } from '../../src/report/errors.ts';
import { runCli, stopAll } from '../helpers/cli.ts';
import { fixturePath, island, loadFixture, tempDir, variant, writeJson } from './helpers.ts';

afterAll(stopAll);

const base = loadFixture('report-concurrency');
const later = { runId: '2026-01-03_00-00-00', startedAt: '2026-01-03T00:00:00.000Z' };

function metric(c: ReturnType<typeof compareResults>, systemId: string, concurrency: number, m: MetricChange['metric']): MetricChange {
  const p = c.points.find((q) => q.systemId === systemId && q.params.concurrency === concurrency);
  if (!p) throw new Error(`no point ${systemId} ${concurrency}`);
  return p.metrics.find((x) => x.metric === m)!;
}

describe('compareResults', () => {
  it('finds no change between identical runs', () => {
    const c = compareResults(base, base);
    expect(c.regressions).toEqual([]);
    expect(comparisonExitCode(c)).toBe(0);
    // 5 measured points × 3 metrics; the point that failed in both runs has no data
    expect(c.counts).toEqual({ faster: 0, slower: 0, 'no significant change': 15, 'insufficient data': 3 });
    const m = metric(c, 'h2-tunnel', 10, 'requestsPerSec');
    expect(m.change).toBe(0);
    expect(m.p).toBe(1);
  });

  it('flags a 30 % throughput drop in every trial as a regression, with CI and p', () => {
    const c = compareResults(base, variant(base, { ...later, factor: 0.7 }));
    const m = metric(c, 'h2-tunnel', 100, 'requestsPerSec');
    expect(m.verdict).toBe('slower');
    expect(m.regression).toBe(true);
    expect(m.change).toBeCloseTo(-0.3, 10);
    expect(m.ci.high).toBeLessThan(0);
    expect(m.ci.low).toBeGreaterThan(-0.4);
    // 3 vs 3 fully separated: the smallest two-sided exact p there is
    expect(m.p).toBeCloseTo(0.1, 10);
    expect(metric(c, 'h2-tunnel', 100, 'p99Us').verdict).toBe('no significant change');
    // generator-bound now: the drop is the load engine's, listed as slower but not a regression
    const gb = metric(c, 'http-grpc-streaming', 1000, 'requestsPerSec');
    expect(gb.verdict).toBe('slower');
    expect(gb.regression).toBe(false);
    expect(gb.note).toMatch(/generator-bound/);
    expect(c.regressions.map((r) => `${r.point.systemId}@${r.point.params.concurrency}`)).toEqual([
      'http-grpc-streaming@10',
      'http-grpc-streaming@100',
      'h2-tunnel@10',
      'h2-tunnel@100',
    ]);
    expect(comparisonExitCode(c)).toBe(1);
  });

  it('reads a throughput rise as faster and a latency rise as slower', () => {
    const c = compareResults(base, variant(base, { ...later, factor: 1.3, latencyFactor: 1.5 }));
    expect(metric(c, 'h2-tunnel', 10, 'requestsPerSec').verdict).toBe('faster');
    const p99 = metric(c, 'h2-tunnel', 10, 'p99Us');
    expect(p99.verdict).toBe('slower');
    expect(p99.regression).toBe(true);
    expect(p99.change).toBeCloseTo(0.5, 2);
  });

  it('calls ±2 % noise no significant change', () => {
    const c = compareResults(base, variant(base, { ...later, factor: [1.02, 0.98, 1.01], latencyFactor: 1.02 }));
    expect(c.regressions).toEqual([]);
    expect(c.counts.slower + c.counts.faster).toBe(0);
    expect(comparisonExitCode(c)).toBe(0);
  });

  it('needs the minimum effect: a clean 5 % drop counts only when min effect is below it', () => {
    const current = variant(base, { ...later, factor: 0.95 });
    expect(metric(compareResults(base, current), 'h2-tunnel', 10, 'requestsPerSec').verdict).toBe('no significant change');
    expect(metric(compareResults(base, current, { minEffect: 0.03 }), 'h2-tunnel', 10, 'requestsPerSec').verdict).toBe('slower');
    // and alpha: below 0.1 nothing can be significant with 3 vs 3 trials
    expect(metric(compareResults(base, variant(base, { ...later, factor: 0.5 }), { alpha: 0.05 }), 'h2-tunnel', 10, 'requestsPerSec').verdict).toBe(
      'no significant change',
    );
  });

  it('gives no verdict on fewer than 2 trials a side', () => {
    const smoke = loadFixture('smoke-results');
    const c = compareResults(smoke, variant(smoke, { ...later, factor: 0.5 }));
    expect(c.counts).toMatchObject({ slower: 0, 'insufficient data': 24 });
    expect(c.points[0]!.metrics[0]!.note).toBe('1 trial on a side; a verdict needs 2');
    expect(c.points[0]!.metrics[0]!.change).toBeCloseTo(-0.5, 10);
  });

  it('lists points present in only one run as added and removed, not as errors', () => {
    const current = structuredClone(base);
    current.points = current.points.filter((p) => p.params.concurrency !== 10);
    current.points.push({ ...structuredClone(base.points[0]!), params: { concurrency: 5000 } });
    const c = compareResults(base, current);
    expect(c.removed.map((r) => `${r.systemId}@${r.params.concurrency}`)).toEqual(['http-grpc-streaming@10', 'h2-tunnel@10']);
    expect(c.added.map((r) => `${r.systemId}@${r.params.concurrency}`)).toEqual(['http-grpc-streaming@5000']);
    expect(formatComparison(c)).toContain('only in the baseline (removed):\n  http_grpc streaming (concurrency=10) [ok]');
  });

  it('counts a point that now fails as a regression', () => {
    const current = structuredClone(base);
    const p = current.points[3]!;
    p.status = 'failed';
    p.reason = 'the edge exited with code 1';
    const c = compareResults(base, current);
    expect(c.regressions.map((r) => r.why)).toEqual(['now fails: the edge exited with code 1']);
    expect(c.points[3]!.metrics.every((m) => m.verdict === 'insufficient data')).toBe(true);
    expect(comparisonExitCode(c)).toBe(1);
  });

  it('refuses runs of different scenarios', () => {
    expect(() => compareResults(base, loadFixture('report-stream-limit'))).toThrow(ReportInputError);
    expect(() => compareResults(base, loadFixture('report-stream-limit'))).toThrow(
      /different scenarios: the baseline is a run of 'report-concurrency', the current file of 'report-stream-limit'/,
    );
  });

  it('renders a comparison page with both runs on each chart, the baseline dashed', () => {
    const current = variant(base, { ...later, factor: 0.7 });
    const c = compareResults(base, current);
    const html = renderComparisonReport(base, current, c);
    const charts = island(html, 'muxbench-charts') as { id: string; series: { label: string; dashed: boolean; color: string }[] }[];
    expect(charts.map((x) => x.id)).toEqual(['g-concurrency-requestsPerSec', 'g-concurrency-p50Us', 'g-concurrency-p99Us']);
    const s = charts[0]!.series;
    expect(s.map((x) => [x.label, x.dashed])).toEqual([
      ['http_grpc streaming (baseline)', true],
      ['h2 tunnel (baseline)', true],
      ['http_grpc streaming (current)', false],
      ['h2 tunnel (current)', false],
    ]);
    expect(s[0]!.color).toBe(s[2]!.color);
    expect(html).toContain('4 regressions');
    expect(comparisonChartVerdict(c, 'requestsPerSec', 'concurrency')).toEqual([
      'req/s: 5 slower, 1 insufficient data (of 6 points in both runs).',
      'Largest significant change: http_grpc streaming at 10 concurrent calls, −30.0 % (95 % CI −33.4 % … −26.4 %, p = 0.10) — a regression.',
    ]);
    expect(island(html, 'muxbench-comparison')).toEqual(JSON.parse(JSON.stringify(c)));
  });
});

describe('muxbench compare (the CLI)', () => {
  const dir = tempDir('compare');
  const a = writeJson(join(dir, 'a.json'), base);
  const slow = writeJson(join(dir, 'slow.json'), variant(base, { ...later, factor: 0.7 }));
  const noisy = writeJson(join(dir, 'noisy.json'), variant(base, { ...later, factor: [1.02, 0.98, 1.01] }));

  it('exits 0 for identical inputs', async () => {
    const r = await runCli(['compare', a, fixturePath('report-concurrency')]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('summary: 0 faster, 0 slower, 15 no significant change, 3 insufficient data');
    expect(r.stdout).toContain('no significant regression');
    expect(r.code).toBe(0);
  });

  it('exits 1 on a 30 % throughput regression and writes --html', async () => {
    const out = join(dir, 'cmp.html');
    const r = await runCli(['compare', a, slow, '--html', out]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('REGRESSION (4):');
    expect(r.stdout).toMatch(/h2 tunnel \(concurrency=100\): req\/s −30\.0 % \(95 % CI −3\d\.\d % … −2\d\.\d %, p = 0\.10\)/);
    expect(r.stdout).toMatch(/h2 tunnel\s+100\s+req\/s\s+12k req\/s\s+8,400 req\/s\s+−30\.0 %.*SLOWER \(regression\)/);
    expect(existsSync(out)).toBe(true);
    expect(readFileSync(out, 'utf8')).toContain('<h1>report-concurrency <small>— comparison</small></h1>');
  });

  it('exits 0 within noise (±2 %)', async () => {
    const r = await runCli(['compare', a, noisy]);
    expect(r.stdout).toContain('0 faster, 0 slower');
    expect(r.code).toBe(0);
  });

  it('forgives a 30 % drop when --min-effect asks for 50 %', async () => {
    expect((await runCli(['compare', a, slow, '--min-effect', '0.5'])).code).toBe(0);
  });

  it('exits 2 with a message for bad input', async () => {
    const missing = await runCli(['compare', a, join(dir, 'nope.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`${join(dir, 'nope.json')}: no such file`);

    const wrong = join(dir, 'wrong.json');
    writeFileSync(wrong, JSON.stringify({ schema: 'muxbench.results/0' }));
    const schema = await runCli(['compare', wrong, a]);
    expect(schema.code).toBe(2);
    expect(schema.stderr).toContain(
      `${wrong}: unsupported results file: schema "muxbench.results/0", expected one of 'muxbench.results/1', 'muxbench.results/2'`,
    );

    const other = await runCli(['compare', a, fixturePath('report-stream-limit')]);
    expect(other.code).toBe(2);
    expect(other.stderr).toContain('different scenarios');

    const args = await runCli(['compare', a]);
    expect(args.code).toBe(2);
    expect(args.stderr).toContain('name two results files');

    const alpha = await runCli(['compare', a, a, '--alpha', 'often']);
    expect(alpha.code).toBe(2);
    expect(alpha.stderr).toContain("--alpha must be a number from 0 to 1, got 'often'");
  });

  it('explains the alpha default in --help', async () => {
    const r = await runCli(['compare', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('with 3 vs 3 trials the smallest possible');
  });
});

describe('compareResults: honest comparisons', () => {
  it('never counts a point cut short by Ctrl-C as a regression', () => {
    const current = variant(base, { ...later, factor: 1 });
    current.status = 'aborted';
    const p = current.points[3]!;
    p.status = 'failed';
    p.interrupted = true;
    p.reason = 'interrupted: the run was stopped during this point';
    const c = compareResults(base, current);
    expect(c.regressions).toEqual([]);
    expect(c.points[3]!.newlyFailed).toBe(false);
    expect(c.points[3]!.metrics.every((m) => m.note === 'the run was interrupted during this point')).toBe(true);
    expect(c.warnings).toContain('the current run is aborted: points it did not finish are not compared as failures');
  });

  it('warns when the two runs were made from different definitions, quick and full, or on different machines', () => {
    const current = variant(base, { ...later, factor: 1 });
    current.scenario.definition = { ...(base.scenario.definition as object), durationMs: 99, trials: 7 };
    current.quick = true;
    current.environment = { ...current.environment, hostname: 'other-host' };
    const c = compareResults(base, current);
    expect(c.warnings).toEqual([
      "the two runs' scenario definitions differ (durationMs, trials): points may not measure the same thing",
      'one run is quick and the other is not: warm-up, duration and trials differ',
      "the runs come from different machines (fixture / other-host): differences may be the machines'; run `muxbench gate` to compare on one machine",
    ]);
    expect(formatComparison(c)).toContain("  WARNING: the two runs' scenario definitions differ (durationMs, trials)");
  });

  it('compares CPU time per request, in all and per process, where both runs sampled it', () => {
    const withCpu = structuredClone(base);
    for (const p of withCpu.points) for (const t of p.trials) for (const u of Object.values(t.processes)) u.cpuUsPerRequest = 10;
    const slower = structuredClone(withCpu);
    slower.runId = later.runId;
    for (const p of slower.points) for (const t of p.trials) for (const u of Object.values(t.processes)) u.cpuUsPerRequest = 13;
    const c = compareResults(withCpu, slower);
    const tunnel = c.points.find((p) => p.systemId === 'h2-tunnel' && p.params.concurrency === 100)!;
    const roles = Object.keys(base.points.find((p) => p.systemId === 'h2-tunnel')!.trials[0]!.processes).sort();
    expect(tunnel.metrics.map((m) => m.metric)).toEqual(['requestsPerSec', 'p50Us', 'p99Us', 'cpuUsPerRequest', ...roles.map((r) => `cpuUsPerRequest.${r}`)]);
    const total = tunnel.metrics.find((m) => m.metric === 'cpuUsPerRequest')!;
    expect(total.change).toBeCloseTo(0.3, 10);
    expect(total.verdict).toBe('slower');
    expect(total.regression).toBe(true);
    // files without CPU per request (muxbench.results/1) have no CPU metric at all
    expect(compareResults(base, base).points[0]!.metrics.map((m) => m.metric)).toEqual(['requestsPerSec', 'p50Us', 'p99Us']);
  });

  it('corrects for the number of comparisons when asked: one lucky point among many is not a change', () => {
    const current = structuredClone(base);
    current.runId = later.runId;
    // only one point moves by 30 %
    const p = current.points.find((q) => q.systemId === 'h2-tunnel' && q.params.concurrency === 10)!;
    for (const t of p.trials) t.requestsPerSec *= 0.7;
    expect(metric(compareResults(base, current), 'h2-tunnel', 10, 'requestsPerSec').regression).toBe(true);
    const corrected = compareResults(base, current, { correction: 'holm' });
    const m = metric(corrected, 'h2-tunnel', 10, 'requestsPerSec');
    expect(m.pAdjusted).toBeGreaterThan(m.p);
    expect(m.regression).toBe(false);
    expect(corrected.tests).toBe(15);
  });
});
