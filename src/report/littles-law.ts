/**
 * Little's law as a check on every closed-loop point: the requests in flight (N, fixed by the load) must
 * equal throughput × mean latency. A point where they disagree measured something other than what it says
 * (lost requests, a window that cut requests off) and is flagged. Where a design has a hard bound on work
 * in flight — an h2 tunnel's stream limit — and each call holds its slot a known time (the sleep workload's
 * handler delay), the law also gives a ceiling, min(N, limit) / delay, and the verdict says how close the
 * measurement came and, when it falls short, what the system spent instead: per-stream overhead, or CPU.
 * Pure: results in, plain data and sentences out.
 */
import type { PointResult, ResultsFile } from '../measure/results.ts';
import { median } from '../measure/stats.ts';
import { streamLimitOf } from './stream-limit.ts';
import { micros, paramsText, percent, rate, sig3 } from './format.ts';

/** X·W within this share of N counts as consistent (windows are finite; a few requests straddle their edges). */
export const LITTLE_TOLERANCE = 0.1;
/** Below this share of its ceiling, a point is bounded by something else than the ceiling's inputs. */
export const CEILING_SHORTFALL = 0.85;

export interface LittleCheck {
  index: number;
  label: string;
  params: Record<string, number>;
  /** requests in flight the load kept (closed-loop concurrency) */
  inflight: number;
  requestsPerSec: number;
  meanLatencyUs: number;
  /** requests in flight by the law: throughput × mean latency */
  occupancy: number;
  consistent: boolean;
  /** the ceiling where the workload gives one: min(N, limit) / handler delay */
  ceiling: { requestsPerSec: number; slots: number; limit: number | null; delayMs: number; share: number; holdMs: number } | null;
  sentence: string;
}

interface Definition {
  load?: { model?: string; concurrency?: number };
  workload?: { call?: string; delayMs?: number };
}

/**
 * A point's primary load: the requests it kept in flight (a closed loop's concurrency; null for an open
 * loop, where in flight is an outcome) and how long each call is held at the origin (the sleep workload's
 * delay, sweep applied; 0 otherwise), ms. A point of load groups reads its first group, as run.
 */
export function primaryLoad(p: PointResult, definition: unknown): { inflight: number | null; holdMs: number } {
  const def = (definition ?? {}) as Definition;
  const primary = p.groups?.[0];
  if (primary) {
    return {
      inflight: primary.load.model === 'closed' ? primary.load.concurrency : null,
      holdMs: primary.workload.call === 'sleep' ? primary.workload.delayMs : 0,
    };
  }
  const holdMs = def.workload?.call === 'sleep' ? (p.params.delayMs ?? def.workload.delayMs ?? 0) : 0;
  return { inflight: def.load?.model === 'closed' ? (p.params.concurrency ?? def.load.concurrency ?? null) : null, holdMs };
}

function describe(p: PointResult, axes: readonly string[]): string {
  const where = paramsText(p.params, axes);
  return `${p.label}${where ? ` (${where})` : ''}`;
}

/** One check per measured closed-loop point; none for open-loop points (in flight is an outcome there, not a setting). */
export function littlesLaw(results: ResultsFile): LittleCheck[] {
  const out: LittleCheck[] = [];
  for (const p of results.points) {
    if (p.status === 'failed' || p.trials.length === 0 || !p.summary) continue;
    // A point of load groups checks its primary group (the point's figures), with what that group ran.
    // No ceiling there: the other groups hold slots too.
    const { inflight, holdMs } = primaryLoad(p, results.scenario.definition);
    if (inflight === null) continue;
    const x = median(p.trials.map((t) => t.requestsPerSec));
    const w = median(p.trials.map((t) => t.latency.meanUs));
    if (!(x > 0) || !(w > 0)) continue;
    const occupancy = median(p.trials.map((t) => (t.requestsPerSec * t.latency.meanUs) / 1e6));
    const consistent = Math.abs(occupancy / inflight - 1) <= LITTLE_TOLERANCE;
    const delayMs = p.groups?.length ? 0 : holdMs;
    const rawLimit = streamLimitOf(p, results);
    const limit = rawLimit === null || rawLimit === 0 ? null : rawLimit;
    let ceiling: LittleCheck['ceiling'] = null;
    if (delayMs > 0) {
      const slots = Math.min(inflight, limit ?? inflight);
      const ceil = (slots / delayMs) * 1000;
      ceiling = { requestsPerSec: ceil, slots, limit, delayMs, share: x / ceil, holdMs: (slots / x) * 1000 };
    }
    const parts = [
      `${describe(p, results.axes)}: ${rate(x)} × ${micros(w)} mean latency = ${sig3(occupancy)} in flight, ${consistent ? `consistent with the ${inflight.toLocaleString('en-US')} the load kept` : `NOT the ${inflight.toLocaleString('en-US')} the load kept (${percent(occupancy / inflight)}): this measurement needs explaining before it is used`}.`,
    ];
    if (ceiling) {
      const bound =
        ceiling.limit !== null && ceiling.limit < inflight
          ? `${ceiling.limit.toLocaleString('en-US')} streams (the limit)`
          : `${inflight.toLocaleString('en-US')} in flight`;
      let s = `Ceiling: ${bound} / ${ceiling.delayMs} ms = ${rate(ceiling.requestsPerSec)}; measured ${percent(ceiling.share)} of it`;
      if (ceiling.share < CEILING_SHORTFALL) {
        const cpu = p.summary.systemCpu;
        s += ` — something besides ${ceiling.limit !== null && ceiling.limit < inflight ? 'the stream limit' : 'the handler delay'} bounds it: each slot was held ${sig3(ceiling.holdMs)} ms for a ${ceiling.delayMs} ms call`;
        s +=
          cpu >= 0.9
            ? `, with the system's processes using ${percent(cpu)} of their core (CPU-bound)`
            : ` while the system's processes used ${percent(cpu)} of their core (not CPU-bound: time spent queueing between processes)`;
      }
      parts.push(`${s}.`);
    }
    out.push({
      index: p.index,
      label: p.label,
      params: p.params,
      inflight,
      requestsPerSec: x,
      meanLatencyUs: w,
      occupancy,
      consistent,
      ceiling,
      sentence: parts.join(' '),
    });
  }
  return out;
}
