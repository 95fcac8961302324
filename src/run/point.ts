/**
 * One point: its trials against a running target, each with the load in its own process, resource use
 * of every system process sampled around it, and the summary (medians with bootstrap intervals).
 */
import type { PacedResult } from '../load/pacing.ts';
import type { LoadBudget, LoadModel } from '../load/types.ts';
import type { EngineSpec } from '../load/engine.ts';
import type { PointSummary, ProcessUsage, TrialResult } from '../measure/results.ts';
import { cpuShare, type ProcSample, sampleProcess } from '../measure/resources.ts';
import { bootstrapMedianCI, median } from '../measure/stats.ts';
import type { Target } from './targets.ts';
import { runLoadJob } from './worker.ts';
import type { ServedStats } from './supervise.ts';

/** A load engine using this much of a core was the limit, not the system. */
export const GENERATOR_BOUND_CPU = 0.9;
const RSS_SAMPLE_MS = 200;

export class TargetDiedError extends Error {
  override readonly name = 'TargetDiedError';
  constructor(
    readonly role: string,
    readonly stderrTail: string,
    code: number | null,
    signal: string | null,
  ) {
    super(`the ${role} process exited during the trial (${code === null ? `killed by ${signal ?? 'a signal'}` : `code ${code}`})`);
  }
}

function exitedRole(target: Target): [string, number | null, string | null] | null {
  for (const [role, p] of Object.entries(target.processes)) {
    if (p.child.exitCode !== null || p.child.signalCode !== null) return [role, p.child.exitCode, p.child.signalCode];
  }
  return null;
}

function eluBetween(a: ServedStats | null, b: ServedStats | null): number | null {
  if (!a || !b) return null;
  const active = b.eluActiveMs - a.eluActiveMs;
  const idle = b.eluIdleMs - a.eluIdleMs;
  return active + idle > 0 ? active / (active + idle) : null;
}

export async function runTrial(target: Target, spec: EngineSpec, model: LoadModel, budget: LoadBudget, loadCpu: number | undefined, signal?: AbortSignal): Promise<TrialResult> {
  const roles = Object.entries(target.processes);
  const peak = new Map<string, number>();
  const sampleAll = (): (ProcSample | null)[] =>
    roles.map(([role, p]) => {
      const s = sampleProcess(p.pid);
      if (s) peak.set(role, Math.max(peak.get(role) ?? 0, s.rssBytes));
      return s;
    });
  const statsBefore = await Promise.all(roles.map(([, p]) => p.stats()));
  const before = sampleAll();
  const sampler = setInterval(sampleAll, RSS_SAMPLE_MS);
  let result: PacedResult;
  try {
    result = await runLoadJob({ spec, model, budget }, loadCpu, signal);
  } finally {
    clearInterval(sampler);
  }
  const after = sampleAll();
  const statsAfter = await Promise.all(roles.map(([, p]) => p.stats()));
  const died = exitedRole(target);
  if (died) throw new TargetDiedError(died[0], target.processes[died[0]]!.stderrTail(), died[1], died[2]);

  const processes: Record<string, ProcessUsage> = {};
  roles.forEach(([role], i) => {
    const b = before[i];
    const a = after[i];
    processes[role] = {
      // The CPU window includes the worker's start-up and warm-up; shares are comparable between points.
      cpu: b && a ? Math.round(cpuShare(b, a) * 1000) / 1000 : 0,
      peakRssBytes: peak.get(role) ?? 0,
      elu: eluBetween(statsBefore[i] ?? null, statsAfter[i] ?? null),
    };
  });
  const seconds = result.elapsedMs / 1000;
  return {
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
  const elus = trials
    .map((t) => {
      const v = Object.values(t.processes).map((p) => p.elu).filter((e): e is number => e !== null);
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
    systemPeakRssBytes: median(sysRss),
    // the busiest process's event loop is the one that limits
    systemElu: elus.length ? median(elus) : null,
  };
}
