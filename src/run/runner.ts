/**
 * Runs a scenario: every point, every trial, results written after each point. A system that cannot
 * start or dies fails its point (reason + stderr tail) and the run goes on. Ctrl-C / SIGTERM stop the
 * run, kill every child, and leave the results measured so far marked 'aborted'.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RESULTS_SCHEMA, type PointResult, type ResultsFile, type TrialResult } from '../measure/results.ts';
import {
  describeLoad,
  effective,
  expandPoints,
  loadScenario,
  type Point,
  type Scenario,
  ScenarioError,
  type ScenarioOverrides,
  sweptAxes,
} from '../scenario/index.ts';
import { CLINIC_DIR, clinicMissing, clinicProfiles } from './clinic.ts';
import { type CpuRequest, environment, type Placement, placement } from './environment.ts';
import { coresText, CpuSetError } from '../os/cpus.ts';
import { applyGroups, groupResults, measureGroups } from './groups.ts';
import { writeJsonAtomic } from './persist.ts';
import { PROFILES_DIR, profileOverhead } from './profile.ts';
import { MeasureError, measurePoint, type PointMeasurement, type PointPlan, pointStatus, summarize, TargetDiedError } from './point.ts';
import { createProgress, type Progress, trialText } from './progress.ts';
import { PROFILE_DIR_ENV } from '../systems/profiler.ts';
import { median } from '../measure/stats.ts';
import { killAllSupervised, SystemStartError } from './supervise.ts';
import { probeNetem } from '../os/netem.ts';
import { LEG_AXES, mechanismOf } from '../scenario/network.ts';
import { kernelRunProblem, loopbackUp, needsNetem } from './kernel-legs.ts';
import { legsOf, type LoadPlan, loadPlansOf, loadWorkersProblem, systemsProblem, startKey, startTarget, streamLimitAt, type Target } from './targets.ts';

export const REPORTS_DIR = fileURLToPath(new URL('../../reports/', import.meta.url));

export interface RunOptions {
  scenario: string;
  /** the cores for systems and load, over the scenario's `cpus` (the command line's --cpus) */
  cpus?: CpuRequest;
  quick?: boolean;
  /** directory that receives <scenario>/<run-id>/ (default reports/) */
  reportsDir?: string;
  progress?: Progress;
  /** runs stop early when this aborts (the CLI wires SIGINT/SIGTERM to it) */
  signal?: AbortSignal;
  /**
   * 'cpu': one more trial per point with every system process under V8's CPU profiler (src/run/profile.ts);
   * 'clinic': per point, the system afresh under clinic doctor then clinic flame (src/run/clinic.ts).
   * Default: the scenario's `profile`.
   */
  profile?: 'cpu' | 'clinic';
  /** the command line's changes to the scenario file (src/scenario/overrides.ts), recorded in the results */
  overrides?: ScenarioOverrides;
}

export interface RunOutcome {
  resultsPath: string;
  results: ResultsFile;
}

export function runId(date = new Date()): string {
  return date.toISOString().replace(/[:.]/g, '-').replace('T', '_').slice(0, 19);
}

function labelOf(p: Point): string {
  return p.system.label ?? p.system.id;
}

function paramText(p: Point): string {
  const parts = Object.entries(p.params).map(([k, v]) => `${k}=${v}`);
  return parts.length ? ` (${parts.join(', ')})` : '';
}

/** Whether any point of the run crosses a shaped leg: the scenario's `network`, or a leg's axis swept. */
function hasNetworkLegs(scenario: Scenario, axes: readonly string[]): boolean {
  const legAxes = Object.values(LEG_AXES).flatMap((a) => [a.rtt, a.mbit] as string[]);
  return scenario.network !== undefined || axes.some((a) => legAxes.includes(a));
}

/** A results file with no point yet, for a run of `scenario` with the settings `eff`. */
export function newResults(
  scenario: Scenario,
  file: string,
  quick: boolean,
  id: string,
  eff: ReturnType<typeof effective>,
  axes: string[],
  commit?: string | null,
  overrides?: ScenarioOverrides,
  cpus: CpuRequest = {},
): ResultsFile {
  const env = environment(cpus);
  if (commit !== undefined) env.commit = commit;
  if (hasNetworkLegs(scenario, axes)) env.network = { mechanism: mechanismOf(scenario.network), netem: probeNetem() };
  return {
    schema: RESULTS_SCHEMA,
    runId: id,
    scenario: { name: scenario.name, description: scenario.description, file, definition: scenario },
    ...(overrides ? { overrides } : {}),
    quick,
    environment: env,
    status: 'running',
    startedAt: new Date().toISOString(),
    axes,
    settings: {
      warmupMs: eff.warmupMs,
      durationMs: eff.durationMs,
      trials: eff.trials,
      loadModel: loadModelText(scenario),
      steady: eff.steady,
      ...(scenario.loadWorkers > 1 ? { loadWorkers: scenario.loadWorkers } : {}),
    },
    points: [],
  };
}

function loadModelText(s: Scenario): string {
  if (s.groups !== undefined) return `load groups: ${s.groups.map((g) => `${g.label ?? g.id} (${describeLoad(g)})`).join('; ')}`;
  return s.load.model === 'closed' ? 'closed' : `open (${s.load.ratePerSec}/s)`;
}

export async function runScenario(options: RunOptions): Promise<RunOutcome> {
  const { scenario, file } = await loadScenario(options.scenario, options.overrides);
  const quick = options.quick ?? false;
  const eff = effective(scenario, quick);
  const points = expandPoints(scenario, quick);
  const cpus: CpuRequest = { ...scenario.cpus, ...options.cpus };
  let place: Placement;
  try {
    place = placement(cpus);
  } catch (err) {
    if (err instanceof CpuSetError) throw new ScenarioError(`cpus: ${err.message}`);
    throw err;
  }
  const unsplittable = loadWorkersProblem(scenario, points) ?? systemsProblem(points, place.systemCpu);
  if (unsplittable) throw new ScenarioError(unsplittable);
  const profileKind = options.profile ?? scenario.profile;
  if (profileKind === 'clinic') {
    const missing = clinicMissing();
    if (missing) throw new ScenarioError(missing);
  }
  const mechanism = mechanismOf(scenario.network);
  if (mechanism === 'kernel') {
    const anyNeedsNetem = points.some((p) => Object.values(legsOf(scenario, p)).some((c) => c !== undefined && needsNetem(c)));
    const problem = kernelRunProblem(anyNeedsNetem, probeNetem());
    if (problem) throw new ScenarioError(problem);
    loopbackUp();
  }
  const progress = options.progress ?? createProgress();
  const id = runId();
  const resultsPath = join(options.reportsDir ?? REPORTS_DIR, scenario.name, id, 'results.json');
  const results = newResults(scenario, file, quick, id, eff, sweptAxes(points), undefined, options.overrides, cpus);
  writeJsonAtomic(resultsPath, results);
  progress.start(points.length * eff.trials);
  progress.note(
    `${scenario.name}: ${points.length} points × ${eff.trials} trials of ${eff.durationMs} ms after a warm-up until steady (${eff.steady.minMs}–${eff.steady.maxMs} ms)${place.pinned ? `, systems on ${coresText(place.systemCpu!)}, load on ${coresText(place.loadCpu!)}` : ', unpinned'}${scenario.loadWorkers > 1 ? `, the load split over ${scenario.loadWorkers} workers` : ''} → ${resultsPath}`,
  );

  let profileEnv: NodeJS.ProcessEnv | undefined;
  if (profileKind === 'cpu') {
    const dir = join(dirname(resultsPath), PROFILES_DIR);
    mkdirSync(dir, { recursive: true });
    profileEnv = { ...process.env, [PROFILE_DIR_ENV]: dir };
    progress.note(`profiling: one more trial per point with every system process under V8's CPU profiler → ${dir}`);
  }
  if (profileKind === 'clinic')
    progress.note(
      `profiling: per point, the system afresh under clinic doctor, then clinic flame (warm-up and one trial each) → ${join(dirname(resultsPath), CLINIC_DIR)}`,
    );

  let current: { key: string; target: Target } | null = null;
  const stopCurrent = async (): Promise<void> => {
    if (!current) return;
    const t = current.target;
    current = null;
    await t.stop().catch(() => {});
  };

  try {
    for (const point of points) {
      if (options.signal?.aborted) break;
      const outcome = await runPoint(
        scenario,
        point,
        eff,
        place,
        progress,
        options.signal,
        { kind: profileKind, env: profileEnv, runDir: dirname(resultsPath) },
        {
          get: () => current,
          set: (c) => {
            current = c;
          },
          stop: stopCurrent,
        },
      );
      results.points.push(outcome);
      writeJsonAtomic(resultsPath, results);
    }
  } finally {
    await stopCurrent();
    progress.done();
  }
  results.status = options.signal?.aborted ? 'aborted' : 'complete';
  results.finishedAt = new Date().toISOString();
  writeJsonAtomic(resultsPath, results);
  return { resultsPath, results };
}

interface TargetSlot {
  get(): { key: string; target: Target } | null;
  set(c: { key: string; target: Target }): void;
  stop(): Promise<void>;
}

async function runPoint(
  scenario: Scenario,
  point: Point,
  eff: ReturnType<typeof effective>,
  place: ReturnType<typeof placement>,
  progress: Progress,
  signal: AbortSignal | undefined,
  profiling: { kind: 'cpu' | 'clinic' | undefined; env: NodeJS.ProcessEnv | undefined; runDir: string },
  slot: TargetSlot,
): Promise<PointResult> {
  const profileEnv = profiling.env;
  const base: PointResult = {
    index: point.index,
    systemId: point.system.id,
    systemKind: point.system.kind,
    label: labelOf(point),
    params: point.params as Record<string, number>,
    status: 'ok',
    trials: [],
  };
  const limit = streamLimitAt(point.system, point.params);
  if (limit) base.streamLimit = limit;
  const label = `${labelOf(point)}${paramText(point)}`;
  const legs = legsOf(scenario, point);
  if (Object.keys(legs).length > 0) base.network = { mechanism: mechanismOf(scenario.network), legs };
  const key = startKey(point.system, point.params, legs);
  const trialMs = eff.warmupMs + eff.durationMs;
  let loads: LoadPlan[] = [];
  try {
    if (slot.get()?.key !== key) {
      await slot.stop();
      slot.set({
        key,
        target: await startTarget(point.system, point.params, place.systemCpu, profileEnv ? { env: profileEnv } : {}, legs, mechanismOf(scenario.network)),
      });
    }
    const target = slot.get()!.target;
    loads = loadPlansOf(scenario, point, target);
    const settings = {
      policy: eff.steady,
      trials: eff.trials,
      durationMs: eff.durationMs,
      maxRequests: scenario.maxRequests,
      loadCpu: place.loadCpu,
      loadWorkers: scenario.loadWorkers,
      ...(profiling.kind === 'cpu' ? { profile: { resultsDir: profiling.runDir } } : {}),
    };
    const onTrial = (trial: TrialResult): void => progress.trial(label, trialText(trial));
    if (scenario.groups !== undefined) {
      const measured = await measureGroups(target, loads, settings, signal, (groups) =>
        progress.trial(label, groups.map((t, i) => `${loads[i]!.id}: ${trialText(t)}`).join('; ')),
      );
      applyGroups(base, groupResults(loads, measured.groups, trialMs));
      attachProfile(base, measured.profile);
    } else {
      const [{ spec, model }] = loads as [LoadPlan];
      const measured = await measurePoint(target, { ...settings, spec, model }, signal, onTrial);
      base.warmup = measured.warmup;
      base.trials = measured.trials;
      base.summary = summarize(base.trials);
      attachProfile(base, measured.profile);
      const verdict = pointStatus(base, trialMs, model.kind);
      base.status = verdict.status;
      if (verdict.reason !== undefined) base.reason = verdict.reason;
    }
    if (profiling.kind === 'clinic' && base.status !== 'failed') {
      progress.note(`${label}: under clinic doctor, then clinic flame`);
      base.clinic = await clinicProfiles({
        runDir: profiling.runDir,
        pointIndex: point.index,
        external: point.system.kind === 'external',
        baseRequestsPerSec: median(base.trials.map((t) => t.requestsPerSec)),
        start: (wrapped) => startTarget(point.system, point.params, place.systemCpu, wrapped, legs, mechanismOf(scenario.network)),
        measure: (t) => oneTrial(scenario, point, t, { ...settings, trials: 1 }, signal),
      });
      for (const c of base.clinic)
        progress.note(
          `${label}: clinic ${c.tool}: ${c.error ?? (c.trial ? trialText(c.trial) : '')}${c.processes
            .filter((p) => p.error)
            .map((p) => `; ${p.role}: ${p.error}`)
            .join('')}`,
        );
    }
    if (base.status === 'failed') progress.note(`${label}: FAILED — ${base.reason}`);
    else if (base.status === 'not-steady') progress.note(`${label}: not steady — ${base.reason}`);
    return base;
  } catch (caught) {
    await slot.stop();
    let err = caught;
    if (caught instanceof MeasureError) {
      err = caught.cause;
      base.warmup = caught.partial.warmup;
      base.trials = caught.partial.trials;
      if (caught.partial.groups) base.groups = groupResults(loads, caught.partial.groups, trialMs);
    }
    base.status = 'failed';
    if (signal?.aborted) base.interrupted = true;
    base.reason = signal?.aborted ? 'interrupted: the run was stopped during this point' : err instanceof Error ? err.message : String(err);
    if (err instanceof SystemStartError || err instanceof TargetDiedError) base.stderrTail = err.stderrTail;
    if (base.trials.length > 0) base.summary = summarize(base.trials);
    // the point failed as a whole, whatever each group managed before
    for (const g of base.groups ?? []) if (g.status !== 'failed') Object.assign(g, { status: 'failed', reason: base.reason });
    progress.note(`${label}: FAILED — ${base.reason}`);
    return base;
  }
}

/** The profiled trial (the primary group's) and what profiling cost against the point's own trials. */
function attachProfile(point: PointResult, profile: PointMeasurement['profile']): void {
  const trial = profile?.trials[0];
  if (!profile || !trial) return;
  point.profile = { kind: 'cpu', trial, overhead: profileOverhead(trial, median(point.trials.map((t) => t.requestsPerSec))), processes: profile.processes };
}

/** A warm-up and one trial of the point against `target` (the primary group's, for load groups). */
async function oneTrial(
  scenario: Scenario,
  point: Point,
  target: Target,
  settings: Omit<PointPlan, 'spec' | 'model'>,
  signal: AbortSignal | undefined,
): Promise<TrialResult> {
  const loads = loadPlansOf(scenario, point, target);
  if (scenario.groups !== undefined) {
    const measured = await measureGroups(target, loads, settings, signal, () => {});
    return measured.groups[0]!.trials[0]!;
  }
  const [{ spec, model }] = loads as [LoadPlan];
  const measured = await measurePoint(target, { ...settings, spec, model }, signal, () => {});
  return measured.trials[0]!;
}

export { killAllSupervised };
