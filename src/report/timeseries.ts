/**
 * Each point over time: throughput and p99 per 100 ms window, through the warm-up and every trial, so a
 * reader sees how long the system took to settle, whether it stalled, and how steady the measured windows
 * were. Chart specs (drawn by the same client as the sweep charts) and the sentences under them, both
 * computed from the series in the results file.
 */
import type { PointResult, ResultsFile, SeriesWindow } from '../measure/results.ts';
import { median } from '../measure/stats.ts';
import type { ChartSpec, Series } from './charts.ts';
import { paramsText, percent, rate, sig3 } from './format.ts';

const WARMUP_COLOUR = '#bab0ac';
const TRIAL_COLOURS = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1', '#ff9da7', '#9c755f'];

interface Phase {
  name: string;
  windows: SeriesWindow[];
}

function phases(p: PointResult): Phase[] {
  const out: Phase[] = [];
  if (p.warmup?.series.length) out.push({ name: 'warm-up', windows: p.warmup.series });
  p.trials.forEach((t, i) => {
    if (t.series?.length) out.push({ name: `trial ${i + 1}`, windows: t.series });
  });
  return out;
}

function windowRate(w: SeriesWindow): number {
  return w.ms > 0 ? (w.ok * 1000) / w.ms : 0;
}

export function hasTimeSeries(p: PointResult): boolean {
  return phases(p).length > 0;
}

function spec(p: PointResult, kind: 'rps' | 'p99', list: Phase[]): ChartSpec {
  const series: Series[] = list.map((ph, i) => ({
    label: ph.name,
    systemId: p.systemId,
    systemLabel: p.label,
    run: 'single',
    fixed: {},
    streamLimit: null,
    color: ph.name === 'warm-up' ? WARMUP_COLOUR : TRIAL_COLOURS[(i - (list[0]?.name === 'warm-up' ? 1 : 0)) % TRIAL_COLOURS.length]!,
    dashed: false,
    points: ph.windows
      .filter((w) => w.ms > 0)
      .map((w) => {
        const y = kind === 'rps' ? windowRate(w) : w.p99Us;
        return { x: Math.round(w.atMs) / 1000, y, low: null, high: null, status: 'ok' as const, params: p.params, trials: 1 };
      }),
  }));
  return {
    id: `ts-${p.index}-${kind}`,
    metric: kind === 'rps' ? 'seriesRequestsPerSec' : 'seriesP99Us',
    title: kind === 'rps' ? 'Throughput per 100 ms' : 'p99 per 100 ms',
    yLabel: kind === 'rps' ? 'requests / s' : 'p99 latency (log)',
    yFormat: kind === 'rps' ? 'rate' : 'us',
    yLog: kind === 'p99',
    axis: 'time',
    xTitle: 'time since the load started',
    xScale: 'linear',
    xValues: [],
    xLabels: [],
    xFormat: 'seconds',
    series,
    markers: [],
    verdict: [],
  };
}

/** Sentences about one point's series: warm-up, variation between windows, stalls. */
export function timeSeriesVerdict(p: PointResult): string[] {
  const out: string[] = [];
  const w = p.warmup;
  if (w) {
    if (w.steady === true)
      out.push(
        `Warm-up: ${sig3(w.elapsedMs / 1000)} s until throughput settled (the last blocks within ${w.spread === null ? '?' : percent(w.spread)}, tolerance ${w.tolerance === null ? '?' : percent(w.tolerance)}).`,
      );
    else if (w.steady === false)
      out.push(
        `Warm-up: throughput had not settled after ${sig3(w.elapsedMs / 1000)} s (spread ${w.spread === null || !Number.isFinite(w.spread) ? 'unknown' : percent(w.spread)}, tolerance ${w.tolerance === null ? '?' : percent(w.tolerance)}): the point is marked not-steady.`,
      );
    else out.push(`Warm-up: a fixed ${sig3(w.elapsedMs / 1000)} s (this engine runs its own loop; steadiness not judged).`);
  }
  const measured = p.trials.flatMap((t) => t.series ?? []).filter((x) => x.ms > 0);
  if (measured.length >= 3) {
    const rates = measured.map(windowRate);
    const m = median(rates);
    if (m > 0) {
      const mean = rates.reduce((a, b) => a + b, 0) / rates.length;
      const sd = Math.sqrt(rates.reduce((a, b) => a + (b - mean) ** 2, 0) / (rates.length - 1));
      const lowest = Math.min(...rates);
      out.push(
        `Measured windows: median ${rate(m)}, window-to-window variation ${percent(sd / mean)} (coefficient of variation), lowest window ${percent(lowest / m)} of the median.`,
      );
      const stalls = measured.filter((x) => x.ok === 0);
      if (stalls.length)
        out.push(
          `Stall: in ${stalls.length} window${stalls.length === 1 ? '' : 's'} (first at ${sig3(stalls[0]!.atMs / 1000)} s) no request sent then succeeded.`,
        );
    }
  }
  return out;
}

export interface PointTimeSeries {
  point: PointResult;
  charts: ChartSpec[];
  verdict: string[];
}

/**
 * A point of load groups: every group's p99 per window through the trials, one line per group — where a
 * bulk group's transfers hold up the small calls, their p99 rises in the same windows. Each group's loop
 * counts time from its own start, but every trial opened all groups' windows at one instant, so each
 * group's windows are placed on the primary's clock from the start of the trial.
 */
function groupsSpec(p: PointResult): ChartSpec {
  const base = spec(p, 'p99', []);
  const primary = p.groups?.[0]?.trials ?? [];
  const series: Series[] = (p.groups ?? []).map((g, i) => ({
    label: g.label,
    systemId: p.systemId,
    systemLabel: p.label,
    run: 'single',
    fixed: {},
    streamLimit: null,
    color: TRIAL_COLOURS[i % TRIAL_COLOURS.length]!,
    dashed: false,
    points: g.trials.flatMap((t, k) => {
      const own = t.series ?? [];
      const shift = (primary[k]?.series?.[0]?.atMs ?? 0) - (own[0]?.atMs ?? 0);
      const windows = own
        .filter((w) => w.ms > 0)
        .map((w) => ({
          x: Math.round(w.atMs + shift) / 1000,
          y: w.p99Us as number | null,
          low: null,
          high: null,
          status: 'ok' as const,
          params: p.params,
          trials: 1,
        }));
      // a gap between trials (the load ran on, unmeasured, in between)
      const last = windows.at(-1);
      return last ? [...windows, { ...last, x: last.x + 0.05, y: null }] : windows;
    }),
  }));
  return { ...base, id: `ts-${p.index}-groups-p99`, title: 'p99 per 100 ms, by load group (trials)', series };
}

export function buildTimeSeries(results: ResultsFile): PointTimeSeries[] {
  return results.points.filter(hasTimeSeries).map((p) => {
    const list = phases(p);
    const charts = [spec(p, 'rps', list), spec(p, 'p99', list)];
    if ((p.groups?.length ?? 0) > 1) charts.push(groupsSpec(p));
    return { point: p, charts, verdict: timeSeriesVerdict(p) };
  });
}

export function timeSeriesTitle(t: PointTimeSeries, axes: readonly string[]): string {
  const where = paramsText(t.point.params, axes);
  return `${t.point.label}${where ? ` — ${where}` : ''}`;
}
