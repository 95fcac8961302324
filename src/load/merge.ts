/**
 * Load workers' results as one: the same measured window (or warm-up) from several workers — processes on
 * one machine, or pods on many — merged exactly. Counts add; latency comes from the merged HDR histogram
 * (every bucket's counts added, never an average of percentiles); the series add window by window (their
 * p99 is the worst worker's, the one figure that cannot be merged exactly from summaries); the generator's
 * CPU is its busiest core's — the workers pinned to one core added up — so a point is generator-bound when
 * any one core of the load was.
 */
import type { PacedResult, WarmupResult } from './loop.ts';
import { encodeHistogram, mergeHistograms, summarize } from '../measure/histogram.ts';
import type { SendLag, SeriesWindow, WorkerShare } from '../measure/results.ts';

/** Where a worker ran and when its window opened, for a merge. */
export interface WorkerMeta {
  /** ms since the epoch */
  openedAt?: number;
  /** the core set it was pinned to (undefined: unpinned, or a machine of its own) */
  cpu?: string;
}

/**
 * The generator's load on its busiest core: workers pinned to the same set added up (two workers at 50 % on
 * one core fill it), each other worker alone.
 */
export function busiestLoad(workers: readonly Pick<WorkerShare, 'generatorCpu' | 'cpu'>[]): number {
  const byCore = new Map<string, number>();
  let alone = 0;
  for (const w of workers) {
    if (w.cpu === undefined) alone = Math.max(alone, w.generatorCpu);
    else byCore.set(w.cpu, (byCore.get(w.cpu) ?? 0) + w.generatorCpu);
  }
  return Math.round(Math.max(alone, ...byCore.values()) * 1000) / 1000;
}

/** What one worker contributed to a merged window. */
export function workerShare(r: PacedResult, index: number, meta: WorkerMeta = {}): WorkerShare {
  const share: WorkerShare = {
    index,
    requests: r.requests,
    requestsPerSec: r.requestsPerSec,
    generatorCpu: Math.round(r.generatorCpu * 1000) / 1000,
    p50Us: r.latency.p50Us,
    p99Us: r.latency.p99Us,
    elapsedMs: r.elapsedMs,
  };
  if (meta.openedAt !== undefined) share.openedAt = meta.openedAt;
  if (meta.cpu !== undefined) share.cpu = meta.cpu;
  return share;
}

/** Window i of every series added up (a series that is shorter adds nothing past its end). */
export function mergeSeries(all: readonly (readonly SeriesWindow[] | undefined)[]): SeriesWindow[] {
  const len = Math.max(0, ...all.map((s) => s?.length ?? 0));
  return Array.from({ length: len }, (_, i) => {
    const ws = all.map((s) => s?.[i]).filter((w): w is SeriesWindow => w !== undefined);
    const p99s = ws.map((w) => w.p99Us).filter((p): p is number => p !== null);
    return {
      // each worker's clock is its own: the first worker's timeline stands for all (windows are 100 ms each)
      atMs: ws[0]!.atMs,
      ms: Math.max(...ws.map((w) => w.ms)),
      ok: ws.reduce((s, w) => s + w.ok, 0),
      errors: ws.reduce((s, w) => s + w.errors, 0),
      dropped: ws.reduce((s, w) => s + w.dropped, 0),
      p99Us: p99s.length ? Math.max(...p99s) : null,
    };
  });
}

function mergeLag(lags: (SendLag | undefined)[]): SendLag | undefined {
  const present = lags.filter((l): l is SendLag => l !== undefined);
  if (present.length === 0) return undefined;
  // the worst worker's: lateness is a generator's failing, judged per worker
  return { p50Us: Math.max(...present.map((l) => l.p50Us)), p99Us: Math.max(...present.map((l) => l.p99Us)), maxUs: Math.max(...present.map((l) => l.maxUs)) };
}

/**
 * One window measured by several workers at once, as if one generator had measured it. Throughput is the
 * workers' rates added (each over its own window, which differ by the start skew only); a histogram that
 * cannot be read is an error, never silently left out.
 */
export function mergePaced(parts: readonly PacedResult[], meta: readonly WorkerMeta[] = []): PacedResult {
  if (parts.length === 0) throw new RangeError('nothing to merge');
  if (parts.length === 1) return parts[0]!;
  const merged = mergeHistograms(parts.map((p) => p.histogram));
  if (!merged || merged.skipped > 0) throw new RangeError(`${merged ? merged.skipped : parts.length} of ${parts.length} workers' histograms could not be read`);
  const errors: Record<string, number> = {};
  for (const p of parts) for (const [k, v] of Object.entries(p.errors)) errors[k] = (errors[k] ?? 0) + v;
  const sum = (f: (p: PacedResult) => number): number => parts.reduce((s, p) => s + f(p), 0);
  const out: PacedResult = {
    requests: sum((p) => p.requests),
    errors,
    dropped: sum((p) => p.dropped),
    elapsedMs: Math.max(...parts.map((p) => p.elapsedMs)),
    requestsPerSec: sum((p) => p.requestsPerSec),
    bytesIn: sum((p) => p.bytesIn),
    bytesOut: sum((p) => p.bytesOut),
    latency: summarize(merged.histogram),
    histogram: encodeHistogram(merged.histogram),
    abandoned: sum((p) => p.abandoned),
    generatorCpu: 0, // below: the busiest core's
  };
  merged.histogram.destroy();
  if (parts.some((p) => p.series)) out.series = mergeSeries(parts.map((p) => p.series));
  const lag = mergeLag(parts.map((p) => p.sendLag));
  if (lag) out.sendLag = lag;
  out.workers = parts.map((p, i) => workerShare(p, i, meta[i]));
  out.generatorCpu = busiestLoad(out.workers);
  return out;
}

/**
 * Several workers' warm-ups as one: steady only when every worker's load settled; as long as the longest;
 * the widest spread; the series added window by window.
 */
export function mergeWarmups(parts: readonly (WarmupResult | null)[]): WarmupResult | null {
  if (parts.some((p) => p === null)) return null;
  const ws = parts as readonly WarmupResult[];
  if (ws.length === 1) return ws[0]!;
  const lasts = ws.map((w) => w.last);
  const judged = lasts.every((l) => l !== null) ? lasts.reduce((a, b) => (b!.spread > a!.spread ? b : a)) : null;
  return {
    steady: ws.every((w) => w.steady),
    elapsedMs: Math.max(...ws.map((w) => w.elapsedMs)),
    series: mergeSeries(ws.map((w) => w.series)),
    last: judged ?? null,
  };
}
