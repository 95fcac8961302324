/**
 * Results → chart specs: plain data that says what each chart shows (series of points with their status
 * and confidence interval, the x scale, marker lines). The page inlines the specs as JSON and a small
 * browser script turns them into chart.js charts; verdicts are computed from the same specs, so a
 * sentence under a chart always describes exactly what is drawn.
 */
import { isUnlimited } from '../h2/stream-limit.ts';
import { type Histogram, mergeHistograms } from '../measure/histogram.ts';
import type { PointResult, PointStatus, ResultsFile } from '../measure/results.ts';
import { type PointCeiling, pointCeilings, transferRate } from './ceilings.ts';
import { axisValue } from './format.ts';
import { streamLimitInfo, streamLimitOf } from './stream-limit.ts';

export type MetricId =
  | 'requestsPerSec'
  /** bulk transfers: streams × body bytes / median transfer time (src/report/ceilings.ts, transferRate) */
  | 'transferBytesPerSec'
  | 'p50Us'
  | 'p99Us'
  | 'errorRate'
  | 'systemCpu'
  | 'systemPeakRssBytes'
  | 'rssPerInflightBytes'
  | 'latencyPercentiles'
  /** muxbench attack: successes/s under attack as a share of the baseline's */
  | 'goodputShare'
  /** muxbench attack: successes/s over time around one pattern */
  | 'servedPerSec'
  /** a point over time (timeseries.ts) */
  | 'seriesRequestsPerSec'
  | 'seriesP99Us';
/** How the browser formats a value: the same units as format.ts. */
export type ValueFormat = 'rate' | 'us' | 'percent' | 'bytes' | 'number' | 'percentile' | 'seconds';

export interface MetricInfo {
  title: string;
  yLabel: string;
  format: ValueFormat;
  yLog: boolean;
}

export const METRICS: Record<MetricId, MetricInfo> = {
  requestsPerSec: { title: 'Throughput', yLabel: 'requests / s', format: 'rate', yLog: false },
  transferBytesPerSec: { title: 'Transfer throughput', yLabel: 'body bytes / s per transfer', format: 'bytes', yLog: false },
  p50Us: { title: 'p50 latency', yLabel: 'p50 latency (log)', format: 'us', yLog: true },
  p99Us: { title: 'p99 latency', yLabel: 'p99 latency (log)', format: 'us', yLog: true },
  errorRate: { title: 'Errors', yLabel: 'calls that failed', format: 'percent', yLog: false },
  systemCpu: { title: 'System CPU', yLabel: 'CPU, share of one core', format: 'percent', yLog: false },
  systemPeakRssBytes: { title: 'Peak RSS', yLabel: 'peak RSS, all system processes', format: 'bytes', yLog: false },
  // marginal, not peak RSS ÷ concurrency: that ratio is mostly the processes' fixed size divided by a small number
  rssPerInflightBytes: { title: 'Memory per extra in-flight request', yLabel: 'Δ peak RSS per added request', format: 'bytes', yLog: false },
  latencyPercentiles: { title: 'Latency by percentile', yLabel: 'latency (log)', format: 'us', yLog: true },
  seriesRequestsPerSec: { title: 'Throughput per 100 ms', yLabel: 'requests / s', format: 'rate', yLog: false },
  seriesP99Us: { title: 'p99 per 100 ms', yLabel: 'p99 latency (log)', format: 'us', yLog: true },
  goodputShare: { title: 'Goodput under attack', yLabel: 'successes/s under attack, share of baseline', format: 'percent', yLog: false },
  servedPerSec: { title: 'Well-behaved requests served', yLabel: 'successes / s', format: 'rate', yLog: false },
};

/** The charts of a run report, per swept axis. */
export const RUN_METRICS: readonly MetricId[] = [
  'requestsPerSec',
  'transferBytesPerSec',
  'p50Us',
  'p99Us',
  'errorRate',
  'systemCpu',
  'systemPeakRssBytes',
  'rssPerInflightBytes',
];
/** The charts of a comparison page (both runs on each). */
export const COMPARE_METRICS: readonly MetricId[] = ['requestsPerSec', 'p50Us', 'p99Us'];

/** Beyond this many lines a chart is split into facets (one per value of the other axes). */
export const MAX_SERIES_PER_CHART = 8;

/** Tableau 10: distinct, readable on white, fine for most colour-blind readers. */
export const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

/** `hex` mixed with black (t < 0) or white (t > 0) by |t|. */
function mix(hex: string, t: number): string {
  const towards = t < 0 ? 0 : 255;
  const k = Math.abs(t);
  return `#${[1, 3, 5]
    .map((i) => {
      const c = parseInt(hex.slice(i, i + 2), 16);
      return Math.round(c + (towards - c) * k)
        .toString(16)
        .padStart(2, '0');
    })
    .join('')}`;
}

/**
 * One colour per system for a whole page, assigned once by system id in order of first appearance and used
 * by every chart on it, so a colour names the same system everywhere. Lines of one system that differ in
 * another axis (stream limit 10, 100, unlimited) are shades of its colour, darkest first.
 */
export class SystemPalette {
  private readonly colours = new Map<string, string>();

  constructor(systemIds: Iterable<string> = []) {
    for (const id of systemIds) this.colour(id);
  }

  colour(systemId: string): string {
    let c = this.colours.get(systemId);
    if (!c) {
      c = PALETTE[this.colours.size % PALETTE.length]!;
      this.colours.set(systemId, c);
    }
    return c;
  }

  /** The `i`-th of `n` shades of a system's colour (its own colour when it has one line). */
  shade(systemId: string, i: number, n: number): string {
    const base = this.colour(systemId);
    return n <= 1 ? base : mix(base, -0.5 + (1.05 * i) / (n - 1));
  }

  /** The palette of a page showing these runs (baseline first on a comparison). */
  static forRuns(runs: readonly ResultsFile[]): SystemPalette {
    return new SystemPalette(runs.flatMap((r) => r.points.map((p) => p.systemId)));
  }
}

export type RunRole = 'single' | 'baseline' | 'current';

export interface SeriesPoint {
  x: number;
  /** null when the point has no measurement (failed before any trial) */
  y: number | null;
  low: number | null;
  high: number | null;
  status: PointStatus;
  reason?: string;
  params: Record<string, number>;
  /** trials behind the value */
  trials: number;
  /** for the errors chart: errors by kind */
  errors?: Record<string, number>;
  /** for the CPU chart: the throughput that CPU bought */
  requestsPerSec?: number;
  /** the load generator's CPU, share of its core (median over trials): near 1 its figures are its own limit */
  generatorCpu?: number;
  /** for the memory-per-request chart: the point's peak RSS, and the x of the point its change is taken from */
  peakRssBytes?: number;
  fromX?: number;
}

export interface Series {
  label: string;
  systemId: string;
  systemLabel: string;
  run: RunRole;
  /** values of the other swept axes that tell this series apart */
  fixed: Record<string, number>;
  /** the h2 stream limit this series ran with (0 = unlimited), when the system has one */
  streamLimit: number | null;
  color: string;
  dashed: boolean;
  /** not a measurement: the ceiling physics allows the series of the same system (src/report/ceilings.ts) */
  ceiling?: boolean;
  points: SeriesPoint[];
}

/** A vertical line, e.g. one system's stream limit in its colour, drawn while one of its lines is shown. */
export interface Marker {
  x: number;
  label: string;
  /** grey when absent */
  color?: string;
  /** labels of the series it belongs to; absent: the whole chart's */
  series?: string[];
}

export interface ChartSpec {
  id: string;
  metric: MetricId;
  title: string;
  yLabel: string;
  yFormat: ValueFormat;
  yLog: boolean;
  axis: string;
  xTitle: string;
  xScale: 'linear' | 'logarithmic' | 'category';
  /** the x values in display order (category scales: the order of the categories) */
  xValues: number[];
  xLabels: string[];
  xFormat: ValueFormat;
  series: Series[];
  /** vertical lines, e.g. the stream limit on a concurrency axis */
  markers: Marker[];
  /** sentences computed from the data, filled in by verdicts.ts */
  verdict: string[];
}

export interface ChartGroup {
  id: string;
  axis: string;
  title: string;
  /** axes held constant in this group, e.g. { payloadBytes: 64 } */
  constants: Record<string, number>;
  /** facet values when a chart had too many lines to read */
  facet: Record<string, number>;
  notes: string[];
  charts: ChartSpec[];
}

export interface Source {
  results: ResultsFile;
  run: RunRole;
}

interface Tagged {
  p: PointResult;
  run: RunRole;
  results: ResultsFile;
}

const ABSENT = 'absent';

function valueKey(p: PointResult, axis: string): string {
  const v = p.params[axis];
  return v === undefined ? ABSENT : String(v);
}

/** Display order of an axis's values: ascending, but "unlimited" (streamLimit 0) goes last. */
export function orderValues(axis: string, values: Iterable<number>): number[] {
  const sorted = [...new Set(values)].sort((a, b) => a - b);
  if (axis === 'streamLimit' && sorted[0] === 0) return [...sorted.slice(1), 0];
  return sorted;
}

export function xScaleFor(axis: string, values: readonly number[]): ChartSpec['xScale'] {
  if (axis === 'streamLimit') return 'category';
  const positive = values.filter((v) => v > 0);
  if (positive.length < 2) return values.length > 1 && values.includes(0) ? 'category' : 'linear';
  const span = Math.max(...positive) / Math.min(...positive);
  // two orders of magnitude or more: equal steps on a linear axis would crowd the small values together
  if (span >= 100) return values.includes(0) ? 'category' : 'logarithmic';
  return 'linear';
}

/** No request of the point's trials succeeded: its 0 req/s and 0 µs are no measurement. */
export function nothingSucceeded(p: PointResult): boolean {
  return p.trials.every((t) => t.requests === 0);
}

function metricValue(metric: MetricId, p: PointResult, results: ResultsFile): { y: number | null; low: number | null; high: number | null } {
  const s = p.summary;
  const none = { y: null, low: null, high: null };
  if (!s) return none;
  switch (metric) {
    case 'requestsPerSec':
    case 'p50Us':
    case 'p99Us': {
      if (nothingSucceeded(p)) return none;
      const e = s[metric];
      const ok = Number.isFinite(e.median) && (metric === 'requestsPerSec' || e.median > 0);
      return ok ? { y: e.median, low: e.ci.low, high: e.ci.high } : none;
    }
    case 'errorRate':
      return { y: s.errorRate, low: null, high: null };
    case 'systemCpu':
      return { y: s.systemCpu, low: null, high: null };
    case 'systemPeakRssBytes':
      return { y: s.systemPeakRssBytes, low: null, high: null };
    case 'rssPerInflightBytes':
      // the point's RSS here; marginalMemory turns a line of them into the change per added request
      return { y: s.systemPeakRssBytes, low: null, high: null };
    case 'transferBytesPerSec': {
      const r = nothingSucceeded(p) ? null : transferRate(p, results);
      return r ? { y: r.median, low: r.low, high: r.high } : none;
    }
    case 'latencyPercentiles':
    case 'seriesRequestsPerSec':
    case 'seriesP99Us':
    case 'goodputShare':
    case 'servedPerSec':
      return none;
  }
}

function seriesPoint(metric: MetricId, t: Tagged, axis: string): SeriesPoint {
  const x = t.p.params[axis]!;
  const v = metricValue(metric, t.p, t.results);
  const point: SeriesPoint = { x, ...v, status: t.p.status, params: t.p.params, trials: t.p.trials.length };
  if (t.p.reason !== undefined) point.reason = t.p.reason;
  if (t.p.summary) point.generatorCpu = t.p.summary.generatorCpu;
  if (metric === 'errorRate' && t.p.summary) point.errors = t.p.summary.errors;
  if (metric === 'systemCpu' && t.p.summary) point.requestsPerSec = t.p.summary.requestsPerSec.median;
  return point;
}

/**
 * A line of peak RSS values (in x order) made into the memory one more request in flight costs: at each
 * point, the change in RSS since the previous usable point divided by the requests added. The first point
 * has nothing to be taken from; a failed point gives no value and is skipped as a start.
 */
export function marginalMemory(points: readonly SeriesPoint[]): SeriesPoint[] {
  let prev: SeriesPoint | null = null;
  return points.map((p) => {
    const rss = p.y;
    const out: SeriesPoint = { ...p, y: null, low: null, high: null };
    if (rss === null || p.status === 'failed') return out;
    out.peakRssBytes = rss;
    if (prev && p.x > prev.x) {
      out.y = (rss - prev.peakRssBytes!) / (p.x - prev.x);
      out.fromX = prev.x;
    }
    prev = out;
    return out;
  });
}

/** Lines two orders of magnitude apart: on a linear axis the lower ones would lie flat on zero. */
function spansDecades(series: readonly Series[]): boolean {
  const ys = series.flatMap((s) => s.points.map((p) => p.y).filter((y): y is number => y !== null && y > 0));
  return ys.length > 1 && Math.max(...ys) / Math.min(...ys) >= 100;
}

function fixedLabel(fixed: Record<string, number>): string {
  return Object.entries(fixed)
    .map(([k, v]) => (k === 'streamLimit' ? (isUnlimited(v) ? 'no limit' : `limit ${v}`) : `${k} ${axisValue(k, v)}`))
    .join(', ');
}

function runSuffix(run: RunRole): string {
  return run === 'single' ? '' : ` (${run})`;
}

function combos<T>(items: readonly T[], keyOf: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const it of items) {
    const k = keyOf(it);
    const list = m.get(k);
    if (list) list.push(it);
    else m.set(k, [it]);
  }
  return m;
}

/** Display order of two values of an axis (absent last): the order of `orderValues`. */
function compareAxisValues(axis: string, a: number | undefined, b: number | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return 1;
  if (b === undefined) return -1;
  const order = orderValues(axis, [a, b]);
  return order[0] === a ? -1 : 1;
}

/**
 * The stream limits on a concurrency chart: one line per system and limit that is set and finite (0 =
 * unlimited: no line), within the x range, in the system's colour and named after it.
 */
function limitMarkers(series: readonly Series[], byLine: Map<string, Tagged[]>, xValues: readonly number[]): Marker[] {
  const lo = xValues[0]!;
  const hi = xValues[xValues.length - 1]!;
  const lines = [...byLine.values()];
  const markers = new Map<string, Marker>();
  series.forEach((s, i) => {
    const first = lines[i]![0]!;
    const limit = streamLimitInfo(first.p, first.results);
    if (!limit || limit.total <= 0 || limit.total < lo || limit.total > hi) return;
    const key = `${s.systemId}\u0000${limit.total}`;
    const known = markers.get(key);
    if (known) {
      known.series!.push(s.label);
      return;
    }
    const what = limit.connections > 1 ? `${limit.connections} × ${limit.perConnection} streams` : `stream limit ${limit.perConnection}`;
    markers.set(key, { x: limit.total, label: `${s.systemLabel}: ${what}`, color: s.color, series: [s.label] });
  });
  return [...markers.values()].sort((a, b) => a.x - b.x);
}

/** A line's ceilings (src/report/ceilings.ts) as a series of their own, in x order; null when it has none. */
function ceilingLine(
  metric: 'requestsPerSec' | 'transferBytesPerSec',
  members: readonly Tagged[],
  ceilings: Map<number, PointCeiling>,
  axis: string,
  xValues: readonly number[],
): SeriesPoint[] | null {
  const points: SeriesPoint[] = [];
  for (const t of members) {
    const c = ceilings.get(t.p.index);
    const y = metric === 'requestsPerSec' ? c?.requestsPerSec : c?.bytesPerSec;
    if (y === undefined) continue;
    points.push({ x: t.p.params[axis]!, y, low: null, high: null, status: 'ok', params: t.p.params, trials: 0 });
  }
  points.sort((a, b) => xValues.indexOf(a.x) - xValues.indexOf(b.x));
  return points.length ? points : null;
}

/**
 * One group of charts per swept axis (or per facet of it). Several sources (a baseline and a current run)
 * put their series on the same charts; the baseline's lines are dashed.
 */
export function buildChartGroups(
  sources: readonly Source[],
  metrics: readonly MetricId[] = RUN_METRICS,
  palette = SystemPalette.forRuns(sources.map((s) => s.results)),
): ChartGroup[] {
  const all: Tagged[] = sources.flatMap((s) => s.results.points.map((p) => ({ p, run: s.run, results: s.results })));
  // transfer throughput is drawn for bulk downloads only
  const bulk = sources.some((s) => (s.results.scenario.definition as { workload?: { call?: string } } | undefined)?.workload?.call === 'sized');
  const ceilings = new Map(sources.map((s) => [s.results, pointCeilings(s.results)]));
  const axes: string[] = [];
  for (const s of sources) for (const a of s.results.axes) if (!axes.includes(a)) axes.push(a);

  const groups: ChartGroup[] = [];
  for (const axis of axes) {
    const onAxis = all.filter((t) => t.p.params[axis] !== undefined);
    if (onAxis.length === 0) continue;
    const others = axes.filter((a) => a !== axis);
    const varying = others.filter((a) => new Set(onAxis.map((t) => valueKey(t.p, a))).size > 1);
    const constants: Record<string, number> = {};
    for (const a of others) {
      if (varying.includes(a)) continue;
      const v = onAxis[0]!.p.params[a];
      if (v !== undefined) constants[a] = v;
    }
    const identity = (t: Tagged, keep: readonly string[]): string => [t.p.systemId, ...keep.map((a) => valueKey(t.p, a))].join('\u0000');
    const lineCount = new Set(onAxis.map((t) => identity(t, varying))).size;
    // facet by the other axes (except the stream limit, which must stay on one chart to show the knee)
    const facetAxes = lineCount > MAX_SERIES_PER_CHART ? varying.filter((a) => a !== 'streamLimit') : [];
    const seriesAxes = varying.filter((a) => !facetAxes.includes(a));
    const facets = combos(onAxis, (t) => facetAxes.map((a) => valueKey(t.p, a)).join(','));

    const notSwept = [...new Set(all.filter((t) => t.p.params[axis] === undefined).map((t) => t.p.label))];
    const notes = notSwept.length ? [`Not swept over ${axis}, so not on these charts: ${notSwept.join(', ')}.`] : [];

    let facetIndex = 0;
    for (const members of facets.values()) {
      const facet: Record<string, number> = {};
      for (const a of facetAxes) {
        const v = members[0]!.p.params[a];
        if (v !== undefined) facet[a] = v;
      }
      const xValues = orderValues(
        axis,
        members.map((t) => t.p.params[axis]!),
      );
      const xScale = xScaleFor(axis, xValues);
      const byLine = combos(members, (t) => `${t.run}\u0000${identity(t, seriesAxes)}`);
      // a system's lines in this facet (baseline and current share one): shade i of n of its colour
      const variants = new Map<string, string[]>();
      for (const t of [...members].sort((a, b) => seriesAxes.reduce((d, ax) => d || compareAxisValues(ax, a.p.params[ax], b.p.params[ax]), 0))) {
        const list = variants.get(t.p.systemId) ?? [];
        const key = identity(t, seriesAxes);
        if (!list.includes(key)) list.push(key);
        variants.set(t.p.systemId, list);
      }
      const colourOf = (t: Tagged): string => {
        const list = variants.get(t.p.systemId)!;
        return palette.shade(t.p.systemId, list.indexOf(identity(t, seriesAxes)), list.length);
      };
      const groupId = `g-${axis}${facetAxes.length ? `-${facetIndex}` : ''}`;
      const charts: ChartSpec[] = [];
      for (const metric of metrics) {
        if (metric === 'rssPerInflightBytes' && (axis !== 'concurrency' || xScale === 'category')) continue;
        if (metric === 'latencyPercentiles') continue;
        if (metric === 'transferBytesPerSec' && !bulk) continue;
        const series: Series[] = [];
        for (const lineMembers of byLine.values()) {
          const first = lineMembers[0]!;
          const fixed: Record<string, number> = {};
          for (const a of seriesAxes) {
            const v = first.p.params[a];
            if (v !== undefined) fixed[a] = v;
          }
          const extra = fixedLabel(fixed);
          let points = lineMembers.map((t) => seriesPoint(metric, t, axis));
          points.sort((a, b) => xValues.indexOf(a.x) - xValues.indexOf(b.x));
          if (metric === 'rssPerInflightBytes') points = marginalMemory(points);
          series.push({
            label: `${first.p.label}${extra ? ` · ${extra}` : ''}${runSuffix(first.run)}`,
            systemId: first.p.systemId,
            systemLabel: first.p.label,
            run: first.run,
            fixed,
            streamLimit: streamLimitOf(first.p, first.results),
            color: colourOf(first),
            dashed: first.run === 'baseline',
            points,
          });
          if (metric === 'requestsPerSec' || metric === 'transferBytesPerSec') {
            const line = ceilingLine(metric, lineMembers, ceilings.get(first.results)!, axis, xValues);
            if (line)
              series.push({ ...series[series.length - 1]!, label: `${series[series.length - 1]!.label} · ceiling`, dashed: true, ceiling: true, points: line });
          }
        }
        const info = METRICS[metric];
        const yLog = info.yLog || ((metric === 'requestsPerSec' || metric === 'transferBytesPerSec') && spansDecades(series));
        const markers =
          axis === 'concurrency' && xScale !== 'category'
            ? limitMarkers(
                series.filter((s) => !s.ceiling),
                byLine,
                xValues,
              )
            : [];
        charts.push({
          id: `${groupId}-${metric}`,
          metric,
          title: info.title,
          yLabel: yLog && !info.yLog ? `${info.yLabel} (log)` : info.yLabel,
          yFormat: info.format,
          yLog,
          axis,
          xTitle: axis,
          xScale,
          xValues,
          xLabels: xValues.map((v) => axisValue(axis, v)),
          xFormat: axis.endsWith('Bytes') ? 'bytes' : 'number',
          series,
          markers,
          verdict: [],
        });
      }
      const facetText = Object.entries(facet)
        .map(([k, v]) => `${k} = ${axisValue(k, v)}`)
        .join(', ');
      groups.push({
        id: groupId,
        axis,
        title: `by ${axis}${facetText ? ` — ${facetText}` : ''}`,
        constants,
        facet,
        notes,
        charts,
      });
      facetIndex++;
    }
  }
  return groups;
}

/** Percentiles shown on the latency-distribution chart (x = 1 / (1 − q), the HdrHistogram convention). */
const PERCENTILES = [0, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 99.995, 99.999];

/** 1 / (1 − q), rounded so that p99 is exactly 100 and p99.9 exactly 1000. */
export function percentileX(q: number): number {
  return Number((1 / (1 - q / 100)).toPrecision(10));
}

/** The point's trials' histograms as one; an undecodable one leaves its trial out of the distribution (the table still shows it). */
function mergedHistogram(p: PointResult): Histogram | null {
  return mergeHistograms(p.trials.map((t) => t.histogram).filter((h) => h !== '' && h !== undefined))?.histogram ?? null;
}

/**
 * Latency by percentile for each system at its heaviest measured point (largest value of the first axis,
 * then the last in sweep order), from the trials' HDR histograms merged.
 */
export function buildPercentileChart(results: ResultsFile, palette = SystemPalette.forRuns([results])): ChartSpec | null {
  const bySystem = combos(
    results.points.filter((p) => p.status !== 'failed' && p.trials.some((t) => t.histogram)),
    (p) => p.systemId,
  );
  const first = results.axes[0];
  const series: Series[] = [];
  for (const points of bySystem.values()) {
    // heaviest first: largest value of the first axis, then the last in sweep order; skip empty histograms
    const ordered = [...points].sort((a, b) => {
      const av = first ? (a.params[first] ?? -Infinity) : 0;
      const bv = first ? (b.params[first] ?? -Infinity) : 0;
      return bv - av || b.index - a.index;
    });
    let heaviest: PointResult | undefined;
    let h: Histogram | null = null;
    for (const p of ordered) {
      h = mergedHistogram(p);
      if (h && h.totalCount > 0) {
        heaviest = p;
        break;
      }
      h?.destroy();
      h = null;
    }
    if (!heaviest || !h) continue;
    const pts: SeriesPoint[] = [];
    for (const q of PERCENTILES) {
      if ((1 - q / 100) * h.totalCount < 1) break;
      pts.push({
        x: percentileX(q),
        y: Math.max(1, h.getValueAtPercentile(q)),
        low: null,
        high: null,
        status: heaviest.status,
        params: heaviest.params,
        trials: heaviest.trials.length,
      });
    }
    h.destroy();
    const where = fixedLabel(heaviest.params);
    series.push({
      label: `${heaviest.label}${where ? ` · ${where}` : ''}`,
      systemId: heaviest.systemId,
      systemLabel: heaviest.label,
      run: 'single',
      fixed: { ...heaviest.params },
      streamLimit: streamLimitOf(heaviest, results),
      color: palette.colour(heaviest.systemId),
      dashed: false,
      points: pts,
    });
  }
  if (series.length === 0) return null;
  const info = METRICS.latencyPercentiles;
  const xValues = [...new Set(series.flatMap((s) => s.points.map((p) => p.x)))].sort((a, b) => a - b);
  return {
    id: 'g-distribution-latencyPercentiles',
    metric: 'latencyPercentiles',
    title: info.title,
    yLabel: info.yLabel,
    yFormat: info.format,
    yLog: true,
    axis: 'percentile',
    xTitle: 'percentile',
    xScale: 'logarithmic',
    xValues,
    xLabels: xValues.map((x) => `${+(100 * (1 - 1 / x)).toPrecision(6)} %`),
    xFormat: 'percentile',
    series,
    markers: [],
    verdict: [],
  };
}
