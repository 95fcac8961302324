/**
 * One point against a running target: a load worker opened once, warmed up until the throughput settles,
 * then the trials back to back while the load goes on; each system process's CPU time, event-loop
 * utilisation and memory sampled exactly at each measured window's edges; the summary (medians with
 * bootstrap intervals).
 */
import type { CpuSet } from '../os/cpus.ts';
import { MuxbenchError } from '../errors.ts';
import type { EngineSpec } from '../load/engine.ts';
import type { PacedResult, WarmupResult } from '../load/loop.ts';
import type { LoadModel } from '../load/types.ts';
import type { PointResult, PointSummary, ProcessProfile, ProcessUsage, TrialResult, WarmupRecord } from '../measure/results.ts';
import { GENERATOR_BOUND_CPU } from '../measure/generator.ts';
import { cpuShare, type ProcSample, sampleProcess } from '../measure/resources.ts';
import { bootstrapMedianCI, median } from '../measure/stats.ts';
import type { SteadyPolicy } from '../measure/steady.ts';
import { profiledTrial } from './profile.ts';
import type { ServedStats, Supervised } from './supervise.ts';
import type { Target } from './targets.ts';
import { LoadWorkers } from './load-workers.ts';
import type { TrialEngine } from './worker.ts';

export { GENERATOR_BOUND_CPU } from '../measure/generator.ts';
/**
 * An open loop whose sends left this late (p99) against their schedule was not keeping its schedule:
 * timer slop is about 1 ms, anything beyond is the generator falling behind.
 */
export const LATE_SEND_P99_US = 2000;
const RSS_SAMPLE_MS = 200;

export class TargetDiedError extends MuxbenchError {
  override readonly name = 'TargetDiedError';
  readonly code = 'MUX_ERR_TARGET_DIED';
  constructor(
    readonly role: string,
    readonly stderrTail: string,
    code: number | null,
    signal: string | null,
  ) {
    super(`the ${role} process exited during the trial (${code === null ? `killed by ${signal ?? 'a signal'}` : `code ${code}`})`);
  }
}

/** The target's death when one of its processes has exited (the real cause of whatever failed), else `err`. */
export function diedOr(target: Target, err: unknown): unknown {
  try {
    checkAlive(target);
    return err;
  } catch (died) {
    return died;
  }
}

/** The prefix of a relay's role in a watch (`relay.tunnel`): measured beside the system, never counted as it. */
const RELAY_ROLE = 'relay.';

/** A target's processes and the relays in its legs (`relay.tunnel`), by role. */
function watched(target: Target): [string, Supervised][] {
  return [...Object.entries(target.processes), ...Object.entries(target.relays ?? {}).map(([leg, r]): [string, Supervised] => [`${RELAY_ROLE}${leg}`, r!])];
}

export function checkAlive(target: Target): void {
  for (const [role, p] of watched(target)) {
    if (p.child.exitCode !== null || p.child.signalCode !== null) throw new TargetDiedError(role, p.stderrTail(), p.child.exitCode, p.child.signalCode);
  }
}

function eluBetween(a: ServedStats | null, b: ServedStats | null): number | null {
  if (!a || !b) return null;
  const active = b.eluActiveMs - a.eluActiveMs;
  const idle = b.eluIdleMs - a.eluIdleMs;
  return active + idle > 0 ? active / (active + idle) : null;
}

/**
 * Watches a target's processes: peak RSS all along (sampled), CPU time and event-loop counters at the
 * moments `mark` is called. One per load session.
 */
export class ProcessWatch {
  private readonly roles: [string, Supervised][];
  private readonly peak = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;

  constructor(target: Target) {
    this.roles = watched(target);
    this.timer = setInterval(() => this.sample(), RSS_SAMPLE_MS);
  }

  private sample(): (ProcSample | null)[] {
    return this.roles.map(([role, p]) => {
      const s = sampleProcess(p.pid);
      if (s) this.peak.set(role, Math.max(this.peak.get(role) ?? 0, s.rssBytes));
      return s;
    });
  }

  /** A snapshot of every process now. */
  mark(): { procs: (ProcSample | null)[]; stats: (ServedStats | null)[] } {
    return { procs: this.sample(), stats: this.roles.map(([, p]) => p.lastStats()) };
  }

  /** Usage between two marks; the peak RSS is the peak since the watch began or was last reset. */
  usage(from: ReturnType<ProcessWatch['mark']>, to: ReturnType<ProcessWatch['mark']>, requests: number): Record<string, ProcessUsage> {
    const out: Record<string, ProcessUsage> = {};
    this.roles.forEach(([role], i) => {
      const b = from.procs[i];
      const a = to.procs[i];
      out[role] = {
        cpu: b && a ? Math.round(cpuShare(b, a) * 1000) / 1000 : 0,
        cpuUsPerRequest: b && a && requests > 0 ? Math.round(((a.cpuMs - b.cpuMs) * 1000 * 100) / requests) / 100 : null,
        peakRssBytes: this.peak.get(role) ?? 0,
        elu: eluBetween(from.stats[i] ?? null, to.stats[i] ?? null),
      };
    });
    return out;
  }

  resetPeak(): void {
    this.peak.clear();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

export function warmupRecord(w: WarmupResult | null, fixedMs: number): WarmupRecord {
  if (!w) return { steady: null, elapsedMs: fixedMs, spread: null, tolerance: null, series: [] };
  return {
    steady: w.steady,
    elapsedMs: w.elapsedMs,
    spread: w.last && Number.isFinite(w.last.spread) ? Math.round(w.last.spread * 1000) / 1000 : null,
    tolerance: w.last ? Math.round(w.last.tolerance * 1000) / 1000 : null,
    series: w.series,
  };
}

/**
 * A worker's measured window plus the usage over exactly that window: the systems' processes, and apart
 * from them the relays in the target's network legs.
 */
export function trialResult(result: PacedResult, usage: Record<string, ProcessUsage>): TrialResult {
  const processes: Record<string, ProcessUsage> = {};
  const relays: Record<string, ProcessUsage> = {};
  for (const [role, u] of Object.entries(usage)) {
    if (role.startsWith(RELAY_ROLE)) relays[role.slice(RELAY_ROLE.length)] = u;
    else processes[role] = u;
  }
  const seconds = result.elapsedMs / 1000;
  const t: TrialResult = {
    requests: result.requests,
    requestsPerSec: result.requestsPerSec,
    bytesInPerSec: seconds > 0 ? result.bytesIn / seconds : 0,
    bytesOutPerSec: seconds > 0 ? result.bytesOut / seconds : 0,
    errors: result.errors,
    dropped: result.dropped,
    abandoned: result.abandoned,
    elapsedMs: result.elapsedMs,
    latency: result.latency,
    histogram: result.histogram,
    generatorCpu: Math.round(result.generatorCpu * 1000) / 1000,
    processes,
  };
  if (Object.keys(relays).length > 0) t.relays = relays;
  if (result.series) t.series = result.series;
  if (result.sendLag) t.sendLag = result.sendLag;
  if (result.workers) t.workers = result.workers;
  return t;
}

/** Runs one measured window on an open engine, with the target's usage sampled at its edges. */
export async function measureTrial(
  engine: TrialEngine,
  watch: ProcessWatch,
  target: Target,
  durationMs: number,
  options: { maxRequests?: number; fixedWarmupMs?: number } = {},
): Promise<TrialResult> {
  let opened = watch.mark();
  let closed = opened;
  watch.resetPeak();
  const result = await engine.trial(durationMs, {
    maxRequests: options.maxRequests,
    warmupMs: engine.continuous ? 0 : options.fixedWarmupMs,
    onOpen: () => void (opened = watch.mark()),
    onClose: () => void (closed = watch.mark()),
  });
  checkAlive(target);
  return trialResult(result, watch.usage(opened, closed, result.requests));
}

export interface PointPlan {
  /** one more trial with every system process profiled (`--profile`); entries name files relative to `resultsDir` */
  profile?: { resultsDir: string };
  spec: EngineSpec;
  model: LoadModel;
  policy: SteadyPolicy;
  trials: number;
  durationMs: number;
  maxRequests?: number;
  loadCpu: CpuSet | undefined;
  /** load-worker processes sharing the load (default 1; run/load-workers.ts) */
  loadWorkers?: number;
}

export interface PointMeasurement {
  warmup: WarmupRecord;
  trials: TrialResult[];
  /** `plan.profile`: the profiled trial (its groups' for a point of load groups) and the processes' profiles */
  profile?: { trials: TrialResult[]; processes: ProcessProfile[] };
  /** a point of load groups: each group's (the plain fields are the primary's) */
  groups?: { warmup: WarmupRecord; trials: TrialResult[] }[];
}

/**
 * Warm-up until steady, then `plan.trials` windows back to back. `onTrial` sees each trial as it ends.
 * Whatever was measured before a failure is lost only for the trial that failed: the error carries the
 * trials that completed (`MeasureError.partial`).
 */
export async function measurePoint(
  target: Target,
  plan: PointPlan,
  signal: AbortSignal | undefined,
  onTrial: (t: TrialResult) => void,
): Promise<PointMeasurement> {
  const engine = await LoadWorkers.open(plan.spec, plan.model, plan.loadWorkers ?? 1, plan.loadCpu, signal);
  const watch = new ProcessWatch(target);
  const trials: TrialResult[] = [];
  let warmup: WarmupRecord = warmupRecord(null, plan.policy.minMs);
  // A system that dies ends the point at once, instead of a warm-up against nothing until its cap.
  const stopWatching = onTargetExit(target, () => engine.kill());
  try {
    warmup = warmupRecord(engine.continuous ? await engine.warmUp(plan.policy) : null, plan.policy.minMs);
    checkAlive(target);
    for (let i = 0; i < plan.trials; i++) {
      if (signal?.aborted) throw new Error('the run was interrupted');
      const t = await measureTrial(engine, watch, target, plan.durationMs, { maxRequests: plan.maxRequests, fixedWarmupMs: plan.policy.minMs });
      trials.push(t);
      onTrial(t);
    }
    if (!plan.profile) return { warmup, trials };
    const profiled = await profiledTrial(target, plan.profile.resultsDir, () =>
      measureTrial(engine, watch, target, plan.durationMs, { maxRequests: plan.maxRequests, fixedWarmupMs: plan.policy.minMs }),
    );
    return { warmup, trials, profile: { trials: [profiled.trial], processes: profiled.processes } };
  } catch (err) {
    throw new MeasureError(diedOr(target, err), { warmup, trials });
  } finally {
    stopWatching();
    watch.stop();
    await engine.close();
  }
}

/** Calls `fn` once when any of the target's processes exits; returns the unsubscribe. */
export function onTargetExit(target: Target, fn: () => void): () => void {
  let done = false;
  const handler = (): void => {
    if (done) return;
    done = true;
    fn();
  };
  const children = watched(target).map(([, p]) => p.child);
  for (const c of children) c.once('exit', handler);
  return () => {
    done = true;
    for (const c of children) c.off('exit', handler);
  };
}

/** A point that failed part-way, with what it measured before. */
export class MeasureError extends MuxbenchError {
  override readonly name = 'MeasureError';
  readonly code = 'MUX_ERR_MEASURE';
  constructor(
    override readonly cause: unknown,
    readonly partial: PointMeasurement,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}

function estimate(xs: number[]) {
  return { median: median(xs), ci: bootstrapMedianCI(xs) };
}

export function summarize(trials: TrialResult[]): PointSummary {
  const errors: Record<string, number> = {};
  let errorCount = 0;
  let ok = 0;
  for (const t of trials) {
    ok += t.requests;
    for (const [k, v] of Object.entries(t.errors)) {
      errors[k] = (errors[k] ?? 0) + v;
      errorCount += v;
    }
  }
  const sysCpu = trials.map((t) => Object.values(t.processes).reduce((s, p) => s + p.cpu, 0));
  const sysRss = trials.map((t) => Object.values(t.processes).reduce((s, p) => s + p.peakRssBytes, 0));
  const perRequest = trials
    .map((t) => {
      const v = Object.values(t.processes).map((p) => p.cpuUsPerRequest);
      return v.length && v.every((x): x is number => typeof x === 'number') ? v.reduce((a, b) => a + b, 0) : null;
    })
    .filter((v): v is number => v !== null);
  const elus = trials
    .map((t) => {
      const v = Object.values(t.processes)
        .map((p) => p.elu)
        .filter((e): e is number => e !== null);
      return v.length ? Math.max(...v) : null;
    })
    .filter((e): e is number => e !== null);
  return {
    requestsPerSec: estimate(trials.map((t) => t.requestsPerSec)),
    bytesPerSec: estimate(trials.map((t) => t.bytesInPerSec + t.bytesOutPerSec)),
    p50Us: estimate(trials.map((t) => t.latency.p50Us)),
    p90Us: estimate(trials.map((t) => t.latency.p90Us)),
    p99Us: estimate(trials.map((t) => t.latency.p99Us)),
    p999Us: estimate(trials.map((t) => t.latency.p999Us)),
    maxUs: estimate(trials.map((t) => t.latency.maxUs)),
    errorRate: ok + errorCount > 0 ? errorCount / (ok + errorCount) : 0,
    errors,
    dropped: trials.reduce((s, t) => s + t.dropped, 0),
    generatorCpu: median(trials.map((t) => t.generatorCpu)),
    systemCpu: median(sysCpu),
    systemCpuUsPerRequest: perRequest.length ? Math.round(median(perRequest) * 100) / 100 : null,
    systemPeakRssBytes: median(sysRss),
    // the busiest process's event loop is the one that limits
    systemElu: elus.length ? median(elus) : null,
  };
}

/** Who generated the load: "the load engine", or the busiest core of several load workers (added up). */
function generatorText(trials: readonly TrialResult[]): string {
  const workers = Math.max(0, ...trials.map((t) => t.workers?.length ?? 0));
  return workers > 1 ? `the ${workers} load workers, on their busiest core (the workers sharing it added up),` : 'the load engine';
}

/**
 * What a measured point may be called: failed (nothing succeeded), generator-bound (the load engine, not
 * the system, set the figure), not-steady (the warm-up cap came before throughput settled), or ok.
 */
export function pointStatus(
  p: Pick<PointResult, 'summary' | 'trials' | 'warmup'>,
  trialMs: number,
  model: 'closed' | 'open',
): { status: PointResult['status']; reason?: string } {
  const s = p.summary!;
  const succeeded = p.trials.reduce((n, t) => n + t.requests, 0);
  if (succeeded === 0) {
    const errs = Object.entries(s.errors)
      .map(([k, v]) => `${k} ×${v}`)
      .join(', ');
    return {
      status: 'failed',
      reason: errs
        ? `no request succeeded (${errs})`
        : `no request sent inside the measured window completed: one request takes longer than the trial (${trialMs} ms) and its drain; a longer durationMs would measure it`,
    };
  }
  if (model === 'closed' && s.generatorCpu >= GENERATOR_BOUND_CPU) {
    return {
      status: 'generator-bound',
      reason: `${generatorText(p.trials)} used ${Math.round(s.generatorCpu * 100)} % of a core: the figures are the generator's limit, not the system's`,
    };
  }
  if (model === 'open') {
    const lag = Math.max(...p.trials.map((t) => t.sendLag?.p99Us ?? 0));
    const late = lag > LATE_SEND_P99_US;
    if (late || s.dropped > 0) {
      const why = [
        late ? `sends left up to ${(lag / 1000).toFixed(1)} ms late against their schedule (p99; the limit is ${LATE_SEND_P99_US / 1000} ms)` : '',
        s.dropped > 0 ? `${s.dropped} arrivals were dropped because maxInflight requests were outstanding` : '',
      ].filter(Boolean);
      return { status: 'generator-bound', reason: `the open loop did not keep its schedule: ${why.join('; ')}` };
    }
  }
  if (p.warmup?.steady === false) {
    const w = p.warmup;
    return {
      status: 'not-steady',
      // A spread of null: no judged block had a completed request yet (JSON has no Infinity) — a window
      // enters the series only once its requests answered, so slow calls leave too few windows to judge.
      reason:
        w.spread === null
          ? `throughput had not settled after ${(w.elapsedMs / 1000).toFixed(1)} s of warm-up (too few windows whose requests had all answered to judge it: calls take long, or the cap is short)`
          : `throughput had not settled after ${(w.elapsedMs / 1000).toFixed(1)} s of warm-up (block rates spread ${Math.round(w.spread * 100)} %, tolerance ${w.tolerance === null ? '?' : `${Math.round(w.tolerance * 100)} %`})`,
    };
  }
  return { status: 'ok' };
}
