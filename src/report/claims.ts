/**
 * The seeds' claims, decided by a run's data. A scenario lists claims (`claims`, see ClaimSpec); each kind
 * reads the figures it needs from the points and returns a verdict — holds, does not hold, depends (on
 * the system or the setting, named), inconclusive (the trials' intervals reach both sides of the threshold),
 * or no data (which point was missing) — with the figures that decided it. Pure: results in, plain data
 * out; `claimsSection` renders it.
 *
 * What a kind reads: the primary load group's figures at the points where every other group is switched
 * off ("base points"), except `isolation`, which compares those with the points where its group runs.
 * Points that failed or were generator-bound are not used, nor — for throughput and latency — points that
 * break Little's law; not-steady points are used; every point left out or used with a caveat is named in
 * the evidence, and a claim left without the points it needs is "no data".
 */
import type { PointResult, ResultsFile } from '../measure/results.ts';
import { median, slope } from '../measure/stats.ts';
import type { ClaimSpec } from '../scenario/schema.ts';
import type { ChartGroup, MetricId } from './charts.ts';
import { type DistanceCeiling, distanceCeilings, windowCeiling } from './ceilings.ts';
import { bytes, micros, paramsText, percent, rate, ratio } from './format.ts';
import { littlesLaw, primaryLoad } from './littles-law.ts';
import { badge, esc } from './html.ts';

/** Least-squares slope (in measure/, beside the other statistics; the memory verdicts use it too). */
export { slope } from '../measure/stats.ts';

/** inconclusive: the trials' 95 % intervals reach both sides of the claim's threshold — more trials would decide */
export type ClaimVerdict = 'holds' | 'does not hold' | 'depends' | 'inconclusive' | 'no data';

export interface ClaimResult {
  id: string;
  claim: string;
  source: string;
  verdict: ClaimVerdict;
  /** the figures behind the verdict, one sentence each */
  evidence: string[];
  /** the report section to look at (an anchor id on the run's page) */
  anchor: string;
  /** the chart that shows it, when there is one: `claimsSection` links its figure instead of the section */
  metric?: MetricId;
}

interface Definition {
  claims?: ClaimSpec[];
}

/** How a claim's data is looked up in one run. */
class RunData {
  readonly def: Definition;
  /** indices of the points whose throughput × mean latency is not the requests in flight */
  readonly breaksLittle: Set<number>;
  constructor(readonly results: ResultsFile) {
    this.def = (results.scenario.definition ?? {}) as Definition;
    this.breaksLittle = new Set(
      littlesLaw(results)
        .filter((c) => !c.consistent)
        .map((c) => c.index),
    );
  }

  /** Points of a system with only the primary group running (every point, for a scenario without groups). */
  base(systemId: string): PointResult[] {
    return this.results.points.filter((p) => p.systemId === systemId && (p.groups === undefined || p.groups.length <= 1));
  }

  /** Points of a system where the given secondary group ran. */
  withGroup(systemId: string, groupId: string): PointResult[] {
    return this.results.points.filter((p) => p.systemId === systemId && p.groups?.some((g) => g.id === groupId));
  }

  label(systemId: string): string {
    return this.results.points.find((p) => p.systemId === systemId)?.label ?? systemId;
  }

  /** The primary load's requests in flight at a point (closed loop), or null (open loop). */
  inflight(p: PointResult): number | null {
    return primaryLoad(p, this.results.scenario.definition).inflight;
  }

  /** How long the primary workload holds each call at the origin, ms (0 unless it is the sleep call). */
  holdMs(p: PointResult): number {
    return primaryLoad(p, this.results.scenario.definition).holdMs;
  }
}

/**
 * A point a verdict may use: measured, not bounded by the load generator (its figures would be the
 * generator's), and — for its throughput and latency — consistent with Little's law (a point that breaks
 * it measured something else; its memory still counts). A not-steady point is used, and named.
 */
const measured = (p: PointResult): boolean => (p.status === 'ok' || p.status === 'not-steady') && p.summary !== undefined;

/**
 * Points sorted by in flight, the unusable ones — and the not-steady ones used — named. `rates`: the
 * verdict reads throughput or latency, so points that break Little's law are left out.
 */
function byInflight(d: RunData, points: PointResult[], rates = true): { ok: { p: PointResult; n: number }[]; missing: string[] } {
  const ok: { p: PointResult; n: number }[] = [];
  const missing: string[] = [];
  for (const p of points) {
    const n = d.inflight(p);
    if (n === null) continue;
    const where = `${p.label} at ${n.toLocaleString('en-US')} in flight${
      p.groups && p.groups.length > 1
        ? ` beside ${p.groups
            .slice(1)
            .map((g) => g.label)
            .join(', ')}`
        : ''
    }`;
    if (!measured(p)) {
      missing.push(`${where} was ${p.status} (not used)`);
      continue;
    }
    if (rates && d.breaksLittle.has(p.index)) {
      missing.push(`${where} breaks Little's law (throughput × latency ≠ in flight; not used)`);
      continue;
    }
    ok.push({ p, n });
    if (p.status === 'not-steady') missing.push(`${where} had not settled (used, with that caveat)`);
  }
  ok.sort((a, b) => a.n - b.n);
  return { ok, missing };
}

const rps = (p: PointResult): number => p.summary!.requestsPerSec.median;

/**
 * The range max(a, b) / min(a, b) can take with a in [aLow, aHigh] and b in [bLow, bHigh] (the trials' 95 %
 * intervals): 1 when they overlap.
 */
export function ratioRange(a: [number, number], b: [number, number]): [number, number] {
  const lowest = a[0] > b[1] ? a[0] / b[1] : b[0] > a[1] ? b[0] / a[1] : 1;
  const highest = Math.max(a[1] / b[0], b[1] / a[0]);
  return [lowest, highest];
}

/** Within the factor for sure, beyond it for sure, or either, given the range a ratio can take. */
function against(range: [number, number], within: number): 'within' | 'beyond' | 'either' {
  return range[1] <= within ? 'within' : range[0] > within ? 'beyond' : 'either';
}

/** A factor near a threshold, to two decimals (1.27× against a limit of 1.25×); far from one, as ratio() has it. */
const factor = (r: number): string => (Number.isFinite(r) && r < 3 ? `${r.toFixed(2)}×` : ratio(r));

/** Edge + connector (or server) RSS: the system's own processes, the origin left out (it is the same one behind every tunnel). */
function systemRss(p: PointResult): number {
  return median(p.trials.map((t) => Object.entries(t.processes).reduce((sum, [role, u]) => (role === 'origin' ? sum : sum + u.peakRssBytes), 0)));
}

const noData = (c: ClaimSpec, anchor: string, evidence: string[]): ClaimResult => ({
  id: c.id,
  claim: c.claim,
  source: c.source,
  verdict: 'no data',
  evidence,
  anchor,
});

function streamLimitClaim(d: RunData, c: Extract<ClaimSpec, { kind: 'stream-limit' }>): ClaimResult {
  const anchor = 'points';
  const limited = byInflight(d, d.base(c.limited));
  const top = limited.ok[limited.ok.length - 1];
  if (!top || top.n <= c.limit) return noData(c, anchor, [`${d.label(c.limited)} needs a point past ${c.limit} in flight`, ...limited.missing]);
  const hold = d.holdMs(top.p);
  const evidence: string[] = [];
  // The most a limit of L streams can carry when each call holds its stream `hold` ms (Little's law).
  const ceiling = hold > 0 ? c.limit / (hold / 1000) : null;
  const atLimit = limited.ok.filter((x) => x.n <= c.limit).pop();
  evidence.push(
    `${d.label(c.limited)}: ${rate(rps(top.p))} at ${top.n.toLocaleString('en-US')} in flight` +
      (atLimit ? `, ${rate(rps(atLimit.p))} at ${atLimit.n.toLocaleString('en-US')}` : '') +
      (ceiling !== null ? `; a limit of ${c.limit} streams with calls held ${hold} ms carries at most ${rate(ceiling)}` : ''),
  );
  let past = 0;
  let others = 0;
  for (const id of c.unlimited) {
    const at = byInflight(d, d.base(id)).ok.find((x) => x.n === top.n);
    if (!at) {
      evidence.push(`${d.label(id)}: no usable point at ${top.n.toLocaleString('en-US')} in flight`);
      continue;
    }
    others++;
    const beyond = ceiling !== null ? rps(at.p) / ceiling : rps(at.p) / rps(top.p);
    if (beyond > 1.25) past++;
    evidence.push(`${d.label(id)}: ${rate(rps(at.p))} at ${top.n.toLocaleString('en-US')} in flight (${ratio(rps(at.p) / rps(top.p))} the limited tunnel's)`);
  }
  evidence.push(...limited.missing);
  if (others === 0) return noData(c, anchor, evidence);
  const metric: MetricId = 'requestsPerSec';
  const capped = ceiling === null || rps(top.p) <= ceiling * 1.1;
  // Holds: the limited design stays under its ceiling while the unlimited ones go past it.
  const verdict: ClaimVerdict = capped && past === others ? 'holds' : capped && past > 0 ? 'depends' : 'does not hold';
  if (verdict === 'depends') evidence.push('only some of the unlimited systems went past the limited one: the limit is not all that bounds them');
  if (!capped) evidence.push(`the limited tunnel went past its ceiling: something other than ${c.limit} streams carried the calls`);
  if (capped && past === 0) evidence.push('the unlimited systems did not go past the ceiling either: something else (CPU, most likely) bounds them first');
  return { id: c.id, claim: c.claim, source: c.source, verdict, evidence, anchor, metric };
}

function comparableClaim(d: RunData, c: Extract<ClaimSpec, { kind: 'comparable' }>): ClaimResult {
  const anchor = 'points';
  const figures: { label: string; value: number; range: [number, number]; text: string }[] = [];
  const missing: string[] = [];
  // Latency is compared at the lowest concurrency both systems have (queueing grows with it).
  const all = c.systems.map((id) => byInflight(d, d.base(id)));
  const common = all[0]!.ok.map((x) => x.n).find((n) => all.every((a) => a.ok.some((x) => x.n === n)));
  c.systems.forEach((id, i) => {
    const pts = all[i]!;
    missing.push(...pts.missing);
    if (c.metric === 'latency') {
      const low = pts.ok.find((x) => x.n === common);
      if (!low) return;
      const hold = d.holdMs(low.p) * 1000;
      const e = low.p.summary!.p50Us;
      // The design's own latency: what the call spends above the origin's hold.
      const over = (us: number): number => Math.max(1, us - hold);
      figures.push({
        label: d.label(id),
        value: over(e.median),
        range: [over(finite(e.ci.low, e.median)), over(finite(e.ci.high, e.median))],
        text: `${d.label(id)}: p50 ${micros(e.median)}${hold ? ` (${micros(over(e.median))} above the ${hold / 1000} ms hold)` : ''}, p99 ${micros(low.p.summary!.p99Us.median)} at ${low.n.toLocaleString('en-US')} in flight`,
      });
    } else {
      const best = pts.ok.reduce<{ p: PointResult; n: number } | null>((b, x) => (b === null || rps(x.p) > rps(b.p) ? x : b), null);
      if (!best) return;
      const e = best.p.summary!.requestsPerSec;
      figures.push({
        label: d.label(id),
        value: e.median,
        range: [finite(e.ci.low, e.median), finite(e.ci.high, e.median)],
        text: `${d.label(id)}: at most ${rate(e.median)} (at ${best.n.toLocaleString('en-US')} in flight)`,
      });
    }
  });
  if (figures.length < 2)
    return noData(c, anchor, [
      ...figures.map((f) => f.text),
      ...(c.metric === 'latency' ? ['needs both systems measured at one concurrency'] : []),
      ...missing,
    ]);
  const [a, b] = figures as [(typeof figures)[0], (typeof figures)[0]];
  const r = Math.max(a.value, b.value) / Math.min(a.value, b.value);
  const range = ratioRange(a.range, b.range);
  const side = against(range, c.within);
  const better = c.metric === 'latency' ? (a.value < b.value ? a : b) : a.value > b.value ? a : b;
  const spread = range[0] !== range[1] ? ` (${factor(range[0])} … ${factor(range[1])} over the trials' 95 % intervals)` : '';
  const verdict: ClaimVerdict = side === 'within' ? 'holds' : side === 'beyond' ? 'does not hold' : 'inconclusive';
  const sentence =
    verdict === 'inconclusive'
      ? `${better.label} is ${factor(r)} ${c.metric === 'latency' ? 'faster' : 'higher'}${spread}: the intervals reach both sides of ${factor(c.within)}`
      : r <= c.within
        ? `within ${factor(r)} of each other${spread} (comparable: within ${factor(c.within)})`
        : `${better.label} is ${factor(r)} ${c.metric === 'latency' ? 'faster' : 'higher'}${spread} (comparable would be within ${factor(c.within)})`;
  return {
    id: c.id,
    claim: c.claim,
    source: c.source,
    verdict,
    evidence: [a.text, b.text, sentence, ...missing],
    anchor,
    metric: c.metric === 'latency' ? 'p50Us' : 'requestsPerSec',
  };
}

/** A bound of an interval, or the median where the interval has none (one trial, or an old file). */
function finite(x: number, fallback: number): number {
  return Number.isFinite(x) ? x : fallback;
}

function memoryClaim(d: RunData, c: Extract<ClaimSpec, { kind: 'memory' }>): ClaimResult {
  const anchor = 'points';
  const slopes: { label: string; perRequest: number }[] = [];
  const figures: string[] = [];
  const evidence: string[] = [];
  for (const id of [c.lower, c.higher]) {
    const pts = byInflight(d, d.base(id), false);
    evidence.push(...pts.missing);
    const distinct = new Set(pts.ok.map((x) => x.n));
    if (distinct.size < 2) continue;
    const s = slope(
      pts.ok.map((x) => x.n),
      pts.ok.map((x) => systemRss(x.p)),
    );
    const lo = pts.ok[0]!;
    const hi = pts.ok[pts.ok.length - 1]!;
    slopes.push({ label: d.label(id), perRequest: s });
    figures.push(
      `${d.label(id)}: ${bytes(s)} per request in flight (RSS ${bytes(systemRss(lo.p))} at ${lo.n.toLocaleString('en-US')} → ${bytes(systemRss(hi.p))} at ${hi.n.toLocaleString('en-US')}, origin excluded; peak RSS under load, so garbage not yet collected counts)`,
    );
  }
  evidence.unshift(...figures);
  if (slopes.length < 2) return noData(c, anchor, [`needs points at two or more concurrencies for ${d.label(c.lower)} and ${d.label(c.higher)}`, ...evidence]);
  const [lower, higher] = slopes as [(typeof slopes)[0], (typeof slopes)[0]];
  // A slope at or under zero is no measurable growth; compare with a floor of 1 byte per request.
  const l = Math.max(1, lower.perRequest);
  const h = Math.max(1, higher.perRequest);
  let verdict: ClaimVerdict;
  if (h / l > c.within) {
    verdict = 'holds';
    evidence.push(`${lower.label} needs ${ratio(h / l)} less per request in flight`);
  } else if (l / h > c.within) {
    verdict = 'does not hold';
    evidence.push(`the other way round: ${higher.label} needs ${ratio(l / h)} less per request in flight`);
  } else {
    verdict = 'does not hold';
    evidence.push(`comparable: within ${factor(Math.max(h / l, l / h))} of each other (a difference needs more than ${factor(c.within)})`);
  }
  return { id: c.id, claim: c.claim, source: c.source, verdict, evidence, anchor, metric: 'systemPeakRssBytes' };
}

function isolationClaim(d: RunData, c: Extract<ClaimSpec, { kind: 'isolation' }>): ClaimResult {
  const anchor = 'load-groups';
  const evidence: string[] = [];
  let held = 0;
  let unsure = 0;
  let judged = 0;
  for (const id of c.systems) {
    const alone = byInflight(d, d.base(id));
    const beside = byInflight(d, d.withGroup(id, c.group));
    evidence.push(...alone.missing, ...beside.missing);
    // The lowest concurrency both have: the small calls' own queueing is least there.
    const pair = alone.ok.map((a) => ({ a, b: beside.ok.find((b) => b.n === a.n) })).find((x) => x.b !== undefined);
    if (!pair) {
      evidence.push(`${d.label(id)}: no concurrency measured both alone and beside ${c.group}`);
      continue;
    }
    judged++;
    const ea = pair.a.p.summary!.p99Us;
    const eb = pair.b!.p.summary!.p99Us;
    const r = eb.median / ea.median;
    // how much the p99 can have grown, given both medians' 95 % intervals
    const range: [number, number] = [
      finite(eb.ci.low, eb.median) / finite(ea.ci.high, ea.median),
      finite(eb.ci.high, eb.median) / finite(ea.ci.low, ea.median),
    ];
    const side = against([Math.min(range[0], r), Math.max(range[1], r)], c.within);
    const bulk = pair.b!.p.groups!.find((g) => g.id === c.group)!;
    if (side === 'within') held++;
    else if (side === 'either') unsure++;
    const spread = range[0] !== range[1] ? `, ${factor(range[0])} … ${factor(range[1])} over the trials' intervals` : '';
    evidence.push(
      `${d.label(id)}: p99 ${micros(ea.median)} alone, ${micros(eb.median)} beside ${bulk.label} (${factor(r)}${spread}; ${rate(bulk.summary?.requestsPerSec.median ?? Number.NaN)} of them) at ${pair.a.n.toLocaleString('en-US')} in flight — ${side === 'within' ? 'isolated' : side === 'beyond' ? 'blocked' : 'undecided'}`,
    );
  }
  if (judged === 0) return noData(c, anchor, evidence);
  const blocked = judged - held - unsure;
  // Systems that differ for sure make it depend on the system; otherwise an undecided one leaves it open.
  const verdict: ClaimVerdict = held > 0 && blocked > 0 ? 'depends' : unsure > 0 ? 'inconclusive' : held === judged ? 'holds' : 'does not hold';
  evidence.push(`isolated means the p99 grew at most ${factor(c.within)}${verdict === 'depends' ? '; it depends on the system, as above' : ''}`);
  return { id: c.id, claim: c.claim, source: c.source, verdict, evidence, anchor };
}

/**
 * Many calls per request against one, at every concurrency both were measured at: the calls per second
 * each carried and the server CPU time per call. Holds where batching carries more or costs less beyond
 * the factor (and is not worse at the other); depends when that is so at some concurrencies only.
 */
function batchingClaim(d: RunData, c: Extract<ClaimSpec, { kind: 'batching' }>): ClaimResult {
  const anchor = 'points';
  const batched = byInflight(d, d.base(c.batched));
  const single = byInflight(d, d.base(c.unbatched));
  const missing = [...batched.missing, ...single.missing];
  const pairs = batched.ok.map((b) => ({ b, s: single.ok.find((x) => x.n === b.n) })).filter((x) => x.s !== undefined);
  if (pairs.length === 0) return noData(c, anchor, [`needs ${d.label(c.batched)} and ${d.label(c.unbatched)} measured at one concurrency`, ...missing]);
  const cpu = (p: PointResult): number | null => (typeof p.summary!.systemCpuUsPerRequest === 'number' ? p.summary!.systemCpuUsPerRequest : null);
  const cpuText = (p: PointResult): string => (cpu(p) === null ? 'CPU per call not measured' : `${Math.round(cpu(p)!)} µs of server CPU per call`);
  const evidence: string[] = [];
  const wins: number[] = [];
  for (const { b, s } of pairs) {
    const n = b.n.toLocaleString('en-US');
    const more = rps(b.p) / rps(s!.p);
    const cheaper = cpu(b.p) !== null && cpu(s!.p) !== null ? cpu(s!.p)! / cpu(b.p)! : null;
    // Efficient: more calls carried, or the same calls for less CPU, beyond the factor — and neither worse.
    const win = (more > c.within && (cheaper === null || cheaper * c.within >= 1)) || (cheaper !== null && cheaper > c.within && more * c.within >= 1);
    if (win) wins.push(b.n);
    evidence.push(
      `at ${n} in flight: ${d.label(c.batched)} ${rate(rps(b.p))}, ${cpuText(b.p)}; ${d.label(c.unbatched)} ${rate(rps(s!.p))}, ${cpuText(s!.p)} — ${ratio(more)} the calls per second${cheaper === null ? '' : cheaper >= 1 ? ` at ${ratio(cheaper)} less CPU per call` : ` at ${ratio(1 / cheaper)} the CPU per call`}${win ? '' : ': no saving'}`,
    );
  }
  const verdict: ClaimVerdict = wins.length === pairs.length ? 'holds' : wins.length === 0 ? 'does not hold' : 'depends';
  if (verdict === 'depends') evidence.push(`it depends on the calls in flight: a saving at ${wins.map((n) => n.toLocaleString('en-US')).join(', ')} only`);
  return { id: c.id, claim: c.claim, source: c.source, verdict, evidence: [...evidence, ...missing], anchor, metric: 'requestsPerSec' };
}

/**
 * Bulk transfers at a distance against window / RTT, point by point (src/report/ceilings.ts): holds when
 * every point with a round trip on its tunnel leg came within the share; the figure per point is the
 * transfer's own throughput (body bytes over its median time), with the trial's count-based bytes/s beside it.
 */
function windowClaim(d: RunData, c: Extract<ClaimSpec, { kind: 'window-ceiling' }>): ClaimResult {
  const anchor = 'points';
  const evidence: string[] = [];
  let judged = 0;
  let within = 0;
  for (const id of c.systems) {
    for (const p of d.base(id)) {
      if (!measured(p)) {
        const where = paramsText(p.params, d.results.axes);
        evidence.push(`${p.label}${where ? ` (${where})` : ''} was ${p.status} (not used)`);
        continue;
      }
      const w = windowCeiling(p, d.results);
      if (!w) continue;
      judged++;
      const ok = Math.abs(w.share - 1) <= c.within;
      if (ok) within++;
      evidence.push(
        `${p.label} at ${w.rttMs} ms: ${bytes(w.measuredBytesPerSec)}/s per transfer of a ${bytes(w.bytesPerSec)}/s ceiling (${w.formula}) — ${percent(w.share)}${ok ? '' : `, beyond ${percent(c.within)} of it`}${w.serviceMs === null ? '' : `; ${percent(w.bdpShare)} of window / RTT alone (${bytes(w.bdpBytesPerSec)}/s)`}; the trials counted ${bytes(p.summary!.bytesPerSec.median)}/s`,
      );
    }
  }
  if (judged === 0)
    return noData(c, anchor, [`needs bulk points (workload.call 'sized') of ${c.systems.join(', ')} with a round trip on the tunnel leg`, ...evidence]);
  const verdict: ClaimVerdict = within === judged ? 'holds' : within === 0 ? 'does not hold' : 'depends';
  evidence.push(
    `${within} of ${judged} points within ${percent(c.within)} of their ceiling; a transfer's time counts every window's round trip, from the request leaving to the last byte arriving`,
  );
  return { id: c.id, claim: c.claim, source: c.source, verdict, evidence, anchor, metric: 'transferBytesPerSec' };
}

/** A point's systems and relays used at least this share of their core: CPU-bound. */
const CPU_BOUND_SHARE = 0.85;

/**
 * Small calls at a distance (src/report/ceilings.ts): the limited design within the share of
 * min(limit / lone-call latency, CPU) at every distance past the nearest, and every unlimited design past
 * that ceiling at the farthest distance — they keep scaling where the limit holds the other back.
 */
function distanceClaim(d: RunData, c: Extract<ClaimSpec, { kind: 'distance-ceiling' }>): ClaimResult {
  const anchor = 'points';
  const evidence: string[] = [];
  const describe = (x: DistanceCeiling): string => {
    const where = `${d.label(x.systemId)} at ${x.distanceMs} ms, ${x.inflight.toLocaleString('en-US')} in flight`;
    const slots =
      x.limit !== null && x.limit < x.inflight ? `${x.slots.toLocaleString('en-US')} streams (the limit)` : `${x.slots.toLocaleString('en-US')} in flight`;
    const little = `${slots} / ${micros(x.loneUs)} lone-call latency = ${rate(x.littleRequestsPerSec)}`;
    const cpu = `a whole core at this point's CPU per call carries ${rate(x.cpuRequestsPerSec)} (systems and relays used ${percent(x.coreShare)} of it)`;
    // CPU-bound only when the core was near full; a ceiling far above a point held back elsewhere says so
    const bound =
      x.bound === 'cpu' && x.coreShare >= CPU_BOUND_SHARE
        ? `CPU-bound: ${cpu}, below ${little}`
        : `${little}; ${cpu}${x.share < 1 - c.within ? ': neither bound it — the load generator, or something else, held it back' : ''}`;
    return `${where}: ${rate(x.measuredRequestsPerSec)} of a ${rate(x.requestsPerSec)} ceiling — ${percent(x.share)}; ${bound}`;
  };
  const limited = distanceCeilings(d.results, c.limited);
  if (limited.length < 2)
    return noData(c, anchor, [`needs ${d.label(c.limited)} at two or more distances, each with a lone and a loaded concurrency`, ...limited.map(describe)]);
  evidence.push(...limited.map(describe));
  const off = limited.filter((x) => Math.abs(x.share - 1) > c.within);
  const farthest = limited[limited.length - 1]!;
  let past = 0;
  let others = 0;
  for (const id of c.unlimited) {
    const xs = distanceCeilings(d.results, id);
    evidence.push(...xs.map(describe));
    const far = xs.find((x) => x.distanceMs === farthest.distanceMs);
    if (!far) {
      evidence.push(`${d.label(id)}: no loaded point at ${farthest.distanceMs} ms`);
      continue;
    }
    others++;
    if (far.measuredRequestsPerSec > farthest.requestsPerSec * 1.25) past++;
  }
  const bySlots = limited.filter((x) => x.bound === 'slots');
  const tracks = off.length === 0 && bySlots.length > 0;
  const verdict: ClaimVerdict = others === 0 ? 'no data' : tracks && past === others ? 'holds' : tracks && past > 0 ? 'depends' : 'does not hold';
  if (bySlots.length === 0) evidence.push(`${d.label(c.limited)} was CPU-bound at every distance: the limit never bounded it`);
  else
    evidence.push(
      `the limit bounded ${d.label(c.limited)} at ${bySlots.map((x) => `${x.distanceMs} ms`).join(', ')}: its ceiling fell from ${rate(bySlots[0]!.requestsPerSec)} to ${rate(bySlots[bySlots.length - 1]!.requestsPerSec)} as the round trip grew`,
    );
  if (off.length > 0)
    evidence.push(
      `${d.label(c.limited)} is beyond ${percent(c.within)} of its ceiling at ${off.map((x) => `${x.distanceMs} ms`).join(', ')}: something besides the limit, the distance and the CPU bounds it there`,
    );
  if (others > 0 && past < others)
    evidence.push(
      `at ${farthest.distanceMs} ms, ${others - past} of the designs without a limit did not pass the limited one's ${rate(farthest.requestsPerSec)} by 25 %`,
    );
  return { id: c.id, claim: c.claim, source: c.source, verdict, evidence, anchor, metric: 'requestsPerSec' };
}

/** Every claim the run's scenario lists, decided; empty when it lists none. */
export function evaluateClaims(results: ResultsFile): ClaimResult[] {
  const d = new RunData(results);
  return (d.def.claims ?? []).map((c) => {
    switch (c.kind) {
      case 'stream-limit':
        return streamLimitClaim(d, c);
      case 'comparable':
        return comparableClaim(d, c);
      case 'memory':
        return memoryClaim(d, c);
      case 'isolation':
        return isolationClaim(d, c);
      case 'batching':
        return batchingClaim(d, c);
      case 'window-ceiling':
        return windowClaim(d, c);
      case 'distance-ceiling':
        return distanceClaim(d, c);
      default: {
        const unknown: never = c;
        throw new Error(`unknown claim kind in ${JSON.stringify(unknown)}`);
      }
    }
  });
}

const VERDICT_BADGE: Record<ClaimVerdict, string> = {
  holds: 'holds',
  'does not hold': 'not-hold',
  depends: 'depends',
  inconclusive: 'no-data',
  'no data': 'no-data',
};

/**
 * Where a claim's figures are drawn: the chart of its metric over the primary load's concurrency, in the
 * facet where every other group is off (the base points) — or the section its anchor names.
 */
function linkTarget(r: ClaimResult, charts: readonly ChartGroup[]): string {
  if (r.metric === undefined) return r.anchor;
  const byConcurrency = charts.filter((g) => g.axis === 'concurrency' || g.axis.endsWith('.concurrency'));
  const base = byConcurrency.find((g) => Object.entries(g.facet).every(([axis, v]) => !axis.includes('.') || v === 0)) ?? byConcurrency[0];
  const chart = base?.charts.find((c) => c.metric === r.metric) ?? charts.flatMap((g) => g.charts).find((c) => c.metric === r.metric);
  return chart ? `fig-${chart.id}` : r.anchor;
}

/** The claims table of a run's page: claim, where the seed makes it, the verdict, the figures, a link. Empty without claims. */
export function claimsSection(results: ResultsFile, charts: readonly ChartGroup[]): string {
  const claims = evaluateClaims(results);
  if (claims.length === 0) return '';
  const rows = claims.map(
    (r) =>
      `<tr id="claim-${esc(r.id)}" data-verdict="${esc(r.verdict)}"><td>${esc(r.claim)}<br><small>${esc(r.source)}</small></td><td>${badge(VERDICT_BADGE[r.verdict], r.verdict)}</td><td><ul class="verdict">${r.evidence.map((e) => `<li>${esc(e)}</li>`).join('')}</ul></td><td><a href="#${esc(linkTarget(r, charts))}">chart / table</a></td></tr>`,
  );
  return `<section id="claims">
<h2>Claims, measured</h2>
<p class="lead">Each claim this scenario lists — the seeds' comparison tables, and the physics a design must obey at a distance — that this run's points decide, with the verdict computed from them (the rules are in <code>src/report/claims.ts</code>). ${results.quick ? 'This is a quick run: one short trial per point, so read the verdicts as a smoke check. ' : ''}A verdict is about these reference systems on this machine, at the points measured.</p>
<div class="table-wrap"><table class="claims"><thead><tr><th>claim</th><th>verdict</th><th>measured</th><th></th></tr></thead><tbody>
${rows.join('\n')}
</tbody></table></div>
</section>`;
}

/** The claims as a Markdown table for a terminal or a CI summary; empty when the run lists none. */
export function claimsMarkdown(results: ResultsFile): string {
  const claims = evaluateClaims(results);
  if (claims.length === 0) return '';
  const cell = (t: string): string => t.replace(/\|/g, '\\|');
  return [
    '| claim | verdict | measured |',
    '| --- | --- | --- |',
    ...claims.map((c) => `| ${cell(c.claim)} (${cell(c.source)}) | **${c.verdict}** | ${cell(c.evidence.join('; '))} |`),
  ].join('\n');
}
