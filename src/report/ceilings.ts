/**
 * What physics allows a point at a distance, and how close it came: the ceilings behind the
 * `window-ceiling` and `distance-ceiling` claims (src/report/claims.ts), also drawn as dashed lines on the
 * throughput charts. Pure: results in, numbers and sentences out.
 *
 * Window: a receiver lets its peer send one window ahead, so each window's worth of a body costs a round
 * trip of the leg the window spans (the tunnel's, edge ↔ connector). A body of B bytes through an effective
 * window W (the stream window, or the stream's share of the session window) takes ceil(B / W) round trips
 * from the request's departure to the last byte's arrival, and never less than the bandwidth allows; c
 * streams carry c × B in that time.
 *
 * Distance: a design that holds one slot per call (an h2 tunnel's streams, limit L) carries at most
 * L / (time a slot is held); at a distance that time is the round trip plus the service time — what a lone
 * call takes there, measured at the lowest concurrency. A design without a limit gets N / that time with N
 * calls in flight. Neither can pass what one core carries at the CPU per call the point spent (the
 * systems' processes and the relays share the systems' core).
 */
import { DEFAULT_WINDOW_BYTES } from '../h2/frames.ts';
import type { PointResult, ResultsFile } from '../measure/results.ts';
import { median } from '../measure/stats.ts';
import { streamLimitOf } from './stream-limit.ts';
import { sig3 } from './format.ts';
import { primaryLoad } from './littles-law.ts';

interface SystemDef {
  id: string;
  kind: string;
  streamWindowBytes?: number;
  sessionWindowBytes?: number;
}

interface Definition {
  systems?: SystemDef[];
  workload?: { call?: string; payloadBytes?: number };
  claims?: { kind: string; systems?: string[]; limited?: string; unlimited?: string[] }[];
}

const def = (results: ResultsFile): Definition => (results.scenario.definition ?? {}) as Definition;

/** The round trip a point's legs add up to, ms (0 without legs). */
export function distanceMs(p: PointResult): number {
  return Object.values(p.network?.legs ?? {}).reduce((sum, l) => sum + (l?.rttMs ?? 0), 0);
}

/**
 * A bulk point's transfer throughput: streams × body bytes / the median transfer time (Little's law with the
 * median for the mean), and its range over the trials' interval of that median. What a transfer achieves,
 * without the ±1 transfer a trial's count carries when each takes a good part of a second. Null unless the
 * primary load is a closed loop downloading bodies (`sized`).
 */
export function transferRate(p: PointResult, results: ResultsFile): { median: number; low: number; high: number } | null {
  const d = def(results);
  if (p.groups !== undefined || d.workload?.call !== 'sized' || !p.summary) return null;
  const streams = primaryLoad(p, d).inflight;
  const payloadBytes = p.params.payloadBytes ?? d.workload.payloadBytes ?? 0;
  const e = p.summary.p50Us;
  if (streams === null || payloadBytes <= 0 || !(e.median > 0)) return null;
  const rate = (us: number): number => (streams * payloadBytes * 1e6) / us;
  return {
    median: rate(e.median),
    low: Number.isFinite(e.ci.high) ? rate(e.ci.high) : Number.NaN,
    high: Number.isFinite(e.ci.low) ? rate(e.ci.low) : Number.NaN,
  };
}

/** The same system and body with the tunnel leg at 0 ms (every other param equal): its median transfer time, ms. */
function serviceTimeMs(p: PointResult, results: ResultsFile): number | null {
  const same = (q: PointResult): boolean =>
    q.systemId === p.systemId &&
    q.network?.legs.tunnel?.rttMs === 0 &&
    Object.entries(p.params).every(([k, v]) => k === 'tunnelRttMs' || q.params[k] === v) &&
    (q.status === 'ok' || q.status === 'not-steady') &&
    q.summary !== undefined;
  const ref = results.points.find(same);
  return ref ? ref.summary!.p50Us.median / 1000 : null;
}

export interface WindowCeiling {
  /** body bytes per second the streams can carry at most */
  bytesPerSec: number;
  /** the same as requests per second */
  requestsPerSec: number;
  /** measured: transferRate, streams × body / the median transfer time */
  measuredBytesPerSec: number;
  share: number;
  windowBytes: number;
  rttMs: number;
  rounds: number;
  streams: number;
  payloadBytes: number;
  /** the bandwidth-delay product alone: body bytes over ceil(body / window) round trips (no service time) */
  bdpBytesPerSec: number;
  bdpShare: number;
  /**
   * What moving the body through the processes takes with nothing in the way: the median transfer time of
   * the same system and body where the tunnel leg adds 0 ms, when the run has that point; null otherwise.
   * Each window's worth must be pushed through the chain before its window comes back, so it adds to the
   * round trips — the window's "RTT + service time".
   */
  serviceMs: number | null;
  /** the bandwidth bound, when it is the lower one */
  bandwidthBound: boolean;
  /** "64 KiB window / 50 ms RTT" */
  formula: string;
}

const kib = (n: number): string => (n >= 1024 * 1024 && n % (1024 * 1024) === 0 ? `${n / (1024 * 1024)} MiB` : n % 1024 === 0 ? `${n / 1024} KiB` : `${n} B`);

/**
 * A bulk point's window ceiling: the primary load downloads bodies (`sized`) through a tunnel whose tunnel
 * leg has a round trip; null for anything else.
 */
export function windowCeiling(p: PointResult, results: ResultsFile): WindowCeiling | null {
  const d = def(results);
  const system = d.systems?.find((s) => s.id === p.systemId);
  const legs = p.network?.legs;
  const rttMs = legs?.tunnel?.rttMs ?? 0;
  if (!system || (system.kind !== 'h2-tunnel' && system.kind !== 'grpc-tunnel') || rttMs <= 0) return null;
  if (p.groups !== undefined || d.workload?.call !== 'sized' || !p.summary) return null;
  const streams = primaryLoad(p, d).inflight;
  const payloadBytes = p.params.payloadBytes ?? d.workload.payloadBytes ?? 0;
  if (streams === null || payloadBytes <= 0) return null;
  const streamWindow = p.params.streamWindowBytes ?? system.streamWindowBytes ?? DEFAULT_WINDOW_BYTES;
  const sessionWindow = p.params.sessionWindowBytes ?? system.sessionWindowBytes ?? DEFAULT_WINDOW_BYTES;
  // h2: a stream per call, all within the session window; grpc: one stream carries every call
  const windowBytes = system.kind === 'h2-tunnel' ? Math.min(streamWindow, sessionWindow / streams) : Math.min(streamWindow, sessionWindow) / streams;
  const rounds = Math.ceil(payloadBytes / windowBytes);
  const otherLegsMs = (legs?.client?.rttMs ?? 0) + (legs?.origin?.rttMs ?? 0);
  const serviceMs = serviceTimeMs(p, results);
  const bdpMs = rounds * rttMs + otherLegsMs;
  const windowMs = bdpMs + (serviceMs ?? 0);
  const mbits = [legs?.tunnel?.mbit, legs?.client?.mbit, legs?.origin?.mbit].filter((m): m is number => m !== undefined && m > 0);
  const wireMs = mbits.length ? (streams * payloadBytes * 8) / (Math.min(...mbits) * 1000) + rttMs + otherLegsMs : 0;
  const transferMs = Math.max(windowMs, wireMs);
  const bytesPerSec = (streams * payloadBytes * 1000) / transferMs;
  const measuredBytesPerSec = transferRate(p, results)!.median;
  const bdpBytesPerSec = (streams * payloadBytes * 1000) / bdpMs;
  return {
    bytesPerSec,
    bdpBytesPerSec,
    bdpShare: measuredBytesPerSec / bdpBytesPerSec,
    serviceMs,
    requestsPerSec: bytesPerSec / payloadBytes,
    measuredBytesPerSec,
    share: measuredBytesPerSec / bytesPerSec,
    windowBytes,
    rttMs,
    rounds,
    streams,
    payloadBytes,
    bandwidthBound: wireMs > windowMs,
    formula:
      wireMs > windowMs
        ? `${Math.min(...mbits)} Mbit/s`
        : `${kib(Math.round(windowBytes))} window${streams > 1 ? ` × ${streams} streams` : ''} / ${rttMs} ms RTT (${rounds} round trip${rounds === 1 ? '' : 's'} per ${kib(payloadBytes)} body${serviceMs === null ? '' : `, plus ${sig3(serviceMs)} ms moving it through the processes, as at 0 ms`})`,
  };
}

export interface DistanceCeiling {
  systemId: string;
  /** the legs' round trip, ms */
  distanceMs: number;
  /** calls in flight at the loaded point, and the slots they could use (the stream limit, when lower) */
  inflight: number;
  slots: number;
  limit: number | null;
  /** the lone call's median latency here, µs: RTT + service time */
  loneUs: number;
  /** slots / lone-call latency */
  littleRequestsPerSec: number;
  /** share of one core the systems' processes and the relays used at the loaded point (median over trials) */
  coreShare: number;
  /** what a whole core would carry at the loaded point's CPU per call: throughput / coreShare */
  cpuRequestsPerSec: number;
  /** min of the two */
  requestsPerSec: number;
  bound: 'slots' | 'cpu';
  measuredRequestsPerSec: number;
  share: number;
  /** the loaded point */
  point: PointResult;
}

/** Usable for a ceiling: measured, with figures, not generator-bound. */
const usable = (p: PointResult): boolean => (p.status === 'ok' || p.status === 'not-steady') && p.summary !== undefined && p.groups === undefined;

/**
 * The share of one core a point's systems and relays used, median over its trials: they share the systems'
 * core, so together they cannot pass 1.
 */
export function coreShare(p: PointResult): number {
  return median(p.trials.map((t) => [...Object.values(t.processes), ...Object.values(t.relays ?? {})].reduce((sum, u) => sum + u.cpu, 0)));
}

/**
 * One system's distance ceilings, one per distance swept: at each, the loaded point (most calls in flight)
 * against slots / the lone call's latency (fewest in flight), and against what a whole core carries at the
 * CPU per call the loaded point spent (systems and relays: calls cost more CPU at a distance, where fewer
 * of them share a read or a write). The lower one bounds it.
 */
export function distanceCeilings(results: ResultsFile, systemId: string): DistanceCeiling[] {
  const d = def(results);
  const byDistance = new Map<number, { p: PointResult; n: number }[]>();
  for (const p of results.points) {
    if (p.systemId !== systemId || !usable(p) || p.network === undefined) continue;
    const n = primaryLoad(p, d).inflight;
    if (n === null) continue;
    const key = distanceMs(p);
    byDistance.set(key, [...(byDistance.get(key) ?? []), { p, n }]);
  }
  const out: DistanceCeiling[] = [];
  for (const k of [...byDistance.keys()].sort((a, b) => a - b)) {
    const points = byDistance.get(k)!;
    const lone = points.reduce((best, x) => (x.n < best.n ? x : best));
    const loaded = points.reduce((best, x) => (x.n > best.n || (x.n === best.n && x.p.index > best.p.index) ? x : best));
    if (lone.n === loaded.n) continue;
    const rawLimit = streamLimitOf(loaded.p, results);
    const limit = rawLimit === null || rawLimit === 0 ? null : rawLimit;
    const slots = Math.min(loaded.n, limit ?? loaded.n);
    const loneUs = lone.p.summary!.p50Us.median;
    const little = (slots * 1e6) / loneUs;
    const measured = loaded.p.summary!.requestsPerSec.median;
    const share = coreShare(loaded.p);
    const cpu = share > 0 ? measured / share : Number.POSITIVE_INFINITY;
    const ceiling = Math.min(little, cpu);
    out.push({
      systemId,
      distanceMs: k,
      inflight: loaded.n,
      slots,
      limit,
      loneUs,
      littleRequestsPerSec: little,
      coreShare: share,
      cpuRequestsPerSec: cpu,
      requestsPerSec: ceiling,
      bound: cpu < little ? 'cpu' : 'slots',
      measuredRequestsPerSec: measured,
      share: measured / ceiling,
      point: loaded.p,
    });
  }
  return out;
}

/** A point's ceiling as the charts draw it: on the throughput chart (distance), or the transfer chart (windows). */
export interface PointCeiling {
  requestsPerSec?: number;
  /** for bulk transfers: body bytes per second */
  bytesPerSec?: number;
}

/**
 * Every point's ceiling the run's claims call for, by point index: what the throughput charts draw as
 * dashed lines.
 */
export function pointCeilings(results: ResultsFile): Map<number, PointCeiling> {
  const out = new Map<number, PointCeiling>();
  for (const c of def(results).claims ?? []) {
    if (c.kind === 'window-ceiling')
      for (const p of results.points) {
        if (!c.systems?.includes(p.systemId)) continue;
        const w = windowCeiling(p, results);
        if (w) out.set(p.index, { bytesPerSec: w.bytesPerSec });
      }
    if (c.kind === 'distance-ceiling')
      for (const id of [c.limited ?? '', ...(c.unlimited ?? [])])
        for (const x of distanceCeilings(results, id)) out.set(x.point.index, { requestsPerSec: x.requestsPerSec });
  }
  return out;
}
