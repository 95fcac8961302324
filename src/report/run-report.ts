/**
 * The report of one run: `renderRunReport` is a pure function from a results file to a self-contained
 * HTML page; `writeRunReport` is the thin wrapper that reads results.json and writes index.html beside it.
 */
import { coresText, parseCpuSet } from '../os/cpus.ts';
import { isUnlimited } from '../h2/stream-limit.ts';
import { describeOverrides } from '../scenario/overrides.ts';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Estimate, PointResult, ResultsFile } from '../measure/results.ts';
import { chartJsSource } from './assets.ts';
import { buildChartGroups, buildPercentileChart, type ChartSpec, nothingSucceeded, RUN_METRICS, SystemPalette } from './charts.ts';
import { axisValue, bytes, micros, paramsText, percent, rate, sig3 } from './format.ts';
import { claimsSection } from './claims.ts';
import { clinicSection } from './clinic.ts';
import { profilesSection } from './flame.ts';
import { groupsSection } from './groups.ts';
import { littlesLaw } from './littles-law.ts';
import { buildTimeSeries, timeSeriesTitle } from './timeseries.ts';
import { badge, chartFigure, chartGroupSection, esc, facts, MARKER_LEGEND, page } from './html.ts';
import { readResults } from './read.ts';
import { chartVerdict } from './verdicts.ts';

export interface PointCounts {
  ok: number;
  failed: number;
  generatorBound: number;
  notSteady: number;
}

export function pointCounts(results: ResultsFile): PointCounts {
  const c = { ok: 0, failed: 0, generatorBound: 0, notSteady: 0 };
  for (const p of results.points) {
    if (p.status === 'ok') c.ok++;
    else if (p.status === 'failed') c.failed++;
    else if (p.status === 'not-steady') c.notSteady++;
    else c.generatorBound++;
  }
  return c;
}

const STATUS_TEXT: Record<PointResult['status'], string> = {
  ok: 'ok',
  failed: '✕ failed',
  'generator-bound': '△ generator-bound',
  'not-steady': '◇ not steady',
};

/** The charts of a run with their verdicts filled in. */
export function runCharts(results: ResultsFile): { groups: ReturnType<typeof buildChartGroups>; distribution: ChartSpec | null } {
  // one palette for the page: a system has the same colour on every chart
  const palette = SystemPalette.forRuns([results]);
  const groups = buildChartGroups([{ results, run: 'single' }], RUN_METRICS, palette);
  for (const g of groups) for (const c of g.charts) c.verdict = chartVerdict(c);
  const distribution = buildPercentileChart(results, palette);
  if (distribution) distribution.verdict = chartVerdict(distribution);
  return { groups, distribution };
}

/** The median, and under it its 95 % CI when the trials give one. */
function estimateCell(e: Estimate | undefined, f: (n: number) => string): string {
  if (!e) return '<td class="num">–</td>';
  const { low, high } = e.ci;
  const ci = Number.isFinite(low) && Number.isFinite(high) && low !== high ? `<div class="ci">${esc(`${f(low)} – ${f(high)}`)}</div>` : '';
  return `<td class="num">${esc(f(e.median))}${ci}</td>`;
}

function errorsCell(p: PointResult): string {
  const s = p.summary;
  if (!s) return '-';
  const kinds = Object.entries(s.errors).sort((a, b) => b[1] - a[1]);
  if (kinds.length === 0 && s.errorRate === 0) return '0';
  return `${percent(s.errorRate)}${kinds.length ? `<br><small>${kinds.map(([k, n]) => `${esc(k)}: ${n.toLocaleString('en-US')}`).join(', ')}</small>` : ''}`;
}

function statusCell(p: PointResult): string {
  if (p.status === 'ok') return badge('ok');
  const first = (p.reason ?? '').split('\n')[0]!;
  const short = first.length > 90 ? `${first.slice(0, 87)}…` : first;
  return `${badge(p.status, STATUS_TEXT[p.status])}${short ? `<br><small>${esc(short)}</small>` : ''}`;
}

function warmupCell(p: PointResult): string {
  const w = p.warmup;
  if (!w) return '–';
  const secs = `${sig3(w.elapsedMs / 1000)} s`;
  return w.steady === true ? esc(secs) : w.steady === false ? `${esc(secs)}<br><small>not settled</small>` : `${esc(secs)}<br><small>fixed</small>`;
}

export function pointsTable(results: ResultsFile): string {
  const axes = results.axes;
  const head = [
    '#',
    'system',
    ...axes,
    'req/s (95 % CI)',
    'p50 (95 % CI)',
    'p99 (95 % CI)',
    'errors',
    'trials',
    'warm-up',
    'system CPU',
    'CPU / request',
    'peak RSS',
    'status',
  ];
  const rows = results.points.map((p) => {
    const s = p.summary;
    // no request succeeded: its 0 req/s and 0 µs measure nothing (its CPU and memory were still measured)
    const rates = nothingSucceeded(p) ? undefined : s;
    const cells = [
      `<td class="num">${p.index}</td>`,
      `<td title="${esc(p.systemId)}">${esc(p.label)}</td>`,
      ...axes.map((a) => `<td class="num">${p.params[a] === undefined ? '–' : esc(axisValue(a, p.params[a]!))}</td>`),
      estimateCell(rates?.requestsPerSec, rate),
      estimateCell(rates?.p50Us, micros),
      estimateCell(rates?.p99Us, micros),
      `<td class="num">${errorsCell(p)}</td>`,
      `<td class="num">${p.trials.length}</td>`,
      `<td class="num">${warmupCell(p)}</td>`,
      `<td class="num">${s ? esc(percent(s.systemCpu)) : '–'}</td>`,
      `<td class="num">${typeof rates?.systemCpuUsPerRequest === 'number' ? esc(`${sig3(rates.systemCpuUsPerRequest)} µs`) : '–'}</td>`,
      `<td class="num">${s ? esc(bytes(s.systemPeakRssBytes)) : '–'}</td>`,
      `<td>${statusCell(p)}</td>`,
    ];
    return `<tr class="${esc(p.status)}" data-point="${p.index}">${cells.join('')}</tr>`;
  });
  return `<div class="table-wrap"><table class="points"><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>
${rows.join('\n')}
</tbody></table></div>`;
}

/** Reason and stderr tail of every failed, generator-bound or not-steady point. */
export function problemDetails(results: ResultsFile): string {
  const problems = results.points.filter((p) => p.status !== 'ok');
  if (problems.length === 0) return '<p>Every point completed, settled before it was measured, and none was generator-bound.</p>';
  return problems
    .map((p) => {
      const where = paramsText(p.params, results.axes);
      const marker = p.status === 'failed' ? '<span class="marker-failed">✕ failed</span>' : `<span class="marker-gb">${esc(STATUS_TEXT[p.status])}</span>`;
      const stderr = p.stderrTail ? `<details><summary>stderr (last lines)</summary><pre>${esc(p.stderrTail)}</pre></details>` : '';
      return `<details class="problem ${esc(p.status)}" open><summary>${marker} ${esc(p.label)}${where ? ` — ${esc(where)}` : ''}</summary>
<p>${esc(p.reason ?? 'no reason recorded')}</p>${stderr}</details>`;
    })
    .join('\n');
}

/** Whether two core sets share a core (older results hold one core number each). */
function overlap(a: string | number | null, b: string | number | null): boolean {
  if (a === null || b === null) return false;
  const cores = (x: string | number): Set<number> => new Set(parseCpuSet(String(x), Number.MAX_SAFE_INTEGER));
  const bs = cores(b);
  return [...cores(a)].some((c) => bs.has(c));
}

export function environmentFacts(results: Pick<ResultsFile, 'environment'>): string {
  const e = results.environment;
  return facts([
    ['Node', esc(e.node)],
    ['CPU', `${esc(e.cpu)} × ${e.cores} cores`],
    ['OS', esc(e.os)],
    ['host', esc(e.hostname)],
    ['commit', e.commit ? `<code>${esc(e.commit)}</code>` : 'unknown'],
    [
      'pinned',
      e.pinned
        ? `yes: systems on ${coresText(e.systemCpu ?? '?')}, load on ${coresText(e.loadCpu ?? '?')}${overlap(e.systemCpu, e.loadCpu) ? ' (they share cores: figures are noisier)' : ''}`
        : 'no (systems and load share the cores: figures are noisier)',
    ],
    ['h2load', e.h2load ? 'available' : 'not installed'],
    ...(e.loadHosts
      ? ([
          [
            'load hosts',
            esc(
              e.loadHosts
                .map(
                  (h) =>
                    `worker ${h.index}: ${h.hostname} (${h.cpu} × ${h.cores}, Node ${h.node}${h.lateMs > 0 ? `, began ${Math.round(h.lateMs)} ms late` : ''})`,
                )
                .join('; '),
            ),
          ],
        ] as [string, string][])
      : []),
    ...(e.network
      ? ([
          [
            'network legs',
            `${e.network.mechanism === 'kernel' ? "shaped by the kernel on the run's own loopback (tc: htb, netem)" : "shaped by muxbench's relay (delay, jitter, bandwidth)"}; netem ${e.network.netem.available ? 'is available here' : 'is not available here'}: ${esc(e.network.netem.detail)}`,
          ],
        ] as [string, string][])
      : []),
  ]);
}

function duration(results: ResultsFile): string {
  if (!results.finishedAt) return '';
  const ms = Date.parse(results.finishedAt) - Date.parse(results.startedAt);
  return Number.isFinite(ms) ? ` (${Math.round(ms / 1000).toLocaleString('en-US')} s)` : '';
}

/**
 * A run's status as every page shows it: green "complete" only when no point failed; a complete run with
 * failed points in the warning colour, saying how many; an interrupted or unfinished one likewise marked.
 */
export function runStatusBadge(results: Pick<ResultsFile, 'status' | 'points'>): string {
  const total = results.points.length;
  const failed = results.points.filter((p) => p.status === 'failed').length;
  const failures = failed ? `${failed} of ${total} point${total === 1 ? '' : 's'} failed` : '';
  switch (results.status) {
    case 'complete':
      return failed ? badge('complete-failures', `complete, ${failures}`) : badge('complete');
    case 'aborted':
      return badge('aborted', `aborted (interrupted): ${total} point${total === 1 ? '' : 's'} measured${failed ? `, ${failures}` : ''}`);
    default:
      return badge('running', `incomplete (running or crashed)${failed ? `, ${failures}` : ''}`);
  }
}

/** A knob of a system as run, in words where a bare number misleads. */
function knobText(key: string, value: unknown): string {
  if (typeof value === 'string') return `${key} ${value}`;
  if (typeof value !== 'number') return `${key} ${JSON.stringify(value)}`;
  // maxConcurrentStreams: the field's name in results written before it was streamLimit
  if ((key === 'streamLimit' || key === 'maxConcurrentStreams') && isUnlimited(value)) return `${key} unlimited (advertised as 2^32−1)`;
  return `${key} ${axisValue(key, value)}`;
}

/**
 * Each system as the run started it: its knobs after validation (a preset expanded to its values), so a
 * reader sees what `preset: 'cloudflared'` meant.
 */
export function systemsFacts(results: ResultsFile): string {
  const def = results.scenario.definition as { systems?: unknown } | null;
  const systems = def && Array.isArray(def.systems) ? (def.systems as Record<string, unknown>[]) : [];
  if (systems.length === 0) return '';
  const skip = new Set(['id', 'label', 'kind', 'sweep', 'preset', 'groups']);
  return facts(
    systems.map((sys) => {
      const knobs = Object.entries(sys)
        .filter(([k]) => !skip.has(k))
        .map(([k, v]) => knobText(k, v));
      const preset = typeof sys.preset === 'string' ? `preset <code>${esc(sys.preset)}</code>: ` : '';
      const sweep = sys.sweep && typeof sys.sweep === 'object' ? `; swept: ${esc(Object.keys(sys.sweep).join(', '))}` : '';
      const own = sys.groups && typeof sys.groups === 'object' ? `; its own load sweeps: ${esc(JSON.stringify(sys.groups))}` : '';
      return [`${String(sys.label ?? sys.id)}`, `${esc(String(sys.kind))} — ${preset}${esc(knobs.join(', '))}${sweep}${own}`] as [string, string];
    }),
  );
}

/** Little's law, point by point: consistency of each measurement, and the ceiling where the design has one. */
export function littleSection(results: ResultsFile): string {
  const checks = littlesLaw(results);
  if (checks.length === 0) return '';
  return `<section id="littles-law">
<h2>Little's law</h2>
<p class="lead">In a closed loop the requests in flight are fixed, so throughput × mean latency must equal them; where calls hold a slot for a known time (the sleep workload) and a design bounds the slots (a stream limit), min(in flight, limit) / delay is the most it can carry.</p>
<ul class="little">${checks.map((c) => `<li class="${c.consistent ? 'consistent' : 'inconsistent'}">${esc(c.sentence)}</li>`).join('\n')}</ul>
</section>`;
}

/** Each point's throughput and p99 over time, warm-up included; points that did not settle are open. */
export function timeSeriesSection(results: ResultsFile, series: ReturnType<typeof buildTimeSeries>): string {
  if (series.length === 0) return '';
  return `<section id="time-series">
<h2>Over time</h2>
<p class="lead">Every point's throughput and p99 per 100 ms window: the warm-up (grey) until throughput settled, then each trial. Requests count in the window that sent them.</p>
${series
  .map(
    (
      t,
    ) => `<details class="series" id="series-${t.point.index}"${t.point.status === 'not-steady' ? ' open' : ''}><summary>${esc(timeSeriesTitle(t, results.axes))} ${t.point.status === 'ok' ? '' : badge(t.point.status, STATUS_TEXT[t.point.status])}</summary>
<ul class="verdict">${t.verdict.map((v) => `<li>${esc(v)}</li>`).join('')}</ul>
<div class="charts">${t.charts.map(chartFigure).join('')}</div></details>`,
  )
  .join('\n')}
</section>`;
}

export function renderRunReport(results: ResultsFile): string {
  const { groups, distribution } = runCharts(results);
  const counts = pointCounts(results);
  const series = buildTimeSeries(results);
  const charts = [...groups.flatMap((g) => g.charts), ...(distribution ? [distribution] : []), ...series.flatMap((t) => t.charts)];
  const inconsistent = littlesLaw(results).filter((c) => !c.consistent);
  const warn: string[] = [];
  if (results.status === 'aborted') warn.push('The run was interrupted: only the points measured before that are shown.');
  if (results.status === 'running') warn.push('The run had not finished when this results file was written.');
  if (results.quick) warn.push('Quick run (shortened settings): for a smoke check, not for conclusions.');
  if (!results.environment.pinned) warn.push('Systems and load engine were not pinned to separate cores: figures are noisier.');
  if (results.settings.trials < 2) warn.push('One trial per point: no confidence intervals.');
  if (results.points.some((p) => p.profile))
    warn.push('Profiled run: each point\'s profiled trial is extra and not in its figures (see "Where the time goes").');
  if (results.points.some((p) => p.clinic))
    warn.push('Run under clinic: each point\'s trials under clinic doctor and flame are extra and not in its figures (see "Where the time goes: clinic").');
  if (counts.notSteady)
    warn.push(`${counts.notSteady} point${counts.notSteady === 1 ? '' : 's'} had not settled when the warm-up cap came: their figures are marked not steady.`);
  if (inconsistent.length)
    warn.push(
      `${inconsistent.length} point${inconsistent.length === 1 ? '' : 's'} break${inconsistent.length === 1 ? 's' : ''} Little's law (throughput × latency ≠ requests in flight): see below before using them.`,
    );

  const body = `
<header>
<h1>${esc(results.scenario.name)} <small>— run ${esc(results.runId)}</small></h1>
<p class="lead">${esc(results.scenario.description)}</p>
${facts([
  ['status', runStatusBadge(results)],
  ['started', `${esc(results.startedAt)}${results.finishedAt ? ` → ${esc(results.finishedAt)}${duration(results)}` : ''}`],
  [
    'points',
    `${results.points.length}: ${badge('ok', `${counts.ok} ok`)} ${counts.failed ? badge('failed', `${counts.failed} failed`) : ''} ${counts.generatorBound ? badge('generator-bound', `${counts.generatorBound} generator-bound`) : ''} ${counts.notSteady ? badge('not-steady', `${counts.notSteady} not steady`) : ''}`,
  ],
  ['swept', results.axes.length ? esc(results.axes.join(', ')) : 'nothing (a single point per system)'],
  ['commit', results.environment.commit ? `<code>${esc(results.environment.commit)}</code>` : 'unknown'],
])}
${warn.map((w) => `<p class="lead">⚠ ${esc(w)}</p>`).join('\n')}
</header>
${claimsSection(results, groups)}
${charts.length ? MARKER_LEGEND : ''}
${groups.map(chartGroupSection).join('\n')}
${
  distribution
    ? `<section class="chart-group" id="g-distribution"><h2>Latency distribution</h2>
<p class="lead">Each system at its heaviest measured point, all trials' HDR histograms merged.</p>
<div class="charts">${chartFigure(distribution)}</div></section>`
    : ''
}
<section id="points">
<h2>All points</h2>
${pointsTable(results)}
</section>
${groupsSection(results)}
${littleSection(results)}
${profilesSection(results)}
${clinicSection(results)}
${timeSeriesSection(results, series)}
<section id="problems">
<h2>Failed, generator-bound and not-steady points</h2>
${problemDetails(results)}
</section>
<section id="environment">
<h2>Environment</h2>
${environmentFacts(results)}
</section>
<section id="settings">
<h2>Settings</h2>
${facts([
  [
    'warm-up',
    results.settings.steady
      ? `until throughput settles: three ${results.settings.steady.blockWindows * results.settings.steady.windowMs} ms blocks within ${percent(results.settings.steady.tolerance)}, at least ${results.settings.steady.minMs.toLocaleString('en-US')} ms, at most ${results.settings.steady.maxMs.toLocaleString('en-US')} ms`
      : `${results.settings.warmupMs.toLocaleString('en-US')} ms (fixed)`,
  ],
  ['duration', `${results.settings.durationMs.toLocaleString('en-US')} ms per trial`],
  ['trials', String(results.settings.trials)],
  ['load model', esc(results.settings.loadModel)],
  ...(results.settings.loadWorkers
    ? [
        [
          'load workers',
          `${results.settings.loadWorkers} per point, the load split between them, windows opened together and merged exactly (histograms merged); each trial's per-worker figures are in results.json (<code>trials[].workers</code>); generator-bound when any one worker was`,
        ] as [string, string],
      ]
    : []),
  ['quick', results.quick ? 'yes' : 'no'],
  ['scenario file', `<code>${esc(results.scenario.file)}</code>`],
  ...(results.overrides
    ? [['changed on the command line', `<code>${esc(describeOverrides(results.overrides))}</code> (the definition below is what ran)`] as [string, string]]
    : []),
])}
<h3>Systems as run</h3>
${systemsFacts(results)}
<details><summary>Scenario definition as run</summary>
<pre id="scenario-definition">${esc(JSON.stringify(results.scenario.definition, null, 2))}</pre>
</details>
</section>`;
  return page({
    title: `muxbench ${results.scenario.name} ${results.runId}`,
    body,
    charts,
    data: { 'muxbench-results': results },
    chartJs: chartJsSource(),
  });
}

/** Renders `resultsPath` into index.html beside it; returns the page's path. */
export function writeRunReport(resultsPath: string): string {
  const results = readResults(resultsPath);
  const out = join(dirname(resultsPath), 'index.html');
  writeFileSync(out, renderRunReport(results));
  return out;
}
