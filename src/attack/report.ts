/**
 * The attack run as a self-contained HTML page (chart.js and the results inlined, opens offline), built
 * from the shared report pieces (page shell, badges, facts, chart specs drawn by the report client).
 * `renderAttackReport` is a pure function of the results; `writeAttackReport` reads results.json and
 * writes index.html beside it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { chartJsSource } from '../report/assets.ts';
import { type ChartSpec, PALETTE, type Series } from '../report/charts.ts';
import { bytes, percent } from '../report/format.ts';
import { badge, chartFigure, esc, facts, page } from '../report/html.ts';
import { environmentFacts } from '../report/run-report.ts';
import { AttackInputError } from './errors.ts';
import { ATTACK_SCHEMA, type AttackResults, type PatternOutcome, type TargetResult } from './results.ts';
import { outcomeFigures } from './table.ts';

const VERDICT_CLASS: Record<PatternOutcome['verdict'], string> = {
  held: 'ok',
  failed: 'failed',
  crashed: 'failed',
  error: 'failed',
  skipped: 'generator-bound',
};
const GRADE_TEXT = { expected: '✓ as the RFC names', tolerated: '~ permitted', unexpected: '✗ not permitted' } as const;

const EXTRA_STYLE = `<style>
.grade { font-size: 12px; white-space: nowrap; }
.grade.expected { color: var(--good); } .grade.tolerated { color: var(--warn); } .grade.unexpected { color: var(--bad); }
td.cell small, td small { color: var(--muted); }
table.matrix td { min-width: 220px; }
</style>`;

function gradeSpan(o: PatternOutcome): string {
  return o.answer ? `<span class="grade ${esc(o.answer.grade)}" title="${esc(o.answer.note)}">${esc(GRADE_TEXT[o.answer.grade])}</span>` : '';
}

function verdictBadge(o: PatternOutcome): string {
  return badge(VERDICT_CLASS[o.verdict], o.verdict);
}

function matrix(r: AttackResults): string {
  const head = ['pattern', 'expected answer', ...r.targets.map((t) => t.name)];
  const rows = r.patterns.map((p) => {
    const cells = r.targets.map((t) => {
      const o = t.outcomes.find((x) => x.pattern === p.id);
      if (!o) return '<td>–</td>';
      const f = outcomeFigures(t, o);
      const answer = o.answer ? o.answer.observed.split(' — ')[0]! : (o.reasons[0] ?? '');
      const figures = o.service ? `<br><small>RSS ${esc(f.rss)} · goodput ${esc(f.goodput)} · serving again ${esc(f.servingAgain)}</small>` : '';
      return `<td class="cell" data-target="${esc(t.name)}" data-verdict="${esc(o.verdict)}">${verdictBadge(o)} ${gradeSpan(o)}<br><small>${esc(answer)}</small>${figures}</td>`;
    });
    return `<tr data-pattern="${esc(p.id)}"><td><b>${esc(p.id)}</b><br><small>${esc(p.cve ?? '')} ${esc(p.title)}</small></td><td><small>${esc(p.expected)}</small></td>${cells.join('')}</tr>`;
  });
  return `<div class="table-wrap"><table class="matrix"><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>
${rows.join('\n')}
</tbody></table></div>`;
}

function series(t: TargetResult, i: number, points: Series['points']): Series {
  return {
    label: t.name,
    systemId: t.name,
    systemLabel: t.name,
    run: 'single',
    fixed: {},
    streamLimit: null,
    color: PALETTE[i % PALETTE.length]!,
    dashed: false,
    points,
  };
}

/** Goodput under attack per pattern (category axis), one line per target; a pattern that did not hold is marked failed. */
export function goodputChart(r: AttackResults): ChartSpec {
  const ids = r.patterns.map((p) => p.id);
  const lines = r.targets.map((t, i) =>
    series(
      t,
      i,
      ids.flatMap((id, x) => {
        const o = t.outcomes.find((q) => q.pattern === id);
        if (!o || o.verdict === 'skipped') return [];
        const y = o.service?.goodput ?? null;
        return [
          {
            x,
            y,
            low: null,
            high: null,
            status: o.verdict === 'held' ? ('ok' as const) : ('failed' as const),
            reason: o.verdict === 'held' ? '' : `${o.verdict}: ${o.reasons.join('; ').split('\n')[0]}`,
            params: {},
            trials: 1,
          },
        ];
      }),
    ),
  );
  const worst = r.targets.flatMap((t) =>
    t.outcomes.filter((o) => o.service?.goodput != null).map((o) => ({ t: t.name, p: o.pattern, g: o.service!.goodput! })),
  );
  worst.sort((a, b) => a.g - b.g);
  const verdict = worst.length
    ? [
        `Lowest goodput under attack: ${worst[0]!.t} under ${worst[0]!.p}, ${percent(worst[0]!.g)} of its baseline.`,
        'Red crosses: patterns the target did not hold (see the tables for why).',
      ]
    : ['No pattern was measured with a baseline.'];
  return {
    id: 'goodput',
    metric: 'goodputShare',
    title: 'Goodput under attack',
    yLabel: 'share of the baseline',
    yFormat: 'percent',
    yLog: false,
    axis: 'pattern',
    xTitle: 'pattern',
    xScale: 'category',
    xValues: ids.map((_, i) => i),
    xLabels: ids,
    xFormat: 'number',
    series: lines,
    markers: [],
    verdict,
  };
}

/** Successes per second around one pattern, every target on one time axis aligned at the attack's start. */
export function timelineChart(r: AttackResults, patternId: string): ChartSpec | null {
  let lo = 0;
  let hi = 0;
  const lines: Series[] = [];
  const ends: string[] = [];
  r.targets.forEach((t, i) => {
    const o = t.outcomes.find((q) => q.pattern === patternId);
    const tl = o?.service?.timeline;
    if (!o || !tl) return;
    const points = tl.ok.map((n, b) => {
      const x = Math.round(((b * tl.bucketMs - tl.attackStartMs) / 1000) * 100) / 100;
      lo = Math.min(lo, x);
      hi = Math.max(hi, x);
      return { x, y: (n * 1000) / tl.bucketMs, low: null, high: null, status: 'ok' as const, params: {}, trials: 1 };
    });
    lines.push(series(t, i, points));
    ends.push(
      `${t.name}: attack over after ${((tl.attackEndMs - tl.attackStartMs) / 1000).toFixed(1)} s${o.service!.stoppedServing ? `, stopped serving for ${(o.service!.longestGapMs / 1000).toFixed(1)} s` : ''}`,
    );
  });
  if (lines.length === 0) return null;
  const ticks: number[] = [];
  for (let s = Math.floor(lo); s <= Math.ceil(hi); s++) ticks.push(s);
  return {
    id: `timeline-${patternId}`,
    metric: 'servedPerSec',
    title: `${patternId}: well-behaved requests served`,
    yLabel: 'successes / s',
    yFormat: 'rate',
    yLog: false,
    axis: 'seconds',
    xTitle: "seconds from the attack's start",
    xScale: 'linear',
    xValues: ticks,
    xLabels: ticks.map((s) => `${s} s`),
    xFormat: 'number',
    series: lines,
    markers: [{ x: 0, label: 'attack starts' }],
    verdict: [`${ends.join('; ')}.`],
  };
}

function detailTable(t: TargetResult): string {
  const head = [
    'pattern',
    'verdict',
    'answer',
    'target CPU baseline → attack',
    'CPU time in attack',
    'RSS before → peak (growth) → after',
    'goodput',
    'successes/s baseline → attack',
    'p99 baseline → attack',
    'errors in attack',
    'serving again',
    'longest gap',
  ];
  const rows = t.outcomes.map((o) => {
    const f = outcomeFigures(t, o);
    const u = o.usage && t.attackedRole ? o.usage[t.attackedRole] : undefined;
    const s = o.service;
    const rss =
      u && u.rssBeforeBytes !== null
        ? `${bytes(u.rssBeforeBytes)} → ${u.rssPeakBytes === null ? '?' : bytes(u.rssPeakBytes)} (${f.rss}) → ${u.rssAfterBytes === null ? 'gone' : bytes(u.rssAfterBytes)}`
        : '–';
    const errs = s
      ? Object.entries(s.attack.errors)
          .map(([k, n]) => `${k} ×${n}`)
          .join(', ') || '0'
      : '–';
    const answer = o.answer ? `${gradeSpan(o)}<br>${esc(o.answer.observed)}<br><small>${esc(o.answer.note)}</small>` : '';
    const reasons = o.reasons.length ? `<br><small>${esc(o.reasons.map((x) => x.split('\n')[0]).join('; '))}</small>` : '';
    const restarted = o.restartedAfter ? '<br><small>restarted after this pattern</small>' : '';
    return `<tr class="${esc(VERDICT_CLASS[o.verdict] === 'ok' ? 'ok' : 'failed')}" data-pattern="${esc(o.pattern)}">
<td><b>${esc(o.pattern)}</b><br><small>${esc(
      Object.entries(o.params)
        .map(([k, v]) => `${k}=${v.toLocaleString('en-US')}`)
        .join(', '),
    )}</small></td>
<td>${verdictBadge(o)}${reasons}${restarted}</td>
<td>${answer}</td>
<td class="num">${esc(f.cpu)}</td>
<td class="num">${u && u.cpuAttackMs !== null ? `${u.cpuAttackMs.toLocaleString('en-US')} ms` : '–'}</td>
<td class="num">${esc(rss)}</td>
<td class="num">${esc(f.goodput)}</td>
<td class="num">${s ? `${s.baseline.okPerSec.toLocaleString('en-US')} → ${s.attack.okPerSec.toLocaleString('en-US')}` : '–'}</td>
<td class="num">${esc(f.p99)}</td>
<td>${esc(errs)}</td>
<td class="num">${esc(f.servingAgain)}</td>
<td class="num">${s ? esc(s.stoppedServing ? `${(s.longestGapMs / 1000).toFixed(1)} s: stopped serving` : `${s.longestGapMs} ms`) : '–'}</td>
</tr>`;
  });
  const crashes = t.outcomes
    .filter((o) => o.crash !== null || o.error !== null)
    .map(
      (o) =>
        `<details><summary>${esc(o.pattern)}: ${esc(o.crash ? `${o.crash.role} crashed` : 'harness error')}</summary><pre>${esc(o.crash?.detail ?? o.error ?? '')}</pre></details>`,
    )
    .join('\n');
  return `<div class="table-wrap"><table class="points"><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>
${rows.join('\n')}
</tbody></table></div>${crashes}`;
}

function targetSection(t: TargetResult): string {
  const counts = (['held', 'failed', 'crashed', 'skipped', 'error'] as const)
    .map((v) => [v, t.outcomes.filter((o) => o.verdict === v).length] as const)
    .filter(([, n]) => n > 0)
    .map(([v, n]) => badge(VERDICT_CLASS[v], `${n} ${v}`))
    .join(' ');
  return `<section class="target" id="target-${esc(t.name.replace(/[^a-z0-9-]/gi, '_'))}">
<h2>${esc(t.name)}</h2>
<p class="lead">${esc(t.description)}${t.startError ? ` — <b>could not start</b>: ${esc(t.startError.split('\n')[0]!)}` : ''}</p>
${facts([
  ['patterns', counts || 'none'],
  [
    'processes watched',
    t.roles.length
      ? esc(t.roles.join(', ')) + (t.attackedRole ? ` (attacked: ${esc(t.attackedRole)})` : '')
      : 'none known (give --pid for CPU, memory and crash detection)',
  ],
  ['restarts', String(t.restarts)],
])}
${detailTable(t)}
</section>`;
}

function patternsSection(r: AttackResults): string {
  const rows = r.patterns.map(
    (p) =>
      `<tr><td><b>${esc(p.id)}</b></td><td>${esc(p.cve ?? '–')} (${p.year})</td><td>${esc(p.summary)}</td><td>${esc(p.expected)}<br><small>${esc(p.rfc)}</small></td><td><small>${esc(
        Object.entries(p.params)
          .map(([k, v]) => `${k}=${v.toLocaleString('en-US')}`)
          .join(', '),
      )}</small></td></tr>`,
  );
  return `<div class="table-wrap"><table><thead><tr><th>pattern</th><th>CVE</th><th>what it does</th><th>expected answer</th><th>bounds as run</th></tr></thead><tbody>${rows.join('\n')}</tbody></table></div>`;
}

export function renderAttackReport(r: AttackResults): string {
  const s = r.settings;
  const charts = [goodputChart(r), ...r.patterns.map((p) => timelineChart(r, p.id)).filter((c): c is ChartSpec => c !== null)];
  const warn: string[] = [];
  if (r.status !== 'complete')
    warn.push(
      r.status === 'aborted'
        ? 'The run was interrupted: only the patterns measured before that are shown.'
        : 'The run had not finished when this file was written.',
    );
  if (s.pinned.targetCpu === null) warn.push('Targets and the well-behaved load were not pinned to separate cores: figures are noisier.');
  if (s.scale !== 1) warn.push(`Pattern counts scaled by ${s.scale}.`);
  if (r.targets.some((t) => t.kind === 'url' && t.roles.length === 0))
    warn.push('A URL target without --pid: its CPU and memory were not measured, and a crash shows only as "not serving again".');
  const mib = (b: number): string => `${(b / 2 ** 20).toLocaleString('en-US')} MiB`;
  const body = `${EXTRA_STYLE}
<header>
<h1>muxbench attack <small>— run ${esc(r.runId)}</small></h1>
<p class="lead">HTTP/2 abuse patterns against ${esc(r.targets.map((t) => t.name).join(', '))}, each while a well-behaved load keeps running.
A pattern is <b>held</b> when the target survived, answered as RFC 9113 permits, grew its RSS by at most ${esc(mib(s.limits.maxRssGrowthBytes))} and served the load again within ${esc(String(s.limits.maxRecoveryMs))} ms of the attack's end.</p>
${facts([
  ['status', badge(r.status === 'complete' ? 'complete' : r.status === 'aborted' ? 'aborted' : 'running', r.status)],
  ['started', `${esc(r.startedAt)}${r.finishedAt ? ` → ${esc(r.finishedAt)}` : ''}`],
  ['commit', r.environment.commit ? `<code>${esc(r.environment.commit)}</code>` : 'unknown'],
])}
${warn.map((w) => `<p class="lead">⚠ ${esc(w)}</p>`).join('\n')}
</header>
<section id="matrix">
<h2>Targets side by side</h2>
<p class="legend-note">Answers: <span class="grade expected">✓</span> the answer the RFC names · <span class="grade tolerated">~</span> permitted, but another code or a close without GOAWAY · <span class="grade unexpected">✗</span> not permitted, or no answer where one is owed. Goodput: successes per second during the attack as a share of the second before it.</p>
${matrix(r)}
</section>
<section class="chart-group" id="charts">
<h2>Goodput</h2>
<div class="charts">
${charts.map(chartFigure).join('\n')}
</div>
</section>
${r.targets.map((t) => targetSection(t)).join('\n')}
<section id="patterns">
<h2>Patterns</h2>
${patternsSection(r)}
</section>
<section id="environment">
<h2>Environment and settings</h2>
${environmentFacts(r)}
${facts([
  [
    'phases',
    esc(
      `warm-up ${s.warmupMs} ms, then per pattern: baseline ${s.baselineMs} ms, attack traffic ≤ ${s.attackMs} ms + ${s.observeMs} ms observation, recovery ≤ ${s.recoveryMs} ms`,
    ),
  ],
  ['attack bytes', esc(`≤ ${mib(s.maxAttackBytes)} per pattern`)],
  ['well-behaved load', esc(`closed loop, ${s.load.concurrency} in flight over ${s.load.connections} connections, ${s.load.requestTimeoutMs} ms timeout`)],
  [
    'limits',
    esc(
      `RSS growth ≤ ${mib(s.limits.maxRssGrowthBytes)}, serving again ≤ ${s.limits.maxRecoveryMs} ms; "stopped serving" = no success for ${s.limits.stallMs} ms`,
    ),
  ],
  ['pinning', s.pinned.targetCpu === null ? 'none' : esc(`targets on core ${s.pinned.targetCpu}, load on core ${s.pinned.loadCpu}`)],
])}
</section>`;
  return page({ title: `muxbench attack ${r.runId}`, body, charts, data: { 'muxbench-attack-results': r }, chartJs: chartJsSource() });
}

export function readAttackResults(path: string): AttackResults {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new AttackInputError('MUX_ERR_ATTACK_USAGE', `${path}: cannot read attack results (${(err as Error).message})`);
  }
  if (typeof data !== 'object' || data === null || (data as { schema?: unknown }).schema !== ATTACK_SCHEMA) {
    throw new AttackInputError('MUX_ERR_ATTACK_USAGE', `${path}: not a ${ATTACK_SCHEMA} file`);
  }
  return data as AttackResults;
}

/** Renders `resultsPath` into index.html beside it; returns the page's path. */
export function writeAttackReport(resultsPath: string): string {
  const out = join(dirname(resultsPath), 'index.html');
  writeFileSync(out, renderAttackReport(readAttackResults(resultsPath)));
  return out;
}
