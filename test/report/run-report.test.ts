import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ResultsFile } from '../../src/measure/results.ts';
import { chartJsSource } from '../../src/report/assets.ts';
import { type ChartSpec, SystemPalette } from '../../src/report/charts.ts';
import { compareResults } from '../../src/report/compare.ts';
import { renderComparisonReport } from '../../src/report/compare-report.ts';
import { ReportInputError } from '../../src/report/errors.ts';
import { rate } from '../../src/report/format.ts';
import { esc, scriptSafe } from '../../src/report/html.ts';
import { parseResults, readResults } from '../../src/report/read.ts';
import { renderRunReport, runCharts, writeRunReport } from '../../src/report/run-report.ts';
import { summarize } from '../../src/run/point.ts';
import { island, loadFixture, syntheticTrial, tempDir, writeJson } from './helpers.ts';

const concurrency = loadFixture('report-concurrency');
const streamLimit = loadFixture('report-stream-limit');
const html = renderRunReport(concurrency);
const slHtml = renderRunReport(streamLimit);

function verdictOf(r: ResultsFile, id: string): string[] {
  const { groups } = runCharts(r);
  const spec = groups.flatMap((g) => g.charts).find((c) => c.id === id);
  if (!spec) throw new Error(`no chart ${id}`);
  return spec.verdict;
}

describe('run report: a 2-system × 3-concurrency run with a failed and a generator-bound point', () => {
  it('writes the verdicts computed from the data under the charts', () => {
    const throughput = [
      "At 100 concurrent calls, http_grpc streaming has the highest throughput, 200k req/s: 17× h2 tunnel's 12k req/s.",
      'Throughput across the sweep: http_grpc streaming grows 8.0× (from 10 to 1,000 concurrent calls); h2 tunnel grows 1.5× (from 10 to 100 concurrent calls).',
      'Failed (no usable measurement, see the failed points below): h2 tunnel at 1,000 concurrent calls.',
      "Generator-bound — the load engine was saturated, so these figures are its limit, not the system's: http_grpc streaming at 1,000 concurrent calls.",
    ];
    expect(verdictOf(concurrency, 'g-concurrency-requestsPerSec')).toEqual(throughput);
    expect(verdictOf(concurrency, 'g-concurrency-p99Us')).toEqual([
      "From 10 to 100 concurrent calls, h2 tunnel's p99 grows 4.5× (2 ms → 9 ms) while http_grpc streaming stays within 1.4×.",
      "At 100 concurrent calls, http_grpc streaming has the lowest p99, 700 µs; h2 tunnel's is 13× that, 9 ms.",
      'h2 tunnel has no measurement past its stream limit of 100: it failed at 1,000 concurrent calls.',
    ]);
    expect(verdictOf(concurrency, 'g-concurrency-errorRate')[0]).toMatch(
      /^h2 tunnel lost 0\.0\d+ % of calls at 100 concurrent calls \(ECONNRESET 30, status 502 6\)\.$/,
    );
    for (const sentence of throughput) expect(html).toContain(esc(sentence));
  });

  it('has one chart per metric of the swept axis (memory per in-flight request included) and the distribution', () => {
    const charts = island(html, 'muxbench-charts') as ChartSpec[];
    expect(charts.map((c) => c.id)).toEqual([
      'g-concurrency-requestsPerSec',
      'g-concurrency-p50Us',
      'g-concurrency-p99Us',
      'g-concurrency-errorRate',
      'g-concurrency-systemCpu',
      'g-concurrency-systemPeakRssBytes',
      'g-concurrency-rssPerInflightBytes',
      'g-distribution-latencyPercentiles',
    ]);
    for (const c of charts) {
      expect(html).toContain(`<canvas id="${c.id}"`);
      expect(c.verdict.length).toBeGreaterThan(0);
    }
    const rps = charts[0]!;
    // 10 → 1000 spans two orders of magnitude: log x; the h2 tunnel's limit of 100 is marked
    expect(rps.xScale).toBe('logarithmic');
    expect(rps.markers).toEqual([
      { x: 100, label: 'h2 tunnel: stream limit 100', color: rps.series.find((s) => s.systemId === 'h2-tunnel')!.color, series: ['h2 tunnel'] },
    ]);
    // throughput lines 8k … 400k apart by less than 100×: linear y; latency always log
    expect(rps.yLog).toBe(false);
    expect(charts[2]!.yLog).toBe(true);
    // the marginal memory of a request in flight, not peak RSS ÷ concurrency (10 MiB "per request" at 10):
    // http_grpc streaming's 100 → 104 → 120 MiB over 10 → 100 → 1,000 in flight
    const perInflight = charts[6]!;
    expect(perInflight.title).toBe('Memory per extra in-flight request');
    expect(perInflight.series[0]!.points.map((p) => (p.y === null ? null : Math.round(p.y)))).toEqual([
      null,
      Math.round((4 * 1024 * 1024) / 90),
      Math.round((16 * 1024 * 1024) / 900),
    ]);
    expect(perInflight.series[0]!.points.map((p) => p.fromX)).toEqual([undefined, 10, 100]);
    expect(perInflight.verdict).toEqual([
      'From 10 to 100 concurrent calls, peak RSS grew per added request in flight: h2 tunnel 455 KiB; http_grpc streaming 45.5 KiB.',
      'Fitted over the whole sweep (least-squares slope of peak RSS against requests in flight): http_grpc streaming 19.7 KiB; h2 tunnel 455 KiB.',
      "The line is the marginal cost: the change in peak RSS (all system processes) from the previous point divided by the requests added — not peak RSS ÷ in flight, which is mostly the processes' fixed size.",
    ]);
  });

  it('marks failed and generator-bound points in the charts, the table and the details', () => {
    const charts = island(html, 'muxbench-charts') as ChartSpec[];
    const h2 = charts[0]!.series.find((s) => s.systemId === 'h2-tunnel')!;
    expect(h2.points.map((p) => [p.x, p.status, p.y === null])).toEqual([
      [10, 'ok', false],
      [100, 'ok', false],
      [1000, 'failed', true],
    ]);
    const grpc = charts[0]!.series.find((s) => s.systemId === 'http-grpc-streaming')!;
    expect(grpc.points[2]!.status).toBe('generator-bound');
    expect(html).toMatch(/<tr class="failed" data-point="5">[\s\S]*?✕ failed[\s\S]*?the connector exited with code 1 during trial 1/);
    expect(html).toMatch(/<tr class="generator-bound" data-point="2">[\s\S]*?△ generator-bound/);
    expect(html).toContain('<details class="problem failed" open><summary><span class="marker-failed">✕ failed</span> h2 tunnel — concurrency=1,000</summary>');
    // the stderr tail is shown, escaped: it cannot close the page's script or add markup
    expect(html).toContain('Session closed with error code 11');
    expect(html).toContain('&lt;/script&gt;&lt;b&gt;not markup&lt;/b&gt;');
    expect(html).not.toContain('<b>not markup</b>');
  });

  it('shows "–", not 0 req/s and 0 µs, where no request of a failed point succeeded; its CPU and memory stay', () => {
    // as the real runs have them: trials measured, every request timed out (summary medians 0)
    const r = structuredClone(concurrency);
    const p = r.points[5]!;
    p.trials = [0, 1, 2].map(() => syntheticTrial(0, 0, { processes: { edge: { cpu: 0.25, peakRssBytes: 480 * 1024 * 1024, elu: 0.3 } } }));
    p.summary = summarize(p.trials);
    expect(p.summary.requestsPerSec.median).toBe(0);
    const page = renderRunReport(r);
    const row = /<tr class="failed" data-point="5">(.*?)<\/tr>/.exec(page)![1]!;
    const cells = [...row.matchAll(/<td[^>]*>(.*?)<\/td>/g)].map((m) => m[1]);
    // #, system, concurrency, req/s, p50, p99, errors, trials, warm-up, system CPU, CPU / request, peak RSS, status
    expect(cells.slice(3, 6)).toEqual(['–', '–', '–']);
    expect(cells[10]).toBe('–');
    expect(cells[9]).toBe('25 %');
    expect(cells[11]).toBe('480 MiB');
    expect(row).not.toMatch(/\b0 req\/s|\b0 µs/);
    // and the charts draw no 0 for it: a cross, like a point with no value
    const charts = island(page, 'muxbench-charts') as ChartSpec[];
    for (const id of ['g-concurrency-requestsPerSec', 'g-concurrency-p99Us']) {
      expect(charts.find((c) => c.id === id)!.series.find((s) => s.systemId === 'h2-tunnel')!.points[2]).toMatchObject({ status: 'failed', y: null });
    }
  });

  it('calls a run "complete" in green only when no point failed', () => {
    const clean = structuredClone(concurrency);
    clean.points = clean.points.filter((p) => p.status !== 'failed');
    expect(renderRunReport(clean)).toContain('<span class="badge complete">complete</span>');
    const running = { ...clean, status: 'running' as const, points: concurrency.points };
    expect(renderRunReport(running)).toContain('<span class="badge running">incomplete (running or crashed), 1 of 6 points failed</span>');
  });

  it('shows the confidence intervals of the medians, in the table and as error-bar data', () => {
    const p = concurrency.points[0]!.summary!;
    expect(p.requestsPerSec.ci.low).toBeLessThan(p.requestsPerSec.median);
    expect(p.requestsPerSec.ci.high).toBeGreaterThan(p.requestsPerSec.median);
    expect(html).toContain(
      `<td class="num">50k req/s<div class="ci">${esc(`${rate(p.requestsPerSec.ci.low)} – ${rate(p.requestsPerSec.ci.high)}`)}</div></td>`,
    );
    const charts = island(html, 'muxbench-charts') as ChartSpec[];
    const first = charts[0]!.series[0]!.points[0]!;
    expect([first.low, first.y, first.high]).toEqual([p.requestsPerSec.ci.low, p.requestsPerSec.median, p.requestsPerSec.ci.high]);
    expect(html).toContain('95 % bootstrap confidence interval');
  });

  it('inlines the results as JSON that round-trips exactly', () => {
    expect(island(html, 'muxbench-results')).toEqual(concurrency);
  });

  it('shows environment, status, settings and the scenario definition as run', () => {
    // complete, but not in green: a point failed
    expect(html).toContain('<span class="badge complete-failures">complete, 1 of 6 points failed</span>');
    expect(html).not.toContain('<span class="badge complete">');
    expect(html).toContain('<dt>Node</dt><dd>v20.20.2</dd>');
    expect(html).toContain('<dt>CPU</dt><dd>Fixture CPU × 2 cores</dd>');
    expect(html).toContain('<dt>commit</dt><dd><code>abc1234</code></dd>');
    expect(html).toContain('yes: systems on core 0, load on core 1');
    expect(html).toContain('<dt>h2load</dt><dd>available</dd>');
    expect(html).toContain('<dt>warm-up</dt><dd>500 ms (fixed)</dd>');
    expect(html).toContain('<dt>trials</dt><dd>3</dd>');
    expect(html).toContain('<dt>load model</dt><dd>closed</dd>');
    expect(html).toContain(esc(JSON.stringify(concurrency.scenario.definition, null, 2)));
  });

  it('is self-contained: chart.js inlined, no external script, stylesheet, font or request', () => {
    expect(html).toContain('Chart.js v4');
    expect(html).not.toMatch(/<script[^>]+src=/i);
    expect(html).not.toMatch(/<link[^>]+href=/i);
    expect(html).not.toMatch(/url\(\s*['"]?https?:/i);
    expect(html).not.toMatch(/@import/);
    // http(s) addresses appear only in chart.js's licence comments
    const withoutLicences = html.replace(/\/\*![\s\S]*?\*\//g, '');
    expect(withoutLicences).not.toMatch(/https?:\/\//);
    // every <script> is closed by its own </script>: nothing inlined ended one early
    expect(html.match(/<script\b/g)!.length).toBe(html.match(/<\/script>/g)!.length);
    expect(html).toContain("default-src 'none'");
  });

  it('escapes inlined script so that </script> or <!-- cannot end it, without changing what it does', () => {
    expect(chartJsSource().length).toBeGreaterThan(100_000);
    const js = 'return "</SCRIPT>" + "<!--" + /<\\/script>/.source';
    const safe = scriptSafe(js);
    expect(safe).not.toMatch(/<\/script|<!--/i);
    expect(new Function(safe)()).toBe(new Function(js)());
  });

  it('escapes data and labels so that they cannot end a script or add markup', () => {
    const evil = structuredClone(concurrency);
    evil.scenario.description = '</script><script>alert(1)</script><!--';
    evil.points[0]!.label = '</script><img src=x>';
    const page = renderRunReport(evil);
    expect(page).not.toContain('<script>alert(1)');
    expect(page).not.toContain('<img src=x>');
    expect(page.match(/<script\b/g)!.length).toBe(page.match(/<\/script>/g)!.length);
    expect((island(page, 'muxbench-results') as ResultsFile).points[0]!.label).toBe('</script><img src=x>');
  });
});

describe('run report: a stream-limit sweep (streamLimit × concurrency, 0 = unlimited)', () => {
  const charts = island(slHtml, 'muxbench-charts') as ChartSpec[];

  it('plots req/s and p99 against concurrency with one line per (system, limit) and the limits marked', () => {
    const p99 = charts.find((c) => c.id === 'g-concurrency-p99Us')!;
    expect(p99.series.map((s) => s.label)).toEqual(['http_grpc streaming', 'h2 tunnel · no limit', 'h2 tunnel · limit 10', 'h2 tunnel · limit 100']);
    expect(p99.markers.map((m) => m.x)).toEqual([10, 100]);
    expect(p99.verdict).toContain(
      "Past 100 concurrent calls (its stream limit), h2 tunnel · limit 100's p99 grows 10× (9 ms at 100 → 90 ms at 1,000) while h2 tunnel · no limit grows 4.4× over the same range.",
    );
    expect(p99.verdict).toContain(
      "Past 10 concurrent calls (its stream limit), h2 tunnel · limit 10's p99 grows 10× (2 ms at 10 → 20 ms at 100) while h2 tunnel · no limit grows 4.5× and h2 tunnel · limit 100 grows 4.5× over the same range.",
    );
  });

  it('shows the advertised limit on its own x axis, "unlimited" last', () => {
    const rps = charts.find((c) => c.id === 'g-streamLimit-requestsPerSec')!;
    expect(rps.xScale).toBe('category');
    expect(rps.xLabels).toEqual(['10', '100', 'unlimited']);
    expect(rps.series.map((s) => s.label)).toEqual(['h2 tunnel · concurrency 10', 'h2 tunnel · concurrency 100', 'h2 tunnel · concurrency 1,000']);
    expect(slHtml).toContain(esc('Not swept over streamLimit, so not on these charts: http_grpc streaming.'));
    expect(rps.verdict[0]).toBe(
      "With no stream limit, h2 tunnel · concurrency 1,000 has the highest throughput, 14k req/s: 1.2× h2 tunnel · concurrency 100's 12k req/s and 1.8× h2 tunnel · concurrency 10's 8,000 req/s (the lowest).",
    );
  });

  it('draws a point that failed after a trial at its partial value, marked failed, and leaves it out of verdicts', () => {
    const p99 = charts.find((c) => c.id === 'g-concurrency-p99Us')!;
    const failed = p99.series.find((s) => s.label === 'h2 tunnel · limit 10')!.points.find((p) => p.x === 1000)!;
    expect(failed).toMatchObject({ status: 'failed', y: 200_000, reason: 'the edge died (signal SIGKILL) during trial 2' });
    expect(p99.verdict.join(' ')).not.toContain('200 ms');
    expect(slHtml).toContain('JavaScript heap out of memory');
  });

  it('says the run was interrupted and not pinned', () => {
    expect(slHtml).toContain('<span class="badge aborted">aborted (interrupted): 12 points measured, 1 of 12 points failed</span>');
    expect(slHtml).toContain('The run was interrupted');
    expect(slHtml).toContain('no (systems and load share the cores: figures are noisier)');
    expect(slHtml).toContain('<dt>h2load</dt><dd>not installed</dd>');
  });
});

describe('run report: colours and stream-limit lines', () => {
  /** Every chart of a page but the time series (whose lines are trials): which systems each colour draws. */
  function systemsByColour(page: string): Map<string, Set<string>> {
    const out = new Map<string, Set<string>>();
    for (const c of (island(page, 'muxbench-charts') as ChartSpec[]).filter((x) => !x.id.startsWith('ts-'))) {
      for (const s of c.series) out.set(s.color, (out.get(s.color) ?? new Set()).add(s.systemId));
    }
    return out;
  }

  it('gives a system one colour (shades of it for its limits) on every chart of the page, the distribution included', () => {
    // the h2 tunnel listed first, as in the real stream-limit runs: its four lines must not take the other systems' colours
    const r = structuredClone(streamLimit);
    r.points = [...r.points.filter((p) => p.systemId === 'h2-tunnel'), ...r.points.filter((p) => p.systemId !== 'h2-tunnel')];
    const page = renderRunReport(r);
    for (const [colour, systems] of systemsByColour(page)) expect([...systems], colour).toHaveLength(1);
    const charts = island(page, 'muxbench-charts') as ChartSpec[];
    const palette = SystemPalette.forRuns([r]);
    const distribution = charts.find((c) => c.id === 'g-distribution-latencyPercentiles')!;
    for (const s of distribution.series) expect(s.color, s.systemId).toBe(palette.colour(s.systemId));
    const p99 = charts.find((c) => c.id === 'g-concurrency-p99Us')!;
    expect(p99.series.find((s) => s.systemId === 'http-grpc-streaming')!.color).toBe(palette.colour('http-grpc-streaming'));
    // the tunnel's three limits: three shades of its colour, told apart
    expect(new Set(p99.series.filter((s) => s.systemId === 'h2-tunnel').map((s) => s.color)).size).toBe(3);
  });

  it('keeps the colours on a comparison page: a system is the same colour in both runs', () => {
    const current = structuredClone(streamLimit);
    current.runId = 'later';
    const page = renderComparisonReport(streamLimit, current, compareResults(streamLimit, current));
    for (const [colour, systems] of systemsByColour(page)) expect([...systems], colour).toHaveLength(1);
    const rps = (island(page, 'muxbench-charts') as ChartSpec[]).find((c) => c.id === 'g-concurrency-requestsPerSec')!;
    const colourOf = (label: string): string => rps.series.find((s) => s.label === label)!.color;
    expect(colourOf('http_grpc streaming (baseline)')).toBe(colourOf('http_grpc streaming (current)'));
    expect(colourOf('h2 tunnel · limit 10 (baseline)')).toBe(colourOf('h2 tunnel · limit 10 (current)'));
  });

  it('draws a limit line only for a system whose limit is set and finite, named after it, in its colour', () => {
    const charts = island(slHtml, 'muxbench-charts') as ChartSpec[];
    const p99 = charts.find((c) => c.id === 'g-concurrency-p99Us')!;
    const colour = (label: string): string => p99.series.find((s) => s.label === label)!.color;
    // "no limit" (0) has none; http_grpc has none
    expect(p99.markers).toEqual([
      { x: 10, label: 'h2 tunnel: stream limit 10', color: colour('h2 tunnel · limit 10'), series: ['h2 tunnel · limit 10'] },
      { x: 100, label: 'h2 tunnel: stream limit 100', color: colour('h2 tunnel · limit 100'), series: ['h2 tunnel · limit 100'] },
    ]);

    // the cloudflared preset (0: unlimited, 4 connections) and an advertised 2^32−1 draw nothing; 4 × 100 streams are 400
    const r = structuredClone(concurrency);
    const def = r.scenario.definition as { systems: Record<string, unknown>[] };
    const markers = (maxConcurrentStreams: number, tunnelConnections: number): ChartSpec['markers'] => {
      Object.assign(def.systems[1]!, { maxConcurrentStreams, tunnelConnections });
      return (island(renderRunReport(r), 'muxbench-charts') as ChartSpec[]).filter((c) => !c.id.startsWith('ts-')).flatMap((c) => c.markers);
    };
    expect(markers(0, 4)).toEqual([]);
    expect(markers(2 ** 32 - 1, 1)).toEqual([]);
    expect(markers(100, 4).map((m) => [m.x, m.label])).toContainEqual([400, 'h2 tunnel: 4 × 100 streams']);
    // a run without any h2 tunnel: no line at all
    const noTunnel = structuredClone(concurrency);
    noTunnel.points = noTunnel.points.filter((p) => p.systemKind !== 'h2-tunnel');
    expect((island(renderRunReport(noTunnel), 'muxbench-charts') as ChartSpec[]).flatMap((c) => c.markers)).toEqual([]);
  });
});

describe('run report: shapes other than one clean sweep', () => {
  it('splits a chart with more lines than it can show into facets, one per value of the other axis', () => {
    const r = structuredClone(concurrency);
    r.axes = ['concurrency', 'payloadBytes'];
    const systems = ['a', 'b', 'c'];
    r.points = systems.flatMap((id, si) =>
      [64, 1024, 65536].flatMap((payloadBytes, pi) =>
        concurrency.points.slice(0, 3).map((p, ci) => ({
          ...structuredClone(p),
          index: si * 9 + pi * 3 + ci,
          systemId: id,
          label: `system ${id}`,
          params: { concurrency: p.params.concurrency!, payloadBytes },
        })),
      ),
    );
    const { groups } = runCharts(r);
    // by concurrency: 3 systems × 3 payloads = 9 lines > 8, so one facet per payload size
    const byConcurrency = groups.filter((g) => g.axis === 'concurrency');
    expect(byConcurrency.map((g) => g.title)).toEqual([
      'by concurrency — payloadBytes = 64 B',
      'by concurrency — payloadBytes = 1 KiB',
      'by concurrency — payloadBytes = 64 KiB',
    ]);
    expect(byConcurrency[0]!.charts[0]!.series.map((x) => x.label)).toEqual(['system a', 'system b', 'system c']);
    const byPayload = groups.filter((g) => g.axis === 'payloadBytes');
    expect(byPayload).toHaveLength(3);
    expect(byPayload[0]!.charts[0]!.xLabels).toEqual(['64 B', '1 KiB', '64 KiB']);
    expect(byPayload[0]!.charts[0]!.xScale).toBe('logarithmic');
    expect(() => renderRunReport(r)).not.toThrow();
  });

  it('renders a run with no sweep, and a run that has no point yet', () => {
    const single = structuredClone(concurrency);
    single.axes = [];
    single.points = single.points.slice(0, 1).map((p) => ({ ...p, params: {} }));
    const page = renderRunReport(single);
    expect(page).toContain('nothing (a single point per system)');
    expect((island(page, 'muxbench-charts') as ChartSpec[]).map((c) => c.id)).toEqual(['g-distribution-latencyPercentiles']);

    const empty = structuredClone(concurrency);
    empty.status = 'running';
    empty.points = [];
    delete empty.finishedAt;
    const emptyPage = renderRunReport(empty);
    expect(emptyPage).toContain('incomplete (running or crashed)');
    expect(emptyPage).not.toContain('muxbench-charts');
  });
});

describe('reading and writing', () => {
  it('rejects a file whose schema is not muxbench.results/1 or /2, naming the file and the schema', () => {
    expect(() => parseResults('{"schema":"muxbench.results/0","points":[]}', 'old.json')).toThrow(
      "old.json: unsupported results file: schema \"muxbench.results/0\", expected one of 'muxbench.results/1', 'muxbench.results/2'",
    );
    expect(() => parseResults('[1,2]', 'list.json')).toThrow(/list\.json: not a muxbench results file/);
    expect(() => parseResults('{"schema":', 'cut.json')).toThrow(/cut\.json: not valid JSON/);
    expect(() => readResults('/nonexistent/results.json')).toThrow(ReportInputError);
  });

  it('writes index.html next to results.json and returns its path', () => {
    const dir = tempDir('report');
    const results = writeJson(join(dir, 'smoke', 'run', 'results.json'), concurrency);
    const out = writeRunReport(results);
    expect(out).toBe(join(dir, 'smoke', 'run', 'index.html'));
    expect(readFileSync(out, 'utf8')).toBe(html);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"schema":"other/9"}');
    expect(() => writeRunReport(bad)).toThrow(`${bad}: unsupported results file: schema "other/9"`);
    expect(existsSync(join(dir, 'index.html'))).toBe(false);
  });

  it('renders the real smoke run (4 systems, 1 trial) without inventing intervals', () => {
    const smoke = loadFixture('smoke-results');
    const page = renderRunReport(smoke);
    expect(page).toContain('One trial per point: no confidence intervals.');
    expect(page).toMatch(/<tr class="generator-bound" data-point="3">/);
    const charts = island(page, 'muxbench-charts') as ChartSpec[];
    expect(charts[0]!.series).toHaveLength(4);
    // the origin reached directly grew 6.0× over the same range: 8.3× is not clearly the stream limit's doing
    expect(charts.find((c) => c.id === 'g-concurrency-p99Us')!.verdict[0]).toBe(
      "From 10 to 200 concurrent calls, h2 tunnel (limit 100)'s p99 grows 8.3× (28.4 ms at 10 → 237 ms at 200); origin, direct (baseline) grows 6.0× and http_grpc streaming grows 2.6× over the same range with no stream limit in the way, so the run does not show its limit of 100 causing the growth.",
    );
  });
});
