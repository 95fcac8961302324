/**
 * Comparing a run with a baseline, point by point (system + params) and metric by metric, over the trial
 * values: relative change of the medians, its bootstrap CI, a Mann-Whitney U p-value, and a verdict.
 * A change is significant only when all three agree — p ≤ alpha, the CI excludes 0, and the change is at
 * least the minimum effect — so that one noisy trial on a shared machine does not raise an alarm.
 * Pure: results in, plain data out; `formatComparison` renders it as text for the terminal.
 */
import type { PointResult, PointStatus, ResultsFile, TrialResult } from '../measure/results.ts';
import { bootstrapChangeCI, type Interval, mannWhitneyU, median } from '../measure/stats.ts';
import { ReportInputError } from './errors.ts';
import { axisValue, micros, paramsText, pValue, rate, signedPercent } from './format.ts';

export type Verdict = 'faster' | 'slower' | 'no significant change' | 'insufficient data';
export type ComparedMetric = 'requestsPerSec' | 'p50Us' | 'p99Us';

export interface MetricDef {
  metric: ComparedMetric;
  label: string;
  better: 'higher' | 'lower';
  trialValue: (t: TrialResult) => number;
  format: (n: number) => string;
}

export const COMPARED_METRICS: readonly MetricDef[] = [
  { metric: 'requestsPerSec', label: 'req/s', better: 'higher', trialValue: (t) => t.requestsPerSec, format: rate },
  { metric: 'p50Us', label: 'p50', better: 'lower', trialValue: (t) => t.latency.p50Us, format: micros },
  { metric: 'p99Us', label: 'p99', better: 'lower', trialValue: (t) => t.latency.p99Us, format: micros },
];

export interface CompareOptions {
  /** smallest relative change that counts (0.1 = 10 %) */
  minEffect: number;
  /** largest p-value that counts; with 3 vs 3 trials the smallest possible two-sided exact p is 0.1 */
  alpha: number;
}

export const DEFAULT_COMPARE_OPTIONS: CompareOptions = { minEffect: 0.1, alpha: 0.1 };

/** Fewer trials than this on either side and no verdict is given (a rank test needs a spread). */
export const MIN_TRIALS = 2;

export interface MetricChange {
  metric: ComparedMetric;
  label: string;
  better: 'higher' | 'lower';
  baseline: number[];
  current: number[];
  baselineMedian: number;
  currentMedian: number;
  /** (current − baseline) / baseline of the medians */
  change: number;
  ci: Interval;
  p: number;
  verdict: Verdict;
  /** why a verdict is 'insufficient data', or why a 'slower' does not count as a regression */
  note?: string;
  /** a significant change for the worse that should fail a CI gate */
  regression: boolean;
}

export interface PointRef {
  key: string;
  systemId: string;
  label: string;
  params: Record<string, number>;
  status: PointStatus;
}

export interface PointChange extends PointRef {
  baselineStatus: PointStatus;
  /** ok or generator-bound in the baseline, failed now: a regression whatever the numbers say */
  newlyFailed: boolean;
  reason?: string;
  metrics: MetricChange[];
}

export interface RunRef {
  runId: string;
  startedAt: string;
  commit: string | null;
  status: ResultsFile['status'];
  quick: boolean;
  trials: number;
}

export interface Regression {
  point: PointChange;
  metric: MetricChange | null;
  why: string;
}

export interface Comparison {
  scenario: string;
  axes: string[];
  baseline: RunRef;
  current: RunRef;
  options: CompareOptions;
  points: PointChange[];
  /** in the current run only */
  added: PointRef[];
  /** in the baseline only */
  removed: PointRef[];
  /** verdicts over every (point, metric) */
  counts: Record<Verdict, number>;
  regressions: Regression[];
}

export function pointKey(p: Pick<PointResult, 'systemId' | 'params'>): string {
  const params = Object.keys(p.params)
    .sort()
    .map((k) => `${k}=${p.params[k]}`)
    .join(',');
  return `${p.systemId}|${params}`;
}

function ref(p: PointResult): PointRef {
  return { key: pointKey(p), systemId: p.systemId, label: p.label, params: p.params, status: p.status };
}

function runRef(r: ResultsFile): RunRef {
  return { runId: r.runId, startedAt: r.startedAt, commit: r.environment.commit, status: r.status, quick: r.quick, trials: r.settings.trials };
}

function compareMetric(def: MetricDef, base: PointResult, cur: PointResult, o: CompareOptions): MetricChange {
  const b = base.trials.map(def.trialValue).filter(Number.isFinite);
  const c = cur.trials.map(def.trialValue).filter(Number.isFinite);
  const bm = median(b);
  const cm = median(c);
  const change = bm > 0 ? (cm - bm) / bm : Number.NaN;
  const ci = bootstrapChangeCI(b, c);
  const p = b.length && c.length ? mannWhitneyU(b, c).p : Number.NaN;
  const out: MetricChange = { metric: def.metric, label: def.label, better: def.better, baseline: b, current: c, baselineMedian: bm, currentMedian: cm, change, ci, p, verdict: 'insufficient data', regression: false };
  if (base.status === 'failed' || cur.status === 'failed') {
    out.note = `failed in the ${base.status === 'failed' ? (cur.status === 'failed' ? 'baseline and current runs' : 'baseline') : 'current run'}`;
    return out;
  }
  if (b.length < MIN_TRIALS || c.length < MIN_TRIALS) {
    out.note = `${Math.min(b.length, c.length)} trial${Math.min(b.length, c.length) === 1 ? '' : 's'} on a side; a verdict needs ${MIN_TRIALS}`;
    return out;
  }
  if (!Number.isFinite(change)) {
    out.note = 'the baseline median is 0';
    return out;
  }
  const excludesZero = ci.low > 0 || ci.high < 0;
  const significant = p <= o.alpha && excludesZero && Math.abs(change) >= o.minEffect;
  if (!significant) {
    out.verdict = 'no significant change';
    return out;
  }
  const improved = def.better === 'higher' ? change > 0 : change < 0;
  out.verdict = improved ? 'faster' : 'slower';
  if (!improved) {
    if (def.metric === 'requestsPerSec' && cur.status === 'generator-bound') {
      // the load engine set the current figure: a lower one says the generator had less room, not the system
      out.note = "generator-bound now: the figure is the load engine's limit, so not counted as a regression";
    } else out.regression = true;
  }
  return out;
}

/**
 * Matches points by system id + params and compares each metric. Throws ReportInputError
 * (MUX_ERR_RESULTS_MISMATCH) when the two files are runs of different scenarios.
 */
export function compareResults(base: ResultsFile, current: ResultsFile, options: Partial<CompareOptions> = {}): Comparison {
  const o: CompareOptions = { ...DEFAULT_COMPARE_OPTIONS, ...options };
  if (base.scenario.name !== current.scenario.name) {
    throw new ReportInputError(
      'MUX_ERR_RESULTS_MISMATCH',
      `different scenarios: the baseline is a run of '${base.scenario.name}', the current file of '${current.scenario.name}'; compare two runs of one scenario`,
    );
  }
  const baseByKey = new Map(base.points.map((p) => [pointKey(p), p]));
  const curKeys = new Set(current.points.map(pointKey));
  const points: PointChange[] = [];
  const added: PointRef[] = [];
  for (const cur of current.points) {
    const b = baseByKey.get(pointKey(cur));
    if (!b) {
      added.push(ref(cur));
      continue;
    }
    const change: PointChange = {
      ...ref(cur),
      baselineStatus: b.status,
      newlyFailed: cur.status === 'failed' && b.status !== 'failed',
      metrics: COMPARED_METRICS.map((def) => compareMetric(def, b, cur, o)),
    };
    if (cur.reason !== undefined) change.reason = cur.reason;
    points.push(change);
  }
  const removed = base.points.filter((p) => !curKeys.has(pointKey(p))).map(ref);
  const counts: Record<Verdict, number> = { faster: 0, slower: 0, 'no significant change': 0, 'insufficient data': 0 };
  const regressions: Regression[] = [];
  for (const p of points) {
    if (p.newlyFailed) regressions.push({ point: p, metric: null, why: `now fails${p.reason ? `: ${p.reason.split('\n')[0]}` : ''}` });
    for (const m of p.metrics) {
      counts[m.verdict]++;
      if (m.regression) regressions.push({ point: p, metric: m, why: `${m.label} ${signedPercent(m.change)} (95 % CI ${signedPercent(m.ci.low)} … ${signedPercent(m.ci.high)}, p = ${pValue(m.p)})` });
    }
  }
  const axes = [...base.axes];
  for (const a of current.axes) if (!axes.includes(a)) axes.push(a);
  return { scenario: current.scenario.name, axes, baseline: runRef(base), current: runRef(current), options: o, points, added, removed, counts, regressions };
}

/** 1 when a CI gate should fail: a significant regression or a point that now fails. */
export function comparisonExitCode(c: Comparison): number {
  return c.regressions.length > 0 ? 1 : 0;
}

/** "3 faster, 1 slower, 8 no significant change, 2 insufficient data; 1 added, 0 removed" */
export function comparisonSummary(c: Comparison): string {
  const parts = (Object.keys(c.counts) as Verdict[]).map((v) => `${c.counts[v]} ${v}`);
  const extra = [c.added.length ? `${c.added.length} added` : '', c.removed.length ? `${c.removed.length} removed` : ''].filter(Boolean);
  const failed = c.points.filter((p) => p.newlyFailed).length;
  return `${parts.join(', ')}${failed ? `, ${failed} newly failing` : ''}${extra.length ? `; points ${extra.join(', ')}` : ''}`;
}

function runLine(name: string, r: RunRef): string {
  return `${name}: ${r.runId}${r.commit ? ` (commit ${r.commit})` : ''}${r.status !== 'complete' ? ` [${r.status}]` : ''}${r.quick ? ' [quick]' : ''}, ${r.trials} trial${r.trials === 1 ? '' : 's'}/point`;
}

/** The terminal table: one row per (point, metric). */
export function formatComparison(c: Comparison): string {
  const header = ['system', ...c.axes, 'metric', 'baseline', 'current', 'change', '95 % CI', 'p', 'verdict'];
  const rows: string[][] = [];
  for (const p of c.points) {
    for (const m of p.metrics) {
      const def = COMPARED_METRICS.find((d) => d.metric === m.metric)!;
      const verdict = m.regression ? `SLOWER (regression)` : m.verdict === 'slower' ? 'slower (not counted)' : m.verdict;
      rows.push([
        p.label,
        ...c.axes.map((a) => (p.params[a] === undefined ? '-' : axisValue(a, p.params[a]!))),
        m.label,
        def.format(m.baselineMedian),
        def.format(m.currentMedian),
        signedPercent(m.change),
        Number.isFinite(m.ci.low) ? `${signedPercent(m.ci.low)} … ${signedPercent(m.ci.high)}` : '-',
        pValue(m.p),
        m.note ? `${verdict} (${m.note})` : verdict,
      ]);
    }
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const numeric = (i: number): boolean => i > c.axes.length + 1 && i < header.length - 1;
  const line = (cells: string[]): string =>
    cells
      .map((cell, i) => (numeric(i) || (i >= 1 && i <= c.axes.length) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const out = [
    `compare ${c.scenario}`,
    `  ${runLine('baseline', c.baseline)}`,
    `  ${runLine('current ', c.current)}`,
    `  significant = p ≤ ${c.options.alpha}, 95 % CI excludes 0, |change| ≥ ${Math.round(c.options.minEffect * 1000) / 10} %`,
    '',
  ];
  if (rows.length) out.push(line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line));
  else out.push('no point is in both runs');
  const listRefs = (title: string, refs: PointRef[]): void => {
    if (refs.length) out.push('', `${title}:`, ...refs.map((r) => `  ${r.label}${Object.keys(r.params).length ? ` (${paramsText(r.params, c.axes)})` : ''} [${r.status}]`));
  };
  listRefs('only in the current run (added)', c.added);
  listRefs('only in the baseline (removed)', c.removed);
  out.push('', `summary: ${comparisonSummary(c)}`);
  if (c.regressions.length) {
    out.push(`REGRESSION (${c.regressions.length}):`);
    for (const r of c.regressions) {
      const where = Object.keys(r.point.params).length ? ` (${paramsText(r.point.params, c.axes)})` : '';
      out.push(`  ${r.point.label}${where}: ${r.why}`);
    }
  } else out.push('no significant regression');
  return out.join('\n');
}
