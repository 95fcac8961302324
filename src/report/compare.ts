/**
 * Comparing a run with a baseline, point by point (system + params) and metric by metric, over the trial
 * values: relative change of the medians, its bootstrap CI, a Mann-Whitney U p-value corrected for the
 * number of comparisons (Holm or Benjamini–Hochberg), and a verdict. A change is significant only when all
 * three agree — corrected p ≤ alpha, the CI excludes 0, and the change is at least the minimum effect — so
 * that one noisy trial, or one of many points, does not raise an alarm on a shared machine.
 * Metrics: req/s, p50, p99, and CPU time per request (all system processes, and each one) where the runs
 * sampled it — far less noisy than req/s on a busy machine.
 * Pure: results in, plain data out; `formatComparison` renders it as text for the terminal.
 */
import { diffProfiles, FRAME_KINDS, type ProfileDiff } from '../measure/profile.ts';
import type { PointResult, PointStatus, ResultsFile, TrialResult } from '../measure/results.ts';
import { adjustPValues, bootstrapChangeCI, type Correction, type Interval, mannWhitneyU, median } from '../measure/stats.ts';
import { ReportInputError } from './errors.ts';
import { axisValue, micros, paramsText, percentagePoints, pValue, rate, sig3, signedPercent } from './format.ts';

export type Verdict = 'faster' | 'slower' | 'no significant change' | 'insufficient data';
/** 'cpuUsPerRequest' sums every system process; 'cpuUsPerRequest.<role>' is one process (edge, connector, …). */
export type ComparedMetric = 'requestsPerSec' | 'p50Us' | 'p99Us' | 'cpuUsPerRequest' | `cpuUsPerRequest.${string}`;

export interface MetricDef {
  metric: ComparedMetric;
  label: string;
  better: 'higher' | 'lower';
  /** the trial's value, or null where the trial did not measure it */
  trialValue: (t: TrialResult) => number | null;
  format: (n: number) => string;
}

const cpuPerRequest = (us: number): string => `${sig3(us)} µs/req`;

function totalCpuPerRequest(t: TrialResult): number | null {
  const v = Object.values(t.processes).map((p) => p.cpuUsPerRequest);
  if (v.length === 0 || !v.every((x): x is number => typeof x === 'number')) return null;
  return v.reduce((a, b) => a + b, 0);
}

/** The metrics every point has (the per-process CPU metrics are added per point, see `metricDef`). */
export const COMPARED_METRICS: readonly MetricDef[] = [
  { metric: 'requestsPerSec', label: 'req/s', better: 'higher', trialValue: (t) => t.requestsPerSec, format: rate },
  { metric: 'p50Us', label: 'p50', better: 'lower', trialValue: (t) => t.latency.p50Us, format: micros },
  { metric: 'p99Us', label: 'p99', better: 'lower', trialValue: (t) => t.latency.p99Us, format: micros },
  { metric: 'cpuUsPerRequest', label: 'CPU/req', better: 'lower', trialValue: totalCpuPerRequest, format: cpuPerRequest },
];

/** The definition of any compared metric, per-process CPU included. */
export function metricDef(metric: ComparedMetric): MetricDef {
  const fixed = COMPARED_METRICS.find((d) => d.metric === metric);
  if (fixed) return fixed;
  const role = metric.slice('cpuUsPerRequest.'.length);
  return { metric, label: `CPU/req ${role}`, better: 'lower', trialValue: (t) => t.processes[role]?.cpuUsPerRequest ?? null, format: cpuPerRequest };
}

/**
 * The metrics compared at a point: throughput and latency always; CPU per request (all processes, and
 * each process when there are several) where both runs sampled it — files from before muxbench.results/2
 * did not, and external systems have no process of ours.
 */
function metricsFor(base: PointResult, cur: PointResult): MetricDef[] {
  const sampled = (p: PointResult): Set<string> =>
    new Set(
      p.trials.flatMap((t) =>
        Object.entries(t.processes)
          .filter(([, u]) => typeof u.cpuUsPerRequest === 'number')
          .map(([role]) => role),
      ),
    );
  const b = sampled(base);
  const shared = [...sampled(cur)].filter((r) => b.has(r)).sort();
  const fixed = COMPARED_METRICS.filter((d) => d.metric !== 'cpuUsPerRequest' || shared.length > 0);
  return [...fixed, ...(shared.length > 1 ? shared.map((r) => metricDef(`cpuUsPerRequest.${r}`)) : [])];
}

export interface CompareOptions {
  /** smallest relative change that counts (0.1 = 10 %) */
  minEffect: number;
  /** largest corrected p-value that counts; with 3 vs 3 trials the smallest possible two-sided exact p is 0.1 */
  alpha: number;
  /** how p-values are corrected for the number of comparisons: Holm (family-wise), Benjamini–Hochberg (false discovery rate) or none */
  correction: Correction;
  /** metrics whose significant worsening is a regression (prefixes: 'cpuUsPerRequest' covers every process); default all */
  gated?: readonly string[];
}

/**
 * For comparing two stored runs of a few trials each: uncorrected, because with 3 vs 3 trials the
 * smallest possible p is 0.1 and any correction would silence every change; the CI and the 10 % minimum
 * effect guard against noise instead. `muxbench gate` runs enough interleaved trials to correct (Holm).
 */
export const DEFAULT_COMPARE_OPTIONS: CompareOptions = { minEffect: 0.1, alpha: 0.1, correction: 'none' };

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
  /** Mann-Whitney U, two-sided, as measured */
  p: number;
  /** p corrected for the number of comparisons (what alpha is held to) */
  pAdjusted: number;
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
  /** either run was stopped during this point: nothing here counts */
  interrupted: boolean;
  /** ok or generator-bound in the baseline, failed now: a regression whatever the numbers say */
  newlyFailed: boolean;
  reason?: string;
  metrics: MetricChange[];
  /** both runs profiled this point (`--profile`): what changed in each process's profile */
  profiles?: { role: string; diff: ProfileDiff }[];
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
  /** what makes the two runs less comparable than they look (different definitions, quick vs full, …) */
  warnings: string[];
  /** comparisons the correction counted */
  tests: number;
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

function isGated(metric: string, o: CompareOptions): boolean {
  return o.gated === undefined || o.gated.some((g) => metric === g || metric.startsWith(`${g}.`));
}

/** The change of one metric at one point, before the correction (verdict settled in `decide`). */
function measureChange(def: MetricDef, base: PointResult, cur: PointResult): MetricChange {
  const values = (p: PointResult): number[] => p.trials.map(def.trialValue).filter((v): v is number => v !== null && Number.isFinite(v));
  const b = values(base);
  const c = values(cur);
  const bm = median(b);
  const cm = median(c);
  const change = bm > 0 ? (cm - bm) / bm : Number.NaN;
  const ci = bootstrapChangeCI(b, c);
  const p = b.length && c.length ? mannWhitneyU(b, c).p : Number.NaN;
  const out: MetricChange = {
    metric: def.metric,
    label: def.label,
    better: def.better,
    baseline: b,
    current: c,
    baselineMedian: bm,
    currentMedian: cm,
    change,
    ci,
    p,
    pAdjusted: Number.NaN,
    verdict: 'insufficient data',
    regression: false,
  };
  if (base.interrupted || cur.interrupted) {
    out.note = 'the run was interrupted during this point';
  } else if (base.status === 'failed' || cur.status === 'failed') {
    out.note = `failed in the ${base.status === 'failed' ? (cur.status === 'failed' ? 'baseline and current runs' : 'baseline') : 'current run'}`;
  } else if (b.length < MIN_TRIALS || c.length < MIN_TRIALS) {
    const n = Math.min(b.length, c.length);
    out.note = `${n} trial${n === 1 ? '' : 's'} on a side; a verdict needs ${MIN_TRIALS}`;
  } else if (!Number.isFinite(change)) {
    out.note = 'the baseline median is 0';
  }
  return out;
}

/** The verdict, once the corrected p is known; `status` is the current run's status at the point. */
function decide(m: MetricChange, status: PointStatus, o: CompareOptions): void {
  const excludesZero = m.ci.low > 0 || m.ci.high < 0;
  const significant = m.pAdjusted <= o.alpha && excludesZero && Math.abs(m.change) >= o.minEffect;
  if (!significant) {
    m.verdict = 'no significant change';
    return;
  }
  const improved = m.better === 'higher' ? m.change > 0 : m.change < 0;
  m.verdict = improved ? 'faster' : 'slower';
  if (improved) return;
  if (m.metric === 'requestsPerSec' && status === 'generator-bound') {
    // the load engine set the current figure: a lower one says the generator had less room, not the system
    m.note = "generator-bound now: the figure is the load engine's limit, so not counted as a regression";
  } else if (!isGated(m.metric, o)) {
    m.note = 'reported, not gated';
  } else m.regression = true;
}

/** Top-level fields of the two scenario definitions that differ. */
function definitionDiff(base: ResultsFile, current: ResultsFile): string[] {
  const a = (base.scenario.definition ?? {}) as Record<string, unknown>;
  const b = (current.scenario.definition ?? {}) as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  return keys.filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k])).sort();
}

function comparabilityWarnings(base: ResultsFile, current: ResultsFile): string[] {
  const w: string[] = [];
  const diff = definitionDiff(base, current);
  if (diff.length) w.push(`the two runs' scenario definitions differ (${diff.join(', ')}): points may not measure the same thing`);
  if (base.quick !== current.quick) w.push(`one run is quick and the other is not: warm-up, duration and trials differ`);
  if (base.environment.hostname !== current.environment.hostname || base.environment.cpu !== current.environment.cpu) {
    w.push(
      `the runs come from different machines (${base.environment.hostname} / ${current.environment.hostname}): differences may be the machines'; run \`muxbench gate\` to compare on one machine`,
    );
  }
  for (const [name, r] of [
    ['baseline', base],
    ['current', current],
  ] as const) {
    if (r.status !== 'complete') w.push(`the ${name} run is ${r.status}: points it did not finish are not compared as failures`);
  }
  return w;
}

/**
 * Matches points by system id + params and compares each metric. Throws ReportInputError
 * (MUX_ERR_RESULTS_MISMATCH) when the two files are runs of different scenarios; other differences
 * (definitions, quick vs full, machines) are listed in `warnings`.
 */
export function compareResults(base: ResultsFile, current: ResultsFile, options: Partial<CompareOptions> = {}): Comparison {
  return compareRunPairs([[base, current]], options)[0]!;
}

/**
 * Several comparisons judged as one family: the correction counts every comparison of every pair, so
 * that a gate over many scenarios holds its false-alarm rate over all of them.
 */
export function compareRunPairs(pairs: readonly (readonly [ResultsFile, ResultsFile])[], options: Partial<CompareOptions> = {}): Comparison[] {
  const o: CompareOptions = { ...DEFAULT_COMPARE_OPTIONS, ...options };
  const cs = pairs.map(([b, c]) => pairUp(b, c, o));
  const testable = cs.flatMap((c) => c.points.flatMap((p) => p.metrics.filter((m) => m.note === undefined).map((m) => ({ m, p }))));
  const adjusted = adjustPValues(
    testable.map((t) => t.m.p),
    o.correction,
  );
  testable.forEach((t, i) => {
    t.m.pAdjusted = adjusted[i]!;
    decide(t.m, t.p.status, o);
  });
  for (const c of cs) {
    c.tests = testable.length;
    for (const p of c.points) {
      if (p.newlyFailed) c.regressions.push({ point: p, metric: null, why: `now fails${p.reason ? `: ${p.reason.split('\n')[0]}` : ''}` });
      for (const m of p.metrics) {
        c.counts[m.verdict]++;
        if (m.regression)
          c.regressions.push({
            point: p,
            metric: m,
            why: `${m.label} ${signedPercent(m.change)} (95 % CI ${signedPercent(m.ci.low)} … ${signedPercent(m.ci.high)}, p = ${pValue(m.p)}${o.correction === 'none' ? '' : `, corrected ${pValue(m.pAdjusted)}`})`,
          });
      }
    }
  }
  return cs;
}

/** Per process both runs profiled at this point, what changed (src/measure/profile.ts diffProfiles). */
function profileDiffs(base: PointResult, cur: PointResult): { role: string; diff: ProfileDiff }[] {
  if (!base.profile || !cur.profile) return [];
  const out: { role: string; diff: ProfileDiff }[] = [];
  for (const c of cur.profile.processes) {
    const b = base.profile.processes.find((x) => x.role === c.role);
    if (b?.summary && c.summary) out.push({ role: c.role, diff: diffProfiles(b.summary, c.summary) });
  }
  return out;
}

/** The points of two runs matched up and measured, verdicts not yet given. */
function pairUp(base: ResultsFile, current: ResultsFile, o: CompareOptions): Comparison {
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
    const interrupted = Boolean(cur.interrupted || b.interrupted);
    const change: PointChange = {
      ...ref(cur),
      baselineStatus: b.status,
      interrupted,
      newlyFailed: cur.status === 'failed' && b.status !== 'failed' && !interrupted,
      metrics: metricsFor(b, cur).map((def) => measureChange(def, b, cur)),
    };
    if (cur.reason !== undefined) change.reason = cur.reason;
    const diffs = profileDiffs(b, cur);
    if (diffs.length) change.profiles = diffs;
    points.push(change);
  }
  const removed = base.points.filter((p) => !curKeys.has(pointKey(p))).map(ref);
  const axes = [...base.axes];
  for (const a of current.axes) if (!axes.includes(a)) axes.push(a);
  return {
    scenario: current.scenario.name,
    axes,
    baseline: runRef(base),
    current: runRef(current),
    options: o,
    points,
    added,
    removed,
    counts: { faster: 0, slower: 0, 'no significant change': 0, 'insufficient data': 0 },
    regressions: [],
    warnings: comparabilityWarnings(base, current),
    tests: 0,
  };
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

function correctionText(c: Comparison): string {
  if (c.options.correction === 'none') return `uncorrected (${c.tests} comparisons)`;
  return `${c.options.correction === 'holm' ? 'Holm' : 'Benjamini–Hochberg'}-corrected (${c.tests} comparisons)`;
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
      const def = metricDef(m.metric);
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
    `  significant = ${correctionText(c)} p ≤ ${c.options.alpha}, 95 % CI excludes 0, |change| ≥ ${Math.round(c.options.minEffect * 1000) / 10} %`,
    ...c.warnings.map((w) => `  WARNING: ${w}`),
    '',
  ];
  if (rows.length) out.push(line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line));
  else out.push('no point is in both runs');
  const listRefs = (title: string, refs: PointRef[]): void => {
    if (refs.length)
      out.push('', `${title}:`, ...refs.map((r) => `  ${r.label}${Object.keys(r.params).length ? ` (${paramsText(r.params, c.axes)})` : ''} [${r.status}]`));
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
  const profiled = c.points.filter((p) => p.profiles?.length);
  if (profiled.length) {
    out.push('', 'profiles (share of the busy time, baseline → current):');
    for (const p of profiled) {
      const where = Object.keys(p.params).length ? ` (${paramsText(p.params, c.axes)})` : '';
      for (const { role, diff } of p.profiles!) out.push(`  ${p.label}${where}, ${role}: ${profileDiffText(diff)}`);
    }
  }
  return out.join('\n');
}

/** One line: the kinds that moved most and the functions that grew most. */
export function profileDiffText(d: ProfileDiff): string {
  const kinds = [...d.kinds].sort((a, b) => Math.abs(b.change) - Math.abs(a.change)).slice(0, 2);
  const grew = d.grew.slice(0, 3);
  return [
    kinds.map((k) => `${FRAME_KINDS[k.kind]} ${Math.round(k.baseShare * 100)} % → ${Math.round(k.currentShare * 100)} %`).join(', '),
    grew.length ? `grew: ${grew.map((f) => `${f.name}${f.at ? ` (${f.at})` : ''} ${percentagePoints(f.change)}`).join(', ')}` : 'no function grew',
  ].join('; ');
}
