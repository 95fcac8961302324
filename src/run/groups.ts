/**
 * A point of load groups (the scenario's `groups`): several loads against the same target at once, each
 * its own engine in the point's one load worker, warmed up together until the primary has settled (see
 * LoadLoop.warmUpTogether), measured over the very same windows, and reported apart. The primary group
 * (the first) gives the point its figures, so reports, `compare` and the gate read a grouped point as
 * they read any other.
 */
import type { GroupResult, PointResult, PointStatus, ProcessProfile, TrialResult, WarmupRecord } from '../measure/results.ts';
import { describeLoad } from '../scenario/index.ts';
import { checkAlive, diedOr, MeasureError, onTargetExit, type PointPlan, pointStatus, ProcessWatch, summarize, trialResult, warmupRecord } from './point.ts';
import { profiledTrial } from './profile.ts';
import type { LoadPlan, Target } from './targets.ts';
import { type EngineSet, LoadSession } from './worker.ts';

export interface GroupsMeasurement {
  /** per group, in the plans' order */
  groups: { warmup: WarmupRecord; trials: TrialResult[] }[];
  /** `plan.profile`: the profiled trial's groups and the processes' profiles */
  profile?: { trials: TrialResult[]; processes: ProcessProfile[] };
}

/**
 * One measured window of every group. The systems' usage is sampled at the shared window's edges and
 * given to every group; its CPU time per request counts all groups' requests (the systems served them all).
 */
export async function measureGroupsTrial(set: EngineSet, watch: ProcessWatch, target: Target, durationMs: number): Promise<TrialResult[]> {
  let opened = watch.mark();
  let closed = opened;
  watch.resetPeak();
  const results = await set.trial(durationMs, { onOpen: () => void (opened = watch.mark()), onClose: () => void (closed = watch.mark()) });
  checkAlive(target);
  const usage = watch.usage(
    opened,
    closed,
    results.reduce((n, r) => n + r.requests, 0),
  );
  return results.map((r) => trialResult(r, usage));
}

/**
 * Warm-up of every group together until the primary has settled, then `plan.trials` windows. `onTrial`
 * sees each trial's groups (in the plans' order) as it ends. A failure carries what was measured before
 * it (MeasureError.partial, with the groups).
 */
export async function measureGroups(
  target: Target,
  loads: readonly LoadPlan[],
  plan: Omit<PointPlan, 'spec' | 'model'>,
  signal: AbortSignal | undefined,
  onTrial: (groups: TrialResult[]) => void,
): Promise<GroupsMeasurement> {
  const session = LoadSession.start(plan.loadCpu, signal);
  const watch = new ProcessWatch(target);
  const groups = loads.map(() => ({ warmup: warmupRecord(null, plan.policy.minMs), trials: [] as TrialResult[] }));
  const stopWatching = onTargetExit(target, () => session.kill());
  try {
    const set = await session.openSet(loads);
    const warmups = await set.warmUp(plan.policy);
    warmups.forEach((w, i) => {
      groups[i]!.warmup = warmupRecord(w, plan.policy.minMs);
    });
    checkAlive(target);
    for (let i = 0; i < plan.trials; i++) {
      if (signal?.aborted) throw new Error('the run was interrupted');
      const trials = await measureGroupsTrial(set, watch, target, plan.durationMs);
      trials.forEach((t, g) => {
        groups[g]!.trials.push(t);
      });
      onTrial(trials);
    }
    if (!plan.profile) return { groups };
    const profiled = await profiledTrial(target, plan.profile.resultsDir, () => measureGroupsTrial(set, watch, target, plan.durationMs));
    return { groups, profile: { trials: profiled.trial, processes: profiled.processes } };
  } catch (err) {
    throw new MeasureError(diedOr(target, err), { warmup: groups[0]!.warmup, trials: groups[0]!.trials, groups });
  } finally {
    stopWatching();
    watch.stop();
    await session.close();
  }
}

const SEVERITY: Record<PointStatus, number> = { ok: 0, 'not-steady': 1, 'generator-bound': 2, failed: 3 };

/** Each group's result with its own status (as a point of its own would get), primary first. */
export function groupResults(loads: readonly LoadPlan[], measured: GroupsMeasurement['groups'], trialMs: number): GroupResult[] {
  return loads.map((l, i) => {
    const m = measured[i] ?? { warmup: undefined, trials: [] };
    const g: GroupResult = {
      id: l.id,
      label: l.label,
      description: describeLoad(l),
      workload: { ...l.workload },
      load: { ...l.load },
      status: 'ok',
      trials: m.trials,
    };
    if (m.warmup) g.warmup = m.warmup;
    if (m.trials.length) {
      g.summary = summarize(m.trials);
      const v = pointStatus(g, trialMs, l.model.kind);
      g.status = v.status;
      if (v.reason !== undefined) g.reason = v.reason;
      // the warm-up waited for the primary only: the others share its verdict, not its reason
      if (i > 0 && v.status === 'not-steady') g.reason = `the warm-up, judged on the primary group '${loads[0]!.id}', had not settled`;
    } else Object.assign(g, { status: 'failed', reason: 'no trial was measured' });
    return g;
  });
}

/**
 * Fills a point from its groups: the primary's trials, summary and warm-up, and the worst status of any
 * group — a bulk group that failed may mean the small calls ran alone, which the point must not hide.
 */
export function applyGroups(point: PointResult, groups: GroupResult[]): void {
  point.groups = groups;
  const primary = groups[0];
  if (!primary) return;
  point.trials = primary.trials;
  if (primary.summary) point.summary = primary.summary;
  if (primary.warmup) point.warmup = primary.warmup;
  const worst = groups.reduce((w, g) => (SEVERITY[g.status] > SEVERITY[w.status] ? g : w), primary);
  point.status = worst.status;
  if (worst.reason !== undefined) point.reason = groups.length > 1 ? `group '${worst.id}': ${worst.reason}` : worst.reason;
}
