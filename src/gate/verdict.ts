/**
 * The gate's decision over all of its comparisons, and what it writes: a markdown summary (for a CI job
 * summary or a PR comment), JSON that github-action-benchmark ("customSmallerIsBetter") and Bencher (BMF)
 * ingest, the full decision as JSON, and an HTML comparison page per scenario. Pure functions from
 * comparisons to text, plus `writeGateOutputs`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PointResult, ResultsFile } from '../measure/results.ts';
import { bootstrapMedianCI, median } from '../measure/stats.ts';
import { type CompareOptions, type Comparison, comparisonSummary, metricDef, type MetricChange, pointKey } from '../report/compare.ts';
import { writeComparisonReport } from '../report/compare-report.ts';
import { paramsText, pValue, signedPercent } from '../report/format.ts';
import { badge, esc, facts, page } from '../report/html.ts';
import type { GateScenarioRun } from './run.ts';

/**
 * Holm at 0.05 over every comparison of the gate (one false alarm fails a pull request, so the family-wise
 * rate is what to hold), at least a 5 % change, and the gated metrics: throughput, median latency and CPU
 * time per request (all processes and each). p99 is reported but does not gate: one slow scheduling
 * quantum on a shared machine moves it more than most regressions.
 */
export const GATE_COMPARE_OPTIONS: CompareOptions = {
  alpha: 0.05,
  correction: 'holm',
  minEffect: 0.05,
  gated: ['requestsPerSec', 'p50Us', 'cpuUsPerRequest'],
};

export type GateExit = 0 | 1 | 2;

export interface GateDecision {
  exitCode: GateExit;
  /** one line: what was decided and why */
  headline: string;
  /** points the gate could not judge, with the reason */
  undecided: string[];
}

function where(p: { label: string; params: Record<string, number> }, axes: readonly string[]): string {
  return `${p.label}${Object.keys(p.params).length ? ` (${paramsText(p.params, axes)})` : ''}`;
}

/** 1 on any regression; else 2 when a point could not be judged (failed on the base side, interrupted, no data); else 0. */
export function decideGate(cs: readonly Comparison[], runs: readonly GateScenarioRun[]): GateDecision {
  const undecided: string[] = [];
  for (const [i, c] of cs.entries()) {
    const run = runs[i]!;
    if (run.candidate.status !== 'complete' || run.base.status !== 'complete') undecided.push(`${c.scenario}: the gate was interrupted`);
    for (const p of c.points) {
      const name = `${c.scenario}: ${where(p, c.axes)}`;
      if (p.interrupted) undecided.push(`${name}: interrupted`);
      else if (p.baselineStatus === 'failed') undecided.push(`${name}: failed on the base side too (${basePoint(run.base, p.key)?.reason ?? 'no reason'})`);
      else if (!p.newlyFailed && p.metrics.every((m) => m.verdict === 'insufficient data'))
        undecided.push(`${name}: no metric had enough trials (${p.metrics[0]?.note ?? 'no data'})`);
    }
  }
  const regressions = cs.reduce((n, c) => n + c.regressions.length, 0);
  if (regressions > 0) return { exitCode: 1, headline: `REGRESSION: ${regressions} significant regression${regressions === 1 ? '' : 's'}`, undecided };
  if (undecided.length > 0)
    return { exitCode: 2, headline: `could not decide: ${undecided[0]}${undecided.length > 1 ? ` (and ${undecided.length - 1} more)` : ''}`, undecided };
  return { exitCode: 0, headline: 'no significant regression', undecided };
}

function basePoint(r: ResultsFile, key: string): PointResult | undefined {
  return r.points.find((p) => pointKey(p) === key);
}

export interface GateMeta {
  baseRef: string;
  baseCommit: string | null;
  candidateCommit: string | null;
  candidateEnv: Record<string, string>;
  rounds: number;
  wallSeconds: number;
  machine: string;
}

const MD_METRICS = ['requestsPerSec', 'p50Us', 'cpuUsPerRequest'] as const;

function mdCell(m: MetricChange | undefined): string {
  if (!m) return '–';
  if (m.verdict === 'insufficient data') return 'n/a';
  const mark = m.regression ? ' ❌' : m.verdict === 'faster' ? ' ✅' : '';
  return `${signedPercent(m.change)}${mark}`;
}

/** The summary for a CI job summary or a PR comment. */
export function gateMarkdown(cs: readonly Comparison[], d: GateDecision, meta: GateMeta): string {
  const icon = d.exitCode === 0 ? '✅' : d.exitCode === 1 ? '❌' : '⚠️';
  const lines = [
    `## ${icon} muxbench gate: ${d.headline}`,
    '',
    `Base \`${meta.baseRef}\`${meta.baseCommit ? ` (\`${meta.baseCommit.slice(0, 12)}\`)` : ''} against the candidate${meta.candidateCommit ? ` \`${meta.candidateCommit}\`` : ''}${
      Object.keys(meta.candidateEnv).length
        ? ` with ${Object.entries(meta.candidateEnv)
            .map(([k, v]) => `\`${k}=${v}\``)
            .join(', ')}`
        : ''
    }, on one machine (${meta.machine}), ${meta.rounds} interleaved rounds per point, ${Math.round(meta.wallSeconds)} s.`,
    `A change counts when Mann-Whitney U p (${cs[0]?.options.correction === 'holm' ? 'Holm-corrected' : cs[0]?.options.correction === 'bh' ? 'Benjamini–Hochberg-corrected' : 'uncorrected'} over ${cs[0]?.tests ?? 0} comparisons) ≤ ${cs[0]?.options.alpha}, its 95 % bootstrap interval excludes 0 and it is at least ${Math.round((cs[0]?.options.minEffect ?? 0) * 100)} %; gated: req/s, p50, CPU time per request.`,
    '',
    '| scenario | point | req/s | p50 | CPU/req | p99 (not gated) |',
    '| --- | --- | ---: | ---: | ---: | ---: |',
  ];
  for (const c of cs) {
    for (const p of c.points) {
      const get = (metric: string): MetricChange | undefined => p.metrics.find((m) => m.metric === metric);
      const cells = MD_METRICS.map((k) => mdCell(get(k)));
      const status = p.newlyFailed ? ' ❌ now fails' : p.status !== 'ok' ? ` (${p.status})` : '';
      lines.push(`| ${c.scenario} | ${where(p, c.axes)}${status} | ${cells.join(' | ')} | ${mdCell(get('p99Us'))} |`);
    }
  }
  const regs = cs.flatMap((c) => c.regressions.map((r) => `- **${c.scenario}: ${where(r.point, c.axes)}** — ${r.why}`));
  if (regs.length) lines.push('', '### Regressions', ...regs);
  if (d.undecided.length) lines.push('', '### Not judged', ...d.undecided.map((u) => `- ${u}`));
  const warnings = [...new Set(cs.flatMap((c) => c.warnings))];
  if (warnings.length) lines.push('', ...warnings.map((w) => `> ⚠️ ${w}`));
  return `${lines.join('\n')}\n`;
}

interface BenchEntry {
  name: string;
  unit: string;
  value: number;
  range?: string;
  extra?: string;
}

/** The candidate's figures (median over rounds) as github-action-benchmark's customSmallerIsBetter entries. */
export function benchmarkActionJson(runs: readonly GateScenarioRun[]): BenchEntry[] {
  const out: BenchEntry[] = [];
  for (const r of runs) {
    for (const p of r.candidate.points) {
      if (p.status === 'failed' || p.trials.length === 0) continue;
      const name = `${r.scenario}/${p.label}${Object.keys(p.params).length ? ` (${paramsText(p.params, r.candidate.axes)})` : ''}`;
      const base = basePoint(r.base, pointKey(p));
      const add = (metric: string, unit: string, value: (v: number) => number): void => {
        const def = metricDef(metric as Parameters<typeof metricDef>[0]);
        const xs = p.trials
          .map(def.trialValue)
          .filter((v): v is number => v !== null && Number.isFinite(v))
          .map(value);
        if (xs.length === 0) return;
        const ci = bootstrapMedianCI(xs);
        const bs =
          base?.trials
            .map(def.trialValue)
            .filter((v): v is number => v !== null && Number.isFinite(v))
            .map(value) ?? [];
        out.push({
          name: `${name} ${def.label === 'req/s' ? 'time per request' : def.label}`,
          unit,
          value: round(median(xs)),
          range: `${round(ci.low)} … ${round(ci.high)}`,
          extra: bs.length ? `base median ${round(median(bs))} ${unit}; ${xs.length} rounds` : `${xs.length} rounds`,
        });
      };
      add('requestsPerSec', 'µs', (rps) => (rps > 0 ? 1e6 / rps : Number.NaN));
      add('p50Us', 'µs', (v) => v);
      add('cpuUsPerRequest', 'µs/req', (v) => v);
    }
  }
  return out.filter((e) => Number.isFinite(e.value));
}

/** The candidate's figures in Bencher's metric format (BMF). */
export function bencherJson(runs: readonly GateScenarioRun[]): Record<string, Record<string, { value: number; lower_value: number; upper_value: number }>> {
  const out: Record<string, Record<string, { value: number; lower_value: number; upper_value: number }>> = {};
  for (const r of runs) {
    for (const p of r.candidate.points) {
      if (p.status === 'failed' || p.trials.length === 0) continue;
      const name = `${r.scenario}/${p.systemId}${
        Object.keys(p.params).length
          ? `/${Object.entries(p.params)
              .map(([k, v]) => `${k}=${v}`)
              .join(',')}`
          : ''
      }`;
      const measures: Record<string, { value: number; lower_value: number; upper_value: number }> = {};
      const put = (measure: string, metric: string): void => {
        const def = metricDef(metric as Parameters<typeof metricDef>[0]);
        const xs = p.trials.map(def.trialValue).filter((v): v is number => v !== null && Number.isFinite(v));
        if (xs.length === 0) return;
        const ci = bootstrapMedianCI(xs);
        measures[measure] = { value: round(median(xs)), lower_value: round(ci.low), upper_value: round(ci.high) };
      };
      put('throughput', 'requestsPerSec');
      put('latency-p50-us', 'p50Us');
      put('latency-p99-us', 'p99Us');
      put('cpu-us-per-request', 'cpuUsPerRequest');
      out[name] = measures;
    }
  }
  return out;
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

/** A small page linking each scenario's comparison, with the decision on top. */
export function gateIndexHtml(cs: readonly Comparison[], d: GateDecision, meta: GateMeta): string {
  const kind = d.exitCode === 0 ? 'faster' : d.exitCode === 1 ? 'slower' : 'insufficient';
  const body = `<header><h1>muxbench gate</h1>
${facts([
  ['decision', badge(kind, d.headline)],
  ['base', `<code>${esc(meta.baseRef)}</code>${meta.baseCommit ? ` (${esc(meta.baseCommit.slice(0, 12))})` : ''}`],
  [
    'candidate',
    `${meta.candidateCommit ? `<code>${esc(meta.candidateCommit)}</code>` : 'working tree'}${
      Object.keys(meta.candidateEnv).length
        ? ` with ${esc(
            Object.entries(meta.candidateEnv)
              .map(([k, v]) => `${k}=${v}`)
              .join(', '),
          )}`
        : ''
    }`,
  ],
  ['rounds per point', String(meta.rounds)],
  ['wall time', `${Math.round(meta.wallSeconds)} s`],
])}</header>
<section><h2>Scenarios</h2><ul>${cs
    .map(
      (c) =>
        `<li><a href="${esc(c.scenario)}/index.html">${esc(c.scenario)}</a>: ${esc(comparisonSummary(c))}${c.regressions.length ? ` — ${badge('slower', `${c.regressions.length} regression${c.regressions.length === 1 ? '' : 's'}`)}` : ''}</li>`,
    )
    .join('')}</ul>
${d.undecided.length ? `<h3>Not judged</h3><ul>${d.undecided.map((u) => `<li>${esc(u)}</li>`).join('')}</ul>` : ''}
<p>Regressions: ${
    cs
      .flatMap((c) => c.regressions.map((r) => `${c.scenario}: ${where(r.point, c.axes)} — ${r.why}`))
      .map(esc)
      .join('; ') || 'none'
  }. p-values: ${cs.flatMap((c) => c.regressions.filter((r) => r.metric).map((r) => pValue(r.metric!.pAdjusted))).join(', ') || '–'}.</p></section>`;
  return page({ title: `muxbench gate: ${d.headline}`, body, data: { 'muxbench-gate': { decision: d, meta } } });
}

export interface GateOutputs {
  dir: string;
  markdown: string;
  files: Record<'summary' | 'decision' | 'benchmark' | 'bencher' | 'html', string>;
}

export function writeGateOutputs(dir: string, runs: readonly GateScenarioRun[], cs: readonly Comparison[], d: GateDecision, meta: GateMeta): GateOutputs {
  mkdirSync(dir, { recursive: true });
  const markdown = gateMarkdown(cs, d, meta);
  const files = {
    summary: join(dir, 'summary.md'),
    decision: join(dir, 'gate.json'),
    benchmark: join(dir, 'benchmark.json'),
    bencher: join(dir, 'bencher.json'),
    html: join(dir, 'index.html'),
  };
  writeFileSync(files.summary, markdown);
  writeFileSync(
    files.decision,
    `${JSON.stringify({ schema: 'muxbench.gate/1', decision: d, meta, comparisons: cs, results: runs.map((r) => ({ scenario: r.scenario, ...r.paths })) }, null, 2)}\n`,
  );
  writeFileSync(files.benchmark, `${JSON.stringify(benchmarkActionJson(runs), null, 2)}\n`);
  writeFileSync(files.bencher, `${JSON.stringify(bencherJson(runs), null, 2)}\n`);
  for (const [i, c] of cs.entries()) writeComparisonReport(runs[i]!.base, runs[i]!.candidate, c, join(dir, c.scenario, 'index.html'));
  writeFileSync(files.html, gateIndexHtml(cs, d, meta));
  return { dir, markdown, files };
}
