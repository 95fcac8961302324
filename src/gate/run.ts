/**
 * The gate's measurements: every point of the chosen scenarios run for a base tree and a candidate tree
 * on this machine in one job, interleaved. Both sides' systems run at once (idle while the other side is
 * measured) on the systems' core, each side with its own load worker on the load core; each side is
 * warmed up until steady, then the rounds alternate A B, B A, … with a short re-warm before every trial,
 * so that drift in the machine (another job, thermal, a noisy neighbour) falls on both sides alike.
 *
 * The output is one pair of ordinary results files per scenario (base, candidate), whose trials are the
 * interleaved rounds: compare.ts judges them. A candidate point that fails where the base did not is run
 * once more, from fresh processes, before the failure counts.
 */
import { dirname } from 'node:path';
import type { PointResult, ResultsFile, TrialResult, WarmupRecord } from '../measure/results.ts';
import { median } from '../measure/stats.ts';
import type { SteadyPolicy } from '../measure/steady.ts';
import { micros } from '../report/format.ts';
import { type Placement, placement } from '../run/environment.ts';
import { CpuSetError } from '../os/cpus.ts';
import { writeJsonAtomic } from '../run/persist.ts';
import { checkAlive, diedOr, measureTrial, pointStatus, ProcessWatch, summarize, TargetDiedError, warmupRecord } from '../run/point.ts';
import { type Progress, trialText } from '../run/progress.ts';
import { newResults, runId } from '../run/runner.ts';
import { type StartOptions, SystemStartError } from '../run/supervise.ts';
import { applyGroups, groupResults, measureGroupsTrial } from '../run/groups.ts';
import { profiledTrial, profileOverhead } from '../run/profile.ts';
import { legsOf, type LoadPlan, loadPlansOf, startKey, startTarget, streamLimitAt, type Target } from '../run/targets.ts';
import { type EngineHandle, type EngineSet, LoadSession } from '../run/worker.ts';
import { GateError } from './errors.ts';
import { effective, expandPoints, loadScenario, type Point, type Scenario, sweptAxes } from '../scenario/index.ts';

export type SideName = 'base' | 'candidate';
export const SIDES: readonly SideName[] = ['base', 'candidate'];

export interface GateSide {
  name: SideName;
  /** the tree's bin/muxbench.js and the environment its systems get */
  start: Pick<StartOptions, 'bin' | 'env'>;
  commit: string | null;
}

export interface GateRunOptions {
  scenarios: readonly string[];
  sides: Record<SideName, GateSide>;
  /** A/B rounds per point (each round: one trial per side) */
  rounds: number;
  /** length of each trial; default: the scenario's durationMs */
  trialMs?: number;
  /** warm-up before every trial after the first warm-up (the side was paused while the other ran) */
  rewarmMs: number;
  outDir: string;
  /**
   * The sides whose systems were started with MUXBENCH_PROFILE_DIR (`muxbench gate --profile`): after the
   * rounds, one more trial of each with every system process profiled, kept as the point's `profile`, so
   * that the comparison shows which functions grew beside the regression.
   */
  profile?: Partial<Record<SideName, boolean>>;
  progress: Progress;
  signal?: AbortSignal;
}

export interface GateScenarioRun {
  scenario: string;
  base: ResultsFile;
  candidate: ResultsFile;
  paths: Record<SideName, string>;
}

interface Running {
  key: string;
  target: Target;
}

/** What a side is doing at one point. */
interface SideState {
  side: GateSide;
  result: PointResult;
  target: Target | null;
  loads: LoadPlan[];
  /** a scenario without groups: its one engine */
  engine: EngineHandle | null;
  /** a scenario of load groups: the groups' engines, driven together */
  set: EngineSet | null;
  groups: { warmup: WarmupRecord; trials: TrialResult[] }[];
  watch: ProcessWatch | null;
}

function freshPoint(scenario: Scenario, point: Point): PointResult {
  const limit = streamLimitAt(point.system, point.params);
  const legs = legsOf(scenario, point);
  return {
    index: point.index,
    systemId: point.system.id,
    systemKind: point.system.kind,
    label: point.system.label ?? point.system.id,
    params: point.params as Record<string, number>,
    ...(limit ? { streamLimit: limit } : {}),
    ...(Object.keys(legs).length > 0 ? { network: { mechanism: 'relay' as const, legs } } : {}),
    status: 'ok',
    trials: [],
  };
}

function failureText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function fail(s: SideState, err: unknown, signal: AbortSignal | undefined): void {
  if (s.result.status === 'failed') return;
  s.result.status = 'failed';
  if (signal?.aborted) {
    s.result.interrupted = true;
    s.result.reason = 'interrupted: the gate was stopped during this point';
  } else s.result.reason = failureText(err);
  if (err instanceof SystemStartError || err instanceof TargetDiedError) s.result.stderrTail = err.stderrTail;
}

export class GateRunner {
  private readonly slots: Record<SideName, Running | null> = { base: null, candidate: null };
  /** the current scenario's: its `cpus`, or the default */
  private place: Placement = placement();

  constructor(private readonly o: GateRunOptions) {}

  async run(): Promise<GateScenarioRun[]> {
    const out: GateScenarioRun[] = [];
    try {
      for (const name of this.o.scenarios) {
        if (this.o.signal?.aborted) break;
        out.push(await this.runScenario(name));
      }
    } finally {
      await Promise.all(SIDES.map((s) => this.stopSlot(s)));
    }
    return out;
  }

  private async runScenario(name: string): Promise<GateScenarioRun> {
    const { scenario, file } = await loadScenario(name);
    if (scenario.network?.mechanism === 'kernel')
      throw new GateError(
        'MUX_ERR_GATE_USAGE',
        `${name}: network.mechanism 'kernel' runs under \`muxbench scenario\` only; the gate shapes legs with the relay (set mechanism 'relay')`,
      );
    if (scenario.loadWorkers > 1)
      throw new GateError(
        'MUX_ERR_GATE_USAGE',
        `${name}: loadWorkers ${scenario.loadWorkers}: the gate measures base and candidate with one load worker, the very same instrument for both; give the gate's scenario loadWorkers 1`,
      );
    try {
      this.place = placement(scenario.cpus);
    } catch (err) {
      if (err instanceof CpuSetError) throw new GateError('MUX_ERR_GATE_USAGE', `${name}: cpus: ${err.message}`);
      throw err;
    }
    const eff = effective(scenario, false);
    const trialMs = this.o.trialMs ?? eff.durationMs;
    const settings = { ...eff, durationMs: trialMs, trials: this.o.rounds };
    const points = expandPoints(scenario, false);
    const id = runId();
    const files = {} as Record<SideName, ResultsFile>;
    const paths = {} as Record<SideName, string>;
    for (const side of SIDES) {
      files[side] = newResults(scenario, file, false, id, settings, sweptAxes(points), this.o.sides[side].commit, undefined, scenario.cpus);
      paths[side] = `${this.o.outDir}/${scenario.name}/${side}/results.json`;
      writeJsonAtomic(paths[side], files[side]);
    }
    this.o.progress.note(`gate ${scenario.name}: ${points.length} points × ${this.o.rounds} rounds (base, candidate interleaved), ${trialMs} ms trials`);
    for (const point of points) {
      if (this.o.signal?.aborted) break;
      const dirs = { base: dirname(paths.base), candidate: dirname(paths.candidate) };
      let pair = await this.runPoint(scenario, point, eff.steady, trialMs, dirs);
      if (pair.candidate.status === 'failed' && pair.base.status !== 'failed' && !pair.candidate.interrupted && !this.o.signal?.aborted) {
        this.o.progress.note(`${pair.candidate.label}: the candidate failed (${pair.candidate.reason}); running the point once more from fresh processes`);
        await Promise.all(SIDES.map((s) => this.stopSlot(s)));
        pair = await this.runPoint(scenario, point, eff.steady, trialMs, dirs);
        if (pair.candidate.status === 'failed') pair.candidate.reason = `${pair.candidate.reason} (failed twice)`;
      }
      for (const side of SIDES) {
        files[side].points.push(pair[side]);
        writeJsonAtomic(paths[side], files[side]);
      }
    }
    for (const side of SIDES) {
      files[side].status = this.o.signal?.aborted ? 'aborted' : 'complete';
      files[side].finishedAt = new Date().toISOString();
      writeJsonAtomic(paths[side], files[side]);
    }
    return { scenario: scenario.name, base: files.base, candidate: files.candidate, paths };
  }

  private async stopSlot(side: SideName): Promise<void> {
    const s = this.slots[side];
    this.slots[side] = null;
    if (s) await s.target.stop().catch(() => {});
  }

  /** The side's target for this point: the running one when its start options are the same. */
  private async targetFor(side: GateSide, scenario: Scenario, point: Point): Promise<Target> {
    const legs = legsOf(scenario, point);
    const key = startKey(point.system, point.params, legs);
    if (this.slots[side.name]?.key !== key) {
      await this.stopSlot(side.name);
      const target = await startTarget(point.system, point.params, this.place.systemCpu, side.start, legs);
      this.slots[side.name] = { key, target };
    }
    return this.slots[side.name]!.target;
  }

  /** One trial of a side (re-warmed first, paused after): the primary's result and, for load groups, every group's. */
  private async sideTrial(s: SideState, rewarm: SteadyPolicy, trialMs: number): Promise<TrialResult[]> {
    if (s.set) {
      await s.set.warmUp(rewarm);
      const each = await measureGroupsTrial(s.set, s.watch!, s.target!, trialMs);
      await s.set.pause();
      return each;
    }
    const engine = s.engine!;
    if (engine.continuous) await engine.warmUp(rewarm);
    const t = await measureTrial(engine, s.watch!, s.target!, trialMs, { fixedWarmupMs: this.o.rewarmMs });
    await engine.pause();
    return [t];
  }

  private async runPoint(
    scenario: Scenario,
    point: Point,
    policy: SteadyPolicy,
    trialMs: number,
    dirs: Record<SideName, string>,
  ): Promise<Record<SideName, PointResult>> {
    const { signal, progress } = this.o;
    const states: SideState[] = SIDES.map((name) => ({
      side: this.o.sides[name],
      result: freshPoint(scenario, point),
      target: null,
      loads: [],
      engine: null,
      set: null,
      groups: [],
      watch: null,
    }));
    const label = `${point.system.label ?? point.system.id}${
      Object.keys(point.params).length
        ? ` (${Object.entries(point.params)
            .map(([k, v]) => `${k}=${v}`)
            .join(', ')})`
        : ''
    }`;
    // One load worker drives both sides: the same instrument (process, JIT state, pinning) measures each.
    const session = LoadSession.start(this.place.loadCpu, signal);
    try {
      // Start and warm each side, then leave it paused while the other warms.
      for (const s of states) {
        try {
          s.target = await this.targetFor(s.side, scenario, point);
          s.loads = loadPlansOf(scenario, point, s.target);
          s.watch = new ProcessWatch(s.target);
          if (scenario.groups !== undefined) {
            s.set = await session.openSet(s.loads.map((l) => ({ ...l, id: `${s.side.name}:${l.id}` })));
            s.groups = (await s.set.warmUp(policy)).map((w) => ({ warmup: warmupRecord(w, policy.minMs), trials: [] }));
            checkAlive(s.target);
            await s.set.pause();
          } else {
            const [{ spec, model }] = s.loads as [LoadPlan];
            s.engine = await session.open(s.side.name, spec, model);
            s.result.warmup = warmupRecord(s.engine.continuous ? await s.engine.warmUp(policy) : null, policy.minMs);
            checkAlive(s.target);
            await s.engine.pause();
          }
        } catch (err) {
          fail(s, s.target ? diedOr(s.target, err) : err, signal);
          await this.stopSlot(s.side.name);
        }
      }
      const rewarm: SteadyPolicy = { ...policy, minMs: this.o.rewarmMs, maxMs: this.o.rewarmMs };
      for (let round = 0; round < this.o.rounds; round++) {
        const order = round % 2 === 0 ? states : [...states].reverse();
        for (const s of order) {
          if (signal?.aborted) throw new Error('interrupted');
          const driver = s.engine ?? s.set;
          if (s.result.status === 'failed' || !driver || !s.target || !s.watch) continue;
          try {
            const each = await this.sideTrial(s, rewarm, trialMs);
            if (s.set)
              each.forEach((g, i) => {
                s.groups[i]!.trials.push(g);
              });
            const t = each[0]!;
            s.result.trials.push(t);
            progress.trial(`${label} [${s.side.name}]`, `${trialText(t)}${cpuText(t)}`);
          } catch (err) {
            fail(s, diedOr(s.target, err), signal);
            await driver.pause().catch(() => {});
            await this.stopSlot(s.side.name);
          }
        }
      }
      for (const s of states) {
        if (!this.o.profile?.[s.side.name] || s.result.status === 'failed' || !s.target || signal?.aborted) continue;
        try {
          const profiled = await profiledTrial(s.target, dirs[s.side.name], () => this.sideTrial(s, rewarm, trialMs));
          const t = profiled.trial[0]!;
          s.result.profile = {
            kind: 'cpu',
            trial: t,
            overhead: profileOverhead(t, median(s.result.trials.map((x) => x.requestsPerSec))),
            processes: profiled.processes,
          };
        } catch (err) {
          // the rounds are measured: a profiled trial that fails costs its profile, not the point
          progress.note(`${label} [${s.side.name}]: no profile — ${failureText(err)}`);
        }
      }
    } catch (err) {
      for (const s of states) fail(s, err, signal);
    } finally {
      for (const s of states) s.watch?.stop();
      await session.close();
    }
    for (const s of states) {
      const r = s.result;
      if (r.trials.length) r.summary = summarize(r.trials);
      if (s.set) {
        const groups = groupResults(s.loads, s.groups, trialMs);
        if (r.status === 'failed') {
          r.groups = groups;
          for (const g of groups) if (g.status !== 'failed') Object.assign(g, { status: 'failed', reason: r.reason });
        } else applyGroups(r, groups);
      } else if (r.status !== 'failed') {
        const model = s.loads[0]?.model.kind ?? 'closed';
        const v = pointStatus(r, trialMs, model);
        r.status = v.status;
        if (v.reason !== undefined) r.reason = v.reason;
      }
      if (r.status === 'failed') progress.note(`${label} [${s.side.name}]: FAILED — ${r.reason}`);
    }
    return { base: states[0]!.result, candidate: states[1]!.result };
  }
}

function cpuText(t: TrialResult): string {
  const v = Object.values(t.processes).map((p) => p.cpuUsPerRequest);
  if (v.length === 0 || !v.every((x): x is number => typeof x === 'number')) return '';
  return `, CPU ${micros(v.reduce((a, b) => a + b, 0))}/req`;
}
