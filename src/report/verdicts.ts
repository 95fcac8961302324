/**
 * The short written verdict under each chart, computed from the chart's own data: who leads at the
 * heaviest point and by how much, how each line grows across the sweep, where a stream limit bites.
 * Every number in a sentence comes from the series; a point that failed or has no value is never used as
 * a value (failures are named instead), and a generator-bound value is flagged wherever it is quoted.
 */
import { GENERATOR_NEAR_SATURATION_CPU } from '../measure/generator.ts';
import { slope } from '../measure/stats.ts';
import type { ChartSpec, Series, SeriesPoint } from './charts.ts';
import { bytes, compact, describeAxisRange, describeAxisValue, micros, percent, ratio, rate } from './format.ts';

type Usable = SeriesPoint & { y: number };

function usable(p: SeriesPoint | undefined): p is Usable {
  return p !== undefined && p.y !== null && Number.isFinite(p.y) && p.status !== 'failed';
}

function at(s: Series, x: number): Usable | undefined {
  const p = s.points.find((q) => q.x === x);
  return usable(p) ? p : undefined;
}

/** The series' usable points in the chart's display order. */
function usablePoints(spec: ChartSpec, s: Series): Usable[] {
  return s.points.filter(usable).sort((a, b) => spec.xValues.indexOf(a.x) - spec.xValues.indexOf(b.x));
}

/** The load generator used enough of its core that it may have held the load back (below generator-bound). */
const nearSaturation = (p: SeriesPoint): boolean => p.status !== 'generator-bound' && (p.generatorCpu ?? 0) >= GENERATOR_NEAR_SATURATION_CPU;

/** The flag a quoted figure carries when the generator, not the system, may have set it. */
function generatorNote(p: SeriesPoint): string {
  if (p.status === 'generator-bound') return 'generator-bound';
  return nearSaturation(p) ? `generator near saturation, ${percent(p.generatorCpu!)} of its core` : '';
}

const gb = (p: SeriesPoint): string => {
  const note = generatorNote(p);
  return note ? ` (${note})` : '';
};

/** "A", "A and B", "A, B and C" */
function list(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** "grows 4.2×", "falls 2.0×", "stays within 10 %" for a factor end/start. */
function change(r: number): string {
  if (r === 0) return 'drops to zero';
  if (!Number.isFinite(r)) return 'rises from zero';
  if (r >= 0.9 && r <= 1.1) return `stays within ${Math.round(Math.abs(r - 1) * 100) <= 5 ? '5' : '10'} %`;
  return r > 1 ? `grows ${ratio(r)}` : `falls ${ratio(1 / r)}`;
}

/** For a line compared with one that grew: "stays flat", "stays within 1.3×", "grows 2.6×", "falls 1.2×". */
function relative(r: number): string {
  if (r < 0.95) return `falls ${ratio(1 / r)}`;
  if (r <= 1.05) return 'stays flat (within 5 %)';
  if (r <= 1.5) return `stays within ${ratio(r)}`;
  return `grows ${ratio(r)}`;
}

interface Span {
  s: Series;
  first: Usable;
  last: Usable;
}

function spans(spec: ChartSpec): Span[] {
  const out: Span[] = [];
  for (const s of spec.series) {
    const pts = usablePoints(spec, s);
    if (pts.length >= 2) out.push({ s, first: pts[0]!, last: pts[pts.length - 1]! });
  }
  return out;
}

/** The last x (in display order) where at least `min` series have a usable value. */
function heaviestShared(spec: ChartSpec, min: number): { x: number; values: { s: Series; p: Usable }[] } | null {
  for (let i = spec.xValues.length - 1; i >= 0; i--) {
    const x = spec.xValues[i]!;
    const values = spec.series.flatMap((s) => {
      const p = at(s, x);
      return p ? [{ s, p }] : [];
    });
    if (values.length >= min) return { x, values };
  }
  return null;
}

function rangeText(spec: ChartSpec, a: number, b: number): string {
  return describeAxisRange(spec.axis, a, b);
}

/** "At 100 concurrent calls", "With no stream limit", "At a stream limit of 10". */
function atValue(spec: ChartSpec, x: number): string {
  return spec.axis === 'streamLimit' && x === 0 ? 'With no stream limit' : `At ${describeAxisValue(spec.axis, x)}`;
}

/** Where two or more lines have a value, the heaviest such x; else the heaviest x with any value. */
function heaviest(spec: ChartSpec): ReturnType<typeof heaviestShared> {
  return heaviestShared(spec, 2) ?? heaviestShared(spec, 1);
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** "From 10 to 1,000 concurrent calls, throughput: A grows 8.0×; B falls 1.3× (10 → 100)." */
function scalingSentence(spec: ChartSpec, noun: string): string | null {
  const sp = spans(spec);
  if (sp.length === 0) return null;
  const x0 = sp[0]!.first.x;
  const x1 = sp[0]!.last.x;
  const shared = sp.every((v) => v.first.x === x0 && v.last.x === x1);
  const parts = sp.map((v) => {
    const own = shared ? '' : ` (${rangeText(spec, v.first.x, v.last.x)})`;
    return `${v.s.label} ${change(v.last.y / v.first.y)}${own}`;
  });
  const lead = shared ? `${capitalise(rangeText(spec, x0, x1))}, ${noun}: ` : `${capitalise(noun)} across the sweep: `;
  return `${lead}${parts.join('; ')}.`;
}

function failureNotes(spec: ChartSpec): string[] {
  const failed: string[] = [];
  const bound: string[] = [];
  const unsettled: string[] = [];
  for (const s of spec.series) {
    for (const p of s.points) {
      const where = `${s.label} at ${describeAxisValue(spec.axis, p.x)}`;
      if (p.status === 'failed') failed.push(where);
      else if (p.status === 'generator-bound') bound.push(where);
      else if (p.status === 'not-steady') unsettled.push(where);
    }
  }
  const notes: string[] = [];
  if (failed.length) notes.push(`Failed (no usable measurement, see the failed points below): ${list(failed)}.`);
  if (bound.length) notes.push(`Generator-bound — the load engine was saturated, so these figures are its limit, not the system's: ${list(bound)}.`);
  if (unsettled.length)
    notes.push(`Not steady — throughput was still changing when the warm-up cap came, so these figures may move with a longer run: ${list(unsettled)}.`);
  return notes;
}

function throughputVerdict(spec: ChartSpec): string[] {
  const out: string[] = [];
  const shared = heaviestShared(spec, 2);
  if (shared) {
    const sorted = [...shared.values].sort((a, b) => b.p.y - a.p.y);
    const lead = sorted[0]!;
    const vs = (o: { s: Series; p: Usable }): string => `${ratio(lead.p.y / o.p.y)} ${o.s.label}'s ${rate(o.p.y)}${gb(o.p)}`;
    const rest = sorted.slice(1).filter((o) => o.p.y > 0);
    const none = sorted.slice(1).filter((o) => o.p.y <= 0);
    const tail = rest.length > 2 ? [rest[0]!, rest[rest.length - 1]!] : rest;
    let sentence = `${atValue(spec, shared.x)}, ${lead.s.label} has the highest throughput, ${rate(lead.p.y)}${gb(lead.p)}`;
    if (tail.length) sentence += `: ${list(tail.map(vs))}${rest.length > 1 ? ' (the lowest)' : ''}`;
    if (none.length) sentence += `; ${list(none.map((o) => `${o.s.label}${gb(o.p)}`))} completed no calls`;
    out.push(`${sentence}.`);
  } else {
    const one = heaviestShared(spec, 1);
    if (one) out.push(`${atValue(spec, one.x)}, ${one.values[0]!.s.label} reaches ${rate(one.values[0]!.p.y)}${gb(one.values[0]!.p)}.`);
  }
  const scaling = scalingSentence(spec, 'throughput');
  if (scaling) out.push(scaling);
  if (out.length === 0) out.push('No successful point to compare.');
  return [...out, ...failureNotes(spec)];
}

/**
 * How much more the limited line must grow than a line without the limit before the growth is put down to
 * the limit: by this factor, and — where the trials give intervals — with the intervals of the two growths apart.
 */
const LIMIT_MARGIN = 1.5;

interface Growth {
  s: Series;
  r: number;
  /** the growth's range over the trials' 95 % intervals, when both ends have one */
  range: [number, number] | null;
}

function growth(s: Series, a: Usable, b: Usable): Growth {
  const ok = (v: number | null): v is number => v !== null && Number.isFinite(v) && v > 0;
  const range: [number, number] | null =
    ok(a.low) && ok(a.high) && ok(b.low) && ok(b.high) && (a.low !== a.high || b.low !== b.high) ? [b.low / a.high, b.high / a.low] : null;
  return { s, r: b.y / a.y, range };
}

/** The limited line grew more than `other` by a clear margin: the limit, not the load, made the difference. */
function clearlyMore(limited: Growth, other: Growth): boolean {
  if (limited.r < LIMIT_MARGIN * other.r) return false;
  return limited.range === null || other.range === null || limited.range[0] > other.range[1];
}

/**
 * Latency growth beyond a stream limit. It is put down to the limit only when the lines of the same run
 * without one (the same system unlimited when there is such a line, else every line without a limit) grew
 * clearly less over the same range; otherwise the growth is stated and the limit is not named as its cause.
 */
function limitSentences(spec: ChartSpec, what: string): { growth: string[]; notes: string[] } {
  const out: string[] = [];
  const notes: string[] = [];
  if (spec.axis !== 'concurrency' || spec.xScale === 'category') return { growth: out, notes };
  const limited = spec.series.filter((s) => s.streamLimit !== null && s.streamLimit > 0);
  for (const s of limited.slice(0, 3)) {
    const limit = s.streamLimit!;
    const pts = usablePoints(spec, s);
    const below = pts.filter((p) => p.x <= limit).pop();
    const top = pts[pts.length - 1];
    if (!below || !top) continue;
    if (top.x <= limit) {
      const failedPast = s.points.filter((p) => p.x > limit && p.status === 'failed').map((p) => p.x.toLocaleString('en-US'));
      if (failedPast.length) notes.push(`${s.label} has no measurement past its stream limit of ${limit}: it failed at ${list(failedPast)} concurrent calls.`);
      continue;
    }
    const unlimited = spec.series
      .filter((o) => o !== s && o.run === s.run && (o.streamLimit === null || o.streamLimit === 0 || o.streamLimit >= top.x))
      .flatMap((o) => {
        const a = at(o, below.x);
        const b = at(o, top.x);
        return a && b ? [growth(o, a, b)] : [];
      });
    const sameSystem = unlimited.filter((o) => o.s.systemId === s.systemId);
    // the most comparable lines first: only the limit differs; the ones that grew most are quoted
    const others = (sameSystem.length ? sameSystem : unlimited).sort((a, b) => b.r - a.r);
    const mine = growth(s, below, top);
    const figures = `(${micros(below.y)} at ${below.x.toLocaleString('en-US')} → ${micros(top.y)} at ${top.x.toLocaleString('en-US')}${gb(top).replace(' (', ', ').replace(')', '')})`;
    const theirs = list(others.slice(0, 2).map((o) => `${o.s.label} ${relative(o.r)}`));
    if (others.length && others.every((o) => clearlyMore(mine, o))) {
      out.push(
        `Past ${describeAxisValue(spec.axis, limit)} (its stream limit), ${s.label}'s ${what} ${change(mine.r)} ${figures} while ${theirs} over the same range.`,
      );
    } else if (others.length) {
      out.push(
        `${capitalise(rangeText(spec, below.x, top.x))}, ${s.label}'s ${what} ${change(mine.r)} ${figures}; ${theirs} over the same range with no stream limit in the way, so the run does not show its limit of ${limit.toLocaleString('en-US')} causing the growth.`,
      );
    } else {
      out.push(
        `${capitalise(rangeText(spec, below.x, top.x))}, ${s.label}'s ${what} ${change(mine.r)} ${figures}; no line without a stream limit was measured over that range to tell what its limit of ${limit.toLocaleString('en-US')} adds.`,
      );
    }
  }
  return { growth: out, notes };
}

/** The widest x range (display order) over which at least two series both have values at each end. */
function commonRange(spec: ChartSpec): { from: number; to: number } | null {
  let best: { from: number; to: number; width: number } | null = null;
  const xs = spec.xValues;
  for (let i = 0; i < xs.length; i++) {
    for (let j = xs.length - 1; j > i; j--) {
      const both = spec.series.filter((s) => at(s, xs[i]!) && at(s, xs[j]!)).length;
      if (both >= 2 && (!best || j - i > best.width)) best = { from: xs[i]!, to: xs[j]!, width: j - i };
    }
  }
  return best && { from: best.from, to: best.to };
}

function latencyVerdict(spec: ChartSpec, what: string): string[] {
  const limits = limitSentences(spec, what);
  const out = [...limits.growth];
  if (out.length === 0) {
    const range = commonRange(spec);
    if (range) {
      // growth over the range both ends of which are measured, worst line against the calmest one
      const g = spec.series
        .flatMap((s) => {
          const a = at(s, range.from);
          const b = at(s, range.to);
          return a && b ? [{ s, a, b, g: b.y / a.y }] : [];
        })
        .sort((x, y) => y.g - x.g);
      const worst = g[0]!;
      const best = g[g.length - 1]!;
      out.push(
        `${capitalise(rangeText(spec, range.from, range.to))}, ${worst.s.label}'s ${what} ${change(worst.g)} (${micros(worst.a.y)} → ${micros(worst.b.y)}${gb(worst.b)}) while ${best.s.label} ${relative(best.g)}.`,
      );
    } else {
      const sp = spans(spec)[0];
      if (sp)
        out.push(
          `${capitalise(rangeText(spec, sp.first.x, sp.last.x))}, ${sp.s.label}'s ${what} ${change(sp.last.y / sp.first.y)} (${micros(sp.first.y)} → ${micros(sp.last.y)}).`,
        );
    }
  }
  const shared = heaviestShared(spec, 2);
  if (shared) {
    const sorted = [...shared.values].sort((a, b) => a.p.y - b.p.y);
    const low = sorted[0]!;
    const high = sorted[sorted.length - 1]!;
    out.push(
      `${atValue(spec, shared.x)}, ${low.s.label} has the lowest ${what}, ${micros(low.p.y)}${gb(low.p)}; ${high.s.label}'s is ${ratio(high.p.y / low.p.y)} that, ${micros(high.p.y)}${gb(high.p)}.`,
    );
  }
  out.push(...limits.notes);
  if (out.length === 0) out.push('Not enough successful points to compare.');
  return out;
}

function errorsVerdict(spec: ChartSpec): string[] {
  const withErrors: string[] = [];
  const clean: string[] = [];
  for (const s of spec.series) {
    const pts = usablePoints(spec, s);
    if (pts.length === 0) continue;
    const worst = pts.reduce((a, b) => (b.y > a.y ? b : a));
    if (worst.y > 0) {
      const kinds = Object.entries(worst.errors ?? {})
        .sort((a, b) => b[1] - a[1])
        .slice(0, 3)
        .map(([k, n]) => `${k} ${n.toLocaleString('en-US')}`);
      withErrors.push(
        `${s.label} lost ${percent(worst.y)} of calls at ${describeAxisValue(spec.axis, worst.x)}${kinds.length ? ` (${kinds.join(', ')})` : ''}`,
      );
    } else clean.push(s.label);
  }
  if (withErrors.length === 0 && clean.length === 0) return ['No successful point to report errors for.'];
  if (withErrors.length === 0) return ['No call failed at any measured point.'];
  const out = [`${withErrors.join('; ')}.`];
  if (clean.length) out.push(`Error-free: ${list(clean)}.`);
  return out;
}

function cpuVerdict(spec: ChartSpec): string[] {
  const out: string[] = [];
  const shared = heaviest(spec);
  if (shared) {
    const eff = shared.values
      .filter((v) => v.p.y > 0 && v.p.requestsPerSec !== undefined && v.p.requestsPerSec > 0)
      .map((v) => ({ ...v, perCore: v.p.requestsPerSec! / v.p.y }))
      .sort((a, b) => b.perCore - a.perCore);
    if (eff.length) {
      const parts = eff.map(
        (v) =>
          `${v.s.label} ${compact(v.perCore)} req/s (${rate(v.p.requestsPerSec!)} on ${percent(v.p.y)} of a core${gb(v.p).replace(' (', ', ').replace(')', '')})`,
      );
      let sentence = `${atValue(spec, shared.x)}, per core of system CPU: ${parts.join('; ')}`;
      if (eff.length > 1) {
        const best = eff[0]!;
        const worst = eff[eff.length - 1]!;
        sentence += ` — ${best.s.label} does ${ratio(best.perCore / worst.perCore)} the work per CPU of ${worst.s.label}`;
        // a generator that held the load back understates that system's work per CPU (the same rule as generator-bound, from 75 %)
        const caveats: string[] = [];
        if (generatorNote(best.p)) caveats.push(`${generatorNote(best.p)} at ${best.s.label}'s point: the ratio is a lower bound`);
        if (generatorNote(worst.p))
          caveats.push(`${generatorNote(worst.p)} at ${worst.s.label}'s point: its figure may be understated, and the ratio overstated`);
        if (caveats.length) sentence += ` (${caveats.join('; ')})`;
      }
      out.push(`${sentence}.`);
    }
  }
  const saturated = spec.series.flatMap((s) =>
    usablePoints(spec, s)
      .filter((p) => p.y >= 0.9)
      .map((p) => `${s.label} at ${describeAxisValue(spec.axis, p.x)} (${percent(p.y)})`),
  );
  if (saturated.length) out.push(`CPU-bound (≥ 90 % of a core): ${list(saturated)}.`);
  if (out.length === 0) out.push('No successful point to report CPU for.');
  return out;
}

function rssVerdict(spec: ChartSpec): string[] {
  const out: string[] = [];
  const shared = heaviest(spec);
  if (shared) {
    const sorted = [...shared.values].sort((a, b) => b.p.y - a.p.y);
    const top = sorted[0]!;
    const low = sorted[sorted.length - 1]!;
    out.push(
      sorted.length > 1
        ? `${atValue(spec, shared.x)}, ${top.s.label} peaks at ${bytes(top.p.y)} RSS, ${ratio(top.p.y / low.p.y)} ${low.s.label}'s ${bytes(low.p.y)}.`
        : `${atValue(spec, shared.x)}, ${top.s.label} peaks at ${bytes(top.p.y)} RSS.`,
    );
  }
  const sp = spans(spec);
  if (sp.length) {
    const x0 = sp[0]!.first.x;
    const x1 = sp[0]!.last.x;
    const shared = sp.every((v) => v.first.x === x0 && v.last.x === x1);
    const parts = sp.map((v) => {
      const d = v.last.y - v.first.y;
      return `${v.s.label} ${d >= 0 ? '+' : '−'}${bytes(Math.abs(d))}${shared ? '' : ` (${rangeText(spec, v.first.x, v.last.x)})`}`;
    });
    out.push(`${shared ? capitalise(rangeText(spec, x0, x1)) : 'Across the sweep'}, peak RSS changes by: ${parts.join('; ')}.`);
  }
  if (out.length === 0) out.push('No successful point to report memory for.');
  return out;
}

/** "A 79 KiB", or that RSS did not grow. */
function perRequest(label: string, v: number): string {
  return v > 0 ? `${label} ${bytes(v)}` : `${label} nothing measurable (peak RSS ${v < 0 ? 'fell' : 'did not change'})`;
}

/**
 * The marginal memory chart (charts.ts marginalMemory): what the last step cost per added request, the
 * least-squares slope over the whole sweep, and what the line is.
 */
function perInflightVerdict(spec: ChartSpec): string[] {
  const out: string[] = [];
  const shared = heaviest(spec);
  if (shared) {
    const sorted = [...shared.values].sort((a, b) => b.p.y - a.p.y);
    const from = sorted[0]!.p.fromX;
    const same = sorted.every((v) => v.p.fromX === from);
    const parts = sorted.map((v) => `${perRequest(v.s.label, v.p.y)}${same ? '' : ` (from ${v.p.fromX!.toLocaleString('en-US')})`}${gb(v.p)}`);
    const lead = same && from !== undefined ? `From ${from.toLocaleString('en-US')} to ${describeAxisValue(spec.axis, shared.x)}` : atValue(spec, shared.x);
    out.push(`${lead}, peak RSS grew per added request in flight: ${parts.join('; ')}.`);
  }
  const fitted = spec.series.flatMap((s) => {
    const pts = s.points.filter((p) => p.status !== 'failed' && p.peakRssBytes !== undefined);
    if (new Set(pts.map((p) => p.x)).size < 2) return [];
    const k = slope(
      pts.map((p) => p.x),
      pts.map((p) => p.peakRssBytes!),
    );
    return Number.isFinite(k) ? [perRequest(s.label, k)] : [];
  });
  if (fitted.length) out.push(`Fitted over the whole sweep (least-squares slope of peak RSS against requests in flight): ${fitted.join('; ')}.`);
  if (out.length === 0) out.push('No successful point to report memory for.');
  else
    out.push(
      "The line is the marginal cost: the change in peak RSS (all system processes) from the previous point divided by the requests added — not peak RSS ÷ in flight, which is mostly the processes' fixed size.",
    );
  return out;
}

function percentileVerdict(spec: ChartSpec): string[] {
  const tail = (s: Series, x: number): Usable | undefined => at(s, x);
  const rows = spec.series.flatMap((s) => {
    const p50 = tail(s, 2);
    const p99 = tail(s, 100);
    const p999 = tail(s, 1000);
    return p50 ? [{ s, p50, p99, p999 }] : [];
  });
  if (rows.length === 0) return ['No latency histograms in this run.'];
  const parts = rows.map((r) => `${r.s.label}: p50 ${micros(r.p50.y)}${r.p99 ? `, p99 ${micros(r.p99.y)}` : ''}${r.p999 ? `, p99.9 ${micros(r.p999.y)}` : ''}`);
  const out = [`${parts.join('; ')}.`];
  const spread = rows
    .filter((r) => r.p99)
    .map((r) => ({ s: r.s, k: r.p99!.y / r.p50.y }))
    .sort((a, b) => b.k - a.k);
  if (spread.length > 1)
    out.push(
      `The longest tail relative to its median is ${spread[0]!.s.label}'s: p99 is ${ratio(spread[0]!.k)} its p50 (${spread[spread.length - 1]!.s.label}: ${ratio(spread[spread.length - 1]!.k)}).`,
    );
  return out;
}

/**
 * How close each line came to its ceiling (the dashed line of the same colour, src/report/ceilings.ts):
 * "w64k: 93 % of its ceiling of 1.25 MiB/s at 50 ms tunnel RTT" or, over a sweep, the range of shares.
 */
function ceilingVerdict(spec: ChartSpec): string[] {
  const unit = (v: number): string => (spec.metric === 'transferBytesPerSec' ? `${bytes(v)}/s` : rate(v));
  const out: string[] = [];
  for (const c of spec.series.filter((s) => s.ceiling)) {
    const s = spec.series.find((m) => !m.ceiling && `${m.label} · ceiling` === c.label);
    if (!s) continue;
    const pairs = c.points.map((cp) => ({ cp, p: at(s, cp.x) })).filter((x): x is { cp: SeriesPoint; p: Usable } => x.p !== undefined && (x.cp.y ?? 0) > 0);
    if (pairs.length === 0) continue;
    const shares = pairs.map((x) => x.p.y / x.cp.y!);
    if (pairs.length === 1) {
      const { cp, p } = pairs[0]!;
      out.push(`${s.label}: ${unit(p.y)}, ${percent(shares[0]!)} of its ceiling of ${unit(cp.y!)} (${describeAxisValue(spec.axis, cp.x)})${gb(p)}.`);
      continue;
    }
    const lo = Math.min(...shares);
    const hi = Math.max(...shares);
    const first = pairs[0]!.cp.x;
    const last = pairs[pairs.length - 1]!.cp.x;
    out.push(`${s.label}: ${lo === hi ? percent(lo) : `${percent(lo)}–${percent(hi)}`} of its ceiling (the dashed line) ${rangeText(spec, first, last)}.`);
  }
  return out;
}

/** The verdict sentences for one chart; ceiling lines are not measurements and are spoken of apart. */
export function chartVerdict(chart: ChartSpec): string[] {
  const spec = chart.series.some((s) => s.ceiling) ? { ...chart, series: chart.series.filter((s) => !s.ceiling) } : chart;
  switch (spec.metric) {
    case 'requestsPerSec':
      return [...throughputVerdict(spec), ...ceilingVerdict(chart)];
    case 'transferBytesPerSec':
      return [scalingSentence(spec, 'transfer throughput'), ...ceilingVerdict(chart), ...failureNotes(spec)].filter((x): x is string => x !== null);
    case 'p50Us':
      return latencyVerdict(spec, 'p50');
    case 'p99Us':
      return latencyVerdict(spec, 'p99');
    case 'errorRate':
      return errorsVerdict(spec);
    case 'systemCpu':
      return cpuVerdict(spec);
    case 'systemPeakRssBytes':
      return rssVerdict(spec);
    case 'rssPerInflightBytes':
      return perInflightVerdict(spec);
    case 'latencyPercentiles':
      return percentileVerdict(spec);
    case 'seriesRequestsPerSec':
    case 'seriesP99Us':
      // time series carry their point's verdict (timeseries.ts), not one per chart
      return [];
    case 'goodputShare':
    case 'servedPerSec':
      return []; // attack reports write their own (src/attack/report.ts)
  }
}
