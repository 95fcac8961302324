/**
 * The comparison page: both runs on each chart (the baseline dashed), the verdict of every point and
 * metric, the regressions first. Pure render; `writeComparisonReport` writes the file.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { FRAME_KINDS, type FunctionShift } from '../measure/profile.ts';
import type { ResultsFile } from '../measure/results.ts';
import { chartJsSource } from './assets.ts';
import { buildChartGroups, COMPARE_METRICS, type ChartSpec } from './charts.ts';
import { type ComparedMetric, type Comparison, comparisonSummary, metricDef, type PointRef, pointKey, type RunRef, type Verdict } from './compare.ts';
import { axisValue, describeAxisValue, paramsText, percent, percentagePoints as pp, pValue, signedPercent } from './format.ts';
import { badge, chartGroupSection, esc, facts, MARKER_LEGEND, page } from './html.ts';
import { environmentFacts, runStatusBadge } from './run-report.ts';

const VERDICT_CLASS: Record<Verdict, string> = { faster: 'faster', slower: 'slower', 'no significant change': 'same', 'insufficient data': 'insufficient' };

/** The sentence under a comparison chart: verdict counts for that metric and the largest significant change. */
export function comparisonChartVerdict(c: Comparison, metric: ComparedMetric, axis?: string): string[] {
  const label = metricDef(metric).label;
  const rows = c.points
    .filter((p) => axis === undefined || p.params[axis] !== undefined)
    .flatMap((p) => p.metrics.filter((m) => m.metric === metric).map((m) => ({ p, m })));
  if (rows.length === 0) return ['No point is in both runs.'];
  const counts = new Map<Verdict, number>();
  for (const { m } of rows) counts.set(m.verdict, (counts.get(m.verdict) ?? 0) + 1);
  const out = [`${label}: ${[...counts.entries()].map(([v, n]) => `${n} ${v}`).join(', ')} (of ${rows.length} points in both runs).`];
  const significant = rows.filter(({ m }) => m.verdict === 'faster' || m.verdict === 'slower').sort((a, b) => Math.abs(b.m.change) - Math.abs(a.m.change));
  const top = significant[0];
  if (top) {
    const where = Object.entries(top.p.params)
      .map(([k, v]) => describeAxisValue(k, v))
      .join(', ');
    out.push(
      `Largest significant change: ${top.p.label}${where ? ` at ${where}` : ''}, ${signedPercent(top.m.change)} (95 % CI ${signedPercent(top.m.ci.low)} … ${signedPercent(top.m.ci.high)}, p = ${pValue(top.m.p)}) — ${top.m.regression ? 'a regression' : top.m.verdict}.`,
    );
  }
  return out;
}

function runFacts(r: RunRef, results: ResultsFile): string {
  return facts([
    ['run', esc(r.runId)],
    ['started', esc(r.startedAt)],
    ['status', runStatusBadge(results)],
    ['commit', r.commit ? `<code>${esc(r.commit)}</code>` : 'unknown'],
    ['trials per point', String(r.trials)],
    ['quick', r.quick ? 'yes' : 'no'],
  ]);
}

function refList(title: string, refs: readonly PointRef[], axes: readonly string[]): string {
  if (refs.length === 0) return '';
  return `<h3>${esc(title)}</h3><ul>${refs.map((r) => `<li>${esc(r.label)}${Object.keys(r.params).length ? ` — ${esc(paramsText(r.params, axes))}` : ''} ${badge(r.status)}</li>`).join('')}</ul>`;
}

export function comparisonTable(c: Comparison): string {
  const head = ['system', ...c.axes, 'metric', 'baseline', 'current', 'change', '95 % CI', 'p', 'verdict'];
  const rows = c.points.flatMap((p) =>
    p.metrics.map((m) => {
      const def = metricDef(m.metric);
      const cls = m.regression ? 'slower' : VERDICT_CLASS[m.verdict];
      const verdict = badge(cls, m.regression ? 'slower — regression' : m.verdict) + (m.note ? `<br><small>${esc(m.note)}</small>` : '');
      return `<tr class="verdict-${esc(cls)}${p.newlyFailed ? ' failed' : ''}">${[
        `<td>${esc(p.label)}</td>`,
        ...c.axes.map((a) => `<td class="num">${p.params[a] === undefined ? '–' : esc(axisValue(a, p.params[a]!))}</td>`),
        `<td>${esc(m.label)}</td>`,
        `<td class="num">${esc(def.format(m.baselineMedian))}</td>`,
        `<td class="num">${esc(def.format(m.currentMedian))}</td>`,
        `<td class="num">${esc(signedPercent(m.change))}</td>`,
        `<td class="ci">${Number.isFinite(m.ci.low) ? esc(`${signedPercent(m.ci.low)} … ${signedPercent(m.ci.high)}`) : ''}</td>`,
        `<td class="num">${esc(pValue(m.p))}</td>`,
        `<td>${verdict}</td>`,
      ].join('')}</tr>`;
    }),
  );
  return `<div class="table-wrap"><table class="comparison"><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>
${rows.join('\n')}
</tbody></table></div>`;
}

export function renderComparisonReport(base: ResultsFile, current: ResultsFile, c: Comparison): string {
  const groups = buildChartGroups(
    [
      { results: base, run: 'baseline' },
      { results: current, run: 'current' },
    ],
    COMPARE_METRICS,
  );
  for (const g of groups) for (const chart of g.charts) chart.verdict = comparisonChartVerdict(c, chart.metric as ComparedMetric, g.axis);
  const charts: ChartSpec[] = groups.flatMap((g) => g.charts);
  const verdictBadge = c.regressions.length
    ? badge('slower', `${c.regressions.length} regression${c.regressions.length === 1 ? '' : 's'}`)
    : badge('faster', 'no significant regression');
  const regressions = c.regressions.length
    ? `<ul class="regressions">${c.regressions
        .map(
          (r) =>
            `<li><b>${esc(r.point.label)}</b>${Object.keys(r.point.params).length ? ` — ${esc(paramsText(r.point.params, c.axes))}` : ''}: ${esc(r.why)}${r.point.profiles?.length ? ` — <a href="#profile-diff-${esc(pointKey(r.point))}">what changed in its profiles</a>` : ''}</li>`,
        )
        .join('')}</ul>`
    : '';
  const body = `
<header>
<h1>${esc(c.scenario)} <small>— comparison</small></h1>
<p class="lead">Baseline ${esc(c.baseline.runId)} (dashed lines) → current ${esc(c.current.runId)} (solid lines).</p>
${facts([
  ['verdict', verdictBadge],
  ['summary', esc(comparisonSummary(c))],
  [
    'significant when',
    `Mann-Whitney U p ${c.options.correction === 'none' ? '' : `(${c.options.correction === 'holm' ? 'Holm' : 'Benjamini–Hochberg'}-corrected over ${c.tests} comparisons) `}≤ ${c.options.alpha}, the 95 % bootstrap CI of the change excludes 0, and |change| ≥ ${Math.round(c.options.minEffect * 1000) / 10} % (with 3 vs 3 trials the smallest possible p is 0.1)`,
  ],
  ...c.warnings.map((w): [string, string] => ['warning', esc(w)]),
])}
${regressions}
</header>
<section id="runs">
<h2>Runs</h2>
<div class="charts">
<div><h3>Baseline</h3>${runFacts(c.baseline, base)}${environmentFacts(base)}</div>
<div><h3>Current</h3>${runFacts(c.current, current)}${environmentFacts(current)}</div>
</div>
</section>
${charts.length ? MARKER_LEGEND : ''}
${groups.map(chartGroupSection).join('\n')}
${profileDiffSection(c)}
<section id="points">
<h2>Every point and metric</h2>
${comparisonTable(c)}
${refList('Only in the current run (added)', c.added, c.axes)}
${refList('Only in the baseline (removed)', c.removed, c.axes)}
</section>`;
  return page({
    title: `muxbench ${c.scenario}: ${c.baseline.runId} → ${c.current.runId}`,
    body,
    charts,
    data: { 'muxbench-comparison': c },
    chartJs: chartJsSource(),
  });
}

/** Both runs profiled these points: per process, the kinds' and the functions' shares of the busy time, before and now. */
function profileDiffSection(c: Comparison): string {
  const profiled = c.points.filter((p) => p.profiles?.length);
  if (profiled.length === 0) return '';
  const blocks = profiled.map((p) => {
    const rows = p.profiles!.map(({ role, diff }) => {
      const kinds = diff.kinds
        .filter((k) => k.baseShare > 0.005 || k.currentShare > 0.005)
        .map((k) => `${esc(FRAME_KINDS[k.kind])}: ${esc(percent(k.baseShare))} → ${esc(percent(k.currentShare))} (${esc(pp(k.change))})`)
        .join('<br>');
      const fn = (f: FunctionShift): string =>
        `<tr><td><code>${esc(f.name)}</code> <small>${esc(f.at || '(native)')}</small></td><td class="num">${esc(percent(f.baseShare))}</td><td class="num">${esc(percent(f.currentShare))}</td><td class="num">${esc(pp(f.change))}</td></tr>`;
      return `<h4>${esc(role)}</h4><p class="lead">${kinds}</p>
<div class="table-wrap"><table class="profile-diff"><thead><tr><th>grew most</th><th>baseline</th><th>current</th><th>change</th></tr></thead><tbody>${diff.grew.map(fn).join('') || '<tr><td colspan="4">none</td></tr>'}</tbody></table>
<table class="profile-diff"><thead><tr><th>shrank most</th><th>baseline</th><th>current</th><th>change</th></tr></thead><tbody>${diff.shrank.map(fn).join('') || '<tr><td colspan="4">none</td></tr>'}</tbody></table></div>`;
    });
    return `<details class="profile-diff" id="profile-diff-${esc(pointKey(p))}" open><summary>${esc(p.label)}${Object.keys(p.params).length ? ` — ${esc(paramsText(p.params, c.axes))}` : ''}</summary>${rows.join('\n')}</details>`;
  });
  return `<section id="profile-diffs">
<h2>What changed in the profiles</h2>
<p class="lead">Both runs were made with <code>--profile</code>: each process's time by kind and by function, as shares of its busy time (idle left out; pp = percentage points), baseline → current. Functions outside a run's 40 heaviest count as 0 there.</p>
${blocks.join('\n')}
</section>`;
}

export function writeComparisonReport(base: ResultsFile, current: ResultsFile, c: Comparison, outPath: string): string {
  mkdirSync(dirname(outPath), { recursive: true });
  writeFileSync(outPath, renderComparisonReport(base, current, c));
  return outPath;
}
